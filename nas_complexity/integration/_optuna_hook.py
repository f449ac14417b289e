"""The Optuna pre-search hook: profile the space and install the chosen sampler before the first trial samples.

Optuna runs ``callbacks`` *after* each trial, too late to choose the sampler of trial 0. The hook therefore has a
small companion, :class:`AdvisedSampler`, which :meth:`ComplexityAdvisor.attach` puts in place of
``study.sampler``: its ``before_trial`` (the first thing Optuna calls for every trial, before any parameter is
sampled) makes or loads the decision once, then every sampler call is delegated to the chosen sampler, or to the
study's original sampler when profiling failed.

With several workers on one storage, the first to take a lock stored in the storage profiles; the others wait
(bounded) for the decision it stores in the study's user attributes and use the same one
(see :mod:`nas_complexity.integration._optuna_storage`).
"""
from __future__ import annotations

import json
import math
import numbers
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from nas_complexity._deadline import Deadline
from nas_complexity._errors import NASComplexityError
from nas_complexity._imports import require
from nas_complexity.integration._optuna_samplers import build_optuna_sampler
from nas_complexity.integration._optuna_space import SpaceSource
from nas_complexity.integration._optuna_storage import (
    DECISION_KEY,
    PROFILE_KEY,
    REDECISION_KEY,
    STATUS_KEY,
    STRATEGY_KEY,
    StudyLock,
    read_json_attr,
    worker_identity,
)
from nas_complexity.integration._timeout import call_with_time_limit
from nas_complexity.logging import get_logger
from nas_complexity.report import ComplexityReport
from nas_complexity.spaces import SearchSpace
from nas_complexity.strategies import Budget, Decision

optuna = require("optuna", "the Optuna pre-search hook")
from optuna.samplers import BaseSampler  # noqa: E402  (after the import check above)
from optuna.trial import FrozenTrial, TrialState  # noqa: E402

__all__ = ["AdvisedSampler", "ComplexityAdvisor"]

_log = get_logger(__name__)

_POLL_MAX_S = 1.0
_RECHECK_S = 10.0
# The profiling worker renews its lock every second; a lock whose heartbeat is 10 s old belongs to a dead worker.
_HEARTBEAT_S = 1.0
_LOCK_TTL_S = 10.0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _positive(name: str, value: Any, meaning: str, integer: bool = False) -> None:
    # NumPy scalars are numbers; infinity is not a time limit Python's waits accept (and NaN is no number).
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kind) or not 0 < value < math.inf:
        what = "integer" if integer else "number"
        raise ValueError(f"{name} must be a positive {what} ({meaning}; finite), got {value!r}")


class ComplexityAdvisor:
    """Profile the search space and install the chosen Optuna sampler before an existing study's first trial.

    Attach it to the study (before ``optimize``); passing it as a callback too is harmless and runs the optional
    re-decision as soon as the trial that reaches ``redecide_after`` ends. Used only as a callback, without
    :meth:`attach`, the decision is made after trial 0 (trial 0 uses the original sampler), with a warning.

    What is stored: the decision (JSON, ``Decision.from_json``) under the study user attribute
    ``nas_complexity.decision``, the profile (``ComplexityReport.from_json``) under ``nas_complexity.profile``, the
    outcome under ``nas_complexity.status``, and on every trial the user attribute ``nas_complexity.strategy``
    (``family/Sampler``). One INFO line on the ``nas_complexity`` logger gives the choice and its reasons. A study
    that already holds a decision (a resumed study, a late worker) reuses it without profiling.

    Args:
        space: a built-in space name (``"nb201"``), a :class:`~nas_complexity.spaces.SearchSpace`, a dict of Optuna
            distributions, an NNI search-space dict or model space, or ``"dry_run"`` (with ``objective``).
        space_kind: ``"architecture"`` or ``"hyperparameter"``: what the space's points are, when it is not the
            space's own declaration. ``None`` (default): built-in spaces and NNI model spaces are architecture
            spaces; Optuna distributions, NNI search-space dicts and dry runs hyperparameter spaces. Only
            architecture spaces get the rules drawn from architecture search (e.g. regularized evolution).
        n_trials: the trial budget of the whole study (all workers together); required.
        n_workers: workers running trials at once (processes x ``n_jobs``); more than one turns on TPE's
            constant liar.
        seconds_per_trial: typical duration of one trial, when known (lets the rules weigh sampler cost).
        objective: the objective, for ``space="dry_run"``: it is run ``dry_run_trials`` times in a throwaway
            in-memory study with random parameters, pruned at its first ``trial.should_prune()``, so the dry run
            costs up to ``dry_run_trials`` objective evaluations (a first epoch each when the objective reports
            intermediate values and checks for pruning). Conditional parameters are inferred from which
            parameters appear together.
        dry_run_trials: objective runs of the dry run.
        seed: seed of the chosen sampler (give each worker its own, or ``None``).
        profile_seed: seed of the profile (the same in every worker, so that any of them would decide the same).
        performance: also estimate performance diversity with the jacob_cov proxy. Off by default: it trains
            nothing but scores real networks and takes minutes; raise ``profile_timeout`` when turning it on.
        performance_options: options for :func:`nas_complexity.profiling.performance_diversity`.
        profile_timeout: seconds the dry run, profile and decision may take (a finite number); past it the profile
            is stopped (its scoring processes terminated) and the study goes on with its original sampler. A custom
            ``profiler`` cannot be stopped: it goes on in the background and its result is dropped.
        wait_timeout: the most seconds a worker waits for the decision of the worker that profiles. Default
            ``None``: as long as that worker is alive (its lock's heartbeat moves); a worker that died is noticed
            within about 10 s and another one takes over the profile. Past ``wait_timeout`` a worker uses its
            original sampler until the decision appears.
        redecide_after: re-decide once after this many completed trials, with the spread of the observed
            objective values as the performance diversity (the true metric instead of a proxy); ``None``: never.
        rules: decision rules (default :data:`nas_complexity.strategies.DEFAULT_RULES`).
        profiler: ``space -> ComplexityReport`` replacing :func:`nas_complexity.profile` (e.g. with a cached
            report).
        cache: reuse profiles across studies and processes through
            :class:`nas_complexity.profiling.ProfileCache`: ``True`` (default) uses its default folder
            (``$NAS_COMPLEXITY_CACHE_DIR`` or ``~/.cache/nas-complexity``), a path uses that folder, ``False``
            profiles every time. Only built-in spaces and plain parameter spaces are cached.

    Example:
        >>> import optuna
        >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
        >>> ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
        >>> def objective(trial):
        ...     return sum(trial.suggest_categorical(f"edge{i}", ops) == "nor_conv_3x3" for i in range(6))
        >>> study = optuna.create_study(direction="maximize")
        >>> advisor = ComplexityAdvisor("nb201", n_trials=20, seconds_per_trial=0.001, seed=0)
        >>> study = advisor.attach(study)
        >>> study.optimize(objective, n_trials=20, callbacks=[advisor])
        >>> advisor.strategy, study.trials[0].user_attrs["nas_complexity.strategy"]
        ('bayesian/TPESampler', 'bayesian/TPESampler')
    """

    def __init__(
        self,
        space: Any,
        *,
        n_trials: int | None = None,
        n_workers: int = 1,
        seconds_per_trial: float | None = None,
        objective: Callable[[Any], Any] | None = None,
        dry_run_trials: int = 8,
        seed: int | None = None,
        profile_seed: int = 0,
        performance: bool = False,
        performance_options: dict[str, Any] | None = None,
        profile_timeout: float = 120.0,
        wait_timeout: float | None = None,
        redecide_after: int | None = None,
        rules: Sequence[Any] | None = None,
        profiler: Callable[[SearchSpace], ComplexityReport] | None = None,
        cache: bool | str | Path = True,
        space_kind: str | None = None,
    ) -> None:
        # Checks only (cheap), so that mistakes surface here rather than inside the first trial.
        self.budget = Budget(n_trials=n_trials, n_workers=n_workers, seconds_per_trial=seconds_per_trial)  # type: ignore[arg-type]
        self.source = SpaceSource.from_spec(space, objective, dry_run_trials, kind=space_kind)
        _positive("profile_timeout", profile_timeout, "seconds the profile may take")
        if wait_timeout is not None:
            _positive("wait_timeout", wait_timeout, "seconds to wait for another worker's decision")
        if redecide_after is not None:
            _positive("redecide_after", redecide_after, "completed trials before the re-decision", integer=True)
            if redecide_after >= self.budget.n_trials:
                raise ValueError(f"redecide_after={redecide_after} must be smaller than n_trials={self.budget.n_trials}")
        if profiler is not None and not callable(profiler):
            raise TypeError(f"profiler must be a callable space -> ComplexityReport, got {type(profiler).__name__}")
        self.seed = seed
        self.profile_seed = profile_seed
        self.performance = performance
        self.performance_options = performance_options
        self.profile_timeout = float(profile_timeout)
        self.wait_timeout = None if wait_timeout is None else float(wait_timeout)
        self.redecide_after = redecide_after
        self.rules = rules
        if not isinstance(cache, (bool, str, Path)):
            raise TypeError(f"cache must be True, False or a folder path, got {type(cache).__name__}")
        self.profiler = profiler
        self.cache = cache
        self.profile_from_cache: bool | None = None
        self._sampler: AdvisedSampler | None = None
        self._study_name: str | None = None

    # ------------------------------------------------------------------------------------------ usage
    def attach(self, study: "optuna.Study") -> "optuna.Study":
        """Wrap ``study.sampler`` in the companion that decides before the first trial; returns ``study``.

        Nothing is profiled here: that happens when the first trial starts, in the worker that wins the lock.
        """
        if not isinstance(study, optuna.Study):
            raise TypeError(f"attach() needs an optuna.Study, got {type(study).__name__}")
        if isinstance(study.sampler, AdvisedSampler):
            if study.sampler._advisor is self:
                return study
            raise ValueError(f"study {study.study_name!r} already has a ComplexityAdvisor attached")
        if self._sampler is not None and self._study_name != study.study_name:
            raise ValueError(
                f"this advisor is attached to study {self._study_name!r}; create one advisor per study"
            )
        self._sampler = AdvisedSampler(self, study.sampler)
        self._study_name = study.study_name
        study.sampler = self._sampler
        return study

    def __call__(self, study: "optuna.Study", trial: FrozenTrial) -> None:
        """Optuna callback: attaches late if :meth:`attach` was not called, and runs the re-decision when due."""
        if not isinstance(study.sampler, AdvisedSampler):
            _log.warning(
                "ComplexityAdvisor was passed as a callback without advisor.attach(study): the decision is made "
                "after trial %d, which used the original sampler; call advisor.attach(study) before optimize()",
                trial.number,
            )
            self.attach(study)
        sampler = study.sampler
        assert isinstance(sampler, AdvisedSampler)
        try:
            sampler._ensure(study)
            sampler._maybe_redecide(study)
        except Exception as exc:  # the hook must never stop the user's study
            _log.warning("nas_complexity hook error after trial %d (ignored): %s: %s", trial.number, type(exc).__name__, exc)

    # -------------------------------------------------------------------------------------- results
    @property
    def sampler(self) -> "AdvisedSampler | None":
        """The companion sampler installed by :meth:`attach` (``None`` before)."""
        return self._sampler

    @property
    def decision(self) -> Decision | None:
        """The decision in effect in this process (``None`` before the first trial, or after a fallback)."""
        return None if self._sampler is None else self._sampler.decision

    @property
    def strategy(self) -> str | None:
        """What this process samples with, as recorded on trials (``family/Sampler`` or ``fallback/Sampler``)."""
        return None if self._sampler is None else self._sampler.strategy

    # -------------------------------------------------------------------------------------- the work
    def profile_space(self, space: SearchSpace, deadline: Deadline | None = None) -> ComplexityReport:
        """Profile ``space`` as the hook does (``performance=False`` unless asked), stopping at ``deadline``."""
        if self.profiler is not None:
            return self.profiler(space)
        from nas_complexity.profiling import ProfileCache, profile

        options = {"seed": self.profile_seed, "performance": self.performance,
                   "performance_options": self.performance_options, "deadline": deadline}
        if self.cache is False:
            self.profile_from_cache = False
            return profile(space, **options)
        cache = ProfileCache(None if self.cache is True else self.cache)
        report = cache.profile(self.source.builtin or space, **options)
        self.profile_from_cache = cache.hits > 0
        return report

    def make_decision(
        self, n_objectives: int, directions: Sequence[Any] = ("minimize",), deadline: Deadline | None = None
    ) -> tuple[ComplexityReport, Decision]:
        """Resolve the space (running a dry run if asked), profile it and decide; nothing stored.

        ``deadline`` (:class:`~nas_complexity.profiling.Deadline`) stops the profile; the hook gives it
        ``profile_timeout`` seconds.
        """
        from nas_complexity.strategies import DEFAULT_RULES, decide

        space = self.source.resolve(seed=self.profile_seed, directions=directions)
        if deadline is not None:
            deadline.check("resolving the search space")
        report = self.profile_space(space, deadline)
        if not isinstance(report, ComplexityReport):
            raise TypeError(f"the profiler returned {type(report).__name__}, not a ComplexityReport")
        budget = replace(self.budget, n_objectives=n_objectives)
        return report, decide(report, budget, DEFAULT_RULES if self.rules is None else self.rules)


@dataclass(frozen=True)
class _Installed:
    """What this process samples with. ``final=False``: a local fallback while the stored decision is awaited."""

    sampler: BaseSampler
    strategy: str
    decision: Decision | None
    final: bool = True
    recheck_at: float = 0.0


class AdvisedSampler(BaseSampler):
    """The companion sampler: decides (or loads the decision) at the first trial, then delegates every call.

    Created by :meth:`ComplexityAdvisor.attach`; not meant to be built directly.

    Example:
        >>> import optuna
        >>> study = ComplexityAdvisor("nb201", n_trials=50).attach(optuna.create_study())
        >>> type(study.sampler.original).__name__, study.sampler.strategy   # nothing decided before trial 0
        ('TPESampler', None)
    """

    def __init__(self, advisor: ComplexityAdvisor, original: BaseSampler) -> None:
        self._advisor = advisor
        self._original = original
        self._installed: _Installed | None = None
        self._redecision_done = advisor.redecide_after is None
        self._lock = threading.RLock()  # n_jobs > 1: threads of one process share this sampler
        self._by_trial: dict[int, BaseSampler] = {}

    @property
    def original(self) -> BaseSampler:
        """The study's sampler before the advisor was attached (used on fallback)."""
        return self._original

    @property
    def active(self) -> BaseSampler:
        """The sampler new trials are delegated to."""
        return self._original if self._installed is None else self._installed.sampler

    @property
    def decision(self) -> Decision | None:
        return None if self._installed is None else self._installed.decision

    @property
    def strategy(self) -> str | None:
        return None if self._installed is None else self._installed.strategy

    # ------------------------------------------------------------------------------- Optuna protocol
    def before_trial(self, study: "optuna.Study", trial: FrozenTrial) -> None:
        try:
            self._ensure(study)
            self._maybe_redecide(study, trial.number)
        except Exception as exc:  # the hook must never stop the user's study
            _log.warning("nas_complexity hook error before trial %d (ignored): %s: %s", trial.number, type(exc).__name__, exc)
        installed = self._installed
        sampler = self._original if installed is None else installed.sampler
        strategy = f"fallback/{type(self._original).__name__}" if installed is None else installed.strategy
        # A trial keeps the sampler it started with, even if another thread switches the sampler meanwhile.
        self._by_trial[trial._trial_id] = sampler
        # Optuna's own samplers write trial attributes through the storage the same way (no public API here).
        study._storage.set_trial_user_attr(trial._trial_id, STRATEGY_KEY, strategy)
        # Optuna's Trial reads its attributes from this very object: keep it in step so the objective sees the record.
        trial.user_attrs[STRATEGY_KEY] = strategy
        sampler.before_trial(study, trial)

    def _for(self, trial: FrozenTrial) -> BaseSampler:
        return self._by_trial.get(trial._trial_id) or self.active

    def infer_relative_search_space(self, study: "optuna.Study", trial: FrozenTrial) -> dict[str, Any]:
        return self._for(trial).infer_relative_search_space(study, trial)

    def sample_relative(self, study: "optuna.Study", trial: FrozenTrial, search_space: dict[str, Any]) -> dict[str, Any]:
        return self._for(trial).sample_relative(study, trial, search_space)

    def sample_independent(self, study: "optuna.Study", trial: FrozenTrial, param_name: str, param_distribution: Any) -> Any:
        return self._for(trial).sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: "optuna.Study", trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        sampler = self._by_trial.pop(trial._trial_id, None) or self.active
        sampler.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._original.reseed_rng()
        if self._installed is not None and self._installed.sampler is not self._original:
            self._installed.sampler.reseed_rng()

    # ------------------------------------------------------------------------------------ decision
    def _ensure(self, study: "optuna.Study") -> None:
        installed = self._installed
        if installed is not None and (installed.final or time.monotonic() < installed.recheck_at):
            return
        with self._lock:
            installed = self._installed
            if installed is None:
                self._installed = self._install(study)
            elif not installed.final and time.monotonic() >= installed.recheck_at:
                status = read_json_attr(study, STATUS_KEY)
                self._installed = (
                    replace(installed, recheck_at=time.monotonic() + _RECHECK_S) if status is None
                    else self._adopt(study, status, "stored after this worker stopped waiting")
                )

    def _install(self, study: "optuna.Study") -> _Installed:
        advisor = self._advisor
        try:
            status = read_json_attr(study, STATUS_KEY)
            if status is not None:
                return self._adopt(study, status, "stored earlier")
            lock = StudyLock(study, "profile", ttl_s=_LOCK_TTL_S, heartbeat_s=_HEARTBEAT_S)
            give_up_at = None if advisor.wait_timeout is None else time.monotonic() + advisor.wait_timeout
            delay = 0.05
            while True:
                if lock.acquire():
                    try:
                        # Re-read: the previous holder may have stored its decision and released just now.
                        status = read_json_attr(study, STATUS_KEY)
                        if status is not None:
                            return self._adopt(study, status, "stored while this worker waited")
                        return self._decide_and_store(study)
                    finally:
                        lock.release()
                status = read_json_attr(study, STATUS_KEY)
                if status is not None:
                    return self._adopt(study, status, "stored while this worker waited")
                if lock.break_if_expired():
                    continue  # free (released, or its dead holder's lock broken): take it over at once
                if give_up_at is not None and time.monotonic() >= give_up_at:
                    return self._fallback(
                        f"no decision stored by the profiling worker within wait_timeout={advisor.wait_timeout:g} s",
                        final=False,
                    )
                time.sleep(delay)  # the holder is alive: its profile ends within its own time limit
                delay = min(_POLL_MAX_S, delay * 1.5)
        except Exception as exc:  # storage trouble: sample as if the hook were not there
            return self._fallback(f"{type(exc).__name__}: {exc}", final=False)

    def _decide_and_store(self, study: "optuna.Study") -> _Installed:
        advisor = self._advisor
        t0 = time.perf_counter()
        try:
            report, decision = call_with_time_limit(
                lambda deadline: advisor.make_decision(len(study.directions), study.directions, deadline=deadline),
                advisor.profile_timeout,
                name=f"nas_complexity-profile-{study.study_name}",
            )
            sampler = build_optuna_sampler(decision, seed=advisor.seed)
            seconds = round(time.perf_counter() - t0, 3)
            strategy = f"{decision.family}/{decision.optuna_sampler}"
            status = {
                "state": "decided", "strategy": strategy, "space": report.space, "source": advisor.source.label,
                "profile_s": seconds, "profile_cached": bool(advisor.profile_from_cache), **worker_identity(), "at": _now(),
            }
            # Serialised before anything is stored: a value JSON cannot hold must give a stored fallback, not a
            # half-written decision.
            texts = [(PROFILE_KEY, report.to_json(indent=None)), (DECISION_KEY, decision.to_json()),
                     (STATUS_KEY, json.dumps(status, sort_keys=True, allow_nan=False))]
            # The status is written last: a worker that sees it can read the two keys before it.
            for key, text in texts:
                study.set_user_attr(key, text)
        except Exception as exc:
            return self._store_fallback(study, f"{type(exc).__name__}: {exc}")
        _log.info(
            "study %r: %s | space %s profiled in %.2f s by this worker%s",
            study.study_name, decision.summary(), report.space, seconds,
            " (profile read from the cache)" if advisor.profile_from_cache else "",
        )
        return _Installed(sampler, strategy, decision)

    def _store_fallback(self, study: "optuna.Study", cause: str) -> _Installed:
        """Fall back for good and record why in the study, so that the other workers do the same."""
        fallback = self._fallback(cause, final=True)
        status = {"state": "fallback", "cause": cause, "strategy": fallback.strategy, **worker_identity(), "at": _now()}
        try:
            study.set_user_attr(STATUS_KEY, json.dumps(status, sort_keys=True))
        except Exception as exc:  # the storage itself fails: this worker still samples, the others will retry
            _log.warning("could not store the fallback status of study %r: %s: %s", study.study_name, type(exc).__name__, exc)
        return fallback

    def _adopt(self, study: "optuna.Study", status: dict[str, Any], how: str) -> _Installed:
        who = f"{status.get('host')}:{status.get('pid')}"
        if status.get("state") != "decided":
            _log.warning(
                "study %r goes on with its original sampler %s: profiling failed in worker %s (%s)",
                study.study_name, type(self._original).__name__, who, status.get("cause"),
            )
            return _Installed(self._original, f"fallback/{type(self._original).__name__}", None)
        decision = Decision.from_json(study._storage.get_study_user_attrs(study._study_id)[DECISION_KEY])
        try:
            sampler = build_optuna_sampler(decision, seed=self._advisor.seed)
        except Exception as exc:
            return self._fallback(f"cannot build the stored decision's sampler: {type(exc).__name__}: {exc}", final=True)
        _log.info("study %r: %s | decision loaded from the study, %s by worker %s", study.study_name, decision.summary(), how, who)
        return _Installed(sampler, f"{decision.family}/{decision.optuna_sampler}", decision)

    def _fallback(self, cause: str, final: bool) -> _Installed:
        name = type(self._original).__name__
        _log.warning("nas_complexity could not choose the sampler (%s); the study goes on with its original sampler %s", cause, name)
        return _Installed(self._original, f"fallback/{name}", None, final=final, recheck_at=time.monotonic() + _RECHECK_S)

    # --------------------------------------------------------------------------------- re-decision
    def _maybe_redecide(self, study: "optuna.Study", trial_number: int | None = None) -> None:
        after = self._advisor.redecide_after
        if self._redecision_done or after is None or self.decision is None:
            return
        # Trial numbers count every started trial: a cheap test before counting completed ones.
        if trial_number is not None and trial_number < after:
            return
        with self._lock:
            if self._redecision_done:
                return
            stored = read_json_attr(study, REDECISION_KEY)
            if stored is None:
                complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if len(complete) < after:
                    return
                lock = StudyLock(study, "redecide", ttl_s=_LOCK_TTL_S, heartbeat_s=_HEARTBEAT_S)
                if not lock.acquire():
                    return  # another worker is on it: pick its result up at a later trial
                try:
                    stored = read_json_attr(study, REDECISION_KEY) or self._redecide_and_store(study, complete)
                finally:
                    lock.release()
            self._apply_redecision(study, stored)

    def _redecide_and_store(self, study: "optuna.Study", complete: list[FrozenTrial]) -> dict[str, Any]:
        from nas_complexity.integration._redecide import redecide

        advisor = self._advisor
        current = self.decision
        assert current is not None
        entry: dict[str, Any] = {"after_trials": len(complete), **worker_identity(), "at": _now()}
        try:
            if len(study.directions) > 1:
                raise NASComplexityError("the re-decision reads one objective; this study has several")
            report = ComplexityReport.from_json(study.user_attrs[PROFILE_KEY])
            budget = replace(advisor.budget, n_objectives=len(study.directions))
            new, observed = redecide(report, [t.value for t in complete], budget, advisor.rules)
            changed = (new.family, new.optuna_sampler, new.params) != (current.family, current.optuna_sampler, current.params)
            entry.update(state="changed" if changed else "kept", decision=new.to_dict(), observed=observed.to_dict())
        except Exception as exc:
            entry.update(state="failed", cause=f"{type(exc).__name__}: {exc}")
        study.set_user_attr(REDECISION_KEY, json.dumps(entry, sort_keys=True))
        return entry

    def _apply_redecision(self, study: "optuna.Study", entry: dict[str, Any]) -> None:
        self._redecision_done = True
        head = f"study {study.study_name!r}: re-decision after {entry['after_trials']} completed trials"
        if entry["state"] == "failed":
            _log.warning("%s failed (%s); keeping %s", head, entry.get("cause"), self.strategy)
            return
        decision = Decision.from_dict(entry["decision"])
        spread = f"observed objective SD {entry['observed']['sd']:.4g} ({entry['observed']['scaling']})"
        if entry["state"] == "kept":
            _log.info("%s, %s: kept %s", head, spread, decision.summary())
            return
        try:
            sampler = build_optuna_sampler(decision, seed=self._advisor.seed)
        except Exception as exc:
            _log.warning("%s chose %s, which cannot be built (%s); keeping %s", head, decision.optuna_sampler, exc, self.strategy)
            return
        self._installed = _Installed(sampler, f"{decision.family}/{decision.optuna_sampler}", decision)
        _log.info("%s, %s: changed to %s", head, spread, decision.summary())
