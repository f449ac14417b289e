"""The decision policy: features of a profile and a budget -> a tuned, explained :class:`Decision`."""
from __future__ import annotations

from typing import Any, Sequence

from nas_complexity.report import ComplexityReport
from nas_complexity.strategies._algorithms import Strategy, algorithm_info, framework_fields
from nas_complexity.strategies._budget import Budget
from nas_complexity.strategies._decision import Decision, Reason
from nas_complexity.strategies._rules import (
    DEFAULT_RULES,
    MAX_SAMPLER_SHARE,
    RULES_VERSION,
    UNKNOWN_TRIAL_SAMPLER_S,
    FamilyRule,
)

__all__ = ["PROXY_FEATURES", "decide", "evolution_parameters", "features_of", "nsga2_parameters", "rules_read_proxy"]

PROXY_FEATURES = frozenset({"performance_sd", "n_proxy_best"})
"""The features of :func:`features_of` that only a profile which scored the zero-cost proxy has."""


def rules_read_proxy(rules: Sequence[FamilyRule]) -> bool:
    """Whether any rule reads what the proxy's scoring gives: a condition on a :data:`PROXY_FEATURES` feature, a
    warm start or a guided mutation. When none does, scoring the proxy changes no decision.

    Example:
        >>> from nas_complexity.strategies import FamilyRule
        >>> rules_read_proxy([FamilyRule("x", (), "bayesian", "tpe", "e")])
        False
        >>> rules_read_proxy([FamilyRule("x", (), "bayesian", "tpe", "e", warm_start=0.1)])
        True
    """
    return any(rule.uses_proxy or any(c.feature in PROXY_FEATURES for c in rule.when) for rule in rules)


def features_of(report: ComplexityReport, budget: Budget) -> dict[str, Any]:
    """The numbers the rules read, from a profile and a budget (``None`` where not measured).

    Example:
        >>> from nas_complexity.profiling import profile
        >>> from nas_complexity.strategies import Budget
        >>> features = features_of(profile("nb201", performance=False), Budget(n_trials=100))
        >>> features["size_total"], features["budget_coverage"], features["is_architecture_space"]
        (15625, 0.0064, True)
    """
    size = report.size
    params = report.parameters or {}
    perf = report.performance_diversity or {}
    coverage = None
    if size.total:
        coverage = budget.n_trials / size.total
    n_numeric = params.get("n_numeric")
    n_params = params.get("n_params")
    return {
        "n_trials": budget.n_trials,
        "n_workers": budget.n_workers,
        "n_objectives": budget.n_objectives,
        "direction": budget.direction,
        "seconds_per_trial": budget.seconds_per_trial,
        "size_total": size.total,
        # A space with a real-valued parameter has no finite size: size rules do not apply to it.
        "log10_size": size.log10,
        "has_continuous": size.provenance == "continuous",
        "budget_coverage": coverage,
        "n_params": n_params,
        "n_conditional": params.get("n_conditional"),
        "all_numeric": None if n_numeric is None or not n_params else n_numeric == n_params,
        "architecture_diversity": report.architecture_diversity.value,
        # The NAS evidence behind the evolution rules comes from architecture spaces: the space says what it is.
        "is_architecture_space": _is_architecture_space(report),
        "performance_sd": perf.get("sd"),
        # Architectures the profile scored with the zero-cost proxy and kept for a warm start (0: none scored).
        "n_proxy_best": len(perf.get("best_scored") or ()),
        "n_tasks": report.multi_task.n_tasks,
    }


def _is_architecture_space(report: ComplexityReport) -> bool:
    """Whether the space was declared an architecture space (``report.parameters["kind"]``).

    Reports made before spaces declared their kind keep the reading they were decided with: a space whose values
    name building blocks of the vocabulary (architecture diversity measured) counts as an architecture space.
    """
    kind = (report.parameters or {}).get("kind")
    if kind is None:
        return report.architecture_diversity.value is not None
    return kind == "architecture"


def _family_reason(rule: FamilyRule, features: dict[str, Any], label: str, passed_over: bool = False) -> list[Reason]:
    effect = f"family {rule.family} ({label})"
    if passed_over and not rule.when:
        # The earlier rules that fired chose samplers too slow for the trial: say so, not "no earlier rule fired".
        return [Reason(rule.id, "seconds_per_trial", features.get("seconds_per_trial"), "->",
                       "the earlier choices' samplers are too slow for it", effect, rule.evidence)]
    if not rule.when:
        return [Reason(rule.id, "", None, "", None, effect, rule.evidence)]
    return [Reason(rule.id, c.feature, features[c.feature], c.op, c.threshold, effect, rule.evidence) for c in rule.when]


def _startup_trials(features: dict[str, Any]) -> tuple[int, Reason]:
    n_trials = features["n_trials"]
    value = int(max(1, min(STARTUP_TRIALS, n_trials // 2)))
    return value, Reason(
        "startup-trials", "n_trials", n_trials, "->", f"min({STARTUP_TRIALS}, n_trials/2)={value}",
        f"n_startup_trials={value}",
        "benchmarks/evidence.py (README, 'The evidence behind the advisor'): Optuna's 10 random startup trials beat "
        "Ax's 2 x parameters (12 to 18 on the shared tables) for TPE at 100 and 300 trials, and 5 startup trials "
        "for GP at 25 trials; at most half the budget",
    )


STARTUP_TRIALS = 10
"""Random trials before a model-based sampler models (Optuna's default; see :func:`_startup_trials`)."""


MEASURED_POPULATION = 10
"""Regularized evolution's population up to :data:`MEASURED_UP_TO` trials (see :func:`evolution_parameters`)."""
MEASURED_UP_TO = 300
"""The largest budget the evolution parameters were measured at."""
WHOLE_TOURNAMENT_FROM = 173
"""From this budget the tournament is the whole population: between the measured 100 and 300 trials, on a log
scale (sqrt(100 x 300))."""


def evolution_parameters(n_trials: int) -> tuple[int, int, Reason]:
    """Regularized evolution's ``(population_size, sample_size, reason)`` for a budget of ``n_trials``.

    Measured by ``python benchmarks/evolution_tuning.py`` (14 population/tournament pairs on every shared table,
    10 seeds; its figures are in the README, "The evidence behind the advisor"): a population of 10 leads at 25,
    100 and 300 trials; a tournament of half of it leads (or ties) at 25 and 100 trials, and the whole population
    (the oldest-first aging keeps it from stalling) at 300 trials, where every leave-one-space-out refit chose it.
    Beyond the measured budgets the population grows with the budget (``n_trials / 30``, at most 100: as many
    generations as at 300 trials); that part is not measured.

    Example:
        >>> [evolution_parameters(n)[:2] for n in (25, 100, 300, 3000)]
        [(10, 5), (10, 5), (10, 10), (100, 100)]
    """
    population = MEASURED_POPULATION
    if n_trials > MEASURED_UP_TO:
        population = int(min(max(round(n_trials * MEASURED_POPULATION / MEASURED_UP_TO), MEASURED_POPULATION), 100))
    whole = n_trials >= WHOLE_TOURNAMENT_FROM
    sample_size = population if whole else max(1, population // 2)
    measured = n_trials <= MEASURED_UP_TO
    return population, sample_size, Reason(
        "population-size", "n_trials", n_trials, ">=" if whole else "<", WHOLE_TOURNAMENT_FROM,
        f"population_size={population}, sample_size={sample_size}",
        "python benchmarks/evolution_tuning.py (README, 'The evidence behind the advisor'): of 14 "
        "population/tournament pairs, population 10 with tournament 5 led at 25 and 100 trials and population 10 "
        "with tournament 10 at 300 trials (chosen by every leave-one-space-out refit)"
        + ("" if measured else "; above 300 trials (not measured) the population grows as n_trials/30, at most 100"),
    )


def nsga2_parameters(n_trials: int) -> tuple[int, int, Reason]:
    """NSGA-II's ``(population_size, sample_size, reason)`` for a budget of ``n_trials`` (an evolution without aging;
    the advisor runs it for multi-objective studies).

    The population is ``n_trials / 15`` (about 15 generations), at least 10 and at most 100. Measured by ``python
    benchmarks/nsga2_tuning.py`` (populations 5, 10, 20 and 50 on every shared table, 10 seeds, single-objective;
    its figures are in the README, "The evidence behind the advisor"): 10 leads at 100 trials, where every
    leave-one-space-out refit chose it and Optuna's default of 50 is still mostly random; at 300 trials 20 and 50
    tie, ahead of 10; at 25 trials every population is a random search. The tournament (a quarter of the
    population; Optuna's NSGA-II always uses a binary one) is not measured.

    Example:
        >>> [nsga2_parameters(n)[:2] for n in (25, 100, 300, 3000)]
        [(10, 2), (10, 2), (20, 5), (100, 25)]
    """
    population = int(min(max(round(n_trials / 15), 10), 100))
    sample_size = max(2, round(population / 4))
    return population, sample_size, Reason(
        "population-size", "n_trials", n_trials, "->", f"clamp(n_trials/15, 10, 100)={population}",
        f"population_size={population}, sample_size={sample_size}",
        "python benchmarks/nsga2_tuning.py (README, 'The evidence behind the advisor'): of populations 5, 10, 20 and "
        "50 on the single-objective tables, 10 led at 100 trials (chosen by every leave-one-space-out refit) and 20 "
        "tied with 50 at 300 trials; the population scales with the budget between them (about 15 generations); "
        "the tournament, a quarter of the population, is not measured"
        + ("" if n_trials <= MEASURED_UP_TO else "; above 300 trials (not measured) the population keeps growing "
           "as n_trials/15, at most 100"),
    )


def _tune(rule: FamilyRule, features: dict[str, Any]) -> tuple[dict[str, Any], list[Reason]]:
    """Neutral hyperparameters of the rule's algorithm, chosen by what the algorithm can be tuned on."""
    algorithm = algorithm_info(rule.algorithm)
    reasons: list[Reason] = []
    tuned: dict[str, Any] = {}
    if algorithm.startup_trials:
        tuned["n_startup_trials"], reason = _startup_trials(features)
        reasons.append(reason)
    if algorithm.joint_model:
        tuned["multivariate"] = True
        if (features.get("n_conditional") or 0) > 0:
            tuned["group"] = True
            reasons.append(Reason(
                "conditional-group", "n_conditional", features["n_conditional"], ">", 0, "group=True",
                "Optuna TPESampler: group=True models conditional parameters jointly (AutoSampler does the same)",
            ))
    if algorithm.parallel_liar and features["n_workers"] > 1:
        tuned["constant_liar"] = True
        reasons.append(Reason(
            "parallel-liar", "n_workers", features["n_workers"], ">", 1, "constant_liar=True",
            "Optuna TPESampler docs: constant_liar avoids parallel workers sampling the same point",
        ))
    if algorithm.population:
        n_trials = int(features["n_trials"])
        population, sample_size, reason = (evolution_parameters(n_trials) if algorithm.aging
                                           else nsga2_parameters(n_trials))
        reasons.append(reason)
        tuned["population_size"] = population
        if algorithm.tournament:
            tuned["sample_size"] = sample_size
    if rule.startup is not None and algorithm.model_start:
        startup_algorithm, share = rule.startup
        n_startup = int(max(tuned.get("population_size", 1), round(share * features["n_trials"])))
        tuned["startup_algorithm"] = startup_algorithm
        tuned["n_startup_trials"] = n_startup
        reasons.append(Reason(
            "model-based-start", "n_trials", features["n_trials"], "->", f"max(population, {share:g} x n_trials)={n_startup}",
            f"first {n_startup} trials by {startup_algorithm}, then evolution from what it found", rule.evidence,
        ))
    return tuned, reasons


def _schedule_notes(hyperparameters: dict[str, Any], warm_start: list[dict[str, Any]],
                    check_after: int | None = None) -> list[str]:
    """What a framework without a trial queue or a model-based start must do by hand."""
    notes = []
    if warm_start:
        notes.append(f"warm start: evaluate the {len(warm_start)} architectures of warm_start first (the Optuna hook "
                     "queues them; NNI's tuners and NAS strategies have no queue)")
    if check_after is not None:
        notes.append(f"online proxy check after {check_after} completed trials (the Optuna hook runs it; elsewhere "
                     "compare the warm start's results with the others' by hand)")
    if "startup_algorithm" in hyperparameters:
        notes.append(f"the first {hyperparameters['n_startup_trials']} trials are {hyperparameters['startup_algorithm']}'s "
                     "(Optuna); NNI's evolution draws its first population at random")
    if "mutation_candidates" in hyperparameters:
        notes.append("proxy-guided mutation (Optuna's RegularizedEvolutionSampler); NNI's evolution mutates at "
                     "random")
    return notes


def _warm_start(rule: FamilyRule, report: ComplexityReport, features: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Reason]]:
    """The profile's best proxy-scored architectures to evaluate first, when the rule asks for a warm start."""
    best = (report.performance_diversity or {}).get("best_scored") or []
    count = min(len(best), int(round(rule.warm_start * features["n_trials"])))
    if count < 1:
        return [], []
    return [dict(b["architecture"]) for b in best[:count]], [Reason(
        "zero-cost-warm-start", "n_proxy_best", len(best), "->", f"min(n_proxy_best, {rule.warm_start:g} x n_trials)={count}",
        f"first {count} trials: the profile's best {(report.performance_diversity or {}).get('proxy')} scores",
        rule.evidence,
    )]


def _guided_mutation(rule: FamilyRule, report: ComplexityReport
                     ) -> tuple[dict[str, Any], dict[str, dict[str, float]], list[Reason]]:
    """The mutation's candidates and the proxy's main effects that choose among them, when the rule asks and the
    profile measured them."""
    if not rule.guided_mutation or not algorithm_info(rule.algorithm).guided_mutation:
        return {}, {}, []
    effects = (report.performance_diversity or {}).get("value_effects") or {}
    if not effects:
        return {}, {}, []
    return {"mutation_candidates": rule.guided_mutation}, {k: dict(v) for k, v in effects.items()}, [Reason(
        "proxy-guided-mutation", "n_proxy_effects", len(effects), "->", rule.guided_mutation,
        f"mutation_candidates={rule.guided_mutation}: each mutated parameter keeps the best of "
        f"{rule.guided_mutation} candidate values by the proxy's main effects over the profile's scored networks",
        rule.evidence,
    )]


def _proxy_check(rule: FamilyRule, warm_start: list[dict[str, Any]],
                 features: dict[str, Any]) -> tuple[int | None, list[Reason]]:
    """When to check online whether the warm start's architectures beat the sampler's own trials: after the
    rule's share of the budget, and never before the sampler has had as many trials as the warm start."""
    if rule.proxy_check is None or not warm_start:
        return None, []
    n_trials = features["n_trials"]
    after = max(2 * len(warm_start), int(round(rule.proxy_check * n_trials)))
    if after >= n_trials:
        return None, []
    return after, [Reason(
        "online-proxy-check", "n_trials", n_trials, "->", f"max(2 x warm start, {rule.proxy_check:g} x n_trials)={after}",
        f"after {after} completed trials: more of the profile's best proxy scores only if the warm start's "
        "beat the sampler's own trials", rule.evidence,
    )]


def _nni_stand_in(rule: FamilyRule, rules: Sequence[FamilyRule], features: dict[str, Any], budget: Budget,
                  forms: dict[str, Any], tuning: Sequence[Reason]) -> list[Reason]:
    """For an algorithm only Optuna runs: NNI's forms (in ``forms``, replaced) from the next rule that fires, is
    affordable and names an algorithm NNI has; nothing changes when no such rule follows. ``tuning``: the chosen
    rule's own tuning reasons."""
    if not algorithm_info(rule.algorithm).optuna_only:
        return []
    later = list(rules)[list(rules).index(rule) + 1:]
    stand_in = next((r for r in later if r.fires(features) and r.affordable(features)
                     and not algorithm_info(r.algorithm).optuna_only), None)
    if stand_in is None:
        return []
    hyperparameters, stand_in_tuning = _tune(stand_in, features)
    nni = framework_fields(Strategy(stand_in.family, stand_in.algorithm, hyperparameters, budget.n_objectives,
                                    budget.direction, bool(features.get("all_numeric"))))
    for key in ("nni_tuner", "nni_strategy"):
        forms[key] = nni[key]
        forms["params"][key] = nni["params"][key]
    kept = [n for n in forms["notes"] if "NNI runs" not in n]
    forms["notes"] = kept + [f"NNI has no {rule.algorithm}: NNI runs {stand_in.algorithm} (rule {stand_in.id}, "
                             "the next that fires)"] + [n for n in nni["notes"] if n not in kept]
    # The stand-in's own tuning (e.g. evolution's population) explains NNI's parameters; a tuning the chosen
    # algorithm shares (its startup trials) is already among the reasons.
    given = {r.id for r in tuning}
    return [Reason("nni-stand-in", "algorithm", rule.algorithm, "->", f"Optuna only; next rule {stand_in.id}",
                   f"NNI runs {stand_in.algorithm}: tuner {nni['nni_tuner']}, NAS strategy {nni['nni_strategy']}",
                   stand_in.evidence)] + [r for r in stand_in_tuning if r.id not in given]


def decide(report: ComplexityReport, budget: Budget, rules: Sequence[FamilyRule] = DEFAULT_RULES) -> Decision:
    """Choose and tune the search strategy for ``report``'s space under ``budget``.

    Deterministic: the same report and budget always give the same decision. ``rules`` may be revised (the
    comparison harness does so from measured evidence); the last rule should have no condition (the default).

    Example:
        >>> from nas_complexity import profile
        >>> d = decide(profile("nb201", performance=False), Budget(n_trials=300))
        >>> d.family, d.algorithm, d.hyperparameters, d.optuna_sampler, d.nni_strategy
        ('bayesian', 'discrete_gp', {'n_startup_trials': 10}, 'DiscreteGPSampler', 'RegularizedEvolution')
    """
    if not isinstance(budget, Budget):
        raise TypeError(f"budget must be a nas_complexity.strategies.Budget, got {type(budget).__name__}")
    features = features_of(report, budget)
    too_costly: list[Reason] = []
    for rule in rules:
        if not rule.fires(features):
            continue
        if rule.affordable(features) or rule is rules[-1]:
            break
        too_costly.append(Reason(
            f"{rule.id}-sampler-cost", "sampler_seconds", rule.sampler_seconds, ">", round(rule.sampler_limit(features), 6),
            f"{rule.algorithm} not used: its sampler would cost more than the trial affords",
            f"measured sampler seconds per trial (comparison harness); at most {MAX_SAMPLER_SHARE:.0%} of "
            f"seconds_per_trial, or {UNKNOWN_TRIAL_SAMPLER_S:g} s when the trial time is not given",
        ))
    else:
        raise ValueError("no rule fired: the rule list must end with an unconditional default rule")
    hyperparameters, tuning = _tune(rule, features)
    guided, effects, guided_reasons = _guided_mutation(rule, report)
    hyperparameters.update(guided)
    warm_start, warm_reasons = _warm_start(rule, report, features)
    check_after, check_reasons = _proxy_check(rule, warm_start, features)
    strategy = Strategy(rule.family, rule.algorithm, hyperparameters, budget.n_objectives, budget.direction,
                        bool(features.get("all_numeric")))
    forms = framework_fields(strategy)
    stand_in_reasons = _nni_stand_in(rule, rules, features, budget, forms, tuning)
    return Decision(
        family=rule.family,
        optuna_sampler=forms["optuna_sampler"],
        nni_tuner=forms["nni_tuner"],
        nni_strategy=forms["nni_strategy"],
        params=forms["params"],
        # Reasons name the Optuna sampler, as the CLI and the hook's log line have always shown them.
        reasons=_family_reason(rule, features, forms["optuna_sampler"], bool(too_costly)) + too_costly + tuning
        + guided_reasons + warm_reasons + check_reasons + stand_in_reasons,
        features=features,
        rules_version=RULES_VERSION,
        notes=list(forms["notes"]) + _schedule_notes(hyperparameters, warm_start, check_after),
        algorithm=rule.algorithm,
        hyperparameters=hyperparameters,
        warm_start=warm_start,
        proxy_check_after=check_after,
        mutation_effects=effects,
    )
