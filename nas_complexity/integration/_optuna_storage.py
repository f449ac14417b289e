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
storages), so across processes exactly one worker wins. The lock study is deleted when the work is stored; while
the work runs the holder renews a heartbeat in it, and a lock whose heartbeat stops (a worker that died, even
before it stamped the lock) is broken by the next worker that looks (:class:`StudyLock`).
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from datetime import datetime, timezone
from typing import Any

from nas_complexity.logging import get_logger

__all__ = [
    "DECISION_KEY",
    "PROFILE_KEY",
    "REDECISION_KEY",
    "STATUS_KEY",
    "STRATEGY_KEY",
    "StudyLock",
    "plumbing_study_name",
    "worker_identity",
    "worker_stamp",
]

DECISION_KEY = "nas_complexity.decision"
PROFILE_KEY = "nas_complexity.profile"
STATUS_KEY = "nas_complexity.status"
REDECISION_KEY = "nas_complexity.redecision"
STRATEGY_KEY = "nas_complexity.strategy"

_EXPIRES_KEY = "nas_complexity.lock_expires_at"
_BEAT_KEY = "nas_complexity.lock_heartbeat"
_TAKEN_KEY = "nas_complexity.lock_taken_at"
_TTL_KEY = "nas_complexity.lock_ttl_s"
_CONFIRM_S = 0.5  # far longer than a holder needs between creating its lock and stamping it
_SETTLE_S = 0.5  # after breaking a lock, before taking one: far longer than a delete takes
_PLUMBING_MARK = ":nas_complexity-"

_log = get_logger(__name__)

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


def worker_stamp() -> dict[str, Any]:
    """:func:`worker_identity` and ``at``, the UTC time to the second: who wrote a record, and when."""
    return {**worker_identity(), "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def read_json_attr(study: Any, key: str) -> dict[str, Any] | None:
    """The study user attribute ``key`` parsed from JSON, or ``None`` when absent."""
    value = study._storage.get_study_user_attrs(study._study_id).get(key)
    return None if value is None else json.loads(value)


class StudyLock:
    """A named lock on the storage of ``study``, held by at most one process at a time, kept alive by a heartbeat.

    The lock study carries who holds it (host, pid), when it was taken, and a heartbeat: a counter and an expiry
    time that a daemon thread of the holder renews every ``heartbeat_s`` seconds for as long as it holds the lock.
    Another worker judges the holder by what it sees in the storage:

    * **alive** while the heartbeat moves and its expiry lies ahead: wait (as long as it takes: a live holder
      finishes within its own time limit);
    * **dead** once the expiry has passed, or once the heartbeat has not moved for ``ttl_s`` seconds of the
      observer's own clock (so clock skew between hosts cannot keep a dead lock alive), or, for a lock never
      stamped at all (its holder died between creating and stamping it), once it has stayed unstamped for
      ``stamp_grace_s`` seconds: the observer breaks it and may take it over at once.

    Args:
        study: the study whose storage holds the lock.
        suffix: what the lock guards (``"profile"``, ``"redecide"``); the lock study is
            ``"{study_name}:nas_complexity-{suffix}-lock"``.
        ttl_s: a heartbeat older than this means the holder is dead.
        heartbeat_s: how often the holder renews the heartbeat (``None``: never; then the lock expires ``ttl_s``
            after it was taken).
        stamp_grace_s: how long an unstamped lock may stay unstamped before it is taken for dead.
    """

    def __init__(
        self, study: Any, suffix: str, ttl_s: float, heartbeat_s: float | None = None, stamp_grace_s: float = 2.0
    ) -> None:
        self.study = study
        self.suffix = suffix
        self.ttl_s = ttl_s
        self.heartbeat_s = heartbeat_s
        self.stamp_grace_s = stamp_grace_s
        self._lock_id: int | None = None
        self._stop_beating = threading.Event()
        self._beater: threading.Thread | None = None
        self._seen: tuple[Any, ...] | None = None  # the lock's identity and heartbeat last observed as a waiter
        self._seen_at = 0.0
        self._doubted_at: float | None = None

    @property
    def name(self) -> str:
        return plumbing_study_name(self.study.study_name, f"{self.suffix}-lock")

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._lock_id is not None

    def acquire(self) -> bool:
        """Try once, without waiting; ``True`` when this process now holds the lock (and its heartbeat runs)."""
        from optuna.exceptions import DuplicatedStudyError
        from optuna.study import StudyDirection

        storage = self.study._storage
        try:
            lock_id = storage.create_new_study([StudyDirection.MINIMIZE], study_name=self.name)
        except DuplicatedStudyError:
            return False
        self._lock_id = lock_id
        try:
            # Identity first, then the heartbeat: a waiter that sees a stamp sees who holds the lock.
            storage.set_study_user_attr(lock_id, _TAKEN_KEY, time.time())
            storage.set_study_user_attr(lock_id, _TTL_KEY, self.ttl_s)
            for key, value in worker_identity().items():
                storage.set_study_user_attr(lock_id, f"nas_complexity.{key}", value)
            self._beat(lock_id, 0)
        except Exception:
            self.release()  # an unstamped lock is broken by waiters after stamp_grace_s, but do not leave it
            raise
        if self.heartbeat_s is not None:
            self._stop_beating.clear()
            self._beater = threading.Thread(
                target=self._keep_beating, args=(lock_id,), name=f"nas_complexity-{self.suffix}-heartbeat", daemon=True
            )
            self._beater.start()
        return True

    def _beat(self, lock_id: int, count: int) -> None:
        storage = self.study._storage
        storage.set_study_user_attr(lock_id, _EXPIRES_KEY, time.time() + self.ttl_s)
        storage.set_study_user_attr(lock_id, _BEAT_KEY, count)

    def _keep_beating(self, lock_id: int) -> None:
        count = 0
        while not self._stop_beating.wait(self.heartbeat_s):
            count += 1
            try:
                self._beat(lock_id, count)
            except KeyError:  # broken by a worker that took this holder for dead: nothing left to renew
                return
            except Exception as exc:  # storage trouble: waiters may take over, which costs a second profile only
                _log.debug("lock heartbeat failed: %s: %s", type(exc).__name__, exc)

    def release(self) -> None:
        """Stop the heartbeat and delete the lock study (once the guarded work is stored)."""
        self._stop_beating.set()
        if self._beater is not None:
            self._beater.join()
            self._beater = None
        if self._lock_id is None:
            return
        lock_id, self._lock_id = self._lock_id, None
        try:
            self.study._storage.delete_study(lock_id)
        except KeyError:  # broken by another worker that took this holder for dead
            pass

    def holder_state(self) -> str:
        """``"free"``, ``"alive"`` or ``"dead"``, as this observer sees the lock now (see the class docstring)."""
        storage = self.study._storage
        try:
            lock_id = storage.get_study_id_from_name(self.name)
            attrs = storage.get_study_user_attrs(lock_id)
        except KeyError:
            return "free"
        expires = attrs.get(_EXPIRES_KEY)
        now = time.monotonic()
        # Everything that tells two locks apart: SQLite reuses the id of a deleted study, so a lock taken right after
        # another was broken can have its id (the expiry and taken-at stamps then differ).
        seen = self._identity(lock_id, attrs)
        if self._seen != seen:
            self._seen, self._seen_at, self._doubted_at = seen, now, None
        still_for = now - self._seen_at
        if expires is None:  # never stamped: alive only for the instant between creating and stamping
            if still_for < self.stamp_grace_s:
                return "alive"
            # A fresh lock under a reused id looks exactly like the dead one until its holder's first stamp: look
            # once more, a while later, before calling it dead.
            if self._doubted_at is None:
                self._doubted_at = now
            return "dead" if now - self._doubted_at >= _CONFIRM_S else "alive"
        # The holder's own ttl (stored in the lock) says how long its heartbeat may stand still.
        ttl = float(attrs.get(_TTL_KEY, self.ttl_s))
        if time.time() >= float(expires) or still_for >= ttl:
            return "dead"
        return "alive"

    def break_if_expired(self) -> bool:
        """Delete the lock if its holder is dead (see :meth:`holder_state`); ``True`` when it is free now.

        Another waiter may have broken the same lock and taken a new one meanwhile, and SQLite gives the new lock
        the old one's id: the lock is read once more, and deleted only while it is still the one judged dead.
        """
        state = self.holder_state()
        if state != "dead":
            return state == "free"
        assert self._seen is not None
        lock_id = self._seen[0]
        storage = self.study._storage
        try:
            attrs = storage.get_study_user_attrs(lock_id)
        except KeyError:
            self._seen = None
            return True  # gone already
        if self._identity(lock_id, attrs) != self._seen:
            self._seen = None
            return False  # a new holder: judge it afresh
        who = self._describe(lock_id)
        try:
            storage.delete_study(lock_id)
        except KeyError:
            pass
        # Other waiters may have judged the same lock dead at the same moment (its expiry is one wall-clock time):
        # their deletes by id, still in flight, must land before anyone takes a new lock under the reused id.
        time.sleep(_SETTLE_S)
        _log.warning("broke the %s lock of study %r left by %s, which stopped renewing it", self.suffix, self.study.study_name, who)
        self._seen = None
        return True

    @staticmethod
    def _identity(lock_id: int, attrs: dict[str, Any]) -> tuple[Any, ...]:
        return (lock_id, attrs.get(_BEAT_KEY), attrs.get(_EXPIRES_KEY), attrs.get(_TAKEN_KEY))

    def _describe(self, lock_id: int) -> str:
        try:
            attrs = self.study._storage.get_study_user_attrs(lock_id)
        except KeyError:
            return "a worker"
        if "nas_complexity.pid" not in attrs:
            return "a worker that never stamped it"
        return f"worker {attrs.get('nas_complexity.host')}:{attrs.get('nas_complexity.pid')}"
