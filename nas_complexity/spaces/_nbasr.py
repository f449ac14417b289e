"""NAS-Bench-ASR (Mehrotra et al., ICLR 2021): the speech-recognition cell space and its de-duplication rule.

A cell has an input node 0 and three nodes. Node ``j`` applies one main operation to node ``j-1`` and adds an
identity skip connection from every earlier node ``i < j`` whose flag is set:

    node_j = op_j(node_{j-1}) + sum_{i < j} skip_{i,j} * node_i

with ``op_j`` in {linear, conv5, conv5d2, conv7, conv7d2, zero}. Flat parameters: ``node{j}/op`` and
``node{j}/skip{i}`` (0 or 1) for ``j = 1..3`` and ``i < j``: 6^3 * 2^6 = 13,824 cells.

NB-ASR's arch vector ``[[op, s0], [op, s0, s1], [op, s0, s1, s2]]`` lists the same choices node by node
(:func:`arch_vec_of` and :func:`arch_of_vec` convert).

Duplicates are removed with the rule of the benchmark's own code (``nasbench_asr.graph_utils.get_model_graph``
with ``minimize=True`` and ``graph_hash``): in the graph whose vertices are input, the three operations and
output, every ``zero`` vertex loses its edges, vertices on no input-to-output path are deleted, and the result is
hashed by iterated (Weisfeiler-Lehman style) hashing of (out-degree, in-degree, operation). The 13,824 cells give
8,242 keys, the benchmark's "8,242 unique models".
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Hashable, Sequence

from nas_complexity._errors import SpaceError
from nas_complexity.spaces._cells import Structure, graph_hash
from nas_complexity.spaces._params import Categorical, Param
from nas_complexity.spaces._space import PublishedCount, SearchSpace, Task
from nas_complexity.spaces._vocabulary import block_of

__all__ = ["ASR_OPS", "ASR_UNIQUE", "AsrCell", "arch_vec_of", "arch_of_vec", "nbasr_space"]

ASR_OPS: tuple[str, ...] = ("linear", "conv5", "conv5d2", "conv7", "conv7d2", "zero")
"""NB-ASR's operations; the position is the operation id used in its arch vectors."""

ASR_UNIQUE = PublishedCount(
    8_242,
    "Mehrotra et al. 2021 (NAS-Bench-ASR, ICLR 2021)",
    "the 13,824 cells of 3 nodes, minimised (zero operations and vertices on no input-output path removed) and "
    "de-duplicated by a graph hash; every unique model was trained on TIMIT",
)


class AsrCell(Structure):
    """The NAS-Bench-ASR cell: ``n_nodes`` nodes, one main operation each, identity skips from earlier nodes.

    Parameters are ``node{j}/op`` (one of ``ops``) and ``node{j}/skip{i}`` in ``{0, 1}`` for ``j = 1..n_nodes``
    and ``i = 0..j-1`` (node 0 is the cell input). ``canonical`` is NB-ASR's minimised-graph hash.

    Example:
        >>> cell = AsrCell()
        >>> len(cell.params())
        9
        >>> cell.arch_vec(cell.from_arch_vec([[1, 0], [4, 0, 1], [5, 1, 0, 1]]))
        [['conv5', 0], ['conv7d2', 0, 1], ['zero', 1, 0, 1]]
    """

    def __init__(
        self, name: str = "cell", n_nodes: int = 3, ops: Sequence[str] = ASR_OPS, zero_op: str = "zero"
    ) -> None:
        self.name = name
        self.n_nodes = n_nodes
        self.ops = tuple(ops)
        self.zero_op = zero_op

    def params(self) -> list[Param]:
        out: list[Param] = []
        for j in range(1, self.n_nodes + 1):
            out.append(Categorical(f"node{j}/op", self.ops))
            out.extend(Categorical(f"node{j}/skip{i}", (0, 1)) for i in range(j))
        return out

    # ------------------------------------------------------------------------------ NB-ASR's arch vector
    def arch_vec(self, arch: dict[str, Any]) -> list[list[Any]]:
        """The cell as NB-ASR's arch vector with operation names: ``[[op, s0], [op, s0, s1], ...]``."""
        return [
            [arch[f"node{j}/op"], *(int(arch[f"node{j}/skip{i}"]) for i in range(j))]
            for j in range(1, self.n_nodes + 1)
        ]

    def from_arch_vec(self, vec: Sequence[Sequence[Any]]) -> dict[str, Any]:
        """Flat parameters from an NB-ASR arch vector (operations by name or by id)."""
        accepted = f"{self.n_nodes} lists [op, s0, ..., s_(j-1)] with op in {list(self.ops)} or its index"
        if not isinstance(vec, Sequence) or isinstance(vec, str) or len(vec) != self.n_nodes:
            raise SpaceError("arch_vec", f"expected {self.n_nodes} node lists, got {vec!r}", accepted)
        out: dict[str, Any] = {}
        for j, node in enumerate(vec, start=1):
            if not isinstance(node, Sequence) or isinstance(node, str) or len(node) != j + 1:
                raise SpaceError(f"arch_vec/node{j}", f"expected an op and {j} skip flags, got {node!r}", accepted)
            op, *skips = node
            if isinstance(op, int) and not isinstance(op, bool) and 0 <= op < len(self.ops):
                op = self.ops[op]
            if op not in self.ops:
                raise SpaceError(f"arch_vec/node{j}", f"unknown operation {op!r}", accepted)
            if any(isinstance(s, bool) or s not in (0, 1) for s in skips):
                raise SpaceError(f"arch_vec/node{j}", f"skip flags must be 0 or 1, got {skips}", accepted)
            out[f"node{j}/op"] = op
            out.update({f"node{j}/skip{i}": int(s) for i, s in enumerate(skips)})
        return out

    # ------------------------------------------------------------------------------------ de-duplication
    def graph(self, arch: dict[str, Any]) -> tuple[list[list[int]], list[str]]:
        """The full cell graph: adjacency matrix and labels over input, the operation vertices and output.

        Vertex ``j`` (1..n) is node ``j``'s operation; a skip ``i -> j`` is summed into node ``j``'s value, which
        feeds vertex ``j+1`` (or the output), so it is drawn as the edge ``i -> j+1`` as NB-ASR draws it.
        """
        n = self.n_nodes + 2
        matrix = [[0] * n for _ in range(n)]
        labels = ["input"] + [arch[f"node{j}/op"] for j in range(1, self.n_nodes + 1)] + ["output"]
        for j in range(1, self.n_nodes + 1):
            matrix[j - 1][j] = 1
            for i in range(j):
                if int(arch[f"node{j}/skip{i}"]):
                    matrix[i][j + 1] = 1
        matrix[self.n_nodes][n - 1] = 1
        return matrix, labels

    def minimized(self, arch: dict[str, Any]) -> tuple[list[list[int]], list[str]]:
        """NB-ASR's minimised graph: zero vertices cut off, vertices on no input-output path deleted.

        A cell whose input no longer reaches its output minimises to the empty graph.
        """
        matrix, labels = self.graph(arch)
        n = len(labels)
        for v in range(n):
            if labels[v] == self.zero_op:
                for w in range(n):
                    matrix[v][w] = matrix[w][v] = 0
        forward = _reachable(matrix, 0, forward=True)
        backward = _reachable(matrix, n - 1, forward=False)
        keep = [v for v in range(n) if v in forward and v in backward]
        return [[matrix[v][w] for w in keep] for v in keep], [labels[v] for v in keep]

    def canonical(self, arch: dict[str, Any]) -> Hashable:
        """NB-ASR's model hash (``graph_hash(get_model_graph(arch_vec, minimize=True))``): iterated MD5 hashing
        of (out-degree, in-degree, operation) over the minimised graph; equal for cells NB-ASR counts once."""
        return graph_hash(*self.minimized(arch))

    def blocks(self, arch: dict[str, Any]) -> Counter[str]:
        """One block per main operation as chosen (``zero`` included) and one ``skip`` per identity skip."""
        out: Counter[str] = Counter()
        for j in range(1, self.n_nodes + 1):
            token = block_of(arch[f"node{j}/op"])
            if token is not None:
                out[token] += 1
            out["skip"] += sum(int(arch[f"node{j}/skip{i}"]) for i in range(j))
        return +out

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "n_nodes": self.n_nodes, "ops": list(self.ops)}


def _reachable(matrix: list[list[int]], start: int, forward: bool) -> set[int]:
    seen = {start}
    stack = [start]
    n = len(matrix)
    while stack:
        v = stack.pop()
        for w in range(n):
            edge = matrix[v][w] if forward else matrix[w][v]
            if edge and w not in seen:
                seen.add(w)
                stack.append(w)
    return seen


_CELL = AsrCell()


def arch_vec_of(arch: dict[str, Any]) -> list[list[Any]]:
    """NB-ASR's arch vector (operation names) of a flat ``nbasr`` architecture.

    Example:
        >>> arch_vec_of(arch_of_vec([[0, 1], [1, 0, 0], [5, 1, 1, 0]]))
        [['linear', 1], ['conv5', 0, 0], ['zero', 1, 1, 0]]
    """
    missing = [p.name for p in _CELL.params() if p.name not in arch]
    if missing:
        raise SpaceError(missing[0], "missing from the architecture", "node{j}/op and node{j}/skip{i}, j=1..3, i<j")
    return _CELL.arch_vec(arch)


def arch_of_vec(vec: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The flat ``nbasr`` architecture of an NB-ASR arch vector (operations by name or id).

    Example:
        >>> arch_of_vec([["conv7", 1], ["linear", 0, 1], ["zero", 0, 0, 1]])["node1/op"]
        'conv7'
    """
    return _CELL.from_arch_vec(vec)


def nbasr_space() -> SearchSpace:
    """The built-in ``nbasr`` space (13,824 cells, 8,242 after NB-ASR's de-duplication).

    Example:
        >>> size = nbasr_space().size()
        >>> size.total, size.unique
        (13824, 8242)
    """
    return SearchSpace(
        "nbasr",
        kind="architecture",
        structures=[AsrCell()],
        tasks=[Task("TIMIT", "speech recognition", "PER")],
        published_unique=ASR_UNIQUE,
        description="NAS-Bench-ASR (Mehrotra et al. 2021): a cell of 3 nodes stacked 3-6 times in 4 blocks of a "
        "CTC speech model. Node j applies linear, conv5, conv5d2, conv7, conv7d2 (1-D, kernel 5 or 7, dilation 1 "
        "or 2) or zero to node j-1 and adds identity skips from any earlier node (params node{j}/op, "
        "node{j}/skip{i}): 6^3 * 2^6 = 13,824 cells (the size). Removing zero operations and what they cut off, "
        "then hashing the graph as the benchmark's code does, leaves 8,242 distinct models (the unique count), "
        "the number NAS-Bench-ASR trained on TIMIT (phoneme error rate).",
    )
