"""NAS-Bench-NLP (Klyuchnikov et al. 2022): recurrent cells drawn by the benchmark's random graph generator.

A cell ("recipe" in NB-NLP's files, spelt ``recepie`` there) maps node names to ``{"op": ..., "input": [...]}``.
Its inputs are the token embedding ``x`` and the previous hidden states ``h_prev_0 .. h_prev_{H-1}``
(``H`` in 1..3); it must define ``h_new_0 .. h_new_{H-1}``, and ``h_new_0`` is the cell's output. Operations:
``linear`` (a sum of linear maps of 2 or 3 inputs), ``blend`` (``a * b + (1 - a) * c``), ``elementwise_prod``,
``elementwise_sum`` and the activations ``activation_tanh``, ``activation_sigm``, ``activation_leaky_relu``.

The space is what NB-NLP's generator (``RecepieGenerator`` of nas-bench-nlp-release) can produce: it draws
``H + I`` nodes (``I`` intermediate nodes, at most 21), main operations with weights 3:1:1:1; a ``linear`` node
reads 2 or 3 (4:1) distinct nodes among ``x``, the previous hidden states and earlier activations, and is always
followed by a random activation of it; ``blend`` / ``prod`` / ``sum`` read 3 / 2 / 2 distinct earlier nodes or
previous hidden states, never ``x``. ``H`` nodes become ``h_new_*``, nodes that no ``h_new_*`` depends on are
dropped, and a cell is kept only if it reads ``x`` and every previous hidden state and no ``h_new_*`` reads a
previous hidden state directly.

Flat parameters (node ``k`` in creation order; ``node_j`` names node ``j``):
``n_hidden`` (1..3), ``n_nodes`` (2..25), ``node{k}/op`` (for ``k < n_nodes``), ``node{k}/in0`` and, by arity,
``node{k}/in1`` and ``node{k}/in2`` (``"none"`` for a 2-input linear) with values ``x``, ``h_prev_{i}`` or
``node_{j}`` (``j < k``), and ``h_new{i}`` (``i < n_hidden``): the index of the node that is ``h_new_i``. The
validity constraint encodes the generator's rules above, plus one ordering rule that makes every recipe one
architecture: a node that becomes ``h_new_*`` is placed just before the first node that reads it (at the end when
none does). :func:`recipe_of` and :func:`arch_of_recipe` convert between the two forms.

``sample`` runs the generator itself (see :class:`RecipeGenerator`): uniform draws of the flat parameters would
almost never be a legal cell. Of the 345 WikiText-2 training logs, all but NB-NLP's hand-written LSTM and GRU
cells are cells of this space (343 logs).
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Mapping, Sequence, Union

import numpy as np

from nas_complexity._errors import SpaceError
from nas_complexity.spaces._cells import Structure
from nas_complexity.spaces._params import Categorical, Condition, IntRange, Param
from nas_complexity.spaces._space import Architecture, PublishedCount, SearchSpace, Task
from nas_complexity.spaces._vocabulary import block_of

__all__ = [
    "NLP_OPS",
    "NBNLP_SPACE_SIZE",
    "NBNLP_TRAINED",
    "RecipeGenerator",
    "RecurrentCell",
    "arch_of_recipe",
    "nbnlp_space",
    "recipe_of",
    "recipe_problems",
]

NLP_OPS: tuple[str, ...] = (
    "linear",
    "blend",
    "elementwise_prod",
    "elementwise_sum",
    "activation_tanh",
    "activation_sigm",
    "activation_leaky_relu",
)
_MAIN = NLP_OPS[:4]
_ACTIVATIONS = NLP_OPS[4:]
_ARITY = {"linear": (2, 3), "blend": (3,), "elementwise_prod": (2,), "elementwise_sum": (2,)}
_ARITY.update({a: (1,) for a in _ACTIVATIONS})
NO_INPUT = "none"
"""Value of ``node{k}/in2`` for a linear node with two inputs."""

MAX_HIDDEN = 3
MAX_INTERMEDIATE = 21

NBNLP_SPACE_SIZE = PublishedCount(
    10**53,
    "Klyuchnikov et al. 2022 (NAS-Bench-NLP, IEEE Access 10)",
    "the authors' order-of-magnitude figure for the number of cells their generator can produce (up to 3 hidden "
    "states and 24 drawn nodes); the derivation is not reproduced here, the figure is taken as published",
)
NBNLP_TRAINED = PublishedCount(
    14_322,
    "Klyuchnikov et al. 2022 (NAS-Bench-NLP, IEEE Access 10)",
    "cells drawn with the generator (1-3 hidden states, 7, 14 or 21 intermediate nodes, invalid draws discarded) "
    "and trained on Penn Treebank; this is the number of trained cells, not the size of the space. The "
    "benchmark's logs also hold hand-written RNN, LSTM and GRU cells; its WikiText-2 logs (345 runs of 344 "
    "cells) are in the shared data",
)

_HIDDEN_NAME = re.compile(r"^h_new_\d+$")  # NB-NLP's LSTM also has helper nodes named h_new_1_part1 etc.
_Input = Union[str, int]  # a base input name ("x", "h_prev_i") or the index of a node


@dataclass
class _Graph:
    """A cell as nodes in creation order, inputs by index, and the indices that become ``h_new_0..``."""

    ops: list[str]
    inputs: list[list[_Input]]
    hidden: list[int]
    n_hidden: int
    labels: list[str] | None = None  # a recipe's own node names, for messages

    def label(self, v: int) -> str:
        return self.labels[v] if self.labels is not None else f"node{v}"


# ----------------------------------------------------------------------------------------------- the generator
@dataclass(frozen=True)
class RecipeGenerator:
    """NB-NLP's random cell generator with its published settings (``RecepieGenerator``, nas-bench-nlp-release).

    ``hidden_sizes`` x ``intermediate_sizes`` are the settings the benchmark's cells were drawn with; a draw
    that fails the sanity check is discarded and drawn again with the same setting, as the benchmark did.

    Example:
        >>> arch = RecipeGenerator().arch(np.random.default_rng(0))
        >>> arch["n_hidden"] in (1, 2, 3) and RecurrentCell().is_valid(arch)
        True
    """

    hidden_sizes: tuple[int, ...] = (1, 2, 3)
    intermediate_sizes: tuple[int, ...] = (7, 14, 21)
    main_weights: tuple[float, ...] = (3.0, 1.0, 1.0, 1.0)  # linear, blend, elementwise_prod, elementwise_sum
    activation_weights: tuple[float, ...] = (1.0, 1.0, 1.0)  # tanh, sigm, leaky_relu
    linear_inputs: tuple[int, ...] = (2, 3)
    linear_input_weights: tuple[float, ...] = (4.0, 1.0)
    max_tries: int = 10_000

    def arch(self, rng: np.random.Generator, max_tries: int | None = None) -> Architecture:
        """One architecture: a setting drawn uniformly, then cells drawn until one passes the sanity check."""
        tries = self.max_tries if max_tries is None else max_tries
        n_hidden = self.hidden_sizes[int(rng.integers(len(self.hidden_sizes)))]
        n_intermediate = self.intermediate_sizes[int(rng.integers(len(self.intermediate_sizes)))]
        for _ in range(tries):
            graph = self.draw(rng, n_hidden, n_intermediate)
            if graph is not None:
                return _arch_of_graph(graph)
        raise SpaceError("nbnlp", f"no valid cell in {tries} draws with {n_hidden} hidden states and "
                         f"{n_intermediate} intermediate nodes", "generator settings that give valid cells")

    def draw(self, rng: np.random.Generator, n_hidden: int, n_intermediate: int) -> _Graph | None:
        """One draw of the generator: the pruned cell, or ``None`` when it fails NB-NLP's sanity check."""
        base: list[_Input] = ["x", *(f"h_prev_{i}" for i in range(n_hidden))]
        ops: list[str] = []
        inputs: list[list[_Input]] = []
        activations: list[int] = []
        main_p = _cumulative(self.main_weights)
        act_p = _cumulative(self.activation_weights)
        lin_p = _cumulative(self.linear_input_weights)
        while len(ops) < n_hidden + n_intermediate:
            op = _MAIN[_pick(rng, main_p)]
            if op == "linear":
                candidates = base + activations
                k = min(self.linear_inputs[_pick(rng, lin_p)], len(candidates))
                ops.append(op)
                inputs.append(_choose(rng, candidates, k))
                # The generator always follows a linear node by an activation of it, even past the budget.
                ops.append(_ACTIVATIONS[_pick(rng, act_p)])
                inputs.append([len(ops) - 2])
                activations.append(len(ops) - 1)
            else:
                candidates = base[1:] + list(range(len(ops)))
                k = _ARITY[op][0]
                if k <= len(candidates):
                    ops.append(op)
                    inputs.append(_choose(rng, candidates, k))
        hidden = _choose(rng, list(range(len(ops))), n_hidden)
        graph = _prune(_Graph(ops, inputs, hidden, n_hidden))  # type: ignore[arg-type]
        used = {u for ins in graph.inputs for u in ins if isinstance(u, str)}
        if len(used) < len(base):
            return None
        if any(isinstance(u, str) and u != "x" for h in graph.hidden for u in graph.inputs[h]):
            return None
        return graph


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = float(sum(weights))
    out, acc = [], 0.0
    for w in weights:
        acc += w / total
        out.append(acc)
    return out


def _pick(rng: np.random.Generator, cumulative: list[float]) -> int:
    u = rng.random()
    for i, c in enumerate(cumulative):
        if u < c:
            return i
    return len(cumulative) - 1


def _choose(rng: np.random.Generator, items: list[Any], k: int) -> list[Any]:
    """``k`` distinct items in random order (a partial Fisher-Yates shuffle; cheaper than ``rng.choice``)."""
    pool = list(items)
    for t in range(k):
        j = t + int(rng.random() * (len(pool) - t))
        pool[t], pool[j] = pool[j], pool[t]
    return pool[:k]


def _prune(graph: _Graph) -> _Graph:
    """Drop nodes no ``h_new`` depends on (NB-NLP's ``_remove_redundant_nodes``); indices are renumbered."""
    keep = _ancestors(graph)
    index = {old: new for new, old in enumerate(sorted(keep))}
    ops = [graph.ops[v] for v in sorted(keep)]
    inputs = [[index[u] if isinstance(u, int) else u for u in graph.inputs[v]] for v in sorted(keep)]
    return _Graph(ops, inputs, [index[h] for h in graph.hidden], graph.n_hidden)


def _ancestors(graph: _Graph) -> set[int]:
    seen = set(graph.hidden)
    stack = list(graph.hidden)
    while stack:
        for u in graph.inputs[stack.pop()]:
            if isinstance(u, int) and u not in seen:
                seen.add(u)
                stack.append(u)
    return seen


# --------------------------------------------------------------------------------------------- canonical order
def _canonical_order(graph: _Graph) -> list[int]:
    """Creation order with each ``h_new`` node just before its first reader (at the end when unread).

    The other nodes keep their order. A recipe does not record where its ``h_new`` nodes were created, so this
    fixes one place for them; the result is a topological order whenever the other nodes are in creation order.
    """
    hidden = set(graph.hidden)
    order: list[int] = []
    placed: set[int] = set()

    def place(v: int) -> None:
        if v in placed:
            return
        placed.add(v)  # set first: a (malformed) cycle must not recurse forever
        for u in graph.inputs[v]:
            if isinstance(u, int) and u in hidden:
                place(u)
        order.append(v)

    for v in range(len(graph.ops)):
        if v in hidden:
            continue
        for u in graph.inputs[v]:
            if isinstance(u, int) and u in hidden:
                place(u)
        order.append(v)
    for h in graph.hidden:
        place(h)
    return order


def _reorder(graph: _Graph, order: list[int] | None) -> _Graph:
    """``graph`` with its nodes in ``order`` (the canonical order when ``None``)."""
    order = _canonical_order(graph) if order is None else order
    pos = {v: k for k, v in enumerate(order)}
    ops = [graph.ops[v] for v in order]
    inputs = [[pos[u] if isinstance(u, int) else u for u in graph.inputs[v]] for v in order]
    labels = [graph.labels[v] for v in order] if graph.labels is not None else None
    return _Graph(ops, inputs, [pos[h] for h in graph.hidden], graph.n_hidden, labels)


def _arch_of_graph(graph: _Graph) -> Architecture:
    graph = _reorder(graph, None)
    arch: Architecture = {"n_hidden": graph.n_hidden, "n_nodes": len(graph.ops)}
    for k, (op, ins) in enumerate(zip(graph.ops, graph.inputs)):
        arch[f"node{k}/op"] = op
        names = [f"node_{u}" if isinstance(u, int) else u for u in ins]
        if op == "linear" and len(names) == 2:
            names.append(NO_INPUT)
        arch.update({f"node{k}/in{m}": name for m, name in enumerate(names)})
    arch.update({f"h_new{i}": h for i, h in enumerate(graph.hidden)})
    return arch


def _graph_of_arch(arch: Mapping[str, Any]) -> _Graph:
    try:
        n_hidden, n_nodes = int(arch["n_hidden"]), int(arch["n_nodes"])
        ops = [arch[f"node{k}/op"] for k in range(n_nodes)]
        inputs: list[list[_Input]] = []
        for k, op in enumerate(ops):
            arity = max(_ARITY.get(op, (1,)))
            names = [arch[f"node{k}/in{m}"] for m in range(arity)]
            inputs.append([_parse_ref(n) for n in names if n != NO_INPUT])
        hidden = [int(arch[f"h_new{i}"]) for i in range(n_hidden)]
    except KeyError as exc:
        raise SpaceError(str(exc.args[0]), "missing from the architecture", "every active nbnlp parameter") from None
    return _Graph(ops, inputs, hidden, n_hidden)


def _parse_ref(name: str) -> _Input:
    if isinstance(name, str) and name.startswith("node_") and name[5:].isdigit():
        return int(name[5:])
    return name


# ------------------------------------------------------------------------------------------------ the rules
def _problems(graph: _Graph, max_intermediate: int = MAX_INTERMEDIATE) -> list[str]:
    """Every rule of the generator that ``graph`` breaks, in words (empty when it could have been drawn)."""
    n = len(graph.ops)
    base = {"x", *(f"h_prev_{i}" for i in range(graph.n_hidden))}
    problems: list[str] = []
    if not 1 <= graph.n_hidden <= MAX_HIDDEN:
        return [f"{graph.n_hidden} hidden states (1 to {MAX_HIDDEN} accepted)"]
    if len(graph.hidden) != graph.n_hidden or len(set(graph.hidden)) != graph.n_hidden:
        return [f"h_new_0..h_new_{graph.n_hidden - 1} must be {graph.n_hidden} distinct nodes"]
    if any(not 0 <= h < n for h in graph.hidden):
        return [f"an h_new node index is not below n_nodes={n}"]
    readers: dict[int, list[int]] = {v: [] for v in range(n)}
    malformed = False  # unknown operations or inputs: the whole-graph rules below would be meaningless
    for k, (op, ins) in enumerate(zip(graph.ops, graph.inputs)):
        where = f"{graph.label(k)} ({op})"
        if op not in _ARITY:
            problems.append(f"{where}: unknown operation")
            malformed = True
            continue
        if len(ins) not in _ARITY[op]:
            problems.append(f"{where}: {len(ins)} inputs, accepted {_ARITY[op]}")
        if len(set(ins)) != len(ins):
            problems.append(f"{where}: an input is repeated")
        for u in ins:
            if isinstance(u, int):
                if not 0 <= u < k:
                    source = graph.label(u) if 0 <= u < n else f"node index {u}"
                    problems.append(f"{where}: reads {source}, which is not an earlier node")
                    malformed = True
                    continue
                readers[u].append(k)
            elif u not in base:
                problems.append(f"{where}: unknown input {u!r} (with {graph.n_hidden} hidden states)")
                malformed = True
        earlier = [u for u in ins if isinstance(u, int) and 0 <= u < k]
        if op == "linear" and any(graph.ops[u] not in _ACTIVATIONS for u in earlier):
            problems.append(f"{where}: a linear node reads only x, previous hidden states or activations")
        if op in _MAIN[1:] and "x" in ins:
            problems.append(f"{where}: blend, prod and sum nodes never read x")
        if op in _ACTIVATIONS and (len(earlier) != 1 or graph.ops[earlier[0]] != "linear"):
            problems.append(f"{where}: an activation reads the linear node it follows")
    if malformed:
        return problems
    for v in range(n):
        if graph.ops[v] == "linear" and sum(graph.ops[r] in _ACTIVATIONS for r in readers[v]) > 1:
            problems.append(f"{graph.label(v)} (linear): read by more than one activation")
    for i, h in enumerate(graph.hidden):
        if any(isinstance(u, str) and u != "x" for u in graph.inputs[h]):
            problems.append(f"h_new_{i} reads a previous hidden state directly")
    used = {u for ins in graph.inputs for u in ins if isinstance(u, str)}
    if used != base:
        problems.append(f"the cell does not read {sorted(base - used)}")
    dead = sorted(set(range(n)) - _ancestors(graph))
    if dead:
        problems.append(f"{', '.join(graph.label(v) for v in dead)} feed no h_new node")
    budget = graph.n_hidden + max_intermediate
    orphans = sum(
        graph.ops[v] == "linear" and not any(graph.ops[r] in _ACTIVATIONS for r in readers[v]) for v in range(n)
    )
    drawn = n + orphans  # a linear node's activation is drawn even when it is dropped later
    if drawn > budget + 1 or (drawn == budget + 1 and not _can_end_with_linear(graph, readers)):
        problems.append(f"{n} nodes ({orphans} linear without activation) exceed the {budget} nodes drawn")
    return problems


def _can_end_with_linear(graph: _Graph, readers: dict[int, list[int]]) -> bool:
    """Whether some linear node and its activation can be the last two drawn (the one draw past the budget)."""
    for v, op in enumerate(graph.ops):
        if op != "linear":
            continue
        acts = [r for r in readers[v] if graph.ops[r] in _ACTIVATIONS]
        if len(readers[v]) == len(acts) and all(not readers[a] for a in acts):
            return True
    return False


# ------------------------------------------------------------------------------------------------- the cell
class RecurrentCell(Structure):
    """The NB-NLP recurrent cell as flat parameters (see the module docstring for names and rules).

    Example:
        >>> cell = RecurrentCell()
        >>> arch = cell.generator.arch(np.random.default_rng(3))
        >>> cell.is_valid(arch), cell.blocks(arch)["rnn_linear"] >= 1
        (True, True)
    """

    def __init__(self, name: str = "cell", max_intermediate: int = MAX_INTERMEDIATE,
                 generator: RecipeGenerator | None = None) -> None:
        self.name = name
        self.max_intermediate = max_intermediate
        self.generator = generator if generator is not None else RecipeGenerator()

    @property
    def max_nodes(self) -> int:
        return MAX_HIDDEN + self.max_intermediate + 1

    @property
    def has_constraints(self) -> bool:
        return True

    def params(self) -> list[Param]:
        gen = self.generator
        if max(gen.intermediate_sizes) > self.max_intermediate or not set(gen.hidden_sizes) <= {1, 2, 3}:
            raise SpaceError("generator", f"settings {gen.hidden_sizes} x {gen.intermediate_sizes} draw cells "
                             "outside the parameters", f"1-{MAX_HIDDEN} hidden states and at most "
                             f"{self.max_intermediate} intermediate nodes")
        out: list[Param] = [IntRange("n_hidden", 1, MAX_HIDDEN), IntRange("n_nodes", 2, self.max_nodes)]
        base = ("x", *(f"h_prev_{i}" for i in range(MAX_HIDDEN)))
        for k in range(self.max_nodes):
            refs = base + tuple(f"node_{j}" for j in range(k))
            op = f"node{k}/op"
            present = tuple(range(max(k + 1, 2), self.max_nodes + 1))  # n_nodes values that have node k
            out.append(Categorical(op, NLP_OPS, condition=Condition("n_nodes", present)))
            out.append(Categorical(f"node{k}/in0", refs, condition=Condition(op, NLP_OPS)))
            out.append(Categorical(f"node{k}/in1", refs, condition=Condition(op, _MAIN)))
            out.append(Categorical(f"node{k}/in2", refs + (NO_INPUT,), condition=Condition(op, ("linear", "blend"))))
        out.append(IntRange("h_new0", 0, self.max_nodes - 1))
        out.append(IntRange("h_new1", 0, self.max_nodes - 1, condition=Condition("n_hidden", (2, 3))))
        out.append(IntRange("h_new2", 0, self.max_nodes - 1, condition=Condition("n_hidden", (3,))))
        return out

    def problems(self, arch: Mapping[str, Any]) -> list[str]:
        """The rules ``arch`` breaks, in words; empty for a cell the generator can produce."""
        graph = _graph_of_arch(arch)
        problems = _problems(graph, self.max_intermediate)
        if not problems and _canonical_order(graph) != list(range(len(graph.ops))):
            problems.append("h_new nodes are not placed just before their first reader (or at the end)")
        return problems

    def is_valid(self, arch: dict[str, Any]) -> bool:
        return not self.problems(arch)

    def blocks(self, arch: dict[str, Any]) -> Counter[str]:
        """One block per node: ``rnn_linear`` for linear maps (not the feed-forward ``linear``), ``rnn_blend``,
        ``rnn_prod``, ``rnn_sum``, ``act_tanh``, ``act_sigmoid``, ``act_leaky_relu``."""
        out: Counter[str] = Counter()
        for k in range(int(arch["n_nodes"])):
            op = arch[f"node{k}/op"]
            token = "rnn_linear" if op == "linear" else block_of(op)
            if token is not None:
                out[token] += 1
        return out

    def recipe(self, arch: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """NB-NLP's recipe of ``arch``: nodes ``node_{k}`` in order, then ``h_new_0..``."""
        problems = self.problems(arch)
        if problems:
            raise SpaceError("nbnlp", "not a cell of the space: " + "; ".join(problems),
                             "an architecture the generator can draw (see the nbnlp module's rules)")
        graph = _graph_of_arch(arch)
        names = {k: f"node_{k}" for k in range(len(graph.ops))}
        names.update({h: f"h_new_{i}" for i, h in enumerate(graph.hidden)})
        hidden = set(graph.hidden)
        order = [k for k in range(len(graph.ops)) if k not in hidden] + list(graph.hidden)
        return {
            names[k]: {"op": graph.ops[k], "input": [names[u] if isinstance(u, int) else u for u in graph.inputs[k]]}
            for k in order
        }

    def arch_of(self, recipe: Mapping[str, Any] | str) -> Architecture:
        """The architecture of an NB-NLP recipe (dict or JSON text); raises when the generator cannot draw it."""
        graph = _graph_of_recipe(recipe)
        problems = _problems(graph, self.max_intermediate)
        if problems:
            raise SpaceError("recipe", "not a cell of the nbnlp space: " + "; ".join(problems),
                             "a recipe NB-NLP's generator can draw (see the nbnlp module's rules)")
        return _arch_of_graph(graph)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "max_intermediate": self.max_intermediate, "ops": list(NLP_OPS)}


def _graph_of_recipe(recipe: Mapping[str, Any] | str) -> _Graph:
    """The recipe's nodes in canonical order: the others in the recipe's order, ``h_new_*`` placed as usual."""
    if isinstance(recipe, str):
        recipe = json.loads(recipe)
    if not isinstance(recipe, Mapping) or not recipe:
        raise SpaceError("recipe", f"expected a non-empty mapping of node names, got {type(recipe).__name__}",
                         '{"name": {"op": ..., "input": [...]}, ..., "h_new_0": {...}}')
    n_hidden = sum(1 for name in recipe if _HIDDEN_NAME.match(name))
    hidden_names = [f"h_new_{i}" for i in range(n_hidden)]
    if set(hidden_names) - set(recipe):
        raise SpaceError("recipe", f"h_new nodes are not numbered 0..{n_hidden - 1}", "h_new_0, h_new_1, ...")
    names = [name for name in recipe if name not in hidden_names] + hidden_names
    index = {name: k for k, name in enumerate(names)}
    ops, inputs = [], []
    for name in names:
        node = recipe[name]
        if not isinstance(node, Mapping) or "op" not in node or "input" not in node:
            raise SpaceError(f"recipe/{name}", "a node needs 'op' and 'input'", '{"op": "linear", "input": ["x", ...]}')
        ops.append(node["op"])
        inputs.append([index.get(u, u) for u in node["input"]])
    # A node reading a later one (not creation order) shows up as "not an earlier node" in _problems.
    return _reorder(_Graph(ops, inputs, [index[h] for h in hidden_names], n_hidden, names), None)


# -------------------------------------------------------------------------------------------- module-level API
_CELL = RecurrentCell()


def recipe_of(arch: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """NB-NLP's recipe (the ``recepie`` JSON) of a flat ``nbnlp`` architecture.

    Example:
        >>> arch = arch_of_recipe({"f": {"op": "linear", "input": ["x", "h_prev_0"]},
        ...                        "h_new_0": {"op": "activation_tanh", "input": ["f"]}})
        >>> recipe_of(arch)["h_new_0"]
        {'op': 'activation_tanh', 'input': ['node_0']}
    """
    return _CELL.recipe(arch)


def arch_of_recipe(recipe: Mapping[str, Any] | str) -> Architecture:
    """The flat ``nbnlp`` architecture of an NB-NLP recipe (a dict or its JSON text).

    Nodes other than ``h_new_*`` keep their order and are renamed ``node_{k}``; raises :class:`SpaceError` naming
    the broken rule when the generator cannot produce the recipe (NB-NLP's hand-written LSTM and GRU cells).

    Example:
        >>> arch = arch_of_recipe('{"f": {"op": "linear", "input": ["x", "h_prev_0"]}, '
        ...                       '"h_new_0": {"op": "activation_tanh", "input": ["f"]}}')
        >>> arch["n_nodes"], arch["node1/op"], arch["h_new0"]
        (2, 'activation_tanh', 1)
    """
    return _CELL.arch_of(recipe)


def recipe_problems(recipe: Mapping[str, Any] | str) -> list[str]:
    """The generator rules a recipe breaks, in words; empty when it is a cell of the ``nbnlp`` space.

    Example:
        >>> recipe_problems({"f": {"op": "linear", "input": ["x", "h_prev_0"]},
        ...                  "h_new_0": {"op": "elementwise_sum", "input": ["f", "h_prev_0"]}})
        ['h_new_0 reads a previous hidden state directly']
    """
    return _problems(_graph_of_recipe(recipe))


class _GeneratedSpace(SearchSpace):
    """A space whose ``sample`` follows its cell's generation procedure (NB-NLP's generator).

    Uniform draws of the flat parameters followed by rejection would almost never give a legal cell, and the
    benchmark's cells were drawn with the generator, so sampling reproduces its distribution instead.
    """

    def sample(self, seed: int | np.random.Generator | None = None, n: int | None = None, max_tries: int = 10_000):
        """Draw one architecture (``n=None``) or ``n`` with the generator; ``max_tries`` draws per architecture."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        generator = next(s for s in self.structures if isinstance(s, RecurrentCell)).generator
        out = [generator.arch(rng, max_tries) for _ in range(1 if n is None else n)]
        return out[0] if n is None else out


def nbnlp_space() -> SearchSpace:
    """The built-in ``nbnlp`` space: NB-NLP's generated recurrent cells (published size about 1e53).

    Example:
        >>> space = nbnlp_space()
        >>> arch = space.sample(seed=0)
        >>> space.is_valid(arch) and "h_new_0" in recipe_of(arch)
        True
    """
    return _GeneratedSpace(
        "nbnlp",
        kind="architecture",
        structures=[RecurrentCell()],
        tasks=[Task("Penn Treebank", "language modelling", "log perplexity"),
               Task("WikiText-2", "language modelling", "log perplexity")],
        published_size=NBNLP_SPACE_SIZE,
        description="NAS-Bench-NLP (Klyuchnikov et al. 2022): recurrent cells drawn by the benchmark's random "
        "graph generator: 1-3 hidden states, up to 21 intermediate nodes (24 drawn in all, plus the activation "
        "that always follows a linear node), operations linear (2 or 3 inputs), blend, elementwise prod and sum, "
        "tanh, sigmoid and leaky-ReLU activations; nodes no new hidden state depends on are dropped and cells "
        "that ignore an input or feed an old hidden state straight into a new one are rejected. The size is the "
        "authors' published estimate of about 10^53 cells (their derivation is not reproduced here); the "
        "benchmark trained 14,322 of them on Penn Treebank (1-3 hidden states x 7/14/21 intermediate nodes), "
        "some also on WikiText-2. Sampling runs the generator itself; recipe_of / arch_of_recipe convert to and "
        "from NB-NLP's recipe JSON.",
    )
