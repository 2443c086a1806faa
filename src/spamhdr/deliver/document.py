"""Policy documents (TOML or JSON text) → :class:`~spamhdr.deliver.model.PolicySet`.

Input: the text of a document and its name. Output: a validated ``PolicySet`` with the
seven built-in policies (a document row with the same ``id`` replaces one). Invariants:
one ``[[table]]`` entry per database row, tables and columns named as in ISPConfig's
``install/sql/ispconfig3.sql``; a column left out is SQL NULL, or its NOT NULL default;
``""`` stays the empty string. Every problem raises :class:`~spamhdr.errors.PolicyError`
whose position names the place, e.g. ``policies.toml:14: spamfilter_policy[1].spam_tag_level``
(row indexes count from 0 as in JSON paths; the line is found for TOML documents).
Parsing does no I/O: the caller reads the file.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from spamhdr.deliver.defaults import DEFAULT_POLICIES
from spamhdr.deliver.model import (
    MailForwarding,
    MailUser,
    PolicySet,
    Server,
    SpamfilterPolicy,
    SpamfilterUser,
    SpamfilterWblist,
    parse_version,
)
from spamhdr.errors import PolicyError, UsageError

__all__ = ["TABLES", "parse_policy_document"]


class _Bad(Exception):
    """A value problem; the caller adds the position."""


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(f"expected a number, got {_shown(value)}")
    if not math.isfinite(value):
        raise _Bad(f"expected a finite number, got {value}")
    return float(value)


def _priority(value: Any) -> int:
    number = _int(value)
    if not 0 <= number <= 255:  # tinyint(3) unsigned in ispconfig3.sql
        raise _Bad(f"expected 0 to 255 (tinyint unsigned), got {number}")
    return number


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(f"expected an integer, got {_shown(value)}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad(f"expected a string, got {_shown(value)}")
    return value


def _enum(*allowed: str, upper: bool = False) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = _str(value)
        # MySQL ENUM comparison is case-insensitive; store ISPConfig's spelling.
        norm = text.upper() if upper else text.lower()
        if norm not in allowed:
            raise _Bad(f"expected one of {', '.join(repr(a) for a in allowed)}, got {text!r}")
        return norm

    return check


_WB_NUMBER = re.compile(r" *[+-]?\d+(?:\.\d*)? *")


def _wb(value: Any) -> str:
    # ISPConfig's column is enum('W','B'); amavis also reads a number (soft score, added
    # to the spam level) and a blank (neutral: stops the search), SpamControl.pm.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    text = _str(value)
    if _WB_NUMBER.fullmatch(text):
        return text.strip()
    if text.strip(" ") == "":
        return " "
    if text.strip().upper() not in ("W", "B"):
        raise _Bad(f"expected 'W', 'B' or a soft score (a number), or ' ' (neutral), got {text!r}")
    return text.strip().upper()


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


_YN = _enum("N", "Y", upper=True)
_yn = _enum("n", "y")

# column → (converter, nullable, default when left out). Defaults are the SQL ones.
_Spec = dict[str, tuple[Callable[[Any], Any], bool, Any]]
_REQUIRED = object()

_POLICY: _Spec = {
    "id": (_int, False, _REQUIRED),
    "policy_name": (_str, True, None),
    **{
        name: (_YN, True, None)
        for name in (
            "virus_lover", "spam_lover", "banned_files_lover", "bad_header_lover",
            "bypass_virus_checks", "bypass_spam_checks", "bypass_banned_checks",
            "bypass_header_checks", "spam_modifies_subj",
        )
    },
    "spam_quarantine_to": (_str, True, None),
    **{
        name: (_num, True, None)
        for name in (
            "spam_tag_level", "spam_tag2_level", "spam_kill_level", "spam_dsn_cutoff_level",
            "spam_quarantine_cutoff_level", "rspamd_spam_greylisting_level",
            "rspamd_spam_tag_level", "rspamd_spam_kill_level",
        )
    },
    "spam_subject_tag": (_str, True, None),
    "spam_subject_tag2": (_str, True, None),
    "rspamd_greylisting": (_yn, False, "n"),
    "rspamd_spam_tag_method": (_enum("add_header", "rewrite_subject"), False, "rewrite_subject"),
}  # fmt: skip
# Columns amavis and rspamd never read here; accepted so real exports load, kept in ``other``.
_POLICY_OTHER: _Spec = {
    **{
        name: (_str, True, None)
        for name in (
            "virus_quarantine_to", "banned_quarantine_to", "bad_header_quarantine_to",
            "clean_quarantine_to", "other_quarantine_to", "addr_extension_virus",
            "addr_extension_spam", "addr_extension_banned", "addr_extension_bad_header",
            "newvirus_admin", "virus_admin", "banned_admin", "bad_header_admin", "spam_admin",
            "banned_rulenames", "sys_perm_user", "sys_perm_group", "sys_perm_other",
        )
    },
    **{name: (_YN, True, None) for name in ("warnvirusrecip", "warnbannedrecip", "warnbadhrecip")},
    **{
        name: (_int, True, None)
        for name in (
            "message_size_limit", "policyd_quota_in", "policyd_quota_in_period",
            "policyd_quota_out", "policyd_quota_out_period", "sys_userid", "sys_groupid",
        )
    },
    "policyd_greylist": (_YN, True, None),
}  # fmt: skip
_SYS: _Spec = {
    "sys_userid": (_int, False, 0),
    "sys_groupid": (_int, False, 0),
    "sys_perm_user": (_str, True, None),
    "sys_perm_group": (_str, True, None),
    "sys_perm_other": (_str, True, None),
}
_USERS: _Spec = {
    "id": (_int, False, _REQUIRED),
    "email": (_str, False, _REQUIRED),
    "priority": (_priority, False, 7),
    "policy_id": (_int, False, 1),
    "local": (_str, True, None),
    "fullname": (_str, True, None),
    "server_id": (_int, False, 0),
}
_WBLIST: _Spec = {
    "wblist_id": (_int, False, _REQUIRED),
    "rid": (_int, False, 0),
    "email": (_str, False, ""),
    "wb": (_wb, False, "W"),
    "priority": (_priority, False, 0),
    "active": (_yn, False, "y"),
    "server_id": (_int, False, 0),
}
_MAIL_USER: _Spec = {
    "mailuser_id": (_int, False, _REQUIRED),
    "email": (_str, False, _REQUIRED),
    "move_junk": (_enum("y", "a", "n"), False, "y"),
    "custom_mailfilter": (_str, True, None),
    "cc": (_str, False, ""),
    "forward_in_lda": (_yn, False, "n"),
    "greylisting": (_yn, False, "n"),
    "postfix": (_yn, False, "y"),
    "disabledeliver": (_yn, False, "n"),
    "autoresponder": (_yn, False, "n"),
    "server_id": (_int, False, 0),
}
_FORWARDING: _Spec = {
    "forwarding_id": (_int, False, _REQUIRED),
    "source": (_str, False, _REQUIRED),
    "destination": (_str, False, _REQUIRED),
    "type": (_enum("alias", "aliasdomain", "forward", "catchall"), False, "alias"),
    "active": (_yn, False, "y"),
    "greylisting": (_yn, False, "n"),
    "server_id": (_int, False, 0),
}

#: Table name → (row class, columns it models, columns accepted and ignored, key column).
TABLES: dict[str, tuple[type, _Spec, _Spec, str]] = {
    "spamfilter_policy": (SpamfilterPolicy, _POLICY, _POLICY_OTHER, "id"),
    "spamfilter_users": (SpamfilterUser, _USERS, _SYS, "id"),
    "spamfilter_wblist": (SpamfilterWblist, _WBLIST, _SYS, "wblist_id"),
    "mail_user": (MailUser, _MAIL_USER, {}, "mailuser_id"),
    "mail_forwarding": (MailForwarding, _FORWARDING, _SYS, "forwarding_id"),
}


def _level(value: Any) -> float | None:
    # amavis' "undef" (e.g. tag level undefined = always tag) has no TOML spelling.
    if isinstance(value, str) and value.strip().lower() == "undef":
        return None
    return _num(value)


def _destiny(value: Any) -> str:
    text = _str(value).strip().upper()
    text = text if text.startswith("D_") else "D_" + text
    if text not in ("D_PASS", "D_DISCARD", "D_BOUNCE", "D_REJECT"):
        raise _Bad(f"expected D_PASS, D_DISCARD, D_BOUNCE or D_REJECT, got {value!r}")
    return text


def _domains(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Bad(f"expected a list of domains, got {_shown(value)}")
    return tuple(_str(item).lower() for item in value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"expected true or false, got {_shown(value)}")
    return value


def _version(value: Any) -> str:
    text = _str(value)
    try:
        parse_version(text)
    except UsageError as exc:
        raise _Bad(str(exc)) from None
    return text


def _actions(value: Any) -> tuple[tuple[str, float | None], ...]:
    if not isinstance(value, dict):
        raise _Bad(f"expected a table of action = threshold, got {_shown(value)}")
    known = ("greylist", "add header", "rewrite subject", "soft reject", "reject")
    merged = dict(Server().rspamd_actions)
    for name, threshold in value.items():
        action = name.replace("_", " ")
        if action not in known:
            raise _Bad(f"unknown rspamd action {name!r} (known: {', '.join(known)})")
        merged[action] = _level(threshold) if threshold is not None else None
    return tuple(merged.items())


_SERVER: dict[str, Callable[[Any], Any]] = {
    "ispconfig_version": _version,
    "backend": _enum("amavis", "rspamd"),
    "mydomain": lambda v: _str(v).lower(),
    "local_domains": _domains,
    "recipient_delimiter": _str,
    "sa_tag_level_deflt": _level,
    "sa_tag2_level_deflt": _level,
    "sa_tag3_level_deflt": _level,
    "sa_kill_level_deflt": _level,
    "sa_dsn_cutoff_level": _level,
    "sa_quarantine_cutoff_level": _level,
    "final_spam_destiny": _destiny,
    "sa_spam_subject_tag": _str,
    "sa_spam_subject_tag1": _str,
    "spam_quarantine_to": _str,
    "sa_spam_level_char": _str,
    "remove_existing_spam_headers": _bool,
    "x_header_line": _str,
    "rspamd_actions": _actions,
    "rspamd_subject": _str,
}


class _Locator:
    """Finds the line of ``[[table]]`` number N and of a key inside it (TOML only)."""

    def __init__(self, text: str, is_toml: bool) -> None:
        self._lines = text.splitlines() if is_toml else []

    def line(self, table: str, index: int | None, key: str | None) -> int | None:
        headers = {f"[[{table}]]"} if index is not None else {f"[{table}]", f"[[{table}]]"}
        seen = -1
        start = None
        for number, line in enumerate(self._lines, start=1):
            compact = line.strip().replace(" ", "")
            if index is None and compact.startswith(f"{table}="):
                return number
            if compact in headers:
                seen += 1
                if index is None or seen == index:
                    start = number
                    break
        if start is None:
            return None
        if key is None:
            return start
        for number in range(start, len(self._lines)):
            stripped = self._lines[number].strip()
            if stripped.startswith("["):
                break
            name = stripped.split("=", 1)[0].strip().strip("\"'")
            if "=" in stripped and name == key:
                return number + 1
        return start


def parse_policy_document(text: str, name: str = "<policies>") -> PolicySet:
    """Parse a TOML or JSON policy document.

    The format is JSON when the text starts with ``{``, else TOML.

    Args:
        text: the document.
        name: its file name, used in error positions.

    Returns:
        the policy set with the built-in policies merged in.

    Raises:
        PolicyError: syntax errors, unknown tables or columns, bad values, duplicate keys.
    """
    is_json = text.lstrip().startswith("{")
    try:
        data = json.loads(text) if is_json else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(exc.msg, f"{name}:{exc.lineno}:{exc.colno}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"not valid TOML: {exc}", name) from None
    if not isinstance(data, dict):
        raise PolicyError("expected a table at the top level", name)
    locate = _Locator(text, not is_json)

    def where(table: str, index: int | None = None, key: str | None = None) -> str:
        path = table + (f"[{index}]" if index is not None else "") + (f".{key}" if key else "")
        line = locate.line(table, index, key)
        return f"{name}:{line}: {path}" if line else f"{name}: {path}"

    rows: dict[str, list[Any]] = {}
    server = Server()
    for table, value in data.items():
        if table == "server":
            server = _parse_server(value, where)
            continue
        if table not in TABLES:
            known = ", ".join([*TABLES, "server"])
            raise PolicyError(f"unknown table (known: {known})", where(table))
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise PolicyError(
                f"expected one [[{table}]] entry per row (an array of tables)", where(table)
            )
        rows[table] = [_parse_row(table, i, row, where) for i, row in enumerate(value)]
    for table, parsed in rows.items():
        key = TABLES[table][3]
        seen: dict[Any, int] = {}
        for index, row in enumerate(parsed):
            ident = getattr(row, key)
            if ident in seen:
                raise PolicyError(
                    f"duplicate {key} {ident} (also in row {seen[ident]})", where(table, index, key)
                )
            seen[ident] = index
    emails: dict[str, int] = {}
    for index, user in enumerate(rows.get("spamfilter_users", [])):
        lowered = user.email.lower()
        if lowered in emails:  # UNIQUE KEY `email` in ispconfig3.sql
            raise PolicyError(
                f"duplicate email {user.email!r} (also in row {emails[lowered]}; the column is "
                "UNIQUE)",
                where("spamfilter_users", index, "email"),
            )
        emails[lowered] = index
    documented = {row.id: row for row in rows.get("spamfilter_policy", [])}
    policies = [documented.pop(row.id, row) for row in DEFAULT_POLICIES]
    policies.extend(documented.values())
    return PolicySet(
        spamfilter_policy=tuple(policies),
        spamfilter_users=tuple(rows.get("spamfilter_users", [])),
        spamfilter_wblist=tuple(rows.get("spamfilter_wblist", [])),
        mail_user=tuple(rows.get("mail_user", [])),
        mail_forwarding=tuple(rows.get("mail_forwarding", [])),
        server=server,
        source=name,
    )


def _parse_row(table: str, index: int, row: Mapping[str, Any], where: Callable[..., str]) -> Any:
    cls, columns, ignored, _key = TABLES[table]
    values: dict[str, Any] = {}
    other: list[tuple[str, object]] = []
    for column, raw in row.items():
        spec = columns.get(column) or ignored.get(column)
        if spec is None:
            known = ", ".join(sorted(columns))
            raise PolicyError(f"unknown column (modelled: {known})", where(table, index, column))
        convert, nullable, _default = spec
        if raw is None:
            if not nullable:
                raise PolicyError("column is NOT NULL", where(table, index, column))
            value = None
        else:
            try:
                value = convert(raw)
            except _Bad as exc:
                raise PolicyError(str(exc), where(table, index, column)) from None
        if column in columns:
            values[column] = value
        else:
            other.append((column, value))
    for column, (_convert, _nullable, default) in columns.items():
        if column not in values:
            if default is _REQUIRED:
                raise PolicyError("required column is missing", where(table, index, column))
            values[column] = default
    if table == "spamfilter_policy":
        values["other"] = tuple(other)
    return cls(**values)


def _parse_server(value: Any, where: Callable[..., str]) -> Server:
    if not isinstance(value, dict):
        raise PolicyError("expected a [server] table", where("server"))
    changes: dict[str, Any] = {}
    for key, raw in value.items():
        convert = _SERVER.get(key)
        if convert is None:
            known = ", ".join(_SERVER)
            raise PolicyError(f"unknown setting (known: {known})", where("server", None, key))
        try:
            changes[key] = convert(raw)
        except _Bad as exc:
            raise PolicyError(str(exc), where("server", None, key)) from None
    return replace(Server(), **changes)
