from __future__ import annotations

import pytest

from nas_complexity.data import arch_from_key, arch_key
from nas_complexity.data._encodings import (
    NAS_BENCH_MACRO_OPS,
    NASLIB_DARTS_OPS,
    NASLIB_EDGES,
    NASLIB_NB201_OPS,
    NASLIB_TNB_MICRO_OPS,
    TNB_MICRO_CODES,
    darts_compact_to_arch,
    edge_ops_to_arch,
    fbnet_key_to_arch,
    macro_digits_to_arch,
    nb101_key_to_arch,
    parse_ints,
    tnb_macro_to_arch,
)
from nas_complexity.spaces import get_space


def test_arch_key_is_canonical_and_round_trips():
    a = {"b": 1, "a": "skip"}
    b = {"a": "skip", "b": 1}
    assert arch_key(a) == arch_key(b) == '{"a":"skip","b":1}'
    assert arch_from_key(arch_key(a)) == a
    # types survive: an int edge flag is not the string "1"
    assert arch_key({"e": 1}) != arch_key({"e": "1"})


def test_arch_from_key_rejects_non_keys():
    with pytest.raises(ValueError, match="arch_key"):
        arch_from_key("|none~0|")
    with pytest.raises(ValueError, match="JSON object"):
        arch_from_key("[1, 2]")


def test_naslib_nb201_readme_example():
    # README: the NB201 string is |o0~0|+|o1~0|o3~1|+|o2~0|o4~1|o5~2|
    cell = get_space("nb201").structures[0]
    arch = edge_ops_to_arch((4, 0, 3, 1, 4, 3), NASLIB_NB201_OPS, NASLIB_EDGES)
    assert cell.arch_string(arch) == (
        "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_1x1~2|"
    )


def test_op_lists_are_the_spaces_ops():
    assert set(NASLIB_NB201_OPS) == set(get_space("nb201").structures[0].ops)
    assert set(NASLIB_TNB_MICRO_OPS) == set(TNB_MICRO_CODES) == set(get_space("tnb101-micro").structures[0].ops)
    assert set(NASLIB_DARTS_OPS) == set(get_space("darts").structures[0].ops)
    assert NAS_BENCH_MACRO_OPS == tuple(get_space("mbconv-macro").param("layer0").values())


def test_tnb_codes_follow_the_string_order():
    cell = get_space("tnb101-micro").structures[0]
    # "64-41414-3_02_111": node1 <- conv3x3; node2 <- none, conv1x1; node3 <- skip x3
    arch = edge_ops_to_arch((3, 0, 2, 1, 1, 1), TNB_MICRO_CODES, cell.edges())
    assert arch["cell/0_1"] == "nor_conv_3x3" and arch["cell/1_2"] == "nor_conv_1x1"
    assert arch["cell/0_3"] == "skip_connect"


def test_bad_edge_keys_are_named():
    with pytest.raises(ValueError, match="op index 7"):
        edge_ops_to_arch((7, 0, 0, 0, 0, 0), NASLIB_NB201_OPS, NASLIB_EDGES)
    with pytest.raises(ValueError, match="accepted: 6"):
        edge_ops_to_arch((0, 0, 0), NASLIB_NB201_OPS, NASLIB_EDGES)


def test_parse_ints_reads_nested_keys():
    assert parse_ints("(((0, 5), (1, 3)), ((2, 0),))") == (0, 5, 1, 3, 2, 0)
    assert parse_ints("(-1, 2)") == (-1, 2)


def test_nb101_raw_matrix_is_pruned_into_a_legal_cell():
    space = get_space("nb101")
    cell = space.structures[0]
    # input->1->output plus a dangling chain 2->3->4->5 with many edges: raw matrix has 12 edges (> 9)
    m = [[0] * 7 for _ in range(7)]
    m[0][1] = m[1][6] = 1
    for i in range(2, 6):
        for j in range(i + 1, 6):
            m[i][j] = 1
    m[0][2] = m[0][3] = m[0][4] = m[0][5] = 1
    key = [v for row in m for v in row] + [0, 3, 2, 2, 2, 2, 1]
    assert sum(key[:49]) > 9
    arch = nb101_key_to_arch(key, cell)
    space.validate(arch)
    assert cell.pruned(arch) == ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv1x1-bn-relu", "output"])


def test_nb101_bad_keys():
    cell = get_space("nb101").structures[0]
    with pytest.raises(ValueError, match="56"):
        nb101_key_to_arch([0] * 10, cell)
    lower = [0] * 49 + [0, 4, 4, 4, 4, 4, 1]
    lower[7] = 1  # (1, 0): below the diagonal
    with pytest.raises(ValueError, match="upper triangular"):
        nb101_key_to_arch(lower, cell)
    with pytest.raises(ValueError, match="no path"):
        nb101_key_to_arch([0] * 49 + [0, 4, 4, 4, 4, 4, 1], cell)


def test_darts_compact_is_input_op_and_sorted_per_node():
    key = "[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], " \
          "[(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]"
    space = get_space("darts")
    arch = darts_compact_to_arch(parse_ints(key))
    space.validate(arch)
    normal = space.structures[0]
    # the genotype as (op, input) pairs per node, order within a node irrelevant
    got = normal.genotype(arch)
    expected = [("max_pool_3x3", 0), ("dil_conv_3x3", 1), ("avg_pool_3x3", 1), ("avg_pool_3x3", 0),
                ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("skip_connect", 3)]
    for node in range(4):
        assert set(got[2 * node: 2 * node + 2]) == set(expected[2 * node: 2 * node + 2])
    assert arch["reduce/node3/inputs"] == "2,3" and arch["reduce/node3/op1"] == "dil_conv_5x5"


def test_darts_rejects_illegal_inputs():
    bad = [0, 0, 2, 5] + [0, 0, 1, 0] * 3 + [0, 0, 1, 0] * 4  # node 0 reads node 2, which does not exist yet
    with pytest.raises(ValueError, match="normal node 0"):
        darts_compact_to_arch(bad)


def test_tnb_macro_padding_and_errors():
    space = get_space("tnb101-macro")
    arch = tnb_macro_to_arch((1, 2, 4, 2, 0, 0))
    space.validate(arch)
    assert tnb_macro_to_arch((1, 2, 4, 2)) == arch
    for bad in [(1, 0, 4, 2, 1, 0), (1, 2, 3, 0, 0, 0), (5, 1, 1, 1)]:
        with pytest.raises(ValueError, match="4-6 codes"):
            tnb_macro_to_arch(bad)


def test_macro_digits_restore_leading_zeros():
    space = get_space("mbconv-macro")
    arch = macro_digits_to_arch(11110)
    space.validate(arch)
    assert [arch[f"layer{i}"] for i in range(8)] == ["identity"] * 3 + ["mbconv_e3_k3"] * 4 + ["identity"]
    with pytest.raises(ValueError, match="digits"):
        macro_digits_to_arch("00000003")


def test_fbnet_key():
    arch = fbnet_key_to_arch("_".join(str(i % 9) for i in range(22)))
    assert arch["layer0"] == "k3_e1" and arch["layer8"] == "skip" and len(arch) == 22
    with pytest.raises(ValueError, match="22 integers"):
        fbnet_key_to_arch("1_2_3")
    with pytest.raises(ValueError, match="op index 9"):
        fbnet_key_to_arch("_".join(["9"] * 22))
