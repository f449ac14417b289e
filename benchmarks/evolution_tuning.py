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

import sys

from _tuning import Variants, parse_args, tables_missing

GRID = ((5, 3), (5, 5), (10, 3), (10, 5), (10, 7), (10, 10), (15, 5), (20, 5), (20, 8), (20, 10), (20, 15),
        (30, 8), (40, 10), (40, 20))
"""(population, tournament) pairs compared; (20, 5) is the design's fixed setting."""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv, __doc__, out="evidence_evolution", trials="25,100,300")
    if tables_missing(args):
        return 2
    import pandas as pd

    from nas_complexity.benchmarking import RegularizedEvolutionStrategy
    from nas_complexity.strategies import evolution_parameters

    strategies = [RegularizedEvolutionStrategy(p, t) for p, t in GRID]
    pair_of = {s.name: (s.population_size, s.sample_size) for s in strategies}
    run = Variants(args, strategies)
    summary = run.summary.assign(pair=run.summary["strategy"].map(pair_of))
    pd.set_option("display.width", 200)
    fixed = (RegularizedEvolutionStrategy.DEFAULT_POPULATION, RegularizedEvolutionStrategy.DEFAULT_TOURNAMENT)
    print(f"mean normalised regret over {len(run.groups)} settings, {args.seeds} seeds "
          "(rows: population/tournament; * the advisor's choice for that budget)")
    table = summary.pivot_table(index="pair", columns="budget", values="mean_regret", aggfunc="mean")
    shown = table.copy().map(lambda v: f"{v:.4f}")
    for budget in run.budgets:
        chosen = evolution_parameters(budget)[:2]
        if chosen in shown.index:
            shown.loc[[chosen], budget] = shown.loc[[chosen], budget] + "*"
        else:
            print(f"  {budget} trials: the advisor's choice {chosen} is not in the grid")
    shown.index = [f"{p}/{t}" for p, t in shown.index]
    print(shown.to_string())

    print("\nleave-one-space-out: the pair chosen on the other space groups, scored on the held-out one")
    rows = []
    for budget in run.budgets:
        held = run.held_out(budget)
        rows += [{"budget": budget, "held_out": g, "chosen": "{}/{}".format(*pair_of[c])}
                 for g, c in zip(held["group"], held["chosen"])]
        per_pair = table[budget]
        chosen = evolution_parameters(budget)[:2]
        shipped = per_pair.get(chosen, float("nan"))
        print(f"  {budget:>4} trials: held-out choices {held['regret'].mean():.4f}  shipped "
              f"{chosen[0]}/{chosen[1]} {shipped:.4f}  fixed {fixed[0]}/{fixed[1]} {per_pair[fixed]:.4f}  "
              f"(shipped / fixed = {shipped / per_pair[fixed]:.2f})")
    chosen_table = pd.DataFrame(rows).drop_duplicates(["budget", "held_out"])
    print(chosen_table.pivot(index="held_out", columns="budget", values="chosen").to_string())
    print(f"\nwall time: {run.seconds():.0f} s; outputs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
