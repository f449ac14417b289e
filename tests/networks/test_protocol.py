"""The network-builder protocol: a space owns its builder, builders declare what the profiler needs, the abstract
base class's defaults, one seeding helper, and operation lists defined once (by the spaces)."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from nas_complexity.networks import (  # noqa: E402
    NetworkBuilder,
    _asr,
    _darts,
    _mbconv,
    _nb101,
    _nb201,
    builder_factory,
    builder_names,
    get_builder,
    seeded,
)
from nas_complexity.proxies import score_architecture  # noqa: E402
from nas_complexity.spaces import _builtin, _nbasr, get_space  # noqa: E402

SMALL = {
    "nb201": {"channels": 4, "num_cells": 1},
    "nb360": {"channels": 4, "num_cells": 1},
    "nbnlp": {"emb_size": 8, "hidden_size": 8, "seq_len": 4},
    "nbasr": {"filters": (16, 16, 16, 16), "groups": 4, "cells_per_block": (1, 1, 1, 1), "rnn_hidden": 8},
}


def test_operation_lists_are_defined_once_by_the_spaces() -> None:
    assert _nb201.NB201_OPS is _builtin.NB201_OPS is get_space("nb201").structures[0].ops
    assert _nb201.TNB_MICRO_OPS is _builtin.TNB_MICRO_OPS is get_space("tnb101-micro").structures[0].ops
    assert _darts.DARTS_OPS is _builtin.DARTS_OPS is get_space("darts").structures[0].ops
    assert _nb101.NB101_OPS is _builtin.NB101_OPS is get_space("nb101").structures[0].ops
    assert _mbconv.MacroBuilder.digits is _builtin.MACRO_OPS
    assert _asr.ASR_OPS is _nbasr.ASR_OPS


@pytest.mark.parametrize("name, batch, memory", [("nb101", 32, 1.4), ("darts", 32, 1.4), ("nb201", 64, 1.0),
                                                 ("nbnlp", 64, 1.0), ("nbasr", 64, 1.0)])
def test_a_spaces_builder_declares_its_reference_batch_and_memory(name: str, batch: int, memory: float) -> None:
    factory = builder_factory(get_space(name).network)
    assert issubclass(factory, NetworkBuilder)
    assert (factory.reference_batch, factory.peak_memory_gb) == (batch, memory)
    # the space's name is a builder name because the space was registered with that builder
    assert name in builder_names() and type(get_builder(name)) is factory


def test_network_builder_is_abstract_and_its_optional_hooks_have_defaults() -> None:
    with pytest.raises(TypeError, match="abstract"):
        NetworkBuilder()

    class NoMinibatch(NetworkBuilder):
        def build(self, arch, *, seed=0):
            return nn.Identity()

    with pytest.raises(TypeError, match="minibatch"):
        NoMinibatch()

    class Tiny(NetworkBuilder):
        def build(self, arch, *, seed=0):
            with seeded(seed):
                return nn.Sequential(nn.Flatten(), nn.Linear(12, arch["width"]))

        def minibatch(self, batch_size, seed=0):
            return torch.randn(batch_size, 3, 2, 2, generator=torch.Generator().manual_seed(seed))

    builder = Tiny()
    assert builder.dead_reason({"width": 4}) is None and builder.input_description == ""
    assert (builder.reference_batch, builder.peak_memory_gb, builder.supports_reuse) == (64, 1.0, False)
    x, y = builder.labelled_minibatch(5, seed=1)
    assert torch.equal(x, builder.minibatch(5, seed=1)) and y is None
    first = score_architecture(builder, {"width": 8}, batch_size=6, seed=3)
    assert first.ok and first.score == score_architecture(builder, {"width": 8}, batch_size=6, seed=3).score
    with pytest.raises(TypeError, match="NetworkBuilder"):
        score_architecture(object(), {"width": 8})


def test_seeded_restores_the_global_state_and_seeds_both_generators() -> None:
    torch.manual_seed(11)
    expected = torch.rand(2)
    torch.manual_seed(11)
    with seeded(5) as generator:
        inside, drawn = torch.rand(3), torch.rand(3, generator=generator)
    assert torch.equal(torch.rand(2), expected), "the caller's random state must be left as it was"
    with seeded(5) as generator:
        assert torch.equal(torch.rand(3), inside) and torch.equal(torch.rand(3, generator=generator), drawn)
    state = torch.get_rng_state()
    with seeded(None):  # no seed: draws continue from the caller's state, which is still restored
        torch.rand(4)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_every_kind_of_builder_is_seeded_without_touching_the_global_state(name: str, assert_seeded_build) -> None:
    builder = get_builder(name, **SMALL[name])
    arch = get_space(name).sample(seed=0)
    assert_seeded_build(builder, arch)
    with pytest.raises(TypeError):
        builder.build(arch, 7)  # the seed is keyword-only on every builder
