"""Regularized evolution vs random search (and TPE) on complete benchmark tables, at equal trial budgets.

Every (table, sampler, seed) run is an Optuna study over a :class:`~nas_complexity.benchmarking.TabularObjective`;
its normalised regret ``(best - found) / (best - median)`` is read at each budget. The script prints, per table
and over all tables, the mean regret with its standard error at every budget, then paired comparisons (same table
and seed) of evolution against each other sampler: mean difference, its standard error, wins/ties/losses and the
Wilcoxon signed-rank p-value. Architectures a table lacks (TransNAS-Bench-101 macro's invalid down/widen counts)
are pruned trials and still count towards the budget.

Usage:
    python benchmarks/bench_evolution_vs_random.py --root ../shared/data --seeds 10 --out /tmp/evolution
    python benchmarks/bench_evolution_vs_random.py --settings all --samplers evolution random tpe

Writes ``runs.csv`` (one row per run), ``summary.csv`` (mean and SE per table, sampler and budget) and
``paired.csv`` to ``--out``.
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_SETTINGS = ("nb201/cifar10", "nas-bench-macro/cifar10")
BUDGETS = (50, 100, 200, 300)


def make_sampler(name: str, seed: int) -> Any:
    """The sampler ``name`` with Optuna 5.0 defaults (evolution: population 20, tournament 5, as in the brief)."""
    import optuna

    from nas_complexity.integration import RegularizedEvolutionSampler

    factories: dict[str, Callable[[], Any]] = {
        "evolution": lambda: RegularizedEvolutionSampler(population_size=20, sample_size=5, seed=seed),
        "random": lambda: optuna.samplers.RandomSampler(seed=seed),
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
    }
    if name not in factories:
        raise ValueError(f"unknown sampler {name!r}; accepted: {', '.join(factories)}")
    return factories[name]()


@lru_cache(maxsize=None)
def objective_of(root: str, setting: str) -> Any:
    """The tabular objective of ``benchmark/task`` (loaded once per process)."""
    from nas_complexity.benchmarking import TabularObjective

    benchmark, task = setting.split("/", 1)
    return TabularObjective.from_benchmark(root, benchmark, task, missing="prune")


def run_one(root: str, setting: str, sampler: str, seed: int, n_trials: int, budgets: Sequence[int]) -> dict[str, Any]:
    """One study; its normalised regret at each budget."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    objective = objective_of(root, setting)
    study = optuna.create_study(direction=objective.direction, sampler=make_sampler(sampler, seed))
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    seconds = time.perf_counter() - start
    curve = objective.regret_curve(study)
    row: dict[str, Any] = {"setting": setting, "sampler": sampler, "seed": seed, "seconds": seconds,
                           "pruned": sum(t.state.name == "PRUNED" for t in study.trials)}
    for b in budgets:
        row[f"regret@{b}"] = float(curve[b - 1]) if b <= len(curve) else np.nan
    return row


def run_all(root: str, settings: Sequence[str], samplers: Sequence[str], seeds: Sequence[int], n_trials: int,
            budgets: Sequence[int], executor: Executor) -> pd.DataFrame:
    """Every (setting, sampler, seed) run on ``executor``; one row per run."""
    jobs = [(root, s, m, seed, n_trials, tuple(budgets)) for s in settings for m in samplers for seed in seeds]
    futures = [executor.submit(run_one, *job) for job in jobs]
    return pd.DataFrame([f.result() for f in futures])


def summarise(runs: pd.DataFrame, budgets: Sequence[int]) -> pd.DataFrame:
    """Mean and standard error of the regret per setting, sampler and budget; setting ``ALL`` pools the tables.

    ``ALL`` averages the per-table means (each table weighs the same) and its SE is that of those means.
    """
    cols = [f"regret@{b}" for b in budgets]
    rows = []
    for (setting, sampler), group in runs.groupby(["setting", "sampler"], sort=False):
        for b, col in zip(budgets, cols):
            values = group[col].dropna()
            rows.append({"setting": setting, "sampler": sampler, "budget": b, "mean": values.mean(),
                         "se": values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.nan,
                         "n": len(values)})
    table = pd.DataFrame(rows)
    if runs["setting"].nunique() > 1:
        pooled = []
        for (sampler, b), group in table.groupby(["sampler", "budget"], sort=False):
            means = group["mean"]
            pooled.append({"setting": "ALL", "sampler": sampler, "budget": b, "mean": means.mean(),
                           "se": means.std(ddof=1) / np.sqrt(len(means)), "n": len(means)})
        table = pd.concat([table, pd.DataFrame(pooled)], ignore_index=True)
    return table


def paired(runs: pd.DataFrame, budgets: Sequence[int], reference: str = "evolution") -> pd.DataFrame:
    """``reference`` minus each other sampler, paired by (setting, seed): negative means the reference is better."""
    rows = []
    others = [s for s in runs["sampler"].unique() if s != reference]
    for setting_filter in [None, *runs["setting"].unique()]:
        subset = runs if setting_filter is None else runs[runs["setting"] == setting_filter]
        wide = subset.pivot_table(index=["setting", "seed"], columns="sampler", values=[f"regret@{b}" for b in budgets])
        for other in others:
            for b in budgets:
                col = f"regret@{b}"
                if (col, reference) not in wide or (col, other) not in wide:
                    continue
                diff = (wide[(col, reference)] - wide[(col, other)]).dropna().to_numpy()
                nonzero = diff[diff != 0]
                p = stats.wilcoxon(nonzero).pvalue if len(nonzero) >= 5 else np.nan
                rows.append({"setting": setting_filter or "ALL", "comparison": f"{reference} - {other}", "budget": b,
                             "mean_diff": diff.mean(), "se": diff.std(ddof=1) / np.sqrt(len(diff)),
                             "wins": int((diff < 0).sum()), "ties": int((diff == 0).sum()),
                             "losses": int((diff > 0).sum()), "wilcoxon_p": p, "n": len(diff)})
    return pd.DataFrame(rows)


def _settings(names: Sequence[str]) -> list[str]:
    if list(names) != ["all"]:
        return list(names)
    from nas_complexity.data import list_tables

    return [f"{s.benchmark}/{s.task}" for s in list_tables("accuracy") if s.space is not None]


def _print_summary(summary: pd.DataFrame) -> None:
    cells = summary.assign(cell=[f"{m:.3f} ± {s:.3f}" for m, s in zip(summary["mean"], summary["se"])])
    wide = cells.pivot_table(index=["setting", "sampler"], columns="budget", values="cell", aggfunc="first", sort=False)
    wide.columns = [f"@{b}" for b in wide.columns]
    print(wide.to_string())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=str(DEFAULT_ROOT), help="folder of the benchmark tables")
    parser.add_argument("--settings", nargs="+", default=list(DEFAULT_SETTINGS),
                        help="benchmark/task pairs (see nas_complexity.data.list_tables), or 'all'")
    parser.add_argument("--samplers", nargs="+", default=["evolution", "random", "tpe"])
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 per setting and sampler")
    parser.add_argument("--trials", type=int, default=max(BUDGETS))
    parser.add_argument("--workers", type=int, default=2, help="processes running the studies")
    parser.add_argument("--out", type=Path, default=None, help="folder for runs.csv, summary.csv, paired.csv")
    args = parser.parse_args(argv)

    root = Path(args.root)
    if not root.is_dir():
        print(f"benchmark tables not found at {root}; pass --root", file=sys.stderr)
        return 2
    budgets = [b for b in BUDGETS if b <= args.trials] or [args.trials]
    settings = _settings(args.settings)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as executor:
        runs = run_all(str(root), settings, args.samplers, range(args.seeds), args.trials, budgets, executor)
    summary, comparison = summarise(runs, budgets), paired(runs, budgets)

    pd.set_option("display.width", 200)
    print(f"{len(runs)} runs ({len(settings)} settings x {len(args.samplers)} samplers x {args.seeds} seeds, "
          f"{args.trials} trials) in {time.perf_counter() - start:.0f} s\n")
    print("Mean normalised regret ± standard error over seeds (ALL: mean over settings ± SE across settings)")
    _print_summary(summary)
    print("\nPaired by (setting, seed): mean regret difference (negative: evolution better)")
    print(comparison[comparison["setting"] == "ALL"].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print("\nSeconds per run:")
    print(runs.groupby(["sampler"])["seconds"].mean().round(2).to_string())
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        runs.to_csv(args.out / "runs.csv", index=False)
        summary.to_csv(args.out / "summary.csv", index=False)
        comparison.to_csv(args.out / "paired.csv", index=False)
        print(f"\nwrote {args.out / 'runs.csv'}, summary.csv, paired.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
