"""Search spaces from NNI model spaces (``nni.nas``), through the mutables their ``simplify()`` lists.

Each label of ``model_space.simplify()`` becomes one parameter of the same name:

* ``nni.mutable.Categorical`` -> :class:`Categorical` with the same values (sampling weights are a prior, dropped);
* ``CategoricalMultiple(values, n_chosen)`` -> :class:`Categorical` whose choices are the allowed subsets, written as
  the chosen values joined by commas in the order of ``values`` (``"0,2"``; ``""`` for the empty subset);
* ``Numerical`` -> :class:`FloatRange` over its support (``[low, high]`` cut to the distribution's support), the
  exact value set when quantized; unbounded ones (normal family) only with ``truncate_sigmas``;
* ``Constraint`` (e.g. ``ExpressionConstraint``, NAS-Bench-101's cell constraint) -> a constraint of the space.

Conditions come from the modules that decide which mutables are used, exactly as NNI's own ``check_contains``
does: a mutable inside block ``k`` of a ``Repeat`` is active only when its depth is greater than ``k``; one inside
a ``LayerChoice`` candidate only when that candidate is chosen. A label used in several such places is
conditional only when all of them hang on the same parent (else it stays unconditional and a warning says so).

When labels ``{cell}/{i}_{j}`` cover every edge of a DAG and their choices are NAS-Bench-201 operations (NNI's hub
spells them ``conv_1x1``/``conv_3x3``), they form an :class:`EdgeCell`, so that isomorphic cells are counted once.
"""
from __future__ import annotations

import itertools
import math
import re
import sys
import warnings
from collections import defaultdict
from math import comb
from typing import Any

from nas_complexity._errors import SpaceError
from nas_complexity._imports import require
from nas_complexity.adapters._common import (
    MAX_LISTED_VALUES,
    Notes,
    as_scalar,
    check_truncation,
    quantized_param,
    truncated_bounds,
)
from nas_complexity.logging import get_logger
from nas_complexity.spaces import Categorical, Condition, EdgeCell, FloatRange, Param, SearchSpace

__all__ = ["from_nni_model_space", "NB201_OP_NAMES"]

_log = get_logger(__name__)

NB201_OP_NAMES = frozenset(
    {"none", "skip_connect", "conv_1x1", "conv_3x3", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}
)
"""Operation names (NAS-Bench-201's and NNI hub's spellings) that mark ``{cell}/{i}_{j}`` labels as an NB201 cell."""

_ACCEPTED_MUTABLES = (
    "nni.mutable.Categorical, CategoricalMultiple, Numerical (bounded, or normal with truncate_sigmas) and Constraint"
)
_EDGE_LABEL = re.compile(r"^(?P<cell>.+)/(?P<i>\d+)_(?P<j>\d+)$")


def _import_nni() -> tuple[Any, Any]:
    """``nni.mutable`` and, when torch is loaded, ``nni.nas.nn.pytorch`` (else ``None``)."""
    with warnings.catch_warnings():
        # nni 3.0 emits RuntimeWarnings on import with recent torch versions; they are not about the user's space.
        warnings.simplefilter("ignore")
        mutable = require("nni.mutable", "Reading NNI model spaces")
        nas_nn = require("nni.nas.nn.pytorch", "Reading NNI model spaces") if "torch" in sys.modules else None
    return mutable, nas_nn


# --------------------------------------------------------------------------------------------- conditions
_Gate = tuple[str, frozenset[Any]]
"""One module on the way to a mutable that may switch it off: ``(deciding label, values that keep it on)``."""

_Chain = tuple[_Gate, ...]
"""The gates from the root to one place a label is used; the label is active there when every gate is open."""

_UNRESOLVED: _Gate = ("", frozenset())  # a gate that cannot be written as one categorical condition


def _depth_values(repeat: Any, mutable_mod: Any) -> tuple[str, list[Any]] | None:
    """The depth's categorical label and its values, read through any expression of one label; else ``None``."""
    depth = repeat.depth_choice
    if not isinstance(depth, mutable_mod.Mutable):
        return None
    leaves = list(depth.simplify().values())
    if len(leaves) != 1 or not isinstance(leaves[0], mutable_mod.Categorical):
        return None
    return leaves[0].label, list(leaves[0].values)


def _usages(root: Any, mutable_mod: Any, nas_nn: Any) -> dict[str, list[_Chain]]:
    """Every place each label is used, as the chain of gates leading there (as NNI's ``check_contains`` walks)."""
    usages: dict[str, list[_Chain]] = defaultdict(list)

    def visit(module: Any, chain: _Chain) -> None:
        if isinstance(module, nas_nn.MutableModule):
            for mutable in module.mutables:
                for label in mutable.simplify():
                    usages[label].append(chain)
        if isinstance(module, nas_nn.Repeat):
            depth = _depth_values(module, mutable_mod)
            for k, block in enumerate(module.blocks):
                if depth is None:
                    visit(block, chain if k < module.min_depth else (*chain, _UNRESOLVED))
                    continue
                label, values = depth
                on = [v for v in values if module.depth_choice.freeze({label: v}) > k]
                visit(block, chain if len(on) == len(values) else (*chain, (label, frozenset(on))))
        elif isinstance(module, nas_nn.LayerChoice) and len(module.names) > 1:
            for candidate in module.names:
                visit(module[candidate], (*chain, (module.choice.label, frozenset([candidate]))))
        else:
            for child in module.children():
                visit(child, chain)

    visit(root, ())
    return usages


def _condition_of(label: str, chains: list[_Chain], leaves: dict[str, Any], mutable_mod: Any) -> Condition | None:
    """One condition equivalent to "some chain is open", or ``None`` (warning when that is an over-count).

    The shortest chains decide: each longer chain passes through more gates, so it can only add activation where
    its first gates add values the shortest chains' last gate does not already open.
    """
    depth = min(len(c) for c in chains)
    if depth == 0:
        return None
    gates = [c[depth - 1] for c in chains]
    parent = gates[0][0]
    shortest_on = set().union(*(g[1] for c, g in zip(chains, gates) if len(c) == depth))
    exact = all(g[0] == parent for g in gates) and all(g[1] <= shortest_on for g in gates)
    if not exact or not parent or not isinstance(leaves.get(parent), mutable_mod.Categorical):
        _log.warning(
            "mutable %r: when it is used cannot be written as one condition on a categorical label (several "
            "places with different rules, or a depth of several labels); it is kept unconditional (the size counts "
            "it in every architecture)", label,
        )
        return None
    return Condition(parent, tuple(as_scalar(parent, v) for v in leaves[parent].values if v in shortest_on))


def _conditions(root: Any, leaves: dict[str, Any], mutable_mod: Any, nas_nn: Any) -> dict[str, Condition]:
    out: dict[str, Condition] = {}
    for label, chains in _usages(root, mutable_mod, nas_nn).items():
        condition = _condition_of(label, chains, leaves, mutable_mod) if label in leaves else None
        if condition is not None:
            out[label] = condition
    return out


# --------------------------------------------------------------------------------------------- mutables
def _subsets(label: str, mutable: Any, condition: Condition | None) -> tuple[Param, dict[str, list[Any]]]:
    values = [as_scalar(f"{label}/values[{i}]", v) for i, v in enumerate(mutable.values)]
    n = len(values)
    sizes = [mutable.n_chosen] if mutable.n_chosen is not None else list(range(n + 1))
    count = sum(comb(n, k) for k in sizes)
    if count > MAX_LISTED_VALUES:
        raise SpaceError(
            label, f"CategoricalMultiple over {n} values has {count:,} subsets, too many to list",
            f"at most {MAX_LISTED_VALUES:,} subsets",
        )
    decode: dict[str, list[Any]] = {}
    for k in sizes:
        for combo in itertools.combinations(range(n), k):
            decode[",".join(str(values[i]) for i in combo)] = [mutable.values[i] for i in combo]
    if len(decode) != count:
        raise SpaceError(label, f"values {values} are not distinct once written as text", "values with distinct str()")
    return Categorical(label, tuple(decode), condition=condition), decode


def _numerical(label: str, mutable: Any, condition: Condition | None, truncate_sigmas: float | None, notes: Notes) -> Param:
    clip = (
        -math.inf if mutable.low is None else float(mutable.low),
        math.inf if mutable.high is None else float(mutable.high),
    )
    support = mutable.distribution.support()
    low, high = max(clip[0], float(support[0])), min(clip[1], float(support[1]))
    if not (math.isfinite(low) and math.isfinite(high)):
        what = f"Numerical({mutable.distribution.dist.name} distribution)"
        ppf = mutable.distribution.ppf
        cut = truncated_bounds(label, what, truncate_sigmas, lambda k, tail: (ppf(tail), ppf(1.0 - tail)), notes)
        low, high = max(low, cut[0]), min(high, cut[1])
    if mutable.quantize is not None:
        return quantized_param(label, low, high, float(mutable.quantize), clip, notes, condition)
    return FloatRange(label, low, high, log=bool(mutable.log_distributed) and low > 0, condition=condition)


class _ConstraintCheck:
    """An NNI ``Constraint`` as a space constraint: the architecture is turned back into an NNI sample first."""

    def __init__(self, constraint: Any, decoders: dict[str, dict[str, list[Any]]]) -> None:
        self.constraint = constraint
        self.decoders = decoders

    def __call__(self, arch: dict[str, Any]) -> bool:
        sample = {k: self.decoders[k][v] if k in self.decoders else v for k, v in arch.items()}
        return bool(self.constraint.contains(sample))

    def __repr__(self) -> str:
        return f"NNI constraint {self.constraint.label!r}"


def _edge_cells(params: list[Param], notes: Notes) -> tuple[list[Param], list[EdgeCell]]:
    """Pull NAS-Bench-201 cells (every edge ``{cell}/{i}_{j}`` present, NB201 operations) out of ``params``."""
    groups: dict[str, dict[tuple[int, int], Param]] = defaultdict(dict)
    for p in params:
        match = _EDGE_LABEL.match(p.name)
        if match and isinstance(p, Categorical) and p.condition is None:
            groups[match["cell"]][(int(match["i"]), int(match["j"]))] = p
    cells, taken = [], set()
    for cell, edges in groups.items():
        n = 1 + max(j for _, j in edges)
        choices = {p.choices for p in edges.values()}
        ops = next(iter(choices))
        complete = set(edges) == {(i, j) for j in range(1, n) for i in range(j)}
        if not (complete and n >= 3 and len(choices) == 1 and set(ops) <= NB201_OP_NAMES):
            continue
        cells.append(
            EdgeCell(
                cell, n, ops,
                zero_op="none" if "none" in ops else None,
                identity_op="skip_connect" if "skip_connect" in ops else None,
            )
        )
        taken.update(p.name for p in edges.values())
        notes.add(f"labels {cell}/i_j form a NAS-Bench-201 cell of {n} nodes; isomorphic cells are counted once")
    return [p for p in params if p.name not in taken], cells


def from_nni_model_space(
    model_space: Any, name: str | None = None, *, truncate_sigmas: float | None = None, kind: str | None = None
) -> SearchSpace:
    """A search space from an NNI model space (``nni.nas.nn.pytorch.ModelSpace``) or any ``nni.mutable.Mutable``.

    See the module docstring for how mutables, conditions and NAS-Bench-201 cells are mapped.

    Args:
        model_space: an *instance*, e.g. ``nni.nas.hub.pytorch.NasBench201()`` or ``ProxylessNAS()``.
        name: name of the resulting space (default: the model space's class name).
        truncate_sigmas: accept unbounded ``Numerical`` mutables cut to the mass of mu +/- k sigma (recorded in
            the description); ``None`` rejects them.
        kind: ``"architecture"`` or ``"hyperparameter"``; default: ``"architecture"`` for a model space (a
            ``MutableModule``), ``"hyperparameter"`` for bare mutables (``nni.choice(...)``, NNI's HPO spelling).

    Raises:
        SpaceError: for an object that is not an NNI mutable space, or an unsupported mutable (naming its label).

    Example:
        >>> from nni.nas.hub.pytorch import NasBench201
        >>> space = from_nni_model_space(NasBench201())
        >>> space.size().total, space.size().unique, space.kind
        (15625, 6466, 'architecture')
    """
    check_truncation(truncate_sigmas)
    mutable_mod, nas_nn = _import_nni()
    is_module = nas_nn is not None and isinstance(model_space, nas_nn.MutableModule)
    if isinstance(model_space, type) or not (is_module or isinstance(model_space, mutable_mod.Mutable)):
        what = f"the class {model_space.__name__}" if isinstance(model_space, type) else type(model_space).__name__
        raise SpaceError(
            "model_space", f"expected an NNI model space instance, got {what}",
            "an instance of nni.nas.nn.pytorch.ModelSpace (e.g. nni.nas.hub.pytorch.NasBench201()) or nni.mutable.Mutable",
        )
    name = name or type(model_space).__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        leaves = dict(model_space.simplify())
    if not leaves:
        raise SpaceError(name, "the model space has no mutables", "a model space with at least one choice")
    conditions = _conditions(model_space, leaves, mutable_mod, nas_nn) if is_module else {}
    notes = Notes()
    params: list[Param] = []
    decoders: dict[str, dict[str, list[Any]]] = {}
    nni_constraints = []
    for label, mutable in leaves.items():
        condition = conditions.get(label)
        if isinstance(mutable, mutable_mod.Constraint):
            nni_constraints.append(mutable)
        elif isinstance(mutable, mutable_mod.Categorical):
            values = tuple(as_scalar(f"{label}/values[{i}]", v) for i, v in enumerate(mutable.values))
            params.append(Categorical(label, values, condition=condition))
        elif isinstance(mutable, mutable_mod.CategoricalMultiple):
            param, decoders[label] = _subsets(label, mutable, condition)
            params.append(param)
        elif isinstance(mutable, mutable_mod.Numerical):
            params.append(_numerical(label, mutable, condition, truncate_sigmas, notes))
        else:
            raise SpaceError(label, f"unsupported mutable {type(mutable).__name__}", _ACCEPTED_MUTABLES)
    n_conditional = sum(p.condition is not None for p in params)
    if n_conditional:
        notes.add(f"{n_conditional} labels are active only for some values of a Repeat depth or LayerChoice")
    params, cells = _edge_cells(params, notes)
    head = f"NNI model space {type(model_space).__name__}: {len(leaves)} mutables."
    return SearchSpace(
        name,
        params=params,
        structures=cells,
        constraints=[_ConstraintCheck(c, decoders) for c in nni_constraints],
        description=notes.describe(head),
        kind=kind or ("architecture" if is_module else "hyperparameter"),
    )
