"""Landscape measures against brute force on small spaces, sampled estimates against exact ones, NB201 figures."""
from __future__ import annotations

import dataclasses
import itertools
import json
import math

import numpy as np
import pytest
from scipy import stats

from nas_complexity._deadline import Deadline
from nas_complexity._errors import ProfilingCancelled, SpaceError
from nas_complexity.metrics import (
    Landscape,
    hamming_distance,
    landscape,
    landscape_of_scores,
    landscape_of_table,
    neighbourhood_size,
    neighbours,
)
from nas_complexity.spaces import (
    Categorical,
    Condition,
    FloatRange,
    IntRange,
    SearchSpace,
)

# ------------------------------------------------------------------------------------------------ spaces
GRID = SearchSpace("grid", [Categorical("a", ("x", "y", "z")), Categorical("b", (0, 1, 2)), Categorical("c", ("p", "q", "r"))])

COND = SearchSpace("cond", [
    Categorical("op", ("conv", "pool", "skip")),
    IntRange("k", 1, 5, step=2, condition=Condition("op", ("conv",))),
    Categorical("act", ("relu", "gelu")),
])

WIDE = SearchSpace("wide", [IntRange("w", 0, 99), Categorical("t", ("s", "m", "l"))])  # 100 values: +/- 1 moves


def bumpy(arch: dict) -> float:
    """A deterministic fitness with interactions, ties and several local optima on GRID."""
    table = {"x": 0, "y": 1, "z": 2}
    a, b, c = table[arch["a"]], arch["b"], {"p": 0, "q": 1, "r": 2}[arch["c"]]
    return float((a * b) % 3 + 2 * (b == c) + (a == c) * 0.5)


def additive(arch: dict) -> float:
    return {"x": 0.0, "y": 1.5, "z": -1.0}[arch["a"]] + 2.0 * arch["b"] + {"p": 0.3, "q": 0.0, "r": 1.0}[arch["c"]]


# --------------------------------------------------------------------------------------- brute force
def brute_neighbours_unconditional(archs: list[dict], arch: dict) -> list[dict]:
    """Neighbours on a space without conditions, constraints or wide grids: the archs differing in one parameter."""
    return [b for b in archs if sum(arch[k] != b[k] for k in arch) == 1]


def brute_measures(archs: list[dict], f: dict, near: dict, tol: float = 1e-9) -> dict:
    """Every measure computed plainly: ``f`` maps index -> fitness (maximised), ``near`` index -> neighbour indices."""
    idx = [i for i in range(len(archs)) if f.get(i) is not None]
    values = np.array([f[i] for i in idx])
    mean, var = values.mean(), values.var()
    local = 0
    neutral_shares = []
    rho_terms = []
    for i in idx:
        nb = [j for j in near[i] if f.get(j) is not None]
        if not any(f[j] > f[i] + tol for j in nb):
            local += 1
        if nb:
            neutral_shares.append(sum(abs(f[j] - f[i]) <= tol for j in nb) / len(nb))
            rho_terms.append(sum((f[i] - mean) * (f[j] - mean) for j in nb) / len(nb))
    best = values.max()
    optima = [i for i in idx if f[i] >= best - tol]
    dist = [min(hamming_distance(archs[i], archs[o]) for o in optima) for i in idx]
    out = {
        "local_optima_fraction": local / len(idx),
        "neutrality": float(np.mean(neutral_shares)),
        "n_global_optima": len(optima),
        "skewness": float(stats.skew(values)) if var > 0 else None,
        "autocorrelation": float(np.mean(rho_terms) / var) if var > 0 else None,
        "fdc": float(stats.spearmanr(values, dist)[0]) if var > 0 and len(set(dist)) > 1 else None,
        "best_value": float(best),
    }
    # Main-effects model: intercept + one column per (parameter, value), "absent" a value of its own.
    names = sorted({k for i in idx for k in archs[i]})
    columns = [np.ones(len(idx))]
    for name in names:
        column = [archs[i].get(name, "<absent>") for i in idx]
        for level in sorted(set(map(repr, column))):
            columns.append(np.array([repr(v) == level for v in column], dtype=float))
    design = np.column_stack(columns)
    fitted = design @ np.linalg.lstsq(design, values, rcond=None)[0]
    out["additivity"] = 1 - float(np.sum((values - fitted) ** 2) / np.sum((values - mean) ** 2)) if var > 0 else None
    return out


def assert_matches(result: Landscape, expected: dict) -> None:
    for key, value in expected.items():
        got = getattr(result, key)
        if value is None:
            assert got is None, key
        else:
            assert got == pytest.approx(value, abs=2e-6), key


# ------------------------------------------------------------------------------------------ neighbours
def test_neighbours_unconditional_are_the_one_parameter_changes() -> None:
    archs = list(GRID.enumerate())
    for arch in archs:
        got = neighbours(GRID, arch)
        assert sorted(map(json.dumps, got)) == sorted(map(json.dumps, brute_neighbours_unconditional(archs, arch)))
        assert neighbourhood_size(GRID, arch) == 6


def test_neighbours_conditional_children_take_their_first_value_and_are_dropped() -> None:
    assert neighbours(COND, {"op": "conv", "k": 3, "act": "relu"}) == [
        {"op": "pool", "act": "relu"}, {"op": "skip", "act": "relu"},  # parameters in order, parents first
        {"op": "conv", "k": 3, "act": "gelu"},
        {"op": "conv", "k": 1, "act": "relu"}, {"op": "conv", "k": 5, "act": "relu"},
    ]
    assert neighbours(COND, {"op": "pool", "act": "gelu"}) == [
        {"op": "conv", "k": 1, "act": "gelu"}, {"op": "skip", "act": "gelu"}, {"op": "pool", "act": "relu"},
    ]


def test_neighbours_of_wide_and_continuous_parameters_are_adjacent_steps() -> None:
    assert neighbours(WIDE, {"w": 0, "t": "m"}) == [{"w": 1, "t": "m"}, {"w": 0, "t": "s"}, {"w": 0, "t": "l"}]
    assert [n["w"] for n in neighbours(WIDE, {"w": 50, "t": "s"})[:2]] == [49, 51]
    space = SearchSpace("cont", [FloatRange("lr", 1e-4, 1e-0, log=True), FloatRange("p", 0.0, 0.64)])
    near = neighbours(space, {"lr": 1e-2, "p": 0.0})
    assert [round(n["lr"], 6) for n in near[:2]] == [round(10 ** (-2 - 4 / 64), 6), round(10 ** (-2 + 4 / 64), 6)]
    assert near[2] == {"lr": 1e-2, "p": 0.01}  # the lower bound: only the step up
    assert len(near) == 3


def test_neighbours_leave_out_invalid_architectures() -> None:
    space = SearchSpace("constrained", GRID.params, constraints=[lambda a: not (a["a"] == "z" and a["b"] == 2)])
    got = neighbours(space, {"a": "z", "b": 0, "c": "p"})
    assert {"a": "z", "b": 2, "c": "p"} not in got and len(got) == 5


# ------------------------------------------------------------------------------- exhaustive vs brute force
@pytest.mark.parametrize("fitness", [bumpy, additive], ids=["bumpy", "additive"])
def test_exhaustive_matches_brute_force_on_a_grid(fitness) -> None:
    archs = list(GRID.enumerate())
    f = {i: fitness(a) for i, a in enumerate(archs)}
    near = {i: [archs.index(b) for b in brute_neighbours_unconditional(archs, a)] for i, a in enumerate(archs)}
    result = landscape(GRID, fitness, seed=0, exhaustive=True)
    assert result.method == "exhaustive" and result.n_evaluations == 27 and result.neighbourhood_size == 6
    assert_matches(result, brute_measures(archs, f, near))
    rho = result.autocorrelation
    assert result.correlation_length == pytest.approx(-1 / math.log(abs(rho)), abs=2e-6)


def test_additivity_is_one_for_an_additive_function_and_less_with_an_interaction() -> None:
    assert landscape(GRID, additive, seed=0).additivity == 1.0
    interaction = landscape(GRID, lambda a: additive(a) + 3.0 * (a["a"] == "x" and a["b"] == 2), seed=0).additivity
    assert 0 < interaction < 1
    assert landscape(GRID, additive, seed=0).fdc < 0  # additive: better architectures share the best one's values


def test_exhaustive_matches_brute_force_on_a_conditional_space() -> None:
    archs = list(COND.enumerate())
    assert len(archs) == 10

    def is_move(a: dict, b: dict) -> bool:
        # Written from the definition: one active parameter changed; a child switched on takes its first value.
        if a["op"] != b["op"]:
            return a["act"] == b["act"] and ("k" not in b or "k" in a or b["k"] == 1) and (
                "k" not in b or "k" not in a or a["k"] == b["k"])
        return sum(a.get(k) != b.get(k) for k in ("k", "act")) == 1

    def fitness(a: dict) -> float:
        return {"conv": 1.0, "pool": 2.0, "skip": 0.0}[a["op"]] + a.get("k", 0) * (a["act"] == "relu") * 0.4

    f = {i: fitness(a) for i, a in enumerate(archs)}
    near = {i: [j for j, b in enumerate(archs) if is_move(a, b)] for i, a in enumerate(archs)}
    result = landscape(COND, fitness, seed=0)
    assert result.method == "exhaustive"
    assert result.neighbourhood_size == pytest.approx(np.mean([len(near[i]) for i in near]), abs=1e-6)
    assert_matches(result, brute_measures(archs, f, near))


def test_exhaustive_matches_brute_force_with_a_wide_int_range() -> None:
    archs = list(WIDE.enumerate())

    def fitness(a: dict) -> float:  # several peaks along w: local optima under +/- 1 moves
        return math.sin(a["w"] / 5.0) * 10 + {"s": 0.0, "m": 1.0, "l": 0.5}[a["t"]]

    def is_move(a: dict, b: dict) -> bool:
        return (a["t"] == b["t"] and abs(a["w"] - b["w"]) == 1) or (a["w"] == b["w"] and a["t"] != b["t"])

    f = {i: fitness(a) for i, a in enumerate(archs)}
    near = {i: [j for j, b in enumerate(archs) if is_move(a, b)] for i, a in enumerate(archs)}
    result = landscape(WIDE, fitness, seed=0, exhaustive=True)
    expected = brute_measures(archs, f, near)
    del expected["additivity"]  # w is binned in the model (more than 64 values), the brute force is not
    assert_matches(result, expected)
    # Peaks of sin(w / 5) at w = 8, 39, 71 and the bound w = 99, each with t = "m".
    assert result.local_optima_fraction == pytest.approx(4 / 300, abs=1e-6)


def test_flat_fitness() -> None:
    result = landscape(GRID, lambda a: 1.0, seed=0)
    assert (result.neutrality, result.local_optima_fraction, result.n_global_optima) == (1.0, 1.0, 27)
    for key in ("autocorrelation", "correlation_length", "fdc", "skewness", "additivity"):
        assert getattr(result, key) is None, key


def test_minimize_reads_quality_as_minus_the_fitness() -> None:
    up = landscape(GRID, bumpy, seed=0)
    down = landscape(GRID, lambda a: -bumpy(a), seed=0, direction="minimize")
    for key in ("fdc", "local_optima_fraction", "neutrality", "n_global_optima", "autocorrelation", "additivity"):
        assert getattr(down, key) == getattr(up, key), key
    assert (down.skewness, down.best_value) == (-up.skewness, -up.best_value)


def test_missing_fitness_is_skipped_and_counted() -> None:
    archs = list(GRID.enumerate())
    missing = {i for i in range(len(archs)) if i % 4 == 1}
    f = {i: bumpy(a) for i, a in enumerate(archs) if i not in missing}
    f[6] = None  # NaN and None are both missing
    near = {i: [archs.index(b) for b in brute_neighbours_unconditional(archs, a)] for i, a in enumerate(archs)}

    def fitness(a: dict) -> float | None:
        i = archs.index(a)
        return float("nan") if i == 6 else f.get(i)

    result = landscape(GRID, fitness, seed=0)
    assert (result.n_missing, result.n_evaluations, result.n_architectures) == (len(missing) + 1, 27, 27 - 8)
    assert_matches(result, brute_measures(archs, f, near))
    assert "without a fitness" in result.note
    sampled = landscape(GRID, fitness, seed=0, exhaustive=False, n_samples=200, n_walks=3, walk_length=20)
    assert sampled.n_missing == len(missing) + 1 and sampled.available
    none = landscape(GRID, lambda a: None, seed=0)
    assert not none.available and none.n_missing == 27 and none.fdc is None


# ---------------------------------------------------------------------------------------- sampled mode
MEDIUM = SearchSpace("medium", [Categorical(f"p{i}", tuple(range(6))) for i in range(5)])  # 7,776 points


def _medium_table() -> dict:
    rng = np.random.default_rng(7)
    effects = rng.normal(size=(5, 6))
    pair = rng.normal(size=(6, 6))
    table = {}
    for values in itertools.product(range(6), repeat=5):
        main = sum(effects[i, v] for i, v in enumerate(values))
        table[values] = round(main + 2.0 * pair[values[0], values[1]] + 0.3 * rng.normal(), 1)  # ties: neutrality
    return table


MEDIUM_TABLE = _medium_table()


def medium_fitness(arch: dict) -> float:
    return MEDIUM_TABLE[tuple(arch[f"p{i}"] for i in range(5))]


def test_sampled_estimates_are_close_to_exhaustive_values() -> None:
    exact = landscape(MEDIUM, medium_fitness, seed=0, exhaustive=True)
    estimate = landscape(MEDIUM, medium_fitness, seed=1, exhaustive=False, n_walks=20, walk_length=100,
                         n_samples=2_000, n_neighbourhoods=300, max_evaluations=7_000)
    assert estimate.method == "sampled" and estimate.n_evaluations <= 7_000
    assert estimate.neighbourhood_size == exact.neighbourhood_size == 25
    for key, tol in (("autocorrelation", 0.06), ("fdc", 0.06), ("skewness", 0.15), ("additivity", 0.04),
                     ("local_optima_fraction", 0.015), ("neutrality", 0.02)):
        assert getattr(estimate, key) == pytest.approx(getattr(exact, key), abs=tol), key


def test_default_choice_of_mode_and_budget() -> None:
    assert landscape(GRID, bumpy, seed=0).method == "exhaustive"  # 27 combinations <= max_evaluations
    result = landscape(MEDIUM, medium_fitness, seed=0)  # 7,776 > 5,000: sampled within the budget
    assert result.method == "sampled" and result.n_evaluations <= 5_000
    small = landscape(MEDIUM, medium_fitness, seed=0, n_samples=50, n_walks=2, walk_length=10,
                      n_neighbourhoods=50, max_evaluations=200)
    assert small.n_evaluations <= 200 and "stopped at the budget" in small.note


def test_sampled_is_deterministic_for_a_seed() -> None:
    kwargs = {"exhaustive": False, "n_samples": 300, "n_walks": 5, "walk_length": 30, "n_neighbourhoods": 20}
    first = landscape(MEDIUM, medium_fitness, seed=3, **kwargs)
    assert landscape(MEDIUM, medium_fitness, seed=3, **kwargs) == first
    assert landscape(MEDIUM, medium_fitness, seed=4, **kwargs) != first


def test_continuous_space_is_sampled_and_refused_exhaustively() -> None:
    space = SearchSpace("cont", [FloatRange("x", -1.0, 1.0), Categorical("s", (-1, 1))])
    result = landscape(space, lambda a: -(a["x"] - 0.3) ** 2 + 0.1 * a["s"], seed=0, n_samples=200,
                       n_walks=4, walk_length=50, n_neighbourhoods=30)
    assert result.method == "sampled" and result.neighbourhood_size == 3  # x up, x down, the other s
    assert result.autocorrelation > 0.9  # small steps on a smooth function
    with pytest.raises(SpaceError):
        landscape(space, lambda a: a["x"], seed=0, exhaustive=True)


def test_deadline_stops_the_work() -> None:
    deadline = Deadline(None)
    deadline.cancel()
    with pytest.raises(ProfilingCancelled):
        landscape(GRID, bumpy, seed=0, deadline=deadline)
    with pytest.raises(ProfilingCancelled):
        landscape(MEDIUM, medium_fitness, seed=0, deadline=deadline)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="direction"):
        landscape(GRID, bumpy, seed=0, direction="up")
    with pytest.raises(ValueError, match="n_walks"):
        landscape(GRID, bumpy, seed=0, n_walks=-1)
    with pytest.raises(ValueError, match="max_evaluations"):
        landscape(MEDIUM, medium_fitness, seed=0, n_samples=4_500, max_evaluations=5_000)


# ----------------------------------------------------------------------------------- result and report
def test_result_round_trips_through_strict_json() -> None:
    result = landscape(GRID, bumpy, seed=0)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert Landscape.from_dict(data) == result
    flat = landscape(GRID, lambda a: 2.0, seed=0)
    assert Landscape.from_dict(json.loads(json.dumps(flat.to_dict(), allow_nan=False))) == flat


def test_report_carries_the_landscape() -> None:
    from nas_complexity.metrics import architecture_diversity, measure_size, multi_task
    from nas_complexity.report import ComplexityReport

    report = ComplexityReport(
        space="grid", size=measure_size(GRID), multi_task=multi_task(GRID),
        architecture_diversity=architecture_diversity(GRID, GRID.enumerate(), "enumerated"),
    )
    assert report.to_dict()["landscape"] is None and "landscape" not in str(report)
    old = report.to_dict()
    del old["landscape"]  # a report written before the field existed
    assert ComplexityReport.from_dict(old).landscape is None
    with_landscape = dataclasses.replace(report, landscape=landscape(GRID, bumpy, seed=0).to_dict())
    again = ComplexityReport.from_json(with_landscape.to_json())
    assert again.landscape == with_landscape.landscape
    row = next(r for r in again.rows() if r[0].startswith("landscape"))
    assert row[0] == "landscape (true metric)" and row[1].startswith("FDC ") and "local optima" in row[2]
    missing = dataclasses.replace(report, landscape=Landscape.unavailable("no table").to_dict())
    assert ("landscape (true metric)", "not available", "no table") in missing.rows()


def test_landscape_of_a_table_counts_missing_rows() -> None:
    from nas_complexity.benchmarking import TabularObjective
    from nas_complexity.data import arch_key

    archs = list(GRID.enumerate())
    table = {arch_key(a): bumpy(a) for a in archs[:-3]}
    result = landscape_of_table(TabularObjective(table, GRID), exhaustive=True)
    assert (result.n_missing, result.source, result.direction) == (3, "true metric", "maximize")
    lower = landscape_of_table(TabularObjective(table, GRID, direction="minimize"))
    assert lower.direction == "minimize" and lower.best_value == min(table.values())


# ---------------------------------------------------------------------------------------------- NB201
@pytest.mark.slow
@pytest.mark.parametrize("task", ["cifar10", "cifar100", "imagenet16-120"])
def test_nb201_true_metric_matches_the_published_landscape_analysis(data_root, task) -> None:
    """Ochoa & Veerapen (2022): Spearman FDC between -0.33 and -0.46 on the three datasets, a unique global optimum
    on each (measured here on the stored NASLib validation accuracy: -0.365, -0.331, -0.367)."""
    from nas_complexity.benchmarking import TabularObjective

    objective = TabularObjective.from_benchmark(data_root, "nb201", task)
    result = landscape_of_table(objective, exhaustive=True)
    assert result.n_architectures == 15_625 and result.neighbourhood_size == 24
    assert result.n_global_optima == 1
    assert -0.465 <= result.fdc <= -0.325  # the published range, to its two decimals
    assert result.skewness < 0  # a long tail of bad cells
    assert 0 < result.local_optima_fraction < 0.01


# ------------------------------------------------------------------------------- scores already computed
def test_scores_of_every_architecture_give_the_exhaustive_sample_measures() -> None:
    """Given every architecture's fitness, the scored-sample measures are the exhaustive ones (FDC, skewness,
    neighbourhood size); the measures that need neighbours are left out, and the note says so."""
    archs = list(GRID.enumerate())
    exact = landscape(GRID, bumpy, seed=0, exhaustive=True)
    got = landscape_of_scores(GRID, archs, [bumpy(a) for a in archs], source="proxy (test)")
    assert got.method == "scored sample" and got.source == "proxy (test)"
    assert (got.fdc, got.skewness, got.neighbourhood_size, got.best_value) == (
        exact.fdc, exact.skewness, exact.neighbourhood_size, exact.best_value)
    assert got.autocorrelation is None and got.local_optima_fraction is None and got.neutrality is None
    assert "need the fitness of neighbours" in got.note and got.n_architectures == 27


def test_scores_follow_the_direction_skip_missing_values_and_count_repeats_once() -> None:
    archs = list(GRID.enumerate())
    up = landscape_of_scores(GRID, archs, [bumpy(a) for a in archs])
    down = landscape_of_scores(GRID, archs, [-bumpy(a) for a in archs], direction="minimize")
    assert down.fdc == up.fdc and down.skewness == -up.skewness and down.best_value == -up.best_value
    values = [None if i % 9 == 0 else math.nan if i % 9 == 1 else bumpy(a) for i, a in enumerate(archs)]
    holed = landscape_of_scores(GRID, archs + archs[:5], values + values[:5])
    assert holed.n_missing == 6 and holed.n_architectures == 21  # 3 None + 3 NaN; the repeats are one each
    assert landscape_of_scores(GRID, archs, [additive(a) for a in archs]).additivity == 1.0


def test_scores_without_a_finite_value_or_of_mismatched_length_are_refused_or_unavailable() -> None:
    archs = list(GRID.enumerate())[:4]
    none = landscape_of_scores(GRID, archs, [None, math.nan, math.inf, None])
    assert not none.available and "none of the 4 scored architectures" in none.note
    with pytest.raises(ValueError, match="4 architectures but 3 values"):
        landscape_of_scores(GRID, archs, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="accepted: maximize, minimize"):
        landscape_of_scores(GRID, archs, [1.0] * 4, direction="up")
