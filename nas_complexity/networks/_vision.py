"""Base of the image-classification network builders: seeded builds, pooled builds, image minibatches."""
from __future__ import annotations

import abc
from typing import Any, Callable

import torch
from torch import nn

from nas_complexity.networks._images import ImageBatches
from nas_complexity.networks._ops import ModulePool, fresh_make, init_parameters
from nas_complexity.networks._registry import NetworkBuilder, seeded

__all__ = ["VisionBuilder", "Make"]

Make = Callable[..., nn.Module]
"""``make(cls, *args, **kwargs) -> module``: how a network asks for its parameterised operations."""


class VisionBuilder(NetworkBuilder):
    """Builds one space's image networks from flat architecture dicts; subclasses give :meth:`spec` (validate and
    decode an architecture) and :meth:`_assemble` (wire the network, asking ``make`` for every operation).

    ``build(arch, seed=seed)`` returns the network at initialisation, in train mode: all parameters drawn from a
    generator seeded with ``seed`` (the global random state is left untouched). ``build(arch, seed=seed, reuse=True)``
    takes its operations from a per-builder pool instead of constructing them (a scoring loop's fast path): the
    network is identical to the fresh one, but shares modules with the previous reused build, so it is only valid
    until the next ``reuse=True`` call on this builder (and the builder is then not thread-safe).

    ``image_source`` (``"photos"`` or ``"digits"``) or ``data`` (a tensor, an ``(inputs, targets)`` pair or a
    DataLoader) choose :meth:`minibatch`'s images; see :mod:`nas_complexity.networks._images`.

    ``channels_last`` (default) stores 4-D weights in channels-last layout, in which oneDNN's CPU convolutions and
    pooling run about 25% faster here (NB201 jacob_cov, 2 threads); results agree with the contiguous layout up to
    float32 rounding (for jacob_cov in about the 4th significant digit).
    """

    supports_reuse = True
    #: how parameters are initialised (see :data:`nas_complexity.networks._ops.INIT_SCHEMES`)
    init_scheme = "default"

    def __init__(self, num_classes: int, resolution: int, in_channels: int = 3, image_source: str = "photos",
                 data: Any = None, channels_last: bool = True) -> None:
        self.num_classes = num_classes
        self.resolution = resolution
        self.in_channels = in_channels
        self.image_source = image_source
        self.data = data
        self.channels_last = channels_last
        self._pool = ModulePool()

    def __getstate__(self) -> dict[str, Any]:  # pooled modules are a cache: do not ship them to workers
        state = dict(self.__dict__)
        state["_pool"] = ModulePool()
        return state

    # ----------------------------------------------------------------------------------------------- inputs

    @property
    def images(self) -> ImageBatches:
        return ImageBatches(self.image_source, self.resolution, self.in_channels, self.data, self.num_classes)

    @property
    def input_description(self) -> str:  # type: ignore[override]
        return self.images.description

    def labelled_minibatch(self, batch_size: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Inputs ``[B, in_channels, resolution, resolution]`` and their integer labels (``None`` if unknown)."""
        return self.images.batch(batch_size, seed)

    def minibatch(self, batch_size: int, seed: int = 0) -> torch.Tensor:
        """A real image batch ``[B, in_channels, resolution, resolution]`` (see :attr:`input_description`)."""
        return self.labelled_minibatch(batch_size, seed)[0]

    # ---------------------------------------------------------------------------------------------- networks

    @abc.abstractmethod
    def spec(self, arch: Any) -> Any:
        """The architecture decoded into what :meth:`_assemble` needs; raises ``SpaceError`` on bad input."""

    @abc.abstractmethod
    def _assemble(self, spec: Any, make: Make) -> nn.Module:
        """The network of a decoded architecture, asking ``make`` for every parameterised operation."""

    def build(self, arch: Any, *, seed: int | None = 0, reuse: bool = False) -> nn.Module:
        """The network of ``arch`` at initialisation (train mode), parameters drawn from ``seed``."""
        spec = self.spec(arch)
        # Construction draws PyTorch's default init from the (seeded, restored) global generator; every parameter
        # is then re-drawn from the seeded generator, also for pooled modules, whose previous values remain.
        with seeded(seed) as generator:
            if reuse:
                with self._pool.build() as make:
                    net = self._assemble(spec, make)
            else:
                net = self._assemble(spec, fresh_make)
            init_parameters(net, generator, self.init_scheme)
        for param in net.parameters():  # a pooled module may come back from a proxy that froze it
            param.requires_grad_(True)
        if self.channels_last:
            net = net.to(memory_format=torch.channels_last)
        return net.train()
