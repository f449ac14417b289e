"""Conversions from the encodings used by the published tables to this library's flat architecture dicts.

Every table keys its rows in its own format; all of them are converted to the parameter names of the built-in
spaces (:func:`nas_complexity.spaces.get_space`) so that one architecture has one key everywhere. The index orders
below are those of the code that wrote the tables; each was checked against the data (see ``tests/data``).
"""
from __future__ import annotations

import re
from typing import Any, Sequence

from nas_complexity.spaces import NodeCell

__all__ = [
    "NASLIB_EDGES",
    "NASLIB_NB201_OPS",
    "NASLIB_TNB_MICRO_OPS",
    "TNB_MICRO_CODES",
    "NASLIB_NB101_OPS",
    "NASLIB_DARTS_OPS",
    "NAS_BENCH_MACRO_OPS",
    "FBNET_OPS",
    "parse_ints",
    "edge_ops_to_arch",
    "nb101_key_to_arch",
    "darts_compact_to_arch",
    "tnb_macro_to_arch",
    "macro_digits_to_arch",
    "fbnet_key_to_arch",
]

# NASLib's EDGE_LIST ((1,2),(1,3),(1,4),(2,3),(2,4),(3,4)) with its nodes 1..4 renumbered 0..3 (0 = cell input).
NASLIB_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
# NASLib NB201 OP_NAMES (Identity, Zero, ReLUConvBN3x3, ReLUConvBN1x1, AvgPool1x1) in NB201 names.
NASLIB_NB201_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
# NASLib's TransNAS-Bench-101 micro graph (OP_NAMES without pooling); used by the NAS-Bench-360 zero-cost files,
# whose proxies fail exactly on the cells this reading disconnects.
NASLIB_TNB_MICRO_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1")
# TransNAS-Bench-101's own cell digits (0 zeroize, 1 skip, 2 conv1x1, 3 conv3x3) in its string order
# ``64-41414-a_bc_def``, i.e. by target node then source: EdgeCell.edges(). NASLib queries the TransNAS tables with
# the op indices written straight into that string, so the TNB tables' "op indices" are these digits.
TNB_MICRO_CODES = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
# NASLib NB101 ``all_ops`` (the 56-int key ends with one index per vertex into this list).
NASLIB_NB101_OPS = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
# NASLib nasbench301 ``convert_compact_to_genotype`` OPS; compact pairs are (input node, op index).
NASLIB_DARTS_OPS = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
# NAS-Bench-Macro digits: 0 identity (skip), 1 MB3_K3, 2 MB6_K5.
NAS_BENCH_MACRO_OPS = ("identity", "mbconv_e3_k3", "mbconv_e6_k5")
# HW-NAS-Bench FBNet ``ops_str_lookup_table``.
FBNET_OPS = ("k3_e1", "k3_e1_g2", "k3_e3", "k3_e6", "k5_e1", "k5_e1_g2", "k5_e3", "k5_e6", "skip")

_INT = re.compile(r"-?\d+")


def parse_ints(text: Any) -> tuple[int, ...]:
    """All integers in a stored key such as ``"(4, 3, 3, 0, 0, 0)"`` or a nested DARTS key, in reading order.

    Example:
        >>> parse_ints("[[(0, 1), (1, 5)]]")
        (0, 1, 1, 5)
    """
    return tuple(int(x) for x in _INT.findall(str(text)))


def _index(ops: Sequence[str], i: int, what: str) -> str:
    if not 0 <= i < len(ops):
        raise ValueError(f"{what}: op index {i} out of range; accepted 0..{len(ops) - 1} for {list(ops)}")
    return ops[i]


def edge_ops_to_arch(
    indices: Sequence[int], ops: Sequence[str], edges: Sequence[tuple[int, int]], cell: str = "cell"
) -> dict[str, str]:
    """An edge cell's flat params from one op index per edge, given the op list and the edge order of the source.

    Example:
        >>> edge_ops_to_arch((4, 3, 3, 0, 0, 0), NASLIB_NB201_OPS, NASLIB_EDGES)["cell/0_3"]
        'nor_conv_1x1'
    """
    if len(indices) != len(edges):
        raise ValueError(f"edge-cell key {tuple(indices)} has {len(indices)} entries; accepted: {len(edges)}")
    return {f"{cell}/{i}_{j}": _index(ops, k, f"edge {i}->{j}") for k, (i, j) in zip(indices, edges)}


def nb101_key_to_arch(key: Sequence[int], cell: NodeCell) -> dict[str, Any]:
    """NASLib's NB101 key (7x7 adjacency row by row, then 7 op indices) as a legal cell of ``cell``.

    NASLib stores the matrix it sampled, before NAS-Bench-101 prunes vertices that lie on no input-output path;
    such raw matrices can have more than 9 edges although the trained (pruned) cell has at most 9. The cell is
    therefore pruned and re-embedded: kept vertices keep their order, the output goes to the last vertex, and
    unused vertices get no edges and the first op (they are pruned again, so the choice does not matter).

    Example:
        >>> from nas_complexity.spaces import get_space
        >>> cell = get_space("nb101").structures[0]
        >>> key = [0] * 49 + [0, 4, 4, 4, 4, 4, 1]
        >>> key[6] = 1  # input -> output only
        >>> sum(v for k, v in nb101_key_to_arch(key, cell).items() if "/edge/" in k)
        1
    """
    n = cell.n_vertices
    if len(key) != n * n + n:
        raise ValueError(f"NB101 key has {len(key)} ints; accepted: {n * n + n} ({n}x{n} adjacency + {n} op ids)")
    flat, op_ids = key[: n * n], key[n * n :]
    if any(flat[i * n + j] for i in range(n) for j in range(i + 1)):
        raise ValueError(f"NB101 key {tuple(key)}: adjacency is not strictly upper triangular")
    labels = [_index(NASLIB_NB101_OPS, i, "NB101 vertex") for i in op_ids]
    if labels[0] != "input" or labels[-1] != "output":
        raise ValueError(f"NB101 key {tuple(key)}: first/last vertex must be input/output, got {labels}")
    raw: dict[str, Any] = {f"{cell.name}/edge/{i}_{j}": int(flat[i * n + j]) for i, j in cell.pairs()}
    raw.update({f"{cell.name}/op/{k}": labels[k] for k in range(1, n - 1)})
    pruned = cell.pruned(raw)
    if pruned is None:
        raise ValueError(f"NB101 key {tuple(key)}: no path from input to output")
    matrix, kept = pruned
    pos = list(range(len(kept) - 1)) + [n - 1]
    arch: dict[str, Any] = {f"{cell.name}/edge/{i}_{j}": 0 for i, j in cell.pairs()}
    for a in range(len(kept)):
        for b in range(a + 1, len(kept)):
            if matrix[a][b]:
                arch[f"{cell.name}/edge/{pos[a]}_{pos[b]}"] = 1
    for k in range(1, n - 1):
        arch[f"{cell.name}/op/{k}"] = kept[k] if k < len(kept) - 1 else cell.ops[0]
    return arch


def darts_compact_to_arch(
    ints: Sequence[int], cells: Sequence[str] = ("normal", "reduce"), n_nodes: int = 4
) -> dict[str, str]:
    """NASLib's compact DARTS key ``[[(input, op) x 8], [(input, op) x 8]]`` as SelectionCell params.

    The README of the tables calls the pairs ``(op, input)``; NASLib's ``convert_compact_to_genotype`` (and the
    data: first entries never exceed the node's last legal input) show they are ``(input, op)``. Each node's pair
    is sorted by input, and its ops follow, because SelectionCell applies ``op{m}`` to the ``m``-th sorted input.

    Example:
        >>> key = [0, 0, 1, 5, 1, 1, 0, 1, 1, 3, 0, 3, 1, 3, 3, 2] * 2
        >>> arch = darts_compact_to_arch(key)
        >>> arch["normal/node1/inputs"], arch["normal/node1/op0"], arch["normal/node1/op1"]
        ('0,1', 'avg_pool_3x3', 'avg_pool_3x3')
    """
    per_cell = 2 * n_nodes * 2
    if len(ints) != per_cell * len(cells):
        raise ValueError(
            f"DARTS key has {len(ints)} ints; accepted: {per_cell * len(cells)} ((input, op) x 8 per cell)"
        )
    arch: dict[str, str] = {}
    for c, name in enumerate(cells):
        base = c * per_cell
        for node in range(n_nodes):
            pairs = sorted(
                (ints[base + 4 * node + 2 * m], ints[base + 4 * node + 2 * m + 1]) for m in range(2)
            )
            (a, op_a), (b, op_b) = pairs
            if a == b or not 0 <= a < b <= node + 1:
                raise ValueError(
                    f"DARTS key, {name} node {node}: inputs {a}, {b}; accepted two distinct nodes in 0..{node + 1}"
                )
            arch[f"{name}/node{node}/inputs"] = f"{a},{b}"
            arch[f"{name}/node{node}/op0"] = _index(NASLIB_DARTS_OPS, op_a, f"{name} node {node}")
            arch[f"{name}/node{node}/op1"] = _index(NASLIB_DARTS_OPS, op_b, f"{name} node {node}")
    return arch


def tnb_macro_to_arch(codes: Sequence[int]) -> dict[str, int]:
    """A TransNAS-Bench-101 macro key (module codes 1-4, zero-padded to 6 in NASLib files) as ``depth``/``layerK``.

    Example:
        >>> tnb_macro_to_arch((1, 2, 4, 2, 0, 0))
        {'depth': 4, 'layer0': 1, 'layer1': 2, 'layer2': 4, 'layer3': 2}
    """
    used = [int(c) for c in codes]
    while used and used[-1] == 0:  # NASLib pads short networks with trailing zeros
        used.pop()
    if len(codes) > 6 or not 4 <= len(used) <= 6 or any(c not in (1, 2, 3, 4) for c in used):
        raise ValueError(f"TransNAS-Bench-101 macro key {tuple(codes)}: accepted 4-6 codes in 1..4, zero padding last")
    return {"depth": len(used), **{f"layer{k}": c for k, c in enumerate(used)}}


def macro_digits_to_arch(code: Any, n_layers: int = 8) -> dict[str, str]:
    """A NAS-Bench-Macro key (8 digits in 0-2; stored as an int, so leading zeros are lost) as ``layerK`` params.

    Example:
        >>> macro_digits_to_arch(11110)["layer3"]
        'mbconv_e3_k3'
    """
    digits = str(code).strip().zfill(n_layers)
    if len(digits) != n_layers or any(d not in "012" for d in digits):
        raise ValueError(f"NAS-Bench-Macro key {code!r}: accepted {n_layers} digits, each 0, 1 or 2")
    return {f"layer{k}": NAS_BENCH_MACRO_OPS[int(d)] for k, d in enumerate(digits)}


def fbnet_key_to_arch(key: str, n_layers: int = 22) -> dict[str, str]:
    """An FBNet key (22 choices 0-8 joined by ``_``, HW-NAS-Bench order) as ``layerK`` params.

    Example:
        >>> fbnet_key_to_arch("_".join(["8"] * 22))["layer0"]
        'skip'
    """
    parts = str(key).split("_")
    if len(parts) != n_layers or not all(p.isdigit() for p in parts):
        raise ValueError(f"FBNet key {key!r}: accepted {n_layers} integers 0..8 joined by '_'")
    return {f"layer{k}": _index(FBNET_OPS, int(p), f"FBNet layer {k}") for k, p in enumerate(parts)}

