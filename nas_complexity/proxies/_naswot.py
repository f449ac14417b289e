"""``naswot`` (Mellor et al. 2021, "Neural Architecture Search without Training", v2 score).

Every ReLU-family module's input is binarised per sample (``x > 0``) into a code c (one row per sample); the
kernel K = sum over those layers of c c^T + (1 - c)(1 - c)^T counts, for each pair of samples, the units on
which their activation patterns agree. The score is log|det K|. As in the reference code the network is in train
mode and only ReLUs on the path to the output count: our builders do not compute nodes that cannot reach the
output, so every ReLU that runs is on that path.
"""
from __future__ import annotations

import torch
from torch import nn

from nas_complexity.proxies._base import Proxy, ProxyFailure, split, training_mode

__all__ = ["NASWOT", "relu_modules"]


def relu_modules(net: nn.Module) -> list[nn.Module]:
    """Modules whose class name contains ``ReLU`` (ReLU, ReLU6, LeakyReLU, ...), as the reference code hooks."""
    return [m for m in net.modules() if "ReLU" in type(m).__name__]


def _accumulate(kernel: torch.Tensor, code: torch.Tensor) -> None:
    # float32 products are exact integer counts below 2**24 units per layer; the sum over layers is float64
    c = code.to(torch.float32)
    kernel.add_((c @ c.T + (1.0 - c) @ (1.0 - c).T).to(torch.float64))


class NASWOT(Proxy):
    """``naswot``: log-determinant of the activation-pattern kernel.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 2))
        >>> x = torch.randn(8, 3, 2, 2, generator=torch.Generator().manual_seed(0))
        >>> NASWOT().score(net, x) > 0
        True
    """

    name = "naswot"
    needs_input_dependence = True

    def _compute(self, net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, chunks: int) -> float:
        relus = relu_modules(net)
        if not relus:
            raise ProxyFailure("unsupported network", "naswot needs ReLU modules to hook; the network has none")
        n = len(inputs)
        kernel = torch.zeros(n, n, dtype=torch.float64, device=inputs.device)
        # With one chunk the kernel is accumulated inside the hooks; with several, each layer's codes are kept
        # (as booleans) until all chunks have run, since K pairs samples of different chunks.
        codes: list[list[torch.Tensor]] = []

        def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
            code = (args[0].detach().reshape(len(args[0]), -1) > 0)
            if chunks == 1:
                _accumulate(kernel, code)
            else:
                codes[-1].append(code)

        handles = [m.register_forward_hook(hook) for m in relus]
        try:
            with training_mode(net, True), torch.no_grad():
                for part in split(inputs, chunks):
                    codes.append([])
                    net(part)
        finally:
            for handle in handles:
                handle.remove()
        if chunks > 1:
            for layer in zip(*codes):
                _accumulate(kernel, torch.cat(layer))
        if not bool(kernel.any()):
            raise ProxyFailure("unsupported network", "no ReLU module ran during the forward pass")
        sign, logdet = torch.linalg.slogdet(kernel)
        if float(sign) <= 0:
            raise ProxyFailure("non-finite score", "the activation-pattern kernel is singular (samples share patterns)")
        return float(logdet)
