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

import argparse
import sys
import time
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data"
VARIANTS: tuple[dict[str, int], ...] = ({}, {"n_startup_trials": 5}, {"n_parents": 20}, {"refit_every": 1})
"""The defaults (``{}``: 10 startup trials, 10 parents, a fit every 10 trials) and one change each."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_ROOT, help="folder of the benchmark tables")
    parser.add_argument("--out", type=Path, default=Path("evidence_discrete_gp"), help="output folder (resumable)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", default="25,100", help="budgets (default 25,100)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)

    from nas_complexity.benchmarking import (
        BuiltinSettingRef,
        DiscreteGPStrategy,
        compare,
        list_settings,
        load_setting,
    )

    if not (args.data / "nb201").is_dir():
        print(f"benchmark tables not found at {args.data}; pass --data", file=sys.stderr)
        return 2
    started = time.perf_counter()
    names = list_settings()
    budgets = tuple(int(b) for b in args.trials.split(","))
    groups = {n: load_setting(n, str(args.data), missing="prune").space_group for n in names}
    strategies = [DiscreteGPStrategy(**options) for options in VARIANTS]
    comparison = compare([BuiltinSettingRef(n, str(args.data)) for n in names], strategies, budgets=budgets,
                         seeds=args.seeds, out=args.out, workers=args.workers, progress=args.progress,
                         features=None, plots=False)
    summary = comparison.summary.assign(group=lambda t: t["setting"].map(groups))
    print(f"mean normalised regret over {len(names)} settings, {args.seeds} seeds (the first row: the defaults)")
    table = summary.pivot_table(index="strategy", columns="budget", values="mean_regret", aggfunc="mean")
    print(table.reindex([s.name for s in strategies]).round(4).to_string())
    print("\nleave-one-space-out: the variant chosen on the other space groups, scored on the held-out one")
    for budget in budgets:
        at = summary[summary["budget"] == budget]
        held, chosen = [], []
        for group in sorted(set(groups.values())):
            train = at[at["group"] != group].groupby("strategy")["mean_regret"].mean()
            best = min(train.index, key=lambda name: (train[name], name))
            held.extend(at[(at["group"] == group) & (at["strategy"] == best)]["mean_regret"].tolist())
            chosen.append(f"{group}: {best}")
        defaults = at[at["strategy"] == strategies[0].name]["mean_regret"].mean()
        print(f"  {budget:>4} trials: held-out choices {sum(held) / len(held):.4f}, defaults {defaults:.4f} "
              f"({'; '.join(chosen)})")
    print(f"\nwall time: {time.perf_counter() - started:.0f} s; outputs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
