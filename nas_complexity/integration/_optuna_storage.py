"""What the hook keeps in an Optuna study, and the lock that makes one worker of many profile the space.

Keys (study user attributes, JSON strings so that the dashboard shows them as text and scripts parse them back):

* ``nas_complexity.decision``: the :class:`~nas_complexity.strategies.Decision` (``Decision.from_json``);
* ``nas_complexity.profile``: the :class:`~nas_complexity.report.ComplexityReport` it was made from;
* ``nas_complexity.status``: ``{"state": "decided" | "fallback", "cause", "strategy", "host", "pid", ...}``,
  written last, so a worker that sees it can read the two keys above;
* ``nas_complexity.redecision``: the optional re-decision made from the first observed objective values.

Every trial carries the user attribute ``nas_complexity.strategy`` (e.g. ``evolutionary/RegularizedEvolutionSampler``
or ``fallback/TPESampler``), which ``study.trials_dataframe()`` shows as ``user_attrs_nas_complexity.strategy``.

The lock is a study created under a derived name: every Optuna storage creates a study name atomically and raises
``DuplicatedStudyError`` for all but one creator (a unique index in RDB storages, the order of the log in journal
storages), so across processes exactly one worker wins. The lock study is deleted when the work is stored; one left
behind by a worker that died carries an expiry time after which others may break it.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DECISION_KEY",
    "PROFILE_KEY",
    "REDECISION_KEY",
    "STATUS_KEY",
    "STRATEGY_KEY",
    "StudyLock",
    "plumbing_study_name",
    "worker_identity",
]

DECISION_KEY = "nas_complexity.decision"
PROFILE_KEY = "nas_complexity.profile"
STATUS_KEY = "nas_complexity.status"
REDECISION_KEY = "nas_complexity.redecision"
STRATEGY_KEY = "nas_complexity.strategy"

_EXPIRES_KEY = "nas_complexity.lock_expires_at"
_PLUMBING_MARK = ":nas_complexity-"

# Loggers on which Optuna announces every new study, lock studies included.
_STUDY_CREATION_LOGGERS = ("optuna.storages._rdb.storage", "optuna.storages._in_memory", "optuna.storages.journal._storage")


class _HidePlumbingStudies(logging.Filter):
    """Drops Optuna's "A new study created ..." line for the hook's lock and dry-run studies: not user studies."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _PLUMBING_MARK not in record.getMessage()


def plumbing_study_name(study_name: str, purpose: str) -> str:
    """The name of a study the hook creates for itself; Optuna's creation log line is hidden for such names."""
    _hide_plumbing_studies()
    return f"{study_name}{_PLUMBING_MARK}{purpose}"


def _hide_plumbing_studies() -> None:
    for name in _STUDY_CREATION_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _HidePlumbingStudies) for f in logger.filters):
            logger.addFilter(_HidePlumbingStudies())


def worker_identity() -> dict[str, Any]:
    """Host and process id, stored with what a worker wrote so that users can tell which worker did the work."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def read_json_attr(study: Any, key: str) -> dict[str, Any] | None:
    """The study user attribute ``key`` parsed from JSON, or ``None`` when absent."""
    value = study._storage.get_study_user_attrs(study._study_id).get(key)
    return None if value is None else json.loads(value)


@dataclass
class StudyLock:
    """A named lock on the storage of ``study``, held by at most one process at a time.

    Args:
        study: the study whose storage holds the lock.
        suffix: what the lock guards (``"profile"``, ``"redecide"``); the lock study is
            ``"{study_name}:nas_complexity-{suffix}-lock"``.
        ttl_s: after this many seconds a lock still held is considered abandoned and may be broken.
    """

    study: Any
    suffix: str
    ttl_s: float
    _lock_id: int | None = None

    @property
    def name(self) -> str:
        return plumbing_study_name(self.study.study_name, f"{self.suffix}-lock")

    def acquire(self) -> bool:
        """Try once, without waiting; ``True`` when this process now holds the lock."""
        from optuna.exceptions import DuplicatedStudyError
        from optuna.study import StudyDirection

        storage = self.study._storage
        try:
            lock_id = storage.create_new_study([StudyDirection.MINIMIZE], study_name=self.name)
        except DuplicatedStudyError:
            return False
        self._lock_id = lock_id
        try:
            storage.set_study_user_attr(lock_id, _EXPIRES_KEY, time.time() + self.ttl_s)
            for key, value in worker_identity().items():
                storage.set_study_user_attr(lock_id, f"nas_complexity.{key}", value)
        except Exception:
            self.release()  # an unstamped lock would never expire
            raise
        return True

    def release(self) -> None:
        """Delete the lock study (once the guarded work is stored)."""
        if self._lock_id is None:
            return
        lock_id, self._lock_id = self._lock_id, None
        try:
            self.study._storage.delete_study(lock_id)
        except KeyError:  # broken by another worker after it expired
            pass

    def break_if_expired(self) -> bool:
        """Delete the lock if its holder let it expire (a worker that died); ``True`` when it was broken.

        Deleting by study id, not by name, cannot remove a newer lock taken under the same name meanwhile.
        """
        storage = self.study._storage
        try:
            lock_id = storage.get_study_id_from_name(self.name)
            expires = storage.get_study_user_attrs(lock_id).get(_EXPIRES_KEY)
        except KeyError:
            return True  # released meanwhile
        # No expiry yet: the holder is between creating the lock and stamping it, so it is alive.
        if expires is None or time.time() < float(expires):
            return False
        try:
            storage.delete_study(lock_id)
        except KeyError:
            pass
        return True
