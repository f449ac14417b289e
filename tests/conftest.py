"""Shared fixtures: the benchmark tables folder (skipped with a clear reason when absent)."""
from __future__ import annotations

from pathlib import Path

import pytest

DATA_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder of the real benchmark tables (``../shared/data`` next to the repository)."""
    if not DATA_ROOT.is_dir():
        pytest.skip(f"benchmark tables not found at {DATA_ROOT} (they live outside the repository)")
    return DATA_ROOT
