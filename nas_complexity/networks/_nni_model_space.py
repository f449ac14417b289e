"""The networks of an NNI model space, built the way NNI builds its trials, for performance diversity.

A multi-trial NAS experiment of NNI 3.0 (model format ``simplified``, its default) runs each trial on a network
re-created from the model space's class under ``nni.nas.space.model_context(sample)``: only the chosen candidates
are constructed, at fresh initialisation. :class:`NNIModelSpaceBuilder` builds through that same NNI code
(``SimplifiedModelSpace.freeze(sample).executable_model()``), so the zero-cost proxy scores the networks the
experiment would train. (``model_space.freeze(sample)`` would instead deep-copy the supernet's modules with their
weights: 1-2 s per NAS-Bench-201 network instead of 0.1 s, and every network would share the supernet's draw.)

An architecture of the space read by :func:`nas_complexity.adapters.from_nni_model_space` is turned back into an
NNI sample: ``CategoricalMultiple`` choices are decoded from their text form, and labels that the architecture
leaves out (inactive: inside a ``Repeat`` block beyond the depth, or an unchosen ``LayerChoice`` candidate) get
their mutable's default, since NNI validates a sample against every label even where it is not used.
"""
from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from nas_complexity._imports import require
from nas_complexity.networks._images import ImageBatches
from nas_complexity.networks._registry import NetworkBuilder, seeded

if TYPE_CHECKING:
    import torch

__all__ = ["NNIModelSpaceBuilder"]


@contextmanager
def _quiet_nni() -> Iterator[None]:
    """NNI logs at INFO while it builds some hub networks (NAS-Bench-101 prints every pruned cell matrix): keep
    those lines out of the user's log while profiling builds dozens of networks."""
    logger = logging.getLogger("nni")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # nni 3.0 warns about recent torch versions
            yield
    finally:
        logger.setLevel(level)


class NNIModelSpaceBuilder(NetworkBuilder):
    """Builds the networks of an NNI model space (``nni.nas.nn.pytorch.ModelSpace``) from architectures of
    :func:`~nas_complexity.adapters.from_nni_model_space`'s space, and gives a real minibatch for them.

    Args:
        model_space: the model space instance, e.g. ``nni.nas.hub.pytorch.NasBench201()`` or your own.
        image_size: side of the default minibatch's images (32x32 crops of the bundled photographs, see
            :mod:`nas_complexity.networks._images`).
        channels: channels of the default images (3: photos; other counts use ``image_source="digits"``).
        image_source: ``"photos"`` or ``"digits"``.
        data: your own inputs instead (a tensor, an ``(inputs, targets)`` pair or a DataLoader: its first
            samples), e.g. for a model space that is not an image classifier.
        num_classes: labels of the default images are taken modulo this (for the loss-based proxies).

    Example:
        >>> import nni, torch
        >>> from nni.nas.nn.pytorch import LayerChoice, ModelSpace, MutableLinear
        >>> from nas_complexity.adapters import from_nni_model_space
        >>> class Tiny(ModelSpace):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.conv = LayerChoice([torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(3, 4, 1)], label="op")
        ...         self.head = MutableLinear(4, nni.choice("classes", [2, 10]))
        ...     def forward(self, x):
        ...         return self.head(self.conv(x).mean((2, 3)))
        >>> space, builder = from_nni_model_space(Tiny()), NNIModelSpaceBuilder(Tiny(), image_size=8)
        >>> net = builder.build({"op": 1, "classes": 10}, seed=0)
        >>> net(builder.minibatch(2)).shape, net.conv.kernel_size
        (torch.Size([2, 10]), (1, 1))
    """

    reference_batch = 16
    """NNI model spaces have no stored proxy values to match: a small batch keeps a profile to seconds."""

    def __init__(
        self,
        model_space: Any,
        *,
        image_size: int = 32,
        channels: int = 3,
        image_source: str = "photos",
        data: Any = None,
        num_classes: int | None = None,
    ) -> None:
        with _quiet_nni():
            mutable = require("nni.mutable", "Building the networks of an NNI model space")
            space_mod = require("nni.nas.space", "Building the networks of an NNI model space")
            leaves = dict(model_space.simplify())
        # The adapter's own decoding of subsets, so that the two can never disagree on the text form.
        from nas_complexity.adapters._nni_nas import _subsets

        self.model_space = model_space
        self._defaults = {
            label: m.default() for label, m in leaves.items() if not isinstance(m, mutable.Constraint)
        }
        self._decoders = {
            label: _subsets(label, m, None)[1]
            for label, m in leaves.items() if isinstance(m, mutable.CategoricalMultiple)
        }
        # A model space is traceable (NNI records its constructor arguments): re-create it as NNI's trials do.
        # Anything else can only be frozen.
        traceable = require("nni.common.serializer", "Building the networks of an NNI model space").is_traceable
        self._executable = space_mod.SimplifiedModelSpace.from_model(model_space) if traceable(model_space) else None
        self.images = ImageBatches(image_source, image_size, channels, data, num_classes)

    def __getstate__(self) -> dict[str, Any]:  # a process pool gets the configuration, not NNI's copies
        state = dict(self.__dict__)
        state["_executable"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self.__dict__.get("_executable") is None:
            from nni.common.serializer import is_traceable
            from nni.nas.space import SimplifiedModelSpace

            if is_traceable(self.model_space):
                self._executable = SimplifiedModelSpace.from_model(self.model_space)

    @property
    def input_description(self) -> str:  # type: ignore[override]
        return self.images.description

    def nni_sample(self, arch: Mapping[str, Any]) -> dict[str, Any]:
        """The NNI sample (``{label: value}`` for every label of the model space) of an architecture.

        Example:
            >>> from nni.nas.hub.pytorch import NasBench201
            >>> sample = NNIModelSpaceBuilder(NasBench201()).nni_sample({"cell/0_1": "conv_3x3"})
            >>> len(sample), sample["cell/0_1"]
            (6, 'conv_3x3')
        """
        sample = dict(self._defaults)
        for label, value in arch.items():
            decode = self._decoders.get(label)
            sample[label] = list(decode[value]) if decode is not None else value
        return sample

    def build(self, arch: Any, *, seed: int | None = 0) -> "torch.nn.Module":
        """The network NNI would train for ``arch`` (train mode), initialised under ``seed``."""
        sample = self.nni_sample(arch)
        with _quiet_nni(), seeded(seed):
            if self._executable is not None:
                return self._executable.freeze(sample).executable_model()
            return self.model_space.freeze(sample)

    def labelled_minibatch(self, batch_size: int, seed: int = 0) -> tuple["torch.Tensor", "torch.Tensor | None"]:
        """The images (or the user's ``data``) and their labels, ``None`` when unknown."""
        return self.images.batch(batch_size, seed)

    def minibatch(self, batch_size: int, seed: int = 0) -> "torch.Tensor":
        """A real input batch of ``batch_size`` samples (see :attr:`input_description`)."""
        return self.labelled_minibatch(batch_size, seed)[0]
