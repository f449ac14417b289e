"""NAS-Bench-NLP networks: the searched recurrent cell, unrolled over time, in NB-NLP's language model.

A NAS-Bench-NLP cell is a *recipe* (Klyuchnikov et al. 2022, ``CustomRNNCell`` in nas-bench-nlp-release): a DAG
``{node: {"op": ..., "input": [...]}}`` over the inputs ``x`` (the layer input at this time step) and
``h_prev_0 .. h_prev_{k-1}`` (the hidden tuple of the previous step); it outputs ``h_new_0 .. h_new_{k-1}`` and
``h_new_0`` is the layer's output at each step. Operations: ``linear`` (sum of one linear map per input plus one
bias, NB-NLP's ``MultiLinear``), ``blend(z, a, b) = z*a + (1-z)*b``, ``elementwise_prod``, ``elementwise_sum``
and the activations ``activation_tanh / sigm / leaky_relu``.

The language model is NB-NLP's (AWD-LSTM style, ``model.py``): embedding, 3 recurrent layers of that cell, the
last one as wide as the embedding because the decoder is tied to the embedding, and a linear decoder to the
vocabulary. NB-NLP trained it with emsize 400, nhid 600 on WikiText-2; the defaults here are 64 / 96 (the same
2:3 ratio) so that one network costs milliseconds. Dropouts are left out: they are training regularisers and
would make a pre-training proxy depend on dropout masks.

Input contract (why the network takes embeddings): zero-cost proxies like ``jacob_cov`` need the gradient of the
output with respect to the network input, and token ids have none. So the embedding table belongs to the
builder (it does not depend on the cell, and NB-NLP initialises it uniformly in [-0.1, 0.1] whatever the cell),
``minibatch()`` returns the *embedded* batch ``[batch, seq, emb]`` (a float tensor whose gradient exists), and
``build()`` returns a module from embeddings to logits ``[batch, seq, vocab]``. ``NLPBuilder.input_is_embedding``
says so; ``tokens()`` and ``embed()`` give the ids and the lookup. The decoder starts as a copy of the table
(NB-NLP ties them).
"""
from __future__ import annotations

import functools
import json
import math
import operator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from nas_complexity._errors import SpaceError
from nas_complexity.networks._registry import NetworkBuilder, seeded
from nas_complexity.networks._text import TextCorpus
from nas_complexity.spaces._nbnlp import NLP_OPS

__all__ = ["NLPBuilder", "NLPNetwork", "RecipeCell", "compile_recipe", "NLP_OPS"]

_ARITY = {"blend": (3, 3), "activation_tanh": (1, 1), "activation_sigm": (1, 1), "activation_leaky_relu": (1, 1),
          "elementwise_prod": (2, None), "elementwise_sum": (2, None), "linear": (1, None)}
_ACTIVATIONS = {"activation_tanh": torch.tanh, "activation_sigm": torch.sigmoid,
                "activation_leaky_relu": F.leaky_relu}


@dataclass(frozen=True)
class CompiledRecipe:
    """A validated recipe in evaluation order: ``steps`` are ``(node, op, inputs)`` after the graph inputs."""

    steps: tuple[tuple[str, str, tuple[str, ...]], ...]
    hidden_tuple_size: int

    @property
    def linear_nodes(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(node, inputs) for node, op, inputs in self.steps if op == "linear"]


def _hidden_index(name: str, prefix: str) -> int | None:
    suffix = name[len(prefix):] if name.startswith(prefix) else ""
    return int(suffix) if suffix.isdigit() else None


def compile_recipe(recipe: Mapping[str, Any] | str) -> CompiledRecipe:
    """Validate an NB-NLP recipe (dict or its JSON text) and sort it topologically (cached per recipe).

    Example:
        >>> lstm_like = {"f": {"op": "linear", "input": ["x", "h_prev_0"]},
        ...              "h_new_0": {"op": "activation_tanh", "input": ["f"]}}
        >>> compile_recipe(lstm_like).hidden_tuple_size
        1
    """
    text = recipe if isinstance(recipe, str) else json.dumps(recipe, sort_keys=True)
    return _compile(text)


@lru_cache(maxsize=4096)
def _compile(text: str) -> CompiledRecipe:
    try:
        recipe = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpaceError("recipe", f"not valid JSON ({exc})", "a dict {node: {'op': op, 'input': [nodes]}}") from None
    if not isinstance(recipe, dict) or not recipe:
        raise SpaceError("recipe", f"expected a non-empty dict, got {type(recipe).__name__}",
                         "{node: {'op': op, 'input': [nodes]}}")
    size = 1 + max((i for k in recipe if (i := _hidden_index(k, "h_new_")) is not None), default=-1)
    missing = [f"h_new_{i}" for i in range(max(size, 1)) if f"h_new_{i}" not in recipe]
    if missing:
        raise SpaceError("recipe", f"outputs {missing} are missing", "nodes h_new_0 .. h_new_{k-1} for k hidden states")
    graph: dict[str, list[str]] = {}
    for node, spec in recipe.items():
        path = f"recipe/{node}"
        if node == "x" or _hidden_index(node, "h_prev_") is not None:
            raise SpaceError(path, "graph inputs cannot be recipe nodes", "names other than x and h_prev_<k>")
        if not isinstance(spec, dict) or "op" not in spec or not isinstance(spec.get("input"), list):
            raise SpaceError(path, f"malformed node {spec!r}", "{'op': op, 'input': [node names]}")
        op, inputs = spec["op"], spec["input"]
        if op not in _ARITY:
            raise SpaceError(path, f"unknown operation {op!r}", ", ".join(NLP_OPS))
        low, high = _ARITY[op]
        if len(inputs) < low or (high is not None and len(inputs) > high):
            arity = str(low) if low == high else f"at least {low}"
            raise SpaceError(path, f"{op} got {len(inputs)} inputs", f"{arity} inputs")
        for name in inputs:
            k = _hidden_index(name, "h_prev_")
            if name != "x" and k is None and name not in recipe:
                raise SpaceError(path, f"input {name!r} is not a node", "x, h_prev_<k> or another node's name")
            if k is not None and k >= size:
                raise SpaceError(path, f"reads {name} but the cell only outputs {size} hidden state(s)",
                                 f"h_prev_0 .. h_prev_{size - 1}")
        graph[node] = [name for name in inputs if name in recipe]
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise SpaceError("recipe", f"the cell graph has a cycle through {exc.args[1]}", "a DAG") from None
    steps = tuple((node, recipe[node]["op"], tuple(recipe[node]["input"])) for node in order)
    return CompiledRecipe(steps, size)


class RecipeCell(nn.Module):
    """One recurrent layer: the recipe's cell applied at every time step (inputs and outputs are time-major).

    Each ``linear`` node is one weight over its concatenated inputs, which equals NB-NLP's sum of per-input maps
    plus one bias; the part that reads ``x`` is computed for all time steps at once because it does not depend on
    the recurrence. All parameters start uniform in +-1/sqrt(hidden_size), as ``CustomRNN.reset_parameters``.
    """

    def __init__(self, program: CompiledRecipe, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.program = program
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.linears = nn.ModuleDict()
        self._layout: dict[str, tuple[int, tuple[str, ...]]] = {}
        for node, inputs in program.linear_nodes:
            n_x = sum(name == "x" for name in inputs)
            others = tuple(name for name in inputs if name != "x")
            self.linears[node] = nn.Linear(n_x * input_size + len(others) * hidden_size, hidden_size)
            self._layout[node] = (n_x, others)

    def reset_parameters(self, generator: torch.Generator) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for param in self.parameters():
                param.uniform_(-bound, bound, generator=generator)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        steps, batch = inputs.shape[0], inputs.shape[1]
        x_parts: dict[str, torch.Tensor] = {}
        for node, (n_x, _) in self._layout.items():
            layer = self.linears[node]
            cols = n_x * self.input_size
            if n_x:
                x_parts[node] = F.linear(inputs.repeat(1, 1, n_x), layer.weight[:, :cols], layer.bias)
        hidden = [inputs.new_zeros(batch, self.hidden_size) for _ in range(self.program.hidden_tuple_size)]
        outputs = []
        for t in range(steps):
            values: dict[str, torch.Tensor] = {"x": inputs[t]}
            values.update((f"h_prev_{k}", h) for k, h in enumerate(hidden))
            for node, op, names in self.program.steps:
                values[node] = self._apply(node, op, names, values, x_parts, t)
            hidden = [values[f"h_new_{k}"] for k in range(self.program.hidden_tuple_size)]
            outputs.append(hidden[0])
        return torch.stack(outputs)

    def _apply(self, node: str, op: str, names: tuple[str, ...], values: dict[str, torch.Tensor],
               x_parts: dict[str, torch.Tensor], t: int) -> torch.Tensor:
        if op == "linear":
            n_x, others = self._layout[node]
            layer = self.linears[node]
            out = x_parts[node][t] if n_x else layer.bias
            if others:
                weight = layer.weight[:, n_x * self.input_size:]
                out = out + F.linear(torch.cat([values[name] for name in others], dim=-1), weight)
            return out
        args = [values[name] for name in names]
        if op == "blend":
            z, a, b = args
            return z * a + (1 - z) * b
        if op == "elementwise_prod":
            return functools.reduce(operator.mul, args)
        if op == "elementwise_sum":
            return functools.reduce(operator.add, args)
        return _ACTIVATIONS[op](args[0])


class NLPNetwork(nn.Module):
    """NB-NLP's language model without its embedding: embedded tokens ``[batch, seq, emb]`` -> logits
    ``[batch, seq, vocab]`` through ``num_layers`` recipe cells and a decoder."""

    def __init__(self, program: CompiledRecipe, emb_size: int, hidden_size: int, num_layers: int,
                 decoder_weight: torch.Tensor, generator: torch.Generator) -> None:
        super().__init__()
        sizes = [emb_size] + [hidden_size] * (num_layers - 1) + [emb_size]  # last layer tied to the embedding
        self.layers = nn.ModuleList(RecipeCell(program, sizes[i], sizes[i + 1]) for i in range(num_layers))
        for layer in self.layers:
            layer.reset_parameters(generator)
        self.decoder = nn.Linear(emb_size, decoder_weight.shape[0])
        with torch.no_grad():
            self.decoder.weight.copy_(decoder_weight)
            self.decoder.bias.zero_()

    def forward(self, embedded: torch.Tensor) -> torch.Tensor:
        hidden = embedded.transpose(0, 1)
        for layer in self.layers:
            hidden = layer(hidden)
        return self.decoder(hidden.transpose(0, 1))


class NLPBuilder(NetworkBuilder):
    """Networks of the NAS-Bench-NLP space and embedded minibatches of real English text.

    ``build(arch)`` accepts a recipe (dict or JSON text, NB-NLP's ``recepie`` field) or a flat architecture of
    the built-in ``nbnlp`` space (converted with ``nas_complexity.spaces._nbnlp.recipe_of``).

    Example:
        >>> builder = NLPBuilder(emb_size=16, hidden_size=24, seq_len=8)
        >>> recipe = {"f": {"op": "linear", "input": ["x", "h_prev_0"]},
        ...           "h_new_0": {"op": "activation_tanh", "input": ["f"]}}
        >>> net = builder.build(recipe)
        >>> net(builder.minibatch(4, seed=0)).shape[:2]
        torch.Size([4, 8])
    """

    #: the network's input is the embedded token batch, not token ids (see the module docstring)
    input_is_embedding = True

    def __init__(self, emb_size: int = 64, hidden_size: int = 96, num_layers: int = 3, seq_len: int = 32,
                 max_vocab: int = 4096, text_path: str | Path | None = None, embedding_seed: int = 0) -> None:
        self.emb_size = emb_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.seq_len = seq_len
        self.max_vocab = max_vocab
        self.text_path = text_path
        self.embedding_seed = embedding_seed

    @cached_property
    def corpus(self) -> TextCorpus:
        return TextCorpus(self.text_path, self.max_vocab)

    @cached_property
    def embedding(self) -> torch.Tensor:
        """The embedding table ``[vocab, emb]``, uniform in [-0.1, 0.1] as NB-NLP initialises it (seeded)."""
        generator = torch.Generator().manual_seed(self.embedding_seed)
        return torch.empty(len(self.corpus.vocabulary), self.emb_size).uniform_(-0.1, 0.1, generator=generator)

    @property
    def input_description(self) -> str:  # type: ignore[override]
        return (f"{self.seq_len}-token windows at seeded offsets of {self.corpus.description}, embedded with a "
                f"seeded {self.emb_size}-d table (uniform +-0.1); shape [batch, {self.seq_len}, {self.emb_size}]")

    def recipe(self, arch: Mapping[str, Any] | str) -> dict[str, Any]:
        """The NB-NLP recipe of ``arch`` (a recipe dict, its JSON text, or a flat ``nbnlp`` architecture)."""
        if isinstance(arch, str):
            return json.loads(arch)
        if arch and all(isinstance(v, dict) and "op" in v for v in arch.values()):
            return dict(arch)
        from nas_complexity.spaces._nbnlp import recipe_of

        return recipe_of(dict(arch))

    def build(self, arch: Mapping[str, Any] | str, *, seed: int | None = 0) -> NLPNetwork:
        """The language model for ``arch`` at initialisation; ``seed`` fixes the recurrent weights' init (the
        global random state is left untouched)."""
        program = compile_recipe(self.recipe(arch))
        if self.num_layers < 1:
            raise SpaceError("num_layers", f"got {self.num_layers}", "an integer >= 1")
        embedding = self.embedding  # its own seeded table, drawn once per builder
        with seeded(seed) as generator:
            return NLPNetwork(program, self.emb_size, self.hidden_size, self.num_layers, embedding, generator)

    def tokens(self, batch_size: int, seed: int = 0) -> torch.Tensor:
        """Token ids ``[batch, seq_len]``: seeded windows of the corpus."""
        return torch.from_numpy(self.corpus.windows(batch_size, self.seq_len, seed))

    def embed(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Look token ids up in the builder's embedding table."""
        return F.embedding(token_ids, self.embedding)

    def minibatch(self, batch_size: int, seed: int = 0) -> torch.Tensor:
        """The embedded text batch ``[batch, seq_len, emb_size]`` (float, so input gradients exist)."""
        return self.embed(self.tokens(batch_size, seed))
