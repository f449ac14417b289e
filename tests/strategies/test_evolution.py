"""The regularized-evolution Optuna sampler: Optuna's own sampler suite, the algorithm, parallel and distributed use."""
from __future__ import annotations

import doctest
import math
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

from optuna.distributions import FloatDistribution, IntDistribution  # noqa: E402
from optuna.trial import TrialState  # noqa: E402

from nas_complexity.integration import _optuna_evolution as _evolution  # noqa: E402
from nas_complexity.integration._optuna_evolution import (  # noqa: E402
    EVOLUTION_MUTATED_KEY,
    EVOLUTION_PARENT_KEY,
    RegularizedEvolutionSampler,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)
REPO = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------------ Optuna's reusable sampler test suite
_suite = pytest.importorskip("optuna.testing.pytest_samplers", reason="this Optuna has no reusable sampler tests")

# Startup 1 and population 2 make most suite objectives run through the evolutionary path, not only random draws.
_SETTINGS = {
    "paper-defaults": dict(seed=0),
    "evolving-early": dict(population_size=2, sample_size=2, n_startup_trials=1, seed=1),
    "mutation-prob": dict(population_size=3, sample_size=2, n_startup_trials=1, mutation_prob=0.5, seed=2),
}


class _Factory:
    @pytest.fixture(params=list(_SETTINGS))
    def sampler(self, request):
        return lambda: RegularizedEvolutionSampler(**_SETTINGS[request.param])


class TestOptunaBasicSamplerSuite(_Factory, _suite.BasicSamplerTestCase):
    pass


class TestOptunaSingleObjectiveOnlySuite(_Factory, _suite.SingleOnlySamplerTestCase):
    pass


# ------------------------------------------------------------------------------------------------ objectives and runs
OPS = ("none", "skip", "conv1x1", "conv3x3", "pool")


def mixed_objective(trial: optuna.Trial) -> float:
    """Every distribution kind, one conditional branch each way."""
    op = trial.suggest_categorical("op", OPS)
    depth = trial.suggest_int("depth", 1, 9, step=2)
    width = trial.suggest_int("width", 1, 256, log=True)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    drop = trial.suggest_float("drop", 0.0, 0.5, step=0.1)
    mom = trial.suggest_float("mom", -1.0, 1.0)
    value = OPS.index(op) + depth / 9 + math.log(width) - abs(math.log10(lr) + 3) - drop + mom
    if op in ("conv1x1", "conv3x3"):
        value += trial.suggest_int("groups", 1, 4)
    else:
        value -= trial.suggest_float("pool_size", 0.1, 2.0)
    return value


def children(study):
    return [t for t in study.trials if t.system_attrs.get(EVOLUTION_PARENT_KEY) is not None]


def run(sampler, objective=mixed_objective, n_trials=60, direction="maximize", **kwargs):
    study = optuna.create_study(direction=direction, sampler=sampler)
    study.optimize(objective, n_trials=n_trials, **kwargs)
    return study


# --------------------------------------------------------------------------------------------- the algorithm
def test_first_population_is_random_then_every_trial_has_a_completed_parent():
    study = run(RegularizedEvolutionSampler(population_size=10, sample_size=3, seed=0))
    by_number = {t.number: t for t in study.trials}
    for t in study.trials[:10]:
        assert t.system_attrs[EVOLUTION_PARENT_KEY] is None
    kids = children(study)
    assert [t.number for t in kids] == list(range(10, 60))
    for t in kids:
        parent = by_number[t.system_attrs[EVOLUTION_PARENT_KEY]]
        assert parent.state == TrialState.COMPLETE and parent.number < t.number
        # The parent came from the population: the 10 trials completed just before this one started.
        assert t.number - 10 <= parent.number


def test_default_mutation_changes_exactly_one_parameter_and_values_stay_legal():
    study = run(RegularizedEvolutionSampler(population_size=8, sample_size=3, seed=3), n_trials=120)
    by_number = {t.number: t for t in study.trials}
    kinds = set()
    for t in study.trials:
        for name, value in t.params.items():
            dist = t.distributions[name]
            assert dist._contains(dist.to_internal_repr(value)), (name, value)
            assert type(value) in (str, int, float)
    for t in children(study):
        parent = by_number[t.system_attrs[EVOLUTION_PARENT_KEY]]
        mutated = t.system_attrs[EVOLUTION_MUTATED_KEY]
        assert len(mutated) == 1 and mutated[0] in parent.params
        shared = set(t.params) & set(parent.params)
        changed = {n for n in shared if t.params[n] != parent.params[n]}
        assert changed == set(mutated), (t.number, changed, mutated)
        # A parameter the parent lacked appears only because the mutated categorical switched branches.
        if set(t.params) - set(parent.params):
            assert mutated == ["op"]
        kinds.add(mutated[0])
    # Every kind of parameter was mutated at some point (the pooling branch dies out: it scores lower).
    assert kinds >= {"op", "depth", "width", "lr", "drop", "mom"} and kinds & {"groups", "pool_size"}


def test_mutation_prob_one_changes_every_parameter():
    study = run(RegularizedEvolutionSampler(population_size=5, sample_size=2, mutation_prob=1.0, seed=4), n_trials=40)
    by_number = {t.number: t for t in study.trials}
    for t in children(study):
        parent = by_number[t.system_attrs[EVOLUTION_PARENT_KEY]]
        assert set(t.system_attrs[EVOLUTION_MUTATED_KEY]) == set(parent.params)
        for name in set(t.params) & set(parent.params):
            assert t.params[name] != parent.params[name], name


def test_mutation_prob_changes_about_that_fraction():
    study = run(RegularizedEvolutionSampler(population_size=5, sample_size=2, mutation_prob=0.3, seed=5), n_trials=200)
    fractions = [len(t.system_attrs[EVOLUTION_MUTATED_KEY]) / 7 for t in children(study)]
    assert min(len(t.system_attrs[EVOLUTION_MUTATED_KEY]) for t in children(study)) >= 1
    assert 0.25 < np.mean(fractions) < 0.45  # 0.3 plus the forced single change when none was drawn


def test_numeric_mutations_are_local():
    # A float moves by about sigma * range; a grid integer by a few steps, never by zero.
    sampler = RegularizedEvolutionSampler(seed=0, sigma=0.1)
    rng = np.random.default_rng(0)
    floats = [_evolution._mutate(0.5, FloatDistribution(0.0, 1.0), rng, 0.1) for _ in range(2000)]
    assert 0.07 < np.std(floats) < 0.12 and min(floats) >= 0.0 and max(floats) <= 1.0
    ints = [_evolution._mutate(50, IntDistribution(0, 100), rng, 0.1) for _ in range(2000)]
    assert 50 not in ints and np.median(np.abs(np.subtract(ints, 50))) <= 10
    edge = [_evolution._mutate(0, IntDistribution(0, 2), rng, 0.1) for _ in range(200)]
    assert set(edge) <= {1, 2} and 1 in edge
    logs = [_evolution._mutate(1e-3, FloatDistribution(1e-5, 1e-1, log=True), rng, 0.1) for _ in range(2000)]
    assert 0.3 < np.std(np.log10(logs)) < 0.5
    assert all(_evolution._mutate(1, IntDistribution(1, 2, log=True), rng, 0.1) == 2 for _ in range(20))
    assert sampler.sample_size == 5


def test_tournament_respects_direction_and_constraints():
    for direction, better in (("maximize", np.greater), ("minimize", np.less)):
        sampler = RegularizedEvolutionSampler(population_size=5, sample_size=5, seed=0)
        study = optuna.create_study(direction=direction, sampler=sampler)
        for v in (1.0, 2.0, 3.0, 4.0, 5.0):
            study.add_trial(optuna.create_trial(value=v))
        picks = [sampler.select_parent(study, study.trials).value for _ in range(300)]
        assert better(np.mean(picks), 3.0) and better(np.median(picks), 4.0 if direction == "maximize" else 2.0)
    sampler = RegularizedEvolutionSampler(population_size=3, sample_size=3, seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.add_trial(optuna.create_trial(value=100.0, constraints={"c": 1.0}))  # best but infeasible
    study.add_trial(optuna.create_trial(value=1.0, constraints={"c": 0.0}))
    study.add_trial(optuna.create_trial(value=50.0, constraints={"c": 0.5}))  # less infeasible
    picks = [sampler.select_parent(study, study.trials).value for _ in range(600)]
    # Drawn with replacement: the feasible trial wins whenever drawn (1 - (2/3)^3 = 0.70), the best-valued
    # infeasible one only when drawn alone (1/27); without constraints it would win 70% of tournaments.
    assert picks.count(1.0) / 600 > 0.6 and picks.count(100.0) / 600 < 0.1


def test_aging_the_oldest_dies_even_when_it_is_the_best():
    sampler = RegularizedEvolutionSampler(population_size=4, sample_size=4, seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    dist = {"x": IntDistribution(0, 100)}
    for x in (100, 1, 2, 3, 4):
        study.add_trial(optuna.create_trial(value=float(x), params={"x": x}, distributions=dist))
    assert [t.number for t in sampler.population(study)] == [1, 2, 3, 4]
    for _ in range(30):
        trial = study.ask(dist)
        assert study._storage.get_trial_system_attrs(trial._trial_id)[EVOLUTION_PARENT_KEY] in (1, 2, 3, 4)
        study.tell(trial, state=TrialState.FAIL)  # failed trials neither age nor join the population
    assert [t.number for t in sampler.population(study)] == [1, 2, 3, 4]


def test_pruned_and_failed_trials_are_never_parents():
    def objective(trial):
        x = trial.suggest_int("x", 0, 50)
        if trial.number % 3 == 1:
            raise optuna.TrialPruned()
        if trial.number % 3 == 2:
            raise ValueError("broken run")
        return float(x)

    study = run(RegularizedEvolutionSampler(population_size=4, sample_size=2, seed=0), objective, n_trials=60,
                catch=(ValueError,))
    states = {t.number: t.state for t in study.trials}
    parents = [t.system_attrs[EVOLUTION_PARENT_KEY] for t in children(study)]
    assert len(parents) > 30 and {states[p] for p in parents} == {TrialState.COMPLETE}
    # Startup counts completed trials only: trials 0, 3, 6 and 9 complete, so trial 10 is the first child.
    assert children(study)[0].number == 10
    assert all(t.system_attrs[EVOLUTION_PARENT_KEY] is None for t in study.trials[:10])


def test_seed_reproducible_and_seeds_differ():
    def params(seed):
        return [t.params for t in run(RegularizedEvolutionSampler(population_size=6, seed=seed), n_trials=40).trials]

    assert params(7) == params(7)
    assert params(7) != params(8)


def test_reseed_rng_changes_the_stream():
    a, b = RegularizedEvolutionSampler(seed=0), RegularizedEvolutionSampler(seed=0)
    b.reseed_rng()
    study = optuna.create_study()
    dist = FloatDistribution(0.0, 1.0)
    def frozen():
        return study._storage.get_trial(study.ask()._trial_id)

    draws = [[s.sample_independent(study, frozen(), "x", dist) for _ in range(5)] for s in (a, b)]
    assert draws[0] != draws[1]


def test_threads_n_jobs_2():
    study = run(RegularizedEvolutionSampler(population_size=6, sample_size=3, seed=0), n_trials=60, n_jobs=2)
    assert len(study.trials) == 60 and all(t.state == TrialState.COMPLETE for t in study.trials)
    complete = {t.number for t in study.trials}
    kids = children(study)
    assert len(kids) >= 50 and all(t.system_attrs[EVOLUTION_PARENT_KEY] in complete for t in kids)
    assert all(len(t.system_attrs[EVOLUTION_MUTATED_KEY]) == 1 for t in kids)


def test_multi_objective_is_refused_with_a_clear_message():
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=RegularizedEvolutionSampler())
    with pytest.raises(ValueError, match="single-objective.*NSGAIISampler"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 0.0), n_trials=1, catch=())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(population_size=0), "population_size"),
        (dict(population_size=5, sample_size=6), "sample_size=6"),
        (dict(sample_size=0), "sample_size"),
        (dict(mutation_prob=0.0), "mutation_prob"),
        (dict(mutation_prob=1.5), "mutation_prob"),
        (dict(n_startup_trials=0), "n_startup_trials"),
        (dict(sigma=-1.0), "sigma"),
        (dict(population_size=2.5), "population_size"),
    ],
)
def test_bad_settings_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RegularizedEvolutionSampler(**kwargs)


def test_evolution_beats_random_on_a_rugged_discrete_objective():
    # 10 categorical genes, 5 values each: a neighbour step improves by one gene; random search needs 5^10 draws.
    target = [i % 5 for i in range(10)]

    def objective(trial):
        genes = [trial.suggest_categorical(f"g{i}", list(range(5))) for i in range(10)]
        return float(sum(g == t for g, t in zip(genes, target)))

    evo = [run(RegularizedEvolutionSampler(20, 5, seed=s), objective, n_trials=200).best_value for s in range(5)]
    rnd = [run(optuna.samplers.RandomSampler(seed=s), objective, n_trials=200).best_value for s in range(5)]
    assert min(evo) > max(rnd)


def test_evolution_beats_random_on_the_nb201_table(data_root):
    # Equal budgets on real NB201 CIFAR-10 accuracies; measured: evolution 0.02, random 0.12 mean regret at 300
    # trials (benchmarks/bench_evolution_vs_random.py). Random children (a broken mutation) would tie random.
    from nas_complexity.benchmarking import TabularObjective

    objective = TabularObjective.from_benchmark(data_root, "nb201", "cifar10")

    def regret(sampler):
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.optimize(objective, n_trials=300)
        return objective.regret_curve(study)[[99, 299]]

    evo = np.array([regret(RegularizedEvolutionSampler(20, 5, seed=s)) for s in range(10)])
    rnd = np.array([regret(optuna.samplers.RandomSampler(seed=s)) for s in range(10)])
    assert np.all(evo.mean(axis=0) < 0.5 * rnd.mean(axis=0)), (evo.mean(axis=0), rnd.mean(axis=0))
    assert (evo[:, 1] <= rnd[:, 1]).sum() >= 8


# ------------------------------------------------------------------------------------------- several processes
_WORKER = textwrap.dedent(
    """
    import sys, time, optuna
    from nas_complexity.integration import RegularizedEvolutionSampler
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url, seed, start_at = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    storage = optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})
    study = optuna.load_study(study_name="shared", storage=storage,
                              sampler=RegularizedEvolutionSampler(population_size=6, sample_size=3, seed=seed))
    time.sleep(max(0.0, start_at - time.time()))
    def objective(trial):
        ops = [trial.suggest_categorical(f"e{i}", ["a", "b", "c", "d"]) for i in range(6)]
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        time.sleep(0.01)
        return sum("abcd".index(o) for o in ops) - abs(lr - 0.01)
    study.optimize(objective, n_trials=20)
    """
)


def test_two_processes_share_one_sqlite_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'evolution.db'}"
    optuna.create_study(study_name="shared", storage=url, direction="maximize")
    start_at = time.time() + 2.0
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, url, str(seed), str(start_at)], cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for seed in (0, 1)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=url)
    trials = study.trials
    assert len(trials) == 40 and all(t.state == TrialState.COMPLETE for t in trials)
    numbers = {t.number for t in trials}
    kids = children(study)
    assert len(kids) >= 30
    for t in kids:
        assert t.system_attrs[EVOLUTION_PARENT_KEY] in numbers and t.system_attrs[EVOLUTION_PARENT_KEY] != t.number
        assert len(t.system_attrs[EVOLUTION_MUTATED_KEY]) == 1
    # Both workers evolved (each trial records which parent it used, whichever process ran it).
    assert len({tuple(sorted(t.params.items())) for t in trials}) > 30


# ------------------------------------------------------------------------------------------------ examples
def test_docstring_examples_run():
    result = doctest.testmod(_evolution, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
