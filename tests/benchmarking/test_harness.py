"""The comparison harness: strategies, runs, resume, outputs, executors and the ``compare`` command, on tiny tables."""
from __future__ import annotations

import itertools
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

optuna = pytest.importorskip("optuna")

from nas_complexity.benchmarking import (  # noqa: E402
    STRATEGIES,
    AdvisorStrategy,
    BenchmarkSetting,
    RandomStrategy,
    SerialExecutor,
    TabularObjective,
    UserTableRef,
    _harness,
    compare,
    load_user_table,
    space_traits,
)
from nas_complexity.benchmarking._stats import regret_at  # noqa: E402
from nas_complexity.cli import main  # noqa: E402
from nas_complexity.data import arch_key  # noqa: E402
from nas_complexity.spaces import Categorical, Condition, IntRange, SearchSpace  # noqa: E402

OPS = ("conv", "pool", "skip")


def cube_setting(name: str = "cube", shift: float = 0.0) -> BenchmarkSetting:
    """A complete 3x3x3 categorical table with distinct values."""
    space = SearchSpace(name, [Categorical(f"e{i}", OPS) for i in range(3)])
    rng = np.random.default_rng(7)
    values = rng.permutation(27).astype(float) + shift
    table = {arch_key(a): v for a, v in zip(space.enumerate(), values)}
    return BenchmarkSetting(name, "cube", TabularObjective(table, space))


def numeric_frame() -> pd.DataFrame:
    rows = [{"width": w, "depth": d, "loss": (w - 3) ** 2 + 0.5 * (d - 2) ** 2 + 0.01 * w * d}
            for w, d in itertools.product(range(1, 6), range(1, 5))]
    return pd.DataFrame(rows)


NUMERIC_DESCRIPTION = {"metric": "loss", "direction": "minimize", "columns": {"width": "int", "depth": "int"}}


def numeric_setting() -> BenchmarkSetting:
    return load_user_table(numeric_frame(), NUMERIC_DESCRIPTION, name="numeric")


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


# ------------------------------------------------------------------------------------------- strategies
def test_registry_names_and_budget_awareness():
    assert list(STRATEGIES) == ["random", "tpe", "gp", "discrete_gp", "regularized_evolution", "nsga2", "cma_es", "auto",
                                "advisor"]
    assert all(name == s.name for name, s in STRATEGIES.items())
    assert {n for n, s in STRATEGIES.items() if s.budget_aware} == {"auto", "advisor"}
    assert {n for n, s in STRATEGIES.items() if s.selector} == {"auto", "advisor"}


def test_cma_es_only_on_all_numeric_spaces_and_the_auto_rule():
    cube, numeric = cube_setting(), numeric_setting()
    assert space_traits(numeric.objective.space).numeric and not space_traits(cube.objective.space).numeric
    assert not STRATEGIES["cma_es"].applies_to(cube) and STRATEGIES["cma_es"].applies_to(numeric)
    auto = STRATEGIES["auto"]
    assert type(auto.make_sampler(cube, 1000, 0)).__name__ == "TPESampler"
    assert type(auto.make_sampler(numeric, 249, 0)).__name__ == "GPSampler"
    assert type(auto.make_sampler(numeric, 250, 0)).__name__ == "CmaEsSampler"
    conditional = SearchSpace("cond", [IntRange("n", 1, 3), IntRange("k", 1, 3, condition=Condition("n", (2,)))])
    setting = BenchmarkSetting("cond", "cond", TabularObjective({"x": 1.0}, conditional, missing="nan"))
    assert type(auto.make_sampler(setting, 300, 0)).__name__ == "TPESampler"  # conditional: TPE even if numeric
    assert not STRATEGIES["cma_es"].applies_to(setting)


def test_every_fixed_strategy_builds_a_seeded_sampler():
    cube = cube_setting()
    for name in ("random", "tpe", "gp", "regularized_evolution", "nsga2"):
        sampler = STRATEGIES[name].make_sampler(cube, 10, 3)
        assert isinstance(sampler, optuna.samplers.BaseSampler), name


def test_evolution_settings_are_strategies_of_their_own(tmp_path):
    from nas_complexity.benchmarking import RegularizedEvolutionStrategy

    tuned = RegularizedEvolutionStrategy(population_size=4, sample_size=4)
    assert tuned.name == "regularized_evolution(population=4, tournament=4)"
    sampler = tuned.make_sampler(cube_setting(), 10, seed=0)
    assert (sampler.population_size, sampler.sample_size) == (4, 4)
    with pytest.raises(ValueError, match="sample_size=5 must be between 1 and population_size=4"):
        RegularizedEvolutionStrategy(population_size=4, sample_size=5)
    # Side by side with the default one in one comparison: two rows per setting and budget, each its own runs.
    result = compare([cube_setting()], [STRATEGIES["regularized_evolution"], tuned], budgets=(5, 10), seeds=2,
                     out=tmp_path, executor=SerialExecutor(), progress=False, features=None, plots=False)
    assert set(result.summary["strategy"]) == {"regularized_evolution", tuned.name}
    assert result.executed == 2 * 2


def test_nsga2_populations_are_strategies_of_their_own():
    from nas_complexity.benchmarking import NSGA2Strategy

    small = NSGA2Strategy(population_size=4)
    assert (NSGA2Strategy().name, small.name) == ("nsga2", "nsga2(population=4)")
    study = optuna.create_study(sampler=small.make_sampler(cube_setting(), 12, seed=0))
    study.optimize(lambda t: t.suggest_int("x", 0, 10), n_trials=12)
    # Population 4: 12 trials are generations 0, 1 and 2 (Optuna's default of 50 would still be in generation 0).
    assert max(t.system_attrs["NSGAIISampler:generation"] for t in study.trials) == 2
    for bad in (1, 2.5, True, "10"):
        with pytest.raises(ValueError, match=r"population_size=.* is not accepted; accepted: None"):
            NSGA2Strategy(population_size=bad)


def test_a_run_is_a_pure_function_of_its_task():
    cube = cube_setting()
    facts = _harness._TableFacts.of(cube.objective)
    task = _harness._Task(cube, cube.name, STRATEGIES["regularized_evolution"], 30, 4, facts)
    first, second = _harness.run_one(task), _harness.run_one(task)
    assert first["values"] == second["values"] and first["regret"] == second["regret"]
    assert len(first["values"]) == len(first["sampler_seconds"]) == 30
    assert all(s >= 0 for s in first["sampler_seconds"])
    assert first["regret"] == cube.objective.regret_curve(first["values"]).tolist()
    # the table's best entry is the only one in its top 1% (27 entries): reached when 26 is first seen
    reached = first["evals_to_top1"]
    assert reached is None or first["values"][reached - 1] == 26.0


# ------------------------------------------------------------------------------------------- compare
def test_compare_end_to_end_writes_every_file(tmp_path):
    cube, numeric = cube_setting(), numeric_setting()
    out = tmp_path / "cmp"
    # The advisor through the real hook; told that a trial takes 1 s, its rules pick a cheap sampler rather than GP
    # (measured at over 10% of that per trial) on the categorical table (keeps the test in seconds).
    advisor = AdvisorStrategy(seconds_per_trial=1.0)
    result = compare([cube, numeric], ["random", "regularized_evolution", advisor], budgets=(5, 10), seeds=2,
                     out=out, executor=SerialExecutor(), progress=False)
    # random and evolution: one run to 10 trials per seed; the advisor: one per budget and seed
    assert result.executed == 2 * (2 + 2 + 2 * 2) and result.skipped == 0
    assert len(lines(out / "runs.jsonl")) == result.executed
    for name in ("runs.jsonl", "summary.csv", "summary.json", "settings.csv", "curves.csv", "timing.csv",
                 "efficiency.csv", "regret_curves.png", "ranks.png", "efficiency.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
        assert out / name in result.files

    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns[:13]) == ["setting", "budget", "strategy", "mean_regret", "ci_low", "ci_high", "auc",
                                          "evals_to_top1", "top1_reached", "rank", "seconds_per_trial", "n_seeds",
                                          "chosen"]
    assert len(summary) == 2 * 3 * 2 and (summary["n_seeds"] == 2).all()
    inside = (summary["ci_low"] <= summary["mean_regret"] + 1e-12) & (summary["mean_regret"] <= summary["ci_high"] + 1e-12)
    assert inside.all()
    assert summary.groupby(["setting", "budget"])["rank"].sum().eq(6).all()  # ranks 1..3, ties averaged

    # a budget of a non-budget-aware strategy is the prefix of its run to the largest budget
    runs = [json.loads(line) for line in lines(out / "runs.jsonl")]
    random_cube = [r for r in runs if r["strategy"] == "random" and r["setting"] == "cube"]
    assert {r["n_trials"] for r in random_cube} == {10}
    row = summary[(summary["setting"] == "cube") & (summary["strategy"] == "random") & (summary["budget"] == 5)]
    assert row["mean_regret"].item() == pytest.approx(np.mean([regret_at(r["regret"], 5) for r in random_cube]))
    assert row["auc"].item() == pytest.approx(np.mean([np.mean(r["regret"][:5]) for r in random_cube]))
    advisor = [r for r in runs if r["strategy"] == "advisor"]
    assert sorted({r["n_trials"] for r in advisor}) == [5, 10]
    assert all(r["chosen"].split("/")[0] in ("bayesian", "evolutionary", "random") for r in advisor)  # family/Sampler
    # Optuna's GPSampler would cost more than 10% of the 1 s trial: the fitted rules' choices are cheaper ones.
    cube_choices = {r["chosen"] for r in advisor if r["setting"] == "cube"}
    assert cube_choices and not any(c.endswith("/GPSampler") for c in cube_choices)

    summary_json = json.loads((out / "summary.json").read_text())
    across = summary_json["across_settings"]
    assert set(across) == {"5", "10"}
    for a in across.values():
        assert a["sbs"] in ("random", "regularized_evolution") and a["vbs_regret"] <= a["sbs_regret"]
        assert set(a["selectors"]) == {"advisor"}
        assert "sbs_held_out" in a  # two space groups
    settings = pd.read_csv(out / "settings.csv")
    assert settings.set_index("setting").loc["cube", "size"] == 27
    assert settings.set_index("setting").loc["numeric", "log10_size"] == pytest.approx(np.log10(20), abs=1e-3)
    table = result.across_table()
    assert {"SBS (random)", "SBS (regularized_evolution)"} & set(table["strategy"])
    assert "advisor" in set(table["strategy"])


def test_resume_skips_finished_runs_and_redoes_cut_or_changed_ones(tmp_path):
    cube = cube_setting()
    kwargs = {"budgets": (5, 10), "seeds": 3, "out": tmp_path, "executor": SerialExecutor(), "progress": False,
              "plots": False, "features": None}
    first = compare([cube], ["random", "regularized_evolution"], **kwargs)
    assert first.executed == 6
    again = compare([cube], ["random", "regularized_evolution"], **kwargs)
    assert (again.executed, again.skipped) == (0, 6)
    pd.testing.assert_frame_equal(first.summary, again.summary)

    # an interrupted comparison: the last run's line was cut off mid-write
    runs_file = tmp_path / "runs.jsonl"
    kept = lines(runs_file)
    runs_file.write_text("\n".join(kept[:-1]) + "\n" + kept[-1][:40], encoding="utf-8")
    resumed = compare([cube], ["random", "regularized_evolution"], **kwargs)
    assert (resumed.executed, resumed.skipped) == (1, 5)

    # more seeds: only the new ones run; a replaced table under the same name is run again
    assert compare([cube], ["random"], **{**kwargs, "seeds": 4}).executed == 1
    assert compare([cube_setting(shift=100.0)], ["random"], **{**kwargs, "seeds": 4}).executed == 4


class _BrokenStrategy(RandomStrategy):
    name = "broken"

    def make_sampler(self, setting, n_trials, seed):
        raise RuntimeError("this sampler cannot be built")


def test_runs_that_fail_are_named_and_finished_ones_kept(tmp_path):
    kwargs = {"budgets": (4,), "seeds": 2, "out": tmp_path, "executor": SerialExecutor(), "progress": False,
              "plots": False, "features": None}
    with pytest.raises(RuntimeError, match=r"2 of 2 runs failed .*broken on cube seed 0.*cannot be built"):
        compare([cube_setting()], [_BrokenStrategy()], **kwargs)
    with pytest.raises(RuntimeError, match="2 of 4 runs failed"):
        compare([cube_setting()], ["random", _BrokenStrategy()], **kwargs)
    assert len(lines(tmp_path / "runs.jsonl")) == 2  # the random runs, kept for the next attempt


def test_default_strategies_are_every_runnable_one(tmp_path):
    result = compare([cube_setting()], budgets=(4,), seeds=1, out=tmp_path, executor=SerialExecutor(),
                     progress=False, plots=False, features=None)
    expected = [n for n in STRATEGIES if n != "cma_es" and not STRATEGIES[n].missing_dependency(cube_setting(), 4)]
    assert result.summary["strategy"].tolist() == expected  # CMA-ES does not apply to a categorical table


def test_compare_rejects_bad_input(tmp_path):
    cube = cube_setting()
    kwargs = {"out": tmp_path, "executor": SerialExecutor(), "progress": False, "plots": False, "features": None}
    with pytest.raises(ValueError, match="unknown strategy 'bogus'"):
        compare([cube], ["bogus"], **kwargs)
    with pytest.raises(ValueError, match="applies to none"):
        compare([cube], ["cma_es"], **kwargs)
    with pytest.raises(ValueError, match="budgets"):
        compare([cube], ["random"], budgets=(0, 5), **kwargs)
    with pytest.raises(ValueError, match="names repeat"):
        compare([cube, cube_setting()], ["random"], **kwargs)


def test_process_pool_loads_referenced_tables_in_the_worker(tmp_path):
    csv = tmp_path / "numeric.csv"
    numeric_frame().to_csv(csv, index=False)
    description = tmp_path / "numeric.json"
    description.write_text(json.dumps(NUMERIC_DESCRIPTION), encoding="utf-8")
    ref = UserTableRef(str(csv), str(description), name="numeric")
    context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                                          else "spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        pooled = compare([ref], ["random", "tpe"], budgets=(6,), seeds=2, out=tmp_path / "pool", executor=pool,
                         progress=False, plots=False, features=None)
    serial = compare([ref], ["random", "tpe"], budgets=(6,), seeds=2, out=tmp_path / "serial",
                     executor=SerialExecutor(), progress=False, plots=False, features=None)
    assert pooled.executed == 4
    columns = ["setting", "budget", "strategy", "mean_regret", "auc"]
    pd.testing.assert_frame_equal(pooled.summary[columns], serial.summary[columns])  # same numbers anywhere


def test_dask_executor(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        result = compare([cube_setting()], ["random"], budgets=(5,), seeds=2, out=tmp_path,
                         executor=client.get_executor(), progress=False, plots=False, features=None)
    assert result.executed == 2 and len(result.summary) == 1


# ----------------------------------------------------------------------------------------------- CLI
def write_user_table(folder: Path) -> str:
    frame = pd.DataFrame([{"op": op, "width": w, "acc": float(10 * i + w)}
                          for i, (op, w) in enumerate(itertools.product(OPS, (8, 16, 24)))])
    frame.to_csv(folder / "table.csv", index=False)
    (folder / "table.json").write_text(json.dumps({"metric": "acc", "direction": "maximize"}), encoding="utf-8")
    return f"{folder / 'table.csv'}:{folder / 'table.json'}"


def test_cli_help_lists_every_strategy():
    from nas_complexity import cli

    assert cli._COMPARE_STRATEGIES == ", ".join(STRATEGIES)


def test_cli_compare_end_to_end(tmp_path, capsys):
    table = write_user_table(tmp_path)
    out = tmp_path / "out"
    argv = ["compare", "--tables", table, "--strategies", "random,tpe", "--trials", "4,8", "--seeds", "2",
            "--out", str(out), "--workers", "1", "--no-progress"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "4 runs executed, 0 read back" in printed
    assert "Across settings" in printed and "SBS (" in printed and "VBS (oracle)" in printed
    for name in ("runs.jsonl", "summary.csv", "summary.json", "regret_curves.png", "ranks.png", "efficiency.png"):
        assert (out / name).is_file() and str(out / name) in printed
    assert set(pd.read_csv(out / "summary.csv")["setting"]) == {"table"}
    assert main(argv) == 0 and "0 runs executed, 4 read back" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--tables", "nb999/none"], "--tables 'nb999/none': unknown table; accepted: names from list_settings()"),
        (["--tables", "missing.csv:missing.json"], "--tables missing.csv:missing.json: data CSV file"),
        (["--trials", "10,x"], "--trials '10,x': accepted comma-separated positive integers"),
        (["--strategies", "random,bogus"], "--strategies 'random,bogus': unknown 'bogus'; accepted: random, tpe"),
        (["--strategies", "cma_es"], "--strategies: cma_es cannot run: applies to none of the settings"),
        (["--seeds", "0"], "argument --seeds: expected a positive integer, got '0'"),
        (["--max-trials", "tpe"], "--max-trials 'tpe': accepted: STRATEGY=N with N a positive trial count"),
        (["--strategies", "random", "--max-trials", "tpe=4"], "max_trials names strategies not compared: ['tpe']"),
    ],
)
def test_cli_compare_errors_name_the_flag(tmp_path, capsys, flags, message):
    argv = ["compare", "--tables", write_user_table(tmp_path), "--out", str(tmp_path / "out"), "--no-progress"]
    argv += flags  # a repeated flag: argparse keeps the last one
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / "runs.jsonl").exists()


def test_max_trials_caps_a_strategy_and_the_summary_says_so(tmp_path, capsys):
    result = compare([cube_setting()], ["random", "tpe"], budgets=(4, 8), seeds=2, out=tmp_path,
                     executor=SerialExecutor(), progress=False, plots=False, features=None, max_trials={"tpe": 4})
    assert sorted(set(result.runs["n_trials"][result.runs["strategy"] == "tpe"])) == [4]
    rows = result.summary.set_index(["strategy", "budget"])
    assert ("tpe", 4) in rows.index and ("tpe", 8) not in rows.index and ("random", 8) in rows.index
    assert result.across[8]["sbs"] == "random"  # the SBS at 8 trials is over what ran there
    with pytest.raises(ValueError, match="below every budget"):
        compare([cube_setting()], ["random"], budgets=(4, 8), seeds=1, out=tmp_path / "b", executor=SerialExecutor(),
                progress=False, plots=False, features=None, max_trials={"random": 2})
    table = write_user_table(tmp_path)
    argv = ["compare", "--tables", table, "--strategies", "random,tpe", "--trials", "4,8", "--seeds", "1",
            "--out", str(tmp_path / "cli"), "--workers", "1", "--no-progress", "--max-trials", "tpe=4"]
    assert main(argv) == 0
    summary = pd.read_csv(tmp_path / "cli" / "summary.csv")
    assert set(summary.loc[summary["strategy"] == "tpe", "budget"]) == {4}


def test_setting_features_place_a_setting_by_its_table_landscape() -> None:
    from nas_complexity.benchmarking._harness import LANDSCAPE_FEATURES, _feature_columns, setting_features
    from nas_complexity.metrics import landscape_of_table

    setting = numeric_setting()
    features = setting_features(setting)
    exact = landscape_of_table(setting.objective, seed=0)
    assert {f"landscape_{k}": features[f"landscape_{k}"] for k in LANDSCAPE_FEATURES} == {
        f"landscape_{k}": getattr(exact, k) for k in LANDSCAPE_FEATURES}
    assert features["landscape_fdc"] is not None  # a real table gives a real FDC
    # The plot keeps the landscape's headline measures and leaves the rest to features.csv.
    columns = _feature_columns(pd.DataFrame([{"setting": "numeric", **features}]))
    assert "landscape_fdc" in columns and "landscape_skewness" not in columns
