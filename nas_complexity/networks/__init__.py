"""Real PyTorch networks for the architectures of each built-in space, and real minibatches for them.

Example:
    >>> from nas_complexity.networks import get_builder   # doctest: +SKIP
    >>> builder = get_builder("nb201")                     # doctest: +SKIP
    >>> net = builder.build(get_space("nb201").sample(seed=0))  # doctest: +SKIP
"""
from __future__ import annotations

from nas_complexity.networks._registry import NetworkBuilder, builder_names, get_builder, register_builder
from nas_complexity.networks import _builtin_builders  # noqa: F401  (registers the built-in builders lazily)

__all__ = ["NetworkBuilder", "builder_names", "get_builder", "register_builder"]
