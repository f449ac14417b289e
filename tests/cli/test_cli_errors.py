"""Bad command lines and bad files: each is refused before any work, with exit status 2 and a message that names
the flag or file and says what is accepted."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import nas_complexity.profiling
from nas_complexity.cli import main


@pytest.fixture
def no_profiling(monkeypatch):
    """Fails the test if the command gets as far as profiling: every check here must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("profile() was called although the command line is invalid")

    monkeypatch.setattr(nas_complexity.profiling, "profile", refuse)


def _error(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


@pytest.mark.parametrize(
    "flag, value, accepted",
    [
        ("--samples", "0", "expected a positive integer, got '0'"),
        ("--samples", "-1", "expected a positive integer, got '-1'"),
        ("--batch-size", "0", "expected a positive integer, got '0'"),
        ("--workers", "0", "expected a positive integer, got '0'"),
        ("--max-archs", "0", "expected an integer of at least 3 (the SD needs 3 scores), got '0'"),
        ("--target-ci", "-1", "expected a fraction between 0 and 1 (exclusive), e.g. 0.1, got '-1'"),
        ("--target-ci", "1", "expected a fraction between 0 and 1"),
        ("--trials", "0", "expected a positive integer, got '0'"),
        ("--parallel", "0", "expected a positive integer"),
        ("--objectives", "0", "expected a positive integer"),
        ("--seed", "-1", "expected 0 or a positive integer, got '-1'"),
        ("--seconds-per-trial", "0", "expected a positive number"),
        ("--truncate-sigmas", "nan", "expected a finite number"),
        ("--samples", "ten", "expected an integer, got 'ten'"),
    ],
)
def test_out_of_range_values_name_the_flag_and_what_is_accepted(flag, value, accepted, capsys, no_profiling):
    assert main(["profile", "nb201", flag, value]) == 2
    err = _error(capsys)
    assert f"argument {flag}: {accepted}" in err
    assert "target_rel_ci" not in err and "n_trials" not in err  # library argument names stay out of CLI messages


def test_the_library_refuses_a_non_positive_sample_count():
    for samples in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match=r"samples must be a positive integer .* got"):
            nas_complexity.profiling.profile("nb201", samples=samples, performance=False)


def test_flags_ignored_by_no_performance_are_refused(tmp_path, capsys, no_profiling):
    assert main(["profile", "nb201", "--no-performance", "--accuracy-data", str(tmp_path)]) == 2
    err = _error(capsys)
    assert "--accuracy-data only changes performance diversity, which --no-performance skips" in err
    assert main(["profile", "nb201", "--no-performance", "--batch-size", "8", "--workers", "2"]) == 2
    assert "--batch-size, --workers only change performance diversity" in _error(capsys)
    assert main(["profile", "nb201", "--task", "cifar100"]) == 2
    assert "--task cifar100 picks the accuracy table read from --accuracy-data" in _error(capsys)
    assert main(["profile", "nb201", "--truncate-sigmas", "3"]) == 2
    assert "--truncate-sigmas applies to NNI search-space files" in _error(capsys)


def test_accuracy_data_errors_name_the_flag_not_the_library_argument(tmp_path, capsys, no_profiling):
    assert main(["profile", "nb201", "--accuracy-data", str(tmp_path)]) == 2
    err = _error(capsys)
    assert f"--accuracy-data {tmp_path}: benchmark table 'nb201/" in err and "not found under" in err
    assert "accepted: the folder that holds the benchmark tables" in err and "`root`" not in err
    assert main(["profile", "nb201", "--accuracy-data", str(tmp_path / "nowhere")]) == 2
    assert f"--accuracy-data {tmp_path / 'nowhere'}: no folder" in _error(capsys)
    assert main(["profile", "darts", "--accuracy-data", str(tmp_path)]) == 2
    assert "no accuracy table for space 'darts'; spaces with a complete table: " in _error(capsys)


def test_output_paths_are_checked_before_any_work(tmp_path, capsys, no_profiling):
    assert main(["profile", "nb201", "--no-performance", "--out", str(tmp_path)]) == 2
    assert f"--out {tmp_path}: is a folder; accepted: a file path such as" in _error(capsys)
    missing = tmp_path / "no" / "r.json"
    assert main(["profile", "nb201", "--no-performance", "--out", str(missing)]) == 2
    assert f"--out {missing}: folder {missing.parent} does not exist" in _error(capsys)
    assert main(["profile", "nb201", "--no-performance", "--plot", str(tmp_path)]) == 2
    assert f"--plot {tmp_path}: is a folder" in _error(capsys)
    assert main(["profile", "nb201", "--no-performance", "--plot", str(tmp_path / "chart.txt")]) == 2
    err = _error(capsys)
    assert "cannot write a .txt image; accepted file endings: " in err and ".png" in err


def test_a_missing_json_file_is_not_an_unknown_space(tmp_path, capsys, no_profiling):
    missing = tmp_path / "x.json"
    assert main(["profile", str(missing)]) == 2
    err = _error(capsys)
    assert f"{missing}: no such file" in err and "unknown search space" not in err
    assert "Accepted: the path of an existing NNI search-space JSON file, or a built-in space: nb101" in err
    assert main(["profile", "x.json"]) == 2
    assert "x.json: no such file" in _error(capsys)
    assert main(["profile", "nb999"]) == 2
    assert "or give the path of an NNI search-space JSON file" in _error(capsys)


def test_unreadable_non_utf8_duplicate_and_too_deep_files_name_the_file(tmp_path, capsys, monkeypatch, no_profiling):
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"caf\u00e9": {"_type": "choice", "_value": [1, 2]}}'.encode("latin-1"))
    assert main(["profile", str(latin)]) == 2
    err = _error(capsys)
    assert f"{latin}: is not UTF-8 text" in err and "Accepted: an NNI search-space file (UTF-8 JSON)" in err

    dup = tmp_path / "dup.json"
    dup.write_text('{"lr": {"_type": "uniform", "_value": [0, 1]}, "lr": {"_type": "loguniform", "_value": [1e-4, 1]}}')
    assert main(["profile", str(dup)]) == 2
    assert f"{dup}: duplicate key 'lr'" in _error(capsys)

    deep = tmp_path / "deep.json"
    text = '{"x": {"_type": "choice", "_value": [1, 2]}}'
    for _ in range(400):
        text = '{"p": {"_type": "choice", "_value": [{"_name": "a", ' + text[1:] + ', {"_name": "b"}]}}'
    deep.write_text(text)
    assert main(["profile", str(deep)]) == 2
    assert f"{deep}: nested more deeply than Python's JSON reader can follow" in _error(capsys)

    def denied(self):  # chmod does not stop root, which runs these tests in containers
        raise PermissionError(13, "Permission denied", str(self))

    readable = tmp_path / "ok.json"
    readable.write_text(json.dumps({"lr": {"_type": "uniform", "_value": [0, 1]}}))
    monkeypatch.setattr(Path, "read_bytes", denied)
    assert main(["profile", str(readable)]) == 2
    assert f"{readable}: cannot be read (Permission denied). Accepted: a readable file" in _error(capsys)


def test_a_hyperparameter_space_says_once_why_it_has_no_performance_diversity(tmp_path, capsys):
    path = tmp_path / "hp.json"
    path.write_text(json.dumps({
        "lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
        "optimizer": {"_type": "choice", "_value": ["sgd", "adam"]},
    }))
    assert main(["profile", str(path), "--samples", "200", "--no-cache"]) == 0
    captured = capsys.readouterr()
    everything = captured.out + captured.err
    assert everything.count("not available for a pure hyperparameter space") == 1
    assert "zero-cost proxy" in captured.out and "--no-performance leaves it out" in captured.out
    assert "builder=" not in everything and "register_builder" not in everything
    assert main(["profile", str(path), "--samples", "200", "--no-cache", "--json"]) == 0
    perf = json.loads(capsys.readouterr().out)["performance_diversity"]
    assert perf["sd"] is None and "pure hyperparameter space" in perf["note"]


def test_space_kind_applies_to_nni_files_only(tmp_path, capsys) -> None:
    import json as _json

    from nas_complexity.cli import main

    path = tmp_path / "cells.json"
    ops = ["conv3x3", "conv1x1", "skip", "avg_pool"]
    path.write_text(_json.dumps({f"edge{i}": {"_type": "choice", "_value": ops} for i in range(8)}))
    assert main(["profile", str(path), "--no-performance", "--json", "--no-cache", "--trials", "300",
                 "--space-kind", "architecture"]) == 0
    out = _json.loads(capsys.readouterr().out)
    assert out["parameters"]["kind"] == "architecture"
    assert main(["profile", "nb201", "--no-performance", "--space-kind", "architecture"]) == 2
    assert "--space-kind applies to NNI search-space files" in capsys.readouterr().err
