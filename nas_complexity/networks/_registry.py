"""Registry of network builders: space name -> how to build a real PyTorch network for one architecture.

A builder is registered per built-in space (and can be registered for user spaces). It is an object with:

* ``build(arch) -> torch.nn.Module``: the network for one architecture (a flat dict of the space's params), at
  initialisation; must be cheap (reuse modules or build directly from the encoding, never through NNI).
* ``minibatch(batch_size, seed) -> torch.Tensor``: a real input batch for this space's default task.

``NetworkBuilder`` subclasses store their configuration in ``__init__`` and do the work in ``build``.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Callable

from nas_complexity._errors import NASComplexityError

if TYPE_CHECKING:  # torch is optional for the core
    import torch

__all__ = ["NetworkBuilder", "register_builder", "get_builder", "builder_names"]


class NetworkBuilder:
    """Base class: builds networks for one space and provides a real minibatch for its task."""

    #: what the minibatch is, in words (reported in profiles), e.g. "32x32 crops of scikit-image photos"
    input_description: str = ""

    def build(self, arch: dict[str, Any]) -> "torch.nn.Module":
        raise NotImplementedError

    def minibatch(self, batch_size: int, seed: int = 0) -> "torch.Tensor":
        raise NotImplementedError


# name -> "module:factory" so that importing the registry does not import torch or every network module.
_LAZY: dict[str, str] = {}
_BUILDERS: dict[str, Callable[..., NetworkBuilder]] = {}


def register_builder(space_name: str, factory: Callable[..., NetworkBuilder] | str) -> None:
    """Register a builder factory for a space; ``factory`` may be ``"package.module:callable"`` (imported lazily).

    Example:
        >>> register_builder("my-space", "nas_complexity.networks._nb201:NB201Builder")
        >>> "my-space" in builder_names()
        True
    """
    if isinstance(factory, str):
        _LAZY[space_name] = factory
        _BUILDERS.pop(space_name, None)
    else:
        _BUILDERS[space_name] = factory
        _LAZY.pop(space_name, None)


def builder_names() -> list[str]:
    """Spaces that have a network builder.

    Example:
        >>> from nas_complexity.networks import builder_names  # the package registers the built-in builders
        >>> "nb201" in builder_names()
        True
    """
    return sorted({*_LAZY, *_BUILDERS})


def get_builder(space_name: str, **options: Any) -> NetworkBuilder:
    """A builder for ``space_name``; ``options`` go to its factory (e.g. ``num_classes``, ``task``).

    Example:
        >>> from nas_complexity.networks import get_builder  # the package registers the built-in builders
        >>> builder = get_builder("nb201", channels=4, num_cells=1)
        >>> tuple(builder.minibatch(2, seed=0).shape)
        (2, 3, 32, 32)
    """
    if space_name not in _BUILDERS and space_name in _LAZY:
        module_name, attr = _LAZY[space_name].split(":")
        _BUILDERS[space_name] = getattr(importlib.import_module(module_name), attr)
    try:
        factory = _BUILDERS[space_name]
    except KeyError:
        raise NASComplexityError(
            f"no network builder for space {space_name!r}; spaces with builders: {', '.join(builder_names())}"
        ) from None
    return factory(**options)
