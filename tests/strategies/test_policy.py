from __future__ import annotations

import json

import pytest

from nas_complexity import profile
from nas_complexity.spaces import Categorical, FloatRange, IntRange, SearchSpace
from nas_complexity.strategies import (
    BRIEF_RULES,
    DEFAULT_RULES,
    Budget,
    BudgetError,
    Condition,
    Decision,
    FamilyRule,
    decide,
    features_of,
)


@pytest.fixture(scope="module")
def nb201():
    return profile("nb201", performance=False)


@pytest.fixture(scope="module")
def darts():
    return profile("darts", performance=False)


# The hand-written rules of the design brief (the shipped policy is fitted; see test_fitted_policy.py).
def test_large_budget_chooses_regularized_evolution(nb201):
    d = decide(nb201, Budget(n_trials=300), BRIEF_RULES)
    assert (d.family, d.optuna_sampler, d.nni_tuner, d.nni_strategy) == (
        "evolutionary", "RegularizedEvolutionSampler", "Evolution", "RegularizedEvolution")
    assert d.params["optuna"] == {"population_size": 10, "sample_size": 10}
    assert d.params["nni_strategy"] == {"population_size": 10, "sample_size": 10}
    fired = {r.id for r in d.reasons}
    assert {"large-budget", "population-size"} <= fired
    reason = next(r for r in d.reasons if r.id == "large-budget")
    assert (reason.feature, reason.value, reason.op, reason.threshold) == ("n_trials", 300, ">=", 200)
    assert "0.058" in reason.evidence


def test_small_budget_small_space_chooses_gp(nb201):
    d = decide(nb201, Budget(n_trials=80), BRIEF_RULES)
    assert (d.family, d.optuna_sampler) == ("bayesian", "GPSampler")
    assert d.params["optuna"]["n_startup_trials"] == 10  # Optuna's 10
    assert decide(nb201, Budget(n_trials=12), BRIEF_RULES).params["optuna"]["n_startup_trials"] == 6  # half of 12


def test_cheap_trials_avoid_gp_overhead(nb201):
    d = decide(nb201, Budget(n_trials=80, seconds_per_trial=0.01), BRIEF_RULES)
    assert d.optuna_sampler == "TPESampler"
    assert d.reasons[0].id == "cheap-trials-small-budget"


def test_budget_covering_space_is_random(nb201):
    d = decide(nb201, Budget(n_trials=16_000))
    assert d.family == "random" and d.reasons[0].feature == "budget_coverage"


def test_large_space_mid_budget_is_evolution(darts):
    d = decide(darts, Budget(n_trials=150), BRIEF_RULES)
    assert d.reasons[0].id == "large-space" and d.reasons[0].value > 18


def test_parallel_tpe_uses_constant_liar(nb201):
    d = decide(nb201, Budget(n_trials=150, n_workers=4), BRIEF_RULES)
    assert d.optuna_sampler == "TPESampler"
    assert d.params["optuna"]["constant_liar"] is True
    assert any(r.id == "parallel-liar" for r in d.reasons)


def test_multi_objective_is_nsga2(nb201):
    d = decide(nb201, Budget(n_trials=300, n_objectives=2))
    assert d.optuna_sampler == "NSGAIISampler" and d.notes
    # The population is the measured one (benchmarks/nsga2_tuning.py), and the reason says so.
    assert d.params["optuna"]["population_size"] == 20
    population = next(r for r in d.reasons if r.id == "population-size")
    assert "benchmarks/nsga2_tuning.py" in population.evidence and "above 300 trials" not in population.evidence
    at_1000 = next(r for r in decide(nb201, Budget(n_trials=1000, n_objectives=2)).reasons if r.id == "population-size")
    assert "above 300 trials (not measured)" in at_1000.evidence


def test_numeric_hpo_space_follows_autosampler_split():
    space = SearchSpace("hpo", [FloatRange("lr", 1e-4, 1e-1, log=True), IntRange("units", 16, 256)])
    report = profile(space, performance=False)
    assert decide(report, Budget(n_trials=100)).optuna_sampler == "GPSampler"
    assert decide(report, Budget(n_trials=500)).optuna_sampler == "CmaEsSampler"


def test_conditional_space_groups_tpe():
    from nas_complexity.spaces import Condition as When

    space = SearchSpace("c", [
        Categorical("opt", ("sgd", "adam")),
        FloatRange("momentum", 0.0, 0.9, condition=When("opt", ("sgd",))),
    ])
    d = decide(profile(space, performance=False), Budget(n_trials=150), BRIEF_RULES)
    assert d.params["optuna"]["group"] is True


def test_decision_is_deterministic_and_json_round_trips(nb201):
    a, b = decide(nb201, Budget(n_trials=250)), decide(nb201, Budget(n_trials=250))
    assert a == b and a.to_json() == b.to_json()
    assert Decision.from_json(a.to_json()) == a
    data = json.loads(a.to_json())
    assert {"family", "optuna_sampler", "nni_tuner", "params", "reasons"} <= set(data)


def test_features_are_read_from_the_report(nb201):
    f = features_of(nb201, Budget(n_trials=100))
    assert f["size_total"] == 15625 and f["n_params"] == 6 and f["all_numeric"] is False
    assert f["budget_coverage"] == pytest.approx(100 / 15625)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_trials": None}, "n_trials is missing"),
        ({"n_trials": 0}, "n_trials must be a positive integer"),
        ({"n_trials": 10, "n_workers": 0}, "n_workers must be a positive integer"),
        ({"n_trials": 10, "seconds_per_trial": -1.0}, "seconds_per_trial"),
    ],
)
def test_bad_budgets(kwargs, message):
    with pytest.raises(BudgetError, match=message):
        Budget(**kwargs)


def test_rules_are_revisable_data(nb201):
    always_random = FamilyRule("always-random", (Condition("n_trials", ">", 0),), "random", "random", "test")
    d = decide(nb201, Budget(n_trials=300), rules=(always_random, *DEFAULT_RULES))
    assert d.family == "random" and d.reasons[0].id == "always-random"
    with pytest.raises(ValueError, match="unconditional default"):
        decide(nb201, Budget(n_trials=300), rules=DEFAULT_RULES[:1])
    with pytest.raises(ValueError, match="unknown comparison"):
        Condition("n_trials", "~", 1)
