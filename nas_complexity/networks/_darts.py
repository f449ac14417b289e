"""DARTS / NAS-Bench-301 CIFAR networks (Liu et al. 2019, ``NetworkCIFAR``; Siems et al. 2020).

A 3x3 conv + BN stem with 3C channels, then ``num_cells`` cells; the cells at 1/3 and 2/3 of the depth are
reduction cells (stride 2 on the edges from the two cell inputs, width doubled). Each cell preprocesses its two
inputs (the outputs of the two previous cells) with 1x1 ReLU-conv-BN (a factorized reduction when the previous
cell reduced), computes 4 nodes as the sum of two operations on earlier nodes, and concatenates the 4 nodes.
Global average pooling and a linear classifier follow. Operations: 3x3 max / average pooling, skip (factorized
reduction when strided), separable 3x3 / 5x5 and dilated 3x3 / 5x5 convolutions.

Sizes: NAS-Bench-301 trained C=32 with 8 cells (the defaults here); the published DARTS evaluation network has
C=36 and 20 cells (``channels=36, num_cells=20``). The auxiliary head and drop-path act only in training and are
left out.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn

from nas_complexity._errors import SpaceError
from nas_complexity.networks._ops import ConvBN, DilConv, FactorizedReduce, ReLUConvBN, SepConv
from nas_complexity.networks._vision import Make, VisionBuilder
from nas_complexity.spaces._builtin import DARTS_OPS
from nas_complexity.spaces._cells import SelectionCell

__all__ = ["DARTS_OPS", "DartsBuilder", "DartsCell", "DartsNetwork", "darts_genotype"]

_N_NODES = 4
CellGenotype = tuple[tuple[str, int], ...]


def _check_cell(pairs: Sequence[Sequence[Any]], name: str) -> CellGenotype:
    pairs = tuple((str(op), int(src)) for op, src in pairs)
    if len(pairs) != 2 * _N_NODES:
        raise SpaceError(name, f"{len(pairs)} (op, input) pairs", f"{2 * _N_NODES} pairs, two per node")
    for k, (op, src) in enumerate(pairs):
        if op not in DARTS_OPS:
            raise SpaceError(f"{name}/node{k // 2}/op{k % 2}", f"unknown operation {op!r}", ", ".join(DARTS_OPS))
        if not 0 <= src < k // 2 + 2:
            raise SpaceError(f"{name}/node{k // 2}/inputs", f"input {src} is not an earlier node",
                             f"0..{k // 2 + 1}")
    return pairs


def darts_genotype(arch: Mapping[str, Any] | Sequence[Any]) -> tuple[CellGenotype, CellGenotype]:
    """(normal, reduce) cells as ``((op, input), ...)`` with 2 pairs per node, from a flat ``darts`` architecture
    (``normal/node{i}/inputs`` = ``"0,2"``, ``normal/node{i}/op{m}``, same for ``reduce``) or from a pair of
    DARTS genotype lists.

    Example:
        >>> cell = [("sep_conv_3x3", 0), ("skip_connect", 1)] * 4
        >>> darts_genotype((cell, cell))[1][0]
        ('sep_conv_3x3', 0)
    """
    if isinstance(arch, Mapping):
        cells = []
        for name in ("normal", "reduce"):
            selection = SelectionCell(name, _N_NODES, DARTS_OPS)
            missing = [p for p in selection.param_names() if p not in arch]
            if missing:
                raise SpaceError(missing[0], "missing", f"{name}/node{{i}}/inputs and {name}/node{{i}}/op{{m}}")
            cells.append(_check_cell(selection.genotype(dict(arch)), name))
        return cells[0], cells[1]
    normal, reduce = arch
    return _check_cell(normal, "normal"), _check_cell(reduce, "reduce")


def _op(name: str, c: int, stride: int, make: Make) -> nn.Module | None:
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride, padding=1, count_include_pad=False)
    if name == "skip_connect":
        return None if stride == 1 else make(FactorizedReduce, c, c, 2)
    kind, _, size = name.rpartition("_")
    kernel = int(size.split("x")[0])
    if kind == "sep_conv":
        return make(SepConv, c, c, kernel, stride)
    return make(DilConv, c, c, kernel, stride, 2)


class DartsCell(nn.Module):
    """One DARTS cell (normal or reduction); see the module docstring."""

    def __init__(self, genotype: CellGenotype, c_prev_prev: int, c_prev: int, c: int, reduction: bool,
                 reduction_prev: bool, make: Make) -> None:
        super().__init__()
        self.pre0 = make(FactorizedReduce, c_prev_prev, c, 2) if reduction_prev else make(ReLUConvBN, c_prev_prev, c, 1)
        self.pre1 = make(ReLUConvBN, c_prev, c, 1)
        self.sources = [src for _, src in genotype]
        ops = [_op(name, c, 2 if reduction and src < 2 else 1, make) for name, src in genotype]
        self.ops = nn.ModuleList(nn.Identity() if op is None else op for op in ops)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for node in range(len(self.sources) // 2):
            a, b = 2 * node, 2 * node + 1
            states.append(self.ops[a](states[self.sources[a]]) + self.ops[b](states[self.sources[b]]))
        return torch.cat(states[2:], dim=1)


class DartsNetwork(nn.Module):
    """DARTS' ``NetworkCIFAR`` (no auxiliary head)."""

    def __init__(self, genotype: tuple[CellGenotype, CellGenotype], channels: int, num_cells: int, num_classes: int,
                 in_channels: int, make: Make) -> None:
        super().__init__()
        c_stem = 3 * channels
        self.stem = make(ConvBN, in_channels, c_stem, 3)
        c_pp, c_p, c = c_stem, c_stem, channels
        cells = []
        reduction_prev = False
        for index in range(num_cells):
            reduction = index in (num_cells // 3, 2 * num_cells // 3)
            if reduction:
                c *= 2
            cells.append(DartsCell(genotype[1] if reduction else genotype[0], c_pp, c_p, c, reduction,
                                   reduction_prev, make))
            reduction_prev = reduction
            c_pp, c_p = c_p, _N_NODES * c
        self.cells = nn.ModuleList(cells)
        self.classifier = make(nn.Linear, c_p, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(s1.mean(dim=(2, 3)))


class DartsBuilder(VisionBuilder):
    """DARTS / NAS-Bench-301 networks: ``channels`` C=32 and ``num_cells`` 8 as NAS-Bench-301 trained them
    (DARTS' published evaluation: 36 and 20).

    Example:
        >>> builder = DartsBuilder(channels=4, num_cells=3)
        >>> cell = [("sep_conv_3x3", 0), ("skip_connect", 1)] * 4
        >>> builder.build((cell, cell))(builder.minibatch(2)).shape
        torch.Size([2, 10])
    """

    reference_batch = 32  # NAS-Bench-301's stored jacov has median -32.2: computed at N = 32
    peak_memory_gb = 1.4  # 1.3 GB measured at N = 32 (see NetworkBuilder.peak_memory_gb)

    def __init__(self, num_classes: int = 10, channels: int = 32, num_cells: int = 8, resolution: int = 32,
                 in_channels: int = 3, image_source: str = "photos", data: Any = None,
                 channels_last: bool = True) -> None:
        super().__init__(num_classes, resolution, in_channels, image_source, data, channels_last)
        self.channels = channels
        self.num_cells = num_cells

    def spec(self, arch: Any) -> tuple[CellGenotype, CellGenotype]:
        return darts_genotype(arch)

    def _assemble(self, spec: tuple[CellGenotype, CellGenotype], make: Make) -> nn.Module:
        return DartsNetwork(spec, self.channels, self.num_cells, self.num_classes, self.in_channels, make)
