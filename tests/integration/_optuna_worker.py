"""One worker of a study shared by several processes, each with its own ComplexityAdvisor.

Run by tests/integration/test_optuna_hook.py (not collected by pytest). Every call of the profiler appends this
process's id to ``--marker``, so the test can count how many workers profiled. Prints, as its last stdout line,
the strategy this worker sampled with.

    python _optuna_worker.py --storage sqlite:///s.db --study s --marker m.txt --n-trials 8 --total-trials 24
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time

import optuna

from nas_complexity.integration import ComplexityAdvisor
from nas_complexity.profiling import profile
from nas_complexity.strategies import FamilyRule

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


def objective(trial: optuna.Trial) -> float:
    """Cheap and deterministic: 3x3 convolutions add, pooling on the last edges costs a little."""
    ops = [trial.suggest_categorical(f"edge{i}", OPS) for i in range(6)]
    return sum(op == "nor_conv_3x3" for op in ops) - 0.5 * sum(op == "avg_pool_3x3" for op in ops[3:])


DEATHS = ("never", "before-stamp", "profiling", "before-status")


def _die() -> None:
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _inject_death(point: str, study: optuna.Study) -> None:
    """Arrange for this process to be killed (SIGKILL, as by kill -9) at ``point``."""
    if point == "before-stamp":  # the lock study exists, its heartbeat was never written
        from nas_complexity.integration._optuna_storage import StudyLock

        StudyLock._beat = lambda self, lock_id, count: _die()
    elif point == "before-status":  # profile and decision stored, the status that publishes them not yet
        from nas_complexity.integration._optuna_storage import STATUS_KEY

        set_user_attr = study.set_user_attr
        study.set_user_attr = lambda key, value: _die() if key == STATUS_KEY else set_user_attr(key, value)


def storage_of(url: str):
    if url.startswith("journal:"):
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(url[len("journal:"):]))
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--storage", required=True, help="an RDB URL or journal:<path>")
    parser.add_argument("--study", required=True)
    parser.add_argument("--marker", required=True, help="file each profiler call appends a line to")
    parser.add_argument("--n-trials", type=int, required=True, help="trials of this worker")
    parser.add_argument("--total-trials", type=int, required=True, help="trials of all workers together")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--start-at", type=float, default=0.0, help="time.time() at which to start (a barrier)")
    parser.add_argument("--profile-delay", type=float, default=0.5, help="extra seconds the profile takes")
    parser.add_argument("--die-at", choices=DEATHS, default="never",
                        help="kill -9 this process at that point of taking the decision (fault injection)")
    parser.add_argument("--lock-ttl", type=float, help="seconds without heartbeat after which this worker's lock is dead")
    args = parser.parse_args(argv)
    if args.lock_ttl is not None:
        from nas_complexity.integration import _optuna_decision_store

        _optuna_decision_store._LOCK_TTL_S = args.lock_ttl

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=f"{os.getpid()} %(levelname)s %(name)s: %(message)s")
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def counted_profile(space):
        with open(args.marker, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
        time.sleep(args.profile_delay)  # keeps the other workers' first trials inside the profiling window
        if args.die_at == "profiling":
            _die()
        return profile(space, performance=False)

    study = optuna.load_study(study_name=args.study, storage=storage_of(args.storage))
    _inject_death(args.die_at, study)
    # One fixed rule (TPE, constant_liar for parallel workers): the test is of the hook, not of the shipped policy.
    rules = (FamilyRule("tpe-for-the-hook-tests", (), "bayesian", "tpe", "tests of the hook's machinery"),)
    advisor = ComplexityAdvisor(
        "nb201", n_trials=args.total_trials, n_workers=args.workers, seconds_per_trial=1.0,
        seed=args.seed, profiler=counted_profile, rules=rules,
    )
    advisor.attach(study)
    time.sleep(max(0.0, args.start_at - time.time()))
    study.optimize(objective, n_trials=args.n_trials, callbacks=[advisor])
    print(advisor.strategy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
