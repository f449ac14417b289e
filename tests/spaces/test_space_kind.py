"""Whether a space is an architecture space is declared: by the space, its adapter, or the user."""
from __future__ import annotations

import pytest

from nas_complexity._errors import SpaceError
from nas_complexity.adapters import from_any, from_nni_search_space
from nas_complexity.profiling import profile
from nas_complexity.profiling._cache import profile_cache_key
from nas_complexity.report import ComplexityReport
from nas_complexity.spaces import Categorical, EdgeCell, IntRange, SearchSpace, get_space, list_spaces

OPS = ("conv3x3", "skip", "relu")


def test_default_kind_follows_cell_structures():
    assert SearchSpace("flat", [Categorical("op", OPS)]).kind == "hyperparameter"
    assert SearchSpace("cell", structures=[EdgeCell("cell", 3, OPS)]).kind == "architecture"
    assert SearchSpace("macro", [Categorical("op", OPS)], kind="architecture").kind == "architecture"
    assert SearchSpace("cell", structures=[EdgeCell("cell", 3, OPS)], kind="hyperparameter").kind == "hyperparameter"


def test_unknown_kind_is_refused():
    with pytest.raises(SpaceError, match="unknown kind 'nas'.*'architecture' or 'hyperparameter'"):
        SearchSpace("flat", [Categorical("op", OPS)], kind="nas")


@pytest.mark.parametrize("name", list_spaces())
def test_builtin_spaces_are_architecture_spaces(name):
    assert get_space(name).kind == "architecture"


def test_kind_is_part_of_the_space_description_and_cache_key():
    hpo = SearchSpace("s", [Categorical("op", OPS), IntRange("width", 1, 4)])
    nas = SearchSpace("s", [Categorical("op", OPS), IntRange("width", 1, 4)], kind="architecture")
    assert (hpo.to_dict()["kind"], nas.to_dict()["kind"]) == ("hyperparameter", "architecture")
    assert profile_cache_key(hpo, seed=0, performance=False) != profile_cache_key(nas, seed=0, performance=False)


def test_profile_records_the_declared_kind_and_round_trips():
    report = profile(SearchSpace("s", [Categorical("act", ("gelu", "silu"))], kind="architecture"), performance=False)
    assert report.parameters["kind"] == "architecture"
    assert ComplexityReport.from_json(report.to_json()).parameters == report.parameters


def test_adapters_default_to_hyperparameter_spaces_unless_declared():
    nni = {"act": {"_type": "choice", "_value": ["relu", "tanh"]}, "lr": {"_type": "loguniform", "_value": [1e-4, 0.1]}}
    assert from_nni_search_space(nni).kind == "hyperparameter"
    assert from_nni_search_space(nni, kind="architecture").kind == "architecture"
    assert from_any(nni).kind == "hyperparameter"
    assert from_any(nni, kind="architecture").kind == "architecture"
    assert from_any("nb201").kind == "architecture"
    assert from_any("nb201", kind="hyperparameter").kind == "hyperparameter"
    assert get_space("nb201").kind == "architecture"  # redeclaring gave a copy


def test_optuna_adapters_take_a_declared_kind():
    distributions = pytest.importorskip("optuna.distributions")
    from nas_complexity.adapters import from_optuna_distributions, space_from_trials

    space = {"op": distributions.CategoricalDistribution(["conv", "pool"]), "width": distributions.IntDistribution(1, 4)}
    assert from_optuna_distributions(space).kind == "hyperparameter"
    assert from_optuna_distributions(space, kind="architecture").kind == "architecture"
    assert from_any(space, kind="architecture").kind == "architecture"
    trials = [(space, {"op": "conv", "width": 2}, True)]
    assert space_from_trials(trials, name="t").kind == "hyperparameter"
    assert space_from_trials(trials, name="t", kind="architecture").kind == "architecture"


def test_nni_model_spaces_are_architecture_spaces():
    pytest.importorskip("nni")
    hub = pytest.importorskip("nni.nas.hub.pytorch")
    import nni

    from nas_complexity.adapters import from_nni_model_space

    assert from_nni_model_space(hub.NasBench201()).kind == "architecture"
    assert from_nni_model_space(nni.choice("act", ["relu", "tanh"])).kind == "hyperparameter"
    assert from_nni_model_space(nni.choice("op", ["conv", "pool"]), kind="architecture").kind == "architecture"
