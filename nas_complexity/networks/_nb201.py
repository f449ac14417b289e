"""NAS-Bench-201 networks (Dong & Yang 2020) and TransNAS-Bench-101 micro networks (Duan et al. 2021).

NAS-Bench-201 (xautodl's ``TinyNetwork``, C=16, N=5): a 3x3 conv + BN stem, three stages of five cells with
16, 32 and 64 channels separated by ResNet basic blocks that halve the resolution (shortcut: 2x2 average pool and
a 1x1 conv), then BN-ReLU, global average pooling and a linear classifier. The cell has 4 nodes; node j sums
op_ij(node i) over i < j; operations are ``none`` (zero), ``skip_connect`` (identity), ``nor_conv_1x1`` and
``nor_conv_3x3`` (ReLU-conv-BN) and ``avg_pool_3x3``. Inputs: 32x32x3, 10 classes (CIFAR-10) by default.

TransNAS-Bench-101 micro: the same cell with 4 operations (no pooling) inside TransNAS-Bench-101's own
ResNet-style encoder for Taskonomy (its ``MacroNet`` with net code ``64-41414-<cell>``: a two-conv stride-4 stem,
five modules of two cells, where modules coded 4 halve the resolution and double the width, then global pooling
and a linear head); the benchmark trains it on 256x256 Taskonomy images with task-specific decoders. For proxy
scoring we build the encoder with a classification head (75 classes, the code's default) on smaller inputs
(64x64 by default, the ``resolution`` option), which keeps every cell and operation of the benchmark.

Cheap builds: ``none`` edges create no module and no computation, and nodes that cannot reach the cell output
are not computed (their operations still exist, so parameter counts match the benchmark). A cell whose output is
cut off from its input by ``none`` edges makes the whole network ignore its input: :meth:`NB201Builder.dead_reason`
says so from the encoding, before anything is built.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn

from nas_complexity._errors import SpaceError
from nas_complexity.networks._ops import ConvBN, FactorizedReduce, Pooling, ReLUConvBN, ResNetBlock, add_all
from nas_complexity.networks._vision import Make, VisionBuilder
from nas_complexity.spaces._builtin import NB201_OPS, TNB_MICRO_OPS

__all__ = ["NB201_OPS", "TNB_MICRO_OPS", "NB201Builder", "TNBMicroBuilder", "EdgeCellModule", "NB201Network",
           "edge_genotype", "dead_cell_reason"]

_N_NODES = 4

Genotype = tuple[tuple[str, ...], ...]
"""``genotype[j - 1][i]`` is the operation on edge ``i -> j`` (nodes 0..3, node 0 the cell input)."""


def edge_genotype(arch: Mapping[str, Any] | str, ops: Sequence[str] = NB201_OPS, cell: str = "cell",
                  n_nodes: int = _N_NODES) -> Genotype:
    """The cell of a flat architecture (params ``{cell}/{i}_{j}``) or of an NB201 string ``|op~0|+|op~0|op~1|+...``.

    Example:
        >>> edge_genotype("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|")[1]
        ('none', 'skip_connect')
    """
    if isinstance(arch, str):
        flat: dict[str, Any] = {}
        for j, node in enumerate(arch.split("+"), start=1):
            for item in filter(None, node.split("|")):
                op, _, i = item.rpartition("~")
                flat[f"{cell}/{i}_{j}"] = op
        arch = flat
    if not isinstance(arch, Mapping):
        raise SpaceError(cell, f"an architecture must be a dict or an NB201 string, got {type(arch).__name__}",
                         f"{{'{cell}/0_1': op, ...}} or '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|'")
    out = []
    for j in range(1, n_nodes):
        node = []
        for i in range(j):
            key = f"{cell}/{i}_{j}"
            if key not in arch:
                raise SpaceError(key, "missing edge", f"all {n_nodes * (n_nodes - 1) // 2} edges {cell}/i_j, i < j")
            if arch[key] not in ops:
                raise SpaceError(key, f"unknown operation {arch[key]!r}", ", ".join(ops))
            node.append(arch[key])
        out.append(tuple(node))
    return tuple(out)


def _needed_nodes(genotype: Genotype) -> set[int]:
    """Nodes with a path of non-``none`` edges to the cell output (the only ones worth computing)."""
    last = len(genotype)
    needed = {last}
    for j in range(last, 0, -1):
        if j in needed:
            needed.update(i for i, op in enumerate(genotype[j - 1]) if op != "none")
    return needed


def dead_cell_reason(genotype: Genotype) -> str | None:
    """Why a cell's output ignores its input (no path of non-``none`` edges from node 0 to the last node).

    Example:
        >>> dead_cell_reason((("nor_conv_3x3",), ("none", "skip_connect"), ("none", "none", "nor_conv_1x1")))
        >>> dead_cell_reason((("none",), ("none", "skip_connect"), ("none", "nor_conv_3x3", "avg_pool_3x3")))
        "dead network: every path from the cell input (node 0) to its output (node 3) has a 'none' edge"
    """
    if 0 in _needed_nodes(genotype):
        return None
    last = len(genotype)
    return f"dead network: every path from the cell input (node 0) to its output (node {last}) has a 'none' edge"


def _edge(op: str, c_in: int, c_out: int, stride: int, make: Make) -> nn.Module | None:
    """The module of one edge (``None`` for the identity); ``none`` edges never get here."""
    if op == "skip_connect":
        return None if (c_in == c_out and stride == 1) else make(FactorizedReduce, c_in, c_out, stride)
    if op == "nor_conv_1x1":
        return make(ReLUConvBN, c_in, c_out, 1, stride)
    if op == "nor_conv_3x3":
        return make(ReLUConvBN, c_in, c_out, 3, stride)
    if op == "avg_pool_3x3":
        return make(Pooling, c_in, c_out, stride)
    raise SpaceError("op", f"unknown cell operation {op!r}", ", ".join(NB201_OPS))


class EdgeCellModule(nn.Module):
    """An NB201-style cell; edges leaving node 0 map ``c_in -> c_out`` with ``stride`` (TransNAS-Bench-101's
    widening and downsampling cells), the others keep ``c_out``."""

    def __init__(self, genotype: Genotype, c_in: int, c_out: int, stride: int, make: Make) -> None:
        super().__init__()
        self.c_out = c_out
        self.stride = stride
        self.last = len(genotype)
        self.edges = nn.ModuleList()
        needed = _needed_nodes(genotype)
        # plan: for each node to compute, its terms as (source node, index into self.edges or -1 for identity)
        self.plan: list[tuple[int, list[tuple[int, int]]]] = []
        for j, node in enumerate(genotype, start=1):
            terms = []
            for i, op in enumerate(node):
                if op == "none":
                    continue
                module = _edge(op, c_in if i == 0 else c_out, c_out, stride if i == 0 else 1, make)
                index = -1
                if module is not None:
                    index = len(self.edges)
                    self.edges.append(module)
                terms.append((i, index))
            if j in needed:
                self.plan.append((j, terms))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = {0: x}
        for j, terms in self.plan:
            values = [nodes[i] if index < 0 else self.edges[index](nodes[i]) for i, index in terms]
            if values:
                nodes[j] = add_all(values)
            else:  # only 'none' edges lead here: the node is zero (NB201's Zero op)
                h, w = (-(-size // self.stride) for size in x.shape[2:])
                nodes[j] = x.new_zeros(x.shape[0], self.c_out, h, w)
        return nodes[self.last]


class NB201Network(nn.Module):
    """NAS-Bench-201's ``TinyNetwork`` for one cell (see the module docstring)."""

    def __init__(self, genotype: Genotype, channels: int, num_cells: int, num_classes: int, in_channels: int,
                 make: Make) -> None:
        super().__init__()
        self.stem = make(ConvBN, in_channels, channels, 3)
        cells: list[nn.Module] = []
        c = channels
        for stage in range(3):
            if stage:
                cells.append(make(ResNetBlock, c, 2 * c, 2, "avgpool"))
                c *= 2
            cells.extend(EdgeCellModule(genotype, c, c, 1, make) for _ in range(num_cells))
        self.cells = nn.Sequential(*cells)
        self.lastact = nn.Sequential(make(nn.BatchNorm2d, c), nn.ReLU())
        self.classifier = make(nn.Linear, c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.lastact(self.cells(self.stem(x))).mean(dim=(2, 3)))


class NB201Builder(VisionBuilder):
    """NAS-Bench-201 networks (``channels`` C=16 and ``num_cells`` N=5 as published; smaller for fast tests).

    Architectures: flat dicts with ``cell/{i}_{j}`` (the ``nb201`` space) or NB201 strings.

    Example:
        >>> builder = NB201Builder(channels=8, num_cells=1)
        >>> net = builder.build("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|")
        >>> net(builder.minibatch(2)).shape
        torch.Size([2, 10])
    """

    ops = NB201_OPS

    def __init__(self, num_classes: int = 10, channels: int = 16, num_cells: int = 5, resolution: int = 32,
                 in_channels: int = 3, image_source: str = "photos", data: Any = None, channels_last: bool = True,
                 cell: str = "cell") -> None:
        super().__init__(num_classes, resolution, in_channels, image_source, data, channels_last)
        self.channels = channels
        self.num_cells = num_cells
        self.cell = cell

    def spec(self, arch: Any) -> Genotype:
        return edge_genotype(arch, self.ops, self.cell)

    def dead_reason(self, arch: Any) -> str | None:
        return dead_cell_reason(self.spec(arch))

    def _assemble(self, spec: Genotype, make: Make) -> nn.Module:
        return NB201Network(spec, self.channels, self.num_cells, self.num_classes, self.in_channels, make)


class TNBMicroBuilder(NB201Builder):
    """TransNAS-Bench-101 micro networks: its ``64-41414-<cell>`` encoder with a classification head.

    ``base_channels`` (64 as published), ``resolution`` (64 here; Taskonomy images are 256x256) and
    ``num_classes`` (75) are options. Architectures: flat dicts ``cell/{i}_{j}`` over ``none``,
    ``skip_connect``, ``nor_conv_1x1``, ``nor_conv_3x3`` (the ``tnb101-micro`` space) or NB201-style strings.

    Example:
        >>> builder = TNBMicroBuilder(base_channels=8, resolution=32)
        >>> net = builder.build("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|none~1|skip_connect~2|")
        >>> net(builder.minibatch(2)).shape
        torch.Size([2, 75])
    """

    ops = TNB_MICRO_OPS
    init_scheme = "kaiming_fan_out"
    macro_code = (4, 1, 4, 1, 4)

    def __init__(self, num_classes: int = 75, base_channels: int = 64, resolution: int = 64, in_channels: int = 3,
                 image_source: str = "photos", data: Any = None, channels_last: bool = True,
                 cell: str = "cell") -> None:
        super().__init__(num_classes, base_channels, 2, resolution, in_channels, image_source, data,
                         channels_last, cell)
        self.base_channels = base_channels

    def _assemble(self, spec: Genotype, make: Make) -> nn.Module:
        from nas_complexity.networks._tnb_macro import TNBNetwork

        def block(c_in: int, c_out: int, stride: int, make: Make) -> nn.Module:
            return EdgeCellModule(spec, c_in, c_out, stride, make)

        return TNBNetwork(self.macro_code, block, self.base_channels, self.num_classes, self.in_channels, make)
