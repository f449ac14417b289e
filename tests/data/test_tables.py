"""Loaders on the real tables: row counts, keys legal in the built-in spaces, and joins that agree across files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nas_complexity.data import (
    NB201_TASKS,
    NB360_TASKS,
    TNB101_TASKS,
    NASLIB_NB201_OPS,
    arch_from_key,
    arch_key,
    load_accel_nasbench,
    load_fbnet_proxies,
    load_nas_bench_macro,
    load_nb201_accuracy,
    load_nb201_proxies,
    load_nb360_accuracy,
    load_nb360_proxies,
    load_nbnlp,
    load_suite_zero,
    load_tnb101_accuracy,
)
from nas_complexity.data._encodings import edge_ops_to_arch, parse_ints
from nas_complexity.spaces import EdgeCell, get_space



@pytest.fixture(scope="module")
def root(data_root: Path) -> Path:
    return data_root


@pytest.fixture(scope="module")
def nb201(root):
    return load_nb201_accuracy(root)


@pytest.fixture(scope="module")
def nb201_zc(root):
    return {task: load_nb201_proxies(root, task) for task in ("cifar10", "imagenet16-120")}


@pytest.fixture(scope="module")
def nb201_725(root):
    return {task: load_suite_zero(root, "nb201", task) for task in NB201_TASKS}


@pytest.fixture(scope="module")
def tnb_acc(root):
    return {kind: load_tnb101_accuracy(root, kind) for kind in ("micro", "macro")}


@pytest.fixture(scope="module")
def tnb_zc(root):
    return {(kind, task): load_suite_zero(root, f"tnb101-{kind}", task)
            for kind in ("micro", "macro") for task in TNB101_TASKS}


@pytest.fixture(scope="module")
def nb360_zc(root):
    return {(space, task): load_nb360_proxies(root, space, task)
            for space in ("nb201", "darts", "tnb101-micro") for task in NB360_TASKS}


def _joined(left: pd.DataFrame, right: pd.DataFrame, lcol: str, rcol: str) -> tuple[np.ndarray, np.ndarray]:
    merged = left[["arch", lcol]].merge(right[["arch", rcol]], on="arch", suffixes=("_l", "_r"))
    a = merged[lcol + "_l" if lcol == rcol else lcol].to_numpy(float)
    b = merged[rcol + "_r" if lcol == rcol else rcol].to_numpy(float)
    return a, b


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    keep = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[keep], b[keep])[0, 1])


def _dead(arch: dict, cell: EdgeCell) -> bool:
    """True when no path of non-zero edges joins the cell input to its output."""
    alive = {0}
    for j in range(1, cell.n_nodes):
        if any(i in alive and arch[f"{cell.name}/{i}_{j}"] != cell.zero_op for i in range(j)):
            alive.add(j)
    return cell.n_nodes - 1 not in alive


def _all_valid(frame: pd.DataFrame, space_name: str) -> None:
    space = get_space(space_name)
    for key in frame["arch"].unique():
        space.validate(arch_from_key(key))


# ------------------------------------------------------------------------------------------------ row counts
def test_row_counts(root, nb201, nb201_zc, nb201_725, tnb_acc, tnb_zc, nb360_zc):
    assert len(nb201) == 15_625 and nb201["arch"].is_unique
    assert all(len(df) == 9_445 and df["arch"].is_unique for df in nb201_zc.values())
    assert [len(nb201_725[t]) for t in NB201_TASKS] == [725, 725, 724]
    assert len(tnb_acc["micro"]) == 4_096 and len(tnb_acc["macro"]) == 3_256
    assert all(df["arch"].is_unique for df in tnb_acc.values())
    assert all(650 <= len(df) <= 725 for df in tnb_zc.values())
    for (space, _task), df in nb360_zc.items():
        assert len(df) == (192 if space == "tnb101-micro" else 199)
    assert len(load_suite_zero(root, "nb101", "cifar10")) == 500
    assert len(load_suite_zero(root, "darts", "cifar10")) == 725
    assert len(load_nb360_accuracy(root)) == 15_625
    assert len(load_nas_bench_macro(root)) == 6_561
    assert len(load_accel_nasbench(root)) == 5_138
    assert len(load_fbnet_proxies(root)) == 5_000
    assert len(load_nbnlp(root)) == 345


# ------------------------------------------------------------------------------------- keys in our spaces
def test_nb201_keys_cover_the_space_and_match_strings(nb201):
    cell = get_space("nb201").structures[0]
    space_keys = {cell.arch_string(a) for a in get_space("nb201").enumerate()}
    assert set(nb201["arch_str"]) == space_keys
    sample = nb201.sample(200, random_state=0)
    for key, text in zip(sample["arch"], sample["arch_str"]):
        assert cell.from_arch_string(text) == arch_from_key(key)


def test_every_key_is_a_legal_architecture(root, tnb_acc, nb201_725, nb360_zc):
    _all_valid(tnb_acc["micro"], "tnb101-micro")
    _all_valid(tnb_acc["macro"], "tnb101-macro")
    _all_valid(nb201_725["cifar10"], "nb201")
    _all_valid(load_suite_zero(root, "nb101", "cifar10"), "nb101")
    _all_valid(load_suite_zero(root, "darts", "cifar10"), "darts")
    _all_valid(nb360_zc[("darts", "ninapro")], "darts")
    _all_valid(nb360_zc[("tnb101-micro", "svhn")], "tnb101-micro")
    _all_valid(load_nas_bench_macro(root), "mbconv-macro")
    assert set(tnb_acc["macro"]["arch"]) == {arch_key(a) for a in get_space("tnb101-macro").enumerate()}


def test_nb101_keys_are_pruned_cells_with_their_hash(root):
    df = load_suite_zero(root, "nb101", "cifar10")
    space = get_space("nb101")
    cell = space.structures[0]
    assert df["cell_hash"].nunique() == 292
    for key, cell_hash in zip(df["arch"], df["cell_hash"]):
        arch = arch_from_key(key)
        assert sum(v for k, v in arch.items() if "/edge/" in k) <= 9
        assert cell.canonical(arch) == cell_hash
    # the same cell (hash) is one NB101 model: its accuracy takes at most 3 values (NB101's 3 training seeds)
    assert df.groupby("cell_hash")["accuracy"].nunique().max() <= 3


# ------------------------------------------------------------------------------------- joins across files
def test_nb201_join_agrees_across_tables(nb201, nb201_zc, nb201_725):
    a, b = _joined(nb201, nb201_zc["cifar10"], "cifar10", "accuracy")
    assert len(a) == 9_445 and _pearson(a, b) > 0.9
    a, b = _joined(nb201, nb201_zc["imagenet16-120"], "imagenet16-120", "accuracy")
    assert len(a) == 9_445 and _pearson(a, b) > 0.9
    for task in NB201_TASKS:
        a, b = _joined(nb201, nb201_725[task], task, "accuracy")
        assert len(a) == len(nb201_725[task]) and _pearson(a, b) > 0.9


def test_naive_edge_order_would_break_the_join(nb201, nb201_725):
    # Reading NASLib tuples in NB201 string order instead of NASLib's edge order scrambles the cells: the check
    # above is able to fail.
    cell = get_space("nb201").structures[0]
    df = nb201_725["cifar10"]
    naive = df.assign(arch=[arch_key(edge_ops_to_arch(parse_ints(k), NASLIB_NB201_OPS, cell.edges()))
                            for k in df["naslib_key"]])
    a, b = _joined(nb201, naive, "cifar10", "accuracy")
    assert _pearson(a, b) < 0.7


def test_nb360_tables_agree(root, nb201, nb360_zc):
    full = load_nb360_accuracy(root)
    a, b = _joined(nb201, full, "cifar100", "cifar100")
    assert _pearson(a, b) > 0.99
    a, b = _joined(full, nb360_zc[("nb201", "ninapro")], "ninapro", "accuracy")
    assert len(a) == 199 and _pearson(a, b) > 0.8


def test_tnb_zero_cost_files_join_the_full_tables(tnb_acc, tnb_zc):
    # The zero-cost files store a metric that often differs a little from the full tables' (other runs), so the
    # values agree exactly for only part of the rows (about 96% on jigsaw); a wrong join would give Pearson ~0.
    for (kind, task), zc in tnb_zc.items():
        a, b = _joined(tnb_acc[kind], zc, task, "accuracy")
        assert len(a) == len(zc), (kind, task)
        assert _pearson(a, b) > 0.6, (kind, task)
        if task == "jigsaw":
            assert np.isclose(a, b, rtol=0, atol=1e-6).mean() > 0.9, kind


def test_tnb_micro_reading_explains_failures_and_chance_accuracy(tnb_acc, tnb_zc, nb360_zc):
    cell = get_space("tnb101-micro").structures[0]
    zc = tnb_zc[("micro", "class_scene")]
    dead = np.array([_dead(arch_from_key(k), cell) for k in zc["arch"]])
    assert dead.sum() == 20 and np.array_equal(dead, zc["jacov"].isna().to_numpy())
    full = tnb_acc["micro"]
    dead_full = np.array([_dead(arch_from_key(k), cell) for k in full["arch"]])
    assert full.loc[dead_full, "jigsaw"].max() < 1.0 < full.loc[~dead_full, "jigsaw"].median()
    # NAS-Bench-360 runs use NASLib's graph reading: its failures are the cells dead under that reading
    for task in NB360_TASKS:
        df = nb360_zc[("tnb101-micro", task)]
        dead = np.array([_dead(arch_from_key(k), cell) for k in df["arch"]])
        assert np.array_equal(dead, df["jacov"].isna().to_numpy())
        assert df.loc[dead, "accuracy"].max() <= df["accuracy"].min() + 1e-6


# ------------------------------------------------------------------------------------------- missing values
def test_failure_marker_becomes_nan(nb201_zc, nb201_725):
    assert int(nb201_zc["cifar10"]["jacov"].isna().sum()) == 1
    assert nb201_zc["cifar10"]["jacov"].min() > -1e8
    assert int(nb201_725["cifar10"]["jacov"].isna().sum()) == 1


def test_other_tables_columns(root):
    macro = load_nas_bench_macro(root)
    assert macro["key"].str.len().eq(8).all() and macro["accuracy"].between(0, 100).all()
    fb = load_fbnet_proxies(root)
    assert "jacov" in fb and "accuracy" not in fb and fb["arch"].is_unique
    nlp = load_nbnlp(root)
    assert int((nlp["status"] == "OK").sum()) == 341 and "accuracy" not in nlp
    accel = load_accel_nasbench(root)
    assert arch_from_key(accel["arch"].iloc[0])["block0/se"] in (True, False)


# ----------------------------------------------------------------------------------------------- errors
def test_missing_folder_and_file_are_explained(tmp_path):
    with pytest.raises(ValueError, match="root=None"):
        load_nb201_accuracy()
    with pytest.raises(FileNotFoundError, match="nb201_valacc_15625x3.csv.gz.*README"):
        load_nb201_accuracy(tmp_path)
    with pytest.raises(FileNotFoundError, match="zc_9tasks_199archs.zip"):
        load_nb360_proxies(tmp_path, "darts", "svhn")


def test_bad_choices_list_the_accepted_ones(root):
    with pytest.raises(ValueError, match="accepted: cifar10, imagenet16-120"):
        load_nb201_proxies(root, "cifar100")
    with pytest.raises(ValueError, match="accepted: nb201, nb101, darts"):
        load_suite_zero(root, "nb999", "cifar10")
    with pytest.raises(ValueError, match="ninapro, svhn, scifar100"):
        load_nb360_proxies(root, "nb201", "darcy")
