#!/usr/bin/perl
# Differential oracle for spamhdr.message: print what SpamAssassin 4.0.1's
# $pms->get($spec) returns for each message and spec.
#
# Input (stdin): one JSON object
#   {"post_config": "extra .cf text", "specs": ["From:addr", ...],
#    "messages": ["<message bytes as U+0000-U+00FF code points>", ...]}
# Output (stdout): one JSON array, one object per message:
#   {"values": {"<spec>": null | ["elem", ...]}, "utf8_flagged": [specs]}
# A spec maps to null when get() returns the empty list (undefined header), else to the
# list-context result; strings are bytes as U+0000-U+00FF code points.
#
# Configuration as in ../shared/oracle/README.md: local tests only, stock rules from
# /usr/share/spamassassin, site config /etc/spamassassin, empty user prefs, userstate in a
# temporary directory. Per message the harness does what PerMsgStatus::check_timed does
# before any rule runs (delete X-Spam-*, extract metadata) and then calls get().
use strict;
use warnings;
use JSON::PP;
use File::Temp qw(tempdir);
use Mail::SpamAssassin;

binmode STDIN;
binmode STDOUT;
my $input = do { local $/; <STDIN> };
my $req = JSON::PP->new->decode($input);
my $tmp = tempdir(CLEANUP => 1);
open(my $prefs, '>', "$tmp/user_prefs") or die "user_prefs: $!";
close $prefs;

my $post = join("\n",
  'use_learner 0', 'use_bayes 0', 'use_bayes_rules 0', 'bayes_auto_learn 0',
  'skip_rbl_checks 1', 'dns_available no', 'time_limit 0',
  'ifplugin Mail::SpamAssassin::Plugin::AWL', 'use_auto_whitelist 0', 'endif',
  'ifplugin Mail::SpamAssassin::Plugin::TxRep', 'use_txrep 0', 'endif',
  '') . ($req->{post_config} // '') . "\n";

my $sa = Mail::SpamAssassin->new({
  rules_filename => '/usr/share/spamassassin',
  site_rules_filename => '/etc/spamassassin',
  userprefs_filename => "$tmp/user_prefs",
  userstate_dir => $tmp,
  dont_copy_prefs => 1,
  local_tests_only => 1,
  post_config_text => $post,
});
$sa->init(1);

my @out;
for my $text (@{$req->{messages}}) {
  my $data = $text;
  utf8::downgrade($data);     # code points 0-255 -> octets
  my $msg = $sa->parse($data, 0);
  my $pms = Mail::SpamAssassin::PerMsgStatus->new($sa, $msg);
  $msg->delete_header('X-Spam-.*');     # PerMsgStatus::check_timed
  $pms->extract_message_metadata();     # Plugin::Check::check_main
  my (%values, @flagged);
  for my $spec (@{$req->{specs}}) {
    my @list = $pms->get($spec);
    if (!@list) { $values{$spec} = undef; next; }
    for (@list) {
      if (utf8::is_utf8($_)) { push @flagged, $spec; utf8::encode($_); }
    }
    $values{$spec} = \@list;
  }
  push @out, { values => \%values, utf8_flagged => \@flagged };
  $pms->finish();
  $msg->finish();
}
print JSON::PP->new->ascii->canonical->encode(\@out);
