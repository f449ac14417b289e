"""Search NAS-Bench-201 with Optuna, the sampler chosen by nas-complexity before the first trial.

The objective looks up the real validation accuracy of the sampled cell in the NAS-Bench-201 table (all 15,625
cells trained 200 epochs; CIFAR-10, CIFAR-100 or ImageNet16-120), so 200 trials take seconds. The advisor profiles
the space, logs its decision (one INFO line), stores it in the study and samples every trial with it. At the end
the script prints the decision, the best accuracy found and the table's optimum.

Usage:
    python examples/optuna_nb201_table.py [--root ../shared/data] [--task cifar10] [--trials 200] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import optuna

from nas_complexity.data import NB201_TASKS, arch_key, load_nb201_accuracy
from nas_complexity.integration import DECISION_KEY, STATUS_KEY, STRATEGY_KEY, ComplexityAdvisor
from nas_complexity.spaces import get_space
from nas_complexity.strategies import Decision

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="folder holding nb201/nb201_valacc_15625x3.csv.gz")
    parser.add_argument("--task", default="cifar10", choices=list(NB201_TASKS))
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("nas_complexity").setLevel(logging.INFO)  # the decision line
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    table = load_nb201_accuracy(args.root)
    accuracy = dict(zip(table["arch"], table[args.task]))
    space = get_space("nb201")

    def objective(trial: optuna.Trial) -> float:
        arch = {p.name: trial.suggest_categorical(p.name, p.values()) for p in space.all_params}
        return accuracy[arch_key(arch)]

    study = optuna.create_study(study_name=f"nb201-{args.task}", direction="maximize")
    advisor = ComplexityAdvisor("nb201", n_trials=args.trials, seed=args.seed)
    advisor.attach(study)
    study.optimize(objective, n_trials=args.trials, callbacks=[advisor])

    status = json.loads(study.user_attrs[STATUS_KEY])
    print(f"\nstrategy used: {status['strategy']} ({status['state']})")
    if DECISION_KEY in study.user_attrs:
        decision = Decision.from_json(study.user_attrs[DECISION_KEY])
        print("decision:", decision.summary())
    else:
        print("no decision: profiling failed, cause:", status.get("cause"))
    strategies = study.trials_dataframe()[f"user_attrs_{STRATEGY_KEY}"].value_counts().to_dict()
    optimum = table[args.task].max()
    best_arch = space.structures[0].arch_string(study.best_params)
    print(f"trials per strategy: {strategies}")
    print(f"best found after {len(study.trials)} trials: {study.best_value:.2f} ({best_arch})")
    print(f"table optimum ({args.task}, {len(table):,} cells): {optimum:.2f}; regret {optimum - study.best_value:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
