"""The decision is framework-neutral: rules name algorithms, decide() records a neutral strategy, the Optuna and NNI
forms come from the integration layer's mappings, and the package imports with no framework installed."""
from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nas_complexity import profile
from nas_complexity.spaces import Categorical, FloatRange, IntRange, SearchSpace
from nas_complexity.strategies import (
    ALGORITHMS,
    BRIEF_RULES,
    DEFAULT_RULES,
    Algorithm,
    Budget,
    Decision,
    FamilyRule,
    decide,
)

REPO = Path(__file__).resolve().parents[2]
STRATEGIES = REPO / "strategies"


@pytest.fixture(scope="module")
def nb201():
    return profile("nb201", performance=False)


# -------------------------------------------------------------------------------------- no framework needed
_BLOCKED = textwrap.dedent(
    """
    import sys
    for name in ("optuna", "nni", "torch"):
        sys.modules[name] = None  # any import of them (or of a submodule) raises ImportError
    import nas_complexity.strategies as strategies
    from nas_complexity import profile
    from nas_complexity.integration import _nni_strategies, _nni_tuners, _optuna_samplers  # the mappings: plain data

    report = profile("mbconv-macro", performance=False)
    rows = {}
    for n_trials, n_objectives in ((50, 1), (300, 1), (300, 2), (10_000, 1)):
        d = strategies.decide(report, strategies.Budget(n_trials=n_trials, n_objectives=n_objectives),
                              strategies.BRIEF_RULES)
        rows[f"{n_trials}/{n_objectives}"] = [d.algorithm, d.optuna_sampler, d.nni_tuner, d.nni_strategy]
    loaded = sorted(m for m in ("optuna", "nni", "torch") if sys.modules.get(m) is not None)
    print(__import__("json").dumps({"rows": rows, "loaded": loaded}))
    """
)


def test_strategies_import_and_decide_without_any_framework():
    result = subprocess.run([sys.executable, "-c", _BLOCKED], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["loaded"] == []
    assert out["rows"] == {
        "50/1": ["gp", "GPSampler", "TPE", "TPE"],  # NNI's GPTuner takes no choice parameters
        "300/1": ["regularized_evolution", "RegularizedEvolutionSampler", "Evolution", "RegularizedEvolution"],
        "300/2": ["nsga2", "NSGAIISampler", "Evolution", "RegularizedEvolution"],
        "10000/1": ["random", "RandomSampler", "Random", "Random"],
    }


def test_the_decision_layer_imports_no_framework_and_names_no_framework_class():
    for path in sorted(STRATEGIES.glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {
            alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & {"optuna", "nni", "torch"}, path.name
    # Rules carry a family and a neutral algorithm, nothing framework-specific.
    fields = {f.name for f in dataclasses.fields(FamilyRule)}
    assert fields == {"id", "when", "family", "algorithm", "evidence", "startup", "warm_start",
                      "sampler_seconds", "proxy_check", "guided_mutation"}
    assert {rule.algorithm for rule in DEFAULT_RULES} <= set(ALGORITHMS)
    assert {rule.startup[0] for rule in DEFAULT_RULES if rule.startup} <= set(ALGORITHMS)
    assert set(ALGORITHMS) == {"random", "tpe", "gp", "discrete_gp", "cma_es", "nsga2", "regularized_evolution"}


# ---------------------------------------------------------------------------------- the neutral strategy
@pytest.mark.parametrize(
    "budget, algorithm, hyperparameters",
    [
        (Budget(n_trials=300), "regularized_evolution", {"population_size": 10, "sample_size": 10}),
        (Budget(n_trials=80), "gp", {"n_startup_trials": 10}),
        (Budget(n_trials=80, seconds_per_trial=0.01), "tpe", {"n_startup_trials": 10, "multivariate": True}),
        (Budget(n_trials=150, n_workers=4), "tpe", {"n_startup_trials": 10, "multivariate": True, "constant_liar": True}),
        (Budget(n_trials=300, n_objectives=2), "nsga2", {"population_size": 20, "sample_size": 5}),
        (Budget(n_trials=16_000), "random", {}),
    ],
)
def test_decide_records_the_neutral_strategy_and_its_framework_forms(nb201, budget, algorithm, hyperparameters):
    from nas_complexity.integration import framework_fields

    d = decide(nb201, budget, BRIEF_RULES)
    assert (d.algorithm, d.hyperparameters) == (algorithm, hyperparameters)
    assert d.strategy.algorithm == algorithm and d.strategy.n_objectives == budget.n_objectives
    # The framework fields are exactly what the integration layer maps the neutral strategy to.
    forms = framework_fields(d.strategy)
    assert (d.optuna_sampler, d.nni_tuner, d.nni_strategy, d.params, d.notes) == (
        forms["optuna_sampler"], forms["nni_tuner"], forms["nni_strategy"], forms["params"], forms["notes"])
    data = json.loads(d.to_json())
    assert {"family", "optuna_sampler", "nni_tuner", "params", "reasons", "algorithm", "hyperparameters"} <= set(data)
    assert Decision.from_json(d.to_json()) == d


def test_tuning_follows_the_algorithms_capabilities_not_its_name(nb201, monkeypatch):
    # An algorithm the library has never heard of, declared to evolve a population: it is tuned as such, and each
    # framework names it as given (building it then fails with the framework's list of accepted names).
    monkeypatch.setitem(ALGORITHMS, "aging_evolution", Algorithm("aging_evolution", population=True))
    rule = FamilyRule("mine", (), "evolutionary", "aging_evolution", "test")
    d = decide(nb201, Budget(n_trials=600), rules=(rule,))
    assert d.hyperparameters == {"population_size": 40}
    assert any(r.id == "population-size" for r in d.reasons)
    assert d.optuna_sampler == "aging_evolution" and d.params["optuna"] == {}


# -------------------------------------------------------------------------------- decisions stored before
# What the previous version stored for nb201 at 300 trials and, for NSGA-II, at 300 trials with two objectives
# (``Decision.to_json()`` of that version, reasons and features shortened).
_OLD_EVOLUTION = {
    "family": "evolutionary", "optuna_sampler": "RegularizedEvolutionSampler", "nni_tuner": "Evolution",
    "nni_strategy": "RegularizedEvolution", "notes": [], "rules_version": "1", "features": {"n_trials": 300},
    "params": {"optuna": {"population_size": 20, "sample_size": 5},
               "nni_tuner": {"population_size": 20, "optimize_mode": "maximize"},
               "nni_strategy": {"population_size": 20, "sample_size": 5}},
    "reasons": [{"id": "large-budget", "feature": "n_trials", "value": 300, "op": ">=", "threshold": 200,
                 "effect": "family evolutionary (RegularizedEvolutionSampler)", "evidence": "brief"}],
}
_OLD_NSGA2 = {
    **_OLD_EVOLUTION, "optuna_sampler": "NSGAIISampler",
    "params": {"optuna": {"population_size": 20},
               "nni_tuner": {"population_size": 20, "optimize_mode": "maximize"},
               "nni_strategy": {"population_size": 20, "sample_size": 5}},
}


@pytest.mark.parametrize(
    "stored, algorithm, hyperparameters",
    [
        (_OLD_EVOLUTION, "regularized_evolution", {"population_size": 20, "sample_size": 5}),
        (_OLD_NSGA2, "nsga2", {"population_size": 20, "sample_size": 5}),
        ({**_OLD_EVOLUTION, "optuna_sampler": "TPESampler",
          "params": {"optuna": {"n_startup_trials": 12, "multivariate": True}}}, "tpe",
         {"n_startup_trials": 12, "multivariate": True}),
    ],
)
def test_decisions_stored_by_the_previous_version_are_read(stored, algorithm, hyperparameters):
    d = Decision.from_json(json.dumps(stored))
    assert (d.algorithm, d.hyperparameters) == (algorithm, hyperparameters)
    assert (d.optuna_sampler, d.params) == (stored["optuna_sampler"], stored["params"])  # kept as stored
    assert Decision.from_json(d.to_json()) == d


def test_decision_equals_what_the_previous_version_decided(nb201):
    # Same choice as the stored decision of the previous version; the population and tournament are now the
    # measured ones (benchmarks/evolution_tuning.py), not the brief's 20 and 5.
    d = decide(nb201, Budget(n_trials=300), BRIEF_RULES)
    old = Decision.from_json(json.dumps(_OLD_EVOLUTION))
    assert (d.family, d.optuna_sampler, d.nni_tuner, d.nni_strategy, d.algorithm) == (
        old.family, old.optuna_sampler, old.nni_tuner, old.nni_strategy, old.algorithm)
    assert set(d.hyperparameters) == set(old.hyperparameters)
    assert d.hyperparameters == {"population_size": 10, "sample_size": 10}


# ----------------------------------------------------------------------------- declared architecture spaces
# The design brief's hand-written rules read the declared kind (the fitted policy reads budget and proxy scores).
def _mlp(acts: tuple[str, ...], **declared: str) -> SearchSpace:
    params = [FloatRange("lr", 1e-4, 1e-1, log=True), IntRange("layers", 1, 4), Categorical("act", acts)]
    return SearchSpace("mlp", params, **declared)


def test_hpo_space_decision_does_not_depend_on_how_values_are_spelled():
    # relu and tanh happen to be vocabulary tokens, gelu and silu not: the decision used to differ.
    decisions = [decide(profile(_mlp(acts), performance=False), Budget(n_trials=300), BRIEF_RULES) for acts in (
        ("relu", "tanh"), ("gelu", "silu"))]
    a, b = decisions
    assert (a.family, a.optuna_sampler, a.params, a.reasons) == (b.family, b.optuna_sampler, b.params, b.reasons)
    assert a.algorithm == b.algorithm == "tpe" and a.features["is_architecture_space"] is False


def test_declared_architecture_space_gets_regularized_evolution():
    for acts in (("relu", "tanh"), ("gelu", "silu")):
        d = decide(profile(_mlp(acts, kind="architecture"), performance=False), Budget(n_trials=300), BRIEF_RULES)
        assert (d.family, d.algorithm) == ("evolutionary", "regularized_evolution")
        assert d.optuna_sampler == "RegularizedEvolutionSampler"
        assert d.features["is_architecture_space"] is True


def test_user_optuna_space_declared_architecture_gets_regularized_evolution():
    distributions = pytest.importorskip("optuna.distributions")
    from nas_complexity.adapters import from_optuna_distributions

    space = {f"edge{i}": distributions.CategoricalDistribution(["conv", "pool", "gelu"]) for i in range(4)}
    space["width"] = distributions.IntDistribution(8, 64, step=8)
    as_hpo = decide(profile(from_optuna_distributions(space), performance=False), Budget(n_trials=300), BRIEF_RULES)
    as_nas = decide(profile(from_optuna_distributions(space, kind="architecture"), performance=False), Budget(n_trials=300), BRIEF_RULES)
    assert as_hpo.algorithm == "tpe"
    assert as_nas.algorithm == "regularized_evolution" and as_nas.hyperparameters == {"population_size": 10, "sample_size": 10}


def test_reports_without_a_declared_kind_are_decided_as_before(nb201):
    # A profile stored by the previous version has no "kind": the old reading (building blocks measured) applies.
    from nas_complexity.report import ComplexityReport

    data = nb201.to_dict()
    data["parameters"] = {k: v for k, v in data["parameters"].items() if k != "kind"}
    old = ComplexityReport.from_dict(data)
    assert decide(old, Budget(n_trials=300), BRIEF_RULES).algorithm == "regularized_evolution"
    assert nb201.parameters["kind"] == "architecture"
