from __future__ import annotations

import json
import subprocess
import sys

import nas_complexity.profiling
from nas_complexity.cli import main
from nas_complexity.strategies import Budget, decide


def test_profile_json_prints_exactly_one_object(capsys):
    assert main(["profile", "nb201", "--json", "--no-performance"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)  # fails if anything else is printed on stdout
    assert data["space"] == "nb201"
    assert data["size"]["total"] == 15625 and data["size"]["unique"] == 6466
    for key in ("total", "log10", "unique", "provenance"):
        assert key in data["size"]
    assert {"value", "vocabulary"} <= set(data["architecture_diversity"])
    assert {"n_tasks", "tasks"} <= set(data["multi_task"])


def test_profile_writes_out_and_plot(tmp_path, capsys):
    out, plot = tmp_path / "r.json", tmp_path / "r.png"
    assert main(["profile", "mbconv-macro", "--no-performance", "--out", str(out), "--plot", str(plot)]) == 0
    assert json.loads(out.read_text())["size"]["total"] == 6561
    assert plot.stat().st_size > 0
    assert "6,561" in capsys.readouterr().out


def test_unknown_space_lists_known(capsys):
    assert main(["profile", "nb999", "--no-performance"]) == 2
    err = capsys.readouterr().err
    assert "unknown search space 'nb999'" in err and "nb201" in err


def test_spaces_lists_every_builtin(capsys):
    assert main(["spaces", "--json"]) == 0
    rows = {r["space"]: r for r in json.loads(capsys.readouterr().out)["spaces"]}
    assert rows["nb201"]["total"] == 15625 and rows["nb360"]["n_tasks"] == 10


def test_console_script_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "nas_complexity.cli", "spaces"], capture_output=True, text=True, check=True
    )
    assert "nb201" in result.stdout and "15,625" in result.stdout


def test_profile_an_nni_search_space_file(tmp_path, capsys):
    path = tmp_path / "search_space.json"
    path.write_text(json.dumps({
        "optimizer": {"_type": "choice", "_value": ["sgd", "adam"]},
        "layers": {"_type": "randint", "_value": [1, 4]},
        "dropout": {"_type": "normal", "_value": [0.3, 0.05]},
    }))
    assert main(["profile", str(path), "--json", "--no-performance"]) == 2
    assert "dropout" in capsys.readouterr().err
    assert main(["profile", str(path), "--json", "--no-performance", "--truncate-sigmas", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["space"] == "search_space" and data["size"]["provenance"] == "continuous"
    assert data["architecture_diversity"]["value"] is None


PERFORMANCE_KEYS = {"proxy", "sd", "ci", "n_samples", "n_failed", "scaling", "pds", "kendall_tau", "sd_accuracy"}


def test_profile_performance_diversity_keys_without_and_with_an_accuracy_table(data_root, capsys):
    fast = ["--max-archs", "24", "--batch-size", "8", "--workers", "1", "--no-progress"]
    assert main(["profile", "nb201", "--json", *fast]) == 0
    report = json.loads(capsys.readouterr().out)
    perf = report["performance_diversity"]
    # The proxy's landscape over the architectures just scored; no table, so no true-metric landscape.
    assert report["landscape"]["source"] == "proxy (jacob_cov)" and report["landscape"]["method"] == "scored sample"
    assert report["landscape"]["n_architectures"] == perf["n_samples"] and report["landscape_true_metric"] is None
    assert PERFORMANCE_KEYS <= set(perf)
    assert perf["proxy"] == "jacob_cov" and perf["scaling"] == "clip_minmax"
    assert perf["n_samples"] + perf["n_failed"] == 24 and perf["sd"] > 0
    assert perf["ci"][0] <= perf["sd"] <= perf["ci"][1]
    assert perf["pds"] is None and perf["kendall_tau"] is None and perf["sd_accuracy"] is None

    assert main(["profile", "nb201", "--json", *fast, "--accuracy-data", str(data_root)]) == 0
    report = json.loads(capsys.readouterr().out)
    perf = report["performance_diversity"]
    # NB201 CIFAR-10: Ochoa & Veerapen (2022) report a Spearman FDC of -0.33 to -0.46 on NB201's datasets.
    true = report["landscape_true_metric"]
    assert true["source"] == "true metric" and true["method"] == "sampled" and -0.6 < true["fdc"] < -0.25
    assert perf["pds"] is not None and -1 <= perf["kendall_tau"] <= 1 and perf["sd_accuracy"] > 0
    assert "cifar10" in perf["accuracy_table"]

    assert main(["profile", "nb201", "--json", "--max-archs", "6", "--batch-size", "8", "--workers", "1",
                 "--no-progress", "--scaling", "rank"]) == 0
    assert json.loads(capsys.readouterr().out)["performance_diversity"]["scaling"] == "rank"


def test_paper_writes_both_figures_and_marks_missing_tables(data_root, tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "paper"
    assert main(["paper", "--out", str(out), "--data", str(data_root), "--no-performance", "--no-progress"]) == 0
    for name in ("figure1.png", "figure1.csv", "figure1.json", "figure2.png", "figure2.csv", "figure2.json"):
        assert (out / name).stat().st_size > 0, name
    fig1 = pd.read_csv(out / "figure1.csv")
    asr = fig1[fig1["benchmark"] == "nbasr"]
    assert len(asr) == 1 and not asr["available"].iloc[0] and pd.isna(asr["pds"].iloc[0])
    nb201 = fig1[(fig1["benchmark"] == "nb201") & (fig1["task"] == "cifar10")].iloc[0]
    assert nb201["n"] == 9445 and abs(nb201["kendall_tau"] - 0.632) < 0.01
    fig2 = pd.read_csv(out / "figure2.csv").set_index("space")
    assert list(fig2.index) == ["nb101", "nb201", "darts", "proxylessnas", "nbnlp", "nbasr", "nb360"]
    assert fig2.loc["nb201", "size_total"] == 15625 and fig2.loc["nb360", "n_tasks"] == 10
    assert fig2["performance_sd"].isna().all()  # not measured with --no-performance, and not filled in
    assert str(out / "figure2.png") in capsys.readouterr().out


def test_paper_rejects_a_too_small_sample(tmp_path, capsys):
    assert main(["paper", "--out", str(tmp_path), "--max-archs", "1"]) == 2
    assert "--max-archs 1" in capsys.readouterr().err


def test_profile_with_trials_adds_the_decision(capsys):
    assert main(["profile", "nb201", "--json", "--no-performance", "--trials", "200"]) == 0
    decision = json.loads(capsys.readouterr().out)["decision"]
    assert {"family", "optuna_sampler", "nni_tuner", "params", "reasons"} <= set(decision)
    expected = decide(nas_complexity.profiling.profile("nb201", performance=False), Budget(n_trials=200))
    assert (decision["family"], decision["optuna_sampler"]) == (expected.family, expected.optuna_sampler)
    assert all({"id", "value", "threshold"} <= set(r) for r in decision["reasons"])
    assert main(["profile", "nb201", "--json", "--no-performance", "--trials", "0"]) == 2
    assert "argument --trials: expected a positive integer, got '0'" in capsys.readouterr().err
