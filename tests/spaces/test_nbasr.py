from __future__ import annotations

import itertools

import numpy as np
import pytest

from nas_complexity import SpaceError
from nas_complexity.metrics import measure_size
from nas_complexity.spaces import VOCABULARY, get_space
from nas_complexity.spaces._nbasr import ASR_OPS, AsrCell, arch_of_vec, arch_vec_of


@pytest.fixture(scope="module")
def space():
    return get_space("nbasr")


@pytest.fixture(scope="module")
def all_archs(space):
    return list(space.enumerate())


def test_size_is_computed_and_matches_the_published_unique_count(space):
    size = measure_size(space)
    assert size.total == 6**3 * 2**6 == 13_824
    assert size.unique == 8_242
    assert size.provenance == "enumerated" and size.unique_provenance == "enumerated"
    published = space.published_unique
    assert published.value == size.unique
    assert "Mehrotra" in published.source and published.how
    assert "8,242" in space.description and "13,824" in space.description


def test_only_cells_with_a_zero_operation_are_merged(space, all_archs):
    cell = space.structures[0]
    zero_free = [a for a in all_archs if all(a[f"node{j}/op"] != "zero" for j in (1, 2, 3))]
    assert len(zero_free) == 5**3 * 2**6
    assert len({cell.canonical(a) for a in zero_free}) == len(zero_free)  # all 8,000 stay distinct
    with_zero = [a for a in all_archs if any(a[f"node{j}/op"] == "zero" for j in (1, 2, 3))]
    assert len({cell.canonical(a) for a in with_zero}) == 8_242 - 8_000  # 5,824 cells with zero -> 242 models


def test_hash_classes_are_exactly_labelled_graph_isomorphism(space, all_archs):
    # Brute force over vertex permutations of the minimised graph (at most 5 vertices): same partition.
    cell = space.structures[0]

    def exact(arch):
        matrix, labels = cell.minimized(arch)
        return min(
            (tuple(labels[i] for i in p), tuple(matrix[i][j] for i in p for j in p))
            for p in itertools.permutations(range(len(labels)))
        )

    classes: dict = {}
    for arch in all_archs:
        classes.setdefault(cell.canonical(arch), set()).add(exact(arch))
    assert len(classes) == 8_242
    assert all(len(forms) == 1 for forms in classes.values())
    assert len({f for forms in classes.values() for f in forms}) == 8_242


def test_a_branch_cut_off_by_zero_does_not_count():
    cell = AsrCell()
    # node1's output only feeds node2's zero operation: node1's own operation cannot matter.
    a = arch_of_vec([["conv5", 0], ["zero", 1, 0], ["linear", 0, 0, 0]])
    b = arch_of_vec([["conv7d2", 0], ["zero", 1, 0], ["linear", 0, 0, 0]])
    c = arch_of_vec([["conv7d2", 0], ["conv5", 1, 0], ["linear", 0, 0, 0]])
    assert cell.canonical(a) == cell.canonical(b) != cell.canonical(c)
    # A last node of zero with no skip into the output cuts the input off: the empty graph, one model.
    dead = [arch_of_vec([[op, 1], ["conv5", 1, 1], ["zero", 0, 0, 0]]) for op in ASR_OPS]
    assert len({cell.canonical(x) for x in dead}) == 1
    assert cell.minimized(dead[0]) == ([], [])


def test_arch_vector_round_trip_and_ids(space, all_archs):
    for arch in all_archs[::97]:
        vec = arch_vec_of(arch)
        assert arch_of_vec(vec) == arch
        ids = [[ASR_OPS.index(node[0]), *node[1:]] for node in vec]
        assert arch_of_vec(ids) == arch
    assert arch_vec_of(arch_of_vec([[1, 0], [4, 0, 1], [5, 1, 0, 1]])) == [
        ["conv5", 0], ["conv7d2", 0, 1], ["zero", 1, 0, 1]
    ]


@pytest.mark.parametrize(
    "vec, path",
    [
        ([["conv5", 0], ["conv5", 0, 1]], "arch_vec"),
        ([["conv5", 0], ["conv9", 0, 1], ["zero", 1, 0, 1]], "arch_vec/node2"),
        ([["conv5", 2], ["conv5", 0, 1], ["zero", 1, 0, 1]], "arch_vec/node1"),
        ([["conv5", 0, 1], ["conv5", 0, 1], ["zero", 1, 0, 1]], "arch_vec/node1"),
    ],
)
def test_bad_arch_vectors_name_the_node(vec, path):
    with pytest.raises(SpaceError) as info:
        arch_of_vec(vec)
    assert info.value.path == path and "Accepted" in str(info.value)


def test_missing_parameter_is_named():
    with pytest.raises(SpaceError, match="node3/skip2"):
        arch_vec_of({k: v for k, v in arch_of_vec([[0, 1], [1, 0, 0], [2, 1, 1, 0]]).items() if k != "node3/skip2"})


def test_block_counts_use_the_speech_vocabulary(space):
    arch = arch_of_vec([["conv5", 1], ["conv7d2", 0, 1], ["zero", 1, 0, 1]])
    assert space.block_counts(arch) == {"conv1d_k5": 1, "dil_conv1d_k7": 1, "zero": 1, "skip": 4}
    arch = arch_of_vec([["linear", 0], ["conv5d2", 0, 0], ["conv7", 0, 0, 0]])
    vec = space.encode(arch)
    assert vec.shape == (len(VOCABULARY),)
    assert {VOCABULARY[i]: int(vec[i]) for i in np.flatnonzero(vec)} == {
        "linear": 1, "dil_conv1d_k5": 1, "conv1d_k7": 1
    }


def test_sampling_is_seeded_and_valid(space):
    archs = space.sample(seed=11, n=200)
    assert archs == space.sample(seed=11, n=200)
    assert archs != space.sample(seed=12, n=200)
    for arch in archs:
        space.validate(arch)
        assert space.encode(arch).sum() == 3 + sum(arch[f"node{j}/skip{i}"] for j in (1, 2, 3) for i in range(j))
    assert [t.name for t in space.tasks] == ["TIMIT"] and space.tasks[0].metric == "PER"


def test_network_builder_reads_flat_architectures(space):
    pytest.importorskip("torch")
    from nas_complexity.networks._asr import arch_vec

    arch = space.sample(seed=3)
    assert arch_vec(arch) == arch_vec_of(arch)
