"""Architecture diversity: total variance of normalised building-block count vectors."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

import numpy as np

from nas_complexity.spaces import VOCABULARY, Architecture, SearchSpace

__all__ = ["ArchitectureDiversity", "architecture_diversity", "total_variance_of_proportions"]

DEFINITION = (
    "sum over vocabulary blocks of the variance, across architectures, of each block's share of the "
    "architecture's blocks (count vector divided by its total); 0 = all architectures use blocks in the same "
    "proportions, at most 1 - 1/k for k blocks"
)


@dataclass(frozen=True)
class ArchitectureDiversity:
    """Architecture diversity of a space.

    Attributes:
        value: total variance of normalised count vectors (``None`` when no architecture has building blocks,
            e.g. a pure hyperparameter space).
        vocabulary: the vocabulary tokens the space's architectures use.
        n_architectures: how many architectures the value is computed on.
        method: ``enumerated`` (all architectures) or ``sampled``.
        per_block: the variance contributed by each used block.
        definition: the definition in words.
    """

    value: float | None
    vocabulary: list[str]
    n_architectures: int
    method: str
    per_block: dict[str, float] = field(default_factory=dict)
    definition: str = DEFINITION
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ArchitectureDiversity":
        return cls(**data)


def total_variance_of_proportions(counts: np.ndarray) -> tuple[float | None, np.ndarray]:
    """Total variance of the rows of ``counts`` after dividing each row by its sum.

    Rows summing to zero (architectures with no recognised block) are left out.

    Example:
        >>> total_variance_of_proportions(np.array([[1, 0], [0, 1]]))[0]
        0.5
    """
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=1)
    keep = totals > 0
    if not keep.any():
        return None, np.zeros(counts.shape[1])
    shares = counts[keep] / totals[keep, None]
    per_dim = shares.var(axis=0)
    return float(per_dim.sum()), per_dim


def architecture_diversity(
    space: SearchSpace, architectures: Iterable[Architecture], method: str
) -> ArchitectureDiversity:
    """Architecture diversity of ``space`` over the given architectures (all of them, or a sample).

    Example:
        >>> from nas_complexity.spaces import get_space
        >>> space = get_space("nb201")
        >>> d = architecture_diversity(space, space.enumerate(), "enumerated")
        >>> round(d.value, 4), d.vocabulary
        (0.1333, ['conv1x1', 'conv3x3', 'avg_pool', 'skip', 'zero'])
    """
    vectors = [space.encode(a) for a in architectures]  # encoded as they come: a checked iterable can stop here
    if not vectors:
        return ArchitectureDiversity(None, [], 0, method, note="no architectures")
    counts = np.stack(vectors)
    value, per_dim = total_variance_of_proportions(counts)
    used = np.flatnonzero(counts.sum(axis=0) > 0)
    vocab = [VOCABULARY[i] for i in used]
    note = "" if value is not None else "no parameter value maps to an architectural building block"
    per_block = {VOCABULARY[i]: round(float(per_dim[i]), 6) for i in used}
    return ArchitectureDiversity(
        None if value is None else round(value, 6), vocab, len(vectors), method, per_block, note=note
    )
