"""The Optuna pre-search hook on real Optuna studies: before trial 0, stored, recorded, shared, and safe."""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402
from optuna.trial import TrialState  # noqa: E402

from nas_complexity import profile  # noqa: E402
from nas_complexity._errors import SpaceError, UnknownSpaceError  # noqa: E402
from nas_complexity.integration import (  # noqa: E402
    DECISION_KEY,
    OPTUNA_SAMPLERS,
    PROFILE_KEY,
    REDECISION_KEY,
    STATUS_KEY,
    STRATEGY_KEY,
    AdvisedSampler,
    ComplexityAdvisor,
    build_optuna_sampler,
)
from nas_complexity.report import ComplexityReport  # noqa: E402
from nas_complexity.strategies import Budget, BudgetError, Decision, FamilyRule, decide  # noqa: E402

HERE = Path(__file__).resolve().parent
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
# The hook's machinery (locks, storage, workers, fallbacks) is tested with one fixed rule, whatever the shipped
# (fitted) policy chooses: TPE, which also gets constant_liar for parallel workers.
TPE_RULES = (FamilyRule("tpe-for-the-hook-tests", (), "bayesian", "tpe", "tests of the hook's machinery"),)
TPE_SETTINGS = dict(n_trials=20, seconds_per_trial=1.0, rules=TPE_RULES)


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    yield
    optuna.logging.set_verbosity(optuna.logging.INFO)


@pytest.fixture(scope="module")
def nb201_report() -> ComplexityReport:
    return profile("nb201", performance=False)


def cell_objective(trial) -> float:
    """Deterministic NB201-cell score: 3x3 convolutions add, pooling on the last edges costs a little."""
    ops = [trial.suggest_categorical(f"edge{i}", OPS) for i in range(6)]
    return sum(op == "nor_conv_3x3" for op in ops) - 0.5 * sum(op == "avg_pool_3x3" for op in ops[3:])


def counting(report: ComplexityReport):
    """A profiler returning ``report`` that counts its calls (``.calls``)."""

    def profiler(space):
        profiler.calls += 1
        return report

    profiler.calls = 0
    return profiler


def nas_records(caplog, level=logging.INFO, needle="strategy="):
    return [r for r in caplog.records if r.name.startswith("nas_complexity") and r.levelno == level and needle in r.getMessage()]


# ----------------------------------------------------------------------------------- build_optuna_sampler
@pytest.mark.parametrize(
    "name, params, attr, expected",
    [
        ("RandomSampler", {}, None, None),
        ("TPESampler", {"n_startup_trials": 7, "multivariate": True, "group": True, "constant_liar": True}, "_n_startup_trials", 7),
        ("GPSampler", {"n_startup_trials": 4}, "_n_startup_trials", 4),
        ("CmaEsSampler", {"n_startup_trials": 3}, "_n_startup_trials", 3),
        ("NSGAIISampler", {"population_size": 13}, "_population_size", 13),
    ],
)
def test_build_optuna_sampler_uses_the_decision_params(name, params, attr, expected):
    decision = Decision("x", name, "Random", "Random", {"optuna": params}, [], {})
    sampler = build_optuna_sampler(decision, seed=0)
    assert type(sampler) is getattr(optuna.samplers, name)
    if attr:
        assert getattr(sampler, attr) == expected
    assert type(build_optuna_sampler(decision.to_dict())) is type(sampler)


def test_build_optuna_sampler_from_real_decisions(nb201_report):
    from nas_complexity.integration import DiscreteGPSampler

    for n_trials in (20, 300):  # the shipped policy: the discrete GP at both budgets
        decision = decide(nb201_report, Budget(n_trials=n_trials))
        sampler = build_optuna_sampler(decision, seed=0)
        assert decision.optuna_sampler == type(sampler).__name__ == "DiscreteGPSampler"
        assert isinstance(sampler, DiscreteGPSampler) and sampler.n_startup_trials == min(10, n_trials // 2)
    decision = decide(nb201_report, Budget(n_trials=40, n_workers=4, seconds_per_trial=1.0), TPE_RULES)
    sampler = build_optuna_sampler(decision, seed=0)
    assert isinstance(sampler, optuna.samplers.TPESampler) and sampler._constant_liar and sampler._multivariate


def test_build_regularized_evolution_sampler(nb201_report):
    evolution = pytest.importorskip(
        "nas_complexity.integration._optuna_evolution", reason="the regularized-evolution sampler is not in this checkout yet"
    )
    from nas_complexity.strategies import BRIEF_RULES

    decision = decide(nb201_report, Budget(n_trials=300), BRIEF_RULES)
    sampler = build_optuna_sampler(decision, seed=0)
    assert isinstance(sampler, evolution.RegularizedEvolutionSampler)


def test_build_optuna_sampler_rejects_unknown_names_and_params():
    with pytest.raises(ValueError, match=r"unknown Optuna sampler 'QMCSamplr'.*accepted: RandomSampler, TPESampler"):
        build_optuna_sampler(Decision("x", "QMCSamplr", "", "", {"optuna": {}}, [], {}))
    with pytest.raises(ValueError, match=r"RandomSampler does not accept .*\['population_size'\]"):
        build_optuna_sampler(Decision("x", "RandomSampler", "", "", {"optuna": {"population_size": 3}}, [], {}))
    with pytest.raises(TypeError, match="Decision"):
        build_optuna_sampler("TPESampler")  # type: ignore[arg-type]
    assert set(OPTUNA_SAMPLERS) >= {"RandomSampler", "TPESampler", "GPSampler", "CmaEsSampler", "NSGAIISampler"}


# --------------------------------------------------------------------------------- decision before trial 0
def test_decision_is_stored_and_used_before_trial_0(caplog, nb201_report):
    caplog.set_level(logging.INFO, logger="nas_complexity")
    seen: dict[int, dict] = {}

    def objective(trial):
        seen[trial.number] = {
            "decision": trial.study.user_attrs.get(DECISION_KEY),
            "strategy": trial.user_attrs.get(STRATEGY_KEY),
            "sampler": type(trial.study.sampler.active).__name__,
        }
        return cell_objective(trial)

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=123))
    advisor = ComplexityAdvisor("nb201", seed=0, **TPE_SETTINGS)
    assert advisor.attach(study) is study and isinstance(study.sampler, AdvisedSampler)
    assert STATUS_KEY not in study.user_attrs  # attach() only installs the companion
    study.optimize(objective, n_trials=20, callbacks=[advisor])

    # Inside trial 0, before it finished, the decision was already stored and the chosen sampler active.
    assert seen[0]["decision"] is not None
    assert seen[0]["strategy"] == "bayesian/TPESampler" and seen[0]["sampler"] == "TPESampler"
    # The whole sequence is that of the bare chosen sampler with the same seed, not of the original RandomSampler.
    bare = optuna.create_study(direction="maximize", sampler=build_optuna_sampler(advisor.decision, seed=0))
    bare.optimize(cell_objective, n_trials=20)
    assert [t.params for t in study.trials] == [t.params for t in bare.trials]

    # Stored as JSON that parses back; the profile too; one INFO line with the choice and the reasons.
    decision = Decision.from_json(study.user_attrs[DECISION_KEY])
    assert decision == advisor.decision and decision.optuna_sampler == "TPESampler"
    assert ComplexityReport.from_json(study.user_attrs[PROFILE_KEY]).size.total == 15625
    status = json.loads(study.user_attrs[STATUS_KEY])
    assert status["state"] == "decided" and status["strategy"] == "bayesian/TPESampler" and status["space"] == "nb201"
    lines = nas_records(caplog)
    assert len(lines) == 1
    assert decision.summary() in lines[0].getMessage() and "tpe-for-the-hook-tests" in lines[0].getMessage()

    # Every trial records the strategy; trials_dataframe() shows it.
    frame = study.trials_dataframe()
    assert (frame[f"user_attrs_{STRATEGY_KEY}"] == "bayesian/TPESampler").all() and len(frame) == 20


def test_threads_of_one_process_profile_once(nb201_report):
    profiler = counting(nb201_report)
    study = optuna.create_study(direction="maximize")
    advisor = ComplexityAdvisor("nb201", n_trials=20, n_workers=2, seconds_per_trial=1.0, profiler=profiler,
                                rules=TPE_RULES)
    advisor.attach(study)
    study.optimize(cell_objective, n_trials=12, n_jobs=2)
    assert profiler.calls == 1
    assert {t.user_attrs[STRATEGY_KEY] for t in study.trials} == {"bayesian/TPESampler"}
    assert study.sampler.active._constant_liar  # n_workers=2 -> constant liar


def test_resumed_study_reuses_the_stored_decision(caplog, nb201_report):
    caplog.set_level(logging.INFO, logger="nas_complexity")
    storage = optuna.storages.InMemoryStorage()
    first = optuna.create_study(study_name="resume", storage=storage, direction="maximize")
    ComplexityAdvisor("nb201", profiler=counting(nb201_report), **TPE_SETTINGS).attach(first)
    first.optimize(cell_objective, n_trials=3)

    again = counting(nb201_report)
    study = optuna.load_study(study_name="resume", storage=storage)
    advisor = ComplexityAdvisor("nb201", profiler=again, **TPE_SETTINGS)
    advisor.attach(study)
    study.optimize(cell_objective, n_trials=3)
    assert again.calls == 0 and advisor.strategy == "bayesian/TPESampler"
    assert "loaded from the study, stored earlier" in nas_records(caplog)[-1].getMessage()


def test_callback_alone_decides_after_trial_0(caplog, nb201_report):
    caplog.set_level(logging.INFO, logger="nas_complexity")
    study = optuna.create_study(direction="maximize")
    advisor = ComplexityAdvisor("nb201", profiler=counting(nb201_report), **TPE_SETTINGS)
    study.optimize(cell_objective, n_trials=4, callbacks=[advisor])
    assert STRATEGY_KEY not in study.trials[0].user_attrs
    assert [t.user_attrs[STRATEGY_KEY] for t in study.trials[1:]] == ["bayesian/TPESampler"] * 3
    assert any("without advisor.attach(study)" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_one_advisor_per_study(nb201_report):
    advisor = ComplexityAdvisor("nb201", profiler=counting(nb201_report), **TPE_SETTINGS)
    advisor.attach(optuna.create_study(study_name="a"))
    with pytest.raises(ValueError, match="attached to study 'a'"):
        advisor.attach(optuna.create_study(study_name="b"))
    with pytest.raises(TypeError, match="optuna.Study"):
        ComplexityAdvisor("nb201", **TPE_SETTINGS).attach("my-study")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- fallbacks
def _assert_fell_back(study, caplog, cause: str) -> None:
    assert len(study.trials) == 5 and all(t.state.name == "COMPLETE" for t in study.trials)
    assert {t.user_attrs[STRATEGY_KEY] for t in study.trials} == {"fallback/RandomSampler"}
    assert isinstance(study.sampler.active, optuna.samplers.RandomSampler)
    status = json.loads(study.user_attrs[STATUS_KEY])
    assert status["state"] == "fallback" and cause in status["cause"]
    assert DECISION_KEY not in study.user_attrs
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("nas_complexity") and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and cause in warnings[0] and "original sampler RandomSampler" in warnings[0]


def _at_most_three_wide(arch) -> bool:
    return sum(value == "wide" for value in arch.values()) <= 3


def test_the_hook_gives_the_spaces_declared_constraints_to_the_sampler():
    # A table of the 93 architectures the space allows (of 256 combinations): with the space's constraint given to
    # the discrete GP, no trial after the first is spent on a combination the table lacks.
    from nas_complexity.benchmarking import TabularObjective
    from nas_complexity.data import arch_key
    from nas_complexity.spaces import Categorical, SearchSpace

    space = SearchSpace("eight-layers", params=[Categorical(f"layer{i}", ("plain", "wide")) for i in range(8)],
                        constraints=[_at_most_three_wide])
    table = {arch_key(a): float(sum((i + 1) * (a[f"layer{i}"] == "wide") for i in range(8))) for a in space.enumerate()}
    advisor = ComplexityAdvisor(space, n_trials=30, seed=0, cache=False)
    assert advisor.feasibility() is not None and len(table) == 93
    study = optuna.create_study(direction="maximize")
    advisor.attach(study)
    study.optimize(TabularObjective(table, space, missing="prune"), n_trials=30, callbacks=[advisor])
    assert advisor.decision.optuna_sampler == "DiscreteGPSampler"
    assert {t.number for t in study.trials if t.state == TrialState.PRUNED} <= {0}
    assert study.best_value == 21.0  # layers 6, 7 and 8 wide


def test_failing_profiler_falls_back_to_the_original_sampler(caplog):
    caplog.set_level(logging.INFO, logger="nas_complexity")

    def broken(space):
        raise RuntimeError("no GPU for jacob_cov today")

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
    advisor = ComplexityAdvisor("nb201", profiler=broken, **TPE_SETTINGS)
    advisor.attach(study)
    study.optimize(cell_objective, n_trials=5, callbacks=[advisor])
    _assert_fell_back(study, caplog, "RuntimeError: no GPU for jacob_cov today")
    assert advisor.decision is None and advisor.strategy == "fallback/RandomSampler"


def test_profile_past_its_time_limit_falls_back(caplog, nb201_report):
    caplog.set_level(logging.INFO, logger="nas_complexity")
    release = threading.Event()

    def slow(space):
        release.wait(20)
        return nb201_report

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
    ComplexityAdvisor("nb201", profiler=slow, profile_timeout=0.3, **TPE_SETTINGS).attach(study)
    try:
        study.optimize(cell_objective, n_trials=5)
        # The study finished its trials while the (uncancellable) custom profiler was still blocked.
        assert any(t.name.startswith("nas_complexity-profile") for t in threading.enumerate())
    finally:
        release.set()
    _assert_fell_back(study, caplog, "time limit of 0.3 s")


def test_unbuildable_decision_falls_back(caplog, nb201_report):
    caplog.set_level(logging.INFO, logger="nas_complexity")
    from nas_complexity.strategies import FamilyRule

    odd = (FamilyRule("odd", (), "bayesian", "QMCSamplr", "a rule naming an algorithm that Optuna does not have"),)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
    ComplexityAdvisor("nb201", profiler=counting(nb201_report), rules=odd, n_trials=20).attach(study)
    study.optimize(cell_objective, n_trials=5)
    _assert_fell_back(study, caplog, "unknown Optuna sampler 'QMCSamplr'")


def test_follower_stops_waiting_and_adopts_the_decision_later(caplog, monkeypatch, nb201_report):
    """A worker whose lock holder is silent falls back locally, then picks up the decision once it is stored."""
    from nas_complexity.integration import _optuna_decision_store
    from nas_complexity.integration._optuna_storage import StudyLock

    caplog.set_level(logging.INFO, logger="nas_complexity")
    monkeypatch.setattr(_optuna_decision_store, "_RECHECK_S", 0.0)
    storage = optuna.storages.InMemoryStorage()
    study = optuna.create_study(study_name="shared", storage=storage, direction="maximize")
    assert StudyLock(study, "profile", ttl_s=60).acquire()  # another, slow worker holds the lock

    advisor = ComplexityAdvisor("nb201", profiler=counting(nb201_report), wait_timeout=0.3, **TPE_SETTINGS)
    advisor.attach(study)
    study.optimize(cell_objective, n_trials=2)
    assert advisor.strategy == "fallback/TPESampler" and STATUS_KEY not in study.user_attrs

    decision = decide(nb201_report, Budget(n_trials=20, seconds_per_trial=1.0), TPE_RULES)
    study.set_user_attr(DECISION_KEY, decision.to_json())
    study.set_user_attr(STATUS_KEY, json.dumps({"state": "decided", "host": "other", "pid": 1}))
    study.optimize(cell_objective, n_trials=2)
    assert [t.user_attrs[STRATEGY_KEY] for t in study.trials] == ["fallback/TPESampler"] * 2 + ["bayesian/TPESampler"] * 2
    assert "stored after this worker stopped waiting by worker other:1" in nas_records(caplog)[-1].getMessage()


def test_expired_lock_of_a_dead_worker_is_broken(nb201_report):
    from nas_complexity.integration._optuna_storage import StudyLock

    storage = optuna.storages.InMemoryStorage()
    study = optuna.create_study(study_name="orphan", storage=storage, direction="maximize")
    assert StudyLock(study, "profile", ttl_s=-1).acquire()  # taken by a worker that died: already expired
    profiler = counting(nb201_report)
    advisor = ComplexityAdvisor("nb201", profiler=profiler, wait_timeout=10, **TPE_SETTINGS)
    advisor.attach(study)
    study.optimize(cell_objective, n_trials=2)
    assert profiler.calls == 1 and advisor.strategy == "bayesian/TPESampler"
    assert [s.study_name for s in storage.get_all_studies()] == ["orphan"]  # the lock study is gone


def test_an_unstamped_lock_is_taken_over_without_waiting_for_a_timeout(nb201_report):
    """A worker that died between creating the lock and stamping it used to block every run for wait_timeout."""
    from optuna.study import StudyDirection

    storage = optuna.storages.InMemoryStorage()
    study = optuna.create_study(study_name="unstamped", storage=storage, direction="maximize")
    storage.create_new_study([StudyDirection.MINIMIZE], study_name="unstamped:nas_complexity-profile-lock")
    profiler = counting(nb201_report)
    advisor = ComplexityAdvisor("nb201", profiler=profiler, **TPE_SETTINGS)  # no wait_timeout at all
    advisor.attach(study)
    study.optimize(cell_objective, n_trials=3)
    assert profiler.calls == 1 and json.loads(study.user_attrs[STATUS_KEY])["state"] == "decided"
    assert {t.user_attrs[STRATEGY_KEY] for t in study.trials} == {"bayesian/TPESampler"}
    assert [s.study_name for s in storage.get_all_studies()] == ["unstamped"]


def test_a_fresh_lock_under_a_reused_id_is_not_taken_for_the_dead_one(tmp_path):
    """SQLite gives a new study the id of one just deleted: an observer must not carry the old lock's age over."""
    from optuna.study import StudyDirection

    from nas_complexity.integration._optuna_storage import StudyLock

    study = optuna.create_study(study_name="reuse", storage=f"sqlite:///{tmp_path / 's.db'}")
    storage = study._storage
    observer = StudyLock(study, "profile", ttl_s=10, stamp_grace_s=0.2)
    dead_id = storage.create_new_study([StudyDirection.MINIMIZE], study_name=observer.name)  # never stamped
    assert observer.holder_state() == "alive"  # first sight: maybe between creating and stamping
    time.sleep(0.3)
    storage.delete_study(dead_id)  # another waiter broke it ...
    fresh_id = storage.create_new_study([StudyDirection.MINIMIZE], study_name=observer.name)  # ... and took it
    assert fresh_id == dead_id  # the reuse this test is about
    assert observer.holder_state() == "alive"  # not "dead": it looks once more before breaking it
    storage.set_study_user_attr(fresh_id, "nas_complexity.lock_expires_at", time.time() + 10)
    storage.set_study_user_attr(fresh_id, "nas_complexity.lock_heartbeat", 0)
    time.sleep(0.6)
    assert observer.holder_state() == "alive" and not observer.break_if_expired()


def test_a_lock_broken_and_retaken_by_another_waiter_is_not_deleted(tmp_path, monkeypatch):
    """Two waiters judge the same lock dead; the first breaks it and takes a new one under the reused id."""
    from optuna.study import StudyDirection

    from nas_complexity.integration import _optuna_storage
    from nas_complexity.integration._optuna_storage import StudyLock

    monkeypatch.setattr(_optuna_storage, "_CONFIRM_S", 0.0)
    study = optuna.create_study(study_name="race", storage=f"sqlite:///{tmp_path / 's.db'}")
    storage = study._storage
    late = StudyLock(study, "profile", ttl_s=10, stamp_grace_s=0.0)
    dead_id = storage.create_new_study([StudyDirection.MINIMIZE], study_name=late.name)
    storage.set_study_user_attr(dead_id, "nas_complexity.lock_taken_at", 1.0)  # died before its heartbeat
    first = StudyLock(study, "profile", ttl_s=10, stamp_grace_s=0.0)
    assert first.holder_state() == "dead" and late.holder_state() == "dead"  # no grace in this test
    judged = late.holder_state

    def judged_then_overtaken() -> str:
        state = judged()  # "dead" ... and before it deletes, the first waiter breaks the lock and takes it
        assert first.break_if_expired() and first.acquire()
        return state

    monkeypatch.setattr(late, "holder_state", judged_then_overtaken)
    try:
        assert late.break_if_expired() is False
        assert storage.get_study_id_from_name(late.name) == first._lock_id == dead_id  # still there, still first's
    finally:
        first.release()


def test_waiters_wait_for_a_live_profiler_longer_than_the_lock_ttl(monkeypatch, nb201_report):
    """The heartbeat keeps the lock alive: a profile that outlasts the TTL is waited for, not taken over."""
    from nas_complexity.integration import _optuna_decision_store

    monkeypatch.setattr(_optuna_decision_store, "_LOCK_TTL_S", 0.6)
    monkeypatch.setattr(_optuna_decision_store, "_HEARTBEAT_S", 0.1)
    storage = optuna.storages.InMemoryStorage()
    optuna.create_study(study_name="slow", storage=storage, direction="maximize")
    calls: list[str] = []

    def slow_profiler(space):
        calls.append(threading.current_thread().name)
        time.sleep(2.5)  # four TTLs
        return nb201_report

    def worker(seed: int) -> None:
        study = optuna.load_study(study_name="slow", storage=storage)
        ComplexityAdvisor("nb201", profiler=slow_profiler, seed=seed, **TPE_SETTINGS).attach(study)
        study.optimize(cell_objective, n_trials=3)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    study = optuna.load_study(study_name="slow", storage=storage)
    assert len(calls) == 1  # nobody took the live worker's lock for dead
    assert {t.user_attrs[STRATEGY_KEY] for t in study.trials} == {"bayesian/TPESampler"}
    assert not [t.name for t in threading.enumerate() if "heartbeat" in t.name]  # the heartbeat stopped with the lock


def test_a_timed_out_profile_is_stopped_not_abandoned():
    """performance=True past its share of profile_timeout: the scoring processes are terminated, and the rest of
    the profile decides (it used to fall back to the original sampler)."""
    import multiprocessing

    pytest.importorskip("torch")
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
    # 12 s: the scoring may take 80% (9.6 s, far too little for 2,000 networks); the structural rest then needs
    # about a second, which the remaining 2.4 s leave even on a loaded machine.
    advisor = ComplexityAdvisor("nb201", n_trials=20, performance=True, profile_timeout=12, cache=False,
                                performance_options={"workers": 2, "min_archs": 2000, "max_archs": 2000})
    advisor.attach(study)
    study.optimize(cell_objective, n_trials=2)
    status = json.loads(study.user_attrs[STATUS_KEY])
    assert status["state"] == "decided"
    proxy = ComplexityReport.from_json(study.user_attrs[PROFILE_KEY]).performance_diversity
    assert not proxy.available and "performance_timeout=9.6 s" in proxy.note
    assert multiprocessing.active_children() == []
    assert not [t.name for t in threading.enumerate() if t.name.startswith("nas_complexity-profile")]


def test_a_wide_integer_range_is_profiled_and_decided_quickly():
    """IntDistribution(0, 2**31 - 1) used to be listed value by value: no trial finished and memory grew to 9.5 GB."""
    study = optuna.create_study(direction="maximize")
    space = {"seed": IntDistribution(0, 2**31 - 1), "lr": FloatDistribution(1e-4, 1e-1, log=True)}
    ComplexityAdvisor(space, n_trials=50, profile_timeout=5, cache=False).attach(study)
    study.optimize(lambda t: -abs(t.suggest_int("seed", 0, 2**31 - 1) - 7) * t.suggest_float("lr", 1e-4, 1e-1, log=True),
                   n_trials=3)
    assert json.loads(study.user_attrs[STATUS_KEY])["state"] == "decided"
    assert json.loads(study.user_attrs[PROFILE_KEY])["size"]["provenance"] == "continuous"


def test_numpy_integers_are_accepted_and_infinite_timeouts_refused():
    import numpy as np

    advisor = ComplexityAdvisor("nb201", n_trials=np.int64(50), n_workers=np.int32(2), seconds_per_trial=np.float64(0.5))
    assert advisor.budget.n_trials == 50 and type(advisor.budget.n_trials) is int
    for bad in (float("inf"), float("nan")):
        with pytest.raises(ValueError, match="profile_timeout must be a positive number .*finite"):
            ComplexityAdvisor("nb201", n_trials=50, profile_timeout=bad)
    with pytest.raises(BudgetError, match="seconds_per_trial must be a positive, finite number"):
        ComplexityAdvisor("nb201", n_trials=50, seconds_per_trial=float("inf"))
    with pytest.raises(BudgetError, match="n_trials must be a positive integer"):
        ComplexityAdvisor("nb201", n_trials=np.float64(50))


# ---------------------------------------------------------------------------------------------- inputs
class _WeirdDistribution(optuna.distributions.BaseDistribution):
    def to_internal_repr(self, value):
        return float(value)

    def single(self):
        return False

    def _contains(self, value):
        return True


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"space": "nb201"}, BudgetError, "n_trials is missing"),
        ({"space": "nb201", "n_trials": 0}, BudgetError, "n_trials must be a positive integer"),
        ({"space": "nb202", "n_trials": 10}, UnknownSpaceError, "unknown search space 'nb202'.*nb201.*dry_run"),
        ({"space": {}, "n_trials": 10}, SpaceError, "empty"),
        ({"space": None, "n_trials": 10}, SpaceError, "no search space given"),
        ({"space": {"lr": FloatDistribution(1e-4, 1.0, log=True), "wd": 0.1}, "n_trials": 10}, SpaceError,
         "wd: unsupported distribution float. Accepted: .*FloatDistribution"),
        ({"space": {"x": _WeirdDistribution()}, "n_trials": 10}, SpaceError, "x: unsupported distribution _WeirdDistribution"),
        ({"space": "dry_run", "n_trials": 10}, SpaceError, "needs the objective"),
        ({"space": "nb201", "n_trials": 10, "objective": cell_objective}, SpaceError, "only with space='dry_run'"),
        ({"space": "dry_run", "n_trials": 10, "objective": cell_objective, "dry_run_trials": 0}, SpaceError, "dry_run_trials"),
        ({"space": "nb201", "n_trials": 10, "profile_timeout": 0}, ValueError, "profile_timeout must be a positive number"),
        ({"space": "nb201", "n_trials": 10, "redecide_after": 10}, ValueError, "redecide_after=10 must be smaller than n_trials=10"),
        ({"space": "nb201", "n_trials": 10, "profiler": "profile"}, TypeError, "profiler must be a callable"),
    ],
)
def test_bad_inputs_fail_at_construction(kwargs, error, message):
    space = kwargs.pop("space")
    with pytest.raises(error, match=message):
        ComplexityAdvisor(space, **kwargs)


# ------------------------------------------------------------------------------ spaces from the user's code
def _needs_optuna_adapter() -> None:
    """Kept as a marker of the tests that go through the Optuna adapter (a broken import must fail them)."""
    import nas_complexity.adapters  # noqa: F401


def test_optuna_distributions_dict_is_profiled():
    _needs_optuna_adapter()
    space = {
        "lr": FloatDistribution(1e-4, 1e-1, log=True),
        "layers": IntDistribution(1, 4),
        "act": CategoricalDistribution(["relu", "gelu"]),
    }
    study = optuna.create_study()
    advisor = ComplexityAdvisor(space, n_trials=30, seconds_per_trial=1.0, seed=0)
    advisor.attach(study)
    study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1e-1, log=True) * t.suggest_int("layers", 1, 4), n_trials=3)
    report = ComplexityReport.from_json(study.user_attrs[PROFILE_KEY])
    assert report.parameters["n_params"] == 3 and report.parameters["n_categorical"] == 1
    expected = decide(report, Budget(n_trials=30, seconds_per_trial=1.0))
    assert advisor.strategy == f"{expected.family}/{expected.optuna_sampler}"


def test_nni_search_space_dict_is_profiled():
    nni_space = {
        "lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
        "batch_size": {"_type": "choice", "_value": [32, 64, 128]},
    }
    study = optuna.create_study()
    advisor = ComplexityAdvisor(nni_space, n_trials=30, seconds_per_trial=0.01)
    advisor.attach(study)
    study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1e-1, log=True), n_trials=2)
    assert ComplexityReport.from_json(study.user_attrs[PROFILE_KEY]).parameters["n_params"] == 2
    assert json.loads(study.user_attrs[STATUS_KEY])["state"] == "decided"


def test_dry_run_finds_conditional_parameters_and_stops_at_the_first_report():
    _needs_optuna_adapter()
    epochs: list[int] = []

    def objective(trial):
        model = trial.suggest_categorical("model", ["mlp", "cnn"])
        if model == "cnn":
            trial.suggest_int("channels", 4, 64, log=True)
        else:
            trial.suggest_int("hidden", 16, 256, log=True)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        for epoch in range(20):
            epochs.append(epoch)
            trial.report(lr * epoch, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return lr

    study = optuna.create_study(study_name="dry")
    advisor = ComplexityAdvisor("dry_run", objective=objective, dry_run_trials=6, n_trials=30, seconds_per_trial=1.0, seed=0,
                                rules=TPE_RULES)
    advisor.attach(study)
    study.optimize(objective, n_trials=2)
    assert len(epochs) == 6 + 2 * 20  # each dry-run trial stopped after its first report; the real ones ran on
    report = ComplexityReport.from_json(study.user_attrs[PROFILE_KEY])
    assert report.parameters["n_params"] == 4 and report.parameters["n_conditional"] == 2
    decision = Decision.from_json(study.user_attrs[DECISION_KEY])
    assert decision.params["optuna"].get("group") is True  # conditional parameters -> grouped multivariate TPE
    assert json.loads(study.user_attrs[STATUS_KEY])["source"] == "dry run of objective"


def test_dry_run_infers_conditions_from_suggestions():
    from nas_complexity.integration._dry_run import dry_run_space

    def objective(trial):
        model = trial.suggest_categorical("model", ["mlp", "cnn", "vit"])
        if model == "cnn":
            trial.suggest_int("channels", 4, 64)
        return 0.0

    space = dry_run_space(objective, n_trials=12, seed=0)
    assert space.param("channels").condition.parent == "model"
    assert space.param("channels").condition.values == ("cnn",)


# ------------------------------------------------------------------------------------------ re-decision
def test_redecision_after_observed_trials(caplog, nb201_report):
    caplog.set_level(logging.INFO, logger="nas_complexity")
    study = optuna.create_study(direction="maximize")
    advisor = ComplexityAdvisor("nb201", profiler=counting(nb201_report), redecide_after=6, seed=0, **TPE_SETTINGS)
    advisor.attach(study)
    study.optimize(cell_objective, n_trials=10, callbacks=[advisor])
    entry = json.loads(study.user_attrs[REDECISION_KEY])
    assert entry["state"] in ("kept", "changed") and entry["after_trials"] == 6
    observed = entry["observed"]
    values = [t.value for t in study.trials[:6]]
    assert observed["n_samples"] == 6 and observed["proxy"] == "observed objective"
    assert (observed["sd"] > 0) == (len(set(values)) > 1)
    redecided = Decision.from_dict(entry["decision"])
    assert redecided.features["performance_sd"] == observed["sd"]
    assert any("re-decision after 6 completed trials" in r.getMessage() for r in nas_records(caplog, needle="re-decision"))


# ------------------------------------------------------------------------------------- several processes
def _start_worker(storage_url: str, study: str, marker: Path, n_trials: int, total: int, n_workers: int, seed: int,
                  start_at: float, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(HERE / "_optuna_worker.py"), "--storage", storage_url, "--study", study,
         "--marker", str(marker), "--n-trials", str(n_trials), "--total-trials", str(total),
         "--workers", str(n_workers), "--seed", str(seed), "--start-at", str(start_at), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _finish(procs: list[subprocess.Popen]) -> tuple[list[str], list[str]]:
    outs, errs = [], []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outs.append(out.strip().splitlines()[-1])
        errs.append(err)
    return outs, errs


def _run_workers(tmp_path: Path, storage_url: str, n_workers: int = 3, n_trials: int = 8,
                 study: str = "shared") -> tuple[list[str], list[str]]:
    marker = tmp_path / "profiled.txt"
    start_at = time.time() + 2.0  # every worker is up and attached before any starts a trial
    procs = [_start_worker(storage_url, study, marker, n_trials, n_workers * n_trials, n_workers, i, start_at)
             for i in range(n_workers)]
    return _finish(procs)


def _assert_one_decision(study, tmp_path: Path, outs: list[str], errs: list[str], n_workers: int = 3,
                         n_trials: int = 8) -> None:
    assert len((tmp_path / "profiled.txt").read_text().split()) == 1  # exactly one worker profiled
    logs = "".join(errs)
    assert logs.count("profiled in") == 1 and logs.count("loaded from the study") == n_workers - 1
    assert "WARNING" not in logs
    strategy = json.loads(study.user_attrs[STATUS_KEY])["strategy"]
    assert outs == [strategy] * n_workers == ["bayesian/TPESampler"] * n_workers
    assert len(study.trials) == n_workers * n_trials
    assert {t.user_attrs[STRATEGY_KEY] for t in study.trials} == {strategy}
    assert Decision.from_json(study.user_attrs[DECISION_KEY]).params["optuna"]["constant_liar"] is True
    assert all(":nas_complexity-" not in name for name in optuna.get_all_study_names(study._storage))


def test_three_processes_on_sqlite_agree_and_profile_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    optuna.create_study(study_name="shared", storage=url, direction="maximize")
    outs, errs = _run_workers(tmp_path, url)
    _assert_one_decision(optuna.load_study(study_name="shared", storage=url), tmp_path, outs, errs)


def test_three_processes_on_a_journal_file_agree_and_profile_once(tmp_path):
    from optuna.storages.journal import JournalFileBackend

    path = tmp_path / "journal.log"
    storage = optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    optuna.create_study(study_name="shared", storage=storage, direction="maximize")
    outs, errs = _run_workers(tmp_path, f"journal:{path}")
    storage = optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    _assert_one_decision(optuna.load_study(study_name="shared", storage=storage), tmp_path, outs, errs)


@pytest.fixture
def postgres_url():
    """The PostgreSQL server `.ci/postgres start` runs (``NAS_COMPLEXITY_TEST_POSTGRES_URL``); skipped without one."""
    url = os.environ.get("NAS_COMPLEXITY_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no PostgreSQL server: run `eval \"$(.ci/postgres start)\"` (needs Debian's postgresql package)")
    pytest.importorskip("psycopg2", reason="the PostgreSQL driver psycopg2 is not installed (pip install -e '.[test]')")
    return url


def test_four_processes_on_postgresql_agree_and_profile_once(tmp_path, postgres_url):
    name = f"shared-{uuid.uuid4().hex[:12]}"
    # The pattern the README shows: create the study once, then start the workers, which load it.
    optuna.create_study(study_name=name, storage=postgres_url, direction="maximize")
    try:
        outs, errs = _run_workers(tmp_path, postgres_url, n_workers=4, n_trials=6, study=name)
        study = optuna.load_study(study_name=name, storage=postgres_url)
        _assert_one_decision(study, tmp_path, outs, errs, n_workers=4, n_trials=6)
    finally:
        optuna.delete_study(study_name=name, storage=postgres_url)


@pytest.mark.parametrize("point", ["before-stamp", "profiling", "before-status"])
def test_a_profiler_killed_mid_decision_is_taken_over_by_a_survivor(tmp_path, point):
    """kill -9 of the profiling worker at three points: the survivors break its lock, one profiles, all agree."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    optuna.create_study(study_name="shared", storage=url, direction="maximize")
    marker = tmp_path / "profiled.txt"
    doomed = _start_worker(url, "shared", marker, 4, 16, 3, 99, 0.0, "--die-at", point, "--lock-ttl", "3",
                           "--profile-delay", "3")
    deadline = time.monotonic() + 60
    while not marker.exists() and doomed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    # The survivors start while the doomed worker holds the lock (or just after it died holding it).
    survivors = [_start_worker(url, "shared", marker, 5, 16, 3, i, 0.0) for i in range(2)]
    assert doomed.wait(timeout=60) == -signal.SIGKILL
    outs, errs = _finish(survivors)
    study = optuna.load_study(study_name="shared", storage=url)
    status = json.loads(study.user_attrs[STATUS_KEY])
    assert status["state"] == "decided" and outs == [status["strategy"]] * 2
    profilers = marker.read_text().split()
    assert len(profilers) == (1 if point == "before-stamp" else 2)  # the doomed one (unless it died first) and one survivor
    assert {t.user_attrs.get(STRATEGY_KEY) for t in study.trials if t.state == TrialState.COMPLETE} == {status["strategy"]}
    assert "broke the profile lock" in "".join(errs)
    assert all(":nas_complexity-" not in name for name in optuna.get_all_study_names(study._storage))
