"""NAS-Bench-101 networks (Ying et al. 2019), as its ``model_builder.py`` builds them.

A 3x3 conv-BN-ReLU stem (128 channels), three stacks of three cells with a 2x2 max-pool halving the resolution and
the width doubling at each new stack, global average pooling and a linear classifier (10 classes). A cell is the
pruned DAG of up to 7 vertices: each inner vertex sums its inputs (inner predecessors truncated to its width, the
cell input through a 1x1 conv-BN-ReLU projection) and applies its operation (3x3 or 1x1 conv-BN-ReLU, or 3x3 max
pooling); the cell output concatenates the vertices feeding it and adds the projected input when the input feeds
it directly. Vertex widths follow NAS-Bench-101's ``compute_vertex_channels``.

The published network has 128 stem channels (``init_channels``); it is large for CPU scoring, so tests use 16.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn

from nas_complexity._errors import SpaceError
from nas_complexity.networks._ops import ConvBNAct, add_all
from nas_complexity.networks._vision import Make, VisionBuilder
from nas_complexity.spaces._builtin import NB101_OPS
from nas_complexity.spaces._cells import NodeCell

__all__ = ["NB101_OPS", "NB101Builder", "NB101Cell", "NB101Network", "vertex_channels", "nb101_spec"]

Spec = tuple[tuple[tuple[int, ...], ...], tuple[str, ...]]
"""(pruned adjacency matrix, vertex labels ``["input", ops..., "output"]``)."""


def nb101_spec(arch: Mapping[str, Any] | Sequence[Any], cell: str = "cell") -> Spec:
    """The pruned cell of a flat ``nb101`` architecture (``cell/edge/i_j``, ``cell/op/k``) or of a
    ``(matrix, ops)`` pair as in the NAS-Bench-101 API (ops including ``input`` and ``output``).

    Example:
        >>> matrix, ops = nb101_spec(([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "maxpool3x3", "output"]))
        >>> ops
        ('input', 'maxpool3x3', 'output')
    """
    if isinstance(arch, Mapping):
        node_cell = NodeCell(cell, 7, NB101_OPS, max_edges=9)
        missing = [name for name in node_cell.param_names() if name not in arch]
        if missing:
            raise SpaceError(missing[0], "missing", "the 21 edges cell/edge/i_j in {0, 1} and 5 ops cell/op/k")
        pruned = node_cell.pruned(dict(arch))
        if pruned is None:
            raise SpaceError(cell, "no path from the cell input to its output", "a cell with an input-output path")
        matrix, labels = pruned
    else:
        matrix, labels = arch
        matrix = [list(map(int, row)) for row in matrix]
        labels = list(labels)
    n = len(labels)
    if len(matrix) != n or any(len(row) != n for row in matrix) or n < 2:
        raise SpaceError(cell, f"the matrix is not {n} x {n} for {n} vertex labels", "a square upper-triangular matrix")
    for k, label in enumerate(labels[1:-1], start=1):
        if label not in NB101_OPS:
            raise SpaceError(f"{cell}/op/{k}", f"unknown operation {label!r}", ", ".join(NB101_OPS))
    if any(matrix[i][j] for i in range(n) for j in range(i + 1)):
        raise SpaceError(cell, "the matrix has entries on or below the diagonal", "an upper-triangular DAG")
    return tuple(tuple(row) for row in matrix), tuple(labels)


def vertex_channels(c_in: int, c_out: int, matrix: Sequence[Sequence[int]]) -> list[int]:
    """Channels of each vertex (NAS-Bench-101's ``compute_vertex_channels``): the output's width is split evenly
    over the vertices feeding it (the remainder to the first ones); other vertices take the largest width of
    their successors.

    Example:
        >>> vertex_channels(64, 128, [[0, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]])
        [64, 64, 64, 128]
    """
    n = len(matrix)
    channels = [0] * n
    channels[0], channels[-1] = c_in, c_out
    if n == 2:
        return channels
    in_degree = sum(matrix[v][n - 1] for v in range(1, n))
    per_vertex, correction = divmod(c_out, in_degree)
    for v in range(1, n - 1):
        if matrix[v][n - 1]:
            channels[v] = per_vertex + (1 if correction > 0 else 0)
            correction -= 1 if correction > 0 else 0
    for v in range(n - 3, 0, -1):
        if not matrix[v][n - 1]:
            for dst in range(v + 1, n - 1):
                if matrix[v][dst]:
                    channels[v] = max(channels[v], channels[dst])
    return channels


def _vertex_op(label: str, channels: int, make: Make) -> nn.Module:
    if label == "conv3x3-bn-relu":
        return make(ConvBNAct, channels, channels, 3)
    if label == "conv1x1-bn-relu":
        return make(ConvBNAct, channels, channels, 1)
    return nn.MaxPool2d(3, stride=1, padding=1)


class NB101Cell(nn.Module):
    """One NAS-Bench-101 cell (module); see the module docstring."""

    def __init__(self, spec: Spec, c_in: int, c_out: int, make: Make) -> None:
        super().__init__()
        matrix, labels = spec
        n = len(labels)
        self.matrix = matrix
        self.channels = vertex_channels(c_in, c_out, matrix)
        self.projections = nn.ModuleDict()
        self.ops = nn.ModuleDict()
        for t in range(1, n - 1):
            if matrix[0][t]:
                self.projections[str(t)] = make(ConvBNAct, c_in, self.channels[t], 1)
            self.ops[str(t)] = _vertex_op(labels[t], self.channels[t], make)
        if matrix[0][n - 1]:
            self.projections[str(n - 1)] = make(ConvBNAct, c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        matrix, n = self.matrix, len(self.matrix)
        values: list[torch.Tensor] = [x]
        for t in range(1, n - 1):
            terms = [values[src][:, : self.channels[t]] for src in range(1, t) if matrix[src][t]]
            if matrix[0][t]:
                terms.append(self.projections[str(t)](x))
            values.append(self.ops[str(t)](add_all(terms)))
        outputs = [values[t] for t in range(1, n - 1) if matrix[t][n - 1]]
        if not outputs:
            return self.projections[str(n - 1)](x)
        out = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=1)
        if matrix[0][n - 1]:
            out = out + self.projections[str(n - 1)](x)
        return out


class NB101Network(nn.Module):
    """NAS-Bench-101's network: stem, 3 stacks x 3 cells with max-pool downsampling, pooling, classifier."""

    def __init__(self, spec: Spec, channels: int, num_stacks: int, cells_per_stack: int, num_classes: int,
                 in_channels: int, make: Make) -> None:
        super().__init__()
        self.stem = make(ConvBNAct, in_channels, channels, 3)
        layers: list[nn.Module] = []
        c_in = channels
        for stack in range(num_stacks):
            if stack:
                layers.append(nn.MaxPool2d(2, 2))
                channels *= 2
            for _ in range(cells_per_stack):
                layers.append(NB101Cell(spec, c_in, channels, make))
                c_in = channels
        self.layers = nn.Sequential(*layers)
        self.classifier = make(nn.Linear, channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.layers(self.stem(x)).mean(dim=(2, 3)))


class NB101Builder(VisionBuilder):
    """NAS-Bench-101 networks; ``init_channels`` 128, 3 stacks of 3 cells as published (smaller for tests).

    Example:
        >>> builder = NB101Builder(init_channels=8)
        >>> spec = ([[0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]],
        ...         ["input", "conv3x3-bn-relu", "maxpool3x3", "output"])
        >>> builder.build(spec)(builder.minibatch(2)).shape
        torch.Size([2, 10])
    """

    reference_batch = 32  # NAS-Bench-101's stored jacov has median -32.2: computed at N = 32
    peak_memory_gb = 1.4  # 1.3 GB measured at N = 32 (see NetworkBuilder.peak_memory_gb)

    def __init__(self, num_classes: int = 10, init_channels: int = 128, num_stacks: int = 3, cells_per_stack: int = 3,
                 resolution: int = 32, in_channels: int = 3, image_source: str = "photos", data: Any = None,
                 channels_last: bool = True, cell: str = "cell") -> None:
        super().__init__(num_classes, resolution, in_channels, image_source, data, channels_last)
        self.init_channels = init_channels
        self.num_stacks = num_stacks
        self.cells_per_stack = cells_per_stack
        self.cell = cell

    def spec(self, arch: Any) -> Spec:
        return nb101_spec(arch, self.cell)

    def _assemble(self, spec: Spec, make: Make) -> nn.Module:
        return NB101Network(spec, self.init_channels, self.num_stacks, self.cells_per_stack, self.num_classes,
                            self.in_channels, make)
