"""Real PyTorch networks for the architectures of each built-in space, and real minibatches for them.

A built-in space owns its network: ``get_space(name).network`` is the lazy ``"module:Class"`` path of its
:class:`NetworkBuilder`, bound where the space is registered (``nas_complexity/spaces/_builtin.py``).

Example:
    >>> from nas_complexity.networks import get_builder
    >>> from nas_complexity.spaces import get_space
    >>> builder = get_builder(get_space("nb201").network, channels=4, num_cells=1)
    >>> net = builder.build(get_space("nb201").sample(seed=0))
    >>> net(builder.minibatch(2, seed=0)).shape
    torch.Size([2, 10])
"""
from __future__ import annotations

from nas_complexity.networks._registry import (
    NetworkBuilder,
    builder_factory,
    builder_names,
    get_builder,
    register_builder,
    seeded,
)

__all__ = ["NetworkBuilder", "builder_factory", "builder_names", "get_builder", "register_builder", "seeded"]
