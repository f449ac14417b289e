"""The Optuna pre-search hook's user-facing part: :class:`ComplexityAdvisor` (configuration and validation).

The hook has three parts, one job each: this advisor (what to profile and how; checked at construction), the
:class:`~nas_complexity.integration.AdvisedSampler` it puts in place of ``study.sampler`` (delegation only), and the
:class:`~nas_complexity.integration._optuna_decision_store.DecisionStore` (the study-level decision: made once by
one worker, stored in the study, adopted by the others; see :mod:`nas_complexity.integration._optuna_storage` for
what is stored and the lock).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from nas_complexity._deadline import Deadline
from nas_complexity._imports import require
from nas_complexity.integration._optuna_advised_sampler import AdvisedSampler
from nas_complexity.integration._optuna_decision_store import DecisionStore
from nas_complexity.integration._optuna_space import DeclaredConstraints, SpaceSource
from nas_complexity.logging import get_logger
from nas_complexity.report import ComplexityReport
from nas_complexity.spaces import SearchSpace
from nas_complexity.strategies import Budget, Decision

optuna = require("optuna", "the Optuna pre-search hook")
from optuna.trial import FrozenTrial  # noqa: E402

__all__ = ["ComplexityAdvisor", "PERFORMANCE_OPTIONS", "PERFORMANCE_PAYS_FROM_S", "PERFORMANCE_SHARE"]

PERFORMANCE_SHARE = 0.8
"""The share of ``profile_timeout`` the proxy scoring may take when the proxy is scored."""

PERFORMANCE_OPTIONS = {"max_archs": 256}
"""Proxy scoring of the hook's profile when none are given: 256 networks at most (the measured warm start's)."""

PERFORMANCE_PAYS_FROM_S = 60.0
"""By default the proxy is scored only when a trial is known to take at least this long: the scoring takes minutes
on a few CPU cores (README, 'The evidence behind the advisor'), a few trials' worth from here on."""

_PROFILE_TIMEOUT_S = 120.0
_PROFILE_TIMEOUT_WITH_PROXY_S = 900.0

_log = get_logger(__name__)



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
        performance: also estimate performance diversity with the jacob_cov proxy, which keeps the best-scoring
            architectures for a zero-cost warm start. It trains nothing but scores real networks and takes
            minutes. ``None`` (default): on for an architecture space whose networks the library can build when
            ``seconds_per_trial`` is at least :data:`PERFORMANCE_PAYS_FROM_S` and some rule in effect reads the
            proxy (:func:`~nas_complexity.strategies.rules_read_proxy`), off otherwise; ``True``/``False`` force
            it. The scoring may take :data:`PERFORMANCE_SHARE` of ``profile_timeout``; past that the rest of
            the profile decides.
        performance_options: options for :func:`nas_complexity.profiling.performance_diversity`.
        profile_timeout: seconds the dry run, profile and decision may take (a finite number; default 120 s, 900 s
            when the proxy is scored); past it the profile
            is stopped (its scoring processes terminated) and the study goes on with its original sampler. A custom
            ``profiler`` cannot be stopped: it goes on in the background and its result is dropped.
        wait_timeout: the most seconds a worker waits for the decision of the worker that profiles. Default
            ``None``: as long as that worker is alive (its lock's heartbeat moves); a worker that died is noticed
            within about 10 s and another one takes over the profile. Past ``wait_timeout`` a worker uses its
            original sampler until the decision appears.
        redecide_after: re-decide once after this many completed trials, with the spread of the observed
            objective values as the performance diversity (the true metric instead of a proxy); ``None``: never.
            A warm-started search also checks there whether the proxy's picks beat the sampler's own trials
            (``proxy_check`` in the stored re-decision) and, if they did, queues the profile's next best-scored
            architectures. Give it at least twice the warm start, so that both sides have trials.
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
        >>> advisor = ComplexityAdvisor("nb201", n_trials=20, seconds_per_trial=1.0, seed=0)
        >>> study = advisor.attach(study)
        >>> study.optimize(objective, n_trials=20, callbacks=[advisor])
        >>> advisor.strategy, study.trials[0].user_attrs["nas_complexity.strategy"]
        ('bayesian/DiscreteGPSampler', 'bayesian/DiscreteGPSampler')
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
        performance: bool | None = None,
        performance_options: dict[str, Any] | None = None,
        profile_timeout: float | None = None,
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
        self.rules = rules
        if performance is None:
            performance = self._proxy_pays(self.budget.seconds_per_trial)
        if profile_timeout is None:
            profile_timeout = _PROFILE_TIMEOUT_WITH_PROXY_S if performance else _PROFILE_TIMEOUT_S
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
        if not isinstance(cache, (bool, str, Path)):
            raise TypeError(f"cache must be True, False or a folder path, got {type(cache).__name__}")
        self.profiler = profiler
        self.cache = cache
        self.profile_from_cache: bool | None = None
        self._sampler: AdvisedSampler | None = None
        self._study_name: str | None = None

    def _proxy_pays(self, seconds_per_trial: float | None) -> bool:
        """The default of ``performance``: score the proxy when some rule in effect reads it (a warm start, a
        guided mutation, a condition on its scores), the space's networks can be built and a trial is known to
        cost at least :data:`PERFORMANCE_PAYS_FROM_S` (then the minutes of scoring are a few trials)."""
        space = self.source.space
        if seconds_per_trial is None or seconds_per_trial < PERFORMANCE_PAYS_FROM_S or space is None:
            return False
        from nas_complexity.strategies import DEFAULT_RULES, rules_read_proxy

        if not rules_read_proxy(DEFAULT_RULES if self.rules is None else self.rules):
            return False  # the scoring would take minutes and change no decision
        return space.kind == "architecture" and space.network is not None

    # ------------------------------------------------------------------------------------------ usage
    def attach(self, study: "optuna.Study") -> "optuna.Study":
        """Wrap ``study.sampler`` in the companion that decides before the first trial; returns ``study``.

        Nothing is profiled here: that happens when the first trial starts, in the worker that wins the lock.
        """
        if not isinstance(study, optuna.Study):
            raise TypeError(f"attach() needs an optuna.Study, got {type(study).__name__}")
        if isinstance(study.sampler, AdvisedSampler):
            if study.sampler.advisor is self:
                return study
            raise ValueError(f"study {study.study_name!r} already has a ComplexityAdvisor attached")
        if self._sampler is not None and self._study_name != study.study_name:
            raise ValueError(
                f"this advisor is attached to study {self._study_name!r}; create one advisor per study"
            )
        self._sampler = AdvisedSampler(DecisionStore(self, study.sampler))
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
            sampler.store.ensure(study)
            sampler.store.maybe_redecide(study)
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

    def feasibility(self) -> DeclaredConstraints | None:
        """The given space's declared constraints as a check of the points a sampler proposes (``None`` for a
        space without constraints, or one found by a dry run): the hook gives it to a sampler that takes one, so
        that it does not spend trials on architectures the space rules out.

        Example:
            >>> ComplexityAdvisor("tnb101-macro", n_trials=50).feasibility() is not None
            True
            >>> ComplexityAdvisor("nb201", n_trials=50).feasibility() is None
            True
        """
        space = self.source.space
        return DeclaredConstraints(space) if space is not None and space.has_constraints else None

    # -------------------------------------------------------------------------------------- the work
    def profile_space(self, space: SearchSpace, deadline: Deadline | None = None) -> ComplexityReport:
        """Profile ``space`` as the hook does (``performance=False`` unless asked), stopping at ``deadline``."""
        if self.profiler is not None:
            return self.profiler(space)
        from nas_complexity.profiling import ProfileCache, profile

        performance_options = self.performance_options
        if self.performance and performance_options is None:
            performance_options = dict(PERFORMANCE_OPTIONS)
        options = {"seed": self.profile_seed, "performance": self.performance,
                   "performance_options": performance_options, "deadline": deadline}
        if self.performance:
            # The proxy scoring may use most of the time limit; past that the rest of the profile still decides
            # (without a warm start) instead of the whole study falling back to its original sampler.
            options["performance_timeout"] = PERFORMANCE_SHARE * self.profile_timeout
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
        budget = replace(self.budget, n_objectives=n_objectives, direction=directions[0] if n_objectives == 1 else self.budget.direction)
        return report, decide(report, budget, DEFAULT_RULES if self.rules is None else self.rules)
