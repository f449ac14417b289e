"""Measure NSGA-II's population on the benchmark tables, validated leave-one-space-out.

Runs Optuna's ``NSGAIISampler`` with every population of :data:`POPULATIONS` (50 is Optuna's default, the fixed
strategy of every comparison) on every shared setting (10 seeds; one run to the largest budget gives the smaller
ones as its prefix, since the sampler does not know the budget), and prints per budget the mean normalised regret
of each population, the advisor's population for NSGA-II at that budget
(:func:`nas_complexity.strategies.nsga2_parameters`, which quotes this script's figures) and, leave-one-space-out,
the population chosen on the other space groups scored on the held-out one. The tables are single-objective, so
this measures NSGA-II as an evolution without aging; the advisor runs it for multi-objective studies.
Resumable: runs already in ``OUT/runs.jsonl`` are read back.

Usage:
    python benchmarks/nsga2_tuning.py [--data ../shared/data] [--out evidence_nsga2] [--seeds 10]
"""
from __future__ import annotations

import sys

from _tuning import Variants, parse_args, tables_missing

POPULATIONS = (5, 10, 20, 50)
"""Populations compared; 50 is Optuna's default."""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv, __doc__, out="evidence_nsga2", trials="25,100,300")
    if tables_missing(args):
        return 2
    from nas_complexity.benchmarking import NSGA2Strategy
    from nas_complexity.strategies import nsga2_parameters

    strategies = [NSGA2Strategy(population_size=p) for p in POPULATIONS]
    population_of = {s.name: s.population_size for s in strategies}
    run = Variants(args, strategies)
    print(f"mean normalised regret over {len(run.groups)} settings, {args.seeds} seeds "
          "(rows: population; * the advisor's population for that budget)")
    table = run.summary.pivot_table(index="strategy", columns="budget", values="mean_regret", aggfunc="mean")
    table.index = table.index.map(population_of)
    table = table.sort_index()
    shown = table.map(lambda v: f"{v:.4f}")
    for budget in run.budgets:
        chosen = nsga2_parameters(budget)[0]
        if chosen in shown.index:
            shown.loc[chosen, budget] += "*"
        else:
            print(f"  {budget} trials: the advisor's population {chosen} is not in the grid")
    print(shown.to_string())
    print("\nleave-one-space-out: the population chosen on the other space groups, scored on the held-out one")
    for budget in run.budgets:
        print(run.held_out_line(budget, "Optuna's default 50", table.loc[50, budget], label=population_of.get))
    print(f"\nwall time: {run.seconds():.0f} s; outputs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
