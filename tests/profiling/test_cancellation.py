"""A profile stops at its deadline (its scoring processes with it), and pool workers never outlive their parent."""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from nas_complexity.profiling import Deadline, ProfilingCancelled, profile
from nas_complexity.profiling._profile import CUT_SHORT_PROTOCOL
from nas_complexity.spaces import Categorical, SearchSpace

torch = pytest.importorskip("torch")


def _children(pid: int) -> set[int]:
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        pytest.skip("needs Linux /proc to see child processes")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def _wait_until(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_an_expired_deadline_stops_the_profile_before_any_work() -> None:
    deadline = Deadline(60)
    deadline.cancel()
    with pytest.raises(ProfilingCancelled, match="cancelled"):
        profile("nb201", performance=False, deadline=deadline)


def test_sampling_a_huge_space_stops_at_the_deadline() -> None:
    """10,000 samples of a 20,000-parameter space take minutes; the deadline stops them within a sample or two."""
    space = SearchSpace("wide", [Categorical(f"x{i}", ("a", "b")) for i in range(20_000)])
    with pytest.raises(ProfilingCancelled, match="time limit of 0.5 s"):
        profile(space, performance=False, deadline=Deadline(0.5))


def test_a_cancelled_scoring_pool_is_terminated(tmp_path) -> None:
    """The scoring processes are gone when the cancelled profile returns (they used to run to completion)."""
    before = _children(os.getpid())  # other tests' processes (e.g. a Dask cluster) are not this test's business
    deadline = Deadline(None)
    scoring: set[int] = set()

    def cancel_while_scoring() -> None:
        # Cancel once the pool's workers are running (or after 60 s), not at a fixed time that a loaded machine
        # may not have reached the scoring stage by.
        _wait_until(lambda: len(_children(os.getpid()) - before) >= 2, timeout=60)
        scoring.update(_children(os.getpid()) - before)
        time.sleep(1.0)
        deadline.cancel()

    threading.Thread(target=cancel_while_scoring, daemon=True).start()
    with pytest.raises(ProfilingCancelled):
        profile("nb201", performance=True, deadline=deadline,
                performance_options={"workers": 2, "min_archs": 2000, "max_archs": 2000})
    assert len(scoring) >= 2, "the pool never started: nothing was cancelled mid-scoring"
    assert not any(_alive(pid) for pid in scoring)  # terminated and joined before profile() returned
    assert multiprocessing.active_children() == []


_ORPHAN_SCRIPT = textwrap.dedent("""
    import sys, time
    from nas_complexity.profiling._pool import local_process_pool
    pool = local_process_pool(2)
    futures = [pool.submit(time.sleep, 120) for _ in range(2)]
    time.sleep(1.0)
    print("ready", flush=True)
    time.sleep(120)
""")


def test_pool_workers_exit_when_their_parent_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        workers = _children(parent.pid)
        assert len(workers) >= 2  # the pool's workers (and its resource tracker, where one runs)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_until(lambda: not any(_alive(pid) for pid in workers), timeout=10), "orphaned pool workers"
    finally:
        parent.kill()


_FORKSERVER_SCRIPT = textwrap.dedent("""
    import multiprocessing, time
    from nas_complexity.profiling._pool import local_process_pool
    if __name__ == "__main__":
        pool = local_process_pool(2, mp_context=multiprocessing.get_context("forkserver"))
        futures = [pool.submit(time.sleep, 120) for _ in range(2)]
        time.sleep(1.0)
        print(" ".join(str(pid) for pid in pool._processes), flush=True)
        time.sleep(120)
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_forkserver_pool_workers_exit_when_their_owner_dies(tmp_path, sig) -> None:
    """The comparison harness's pool starts workers from a forkserver, which outlived its owner; its workers ran on."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("this platform has no forkserver start method")
    script = tmp_path / "owner.py"
    script.write_text(_FORKSERVER_SCRIPT)
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        workers = {int(pid) for pid in owner.stdout.readline().split()}
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
        owner.send_signal(sig)
        owner.wait(timeout=10)
        assert _wait_until(lambda: not any(_alive(pid) for pid in workers), timeout=10), "orphaned pool workers"
    finally:
        owner.kill()


def test_killing_the_cli_leaves_no_scoring_process(tmp_path) -> None:
    """kill -9 of `nas-complexity profile nb201` while it scores: its two workers exit too."""
    env = {**os.environ, "NAS_COMPLEXITY_CACHE_DIR": str(tmp_path)}
    cli = subprocess.Popen(
        [sys.executable, "-m", "nas_complexity.cli", "profile", "nb201", "--workers", "2", "--max-archs", "2000",
         "--no-progress"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        assert _wait_until(lambda: len(_children(cli.pid)) >= 2, timeout=120), "the CLI never started its pool"
        time.sleep(1.0)  # scoring under way
        workers = _children(cli.pid)
        cli.send_signal(signal.SIGKILL)
        cli.wait(timeout=10)
        assert _wait_until(lambda: not any(_alive(pid) for pid in workers), timeout=10), "orphaned scoring workers"
    finally:
        cli.kill()


def test_a_stage_time_limit_keeps_the_rest_of_the_profile(tmp_path) -> None:
    """performance_timeout stops only the proxy scoring: the structural profile stands, and is not cached as final."""
    from nas_complexity.profiling import ProfileCache

    t0 = time.monotonic()
    cache = ProfileCache(tmp_path)
    options = {"workers": 1, "min_archs": 2000, "max_archs": 2000}
    report = cache.profile("nb201", performance=True, performance_timeout=2.0, performance_options=options)
    assert time.monotonic() - t0 < 60
    assert report.size.total == 15625 and report.performance_diversity is not None
    assert not report.performance_diversity.available and "performance_timeout=2 s" in report.performance_diversity.note
    assert report.performance_diversity.protocol == CUT_SHORT_PROTOCOL  # what the cache reads, not the wording
    assert list(tmp_path.iterdir()) == []  # a stage cut short may finish another time: nothing stored
    # The whole profile's deadline still stops everything, stage included.
    deadline = Deadline(None)
    deadline.cancel()
    with pytest.raises(ProfilingCancelled):
        profile("nb201", performance=True, performance_timeout=60, deadline=deadline, performance_options=options)


_THREADS_SCRIPT = textwrap.dedent("""
    import json, multiprocessing, os, sys
    from nas_complexity.profiling._pool import local_process_pool, stop_pool

    def threads_seen():
        import numpy  # loaded before any limit could come from the environment's variables
        from threadpoolctl import threadpool_info
        torch_threads = None
        try:
            import torch
            torch_threads = torch.get_num_threads()
        except ImportError:
            pass
        blas = sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
        return {"omp": os.environ.get("OMP_NUM_THREADS"), "torch": torch_threads, "blas": blas}

    if __name__ == "__main__":
        threads = None if sys.argv[1] == "none" else int(sys.argv[1])
        pool = local_process_pool(2, mp_context=multiprocessing.get_context("forkserver"), threads=threads)
        print(json.dumps(pool.submit(threads_seen).result()), flush=True)
        stop_pool(pool)
""")


@pytest.mark.parametrize("user_setting", [None, "3"])
def test_pool_workers_use_the_threads_they_are_given_unless_the_user_set_them(tmp_path, user_setting) -> None:
    """Two workers on two cores, each with a thread per core for PyTorch and BLAS, ran Optuna's GP 20x slower."""
    pytest.importorskip("threadpoolctl")
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("this platform has no forkserver start method")
    script = tmp_path / "threads.py"
    script.write_text(_THREADS_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                            "OPENBLAS_NUM_THREADS")}
    if user_setting is not None:
        env["OMP_NUM_THREADS"] = user_setting
    seen = json.loads(subprocess.run([sys.executable, str(script), "1"], env=env, capture_output=True, text=True,
                                     timeout=120, check=True).stdout)
    if user_setting is None:
        assert seen["omp"] == "1" and seen["torch"] in (None, 1) and seen["blas"] in ([], [1])
    else:  # kept as the user set it (PyTorch may still cap it at the cores it finds)
        assert seen["omp"] == user_setting
    # Without a thread count the pool leaves the workers' libraries alone.
    untouched = json.loads(subprocess.run([sys.executable, str(script), "none"], env=env, capture_output=True,
                                          text=True, timeout=120, check=True).stdout)
    assert untouched["omp"] == user_setting


def test_the_harness_pool_gives_each_worker_its_share_of_the_cores(monkeypatch) -> None:
    from nas_complexity.benchmarking import _harness

    given = {}
    monkeypatch.setattr(_harness, "local_process_pool", lambda n, mp_context=None, threads=None: given.update(
        n=n, threads=threads) or _harness.SerialExecutor())
    monkeypatch.setattr(_harness, "usable_cores", lambda: 8)
    _harness._default_executor(2)
    assert given == {"n": 2, "threads": 4}
    _harness._default_executor(16)
    assert given == {"n": 16, "threads": 1}
