"""``jacob_cov`` (Mellor et al. 2021, NASWOT v1; the form benchmarked by Abdelfattah et al. 2021).

One minibatch x of N inputs goes through the network at initialisation in train mode (batch normalisation on
batch statistics). The sum of all outputs is backpropagated (``y.backward(ones_like(y))``); J = x.grad reshaped
to N rows. With lambda the eigenvalues of the N x N correlation matrix of J's rows (symmetric: ``eigvalsh``) the
score is ``-sum_i [ln(lambda_i + k) + 1 / (lambda_i + k)]``, k = 1e-5. It is at most about -N, so scores are
comparable only at a fixed N.

Only the input gradient is needed, so parameters are frozen during the pass: the backward pass skips every
weight gradient (the same x.grad, about a third less work).
"""
from __future__ import annotations

import torch
from torch import nn

from nas_complexity.proxies._base import Proxy, ProxyFailure, frozen_parameters, split, training_mode

__all__ = ["JacobCov", "jacob_cov_score", "input_jacobian"]

K = 1e-5


def input_jacobian(net: nn.Module, inputs: torch.Tensor, chunks: int = 1) -> torch.Tensor:
    """``[N, D]`` gradients of the summed outputs w.r.t. each input, computed ``chunks`` pieces at a time.

    Example:
        >>> input_jacobian(nn.Linear(3, 2), torch.ones(4, 3)).shape
        torch.Size([4, 3])
    """
    rows = []
    with training_mode(net, True), frozen_parameters(net), torch.enable_grad():
        for part in split(inputs, chunks):
            x = part.detach().clone().requires_grad_(True)
            y = net(x)
            if y.requires_grad:  # otherwise nothing connects the output to the input (or to anything trainable)
                y.backward(torch.ones_like(y))
            if x.grad is None:  # the output is not a function of the input at all
                rows.append(torch.zeros(len(x), x[0].numel(), dtype=x.dtype, device=x.device))
            else:
                rows.append(x.grad.reshape(len(x), -1))
    return torch.cat(rows)


def jacob_cov_score(jacobian: torch.Tensor, k: float = K) -> float:
    """The score of an ``[N, D]`` Jacobian (raises :class:`ProxyFailure` when it is undefined).

    Example:
        >>> round(jacob_cov_score(torch.eye(4)), 1)  # correlations -1/3: one eigenvalue 0, so 1/k dominates
        -99991.6
    """
    jac = jacobian.detach().to(torch.float64)
    if not torch.isfinite(jac).all():
        raise ProxyFailure("non-finite score", "the input gradient has NaN or infinite entries")
    constant = (jac == jac[:, :1]).all(dim=1)
    if bool(constant.all()) and not bool(jac.any()):
        raise ProxyFailure("dead network", "the input gradient is zero for every sample: the output ignores the input")
    if bool(constant.any()):
        raise ProxyFailure(
            "non-finite score",
            f"{int(constant.sum())} of {len(jac)} samples have a constant input gradient, so their correlations "
            "are undefined (NaN)",
        )
    corr = torch.corrcoef(jac)
    eig = torch.linalg.eigvalsh(corr)
    return float(-(torch.log(eig + k) + 1.0 / (eig + k)).sum())


class JacobCov(Proxy):
    """``jacob_cov``: see the module docstring.

    Example:
        >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 2))
        >>> JacobCov().score(net, torch.randn(8, 3, 8, 8, generator=torch.Generator().manual_seed(0))) < -8
        True
    """

    name = "jacob_cov"
    needs_input_dependence = True

    def _compute(self, net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, chunks: int) -> float:
        return jacob_cov_score(input_jacobian(net, inputs, chunks))
