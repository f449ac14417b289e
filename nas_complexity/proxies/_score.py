"""Scoring one architecture end to end: network from its builder, minibatch, proxy, typed failure.

:func:`score_architecture` is a plain top-level function of plain arguments (a builder name with options, an
architecture dict, a proxy name, seeds), so process pools and Dask workers can run it directly.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Mapping

import torch

from nas_complexity.networks import NetworkBuilder, get_builder
from nas_complexity.proxies._base import Proxy, ProxyResult, get_proxy

__all__ = ["score_architecture", "first_batch"]


def first_batch(inputs: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """A user minibatch as ``(inputs, targets or None)``: a tensor, an ``(inputs, targets)`` pair, or a
    DataLoader / iterable of batches (its first batch).

    Example:
        >>> x, y = first_batch(torch.zeros(2, 3))
        >>> tuple(x.shape), y
        ((2, 3), None)
    """
    if isinstance(inputs, torch.Tensor):
        return inputs, None
    if isinstance(inputs, (tuple, list)) and inputs and isinstance(inputs[0], torch.Tensor):
        return inputs[0], (inputs[1] if len(inputs) > 1 and isinstance(inputs[1], torch.Tensor) else None)
    try:
        batch = next(iter(inputs))
    except TypeError:
        raise TypeError(f"inputs must be a tensor, an (inputs, targets) pair or a DataLoader, "
                        f"got {type(inputs).__name__}") from None
    return first_batch(batch)


def _build(builder: NetworkBuilder, arch: Any, seed: int) -> torch.nn.Module:
    # Scoring drops each network before the next, which is exactly when a builder may reuse modules.
    if builder.supports_reuse:
        return builder.build(arch, seed=seed, reuse=True)
    return builder.build(arch, seed=seed)


def score_architecture(
    builder: NetworkBuilder | str,
    arch: Mapping[str, Any] | str,
    proxy: str | Proxy = "jacob_cov",
    *,
    inputs: Any = None,
    targets: torch.Tensor | None = None,
    batch_size: int = 64,
    seed: int = 0,
    data_seed: int = 0,
    builder_options: Mapping[str, Any] | None = None,
    device: str | torch.device | None = None,
) -> ProxyResult:
    """Score ``arch`` with ``proxy`` on a network at initialisation; failures come back as a result with a reason.

    Args:
        builder: a :class:`~nas_complexity.networks.NetworkBuilder`, a builder (space) name such as ``"nb201"``,
            or a ``"module:Class"`` path such as a space's ``network``.
        arch: the architecture (a flat dict of the space's params; NB201-style strings for cell spaces).
        proxy: a proxy name (see :func:`~nas_complexity.proxies.list_proxies`) or a :class:`Proxy`.
        inputs: the minibatch (a tensor, an ``(inputs, targets)`` pair or a DataLoader: its first batch); default
            the builder's own real minibatch of ``batch_size`` samples drawn with ``data_seed``.
        targets: labels for the loss-based proxies (default: the builder's labels of its own minibatch).
        seed: initialisation seed of the network (the same seed gives the same score).
        builder_options: options for a builder given by name (e.g. ``{"channels": 8}``).
        device: where to score (e.g. ``"cuda"``); default where the builder builds (the CPU).

    A structurally dead network (e.g. an NB201 cell whose output is cut off by ``none`` edges) is reported as
    ``"dead network: ..."`` without being built for the proxies that need the output to depend on the input.

    Example:
        >>> arch = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|"
        >>> result = score_architecture("nb201", arch, batch_size=8, builder_options={"channels": 4, "num_cells": 1})
        >>> result.ok, result.score < -8
        (True, True)
    """
    start = time.perf_counter()
    scorer = get_proxy(proxy)
    if isinstance(builder, str):
        builder = get_builder(builder, **dict(builder_options or {}))
    if not isinstance(builder, NetworkBuilder):
        raise TypeError(f"builder must be a NetworkBuilder or a builder name, got {type(builder).__name__}")
    if scorer.needs_input_dependence:
        reason = builder.dead_reason(arch)
        if reason is not None:
            return ProxyResult(scorer.name, None, reason, time.perf_counter() - start)
    x: torch.Tensor | None = None
    if inputs is not None:
        x, user_targets = first_batch(inputs)
        targets = targets if targets is not None else user_targets
    elif scorer.needs_inputs:
        x, own_targets = builder.labelled_minibatch(batch_size, data_seed)
        targets = targets if targets is not None else own_targets
    net = _build(builder, arch, seed)
    if device is not None:
        net = net.to(device)
        x = None if x is None else x.to(device)
        targets = None if targets is None else targets.to(device)
    result = scorer.evaluate(net, x, targets)  # type: ignore[arg-type]
    return replace(result, seconds=time.perf_counter() - start)
