"""Cell structures: groups of flat parameters that together describe a cell graph.

An architecture is always a flat ``dict`` of parameter name -> value (what an Optuna trial or an NNI
``simplify()`` space produces). A structure knows which of those parameters form a cell and adds what only the
cell view can give: validity (NB101's edge limit and connectivity), a canonical form for removing isomorphic
duplicates, and the building blocks the cell really uses.
"""
from __future__ import annotations

import abc
import hashlib
import itertools
from collections import Counter
from math import comb
from typing import Any, Hashable, Sequence

from nas_complexity.spaces._params import Categorical, Param
from nas_complexity.spaces._vocabulary import block_of

__all__ = ["Structure", "EdgeCell", "NodeCell", "SelectionCell"]


class Structure(abc.ABC):
    """Base class: a named group of parameters with cell semantics.

    Subclasses set ``name`` and implement :meth:`params`; validity, the canonical form (isomorphism removal), the
    building blocks and the description have defaults (every combination legal, no reduction, each parameter's
    value mapped to its vocabulary block).

    Example:
        >>> class Pair(Structure):
        ...     name = "pair"
        ...     def params(self):
        ...         return [Categorical("pair/a", ("conv3x3", "skip")), Categorical("pair/b", ("conv3x3",))]
        >>> Pair().param_names(), sorted(Pair().blocks({"pair/a": "skip", "pair/b": "conv3x3"}))
        (('pair/a', 'pair/b'), ['conv3x3', 'skip'])
    """

    name: str

    @abc.abstractmethod
    def params(self) -> list[Param]:
        """The flat parameters this structure contributes to the space."""

    def param_names(self) -> tuple[str, ...]:
        """Names of :meth:`params`, computed once per structure (profiles call this for every architecture)."""
        names = self.__dict__.get("_param_names")
        if names is None:
            names = self.__dict__["_param_names"] = tuple(p.name for p in self.params())
        return names

    def is_valid(self, arch: dict[str, Any]) -> bool:
        """Whether the structure's part of ``arch`` is a legal cell (default: always)."""
        return True

    @property
    def has_constraints(self) -> bool:
        """True when some parameter combinations are not legal cells."""
        return False

    def canonical(self, arch: dict[str, Any]) -> Hashable | None:
        """A key equal for isomorphic cells, or ``None`` when no reduction is defined."""
        return None

    def blocks(self, arch: dict[str, Any]) -> Counter[str]:
        """Building blocks the cell uses, by vocabulary token."""
        out: Counter[str] = Counter()
        for name in self.param_names():
            token = block_of(arch.get(name))
            if token is not None:
                out[token] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "name": self.name}


class EdgeCell(Structure):
    """A cell DAG with ``n_nodes`` nodes and one operation on every edge ``i -> j`` (``i < j``).

    NAS-Bench-201 and TransNAS-Bench-101 micro are edge cells with 4 nodes. Parameters are named
    ``{name}/{i}_{j}`` as in NNI's hub spaces. Node 0 is the input, the last node the output, and each node sums
    its incoming edges.

    Example:
        >>> cell = EdgeCell("cell", 4, ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"))
        >>> len(cell.params())
        6
    """

    def __init__(
        self,
        name: str,
        n_nodes: int,
        ops: Sequence[str],
        zero_op: str | None = "none",
        identity_op: str | None = "skip_connect",
    ) -> None:
        self.name = name
        self.n_nodes = n_nodes
        self.ops = tuple(ops)
        self.zero_op = zero_op
        self.identity_op = identity_op

    def _definition(self) -> tuple[Any, ...]:
        return (self.name, self.n_nodes, self.ops, self.zero_op, self.identity_op)

    # A cell is its declaration: two equal declarations are one cell (a space rebuilt from the same definition
    # equals the shipped one, so its profile can be cached as the shipped space's).
    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._definition() == self._definition()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._definition()))

    def edges(self) -> list[tuple[int, int]]:
        """Edges in NAS-Bench-201 string order: by target node, then by source."""
        return [(i, j) for j in range(1, self.n_nodes) for i in range(j)]

    def params(self) -> list[Param]:
        return [Categorical(f"{self.name}/{i}_{j}", self.ops) for i, j in self.edges()]

    def arch_string(self, arch: dict[str, Any]) -> str:
        """The cell as a NAS-Bench-201 string ``|op~0|+|op~0|op~1|+...``."""
        parts = []
        for j in range(1, self.n_nodes):
            parts.append("|" + "|".join(f"{arch[f'{self.name}/{i}_{j}']}~{i}" for i in range(j)) + "|")
        return "+".join(parts)

    def from_arch_string(self, text: str) -> dict[str, Any]:
        """Parse a NAS-Bench-201 string back into flat parameters."""
        out: dict[str, Any] = {}
        for j, node in enumerate(text.split("+"), start=1):
            for item in filter(None, node.split("|")):
                op, i = item.rsplit("~", 1)
                out[f"{self.name}/{int(i)}_{j}"] = op
        return out

    def canonical(self, arch: dict[str, Any]) -> Hashable:
        """NAS-Bench-201's isomorphism key (``Structure.to_unique_str(consider_zero=True)``).

        Each node is the sorted sum of its inputs, where an identity edge passes the input's expression on
        unchanged and a zero edge (or an input that is itself zero) contributes nothing. Two cells with equal keys
        compute the same function up to reordering; NB201's 15,625 cells give 6,466 keys.
        """
        exprs: dict[int, str] = {0: "0"}
        for j in range(1, self.n_nodes):
            terms = []
            for i in range(j):
                op = arch[f"{self.name}/{i}_{j}"]
                src = exprs[i]
                if op == self.zero_op or src == "#":
                    terms.append("#")
                elif op == self.identity_op:
                    terms.append(src)
                else:
                    terms.append(f"({src})@{op}")
            exprs[j] = "+".join(sorted(terms))
        return exprs[self.n_nodes - 1]

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "n_nodes": self.n_nodes, "ops": list(self.ops)}


class NodeCell(Structure):
    """A NAS-Bench-101 style cell: up to ``n_vertices`` vertices with an operation each, edges chosen freely.

    Parameters: ``{name}/edge/{i}_{j}`` in ``{0, 1}`` for ``i < j`` and ``{name}/op/{k}`` for the inner vertices
    ``1..n_vertices-2``. A cell is valid when it has at most ``max_edges`` edges and at least one path from the
    input to the output; vertices on no such path are pruned, as NAS-Bench-101 does.

    Example:
        >>> cell = NodeCell("cell", 7, ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"), max_edges=9)
        >>> len(cell.params())
        26
    """

    def __init__(self, name: str, n_vertices: int, ops: Sequence[str], max_edges: int) -> None:
        self.name = name
        self.n_vertices = n_vertices
        self.ops = tuple(ops)
        self.max_edges = max_edges

    @property
    def has_constraints(self) -> bool:
        return True

    def pairs(self) -> list[tuple[int, int]]:
        return [(i, j) for i in range(self.n_vertices) for j in range(i + 1, self.n_vertices)]

    def params(self) -> list[Param]:
        edges = [Categorical(f"{self.name}/edge/{i}_{j}", (0, 1)) for i, j in self.pairs()]
        ops = [Categorical(f"{self.name}/op/{k}", self.ops) for k in range(1, self.n_vertices - 1)]
        return edges + ops

    def matrix(self, arch: dict[str, Any]) -> list[list[int]]:
        n = self.n_vertices
        m = [[0] * n for _ in range(n)]
        for i, j in self.pairs():
            m[i][j] = int(arch[f"{self.name}/edge/{i}_{j}"])
        return m

    def pruned(self, arch: dict[str, Any]) -> tuple[list[list[int]], list[str]] | None:
        """Adjacency matrix and op labels restricted to vertices on an input->output path (``None`` if none)."""
        n = self.n_vertices
        m = self.matrix(arch)
        from_input = {0}
        for j in range(1, n):
            if any(m[i][j] and i in from_input for i in range(j)):
                from_input.add(j)
        to_output = {n - 1}
        for i in range(n - 2, -1, -1):
            if any(m[i][j] and j in to_output for j in range(i + 1, n)):
                to_output.add(i)
        keep = sorted(from_input & to_output)
        if 0 not in keep or n - 1 not in keep:
            return None
        labels = ["input"] + [arch[f"{self.name}/op/{k}"] for k in range(1, n - 1)] + ["output"]
        return [[m[i][j] for j in keep] for i in keep], [labels[k] for k in keep]

    def is_valid(self, arch: dict[str, Any]) -> bool:
        n_edges = sum(int(arch[f"{self.name}/edge/{i}_{j}"]) for i, j in self.pairs())
        return n_edges <= self.max_edges and self.pruned(arch) is not None

    def canonical(self, arch: dict[str, Any]) -> Hashable | None:
        """NAS-Bench-101's graph hash: iterated hashing of (in-degree, out-degree, op) over the pruned graph."""
        pruned = self.pruned(arch)
        if pruned is None:
            return None
        return graph_hash(*pruned)

    def blocks(self, arch: dict[str, Any]) -> Counter[str]:
        pruned = self.pruned(arch)
        out: Counter[str] = Counter()
        if pruned is None:
            return out
        for label in pruned[1][1:-1]:
            token = block_of(label)
            if token is not None:
                out[token] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "n_vertices": self.n_vertices, "ops": list(self.ops), "max_edges": self.max_edges}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def graph_hash(matrix: Sequence[Sequence[int]], labels: Sequence[Any]) -> str:
    """NAS-Bench-101's labelled-DAG hash: iterated MD5 of (out-degree, in-degree, label) and the sorted hashes
    of each vertex's in- and out-neighbours; equal for isomorphic graphs (NB-ASR uses the same hash)."""
    n = len(labels)
    in_deg = [sum(matrix[i][j] for i in range(n)) for j in range(n)]
    out_deg = [sum(row) for row in matrix]
    hashes = [_md5(f"({out_deg[v]}, {in_deg[v]}, {labels[v]!r})") for v in range(n)]
    for _ in range(n):
        hashes = [
            _md5(
                "".join(sorted(hashes[w] for w in range(n) if matrix[w][v]))
                + "|"
                + "".join(sorted(hashes[w] for w in range(n) if matrix[v][w]))
                + "|"
                + hashes[v]
            )
            for v in range(n)
        ]
    return _md5(str(sorted(hashes)))


class SelectionCell(Structure):
    """A DARTS cell: each of ``n_nodes`` intermediate nodes picks ``k`` distinct earlier nodes and one op per input.

    Node ``i`` (0-based) can read the two cell inputs and the ``i`` earlier intermediate nodes. Parameters:
    ``{name}/node{i}/inputs`` (a sorted pair such as ``"0,2"``) and ``{name}/node{i}/op{m}``; the op ``m`` is
    applied to the ``m``-th input of the sorted pair. Every combination is a distinct genotype, so the size is
    ``prod_i C(i + 2, k) * n_ops ** k``.

    Example:
        >>> cell = SelectionCell("normal", 4, ("sep_conv_3x3", "skip_connect"), k=2)
        >>> cell.count()
        46080
    """

    def __init__(self, name: str, n_nodes: int, ops: Sequence[str], k: int = 2) -> None:
        self.name = name
        self.n_nodes = n_nodes
        self.ops = tuple(ops)
        self.k = k

    def params(self) -> list[Param]:
        out: list[Param] = []
        for i in range(self.n_nodes):
            pairs = tuple(",".join(map(str, c)) for c in itertools.combinations(range(i + 2), self.k))
            out.append(Categorical(f"{self.name}/node{i}/inputs", pairs))
            out.extend(Categorical(f"{self.name}/node{i}/op{m}", self.ops) for m in range(self.k))
        return out

    def count(self) -> int:
        total = 1
        for i in range(self.n_nodes):
            total *= comb(i + 2, self.k) * len(self.ops) ** self.k
        return total

    def genotype(self, arch: dict[str, Any]) -> list[tuple[str, int]]:
        """The cell as a DARTS genotype list ``[(op, input), ...]``, two entries per node."""
        out = []
        for i in range(self.n_nodes):
            inputs = [int(x) for x in arch[f"{self.name}/node{i}/inputs"].split(",")]
            out.extend((arch[f"{self.name}/node{i}/op{m}"], inputs[m]) for m in range(self.k))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "n_nodes": self.n_nodes, "ops": list(self.ops), "k": self.k}
