"""The on-disk profile cache: keys, hits, what is never cached, broken entries, and the Optuna hook using it."""
from __future__ import annotations

import json
import logging

import pytest

from nas_complexity.profiling import ProfileCache, profile, profile_cache_key
from nas_complexity.spaces import Categorical, EdgeCell, IntRange, SearchSpace

PLAIN = SearchSpace("plain", [Categorical("optimizer", ("sgd", "adam")), IntRange("layers", 1, 4)])


def test_keys_depend_on_everything_that_changes_the_profile() -> None:
    base = profile_cache_key("nb201", seed=0, performance=False)
    assert base == profile_cache_key("nb201", performance=False, seed=0, progress=True)
    assert base != profile_cache_key("nb201", seed=1, performance=False)
    assert base != profile_cache_key("nb201", seed=0, performance=True)
    assert base != profile_cache_key("nb201", seed=0, performance=False, performance_options={"max_archs": 50})
    assert profile_cache_key(PLAIN, seed=0) != profile_cache_key(
        SearchSpace("plain", [Categorical("optimizer", ("sgd", "adam")), IntRange("layers", 1, 5)]), seed=0)


def test_what_a_key_cannot_identify_is_never_cached() -> None:
    cell = SearchSpace("my-cell", structures=[EdgeCell("cell", 3, ("a", "b"))])
    assert profile_cache_key(cell, seed=0) is None  # a structure's behaviour is code
    assert profile_cache_key("not-a-builtin", seed=0) is None
    assert profile_cache_key("nb201", performance_options={"accuracy": len}) is None


def test_second_profile_is_read_from_the_folder(tmp_path) -> None:
    cache = ProfileCache(tmp_path)
    first = cache.profile("tnb101-macro", performance=False)
    second = cache.profile("tnb101-macro", performance=False)
    assert (cache.hits, cache.misses) == (1, 1)
    assert second.to_dict() == first.to_dict()
    assert len(list(tmp_path.glob("*.json"))) == 1
    cache.profile(PLAIN, performance=False)
    assert len(list(tmp_path.glob("*.json"))) == 2
    cell = SearchSpace("my-cell", structures=[EdgeCell("cell", 3, ("a", "b"))])
    cache.profile(cell, performance=False)
    cache.profile(cell, performance=False)
    assert cache.misses == 4 and len(list(tmp_path.glob("*.json"))) == 2


def test_a_broken_entry_is_recomputed_with_a_warning(tmp_path, caplog) -> None:
    key = profile_cache_key("mbconv-macro", performance=False)
    (tmp_path / f"{key}.json").write_text("{not json")
    cache = ProfileCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger="nas_complexity"):
        report = cache.profile("mbconv-macro", performance=False)
    assert report.size.total == 6561 and cache.misses == 1
    assert "ignoring unreadable cached profile" in caplog.text
    assert json.loads((tmp_path / f"{key}.json").read_text())["size"]["total"] == 6561  # rewritten


def test_an_unwritable_folder_does_not_fail_the_profile(tmp_path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING, logger="nas_complexity"):
        report = ProfileCache(blocker / "cache").profile("mbconv-macro", performance=False)
    fresh = profile("mbconv-macro", performance=False)
    assert report.size == fresh.size and report.architecture_diversity == fresh.architecture_diversity
    assert "could not cache the profile" in caplog.text and "unreadable" not in caplog.text


def test_the_optuna_hook_profiles_a_space_once_across_studies(tmp_path) -> None:
    optuna = pytest.importorskip("optuna")
    from nas_complexity.integration import ComplexityAdvisor

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        return sum(trial.suggest_categorical(f"cell/{e}", ["none", "nor_conv_3x3"]) == "nor_conv_3x3"
                   for e in ("0_1", "0_2", "1_2", "0_3", "1_3", "2_3"))

    statuses, decisions = [], []
    for _ in range(2):
        advisor = ComplexityAdvisor("nb201", n_trials=5, seed=0, cache=tmp_path)
        study = advisor.attach(optuna.create_study(direction="maximize"))
        study.optimize(objective, n_trials=5)
        statuses.append(json.loads(study.user_attrs["nas_complexity.status"]))
        decisions.append(study.user_attrs["nas_complexity.decision"])
    assert [s["profile_cached"] for s in statuses] == [False, True]
    assert decisions[0] == decisions[1]
    uncached = ComplexityAdvisor("nb201", n_trials=5, cache=False)
    uncached.profile_space(uncached.source.space)
    assert uncached.profile_from_cache is False
    with pytest.raises(TypeError, match="cache must be True, False or a folder path"):
        ComplexityAdvisor("nb201", n_trials=5, cache=3)


_DAMAGE = {
    "random bytes": bytes(range(256)) * 4,
    "utf-16": json.dumps({"space": "mbconv-macro"}).encode("utf-16"),
    "nan": None,  # a real entry with one number replaced by NaN, filled in below
    "truncated": b'{"space": "mbconv-macro", "size": {',
}


@pytest.mark.parametrize("damage", list(_DAMAGE))
def test_any_damaged_entry_is_logged_recomputed_and_replaced(tmp_path, caplog, damage) -> None:
    cache = ProfileCache(tmp_path)
    good = cache.profile("mbconv-macro", performance=False)
    (entry,) = tmp_path.glob("*.json")
    content = _DAMAGE[damage]
    if content is None:
        content = entry.read_text().replace('"value": 0.083333', '"value": NaN').encode()
        assert b"NaN" in content
    entry.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="nas_complexity"):
        again = ProfileCache(tmp_path).profile("mbconv-macro", performance=False)
    assert again.size == good.size and again.architecture_diversity == good.architecture_diversity
    assert "ignoring unreadable cached profile" in caplog.text and entry.name in caplog.text
    assert json.loads(entry.read_text(encoding="utf-8"))["architecture_diversity"]["value"] == 0.083333  # replaced


def test_a_damaged_entry_never_disables_the_optuna_hook(tmp_path) -> None:
    optuna = pytest.importorskip("optuna")
    from nas_complexity.integration import ComplexityAdvisor

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ProfileCache(tmp_path).profile("nb201", seed=0, performance=False, performance_options=None)
    for entry in tmp_path.glob("*.json"):
        entry.write_bytes("\ufeff{ broken".encode("utf-16"))
    for _ in range(2):  # the first study recomputes and rewrites, the second reads the repaired entry
        advisor = ComplexityAdvisor("nb201", n_trials=5, seed=0, cache=tmp_path)
        study = advisor.attach(optuna.create_study(direction="maximize"))
        study.optimize(lambda t: float(t.suggest_categorical("cell/0_1", ["none", "nor_conv_3x3"]) == "none"), n_trials=2)
        assert json.loads(study.user_attrs["nas_complexity.status"])["state"] == "decided"
    assert json.loads(study.user_attrs["nas_complexity.status"])["profile_cached"] is True


def test_a_space_registered_again_under_the_same_name_is_not_served_the_old_profile(tmp_path, monkeypatch) -> None:
    """The key was the name alone: a re-registered space with other choices got the first one's cached size."""
    from nas_complexity.spaces import _builtin, register_space

    monkeypatch.setattr(_builtin, "_REGISTRY", dict(_builtin._REGISTRY))  # the test's registrations are undone after it
    cache = ProfileCache(tmp_path)
    register_space("re-registered", lambda: SearchSpace("re-registered", [Categorical("op", ("a", "b"))]))
    assert cache.profile("re-registered", performance=False).size.total == 2
    register_space("re-registered", lambda: SearchSpace("re-registered", [Categorical("op", ("a", "b", "c"))]))
    assert cache.profile("re-registered", performance=False).size.total == 3
    assert profile_cache_key("nb201", seed=0) != profile_cache_key("re-registered", seed=0)
    register_space("re-registered-cells", lambda: SearchSpace("c", structures=[EdgeCell("cell", 3, ("a", "b"))]))
    assert profile_cache_key("re-registered-cells", seed=0) is None  # a structure's behaviour is code


def test_a_shipped_name_registered_again_by_a_user_is_keyed_by_its_definition(monkeypatch) -> None:
    from nas_complexity.spaces import _builtin, is_shipped, register_space

    monkeypatch.setattr(_builtin, "_REGISTRY", dict(_builtin._REGISTRY))  # undone after the test
    shipped_key = profile_cache_key("mbconv-macro", seed=0)
    register_space("mbconv-macro", lambda: PLAIN)
    assert not is_shipped("mbconv-macro") and profile_cache_key("mbconv-macro", seed=0) != shipped_key


def test_a_shipped_space_rebuilt_from_its_definition_is_cached_as_the_shipped_one(tmp_path) -> None:
    """A benchmark table's space equals the shipped definition but is another object; its profile (with proxy
    scores, minutes of work) was recomputed in every comparison run."""
    from nas_complexity.spaces import get_space

    import dataclasses

    shipped = get_space("nb201")
    rebuilt = dataclasses.replace(shipped, structures=tuple(
        EdgeCell(c.name, c.n_nodes, c.ops, c.zero_op, c.identity_op) for c in shipped.structures))
    assert rebuilt is not shipped and rebuilt.structures[0] is not shipped.structures[0] and rebuilt == shipped
    assert profile_cache_key(rebuilt, seed=0, performance=False) == profile_cache_key("nb201", seed=0, performance=False)
    changed = dataclasses.replace(shipped, structures=tuple(
        EdgeCell(c.name, c.n_nodes, c.ops[:-1], c.zero_op, c.identity_op) for c in shipped.structures))
    assert changed != shipped and profile_cache_key(changed, seed=0, performance=False) is None


def test_a_profile_whose_proxy_scoring_was_asked_for_and_missing_is_not_stored(tmp_path) -> None:
    """No network for this space: the proxy cannot be scored, and a later run with a builder must not get the
    missing figure back from the cache (the CLI and the library share this rule)."""
    space = SearchSpace("no-network", [Categorical("op", ("a", "b", "c")), IntRange("width", 1, 4)])
    cache = ProfileCache(tmp_path)
    report = cache.profile(space, performance=True)
    assert not report.performance_diversity.available
    assert ProfileCache.refusal(report, performance=True) == "performance diversity was not available"
    assert list(tmp_path.iterdir()) == [] and cache.misses == 1
    cache.profile(space, performance=False)  # nothing was asked for that is missing: stored
    assert len(list(tmp_path.iterdir())) == 1
