"""Replay the faults that used to freeze, mislead or disable a study, and measure how each ends now.

Every case runs in its own process (so that its peak memory is its own) and prints one row: the configured time
limit, the seconds to a decision or a fallback, how far past the limit that was, the peak resident memory of the
case's process tree, and how many processes the case left running. Targets: no case more than 2 s past its
limit, no process left.

Cases:

* ``wide-int``, ``wide-float``, ``wide-nni``: the hook (or the profile) on ``IntDistribution(0, 2**63 - 1)``, a
  float step of 1e-12, and NNI ``randint [0, 10**30]`` (used to be listed value by value: 9.5 GB, no trial).
* ``corrupt-cache``: a cache entry of random bytes for the hook's space (used to disable the hook for good).
* ``killed-profiler-<point>``: a worker is killed (SIGKILL) before stamping its lock, while profiling, or before
  storing the status; a second worker must decide (used to wait ``wait_timeout`` and fall back).
* ``killed-cli``: ``kill -9`` of ``nas-complexity profile nb201`` while it scores; its workers must exit.
* ``timed-out-performance``: ``performance=True`` with ``profile_timeout=5``: the scoring pool must stop.
* ``params-100k``: building a space of 100,000 parameters (quadratic before), then the hook on it with a limit.
* ``nbnlp-sampling``: drawing 1,000 NAS-Bench-NLP cells (the speed a unit test used to assert).

Usage:
    python benchmarks/robustness.py [--cases wide-int,killed-cli,...]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

CASES: dict[str, Callable[[], dict[str, Any]]] = {}


def case(fn: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    CASES[fn.__name__.replace("_", "-")] = fn
    return fn


# ------------------------------------------------------------------------------------------ helpers
def _children(pid: int) -> set[int]:
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        status = Path(f"/proc/{pid}/status").read_text()
    except (ProcessLookupError, OSError):
        return False
    return "zombie" not in status


def _hook_study(space: Any, limit: float, **advisor_kwargs: Any) -> dict[str, Any]:
    """Attach the advisor to a fresh study and run one trial: seconds until the trial ran, and the outcome."""
    import optuna

    from nas_complexity.integration import ComplexityAdvisor

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study()
    advisor = ComplexityAdvisor(space, n_trials=50, profile_timeout=limit, **advisor_kwargs)
    advisor.attach(study)
    t0 = time.perf_counter()
    study.optimize(lambda trial: 0.0, n_trials=1)
    seconds = time.perf_counter() - t0
    status = json.loads(study.user_attrs["nas_complexity.status"])
    return {"limit_s": limit, "seconds": seconds, "outcome": status["state"] + ": " + status["strategy"]}


def _wide(distribution: Any, name: str) -> dict[str, Any]:
    return _hook_study({name: distribution}, 5.0, cache=False)


# -------------------------------------------------------------------------------------------- cases
@case
def wide_int() -> dict[str, Any]:
    from optuna.distributions import IntDistribution

    return _wide(IntDistribution(0, 2**63 - 1), "seed")


@case
def wide_float() -> dict[str, Any]:
    from optuna.distributions import FloatDistribution

    return _wide(FloatDistribution(0.0, 1.0, step=1e-12), "x")


@case
def wide_nni() -> dict[str, Any]:
    return _hook_study({"n": {"_type": "randint", "_value": [0, 10**30]},
                        "x": {"_type": "quniform", "_value": [0, 1, 1e-12]}}, 5.0, cache=False)


@case
def corrupt_cache() -> dict[str, Any]:
    from nas_complexity.profiling import ProfileCache

    folder = Path(tempfile.mkdtemp())
    ProfileCache(folder).profile("nb201", seed=0, performance=False, performance_options=None)
    for entry in folder.glob("*.json"):
        entry.write_bytes(os.urandom(4096))
    result = _hook_study("nb201", 30.0, cache=folder)
    repaired = all(json.loads(e.read_text())["space"] == "nb201" for e in folder.glob("*.json"))
    result["outcome"] += "; entry rewritten" if repaired else "; entry NOT rewritten"
    return result


_WORKER = """
import json, os, signal, sys, time
import optuna
from nas_complexity.integration import ComplexityAdvisor, _optuna_decision_store
from nas_complexity.integration._optuna_storage import STATUS_KEY, StudyLock
from nas_complexity.profiling import profile
url, point = sys.argv[1], sys.argv[2]
optuna.logging.set_verbosity(optuna.logging.ERROR)
_optuna_decision_store._LOCK_TTL_S = 3.0
die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
study = optuna.load_study(study_name="s", storage=url)
if point == "before-stamp":
    StudyLock._beat = die
elif point == "before-status":
    set_attr = study.set_user_attr
    study.set_user_attr = lambda k, v: die() if k == STATUS_KEY else set_attr(k, v)
def profiler(space):
    if point == "profiling":
        time.sleep(1.0)
        die()
    return profile(space, performance=False)
ComplexityAdvisor("nb201", n_trials=20, profiler=profiler).attach(study)
t0 = time.perf_counter()
study.optimize(lambda t: 0.0, n_trials=1)
print(json.dumps({"seconds": time.perf_counter() - t0, "status": json.loads(study.user_attrs[STATUS_KEY])}))
"""


def _killed_profiler(point: str) -> dict[str, Any]:
    import optuna

    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'study.db'}"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.create_study(study_name="s", storage=url)
    doomed = subprocess.run([sys.executable, "-c", _WORKER, url, point], capture_output=True, text=True, timeout=120)
    assert doomed.returncode == -signal.SIGKILL, doomed.stderr
    survivor = subprocess.run([sys.executable, "-c", _WORKER, url, "never"], capture_output=True, text=True, timeout=120)
    out = json.loads(survivor.stdout.strip().splitlines()[-1])
    # The survivor's limit: the dead holder's lock TTL (3 s) or, for an unstamped lock, the 2 s stamp grace.
    return {"limit_s": 3.0, "seconds": out["seconds"],
            "outcome": f"{out['status']['state']}: {out['status']['strategy']} by the survivor"}


@case
def killed_profiler_before_stamp() -> dict[str, Any]:
    return _killed_profiler("before-stamp")


@case
def killed_profiler_profiling() -> dict[str, Any]:
    return _killed_profiler("profiling")


@case
def killed_profiler_before_status() -> dict[str, Any]:
    return _killed_profiler("before-status")


@case
def killed_cli() -> dict[str, Any]:
    env = {**os.environ, "NAS_COMPLEXITY_CACHE_DIR": tempfile.mkdtemp()}
    cli = subprocess.Popen([sys.executable, "-m", "nas_complexity.cli", "profile", "nb201", "--workers", "2",
                            "--max-archs", "2000", "--no-progress"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    end = time.monotonic() + 120
    while len(_children(cli.pid)) < 2 and time.monotonic() < end:
        time.sleep(0.1)
    time.sleep(1.0)
    workers = _children(cli.pid)
    cli.send_signal(signal.SIGKILL)
    cli.wait()
    t0 = time.perf_counter()
    while any(_alive(p) for p in workers) and time.perf_counter() - t0 < 30:
        time.sleep(0.05)
    left = sum(_alive(p) for p in workers)
    return {"limit_s": 0.0, "seconds": time.perf_counter() - t0, "left": left,
            "outcome": f"{len(workers)} workers of the killed CLI, {left} still running"}


@case
def timed_out_performance() -> dict[str, Any]:
    result = _hook_study("nb201", 5.0, cache=False, performance=True,
                         performance_options={"workers": 2, "min_archs": 2000, "max_archs": 2000})
    return result


@case
def params_100k() -> dict[str, Any]:
    from nas_complexity.spaces import Categorical, SearchSpace

    t0 = time.perf_counter()
    space = SearchSpace("wide", [Categorical(f"x{i}", ("a", "b")) for i in range(100_000)])
    built = time.perf_counter() - t0
    result = _hook_study(space, 5.0, cache=False)
    result["outcome"] += f"; space built in {built:.2f} s"
    return result


@case
def nbnlp_sampling() -> dict[str, Any]:
    from nas_complexity.spaces import get_space

    space = get_space("nbnlp")
    t0 = time.perf_counter()
    space.sample(seed=0, n=1000)
    return {"limit_s": None, "seconds": time.perf_counter() - t0, "outcome": "1,000 NAS-Bench-NLP cells sampled"}


# ------------------------------------------------------------------------------------------- driver
def _run_one(name: str) -> None:
    result = CASES[name]()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["peak_mb"] = max(own, kids) / 1024
    result.setdefault("left", len(_children(os.getpid())))
    print(json.dumps(result))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names (default: all)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _run_one(args.one)
        return 0
    names = [c for c in args.cases.split(",") if c]
    unknown = [c for c in names if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; accepted: {', '.join(CASES)}")
    print(f"{'case':<32}{'limit s':>8}{'to decision s':>15}{'past limit s':>13}{'peak MB':>9}{'left':>6}  outcome")
    worst_over, leftovers = 0.0, 0
    for name in names:
        proc = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            print(f"{name:<32} FAILED: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        limit = r.get("limit_s")
        over = None if limit is None else max(0.0, r["seconds"] - limit)
        worst_over = max(worst_over, over or 0.0)
        leftovers += r["left"]
        print(f"{name:<32}{'-' if limit is None else f'{limit:g}':>8}{r['seconds']:>15.2f}"
              f"{'-' if over is None else f'{over:.2f}':>13}{r['peak_mb']:>9.0f}{r['left']:>6}  {r['outcome']}")
    print(f"\nworst time past a limit: {worst_over:.2f} s (target <= 2 s); processes left running: {leftovers} (target 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
