"""The integration layer maps a neutral strategy to an Optuna sampler, an NNI HPO tuner and an NNI NAS strategy;
the advisor takes the user's declaration of what the space is."""
from __future__ import annotations

import json

import pytest

from nas_complexity import profile
from nas_complexity._errors import SpaceError
from nas_complexity.integration import (
    NNI_STRATEGIES,
    NNI_TUNERS,
    OPTUNA_SAMPLERS,
    framework_fields,
    neutral_fields,
    nni_strategy_for,
    nni_tuner_config,
    nni_tuner_for,
    optuna_sampler_for,
)
from nas_complexity.strategies import ALGORITHMS, BRIEF_RULES, Budget, Decision, Strategy, decide

EVOLUTION = {"population_size": 20, "sample_size": 5}


@pytest.fixture(scope="module")
def nb201_report():
    return profile("nb201", performance=False)


# ------------------------------------------------------------------------------------------ the mappings
@pytest.mark.parametrize(
    "algorithm, hyperparameters, optuna, tuner, nas",
    [
        ("random", {}, ("RandomSampler", {}), ("Random", {}), ("Random", {})),
        ("tpe", {"n_startup_trials": 7, "multivariate": True, "group": True, "constant_liar": True},
         ("TPESampler", {"n_startup_trials": 7, "multivariate": True, "group": True, "constant_liar": True}),
         ("TPE", {"optimize_mode": "maximize"}), ("TPE", {})),
        ("gp", {"n_startup_trials": 12}, ("GPSampler", {"n_startup_trials": 12}),
         ("GPTuner", {"optimize_mode": "maximize"}), ("TPE", {})),
        ("discrete_gp", {"n_startup_trials": 12}, ("DiscreteGPSampler", {"n_startup_trials": 12}),
         ("TPE", {"optimize_mode": "maximize"}), ("TPE", {})),
        ("cma_es", {}, ("CmaEsSampler", {}), ("Evolution", {"optimize_mode": "maximize"}), ("RegularizedEvolution", {})),
        ("nsga2", EVOLUTION, ("NSGAIISampler", {"population_size": 20}),
         ("Evolution", {"optimize_mode": "maximize", "population_size": 20}), ("RegularizedEvolution", EVOLUTION)),
        ("regularized_evolution", EVOLUTION, ("RegularizedEvolutionSampler", EVOLUTION),
         ("Evolution", {"optimize_mode": "maximize", "population_size": 20}), ("RegularizedEvolution", EVOLUTION)),
    ],
)
def test_each_algorithm_maps_to_each_frameworks_object(algorithm, hyperparameters, optuna, tuner, nas):
    strategy = Strategy("any", algorithm, hyperparameters, numeric_only=True)
    assert optuna_sampler_for(strategy) == optuna
    assert nni_tuner_for(strategy) == tuner
    assert nni_strategy_for(strategy) == nas
    assert optuna[0] in OPTUNA_SAMPLERS and tuner[0] in NNI_TUNERS and nas[0] in NNI_STRATEGIES
    fields = framework_fields(strategy)
    assert fields["params"] == {"optuna": optuna[1], "nni_tuner": tuner[1], "nni_strategy": nas[1]}
    # The neutral form is read back from the framework forms (how decisions of earlier versions are read).
    assert neutral_fields(optuna[0], fields["params"]) == (algorithm, hyperparameters)


def test_every_neutral_algorithm_has_every_framework_form():
    assert len(ALGORITHMS) == 7
    for algorithm in ALGORITHMS:
        fields = framework_fields(Strategy("any", algorithm))
        assert fields["optuna_sampler"] in OPTUNA_SAMPLERS
        assert fields["nni_tuner"] in NNI_TUNERS and fields["nni_strategy"] in NNI_STRATEGIES


def test_nni_tuner_config_is_the_experiment_tuner_section(nb201_report):
    decision = decide(nb201_report, Budget(n_trials=80))
    assert nni_tuner_config(decision) == {"name": decision.nni_tuner, "class_args": decision.params["nni_tuner"]}
    assert decision.params["nni_tuner"]["optimize_mode"] == "maximize"
    # An Optuna-only choice: NNI runs the next rule that fires with an algorithm it has (GP at 25 trials, whose
    # NNI GPTuner cannot take choice parameters: TPE), and the decision's notes say so.
    small = decide(nb201_report, Budget(n_trials=25))
    assert small.optuna_sampler == "DiscreteGPSampler" and nni_tuner_config(small)["name"] == "TPE"
    assert any(note.startswith("NNI has no discrete_gp: NNI runs gp") for note in small.notes)
    assert nni_tuner_config(decision)["name"] == "Evolution" and "nni-stand-in" in [r.id for r in decision.reasons]
    assert nni_tuner_config(decision.to_dict()) == nni_tuner_config(decision)
    multi = decide(nb201_report, Budget(n_trials=300, n_objectives=2))
    assert multi.notes == ["NNI tuners optimise one metric: report a scalarised objective to NNI"]


def test_build_nni_strategy(nb201_report):
    pytest.importorskip("nni.nas.strategy")
    from nas_complexity.integration import build_nni_strategy

    strategy = build_nni_strategy(decide(nb201_report, Budget(n_trials=300)), seed=0)
    assert type(strategy).__name__ == "RegularizedEvolution"
    assert (strategy.population_size, strategy.sample_size) == (10, 10)
    assert type(build_nni_strategy(decide(nb201_report, Budget(n_trials=16_000)))).__name__ == "Random"
    with pytest.raises(ValueError, match="unknown NNI NAS strategy 'Hyperband'.*accepted: Random"):
        build_nni_strategy(Decision("x", "RandomSampler", "Random", "Hyperband", {}, [], {}))


# ------------------------------------------------------------------------------- the Optuna sampler side
def test_regularized_evolution_sampler_lives_in_the_integration_layer(nb201_report):
    optuna = pytest.importorskip("optuna")
    import nas_complexity.integration as integration
    import nas_complexity.strategies as strategies
    from nas_complexity.integration import build_optuna_sampler
    from nas_complexity.integration._optuna_evolution import RegularizedEvolutionSampler

    assert integration.RegularizedEvolutionSampler is RegularizedEvolutionSampler
    assert strategies.RegularizedEvolutionSampler is RegularizedEvolutionSampler  # kept for earlier users' code
    assert strategies.EVOLUTION_PARENT_KEY == integration.EVOLUTION_PARENT_KEY
    decision = decide(nb201_report, Budget(n_trials=300), rules=BRIEF_RULES)  # the brief's evolution at 300
    sampler = build_optuna_sampler(decision, seed=0)
    assert isinstance(sampler, RegularizedEvolutionSampler) and isinstance(sampler, optuna.samplers.BaseSampler)
    assert (sampler.population_size, sampler.sample_size) == (10, 10)


def test_a_decision_stored_by_the_previous_version_builds_its_sampler():
    pytest.importorskip("optuna")
    from nas_complexity.integration import build_optuna_sampler

    stored = {"family": "bayesian", "optuna_sampler": "TPESampler", "nni_tuner": "TPE", "nni_strategy": "TPE",
              "params": {"optuna": {"n_startup_trials": 12, "multivariate": True, "constant_liar": True},
                         "nni_tuner": {"optimize_mode": "maximize"}, "nni_strategy": {}},
              "reasons": [], "features": {}, "rules_version": "1", "notes": []}
    decision = Decision.from_json(json.dumps(stored))
    assert (decision.algorithm, decision.hyperparameters["n_startup_trials"]) == ("tpe", 12)
    sampler = build_optuna_sampler(decision, seed=0)
    assert type(sampler).__name__ == "TPESampler" and sampler._constant_liar


# ---------------------------------------------------------------------------------- the declared kind
def _cell_distributions():
    distributions = pytest.importorskip("optuna.distributions")
    space = {f"edge{i}": distributions.CategoricalDistribution(["conv", "pool", "gelu"]) for i in range(4)}
    space["width"] = distributions.IntDistribution(8, 64, step=8)
    return space


def test_advisor_takes_the_users_declaration_of_an_optuna_space():
    pytest.importorskip("optuna")
    from nas_complexity.integration import ComplexityAdvisor

    from nas_complexity.strategies import BRIEF_RULES  # the hand-written rules read the declared kind

    as_hpo = ComplexityAdvisor(_cell_distributions(), n_trials=300, cache=False, rules=BRIEF_RULES)
    as_nas = ComplexityAdvisor(_cell_distributions(), n_trials=300, cache=False, space_kind="architecture",
                               rules=BRIEF_RULES)
    report, decision = as_nas.make_decision(1)
    assert report.parameters["kind"] == "architecture"
    assert (decision.family, decision.optuna_sampler) == ("evolutionary", "RegularizedEvolutionSampler")
    report, decision = as_hpo.make_decision(1)
    assert report.parameters["kind"] == "hyperparameter" and decision.optuna_sampler == "TPESampler"


def test_advisor_redeclared_builtin_space_is_not_read_from_the_name_cache():
    pytest.importorskip("optuna")
    from nas_complexity.integration import ComplexityAdvisor

    advisor = ComplexityAdvisor("nb201", n_trials=300, space_kind="hyperparameter")
    assert advisor.source.space.kind == "hyperparameter" and advisor.source.builtin is None
    assert ComplexityAdvisor("nb201", n_trials=300, space_kind="architecture").source.builtin == "nb201"
    with pytest.raises(SpaceError, match="space_kind.*'architecture' or 'hyperparameter'"):
        ComplexityAdvisor("nb201", n_trials=300, space_kind="nas")


def test_dry_run_space_takes_the_declared_kind():
    pytest.importorskip("optuna")
    from nas_complexity.integration._optuna_space import SpaceSource

    def objective(trial):
        return sum(trial.suggest_categorical(f"edge{i}", ["conv", "pool"]) == "conv" for i in range(3))

    for kind, expected in ((None, "hyperparameter"), ("architecture", "architecture")):
        source = SpaceSource.from_spec("dry_run", objective, 4, kind=kind)
        assert source.resolve(seed=0, directions=["maximize"]).kind == expected


def test_nni_runs_tpe_where_its_gp_tuner_cannot_take_the_space():
    """NNI's GPTuner raises on choice parameters and the experiment hangs: a GP decision on such a space runs TPE."""
    categorical = Strategy("bayesian", "gp", {"n_startup_trials": 10}, direction="minimize")
    assert nni_tuner_for(categorical) == ("TPE", {"optimize_mode": "minimize"})
    assert any("GPTuner takes numeric parameters only" in note for note in framework_fields(categorical)["notes"])
    numeric = Strategy("bayesian", "gp", {"n_startup_trials": 10}, numeric_only=True)
    assert nni_tuner_for(numeric) == ("GPTuner", {"optimize_mode": "maximize"})
