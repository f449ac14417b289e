"""Zero-cost proxies: scores of a network at initialisation on one minibatch, without training.

``jacob_cov`` (the performance-diversity proxy of the profile), ``naswot``, ``synflow``, ``snip``,
``grad_norm``, ``params`` and ``flops`` share one interface (:class:`Proxy`: ``score(net, inputs, targets=None)``
and ``evaluate(...) -> ProxyResult``); :func:`score_architecture` scores one architecture of a space end to end.

Example:
    >>> from nas_complexity.proxies import score_architecture
    >>> arch = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|"
    >>> score_architecture("nb201", arch, batch_size=8, builder_options={"channels": 4, "num_cells": 1}).ok
    True
"""
from __future__ import annotations

from nas_complexity.proxies._base import (
    FAILURE_KINDS,
    Proxy,
    ProxyFailure,
    ProxyResult,
    get_proxy,
    is_out_of_memory,
    list_proxies,
    register_proxy,
)
from nas_complexity.proxies._cost import Flops, Params, count_macs
from nas_complexity.proxies._gradient import GradNorm, Snip, Synflow
from nas_complexity.proxies._jacob_cov import JacobCov, input_jacobian, jacob_cov_score
from nas_complexity.proxies._naswot import NASWOT
from nas_complexity.proxies._score import first_batch, score_architecture

for _cls in (JacobCov, NASWOT, Synflow, Snip, GradNorm, Params, Flops):
    register_proxy(_cls.name, _cls)

__all__ = [
    "FAILURE_KINDS",
    "Flops",
    "GradNorm",
    "JacobCov",
    "NASWOT",
    "Params",
    "Proxy",
    "ProxyFailure",
    "ProxyResult",
    "Snip",
    "Synflow",
    "count_macs",
    "first_batch",
    "get_proxy",
    "input_jacobian",
    "is_out_of_memory",
    "jacob_cov_score",
    "list_proxies",
    "register_proxy",
    "score_architecture",
]
