"""Check the evidence run's summary on fresh seeds: today's fixed strategies and the shipped advisor, pooled with the
evidence run's own seeds.

The SBS-VBS-advisor summary of ``benchmarks/evidence.py`` rests on 10 seeds per setting, and the VBS (the lowest of
five strategies' means per setting) is biased low by the noise of those means. This script runs the fixed
strategies (Optuna's GP up to ``--gp-max`` trials, as the evidence run) and the shipped advisor through the real
Optuna hook (:class:`~nas_complexity.benchmarking.AdvisorStrategy`) on seeds the evidence run did not use, and
prints per budget the SBS, the VBS and the advisor on the fresh seeds alone and pooled with the evidence folder's
seeds (the fixed strategies' per-setting means, and the advisor's leave-one-space-out regret there): the advisor's
ratio to the VBS with twice the seeds. The shipped policy's choice on the fresh seeds is the one every
leave-one-space-out refit makes, where they agree (the script says whether they do). Resumable.

Usage:
    python benchmarks/seed_check.py --data ../shared/data --evidence evidence --out evidence_seed_check --first-seed 10
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from evidence import DEFAULT_ROOT, FIXED, versus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_ROOT, help="folder of the benchmark tables")
    parser.add_argument("--evidence", type=Path, required=True, help="output folder of benchmarks/evidence.py")
    parser.add_argument("--out", type=Path, default=Path("evidence_seed_check"), help="output folder (resumable)")
    parser.add_argument("--first-seed", type=int, default=10, help="first fresh seed (default 10: the evidence "
                        "run's 10 seeds are 0-9)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", default="100", help="budgets (default 100)")
    parser.add_argument("--gp-max", type=int, default=100)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    if not (args.data / "nb201").is_dir():
        print(f"benchmark tables not found at {args.data}; pass --data", file=sys.stderr)
        return 2
    stored_fixed = args.evidence / "fixed" / "summary.csv"
    stored_advisor = args.evidence / "leave_one_space_out.csv"
    for path in (stored_fixed, stored_advisor):
        if not path.is_file():
            print(f"{path} not found: run benchmarks/evidence.py --out {args.evidence} first", file=sys.stderr)
            return 2
    import pandas as pd

    from nas_complexity.benchmarking import (
        STRATEGIES,
        AdvisorStrategy,
        BuiltinSettingRef,
        compare,
        list_settings,
    )

    started = time.perf_counter()
    budgets = tuple(int(b) for b in args.trials.split(","))
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    old_fixed = pd.read_csv(stored_fixed)
    old_advisor = pd.read_csv(stored_advisor)
    n_stored = int(old_fixed["n_seeds"].max())  # the evidence run's seeds are 0 .. n_stored - 1
    if set(seeds) & set(range(n_stored)):
        print(f"seeds {seeds[0]}-{seeds[-1]} overlap the evidence run's 0-{n_stored - 1}: pass --first-seed past them",
              file=sys.stderr)
        return 2
    refs = [BuiltinSettingRef(n, str(args.data)) for n in list_settings()]
    result = compare(refs, [*(STRATEGIES[s] for s in FIXED), AdvisorStrategy()], budgets=budgets, seeds=seeds,
                     out=args.out, workers=args.workers, progress=args.progress, max_trials={"gp": args.gp_max},
                     features=None, plots=False)
    new = result.summary
    print(f"\nmean normalised regret across settings; fresh seeds {seeds[0]}-{seeds[-1]}, and pooled with the "
          f"evidence run's seeds ({args.evidence})")
    for budget in budgets:
        fresh = new[new["budget"] == budget].pivot(index="setting", columns="strategy", values="mean_regret")
        stored = old_fixed[old_fixed["budget"] == budget].pivot(index="setting", columns="strategy",
                                                                values="mean_regret")
        fixed = [s for s in FIXED if s in fresh and s in stored and fresh[s].notna().all() and stored[s].notna().all()]
        advisor_stored = old_advisor[old_advisor["budget"] == budget].set_index("setting")
        def pooled(fresh_means, stored_means):  # per setting, the mean over both runs' seeds
            return (fresh_means * len(seeds) + stored_means.reindex(fresh.index) * n_stored) / (len(seeds) + n_stored)

        rows = {
            "fresh seeds": (fresh[fixed], fresh["advisor"]),
            "pooled": (pooled(fresh[fixed], stored[fixed]), pooled(fresh["advisor"], advisor_stored["regret"])),
        }
        for label, (table, advisor) in rows.items():
            means = table.mean().sort_values()
            sbs, vbs, mean_advisor = float(means.iloc[0]), float(table.min(axis=1).mean()), float(advisor.mean())
            print(f"  {budget:>4} trials, {label:<11}: SBS {means.index[0]} {sbs:.4f}  VBS {vbs:.4f}  advisor "
                  f"{mean_advisor:.4f} ({versus(mean_advisor, sbs, vbs)})")
        chosen = new[(new["budget"] == budget) & (new["strategy"] == "advisor")]["chosen"]
        held_out = sorted(set(advisor_stored["chosen"]))
        print(f"         the shipped advisor sampled with: {', '.join(sorted(set(chosen)))}; the leave-one-space-out "
              f"refits chose: {', '.join(held_out)}")
    print(f"\nwall time: {time.perf_counter() - started:.0f} s; outputs in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
