"""Gradient-based proxies as in Abdelfattah et al. 2021 ("Zero-cost proxies for lightweight NAS"):

* ``grad_norm``: sum over convolution and linear layers of the L2 norm of the loss gradient of the weight.
* ``snip`` (Lee et al. 2019): sum over those layers of |w * dL/dw| (the saliency of a weight mask at 1).
* ``synflow`` (Tanaka et al. 2020): in float64, every parameter and buffer replaced by its absolute value and
  batch normalisation bypassed, one all-ones input sample; R = sum of the outputs; score = sum of |w * dR/dw|.
  It needs no data and no labels.

The loss is cross-entropy against ``targets`` (the minibatch labels). Without labels the network's own
predictions at initialisation (argmax over dimension 1) are the labels, and single-output networks use half the
mean squared output; float targets use the mean squared error.
"""
from __future__ import annotations

import abc

import torch
from torch import nn
from torch.nn import functional as F

from nas_complexity.proxies._base import Proxy, ProxyFailure, split, training_mode, weighted_layers

__all__ = ["GradNorm", "Snip", "Synflow", "loss_of"]


def loss_of(output: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor:
    """The proxies' loss (see the module docstring).

    Example:
        >>> float(loss_of(torch.zeros(2, 4), torch.tensor([0, 3]))) == float(torch.log(torch.tensor(4.0)))
        True
    """
    if targets is None:
        if output.dim() >= 2 and output.shape[1] > 1:
            return F.cross_entropy(output, output.detach().argmax(dim=1))
        return 0.5 * output.pow(2).mean()
    if targets.dtype.is_floating_point:
        return F.mse_loss(output, targets.to(output.dtype))
    return F.cross_entropy(output, targets)


def _loss_gradients(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, chunks: int) -> None:
    """Accumulate the gradient of the batch loss in ``.grad`` (chunk losses weighted by their share of N)."""
    net.zero_grad(set_to_none=True)
    n = len(inputs)
    with training_mode(net, True), torch.enable_grad():
        for x, y in zip(split(inputs, chunks), split(targets, chunks)):
            (loss_of(net(x), y) * (len(x) / n)).backward()


@torch.no_grad()
def _layer_sum(net: nn.Module, metric) -> float:
    total = 0.0
    for layer in weighted_layers(net):
        if layer.weight.grad is not None:
            total += float(metric(layer.weight, layer.weight.grad))
    return total


class _LossGradientSum(Proxy):
    """Sum over convolution and linear layers of ``_metric(weight, dLoss/dweight)``."""

    @staticmethod
    @abc.abstractmethod
    def _metric(weight: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        """One layer's term from its weight and the loss gradient with respect to it."""

    def _compute(self, net, inputs, targets, chunks):
        try:
            _loss_gradients(net, inputs, targets, chunks)
            return _layer_sum(net, self._metric)
        finally:
            net.zero_grad(set_to_none=True)


class GradNorm(_LossGradientSum):
    """``grad_norm``: sum of per-layer gradient norms.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
        >>> GradNorm().score(net, torch.randn(4, 3, 2, 2, generator=torch.Generator().manual_seed(0))) > 0
        True
    """

    name = "grad_norm"

    @staticmethod
    def _metric(weight, grad):
        return grad.norm()


class Snip(_LossGradientSum):
    """``snip``: sum of |w * dL/dw| over convolution and linear weights.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
        >>> Snip().score(net, torch.randn(4, 3, 2, 2, generator=torch.Generator().manual_seed(0))) > 0
        True
    """

    name = "snip"

    @staticmethod
    def _metric(weight, grad):
        return (weight * grad).abs().sum()


def _bypass(module: nn.Module, args: tuple, output: torch.Tensor) -> torch.Tensor:
    return args[0]


class Synflow(Proxy):
    """``synflow``: data-free synaptic flow (see the module docstring); the network is restored afterwards.

    Example:
        >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(16, 2))
        >>> Synflow().score(net, torch.randn(2, 3, 4, 4)) > 0
        True
    """

    name = "synflow"

    def _compute(self, net, inputs, targets, chunks):
        saved = {k: v.detach().clone() for k, v in net.state_dict().items()}
        dtype = next((p.dtype for p in net.parameters() if p.is_floating_point()), torch.float32)
        hooks = [m.register_forward_hook(_bypass) for m in net.modules()
                 if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        try:
            net.double()
            with torch.no_grad():
                for value in net.state_dict().values():
                    if value.is_floating_point():
                        value.abs_()
            net.zero_grad(set_to_none=True)
            ones = torch.ones((1, *inputs.shape[1:]), dtype=torch.float64, device=inputs.device)
            # eval mode: a single sample cannot be batch-normalised in train mode (the layers are bypassed anyway)
            with training_mode(net, False), torch.enable_grad():
                out = net(ones)
                if not out.requires_grad:
                    raise ProxyFailure("unsupported network", "the output does not depend on any parameter")
                out.sum().backward()
            return _layer_sum(net, Snip._metric)
        finally:
            for hook in hooks:
                hook.remove()
            net.zero_grad(set_to_none=True)
            net.to(dtype)
            net.load_state_dict(saved)
