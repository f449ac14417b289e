from __future__ import annotations

import math

import numpy as np
import pytest

from nas_complexity import SpaceError
from nas_complexity.metrics import measure_size
from nas_complexity.spaces import (
    Categorical,
    Condition,
    EdgeCell,
    FloatRange,
    IntRange,
    NodeCell,
    SearchSpace,
    SelectionCell,
)


def conditional_space() -> SearchSpace:
    return SearchSpace(
        "cond",
        [
            Categorical("optimizer", ("sgd", "adam")),
            FloatRange("momentum", 0.0, 0.9, step=0.3, condition=Condition("optimizer", ("sgd",))),
            Categorical("nesterov", (True, False), condition=Condition("momentum", (0.3, 0.6, 0.9))),
            IntRange("layers", 1, 5, step=2),
        ],
    )


def test_conditional_size_by_hand():
    # sgd: momentum 0 (nesterov off) + 3 momenta x 2 nesterov = 7; adam: 1 -> 8 optimiser settings x 3 layer counts.
    space = conditional_space()
    assert space.raw_count() == 24
    assert measure_size(space).total == 24
    archs = list(space.enumerate())
    assert len(archs) == 24
    assert len({tuple(sorted(a.items())) for a in archs}) == 24
    assert all("momentum" not in a for a in archs if a["optimizer"] == "adam")


def test_sampling_is_seeded_and_respects_conditions():
    space = conditional_space()
    first = space.sample(seed=3, n=50)
    assert first == space.sample(seed=3, n=50)
    assert first != space.sample(seed=4, n=50)
    for arch in first:
        space.validate(arch)
        assert ("momentum" in arch) == (arch["optimizer"] == "sgd")


def test_continuous_space_is_infinite_and_samples_log_uniformly():
    space = SearchSpace("hpo", [FloatRange("lr", 1e-5, 1e-1, log=True)])
    size = measure_size(space)
    assert size.total is None and size.provenance == "continuous" and "lr" in size.note
    values = np.array([a["lr"] for a in space.sample(seed=0, n=4000)])
    assert np.all((values >= 1e-5) & (values <= 1e-1))
    # log-uniform: about half the draws lie below the geometric mean 1e-3
    assert abs(np.mean(values < 1e-3) - 0.5) < 0.05


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda: Categorical("op", ()), "op: a categorical parameter needs at least one choice"),
        (lambda: IntRange("depth", 5, 1), "depth: low=5 is greater than high=1"),
        (lambda: FloatRange("lr", 0.0, 1.0, log=True), "lr: a log range needs low > 0"),
        (lambda: IntRange("depth", 1, 4, step=0), "depth: step must be positive"),
        (lambda: Categorical("op", ("a", "a")), "op: duplicate choices"),
        (lambda: Categorical("op", (object(),)), "op: choice"),
    ],
)
def test_bad_parameters_name_the_path(make, fragment):
    with pytest.raises(SpaceError, match=fragment.split(":")[0]) as info:
        make()
    assert fragment in str(info.value)
    assert "Accepted" in str(info.value)


def test_bad_conditions_and_values():
    with pytest.raises(SpaceError, match="unknown parameter 'nope'"):
        SearchSpace("s", [Categorical("a", ("x",), condition=Condition("nope", ("y",)))])
    with pytest.raises(SpaceError, match="condition values"):
        SearchSpace("s", [Categorical("p", ("x",)), Categorical("a", ("x",), condition=Condition("p", ("z",)))])
    with pytest.raises(SpaceError, match="used twice"):
        SearchSpace("s", [Categorical("a", ("x",)), Categorical("a", ("y",))])
    with pytest.raises(SpaceError, match="no parameters"):
        SearchSpace("s", [])
    space = conditional_space()
    with pytest.raises(SpaceError, match="layers: value 2 is not legal"):
        space.validate({"optimizer": "adam", "layers": 2})
    with pytest.raises(SpaceError, match="momentum: missing"):
        space.validate({"optimizer": "sgd", "layers": 1})


def test_edge_cell_unique_matches_hand_count_on_two_nodes():
    # 2-node cell: a single edge, every op distinct -> no reduction possible.
    space = SearchSpace("e2", structures=[EdgeCell("c", 2, ("none", "skip_connect", "nor_conv_3x3"))])
    assert measure_size(space).unique == 3
    # 3 nodes, ops {none, skip}: node2 = e02 + skip(node1) where node1 = e01. Hand count of distinct functions:
    # zero, x (via 0->2 only, or via 0->1->2 only), x + x (both paths) -> 3 classes among 2^3 = 8 cells.
    space3 = SearchSpace("e3", structures=[EdgeCell("c", 3, ("none", "skip_connect"))])
    size = measure_size(space3)
    assert size.total == 8 and size.unique == 3


def test_edge_cell_string_round_trip():
    cell = EdgeCell("cell", 4, ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"))
    text = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"
    arch = cell.from_arch_string(text)
    assert cell.arch_string(arch) == text
    assert arch["cell/1_2"] == "skip_connect"


def test_node_cell_validity_and_hash():
    cell = NodeCell("c", 4, ("conv3x3-bn-relu", "maxpool3x3"), max_edges=4)
    space = SearchSpace("nb101-small", structures=[cell])
    chain = {**{f"c/edge/{i}_{j}": 0 for i, j in cell.pairs()}, "c/edge/0_1": 1, "c/edge/1_2": 1, "c/edge/2_3": 1,
             "c/op/1": "conv3x3-bn-relu", "c/op/2": "maxpool3x3"}
    assert space.is_valid(chain)
    cut = dict(chain, **{"c/edge/1_2": 0})
    assert not space.is_valid(cut)
    # Two parallel branches with swapped ops are the same graph.
    a = {**{f"c/edge/{i}_{j}": 0 for i, j in cell.pairs()}, "c/edge/0_1": 1, "c/edge/0_2": 1, "c/edge/1_3": 1,
         "c/edge/2_3": 1, "c/op/1": "conv3x3-bn-relu", "c/op/2": "maxpool3x3"}
    b = dict(a, **{"c/op/1": "maxpool3x3", "c/op/2": "conv3x3-bn-relu"})
    assert cell.canonical(a) == cell.canonical(b)
    assert cell.canonical(a) != cell.canonical(chain)
    size = measure_size(space)
    assert size.provenance == "enumerated" and size.unique < size.total


def test_selection_cell_count_formula_matches_enumeration():
    cell = SelectionCell("n", 2, ("sep_conv_3x3", "skip_connect"))
    space = SearchSpace("tiny-darts", structures=[cell])
    # node0: C(2,2)*2^2 = 4; node1: C(3,2)*2^2 = 12 -> 48
    assert cell.count() == 48 == measure_size(space).total == sum(1 for _ in space.enumerate())
    genotype = cell.genotype(space.sample(seed=0))
    assert len(genotype) == 4 and all(isinstance(i, int) for _, i in genotype)


def test_log10_is_consistent():
    space = SearchSpace("big", [Categorical(f"p{i}", tuple(range(10))) for i in range(30)])
    size = measure_size(space)
    assert size.total == 10**30 and math.isclose(size.log10, 30.0)
