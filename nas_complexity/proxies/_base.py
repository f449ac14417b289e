"""The zero-cost proxy interface: a :class:`Proxy` scores a network at initialisation on one minibatch; a failure
for one architecture is a typed :class:`ProxyFailure` / a :class:`ProxyResult` with a reason, never a bogus number.

Out of memory: the batch is split into 2, 4, ... chunks and the proxy recomputed from the chunks; every proxy
assembles its full-batch quantity (all N rows of the Jacobian, the N x N NASWOT kernel, gradients of the
size-weighted loss) so the score is still defined at the full N. With batch normalisation in train mode each
chunk is normalised with its own statistics, as in the reference implementations' ``split_data``, so a split
score is close to but not bit-identical with the unsplit one; :attr:`ProxyResult.chunks` records the split.
"""
from __future__ import annotations

import abc
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterator

import torch
from torch import nn

from nas_complexity._errors import NASComplexityError, UnknownNameError

__all__ = [
    "FAILURE_KINDS",
    "Proxy",
    "ProxyFailure",
    "ProxyResult",
    "get_proxy",
    "list_proxies",
    "register_proxy",
    "is_out_of_memory",
]

FAILURE_KINDS = ("dead network", "non-finite score", "shape error", "out of memory", "unsupported network")
"""Why one architecture could not be scored; the text of a failure starts with one of these and a colon."""


class ProxyFailure(NASComplexityError):
    """One architecture could not be scored: ``kind`` (one of :data:`FAILURE_KINDS`) and a ``detail``."""

    def __init__(self, kind: str, detail: str) -> None:
        if kind not in FAILURE_KINDS:
            raise ValueError(f"failure kind must be one of {FAILURE_KINDS}, got {kind!r}")
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}")


@dataclass(frozen=True)
class ProxyResult:
    """A proxy's score for one network, or why there is none (``failure`` is ``"<kind>: <detail>"``).

    Example:
        >>> ProxyResult("jacob_cov", None, "dead network: no path").failure_kind
        'dead network'
    """

    proxy: str
    score: float | None
    failure: str | None = None
    seconds: float = 0.0
    chunks: int = 1

    @property
    def ok(self) -> bool:
        return self.failure is None and self.score is not None

    @property
    def failure_kind(self) -> str | None:
        return None if self.failure is None else self.failure.split(":", 1)[0]


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation failure (CUDA's ``OutOfMemoryError`` or a CPU allocator error).

    Example:
        >>> is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory")), is_out_of_memory(ValueError())
        (True, False)
    """
    if isinstance(exc, getattr(torch, "OutOfMemoryError", ())):
        return True
    text = str(exc).lower()
    return isinstance(exc, (RuntimeError, MemoryError)) and (
        isinstance(exc, MemoryError) or "out of memory" in text or "can't allocate memory" in text
    )


_SHAPE_WORDS = ("size", "shape", "dimension", "expected", "mat1 and mat2", "channels")


def _is_shape_error(exc: BaseException) -> bool:
    return isinstance(exc, (RuntimeError, ValueError, IndexError)) and any(w in str(exc).lower() for w in _SHAPE_WORDS)


def _release_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class Proxy(abc.ABC):
    """A zero-cost proxy. Subclasses set ``name`` (and the class flags below when they differ) and implement
    :meth:`_compute`; callers use :meth:`score` and :meth:`evaluate`.

    ``score(net, inputs, targets=None)`` returns a finite float or raises :class:`ProxyFailure`;
    ``evaluate(...)`` returns a :class:`ProxyResult` instead of raising. The network is left as it was found
    (training mode, ``requires_grad`` flags, dtype and parameter values restored).

    Example:
        >>> from nas_complexity.proxies import get_proxy
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 2))
        >>> x = torch.randn(6, 3, 2, 2, generator=torch.Generator().manual_seed(0))
        >>> get_proxy("jacob_cov").evaluate(net, x).ok, get_proxy("params").score(net, x)
        (True, 962.0)
    """

    name: ClassVar[str] = ""
    #: the proxy is undefined when the output ignores the input (e.g. NB201 cells cut off by ``none`` edges)
    needs_input_dependence: ClassVar[bool] = False
    #: the proxy reads the minibatch (``params`` does not)
    needs_inputs: ClassVar[bool] = True
    higher_is_better: ClassVar[bool] = True

    @abc.abstractmethod
    def _compute(self, net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, chunks: int) -> float:
        """The score from ``inputs`` processed in ``chunks`` pieces (1 unless memory ran out); raise
        :class:`ProxyFailure` when the network has no score (e.g. a dead network)."""

    def score(self, net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None = None) -> float:
        """The proxy's score of ``net`` on ``inputs`` (raises :class:`ProxyFailure` when there is none)."""
        result = self.evaluate(net, inputs, targets)
        if not result.ok:
            kind, _, detail = (result.failure or "non-finite score: no score").partition(": ")
            raise ProxyFailure(kind, detail)
        return float(result.score)  # type: ignore[arg-type]

    def evaluate(self, net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None = None) -> ProxyResult:
        """Like :meth:`score`, but failures come back as a :class:`ProxyResult` with a reason."""
        start = time.perf_counter()
        chunks = 1
        n = len(inputs) if isinstance(inputs, torch.Tensor) and inputs.dim() else 1
        while True:
            retry, failure = False, ""
            try:
                value = self._compute(net, inputs, targets, chunks)
                break
            except ProxyFailure as exc:
                return ProxyResult(self.name, None, str(exc), time.perf_counter() - start, chunks)
            except Exception as exc:  # noqa: BLE001 - sorted into typed failures or re-raised below
                if is_out_of_memory(exc) and chunks < n:
                    retry = True
                elif is_out_of_memory(exc):
                    failure = f"out of memory: even {math.ceil(n / chunks)} sample(s) at a time ({exc})"
                elif _is_shape_error(exc):
                    failure = f"shape error: {type(exc).__name__}: {exc}"
                else:
                    raise
            # outside the except block, so the failed attempt's traceback (and its tensors) is already released
            _release_memory()
            if not retry:
                return ProxyResult(self.name, None, failure, time.perf_counter() - start, chunks)
            chunks = min(2 * chunks, n)
        seconds = time.perf_counter() - start
        if value is None or not math.isfinite(value):
            return ProxyResult(self.name, None, f"non-finite score: {self.name} = {value}", seconds, chunks)
        return ProxyResult(self.name, float(value), None, seconds, chunks)


# ----------------------------------------------------------------------------------------- network helpers


@contextmanager
def training_mode(net: nn.Module, training: bool) -> Iterator[nn.Module]:
    """Temporarily set ``net``'s train/eval mode (each module's own flag is restored afterwards)."""
    saved = [(m, m.training) for m in net.modules()]
    net.train(training)
    try:
        yield net
    finally:
        for module, flag in saved:
            module.training = flag


@contextmanager
def frozen_parameters(net: nn.Module) -> Iterator[nn.Module]:
    """Parameters stop requiring gradients, so a backward pass computes only the input gradient."""
    saved = [(p, p.requires_grad) for p in net.parameters()]
    for param, _ in saved:
        param.requires_grad_(False)
    try:
        yield net
    finally:
        for param, flag in saved:
            param.requires_grad_(flag)


def weighted_layers(net: nn.Module) -> list[nn.Module]:
    """Convolutions and linear layers: the layers whose weights the gradient proxies sum over."""
    return [m for m in net.modules() if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear))]


# ------------------------------------------------------------------------------------------------ registry

_PROXIES: dict[str, Callable[[], Proxy]] = {}


def register_proxy(name: str, factory: Callable[[], Proxy]) -> None:
    """Make ``factory()`` available as ``get_proxy(name)``.

    Example:
        >>> from nas_complexity.proxies import Proxy, register_proxy, get_proxy
        >>> class Depth(Proxy):
        ...     name = "depth"
        ...     needs_inputs = False
        ...     def _compute(self, net, inputs, targets, chunks):
        ...         return float(sum(1 for _ in net.modules()))
        >>> register_proxy("depth", Depth)
        >>> get_proxy("depth").name
        'depth'
    """
    _PROXIES[name] = factory


def list_proxies() -> list[str]:
    """Names of the available proxies.

    Example:
        >>> from nas_complexity.proxies import list_proxies  # the package registers the built-in proxies
        >>> "jacob_cov" in list_proxies()
        True
    """
    return sorted(_PROXIES)


def get_proxy(name: str | Proxy) -> Proxy:
    """The proxy called ``name`` (a :class:`Proxy` instance is returned as is).

    Example:
        >>> from nas_complexity.proxies import get_proxy  # the package registers the built-in proxies
        >>> get_proxy("jacob_cov").needs_input_dependence
        True
    """
    if isinstance(name, Proxy):
        return name
    try:
        return _PROXIES[name]()
    except KeyError:
        raise UnknownNameError("proxy", name, list_proxies(),
                               f"unknown proxy {name!r}; available: {', '.join(list_proxies())}") from None


def split(tensor: torch.Tensor | None, chunks: int) -> list[Any]:
    """``tensor`` in ``chunks`` consecutive pieces (``None`` stays ``None`` for every piece)."""
    if tensor is None:
        return [None] * chunks
    return list(tensor.tensor_split(chunks))
