"""The NNI HPO hook on real ``nni.experiment.Experiment`` objects, and real experiments run on a loopback port."""
from __future__ import annotations

import functools
import json
import logging
import math
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("nni", reason="the NNI hook needs nni: pip install 'nas-complexity[nni]'")

import psutil
from nas_complexity.strategies import Budget, Decision, decide
from nni.experiment import Experiment
from nni.experiment.config import AlgorithmConfig
from nni.tools.package_utils.tuner_factory import create_validator_instance

from nas_complexity._errors import NASComplexityError, SpaceError
from nas_complexity.adapters import from_nni_search_space
from nas_complexity.integration import (
    NNI_DECISION_FILE,
    NniAdvice,
    NniConfigError,
    advise_nni_experiment,
    nni_tuner_config,
)
from nas_complexity.profiling import profile
from nas_complexity.report import ComplexityReport

SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
    "units": {"_type": "choice", "_value": [16, 32, 64]},
    "activation": {"_type": "choice", "_value": ["relu", "tanh"]},
}

# A real objective of the sampled parameters, computed by the trial and recomputed here from what NNI sent it.
TRIAL = '''
import math
import nni

params = nni.get_next_parameter()
loss = (math.log10(params["lr"]) + 2.0) ** 2 + 16.0 / params["units"] + (params["activation"] == "tanh") * 0.1
nni.report_final_result(loss)
'''


def objective(params: dict[str, Any]) -> float:
    return (math.log10(params["lr"]) + 2.0) ** 2 + 16.0 / params["units"] + (params["activation"] == "tanh") * 0.1


def expected_tuner(space: dict[str, Any], direction: str, seed: int | None = None, n_trials: int = 3,
                   n_workers: int = 1, kind: str = "hyperparameter") -> dict[str, Any]:
    """The tuner section computed without the hook: profile, decide, map."""
    report = profile(from_nni_search_space(space, kind=kind), performance=False)
    tuner = nni_tuner_config(decide(report, Budget(n_trials=n_trials, n_workers=n_workers, direction=direction)), seed=seed)
    tuner["class_args"].setdefault("optimize_mode", direction)
    return tuner


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NAS_COMPLEXITY_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def make_experiment(tmp_path):
    """An HPO experiment of the local platform with its trial script and working folder under ``tmp_path``."""
    (tmp_path / "trial.py").write_text(TRIAL, encoding="utf-8")

    def make(space: dict[str, Any] = SPACE, max_trials: int | None = 3, concurrency: int = 1) -> Experiment:
        experiment = Experiment("local")
        config = experiment.config
        config.search_space = space
        config.trial_command = f"{sys.executable} trial.py"
        config.trial_code_directory = str(tmp_path)
        config.trial_concurrency = concurrency
        config.max_trial_number = max_trials
        config.experiment_working_directory = str(tmp_path / "nni-experiments")
        return experiment

    return make


def nas_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("nas_complexity")]


def accepted_by_nni(tuner: dict[str, Any]) -> None:
    """NNI's own check of a built-in tuner's class_args (what the manager runs before starting the tuner)."""
    validator = create_validator_instance("tuners", tuner["name"])
    if validator is not None:
        validator.validate_class_args(**tuner["class_args"])


# ------------------------------------------------------------------------------------------- real experiments
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _nni_processes(experiment_id: str) -> list[psutil.Process]:
    """Processes started from this test that belong to the experiment: the NNI manager (node), its trials."""
    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            command = " ".join(proc.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if "nni_node" in command or experiment_id in command:
            found.append(proc)
    return found


@pytest.fixture
def run_experiment(tmp_path, monkeypatch):
    """Run an experiment to its end on a free loopback port, always stop its manager, and check nothing is left."""
    nni_node = pytest.importorskip("nni_node", reason="NNI's manager package nni_node is not installed")
    node = Path(nni_node.__path__[0]) / "node"
    if not os.access(node, os.X_OK):
        pytest.skip(f"NNI's manager needs its bundled node.js at {node}, which is missing")
    # NNI lists every experiment in a manifest under ~/nni-experiments; these go to the test's folder instead.
    from nni.experiment import launcher
    from nni.tools.nnictl.config_utils import Experiments

    monkeypatch.setattr(launcher, "Experiments", functools.partial(Experiments, home_dir=str(tmp_path / "nnictl")))

    def run(experiment: Experiment, timeout_s: float = 240.0) -> dict[str, Any]:
        experiment.config.nni_manager_ip = "127.0.0.1"
        experiment.start(_free_port())
        manager = experiment._proc
        try:
            deadline = time.monotonic() + timeout_s
            while (status := experiment.get_status()) not in ("DONE", "ERROR", "STOPPED"):
                assert time.monotonic() < deadline, f"experiment still {status} after {timeout_s} s"
                time.sleep(0.5)
            result = {
                "status": status, "profile": experiment.get_experiment_profile(),
                "jobs": experiment.list_trial_jobs(), "data": experiment.export_data(),
            }
        finally:
            experiment.stop()
        assert manager is not None and manager.poll() is not None, "the NNI manager is still running"
        for _ in range(40):  # trials end with their manager; give them a moment
            left = _nni_processes(experiment.id)
            if not left:
                break
            time.sleep(0.25)
        assert not left, f"processes left running: {[p.cmdline() for p in left]}"
        return result

    return run


def test_real_experiment_runs_the_tuner_the_hook_chose(make_experiment, run_experiment, caplog, tmp_path):
    experiment = make_experiment()
    # No tuner chosen; the direction comes from the assessor's optimize_mode (the trial reports a loss).
    experiment.config.assessor.name = "Medianstop"
    experiment.config.assessor.class_args = {"optimize_mode": "minimize"}
    caplog.set_level(logging.INFO, logger="nas_complexity")

    advice = advise_nni_experiment(experiment, seed=0)

    expected = expected_tuner(SPACE, "minimize", seed=0)
    assert advice.state == "decided" and advice.tuner == expected
    assert advice.budget == Budget(n_trials=3, n_workers=1, direction="minimize")
    assert (experiment.config.tuner.name, experiment.config.tuner.class_args) == (expected["name"], expected["class_args"])
    accepted_by_nni(expected)

    result = run_experiment(experiment)

    # What NNI actually ran: the experiment profile its REST API (/api/v1/nni/experiment) returns.
    used = result["profile"]["params"]["tuner"]
    assert used == {"name": expected["name"], "classArgs": expected["class_args"]}
    assert used["classArgs"]["optimize_mode"] == "minimize"
    assert result["status"] == "DONE"
    assert [job.status for job in result["jobs"]] == ["SUCCEEDED"] * 3
    assert len(result["data"]) == 3
    for trial in result["data"]:
        assert trial.value == pytest.approx(objective(trial.parameter))

    # The decision file, in NNI's folder of this experiment, beside NNI's own logs.
    folder = tmp_path / "nni-experiments" / experiment.id
    assert advice.file == folder / NNI_DECISION_FILE and (folder / "log").is_dir()
    stored = json.loads(advice.file.read_text(encoding="utf-8"))
    assert set(stored) == {"decision", "profile", "status"}
    decision = Decision.from_dict(stored["decision"])
    assert decision == advice.decision and decision.nni_tuner == expected["name"]
    assert decision.params["nni_tuner"].get("optimize_mode", "minimize") == "minimize"
    assert ComplexityReport.from_dict(stored["profile"]).size.total is None  # lr is continuous
    status = stored["status"]
    assert (status["state"], status["tuner"], status["direction"], status["experiment_id"]) == (
        "decided", expected, "minimize", experiment.id)
    assert status["direction_from"] == "assessor.class_args.optimize_mode" and status["budget"]["n_trials"] == 3
    assert NniAdvice.load(folder).decision == advice.decision

    lines = [r.getMessage() for r in nas_records(caplog) if r.levelno == logging.INFO]
    assert len(lines) == 1
    assert f"experiment {experiment.id!r}: tuner={expected['name']} " in lines[0]
    assert "reasons=[" in lines[0] and str(advice.file) in lines[0]


@pytest.mark.slow
def test_real_experiment_keeps_the_users_tuner(make_experiment, run_experiment, caplog):
    experiment = make_experiment()
    experiment.config.tuner.name = "Random"
    experiment.config.tuner.class_args = {"seed": 5}
    caplog.set_level(logging.INFO, logger="nas_complexity")

    advice = advise_nni_experiment(experiment)

    assert advice.state == "kept" and advice.tuner == {"name": "Random", "class_args": {"seed": 5}}
    assert advice.advised == expected_tuner(SPACE, "maximize")
    line = nas_records(caplog)[-1].getMessage()
    assert "(the user's, kept; nas_complexity would choose " + advice.advised["name"] in line and "override=True" in line
    result = run_experiment(experiment)
    assert result["profile"]["params"]["tuner"] == {"name": "Random", "classArgs": {"seed": 5}}
    assert result["status"] == "DONE" and len(result["data"]) == 3
    assert json.loads(advice.file.read_text())["status"]["state"] == "kept"


# ------------------------------------------------------------------------------ the hook on the configuration
def test_explicit_tuner_is_left_alone_unless_override(make_experiment):
    experiment = make_experiment()
    experiment.config.tuner.name = "Evolution"
    experiment.config.tuner.class_args = {"optimize_mode": "minimize", "population_size": 8}
    before = experiment.config.tuner

    kept = advise_nni_experiment(experiment)
    assert kept.state == "kept" and experiment.config.tuner is before
    assert (before.name, before.class_args) == ("Evolution", {"optimize_mode": "minimize", "population_size": 8})
    assert kept.advised == expected_tuner(SPACE, "minimize")  # the user's optimize_mode is the direction

    replaced = advise_nni_experiment(experiment, override=True)
    assert replaced.state == "decided" and replaced.user_tuner == {
        "name": "Evolution", "class_args": {"optimize_mode": "minimize", "population_size": 8}}
    tuner = experiment.config.tuner
    assert {"name": tuner.name, "class_args": tuner.class_args} == kept.advised
    experiment.config.canonical_copy()  # NNI's own validation of the whole config passes
    accepted_by_nni(kept.advised)


def test_override_replaces_a_deprecated_advisor_section(make_experiment):
    experiment = make_experiment()
    experiment.config.advisor = AlgorithmConfig(name="Hyperband", class_args={"optimize_mode": "minimize", "R": 9})
    kept = advise_nni_experiment(experiment)
    assert kept.state == "kept" and kept.tuner["name"] == "Hyperband" and experiment.config.advisor.name == "Hyperband"
    advise_nni_experiment(experiment, override=True)
    assert experiment.config.advisor is None and experiment.config.tuner.class_args["optimize_mode"] == "minimize"
    experiment.config.canonical_copy()


def test_budget_comes_from_max_trial_number_or_n_trials(make_experiment):
    experiment = make_experiment(max_trials=300, concurrency=2)
    advice = advise_nni_experiment(experiment, space_kind="architecture")
    assert advice.budget == Budget(n_trials=300, n_workers=2)
    assert advice.tuner == expected_tuner(SPACE, "maximize", n_trials=300, n_workers=2, kind="architecture")
    assert advice.decision.params["nni_tuner"].get("population_size") == advice.tuner["class_args"].get("population_size")

    other = make_experiment(max_trials=None)
    assert advise_nni_experiment(other, n_trials=40).budget.n_trials == 40
    with pytest.raises(NASComplexityError, match=r"max_trial_number.*n_trials=N"):
        advise_nni_experiment(make_experiment(max_trials=None))


def test_direction_comes_from_the_experiment(make_experiment):
    placeholder = make_experiment()
    placeholder.config.tuner.class_args = {"optimize_mode": "minimize"}  # no tuner named, only the mode
    advice = advise_nni_experiment(placeholder)
    assert advice.state == "decided" and advice.tuner["class_args"]["optimize_mode"] == "minimize"
    assert advice.status()["direction_from"] == "tuner.class_args.optimize_mode"

    tpe = make_experiment()
    tpe.config.tuner.name = "TPE"  # NNI's TPE minimises unless told otherwise
    assert advise_nni_experiment(tpe, override=True).tuner["class_args"]["optimize_mode"] == "minimize"

    plain = make_experiment()
    assert advise_nni_experiment(plain).tuner["class_args"]["optimize_mode"] == "maximize"

    bad = make_experiment()
    bad.config.tuner.class_args = {"optimize_mode": "max"}
    with pytest.raises(NniConfigError, match=r"tuner\.class_args\.optimize_mode: unknown mode 'max'. Accepted: maximize or minimize"):
        advise_nni_experiment(bad)


def test_search_space_file_is_read_from_the_configs_folder(make_experiment, tmp_path, monkeypatch):
    (tmp_path / "space.json").write_text(json.dumps(SPACE), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the Python API takes relative paths from the working directory, as NNI does
    experiment = make_experiment()
    experiment.config.search_space = None
    experiment.config.search_space_file = "space.json"
    advice = advise_nni_experiment(experiment)
    assert advice.tuner == expected_tuner(SPACE, "maximize") and str(tmp_path / "space.json") in advice.source


def test_bad_experiments_and_search_spaces_are_refused_naming_the_key(make_experiment, tmp_path):
    with pytest.raises(TypeError, match="needs an nni.experiment.Experiment, got dict"):
        advise_nni_experiment({"search_space": SPACE})
    cases = [
        ({"lr": {"_type": "uniformm", "_value": [0, 1]}},
         r"experiment\.config\.search_space: lr: unknown _type 'uniformm'\. Accepted: choice, randint, uniform"),
        ({"lr": {"_type": "uniform"}}, r"experiment\.config\.search_space: lr: expected a dict with '_type' and '_value'"),
        ({"lr": {"_type": "uniform", "_value": [1, 0]}}, r"lr: uniform has low=1 >= high=0\. Accepted: low < high"),
        ({}, r"the NNI search space is empty"),
    ]
    for space, message in cases:
        with pytest.raises(SpaceError, match=message):
            advise_nni_experiment(make_experiment(space=space))
    missing = make_experiment()
    missing.config.search_space = None
    with pytest.raises(SpaceError, match=r"experiment\.config\.search_space: no search space is set"):
        advise_nni_experiment(missing)
    broken = tmp_path / "broken.json"
    broken.write_text('{"lr": {"_type": "choice", "_value": [1, 2]}, "lr": {}}', encoding="utf-8")
    from_file = make_experiment()
    from_file.config.search_space, from_file.config.search_space_file = None, str(broken)
    with pytest.raises(SpaceError, match=r"broken\.json.*duplicate key 'lr'"):
        advise_nni_experiment(from_file)
    with pytest.raises(ValueError, match="profile_timeout must be a positive, finite number"):
        advise_nni_experiment(make_experiment(), profile_timeout=math.inf)


def test_a_failing_profile_never_stops_the_experiment(make_experiment, monkeypatch, caplog):
    import nas_complexity.integration._nni_experiment as hook

    def broken_profile(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(hook, "_profile", broken_profile)
    caplog.set_level(logging.INFO, logger="nas_complexity")
    experiment = make_experiment()
    advice = advise_nni_experiment(experiment, seed=3)
    assert advice.state == "fallback" and advice.cause == "RuntimeError: disk on fire"
    assert advice.tuner == {"name": "Random", "class_args": {"optimize_mode": "maximize", "seed": 3}}
    assert (experiment.config.tuner.name, experiment.config.tuner.class_args) == ("Random", advice.tuner["class_args"])
    warning = nas_records(caplog)[-1]
    assert warning.levelno == logging.WARNING and "disk on fire" in warning.getMessage()
    assert json.loads(advice.file.read_text())["status"]["cause"] == "RuntimeError: disk on fire"

    own = make_experiment()
    own.config.tuner.name = "Evolution"
    assert advise_nni_experiment(own, override=True).tuner["name"] == "Evolution"  # kept, override or not
    assert own.config.tuner.name == "Evolution"


def test_normal_family_spaces_fall_back_unless_truncated(make_experiment):
    space = {**SPACE, "dropout": {"_type": "normal", "_value": [0.3, 0.05]}}
    advice = advise_nni_experiment(make_experiment(space=space))
    assert advice.state == "fallback" and "truncate_sigmas=k" in advice.cause
    truncated = advise_nni_experiment(make_experiment(space=space), truncate_sigmas=3)
    assert truncated.state == "decided" and truncated.report.parameters["n_params"] == 4


def test_missing_nni_says_what_to_install(monkeypatch, make_experiment):
    experiment = make_experiment()
    monkeypatch.setitem(sys.modules, "nni.experiment", None)
    with pytest.raises(ImportError, match=r"pip install 'nas-complexity\[nni\]'"):
        advise_nni_experiment(experiment)
