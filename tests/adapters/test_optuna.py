"""Optuna distributions and real studies -> SearchSpace."""
from __future__ import annotations

import logging

import pytest

optuna = pytest.importorskip("optuna")
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402
from optuna.trial import create_trial  # noqa: E402

from nas_complexity import SpaceError  # noqa: E402
from nas_complexity.adapters import from_any, from_optuna_distributions, from_optuna_study  # noqa: E402
from nas_complexity.metrics import measure_size  # noqa: E402
from nas_complexity.spaces import Categorical, Condition, FloatRange, IntRange  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


# ----------------------------------------------------------------------------------------- distributions
def test_each_distribution_maps_one_to_one():
    space = from_optuna_distributions(
        {
            "act": CategoricalDistribution(["relu", "gelu", None]),
            "depth": IntDistribution(1, 9, step=2),
            "width": IntDistribution(8, 512, log=True),
            "dropout": FloatDistribution(0.0, 0.5, step=0.1),
            "lr": FloatDistribution(1e-5, 1e-1, log=True),
        },
        name="mine",
    )
    assert space.name == "mine"
    assert space.param("act") == Categorical("act", ("relu", "gelu", None))
    assert space.param("depth") == IntRange("depth", 1, 9, step=2)
    assert space.param("width") == IntRange("width", 8, 512, step=1, log=True)
    assert space.param("dropout") == FloatRange("dropout", 0.0, 0.5, step=0.1)
    assert space.param("lr") == FloatRange("lr", 1e-5, 1e-1, log=True)
    assert measure_size(space).total is None  # lr is continuous


def test_discrete_distributions_size_by_hand():
    space = from_optuna_distributions(
        {
            "act": CategoricalDistribution(["relu", "gelu", "silu"]),
            "depth": IntDistribution(1, 9, step=2),  # 1,3,5,7,9
            "dropout": FloatDistribution(0.0, 0.5, step=0.1),  # 6 values
        }
    )
    assert measure_size(space).total == 3 * 5 * 6
    assert len(list(space.enumerate())) == 90


def test_unsupported_distribution_names_the_parameter():
    with pytest.raises(SpaceError, match=r"^bad: unsupported distribution dict.*IntDistribution"):
        from_optuna_distributions({"lr": FloatDistribution(0.1, 1.0), "bad": {"low": 0, "high": 1}})


@pytest.mark.parametrize(
    "value, message",
    [({}, "empty"), ([FloatDistribution(0, 1)], "expected a dict"), ({3: FloatDistribution(0, 1)}, "non-empty strings")],
)
def test_bad_containers(value, message):
    with pytest.raises(SpaceError, match=message):
        from_optuna_distributions(value)


# ------------------------------------------------------------------------------------------------ studies
def _objective(trial: optuna.Trial) -> float:
    layers = trial.suggest_int("layers", 1, 3)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"])
    if trial.number == 0:
        raise ValueError("fails after choosing the optimizer, before its own parameters")
    score = float(layers)
    if optimizer == "sgd":
        score += trial.suggest_float("momentum", 0.0, 0.9, step=0.1)
        if not trial.suggest_categorical("nesterov", [True, False]):
            score += trial.suggest_float("dampening", 0.0, 0.5, step=0.25)
    return score


@pytest.fixture(scope="module")
def study() -> optuna.Study:
    study = optuna.create_study(study_name="conditional", sampler=optuna.samplers.RandomSampler(seed=3))
    study.enqueue_trial({"optimizer": "sgd"})  # trial 0 fails with sgd chosen and no momentum
    study.optimize(_objective, n_trials=60, catch=(ValueError,))
    return study


def test_study_infers_conditions_from_real_trials(study):
    failed = study.trials[0]
    assert failed.state == optuna.trial.TrialState.FAIL and failed.params["optimizer"] == "sgd"
    assert "momentum" not in failed.params  # an unfinished trial must not count as evidence of absence

    space = from_optuna_study(study)
    assert space.name == "conditional"
    assert space.param("layers").condition is None and space.param("optimizer").condition is None
    assert space.param("momentum").condition == Condition("optimizer", ("sgd",))
    assert space.param("nesterov").condition == Condition("optimizer", ("sgd",))
    assert space.param("dampening").condition == Condition("nesterov", (False,))
    # By hand: layers 3 x (sgd: momentum 10 x (nesterov True 1 + False: dampening 3) + adam 1 + rmsprop 1).
    assert measure_size(space).total == 3 * (10 * (1 + 3) + 1 + 1) == 126
    for trial in study.get_trials(states=[optuna.trial.TrialState.COMPLETE]):
        assert space.validate(dict(trial.params)) == trial.params
    assert "inferred from the trials" in space.description


def test_from_any_reads_a_study(study):
    assert from_any(study).raw_count() == 126


def test_unexplained_optional_parameter_stays_unconditional_with_a_warning(caplog):
    def objective(trial):
        trial.suggest_categorical("act", ["relu", "gelu"])
        if trial.number % 2:
            trial.suggest_int("extra", 1, 4)
        return 0.0

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=12)
    with caplog.at_level(logging.WARNING, logger="nas_complexity"):
        space = from_optuna_study(study)
    assert space.param("extra").condition is None
    assert any("'extra'" in r.getMessage() and "unconditional" in r.getMessage() for r in caplog.records)
    assert measure_size(space).total == 2 * 4


def test_different_distributions_of_one_name_merge_to_the_hull_with_a_warning(caplog):
    study = optuna.create_study()
    study.add_trial(create_trial(
        params={"x": 4, "c": "a", "f": 0.2},
        distributions={
            "x": IntDistribution(0, 8, step=4), "c": CategoricalDistribution(["a", "b"]), "f": FloatDistribution(0, 1, step=0.1)
        },
        value=0.0,
    ))
    study.add_trial(create_trial(
        params={"x": 6, "c": "c", "f": 1.5},
        distributions={
            "x": IntDistribution(2, 10, step=4), "c": CategoricalDistribution(["b", "c"]), "f": FloatDistribution(0, 2, step=0.25)
        },
        value=0.0,
    ))
    with caplog.at_level(logging.WARNING, logger="nas_complexity"):
        space = from_optuna_study(study)
    assert space.param("x") == IntRange("x", 0, 10, step=2)  # holds 0,4,8 and 2,6,10
    assert space.param("c") == Categorical("c", ("a", "b", "c"))
    assert space.param("f") == FloatRange("f", 0.0, 2.0)  # the two grids disagree: continuous hull
    assert sum("different distributions" in r.getMessage() for r in caplog.records) == 3
    assert "merged" in space.description


def test_incompatible_distribution_types_raise():
    study = optuna.create_study()
    study.add_trial(create_trial(params={"x": 3}, distributions={"x": IntDistribution(0, 8)}, value=0.0))
    study.add_trial(create_trial(params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)}, value=0.0))
    with pytest.raises(SpaceError, match=r"^x: suggested as IntDistribution.*FloatDistribution.*cannot be merged"):
        from_optuna_study(study)


def test_empty_study_and_non_study_raise():
    with pytest.raises(SpaceError, match="no trials"):
        from_optuna_study(optuna.create_study(study_name="empty"))
    study = optuna.create_study()
    study.optimize(lambda trial: 0.0, n_trials=2)
    with pytest.raises(SpaceError, match="no trial suggested a parameter"):
        from_optuna_study(study)
    with pytest.raises(SpaceError, match="expected an optuna.Study"):
        from_optuna_study({"lr": FloatDistribution(0, 1)})
