"""Evaluate Sieve scripts on a header set, and chain them as Pigeonhole does (spec §5.4, §8).

Input: parsed or textual scripts and the message's header fields (after the filter's
edits). Output: :class:`SieveOutcome` — the folders stored into (in order), redirects,
whether the message was discarded, and a trace of the decisive steps.

The subset evaluated (anything else makes the outcome "not evaluated", never a guess):

* commands ``require``, ``if``/``elsif``/``else``, ``stop``, ``keep``, ``discard``,
  ``fileinto`` (``:copy``, ``:create``), ``redirect`` (``:copy``);
* tests ``header``, ``address`` (``:all``/``:localpart``/``:domain``), ``exists``,
  ``anyof``, ``allof``, ``not``, ``true``, ``false``;
* match types ``:is``, ``:contains``, ``:matches``; comparators ``i;ascii-casemap``
  (the default) and ``i;octet``.

Header values are matched as Pigeonhole does (fixtures c03–c17): unfolded, RFC 2047
decoded, leading and trailing whitespace removed, every copy of a field tried.

Chaining (observed with ``sieve-test -s``): scripts run in order; after a script the chain
continues only if its result still keeps the message (implicit keep, or an explicit
``keep``, which is deferred to the next script); the last script's keep stores in INBOX.
"""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from dataclasses import dataclass

from spamhdr.deliver.sieve_lang import (
    Argument,
    Command,
    Number,
    SieveSyntaxError,
    StringList,
    Tag,
    Test,
    parse_sieve,
)
from spamhdr.headers import decode_words, unfold

__all__ = ["NotEvaluated", "SieveOutcome", "evaluate_chain", "prepare_headers"]

# Extensions Pigeonhole 0.5 knows (a require of anything else does not compile).
_KNOWN_EXTENSIONS = frozenset(
    [
        "fileinto",
        "reject",
        "envelope",
        "encoded-character",
        "vacation",
        "subaddress",
        "comparator-i;ascii-numeric",
        "relational",
        "regex",
        "imap4flags",
        "copy",
        "include",
        "body",
        "variables",
        "enotify",
        "environment",
        "mailbox",
        "date",
        "index",
        "ihave",
        "duplicate",
        "mime",
        "foreverypart",
        "extracttext",
        "spamtest",
        "spamtestplus",
        "virustest",
        "editheader",
        "vacation-seconds",
        "imapflags",
        "notify",
        "ereject",
    ]
)
_UNSUPPORTED_COMMANDS = frozenset(
    [
        "vacation",
        "reject",
        "ereject",
        "addflag",
        "setflag",
        "removeflag",
        "set",
        "notify",
        "include",
        "return",
        "addheader",
        "deleteheader",
        "foreverypart",
        "extracttext",
        "break",
    ]
)
_UNSUPPORTED_TESTS = frozenset(
    [
        "envelope",
        "size",
        "body",
        "date",
        "currentdate",
        "spamtest",
        "virustest",
        "hasflag",
        "string",
        "duplicate",
        "environment",
        "valid_notify_method",
        "notify_method_capability",
        "ihave",
        "mailboxexists",
        "metadata",
        "metadataexists",
        "servermetadata",
        "servermetadataexists",
    ]
)
_NEEDS = {"fileinto": "fileinto", "copy": "copy", "create": "mailbox"}


class NotEvaluated(Exception):
    """The script uses something outside the evaluated subset, or does not compile."""


@dataclass(frozen=True, slots=True)
class SieveOutcome:
    """What the chain of scripts does with the message."""

    folders: tuple[str, ...]
    redirects: tuple[str, ...]
    discarded: bool
    scripts_run: tuple[str, ...]
    trace: tuple[str, ...]

    @property
    def folder(self) -> str | None:
        """The first folder stored into, or None (discarded or only redirected)."""
        return self.folders[0] if self.folders else None


def prepare_headers(fields: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """``(name, raw value)`` → ``(lower name, value as Sieve sees it)``."""
    out = []
    for name, raw in fields:
        value = decode_words(unfold(raw.replace("\r\n", "\n"))).strip(" \t")
        out.append((name.lower(), value))
    return tuple(out)


def _casemap(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def _wildcard(pattern: str, value: str) -> bool:
    """RFC 5228 ``:matches``: ``*`` any run, ``?`` one character, ``\\`` escapes."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            tokens.append(("lit", pattern[i + 1]))
            i += 2
            continue
        tokens.append(("star", "") if ch == "*" else ("any", "") if ch == "?" else ("lit", ch))
        i += 1
    p = v = 0
    star_p, star_v = -1, 0
    while v < len(value):
        if p < len(tokens) and (tokens[p][0] == "any" or tokens[p] == ("lit", value[v])):
            p, v = p + 1, v + 1
        elif p < len(tokens) and tokens[p][0] == "star":
            star_p, star_v = p, v
            p += 1
        elif star_p >= 0:
            star_v += 1
            p, v = star_p + 1, star_v
        else:
            return False
    while p < len(tokens) and tokens[p][0] == "star":
        p += 1
    return p == len(tokens)


@dataclass
class _State:
    actions: list[tuple[str, str]]
    implicit_keep: bool = True
    explicit_keep: bool = False
    stopped: bool = False


class _Script:
    def __init__(
        self, name: str, commands: tuple[Command, ...], headers: tuple[tuple[str, str], ...]
    ):
        self.name = name
        self.commands = commands
        self.headers = headers
        self.required: set[str] = set()
        self.trace: list[str] = []

    def run(self) -> _State:
        state = _State([])
        self._check_requires()
        self._block(self.commands, state)
        return state

    def _check_requires(self) -> None:
        started = False
        for command in self.commands:
            if command.name == "require":
                if started:
                    raise NotEvaluated(
                        f"{self.name} line {command.line}: 'require' after other commands "
                        "does not compile (Pigeonhole: require must come first)"
                    )
                for ext in _strings(command.args, 0):
                    if ext.lower() not in _KNOWN_EXTENSIONS:
                        raise NotEvaluated(f"{self.name}: unknown extension {ext!r} in require")
                    self.required.add(ext.lower())
            else:
                started = True

    def _need(self, ext: str, line: int, what: str) -> None:
        if ext not in self.required:
            raise NotEvaluated(
                f'{self.name} line {line}: {what} needs require "{ext}" (does not compile)'
            )

    def _block(self, commands: tuple[Command, ...], state: _State) -> None:
        # None: no if-chain open; False: open, no branch taken yet; True: a branch was taken
        chain_done: bool | None = None
        for command in commands:
            if state.stopped:
                return
            name = command.name
            if name == "require":
                continue
            if name in ("if", "elsif", "else"):
                if name == "if":
                    chain_done = False
                elif chain_done is None:
                    raise NotEvaluated(f"{self.name} line {command.line}: {name} without if")
                if chain_done:
                    if name == "else":
                        chain_done = None
                    continue
                taken = True
                if name != "else":
                    if len(command.tests) != 1:
                        raise NotEvaluated(f"{self.name} line {command.line}: {name} needs a test")
                    taken, detail = self._test(command.tests[0])
                    if taken:
                        self.trace.append(
                            f"{self.name} line {command.line}: {name} is true"
                            + (f" ({detail})" if detail else "")
                        )
                if taken:
                    chain_done = True
                    self._block(command.block or (), state)
                if name == "else":
                    chain_done = None
                continue
            chain_done = None
            self._action(command, state)

    def _action(self, command: Command, state: _State) -> None:
        name, line = command.name, command.line
        tags = {a.name for a in command.args if isinstance(a, Tag)}
        where = f"{self.name} line {line}"
        if name == "stop":
            state.stopped = True
            self.trace.append(f"{where}: stop")
        elif name == "keep":
            state.explicit_keep = True
            state.implicit_keep = False
            state.actions.append(("keep", ""))
            self.trace.append(f"{where}: keep")
        elif name == "discard":
            state.implicit_keep = False
            state.actions.append(("discard", ""))
            self.trace.append(f"{where}: discard")
        elif name == "fileinto":
            self._need("fileinto", line, "fileinto")
            for tag in tags:
                if tag not in _NEEDS:
                    raise NotEvaluated(f"{where}: fileinto :{tag} is not evaluated")
                self._need(_NEEDS[tag], line, f":{tag}")
            folder = _strings(command.args, 1)[0]
            state.actions.append(("store", folder))
            if "copy" not in tags:
                state.implicit_keep = False
            self.trace.append(f"{where}: fileinto {folder!r}")
        elif name == "redirect":
            if tags - {"copy"}:
                raise NotEvaluated(f"{where}: redirect with {sorted(tags)} is not evaluated")
            if "copy" in tags:
                self._need("copy", line, ":copy")
            target = _strings(command.args, 1)[0]
            state.actions.append(("redirect", target))
            if "copy" not in tags:
                state.implicit_keep = False
            self.trace.append(f"{where}: redirect to {target}")
        elif name in _UNSUPPORTED_COMMANDS:
            raise NotEvaluated(f"{where}: command {name!r} is outside the evaluated subset")
        else:
            raise NotEvaluated(f"{where}: unknown command {name!r} (does not compile)")

    def _test(self, test: Test) -> tuple[bool, str | None]:
        name = test.name
        if name == "true":
            return True, None
        if name == "false":
            return False, None
        if name == "not":
            result, detail = self._test(_one(test, self.name))
            return not result, detail
        if name in ("anyof", "allof"):
            if not test.tests:
                raise NotEvaluated(f"{self.name} line {test.line}: {name} needs tests")
            details = []
            for sub in test.tests:
                result, detail = self._test(sub)
                if detail:
                    details.append(detail)
                if result and name == "anyof":
                    return True, detail
                if not result and name == "allof":
                    return False, None
            return name == "allof", "; ".join(details) or None
        if name == "exists":
            wanted = [h.lower() for h in _strings(test.args, 1)]
            present = {h for h, _v in self.headers}
            return all(h in present for h in wanted), None
        if name in ("header", "address"):
            return self._match_test(test)
        if name in _UNSUPPORTED_TESTS:
            raise NotEvaluated(
                f"{self.name} line {test.line}: test {name!r} is outside the evaluated subset"
            )
        raise NotEvaluated(f"{self.name} line {test.line}: unknown test {name!r}")

    def _match_test(self, test: Test) -> tuple[bool, str | None]:
        match, comparator, part = "is", "i;ascii-casemap", "all"
        lists: list[StringList] = []
        args = list(test.args)
        i = 0
        while i < len(args):
            arg = args[i]
            if isinstance(arg, Tag):
                if arg.name in ("is", "contains", "matches"):
                    match = arg.name
                elif arg.name == "comparator" and i + 1 < len(args):
                    nxt = args[i + 1]
                    if not isinstance(nxt, StringList):
                        raise NotEvaluated(f"{self.name}: :comparator needs a string")
                    comparator = nxt.items[0].lower()
                    i += 1
                elif test.name == "address" and arg.name in ("all", "localpart", "domain"):
                    part = arg.name
                else:
                    raise NotEvaluated(
                        f"{self.name} line {test.line}: :{arg.name} is outside the evaluated subset"
                    )
            elif isinstance(arg, StringList):
                lists.append(arg)
            else:
                raise NotEvaluated(f"{self.name} line {test.line}: unexpected number")
            i += 1
        if comparator not in ("i;ascii-casemap", "i;octet"):
            raise NotEvaluated(f"{self.name}: comparator {comparator!r} is not evaluated")
        if len(lists) != 2:
            raise NotEvaluated(f"{self.name} line {test.line}: {test.name} needs names and keys")
        names, keys = [n.lower() for n in lists[0].items], lists[1].items
        if "variables" in self.required and any("${" in k for k in keys):
            raise NotEvaluated(f"{self.name} line {test.line}: variables are not evaluated")
        fold = _casemap if comparator == "i;ascii-casemap" else (lambda s: s)
        for hname, value in self.headers:
            if hname not in names:
                continue
            candidates = [value] if test.name == "header" else _address_parts(value, part)
            for candidate in candidates:
                for key in keys:
                    if _compare(match, fold(candidate), fold(key)):
                        shown = candidate if len(candidate) <= 60 else candidate[:57] + "..."
                        return True, f"{hname}: {shown!r} :{match} {key!r}"
        return False, None


def _compare(match: str, value: str, key: str) -> bool:
    if match == "is":
        return value == key
    if match == "contains":
        return key in value
    return _wildcard(key, value)


def _address_parts(value: str, part: str) -> list[str]:
    out = []
    for _name, addr in email.utils.getaddresses([value]):
        if not addr:
            continue
        local, _at, domain = addr.rpartition("@")
        out.append(addr if part == "all" else local if part == "localpart" else domain)
    return out


def _one(test: Test, script: str) -> Test:
    if len(test.tests) != 1:
        raise NotEvaluated(f"{script} line {test.line}: {test.name} needs one test")
    return test.tests[0]


def _strings(args: tuple[Argument, ...], count: int) -> tuple[str, ...]:
    lists = [a for a in args if isinstance(a, StringList)]
    if not lists or (count and len(lists) < count):
        raise NotEvaluated("missing string argument")
    if any(isinstance(a, Number) for a in args):
        raise NotEvaluated("unexpected number argument")
    return lists[-1].items if count == 1 else lists[0].items


def evaluate_chain(
    scripts: Sequence[tuple[str, str]], fields: Sequence[tuple[str, str]]
) -> SieveOutcome:
    """Run scripts ``(name, text)`` in order on the header fields ``(name, raw value)``.

    Raises:
        NotEvaluated: a script is outside the evaluated subset or would not compile.
    """
    headers = prepare_headers(fields)
    folders: list[str] = []
    redirects: list[str] = []
    discarded = False
    trace: list[str] = []
    run: list[str] = []
    for index, (name, text) in enumerate(scripts):
        try:
            commands = parse_sieve(text)
        except SieveSyntaxError as exc:
            raise NotEvaluated(f"{name}: does not compile: {exc}") from None
        script = _Script(name, commands, headers)
        state = script.run()
        run.append(name)
        trace.extend(script.trace)
        for kind, arg in state.actions:
            if kind == "store" and arg not in folders:
                folders.append(arg)
            elif kind == "redirect":
                redirects.append(arg)
            elif kind == "discard":
                discarded = True
        keeps = state.implicit_keep or state.explicit_keep
        if not keeps:
            break
        if index == len(scripts) - 1:
            if "INBOX" not in folders:
                folders.append("INBOX")
            kind_text = "explicit" if state.explicit_keep else "implicit"
            trace.append(f"{name}: {kind_text} keep → INBOX")
    return SieveOutcome(
        tuple(folders), tuple(redirects), discarded and not folders, tuple(run), tuple(trace)
    )
