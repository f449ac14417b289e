"""The sampler the Optuna hook puts in place of ``study.sampler``: it delegates every call to the chosen sampler.

Optuna runs ``callbacks`` *after* each trial, too late to choose the sampler of trial 0. ``before_trial`` is the first
thing Optuna calls for every trial, before any parameter is sampled: there the sampler asks its
:class:`~nas_complexity.integration._optuna_decision_store.DecisionStore` for the decision (made once), records the
strategy on the trial, and from then on passes every call to the chosen sampler (or the study's original one).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from nas_complexity._imports import require
from nas_complexity.integration._optuna_decision_store import DecisionStore
from nas_complexity.integration._optuna_storage import STRATEGY_KEY
from nas_complexity.logging import get_logger
from nas_complexity.strategies import Decision

optuna = require("optuna", "the Optuna pre-search hook")
from optuna.samplers import BaseSampler  # noqa: E402  (after the import check above)
from optuna.trial import FrozenTrial, TrialState  # noqa: E402

if TYPE_CHECKING:
    from nas_complexity.integration._optuna_advisor import ComplexityAdvisor

__all__ = ["AdvisedSampler"]

_log = get_logger(__name__)


class AdvisedSampler(BaseSampler):
    """The companion sampler: asks its :class:`DecisionStore` what to sample with, then delegates every call.

    Delegation only: the decision (made, loaded or fallen back on) is the store's job. Created by
    :meth:`ComplexityAdvisor.attach <nas_complexity.integration.ComplexityAdvisor.attach>`; not meant to be built
    directly.

    Example:
        >>> import optuna
        >>> from nas_complexity.integration import ComplexityAdvisor
        >>> study = ComplexityAdvisor("nb201", n_trials=50).attach(optuna.create_study())
        >>> type(study.sampler.original).__name__, study.sampler.strategy   # nothing decided before trial 0
        ('TPESampler', None)
    """

    def __init__(self, store: DecisionStore) -> None:
        self.store = store
        self._by_trial: dict[int, BaseSampler] = {}

    @property
    def advisor(self) -> "ComplexityAdvisor":
        """The advisor this sampler was attached by."""
        return self.store.advisor

    @property
    def original(self) -> BaseSampler:
        """The study's sampler before the advisor was attached (used on fallback)."""
        return self.store.original

    @property
    def active(self) -> BaseSampler:
        """The sampler new trials are delegated to."""
        installed = self.store.installed
        return self.store.original if installed is None else installed.sampler

    @property
    def decision(self) -> Decision | None:
        return self.store.decision

    @property
    def strategy(self) -> str | None:
        return self.store.strategy

    # ------------------------------------------------------------------------------- Optuna protocol
    def before_trial(self, study: "optuna.Study", trial: FrozenTrial) -> None:
        try:
            self.store.ensure(study)
            self.store.maybe_redecide(study, trial.number)
        except Exception as exc:  # the hook must never stop the user's study
            _log.warning("nas_complexity hook error before trial %d (ignored): %s: %s", trial.number, type(exc).__name__, exc)
        installed = self.store.installed
        sampler = self.original if installed is None else installed.sampler
        strategy = f"fallback/{type(self.original).__name__}" if installed is None else installed.strategy
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
        self.original.reseed_rng()
        installed = self.store.installed
        if installed is not None and installed.sampler is not self.original:
            installed.sampler.reseed_rng()
