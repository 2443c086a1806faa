#!/usr/bin/perl
# Runs the real SpamAssassin on messages through its Perl API and prints, per message, one
# JSON line in the format of ../shared/oracle/sa-4.0.1-header-meta-hits.jsonl. Written for
# spamhdr's differential tests and benchmarks; it reproduces the oracle's configuration as
# ../shared/oracle/README.md describes it (local tests only, score set 0, no Bayes).
#
# usage: sa_check.pl [--rules DIR] [--site DIR] [--cf FILE]... [--mode header-meta|full]
#                    [--time] [--repeat N] FILE...   (or file names on stdin, one per line)
# --time adds "check_seconds" (parse+check+finish excluded: check() only) to each line.
use strict;
use warnings;
use Getopt::Long;
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes qw(time);
use Mail::SpamAssassin;

my ($rules, $site, $mode, $timed, $repeat) =
    ('/usr/share/spamassassin', '/etc/spamassassin', 'header-meta', 0, 1);
my @cf_files;
GetOptions('rules=s' => \$rules, 'site=s' => \$site, 'cf=s' => \@cf_files,
           'mode=s' => \$mode, 'time' => \$timed, 'repeat=i' => \$repeat)
    or die "bad options\n";

my $state = tempdir(CLEANUP => 1);
my $prefs = "$state/user_prefs";
open(my $pf, '>', $prefs) or die "$prefs: $!\n";
close $pf;

my $post = join("\n", qw(), 'use_learner 0', 'use_bayes 0', 'use_bayes_rules 0',
  'bayes_auto_learn 0', 'skip_rbl_checks 1', 'dns_available no', 'time_limit 0',
  'ifplugin Mail::SpamAssassin::Plugin::AWL', 'use_auto_whitelist 0', 'endif',
  'ifplugin Mail::SpamAssassin::Plugin::TxRep', 'use_txrep 0', 'endif',
  'ifplugin Mail::SpamAssassin::Plugin::Razor2', 'use_razor2 0', 'endif',
  'ifplugin Mail::SpamAssassin::Plugin::Pyzor', 'use_pyzor 0', 'endif',
  'ifplugin Mail::SpamAssassin::Plugin::DCC', 'use_dcc 0', 'endif') . "\n";
for my $cf (@cf_files) {
  open(my $fh, '<:raw', $cf) or die "$cf: $!\n";
  local $/;
  $post .= <$fh> . "\n";
}

my $sa = Mail::SpamAssassin->new({
  rules_filename => $rules,
  site_rules_filename => $site,
  userprefs_filename => $prefs,
  userstate_dir => $state,
  dont_copy_prefs => 1,
  local_tests_only => 1,
  post_config_text => $post,
});
$sa->init(1);
my $conf = $sa->{conf};
my $HEAD = $Mail::SpamAssassin::Conf::TYPE_HEAD_TESTS;
my $META = $Mail::SpamAssassin::Conf::TYPE_META_TESTS;

if ($mode eq 'header-meta') {
  # Keep only header regex/exists rules and metas, as the oracle's header-meta mode does.
  for my $table (qw(body_tests uri_tests rawbody_tests full_tests head_evals body_evals
                    rawbody_evals full_evals uri_evals rbl_evals mimeheader_tests uri_detail)) {
    $conf->{$table} = {};
  }
  for my $name (keys %{$conf->{test_types}}) {
    my $type = $conf->{test_types}{$name};
    next if $type == $HEAD || $type == $META;
    $conf->{scores}{$name} = 0;
    $conf->{scoreset}[$_]{$name} = 0 for 0 .. 3;
  }
} elsif ($mode ne 'full') {
  die "unknown mode $mode\n";
}
$sa->compile_now(0, 1);

my @files = @ARGV;
if (!@files) { chomp(@files = <STDIN>); }
my $json = JSON::PP->new->canonical->latin1;
for my $file (@files) {
  open(my $fh, '<:raw', $file) or do { print $json->encode({file => $file, error => "$!"}), "\n"; next };
  my $text = do { local $/; <$fh> };
  close $fh;
  my ($pms, $elapsed) = (undef, 0);
  for (1 .. $repeat) {
    $pms->finish if $pms;
    my $msg = $sa->parse($text, 0, { master_deadline => undef });
    my $t0 = time;
    $pms = Mail::SpamAssassin::PerMsgStatus->new($sa, $msg);
    $pms->check();
    $elapsed += time - $t0;
    $msg->finish if $_ < $repeat;
  }
  my @hits = sort @{$pms->{test_names_hit}};
  my %seen;
  my @sub = sort grep { !$seen{$_}++ } @{$pms->{subtest_names_hit}};
  my $types = $conf->{test_types};
  my %out = (
    file => $file,
    score => 0 + sprintf('%.3f', $pms->get_score()),
    required => 0 + $pms->get_required_score(),
    hits => \@hits,
    header_rule_hits => [grep { ($types->{$_} // -1) == $HEAD } @hits],
    meta_hits => [grep { ($types->{$_} // -1) == $META } @hits],
    subtest_hits => \@sub,
    header_subtest_hits => [grep { ($types->{$_} // -1) == $HEAD } @sub],
    x_spam_status => $pms->get_tag('YESNO') . ', score=' . $pms->get_tag('SCORE')
        . ' required=' . $pms->get_tag('REQD') . ' tests=' . $pms->get_tag('TESTS')
        . ' autolearn=' . $pms->get_tag('AUTOLEARN') . ' version=' . $pms->get_tag('VERSION'),
  );
  $out{check_seconds} = $elapsed / $repeat if $timed;
  print $json->encode(\%out), "\n";
  $pms->finish;
}
