"""TransNAS-Bench-101 macro networks (Duan et al. 2021) and the encoder skeleton shared with its micro space.

TransNAS-Bench-101's ``MacroNet`` (net code ``64-<codes>-basic``): a stem of a stride-2 3x3 conv + BN (32
channels) and a stride-2 ReLU-conv-BN to 64 channels, then one module per code, each two ResNet basic blocks
(ReLU-conv-BN 3x3 twice; shortcut a strided 1x1 conv + BN when the shape changes). Code 1 keeps the shape, 2
doubles the width, 3 halves the resolution, 4 does both, applied in the module's first block. Convolutions are
initialised with ``kaiming_normal_(mode="fan_out")`` as in its code. The benchmark trains the encoder on 256x256
Taskonomy images with a task-specific head; for proxy scoring we add global pooling and a linear classifier (75
classes) and feed 64x64 images by default (``resolution``), enough for the deepest code (four halvings after the
stride-4 stem leave 1x1).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import torch
from torch import nn

from nas_complexity._errors import SpaceError
from nas_complexity.networks._ops import ConvBN, ReLUConvBN, ResNetBlock
from nas_complexity.networks._vision import Make, VisionBuilder

__all__ = ["TNBMacroBuilder", "TNBNetwork", "macro_codes", "TNB_DEPTHS", "TNB_CODES"]

TNB_DEPTHS = (4, 5, 6)
TNB_CODES = (1, 2, 3, 4)

Block = Callable[[int, int, int, Make], nn.Module]
"""``block(c_in, c_out, stride, make)``: one residual block (macro space) or cell (micro space)."""


def macro_codes(arch: Mapping[str, Any] | str | Sequence[int]) -> tuple[int, ...]:
    """Module codes of a ``tnb101-macro`` architecture (``depth`` + ``layer0..``), a code string like ``"41414"``
    (or ``"64-41414-basic"``) or a sequence of ints.

    Example:
        >>> macro_codes({"depth": 4, "layer0": 1, "layer1": 3, "layer2": 2, "layer3": 4})
        (1, 3, 2, 4)
    """
    if isinstance(arch, str):
        part = arch.split("-")[1] if "-" in arch else arch
        codes = tuple(int(c) for c in part if c.isdigit())
    elif isinstance(arch, Mapping):
        depth = arch.get("depth")
        if depth not in TNB_DEPTHS:
            raise SpaceError("depth", f"invalid depth {depth!r}", ", ".join(map(str, TNB_DEPTHS)))
        missing = [f"layer{k}" for k in range(depth) if f"layer{k}" not in arch]
        if missing:
            raise SpaceError(missing[0], f"missing for depth {depth}", f"layer0..layer{depth - 1}")
        codes = tuple(int(arch[f"layer{k}"]) for k in range(depth))
    else:
        codes = tuple(int(c) for c in arch)
    bad = [c for c in codes if c not in TNB_CODES]
    if bad or not codes:
        raise SpaceError("layer", f"invalid module codes {codes!r}", "a non-empty sequence of 1 (plain), 2 (widen), "
                         "3 (downsample), 4 (both)")
    return codes


class TNBNetwork(nn.Module):
    """TransNAS-Bench-101's encoder (stem, two ``block`` per module code) with a global-pool linear head."""

    def __init__(self, codes: Sequence[int], block: Block, base_channels: int, num_classes: int, in_channels: int,
                 make: Make) -> None:
        super().__init__()
        self.stem = nn.Sequential(make(ConvBN, in_channels, base_channels // 2, 3, 2),
                                  make(ReLUConvBN, base_channels // 2, base_channels, 3, 2))
        layers: list[nn.Module] = []
        c = base_channels
        for code in codes:
            c_out = 2 * c if code % 2 == 0 else c
            layers += [block(c, c_out, 2 if code > 2 else 1, make), block(c_out, c_out, 1, make)]
            c = c_out
        self.layers = nn.Sequential(*layers)
        self.head = make(nn.Linear, c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(self.stem(x)).mean(dim=(2, 3)))


def _basic_block(c_in: int, c_out: int, stride: int, make: Make) -> nn.Module:
    return make(ResNetBlock, c_in, c_out, stride, "conv_bn")


class TNBMacroBuilder(VisionBuilder):
    """TransNAS-Bench-101 macro networks (see the module docstring); ``base_channels`` 64 as published.

    Example:
        >>> builder = TNBMacroBuilder(base_channels=8, resolution=32)
        >>> net = builder.build({"depth": 4, "layer0": 3, "layer1": 1, "layer2": 4, "layer3": 1})
        >>> net(builder.minibatch(2)).shape
        torch.Size([2, 75])
    """

    init_scheme = "kaiming_fan_out"

    def __init__(self, num_classes: int = 75, base_channels: int = 64, resolution: int = 64, in_channels: int = 3,
                 image_source: str = "photos", data: Any = None, channels_last: bool = True) -> None:
        super().__init__(num_classes, resolution, in_channels, image_source, data, channels_last)
        self.base_channels = base_channels

    def spec(self, arch: Any) -> tuple[int, ...]:
        return macro_codes(arch)

    def _assemble(self, spec: tuple[int, ...], make: Make) -> nn.Module:
        return TNBNetwork(spec, _basic_block, self.base_channels, self.num_classes, self.in_channels, make)
