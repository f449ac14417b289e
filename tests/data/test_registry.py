from __future__ import annotations

from pathlib import Path

import pytest

from nas_complexity.data import available_tables, list_tables, load_accuracy, load_proxy_accuracy
from nas_complexity.spaces import list_spaces



@pytest.fixture(scope="module")
def root(data_root: Path) -> Path:
    return data_root


def test_registry_lists_thirty_proxy_sets_with_known_spaces():
    proxy = list_tables("proxy")
    assert len(proxy) == 30
    assert len({(s.benchmark, s.task) for s in proxy}) == 30
    for spec in list_tables():
        assert spec.space is None or spec.space in list_spaces()
    with pytest.raises(ValueError, match="accepted: proxy, accuracy"):
        list_tables("other")


def test_available_tables_follows_the_files(root, tmp_path):
    assert len(available_tables(root)) == 30
    assert ("nb101", "cifar10") in available_tables(root)
    assert ("nas-bench-macro", "cifar10") in available_tables(root, "accuracy")
    assert available_tables(tmp_path) == []
    with pytest.raises(ValueError, match="root=None"):
        available_tables(None)


def test_every_proxy_set_has_jacov_and_accuracy(root):
    for benchmark, task in available_tables(root):
        df = load_proxy_accuracy(root, benchmark, task)
        assert {"arch", "jacov", "accuracy"} <= set(df.columns), (benchmark, task)
        assert df["accuracy"].notna().all() and df["jacov"].notna().mean() > 0.95, (benchmark, task)


def test_accuracy_tables(root):
    sizes = {"nb201": 15_625, "nb360": 15_625, "nas-bench-macro": 6_561, "accel-nasbench": 5_138,
             "tnb101-micro": 4_096, "tnb101-macro": 3_256}
    for benchmark, task in available_tables(root, "accuracy"):
        df = load_accuracy(root, benchmark, task)
        assert len(df) == sizes[benchmark] and {"arch", "accuracy"} <= set(df.columns), (benchmark, task)
    assert load_accuracy(root, "nb201", "ImageNet16-120")["accuracy"].max() < 50


def test_unknown_set_lists_the_known_ones(root):
    with pytest.raises(ValueError, match="nb201/cifar10"):
        load_proxy_accuracy(root, "nb201", "svhn")
