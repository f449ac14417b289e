"""How long the comparison harness takes: 4 cheap strategies x 10 seeds x 300 trials on NB201 CIFAR-10, 2 processes.

The target is 10 minutes for this grid (40 runs of 300 trials), so that a full comparison over the shared tables
stays a matter of hours on a laptop. The strategies are random, TPE, regularized evolution and the advisor through
the real Optuna hook (at 300 trials on NB201 it chooses regularized evolution; each worker profiles the space once,
inside its first advisor run). The table is ``TabularObjective.from_benchmark(root, "nb201", "cifar10")``, reached
through the settings API (``load_setting("nb201/cifar10", root)``), so each worker loads it once from disk.

Usage:
    python benchmarks/harness_speed.py --root ../shared/data
    python benchmarks/harness_speed.py --root ../shared/data --seeds 2 --trials 100     # a quicker check

Prints the wall time against the target, the sampler seconds per trial of each strategy (from ``timing.csv``) and
the mean normalised regret at the budget. Runs go to a fresh temporary folder unless ``--out`` is given (a folder
holding finished runs would be resumed, and then nothing is timed).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"
STRATEGIES = ("random", "tpe", "regularized_evolution", "advisor")
TARGET_SECONDS = 600.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="folder of the benchmark tables")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=300, help="the one budget (default 300)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: a fresh temporary one)")
    parser.add_argument("--progress", action="store_true", help="show the progress bar")
    args = parser.parse_args(argv)
    if not (args.root / "nb201").is_dir():
        print(f"benchmark tables not found at {args.root}; pass --root", file=sys.stderr)
        return 2

    import pandas as pd

    from nas_complexity.benchmarking import BuiltinSettingRef, compare

    out = args.out or Path(tempfile.mkdtemp(prefix="harness-speed-"))
    setting = BuiltinSettingRef("nb201/cifar10", str(args.root))
    start = time.perf_counter()
    result = compare([setting], list(STRATEGIES), budgets=(args.trials,), seeds=args.seeds, out=out,
                     workers=args.workers, progress=args.progress)
    wall = time.perf_counter() - start

    runs = len(STRATEGIES) * args.seeds
    verdict = "within" if wall <= TARGET_SECONDS else "OVER"
    print(f"{runs} runs ({len(STRATEGIES)} strategies x {args.seeds} seeds x {args.trials} trials) on nb201/cifar10, "
          f"{args.workers} processes: {wall:.1f} s wall ({result.executed} executed, {result.skipped} read back); "
          f"target {TARGET_SECONDS:.0f} s: {verdict} ({wall / TARGET_SECONDS:.0%} of it)")
    table = result.summary[["strategy", "mean_regret", "ci_low", "ci_high", "seconds_per_trial", "chosen"]].copy()
    table["run_seconds"] = result.runs.groupby("strategy")["wall_seconds"].mean().reindex(table["strategy"]).to_numpy()
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"\nfiles in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
