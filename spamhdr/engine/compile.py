"""Config → RuleSet: the header and meta rules of one score set, ready to run.

Input: a :class:`spamhdr.rules.Config` and the :class:`Options` (score set, local tests).
Output: an immutable :class:`RuleSet`. Invariants: header rules whose score is 0 in the
active set are left out (SpamAssassin never runs them, §5.6); every meta is kept, whatever
its score, because zero-score metas still run and can block their dependents (§6.3);
regexes were compiled by the rule compiler and are shared, not copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import regex

from spamhdr.engine.model import HeaderTest, MetaTest, RuleSet
from spamhdr.message import TrustConfig
from spamhdr.options import DEFAULT_OPTIONS, Options
from spamhdr.rules import Config, Rule, compile_meta

__all__ = ["compile_ruleset", "trust_config"]

# Perl's tests in Check.pm / PerMsgStatus.pm, kept textually identical.
_MULTIPLE = regex.compile(r"\bmultiple\b")
_MAXHITS = regex.compile(r"\bmaxhits=(\d+)\b")
_RULE_TYPES_RUN = frozenset({"header", "meta"})


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


def _meta_test(rule: Rule, score: float, local_tests_only: bool) -> MetaTest | None:
    if rule.meta is None:
        return None
    evaluate_tree = compile_meta(rule.meta)
    local = 1.0 if local_tests_only else 0.0

    def evaluate(hits: Mapping[str, float]) -> float | str:
        def resolve(name: str) -> float:
            if name == "local_tests_only":
                return local
            return hits.get(name) or 0

        try:
            return evaluate_tree(resolve)
        except ZeroDivisionError:
            # Perl would die inside the meta sub; SpamAssassin then records no hit.
            return 0

    return MetaTest(
        rule.name, tuple(dict.fromkeys(rule.dependencies)), evaluate, score, rule.raw or ""
    )


def compile_ruleset(config: Config, options: Options = DEFAULT_OPTIONS) -> RuleSet:
    """Compile the header and meta rules of ``config`` for ``options.score_set``.

    Args:
        config: from :func:`spamhdr.rules.load_config`.
        options: ``score_set`` selects the scores; ``local_tests_only`` is the value of
            that token in meta expressions.

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
    return RuleSet(
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
