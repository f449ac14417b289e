"""Fit the advisor's rules from the comparison harness's evidence, and validate them on spaces they never saw.

The advisor chooses among *candidates*: unconditional :class:`~nas_complexity.strategies.FamilyRule` objects, each
one complete configuration (an algorithm, a model-based start, a zero-cost warm start). The harness runs every
candidate through the real Optuna hook (:func:`candidate_strategies`), so a candidate's regret on a setting is what
the advisor gets there when it picks that candidate. :func:`fit_rules` then picks, for each budget and for each
thing the profile may offer (proxy-scored architectures for a warm start, or not), the candidate with the lowest
mean normalised regret over the training settings, and writes the choice as ordinary rules whose evidence quotes
the figures. :func:`leave_one_group_out_rules` refits without each space group and scores the refitted rules on
it, through :func:`~nas_complexity.strategies.decide` on the held-out settings' own profiles: nothing fitted on a
space is used to choose for it.

Example:
    >>> import pandas as pd
    >>> from nas_complexity.strategies import FamilyRule
    >>> cands = (FamilyRule("tpe", (), "bayesian", "tpe", ""), FamilyRule("re", (), "evolutionary", "regularized_evolution", ""))
    >>> summary = pd.DataFrame({"setting": ["a", "a", "b", "b"] * 2, "budget": [25] * 4 + [300] * 4,
    ...                         "strategy": ["candidate:tpe", "candidate:re"] * 4,
    ...                         "mean_regret": [0.2, 0.3, 0.2, 0.4, 0.1, 0.05, 0.1, 0.02]})
    >>> rules = fit_rules(summary, {"a": False, "b": False}, cands, command="evidence")
    >>> [(r.id, r.algorithm, [(c.feature, c.op, c.threshold) for c in r.when]) for r in rules]
    [('fitted-25-trials', 'tpe', [('n_trials', '<', 87)]), ('fitted-300-trials', 'regularized_evolution', [])]
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from nas_complexity.benchmarking._policy_split import best_split
from nas_complexity.benchmarking._significance import holm, wilcoxon_less
from nas_complexity.strategies import Condition, FamilyRule, algorithm_info

__all__ = [
    "CANDIDATE_PREFIX",
    "PROXY_SIGNIFICANCE",
    "DEFAULT_CANDIDATES",
    "candidate_name",
    "candidate_of",
    "candidate_strategies",
    "fit_rules",
    "leave_one_group_out_rules",
    "score_rules",
]

CANDIDATE_PREFIX = "candidate:"
"""How a candidate is named in a comparison: ``candidate:<rule id>``."""

_PROXY = Condition("n_proxy_best", ">", 0)

_WARM = 0.1
_LONG_WARM = 0.25
_CHECK = 0.2
_TPE_START = ("tpe", 1 / 3)
_GUIDED = 2

DEFAULT_CANDIDATES: tuple[FamilyRule, ...] = (
    FamilyRule("tpe", (), "bayesian", "tpe", "candidate"),
    FamilyRule("gp", (), "bayesian", "gp", "candidate"),
    FamilyRule("discrete-gp", (), "bayesian", "discrete_gp", "candidate"),
    FamilyRule("regularized-evolution", (), "evolutionary", "regularized_evolution", "candidate"),
    FamilyRule("tpe-then-evolution", (), "evolutionary", "regularized_evolution", "candidate", startup=_TPE_START),
    FamilyRule("tpe+warm-start", (), "bayesian", "tpe", "candidate", warm_start=_WARM),
    FamilyRule("tpe+long-warm-start", (), "bayesian", "tpe", "candidate", warm_start=_LONG_WARM),
    FamilyRule("gp+warm-start", (), "bayesian", "gp", "candidate", warm_start=_WARM),
    FamilyRule("tpe+warm-start+check", (), "bayesian", "tpe", "candidate", warm_start=_WARM, proxy_check=_CHECK),
    FamilyRule("regularized-evolution+warm-start", (), "evolutionary", "regularized_evolution", "candidate",
               warm_start=_WARM),
    FamilyRule("regularized-evolution+warm-start+check", (), "evolutionary", "regularized_evolution", "candidate",
               warm_start=_WARM, proxy_check=_CHECK),
    FamilyRule("tpe-then-evolution+warm-start", (), "evolutionary", "regularized_evolution", "candidate",
               startup=_TPE_START, warm_start=_WARM),
    FamilyRule("regularized-evolution+guided-mutation", (), "evolutionary", "regularized_evolution", "candidate",
               guided_mutation=_GUIDED),
    FamilyRule("regularized-evolution+warm-start+guided-mutation", (), "evolutionary", "regularized_evolution",
               "candidate", warm_start=_WARM, guided_mutation=_GUIDED),
    FamilyRule("regularized-evolution+warm-start+check+guided-mutation", (), "evolutionary", "regularized_evolution",
               "candidate", warm_start=_WARM, proxy_check=_CHECK, guided_mutation=_GUIDED),
)
"""The configurations the fitted policy chooses among: TPE, GP, the discrete GP and regularized evolution as the
advisor tunes them,
evolution started by TPE for the first third of the budget (then evolving from what TPE found), and each with a
zero-cost warm start (the first 10% of the budget on the profile's best proxy scores; TPE also with 25%), and TPE
and evolution with the warm start and its online check after 20% of the budget (as many of the profile's next best
proxy scores again, only if the warm start's trials beat the sampler's own), and evolution whose mutations keep the
better of 2 candidate values by the proxy's main effects over the profile's scored networks (proxy-guided mutation),
alone, with the warm start, and with the warm start and its check."""


def candidate_name(rule: FamilyRule) -> str:
    """The comparison's strategy name of a candidate.

    Example:
        >>> candidate_name(FamilyRule("tpe", (), "bayesian", "tpe", ""))
        'candidate:tpe'
    """
    return f"{CANDIDATE_PREFIX}{rule.id}"


def candidate_strategies(candidates: Sequence[FamilyRule], **advisor_options: Any) -> list[Any]:
    """One :class:`~nas_complexity.benchmarking.AdvisorStrategy` per candidate: the real hook with that one rule.

    ``advisor_options`` go to every one (e.g. ``performance=True`` and a shared profile ``cache`` folder).

    Example:
        >>> [s.name for s in candidate_strategies([FamilyRule("gp", (), "bayesian", "gp", "")])]
        ['candidate:gp']
    """
    from nas_complexity.benchmarking._strategies import AdvisorStrategy

    for rule in candidates:
        if rule.when:
            raise ValueError(f"candidate {rule.id!r} has conditions; a candidate is an unconditional choice")
    return [AdvisorStrategy(rules=(rule,), name=candidate_name(rule), **advisor_options) for rule in candidates]


def _boundaries(budgets: Sequence[int]) -> list[int]:
    # Between two measured budgets the choice switches at their geometric mean (budgets are compared on a log scale).
    return [int(round(math.sqrt(a * b))) for a, b in zip(budgets, budgets[1:])]


def _ranked(table: pd.DataFrame, columns: Sequence[str]) -> list[tuple[str, float]]:
    usable = [c for c in columns if c in table.columns and table[c].notna().all()]
    return sorted(((c, float(table[c].mean())) for c in usable), key=lambda item: (item[1], item[0]))


CHEAP_SAMPLER_S = 0.05
"""A candidate measured above this many sampler seconds per trial gets a cheaper fallback rule after it (used when
the user's trials are too short for it, see :meth:`~nas_complexity.strategies.FamilyRule.affordable`)."""

PROXY_SIGNIFICANCE = 0.05
"""A choice for spaces with proxy scores replaces the choice for all spaces at a budget only where it beats it on the
training settings with proxy scores by a one-sided Wilcoxon signed-rank test (paired by setting) at this level,
after Holm's correction for testing every candidate against the same choice: a lower mean alone is not enough,
since the candidates' means differ by noise, and with a dozen candidates one of them passes an uncorrected test by
chance. Measured (``python benchmarks/evidence.py --seeds 10 --gp-max 25``, README): uncorrected, leave-one-space-out
at 25 trials chose evolution with a warm start and its check for TransNAS micro (p = 0.034 on the other spaces with
proxy scores) and lost there, regret 0.2278 against the SBS's 0.2188."""


def fit_rules(
    summary: pd.DataFrame,
    has_proxy: Mapping[str, bool],
    candidates: Sequence[FamilyRule],
    *,
    command: str,
    settings: Sequence[str] | None = None,
    significance: float = PROXY_SIGNIFICANCE,
    features: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[FamilyRule, ...]:
    """Rules choosing, per budget range, the candidate of lowest mean regret, and for spaces with proxy scores or
    with some profile feature value a candidate that beats that choice there significantly.

    Args:
        summary: the harness's summary rows (``setting``, ``budget``, ``strategy``, ``mean_regret`` and, to weigh
            the sampler's cost, ``seconds_per_trial``) of the candidates (named by :func:`candidate_name`).
        has_proxy: setting -> whether its profile kept proxy-scored architectures (a warm start is possible).
        candidates: the unconditional rules the harness ran.
        command: the command that produced ``summary``, quoted in each rule's evidence.
        settings: the training settings (default: every setting in ``summary``).
        significance: see :data:`PROXY_SIGNIFICANCE`; 1 or more switches the tests off (a lower mean suffices).
        features: setting -> profile feature -> value, the features a split may read
            (:data:`~nas_complexity.benchmarking.SPLIT_FEATURES`); ``None``: no splits.

    Returns rules for :func:`~nas_complexity.strategies.decide`: first those for spaces with proxy scores (they
    may warm-start; only at budgets where a candidate beats the plain choice with ``p < significance``,
    Holm-adjusted over the candidates tested), then those on a profile feature
    (:func:`~nas_complexity.benchmarking.best_split`, same test, Holm-adjusted over every condition and candidate
    tried), then those for every space (candidates that use no proxy score, lowest mean regret over all training
    settings), the last one unconditional. Budgets between two measured ones switch at their geometric mean;
    neighbouring budgets with the same choice share one rule. A choice whose sampler costs more than
    :data:`CHEAP_SAMPLER_S` per trial keeps its place only where it beats the best cheaper candidate by the same
    one-sided test (else the cheaper one is chosen); it then carries its measured cost and is followed by the
    cheaper one under the same conditions.
    """
    names = {candidate_name(c): c for c in candidates}
    rows = summary[summary["strategy"].isin(names)]
    if settings is not None:
        rows = rows[rows["setting"].isin(list(settings))]
    if rows.empty:
        raise ValueError("no candidate rows in the summary to fit rules from")
    budgets = sorted(int(b) for b in rows["budget"].unique())
    cuts = _boundaries(budgets)
    plain = [n for n, c in names.items() if not c.uses_proxy]
    optuna_only = frozenset(n for n, c in names.items() if algorithm_info(c.algorithm).optuna_only)
    steps: dict[str, list[dict[str, Any]]] = {"proxy": [], "split": [], "plain": []}
    for b in budgets:
        block = rows[rows["budget"] == b]
        table = block.pivot(index="setting", columns="strategy", values="mean_regret")
        ranked = _ranked(table, plain)
        if not ranked:
            continue
        cost = _costs(block, table.index)
        steps["plain"].append(_step(b, ranked, cost, len(table), table=table, significance=significance,
                                    optuna_only=optuna_only))
        base = steps["plain"][-1]["best"]
        proxy_step = _proxy_step(b, block, table, base, names, has_proxy, significance)
        if proxy_step is not None:
            steps["proxy"].append(proxy_step)
        if features:
            split = best_split(table, base, features, significance=significance, candidates=plain)
            if split is not None:
                sub = table.loc[list(split.settings)]
                step = _step(b, _ranked(sub, plain), _costs(block, sub.index), len(sub),
                             [(split.best, split.mean_best)])
                step["condition"] = split.condition
                step["test"] = {"base": base, "p": {split.best: split.p_adjusted}, "tests": split.tests}
                steps["split"].append(step)
    rules: list[FamilyRule] = []
    for kind in ("proxy", "split", "plain"):
        groups: list[list[dict[str, Any]]] = []
        for step in steps[kind]:
            last = groups[-1][-1] if groups else None
            if last is not None and _key(last) == _key(step) \
                    and budgets.index(step["budget"]) == budgets.index(last["budget"]) + 1:
                groups[-1].append(step)
            else:
                groups.append([step])
        for items in groups:
            first, final = budgets.index(items[0]["budget"]), budgets.index(items[-1]["budget"])
            when: list[Condition] = []
            if first > 0:
                when.append(Condition("n_trials", ">=", cuts[first - 1]))
            if final < len(budgets) - 1:
                when.append(Condition("n_trials", "<", cuts[final]))
            condition = items[0].get("condition")
            if condition is not None:
                when.append(condition)
            scope = ("all settings" if condition is None
                     else "settings whose profile kept proxy-scored architectures" if condition == _PROXY
                     else f"the settings with {condition.feature} {condition.op} {condition.threshold:g}")
            label = "-".join(str(step["budget"]) for step in items)
            suffix = "" if condition is None else "-proxy" if condition == _PROXY else f"-{condition.feature}"
            best, cheap = items[0]["best"], items[0]["cheap"]
            rules.append(_fitted(names[best], f"fitted-{label}-trials{suffix}", when, items, best, scope, command))
            if cheap is not None:
                rules.append(_fitted(names[cheap], f"fitted-{label}-trials{suffix}-cheap", when, items, cheap, scope,
                                     command))
            stand_in = items[0].get("stand_in")
            if stand_in is not None:
                rules.append(_fitted(names[stand_in], f"fitted-{label}-trials{suffix}-nni", when, items, stand_in,
                                     scope, command))
    if rules and rules[-1].when:
        last = rules[-1]
        rules[-1] = replace(last, when=tuple(c for c in last.when if c.feature != "n_trials"))
    if not rules or rules[-1].when:
        raise ValueError("the fitted rules need an unconditional last rule: give candidates that use no proxy score "
                         "(no warm start, no guided mutation)")
    return tuple(rules)


def _key(step: dict[str, Any]) -> tuple[Any, ...]:
    return step["best"], step["cheap"], step.get("stand_in"), step.get("condition")


def _proxy_step(budget: int, block: pd.DataFrame, table: pd.DataFrame, base: str, names: Mapping[str, FamilyRule],
                has_proxy: Mapping[str, bool], significance: float) -> dict[str, Any] | None:
    """Spaces with proxy scores: a candidate replaces the plain choice ``base`` only where it beats it there."""
    with_proxy = table.loc[[s for s in table.index if has_proxy.get(s)]]
    if len(with_proxy) == 0 or base not in with_proxy:
        return None
    others = [(n, r) for n, r in _ranked(with_proxy, list(names)) if n != base]
    adjusted = holm([wilcoxon_less(with_proxy[n], with_proxy[base]) for n, _ in others])
    base_mean = float(with_proxy[base].mean())
    winners = [(n, r) for (n, r), p in zip(others, adjusted)
               if r < base_mean and (p < significance or significance >= 1.0)]
    if not winners:
        return None
    step = _step(budget, _ranked(with_proxy, list(names)), _costs(block, with_proxy.index), len(with_proxy), winners)
    step["condition"] = _PROXY
    step["test"] = {"base": base, "p": {n: p for (n, _), p in zip(others, adjusted)}, "tests": len(others)}
    return step


def _step(budget: int, ranked: list[tuple[str, float]], cost: dict[str, float], n: int,
          eligible: list[tuple[str, float]] | None = None, *, table: pd.DataFrame | None = None,
          significance: float = PROXY_SIGNIFICANCE, optuna_only: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One budget's choice: the best of ``eligible`` (default: of ``ranked``) and, when it is costly, the best cheap
    one among them. Given the regrets (``table``), a costly best that does not beat the best cheap one by the
    one-sided Wilcoxon test at ``significance`` gives way to it: a user pays the sampler's time on every trial,
    and a lower mean the test cannot tell from noise does not pay for it. A choice among ``optuna_only`` candidates
    gets the best other one as its NNI stand-in."""
    pool = ranked if eligible is None else eligible
    best = pool[0][0]
    cheap = None
    if cost.get(best, 0.0) > CHEAP_SAMPLER_S:
        cheap = next((name for name, _ in pool if cost.get(name, 0.0) <= CHEAP_SAMPLER_S), None)
    step = {"budget": budget, "best": best, "cheap": cheap, "ranked": ranked, "n": n, "cost": cost}
    if cheap is not None and table is not None and significance < 1.0:
        p = wilcoxon_less(table[best], table[cheap])
        if p >= significance:
            step.update(best=cheap, cheap=None, cheaper_than={"name": best, "p": p})
    # NNI's forms come from the next rule that fires with an algorithm NNI has: the best such one goes there.
    step["stand_in"] = None
    if optuna_only and step["best"] in optuna_only:
        step["stand_in"] = next((name for name, _ in pool if name not in optuna_only and name != step["cheap"]),
                                None)
    return step


def _costs(block: pd.DataFrame, settings: Sequence[str]) -> dict[str, float]:
    """Mean sampler seconds per trial of each candidate over ``settings`` (nothing when not measured)."""
    if "seconds_per_trial" not in block.columns:
        return {}
    rows = block[block["setting"].isin(list(settings))]
    return {str(k): float(v) for k, v in rows.groupby("strategy")["seconds_per_trial"].mean().items()}


def _fitted(candidate: FamilyRule, rule_id: str, when: Sequence[Condition], items: Sequence[dict[str, Any]],
            name: str, scope: str, command: str) -> FamilyRule:
    def test(step: dict[str, Any]) -> str:
        if "test" not in step:
            return ""
        base = step["test"]["base"]
        return (f"; beats {_short(base)} (the choice for all settings) there, one-sided Wilcoxon signed-rank "
                f"p={step['test']['p'][name]:.3g} < {PROXY_SIGNIFICANCE:g} (Holm-adjusted over "
                f"{step['test']['tests']} tests)")

    def cheaper(step: dict[str, Any]) -> str:
        other = step.get("cheaper_than")
        if other is None or name != step["best"]:
            return ""
        return (f"; chosen over {_short(other['name'])} ({step['cost'][other['name']]:.3g} s per trial), which does "
                f"not beat it by a one-sided Wilcoxon signed-rank test (p={other['p']:.3g} >= {PROXY_SIGNIFICANCE:g})")

    figures = "; ".join(
        f"{step['budget']} trials over {step['n']} settings: "
        + ", ".join(f"{_short(n)} {r:.3f}" for n, r in step["ranked"][:3])
        + (f" ({_short(name)} {step['cost'][name]:.3g} s sampler time per trial)" if name in step["cost"] else "")
        + test(step) + cheaper(step)
        for step in items
    )
    costs = [step["cost"][name] for step in items if name in step["cost"]]
    rule = candidate.with_conditions(rule_id, tuple(when),
                                     f"`{command}`, mean normalised regret on {scope} (lowest first): {figures}")
    return replace(rule, sampler_seconds=round(max(costs), 6) if costs else None)


def _short(name: str) -> str:
    return name[len(CANDIDATE_PREFIX):] if name.startswith(CANDIDATE_PREFIX) else name


def leave_one_group_out_rules(
    summary: pd.DataFrame,
    groups: Mapping[str, str],
    has_proxy: Mapping[str, bool],
    candidates: Sequence[FamilyRule],
    choose: Callable[[tuple[FamilyRule, ...], str, int], str],
    *,
    command: str,
    prefix: Sequence[FamilyRule] = (),
    **fit_options: Any,
) -> pd.DataFrame:
    """Fit without each group, choose for its settings with the refitted rules, score the choice there.

    ``choose(rules, setting, budget)`` returns the id of the rule that fires for ``setting`` at ``budget`` (the
    caller runs :func:`~nas_complexity.strategies.decide` on the setting's own profile). ``prefix`` rules (e.g.
    multi-objective) come before the fitted ones, as in the shipped policy. ``fit_options`` (``significance``,
    ``features``) go to :func:`fit_rules`; only the training settings' features are read.

    Returns one row per held-out setting and budget: ``setting``, ``group``, ``budget``, ``rule`` (the fired
    rule's id), ``chosen`` (the candidate), ``regret`` (the candidate's mean regret there).
    """
    rows: list[dict[str, Any]] = []
    settings = list(dict.fromkeys(summary["setting"]))
    for group in dict.fromkeys(groups[s] for s in settings):
        train = [s for s in settings if groups[s] != group]
        fitted = fit_rules(summary, has_proxy, candidates, command=command, settings=train, **fit_options)
        held = score_rules(summary, (*prefix, *fitted), candidates, choose,
                           settings=[s for s in settings if groups[s] == group])
        rows += [{**row, "group": group} for row in held.to_dict(orient="records")]
    columns = ["setting", "group", "budget", "rule", "chosen", "regret"]
    return pd.DataFrame(rows, columns=columns)


def score_rules(
    summary: pd.DataFrame,
    rules: Sequence[FamilyRule],
    candidates: Sequence[FamilyRule],
    choose: Callable[[tuple[FamilyRule, ...], str, int], str],
    *,
    settings: Sequence[str] | None = None,
) -> pd.DataFrame:
    """What ``rules`` choose for each of ``settings`` (default: all in ``summary``) at each budget, and the regret
    of the chosen candidate there (NaN when the choice is no candidate or the candidate did not run there).

    ``choose(rules, setting, budget)`` returns the id of the rule that fires. One row per setting and budget:
    ``setting``, ``budget``, ``rule``, ``chosen`` (the candidate's id, else the rule's) and ``regret``.
    """
    rules = tuple(rules)
    by_id = {c.id: candidate_name(c) for c in candidates}
    regrets = summary.set_index(["setting", "budget", "strategy"])["mean_regret"]
    fired_to_candidate = {r.id: candidate_of(r, candidates) for r in rules}
    rows = []
    for setting in settings if settings is not None else dict.fromkeys(summary["setting"]):
        for budget in sorted(summary.loc[summary["setting"] == setting, "budget"].unique()):
            fired = choose(rules, setting, int(budget))
            candidate = fired_to_candidate.get(fired)
            name = by_id.get(candidate) if candidate else None
            regret = regrets.get((setting, budget, name), math.nan) if name else math.nan
            rows.append({"setting": setting, "budget": int(budget), "rule": fired, "chosen": candidate or fired,
                         "regret": float(regret)})
    return pd.DataFrame(rows, columns=["setting", "budget", "rule", "chosen", "regret"])


def candidate_of(rule: FamilyRule, candidates: Sequence[FamilyRule]) -> str | None:
    """The id of the candidate a (fitted) rule carries: same algorithm, schedule, warm start, check and mutation.

    Example:
        >>> candidate_of(DEFAULT_CANDIDATES[0].with_conditions("x", (), "e"), DEFAULT_CANDIDATES)
        'tpe'
    """
    for c in candidates:
        if ((c.family, c.algorithm, c.startup, c.warm_start, c.proxy_check, c.guided_mutation)
                == (rule.family, rule.algorithm, rule.startup, rule.warm_start, rule.proxy_check, rule.guided_mutation)):
            return c.id
    return None
