"""The search-space model: flat parameters, optional cell structures, tasks and published facts."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterator, Mapping, Sequence

import numpy as np

from nas_complexity._errors import SpaceError
from nas_complexity.spaces._cells import Structure
from nas_complexity.spaces._params import Param, check_names_unique
from nas_complexity.spaces._vocabulary import VOCABULARY, block_of, vocabulary_index

__all__ = ["SearchSpace", "PublishedCount", "Task", "Architecture", "SPACE_KINDS"]

SPACE_KINDS = ("architecture", "hyperparameter")
"""What a space's points are: network architectures, or hyperparameter configurations (``SearchSpace.kind``)."""

Architecture = dict[str, Any]
"""An architecture (or hyperparameter configuration): active parameter name -> value."""


@dataclass(frozen=True)
class PublishedCount:
    """A size taken from a publication, with where it comes from and how its authors obtained it."""

    value: int
    source: str
    how: str = ""


@dataclass(frozen=True)
class Task:
    """One task a space's architectures are designed for: a dataset with its problem type and metric."""

    name: str
    kind: str = "classification"
    metric: str = "accuracy"


@dataclass
class SearchSpace:
    """A search space: flat parameters (with conditions), cell structures, tasks and documented facts.

    Architectures are plain dicts of active parameter values; the space never is an architecture.

    Args:
        name: short identifier (``"nb201"``).
        params: free parameters (categorical, int, float; each may carry a :class:`Condition`).
        structures: cells whose parameters are added to the space (see :mod:`nas_complexity.spaces`).
        tasks: the tasks the space targets (multi-task ability counts these).
        constraints: extra predicates an architecture must satisfy (e.g. at least one downsampling).
        published_size: the size reported in the literature, used when the space is too large to count.
        published_unique: the size after removing isomorphic duplicates, when published.
        description: one paragraph saying what the space is and which definition is counted.
        block_fn: optional ``arch -> Counter`` of vocabulary tokens, replacing the generic mapping.
        network: the ``"package.module:Class"`` path of the
            :class:`~nas_complexity.networks.NetworkBuilder` that builds this space's architectures as real
            networks (for performance diversity). Registration sets it for the built-in spaces
            (:func:`~nas_complexity.spaces.register_space`); it is never inferred from ``name``, so a space of your
            own has none unless you give one.
        kind: ``"architecture"`` or ``"hyperparameter"``: what the space's points are, as declared by whoever
            defines the space (the decision rules drawn from architecture search apply to architecture spaces
            only). Default: ``"architecture"`` when the space has cell structures, else ``"hyperparameter"``.

    Example:
        >>> from nas_complexity.spaces import Categorical, IntRange, SearchSpace
        >>> space = SearchSpace("toy", [Categorical("op", ("conv3x3", "skip")), IntRange("width", 1, 3)])
        >>> space.size().total
        6
        >>> space.sample(seed=0) in list(space.enumerate())
        True
        >>> space.kind, SearchSpace("macro", space.params, kind="architecture").kind
        ('hyperparameter', 'architecture')
    """

    name: str
    params: Sequence[Param] = ()
    structures: Sequence[Structure] = ()
    tasks: Sequence[Task] = ()
    constraints: Sequence[Callable[[Architecture], bool]] = ()
    published_size: PublishedCount | None = None
    published_unique: PublishedCount | None = None
    description: str = ""
    block_fn: Callable[[Architecture], Counter[str]] | None = None
    task_definition: str = "distinct datasets (with their problem types) the space's architectures are trained on"
    network: str | None = None
    kind: str | None = None
    _all: list[Param] = field(init=False, repr=False)
    _by_name: dict[str, Param] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.params = tuple(self.params)
        self.structures = tuple(self.structures)
        self.tasks = tuple(self.tasks)
        if self.kind is None:
            self.kind = "architecture" if self.structures else "hyperparameter"
        if self.kind not in SPACE_KINDS:
            raise SpaceError(self.name, f"unknown kind {self.kind!r}", " or ".join(map(repr, SPACE_KINDS)))
        self._all = [*self.params, *(p for s in self.structures for p in s.params())]
        if not self._all:
            raise SpaceError(self.name, "the search space has no parameters", "at least one parameter")
        check_names_unique(self._all)
        self._by_name = {p.name: p for p in self._all}
        for p in self._all:
            if p.condition is None:
                continue
            parent = self._by_name.get(p.condition.parent)
            if parent is None:
                raise SpaceError(
                    p.name,
                    f"condition refers to unknown parameter {p.condition.parent!r}",
                    f"one of {sorted(self._by_name)}",
                )
            if not parent.is_discrete:
                raise SpaceError(p.name, f"condition parent {parent.name!r} is continuous", "a discrete parent")
            bad = [v for v in p.condition.values if not parent.contains(v)]
            if bad:
                accepted = str(parent.values()) if parent.n_values() <= 20 else str(parent.to_dict())
                raise SpaceError(p.name, f"condition values {bad} are not values of {parent.name!r}", accepted)
        self._order = self._topological_order()

    # ----------------------------------------------------------------------------------------- structure
    @property
    def all_params(self) -> list[Param]:
        """Every parameter, free ones first, then those of the structures."""
        return list(self._all)

    def param(self, name: str) -> Param:
        """The parameter called ``name``."""
        try:
            return self._by_name[name]
        except KeyError:
            raise SpaceError(name, "no such parameter in space " + repr(self.name), ", ".join(self._by_name)) from None

    @property
    def is_discrete(self) -> bool:
        return all(p.is_discrete for p in self._all)

    @property
    def wide_grids(self) -> list[str]:
        """Discrete parameters with more than :data:`~nas_complexity.spaces.LISTABLE_VALUES` values (counted
        exactly, treated as continuous by the size rules)."""
        return [p.name for p in self._all if p.is_wide_grid]

    @property
    def has_constraints(self) -> bool:
        return bool(self.constraints) or any(s.has_constraints for s in self.structures)

    def _topological_order(self) -> list[Param]:
        """Parents before their children, in linear time.

        The order is that of repeated passes over the declared parameters, each pass placing every parameter whose
        parent is already placed (the order sampling has always used, so seeded samples stay the same): a child
        lands in its parent's pass when declared after it, else in the next pass.
        """
        position = {p.name: i for i, p in enumerate(self._all)}
        children = self._children()
        rounds: dict[str, int] = {}
        stack = [(p, 0) for p in reversed(children.get(None, []))]
        while stack:
            p, pass_no = stack.pop()
            rounds[p.name] = pass_no
            for child in children.get(p.name, []):
                stack.append((child, pass_no + (position[child.name] < position[p.name])))
        if len(rounds) < len(self._all):
            stuck = next(p for p in self._all if p.name not in rounds)
            raise SpaceError(stuck.name, "conditions form a cycle", "conditions forming a tree")
        return sorted(self._all, key=lambda p: (rounds[p.name], position[p.name]))

    def _children(self) -> dict[str | None, list[Param]]:
        out: dict[str | None, list[Param]] = {}
        for p in self._all:
            out.setdefault(p.condition.parent if p.condition else None, []).append(p)
        return out

    # --------------------------------------------------------------------------------------- sampling
    def active(self, arch: Architecture) -> list[Param]:
        """The parameters active in ``arch`` (those whose condition holds)."""
        return [p for p in self._order if p.condition is None or p.condition.holds(arch)]

    def architecture_of(self, values: Mapping[str, Any]) -> Architecture:
        """The architecture ``values`` make when they hold a value for every parameter, used or not: each
        parameter in order whose condition holds on those kept before it, with its value.

        Raises:
            KeyError: ``values`` lack a parameter the architecture uses (its name).

        Example:
            >>> from nas_complexity.spaces import get_space
            >>> get_space("tnb101-macro").architecture_of({"depth": 4, "layer0": 3, "layer1": 2, "layer2": 1,
            ...                                            "layer3": 1, "layer4": 3, "layer5": 3})
            {'depth': 4, 'layer0': 3, 'layer1': 2, 'layer2': 1, 'layer3': 1}
        """
        return self._walk(lambda p: values[p.name])

    def _raw_sample(self, rng: np.random.Generator) -> Architecture:
        return self._walk(lambda p: p.sample(rng))

    def _walk(self, value_of: Callable[[Param], Any]) -> Architecture:
        """Each parameter in order whose condition holds on those taken before it, with ``value_of`` it."""
        arch: Architecture = {}
        for p in self._order:
            if p.condition is None or p.condition.holds(arch):
                arch[p.name] = value_of(p)
        return arch

    def is_valid(self, arch: Architecture) -> bool:
        """Whether ``arch`` satisfies every structure and constraint (values are assumed legal)."""
        return all(s.is_valid(arch) for s in self.structures) and all(c(arch) for c in self.constraints)

    def sample(self, seed: int | np.random.Generator | None = None, n: int | None = None, max_tries: int = 10_000):
        """Draw one architecture (``n=None``) or a list of ``n``, uniformly over legal parameter values.

        Invalid draws (e.g. NB101 cells over the edge limit) are rejected and drawn again.
        """
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        count = 1 if n is None else n
        out = []
        for _ in range(count):
            for _attempt in range(max_tries):
                arch = self._raw_sample(rng)
                if self.is_valid(arch):
                    out.append(arch)
                    break
            else:
                raise SpaceError(self.name, f"no valid architecture in {max_tries} draws", "a space with valid points")
        return out[0] if n is None else out

    def validate(self, arch: Architecture) -> Architecture:
        """Check that ``arch`` names exactly the active parameters with legal values; return it."""
        for p in self.active(arch):
            if p.name not in arch:
                raise SpaceError(p.name, "missing from the architecture", "a value for every active parameter")
            if not p.contains(arch[p.name]):
                accepted = str(p.values()) if p.is_discrete and p.n_values() <= 20 else str(p.to_dict())
                raise SpaceError(p.name, f"value {arch[p.name]!r} is not legal", accepted)
        extra = set(arch) - {p.name for p in self.active(arch)}
        if extra:
            raise SpaceError(sorted(extra)[0], "not an active parameter of this architecture", "active parameters only")
        if not self.is_valid(arch):
            raise SpaceError(self.name, f"architecture violates the space's constraints: {arch}", self.description)
        return arch

    def enumerate(self) -> Iterator[Architecture]:
        """Every legal architecture, in a fixed order (discrete spaces only)."""
        if not self.is_discrete:
            cont = [p.name for p in self._all if not p.is_discrete][0]
            raise SpaceError(cont, "a space with a continuous parameter cannot be enumerated", "discrete parameters")
        for arch in self._expand({}, list(self._order)):
            if self.is_valid(arch):
                yield arch

    def _expand(self, arch: Architecture, rest: list[Param]) -> Iterator[Architecture]:
        # Depth-first over parameters in topological order; inactive ones are skipped.
        while rest and not (rest[0].condition is None or rest[0].condition.holds(arch)):
            rest = rest[1:]
        if not rest:
            yield dict(arch)
            return
        head, tail = rest[0], rest[1:]
        for value in head.values():
            arch[head.name] = value
            yield from self._expand(arch, tail)
        del arch[head.name]

    # ------------------------------------------------------------------------------------------ size
    def raw_count(self) -> int | None:
        """Number of legal parameter combinations (conditions respected, constraints ignored); exact."""
        if not self.is_discrete:
            return None
        children = self._children()
        counts: dict[str, int] = {}
        # Children before parents (reverse topological order), so that no recursion limit caps the depth.
        for p in reversed(self._order):
            kids = children.get(p.name, [])
            # Values no child is conditioned on contribute one combination each: counted, never listed.
            special = list(dict.fromkeys(v for c in kids for v in c.condition.values))  # type: ignore[union-attr]
            total = p.n_values() - len(special)  # type: ignore[operator]
            for v in special:
                total += math.prod(counts[c.name] for c in kids if v in c.condition.values)  # type: ignore[union-attr]
            counts[p.name] = total
        return math.prod(counts[p.name] for p in children.get(None, []))

    def size(self):
        """The size of the space (see :func:`nas_complexity.metrics.measure_size`)."""
        from nas_complexity.metrics import (
            measure_size,  # the metrics layer sits above this one
        )

        return measure_size(self)

    def canonical(self, arch: Architecture) -> Hashable | None:
        """Key equal for isomorphic architectures, or ``None`` when the space defines no reduction."""
        keys = [s.canonical(arch) for s in self.structures]
        if all(k is None for k in keys):
            return None
        free = tuple((p.name, arch.get(p.name)) for p in self.params)
        return (free, tuple(keys))

    @property
    def has_canonical_form(self) -> bool:
        return any(type(s).canonical is not Structure.canonical for s in self.structures)

    # --------------------------------------------------------------------------------------- encoding
    def block_counts(self, arch: Architecture) -> Counter[str]:
        """Building blocks used by ``arch``, by vocabulary token."""
        if self.block_fn is not None:
            return Counter(self.block_fn(arch))
        out: Counter[str] = Counter()
        for s in self.structures:
            out.update(s.blocks(arch))
        for p in self.params:
            token = block_of(arch.get(p.name)) if p.name in arch else None
            if token is not None:
                out[token] += 1
        return out

    def encode(self, arch: Architecture) -> np.ndarray:
        """The architecture as a vector of building-block counts over :data:`VOCABULARY`.

        Example:
            >>> from nas_complexity.spaces import get_space
            >>> space = get_space("nb201")
            >>> int(space.encode(space.sample(seed=1)).sum())
            6
        """
        vec = np.zeros(len(VOCABULARY), dtype=np.float64)
        for token, count in self.block_counts(arch).items():
            vec[vocabulary_index(token)] += count
        return vec

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description of the space."""
        return {
            "name": self.name,
            # Part of what identifies a space (profile cache keys): the decision reads it from the profile.
            "kind": self.kind,
            "description": self.description,
            "params": [p.to_dict() for p in self.params],
            "structures": [s.to_dict() for s in self.structures],
            "tasks": [t.name for t in self.tasks],
            # The network decides the performance diversity, so what identifies a space (profile cache keys)
            # includes it; left out when unset, so a space without one describes itself as before.
            **({"network": self.network} if self.network is not None else {}),
        }

    def __repr__(self) -> str:
        return f"SearchSpace({self.name!r}, {len(self._all)} parameters, {len(self.tasks)} tasks)"

