"""Measure the discrete GP's own parameters on the benchmark tables, validated leave-one-space-out.

Runs :class:`nas_complexity.integration.DiscreteGPSampler` with its defaults and with one parameter changed at a
time (:data:`VARIANTS`) on every shared setting (10 seeds; one run to the largest budget gives the smaller ones as
its prefix, since the sampler does not know the budget), and prints per budget the mean normalised regret of
each variant and, leave-one-space-out, the variant chosen on the other space groups scored on the held-out one.
The README's "The evidence behind the advisor" quotes its figures. Resumable: runs already in ``OUT/runs.jsonl``
are read back.

Usage:
    python benchmarks/discrete_gp_tuning.py [--data ../shared/data] [--out evidence_discrete_gp] [--seeds 10]
"""
from __future__ import annotations

import sys

from _tuning import Variants, parse_args, tables_missing

VARIANTS: tuple[dict[str, int], ...] = ({}, {"n_startup_trials": 5}, {"n_parents": 20}, {"refit_every": 1})
"""The defaults (``{}``: 10 startup trials, 10 parents, a fit every 10 trials) and one change each."""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv, __doc__, out="evidence_discrete_gp", trials="25,100")
    if tables_missing(args):
        return 2
    from nas_complexity.benchmarking import DiscreteGPStrategy

    strategies = [DiscreteGPStrategy(**options) for options in VARIANTS]
    run = Variants(args, strategies)
    print(f"mean normalised regret over {len(run.groups)} settings, {args.seeds} seeds (the first row: the defaults)")
    table = run.summary.pivot_table(index="strategy", columns="budget", values="mean_regret", aggfunc="mean")
    print(table.reindex([s.name for s in strategies]).round(4).to_string())
    print("\nleave-one-space-out: the variant chosen on the other space groups, scored on the held-out one")
    for budget in run.budgets:
        print(run.held_out_line(budget, "defaults", table.loc[strategies[0].name, budget]))
    print(f"\nwall time: {run.seconds():.0f} s; outputs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
