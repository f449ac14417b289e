"""Validate the performance-diversity statistics on every jacov/accuracy set of the shared benchmark tables.

For each (benchmark, task) set with both ``jacov`` and a trained accuracy (NB201 CIFAR-10 and ImageNet16-120 on
9,445 cells, NB201 725 x 3, NB101 500, DARTS 725, NAS-Bench-360 on three spaces x three tasks, TransNAS-Bench-101
micro and macro x 7 tasks) it prints Kendall tau, Spearman, SD of the scaled jacov (with a bootstrap interval), SD
of the scaled accuracy and PDS under every scaling, then checks the figures that earlier measurements reported.
With ``--out`` it writes ``pds_validation.csv`` (one row per set and scaling) and ``pds_validation.json``.

Usage:
    python benchmarks/validate_pds.py --root ../shared/data --out /tmp/pds
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from nas_complexity.data import validation_table
from nas_complexity.metrics._performance import DEFAULT_SCALING, SCALINGS

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Figures reported before this implementation existed (design brief, data README); the script re-measures them.
REFERENCE = [
    ("kendall_tau", "nb201", "cifar10", 0.632, 0.01),
    ("kendall_tau", "nb201", "imagenet16-120", 0.600, 0.01),
    ("kendall_tau", "nb101", "cifar10", -0.339, 0.01),
    ("kendall_tau", "darts", "cifar10", -0.026, 0.01),
    ("spearman", "nb201", "cifar10", 0.82, 0.01),
    ("spearman", "nb201", "imagenet16-120", 0.78, 0.01),
    ("spearman", "nb101", "cifar10", -0.50, 0.01),
    ("spearman", "darts", "cifar10", -0.04, 0.01),
]
PDS_RANGE = (0.00, 0.32)  # clip_minmax PDS across the sets, to two decimals


def checks(table: pd.DataFrame) -> list[dict]:
    """Each reference figure beside the measured one."""
    base = table[table["scaling"] == table["scaling"].iloc[0]].set_index(["benchmark", "task"])
    out = []
    for column, benchmark, task, expected, tol in REFERENCE:
        if (benchmark, task) not in base.index:
            out.append({"check": f"{column} {benchmark}/{task}", "expected": expected, "measured": None,
                        "ok": None, "note": "table not available"})
            continue
        measured = float(base.loc[(benchmark, task), column])
        out.append({"check": f"{column} {benchmark}/{task}", "expected": expected, "measured": round(measured, 4),
                    "ok": abs(measured - expected) <= tol})
    clip = table[table["scaling"] == DEFAULT_SCALING]["pds"]
    if len(clip):
        lo, hi = round(float(clip.min()), 2), round(float(clip.max()), 2)
        out.append({"check": f"{DEFAULT_SCALING} PDS range over {len(clip)} sets", "expected": list(PDS_RANGE),
                    "measured": [lo, hi], "ok": (lo, hi) == PDS_RANGE})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="folder with the benchmark tables")
    parser.add_argument("--out", type=Path, default=None, help="folder for pds_validation.csv / .json")
    parser.add_argument("--scalings", nargs="+", default=list(SCALINGS), choices=SCALINGS)
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for the SD interval")
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        print(f"benchmark tables not found at {args.root}; pass --root", file=sys.stderr)
        return 2

    table = validation_table(args.root, scalings=args.scalings, n_boot=args.n_boot, level=args.level, seed=args.seed)
    if table.empty:
        print(f"no jacov/accuracy table under {args.root}", file=sys.stderr)
        return 2
    first = table[table["scaling"] == args.scalings[0]].set_index(["benchmark", "task"])
    wide = first[["n", "n_failed", "kendall_tau", "spearman", "sd_jc", "sd_jc_lo", "sd_jc_hi", "sd_acc"]].copy()
    wide.columns = [*wide.columns[:4], *(f"{c}[{args.scalings[0]}]" for c in wide.columns[4:])]
    for scaling in args.scalings:
        wide[f"pds[{scaling}]"] = table[table["scaling"] == scaling].set_index(["benchmark", "task"])["pds"]
    with pd.option_context("display.width", 250, "display.max_columns", 50, "display.max_rows", 200):
        print(wide.round(3).to_string())
    results = checks(table)
    print("\nCross-check against earlier measurements:")
    for item in results:
        flag = {True: "ok  ", False: "DIFF", None: "n/a "}[item["ok"]]
        print(f"  [{flag}] {item['check']}: expected {item['expected']}, measured {item['measured']}")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out / "pds_validation.csv", index=False)
        payload = {"root": str(args.root), "n_boot": args.n_boot, "level": args.level, "seed": args.seed,
                   "rows": json.loads(table.to_json(orient="records")), "checks": results}
        (args.out / "pds_validation.json").write_text(json.dumps(payload, indent=2))
        print(f"\nwrote {args.out / 'pds_validation.csv'} and {args.out / 'pds_validation.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
