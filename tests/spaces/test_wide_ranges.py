"""Wide numeric ranges are counted and sampled arithmetically, never listed; building a space is linear."""
from __future__ import annotations

import numpy as np
import pytest

from nas_complexity import profile
from nas_complexity._errors import SpaceError
from nas_complexity.spaces import (
    LISTABLE_VALUES,
    Categorical,
    Condition,
    FloatRange,
    IntRange,
    SearchSpace,
    uniform_index,
)


@pytest.mark.parametrize(
    "param, n",
    [
        (IntRange("seed", 0, 2**63 - 1), 2**63),
        (IntRange("huge", 0, 10**30), 10**30 + 1),
        (FloatRange("x", 0.0, 1.0, step=1e-12), 10**12 + 1),
    ],
)
def test_a_wide_grid_is_counted_sampled_and_profiled_without_listing(param, n) -> None:
    assert param.n_values() == n and param.is_wide_grid
    with pytest.raises(SpaceError, match="too many to list"):
        param.values()
    rng = np.random.default_rng(0)
    draws = [param.sample(rng) for _ in range(200)]
    assert all(param.contains(v) for v in draws) and len(set(draws)) == 200
    assert param.value_at(n - 1) == param.high
    report = profile(SearchSpace("wide", [param, Categorical("opt", ("sgd", "adam"))]), performance=False)
    size = report.size
    assert size.provenance == "continuous" and size.total is None
    assert "treated as continuous" in size.note and param.name in size.note
    assert report.architecture_diversity.n_architectures == 10_000


def test_nni_randint_and_quniform_with_extreme_values_profile() -> None:
    from nas_complexity.adapters import from_nni_search_space

    space = from_nni_search_space({
        "x": {"_type": "quniform", "_value": [0, 1, 1e-12]},
        "n": {"_type": "randint", "_value": [0, 10**30]},
    })
    report = profile(space, performance=False)
    assert report.size.provenance == "continuous" and "1.000e+30" in report.size.note


def test_uniform_index_covers_ranges_beyond_int64() -> None:
    rng = np.random.default_rng(1)
    n = 3 * 2**70 + 5
    draws = [uniform_index(rng, n) for _ in range(2000)]
    assert all(0 <= d < n for d in draws)
    assert min(draws) < n // 10 and max(draws) > n - n // 10  # spread over the whole range, not its low words
    assert uniform_index(np.random.default_rng(2), 7) == int(np.random.default_rng(2).integers(7))  # same as NumPy's below 2**62


def test_a_grid_just_past_the_listing_limit_counts_exactly() -> None:
    space = SearchSpace("g", [IntRange("a", 1, LISTABLE_VALUES + 1), Categorical("b", ("x", "y"))])
    assert space.raw_count() == 2 * (LISTABLE_VALUES + 1) and space.wide_grids == ["a"]


def test_conditional_counts_are_arithmetic_for_a_wide_parent() -> None:
    parent = IntRange("units", 1, 10**9)
    child = Categorical("act", ("relu", "tanh"), condition=Condition("units", (1, 2)))
    assert SearchSpace("c", [parent, child]).raw_count() == 10**9 - 2 + 2 * 2


def _pass_order(params):
    """The order of repeated passes over the parameters (the reference the linear version must match)."""
    order, placed, pending = [], set(), list(params)
    while pending:
        for p in list(pending):
            if p.condition is None or p.condition.parent in placed:
                order.append(p)
                placed.add(p.name)
                pending.remove(p)
    return [p.name for p in order]


@pytest.mark.parametrize("seed", range(40))
def test_linear_topological_order_matches_the_pass_order(seed) -> None:
    rng = np.random.default_rng(seed)
    names = [f"p{i}" for i in range(int(rng.integers(2, 40)))]
    shuffled = list(rng.permutation(names))
    parent = {n: shuffled[int(rng.integers(i))] for i, n in enumerate(shuffled) if i and rng.random() < 0.7}
    params = [Categorical(n, ("a", "b"), condition=Condition(parent[n], ("a",)) if n in parent else None) for n in names]
    assert [p.name for p in SearchSpace("t", params)._order] == _pass_order(params)


def test_a_long_conditional_chain_of_200k_parameters_builds_and_counts() -> None:
    """The pass algorithm was quadratic (40k parameters: 1.8 s; a reversed chain of this size never finished)."""
    n = 200_000
    params = [Categorical(f"x{i}", ("a", "b"), condition=Condition(f"x{i + 1}", ("a",)) if i < n - 1 else None)
              for i in range(n)]
    space = SearchSpace("chain", params)  # every child declared before its parent: one pass per parameter before
    assert space._order[0].name == f"x{n - 1}" and space.raw_count() == n + 1


def test_a_cycle_is_still_refused() -> None:
    params = [Categorical("a", ("x", "y"), condition=Condition("b", ("x",))),
              Categorical("b", ("x", "y"), condition=Condition("a", ("x",)))]
    with pytest.raises(SpaceError, match="cycle"):
        SearchSpace("cyclic", params)
