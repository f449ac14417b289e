"""The main command says what to do (the strategy for a stated budget, in words) and reuses cached profiles."""
from __future__ import annotations

import json

import pytest

import nas_complexity.profiling
from nas_complexity.cli import DEFAULT_TRIALS, main

DECISION_KEYS = {"family", "optuna_sampler", "nni_tuner", "params", "reasons", "budget"}


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A cache folder of this test's own, so that 'written' and 'read' are about this test's runs only."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("NAS_COMPLEXITY_CACHE_DIR", str(folder))
    return folder


# ------------------------------------------------------------------------------------------ the decision
def test_the_profile_prints_the_strategy_for_the_default_budget_in_words(capsys, cache_dir):
    assert main(["profile", "nb201", "--no-performance"]) == 0
    out = capsys.readouterr().out
    assert f"Search strategy for {DEFAULT_TRIALS} trials (default budget; --trials N for yours)" in out
    # What the shipped (fitted) rules decide, in words: the sampler with its parameters, each rule once (all its
    # conditions on one line), with the evidence behind it.
    from nas_complexity.strategies import Budget, decide

    decision = decide(nas_complexity.profiling.profile("nb201", performance=False), Budget(n_trials=DEFAULT_TRIALS))
    params = ", ".join(f"{k}={v}" for k, v in decision.params["optuna"].items())
    assert f"Optuna {decision.optuna_sampler}({params})" in out
    first = decision.reasons[0]
    assert first.id.startswith("fitted-") and out.count(f"{first.id}:") == 1
    conditions = " and ".join(f"{r.feature}={r.value} {r.op} {r.threshold}" for r in decision.reasons
                              if r.id == first.id and r.feature) or "no earlier rule fired"
    assert f"{first.id}: {conditions} -> {first.effect}" in out
    assert "Evidence: `python benchmarks/evidence.py" in out
    assert all(f"{r.id}: " in out for r in decision.reasons[1:])
    # GPSampler's own cost, and how to let the rules weigh it, is said exactly when GPSampler is the choice.
    assert main(["profile", "nb201", "--no-performance", "--trials", "25"]) == 0
    at_25 = decide(nas_complexity.profiling.profile("nb201", performance=False), Budget(n_trials=25))
    assert ("--seconds-per-trial" in capsys.readouterr().out) == (at_25.optuna_sampler == "GPSampler")


def test_json_always_has_the_decision_and_its_budget(capsys, cache_dir):
    assert main(["profile", "nb201", "--no-performance", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("space", "description", "size", "architecture_diversity", "multi_task", "performance_diversity",
                "parameters", "seed", "timings", "warnings", "version"):
        assert key in data, key
    assert DECISION_KEYS <= set(data["decision"])
    assert data["decision"]["budget"] == {
        "n_trials": DEFAULT_TRIALS, "n_workers": 1, "n_objectives": 1, "seconds_per_trial": None, "default": True,
    }
    assert main(["profile", "nb201", "--no-performance", "--json", "--trials", "300", "--parallel", "4"]) == 0
    decision = json.loads(capsys.readouterr().out)["decision"]
    assert decision["budget"]["default"] is False and decision["budget"]["n_trials"] == 300
    from nas_complexity.strategies import Budget, decide

    report = nas_complexity.profiling.profile("nb201", performance=False)
    assert decision["optuna_sampler"] == decide(report, Budget(n_trials=300, n_workers=4)).optuna_sampler
    assert main(["profile", "nb201", "--no-performance", "--json", "--trials", "25"]) == 0
    assert json.loads(capsys.readouterr().out)["decision"]["optuna_sampler"] == decide(
        report, Budget(n_trials=25)).optuna_sampler
    # A 0.05 s trial affords at most 0.005 s of sampler time: the rules pass over the choices measured above it.
    assert main(["profile", "nb201", "--no-performance", "--json", "--trials", "25", "--seconds-per-trial", "0.05"]) == 0
    cheap = json.loads(capsys.readouterr().out)["decision"]
    expected = decide(report, Budget(n_trials=25, seconds_per_trial=0.05))
    assert cheap["optuna_sampler"] == expected.optuna_sampler != decide(report, Budget(n_trials=25)).optuna_sampler
    assert [r["id"] for r in cheap["reasons"]] == [r.id for r in expected.reasons]
    assert any(r["id"].endswith("-sampler-cost") for r in cheap["reasons"])


def test_text_with_trials_says_the_budget_is_given(capsys, cache_dir):
    assert main(["profile", "nb201", "--no-performance", "--trials", "300"]) == 0
    out = capsys.readouterr().out
    assert "Search strategy for 300 trials (--trials), 1 at a time, 1 objective:" in out
    from nas_complexity.strategies import Budget, decide

    decision = decide(nas_complexity.profiling.profile("nb201", performance=False), Budget(n_trials=300))
    params = ", ".join(f"{k}={v}" for k, v in decision.params["optuna"].items())
    assert f"{decision.optuna_sampler}({params})" in out and "default budget" not in out


def test_out_file_holds_the_object_json_prints(tmp_path, capsys, cache_dir):
    out = tmp_path / "r.json"
    assert main(["profile", "tnb101-macro", "--no-performance", "--json", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(capsys.readouterr().out)


def test_the_strategy_row_lists_each_rule_once():
    from nas_complexity.strategies import Budget, Condition, FamilyRule, decide

    rules = (FamilyRule("mid-budget", (Condition("n_trials", ">=", 50), Condition("n_trials", "<", 173)), "bayesian",
                        "tpe", "test"), FamilyRule("default", (), "random", "random", "test"))
    report = nas_complexity.profiling.profile("nb201", performance=False)
    report.decision = decide(report, Budget(n_trials=100), rules).to_dict()
    row = next(r for r in report.rows() if r[0] == "strategy")
    assert [r["id"] for r in report.decision["reasons"]] == ["mid-budget", "mid-budget", "startup-trials"]
    assert row[2] == "mid-budget; startup-trials"


def _reference_file(tmp_path):
    document = {
        "format": 1,
        "measured": {"command": "python benchmarks/profile_all_spaces.py --write-reference", "proxy": "jacob_cov",
                     "scaling": "clip_minmax"},
        "spaces": [
            {"name": "small", "available": True, "size": {"log10": 3.0}, "architecture_diversity": 0.02,
             "n_tasks": 1, "performance_diversity": {"available": False, "sd": None, "reason": "test"}},
            {"name": "large", "available": True, "size": {"log10": 18.0}, "architecture_diversity": 0.4,
             "n_tasks": 10, "performance_diversity": {"available": False, "sd": None, "reason": "test"}},
        ],
    }
    path = tmp_path / "reference_profiles.json"
    path.write_text(json.dumps(document))
    return path


def test_the_numbers_are_put_in_words_against_the_built_in_spaces(tmp_path, capsys, monkeypatch, cache_dir):
    from nas_complexity.report import _reference as reference
    monkeypatch.setattr(reference, "REFERENCE_FILE", _reference_file(tmp_path))
    assert main(["profile", "nb201", "--no-performance"]) == 0
    out = capsys.readouterr().out
    assert "What the numbers mean (against the built-in spaces):" in out
    assert "- size (log10) 4.19 is low among the 2 built-in spaces" in out

    monkeypatch.setattr(reference, "REFERENCE_FILE", tmp_path / "missing.json")  # not generated yet: left out
    assert main(["profile", "nb201", "--no-performance"]) == 0
    out = capsys.readouterr().out
    assert "What the numbers mean" not in out and "Search strategy for" in out


# --------------------------------------------------------------------------------------------- the cache
def test_a_second_run_is_served_from_the_cache(capsys, monkeypatch, cache_dir, tmp_path):
    assert main(["profile", "nb201", "--no-performance", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["cache"]["status"] == "written"
    cached_file = first["cache"]["file"]
    assert cached_file.startswith(str(cache_dir))

    def refuse(*args, **kwargs):
        raise AssertionError("profiled again although the profile is cached")

    monkeypatch.setattr(nas_complexity.profiling, "profile", refuse)
    from nas_complexity.report import _reference as reference  # the chart is scaled against it
    monkeypatch.setattr(reference, "REFERENCE_FILE", _reference_file(tmp_path))
    plot = tmp_path / "nb201.png"
    assert main(["profile", "nb201", "--no-performance", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert f"profile read from cache ({cached_file}); --no-cache to recompute" in out
    assert plot.stat().st_size > 0
    assert main(["profile", "nb201", "--no-performance", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["cache"] == {"status": "read", "file": cached_file, "reason": None}
    assert second["size"] == first["size"] and second["decision"] == first["decision"]

    monkeypatch.undo()
    monkeypatch.setenv("NAS_COMPLEXITY_CACHE_DIR", str(cache_dir))
    assert main(["profile", "nb201", "--no-performance", "--no-cache"]) == 0
    assert "profile read from cache" not in capsys.readouterr().out
    assert main(["profile", "nb201", "--no-performance", "--no-cache", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cache"]["status"] == "disabled"


def test_a_different_option_is_a_different_cache_entry(capsys, cache_dir):
    assert main(["profile", "tnb101-macro", "--no-performance", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cache"]["status"] == "written"
    assert main(["profile", "tnb101-macro", "--no-performance", "--json", "--seed", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["cache"]["status"] == "written"
    assert main(["profile", "tnb101-macro", "--no-performance", "--json", "--trials", "500"]) == 0
    assert json.loads(capsys.readouterr().out)["cache"]["status"] == "read"  # the budget is not part of a profile


def test_a_performance_profile_with_an_accuracy_table_is_cached_by_the_table(data_root, capsys, cache_dir):
    fast = ["profile", "nb201", "--json", "--max-archs", "6", "--batch-size", "8", "--workers", "1", "--no-progress",
            "--accuracy-data", str(data_root)]
    assert main(fast) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["cache"]["status"] == "written" and first["performance_diversity"]["kendall_tau"] is not None
    assert main(fast) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["cache"]["status"] == "read"
    assert second["performance_diversity"] == first["performance_diversity"]
    assert second["performance_diversity"]["accuracy_table"] == "nb201/cifar10"
    assert main([*fast, "--task", "cifar100"]) == 0  # another table: another profile
    third = json.loads(capsys.readouterr().out)
    assert third["cache"]["status"] == "written" and third["performance_diversity"]["accuracy_table"] == "nb201/cifar100"
