"""Rule directives of plugins: ``mimeheader``, ``askdns``, ``uri_detail``, ``uri_block_*``,
``shortcircuit``.

Input: the parse state, the key, the value text and its column (a directive handler).
Output: rule definitions recorded through :func:`~spamhdr.rules.rule_defs.add_test` and the
tables the plugins change, or a diagnostic. Each handler follows the plugin module of
SpamAssassin 4.0.1 named in its docstring (``Plugin/*.pm``); the handlers are only reached
when the plugin is loaded (:func:`spamhdr.rules.directives.find_handler`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Final

from spamhdr.rules.ast import RuleDef
from spamhdr.rules.parser import Handler, ParseState
from spamhdr.rules.perl_regex import RegexProblem, compile_perl_regex
from spamhdr.rules.rule_defs import CAPTURE_GROUP, IF_UNSET, add_test, check_name

__all__ = ["PLUGIN_RULE_HANDLERS"]


def _mimeheader(state: ParseState, key: str, value: str, col: int) -> None:
    match = re.match(r"([_a-zA-Z][_a-zA-Z0-9]{0,127})\s+", value)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    name, rest = match.group(1), value[match.end() :]
    if rest == "":
        state.report("missing-value", f"missing '{key}' value")
        return
    test = re.match(r"([^:\s]+(?::(?:raw)?)?)\s*([=!]~)\s*(.+)\Z", rest, re.S)
    if test is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    spec, operator, pattern = test.group(1).removesuffix(":"), test.group(2), test.group(3)
    if_unset = None
    unset = IF_UNSET.search(pattern)
    if unset:
        if_unset, pattern = unset.group(1), pattern[: unset.start()]
    compiled = compile_perl_regex(pattern)
    if isinstance(compiled, RegexProblem):
        # MIMEHeader logs this with info() and returns INVALID_VALUE.
        state.report("invalid-value", f"invalid '{key}' value ({compiled.message})")
        return
    header, *modifiers = spec.split(":")
    definition = RuleDef(
        name,
        "mimeheader",
        rest,
        state.file,
        state.line,
        header=header,
        modifiers=tuple(modifiers),
        operator=operator,
        regex=compiled,
        if_unset=if_unset,
        eval=f"_mimeheader_eval_{name}()",
    )
    if name in state.mimeheader_evals:
        # MIMEHeader.pm replaces the rule's entry in mimeheader_tests but does not
        # re-register its eval sub ("don't redefine the subroutine"): the test keeps its
        # first definition's place and its type, even if another type replaced it since.
        current = state.defs.get(name)
        if current is not None and current.type == "mimeheader":
            state.defs[name] = replace(definition, file=current.file, line=current.line)
        return
    state.mimeheader_evals.add(name)
    if not check_name(state, name, col):
        return
    add_test(state, definition)
    if CAPTURE_GROUP.search(compiled.pattern):
        state.priority[name] = -10000  # parse_captures on the compiled rule


_ASKDNS: Final = re.compile(r"(\S+)\s+(\S+)(?:\s+([A-Za-z0-9,]+)(?:\s+(.*?))?)?\s*\Z", re.S)
_DNS_TYPES: Final = frozenset(
    [
        "ANY",
        "A",
        "AAAA",
        "MX",
        "TXT",
        "PTR",
        "NAPTR",
        "NS",
        "SOA",
        "CERT",
        "CNAME",
        "DNAME",
        "DHCID",
        "HINFO",
        "MINFO",
        "RP",
        "HIP",
        "IPSECKEY",
        "KX",
        "LOC",
        "GPOS",
        "SRV",
        "OPENPGPKEY",
        "SSHFP",
        "SPF",
        "TLSA",
        "URI",
        "CAA",
        "CSYNC",
    ]
)
_RCODES: Final = frozenset(
    [
        "NOERROR",
        "FORMERR",
        "SERVFAIL",
        "NXDOMAIN",
        "NOTIMP",
        "REFUSED",
        "YXDOMAIN",
        "YXRRSET",
        "NXRRSET",
        "NOTAUTH",
        "NOTZONE",
        "BADVERS",
        "BADSIG",
        "BADKEY",
        "BADTIME",
        "BADMODE",
        "BADNAME",
        "BADALG",
        "BADTRUNC",
    ]
)
_NUMBER_PART: Final = re.compile(
    r"(?:\d{1,10}|0x[0-9a-zA-Z]{1,8}|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\Z", re.ASCII
)


def _askdns_subtest_valid(subtest: str) -> bool:
    """``AskDNS.pm parse_and_canonicalize_subtest`` accepts it."""
    if re.match(r"/.+/[a-z]*\Z", subtest, re.S) or re.match(
        r"m(\W).+(\W)[a-z]*\Z", subtest, re.S | re.ASCII
    ):
        return not isinstance(compile_perl_regex(subtest), RegexProblem)
    if re.match(r"([\"']).*\1\Z", subtest, re.S):
        return True
    rcodes = re.match(
        r"\[((?:[A-Z]+|\d+)(?:\s*,\s*(?:[A-Z]+|\d+))*)\]\Z", subtest, re.I | re.S | re.A
    )
    if rcodes:
        codes = re.split(r"\s*,\s*", rcodes.group(1).upper())
        return all(code in _RCODES or code.isdigit() for code in codes)
    numbers = re.match(r"([^/-]+)(?:([/-])(.+))?\Z", subtest, re.S)
    if numbers:
        parts = (numbers.group(1), numbers.group(3))
        return all(part is None or _NUMBER_PART.match(part) for part in parts)
    return False


def _askdns(state: ParseState, key: str, value: str, col: int) -> None:
    """AskDNS.pm ``askdns NAME QUERY [TYPES [SUBTEST]]``: an empty test (so scores and lint
    work), after the plugin's checks of the answer types and the subtest."""
    if not value:
        state.report("missing-value", f"missing '{key}' value")
        return
    match = _ASKDNS.match(value)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    name, _query, types, subtest = match.groups()
    if any(t not in _DNS_TYPES for t in (types or "A").upper().split(",")):
        state.report("invalid-value", f"invalid '{key}' value")
        return
    if subtest is not None and not _askdns_subtest_valid(subtest):
        state.report("invalid-value", f"invalid '{key}' value")
        return
    if check_name(state, name, col):
        add_test(state, RuleDef(name, "empty", None, state.file, state.line))


_URI_DETAIL: Final = re.compile(
    r"\b(\w+)\b\s*([=!]~)\s*((?:/.*?/|m(\W).*?\4)[imsx]*)(?=\s|\Z)", re.ASCII
)
_URI_DETAIL_TARGETS: Final = frozenset(("raw", "type", "cleaned", "text", "domain", "host"))


def _uri_detail(state: ParseState, key: str, value: str, col: int) -> None:
    """URIDetail.pm ``uri_detail NAME target =~ /re/ …``: a body eval ``check_uri_detail()``
    when at least one criterion is valid; any bad target or regex refuses the line."""
    match = re.match(r"(\S+)\s+(.+)\Z", value)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    name, criteria = match.groups()
    added = False
    for criterion in _URI_DETAIL.finditer(criteria):
        if criterion.group(1) not in _URI_DETAIL_TARGETS:
            state.report("invalid-value", f"invalid '{key}' value")
            return
        if isinstance(compile_perl_regex(criterion.group(3)), RegexProblem):
            state.report("invalid-value", f"invalid '{key}' value")
            return
        added = True
    if not added:
        state.report("invalid-value", f"invalid '{key}' value (failed to add invalid rule {name})")
        return
    if check_name(state, name, col):
        add_test(
            state,
            RuleDef(
                name,
                "body_eval",
                "check_uri_detail()",
                state.file,
                state.line,
                operator="eval",
                eval="check_uri_detail()",
            ),
        )


def _uri_block(state: ParseState, key: str, value: str, col: int) -> None:
    """URILocalBL.pm ``uri_block_* NAME args``: a body eval ``check_uri_local_bl()``
    at priority -100 (the plugin sets it after adding the test)."""
    match = re.match(r"([_a-zA-Z][_a-zA-Z0-9]{0,127})\s+(.+?)\s*\Z", value, re.ASCII)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    name = match.group(1)
    if check_name(state, name, col):
        function = "check_uri_local_bl()"
        add_test(
            state,
            RuleDef(
                name, "body_eval", function, state.file, state.line, operator="eval", eval=function
            ),
        )
    state.priority[name] = -100


def _shortcircuit(state: ParseState, key: str, value: str, col: int) -> None:
    """Shortcircuit.pm ``shortcircuit RULE ham|spam|on|off``: ``ham``/``spam`` also give
    the rule priority -200 unless it has a non-zero one, and append ``nice`` (ham) and
    ``noautolearn`` to its tflags."""
    if not value:
        state.report("missing-value", f"missing '{key}' value")
        return
    match = re.match(r"(\w+)\s+(\w+)\Z", value, re.ASCII)
    if match is None or match.group(2) not in ("ham", "spam", "on", "off"):
        state.report("invalid-value", f"invalid '{key}' value")
        return
    rule, kind = match.groups()
    if kind in ("ham", "spam"):
        if not state.priority.get(rule):
            state.priority[rule] = -200
        current = state.tflags.get(rule, "")
        added = ("nice " if kind == "ham" else "") + "noautolearn"
        state.tflags[rule] = f"{current} {added}" if current and current != "0" else added


PLUGIN_RULE_HANDLERS: Final[dict[str, Handler]] = {
    "mimeheader": _mimeheader,
    "askdns": _askdns,
    "uri_detail": _uri_detail,
    "uri_block_cc": _uri_block,
    "uri_block_cont": _uri_block,
    "uri_block_cidr": _uri_block,
    "uri_block_isp": _uri_block,
    "uri_block_exclude": _uri_block,
    "shortcircuit": _shortcircuit,
}
