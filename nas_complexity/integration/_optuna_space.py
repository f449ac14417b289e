"""Where the hook's search space comes from: a built-in name, a space object, Optuna distributions, or a dry run."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from nas_complexity._errors import SpaceError, UnknownSpaceError
from nas_complexity.adapters._common import with_kind
from nas_complexity.spaces import SPACE_KINDS, SearchSpace, list_spaces

__all__ = ["DRY_RUN", "SpaceSource", "check_optuna_distributions"]

DRY_RUN = "dry_run"
"""``space=DRY_RUN`` finds the space by running the objective (see :mod:`nas_complexity.integration._dry_run`)."""

_ACCEPTED = (
    "a built-in space name (" + ", ".join(list_spaces()) + f"), {DRY_RUN!r} with objective=..., a "
    "nas_complexity SearchSpace, a dict of Optuna distributions, an NNI search-space dict, or an NNI model space"
)


def check_optuna_distributions(distributions: Mapping[str, Any]) -> None:
    """Raise :class:`SpaceError` unless ``distributions`` maps names to Float/Int/Categorical distributions.

    Example:
        >>> from optuna.distributions import FloatDistribution
        >>> check_optuna_distributions({"lr": FloatDistribution(1e-4, 1e-1, log=True)})
    """
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if not distributions:
        raise SpaceError("space", "the dict of Optuna distributions is empty", "at least one parameter")
    for name, dist in distributions.items():
        if not isinstance(name, str) or not name:
            raise SpaceError(repr(name), "parameter names must be non-empty strings", "suggest_* names")
        if not isinstance(dist, (FloatDistribution, IntDistribution, CategoricalDistribution)):
            raise SpaceError(
                name,
                f"unsupported distribution {type(dist).__name__}",
                "optuna.distributions.FloatDistribution, IntDistribution or CategoricalDistribution",
            )


def _is_optuna_distributions(space: Any) -> bool:
    if not isinstance(space, Mapping) or not space:
        return False
    try:
        from optuna.distributions import BaseDistribution
    except ImportError:
        return False
    # One distribution is enough to say the user meant Optuna distributions; the check then names any other value.
    return any(isinstance(v, BaseDistribution) for v in space.values())


@dataclass(frozen=True)
class SpaceSource:
    """The space to profile: known now (``space``), or found later by a dry run of ``objective``.

    Built with :meth:`from_spec`, which checks the user's input at once so that mistakes surface when the advisor
    is constructed, not in the middle of the first trial.

    Example:
        >>> source = SpaceSource.from_spec({"op": {"_type": "choice", "_value": ["relu", "tanh"]}}, None, 0)
        >>> source.space.kind, SpaceSource.from_spec("nb201", None, 0, kind="hyperparameter").space.kind
        ('hyperparameter', 'hyperparameter')
    """

    space: SearchSpace | None
    objective: Callable[[Any], Any] | None = None
    dry_run_trials: int = 0
    label: str = ""
    builtin: str | None = None
    """The built-in space's name when the space was given by name (lets profiles be cached by name)."""
    kind: str | None = None
    """The kind the user declared (``"architecture"`` or ``"hyperparameter"``); ``None`` keeps the space's own."""

    @classmethod
    def from_spec(
        cls, spec: Any, objective: Callable[[Any], Any] | None, dry_run_trials: int, kind: str | None = None
    ) -> "SpaceSource":
        if kind is not None and kind not in SPACE_KINDS:
            accepted = " or ".join(map(repr, SPACE_KINDS)) + ", or None to keep the space's own"
            raise SpaceError("space_kind", f"got {kind!r}", accepted)
        if spec is None:
            raise SpaceError("space", "no search space given", _ACCEPTED)
        if isinstance(spec, str) and spec == DRY_RUN:
            if not callable(objective):
                raise SpaceError("objective", f"space={DRY_RUN!r} needs the objective to run", "objective=<your objective>")
            if isinstance(dry_run_trials, bool) or not isinstance(dry_run_trials, int) or dry_run_trials < 1:
                raise SpaceError("dry_run_trials", f"got {dry_run_trials!r}", "a positive number of dry-run trials")
            label = f"dry run of {getattr(objective, '__name__', 'objective')}"
            return cls(None, objective, dry_run_trials, label=label, kind=kind)
        if objective is not None:
            raise SpaceError("objective", f"is used only with space={DRY_RUN!r}", f"space={DRY_RUN!r} or no objective")
        if isinstance(spec, SearchSpace):
            return cls(with_kind(spec, kind), label=spec.name, kind=kind)
        if isinstance(spec, str):
            if spec not in list_spaces():
                raise UnknownSpaceError(spec, [*list_spaces(), DRY_RUN])
            from nas_complexity.spaces import get_space

            space = get_space(spec)
            declared = with_kind(space, kind)
            # Redeclared, it is no longer the built-in space that its name's cache entries describe.
            return cls(declared, label=spec, builtin=spec if declared is space else None, kind=kind)
        if isinstance(spec, Mapping) and not spec:
            raise SpaceError("space", "the search space dict is empty", "at least one parameter")
        if _is_optuna_distributions(spec):
            check_optuna_distributions(spec)
            from nas_complexity.adapters import from_optuna_distributions  # adapters import Optuna lazily

            return cls(with_kind(from_optuna_distributions(dict(spec)), kind), label="Optuna distributions", kind=kind)
        from nas_complexity.adapters import from_any

        return cls(from_any(spec, kind=kind), label=type(spec).__name__, kind=kind)

    def resolve(self, seed: int, directions: Sequence[Any]) -> SearchSpace:
        """The space; a dry run executes the objective ``dry_run_trials`` times here."""
        if self.space is not None:
            return self.space
        from nas_complexity.integration._dry_run import dry_run_space

        assert self.objective is not None
        return with_kind(dry_run_space(self.objective, self.dry_run_trials, seed=seed, directions=directions), self.kind)


class DeclaredConstraints:
    """A search space's declared constraints as a check of the points a sampler proposes (its ``feasible``).

    The point holds every parameter the sampler models; the check keeps those the point's own values make active
    (:meth:`SearchSpace.architecture_of`) and asks :meth:`SearchSpace.is_valid`. A point without a value for one of
    its active parameters (one no trial has used yet, drawn at random later) cannot be judged and is allowed.

    Example:
        >>> from nas_complexity.spaces import get_space
        >>> check = DeclaredConstraints(get_space("tnb101-macro"))
        >>> check({"depth": 4, "layer0": 3, "layer1": 2, "layer2": 1, "layer3": 1, "layer4": 3, "layer5": 3})
        True
        >>> check({"depth": 4, "layer0": 1, "layer1": 1, "layer2": 1, "layer3": 1, "layer4": 3, "layer5": 3})
        False
        >>> check({"depth": 6, "layer0": 1, "layer1": 1, "layer2": 1, "layer3": 1})  # layers 4 and 5 unknown yet
        True
    """

    def __init__(self, space: SearchSpace) -> None:
        self.space = space

    def __call__(self, params: Mapping[str, Any]) -> bool:
        try:
            arch = self.space.architecture_of(params)
        except KeyError:
            return True
        return self.space.is_valid(arch)
