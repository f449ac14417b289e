"""Turn a :class:`~nas_complexity.strategies.Decision` into the concrete Optuna sampler it names."""
from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Mapping

from nas_complexity._imports import require

if TYPE_CHECKING:  # optuna is optional: imported only where a sampler is built
    import optuna

    from nas_complexity.strategies import Decision

__all__ = ["OPTUNA_SAMPLERS", "build_optuna_sampler"]

OPTUNA_SAMPLERS: tuple[str, ...] = (
    "RandomSampler",
    "TPESampler",
    "GPSampler",
    "CmaEsSampler",
    "NSGAIISampler",
    "RegularizedEvolutionSampler",
)
"""Sampler class names a decision may name (``Decision.optuna_sampler``)."""


def _sampler_class(name: str) -> type:
    if name not in OPTUNA_SAMPLERS:
        raise ValueError(f"unknown Optuna sampler {name!r} in the decision; accepted: {', '.join(OPTUNA_SAMPLERS)}")
    if name == "RegularizedEvolutionSampler":
        # Optuna has no single-objective regularized evolution; the project ships its own sampler.
        try:
            from nas_complexity.strategies._evolution import RegularizedEvolutionSampler
        except ImportError as exc:
            raise ImportError(f"RegularizedEvolutionSampler is not available in this installation ({exc})") from exc
        return RegularizedEvolutionSampler
    optuna = require("optuna", f"building the Optuna sampler {name}")
    return getattr(optuna.samplers, name)


def build_optuna_sampler(decision: "Decision | Mapping[str, Any]", seed: int | None = None) -> "optuna.samplers.BaseSampler":
    """The Optuna sampler a decision names, constructed with the decision's tuned parameters.

    Args:
        decision: a :class:`~nas_complexity.strategies.Decision` (or its ``to_dict()``); its ``optuna_sampler``
            must be one of :data:`OPTUNA_SAMPLERS` and ``params["optuna"]`` holds the keyword arguments.
        seed: seed of the sampler's random number generator (``None``: fresh entropy). Give each worker of a
            distributed study its own seed (or ``None``) so that they do not propose the same points.

    Raises:
        ValueError: the sampler name is unknown, or the sampler does not accept one of the parameters.

    Example:
        >>> from nas_complexity import profile
        >>> from nas_complexity.strategies import Budget, decide
        >>> decision = decide(profile("nb201", performance=False), Budget(n_trials=60, seconds_per_trial=0.01))
        >>> sampler = build_optuna_sampler(decision, seed=0)
        >>> type(sampler).__name__, decision.params["optuna"]["n_startup_trials"]
        ('TPESampler', 12)
    """
    if hasattr(decision, "optuna_sampler"):
        name, params = decision.optuna_sampler, decision.params  # type: ignore[union-attr]
    elif isinstance(decision, Mapping):
        name, params = decision.get("optuna_sampler"), decision.get("params", {})
    else:
        raise TypeError(f"decision must be a nas_complexity.strategies.Decision or its dict, got {type(decision).__name__}")
    cls = _sampler_class(str(name))
    kwargs = dict((params or {}).get("optuna", {}))
    accepted = inspect.signature(cls).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(kwargs) - set(accepted))
        if unknown:
            raise ValueError(
                f"{name} does not accept the decision's parameters {unknown}; accepted: {', '.join(sorted(accepted))}"
            )
    return cls(seed=seed, **kwargs)
