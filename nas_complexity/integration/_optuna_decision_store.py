"""The study-level decision of the Optuna hook: made once per study by one worker, stored, adopted by the others.

:class:`DecisionStore` is the coordination part of the hook. In each process it makes or loads the decision for a
study: the first worker to take the lock in the storage (:class:`~nas_complexity.integration._optuna_storage.StudyLock`)
profiles and decides within the advisor's time limit and stores the profile, the decision and the status in the
study's user attributes; the others wait while that worker's heartbeat moves and adopt what it stored. Any failure
becomes a stored fallback (the study's original sampler), never an exception in the user's study. The optional
re-decision is coordinated the same way.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nas_complexity._errors import NASComplexityError
from nas_complexity.integration._optuna_dashboard_note import save_dashboard_note
from nas_complexity.integration._optuna_samplers import build_optuna_sampler
from nas_complexity.integration._optuna_storage import (
    DECISION_KEY,
    PROFILE_KEY,
    REDECISION_KEY,
    STATUS_KEY,
    StudyLock,
    read_json_attr,
    worker_stamp,
)
from nas_complexity.integration._timeout import call_with_time_limit
from nas_complexity.logging import get_logger
from nas_complexity.report import ComplexityReport
from nas_complexity.strategies import Decision

if TYPE_CHECKING:
    import optuna
    from optuna.samplers import BaseSampler
    from optuna.trial import FrozenTrial

    from nas_complexity.integration._optuna_advisor import ComplexityAdvisor

__all__ = ["DecisionStore", "Installed"]

_log = get_logger(__name__)

_POLL_MAX_S = 0.5  # how often a waiter looks at the lock and the status at most
_RECHECK_S = 10.0
# The profiling worker renews its lock every second; a lock whose heartbeat is 10 s old belongs to a dead worker.
_HEARTBEAT_S = 1.0
_LOCK_TTL_S = 10.0


def _enqueue_warm_start(study: "optuna.Study", decision: Decision) -> None:
    """Queue the decision's warm-start architectures as the study's next trials (once: by the deciding worker).

    A queued parameter the objective never suggests is ignored by Optuna, so an objective that names its parameters
    differently from the space gets ordinary trials from the chosen sampler, not wasted ones.
    """
    _enqueue(study, decision.warm_start, "warm-start")


def _enqueue(study: "optuna.Study", architectures: Any, what: str) -> None:
    for architecture in architectures:
        try:
            study.enqueue_trial(dict(architecture), skip_if_exists=True)
        except Exception as exc:  # a value the study's storage cannot hold: the search goes on without it
            _log.warning("study %r: %s architecture %s not queued: %s: %s", study.study_name, what, architecture,
                         type(exc).__name__, exc)


@dataclass(frozen=True)
class Installed:
    """What this process samples with. ``final=False``: a local fallback while the stored decision is awaited."""

    sampler: "BaseSampler"
    strategy: str
    decision: Decision | None
    final: bool = True
    recheck_at: float = 0.0


class DecisionStore:
    """The decision for one study, as this process knows it: made here, adopted from the study, or a fallback.

    Created by :meth:`ComplexityAdvisor.attach <nas_complexity.integration.ComplexityAdvisor.attach>`; the
    :class:`~nas_complexity.integration.AdvisedSampler` asks it what to sample with before every trial.

    Example:
        >>> import optuna
        >>> from nas_complexity.integration import ComplexityAdvisor
        >>> study = ComplexityAdvisor("nb201", n_trials=20, seconds_per_trial=1.0).attach(optuna.create_study())
        >>> store = study.sampler.store
        >>> store.installed is None   # nothing decided before the first trial
        True
        >>> store.ensure(study)
        >>> store.installed.strategy
        'bayesian/DiscreteGPSampler'
    """

    def __init__(self, advisor: "ComplexityAdvisor", original: "BaseSampler") -> None:
        self.advisor = advisor
        self.original = original
        self.installed: Installed | None = None
        self._redecision_done = False  # also due without redecide_after when the decision asks for a proxy check
        self._lock = threading.RLock()  # n_jobs > 1: threads of one process share this store

    @property
    def decision(self) -> Decision | None:
        """The decision in effect in this process (``None`` before the first trial, or after a fallback)."""
        return None if self.installed is None else self.installed.decision

    @property
    def strategy(self) -> str | None:
        """What this process samples with (``family/Sampler`` or ``fallback/Sampler``; ``None`` before)."""
        return None if self.installed is None else self.installed.strategy

    # ------------------------------------------------------------------------------------ decision
    def ensure(self, study: "optuna.Study") -> None:
        """Make, load or re-check the decision for ``study`` (once per process; cheap after that)."""
        installed = self.installed
        if installed is not None and (installed.final or time.monotonic() < installed.recheck_at):
            return
        with self._lock:
            installed = self.installed
            if installed is None:
                self.installed = self._install(study)
            elif not installed.final and time.monotonic() >= installed.recheck_at:
                status = read_json_attr(study, STATUS_KEY)
                self.installed = (
                    replace(installed, recheck_at=time.monotonic() + _RECHECK_S) if status is None
                    else self._adopt(study, status, "stored after this worker stopped waiting")
                )

    def _install(self, study: "optuna.Study") -> Installed:
        advisor = self.advisor
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

    def _decide_and_store(self, study: "optuna.Study") -> Installed:
        advisor = self.advisor
        t0 = time.perf_counter()
        try:
            report, decision = call_with_time_limit(
                lambda deadline: advisor.make_decision(len(study.directions), study.directions, deadline=deadline),
                advisor.profile_timeout,
                name=f"nas_complexity-profile-{study.study_name}",
            )
            sampler = self._build(decision)
            seconds = round(time.perf_counter() - t0, 3)
            strategy = f"{decision.family}/{decision.optuna_sampler}"
            status = {
                "state": "decided", "strategy": strategy, "space": report.space, "source": advisor.source.label,
                "profile_s": seconds, "profile_cached": bool(advisor.profile_from_cache), **worker_stamp(),
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
        _enqueue_warm_start(study, decision)
        save_dashboard_note(study, decision, report)  # optuna-dashboard's study note, when it is installed
        return Installed(sampler, strategy, decision)

    def _build(self, decision: Decision) -> "BaseSampler":
        """The decision's sampler, given the space's declared constraints when it takes them."""
        return build_optuna_sampler(decision, seed=self.advisor.seed, feasible=self.advisor.feasibility())

    def _store_fallback(self, study: "optuna.Study", cause: str) -> Installed:
        """Fall back for good and record why in the study, so that the other workers do the same."""
        fallback = self._fallback(cause, final=True)
        status = {"state": "fallback", "cause": cause, "strategy": fallback.strategy, **worker_stamp()}
        try:
            study.set_user_attr(STATUS_KEY, json.dumps(status, sort_keys=True))
        except Exception as exc:  # the storage itself fails: this worker still samples, the others will retry
            _log.warning("could not store the fallback status of study %r: %s: %s", study.study_name, type(exc).__name__, exc)
        return fallback

    def _adopt(self, study: "optuna.Study", status: dict[str, Any], how: str) -> Installed:
        who = f"{status.get('host')}:{status.get('pid')}"
        if status.get("state") != "decided":
            _log.warning(
                "study %r goes on with its original sampler %s: profiling failed in worker %s (%s)",
                study.study_name, type(self.original).__name__, who, status.get("cause"),
            )
            return Installed(self.original, f"fallback/{type(self.original).__name__}", None)
        decision = Decision.from_json(study._storage.get_study_user_attrs(study._study_id)[DECISION_KEY])
        try:
            sampler = self._build(decision)
        except Exception as exc:
            return self._fallback(f"cannot build the stored decision's sampler: {type(exc).__name__}: {exc}", final=True)
        _log.info("study %r: %s | decision loaded from the study, %s by worker %s", study.study_name, decision.summary(), how, who)
        return Installed(sampler, f"{decision.family}/{decision.optuna_sampler}", decision)

    def _fallback(self, cause: str, final: bool) -> Installed:
        name = type(self.original).__name__
        _log.warning("nas_complexity could not choose the sampler (%s); the study goes on with its original sampler %s", cause, name)
        return Installed(self.original, f"fallback/{name}", None, final=final, recheck_at=time.monotonic() + _RECHECK_S)

    # --------------------------------------------------------------------------------- re-decision
    def maybe_redecide(self, study: "optuna.Study", trial_number: int | None = None) -> None:
        """Run (or adopt another worker's) re-decision once ``redecide_after`` trials completed, or, without one,
        the decision's online proxy check once ``proxy_check_after`` trials completed."""
        if self._redecision_done or self.decision is None:
            return
        after = self.advisor.redecide_after
        if after is None:
            after = self.decision.proxy_check_after  # the check alone: the strategy is not decided again
        if after is None:
            return
        # Trial numbers count every started trial: a cheap test before counting completed ones.
        if trial_number is not None and trial_number < after:
            return
        with self._lock:
            if self._redecision_done:
                return
            stored = read_json_attr(study, REDECISION_KEY)
            if stored is None:
                from optuna.trial import (
                    TrialState,  # the store is only used where Optuna runs
                )

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
        from nas_complexity.integration._redecide import observed_performance, proxy_check, redecide

        advisor = self.advisor
        current = self.decision
        assert current is not None
        entry: dict[str, Any] = {"after_trials": len(complete), **worker_stamp()}
        try:
            if len(study.directions) > 1:
                raise NASComplexityError("the re-decision reads one objective; this study has several")
            report = ComplexityReport.from_json(study.user_attrs[PROFILE_KEY])
            values = [t.value for t in complete]
            if advisor.redecide_after is None:  # the decision's own proxy check: the strategy stands
                new, observed, entry["check_only"] = current, observed_performance(values), True
            else:
                budget = replace(advisor.budget, n_objectives=1, direction=study.directions[0])
                new, observed = redecide(report, values, budget, advisor.rules)
            changed = (new.family, new.optuna_sampler, new.params) != (current.family, current.optuna_sampler, current.params)
            entry.update(state="changed" if changed else "kept", decision=new.to_dict(), observed=observed.to_dict())
            if current.warm_start:
                from optuna.study import StudyDirection

                check = proxy_check(report, current.warm_start, complete, study.direction == StudyDirection.MAXIMIZE)
                entry["proxy_check"] = check
                # Queued once, by the worker that checks: the queue is the study's, every worker draws from it.
                _enqueue(study, check["reserve"], "proxy-check reserve")
        except Exception as exc:
            entry.update(state="failed", cause=f"{type(exc).__name__}: {exc}")
        study.set_user_attr(REDECISION_KEY, json.dumps(entry, sort_keys=True))
        return entry

    def _apply_redecision(self, study: "optuna.Study", entry: dict[str, Any]) -> None:
        self._redecision_done = True
        what = "online proxy check" if entry.get("check_only") else "re-decision"
        head = f"study {study.study_name!r}: {what} after {entry['after_trials']} completed trials"
        if entry["state"] == "failed":
            _log.warning("%s failed (%s); keeping %s", head, entry.get("cause"), self.strategy)
            return
        decision = Decision.from_dict(entry["decision"])
        spread = f"observed objective SD {entry['observed']['sd']:.4g} ({entry['observed']['scaling']})"
        check = entry.get("proxy_check")
        if check is not None:
            _log.info("%s: proxy check lift %s over %d warm-start and %d other trials -> %s", head, check["lift"],
                      check["n_warm"], check["n_other"],
                      f"{len(check['reserve'])} more proxy-picked architectures queued" if check["kept"]
                      else "no more proxy-picked architectures")
        if entry["state"] == "kept":
            _log.info("%s, %s: kept %s", head, spread, decision.summary())
            return
        try:
            sampler = self._build(decision)
        except Exception as exc:
            _log.warning("%s chose %s, which cannot be built (%s); keeping %s", head, decision.optuna_sampler, exc, self.strategy)
            return
        self.installed = Installed(sampler, f"{decision.family}/{decision.optuna_sampler}", decision)
        _log.info("%s, %s: changed to %s", head, spread, decision.summary())
