"""Run a function with a time limit on a worker thread, so that the caller can stop waiting for it."""
from __future__ import annotations

import threading
from typing import Callable, TypeVar

__all__ = ["TimeLimitExceeded", "call_with_time_limit"]

T = TypeVar("T")


class TimeLimitExceeded(TimeoutError):
    """The function did not return within its time limit (it may still be running on its daemon thread)."""


def call_with_time_limit(fn: Callable[[], T], limit_s: float, name: str = "nas_complexity-worker") -> T:
    """``fn()``, or :class:`TimeLimitExceeded` after ``limit_s`` seconds; exceptions of ``fn`` are re-raised.

    Python cannot stop a thread: on timeout the call goes on in the background on a daemon thread (which never
    keeps the interpreter alive) and its result is dropped.

    Example:
        >>> call_with_time_limit(lambda: 6 * 7, limit_s=5.0)
        42
    """
    box: dict[str, object] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller, who decides what is fatal
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name=name, daemon=True).start()
    if not done.wait(limit_s):
        raise TimeLimitExceeded(f"no result within the time limit of {limit_s:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
