from __future__ import annotations

import json
import subprocess
import sys

from nas_complexity.cli import main


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
