"""Settings directives: the ones explanations and decisions need, and generic validation.

Input: directive key and value (via the parser). Output: entries in ``ParseState.settings``
(raw, last-wins or accumulated as SpamAssassin does) and diagnostics for bad values.

The dedicated handlers follow ``Conf.pm``: ``required_score`` (alias ``required_hits``),
``add_header``/``remove_header``/``clear_headers``, ``rewrite_header``, ``report_safe``,
``trusted_networks``/``internal_networks``/``msa_networks`` and their ``clear_*``,
``originating_ip_headers``, ``envelope_sender_header``, ``util_rb_tld``/``2tld``/``3tld``,
``clear_util_rb``. Every other known command is checked by its type like
``Parser.pm set_numeric_value`` & co., and its last raw value is kept.
"""

from __future__ import annotations

import re
from typing import Final

from spamhdr.rules.parser import Handler, ParseState

__all__ = ["DEFAULT_HEADERS", "SETTING_HANDLERS", "typed_handler"]

_WS: Final = re.compile(r"\s+")
#: Conf.pm new(): the X-Spam-Checker-Version header is always there.
DEFAULT_HEADERS: Final = (
    ("Checker-Version", "SpamAssassin _VERSION_ (_SUBVERSION_) on _HOSTNAME_"),
)


def _headers(state: ParseState, which: str) -> list[tuple[str, str]]:
    key = f"headers_{which}"
    current = state.settings.get(key)
    if not isinstance(current, list):
        current = list(DEFAULT_HEADERS)
        state.settings[key] = current
    return current


def _unescape_header(text: str) -> str:
    # Conf.pm add_header: split at "\\\\", expand \t and \n, drop other escapes.
    if re.match(r'".*"\Z', text, re.S):
        text = text[1:-1]
    pieces = (text + "\n").split("\\\\")
    cleaned = [
        re.sub(r"\\.", "", p.replace("\\t", "\t").replace("\\n", "\n"), flags=re.S) for p in pieces
    ]
    return "\\".join(cleaned)[:-1]


def _add_header(state: ParseState, key: str, value: str, col: int) -> None:
    match = re.match(r"(ham|spam|all)\s+([A-Za-z0-9_-]+)\s+(.*?)\s*\Z", value, re.S)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    which, name, text = match.groups()
    text = _unescape_header(text)
    for target in ("ham", "spam"):
        if which in (target, "all"):
            headers = _headers(state, target)
            headers[:] = [h for h in headers if h[0].lower() != name.lower()]
            headers.append((name, text))


def _remove_header(state: ParseState, key: str, value: str, col: int) -> None:
    match = re.match(r"(ham|spam|all)\s+([A-Za-z0-9_-]+)\s*\Z", value)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    which, name = match.groups()
    if name == "Checker-Version":
        return
    for target in ("ham", "spam"):
        if which in (target, "all"):
            headers = _headers(state, target)
            headers[:] = [h for h in headers if h[0].lower() != name.lower()]


def _clear_headers(state: ParseState, key: str, value: str, col: int) -> None:
    if value:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    for target in ("ham", "spam"):
        kept = [h for h in _headers(state, target) if h[0].lower() == "checker-version"]
        state.settings[f"headers_{target}"] = kept[:1]


def _rewrite_header(state: ParseState, key: str, value: str, col: int) -> None:
    parts = _WS.split(value, maxsplit=1) if value else [""]
    header = parts[0][:1].upper() + parts[0][1:].lower()
    table = state.settings.setdefault("rewrite_header", {})
    assert isinstance(table, dict)
    if header == "":
        state.report("missing-value", f"missing '{key}' value")
    elif header in ("From", "Subject", "To"):
        text = parts[1] if len(parts) > 1 else ""
        if not text.strip():
            table.pop(header, None)
            return
        table[header] = text if header == "Subject" else text.translate(str.maketrans("()", "[]"))
    else:
        state.report("invalid-value", f"invalid '{key}' value")


def _report_safe(state: ParseState, key: str, value: str, col: int) -> None:
    if value == "":
        state.report("missing-value", f"missing '{key}' value")
    elif not re.match(r"[012]\Z", value):
        state.report("invalid-value", f"invalid '{key}' value")
    else:
        state.settings["report_safe"] = int(value)
        if value == "0" and not any(h[0].lower() == "report" for h in _headers(state, "spam")):
            _headers(state, "spam").append(("Report", "_REPORT_"))


def _list_add(name: str, *, dedupe_ci: bool = False) -> Handler:
    def handler(state: ParseState, key: str, value: str, col: int) -> None:
        if not value:
            state.report("missing-value", f"missing '{key}' value")
            return
        items = state.settings.setdefault(name, [])
        assert isinstance(items, list)
        for item in _WS.split(value):
            if dedupe_ci and any(item.lower() == old.lower() for old in items):
                continue
            items.append(item)

    return handler


def _list_clear(*names: str) -> Handler:
    def handler(state: ParseState, key: str, value: str, col: int) -> None:
        if value:
            state.report("invalid-value", f"invalid '{key}' value")
            return
        for name in names:
            state.settings[name] = []

    return handler


def _domains(name: str, dots: int) -> Handler:
    label = r"[^\s.]+"
    one = r"\.".join([label] * (dots + 1))
    pattern = re.compile(rf"{one}(?:\s+{one})*\Z")

    def handler(state: ParseState, key: str, value: str, col: int) -> None:
        if not value:
            state.report("missing-value", f"missing '{key}' value")
        elif not pattern.match(value):
            state.report("invalid-value", f"invalid '{key}' value")
        else:
            items = state.settings.setdefault(name, [])
            assert isinstance(items, list)
            items.extend(v.lower() for v in _WS.split(value))

    return handler


def _numeric(state: ParseState, key: str, value: str, col: int) -> None:
    if value == "":
        state.report("missing-value", f"missing '{key}' value")
    elif not re.match(r"[+-]?\d+(?:\.\d*)?\Z", value):
        state.report("invalid-value", f"invalid '{key}' value")
    else:
        setting = "required_score" if key == "required_hits" else key
        state.settings[setting] = float(value)


def _string(state: ParseState, key: str, value: str, col: int) -> None:
    if value == "":
        state.report("missing-value", f"missing '{key}' value")
    else:
        state.settings[key] = value


def _bool(state: ParseState, key: str, value: str, col: int) -> None:
    if value == "":
        state.report("missing-value", f"missing '{key}' value")
    elif value.lower() in ("yes", "1", "no", "0"):
        state.settings[key] = value.lower() in ("yes", "1")
    else:
        state.report("invalid-value", f"invalid '{key}' value")


def _duration(state: ParseState, key: str, value: str, col: int) -> None:
    if value == "":
        state.report("missing-value", f"missing '{key}' value")
    elif not re.match(r"\+?\d+(?:\.\d*)?(?:\s*[smhdw])?\Z", value, re.I):
        state.report("invalid-value", f"invalid '{key}' value")
    else:
        state.settings[key] = value


def _hash(state: ParseState, key: str, value: str, col: int) -> None:
    parts = _WS.split(value, maxsplit=1) if value else [""]
    if len(parts) < 2 or parts[1] == "":
        state.report("missing-value", f"missing '{key}' value")
        return
    table = state.settings.setdefault(key, {})
    assert isinstance(table, dict)
    table[parts[0]] = parts[1]


def _noargs(state: ParseState, key: str, value: str, col: int) -> None:
    if value:
        state.report("invalid-value", f"invalid '{key}' value")


def _append_raw(state: ParseState, key: str, value: str, col: int) -> None:
    # Templates accept anything (even empty); code commands validate themselves in Perl —
    # beyond the ones above we only require a value, like most of them.
    if value == "" and not key.startswith("clear_"):
        state.report("missing-value", f"missing '{key}' value")
        return
    if value and key.startswith("clear_"):
        state.report("invalid-value", f"invalid '{key}' value")
        return
    items = state.settings.setdefault(key, [])
    if isinstance(items, list):
        items.append(value)


_TYPED: Final[dict[str, Handler]] = {
    "numeric": _numeric,
    "string": _string,
    "bool": _bool,
    "duration": _duration,
    "hash": _hash,
    "noargs": _noargs,
    "stringlist": _list_add("stringlist"),
    "ipaddrlist": _append_raw,
    "addrlist": _append_raw,
    "template": _append_raw,
    "code": _append_raw,
}


def typed_handler(value_type: str) -> Handler:
    """The generic handler for a ``CONF_TYPE_*`` (see ``_sa_tables``)."""
    if value_type == "stringlist":
        return _stringlist
    if value_type == "template":
        return _template
    return _TYPED.get(value_type, _append_raw)


def _stringlist(state: ParseState, key: str, value: str, col: int) -> None:
    _list_add(key)(state, key, value, col)


def _template(state: ParseState, key: str, value: str, col: int) -> None:
    match = re.match(r'"(.*?)"\Z', value, re.S)
    text = match.group(1) if match else value
    current = state.settings.get(key, "")
    state.settings[key] = f"{current}{text}\n"


SETTING_HANDLERS: Final[dict[str, Handler]] = {
    "required_score": _numeric,
    "required_hits": _numeric,
    "add_header": _add_header,
    "remove_header": _remove_header,
    "clear_headers": _clear_headers,
    "rewrite_header": _rewrite_header,
    "report_safe": _report_safe,
    "trusted_networks": _list_add("trusted_networks"),
    "internal_networks": _list_add("internal_networks"),
    "msa_networks": _list_add("msa_networks"),
    "clear_trusted_networks": _list_clear("trusted_networks"),
    "clear_internal_networks": _list_clear("internal_networks"),
    "clear_msa_networks": _list_clear("msa_networks"),
    "originating_ip_headers": _list_add("originating_ip_headers", dedupe_ci=True),
    "clear_originating_ip_headers": _list_clear("originating_ip_headers"),
    "envelope_sender_header": _string,
    "util_rb_tld": _domains("util_rb_tld", 0),
    "util_rb_2tld": _domains("util_rb_2tld", 1),
    "util_rb_3tld": _domains("util_rb_3tld", 2),
    "clear_util_rb": _list_clear("util_rb_tld", "util_rb_2tld", "util_rb_3tld"),
}
