#!/usr/bin/perl
# Writes amavis 2.13's spam header fields for generated inputs with amavis' own code, for
# spamhdr's differential test of `spamhdr explain` (tests/differential/test_report_amavis_live.py).
#
# amavis is not run as a daemon (spec headers-and-delivery.md §3.0). Instead this harness
# loads the installed Debian package's modules (Amavis::Conf, Amavis::Lookup,
# Amavis::In::Message[::PerRecip], Amavis::Out::EditHeader) and, from the installed
# Amavis.pm itself, at run time, the code that matters:
#   * the per-recipient "decide_mail_destiny" step of check_mail() that compares the
#     spam level with the tag/tag2/tag3/kill levels and black/white-listing and sets the
#     contents categories (the loop from "consider adding CC_SPAM or CC_SPAMMY" up to
#     "consider adding CC_OVERSIZED");
#   * add_forwarding_header_edits_per_recip(), which builds X-Spam-Flag, X-Spam-Score,
#     X-Spam-Level, X-Spam-Status and X-Spam-Report and folds them with hdr().
# Nothing of amavis is copied into the repository: the text is read from the installed
# file and compiled here, in package Amavis, so the real code runs. The header section
# is then written by Amavis::Out::EditHeader::write_header, as amavis does on delivery.
#
# usage: amavis_hdr.pl --outdir DIR < cases.jsonl
# Each input line is a JSON object:
#   {"id": str, "message": str (a whole message, LF line ends),
#    "spam_level": number|null, "tests": [str, ...] (spam_tests entries, each like SA's
#    TESTSSCORES "A=1,B=2" or "AM.PENPAL=-3.5"), "autolearn": str|null, "report": str|null,
#    "tag_level": number|""|null, "tag2_level": number|null, "tag3_level": number|null,
#    "kill_level": number|null, "blacklisted": bool, "whitelisted": bool, "local": bool,
#    "report_header": bool (allow X-Spam-Report), "level_char": str|null}
# Each output line: {"id", "tagged": path, "do_tag": bool, "do_tag2": bool}
use strict;
use warnings;
no warnings 'once';
use Exporter ();   # Amavis::Conf calls Exporter::export_tags while it compiles
use Getopt::Long;
use JSON::PP;

my $outdir;
GetOptions('outdir=s' => \$outdir) or die "bad options\n";
defined $outdir or die "--outdir is required\n";

package Amavis;
# Amavis::Util warns that it runs without taint mode (amavisd runs with -T); harmless here
BEGIN { $SIG{__WARN__} = sub { warn @_ unless $_[0] =~ /can't obtain a tainted string/ } }
use Amavis::Conf qw(:platform :sa :confvars c cr ca);
use Amavis::Lookup qw(lookup lookup2);
use Amavis::In::Message;
use Amavis::In::Message::PerRecip;
use Amavis::Out::EditHeader;
use Amavis::rfc2821_2822_Tools;
use Amavis::Util qw(min max ll do_log sanitize_str idn_to_ascii idn_to_utf8
                    format_time_interval safe_encode_utf8 safe_decode_utf8
                    safe_decode_mime orcpt_decode);
use vars qw($extra_code_antispam $extra_code_antispam_sa @bad_headers
            %ccat_display_names);

my $source_file = $INC{'Amavis/Conf.pm'};
$source_file =~ s{/Amavis/Conf\.pm\z}{/Amavis.pm};
open(my $src, '<', $source_file) or die "$source_file: $!\n";
my $source = do { local $/; <$src> };
close $src;

# add_forwarding_header_edits_per_recip(): from its "sub" line to the closing brace
$source =~ /^(sub add_forwarding_header_edits_per_recip\(.*?^\}\n)/ms
  or die "add_forwarding_header_edits_per_recip not found in $source_file\n";
my $edits_sub = $1;
# the recipient loop of decide_mail_destiny, up to the oversize check
$source =~ /^(\s*for\ my\ \$r\ \(\@\{\$msginfo->per_recip_data\}\)\ \{\n
             (?:(?!^\s*for\ my\ ).)*?
             \#\ consider\ adding\ CC_SPAM\ or\ CC_SPAMMY.*?)
            ^\s*\#\ consider\ adding\ CC_OVERSIZED/msx
  or die "the spam level decision loop not found in $source_file\n";
my $decide_loop = $1;
# the loop body continues past the oversize check; close it where the extract ends
my $decide_src = "sub {\n  my(\$msginfo) = \@_;\n  my \$mslm = [];\n$decide_loop\n  }\n}\n";

{
  no strict;
  # amavisd runs with "no warnings 'uninitialized'" (/usr/sbin/amavisd)
  eval "package Amavis; no warnings 'uninitialized'; $edits_sub; 1" or die "compiling amavis code: $@";
}
my $decide = eval "package Amavis; no strict 'vars'; no warnings 'uninitialized'; $decide_src"
  or die "compiling amavis decision code: $@";

$extra_code_antispam = 1;      # as after loading Amavis::SpamControl (Amavis.pm l.7310)
$extra_code_antispam_sa = 1;
# Debian's X_HEADER_LINE (conf.d/01-debian), a fixed host name, then amavis' own
# completion of the configuration (it adds X-Virus-Scanned to the allowed fields)
$Amavis::Conf::myhostname = 'mx.example.com';
$Amavis::Conf::mydomain = 'example.com';
$Amavis::Conf::X_HEADER_LINE = 'Debian amavis at example.com';
Amavis::Conf::supply_after_defaults();
my $allowed = cr('allowed_added_header_fields');
my $json = JSON::PP->new->canonical->utf8;

while (my $line = <STDIN>) {
  next if $line !~ /\S/;
  my $case = $json->decode($line);
  $Amavis::Conf::sa_tag_level_deflt  = $case->{tag_level};
  $Amavis::Conf::sa_tag2_level_deflt = $case->{tag2_level};
  $Amavis::Conf::sa_tag3_level_deflt = $case->{tag3_level};
  $Amavis::Conf::sa_kill_level_deflt = $case->{kill_level};
  $allowed->{'x-spam-report'} = $case->{report_header} ? 1 : 0;
  $Amavis::Conf::current_policy_bank{sa_spam_level_char} = $case->{level_char};

  my $text = $case->{message};
  utf8::encode($text);
  my $msginfo = Amavis::In::Message->new;
  $msginfo->mail_text_str(\$text);
  $msginfo->skip_bytes(0);
  # the original header section as amavis records it on receipt (In/Message.pm:
  # orig_header = folded fields with their LF, orig_header_fields = lc name -> index or
  # [indices]); amavis then deletes incoming X-Spam-* fields (remove_existing_spam_headers)
  my $head = (split /\n\n/, $text, 2)[0] . "\n";
  my (@fields, %indices);
  for my $field (split /^(?![ \t])/m, $head) {
    push @fields, $field;
    my ($name) = $field =~ /^([^:\s]+)\s*:/ or next;
    my $known = $indices{lc $name};
    $indices{lc $name} = !defined $known ? $#fields
                       : ref $known ? [@$known, $#fields] : [$known, $#fields];
  }
  $msginfo->orig_header(\@fields);
  $msginfo->orig_header_fields(\%indices);
  $msginfo->supplementary_info('AUTOLEARN', $case->{autolearn})
    if defined $case->{autolearn};
  my $r = Amavis::In::Message::PerRecip->new;
  $r->recip_addr('rcpt@example.org');
  $r->recip_addr_smtp('<rcpt@example.org>');
  $r->recip_is_local($case->{local} ? 1 : 0);
  $r->recip_done(0);
  $r->spam_level($case->{spam_level});
  my @tests = @{$case->{tests} || []};
  $r->spam_tests([map { my $t = $_; \$t } @tests]) if @tests;
  $r->recip_blacklisted_sender($case->{blacklisted} ? 1 : 0);
  $r->recip_whitelisted_sender($case->{whitelisted} ? 1 : 0);
  if (defined $case->{report}) {
    my $report = $case->{report};
    utf8::encode($report);
    $r->spam_report($report);
  }
  $msginfo->per_recip_data([$r]);

  $decide->($msginfo);
  my $hdr_edits = Amavis::Out::EditHeader->new;
  add_forwarding_header_edits_per_recip($msginfo, $hdr_edits, 0, 0, 1, 1, undef);

  my $out = "$outdir/$case->{id}.eml";
  my $buffer = '';
  open(my $fh, '>', \$buffer) or die "in-memory file: $!\n";
  $hdr_edits->write_header($msginfo, $fh, 0);
  close $fh;
  my $index = index($text, "\n\n");
  $buffer .= substr($text, $index + 2) if $index >= 0;
  open(my $oh, '>:raw', $out) or die "$out: $!\n";
  print $oh $buffer;
  close $oh;
  print $json->encode({
    id => $case->{id}, tagged => $out,
    do_tag => $r->is_in_contents_category(CC_CLEAN, 1) ? JSON::PP::true : JSON::PP::false,
    do_tag2 => $r->is_in_contents_category(CC_SPAMMY) ? JSON::PP::true : JSON::PP::false,
  }), "\n";
}
