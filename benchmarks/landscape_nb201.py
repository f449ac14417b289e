"""True-metric landscape of NAS-Bench-201, beside the published landscape analysis (Ochoa & Veerapen 2022).

For CIFAR-10, CIFAR-100 and ImageNet16-120 it computes the landscape of the validation accuracy stored in the shared
table (``TabularObjective.from_benchmark(root, "nb201", task)``) **exhaustively**: all 15,625 cells, all 375,000
neighbour pairs (one edge's operation changed: 6 edges x 4 other operations = 24 neighbours per cell). Printed per
dataset: Spearman FDC to the global optimum, the number of global optima (cells tied for the best accuracy), the
fraction of local optima, and the other measures; then a sampled estimate (the default budget of
:func:`~nas_complexity.metrics.landscape`) beside the exact values, to show what a pre-search profile would get.

Published figures (Ochoa & Veerapen 2022, "Neural architecture search: a visual analysis", PPSN): Spearman FDC
between -0.33 and -0.46 on the three NB201 datasets, and a unique global optimum on each. They analyse the NB201
cell space as given (isomorphic duplicates kept, as here), with the same one-edge move; their accuracy is NB201's
own table (the run, epochs and validation/test split they used may differ from the NASLib validation accuracy of
the 200-epoch runs stored in ``nb201_valacc_15625x3.csv.gz``), so small differences in the second decimal are
expected and are reported as measured, never adjusted.

Usage:
    python benchmarks/landscape_nb201.py [--root ../shared/data] [--seed 0] [--no-sampled]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nas_complexity.benchmarking import TabularObjective
from nas_complexity.metrics import Landscape, landscape_of_table

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TASKS = (("cifar10", "CIFAR-10"), ("cifar100", "CIFAR-100"), ("imagenet16-120", "ImageNet16-120"))
PUBLISHED_FDC = (-0.46, -0.33)  # range over the three datasets
PUBLISHED_OPTIMA = 1

MEASURES = (
    ("fdc", "FDC (Spearman)", "+.3f"),
    ("n_global_optima", "global optima", "d"),
    ("local_optima_fraction", "local optima fraction", ".4f"),
    ("autocorrelation", "autocorrelation rho(1)", ".3f"),
    ("correlation_length", "correlation length", ".2f"),
    ("neutrality", "neutrality", ".4f"),
    ("neighbourhood_size", "neighbourhood size", ".1f"),
    ("skewness", "skewness", ".2f"),
    ("additivity", "additivity (R^2)", ".3f"),
    ("best_value", "best accuracy", ".2f"),
    ("n_evaluations", "fitness calls", ",d"),
)


def _fmt(value: object, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="folder of the shared benchmark tables")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampled estimate")
    parser.add_argument("--no-sampled", action="store_true", help="exact values only")
    args = parser.parse_args(argv)
    if not (args.root / "nb201").is_dir():
        print(f"NB201 tables not found under {args.root}; pass --root", file=sys.stderr)
        return 2

    exact: dict[str, Landscape] = {}
    sampled: dict[str, Landscape] = {}
    seconds: dict[str, float] = {}
    for task, label in TASKS:
        objective = TabularObjective.from_benchmark(args.root, "nb201", task)
        start = time.perf_counter()
        exact[label] = landscape_of_table(objective, exhaustive=True)
        seconds[label] = time.perf_counter() - start
        if not args.no_sampled:
            sampled[label] = landscape_of_table(objective, seed=args.seed, exhaustive=False)

    labels = [label for _, label in TASKS]
    print("NAS-Bench-201 true-metric landscape (validation accuracy, 15,625 cells, one-edge moves), exhaustive\n")
    print(f"{'measure':<24}" + "".join(f"{label:>16}" for label in labels))
    for key, name, spec in MEASURES:
        print(f"{name:<24}" + "".join(f"{_fmt(getattr(exact[label], key), spec):>16}" for label in labels))
    print(f"{'seconds':<24}" + "".join(f"{seconds[label]:>16.1f}" for label in labels))

    fdcs = [exact[label].fdc for label in labels]
    optima = [exact[label].n_global_optima for label in labels]
    low, high = PUBLISHED_FDC
    print("\nAgainst Ochoa & Veerapen (2022):")
    print(f"  Spearman FDC: published {low:+.2f} to {high:+.2f}; measured "
          + ", ".join(f"{label} {fdc:+.3f}" for label, fdc in zip(labels, fdcs)))
    inside = [label for label, fdc in zip(labels, fdcs) if fdc is not None and low - 0.005 <= fdc <= high + 0.005]
    outside = [label for label in labels if label not in inside]
    print(f"  within the published range (to 2 decimals): {', '.join(inside) or 'none'}"
          + (f"; outside: {', '.join(outside)}" if outside else ""))
    print(f"  global optima: published {PUBLISHED_OPTIMA} on each; measured "
          + ", ".join(f"{label} {n}" for label, n in zip(labels, optima)))
    if outside or any(n != PUBLISHED_OPTIMA for n in optima):
        print("  Differences: the published analysis used NB201's own accuracy table (its split and run choice may\n"
              "  differ from the NASLib 200-epoch validation accuracy stored here); the numbers above are as measured.")

    if sampled:
        print(f"\nSampled estimate (landscape() defaults, seed {args.seed}) beside the exact value:\n")
        print(f"{'measure':<24}" + "".join(f"{label:>22}" for label in labels))
        for key, name, spec in MEASURES:
            if key in ("n_global_optima", "best_value"):
                continue
            cells = [f"{_fmt(getattr(sampled[l], key), spec)} / {_fmt(getattr(exact[l], key), spec)}" for l in labels]
            print(f"{name:<24}" + "".join(f"{cell:>22}" for cell in cells))
        print(f"\n  ({sampled[labels[0]].note})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
