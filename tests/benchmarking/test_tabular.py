"""The tabular objective: lookups, conditions, missing architectures, regret; on toy tables and the shared ones."""
from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest

optuna = pytest.importorskip("optuna")

from optuna.trial import TrialState  # noqa: E402

import nas_complexity.benchmarking as benchmarking  # noqa: E402
from nas_complexity.benchmarking import MissingArchitectureError, TabularObjective  # noqa: E402
from nas_complexity.benchmarking import _tabular  # noqa: E402
from nas_complexity.data import arch_key  # noqa: E402
from nas_complexity.spaces import Categorical, Condition, FloatRange, IntRange, SearchSpace, get_space  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def conditional_space(**kwargs) -> SearchSpace:
    return SearchSpace(
        "cond",
        [
            Categorical("kind", ("conv", "pool")),
            IntRange("kernel", 1, 5, step=2, condition=Condition("kind", ("conv",))),
            FloatRange("ratio", 0.0, 1.0, step=0.5, condition=Condition("kind", ("pool",))),
            IntRange("depth", 1, 3),
        ],
        **kwargs,
    )


def full_table(space: SearchSpace) -> dict[str, float]:
    """A complete table: value = a fixed function of the architecture (distinct values)."""
    return {arch_key(a): float(i) for i, a in enumerate(space.enumerate())}


def random_study(objective: TabularObjective, n_trials: int, seed: int = 0, **kwargs):
    study = optuna.create_study(direction=objective.direction, sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(objective, n_trials=n_trials, **kwargs)
    return study


# -------------------------------------------------------------------------------------------- toy tables
def test_conditions_are_respected_and_values_looked_up():
    space = conditional_space()
    table = full_table(space)
    assert len(table) == (3 + 3) * 3
    objective = TabularObjective(table, space)
    study = random_study(objective, 60)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    for t in study.trials:
        assert set(t.params) == {p.name for p in space.active(t.params)}  # only active ones were suggested
        assert t.value == table[arch_key(t.params)]
    assert {t.params["kind"] for t in study.trials} == {"conv", "pool"}
    assert objective.best_value == len(table) - 1 and objective.median_value == np.median(list(table.values()))


def test_dataframe_series_and_mapping_agree():
    space = conditional_space()
    table = full_table(space)
    frame = pd.DataFrame({"arch": list(table), "acc": list(table.values()), "other": 0})
    arch = {"kind": "pool", "ratio": 0.5, "depth": 2}
    values = {
        TabularObjective(table, space).value_of(arch),
        TabularObjective(frame, space, metric="acc").value_of(arch),
        TabularObjective(pd.Series(table), space).value_of(arch),
    }
    assert values == {table[arch_key(arch)]}


def test_custom_key_function_and_minimize():
    space = SearchSpace("ops", [Categorical("a", ("x", "y")), Categorical("b", ("x", "y"))])
    losses = {"xx": 0.5, "xy": 0.2, "yx": 0.9, "yy": 0.4}
    objective = TabularObjective(losses, space, key_fn=lambda arch: arch["a"] + arch["b"], direction="minimize")
    assert objective.best_value == 0.2 and objective.median_value == pytest.approx(0.45)
    assert objective.normalised_regret(0.2) == 0.0
    assert objective.normalised_regret(0.45) == pytest.approx(1.0)  # the median
    assert objective.normalised_regret(0.9) > 1.0
    study = random_study(objective, 20)
    assert study.best_value == 0.2
    curve = objective.regret_curve(study)
    assert curve[-1] == 0.0 and np.all(np.diff(curve) <= 0)


def test_regret_curve_keeps_the_best_so_far_and_skips_missing_values():
    space = SearchSpace("toy", [Categorical("op", ("a", "b", "c", "d", "e"))])
    objective = TabularObjective({f'{{"op":"{k}"}}': v for k, v in zip("abcde", (1, 2, 3, 4, 5))}, space)
    assert objective.median_value == 3.0
    curve = objective.regret_curve([math.nan, 2.0, 1.0, math.nan, 4.0, 3.0])
    assert np.isnan(curve[0]) and curve[1:].tolist() == [1.5, 1.5, 1.5, 0.5, 0.5]
    np.testing.assert_allclose(objective.normalised_regret([5.0, 3.0, 1.0]), [0.0, 1.0, 2.0])
    assert objective.regret_curve([]).size == 0


def test_missing_architecture_policies():
    space = conditional_space()
    table = full_table(space)
    pool_keys = [k for k in table if '"pool"' in k]
    partial = {k: v for k, v in table.items() if k not in pool_keys}
    conv = {"kind": "conv", "kernel": 3, "depth": 1}
    pool = {"kind": "pool", "ratio": 0.0, "depth": 1}

    strict = TabularObjective(partial, space)
    assert strict.value_of(conv) == table[arch_key(conv)]
    with pytest.raises(MissingArchitectureError, match=r'"kind":"pool".*not in the table of 9 entries.*missing=.prune'):
        strict.value_of(pool)

    assert math.isnan(TabularObjective(partial, space, missing="nan").value_of(pool))

    pruning = TabularObjective(partial, space, missing="prune")
    study = random_study(pruning, 40)
    for t in study.trials:
        expected = TrialState.PRUNED if t.params["kind"] == "pool" else TrialState.COMPLETE
        assert t.state == expected

    failing = random_study(TabularObjective(partial, space, missing="nan"), 20)
    assert {t.state for t in failing.trials if t.params["kind"] == "pool"} == {TrialState.FAIL}


def test_constraint_violations_follow_the_missing_policy():
    space = conditional_space(constraints=[lambda arch: arch["depth"] != 3])
    table = {arch_key(a): 1.0 + i for i, a in enumerate(space.enumerate())}
    bad = {"kind": "conv", "kernel": 1, "depth": 3}
    with pytest.raises(MissingArchitectureError, match="violates the constraints of space 'cond'"):
        TabularObjective(table, space).value_of(bad)
    study = random_study(TabularObjective(table, space, missing="prune"), 30)
    assert {t.state for t in study.trials if t.params["depth"] == 3} == {TrialState.PRUNED}


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(metric="acc"), ValueError, r"metric='acc' is not a column.*\['arch', 'accuracy'\]"),
        (dict(key_column="key"), ValueError, "key_column='key' is not a column"),
        (dict(direction="up"), ValueError, "direction='up'.*maximize, minimize"),
        (dict(missing="skip"), ValueError, "missing='skip'.*raise, prune, nan"),
    ],
)
def test_bad_options_are_named(kwargs, error, message):
    frame = pd.DataFrame({"arch": ['{"op":"a"}'], "accuracy": [1.0]})
    with pytest.raises(error, match=message):
        TabularObjective(frame, SearchSpace("toy", [Categorical("op", ("a",))]), **kwargs)


def test_bad_tables_are_named():
    space = SearchSpace("toy", [Categorical("op", ("a", "b"))])
    with pytest.raises(ValueError, match="keys appear more than once.*'k'"):
        TabularObjective(pd.DataFrame({"arch": ["k", "k"], "accuracy": [1.0, 2.0]}), space)
    with pytest.raises(ValueError, match="no finite metric"):
        TabularObjective({"k": math.nan}, space)
    with pytest.raises(TypeError, match="DataFrame or Series or a mapping"):
        TabularObjective([1.0, 2.0], space)
    with pytest.raises(ValueError, match="normalised regret is undefined"):
        TabularObjective({'{"op":"a"}': 1.0, '{"op":"b"}': 1.0}, space).normalised_regret(1.0)
    with pytest.raises(ValueError, match="no complete accuracy table nb201/svhn; accepted: .*nb201/cifar10"):
        TabularObjective.from_benchmark("unused", "nb201", "svhn")
    # NaN rows are left out: they count as missing architectures.
    objective = TabularObjective({'{"op":"a"}': 1.0, '{"op":"b"}': math.nan}, space, missing="nan")
    assert objective.n_architectures == 1 and math.isnan(objective.value_of({"op": "b"}))


def test_docstring_examples_run():
    for module in (_tabular, benchmarking):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------------------- the shared tables
def test_nb201_arch_key_and_nb201_string_lookups_agree(data_root):
    objective = TabularObjective.from_benchmark(data_root, "nb201", "cifar10")
    assert objective.n_architectures == 15625
    assert objective.best_value == pytest.approx(91.57, abs=0.005)  # data README: range 10.0 to 91.57
    raw = pd.read_csv(data_root / "nb201" / "nb201_valacc_15625x3.csv.gz")
    space = get_space("nb201")
    by_string = TabularObjective(raw, space, metric="val_acc_cifar10", key_column="arch_str",
                                 key_fn=space.structures[0].arch_string)
    for arch in space.sample(seed=0, n=200):
        assert objective.value_of(arch) == by_string.value_of(arch)
    assert by_string.median_value == objective.median_value
    study = random_study(objective, 100)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert 0 <= objective.regret_curve(study)[-1] < 1


def test_nas_bench_macro_every_sampled_network_is_found(data_root):
    objective = TabularObjective.from_benchmark(data_root, "nas-bench-macro", "cifar10")
    assert objective.n_architectures == 3 ** 8
    study = random_study(objective, 100)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert objective.median_value < study.best_value <= objective.best_value


def test_tnb101_macro_conditional_and_constrained_space(data_root):
    # depth switches layer4/layer5 on; invalid down/widen counts are not in the table and get pruned.
    objective = TabularObjective.from_benchmark(data_root, "tnb101-macro", "class_scene", missing="prune")
    space = objective.space
    assert objective.n_architectures == 3256 == sum(1 for _ in space.enumerate())
    study = random_study(objective, 150)
    for t in study.trials:
        assert set(t.params) == {p.name for p in space.active(t.params)}
        assert (t.state == TrialState.COMPLETE) == space.is_valid(t.params)
    assert {len(t.params) for t in study.trials} == {5, 6, 7}
