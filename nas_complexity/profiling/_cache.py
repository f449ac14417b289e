"""An on-disk cache of profiles: a space profiled once is not profiled again by the next study or process.

A profile is deterministic given the space, the seed, the options and the library version, so it is stored under
a hash of exactly those. Only spaces that a key can identify completely are cached: built-in spaces as the library
ships them (their definition is this version's code; a name registered again by a user is keyed by its
definition instead) and plain parameter spaces (no cell structures, constraints or custom block
functions, whose behaviour lives in code a key cannot see). Options that are not plain data (an executor, a
DataLoader, an accuracy function) make a profile uncacheable too. Reading or writing the cache never fails a
profile: a broken entry is ignored and recomputed.

The folder is ``$NAS_COMPLEXITY_CACHE_DIR``, else ``$XDG_CACHE_HOME/nas-complexity``, else
``~/.cache/nas-complexity``; delete it to clear the cache.

Example:
    >>> import tempfile
    >>> cache = ProfileCache(tempfile.mkdtemp())
    >>> report = cache.profile("tnb101-macro", performance=False)
    >>> cache.profile("tnb101-macro", performance=False).size.total, cache.hits
    (3256, 1)
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from nas_complexity._version import __version__
from nas_complexity.logging import get_logger
from nas_complexity.report import ComplexityReport
from nas_complexity.spaces import SearchSpace, get_space, is_shipped, list_spaces

__all__ = ["CACHE_ENV", "ProfileCache", "default_cache_dir", "profile_cache_key"]

_log = get_logger(__name__)

CACHE_ENV = "NAS_COMPLEXITY_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$NAS_COMPLEXITY_CACHE_DIR``, else ``$XDG_CACHE_HOME/nas-complexity``, else ``~/.cache/nas-complexity``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nas-complexity"


def _space_identity(space: SearchSpace | str) -> Any:
    if isinstance(space, str):
        if is_shipped(space):
            return {"builtin": space}  # its definition is this version's code, which the key's version covers
        if space not in list_spaces():
            return None
        space = get_space(space)  # registered by the user: the name alone says nothing about the definition
    elif is_shipped(space.name) and space == get_space(space.name):
        return {"builtin": space.name}  # a shipped space's own definition, e.g. a benchmark table's space
    if space.structures or space.constraints or space.block_fn is not None:
        return None  # behaviour in code: two such spaces can share a description and still differ
    return {
        "space": space.to_dict(),
        "published": [repr(space.published_size), repr(space.published_unique)],
    }


def profile_cache_key(space: SearchSpace | str, **profile_kwargs: Any) -> str | None:
    """The cache key of ``profile(space, **profile_kwargs)``, or ``None`` when it cannot be cached.

    ``space`` is a built-in name (its definition is this version's code) or a :class:`SearchSpace`.

    Example:
        >>> profile_cache_key("nb201", seed=0, performance=False) == profile_cache_key("nb201", performance=False, seed=0)
        True
        >>> profile_cache_key("nb201", seed=0, performance_options={"executor": object()}) is None
        True
    """
    identity = _space_identity(space)
    if identity is None:
        return None
    for key in ("progress", "deadline", "on_stage", "performance_timeout"):  # they do not change a full result
        profile_kwargs.pop(key, None)
    try:
        text = json.dumps({"version": __version__, "identity": identity, "kwargs": profile_kwargs}, sort_keys=True)
    except (TypeError, ValueError):  # an executor, a DataLoader, a function...: not plain data
        return None
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} in a cached profile")


class ProfileCache:
    """Profiles stored as JSON files in ``directory`` (default :func:`default_cache_dir`), keyed by
    :func:`profile_cache_key`. ``hits`` and ``misses`` count this object's lookups."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = directory
        self.hits = 0
        self.misses = 0

    @property
    def path(self) -> Path:
        return Path(self.directory) if self.directory is not None else default_cache_dir()

    def file(self, key: str) -> Path:
        """Where the entry of ``key`` is (or would be) stored."""
        return self.path / f"{key}.json"

    def get(self, key: str) -> ComplexityReport | None:
        """The stored report for ``key``, or ``None`` (missing or unreadable).

        An entry that cannot be decoded (random bytes, another encoding), parsed, or that holds a non-finite
        number (no profile has one: it is damage) is logged and treated as missing, so the caller recomputes the
        profile and :meth:`put` replaces the entry.
        """
        file = self.file(key)
        try:
            data = file.read_bytes()
        except OSError:  # not there (or the folder is not usable): a miss
            return None
        try:
            report = ComplexityReport.from_dict(json.loads(data.decode("utf-8"), parse_constant=_refuse_constant))
            # A report that cannot be written back as strict JSON (e.g. a NaN) cannot be stored in a study either.
            json.dumps(report.to_dict(), allow_nan=False)
        except Exception as exc:  # noqa: BLE001 - a broken entry is recomputed, never fatal
            _log.warning("ignoring unreadable cached profile %s, recomputing it (%s: %s)", file, type(exc).__name__, exc)
            return None
        return report

    def put(self, key: str, report: ComplexityReport) -> None:
        """Store ``report`` atomically (a concurrent reader sees the old file or the new one, never half)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{key}.", suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                f.write(report.to_json(indent=None))
            os.replace(tmp, self.file(key))
        except OSError as exc:  # a read-only home must not fail the profile
            _log.warning("could not cache the profile of %s in %s: %s", report.space, self.path, exc)

    def profile(self, space: SearchSpace | str, **profile_kwargs: Any) -> ComplexityReport:
        """``nas_complexity.profile(space, **profile_kwargs)``, read from the cache when it holds it."""
        from nas_complexity.profiling._profile import profile

        key = profile_cache_key(space, **profile_kwargs)
        if key is not None:
            cached = self.get(key)
            if cached is not None:
                self.hits += 1
                _log.debug("profile of %s read from %s", cached.space, self.path)
                return cached
        self.misses += 1
        report = profile(space, **profile_kwargs)
        if key is not None and self.refusal(report, bool(profile_kwargs.get("performance", True))) is None:
            self.put(key, report)
        return report

    @staticmethod
    def refusal(report: ComplexityReport, performance: bool) -> str | None:
        """Why ``report`` must not be stored, or ``None`` when it may (``performance``: whether it was asked for).

        A performance diversity that was asked for and is missing is not stored: a stage stopped by its time limit
        may finish another time, and a missing dependency or a failed scoring run must not be replayed from the
        cache once fixed.

        Example:
            >>> from nas_complexity import profile
            >>> ProfileCache.refusal(profile("mbconv-macro", performance=False), performance=False) is None
            True
        """
        from nas_complexity.profiling._profile import CUT_SHORT_PROTOCOL

        perf = report.performance_diversity
        if perf is not None and perf.protocol == CUT_SHORT_PROTOCOL:
            return "the proxy's scoring was stopped by its time limit"
        if performance and (perf is None or not perf.available):
            return "performance diversity was not available"
        return None
