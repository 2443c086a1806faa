#!/usr/bin/perl
# Compiles rule regexes with SpamAssassin 4.0.1's own Mail::SpamAssassin::Util::compile_regexp,
# as Conf/Parser.pm add_test does for a rule definition (delimiters stripped; always-matching
# regexps refused only with --lint). Written for spamhdr's differential tests.
#
# usage: sa_regex.pl [--lint] < regexes.jsonl > results.jsonl
#   input: one JSON string per line (the regex as the rule spells it, after comment removal)
#   output: one JSON array per line: [compiled regex stringified, null] or [null, error]
# JSON is ASCII: code points U+0080-U+00FF stand for the bytes 0x80-0xFF.
use strict;
use warnings;
use Getopt::Long;
use JSON::PP;
use Mail::SpamAssassin::Util qw(compile_regexp);

my $lint = 0;
GetOptions('lint' => \$lint) or die "bad options\n";
my $json = JSON::PP->new->ascii->canonical;
binmode STDIN;
binmode STDOUT;
while (my $line = <STDIN>) {
  chomp $line;
  my $re = $json->decode($line);
  utf8::downgrade($re);  # the rule text is bytes, as in a .cf file
  my ($rec, $err) = compile_regexp($re, 1, $lint);
  print $json->encode($rec ? ["$rec", undef] : [undef, $err]), "\n";
}
