"""NAS-Bench-ASR networks (Mehrotra et al. 2021), as in its PyTorch model (``nasbench_asr/model/torch``).

An architecture is a cell of 3 nodes, written as NB-ASR's arch vector ``[[op, s0], [op, s0, s1], [op, s0, s1,
s2]]``: node ``j`` applies its main operation to node ``j-1`` (node 0 is the cell input) and adds an identity skip
from every earlier node ``i`` whose flag ``s_i`` is 1. Main operations: ``linear`` (a per-frame fully connected
layer), ``conv5`` / ``conv5d2`` / ``conv7`` / ``conv7d2`` (1-D convolutions over time, kernel 5 or 7, dilation 1
or 2, 100 groups, causal-leaning padding with 4 frames of look-ahead), each followed by ReLU clipped at 20, or
``zero``. The cell's output is layer-normalised over channels.

The model: 4 blocks, each a time-reduction convolution (kernel 8, strides 1, 1, 2, 2; ReLU clipped at 20) with
layer norm, then 3, 4, 5, 6 copies of the cell; then optionally an LSTM; then a linear CTC head over 48 phones + 1
blank. NB-ASR's widths are 600, 800, 1000, 1200 channels with 100 groups and an LSTM of 500. The defaults here
are 96, 128, 160, 192 channels with 16 groups (the same 6, 8, 10, 12 channels per group) and an LSTM of 80, so a
network runs in well under a second on a CPU; pass the original sizes to get the benchmark's exact network.
Input: ``[batch, 80, frames]`` log-mel filterbank features; output ``[batch, frames', 49]``.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
from torch import nn

from nas_complexity._errors import SpaceError
from nas_complexity.networks._registry import NetworkBuilder, seeded
from nas_complexity.networks._signals import SpeechFeatures
from nas_complexity.spaces._nbasr import ASR_OPS, arch_vec_of

__all__ = ["ASRBuilder", "ASRNetwork", "ASR_OPS", "arch_vec"]

_CONV = {"conv5": (5, 1), "conv5d2": (5, 2), "conv7": (7, 1), "conv7d2": (7, 2)}
_N_NODES = 3


def arch_vec(arch: Any) -> list[list[Any]]:
    """Validate an NB-ASR arch vector (op names or ids) and return it with op names.

    A flat architecture of the built-in ``nbasr`` space is converted with
    ``nas_complexity.spaces._nbasr.arch_vec_of``.

    Example:
        >>> arch_vec([[1, 0], [4, 0, 1], [5, 1, 0, 1]])
        [['conv5', 0], ['conv7d2', 0, 1], ['zero', 1, 0, 1]]
    """
    if isinstance(arch, Mapping):
        arch = arch_vec_of(dict(arch))
    accepted = "[[op, s0], [op, s0, s1], [op, s0, s1, s2]] with op in " + ", ".join(ASR_OPS) + " or its index"
    if not isinstance(arch, Sequence) or len(arch) != _N_NODES:
        raise SpaceError("arch", f"expected {_N_NODES} node lists, got {arch!r}", accepted)
    out = []
    for j, node in enumerate(arch):
        path = f"arch/node{j + 1}"
        if not isinstance(node, Sequence) or len(node) != j + 2:
            raise SpaceError(path, f"expected an op and {j + 1} skip flags, got {node!r}", accepted)
        op, *skips = node
        if isinstance(op, int) and not isinstance(op, bool) and 0 <= op < len(ASR_OPS):
            op = ASR_OPS[op]
        if op not in ASR_OPS:
            raise SpaceError(path, f"unknown operation {op!r}", accepted)
        if any(s not in (0, 1) or isinstance(s, float) for s in skips):
            raise SpaceError(path, f"skip flags must be 0 or 1, got {skips}", accepted)
        out.append([op, *(int(s) for s in skips)])
    return out


class _ClippedReLU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x).clamp(max=20.0)  # NB-ASR clips activations at 20


class PadConvRelu(nn.Module):
    """NB-ASR's ``PadConvRelu``: pad (4 frames of right context at most), 1-D conv, ReLU clipped at 20."""

    def __init__(self, c_in: int, c_out: int, kernel: int, dilation: int = 1, stride: int = 1, groups: int = 1,
                 context: int = 4) -> None:
        super().__init__()
        if context // stride >= kernel * dilation - stride:
            right, left = kernel * dilation - stride, 0
        else:
            right = context // stride
            left = (kernel - 1) * dilation - right
        self.pad = nn.ConstantPad1d((left, right), 0.0)
        self.conv = nn.Conv1d(c_in, c_out, kernel, stride=stride, dilation=dilation, groups=groups)
        self.act = _ClippedReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(self.pad(x)))


class _FrameLinear(nn.Module):
    """NB-ASR's ``linear`` op: the same fully connected layer on every frame, ReLU clipped at 20."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.linear = nn.Linear(channels, channels)
        self.act = _ClippedReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.linear(x.transpose(1, 2))).transpose(1, 2)


class _Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # NB-ASR returns zeros_like(x); x * 0 has the same values but keeps x in the autograd graph, so a cell cut
        # off by zeros gives a zero input gradient (a failed proxy, as NB201's `none`) instead of no gradient.
        return x * 0.0


class _ChannelNorm(nn.LayerNorm):
    """Layer norm over the channels of a ``[batch, channels, frames]`` tensor (eps 1e-3 as NB-ASR)."""

    def __init__(self, channels: int) -> None:
        super().__init__(channels, eps=1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


def _main_op(op: str, channels: int, groups: int) -> nn.Module:
    if op == "linear":
        return _FrameLinear(channels)
    if op == "zero":
        return _Zero()
    kernel, dilation = _CONV[op]
    return PadConvRelu(channels, channels, kernel, dilation=dilation, groups=groups)


class SearchCell(nn.Module):
    """One NB-ASR cell: 3 nodes, node j = main_op(node j-1) + the identity skips selected by its flags."""

    def __init__(self, vec: list[list[Any]], channels: int, groups: int, use_norm: bool = True) -> None:
        super().__init__()
        self.ops = nn.ModuleList(_main_op(node[0], channels, groups) for node in vec)
        self.skips = [tuple(i for i, flag in enumerate(node[1:]) if flag) for node in vec]
        self.norm = _ChannelNorm(channels) if use_norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [x]
        for op, skips in zip(self.ops, self.skips):
            node = op(outputs[-1])
            for i in skips:
                node = node + outputs[i]
            outputs.append(node)
        return self.norm(outputs[-1])


class ASRNetwork(nn.Module):
    """NB-ASR's ``ASRModel``: reduction convs + cells per block, optional LSTM, linear CTC head."""

    def __init__(self, vec: list[list[Any]], filters: Sequence[int], groups: int, cells_per_block: Sequence[int],
                 strides: Sequence[int], use_rnn: bool, rnn_hidden: int, num_classes: int, features: int = 80,
                 use_norm: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = features
        for width, n_cells, stride in zip(filters, cells_per_block, strides):
            layers.append(PadConvRelu(c_in, width, kernel=8, stride=stride))
            layers.append(_ChannelNorm(width))
            layers.extend(SearchCell(vec, width, groups, use_norm) for _ in range(n_cells))
            c_in = width
        self.body = nn.Sequential(*layers)
        self.rnn = nn.LSTM(c_in, rnn_hidden, batch_first=True) if use_rnn else None
        self.head = nn.Linear(rnn_hidden if use_rnn else c_in, num_classes + 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        hidden = self.body(features).transpose(1, 2)
        if self.rnn is not None:
            hidden = self.rnn(hidden)[0]
        return self.head(hidden)


class ASRBuilder(NetworkBuilder):
    """Networks of the NAS-Bench-ASR space and log-mel minibatches of (the most real available) speech.

    ``build(arch)`` takes an NB-ASR arch vector (op names or ids) or a flat ``nbasr`` architecture.
    ``speech_source`` / ``audio_files`` choose the audio (see :class:`~nas_complexity.networks._signals.SpeechFeatures`);
    ``frames`` is the number of 10 ms frames per example (NB-ASR's TIMIT utterances average about 3 s).

    Example:
        >>> builder = ASRBuilder(filters=(32, 32, 32, 32), groups=4, cells_per_block=(1, 1, 1, 1), rnn_hidden=16)
        >>> net = builder.build([["conv5", 1], ["linear", 0, 1], ["conv7d2", 1, 0, 0]])
        >>> net(torch.randn(2, 80, 40)).shape
        torch.Size([2, 10, 49])
    """

    def __init__(self, filters: Sequence[int] = (96, 128, 160, 192), groups: int = 16,
                 cells_per_block: Sequence[int] = (3, 4, 5, 6), strides: Sequence[int] = (1, 1, 2, 2),
                 use_rnn: bool = True, rnn_hidden: int = 80,
                 num_classes: int = 48, use_norm: bool = True, frames: int = 150, speech_source: str = "auto",
                 audio_files: Sequence[str | Path] | None = None) -> None:
        self.filters = tuple(filters)
        self.groups = groups
        self.cells_per_block = tuple(cells_per_block)
        self.strides = tuple(strides)
        self.use_rnn = use_rnn
        self.rnn_hidden = rnn_hidden
        self.num_classes = num_classes
        self.use_norm = use_norm
        self.frames = frames
        self.speech_source = speech_source
        self.audio_files = audio_files

    @cached_property
    def speech(self) -> SpeechFeatures:
        return SpeechFeatures(self.speech_source, self.audio_files)

    @property
    def input_description(self) -> str:  # type: ignore[override]
        frames = min(self.frames, self.speech.max_frames)
        return f"windows of {frames} frames of {self.speech.description}; shape [batch, 80, {frames}]"

    def _check_sizes(self) -> None:
        if not self.filters or not len(self.filters) == len(self.cells_per_block) == len(self.strides):
            raise SpaceError("filters", f"{len(self.filters)} widths, {len(self.cells_per_block)} cell counts and "
                             f"{len(self.strides)} strides", "one of each per block (NB-ASR: 4 blocks)")
        bad = [w for w in self.filters if w % self.groups]
        if bad:
            raise SpaceError("filters", f"widths {bad} are not divisible by groups={self.groups}",
                             "widths that are multiples of groups")

    def build(self, arch: Any, *, seed: int | None = 0) -> ASRNetwork:
        """The network for ``arch`` at PyTorch's default initialisation, drawn from ``seed`` (``None``: the global
        generator) without touching the global random state."""
        vec = arch_vec(arch)
        self._check_sizes()
        with seeded(seed):
            return ASRNetwork(vec, self.filters, self.groups, self.cells_per_block, self.strides, self.use_rnn,
                              self.rnn_hidden, self.num_classes, use_norm=self.use_norm)

    def minibatch(self, batch_size: int, seed: int = 0) -> torch.Tensor:
        """Log-mel windows ``[batch, 80, frames]`` at seeded positions in the speech pool."""
        return torch.from_numpy(self.speech.windows(batch_size, self.frames, seed))
