"""Benchmark settings: every built-in table against its raw file, FCNet's two encodings, and user tables."""
from __future__ import annotations

import itertools
import json
import math
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nas_complexity._errors import UnknownNameError
from nas_complexity.benchmarking import (
    LEFT_OUT_TABLES,
    BenchmarkSetting,
    MissingArchitectureError,
    TableFormatError,
    list_settings,
    load_setting,
    load_user_table,
)
from nas_complexity.data._encodings import (
    TNB_MICRO_CODES,
    edge_ops_to_arch,
    macro_digits_to_arch,
    parse_ints,
    tnb_macro_to_arch,
)
from nas_complexity.spaces import Categorical, FloatRange, IntRange, get_space

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "user_table"
TNB_TASKS = ("class_scene", "class_object", "jigsaw", "room_layout", "segmentsemantic", "normal", "autoencoder")
FCNET = ("naval_propulsion", "parkinsons_telemonitoring", "protein_structure", "slice_localization")
FCNET_PARAMS = ("activation_fn_1", "activation_fn_2", "batch_size", "dropout_1", "dropout_2", "init_lr",
                "lr_schedule", "n_units_1", "n_units_2")
EXPECTED = [
    *(f"nb201/{t}" for t in ("cifar10", "cifar100", "imagenet16-120")),
    "nb360/ninapro", "nb360/darcy", "nas-bench-macro/cifar10",
    *(f"tnb101-micro/{t}" for t in TNB_TASKS), *(f"tnb101-macro/{t}" for t in TNB_TASKS),
    *(f"fcnet/{d}" for d in FCNET),
]


@pytest.fixture(scope="module")
def settings(data_root: Path) -> dict[str, BenchmarkSetting]:
    """Every built-in setting, loaded once for the module (about 6 s on 2 cores)."""
    return {name: load_setting(name, data_root) for name in list_settings()}


@pytest.fixture(scope="module")
def fcnet_index(data_root: Path) -> dict[str, BenchmarkSetting]:
    return {d: load_setting(f"fcnet/{d}", data_root, encoding="index") for d in FCNET}


def raw(root: Path, relative: str) -> pd.DataFrame:
    return pd.read_csv(root / relative)


def plain(value):
    return value.item() if isinstance(value, np.generic) else value


# ------------------------------------------------------------------------------------------ names, errors
def test_list_settings_names_every_table():
    names = list_settings()
    assert names == EXPECTED and len(names) == 24
    assert not set(LEFT_OUT_TABLES) & set(names)


def test_unknown_setting_lists_the_accepted_names():
    with pytest.raises(UnknownNameError, match=r"unknown benchmark setting 'nb201/svhn'; accepted: nb201/cifar10, .*"
                                               r"fcnet/naval_propulsion"):
        load_setting("nb201/svhn", "/nonexistent")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nb201/nb201_valacc_15625x3.csv.gz"):
        load_setting("nb201/cifar10", tmp_path)
    with pytest.raises(FileNotFoundError, match="hpolib/fcnet_protein_structure_62208.csv.gz"):
        load_setting("fcnet/protein_structure", tmp_path)
    with pytest.raises(ValueError, match="root=None"):
        load_setting("tnb101-micro/jigsaw", None)


def test_unknown_or_bad_options_are_named(tmp_path):
    with pytest.raises(UnknownNameError, match="option of setting nb201/cifar10 'encoding'; accepted: missing"):
        load_setting("nb201/cifar10", tmp_path, encoding="index")
    with pytest.raises(UnknownNameError, match="accepted: missing, encoding, seed"):
        load_setting("fcnet/naval_propulsion", tmp_path, metric="val_loss_seed0")
    with pytest.raises(ValueError, match="seed=7 .*accepted: None \\(val_loss_mean\\) or 0, 1, 2, 3"):
        load_setting("fcnet/naval_propulsion", tmp_path, seed=7)


# ------------------------------------------------------------------------------------- built-in settings
def test_every_setting_loads_with_its_size_direction_and_group(settings):
    sizes = {"nb201": 15_625, "nb360": 15_625, "nas-bench-macro": 6_561, "tnb101-micro": 4_096,
             "tnb101-macro": 3_256, "fcnet": 62_208}
    for name, setting in settings.items():
        objective = setting.objective
        family = name.split("/")[0]
        assert setting.name == name and objective.n_architectures == sizes[family], name
        # Every NAS table stores higher-is-better values (room_layout as a negative loss); FCNet stores MSE.
        assert objective.direction == ("minimize" if family == "fcnet" else "maximize"), name
        assert objective.space.kind == ("hyperparameter" if family == "fcnet" else "architecture"), name
        assert objective.best_value != objective.median_value and setting.description, name
    groups = {name: s.space_group for name, s in settings.items()}
    assert groups["nb360/ninapro"] == groups["nb360/darcy"] == groups["nb201/cifar10"] == "nb201"
    assert {groups[f"tnb101-micro/{t}"] for t in TNB_TASKS} == {"tnb101-micro"}
    assert len({groups[f"fcnet/{d}"] for d in FCNET}) == 1 and groups["fcnet/naval_propulsion"].startswith("fcnet:")
    assert len(set(groups.values())) == 5


def _check(setting: BenchmarkSetting, archs: list[dict], stored: pd.Series, column: pd.Series) -> None:
    for arch, value in zip(archs, stored, strict=True):
        assert setting.objective.value_of(arch) == pytest.approx(float(value), rel=1e-12), (setting.name, arch)
    best = column.max() if setting.objective.direction == "maximize" else column.min()
    assert setting.objective.best_value == pytest.approx(float(best), rel=1e-12), setting.name


ROWS = [0, 1, 777, 3000, -1]


def test_nb201_and_nb360_values_are_the_stored_ones(settings, data_root):
    cell = get_space("nb201").structures[0]
    table = raw(data_root, "nb201/nb201_valacc_15625x3.csv.gz")
    rows = table.iloc[ROWS]
    archs = [cell.from_arch_string(s) for s in rows["arch_str"]]
    for task, column in (("cifar10", "val_acc_cifar10"), ("cifar100", "val_acc_cifar100"),
                         ("imagenet16-120", "val_acc_ImageNet16-120")):
        _check(settings[f"nb201/{task}"], archs, rows[column], table[column])
    assert settings["nb201/cifar10"].objective.best_value == pytest.approx(91.57)  # data README
    table = raw(data_root, "nb360/nb201space_cifar100_ninapro_darcy_15625.csv.gz")
    rows = table.iloc[ROWS]
    archs = [cell.from_arch_string(s) for s in rows["arch_str"]]
    for task in ("ninapro", "darcy"):
        _check(settings[f"nb360/{task}"], archs, rows[f"acc_{task}"], table[f"acc_{task}"])


def test_macro_and_transnas_values_are_the_stored_ones(settings, data_root):
    table = raw(data_root, "mbconv/nas_bench_macro_cifar10_6561.csv.gz")
    rows = table.iloc[ROWS]
    _check(settings["nas-bench-macro/cifar10"], [macro_digits_to_arch(k) for k in rows["arch"]], rows["mean_acc"],
           table["mean_acc"])
    cell = get_space("tnb101-micro").structures[0]
    for kind, size in (("micro", 4096), ("macro", 3256)):
        table = raw(data_root, f"tnb101/tnb101_{kind}_valacc_{size}x7.csv.gz")
        rows = table.iloc[ROWS]
        keys = [parse_ints(k) for k in rows["naslib_op_indices"]]
        if kind == "micro":
            archs = [edge_ops_to_arch(k, TNB_MICRO_CODES, cell.edges(), cell.name) for k in keys]
        else:
            archs = [tnb_macro_to_arch(k) for k in keys]
        for task in TNB_TASKS:
            _check(settings[f"tnb101-{kind}/{task}"], archs, rows[task], table[task])
    # room_layout is stored as a negative loss: maximising it minimises the loss.
    assert settings["tnb101-micro/room_layout"].objective.best_value < 0


def test_fcnet_values_are_the_stored_ones(settings, data_root):
    for dataset in FCNET:
        table = raw(data_root, f"hpolib/fcnet_{dataset}_62208.csv.gz")
        rows = table.iloc[[0, 1, 12345, 40000, -1]]
        archs = [{p: plain(row[p]) for p in FCNET_PARAMS} for _, row in rows.iterrows()]
        _check(settings[f"fcnet/{dataset}"], archs, rows["val_loss_mean"], table["val_loss_mean"])
    seeded = load_setting("fcnet/naval_propulsion", data_root, seed=2)
    table = raw(data_root, "hpolib/fcnet_naval_propulsion_62208.csv.gz")
    row = table.iloc[777]
    assert seeded.objective.value_of({p: plain(row[p]) for p in FCNET_PARAMS}) == row["val_loss_seed2"]
    assert seeded.space_group == settings["fcnet/naval_propulsion"].space_group


def test_fcnet_space_is_what_an_optuna_user_writes(settings, fcnet_index):
    space = settings["fcnet/naval_propulsion"].objective.space
    kinds = {p.name: type(p).__name__ for p in space.all_params}
    assert kinds == {"activation_fn_1": "Categorical", "activation_fn_2": "Categorical", "lr_schedule": "Categorical",
                     "batch_size": "Categorical", "init_lr": "Categorical", "n_units_1": "Categorical",
                     "n_units_2": "Categorical", "dropout_1": "FloatRange", "dropout_2": "FloatRange"}
    assert space.param("batch_size").choices == (8, 16, 32, 64)
    assert space.param("dropout_1") == FloatRange("dropout_1", 0.0, 0.6, step=0.3)
    assert space.size().total == 62_208
    index = fcnet_index["naval_propulsion"].objective.space
    assert index.param("n_units_1") == IntRange("n_units_1", 0, 5)
    assert index.param("lr_schedule") == Categorical("lr_schedule", ("const", "cosine"))


def test_fcnet_encodings_agree(settings, fcnet_index, data_root):
    for dataset in FCNET:
        by_value, by_index = settings[f"fcnet/{dataset}"].objective, fcnet_index[dataset].objective
        assert by_value.best_value == by_index.best_value and by_value.median_value == by_index.median_value
        assert settings[f"fcnet/{dataset}"].space_group == fcnet_index[dataset].space_group
    by_value, by_index = settings["fcnet/protein_structure"].objective, fcnet_index["protein_structure"].objective
    rng = np.random.default_rng(0)
    for _ in range(200):
        arch = by_value.space.sample(rng)
        as_index = {name: (value if name in ("activation_fn_1", "activation_fn_2", "lr_schedule")
                           else by_value.space.param(name).values().index(value))
                    for name, value in arch.items()}
        assert by_value.value_of(arch) == by_index.value_of(as_index)
    with pytest.raises(MissingArchitectureError, match="not on the table's grid"):
        by_index.value_of({**as_index, "n_units_1": 64})  # a value where an index is expected


def test_fcnet_objectives_run_in_optuna(settings, fcnet_index):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for objective in (settings["fcnet/slice_localization"].objective, fcnet_index["slice_localization"].objective):
        study = optuna.create_study(direction=objective.direction, sampler=optuna.samplers.RandomSampler(seed=0))
        study.optimize(objective, n_trials=20)  # every suggested configuration is in the table
        assert len(study.trials) == 20 and study.best_value >= objective.best_value


# ------------------------------------------------------------------------------------------- user tables
def toy_frame() -> pd.DataFrame:
    rows = []
    for act in ("relu", "tanh"):
        for units in (16, 32, 64):
            for depth in (1, 2, 3):
                for rate in (0.1, 0.2, 0.3):
                    rows.append({"act": act, "units": units, "depth": depth, "rate": rate,
                                 "loss": round(units / 64 + depth * 0.1 + rate + (act == "tanh") * 0.05, 6)})
    return pd.DataFrame(rows)


DESCRIPTION = {"metric": "loss", "direction": "minimize"}


def test_example_files_load(tmp_path):
    setting = load_user_table(EXAMPLE / "toy_table.csv", EXAMPLE / "toy_table.json")
    assert setting.name == "toy" and "TOY EXAMPLE" in setting.description
    objective = setting.objective
    assert objective.n_architectures == 54 and objective.direction == "minimize"
    assert objective.space.kind == "hyperparameter"
    assert objective.space.param("lr") == Categorical("lr", (0.001, 0.01, 0.1))
    assert objective.space.param("units") == Categorical("units", (32, 64, 128))
    assert objective.space.param("dropout") == FloatRange("dropout", 0.0, 0.5, step=0.25)  # inferred
    table = pd.read_csv(EXAMPLE / "toy_table.csv")
    for _, row in table.iloc[[0, 17, 53]].iterrows():
        arch = {p: plain(row[p]) for p in ("optimizer", "lr", "units", "dropout")}
        assert objective.value_of(arch) == row["val_loss"]
    assert objective.best_value == table["val_loss"].min()
    # The same description as YAML, and the name defaulting to the CSV's stem.
    yaml = pytest.importorskip("yaml")
    described = json.loads((EXAMPLE / "toy_table.json").read_text())
    del described["name"]
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(described))
    again = load_user_table(EXAMPLE / "toy_table.csv", tmp_path / "d.yaml")
    assert again.name == "toy_table" and again.space_group == setting.space_group
    assert again.objective.best_value == objective.best_value


def test_inference_and_both_encodings():
    frame = toy_frame()
    frame["units"] = frame["units"].astype(int)
    setting = load_user_table(frame, DESCRIPTION, name="toy")
    space = setting.objective.space
    assert space.param("act") == Categorical("act", ("relu", "tanh"))
    assert space.param("units") == Categorical("units", (16, 32, 64))  # few uneven integers: ordinal
    assert space.param("depth") == IntRange("depth", 1, 3)  # evenly spaced integers: int grid
    assert space.param("rate") == FloatRange("rate", 0.1, 0.3, step=0.1)  # evenly spaced floats
    index = load_user_table(frame, DESCRIPTION, name="toy", encoding="index")
    assert index.objective.space.param("rate") == IntRange("rate", 0, 2)
    assert index.space_group == setting.space_group
    assert index.objective.value_of({"act": "tanh", "units": 1, "depth": 1, "rate": 2}) == \
        setting.objective.value_of({"act": "tanh", "units": 32, "depth": 2, "rate": 0.3})
    # A float drawn on the stepped range drifts (0.1 + 2 * 0.1 != 0.3) and is still found.
    assert setting.objective.value_of({"act": "relu", "units": 16, "depth": 1, "rate": 0.1 + 2 * 0.1}) == \
        setting.objective.value_of({"act": "relu", "units": 16, "depth": 1, "rate": 0.3})
    restored = pickle.loads(pickle.dumps(setting.objective))
    assert restored.value_of({"act": "relu", "units": 64, "depth": 3, "rate": 0.2}) == pytest.approx(1.0 + 0.3 + 0.2)


def test_declared_types_and_log():
    grid = list(itertools.product((1e-3, 1e-2, 1e-1), (1, 2, 3), ("a", "b")))
    frame = pd.DataFrame(grid, columns=["lr", "width", "opt"]).assign(acc=np.arange(len(grid), dtype=float))
    description = {"metric": "acc", "direction": "maximize",
                   "columns": {"lr": {"type": "float", "log": True}, "width": {"type": "int", "log": True},
                               "opt": "categorical"}}
    space = load_user_table(frame, description, name="t").objective.space
    assert space.param("lr") == Categorical("lr", (0.001, 0.01, 0.1))
    assert space.param("width") == IntRange("width", 1, 3, log=True)  # every integer of the range
    described_float = load_user_table(frame, {**description, "columns": {"width": "float"}}, name="t")
    assert described_float.objective.space.param("width") == FloatRange("width", 1.0, 3.0, step=1.0)


def test_same_grid_same_group_other_grid_other_group():
    a = load_user_table(toy_frame(), DESCRIPTION, name="a")
    other_metric = toy_frame().assign(loss=lambda f: f["loss"] * 2)
    b = load_user_table(other_metric, DESCRIPTION, name="b")
    c = load_user_table(toy_frame().query("depth < 3"), DESCRIPTION, name="c")
    assert a.space_group == b.space_group != c.space_group


def test_incomplete_grid_needs_a_missing_policy():
    frame = toy_frame().iloc[1:]
    with pytest.raises(TableFormatError, match=r"53 of the 54 combinations.*e\.g\. not for \{'act': 'relu', "
                                               r"'units': 16, 'depth': 1, 'rate': 0\.1\}.*'missing'"):
        load_user_table(frame, DESCRIPTION)
    absent = {"act": "relu", "units": 16, "depth": 1, "rate": 0.1}
    pruned = load_user_table(frame, {**DESCRIPTION, "missing": "nan"}, name="partial")
    assert pruned.objective.n_architectures == 53 and math.isnan(pruned.objective.value_of(absent))
    nan_metric = toy_frame()
    nan_metric.loc[0, "loss"] = np.nan
    with pytest.raises(TableFormatError, match="53 of the 54"):
        load_user_table(nan_metric, DESCRIPTION)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f, d: (f, {"metric": "loss"}), r"direction: not given for metric 'loss'.*'maximize' or 'minimize'"),
        (lambda f, d: (f, {**d, "direction": "up"}), r"direction: 'up' is not a direction"),
        (lambda f, d: (f, {"direction": "minimize"}), r"metric: missing"),
        (lambda f, d: (f, {**d, "metric": "acc"}), r"column 'acc': is named in the description but not in the table"),
        (lambda f, d: (f.assign(loss=["x"] + [0.1] * (len(f) - 1)), d),
         r"metric column 'loss': is not numeric \(it holds 'x'\)"),
        (lambda f, d: (f.assign(seconds=np.linspace(0, 1, len(f)) ** 2), d),
         r"column 'seconds': its type cannot be inferred: 54 distinct numbers.*'ignore'"),
        (lambda f, d: (pd.concat([f, f.iloc[[3]]]), d),
         r"parameter columns: 1 combination\(s\) appear on more than one row, e\.g\. .*'units': 16.* rows \[4, 55\]"),
        (lambda f, d: (f.assign(act=[None] + list(f["act"][1:])), d),
         r"column 'act': 1 empty cell\(s\), the first on data row 1 \(CSV line 2\)"),
        (lambda f, d: (f, {**d, "colums": {}}), r"description key 'colums': is not a known key"),
        (lambda f, d: (f, {**d, "columns": {"units": "number"}}), r"columns: 'units': unknown type 'number'"),
        (lambda f, d: (f, {**d, "columns": {"units": "int"}}),
         r"column 'units': declared int but its values \[16, 32, 64\] are not evenly spaced.*'ordinal'"),
        (lambda f, d: (f, {**d, "columns": {"rate": "int"}}), r"column 'rate': declared int but holds 0\.1"),
        (lambda f, d: (f, {**d, "columns": {"act": "ordinal"}}),
         r"column 'act': declared ordinal but holds non-numeric values"),
        (lambda f, d: (f, {**d, "columns": {"act": {"type": "categorical", "log": True}}}),
         r"a categorical column cannot be log-scaled"),
        (lambda f, d: (f.assign(depth=f["depth"] - 1), {**d, "columns": {"depth": {"type": "int", "log": True}}}),
         r"column 'depth': declared log-scaled but holds 0"),
        (lambda f, d: (f, {**d, "columns": {"loss": "float"}}), r"is the metric, not a parameter"),
        (lambda f, d: (f, {**d, "kind": "nas"}), r"kind: 'nas' is not a kind of space"),
        (lambda f, d: (f, {**d, "missing": "skip"}), r"missing: 'skip' is not a policy"),
        (lambda f, d: (f[["loss"]], d), r"no parameter column besides the metric 'loss'"),
    ],
)
def test_ambiguous_or_malformed_tables_are_named(change, message):
    frame, description = change(toy_frame(), dict(DESCRIPTION))
    with pytest.raises(TableFormatError, match=message):
        load_user_table(frame, description, name="bad")


def test_files_and_options_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        load_user_table(tmp_path / "nope.csv", DESCRIPTION)
    toy_frame().to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(FileNotFoundError, match="nope.json"):
        load_user_table(tmp_path / "t.csv", tmp_path / "nope.json")
    (tmp_path / "d.txt").write_text("{}")
    with pytest.raises(TableFormatError, match=r"unknown description file type '\.txt'.*\.json, \.yaml or \.yml"):
        load_user_table(tmp_path / "t.csv", tmp_path / "d.txt")
    (tmp_path / "d.json").write_text("{not json")
    with pytest.raises(TableFormatError, match="not valid JSON"):
        load_user_table(tmp_path / "t.csv", tmp_path / "d.json")
    with pytest.raises(TableFormatError, match=r"encoding: 'ranks' is not an encoding.*'values', 'index'"):
        load_user_table(tmp_path / "t.csv", DESCRIPTION, encoding="ranks")
    setting = load_user_table(tmp_path / "t.csv", {**DESCRIPTION, "ignore": []})
    assert setting.name == "t" and setting.objective.n_architectures == 54
