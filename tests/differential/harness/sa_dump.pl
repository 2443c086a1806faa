#!/usr/bin/perl
# Prints SpamAssassin 4.0.1's compiled view of every rule as JSON, for spamhdr's
# differential tests of `spamhdr rules dump`. The configuration is loaded through the
# Mail::SpamAssassin API the way ../shared/oracle/README.md describes the oracle's rules
# dump: rules_filename, site_rules_filename, user prefs, local_tests_only, the oracle's
# post_config_text plus `allow_user_rules 1` (so finish_parsing keeps $conf->{tests} and
# $conf->{priority}) and keep_config_parsing_metadata (source_file, if_stack).
#
# Every value is read from SpamAssassin's own tables after init (Conf/Parser.pm add_test,
# finish_parsing, fix_priorities, fix_tflags; Plugin/ReplaceTags.pm; Plugin/MIMEHeader.pm):
#   type         $conf->{test_types}{NAME}, by name (Conf.pm $TYPE_*)
#   raw          $conf->{tests}{NAME}
#   header...    $conf->{test_opt_header/exists/neg/unset}{NAME}
#   compiled_regex  "$conf->{test_qrs}{NAME}" (Perl's stringification, after ReplaceTags)
#   meta_dependencies  $conf->{meta_dependencies}{NAME}
#   tflags, priority, describe  $conf->{tflags}, {priority}, {descriptions}
#   score, scoresets  $conf->{scores} (active set), $conf->{scoreset}[0..3]
#   source_file, if_stack  keep_config_parsing_metadata tables
#   line         our addition: Parser's line counter when add_test accepted the rule
#                (we wrap add_test; SpamAssassin itself keeps no line numbers)
#   priority_before_fix, net_before_fix (top level)  the priority table fix_priorities
#                started from, and the rules whose tflags had `net` then
#
# usage: sa_dump.pl --rules DIR --site DIR [--prefs FILE] [--post FILE] --out FILE
#   --out receives {"rules": {...}, "warnings": [...], ...}; stdout is not used because
#   SpamAssassin prints meta tokens there for one-character rule names (is_meta_valid).
# The JSON is ASCII: code points U+0080-U+00FF stand for the bytes 0x80-0xFF.
use strict;
use warnings;
use Getopt::Long;
use File::Temp qw(tempdir);
use JSON::PP;
use Mail::SpamAssassin;
use Mail::SpamAssassin::Conf;
use Mail::SpamAssassin::Conf::Parser;

my ($rules, $site, $prefs, $post_file, $out) =
    ('/usr/share/spamassassin', '/etc/spamassassin', undef, undef, undef);
GetOptions('rules=s' => \$rules, 'site=s' => \$site, 'prefs=s' => \$prefs,
           'post=s' => \$post_file, 'out=s' => \$out)
    or die "bad options\n";
die "--out is required\n" unless defined $out;

my $state = tempdir(CLEANUP => 1);
if (!defined $prefs) {
  $prefs = "$state/user_prefs";
  open(my $pf, '>', $prefs) or die "$prefs: $!\n";
  close $pf;
}

# The oracle's post_config_text (../shared/oracle/README.md), then the dump's two extras.
my $post = join("\n", 'use_learner 0', 'use_bayes 0', 'use_bayes_rules 0',
  'bayes_auto_learn 0', 'skip_rbl_checks 1', 'dns_available no', 'time_limit 0',
  'ifplugin Mail::SpamAssassin::Plugin::AWL', 'use_auto_whitelist 0', 'endif',
  'ifplugin Mail::SpamAssassin::Plugin::TxRep', 'use_txrep 0', 'endif',
  'ifplugin Mail::SpamAssassin::Plugin::Razor2', 'use_razor2 0', 'endif',
  'ifplugin Mail::SpamAssassin::Plugin::Pyzor', 'use_pyzor 0', 'endif',
  'ifplugin Mail::SpamAssassin::Plugin::DCC', 'use_dcc 0', 'endif') . "\n";
if (defined $post_file) {
  open(my $fh, '<:raw', $post_file) or die "$post_file: $!\n";
  local $/;
  $post .= <$fh>;
}
$post .= "allow_user_rules 1\n";

# Record the line of every accepted definition. add_test is SpamAssassin's single entry
# point for rule definitions; it reports nothing on failure, so we mark test_types and see
# whether add_test overwrote the mark.
my %line_of;
{
  no warnings 'redefine';
  my $add_test = \&Mail::SpamAssassin::Conf::Parser::add_test;
  *Mail::SpamAssassin::Conf::Parser::add_test = sub {
    my ($parser, $name) = @_;
    my $conf = $parser->{conf};
    my $had = exists $conf->{test_types}{$name};
    my $old = $conf->{test_types}{$name};
    $conf->{test_types}{$name} = -1;
    $add_test->(@_);
    if (($conf->{test_types}{$name} // -1) == -1) {
      if ($had) { $conf->{test_types}{$name} = $old } else { delete $conf->{test_types}{$name} }
    } else {
      my $file = $parser->{currentfile};
      $line_of{$name} = defined $parser->{linenum} ? $parser->{linenum}{$file} : undef;
    }
    return;
  };
}

# fix_priorities walks the rules in ascending priority, ties in Perl hash order, so its
# result can vary between runs: keep the table it started from, for the tests to judge.
my (%priority_before_fix, @net_before_fix);
{
  no warnings 'redefine';
  my $fix_priorities = \&Mail::SpamAssassin::Conf::Parser::fix_priorities;
  *Mail::SpamAssassin::Conf::Parser::fix_priorities = sub {
    my ($parser) = @_;
    %priority_before_fix = map { $_ => 0 + $parser->{conf}{priority}{$_} }
        keys %{$parser->{conf}{priority} || {}};
    my $tflags = $parser->{conf}{tflags};
    @net_before_fix = sort grep { ($tflags->{$_} || '') =~ /\bnet\b/ } keys %$tflags;
    return $fix_priorities->(@_);
  };
}

my @warnings;
local $SIG{__WARN__} = sub { push @warnings, $_[0] };

my $sa = Mail::SpamAssassin->new({
  rules_filename => $rules,
  site_rules_filename => $site,
  userprefs_filename => $prefs,
  userstate_dir => $state,
  dont_copy_prefs => 1,
  local_tests_only => 1,
  keep_config_parsing_metadata => 1,
  post_config_text => $post,
});
$sa->init(1);
my $conf = $sa->{conf};

my %TYPE_NAME = (
  0x08 => 'header', 0x09 => 'header_eval', 0x0a => 'body', 0x0b => 'body_eval',
  0x0c => 'full', 0x0d => 'full_eval', 0x0e => 'rawbody', 0x0f => 'rawbody_eval',
  0x10 => 'uri', 0x11 => 'uri_eval', 0x12 => 'meta', 0x13 => 'rbl_eval', 0x14 => 'empty',
);
my %REGEX_TYPE = map { $_ => 1 } (0x08, 0x0a, 0x0c, 0x0e, 0x10);
my %PSEUDO = map { lc($_) => 1 } qw(ALL ALL-TRUSTED ALL-UNTRUSTED ALL-INTERNAL ALL-EXTERNAL
  ToCc EnvelopeFrom MESSAGEID X-Spam-Relays-Trusted X-Spam-Relays-Untrusted
  X-Spam-Relays-Internal X-Spam-Relays-External);

sub num { my ($v) = @_; return defined $v ? 0 + $v : undef }
sub flag { return $_[0] ? JSON::PP::true : JSON::PP::false }

my $types = $conf->{test_types};

# Leaf kinds a meta depends on, through other metas ("undefined" for unknown names).
# Metas in a dependency cycle have no dependencies left (compile_meta_rules), so the walk
# ends; only complete results are memoised.
my %kinds_memo;
sub leaf_kinds {
  my ($name) = @_;
  return $kinds_memo{$name} if $kinds_memo{$name};
  my %kinds;
  for my $dep (@{$conf->{meta_dependencies}{$name} || []}) {
    my $type = $types->{$dep};
    if (!defined $type) { $kinds{undefined} = 1 }
    elsif ($type == 0x12) { $kinds{$_} = 1 for @{leaf_kinds($dep)} }
    else { $kinds{$TYPE_NAME{$type} // $type} = 1 }
  }
  return $kinds_memo{$name} = [sort keys %kinds];
}

my %dump;
for my $name (keys %{$conf->{tests}}) {
  my $type = $types->{$name};
  my $raw = $conf->{tests}{$name};
  my %rule = (
    type => $TYPE_NAME{$type} // "$type",
    type_code => 0 + $type,
    raw => $raw,
    tflags => $conf->{tflags}{$name},
    priority => num($conf->{priority}{$name}) // 0,
    describe => $conf->{descriptions}{$name},
    score => num($conf->{scores}{$name}),
    scoresets => [map { num($conf->{scoreset}[$_]{$name}) } 0 .. 3],
    source_file => $conf->{source_file}{$name},
    line => $line_of{$name},
    if_stack => $conf->{if_stack}{$name},
    replace_tags => flag(exists $conf->{replace_rules}{$name}),
  );
  if ($REGEX_TYPE{$type} && !($type == 0x08 && $conf->{test_opt_exists}{$name})) {
    my $qr = $conf->{test_qrs}{$name};
    $rule{compiled_regex} = defined $qr ? "$qr" : undef;
  }
  if ($type == 0x08) {
    my $header = $conf->{test_opt_header}{$name};
    my ($hname, @mods) = split(/:/, $header // '', -1);
    $rule{header} = $header;
    $rule{header_name} = $hname;
    $rule{header_modifiers} = \@mods;
    $rule{exists} = flag($conf->{test_opt_exists}{$name});
    $rule{negated} = flag($conf->{test_opt_neg}{$name});
    $rule{if_unset} = $conf->{test_opt_unset}{$name};
    $rule{pseudo_header} = flag(defined $hname && $PSEUDO{lc $hname});
    $rule{compiled_head_text} = $raw;
  } elsif ($type == 0x12) {
    my $deps = $conf->{meta_dependencies}{$name} || [];
    my $kinds = leaf_kinds($name);
    $rule{meta_dependencies} = [@$deps];
    $rule{dependency_kinds} = $kinds;
    $rule{header_only} = flag(!grep { $_ ne 'header' } @$kinds);
    $rule{uses_local_tests_only} = flag(defined $raw && $raw =~ /\blocal_tests_only\b/);
  } elsif ($type & 1) {
    $rule{eval_function} = defined $raw && $raw =~ /^(\w+)\(/ ? $1 : undef;
  }
  my $mime = $conf->{mimeheader_tests}{$name};
  if ($type == 0x0b && $mime && defined $raw && $raw eq "_mimeheader_eval_$name()") {
    $rule{mimeheader} = {
      hdr => $mime->{hdr}, negated => 0 + $mime->{negated},
      if_unset => $mime->{if_unset}, pattern => "$mime->{pattern}",
    };
  }
  $dump{$name} = \%rule;
}

my %plugins = %{$conf->{plugins_loaded} || {}};
my $result = {
  rules => \%dump,
  plugins_loaded => [sort grep { $plugins{$_} } keys %plugins],
  priority_before_fix => \%priority_before_fix,
  net_before_fix => \@net_before_fix,
  warnings => \@warnings,
  spamassassin_version => $Mail::SpamAssassin::VERSION,
};
open(my $fh, '>', $out) or die "$out: $!\n";
print $fh JSON::PP->new->canonical->ascii->encode($result), "\n";
close $fh or die "$out: $!\n";
