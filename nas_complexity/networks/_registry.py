"""The network-builder protocol, the one seeding helper every builder uses, and the registry of builder names.

A :class:`NetworkBuilder` builds the real PyTorch network of one architecture of a space and gives a real
minibatch for the space's task. A built-in space owns its builder: :func:`nas_complexity.spaces.register_space`
binds the space to a lazy ``"module:Class"`` path, which the space carries as ``SearchSpace.network``.

Builder names (what ``performance_options={"builder": NAME}`` accepts) are the registered spaces that have a
network, plus the names users add with :func:`register_builder`; a ``"module:Class"`` path is accepted wherever a
name is.
"""
from __future__ import annotations

import abc
import importlib
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator

from nas_complexity._errors import NASComplexityError, UnknownNameError

if TYPE_CHECKING:  # torch is optional for the core: importing this module must not import it
    import torch

__all__ = ["NetworkBuilder", "builder_factory", "builder_names", "get_builder", "register_builder", "seeded"]


@contextmanager
def seeded(seed: int | None) -> Iterator["torch.Generator"]:
    """Build under ``seed``: inside the block PyTorch's global generator is seeded with ``seed`` (left as it was
    when ``None``), and it is restored afterwards, so building never consumes the caller's random state. Yields a
    CPU generator seeded with ``seed`` (a fresh random one for ``None``) for explicit initialisation.

    Every builder seeds through this, whether its modules draw their default initialisation from the global
    generator or it re-draws parameters from the yielded one.

    Example:
        >>> import torch
        >>> with seeded(3) as generator:
        ...     a, b = torch.rand(2), torch.rand(2, generator=generator)
        >>> with seeded(3) as generator:
        ...     torch.equal(a, torch.rand(2)), torch.equal(b, torch.rand(2, generator=generator))
        (True, True)
    """
    import torch

    from nas_complexity.networks._ops import make_generator

    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        yield make_generator(seed)


class NetworkBuilder(abc.ABC):
    """Builds the networks of one space at initialisation and provides a real minibatch for its task.

    Subclasses store their configuration in ``__init__`` and implement :meth:`build` (seeded through
    :func:`seeded`) and :meth:`minibatch`; the other hooks have defaults. Class attributes say what the profiler
    needs to know before building anything.

    Example:
        >>> import torch
        >>> class Linear(NetworkBuilder):
        ...     def build(self, arch, *, seed=0):
        ...         with seeded(seed):
        ...             return torch.nn.Linear(4, arch["width"])
        ...     def minibatch(self, batch_size, seed=0):
        ...         return torch.randn(batch_size, 4, generator=torch.Generator().manual_seed(seed))
        >>> builder = Linear()
        >>> builder.build({"width": 3}, seed=0)(builder.minibatch(2)).shape, builder.reference_batch
        (torch.Size([2, 3]), 64)
    """

    reference_batch: ClassVar[int] = 64
    """Default minibatch size N: the N at which the shared tables' jacov was computed for this space.

    jacob_cov is about -N for a healthy network, so the stored values give N away: NB201's median is -68 (N = 64),
    NB101's and DARTS' -32.2 (N = 32). Scoring at the same N keeps our values comparable with the tables. (N = 256
    for NB101, used in some zero-cost studies, takes 10 s per network on one CPU core instead of 1.2 s: pass
    ``batch_size=256``.)"""

    peak_memory_gb: ClassVar[float] = 1.0
    """Peak resident memory (GB) of one scoring process at :attr:`reference_batch`, which bounds how many scoring
    processes fit in memory. Measured on the CPU build of torch 2.13: 1.3 GB for NB101 and DARTS at 32 (those
    builders say 1.4), 0.4-1.0 GB for the others at 64; NB101 at 256 needs 6.8 GB, which scaling by the batch
    ratio over-covers."""

    supports_reuse: ClassVar[bool] = False
    """Whether ``build(arch, seed=..., reuse=True)`` is accepted: the network may share modules with the previous
    reused build (a scoring loop's fast path; see :class:`~nas_complexity.networks._vision.VisionBuilder`)."""

    @property
    def input_description(self) -> str:
        """What the minibatch is, in words (reported in profiles), e.g. "32x32 crops of scikit-image photos"."""
        return ""

    @abc.abstractmethod
    def build(self, arch: Any, *, seed: int | None = 0) -> "torch.nn.Module":
        """The network of ``arch`` (a flat dict of the space's params, or the builder's native encoding) at
        initialisation, its parameters drawn from ``seed`` without touching the global random state. Called once
        per scored architecture, so it must be cheap: build directly from the encoding (never through NNI)."""

    @abc.abstractmethod
    def minibatch(self, batch_size: int, seed: int = 0) -> "torch.Tensor":
        """A real input batch of ``batch_size`` samples for this space's default task, drawn with ``seed``."""

    def labelled_minibatch(self, batch_size: int, seed: int = 0) -> tuple["torch.Tensor", "torch.Tensor | None"]:
        """:meth:`minibatch` and its labels for the loss-based proxies (``None``: labels unknown)."""
        return self.minibatch(batch_size, seed), None

    def dead_reason(self, arch: Any) -> str | None:
        """Why the network's output cannot depend on its input, decided from the encoding (``None``: it can);
        proxies that need the dependence report such an architecture without building it."""
        return None


# name -> "module:factory" so that importing the registry does not import torch or every network module.
_LAZY: dict[str, str] = {}
_BUILDERS: dict[str, Callable[..., NetworkBuilder]] = {}


def register_builder(space_name: str, factory: Callable[..., NetworkBuilder] | str) -> None:
    """Register a builder under a name; ``factory`` may be ``"package.module:callable"`` (imported lazily).

    A space registered with ``register_space(name, factory, builder="module:Class")`` needs no extra call: its
    name is a builder name already. This is for names of your own (e.g. to pass as
    ``performance_options={"builder": NAME}``); a name registered here wins over a space's of the same name.

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


def _space_networks() -> dict[str, str]:
    # The registered spaces own their networks; imported here because spaces import nothing from networks.
    from nas_complexity.spaces._builtin import space_networks

    return space_networks()


def builder_names() -> list[str]:
    """Names that have a network builder: registered spaces with a network, and :func:`register_builder` names.

    Example:
        >>> from nas_complexity.networks import builder_names
        >>> "nb201" in builder_names()
        True
    """
    return sorted({*_space_networks(), *_LAZY, *_BUILDERS})


def _import(path: str) -> Callable[..., NetworkBuilder]:
    module_name, _, attr = path.partition(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise NASComplexityError(f"network builder {path!r}: module {module_name!r} has no {attr!r}") from None


def builder_factory(builder: str | Callable[..., NetworkBuilder]) -> Callable[..., NetworkBuilder]:
    """The factory (usually a :class:`NetworkBuilder` subclass) of a builder name, of a ``"module:Class"`` path
    (what ``SearchSpace.network`` holds), or the factory itself.

    Example:
        >>> from nas_complexity.spaces import get_space
        >>> builder_factory(get_space("darts").network).reference_batch
        32
    """
    if callable(builder):
        return builder
    if builder in _BUILDERS:
        return _BUILDERS[builder]
    path = _LAZY.get(builder) or _space_networks().get(builder)
    if path is None and ":" in builder:
        path = builder
    if path is None:
        raise UnknownNameError(
            "network builder", builder, builder_names(),
            f"no network builder for space {builder!r}; spaces with builders: {', '.join(builder_names())}",
        )
    factory = _import(path)
    if builder in _LAZY:
        _BUILDERS[builder] = factory
    return factory


def get_builder(space_name: str | Callable[..., NetworkBuilder], **options: Any) -> NetworkBuilder:
    """A builder by name or ``"module:Class"`` path (see :func:`builder_factory`); ``options`` go to its factory
    (e.g. ``num_classes``, ``task``).

    Example:
        >>> from nas_complexity.networks import get_builder
        >>> builder = get_builder("nb201", channels=4, num_cells=1)
        >>> tuple(builder.minibatch(2, seed=0).shape)
        (2, 3, 32, 32)
    """
    return builder_factory(space_name)(**options)
