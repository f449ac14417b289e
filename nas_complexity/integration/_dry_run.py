"""Find an objective's search space by running it: the parameters it suggests, and which depend on which.

The objective runs for real, ``n_trials`` times, in a throwaway in-memory study with a seeded random sampler (so
conditional branches get explored) and a pruner that prunes at the first ``trial.should_prune()``: an objective that
reports intermediate values stops after its first report; one that does not runs to the end. Exceptions raised by
the objective are caught: what it suggested before failing still counts.
"""
from __future__ import annotations

import uuid
from typing import Any, Callable, Sequence

from nas_complexity._errors import SpaceError
from nas_complexity.logging import get_logger
from nas_complexity.spaces import SearchSpace

__all__ = ["dry_run_space", "record_distributions"]

_log = get_logger(__name__)


def _prune_at_first_check():
    import optuna

    class _PruneAtFirstCheck(optuna.pruners.BasePruner):
        """Prune every trial at its first ``should_prune()``: the suggestions are known by then."""

        def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
            return True

    return _PruneAtFirstCheck()


DryRunTrial = tuple[dict[str, Any], dict[str, Any]]
"""What one dry-run trial suggested: (parameter name -> Optuna distribution, parameter name -> value)."""


def record_distributions(
    objective: Callable[[Any], Any], n_trials: int, seed: int, directions: Sequence[Any] = ("minimize",)
) -> list[DryRunTrial]:
    """The distributions and values each of ``n_trials`` dry-run trials of ``objective`` suggested."""
    import optuna

    from nas_complexity.integration._optuna_storage import plumbing_study_name

    study = optuna.create_study(
        study_name=plumbing_study_name(f"{uuid.uuid4()}", "dry-run"),
        storage=optuna.storages.InMemoryStorage(),
        sampler=optuna.samplers.RandomSampler(seed=seed),
        pruner=_prune_at_first_check(),
        directions=list(directions),
    )
    records: list[DryRunTrial] = []
    for _ in range(n_trials):
        # ask() without tell(): nothing is logged and nothing else reads this study.
        trial = study.ask()
        try:
            objective(trial)
        except optuna.TrialPruned:
            pass
        except Exception as exc:  # the suggestions made before the failure are still the space
            _log.debug("dry-run trial %d raised %s: %s", trial.number, type(exc).__name__, exc)
        records.append((dict(trial.distributions), dict(trial.params)))
    return records


def dry_run_space(
    objective: Callable[[Any], Any], n_trials: int, seed: int, directions: Sequence[Any] = ("minimize",)
) -> SearchSpace:
    """The search space of ``objective``, found by running it ``n_trials`` times (see the module docstring).

    Example:
        >>> def objective(trial):
        ...     model = trial.suggest_categorical("model", ["mlp", "cnn"])
        ...     if model == "cnn":
        ...         trial.suggest_int("channels", 8, 64, log=True)
        ...     return trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        >>> space = dry_run_space(objective, n_trials=8, seed=0)
        >>> space.param("channels").condition
        Condition(parent='model', values=('cnn',))
    """
    records = record_distributions(objective, n_trials, seed, directions)
    if not any(dists for dists, _ in records):
        raise SpaceError(
            "objective", f"suggested no parameter in {n_trials} dry-run trials",
            "an objective that calls trial.suggest_* before it can fail",
        )
    from nas_complexity.adapters import space_from_trials  # adapters import Optuna lazily

    # Every dry-run trial counts as evidence of absence: each ran until its first pruning check.
    return space_from_trials([(d, p, True) for d, p in records], name="dry run", source="dry run")
