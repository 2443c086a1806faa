"""Hypothesis strategies for SpamAssassin rule files (shared by the rules differential tests).

:func:`rule_batch` writes whole batches of ``.cf`` files as postmasters (and typos) write
them; :func:`regex_text` one rule regex, well formed (:func:`well_formed`) or thrown
together from pieces Perl accepts or refuses. Not a test module.
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = [
    "EXTRA_PLUGINS",
    "FAMILY_NAMES",
    "GEN_NAMES",
    "regex_text",
    "rule_batch",
    "well_formed",
]

# --- generation ---------------------------------------------------------------------------

# Rule names: generated ones (redefined across types on purpose), stock ones to override,
# undefined ones for metas, and names SpamAssassin refuses or warns about.
GEN_NAMES = (
    "GEN_A",
    "GEN_B",
    "__GEN_C",
    "T_GEN_D",
    "GEN_E",
    "__GEN_F",
    "GEN_G",
    "T__GEN_H",
    "__GEN_I",
    "GEN_J",
    "Z",
)
STOCK_NAMES = (
    "FROM_NO_USER",
    "__HAS_DATE",
    "SUBJECT_FUZZY_TION",
    "LOTS_OF_MONEY",
    "ALL_TRUSTED",
    "__GB_TO_ADDR",
    "MISSING_DATE",
    "__ML1",
    "RCVD_IN_DNSWL_HI",
)
ODD_NAMES = (
    "1BAD",
    "GEN-DASH",
    "GEN_" + "L" * 40,
    "__GEN_" + "L" * 40,
    "GEN_" + "X" * 100,
    "gen_lower",
)
rule_name = st.one_of(
    st.sampled_from(GEN_NAMES),
    st.sampled_from(GEN_NAMES),
    st.sampled_from(STOCK_NAMES),
    st.sampled_from(ODD_NAMES),
)
# Names only header/body-like rules get: rules_matching(__FAM_*) globs over them.
FAMILY_NAMES = ("__FAM_1", "__FAM_2", "__FAM_LONG")
test_name = st.one_of(rule_name, st.sampled_from(FAMILY_NAMES))
meta_operand_name = st.one_of(
    st.sampled_from(GEN_NAMES),
    st.sampled_from(STOCK_NAMES),
    st.sampled_from(("UNDEFINED_X", "DCC_CHECK", "and", "local_tests_only")),
)

HEADERS = (
    "Subject",
    "From",
    "To",
    "X-Mailer",
    "ALL",
    "ToCc",
    "MESSAGEID",
    "EnvelopeFrom",
    "Received",
    "X-Spam-Relays-External",
    "Message-ID",
    "x.y_z",
    "MessageID",
)
MODIFIERS = ("raw", "addr", "name", "host", "domain", "ip", "revip", "first", "last")
BAD_MODIFIERS = ("RAW", "bogus", "Addr", "rawx")

# Regex pattern pieces: ordinary Perl, escapes SpamAssassin cares about, ReplaceTags
# placeholders, captures, and pieces Perl refuses.
PIECES = (
    "foo",
    "Bar",
    "viagra",
    r"\d+",
    "[a-z]{2,5}",
    "(?:a|b)",
    r"\bword\b",
    "^",
    "$",
    ".*?",
    r"\s+",
    r"\#",
    r"\xe9",
    "\xe9",
    "\xc3\xa9",
    r"\e",
    r"\z",
    r"\Z",
    r"\A",
    "(?i)",
    "(?-i:X)",
    "[[:alpha:]]",
    "[[:^digit:]]",
    "(?<CAP>x)",
    "(?P<Cap>y)",
    "(?<lower>z)",
    "%{CAPTAG}",
    "%{GEN_TAG(x)}",
    "<GT1>",
    "<GT2>",
    "<<GT1>>",
    "<A>",
    "<UNKNOWN_TAG>",
    "<post GP>",
    "<pre GR>",
    "<inter GI>",
    "<inter W2>",
    r"\.",
    "(",
    ")",
    r"\y",
    "||",
    "|",
    "{",
    "}",
    "{2}",
    " ",
    "@",
    "%",
    r"\\",
    r"\/",
    "/",
    "!",
    ",",
    r"\!",
    "a{2,}",
    "x++",
    "(?>ab)",
    "(?{ 1 })",
    r"(a)\1",
    r"\x{41}",
    r"\x{263a}",
    "[^\\n]",
    r"\t",
    r"\015",
    r"\cA",
    r"\o{101}",
    "(?#note)",
    "#",
    "[]a]",
    "[a-]",
    "[z-a]",
    "*",
    "?",
    "a**",
    r"\K",
    r"\h",
    r"\v",
    r"\R",
    r"\G",
    r"\Qx",
    r"\E",
    r"\N",
    "(?|a)",
    "(?=x)",
    "(?<=ab)",
    "(?<!a+)",
)
# (opening, closing) delimiters; "" closing means the closing is the opening.
DELIMITERS = (
    ("/", "/"),
    ("/", "/"),
    ("/", "/"),
    ("m{", "}"),
    ("m(", ")"),
    ("m<", ">"),
    ("m[", "]"),
    ("m!", "!"),
    ("m,", ","),
    ("m|", "|"),
    ("qr/", "/"),
    ("qr{", "}"),
    ("m\\#", "\\#"),
    ("m\\", "\\"),
    ("", ""),
    ("x/", "/"),
    ("/", ""),
)
# Modifiers after the closing delimiter ("" twice: most rules have none).
FLAGS = ("", "", "i", "m", "s", "x", "ims", "is", "ix", "g", "o", "e")
FLAGS_RARE = ("aa", "xx", "p", "c", "u", "l")


# Atoms of well-formed Perl regexes (what real rule files are made of).
ATOMS = (
    "a",
    "Z",
    "7",
    r"\.",
    r"\/",
    r"\$",
    r"\(",
    r"\d",
    r"\D",
    r"\w",
    r"\W",
    r"\s",
    r"\S",
    ".",
    r"\x41",
    r"\xe9",
    r"\x{42}",
    r"\101",
    r"\t",
    r"\n",
    r"\r",
    r"\f",
    r"\e",
    r"\a",
    r"\cM",
    r"\-",
    r"\@",
    "@",
    "%",
    "-",
    "_",
    "'",
    '"',
    "\xc3\xa9",
    r"\#",
)
CLASSES = (
    "[a-z]",
    "[^a-z0-9]",
    r"[\w.-]",
    r"[\s\S]",
    "[[:alpha:]]",
    "[[:^space:][:digit:]]",
    r"[\x80-\xff]",
    "[]a]",
    "[^]]",
    r"[a\]]",
    "[-a]",
    "[a-]",
    r"[\d-z]",
    r"[\/]",
    "[.*+?]",
)
ANCHORS = ("^", "$", r"\b", r"\B", r"\A", r"\z", r"\Z", r"\G")
QUANTIFIERS = ("*", "+", "?", "{2}", "{1,}", "{0,3}", "*?", "+?", "??", "{1,2}?", "++", "?+")


@st.composite
def well_formed(draw: st.DrawFn, depth: int = 0) -> str:
    """A syntactically valid Perl regex body (no delimiters)."""
    alternatives = []
    for _ in range(draw(st.integers(1, 3 if depth < 2 else 1))):
        parts = []
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(("atom",) * 4 + ("class", "anchor", "group")))
            if kind == "atom":
                part = draw(st.sampled_from(ATOMS))
            elif kind == "class":
                part = draw(st.sampled_from(CLASSES))
            elif kind == "anchor":
                parts.append(draw(st.sampled_from(ANCHORS)))
                continue
            elif depth < 2:
                opener = draw(
                    st.sampled_from(
                        ("(", "(?:", "(?i:", "(?-i:", "(?=", "(?!", "(?<=", "(?<NAMED>", "(?>")
                    )
                )
                inner = draw(well_formed(depth + 1))
                if opener == "(?<=":
                    inner = "ab"  # Perl look-behind must be of fixed (or short) width
                part = f"{opener}{inner})"
            else:
                part = "x"
            if draw(st.integers(0, 3)) == 0:
                part += draw(st.sampled_from(QUANTIFIERS))
            parts.append(part)
        alternatives.append("".join(parts))
    body = "|".join(alternatives)
    if depth == 0 and "(" in body and draw(st.integers(0, 4)) == 0:
        body += r"\1"
    return body


@st.composite
def regex_text(draw: st.DrawFn) -> str:
    """A delimited Perl regex as a rule file spells it (``\\#`` for ``#``): well formed,
    or pieces thrown together (often refused)."""
    opening, closing = draw(st.sampled_from(DELIMITERS))
    if draw(st.booleans()):
        body = draw(well_formed())
        if closing and closing not in "})]":
            body = body.replace(closing, "\\" + closing)
        flags = draw(st.sampled_from(FLAGS))
        return f"{opening}{body}{closing}{flags}"
    pieces = draw(st.lists(st.sampled_from(PIECES), min_size=0, max_size=6))
    if draw(st.integers(0, 9)) == 0:
        pieces = []
    body = "".join(pieces)
    if draw(st.booleans()) and len(pieces) > 1:
        body = "".join(sorted(pieces, key=lambda p: p in "()|{}#"))
    flags = draw(st.sampled_from(FLAGS + FLAGS_RARE))
    return f"{opening}{body}{closing}{flags}"


@st.composite
def header_spec(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(HEADERS))
    count = draw(st.sampled_from((0, 0, 0, 1, 1, 2, 3)))
    modifiers = [draw(st.sampled_from(MODIFIERS)) for _ in range(count)]
    if draw(st.integers(0, 7)) == 0:
        modifiers.append(draw(st.sampled_from(BAD_MODIFIERS)))
    spec = ":".join((name, *modifiers))
    if draw(st.integers(0, 7)) == 0:
        spec += ":"
    return spec


@st.composite
def header_line(draw: st.DrawFn) -> str:
    name = draw(test_name)
    form = draw(st.sampled_from(("regex",) * 6 + ("exists", "eval", "rbleval", "broken")))
    if form == "exists":
        target = draw(st.sampled_from((*HEADERS, "Foo Bar", "X-Y:", "Bad!")))
        return f"header {name} exists:{target}"
    if form in ("eval", "rbleval"):
        call = draw(
            st.sampled_from(
                (
                    "check_for_missing_to_header()",
                    "check_header_count_range('Received','20','100')",
                    "check_rbl('gen','zen.example.com.')",
                    "check_rbl_sub('gen', '127.0.0.2')",
                    "check_dns_sender()",
                    "check_illegal_chars('Subject','0.5','2')",
                    "check_no_such_function()",
                    "check_freemail_header('From')",
                    "check_for_shifted_date('-6', '-3')",
                    "check_for_mime('mime_base64_count')",
                    "check_from_in_list(  )",
                    "check_header_count_range(Received, 1 2)",
                    "noparen",
                    "check_for_missing_to_header() trailing",
                )
            )
        )
        return f"header {name} {form}:{call}"
    if form == "broken":
        return draw(
            st.sampled_from(
                (
                    f"header {name}",
                    f"header {name} Subject =~",
                    f"header {name} Subject ~= /x/",
                    f"header {name} From:addr:name:raw =~ /x/",
                    f"header {name} Subject /x/",
                    "header",
                )
            )
        )
    spec = draw(header_spec())
    op = draw(st.sampled_from(("=~", "=~", "!~")))
    space = draw(st.sampled_from((" ", " ", "", "  ", "\t")))
    line = f"header {name} {spec}{space}{op}{space}{draw(regex_text())}"
    unset = draw(
        st.sampled_from(
            ("",) * 6 + (" [if-unset: unset@unset.unset]", " [if-unset: a]b]", "[if-unset:x]")
        )
    )
    return line + unset


@st.composite
def meta_expression(draw: st.DrawFn) -> str:
    def operand() -> str:
        kind = draw(st.sampled_from(("name",) * 5 + ("number", "not", "paren", "glob")))
        if kind == "number":
            return draw(st.sampled_from(("0", "1", "2", "1.5", "10")))
        if kind == "not":
            return "!" + draw(meta_operand_name)
        if kind == "paren":
            inner = draw(meta_operand_name) + " || " + draw(meta_operand_name)
            return f"({inner})"
        if kind == "glob":
            # __FAM_* names are never metas; GEN_* and __GEN_? may match the meta itself.
            glob = draw(st.sampled_from(("__FAM_*", "__FAM_?", "NOPE*", "GEN_*", "__GEN_?")))
            return f"rules_matching({glob})"
        return draw(meta_operand_name)

    operators = ("&&", "||", "+", "-", "*", ">", "<", ">=", "==", "!=", "^", "&&&", "/ 2")
    parts = [operand()]
    for _ in range(draw(st.integers(0, 4))):
        parts.append(draw(st.sampled_from(operators)))
        parts.append(operand())
    gap = draw(st.sampled_from((" ", " ", "", "  ")))
    text = gap.join(parts)
    noise = draw(
        st.sampled_from(
            ("",) * 10
            + (" > -1", "+1", " ** 2", " $x", " abs(X)", " ? 1 : 0", " / GEN_A", " GEN_B", ";")
        )
    )
    special = draw(st.sampled_from(("",) * 14 + ("()", "( )", "1", "local_tests_only", "0")))
    return special or text + noise


@st.composite
def meta_line(draw: st.DrawFn) -> str:
    return f"meta {draw(rule_name)} {draw(meta_expression())}"


@st.composite
def other_rule_line(draw: st.DrawFn) -> str:
    name = draw(test_name)
    kind = draw(st.sampled_from(("body", "rawbody", "full", "uri", "mimeheader")))
    if kind == "mimeheader":
        spec = draw(st.sampled_from(("Content-Type", "Content-Type:raw", "X-Foo:", "Bad:addr")))
        op = draw(st.sampled_from(("=~", "!~")))
        unset = draw(st.sampled_from(("", "", " [if-unset: none]")))
        return f"mimeheader {name} {spec} {op} {draw(regex_text())}{unset}"
    if kind != "uri" and draw(st.integers(0, 3)) == 0:
        call = draw(
            st.sampled_from(
                (
                    "check_body_length('500')",
                    "check_for_mime('mime_base64_count')",
                    "check_stock_info('5')",
                    "check_unknown_thing()",
                    "check_for_missing_to_header()",
                    "broken(",
                )
            )
        )
        return f"{kind} {name} eval:{call}"
    return f"{kind} {name} {draw(regex_text())}"


@st.composite
def setting_line(draw: st.DrawFn) -> str:
    name = draw(st.one_of(rule_name, st.sampled_from(("NO_SUCH_RULE",))))
    kind = draw(st.sampled_from(("score",) * 3 + ("tflags",) * 2 + ("priority", "describe")))
    if kind == "score":
        number = st.sampled_from(("1", "2.5", "-1", "0", "0.001", "00.50", "-0", "3.0"))
        values = [draw(number) for _ in range(draw(st.sampled_from((1, 1, 4, 4, 2, 0))))]
        if values and draw(st.integers(0, 3)) == 0:
            values = [f"({v})" for v in values]
        if values and draw(st.integers(0, 9)) == 0:
            values[0] = draw(st.sampled_from(("+1", "1.", ".5", "1e3", "abc", "(1")))
        return f"score {name} " + " ".join(values)
    if kind == "tflags":
        flags = draw(
            st.lists(
                st.sampled_from(
                    (
                        # SpamAssassin loops forever on "!~" with multiple and no maxhits
                        # (spec §5.7) when --lint runs its test message.
                        "multiple maxhits=2",
                        "maxhits=3",
                        "maxhits=5",
                        "nice",
                        "net",
                        "publish",
                        "learn",
                        "noautolearn",
                        "userconf",
                        "autolearn_force",
                        "nosubject",
                        "a",
                        "domains_only",
                        "range=1-2",
                    )
                ),
                max_size=4,
            )
        )
        return f"tflags {name} " + draw(st.sampled_from((" ", "  "))).join(flags)
    if kind == "priority":
        value = draw(st.sampled_from(("-10", "5", "500", "-2000", "0", "007", "x", "1.5", "")))
        return f"priority {name} {value}"
    text = draw(st.sampled_from(("Generated rule", "Text with # comment", "", "Ünïcödé")))
    prefix = draw(st.sampled_from(("",) * 4 + ("lang de ", "lang en ", "lang C ", "lang e. ")))
    return f"{prefix}describe {name} {text}"


replace_tags_line = st.sampled_from(
    (
        "replace_tag GT1 (?:g|q)",
        "replace_tag GT2 <GT1>[0o]",
        "replace_tag GT1 x(",
        "replace_tag A (?:a|4)",
        "replace_pre GR \\b",
        "replace_inter GI \\W{0,2}",
        "replace_post GP {1,2}",
        "replace_rules GEN_A GEN_B __GEN_C",
        "replace_rules T_GEN_D GEN_G FROM_NO_USER",
        "replace_rules GEN_E",
        "replace_tag",
    )
)

CONDITIONS = (
    "ifplugin Mail::SpamAssassin::Plugin::HeaderEval",
    "ifplugin Mail::SpamAssassin::Plugin::PDFInfo",
    "ifplugin Mail::SpamAssassin::Plugin::Dmarc",
    "ifplugin Mail::SpamAssassin::Plugin::WhiteListSubject",
    "ifplugin Mail::SpamAssassin::Plugin::NoSuchPlugin",
    "if plugin(Mail::SpamAssassin::Plugin::ReplaceTags)",
    "if !plugin(Mail::SpamAssassin::Plugin::ReplaceTags)",
    "if can(Mail::SpamAssassin::Conf::feature_capture_rules)",
    "if can(Mail::SpamAssassin::Conf::feature_no_such_thing)",
    "if has(Mail::SpamAssassin::Plugin::BodyEval::has_check_body_length)",
    "if can(Mail::SpamAssassin::Conf::compat_welcomelist_blocklist)",
    "if version >= 4.000000",
    "if (version > 3.004) && !plugin(Mail::SpamAssassin::Plugin::DCC)",
    "if version < 4.0",
    "if local_tests_only",
    "if !local_tests_only",
    "if perl_version >= 5.010",
    "if foo bar",
    "if can(nocolons)",
    "if 1",
    "if (0)",
    "ifplugin",
)


@st.composite
def plain_line(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(
            ("header",) * 8
            + ("meta",) * 4
            + ("other",) * 2
            + ("setting",) * 5
            + ("replace", "misc", "comment")
        )
    )
    if kind == "header":
        line = draw(header_line())
    elif kind == "meta":
        line = draw(meta_line())
    elif kind == "other":
        line = draw(other_rule_line())
    elif kind == "setting":
        line = draw(setting_line())
    elif kind == "replace":
        line = draw(replace_tags_line)
    elif kind == "comment":
        line = draw(st.sampled_from(("# a comment", "   # indented", "", "\t")))
    else:
        line = draw(
            st.sampled_from(
                (
                    "bogus_directive foo",
                    "ok_languages en",
                    "reuse GEN_J",
                    "reuse GEN_A OLD_GEN_A",
                    "reuse",
                    "askdns GEN_E _SENDERDOMAIN_ A 127.0.0.2",
                    "test GEN_A ok foo",
                    "required_score 6",
                    "require_version @@VERSION@@",
                    "loadplugin Mail::SpamAssassin::Plugin::PDFInfo",
                    "loadplugin Mail::SpamAssassin::Plugin::NoSuchPlugin",
                    "endif extra",
                    "else extra",
                    "lang",
                    "score",
                    "meta GEN_A",
                    "HEADER GEN_UPPER Subject =~ /upper-case directive/",
                    "header-x GEN_A foo",
                    "shortcircuit GEN_A spam",
                    "shortcircuit __FAM_1 ham",
                    "shortcircuit GEN_B on",
                    "shortcircuit GEN_B maybe",
                    "uri_detail GEN_E host =~ /example/i",
                    "uri_detail GEN_G nope =~ /x/",
                    "lang de header GEN_G Subject =~ /deutsch/",
                    "lang en score GEN_B 3",
                    "replace_start <<",
                    "replace_end >>",
                )
            )
        )
    indent = draw(st.sampled_from(("",) * 6 + ("  ", "\t")))
    trailer = draw(st.sampled_from(("",) * 8 + ("   ", " # trailing comment", "\r")))
    return indent + line + trailer


@st.composite
def block(draw: st.DrawFn, depth: int = 0) -> list[str]:
    """Lines, some wrapped in (possibly nested, possibly unbalanced) conditionals."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(("line",) * 6 + ("cond", "include", "stray")))
        if kind == "cond" and depth < 3:
            lines.append(draw(st.sampled_from(CONDITIONS)))
            lines.extend(draw(block(depth + 1)))
            if draw(st.integers(0, 2)) == 0:
                lines.append("else")
                lines.extend(draw(block(depth + 1)))
            if draw(st.integers(0, 11)):
                lines.append("endif")
        elif kind == "include":
            lines.append(
                "include "
                + draw(st.sampled_from(("inc/extra.cf", "inc", "missing.cf", "50_gen_a.cf")))
            )
        elif kind == "stray":
            lines.append(draw(st.sampled_from(("endif", "else", "endif", "require_version 3.0"))))
        else:
            lines.append(draw(plain_line()))
    return lines


EXTRA_PLUGINS = (
    "Shortcircuit",
    "Shortcircuit",
    "PDFInfo",
    "TextCat",
    "DCC",
    "FromNameSpoof",
    "Phishing",
    "AWL",
    "TxRep",
    "OLEVBMacro",
    "ExtractText",
    "AntiVirus",
)


@st.composite
def rule_batch(draw: st.DrawFn) -> dict[str, str]:
    """File name (relative to the site directory) → text; ``user_prefs`` is the prefs file,
    ``zz_gen.pre`` loads extra plugins."""
    files: dict[str, str] = {}
    for name in ("50_gen_a.cf", "60_gen_b.cf", "inc/extra.cf", "user_prefs"):
        lines: list[str] = []
        for _ in range(draw(st.integers(3, 9))):
            lines.extend(draw(block()))
        end = draw(st.sampled_from(("\n", "\n", "")))
        files[name] = "\n".join(lines) + end
    # Plugins Debian does not load: their ifplugin blocks in the stock rules come alive
    # (Shortcircuit also rewrites priorities and tflags). Reuse is left out (docs/rules.md).
    extra = draw(st.lists(st.sampled_from(EXTRA_PLUGINS), max_size=4, unique=True))
    files["zz_gen.pre"] = "".join(f"loadplugin Mail::SpamAssassin::Plugin::{p}\n" for p in extra)
    return files
