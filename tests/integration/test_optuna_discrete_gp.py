"""DiscreteGPSampler: Optuna's reusable sampler suite, the grid it proposes on, and that it models the objective."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

from nas_complexity.integration import DiscreteGPSampler, build_optuna_sampler, framework_fields  # noqa: E402
from nas_complexity.strategies import Strategy  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)

# ------------------------------------------------------------------------ Optuna's reusable sampler test suite
_suite = pytest.importorskip("optuna.testing.pytest_samplers", reason="this Optuna has no reusable sampler tests")


class _Factory:
    @pytest.fixture(params=["defaults", "modelling-early"])
    def sampler(self, request):
        # Startup 1 makes most suite objectives run through the model, not only random draws.
        options = {"defaults": dict(seed=0), "modelling-early": dict(n_startup_trials=1, refit_every=1, seed=1)}
        return lambda: DiscreteGPSampler(**options[request.param])


class TestOptunaBasicSamplerSuite(_Factory, _suite.BasicSamplerTestCase):
    pass


class TestOptunaSingleObjectiveOnlySuite(_Factory, _suite.SingleOnlySamplerTestCase):
    pass


# ------------------------------------------------------------------------------------------------ behaviour
OPS = ("none", "skip", "conv1x1", "conv3x3", "pool")


def _additive(trial: optuna.Trial) -> float:
    """5 categorical edges and a width: the best is conv3x3 everywhere (pool scores 2, below it) and width 64:
    5 x 3 + 1 = 16."""
    ops = [trial.suggest_categorical(f"edge{i}", OPS) for i in range(5)]
    width = trial.suggest_int("width", 8, 64, step=8)
    return float(sum(OPS.index(o) for o in ops) - (OPS.index("pool") - OPS.index("conv3x3")) * ops.count("pool") * 2
                 + width / 64)


def _optimize_logging_warnings(study: optuna.Study, objective, n_trials: int, caplog) -> None:
    """Run the study with Optuna's log (where the sampler warns) propagated to pytest's ``caplog``."""
    optuna.logging.enable_propagation()
    try:
        with caplog.at_level("WARNING"):
            study.optimize(objective, n_trials=n_trials)
    finally:
        optuna.logging.disable_propagation()


def _best(sampler: optuna.samplers.BaseSampler, objective, n_trials: int, direction: str = "maximize") -> float:
    study = optuna.create_study(direction=direction, sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    return study.best_value


def test_it_models_the_objective_and_beats_random_search():
    # 5^5 x 8 = 25,000 points; the model finds the optimum (16) in 60 trials, random search does not come close.
    found = [_best(DiscreteGPSampler(seed=s), _additive, 60) for s in range(3)]
    rnd = [_best(optuna.samplers.RandomSampler(seed=s), _additive, 60) for s in range(3)]
    assert min(found) == 16.0 and max(rnd) < 15.0, (found, rnd)


def test_minimisation_finds_the_minimum():
    assert _best(DiscreteGPSampler(seed=0), lambda t: -_additive(t), 60, direction="minimize") == -16.0


def test_no_point_is_proposed_twice_pruned_ones_included():
    # 27 points; the 9 with a == "x" are pruned (a table without them): 27 trials visit all 27 points once.
    def objective(trial):
        a, b, c = (trial.suggest_categorical(n, ["x", "y", "z"]) for n in "abc")
        if a == "x":
            raise optuna.TrialPruned()
        return float(("x", "y", "z").index(b) + ("x", "y", "z").index(c))

    study = optuna.create_study(direction="maximize", sampler=DiscreteGPSampler(n_startup_trials=3, seed=0))
    study.optimize(objective, n_trials=27)
    points = [tuple(t.params[n] for n in "abc") for t in study.trials]
    assert len(set(points)) == 27


def test_values_stay_on_each_distributions_grid():
    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 1e-4, 1e-1, log=True)
        z = trial.suggest_float("z", 0.0, 1.0, step=0.25)
        n = trial.suggest_int("n", 1, 1024, log=True)
        k = trial.suggest_int("k", 2, 10, step=2)
        return -(x - 0.3) ** 2 - (np.log10(y) + 2) ** 2 - (z - 0.5) ** 2 - (np.log2(n) - 5) ** 2 - (k - 6) ** 2

    study = optuna.create_study(direction="maximize", sampler=DiscreteGPSampler(n_startup_trials=5, seed=0))
    study.optimize(objective, n_trials=40)
    for t in study.trials:
        p = t.params
        assert 0.0 <= p["x"] <= 1.0 and 1e-4 <= p["y"] <= 1e-1 and p["z"] in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert isinstance(p["n"], int) and 1 <= p["n"] <= 1024 and p["k"] in (2, 4, 6, 8, 10)
    assert study.best_params["k"] == 6 and study.best_params["z"] == 0.5


def _deep(trial: optuna.Trial) -> float:
    """A network of 2 to 5 layers: layer k exists only when depth > k; the best is 5 layers of pool (20)."""
    depth = trial.suggest_int("depth", 2, 5)
    return float(sum(OPS.index(trial.suggest_categorical(f"layer{k}", OPS)) for k in range(depth)))


def test_conditional_parameters_are_modelled_by_the_condition_learnt_from_the_trials():
    # Layers 2-4 exist only in deeper networks: they are modelled (not drawn at random), so the deepest network
    # of pool everywhere (1 of 3,900 points) is found in every seed; random search finds it in none. (Drawn at
    # random, layers 2-4 would be all pool in 1 of 125 deep trials.)
    found = [_best(DiscreteGPSampler(seed=s), _deep, 60) for s in range(3)]
    rnd = [_best(optuna.samplers.RandomSampler(seed=s), _deep, 60) for s in range(3)]
    assert min(found) == 20.0 and max(rnd) < 20.0, (found, rnd)


def test_trials_that_fail_between_two_suggestions_do_not_hide_a_condition():
    # A failed trial may hold the depth but not its layers; the conditions are learnt from the finished trials.
    def flaky(trial):
        if trial.number % 7 == 3:
            trial.suggest_int("depth", 2, 5)
            raise ValueError("out of memory")
        return _deep(trial)

    for seed in range(2):
        study = optuna.create_study(direction="maximize", sampler=DiscreteGPSampler(seed=seed))
        study.optimize(flaky, n_trials=70, catch=(ValueError,))
        assert study.best_value == 20.0


def test_the_conditions_learnt_are_who_decides_and_for_which_values():
    from nas_complexity.integration._optuna_discrete_space import _INACTIVE, _Conditions, _Coordinate

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        _deep(trial)
        trial.suggest_int("width", 1, 4) if trial.number % 2 else None  # decided by no parameter's value
        return 0.0

    study.optimize(objective, n_trials=40)
    space = {n: d for t in study.trials for n, d in t.distributions.items()}
    conditions = _Conditions.learn(study.trials, {n: _Coordinate(d) for n, d in space.items()})
    assert "width" not in conditions.names  # left to the random sampler
    assert conditions.names[:3] == ["depth", "layer0", "layer1"] and set(conditions.names) == set(space) - {"width"}
    depth = _Coordinate(space["depth"])
    point = np.array([depth.encode(3) if n == "depth" else 1.0 for n in conditions.names])
    masked = dict(zip(conditions.names, conditions.mask(point[None, :])[0]))
    assert [masked[f"layer{k}"] == _INACTIVE for k in range(5)] == [False, False, False, True, True]


def test_a_constraint_on_choice_counts_is_learnt_and_fewer_infeasible_points_are_proposed(monkeypatch):
    # Eight interchangeable layers, at most four of them "wide" (as TransNAS-Bench-101 macro limits how many
    # modules widen): wide layers score, so the best feasible points sit next to many infeasible ones. Counting
    # choices tells them apart; without it (feasibility off) more trials are wasted.
    from nas_complexity.integration import _optuna_discrete_gp as module

    def objective(trial):
        layers = [trial.suggest_categorical(f"layer{i}", ["plain", "wide"]) for i in range(8)]
        if layers.count("wide") > 4:
            raise optuna.TrialPruned("not in the table")
        return float(sum((i + 1) * (layer == "wide") for i, layer in enumerate(layers)))

    def infeasible(seed):
        study = optuna.create_study(direction="maximize", sampler=DiscreteGPSampler(seed=seed))
        study.optimize(objective, n_trials=60)
        return sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)

    learnt = sum(infeasible(s) for s in range(3))
    monkeypatch.setattr(module, "_feasibility", lambda *args: None)
    assert learnt < 0.9 * sum(infeasible(s) for s in range(3))


def _at_most_four_wide(trial: optuna.Trial) -> float:
    layers = [trial.suggest_categorical(f"layer{i}", ["plain", "wide"]) for i in range(8)]
    if layers.count("wide") > 4:
        raise optuna.TrialPruned("not in the table")
    return float(sum((i + 1) * (layer == "wide") for i, layer in enumerate(layers)))


def _four_wide_at_most(params: dict) -> bool:
    return sum(params[f"layer{i}"] == "wide" for i in range(8)) <= 4


def test_a_feasibility_check_keeps_refused_points_out_startup_trials_included():
    # Without the check about half of the trials are spent on points the objective refuses (see above); with it
    # only the first trial (drawn before any parameter is known) can be, and the optimum (layers 5-8 wide, 26) is
    # found.
    for seed in range(2):
        study = optuna.create_study(direction="maximize",
                                    sampler=DiscreteGPSampler(seed=seed, feasible=_four_wide_at_most))
        study.optimize(_at_most_four_wide, n_trials=40)
        refused = [t.number for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
        assert set(refused) <= {0} and study.best_value == 26.0, (refused, study.best_value)


def test_a_feasibility_check_that_raises_is_dropped_with_a_warning(caplog):
    def broken(params):
        raise KeyError("width")

    study = optuna.create_study(direction="maximize", sampler=DiscreteGPSampler(seed=0, feasible=broken))
    _optimize_logging_warnings(study, _at_most_four_wide, 15, caplog)
    assert len(study.trials) == 15 and caplog.text.count("the feasibility check failed (KeyError") == 1
    with pytest.raises(ValueError, match="feasible=3 is not accepted"):
        DiscreteGPSampler(feasible=3)


def test_the_sampler_builder_gives_the_check_to_the_sampler_that_takes_one():
    check = _four_wide_at_most
    gp = build_optuna_sampler({"optuna_sampler": "DiscreteGPSampler", "params": {"optuna": {}}}, seed=0, feasible=check)
    tpe = build_optuna_sampler({"optuna_sampler": "TPESampler", "params": {"optuna": {}}}, seed=0, feasible=check)
    assert gp._feasible is check and isinstance(tpe, optuna.samplers.TPESampler)


def test_the_feasibility_of_a_candidate_follows_trials_with_the_same_choice_counts():
    from nas_complexity.integration._optuna_discrete_gp import _feasibility
    from nas_complexity.integration._optuna_discrete_space import _Coordinate

    coords = [_Coordinate(optuna.distributions.CategoricalDistribution(["a", "b"])) for _ in range(4)]
    feasible = np.array([[0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]], dtype=float)  # two b's
    infeasible = np.array([[1, 1, 1, 0], [1, 1, 0, 1], [0, 0, 0, 0]], dtype=float)  # three b's, or none
    chance = _feasibility(np.array([[1, 1, 0, 0], [0, 1, 1, 1], [1, 0, 0, 1]], dtype=float), feasible, infeasible,
                          coords)
    assert chance[0] > 0.7 and chance[2] > 0.7 and chance[1] < 0.3
    numeric = [_Coordinate(optuna.distributions.IntDistribution(0, 3)) for _ in range(2)]
    assert _feasibility(np.zeros((1, 2)), np.ones((1, 2)), np.zeros((1, 2)), numeric) is None


def test_seeded_runs_repeat_and_different_seeds_differ():
    def points(seed):
        study = optuna.create_study(direction="maximize", sampler=DiscreteGPSampler(n_startup_trials=4, seed=seed))
        study.optimize(_additive, n_trials=15)
        return [tuple(sorted(t.params.items())) for t in study.trials]

    assert points(3) == points(3) and points(3) != points(4)


def test_a_used_sampler_pickles_and_serves_another_study():
    import pickle

    sampler = DiscreteGPSampler(n_startup_trials=4, seed=0)
    optuna.create_study(direction="maximize", sampler=sampler).optimize(_additive, n_trials=8)
    copy = pickle.loads(pickle.dumps(sampler))
    other = optuna.create_study(direction="maximize", sampler=copy)
    other.optimize(_deep, n_trials=12)  # another study, other parameters: its own search space
    space = copy.infer_relative_search_space(other, other.trials[-1])
    assert {"depth", "layer0", "layer1"} <= set(space) and "edge0" not in space


def test_threads_n_jobs_2():
    study = optuna.create_study(direction="maximize", sampler=DiscreteGPSampler(n_startup_trials=4, seed=0))
    study.optimize(_additive, n_trials=24, n_jobs=2)
    assert len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]) == 24


@pytest.mark.parametrize(
    "kwargs, message",
    [({"n_startup_trials": 0}, "n_startup_trials=0"), ({"n_parents": 0}, "n_parents=0"),
     ({"n_random_candidates": -1}, "n_random_candidates=-1"), ({"refit_every": 1.5}, "refit_every=1.5"),
     ({"n_startup_trials": True}, "n_startup_trials=True")],
)
def test_bad_settings_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DiscreteGPSampler(**kwargs)


def test_a_decision_builds_it_and_nni_is_told_it_runs_tpe():
    fields = framework_fields(Strategy("bayesian", "discrete_gp", {"n_startup_trials": 7}))
    assert fields["optuna_sampler"] == "DiscreteGPSampler" and fields["params"]["optuna"] == {"n_startup_trials": 7}
    assert fields["nni_tuner"] == "TPE" and fields["nni_strategy"] == "TPE"
    assert any("NNI runs TPE" in note for note in fields["notes"])
    sampler = build_optuna_sampler({"optuna_sampler": "DiscreteGPSampler", "params": {"optuna": {"n_startup_trials": 7}}},
                                   seed=0)
    assert isinstance(sampler, DiscreteGPSampler) and sampler.n_startup_trials == 7


def test_the_candidate_pool_holds_every_one_parameter_change_of_the_best():
    sampler = DiscreteGPSampler(n_parents=1, n_random_candidates=0, seed=0)
    from nas_complexity.integration._optuna_discrete_space import _Conditions, _Coordinate

    coords = [_Coordinate(optuna.distributions.CategoricalDistribution(list("abc"))) for _ in range(2)]
    x = np.array([[0.0, 0.0], [1.0, 1.0]])
    conditions = _Conditions(["a", "b"], {})
    masked, _ = sampler._candidates(x, np.array([1.0, 0.0]), coords, {(0.0, 0.0), (1.0, 1.0)}, conditions)
    pool = {tuple(p) for p in masked}
    neighbours = {(1.0, 0.0), (2.0, 0.0), (0.0, 1.0), (0.0, 2.0)}
    assert neighbours <= pool and not pool & {(0.0, 0.0), (1.0, 1.0)}
    assert pool <= set(itertools.product((0.0, 1.0, 2.0), repeat=2))


def test_a_model_that_cannot_be_fitted_falls_back_to_a_random_draw(monkeypatch, caplog):
    from nas_complexity.integration import _optuna_discrete_gp as module

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("Matrix is not positive definite")

    monkeypatch.setattr(module.np.linalg, "cholesky", broken)
    study = optuna.create_study(direction="maximize", sampler=DiscreteGPSampler(n_startup_trials=3, seed=0))
    _optimize_logging_warnings(study, _additive, 6, caplog)
    assert len(study.trials) == 6 and "could not be fitted" in caplog.text


def test_many_parameters_with_many_choices_stay_cheap():
    # 60 parameters of 100 choices: one-parameter changes are capped per parameter and distances are built one
    # coordinate at a time, so a trial needs a few matrices of candidates x trials, not one per parameter.
    def objective(trial):
        return float(sum(trial.suggest_categorical(f"p{i}", list(range(100))) for i in range(60)))

    study = optuna.create_study(direction="maximize", sampler=DiscreteGPSampler(n_startup_trials=5, seed=0))
    study.optimize(objective, n_trials=15)
    assert len(study.trials) == 15 and study.best_value > np.mean([t.value for t in study.trials[:5]])
