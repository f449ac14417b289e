"""Settings for every test and doctest: profiles are cached in a fresh folder, never in the user's cache."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_profile_cache(tmp_path_factory: pytest.TempPathFactory):
    saved = os.environ.get("NAS_COMPLEXITY_CACHE_DIR")
    # os.environ rather than monkeypatch: worker processes started by tests inherit it too.
    os.environ["NAS_COMPLEXITY_CACHE_DIR"] = str(tmp_path_factory.mktemp("profile-cache"))
    yield
    if saved is None:
        os.environ.pop("NAS_COMPLEXITY_CACHE_DIR", None)
    else:
        os.environ["NAS_COMPLEXITY_CACHE_DIR"] = saved
