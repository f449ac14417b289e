from __future__ import annotations

import json
import re
import statistics
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nas_complexity import SpaceError
from nas_complexity.metrics import measure_size
from nas_complexity.spaces import VOCABULARY, get_space
from nas_complexity.spaces._nbnlp import (
    NBNLP_TRAINED,
    NLP_OPS,
    RecipeGenerator,
    RecurrentCell,
    arch_of_recipe,
    recipe_of,
    recipe_problems,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LOGS = DATA / "nbnlp" / "wikitext2_logs_345.zip"
HIDDEN = re.compile(r"^h_new_\d+$")
RNN_TOKENS = {"rnn_linear", "rnn_blend", "rnn_prod", "rnn_sum", "act_tanh", "act_sigmoid", "act_leaky_relu"}
RNN = {"f": {"op": "linear", "input": ["x", "h_prev_0"]}, "h_new_0": {"op": "activation_tanh", "input": ["f"]}}


@pytest.fixture(scope="module")
def space():
    return get_space("nbnlp")


@pytest.fixture(scope="module")
def real_recipes() -> list[tuple[int, dict]]:
    """(recipe id, recipe) of every training log; recipe 1002429 was trained twice, so 345 logs, 344 cells."""
    if not LOGS.is_file():
        pytest.skip(f"NAS-Bench-NLP logs not found at {LOGS} (the benchmark tables live outside the repository)")
    out = []
    with zipfile.ZipFile(LOGS) as archive:
        for name in sorted(archive.namelist()):
            if name.endswith(".json"):
                log = json.loads(archive.read(name))
                out.append((int(log["recepie_id"]), json.loads(log["recepie"])))
    return out


# ------------------------------------------------------------------------------------------------------ size
def test_size_is_the_published_estimate_and_not_enumerated(space):
    size = measure_size(space)  # how long it takes is measured in benchmarks/, not asserted here
    assert size.provenance == "published"
    assert size.total == 10**53 and size.log10 == 53.0
    assert "Klyuchnikov" in space.published_size.source and space.published_size.how
    assert "too many to enumerate" in size.note
    assert space.raw_count() > 10**53  # the flat parameters alone allow far more combinations than legal cells


def test_trained_cells_are_a_published_count_with_provenance(space):
    assert NBNLP_TRAINED.value == 14_322
    assert "Klyuchnikov" in NBNLP_TRAINED.source and "Penn Treebank" in NBNLP_TRAINED.how
    assert "14,322" in space.description and "10^53" in space.description
    assert [(t.name, t.metric) for t in space.tasks] == [
        ("Penn Treebank", "log perplexity"), ("WikiText-2", "log perplexity")
    ]


# -------------------------------------------------------------------------------------------------- sampling
def test_sampling_is_seeded_valid_and_round_trips(space):
    archs = space.sample(seed=5, n=300)
    assert archs == space.sample(seed=5, n=300)
    assert archs != space.sample(seed=6, n=300)
    assert space.sample(seed=5) == archs[0]
    for arch in archs:
        space.validate(arch)
        recipe = recipe_of(arch)
        assert recipe_problems(recipe) == []
        assert arch_of_recipe(recipe) == arch
        assert arch_of_recipe(json.dumps(recipe)) == arch
        hidden = [k for k in recipe if HIDDEN.match(k)]
        assert hidden == [f"h_new_{i}" for i in range(arch["n_hidden"])] == list(recipe)[-arch["n_hidden"]:]
    assert {a["n_hidden"] for a in archs} == {1, 2, 3}
    assert max(a["n_nodes"] for a in archs) <= 25


def test_sampling_1000_architectures_gives_valid_distinct_cells(space):
    # Its speed is measured by benchmarks/robustness.py; a timing assertion here failed by chance on a loaded machine.
    archs = space.sample(seed=0, n=1000)
    assert len(archs) == 1000 and all(space.is_valid(a) for a in archs)
    assert len({json.dumps(a, sort_keys=True, default=str) for a in archs}) > 900


def test_generator_draws_can_fail_and_are_redrawn():
    gen = RecipeGenerator()
    rng = np.random.default_rng(0)
    draws = [gen.draw(rng, 3, 7) for _ in range(300)]
    rejected = sum(d is None for d in draws)
    assert 0 < rejected < 300  # three hidden states with few nodes often leave an input unused
    assert RecurrentCell().is_valid(gen.arch(np.random.default_rng(1)))


def test_generator_settings_must_fit_the_parameters():
    with pytest.raises(SpaceError, match="intermediate nodes"):
        RecurrentCell(generator=RecipeGenerator(intermediate_sizes=(7, 30))).params()
    with pytest.raises(SpaceError, match="hidden states"):
        RecurrentCell(generator=RecipeGenerator(hidden_sizes=(4,))).params()


def test_block_counts_use_the_recurrent_tokens(space):
    for arch in space.sample(seed=2, n=100):
        counts = space.block_counts(arch)
        assert set(counts) <= RNN_TOKENS
        assert counts["rnn_linear"] == sum(arch[f"node{k}/op"] == "linear" for k in range(arch["n_nodes"]))
        vec = space.encode(arch)
        assert vec.sum() == arch["n_nodes"]
        assert vec[VOCABULARY.index("linear")] == 0  # the feed-forward token is never used for a cell's linear
    lstm_like = arch_of_recipe({
        "node_0": {"op": "linear", "input": ["x", "h_prev_0"]},
        "node_1": {"op": "activation_sigm", "input": ["node_0"]},
        "node_2": {"op": "elementwise_prod", "input": ["node_1", "h_prev_0"]},
        "h_new_0": {"op": "blend", "input": ["node_1", "node_2", "node_0"]},
    })
    assert space.block_counts(lstm_like) == {"rnn_linear": 1, "act_sigmoid": 1, "rnn_prod": 1, "rnn_blend": 1}


# -------------------------------------------------------------------------------------------- rules, errors
def test_the_plain_rnn_cell_is_in_the_space():
    arch = arch_of_recipe(RNN)
    assert arch == {
        "n_hidden": 1, "n_nodes": 2,
        "node0/op": "linear", "node0/in0": "x", "node0/in1": "h_prev_0", "node0/in2": "none",
        "node1/op": "activation_tanh", "node1/in0": "node_0", "h_new0": 1,
    }
    assert recipe_of(arch) == {"node_0": RNN["f"], "h_new_0": {"op": "activation_tanh", "input": ["node_0"]}}


@pytest.mark.parametrize(
    "recipe, rule",
    [
        ({"node_0": {"op": "linear", "input": ["x", "h_prev_0"]},
          "h_new_0": {"op": "elementwise_prod", "input": ["node_0", "x"]}}, "never read x"),
        ({"node_0": {"op": "linear", "input": ["x", "h_prev_0"]},
          "h_new_0": {"op": "activation_tanh", "input": ["node_0"]},
          "h_new_1": {"op": "elementwise_sum", "input": ["h_new_0", "h_prev_1"]}}, "previous hidden state directly"),
        ({"node_0": {"op": "linear", "input": ["x", "h_prev_0"]},
          "node_1": {"op": "elementwise_sum", "input": ["node_0", "h_prev_0"]},
          "h_new_0": {"op": "activation_tanh", "input": ["node_1"]}}, "reads the linear node it follows"),
        ({"node_0": {"op": "linear", "input": ["x", "h_prev_0"]},
          "node_1": {"op": "activation_tanh", "input": ["node_0"]},
          "h_new_0": {"op": "activation_tanh", "input": ["node_0"]}}, "more than one activation"),
        ({"node_0": {"op": "linear", "input": ["x", "h_prev_0"]},
          "node_1": {"op": "activation_tanh", "input": ["node_0"]},
          "node_2": {"op": "linear", "input": ["x", "node_1"]},
          "h_new_0": {"op": "activation_tanh", "input": ["node_0"]}}, "feed no h_new"),
        ({"node_0": {"op": "linear", "input": ["x", "node_0"]},
          "h_new_0": {"op": "activation_tanh", "input": ["node_0"]}}, "not an earlier node"),
        ({"node_0": {"op": "conv3x3", "input": ["x", "h_prev_0"]},
          "h_new_0": {"op": "activation_tanh", "input": ["node_0"]}}, "unknown operation"),
    ],
)
def test_recipes_outside_the_space_are_refused_with_the_rule(recipe, rule):
    assert any(rule in p for p in recipe_problems(recipe))
    with pytest.raises(SpaceError, match=rule):
        arch_of_recipe(recipe)


def _two_state_cell(n_sums: int, last_linear_read_twice: bool) -> dict:
    """Two hidden states (23 nodes drawn, one more for a last linear's activation): a linear and its
    activation, a chain of sums into h_new_0, and a last linear whose activation is h_new_1."""
    cell = {"node_0": {"op": "linear", "input": ["x", "h_prev_0", "h_prev_1"]},
            "node_1": {"op": "activation_tanh", "input": ["node_0"]}}
    last = "node_1"
    for k in range(2, 2 + n_sums):
        cell[f"node_{k}"] = {"op": "elementwise_sum", "input": [last, f"h_prev_{k % 2}"]}
        last = f"node_{k}"
    cell["node_99"] = {"op": "linear", "input": ["x", "node_1"]}
    cell["h_new_0"] = {"op": "elementwise_prod", "input": [last, "node_99" if last_linear_read_twice else "node_1"]}
    cell["h_new_1"] = {"op": "activation_sigm", "input": ["node_99"]}
    return cell


def test_budget_of_drawn_nodes_is_enforced():
    fits = _two_state_cell(19, last_linear_read_twice=False)
    assert len(fits) == 24 and recipe_problems(fits) == []  # 23 drawn + the last linear's activation
    assert arch_of_recipe(fits)["n_nodes"] == 24
    # The same size, but the last linear is also read by another node, so it cannot have been drawn last.
    late = _two_state_cell(19, last_linear_read_twice=True)
    assert any("exceed" in p for p in recipe_problems(late))
    too_long = _two_state_cell(20, last_linear_read_twice=False)
    assert len(too_long) == 25 and any("exceed" in p for p in recipe_problems(too_long))
    assert recipe_problems(_two_state_cell(18, last_linear_read_twice=True)) == []


def test_invalid_flat_architectures(space):
    arch = arch_of_recipe(RNN)
    assert space.is_valid(arch)
    assert not space.is_valid({**arch, "node1/in0": "x"})  # an activation of x
    assert not space.is_valid({**arch, "node0/in1": "h_prev_2"})  # a hidden state the cell does not have
    with pytest.raises(SpaceError, match="not a cell of the space"):
        recipe_of({**arch, "node0/in0": "h_prev_0"})
    with pytest.raises(SpaceError, match="missing"):
        recipe_of({"n_hidden": 1, "n_nodes": 2})


def test_each_recipe_has_one_architecture(space):
    recipe = {
        "node_0": {"op": "linear", "input": ["x", "h_prev_0"]},
        "node_2": {"op": "linear", "input": ["x", "h_prev_1"]},
        "node_3": {"op": "activation_sigm", "input": ["node_2"]},
        "h_new_0": {"op": "activation_tanh", "input": ["node_0"]},
        "h_new_1": {"op": "elementwise_prod", "input": ["node_3", "node_0"]},
    }
    arch = arch_of_recipe(recipe)
    assert (arch["h_new0"], arch["h_new1"]) == (3, 4)  # unread h_new nodes go to the end
    # The same cell with h_new_0 drawn right after its linear node: legal order, but not the canonical one.
    moved = {
        "n_hidden": 2, "n_nodes": 5, "h_new0": 1, "h_new1": 4,
        "node0/op": "linear", "node0/in0": "x", "node0/in1": "h_prev_0", "node0/in2": "none",
        "node1/op": "activation_tanh", "node1/in0": "node_0",
        "node2/op": "linear", "node2/in0": "x", "node2/in1": "h_prev_1", "node2/in2": "none",
        "node3/op": "activation_sigm", "node3/in0": "node_2",
        "node4/op": "elementwise_prod", "node4/in0": "node_3", "node4/in1": "node_0",
    }
    assert not space.is_valid(moved)
    assert "placed" in space.structures[0].problems(moved)[0]
    read_later = arch_of_recipe({
        "node_0": {"op": "linear", "input": ["x", "h_prev_0", "h_prev_1"]},
        "node_2": {"op": "linear", "input": ["x", "h_new_0"]},
        "node_3": {"op": "activation_sigm", "input": ["node_2"]},
        "h_new_0": {"op": "activation_tanh", "input": ["node_0"]},
        "h_new_1": {"op": "elementwise_prod", "input": ["node_3", "h_new_0"]},
    })
    assert read_later["h_new0"] == 1 and read_later["node2/in1"] == "node_1"  # placed before its first reader


def test_malformed_recipes_are_refused():
    with pytest.raises(SpaceError, match="non-empty mapping"):
        arch_of_recipe([])
    with pytest.raises(SpaceError, match="numbered"):
        arch_of_recipe({"h_new_1": RNN["h_new_0"], "f": RNN["f"]})
    with pytest.raises(SpaceError, match="'op' and 'input'"):
        arch_of_recipe({"f": {"op": "linear"}, "h_new_0": RNN["h_new_0"]})


# ---------------------------------------------------------------------------------------- the real recipes
def _renamed(recipe: dict, names: dict) -> dict:
    return {names.get(k, k): {"op": v["op"], "input": [names.get(u, u) for u in v["input"]]} for k, v in recipe.items()}


def test_real_recipes_round_trip(real_recipes, space):
    assert len(real_recipes) == 345 and len({rid for rid, _ in real_recipes}) == 344
    misfits = {rid: recipe_problems(r) for rid, r in real_recipes if recipe_problems(r)}
    # Only NB-NLP's hand-written LSTM (1000001) and GRU (1000002) break the generator's rules.
    assert sorted(misfits) == [1000001, 1000002]
    assert any("reads the linear node it follows" in p for p in misfits[1000001])  # tanh of the cell state (a sum)
    assert any("linear node reads only" in p for p in misfits[1000002])  # h_tilde reads r * h (a product)
    assert any("previous hidden state directly" in p for p in misfits[1000002])  # h_new_0 blends h_prev_0
    fitting = 0
    for rid, recipe in real_recipes:
        if rid in misfits:
            continue
        arch = arch_of_recipe(recipe)
        space.validate(arch)
        again = recipe_of(arch)
        # The same cell, node for node: only the names of the non-h_new nodes change (to node_<index>).
        own = [k for k in recipe if not HIDDEN.match(k)]
        new = [k for k in again if not HIDDEN.match(k)]
        expected = _renamed(recipe, dict(zip(own, new)))
        assert list(again) == list(expected) and again == expected, rid
        assert arch_of_recipe(again) == arch
        fitting += 1
    assert fitting == 343


def test_generated_cells_look_like_the_benchmark_cells(real_recipes, space):
    real = [arch_of_recipe(r) for _, r in real_recipes if not recipe_problems(r)]
    drawn = space.sample(seed=0, n=2000)

    def linear_share(archs):
        ops = [a[f"node{k}/op"] for a in archs for k in range(a["n_nodes"])]
        return ops.count("linear") / len(ops)

    assert abs(linear_share(real) - linear_share(drawn)) < 0.05
    for h in (1, 2, 3):
        real_mean = statistics.mean(a["n_nodes"] for a in real if a["n_hidden"] == h)
        drawn_mean = statistics.mean(a["n_nodes"] for a in drawn if a["n_hidden"] == h)
        assert abs(real_mean - drawn_mean) < 1.0, h
    assert max(a["n_nodes"] for a in real) <= max(a["n_nodes"] for a in drawn)
    assert set(NLP_OPS) == {a[f"node{k}/op"] for a in real for k in range(a["n_nodes"])}
