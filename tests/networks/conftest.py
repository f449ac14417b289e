"""Checks shared by the network tests."""
from __future__ import annotations

from typing import Any, Callable

import pytest


@pytest.fixture
def assert_seeded_build() -> Callable[[Any, dict], Any]:
    """``check(builder, arch)``: the same seed gives the same network, and building leaves torch's global RNG alone.

    Returns the network built with seed 7.
    """
    torch = pytest.importorskip("torch")

    def check(builder: Any, arch: dict) -> Any:
        torch.manual_seed(123)
        expected = torch.rand(3)
        torch.manual_seed(123)
        first = builder.build(arch, seed=7)
        assert torch.equal(torch.rand(3), expected), "building must not consume the global random state"
        again = builder.build(arch, seed=7)
        assert all(torch.equal(p, q) for p, q in zip(first.parameters(), again.parameters()))
        return first

    return check
