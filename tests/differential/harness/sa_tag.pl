#!/usr/bin/perl
# Tags messages with the real SpamAssassin, the way `spamassassin -L [-t] --cf=...` does,
# and prints, per message, one JSON line with what SpamAssassin computed, for spamhdr's
# differential test of `spamhdr explain` (tests/differential/test_report_sa_live.py).
#
# One Mail::SpamAssassin object checks every file; each message is parsed, checked and
# rewritten exactly as /usr/bin/spamassassin does it (check, rewrite_mail, and in test mode
# get_report appended, Bayes autolearn and auto-welcomelist off). The tagged message and
# the truth come from the same PerMsgStatus, so they describe the same run.
#
# usage: sa_tag.pl --cf FILE --outdir DIR [--stock] [--test-mode] FILE...
#   --cf FILE     configuration appended after the rules (rules, scores, settings)
#   --stock       load the stock rules (/usr/share/spamassassin); without it only
#                 10_default_prefs.cf (templates, defaults) is loaded, which is fast
#   --test-mode   like `spamassassin -t`
use strict;
use warnings;
use Getopt::Long;
use File::Temp qw(tempdir);
use File::Basename qw(basename);
use JSON::PP;
use Mail::SpamAssassin;

my ($stock, $test_mode, $outdir) = (0, 0, undef);
my @cf_files;
GetOptions('cf=s' => \@cf_files, 'stock' => \$stock, 'test-mode' => \$test_mode,
           'outdir=s' => \$outdir) or die "bad options\n";
defined $outdir or die "--outdir is required\n";

my $state = tempdir(CLEANUP => 1);
my $prefs = "$state/user_prefs";
open(my $pf, '>', $prefs) or die "$prefs: $!\n";
close $pf;

my $rules = '/usr/share/spamassassin';
if (!$stock) {
  $rules = "$state/rules";
  mkdir $rules or die "$rules: $!\n";
  symlink('/usr/share/spamassassin/10_default_prefs.cf', "$rules/10_default_prefs.cf")
    or die "symlink: $!\n";
}

my $post = '';
for my $cf (@cf_files) {
  open(my $fh, '<:raw', $cf) or die "$cf: $!\n";
  local $/;
  $post .= <$fh> . "\n";
}

my $sa = Mail::SpamAssassin->new({
  rules_filename => $rules,
  site_rules_filename => '/etc/spamassassin',
  userprefs_filename => $prefs,
  userstate_dir => $state,
  dont_copy_prefs => 1,
  local_tests_only => 1,          # spamassassin -L
  post_config_text => $post,
});
$sa->init(1);
if ($test_mode) {                 # what /usr/bin/spamassassin does for -t
  $sa->{conf}->{use_auto_welcomelist} = 0;
  $sa->{conf}->{bayes_auto_learn} = 0;
}
my $conf = $sa->{conf};

my $json = JSON::PP->new->canonical->utf8;

# SpamAssassin keeps rule text as octets; rule files are UTF-8, so report it as characters
sub _text {
  my ($octets) = @_;
  my $copy = $octets;
  utf8::decode($copy) or return $octets;
  return $copy;
}
for my $file (@ARGV) {
  open(my $fh, '<:raw', $file) or die "$file: $!\n";
  my $text = do { local $/; <$fh> };
  close $fh;
  my $mail = $sa->parse($text);
  my $pms = $sa->check($mail);
  my $tagged = $pms->rewrite_mail();
  $tagged .= $pms->get_report() if $test_mode;
  my $out = "$outdir/" . basename($file);
  open(my $oh, '>:raw', $out) or die "$out: $!\n";
  print $oh $tagged;
  close $oh;

  my $scores = $conf->{scores};
  my @hits;
  for my $rule (@{$pms->{test_names_hit}}) {
    my $score = $scores->{$rule};
    push @hits, {
      name => $rule,
      # the configured score as SpamAssassin stringifies it (the _TESTSSCORES_ text)
      score => "" . ($score || '0'),
      # the report column of PerMsgStatus::check_cleanup
      report_score => ($score >= 10 || $score <= -10)
          ? sprintf("%4.0f", $score) : sprintf("%4.1f", $score),
      area => $pms->{test_logs}->{$rule}->{area} // '',
      description => _text($pms->{test_logs}->{$rule}->{desc} // ''),
    };
  }
  my %out = (
    file => $file,
    tagged => $out,
    score => $pms->get_score(),
    required => $pms->get_required_score(),
    is_spam => $pms->is_spam() ? JSON::PP::true : JSON::PP::false,
    hits => \@hits,
  );
  $out{"tag_$_"} = _text($pms->get_tag($_))
      for qw(YESNO SCORE REQD TESTS TESTSSCORES AUTOLEARN VERSION STARS REPORT);
  print $json->encode(\%out), "\n";
  $pms->finish;
  $mail->finish;
}
