"""``if``/``ifplugin`` conditions: SpamAssassin's token classification and evaluation.

Input: the condition text, the set of plugins loaded so far, the ``enable_compat`` flags,
the current file name and :class:`~spamhdr.options.Options`. Output: a :class:`CondResult`
(true/false, or refused with SpamAssassin's message).

``Conf/Parser.pm handle_conditional`` tokenizes with the meta lexer and builds a Perl
string: ``plugin``/``can``/``has`` become method calls, ``version`` is 4.000001,
``perl_version`` 5.036000, ``local_tests_only`` 0/1, operators and (signed) numbers pass,
``Word::Word`` names become quoted strings (with the Dmarc → DMARC and WhiteListSubject →
WelcomeListSubject aliases); anything else refuses the whole line (spec §2.1). We parse the
same tokens with :mod:`spamhdr.rules.meta` and evaluate them ourselves (never ``eval``).

``can(Pkg::f)`` / ``has(Pkg::f)`` are answered from tables of the functions SpamAssassin
4.0.1 defines (all return true): ``Conf.pm`` features, ``compat_*`` from ``enable_compat``,
and each plugin's ``has_*`` functions, which exist only once that plugin is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from spamhdr.rules.meta import Call, MetaSyntaxError, evaluate_meta, parse_condition, perl_truth

__all__ = [
    "CONF_FUNCTIONS",
    "PLUGIN_FUNCTIONS",
    "PLUGIN_MODULES",
    "CondResult",
    "canonical_plugin",
    "evaluate_condition",
]

_PREFIX: Final = "Mail::SpamAssassin::Plugin::"
_CONF: Final = "Mail::SpamAssassin::Conf"

#: Plugin modules shipped with SpamAssassin 4.0.1 (``Mail/SpamAssassin/Plugin/*.pm``).
PLUGIN_MODULES: Final = frozenset(
    [
        "ASN",
        "AWL",
        "AccessDB",
        "AntiVirus",
        "AskDNS",
        "AuthRes",
        "AutoLearnThreshold",
        "Bayes",
        "BodyEval",
        "BodyRuleBaseExtractor",
        "Check",
        "DCC",
        "DKIM",
        "DMARC",
        "DNSEval",
        "DecodeShortURLs",
        "ExtractText",
        "FreeMail",
        "FromNameSpoof",
        "HTMLEval",
        "HTTPSMismatch",
        "HashBL",
        "HeaderEval",
        "ImageInfo",
        "MIMEEval",
        "MIMEHeader",
        "OLEVBMacro",
        "OneLineBodyRuleType",
        "P595Body",
        "PDFInfo",
        "PhishTag",
        "Phishing",
        "Pyzor",
        "Razor2",
        "RelayCountry",
        "RelayEval",
        "ReplaceTags",
        "ResourceLimits",
        "Reuse",
        "Rule2XSBody",
        "SPF",
        "Shortcircuit",
        "SpamCop",
        "Test",
        "TextCat",
        "TxRep",
        "URIDNSBL",
        "URIDetail",
        "URIEval",
        "URILocalBL",
        "VBounce",
        "WLBLEval",
        "WelcomeListSubject",
    ]
)

#: Functions of ``Mail::SpamAssassin::Conf`` usable in ``can()`` (Conf.pm ~5493–5518).
CONF_FUNCTIONS: Final = frozenset(
    [
        "feature_originating_ip_headers",
        "feature_dns_local_ports_permit_avoid",
        "feature_bayes_auto_learn_on_error",
        "feature_uri_host_listed",
        "feature_yesno_takes_args",
        "feature_bug6558_free",
        "feature_edns",
        "feature_dns_query_restriction",
        "feature_registryboundaries",
        "feature_geodb",
        "feature_dns_block_rule",
        "feature_compile_regexp",
        "feature_meta_rules_matching",
        "feature_subjprefix",
        "feature_bayes_stopwords",
        "feature_get_host",
        "feature_blocklist_welcomelist",
        "feature_welcomelist_blocklist",
        "feature_header_address_parser",
        "feature_local_tests_only",
        "feature_header_first_last",
        "feature_header_match_many",
        "feature_capture_rules",
        "has_tflags_nosubject",
        "has_tflags_nolog",
        "perl_min_version_5010000",
    ]
)

#: ``has_*`` functions per plugin module (``grep '^sub has_' Plugin/*.pm``).
PLUGIN_FUNCTIONS: Final[dict[str, frozenset[str]]] = {
    "HashBL": frozenset(
        [
            "has_hashbl_bodyre",
            "has_hashbl_bodyre_num",
            "has_hashbl_emails",
            "has_hashbl_uris",
            "has_hashbl_ignore",
            "has_hashbl_email_regex",
            "has_hashbl_email_welcomelist",
            "has_hashbl_email_whitelist",
            "has_hashbl_tag",
            "has_hashbl_sha256",
            "has_hashbl_attachments",
            "has_hashbl_email_domain",
            "has_hashbl_email_domain_alias",
        ]
    ),
    "URIDetail": frozenset({"has_host_key"}),
    "OLEVBMacro": frozenset(
        {"has_olemacro_redirect_uri", "has_olemacro_mhtml_uri", "has_olertfobject"}
    ),
    "Pyzor": frozenset({"has_fork", "has_perl"}),
    "Razor2": frozenset({"has_fork"}),
    "DNSEval": frozenset({"has_tflags_domains_only", "has_tflags_ips_only"}),
    "DecodeShortURLs": frozenset(
        [
            "has_short_url",
            "has_autoclean",
            "has_short_url_code",
            "has_user_agent",
            "has_get",
            "has_clear",
            "has_timeout",
            "has_max_redirections",
            "has_short_url_redir",
        ]
    ),
    "MIMEHeader": frozenset(
        [
            "has_all_header",
            "has_tflags_range",
            "has_tflags_concat",
            "has_tflags_multiple",
            "has_capture_rules",
        ]
    ),
    "URIDNSBL": frozenset(
        [
            "has_tflags_domains_only",
            "has_subtest_for_ranges",
            "has_uridnsbl_for_a",
            "has_uridnsbl_a_ns",
            "has_tflags_notrim",
            "has_uridnsbl_skip_mailto",
        ]
    ),
    "AskDNS": frozenset({"has_tag_header"}),
    "ASN": frozenset(
        {"has_asn_lookup_ipv6", "has_asn_geodb", "has_check_asn", "has_check_asn_tag"}
    ),
    "SPF": frozenset({"has_check_for_spf_errors", "has_check_spf_skipped_noenvfrom"}),
    "BodyEval": frozenset({"has_check_body_length", "has_plaintext_body_sig_ratio"}),
    "DKIM": frozenset({"has_arc"}),
    "MIMEEval": frozenset(
        {
            "has_check_for_ascii_text_illegal",
            "has_check_abundant_unicode_ratio",
            "has_check_qp_ratio",
        }
    ),
}

_ALIASES: Final = {
    _PREFIX + "Dmarc": _PREFIX + "DMARC",
    _PREFIX + "WhiteListSubject": _PREFIX + "WelcomeListSubject",
}
_OPERATOR_OR_NUMBER: Final = re.compile(r"(?:\W{1,5}|[+-]?\d+(?:\.\d+)?)\Z", re.ASCII)
_CLASS_LIKE: Final = re.compile(r"\w[\w:]+\Z", re.ASCII)
_CLASS_STRICT: Final = re.compile(r"(?:\w+::){0,10}\w+\Z", re.ASCII)
_LEXER: Final = re.compile(
    r"[\-+\d.]+|\w[\w:]*|[()]|\|\||&&|\^|!(?!=)|>=?|<=?|==|!=|[+\-*/]|[?:]", re.ASCII
)
VERSION: Final = "4.000001"
PERL_VERSION: Final = "5.036000"


def canonical_plugin(name: str) -> str:
    """Apply SpamAssassin's plugin-name aliases (Conf.pm loadplugin, Parser.pm)."""
    return _ALIASES.get(name, name)


@dataclass(frozen=True, slots=True)
class CondResult:
    """Outcome of a condition: ``value`` when evaluated, else ``refused`` with the message
    (``kind``: ``bad-condition`` refuses the line, ``condition-error`` makes it false)."""

    value: bool
    refused: bool = False
    kind: str | None = None
    message: str | None = None


def evaluate_condition(
    text: str,
    *,
    plugins: Collection[str],
    compat: Collection[str],
    local_tests_only: bool,
    in_user_prefs: bool = False,
) -> CondResult:
    """Evaluate an ``if`` expression (``ifplugin X`` is ``plugin (X)``)."""
    tokens: list[str] = []
    for token in _LEXER.findall(text):
        if token in ("(", ")", "!"):
            tokens.append(token)
        elif token in ("plugin", "can", "has"):
            tokens.append("\x00" + token)
        elif token == "version":
            tokens.append(VERSION)
        elif token == "perl_version":
            tokens.append(PERL_VERSION)
        elif token == "local_tests_only":
            tokens.append("1" if local_tests_only else "0")
        elif _OPERATOR_OR_NUMBER.match(token):
            if token[0] in "+-" and len(token) > 1 and token[1:2].isdigit():
                tokens.extend((token[0], token[1:]))
            else:
                tokens.append(token)
        elif _CLASS_LIKE.match(token):
            if not _CLASS_STRICT.match(token):
                return CondResult(False, True, "bad-condition", f"not allowed value '{token}'")
            tokens.append("'" + canonical_plugin(token))
        else:
            return CondResult(False, True, "bad-condition", f"unparseable value '{token}'")

    warnings: list[tuple[str, str]] = []

    def call(node: Call) -> float | str:
        arg = node.argument
        if node.function == "plugin":
            if arg == _PREFIX + "RaciallyCharged":
                return 1
            return 1 if arg is not None and arg in plugins else ""
        if node.function == "can" and in_user_prefs:
            # Parser.pm cond_clause_can: a plain warn(), not a lint issue.
            warnings.append(("user-prefs-can", f"'if can {arg}' not available in user_prefs"))
            return ""
        if arg is None or "::" not in arg:
            message = f"bad 'if' line, cannot find '::' in {node.function}({arg or ''})"
            warnings.append(("bad-condition", message))
            return ""
        module, _, function = arg.rpartition("::")
        if module == _CONF:
            known = function in CONF_FUNCTIONS or (
                function.startswith("compat_") and function[7:] in compat
            )
            return 1 if known else ""
        if module.startswith(_PREFIX) and module in plugins:
            short = module[len(_PREFIX) :]
            return 1 if function in PLUGIN_FUNCTIONS.get(short, frozenset()) else ""
        return ""

    try:
        tree = parse_condition(tokens)
        value = evaluate_meta(tree, lambda _name: 0, call)
    except (MetaSyntaxError, ZeroDivisionError) as exc:
        return CondResult(False, False, "condition-error", f"error parsing conditional: {exc}")
    if warnings:
        return CondResult(perl_truth(value), False, warnings[0][0], warnings[0][1])
    return CondResult(perl_truth(value))
