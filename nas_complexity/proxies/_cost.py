"""Cost proxies: ``params`` (number of parameters) and ``flops`` (multiply-accumulates per input sample).

``flops`` counts the multiply-accumulates of every convolution and linear layer that runs in one forward pass of
one sample (forward hooks, eval mode so a single sample needs no batch statistics): a convolution costs
``output elements x in_channels / groups x kernel area``, a linear layer ``output elements x in_features``.
Normalisation, activations, pooling and additions are not counted, and neither are operations whose result cannot
reach the output (our builders skip them).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from nas_complexity.proxies._base import Proxy, training_mode

__all__ = ["Params", "Flops", "count_macs"]


def count_macs(net: nn.Module, sample: torch.Tensor) -> int:
    """Multiply-accumulates of convolutions and linear layers for ``sample`` (a batch of one or more inputs),
    per input sample.

    Example:
        >>> count_macs(nn.Conv2d(3, 8, 3, padding=1), torch.zeros(1, 3, 4, 4))  # 8*4*4 outputs x 3*3*3
        3456
    """
    total = 0
    batch = len(sample)

    def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        nonlocal total
        per_output = module.in_features if isinstance(module, nn.Linear) else (
            module.in_channels // module.groups * math.prod(module.kernel_size))
        total += output.numel() // batch * per_output

    handles = [m.register_forward_hook(hook) for m in net.modules()
               if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear))]
    try:
        with training_mode(net, False), torch.no_grad():
            net(sample)
    finally:
        for handle in handles:
            handle.remove()
    return total


class Params(Proxy):
    """``params``: the number of parameters (all of them, as the benchmarks count).

    Example:
        >>> Params().score(nn.Linear(3, 2), torch.zeros(1, 3))
        8.0
    """

    name = "params"
    needs_inputs = False

    def _compute(self, net, inputs, targets, chunks):
        return float(sum(p.numel() for p in net.parameters()))


class Flops(Proxy):
    """``flops``: multiply-accumulates per sample of convolutions and linear layers (see the module docstring).

    Example:
        >>> Flops().score(nn.Linear(3, 2), torch.zeros(5, 3))
        6.0
    """

    name = "flops"

    def _compute(self, net, inputs, targets, chunks):
        return float(count_macs(net, inputs[:1]))
