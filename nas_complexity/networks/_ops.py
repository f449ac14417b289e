"""Operations shared by the vision networks, seeded initialisation, and the module pool behind cheap builds.

Building a network per architecture is dominated by Python module construction, not by arithmetic. Two things
keep it cheap:

* :class:`ModulePool` hands out modules by constructor signature (class + arguments) and reuses them across
  builds, so a new architecture only creates the containers that wire the pooled operations together;
* :func:`init_parameters` re-draws every parameter from a seeded ``torch.Generator`` in module order, so a network
  assembled from pooled modules is bit-identical to a freshly constructed one with the same seed.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

from nas_complexity.networks._registry import seeded

__all__ = [
    "ConvBN",
    "ConvBNAct",
    "DilConv",
    "FactorizedReduce",
    "MBConv",
    "ModulePool",
    "fresh_make",
    "Pooling",
    "ReLUConvBN",
    "ResNetBlock",
    "SepConv",
    "INIT_SCHEMES",
    "init_parameters",
    "make_generator",
    "add_all",
]

INIT_SCHEMES = ("default", "he_fout", "kaiming_fan_out")
"""``default``: PyTorch's own initialisation of each layer. ``he_fout`` (ProxylessNAS): convolutions from
normal(0, sqrt(2 / fan_out)), linear layers uniform(+-1/sqrt(fan_in)) with zero bias. ``kaiming_fan_out``
(TransNAS-Bench-101's ``kaiming_normal_(mode="fan_out")``): the same convolutions, linear layers as PyTorch."""


class ReLUConvBN(nn.Sequential):
    """ReLU -> conv (no bias) -> BN, the NAS-Bench-201 / DARTS / TransNAS-Bench-101 convolution."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, dilation: int = 1) -> None:
        padding = dilation * (kernel - 1) // 2
        super().__init__(
            nn.ReLU(),
            nn.Conv2d(c_in, c_out, kernel, stride, padding, dilation, bias=False),
            nn.BatchNorm2d(c_out),
        )


class ConvBN(nn.Sequential):
    """Conv (no bias) -> BN: NAS-Bench-201's stem, TransNAS-Bench-101's projection shortcut."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(c_out))


class ConvBNAct(nn.Sequential):
    """Conv (no bias) -> BN -> activation (``relu`` or ``relu6``): NAS-Bench-101's ops, MobileNet stems."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, act: str = "relu") -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
            _activation(act),
        )


def _activation(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "relu6":
        return nn.ReLU6()
    raise ValueError(f"activation must be 'relu' or 'relu6', got {name!r}")


class Pooling(nn.Module):
    """NAS-Bench-201's 3x3 average pooling edge (a 1x1 ReLU-conv-BN first when the width changes)."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.pre = ReLUConvBN(c_in, c_out, 1) if c_in != c_out else None
        self.pool = nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x if self.pre is None else self.pre(x))


class FactorizedReduce(nn.Module):
    """ReLU, two 1x1 convs on the input and on it shifted by one pixel, concatenated, BN.

    With ``stride=2`` this is DARTS' and NAS-Bench-201's reduction of a skip edge (for even sizes the padded form
    here equals DARTS' unpadded ``x[:, :, 1:, 1:]``); TransNAS-Bench-101 also uses it at stride 1 to widen a skip.
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 2) -> None:
        super().__init__()
        self.relu = nn.ReLU()
        self.convs = nn.ModuleList(nn.Conv2d(c_in, c, 1, stride, bias=False) for c in (c_out // 2, c_out - c_out // 2))
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = nn.functional.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.convs[0](x), self.convs[1](shifted)], dim=1))


class DilConv(nn.Sequential):
    """DARTS' dilated separable convolution: ReLU, depthwise k x k (dilated), pointwise 1x1, BN."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, dilation: int) -> None:
        padding = dilation * (kernel - 1) // 2
        super().__init__(
            nn.ReLU(),
            nn.Conv2d(c_in, c_in, kernel, stride, padding, dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out),
        )


class SepConv(nn.Sequential):
    """DARTS' separable convolution: two stacked (ReLU, depthwise, pointwise, BN); only the first is strided."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__(DilConv(c_in, c_in, kernel, stride, 1), DilConv(c_in, c_out, kernel, 1, 1))


class MBConv(nn.Module):
    """MobileNetV2 inverted residual: 1x1 expand-BN-act (skipped at expansion 1), k x k depthwise-BN-act,
    1x1 project-BN; the input is added when shapes allow (stride 1, same width)."""

    def __init__(self, c_in: int, c_out: int, expand: int, kernel: int, stride: int = 1, act: str = "relu6") -> None:
        super().__init__()
        hidden = c_in * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), _activation(act)]
        layers += [
            nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            _activation(act),
            nn.Conv2d(hidden, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out),
        ]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) + x if self.residual else self.conv(x)


class ResNetBlock(nn.Module):
    """ResNet basic block of two 3x3 ReLU-conv-BN (the first strided) plus a shortcut.

    ``shortcut="avgpool"``: NAS-Bench-201's reduction (2x2 average pool then a 1x1 conv); ``"conv_bn"``:
    TransNAS-Bench-101's (a strided 1x1 conv and BN). The shortcut is the identity when shapes agree.
    """

    def __init__(self, c_in: int, c_out: int, stride: int, shortcut: str = "conv_bn") -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        if stride == 1 and c_in == c_out:
            self.shortcut: nn.Module | None = None
        elif shortcut == "avgpool":
            self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))
        elif shortcut == "conv_bn":
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
        else:
            raise ValueError(f"shortcut must be 'avgpool' or 'conv_bn', got {shortcut!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.shortcut is None else self.shortcut(x)
        return residual + self.conv_b(self.conv_a(x))


def add_all(terms: list[torch.Tensor]) -> torch.Tensor:
    """Sum of a non-empty list of tensors (no ``0 +`` start, no stacking copy)."""
    out = terms[0]
    for term in terms[1:]:
        out = out + term
    return out


# ----------------------------------------------------------------------------------------- initialisation


def make_generator(seed: int | None) -> torch.Generator:
    """A CPU generator seeded with ``seed`` (``None``: a fresh non-deterministic seed)."""
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(int(seed) % (2**63))
    return generator


def _fans(weight: torch.Tensor) -> tuple[int, int]:
    receptive = weight[0][0].numel() if weight.dim() > 2 else 1
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def _uniform_(tensor: torch.Tensor, bound: float, generator: torch.Generator) -> None:
    # Drawn into a contiguous tensor: in-place sampling fills memory order, which differs for channels-last weights.
    tensor.copy_(torch.empty(tensor.shape, dtype=tensor.dtype).uniform_(-bound, bound, generator=generator))


def _normal_(tensor: torch.Tensor, std: float, generator: torch.Generator) -> None:
    tensor.copy_(torch.empty(tensor.shape, dtype=tensor.dtype).normal_(0.0, std, generator=generator))


@torch.no_grad()
def init_parameters(net: nn.Module, generator: torch.Generator, scheme: str = "default") -> None:
    """Re-draw every parameter of ``net`` from ``generator`` in module order and reset normalisation statistics.

    ``default`` reproduces PyTorch's own ``reset_parameters`` distributions (kaiming-uniform with a = sqrt(5) for
    weights, uniform(+-1/sqrt(fan_in)) for biases) for convolutions and linear layers; see :data:`INIT_SCHEMES`
    for the benchmarks' own schemes. Normalisation layers get weight 1, bias 0 and fresh running statistics.
    Other modules with parameters fall back to their own ``reset_parameters`` under a seed drawn from ``generator``.

    Example:
        >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Linear(4, 2))
        >>> init_parameters(net, make_generator(0))
        >>> a = net[0].weight.clone(); init_parameters(net, make_generator(0))
        >>> bool((a == net[0].weight).all())
        True
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"init scheme must be one of {INIT_SCHEMES}, got {scheme!r}")
    for module in net.modules():
        if isinstance(module, (nn.modules.conv._ConvNd, nn.Linear)):
            fan_in, fan_out = _fans(module.weight)
            is_conv = not isinstance(module, nn.Linear)
            if scheme != "default" and is_conv:
                _normal_(module.weight, math.sqrt(2.0 / fan_out), generator)
            else:
                # kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / 6), bound sqrt(3) * gain / sqrt(fan_in) = 1/sqrt(fan_in)
                _uniform_(module.weight, 1.0 / math.sqrt(fan_in) if fan_in else 0.0, generator)
            if module.bias is not None:
                if scheme == "he_fout":
                    module.bias.zero_()
                else:
                    _uniform_(module.bias, 1.0 / math.sqrt(fan_in) if fan_in else 0.0, generator)
        elif isinstance(module, (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)):
            if hasattr(module, "reset_running_stats") and getattr(module, "track_running_stats", False):
                module.reset_running_stats()
            if getattr(module, "weight", None) is not None:
                module.weight.fill_(1.0)
            if getattr(module, "bias", None) is not None:
                module.bias.zero_()
        elif any(True for _ in module.parameters(recurse=False)) and hasattr(module, "reset_parameters"):
            with seeded(int(torch.randint(2**62, (1,), generator=generator))):
                module.reset_parameters()
    for param in net.parameters():
        param.grad = None


# ------------------------------------------------------------------------------------------------ pooling


class ModulePool:
    """Modules keyed by constructor signature, reused across builds.

    ``make(cls, *args, **kwargs)`` returns ``cls(*args, **kwargs)``; inside a pooled build (:meth:`build`) the
    ``k``-th request of one signature returns the ``k``-th instance created for it so far, creating it only the
    first time. Arguments must be hashable. A network assembled this way shares its operations with the previous
    pooled network of the same builder: it is valid until the next pooled build (the scoring loop's pattern).

    Example:
        >>> pool = ModulePool()
        >>> with pool.build() as make:
        ...     a = make(nn.Conv2d, 3, 8, 3)
        >>> with pool.build() as make:
        ...     b = make(nn.Conv2d, 3, 8, 3)
        >>> a is b
        True
    """

    def __init__(self) -> None:
        self._modules: dict[tuple, list[nn.Module]] = {}
        self._taken: dict[tuple, int] = {}

    def _make(self, cls: Callable[..., nn.Module], *args: Any, **kwargs: Any) -> nn.Module:
        key = (cls, args, tuple(sorted(kwargs.items())))
        index = self._taken.get(key, 0)
        self._taken[key] = index + 1
        instances = self._modules.setdefault(key, [])
        if index == len(instances):
            instances.append(cls(*args, **kwargs))
        return instances[index]

    def build(self) -> "_PooledBuild":
        """Context manager yielding ``make`` for one network."""
        return _PooledBuild(self)

    def __len__(self) -> int:
        return sum(len(v) for v in self._modules.values())


class _PooledBuild:
    def __init__(self, pool: ModulePool) -> None:
        self.pool = pool

    def __enter__(self) -> Callable[..., nn.Module]:
        self.pool._taken.clear()
        return self.pool._make

    def __exit__(self, *exc: Any) -> None:
        self.pool._taken.clear()


def fresh_make(cls: Callable[..., nn.Module], *args: Any, **kwargs: Any) -> nn.Module:
    """``make`` of an unpooled build: always a new module."""
    return cls(*args, **kwargs)
