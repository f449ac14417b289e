"""The advisor's rules, kept as data: easy to read, revise from the comparison harness's evidence, and test.

A rule fires when all its conditions hold on the features of a profile and a budget (a condition on a missing
feature never holds). Family rules are tried in order and the first that fires picks the family and a neutral
algorithm (see :data:`~nas_complexity.strategies.ALGORITHMS`); the integration layer names its Optuna sampler and NNI
tuner and strategy. Every fired rule is reported with the measured value, the threshold and its evidence.
"""
from __future__ import annotations

import json
import operator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

__all__ = [
    "Condition",
    "FamilyRule",
    "BRIEF_RULES",
    "DEFAULT_RULES",
    "FITTED_RULES_FILE",
    "MAX_SAMPLER_SHARE",
    "PREFIX_RULES",
    "RULES_VERSION",
    "UNKNOWN_TRIAL_SAMPLER_S",
    "rules_from_json",
    "rules_to_json",
]

RULES_VERSION = "4"

MAX_SAMPLER_SHARE = 0.1
"""A sampler may take at most this share of a trial's time (when ``seconds_per_trial`` is given)."""

UNKNOWN_TRIAL_SAMPLER_S = 1.0
"""Sampler seconds per trial allowed when the trial time is not known: a sampler slower than this would double the
time of any trial shorter than it (the README's evidence section gives the measured sampler times)."""

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class Condition:
    """``feature op threshold``, e.g. ``Condition("n_trials", ">=", 200)``."""

    feature: str
    op: str
    threshold: Any

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"unknown comparison {self.op!r}; accepted: {', '.join(_OPS)}")

    def holds(self, features: dict[str, Any]) -> bool:
        value = features.get(self.feature)
        if value is None:
            return False
        return bool(_OPS[self.op](value, self.threshold))


@dataclass(frozen=True)
class FamilyRule:
    """If every condition holds, search with ``family`` using the neutral ``algorithm``.

    ``algorithm`` is one of :data:`~nas_complexity.strategies.ALGORITHMS` (``random``, ``tpe``, ``gp``,
    ``cma_es``, ``nsga2``, ``regularized_evolution``). Any other name is kept as given: nothing is tuned for it and
    a framework that does not know it cannot build it (the Optuna hook then keeps the study's own sampler).

    ``startup`` makes a budget-aware schedule of an algorithm that can start from a model (``model_start``):
    ``(startup_algorithm, fraction)`` hands the first ``fraction`` of the budget to ``startup_algorithm`` and
    evolves from what it found. ``warm_start`` is the share of the budget spent first on the profile's best
    zero-cost proxy scores (a zero-cost warm start; nothing when the profile scored no network). ``proxy_check``
    (with a warm start) is the share of the budget after which the search checks online whether the proxy's picks
    beat the sampler's own trials, and evaluates the profile's next best-scored architectures only if they did.
    ``guided_mutation`` (for an algorithm that can, e.g. regularized evolution): candidate values drawn per mutated
    parameter, the one the proxy's main effects over the profile's scored architectures rate best being kept
    (0: mutations at random; nothing either when the profile scored no network).

    Example:
        >>> rule = FamilyRule("big", (Condition("n_trials", ">=", 200),), "evolutionary", "regularized_evolution", "why")
        >>> rule.fires({"n_trials": 300}), rule.fires({"n_trials": 100})
        (True, False)
    """

    id: str
    when: tuple[Condition, ...]
    family: str
    algorithm: str
    evidence: str
    startup: tuple[str, float] | None = None
    warm_start: float = 0.0
    sampler_seconds: float | None = None
    proxy_check: float | None = None
    guided_mutation: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.guided_mutation, bool) or not isinstance(self.guided_mutation, int) or \
                self.guided_mutation == 1 or self.guided_mutation < 0:
            raise ValueError(f"guided_mutation={self.guided_mutation!r} must be 0 (unguided) or an integer >= 2 "
                             "(candidate values per mutated parameter)")
        if not 0.0 <= self.warm_start < 1.0:
            raise ValueError(f"warm_start={self.warm_start!r} must be a share of the budget in [0, 1)")
        if self.proxy_check is not None and not (self.warm_start > 0.0 and 0.0 < self.proxy_check < 1.0):
            raise ValueError(f"proxy_check={self.proxy_check!r} must be a share of the budget in (0, 1), with a "
                             f"warm start to check (warm_start={self.warm_start!r})")
        if self.startup is not None and not (len(self.startup) == 2 and 0.0 < float(self.startup[1]) < 1.0):
            raise ValueError(f"startup={self.startup!r} must be (algorithm, share of the budget in (0, 1))")

    @property
    def uses_proxy(self) -> bool:
        """Whether the choice reads the profile's proxy scores (a warm start or a guided mutation): without them it
        is the same search as the rule without these options."""
        return self.warm_start > 0 or self.guided_mutation > 0

    def fires(self, features: dict[str, Any]) -> bool:
        return all(c.holds(features) for c in self.when)

    def sampler_limit(self, features: dict[str, Any]) -> float:
        """The most sampler seconds per trial this search affords (from the budget's ``seconds_per_trial``)."""
        seconds = features.get("seconds_per_trial")
        return UNKNOWN_TRIAL_SAMPLER_S if seconds is None else MAX_SAMPLER_SHARE * float(seconds)

    def affordable(self, features: dict[str, Any]) -> bool:
        """Whether the choice's measured sampler cost fits the budget (always, when it was not measured)."""
        return self.sampler_seconds is None or self.sampler_seconds <= self.sampler_limit(features)

    def with_conditions(self, id: str, when: tuple[Condition, ...], evidence: str) -> "FamilyRule":
        """This rule's choice under other conditions (how a fitted policy is assembled from candidates)."""
        return replace(self, id=id, when=when, evidence=evidence)


def rules_to_json(rules: Sequence[FamilyRule]) -> str:
    """Rules as JSON (how a fitted policy is stored).

    Example:
        >>> rule = FamilyRule("x", (Condition("n_trials", "<", 50),), "bayesian", "tpe", "e", ("tpe", 0.5), 0.1)
        >>> rules_from_json(rules_to_json([rule]))[0] == rule
        True
    """
    return json.dumps([
        {"id": r.id, "when": [[c.feature, c.op, c.threshold] for c in r.when], "family": r.family,
         "algorithm": r.algorithm, "startup": None if r.startup is None else [r.startup[0], r.startup[1]],
         "warm_start": r.warm_start, "sampler_seconds": r.sampler_seconds, "proxy_check": r.proxy_check,
         "guided_mutation": r.guided_mutation, "evidence": r.evidence}
        for r in rules
    ], indent=1)


def rules_from_json(text: str) -> tuple[FamilyRule, ...]:
    """Rules from :func:`rules_to_json`."""
    return tuple(
        FamilyRule(d["id"], tuple(Condition(*c) for c in d["when"]), d["family"], d["algorithm"], d["evidence"],
                   None if d.get("startup") is None else (str(d["startup"][0]), float(d["startup"][1])),
                   float(d.get("warm_start", 0.0)), d.get("sampler_seconds"), d.get("proxy_check"),
                   int(d.get("guided_mutation", 0)))
        for d in json.loads(text)
    )


_BRIEF = "design brief, 'Measured on the shared tables'"

PREFIX_RULES: tuple[FamilyRule, ...] = (
    FamilyRule(
        "multi-objective",
        (Condition("n_objectives", ">", 1),),
        "evolutionary", "nsga2",
        "regularized evolution is single-objective; NSGA-II is Optuna's default multi-objective sampler",
    ),
    FamilyRule(
        "budget-covers-space",
        (Condition("budget_coverage", ">=", 1.0),),
        "random", "random",
        "Ax's dispatcher: when the budget covers every point of a discrete space, model-based search cannot help",
    ),
    FamilyRule(
        "numeric-large-budget",
        (Condition("all_numeric", "==", True), Condition("n_trials", ">=", 250)),
        "evolutionary", "cma_es",
        "OptunaHub AutoSampler: all-numeric spaces with >= 250 trials go to CMA-ES",
    ),
    FamilyRule(
        "numeric-small-budget",
        (Condition("all_numeric", "==", True),),
        "bayesian", "gp",
        "OptunaHub AutoSampler: all-numeric spaces with < 250 trials go to a Gaussian process",
    ),
)
"""Rules tried before the fitted ones: cases the benchmark tables do not cover (several objectives, all-numeric
spaces) or where no search beats enumeration."""

_UNFITTED_RULES: tuple[FamilyRule, ...] = (
    FamilyRule(
        "cheap-trials-small-budget",
        (Condition("n_trials", "<=", 100), Condition("seconds_per_trial", "<", 0.3)),
        "bayesian", "tpe",
        f"{_BRIEF}: GP costs about 28 s per 100-trial run (0.28 s per trial) against 1.6 s for 300 TPE trials",
    ),
    FamilyRule(
        "small-budget-small-space",
        (Condition("n_trials", "<=", 100), Condition("log10_size", "<=", 5.0)),
        "bayesian", "gp",
        f"{_BRIEF}: GP has the lowest mean normalised regret up to 100 trials (0.110 at 100) and leads on every "
        "NB201-space setting and NAS-Bench-Macro (spaces of 10^3.6 to 10^4.2)",
    ),
    FamilyRule(
        "large-budget",
        (Condition("n_trials", ">=", 200), Condition("is_architecture_space", "==", True)),
        "evolutionary", "regularized_evolution",
        f"{_BRIEF}: at 300 trials regularized evolution (population 20, tournament 5) leads with mean regret 0.058 "
        "ahead of TPE 0.085 and random 0.134; NAS-Bench-Suite: best average rank over 25 settings",
    ),
    FamilyRule(
        "large-space",
        (Condition("log10_size", ">", 10.0), Condition("is_architecture_space", "==", True)),
        "evolutionary", "regularized_evolution",
        "NAS-Bench-Suite (Mehta et al. 2022): model-based BO degrades as the space grows (rank vs size Kendall "
        "+0.48 for BANANAS) while evolution gains with neighbourhood size",
    ),
    FamilyRule(
        "default",
        (),
        "bayesian", "tpe",
        f"{_BRIEF}: TPE is second at 300 trials (0.085) and cheap; AutoSampler uses multivariate TPE for "
        "categorical and conditional spaces",
    ),
)

FITTED_RULES_FILE = Path(__file__).with_name("fitted_rules.json")
"""The rules fitted by ``benchmarks/evidence.py --write-policy`` on every shared benchmark setting."""


BRIEF_RULES: tuple[FamilyRule, ...] = PREFIX_RULES + _UNFITTED_RULES
"""The hand-written rules drawn from the design brief's figures: the policy before one was fitted, and what applies
when no fitted policy file is shipped."""


def _fitted_rules() -> tuple[FamilyRule, ...]:
    # Without the fitted file (a source tree that removed it), the hand-written rules from the design brief apply.
    if FITTED_RULES_FILE.exists():
        return rules_from_json(FITTED_RULES_FILE.read_text(encoding="utf-8"))
    return _UNFITTED_RULES


DEFAULT_RULES: tuple[FamilyRule, ...] = PREFIX_RULES + _fitted_rules()
"""The shipped policy: :data:`PREFIX_RULES`, then the rules fitted from the comparison harness's evidence."""
