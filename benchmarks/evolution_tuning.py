"""Tune regularized evolution's population and tournament from the benchmark tables, validated leave-one-space-out.

Runs the project's evolution sampler with every (population, tournament) pair of a grid on every shared setting
(10 seeds, budgets 25, 100 and 300 trials; a run to 300 trials gives the smaller budgets as its prefix, since the
sampler does not know the budget), and prints for each budget:

* the mean normalised regret of every pair over all settings, with the advisor's shipped choice marked;
* leave-one-space-out: for each space group, the pair with the lowest mean regret on the *other* groups, scored
  on the held-out group; the mean over all settings of these held-out choices beside the shipped choice and the
  fixed population 20 / tournament 5.

The advisor's evolution parameters (:func:`nas_complexity.strategies.evolution_parameters`) quote this script's
figures. Resumable: runs already in ``OUT/runs.jsonl`` are read back.

Usage:
    python benchmarks/evolution_tuning.py [--data ../shared/data] [--out evidence_evolution] [--seeds 10]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data"
GRID = ((5, 3), (5, 5), (10, 3), (10, 5), (10, 7), (10, 10), (15, 5), (20, 5), (20, 8), (20, 10), (20, 15),
        (30, 8), (40, 10), (40, 20))
"""(population, tournament) pairs compared; (20, 5) is the design's fixed setting."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_ROOT, help="folder of the benchmark tables")
    parser.add_argument("--out", type=Path, default=Path("evidence_evolution"), help="output folder (resumable)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", default="25,100,300", help="budgets (default 25,100,300)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)

    import pandas as pd

    from nas_complexity.benchmarking import (
        BuiltinSettingRef,
        RegularizedEvolutionStrategy,
        compare,
        list_settings,
        load_setting,
    )
    from nas_complexity.strategies import evolution_parameters

    if not (args.data / "nb201").is_dir():
        print(f"benchmark tables not found at {args.data}; pass --data", file=sys.stderr)
        return 2
    started = time.perf_counter()
    names = list_settings()
    budgets = tuple(int(b) for b in args.trials.split(","))
    groups = {n: load_setting(n, str(args.data), missing="prune").space_group for n in names}
    strategies = [RegularizedEvolutionStrategy(p, t) for p, t in GRID]
    pair_of = {s.name: (s.population_size, s.sample_size) for s in strategies}
    comparison = compare([BuiltinSettingRef(n, str(args.data)) for n in names], strategies, budgets=budgets,
                         seeds=args.seeds, out=args.out, workers=args.workers, progress=args.progress,
                         features=None, plots=False)
    summary = comparison.summary
    summary = summary.assign(pair=summary["strategy"].map(pair_of), group=summary["setting"].map(groups))
    pd.set_option("display.width", 200)
    fixed = (RegularizedEvolutionStrategy.DEFAULT_POPULATION, RegularizedEvolutionStrategy.DEFAULT_TOURNAMENT)
    print(f"mean normalised regret over {len(names)} settings, {args.seeds} seeds "
          "(rows: population/tournament; * the advisor's choice for that budget)")
    table = summary.pivot_table(index="pair", columns="budget", values="mean_regret", aggfunc="mean")
    shown = table.copy().map(lambda v: f"{v:.4f}")
    for budget in budgets:
        chosen = evolution_parameters(budget)[:2]
        if chosen in shown.index:
            shown.loc[[chosen], budget] = shown.loc[[chosen], budget] + "*"
        else:
            print(f"  {budget} trials: the advisor's choice {chosen} is not in the grid")
    shown.index = [f"{p}/{t}" for p, t in shown.index]
    print(shown.to_string())

    print("\nleave-one-space-out: the pair chosen on the other space groups, scored on the held-out one")
    rows = []
    for budget in budgets:
        at = summary[summary["budget"] == budget]
        held = []
        for group in sorted(set(groups.values())):
            train = at[at["group"] != group].groupby("pair")["mean_regret"].mean()
            best = min(train.index, key=lambda pair: (train[pair], pair))
            test = at[(at["group"] == group) & (at["pair"] == best)]
            held.extend(test["mean_regret"].tolist())
            rows.append({"budget": budget, "held_out": group, "chosen": f"{best[0]}/{best[1]}"})
        per_pair = at.groupby("pair")["mean_regret"].mean()
        chosen = evolution_parameters(budget)[:2]
        shipped = per_pair.get(chosen, float("nan"))
        print(f"  {budget:>4} trials: held-out choices {sum(held) / len(held):.4f}  shipped "
              f"{chosen[0]}/{chosen[1]} {shipped:.4f}  fixed {fixed[0]}/{fixed[1]} {per_pair[fixed]:.4f}  "
              f"(shipped / fixed = {shipped / per_pair[fixed]:.2f})")
    print(pd.DataFrame(rows).pivot(index="held_out", columns="budget", values="chosen").to_string())
    print(f"\nwall time: {time.perf_counter() - started:.0f} s; outputs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
