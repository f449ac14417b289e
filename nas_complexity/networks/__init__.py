"""Real PyTorch networks for the architectures of each built-in space, and real minibatches for them.

Example:
    >>> from nas_complexity.networks import get_builder
    >>> from nas_complexity.spaces import get_space
    >>> builder = get_builder("nb201", channels=4, num_cells=1)
    >>> net = builder.build(get_space("nb201").sample(seed=0))
    >>> net(builder.minibatch(2, seed=0)).shape
    torch.Size([2, 10])
"""
from __future__ import annotations

from nas_complexity.networks._registry import NetworkBuilder, builder_names, get_builder, register_builder
from nas_complexity.networks import _builtin_builders  # noqa: F401  (registers the built-in builders lazily)

__all__ = ["NetworkBuilder", "builder_names", "get_builder", "register_builder"]
