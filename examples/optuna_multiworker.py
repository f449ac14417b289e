"""Several worker processes on one Optuna study: one profile, one decision, every trial with the same strategy.

The pattern that works with every Optuna storage: **create the study once, then start the workers**, each of which
loads it (``load_if_exists=True``) and attaches its own ComplexityAdvisor. (Starting several processes that all
call ``optuna.create_study`` on a fresh SQLite file races inside Optuna's table creation, and most of them die.)
The first worker to take the hook's lock profiles the space; the others wait for its stored decision.

The objective scores a NAS-Bench-201 cell by a cheap deterministic rule, so the example needs no benchmark table.

Usage:
    python examples/optuna_multiworker.py [--storage sqlite:///multiworker.db] [--workers 4] [--trials 20]
    python examples/optuna_multiworker.py --storage postgresql://user@127.0.0.1:5432/db
"""
from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import uuid

import optuna

from nas_complexity.integration import STATUS_KEY, STRATEGY_KEY, ComplexityAdvisor

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ("0_1", "0_2", "1_2", "0_3", "1_3", "2_3")


def objective(trial: optuna.Trial) -> float:
    ops = [trial.suggest_categorical(f"cell/{edge}", OPS) for edge in EDGES]
    return sum(op == "nor_conv_3x3" for op in ops) + 0.5 * sum(op == "skip_connect" for op in ops[:3])


def worker(storage: str, study_name: str, n_trials: int, total_trials: int, n_workers: int, seed: int) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(processName)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("nas_complexity").setLevel(logging.INFO)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=study_name, storage=storage, load_if_exists=True)
    ComplexityAdvisor("nb201", n_trials=total_trials, n_workers=n_workers, seed=seed, seconds_per_trial=0.01).attach(study)
    study.optimize(objective, n_trials=n_trials)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--storage", default="sqlite:///multiworker.db", help="an Optuna RDB URL")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--trials", type=int, default=20, help="trials per worker")
    args = parser.parse_args(argv)

    name = f"multiworker-{uuid.uuid4().hex[:8]}"
    optuna.create_study(study_name=name, storage=args.storage, direction="maximize")  # once, before the workers
    total = args.workers * args.trials
    procs = [
        multiprocessing.Process(target=worker, args=(args.storage, name, args.trials, total, args.workers, seed))
        for seed in range(args.workers)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    study = optuna.load_study(study_name=name, storage=args.storage)
    status = json.loads(study.user_attrs[STATUS_KEY])
    strategies = {t.user_attrs.get(STRATEGY_KEY) for t in study.trials}
    print(f"study {name}: {len(study.trials)} trials by {args.workers} workers; decided by worker "
          f"{status['host']}:{status['pid']}: {status['strategy']}; strategies on trials: {sorted(strategies)}; "
          f"best value {study.best_value}")
    return 0 if all(p.exitcode == 0 for p in procs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
