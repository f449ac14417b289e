"""Find an objective's search space by running it: the parameters it suggests, and which depend on which.

The objective runs for real, ``n_trials`` times, in a throwaway in-memory study with a seeded random sampler (so
conditional branches get explored) and a pruner that prunes at the first ``trial.should_prune()``: an objective that
reports intermediate values stops after its first report; one that does not runs to the end. Exceptions raised by
the objective are caught: what it suggested before failing still counts.
"""
from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Callable, Sequence

from nas_complexity._errors import SpaceError
from nas_complexity.logging import get_logger
from nas_complexity.spaces import Condition, SearchSpace

__all__ = ["dry_run_space", "infer_conditions", "record_distributions"]

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


def _merge(records: list[DryRunTrial]) -> dict[str, Any]:
    """One distribution per name; numeric ranges that moved between trials are widened to cover them all."""
    from optuna.distributions import FloatDistribution, IntDistribution

    merged: dict[str, Any] = {}
    for dists, _ in records:
        for name, dist in dists.items():
            seen = merged.setdefault(name, dist)
            if seen == dist:
                continue
            if isinstance(dist, (FloatDistribution, IntDistribution)) and type(seen) is type(dist):
                merged[name] = type(dist)(
                    low=min(seen.low, dist.low), high=max(seen.high, dist.high), log=dist.log, step=dist.step
                )
            else:
                raise SpaceError(name, f"suggested as {seen} and as {dist} in different trials", "one distribution per name")
    return merged


def infer_conditions(records: list[DryRunTrial]) -> dict[str, Condition]:
    """Which categorical parameter and values make each optional parameter appear (approximate, from the trials).

    A parameter seen in only some trials gets the parent that was present whenever it was, also appeared without it,
    and whose values with and without it never overlap; among several such parents the most often present (the one
    nearest the root) wins. Values of the parent never seen in the dry run count as not activating the parameter.
    """
    from optuna.distributions import CategoricalDistribution

    n = len(records)
    present: dict[str, set[int]] = {}
    for i, (dists, _) in enumerate(records):
        for name in dists:
            present.setdefault(name, set()).add(i)
    out: dict[str, Condition] = {}
    for name, trials in present.items():
        if len(trials) == n:
            continue
        candidates = []
        for parent, parent_trials in present.items():
            dist = records[min(parent_trials)][0][parent]
            # A parent must also appear without the child, which also rules out cycles.
            if parent == name or not isinstance(dist, CategoricalDistribution) or not trials < parent_trials:
                continue
            with_child = {records[i][1][parent] for i in trials}
            without = {records[i][1][parent] for i in parent_trials - trials}
            if with_child.isdisjoint(without):
                candidates.append((len(parent_trials), parent, dist.choices, with_child))
        if candidates:
            _, parent, choices, active = max(candidates, key=lambda c: (c[0], c[1]))
            out[name] = Condition(parent, tuple(v for v in choices if v in active))
    return out


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
    merged = _merge(records)
    if not merged:
        raise SpaceError(
            "objective", f"suggested no parameter in {n_trials} dry-run trials",
            "an objective that calls trial.suggest_* before it can fail",
        )
    from nas_complexity.adapters import from_optuna_distributions  # adapters import Optuna lazily

    space = from_optuna_distributions(merged)
    conditions = infer_conditions(records)
    if not conditions:
        return space
    params = [dataclasses.replace(p, condition=conditions[p.name]) if p.name in conditions else p for p in space.params]
    return dataclasses.replace(space, params=params)
