# ruff: noqa: E501  (the embedded Perl introspection script keeps its lines)
"""``src/spamhdr/rules/_sa_tables.py`` against the installed SpamAssassin's own tables.

Loads SpamAssassin through its Perl API with an empty configuration plus one
``loadplugin`` line and lists the registered commands (name, ``CONF_TYPE``) and eval
functions (name, rule type), exactly how the tables were produced; compares for the core
and a few plugins the stock rules depend on.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from spamhdr.rules._sa_tables import BASE_COMMANDS, PLUGIN_COMMANDS, PLUGIN_EVALS

_TYPES = {"1": "string", "2": "bool", "3": "numeric", "4": "hash", "5": "addrlist",
          "6": "template", "7": "noargs", "8": "stringlist", "9": "ipaddrlist",
          "10": "duration", "code": "code"}  # fmt: skip
_PERL = r"""
use strict; use warnings;
use Mail::SpamAssassin;
my ($plugin, $dir) = @ARGV;
mkdir "$dir/rules"; mkdir "$dir/site";
open my $f, '>', "$dir/site/x.pre" or die; print $f "loadplugin $plugin\n" if $plugin ne '-'; close $f;
open $f, '>', "$dir/rules/empty.cf" or die; print $f "\n"; close $f;
my $sa = Mail::SpamAssassin->new({rules_filename => "$dir/rules", site_rules_filename => "$dir/site",
  userprefs_filename => "$dir/none", dont_copy_prefs => 1, local_tests_only => 1});
$sa->init(0);
my $conf = $sa->{conf};
my $lut = $conf->{parser}->{command_luts};
for my $k (sort keys %$lut) { my $c = $lut->{$k}; print "cmd\t$k\t", ($c->{code} ? 'code' : $c->{type} // '?'), "\n"; }
for my $k (sort keys %{$conf->{eval_plugins}}) { print "eval\t$k\t", ($conf->{eval_plugins_types}{$k} // 0), "\n"; }
"""


def introspect(plugin: str, tmp: Path) -> tuple[dict[str, str], dict[str, int]]:
    proc = subprocess.run(
        ["perl", "-e", _PERL, plugin, str(tmp)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    commands: dict[str, str] = {}
    evals: dict[str, int] = {}
    for line in proc.stdout.splitlines():
        fields = line.split("\t")
        if fields[0] == "cmd":
            commands[fields[1]] = _TYPES[fields[2]]
        elif fields[0] == "eval":
            evals[fields[1]] = int(fields[2] or 0)
    return commands, evals


def test_core_commands(spamassassin_bin: str, tmp_path: Path) -> None:
    commands, _ = introspect("-", tmp_path)
    assert commands == dict(BASE_COMMANDS)


@pytest.mark.parametrize("plugin", ["HeaderEval", "ReplaceTags", "MIMEHeader", "DNSEval"])
def test_plugin_commands_and_evals(spamassassin_bin: str, tmp_path: Path, plugin: str) -> None:
    commands, evals = introspect(f"Mail::SpamAssassin::Plugin::{plugin}", tmp_path)
    assert {k: v for k, v in commands.items() if k not in BASE_COMMANDS} == dict(
        PLUGIN_COMMANDS[plugin]
    )
    assert evals == dict(PLUGIN_EVALS[plugin])
