"""MBConv networks: the ProxylessNAS mobile space (Cai et al. 2019) and NAS-Bench-Macro (Su et al. 2021).

ProxylessNAS (its released ``ProxylessNASNets``, width 1.0): a stride-2 3x3 conv-BN-ReLU6 stem (32 channels), a
fixed MBConv (expansion 1, 3x3) to 16 channels, then 21 searchable layers in 6 stages of widths 24, 40, 80, 96,
192, 320 with 4, 4, 4, 4, 4, 1 layers and first-layer strides 2, 2, 2, 1, 2, 1. A layer is an MBConv with
expansion 3 or 6 and kernel 3, 5 or 7 (ReLU6), with an identity shortcut on all but a stage's first layer;
``zero`` skips the layer (only the shortcut remains). A 1x1 conv-BN-ReLU6 to 1280 channels, global pooling and a
linear classifier (1000 classes) close it; the classifier's dropout (training only) is left out. Convolutions use
ProxylessNAS' ``he_fout`` initialisation. ImageNet's 224x224 inputs are slow for proxies on CPU, so the default
``resolution`` is 64 (the stride-32 network then ends at 2x2).

NAS-Bench-Macro (its ``Network``): a 3x3 conv-BN-ReLU stem (32 channels), 8 searchable layers in stages of 2, 3
and 3 whose first layer halves the resolution and doubles the width (64, 128, 256), a 1x1 conv-BN-ReLU to 1280
channels, global pooling and a linear classifier (10 classes), on 32x32 CIFAR-10 inputs. A layer is ``identity``
(a strided 1x1 conv + BN where the shape changes), ``mbconv_e3_k3`` or ``mbconv_e6_k5`` (ReLU MBConv, residual
where the shape allows).
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import torch
from torch import nn

from nas_complexity._errors import SpaceError
from nas_complexity.networks._ops import ConvBN, ConvBNAct, MBConv
from nas_complexity.networks._vision import Make, VisionBuilder
from nas_complexity.spaces._builtin import MACRO_OPS

__all__ = ["ProxylessBuilder", "MacroBuilder", "MBConvNetwork", "PROXYLESS_STAGES", "MACRO_STAGES", "parse_mbconv"]

_MBCONV = re.compile(r"mbconv_e(\d+)_k(\d+)")
PROXYLESS_STAGES = ((24, 4, 2), (40, 4, 2), (80, 4, 2), (96, 4, 1), (192, 4, 2), (320, 1, 1))
"""(width, layers, stride of the first layer) per ProxylessNAS stage."""
MACRO_STAGES = ((64, 2, 2), (128, 3, 2), (256, 3, 2))
"""(width, layers, stride of the first layer) per NAS-Bench-Macro stage."""

Layer = tuple[int, int, int, int]
"""(output width, stride, expansion, kernel) of a layer; expansion 0 = identity / skipped layer."""


def parse_mbconv(value: str, path: str) -> tuple[int, int]:
    """``"mbconv_e6_k5"`` -> ``(6, 5)``.

    Example:
        >>> parse_mbconv("mbconv_e3_k7", "stage1/layer0")
        (3, 7)
    """
    match = _MBCONV.fullmatch(str(value))
    if not match:
        raise SpaceError(path, f"unknown layer choice {value!r}", "mbconv_e{expansion}_k{kernel}, e.g. mbconv_e6_k5")
    return int(match.group(1)), int(match.group(2))


class MBConvNetwork(nn.Module):
    """Stem, a stack of MBConv / identity layers, a 1x1 conv to ``head_channels``, pooling, classifier."""

    def __init__(self, stem: Sequence[nn.Module], c_stem: int, layers: Sequence[Layer],
                 head_channels: int, act: str, num_classes: int, make: Make, project_identity: bool) -> None:
        super().__init__()
        self.stem = nn.Sequential(*stem)
        blocks: list[nn.Module] = []
        c = c_stem
        for c_out, stride, expand, kernel in layers:
            if expand:
                blocks.append(make(MBConv, c, c_out, expand, kernel, stride, act))
            elif stride != 1 or c != c_out:
                if not project_identity:
                    raise SpaceError("layer", "a skipped layer cannot change the shape", "zero on non-first layers")
                blocks.append(make(ConvBN, c, c_out, 1, stride))
            c = c_out
        self.blocks = nn.Sequential(*blocks)
        self.head = make(ConvBNAct, c, head_channels, 1, 1, act)
        self.classifier = make(nn.Linear, head_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.head(self.blocks(self.stem(x))).mean(dim=(2, 3)))


def _layout(stages: Sequence[tuple[int, int, int]]) -> list[tuple[str, int, int]]:
    return [(f"stage{s}/layer{l}", width, stride if l == 0 else 1)
            for s, (width, n, stride) in enumerate(stages, start=1) for l in range(n)]


class ProxylessBuilder(VisionBuilder):
    """ProxylessNAS mobile networks (see the module docstring). Params ``stage{s}/layer{l}``.

    Example:
        >>> builder = ProxylessBuilder(resolution=32, num_classes=10)
        >>> arch = {f"stage{s}/layer{l}": "mbconv_e3_k3" for s, n in zip(range(1, 7), (4, 4, 4, 4, 4, 1))
        ...         for l in range(n)}
        >>> builder.build(arch)(builder.minibatch(2)).shape
        torch.Size([2, 10])
    """

    init_scheme = "he_fout"

    def __init__(self, num_classes: int = 1000, resolution: int = 64, in_channels: int = 3,
                 image_source: str = "photos", data: Any = None, channels_last: bool = True) -> None:
        super().__init__(num_classes, resolution, in_channels, image_source, data, channels_last)

    def spec(self, arch: Mapping[str, Any]) -> tuple[Layer, ...]:
        layers = []
        for path, width, stride in _layout(PROXYLESS_STAGES):
            if path not in arch:
                raise SpaceError(path, "missing", "stage{s}/layer{l} for the 4,4,4,4,4,1 layers of stages 1-6")
            if arch[path] == "zero":
                if path.endswith("layer0"):
                    raise SpaceError(path, "the first layer of a stage cannot be zero", "mbconv_e{3,6}_k{3,5,7}")
                layers.append((width, stride, 0, 0))
            else:
                layers.append((width, stride, *parse_mbconv(arch[path], path)))
        return tuple(layers)

    def _assemble(self, spec: tuple[Layer, ...], make: Make) -> nn.Module:
        stem = [make(ConvBNAct, self.in_channels, 32, 3, 2, "relu6"), make(MBConv, 32, 16, 1, 3, 1, "relu6")]
        return MBConvNetwork(stem, 16, spec, 1280, "relu6", self.num_classes, make, project_identity=False)


class MacroBuilder(VisionBuilder):
    """NAS-Bench-Macro networks (see the module docstring). Params ``layer0..layer7`` in ``identity``,
    ``mbconv_e3_k3``, ``mbconv_e6_k5`` (the benchmark's digits 0, 1, 2), or its 8-digit key like ``"02012100"``.

    Example:
        >>> builder = MacroBuilder()
        >>> builder.build("11111111")(builder.minibatch(2)).shape
        torch.Size([2, 10])
    """

    digits = MACRO_OPS

    def __init__(self, num_classes: int = 10, resolution: int = 32, in_channels: int = 3,
                 image_source: str = "photos", data: Any = None, channels_last: bool = True) -> None:
        super().__init__(num_classes, resolution, in_channels, image_source, data, channels_last)

    def spec(self, arch: Mapping[str, Any] | str) -> tuple[Layer, ...]:
        if isinstance(arch, str):
            if len(arch) != 8 or any(ch not in "012" for ch in arch):
                raise SpaceError("arch", f"invalid NAS-Bench-Macro key {arch!r}", "8 digits in 0, 1, 2")
            arch = {f"layer{i}": self.digits[int(ch)] for i, ch in enumerate(arch)}
        layers = []
        for i, (path, width, stride) in enumerate(_layout(MACRO_STAGES)):
            path = f"layer{i}"
            value = arch.get(path)
            if value not in self.digits:
                raise SpaceError(path, f"invalid or missing choice {value!r}", ", ".join(self.digits))
            layers.append((width, stride, 0, 0) if value == "identity" else (width, stride, *parse_mbconv(value, path)))
        return tuple(layers)

    def _assemble(self, spec: tuple[Layer, ...], make: Make) -> nn.Module:
        stem = [make(ConvBNAct, self.in_channels, 32, 3, 1, "relu")]
        return MBConvNetwork(stem, 32, spec, 1280, "relu", self.num_classes, make, project_identity=True)
