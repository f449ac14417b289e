"""Run a function with a time limit on a worker thread, and stop it (not just stop waiting) when the limit passes."""
from __future__ import annotations

import threading
from typing import Callable, TypeVar

from nas_complexity._deadline import Deadline

__all__ = ["TimeLimitExceeded", "call_with_time_limit", "STOP_GRACE_S"]

T = TypeVar("T")

STOP_GRACE_S = 1.5
"""Seconds a timed-out call is given to notice its cancelled deadline and stop (its scoring pool included)."""


class TimeLimitExceeded(TimeoutError):
    """The function did not return within its time limit."""


def call_with_time_limit(
    fn: Callable[[Deadline], T], limit_s: float, name: str = "nas_complexity-worker", grace_s: float = STOP_GRACE_S
) -> T:
    """``fn(deadline)``, or :class:`TimeLimitExceeded` after ``limit_s`` seconds; exceptions of ``fn`` are re-raised.

    ``fn`` receives a :class:`~nas_complexity.profiling.Deadline` of ``limit_s`` seconds and should pass it to the
    work it does (:func:`nas_complexity.profile` checks it in every long loop). On timeout the deadline is cancelled
    and the call is given ``grace_s`` seconds to stop, so that no scoring process keeps running beside the study.
    Python cannot kill a thread: code that never checks the deadline (a user's profiler) goes on in the background
    on a daemon thread, which never keeps the interpreter alive, and its result is dropped.

    Example:
        >>> call_with_time_limit(lambda deadline: 6 * 7, limit_s=5.0)
        42
    """
    deadline = Deadline(limit_s)
    box: dict[str, object] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = fn(deadline)
        except BaseException as exc:  # handed to the caller, who decides what is fatal
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name=name, daemon=True).start()
    if not done.wait(limit_s):
        deadline.cancel()
        stopped = done.wait(grace_s)
        note = "" if stopped else f" (still running after a further {grace_s:g} s: it does not check its deadline)"
        raise TimeLimitExceeded(f"no result within the time limit of {limit_s:g} s{note}")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
