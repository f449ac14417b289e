"""The decision: a strategy family, its concrete Optuna/NNI forms, tuned parameters and the reasons."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Decision", "Reason"]


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

    JSON keys (stable): ``family`` (random / evolutionary / bayesian), ``optuna_sampler`` (class name),
    ``nni_tuner`` (HPO tuner name), ``nni_strategy`` (NAS strategy name), ``params`` (tuned parameters, with
    ``optuna``, ``nni_tuner`` and ``nni_strategy`` keyword arguments), ``reasons`` (fired rules), ``features``
    (the numbers the rules read), ``rules_version``.

    Example:
        >>> d = Decision("random", "RandomSampler", "Random", "Random", {}, [], {})
        >>> Decision.from_json(d.to_json()) == d
        True
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
        return f"strategy={self.family} sampler={self.optuna_sampler} params={json.dumps(self.params['optuna'], sort_keys=True)} reasons=[{reasons}]"
