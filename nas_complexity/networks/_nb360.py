"""NAS-Bench-360's NB201-space networks for NinaPro, DarcyFlow and CIFAR-100 (Tu et al. 2022).

NB-360 trained all 15,625 NB201 cells on its tasks with NB201's macro skeleton (``TinyNetwork``, C=16, N=5, in
``precompute/{ninapro,darcyflow}/xautodl/models/cell_infers/tiny_network.py`` of its repository):

* NinaPro: one input channel (EMG windows ``[1, 16, 52]``), 18 classes, NB201's two ResNet reduction blocks,
  global average pooling and a linear classifier.
* DarcyFlow: three input channels (permeability and the x, y grid, ``85 x 85``), no reductions at all (the
  reduction blocks are replaced by cells that widen C -> 2C -> 4C at full resolution) and a per-pixel linear head
  with one output: a dense ``[batch, 1, 85, 85]`` regression of the pressure field.
* CIFAR-100: NB201's own network (3 RGB channels, 100 classes).

The cell is NB201's ``InferCell`` with xautodl's operations (ReLU-conv-BN, 3x3 average pooling, identity, zero);
an edge leaving the cell input of a widening cell maps C_in -> C_out (a 1x1 conv for ``skip_connect``, a 1x1
ReLU-conv-BN before pooling), as in xautodl.
TODO(dedupe): this module carries its own minimal copy of the NB201 cell because the vision builders'
``_nb201.py`` was not available when it was written; switch to that module's cell/op classes once it exists.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

from nas_complexity._errors import SpaceError
from nas_complexity.networks._nb201 import NB201Builder, edge_genotype
from nas_complexity.networks._ops import Pooling, ReLUConvBN, ResNetBlock
from nas_complexity.networks._registry import NetworkBuilder, seeded
from nas_complexity.networks._signals import darcy_inputs, eeg_windows
from nas_complexity.spaces._builtin import NB201_OPS

__all__ = ["NB360Builder", "NB360Network", "NB360_TASKS", "genotype_of"]

#: task -> (input channels, outputs, dense head, reductions)
NB360_TASKS = {"ninapro": (1, 18, False, True), "darcyflow": (3, 1, True, False), "cifar100": (3, 100, False, True)}
_N_NODES = 4


def genotype_of(arch: Mapping[str, Any] | str, cell: str = "cell") -> list[list[tuple[str, int]]]:
    """NB201 genotype ``[[(op, from_node)], ...]`` (node 1..3) of a flat ``nb360``/``nb201`` architecture
    (params ``{cell}/{i}_{j}``) or an NB201 string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``.

    Example:
        >>> genotype_of("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|")[1]
        [('none', 0), ('skip_connect', 1)]
    """
    return [[(op, i) for i, op in enumerate(node)] for node in edge_genotype(arch, NB201_OPS, cell, _N_NODES)]


class _Zero(nn.Module):
    def __init__(self, c_out: int) -> None:
        super().__init__()
        self.c_out = c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(x.shape[0], self.c_out, *x.shape[2:])


def _edge_op(op: str, c_in: int, c_out: int) -> nn.Module:
    if op == "none":
        return _Zero(c_out)
    if op == "skip_connect":  # xautodl: FactorizedReduce at stride 1 = 1x1 conv + BN when widening
        return nn.Identity() if c_in == c_out else nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False),
                                                                  nn.BatchNorm2d(c_out))
    if op == "avg_pool_3x3":
        return Pooling(c_in, c_out)
    return ReLUConvBN(c_in, c_out, 3 if op == "nor_conv_3x3" else 1)


class InferCell(nn.Module):
    """NB201's cell: node j = sum over i < j of op_ij(node i); edges from the input map c_in -> c_out."""

    def __init__(self, genotype: list[list[tuple[str, int]]], c_in: int, c_out: int) -> None:
        super().__init__()
        self.inputs = [[i for _, i in node] for node in genotype]
        self.edges = nn.ModuleList(nn.ModuleList(_edge_op(op, c_in if i == 0 else c_out, c_out) for op, i in node)
                                   for node in genotype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for inputs, ops in zip(self.inputs, self.edges):
            nodes.append(sum(op(nodes[i]) for op, i in zip(ops, inputs)))
        return nodes[-1]


class NB360Network(nn.Module):
    """NB201's ``TinyNetwork`` as NB-360 adapted it per task (see the module docstring)."""

    def __init__(self, genotype: list[list[tuple[str, int]]], in_channels: int, num_outputs: int, dense: bool,
                 reductions: bool, channels: int = 16, num_cells: int = 5) -> None:
        super().__init__()
        self.dense = dense
        self.stem = nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        widths = [channels] * num_cells + [2 * channels] * (num_cells + 1) + [4 * channels] * (num_cells + 1)
        transitions = {num_cells, 2 * num_cells + 1}
        cells: list[nn.Module] = []
        c_prev = channels
        for index, width in enumerate(widths):
            if index in transitions and reductions:
                cells.append(ResNetBlock(c_prev, width, 2, shortcut="avgpool"))
            else:
                cells.append(InferCell(genotype, c_prev, width))
            c_prev = width
        self.cells = nn.Sequential(*cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU())
        self.head = nn.Linear(c_prev, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.lastact(self.cells(self.stem(x)))
        if self.dense:  # per-pixel linear head -> [batch, outputs, H, W]
            return self.head(features.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.head(features.mean(dim=(2, 3)))


class NB360Builder(NetworkBuilder):
    """NB201-cell networks shaped for one NAS-Bench-360 task, and the most real offline inputs for it.

    ``task``: ``"ninapro"`` (EMG-shaped windows of matplotlib's real EEG), ``"darcyflow"`` (photograph-derived
    permeability fields) or ``"cifar100"`` (32 x 32 RGB crops of real photographs, from the vision builders'
    image source). ``channels`` / ``num_cells`` are NB201's C and N (NB-360: 16 and 5).

    Example:
        >>> builder = NB360Builder(task="ninapro", channels=8, num_cells=1)
        >>> arch = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"
        >>> builder.build(arch)(builder.minibatch(2)).shape
        torch.Size([2, 18])
    """

    def __init__(self, task: str = "ninapro", channels: int = 16, num_cells: int = 5, cell: str = "cell") -> None:
        self.task = task
        self.channels = channels
        self.num_cells = num_cells
        self.cell = cell

    def _spec(self) -> tuple[int, int, bool, bool]:
        try:
            return NB360_TASKS[self.task]
        except KeyError:
            raise SpaceError("task", f"unknown NAS-Bench-360 task {self.task!r} for the NB201 space",
                             ", ".join(NB360_TASKS)) from None

    @property
    def input_description(self) -> str:  # type: ignore[override]
        self._spec()
        if self.task == "ninapro":
            return ("NinaPro-shaped [batch, 1, 16, 52] windows of matplotlib's bundled real EEG recording "
                    "(sample_data/eeg.dat, 4 channels x 800 samples over 10 s): each window stacks 4 consecutive "
                    "52-sample segments of the 4 electrodes; EEG, not EMG (no EMG ships offline)")
        if self.task == "darcyflow":
            return ("DarcyFlow-shaped [batch, 3, 85, 85]: permeability fields from smoothed, median-thresholded "
                    "(12 / 3) crops of scikit-image's bundled photographs, normalised, plus the x and y grid "
                    "channels as NB-360 feeds them")
        return self._vision().input_description

    def _vision(self) -> NetworkBuilder:
        # CIFAR-100 images are the NB201 builder's (same photographs and normalisation), with 100 labels
        return NB201Builder(num_classes=100)

    def build(self, arch: Mapping[str, Any] | str, *, seed: int | None = 0) -> NB360Network:
        """The task's network for ``arch`` at PyTorch's default init drawn from ``seed`` (``None``: the global
        generator), without touching the global random state."""
        in_channels, outputs, dense, reductions = self._spec()
        genotype = genotype_of(arch, self.cell)
        with seeded(seed):
            return NB360Network(genotype, in_channels, outputs, dense, reductions, self.channels, self.num_cells)

    def minibatch(self, batch_size: int, seed: int = 0) -> torch.Tensor:
        """A real input batch for the task (see :attr:`input_description`)."""
        self._spec()
        if self.task == "ninapro":
            return torch.from_numpy(eeg_windows(batch_size, seed))
        if self.task == "darcyflow":
            return torch.from_numpy(darcy_inputs(batch_size, seed))
        return self._vision().minibatch(batch_size, seed)
