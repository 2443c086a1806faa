"""Config → RuleSet: the header and meta rules of one score set, ready to run.

Input: a :class:`spamhdr.rules.Config` and the :class:`Options` (score set, local tests).
Output: an immutable :class:`RuleSet`. Invariants: header rules whose score is 0 in the
active set are left out (SpamAssassin never runs them, §5.6); every meta is kept, whatever
its score, because zero-score metas still run and can block their dependents (§6.3);
regexes were compiled by the rule compiler and are shared, not copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import regex

from spamhdr.engine.metafast import compile_meta_fast
from spamhdr.engine.model import HeaderTest, MetaTest, RuleSet
from spamhdr.engine.plan import build_plan
from spamhdr.message import TrustConfig, parse_sa_message
from spamhdr.options import DEFAULT_OPTIONS, Options
from spamhdr.rules import Config, Rule, compile_meta
from spamhdr.rules.meta import Binary, Chain, MetaExpr, Name, Num, Ternary, Unary

__all__ = ["compile_ruleset", "trust_config"]

# Perl's tests in Check.pm / PerMsgStatus.pm, kept textually identical.
_MULTIPLE = regex.compile(r"\bmultiple\b")
_MAXHITS = regex.compile(r"\bmaxhits=(\d+)\b")
_RULE_TYPES_RUN = frozenset({"header", "meta"})

#: The baseline of the meta schedule (plan.py): metas are re-evaluated per message only
#: downstream of header tests whose result differs from this message's. Its headers are
#: the ones most mail has (each of the exists/format sub-rules they hit fires on more than
#: half of the shared corpus), so a typical message re-evaluates few metas. It decides
#: speed only, never a result.
TYPICAL_MESSAGE = (
    b"Received: from out1.example.org (out1.example.org [64.233.160.25])\n"
    b"\tby mx.example.net (Postfix) with ESMTPS id 7E6D5C4B3A\n"
    b"\tfor <bob@example.net>; 4 Jan 2023 10:00:01 -0500\n"
    b"Received: from laptop.example.org (laptop.example.org [172.16.5.9])\n"
    b"\tby out1.example.org (Postfix) with ESMTPSA id 1B2C3D4E5F;\n"
    b"\t4 Jan 2023 10:00:00 -0500\n"
    b"Message-Id: <1672844400.4711@example.org>\n"
    b"Date: Wed, 4 Jan 2023 10:00:00 -0500\n"
    b"From: Alice Example <alice@example.org>\n"
    b"To: bob@example.net\n"
    b"Subject: Notes from the project meeting\n"
    b"Precedence: list\n"
    b"MIME-Version: 1.0\n"
    b"Content-Type: text/plain; charset=us-ascii\n"
    b"\n"
    b"Hello Bob,\n"
)


def trust_config(config: Config) -> TrustConfig:
    """The settings from ``config`` that decide header values (trust, TLD lists)."""
    kwargs: dict[str, object] = {
        "trusted_networks": config.trusted_networks,
        "internal_networks": config.internal_networks,
        "msa_networks": config.msa_networks,
        "envelope_sender_header": config.envelope_sender_header,
        "valid_tlds": frozenset(config.util_rb_tld),
        "two_level_domains": frozenset(config.util_rb_2tld),
        "three_level_domains": frozenset(config.util_rb_3tld),
    }
    if config.originating_ip_headers:
        kwargs["originating_ip_headers"] = config.originating_ip_headers
    return TrustConfig(**kwargs)  # type: ignore[arg-type]


def _header_test(rule: Rule, score: float) -> HeaderTest | None:
    spec = rule.header_spec
    if spec is None:
        return None
    tflags = rule.tflags or ""
    maxhits: int | None = None
    if rule.operator != "exists" and _MULTIPLE.search(tflags):
        found = _MAXHITS.search(tflags)
        maxhits = int(found.group(1)) if found else 0
    pattern = None
    if rule.operator != "exists":
        if rule.regex is None or rule.regex.compiled is None:
            return None
        pattern = rule.regex.compiled
    if_unset = rule.if_unset.encode("latin-1", "replace") if rule.if_unset is not None else None
    return HeaderTest(
        name=rule.name,
        spec=spec,
        pattern=pattern,
        negate=rule.operator == "!~",
        if_unset=if_unset,
        maxhits=maxhits,
        score=score,
        priority=rule.effective_priority,
        raw=rule.raw or "",
    )


def _bind_local(tree: MetaExpr, local: float) -> MetaExpr:
    """``tree`` with the ``local_tests_only`` token replaced by its value (a constant for
    the whole rule set), so that every name left is a rule name."""
    if isinstance(tree, Name):
        return Num(local) if tree.name == "local_tests_only" else tree
    if isinstance(tree, Unary):
        return Unary(tree.op, _bind_local(tree.operand, local))
    if isinstance(tree, Binary):
        return Binary(tree.op, _bind_local(tree.left, local), _bind_local(tree.right, local))
    if isinstance(tree, Chain):
        return Chain(tree.ops, tuple(_bind_local(o, local) for o in tree.operands))
    if isinstance(tree, Ternary):
        return Ternary(
            _bind_local(tree.cond, local),
            _bind_local(tree.then, local),
            _bind_local(tree.other, local),
        )
    return tree


def _meta_test(rule: Rule, score: float, local_tests_only: bool) -> MetaTest | None:
    if rule.meta is None:
        return None
    tree = _bind_local(rule.meta, 1.0 if local_tests_only else 0.0)
    fast = compile_meta_fast(tree)
    evaluate_tree = compile_meta(tree)

    def evaluate(hits: Mapping[str, float]) -> float | str:
        # A meta is evaluated once every dependency has an entry, so the plain look-up
        # is the common case; ``$hits->{NAME} || 0`` covers any other caller.
        try:
            try:
                return fast(hits)
            except KeyError:
                return evaluate_tree(lambda name: hits.get(name) or 0)
        except ZeroDivisionError:
            # Perl would die inside the meta sub; SpamAssassin then records no hit.
            return 0

    return MetaTest(
        rule.name,
        tuple(dict.fromkeys(rule.dependencies)),
        evaluate,
        score,
        rule.raw or "",
        fast,
        tree,
    )


def compile_ruleset(
    config: Config,
    options: Options = DEFAULT_OPTIONS,
    *,
    multipattern: bool | None = None,
    cache_dir: Path | None = None,
) -> RuleSet:
    """Compile the header and meta rules of ``config`` for ``options.score_set``.

    Args:
        config: from :func:`spamhdr.rules.load_config`.
        options: ``score_set`` selects the scores; ``local_tests_only`` is the value of
            that token in meta expressions.
        multipattern: use the optional Hyperscan backend (``pip install spamhdr[fast]``):
            None (default) when it is installed, False never. Speed only: hits are the
            same either way.
        cache_dir: a directory where Hyperscan databases may be cached between runs
            (created if missing; files are the library's own serialized databases, used
            only when owned by the current user and not writable by others). None (the
            default): compile them every time, no file is touched.

    Returns:
        an immutable rule set; build it once and check many messages with it.
    """
    score_set = options.score_set
    by_band: dict[int, dict[str, list[HeaderTest]]] = {}
    metas: dict[str, MetaTest] = {}
    dependents: dict[str, list[str]] = {}
    bands: set[int] = set()
    not_evaluated: list[str] = []
    for name in sorted(config.rules):
        rule = config.rules[name]
        if rule.type == "empty":
            continue
        # SpamAssassin's bands are the priorities of every rule it defines, of any type
        # (Parser.pm finish_parsing counts them all), even when only some types run.
        bands.add(rule.effective_priority)
        score = rule.score(score_set)
        if rule.type == "header" and rule.operator in ("=~", "!~", "exists"):
            if score == 0:
                continue
            test = _header_test(rule, score)
            if test is None:
                not_evaluated.append(name)
                continue
            by_band.setdefault(test.priority, {}).setdefault(test.spec, []).append(test)
        elif rule.type == "meta":
            meta = _meta_test(rule, score, options.local_tests_only)
            if meta is None:
                continue
            metas[name] = meta
            for dep in meta.deps:
                dependents.setdefault(dep, []).append(name)
        elif score != 0 and rule.type not in _RULE_TYPES_RUN:
            not_evaluated.append(name)
    header_tests = {
        band: tuple((spec, tuple(tests)) for spec, tests in groups.items())
        for band, groups in by_band.items()
    }
    ruleset = RuleSet(
        bands=tuple(sorted(bands)),
        header_tests=MappingProxyType(header_tests),
        metas=MappingProxyType(metas),
        dependents=MappingProxyType({k: tuple(v) for k, v in dependents.items()}),
        meta_nodeps=tuple(sorted(n for n, m in metas.items() if not m.deps)),
        not_evaluated=tuple(not_evaluated),
        required_score=config.required_score,
        score_set=score_set,
        descriptions=config.descriptions,
        trust=trust_config(config),
    )
    typical = parse_sa_message(TYPICAL_MESSAGE, ruleset.trust, options)  # type: ignore[arg-type]
    plan = build_plan(ruleset, typical, multipattern=multipattern, cache_dir=cache_dir)
    return replace(ruleset, plan=plan)
