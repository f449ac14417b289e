"""Search spaces from Optuna: a dict of distributions, or the trials of an existing study.

Optuna's three distributions map one to one: ``CategoricalDistribution`` -> :class:`Categorical`,
``IntDistribution(low, high, step, log)`` -> :class:`IntRange`, ``FloatDistribution(low, high, step, log)`` ->
:class:`FloatRange`. A study adds what a dict cannot say: which parameters are conditional, inferred from which
trials suggested them (see :func:`from_optuna_study`).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nas_complexity._errors import SpaceError
from nas_complexity._imports import require
from nas_complexity.adapters._common import Notes
from nas_complexity.logging import get_logger
from nas_complexity.spaces import Categorical, Condition, FloatRange, IntRange, Param, SearchSpace

if TYPE_CHECKING:
    import optuna

__all__ = ["from_optuna_distributions", "from_optuna_study", "space_from_trials"]

_log = get_logger(__name__)

_ACCEPTED = "optuna.distributions.CategoricalDistribution, IntDistribution or FloatDistribution"


def _optuna_distributions():
    return require("optuna.distributions", "Reading Optuna search spaces")


def _param(name: str, dist: Any, condition: Condition | None = None) -> Param:
    d = _optuna_distributions()
    if isinstance(dist, d.CategoricalDistribution):
        return Categorical(name, tuple(dist.choices), condition=condition)
    if isinstance(dist, d.IntDistribution):
        return IntRange(name, int(dist.low), int(dist.high), step=int(dist.step), log=bool(dist.log), condition=condition)
    if isinstance(dist, d.FloatDistribution):
        return FloatRange(name, float(dist.low), float(dist.high), step=dist.step, log=bool(dist.log), condition=condition)
    raise SpaceError(name, f"unsupported distribution {type(dist).__name__} ({dist!r})", _ACCEPTED)


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise SpaceError(repr(name), "parameter names must be non-empty strings", "the names passed to trial.suggest_*")
    return name


def _counts(params: list[Param]) -> str:
    kinds: dict[str, int] = {}
    for p in params:
        kinds[type(p).__name__] = kinds.get(type(p).__name__, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))


def from_optuna_distributions(
    distributions: Mapping[str, Any], name: str = "optuna", *, kind: str = "hyperparameter"
) -> SearchSpace:
    """A search space with one parameter per Optuna distribution (all unconditional).

    Args:
        distributions: parameter name -> ``optuna.distributions.BaseDistribution`` (what ``trial.distributions``
            or ``study.best_trial.distributions`` hold).
        name: name of the resulting space.
        kind: what the parameters describe: ``"hyperparameter"`` (default) or ``"architecture"`` (e.g. a cell's
            operations), which lets the decision use the rules drawn from architecture search.

    Raises:
        SpaceError: for an empty dict, a non-string name, or a distribution other than Categorical/Int/Float,
            naming the parameter.

    Example:
        >>> from optuna.distributions import CategoricalDistribution, IntDistribution
        >>> space = from_optuna_distributions(
        ...     {"act": CategoricalDistribution(["relu", "gelu"]), "layers": IntDistribution(1, 4)})
        >>> space.size().total, space.kind
        (8, 'hyperparameter')
    """
    if not isinstance(distributions, Mapping):
        raise SpaceError(name, f"expected a dict of Optuna distributions, got {type(distributions).__name__}", _ACCEPTED)
    if not distributions:
        raise SpaceError(name, "the dict of Optuna distributions is empty", "at least one parameter name -> distribution")
    params = [_param(_check_name(key), dist) for key, dist in distributions.items()]
    description = f"Optuna distributions: {len(params)} parameters ({_counts(params)})."
    return SearchSpace(name, params=params, description=description, kind=kind)


# ------------------------------------------------------------------------------------------------- studies
@dataclass(frozen=True)
class _Record:
    """What one trial suggested: distributions and values by name, and whether it ran to the end."""

    distributions: dict[str, Any]
    params: dict[str, Any]
    finished: bool


def _merge(name: str, seen: Any, new: Any, notes: Notes) -> Any:
    """One distribution covering ``seen`` and ``new`` (see :func:`from_optuna_study` for the policy)."""
    d = _optuna_distributions()
    if seen == new:
        return seen
    if type(seen) is not type(new):
        raise SpaceError(
            name,
            f"suggested as {seen!r} in one trial and as {new!r} in another; these types cannot be merged",
            "one distribution type per parameter name across the study's trials",
        )
    if isinstance(new, d.CategoricalDistribution):
        merged: Any = d.CategoricalDistribution(list(dict.fromkeys([*seen.choices, *new.choices])))
    elif isinstance(new, d.IntDistribution):
        # gcd of the steps and of the offset between the lows: the one grid that holds both grids.
        step = math.gcd(int(seen.step), int(new.step), abs(int(seen.low) - int(new.low)))
        log = seen.log and new.log and step == 1
        merged = d.IntDistribution(min(seen.low, new.low), max(seen.high, new.high), log=log, step=step)
    else:
        step = seen.step if seen.step == new.step else None
        if step is not None and not _on_grid(seen.low - new.low, step):
            step = None
        log = seen.log and new.log and step is None
        merged = d.FloatDistribution(min(seen.low, new.low), max(seen.high, new.high), log=log, step=step)
    if merged != seen:
        notes.add(f"{name}: merged {seen!r} and {new!r} into {merged!r}")
        _log.warning(
            "parameter %r was suggested with different distributions (%r and %r); using %r", name, seen, new, merged
        )
    return merged


def _on_grid(offset: float, step: float) -> bool:
    k = offset / step
    return abs(k - round(k)) < 1e-9


def _records(study: Any) -> list[_Record]:
    optuna = require("optuna", "Reading an Optuna study")
    if not isinstance(study, optuna.Study):
        raise SpaceError("study", f"expected an optuna.Study, got {type(study).__name__}", "optuna.Study")
    trials = study.get_trials(deepcopy=False)
    if not trials:
        raise SpaceError(
            study.study_name, "the study has no trials to read the search space from",
            "a study with at least one trial (or use from_optuna_distributions)",
        )
    return [_Record(dict(t.distributions), dict(t.params), t.state == optuna.trial.TrialState.COMPLETE) for t in trials]


def _infer_condition(
    name: str, records: list[_Record], categorical: dict[str, Any], evidence: list[int]
) -> Condition | None:
    """The condition that exactly explains when ``name`` was suggested, or ``None`` (with a warning) when none does.

    ``evidence`` are the trials that ran to the end: there, an absent parameter really was inactive. In any trial,
    a present parameter shows that its parent's value activates it.
    """
    with_child = [i for i, r in enumerate(records) if name in r.params]
    candidates: list[tuple[int, str, tuple[Any, ...]]] = []
    for parent, dist in categorical.items():
        if parent == name or not all(parent in records[i].params for i in with_child):
            continue
        active = {records[i].params[parent] for i in with_child}
        inactive = {
            records[i].params[parent] for i in evidence if parent in records[i].params and name not in records[i].params
        }
        # The parent must be seen without the child (else it only shares the child's own condition) and no value
        # of it may be seen both with and without the child: then its values explain the presence exactly.
        if inactive and active.isdisjoint(inactive):
            n_present = sum(parent in records[i].params for i in range(len(records)))
            candidates.append((n_present, parent, tuple(v for v in dist.choices if v in active)))
    if not candidates:
        _log.warning(
            "parameter %r was suggested in only some trials, but no categorical parameter's values explain when; "
            "it is kept unconditional (the size counts it in every architecture)", name,
        )
        return None
    candidates.sort(key=lambda c: (-c[0], c[1]))
    if len(candidates) > 1:
        _log.warning(
            "parameter %r: several categorical parameters explain when it was suggested (%s); using %r, the one "
            "suggested most often (nearest the root)", name, ", ".join(c[1] for c in candidates), candidates[0][1],
        )
    return Condition(candidates[0][1], candidates[0][2])


def from_optuna_study(study: "optuna.Study", name: str | None = None, *, kind: str = "hyperparameter") -> SearchSpace:
    """The search space an existing study has explored: the union of its trials' distributions.

    Every trial that suggested something counts (complete, pruned, failed, running). Policies:

    * **Conditional parameters.** A parameter missing from some *complete* trials gets ``Condition(parent,
      values)`` when one categorical parameter's values explain its presence exactly: the parent was suggested
      whenever the child was, in some complete trials without it, and no parent value occurs both with and
      without the child. ``values`` are the parent values seen with the child; parent values never tried count
      as not activating it. Otherwise the parameter stays unconditional and a warning is logged. Unfinished trials
      only add positive evidence (a suggestion they made), never absence. Without any complete trial, all trials
      are taken as finished and a warning says so.
    * **Different distributions for one name.** Same type: merged with a warning into one that holds every value
      seen -- numeric ranges to their hull (integer steps to the gcd of steps and offsets; float ranges whose
      grids disagree become continuous; ``log`` only when all agree), categorical choices to their union in first-
      seen order. Different types (e.g. int and float): :class:`SpaceError`.

    Args:
        study: an ``optuna.Study`` with at least one trial that suggested parameters.
        name: name of the resulting space (default: the study's name).
        kind: ``"hyperparameter"`` (default) or ``"architecture"``: what the study searches.

    Raises:
        SpaceError: for a study without trials or suggestions, or a name suggested with two distribution types.

    Example:
        >>> import optuna
        >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
        >>> def objective(trial):
        ...     if trial.suggest_categorical("optimizer", ["sgd", "adam"]) == "sgd":
        ...         trial.suggest_float("momentum", 0.0, 0.9, step=0.1)
        ...     return 0.0
        >>> study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        >>> study.optimize(objective, n_trials=10)
        >>> space = from_optuna_study(study)
        >>> space.param("momentum").condition, space.size().total
        (Condition(parent='optimizer', values=('sgd',)), 11)
    """
    return space_from_trials(
        [(r.distributions, r.params, r.finished) for r in _records(study)],
        name=name or study.study_name,
        source=f"Optuna study {study.study_name!r}",
        kind=kind,
    )


def space_from_trials(
    trials: Iterable[tuple[Mapping[str, Any], Mapping[str, Any], bool]],
    name: str,
    source: str = "Optuna trials",
    *,
    kind: str = "hyperparameter",
) -> SearchSpace:
    """The space behind some trials, each ``(distributions, params, finished)``, with :func:`from_optuna_study`'s
    policies for conditions and differing distributions (``finished`` marks trials whose absences count);
    ``kind`` as in :func:`from_optuna_study`.

    Example:
        >>> from optuna.distributions import CategoricalDistribution, IntDistribution
        >>> model = CategoricalDistribution(["mlp", "cnn"])
        >>> space = space_from_trials([
        ...     ({"model": model, "channels": IntDistribution(8, 64)}, {"model": "cnn", "channels": 16}, True),
        ...     ({"model": model}, {"model": "mlp"}, True)], name="dry run")
        >>> space.param("channels").condition
        Condition(parent='model', values=('cnn',))
    """
    records = [_Record(dict(d), dict(p), bool(f)) for d, p, f in trials if d]
    if not records:
        raise SpaceError(name, "no trial suggested a parameter", "trials that called trial.suggest_*")
    notes = Notes()
    merged: dict[str, Any] = {}
    for record in records:
        for key, dist in record.distributions.items():
            merged[_check_name(key)] = _merge(key, merged[key], dist, notes) if key in merged else dist
    evidence = [i for i, r in enumerate(records) if r.finished]
    if not evidence:
        _log.warning("%s: no trial ran to the end; conditions are inferred from unfinished trials", source)
        evidence = list(range(len(records)))
    d = _optuna_distributions()
    categorical = {k: v for k, v in merged.items() if isinstance(v, d.CategoricalDistribution)}
    params = []
    for key, dist in merged.items():
        always = all(key in records[i].params for i in evidence)
        condition = None if always else _infer_condition(key, records, categorical, evidence)
        if condition is not None:
            notes.add(f"{key} active when {condition.parent} in {list(condition.values)} (inferred from the trials)")
        params.append(_param(key, dist, condition))
    head = (
        f"Search space of {source}, read from {len(records)} trials ({len(evidence)} used to infer conditions): "
        f"{len(params)} parameters ({_counts(params)})."
    )
    return SearchSpace(name, params=params, description=notes.describe(head), kind=kind)
