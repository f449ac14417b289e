"""The decision: a neutral strategy (family, algorithm, hyperparameters), its Optuna/NNI forms and the reasons."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from nas_complexity.strategies._algorithms import Strategy

__all__ = ["Decision", "Reason", "recorded_form"]


@dataclass(frozen=True)
class Reason:
    """One fired rule: its id, the measured value, the comparison and threshold, the effect and its evidence."""

    id: str
    feature: str
    value: Any
    op: str
    threshold: Any
    effect: str
    evidence: str

    def sentence(self) -> str:
        if not self.op:
            return f"{self.id}: no earlier rule fired -> {self.effect}"
        return f"{self.id}: {self.feature}={_fmt(self.value)} {self.op} {_fmt(self.threshold)} -> {self.effect}"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@dataclass(frozen=True)
class Decision:
    """The chosen search strategy.

    The choice itself is framework-neutral: ``family``, ``algorithm`` (``random``, ``tpe``, ``gp``, ``cma_es``,
    ``nsga2``, ``regularized_evolution``) and ``hyperparameters`` (neutral names: ``n_startup_trials``,
    ``population_size``, ``sample_size``...). Its concrete forms are filled by the integration layer's mappings.

    JSON keys (stable): ``family`` (random / evolutionary / bayesian), ``optuna_sampler`` (class name),
    ``nni_tuner`` (HPO tuner name), ``nni_strategy`` (NAS strategy name), ``params`` (tuned parameters, with
    ``optuna``, ``nni_tuner`` and ``nni_strategy`` keyword arguments), ``reasons`` (fired rules), ``features``
    (the numbers the rules read), ``rules_version``, ``notes``, and the neutral ``algorithm`` and
    ``hyperparameters``. A decision stored without these two (by an earlier version) gets them from
    ``optuna_sampler`` and ``params``. ``warm_start`` lists architectures (parameter name -> value, in the space's
    names) to evaluate first, best first: the profile's best zero-cost proxy scores; empty when there are none or
    the rules did not ask for them. ``proxy_check_after`` (with a warm start): after this many completed trials
    the search checks whether the warm start's architectures beat the sampler's own, and evaluates the profile's
    next best-scored ones only if they did (``None``: no check). ``mutation_effects`` (with the neutral
    ``mutation_candidates``): per parameter, per value (JSON text), the proxy's main effects that guide the
    evolution's mutations (the profile's ``value_effects``); empty when the mutation is not guided.

    Example:
        >>> d = Decision("random", "RandomSampler", "Random", "Random", {}, [], {})
        >>> Decision.from_json(d.to_json()) == d, d.algorithm
        (True, 'random')
    """

    family: str
    optuna_sampler: str
    nni_tuner: str
    nni_strategy: str
    params: dict[str, Any]
    reasons: list[Reason]
    features: dict[str, Any]
    rules_version: str = "1"
    notes: list[str] = field(default_factory=list)
    # After the stored fields, so that positional construction as in earlier versions still works.
    algorithm: str = ""
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    warm_start: list[dict[str, Any]] = field(default_factory=list)
    proxy_check_after: int | None = None
    mutation_effects: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.algorithm:
            # A decision of an earlier version: its neutral form is read back from its Optuna form.
            from nas_complexity.integration import neutral_fields

            algorithm, hyperparameters = neutral_fields(self.optuna_sampler, self.params)
            object.__setattr__(self, "algorithm", algorithm)
            object.__setattr__(self, "hyperparameters", {**hyperparameters, **self.hyperparameters})

    @property
    def strategy(self) -> Strategy:
        """The framework-neutral strategy (what the integration layer maps to Optuna and NNI objects)."""
        return Strategy(self.family, self.algorithm, dict(self.hyperparameters), int(self.features.get("n_objectives") or 1),
                        str(self.features.get("direction") or "maximize"), bool(self.features.get("all_numeric")))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["reasons"] = [asdict(r) for r in self.reasons]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Decision":
        data = dict(data)
        data["reasons"] = [Reason(**r) for r in data.get("reasons", [])]
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> "Decision":
        return cls.from_dict(json.loads(text))

    def summary(self) -> str:
        """One line: the choice, its parameters and the reasons (what the hook logs)."""
        reasons = "; ".join(r.sentence() for r in self.reasons)
        warm = f" warm_start={len(self.warm_start)}" if self.warm_start else ""
        if self.mutation_effects:
            warm += f" mutation_effects={len(self.mutation_effects)} parameters"
        return (f"strategy={self.family} sampler={self.optuna_sampler} "
                f"params={json.dumps(self.params['optuna'], sort_keys=True)}{warm} reasons=[{reasons}]")


def recorded_form(decision: Decision | Mapping[str, Any], name_key: str, params_key: str) -> tuple[Any, dict[str, Any]]:
    """One framework form a decision (or its ``to_dict()``) records: the name under ``name_key`` and the keyword
    arguments under ``params[params_key]``.

    Example:
        >>> recorded_form({"optuna_sampler": "GPSampler", "params": {"optuna": {"n_startup_trials": 12}}},
        ...               "optuna_sampler", "optuna")
        ('GPSampler', {'n_startup_trials': 12})
    """
    if isinstance(decision, Mapping):
        name, params = decision.get(name_key), decision.get("params", {})
    elif hasattr(decision, name_key) and hasattr(decision, "params"):
        name, params = getattr(decision, name_key), decision.params
    else:
        raise TypeError(f"decision must be a nas_complexity.strategies.Decision or its dict, got {type(decision).__name__}")
    return name, dict((params or {}).get(params_key, {}))
