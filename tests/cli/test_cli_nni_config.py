"""``nas-complexity nni-config``: the tuner for an NNI experiment config file, written in place of the tuner section."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from nas_complexity.strategies import Budget, decide

from nas_complexity.adapters import from_nni_search_space
from nas_complexity.cli import main
from nas_complexity.integration import nni_tuner_config
from nas_complexity.profiling import profile

SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
    "units": {"_type": "choice", "_value": [16, 32, 64]},
}

HEAD = """\
# NNI experiment: a small MLP
experimentName: mlp   # shown in the web UI
searchSpaceFile: space/search_space.json
trialCommand: python trial.py
trialCodeDirectory: .
trialConcurrency: 2
maxTrialNumber: 40

"""
TAIL = """\
# the assessor stops bad trials early
assessor:
  name: Medianstop
  classArgs:
    optimize_mode: minimize
trainingService:
  platform: local
"""
TUNER = """\
tuner:    # chosen by hand
  name: Evolution
  classArgs:
    optimize_mode: minimize
    population_size: 8
"""


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NAS_COMPLEXITY_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def folder(tmp_path) -> Path:
    """A config folder with its search-space file, run from another working directory."""
    (tmp_path / "exp" / "space").mkdir(parents=True)
    (tmp_path / "exp" / "space" / "search_space.json").write_text(json.dumps(SPACE), encoding="utf-8")
    return tmp_path / "exp"


@pytest.fixture(autouse=True)
def elsewhere(tmp_path, monkeypatch):
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # relative paths in a config are taken from the config's folder


def expected_tuner(n_trials: int = 40, n_workers: int = 2, direction: str = "minimize") -> dict[str, Any]:
    report = profile(from_nni_search_space(SPACE), performance=False)
    tuner = nni_tuner_config(decide(report, Budget(n_trials=n_trials, n_workers=n_workers, direction=direction)))
    tuner["class_args"].setdefault("optimize_mode", direction)
    return tuner


def block(tuner: dict[str, Any], key: str = "classArgs") -> list[str]:
    args = [f"    {k}: {v}\n" for k, v in tuner["class_args"].items()]
    return ["tuner:\n", f"  name: {tuner['name']}\n", f"  {key}:\n", *args]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["nni-config", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_nni_accepts(path: Path) -> None:
    """NNI's own loader and validation take the written config (where NNI is installed)."""
    pytest.importorskip("nni")
    from nni.experiment.config import ExperimentConfig

    config = ExperimentConfig.load(str(path)).canonical_copy()
    assert config.search_space == SPACE


# ------------------------------------------------------------------------------------------------- YAML
def test_prints_the_decision_and_writes_only_the_tuner_section(folder, capsys):
    path = folder / "config.yml"
    path.write_text(HEAD + TAIL, encoding="utf-8")
    tuner = expected_tuner()

    code, out, _ = run(capsys, str(path))
    assert code == 0 and path.read_text() == HEAD + TAIL  # nothing written without --write
    assert "Tuner for 40 trials (maxTrialNumber), 2 at a time, minimize (assessor.class_args.optimize_mode):" in out
    assert f"NNI tuner {tuner['name']}(" in out and "why:" in out and "Evidence:" in out
    assert f"--write puts it into {path}" in out

    code, out, _ = run(capsys, str(path), "--write")
    assert code == 0 and "every other line is unchanged" in out
    lines = path.read_text().splitlines(keepends=True)
    # Every line of the file is still there, in its place; the tuner block is added at the end.
    assert lines == (HEAD + TAIL).splitlines(keepends=True) + block(tuner)
    check_nni_accepts(path)


def test_an_explicit_tuner_is_kept_unless_override(folder, capsys):
    path = folder / "config.yaml"
    original = HEAD + TUNER + TAIL
    path.write_text(original, encoding="utf-8")
    tuner = expected_tuner()

    code, out, _ = run(capsys, str(path), "--write")
    assert code == 0 and path.read_text() == original
    assert f"The config's tuner Evolution is kept; --override replaces it with {tuner['name']}" in out

    code, out, _ = run(capsys, str(path), "--write", "--override")
    assert code == 0
    new_block = block(tuner)
    new_block[0] = "tuner:  # chosen by hand\n"  # the note on the key's line stays
    assert path.read_text().splitlines(keepends=True) == (
        HEAD.splitlines(keepends=True) + new_block + TAIL.splitlines(keepends=True))
    check_nni_accepts(path)


def test_json_output_and_trials_flag(folder, capsys):
    path = folder / "config.yml"
    path.write_text(HEAD + TUNER + TAIL, encoding="utf-8")
    code, out, _ = run(capsys, str(path), "--json", "--trials", "300", "--override")
    data = json.loads(out)
    assert code == 0 and data["written"] is False and data["config"] == str(path)
    status = data["status"]
    assert status["state"] == "decided" and status["budget"]["n_trials"] == 300 and status["direction"] == "minimize"
    assert status["direction_from"] == "tuner.class_args.optimize_mode"
    assert status["tuner"] == expected_tuner(n_trials=300)
    assert data["decision"]["nni_tuner"] == status["tuner"]["name"] and data["profile"]["space"] == "search_space"


def test_snake_case_config_with_inline_space_and_a_deprecated_advisor(folder, capsys):
    path = folder / "config.yml"
    text = (
        "search_space:\n"
        "  lr: {_type: loguniform, _value: [0.0001, 0.1]}\n"
        "  units: {_type: choice, _value: [16, 32, 64]}\n"
        "trial_command: python trial.py\n"
        "trial_concurrency: 2\n"
        "max_trial_number: 40\n"
        "advisor:\n"
        "  name: Hyperband\n"
        "  class_args:\n"
        "    optimize_mode: minimize\n"
        "    R: 9\n"
        "training_service:\n"
        "  platform: local\n"
    )
    path.write_text(text, encoding="utf-8")
    assert run(capsys, str(path), "--write")[0] == 0 and path.read_text() == text  # the advisor is the user's tuner
    assert run(capsys, str(path), "--write", "--override")[0] == 0
    lines = text.splitlines(keepends=True)
    assert path.read_text().splitlines(keepends=True) == lines[:6] + block(expected_tuner(), "class_args") + lines[11:]
    check_nni_accepts(path)


# ------------------------------------------------------------------------------------------------- JSON
def test_json_config_keeps_its_key_order_and_indentation(folder, capsys):
    path = folder / "config.json"
    config = {"searchSpace": SPACE, "trialCommand": "python trial.py", "trialConcurrency": 2, "maxTrialNumber": 40,
              "tuner": {"name": "TPE", "classArgs": {"optimize_mode": "minimize"}},
              "trainingService": {"platform": "local"}}
    path.write_text(json.dumps(config, indent=4) + "\n", encoding="utf-8")
    code, _, _ = run(capsys, str(path), "--write", "--override")
    assert code == 0
    tuner = expected_tuner()
    written = json.loads(path.read_text())
    assert list(written) == list(config) and written["tuner"] == {"name": tuner["name"], "classArgs": tuner["class_args"]}
    assert path.read_text() == json.dumps({**config, "tuner": written["tuner"]}, indent=4) + "\n"


# ------------------------------------------------------------------------------------------- bad configs
BAD = [
    ("trialCommand: python trial.py\nmaxTrialNumber: 10\n", r"searchSpace: missing\. Accepted: searchSpace .* or searchSpaceFile"),
    ("serchSpace: {}\nmaxTrialNumber: 10\n", r"serchSpace: unknown key \(did you mean 'searchSpace'\?\)"),
    ("searchSpace:\n  lr: {_type: uniform, _value: [0, 1]\nmaxTrialNumber: 10\n", r"not readable YAML at line 3, column 1: expected ',' or '}', but got '<scalar>' \(while parsing a flow mapping at line 2\)"),
    ("searchSpace:\n  lr: {_type: uniformm, _value: [0, 1]}\nmaxTrialNumber: 10\n",
     r"config\.yml: searchSpace: lr: unknown _type 'uniformm'\. Accepted: choice, randint"),
    ("searchSpace:\n  lr: {_type: uniform}\nmaxTrialNumber: 10\n", r"searchSpace: lr: expected a dict with '_type' and '_value'"),
    ("searchSpace:\n  lr: {_type: uniform, _value: [0, 1]}\n", r"maxTrialNumber: missing, so the trial budget is unknown\. Accepted: .*--trials N"),
    ("searchSpace:\n  lr: {_type: uniform, _value: [0, 1]}\nmaxTrialNumber: 0\n", r"maxTrialNumber: expected a positive integer, got 0"),
    ("searchSpace:\n  lr: {_type: uniform, _value: [0, 1]}\nmaxTrialNumber: 10\ntuner:\n  name: TPE\n  classArgs:\n    optimize_mode: max\n",
     r"tuner\.class_args\.optimize_mode: unknown mode 'max'\. Accepted: maximize or minimize"),
    ("searchSpace:\n  lr: {_type: uniform, _value: [0, 1]}\nmaxTrialNumber: 10\ntuner:\n  builtinTunerName: TPE\n",
     r"tuner\.builtinTunerName: unknown key"),
    ("searchSpaceFile: nowhere.json\nmaxTrialNumber: 10\n", r"searchSpaceFile: .*nowhere\.json is not a file"),
    ("maxTrialNumber: 10\nmax_trial_number: 20\nsearchSpace: {}\n", r"max_trial_number: given twice \(also as 'maxTrialNumber'\)"),
    ("- searchSpace\n", r"the config must be a mapping"),
]


@pytest.mark.parametrize("text,message", BAD)
def test_bad_configs_exit_2_naming_the_key(folder, capsys, text, message):
    path = folder / "config.yml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, str(path), "--write")
    assert code == 2 and out == ""
    assert err.startswith("nas-complexity: error: ")
    assert re.search(message, err), err
    assert path.read_text() == text


def test_missing_config_file_and_unprofilable_space(folder, capsys):
    code, _, err = run(capsys, str(folder / "absent.yml"))
    assert code == 2 and "absent.yml: no such file" in err
    path = folder / "config.yml"
    text = "searchSpace:\n  x: {_type: normal, _value: [0, 1]}\nmaxTrialNumber: 10\n"
    path.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, str(path), "--write")
    assert code == 1 and "pass --truncate-sigmas K to profile normal-family" in err and path.read_text() == text
    code, out, _ = run(capsys, str(path), "--truncate-sigmas", "3")
    assert code == 0 and "Tuner for 10 trials" in out


def test_a_layout_that_cannot_be_rewritten_line_by_line_is_left_alone(folder, capsys):
    path = folder / "config.yml"
    text = '{searchSpaceFile: space/search_space.json, maxTrialNumber: 40, tuner: {name: TPE}}\n'
    path.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, str(path), "--write", "--override")
    assert code == 2 and "tuner: this YAML layout cannot be rewritten line by line" in err and path.read_text() == text
