"""How long the comparison harness takes: 4 cheap strategies x 10 seeds x 300 trials on NB201 CIFAR-10, 2 processes.

The target is 10 minutes for this grid (40 runs of 300 trials), so that a full comparison over the shared tables
stays a matter of hours on a laptop. The strategies are random, TPE, regularized evolution and the advisor through
the real Optuna hook (at 300 trials on NB201 it chooses regularized evolution; each worker profiles the space once,
inside its first advisor run). The table is ``TabularObjective.from_benchmark(root, "nb201", "cifar10")``, reached
through the settings API (``load_setting("nb201/cifar10", root)``), so each worker loads it once from disk.

With ``--gp-seeds N`` it then times Optuna's GP (N seeds x ``--gp-trials`` trials, default 100, same table and
processes) twice side by side:
in the harness's pool, which gives each worker its share of the cores' threads, and in a pool that leaves PyTorch
and BLAS at their defaults (a thread per core in every worker), and prints the ratio.

Usage:
    python benchmarks/harness_speed.py --root ../shared/data
    python benchmarks/harness_speed.py --root ../shared/data --seeds 2 --trials 100     # a quicker check
    python benchmarks/harness_speed.py --root ../shared/data --gp-seeds 2 --gp-trials 50   # also the GP threads ratio

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
    parser.add_argument("--gp-seeds", type=int, default=0,
                        help="also time Optuna's GP with and without the harness's threads per worker (default 0: no)")
    parser.add_argument("--gp-trials", type=int, default=100, help="trials of each GP run (default 100)")
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
    if args.gp_seeds > 0:
        _gp_threads(setting, args, out)
    return 0


def _gp_threads(setting, args, out: Path) -> None:
    """Optuna's GP in the harness's pool against a pool leaving the libraries' thread defaults."""
    import multiprocessing

    from nas_complexity.benchmarking import compare
    from nas_complexity.profiling import local_process_pool
    from nas_complexity.profiling._pool import stop_pool

    seconds = {}
    for label in ("share of the cores per worker", "libraries' defaults"):
        pool = None
        if label == "libraries' defaults":
            pool = local_process_pool(args.workers, mp_context=multiprocessing.get_context("forkserver"))
        start = time.perf_counter()
        try:
            compare([setting], ["gp"], budgets=(args.gp_trials,), seeds=args.gp_seeds, out=out / f"gp-{len(seconds)}",
                    workers=args.workers, executor=pool, progress=args.progress, features=None, plots=False)
        finally:
            if pool is not None:
                stop_pool(pool)
        seconds[label] = time.perf_counter() - start
        print(f"Optuna's GP, {args.gp_seeds} seeds x {args.gp_trials} trials, {args.workers} processes, {label}: "
              f"{seconds[label]:.1f} s wall")
    default, shared = seconds["libraries' defaults"], seconds["share of the cores per worker"]
    print(f"ratio (defaults / share of the cores): {default / shared:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
