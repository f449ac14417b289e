"""The HPOLib FCNet loader and its registration as ``hpo`` tables."""
from __future__ import annotations

from pathlib import Path

import pytest

from nas_complexity.data import (
    FCNET_DATASETS,
    FCNET_DESCRIPTION,
    FCNET_METRICS,
    FCNET_PARAMS,
    available_tables,
    list_tables,
    load_fcnet,
)


def test_fcnet_tables_are_registered_as_hpo():
    specs = list_tables("hpo")
    assert [(s.benchmark, s.task) for s in specs] == [("fcnet", d) for d in FCNET_DATASETS]
    assert all(s.space is None and s.files[0].startswith("hpolib/") for s in specs)
    assert set(FCNET_DESCRIPTION["columns"]) == set(FCNET_PARAMS)
    with pytest.raises(ValueError, match="accepted: proxy, accuracy, hpo"):
        list_tables("fcnet")


def test_load_fcnet_reads_the_grid(data_root: Path):
    assert available_tables(data_root, "hpo") == [("fcnet", d) for d in FCNET_DATASETS]
    full = load_fcnet(data_root, "parkinsons_telemonitoring")
    assert full.shape == (62_208, len(FCNET_PARAMS) + len(FCNET_METRICS))
    assert not full[list(FCNET_PARAMS)].duplicated().any()
    assert full["n_units_1"].drop_duplicates().sort_values().tolist() == [16, 32, 64, 128, 256, 512]
    assert full["dropout_2"].drop_duplicates().sort_values().tolist() == [0.0, 0.3, 0.6]
    assert set(full["lr_schedule"]) == {"cosine", "const"}
    small = load_fcnet(data_root, "parkinsons_telemonitoring", metrics=["val_loss_seed3"])
    assert list(small.columns) == [*FCNET_PARAMS, "val_loss_seed3"]
    assert small["val_loss_seed3"].equals(full["val_loss_seed3"])


def test_load_fcnet_errors(data_root: Path, tmp_path: Path):
    with pytest.raises(ValueError, match="unknown FCNet dataset 'boston'; accepted: naval_propulsion"):
        load_fcnet(data_root, "boston")
    with pytest.raises(ValueError, match=r"unknown FCNet metric column\(s\) \['test_loss'\]"):
        load_fcnet(data_root, "naval_propulsion", metrics=["test_loss"])
    with pytest.raises(FileNotFoundError, match="hpolib/fcnet_naval_propulsion_62208.csv.gz"):
        load_fcnet(tmp_path, "naval_propulsion")
