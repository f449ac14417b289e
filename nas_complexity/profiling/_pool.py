"""The local process pool that scores architectures: its workers never outlive the process that started them.

A ``ProcessPoolExecutor`` worker waits on a queue whose writing end it inherited itself, so when its parent is
killed (``kill -9``, the kernel's out-of-memory killer) it never sees end-of-file and idles forever, holding the
memory of its last network. Each worker here watches the process that made the pool (and its own parent)
and exits when it is gone. A pool can
also be stopped at once (pending work cancelled, workers terminated), which a time limit needs: shutting down
normally would wait for the chunks already running.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from multiprocessing.context import BaseContext

__all__ = ["PARENT_CHECK_S", "local_process_pool", "stop_pool", "usable_cores"]

PARENT_CHECK_S = 0.5
"""How often a worker checks that its parent is alive (it exits within about this long after the parent dies)."""


def usable_cores() -> int:
    """The cores this process may run on (respects taskset and container CPU sets), not the machine's total.

    Example:
        >>> usable_cores() >= 1
        True
    """
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - macOS and Windows
        return os.cpu_count() or 1


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process took the number
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            # The state follows the parenthesised command name, which may itself hold spaces or parentheses.
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):  # no /proc (macOS): the signal test above is all there is
        return True


def _watch_owner(owner_pid: int) -> None:
    # The pool's owner is named explicitly: with forkserver or spawn a worker's parent is a helper process that may
    # outlive the owner (a forkserver stays while its workers do), so the parent alone is not enough to watch.
    parent_pid = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_S)
            # Re-parented (to init or a subreaper), or the owner is gone: nobody will read this worker's results.
            if os.getppid() != parent_pid or not _alive(owner_pid):
                os._exit(0)

    threading.Thread(target=watch, name="nas_complexity-owner-watch", daemon=True).start()


def local_process_pool(max_workers: int, mp_context: BaseContext | None = None,
                       threads: int | None = None) -> ProcessPoolExecutor:
    """A process pool whose workers exit when this process dies (``mp_context``: how they start; default fork).

    With ``threads``, each worker's numerical libraries (PyTorch's and OpenMP's threads, the BLAS libraries') use
    that many threads, unless the user's environment sets ``OMP_NUM_THREADS``: a worker per core whose libraries
    each start a thread per core oversubscribes the machine, and OpenMP threads waiting on each other then spin
    (Optuna's ``GPSampler`` slows down many times over: ``benchmarks/harness_speed.py --gp-seeds 2`` prints the
    ratio, the README quotes it).

    Example:
        >>> pool = local_process_pool(1, threads=1)
        >>> pool.submit(sum, [1, 2]).result()
        3
        >>> stop_pool(pool)
    """
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=mp_context, initializer=_start_worker,
                               initargs=(os.getpid(), threads))


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _start_worker(owner_pid: int, threads: int | None) -> None:
    _watch_owner(owner_pid)
    if threads is None or "OMP_NUM_THREADS" in os.environ:  # the user's own setting wins
        return
    for variable in _THREAD_VARIABLES:  # read by the libraries a task imports later (PyTorch: at its import)
        os.environ[variable] = str(threads)
    if "torch" in sys.modules:  # already imported (a fork of a process that had it): set it directly
        sys.modules["torch"].set_num_threads(threads)
    try:  # BLAS libraries already loaded (NumPy's) read no environment any more
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=threads)


def stop_pool(executor: Executor) -> None:
    """Cancel what has not started and stop a process pool's workers now, without waiting for running work."""
    # The standard library can only terminate workers from Python 3.14 on (terminate_workers): before that,
    # the pool's own process table is the way to reach them.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    manager = getattr(executor, "_executor_manager_thread", None)  # shutdown() forgets it
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    # The pool's manager thread reaps the terminated workers too: a worker reaped there while this thread waits
    # on it is not yet marked stopped here, so wait for that thread first (it ends once every worker is joined).
    if manager is not None:
        manager.join(timeout=5)
    for process in processes:
        process.join(timeout=5)
