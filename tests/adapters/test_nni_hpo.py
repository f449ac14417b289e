"""NNI HPO search spaces (every documented _type, nested choices, files) -> SearchSpace."""
from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from nas_complexity import SpaceError
from nas_complexity.adapters import NNI_TYPES, from_any, from_nni_search_space
from nas_complexity.metrics import measure_size
from nas_complexity.spaces import Categorical, Condition, FloatRange, IntRange

# Every bounded _type, with a nested choice two levels deep; all discrete so that it can be counted by hand.
DISCRETE = {
    "batch": {"_type": "choice", "_value": [16, 32, 64]},  # 3
    "layers": {"_type": "randint", "_value": [1, 5]},  # 1..4: 4 (upper exclusive)
    "dropout": {"_type": "quniform", "_value": [0, 10, 2.5]},  # 0, 2.5, 5, 7.5, 10: 5
    "hidden": {"_type": "qloguniform", "_value": [1, 100, 10]},  # clip adds 1: 1, 10, 20, ..., 100: 11
    "optimizer": {
        "_type": "choice",
        "_value": [
            {
                "_name": "sgd",
                "momentum": {"_type": "quniform", "_value": [0.0, 0.9, 0.1]},  # 10
                "nesterov": {"_type": "choice", "_value": [True, False]},  # 2
                "schedule": {
                    "_type": "choice",
                    "_value": [
                        {"_name": "step", "gamma": {"_type": "quniform", "_value": [0.1, 0.5, 0.1]}},  # 5
                        {"_name": "cosine"},
                    ],
                },
            },
            {"_name": "adam", "beta1": {"_type": "choice", "_value": [0.9, 0.99]}},  # 2
            {"_name": "none"},
        ],
    },
}
# optimizer: sgd 10 * 2 * (5 + 1) = 120, adam 2, none 1 -> 123
HAND_COUNT = 3 * 4 * 5 * 11 * (10 * 2 * (5 + 1) + 2 + 1)

CONTINUOUS = {
    "lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
    "wd": {"_type": "uniform", "_value": [0.0, 0.1]},
}
NORMAL = {
    "noise": {"_type": "normal", "_value": [0.0, 1.0]},
    "shift": {"_type": "qnormal", "_value": [0.0, 1.0, 0.5]},
    "scale": {"_type": "lognormal", "_value": [0.0, 1.0]},
    "units": {"_type": "qlognormal", "_value": [0.0, 1.0, 1.0]},
}


def test_the_spaces_cover_every_documented_type_and_are_valid_for_nni():
    types = set()

    def collect(space):
        for key, spec in space.items():
            if key != "_name":
                types.add(spec["_type"])
                for option in spec["_value"] if spec["_type"] == "choice" else []:
                    if isinstance(option, dict):
                        collect(option)

    collect({**DISCRETE, **CONTINUOUS, **NORMAL})
    assert types == set(NNI_TYPES)
    validation = pytest.importorskip("nni.common.hpo_utils.validation")
    assert validation.validate_search_space({**DISCRETE, **CONTINUOUS, **NORMAL}, raise_exception=True)


def test_discrete_space_counts_by_hand():
    space = from_nni_search_space(DISCRETE)
    assert space.name == "nni"
    assert space.raw_count() == HAND_COUNT == 81_180
    assert measure_size(space).total == HAND_COUNT
    assert sum(1 for _ in space.enumerate()) == HAND_COUNT


def test_mapping_of_each_type_and_nested_paths():
    space = from_nni_search_space({**DISCRETE, **CONTINUOUS})
    assert space.param("batch") == Categorical("batch", (16, 32, 64))
    assert space.param("layers") == IntRange("layers", 1, 4)
    assert space.param("dropout") == FloatRange("dropout", 0.0, 10.0, step=2.5)
    assert space.param("hidden").values() == [1.0] + [float(v) for v in range(10, 101, 10)]
    assert space.param("lr") == FloatRange("lr", 1e-4, 1e-1, log=True)
    assert space.param("wd") == FloatRange("wd", 0.0, 0.1)
    assert space.param("optimizer").values() == ["sgd", "adam", "none"]
    assert space.param("optimizer/sgd/momentum").condition == Condition("optimizer", ("sgd",))
    assert space.param("optimizer/adam/beta1").condition == Condition("optimizer", ("adam",))
    gamma = space.param("optimizer/sgd/schedule/step/gamma")
    assert gamma.condition == Condition("optimizer/sgd/schedule", ("step",))
    assert gamma.values() == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert "uneven" in space.description and "hidden" in space.description
    arch = space.sample(seed=1)
    assert space.validate(arch) is arch
    assert measure_size(space).total is None  # lr and wd are continuous


def test_quantized_value_sets_match_nni_own_sampling():
    """Sweep NNI's internal (pre-rounding) value over its range and compare the values NNI outputs to ours."""
    formatting = pytest.importorskip("nni.common.hpo_utils.formatting")
    cases = {
        "a": {"_type": "quniform", "_value": [2, 10, 5]},  # NNI docs: 2, 5, 10
        "b": {"_type": "quniform", "_value": [0, 10, 2.5]},  # NNI docs: 0, 2.5, 5, 7.5, 10
        "c": {"_type": "qloguniform", "_value": [1, 100, 10]},
        "d": {"_type": "quniform", "_value": [3, 10, 5]},  # 3 is never produced: 5, 10
        "e": {"_type": "quniform", "_value": [0.1, 0.5, 0.1]},
        "f": {"_type": "quniform", "_value": [2, 3, 5]},  # narrower than q: 2, 3
    }
    formatted = formatting.format_search_space(cases)
    space = from_nni_search_space(cases)
    for key, spec in formatted.items():
        xs = np.linspace(spec.low, spec.high, 200_001)[1:-1]  # endpoints have probability zero
        seen = {round(formatting.deformat_parameters({key: x}, formatted)[key[0]], 9) for x in xs}
        ours = {round(v, 9) for v in space.param(key[0]).values()}
        assert ours == seen, key
    assert space.param("a").values() == [2.0, 5.0, 10.0]


def test_normal_family_is_rejected_unless_truncation_is_asked_for():
    with pytest.raises(SpaceError, match=r"^noise: normal\(mu=0.0, sigma=1.0\) has unbounded support.*truncate_sigmas"):
        from_nni_search_space({"noise": NORMAL["noise"]})
    space = from_nni_search_space(NORMAL, truncate_sigmas=3)
    assert space.param("noise") == FloatRange("noise", -3.0, 3.0)
    scale = space.param("scale")
    assert scale.log and math.isclose(scale.low, math.exp(-3)) and math.isclose(scale.high, math.exp(3))
    assert space.param("shift").values() == [v / 2 for v in range(-6, 7)]  # multiples of 0.5 in [-3, 3]
    assert space.param("units").values() == [float(v) for v in range(0, 21)]  # round(e^[-3, 3]) = 0..20
    assert space.description.count("truncated") == 4 and "99.7300% of its mass" in space.description
    with pytest.raises(SpaceError, match="truncate_sigmas"):
        from_nni_search_space(NORMAL, truncate_sigmas=-1)


def test_reads_a_json_file(tmp_path):
    path = tmp_path / "search_space.json"
    path.write_text(json.dumps(DISCRETE))
    space = from_nni_search_space(path)
    assert space.name == "search_space" and space.raw_count() == HAND_COUNT
    assert from_nni_search_space(str(path), name="mine").name == "mine"
    assert from_any(str(path)).raw_count() == HAND_COUNT
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(SpaceError, match="broken.json: not valid JSON"):
        from_nni_search_space(tmp_path / "broken.json")
    with pytest.raises(SpaceError, match="missing.json: no such file"):
        from_nni_search_space(tmp_path / "missing.json")


def test_a_repeated_key_in_a_file_is_refused_with_its_path(tmp_path):
    # json.load keeps the last of two equal keys: the first 'momentum' would vanish from the space unnoticed.
    path = tmp_path / "dup.json"
    path.write_text(
        '{"optimizer": {"_type": "choice", "_value": [{"_name": "sgd",'
        ' "momentum": {"_type": "uniform", "_value": [0, 1]}, "momentum": {"_type": "uniform", "_value": [0, 2]}}]}}'
    )
    with pytest.raises(SpaceError, match=r"dup.json: duplicate key 'optimizer/_value\[0\]/momentum'.*each key once"):
        from_nni_search_space(path)
    path.write_text('{"lr": {"_type": "uniform", "_value": [0, 1]}, "lr": {"_type": "uniform", "_value": [0, 2]}}')
    with pytest.raises(SpaceError, match="dup.json: duplicate key 'lr'"):
        from_nni_search_space(path)


def test_unreadable_and_non_utf8_files_name_the_file(tmp_path, monkeypatch):
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"caf\u00e9": {"_type": "choice", "_value": [1, 2]}}'.encode("latin-1"))
    with pytest.raises(SpaceError, match=r"latin.json: is not UTF-8 text \(byte 0xe9 at offset 5.*Accepted: .*UTF-8 JSON"):
        from_nni_search_space(latin)
    bom = tmp_path / "bom.json"  # a UTF-8 byte-order mark (Windows editors) is still UTF-8
    bom.write_bytes('{"a": {"_type": "choice", "_value": [1, 2]}}'.encode("utf-8-sig"))
    assert from_nni_search_space(bom).param("a").choices == (1, 2)
    with pytest.raises(SpaceError, match=r"is a folder, not a file"):
        from_nni_search_space(tmp_path)

    def denied(self):  # chmod does not stop root, which runs these tests in containers
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(bom), "read_bytes", denied)
    with pytest.raises(SpaceError, match=r"bom.json: cannot be read \(Permission denied\). Accepted: a readable file"):
        from_nni_search_space(bom)


def _nested_text(levels: int) -> str:
    """An NNI space whose choice nests ``levels`` deep (built as text: json.dumps itself overflows at ~330)."""
    text = '{"x": {"_type": "choice", "_value": [1, 2]}}'
    for _ in range(levels):
        text = '{"p": {"_type": "choice", "_value": [{"_name": "a", ' + text[1:] + ', {"_name": "b"}]}}'
    return text


def test_deep_nesting_is_refused_with_the_limit_not_a_recursion_error(tmp_path):
    from nas_complexity.adapters._nni_hpo import MAX_NESTING

    path = tmp_path / "deep.json"
    path.write_text(_nested_text(MAX_NESTING))
    assert len(from_nni_search_space(path).all_params) == MAX_NESTING + 1
    path.write_text(_nested_text(MAX_NESTING + 1))
    with pytest.raises(SpaceError, match=rf"deep.json: p/a/p/.../a/p/a: choices are nested more than {MAX_NESTING} levels"):
        from_nni_search_space(path)
    with pytest.raises(SpaceError, match=rf"more than {MAX_NESTING} levels"):  # a dict, no file: same limit
        from_nni_search_space(json.loads(_nested_text(MAX_NESTING + 1)))
    path.write_text(_nested_text(400))  # past Python's JSON reader (RecursionError at about 330 levels)
    with pytest.raises(SpaceError, match=rf"deep.json: nested more deeply than Python's JSON reader.*at most {MAX_NESTING}"):
        from_nni_search_space(path)


def _nested_with(value):
    space = copy.deepcopy(DISCRETE)
    space["optimizer"]["_value"][0]["momentum"] = value
    return space


@pytest.mark.parametrize(
    "space, message",
    [
        ({"lr": {"_value": [0, 1]}}, r"^lr: expected a dict with '_type' and '_value'"),
        ({"lr": {"_type": "uniform", "_value": [1]}}, r"^lr: uniform takes 2 values, got 1"),
        ({"lr": {"_type": "quniform", "_value": [0, 1]}}, r"^lr: quniform takes 3 values"),
        ({"lr": {"_type": "uniform", "_value": ["a", 2]}}, r"^lr: uniform needs finite numbers"),
        ({"lr": {"_type": "uniform", "_value": 0.1}}, r"^lr: _value must be a list"),
        ({"lr": {"_type": "gaussian", "_value": [0, 1]}}, r"^lr: unknown _type 'gaussian'. Accepted: choice, randint"),
        ({"lr": {"_type": "uniform", "_value": [2, 1]}}, r"^lr: uniform has low=2 >= high=1"),
        ({"lr": {"_type": "loguniform", "_value": [0, 1]}}, r"^lr: loguniform needs low > 0"),
        ({"lr": {"_type": "quniform", "_value": [0, 1, 0]}}, r"^lr: quantization step q=0"),
        ({"n": {"_type": "randint", "_value": [3, 3]}}, r"^n: randint \[lower=3, upper=3\) is empty"),
        ({"n": {"_type": "randint", "_value": [0.5, 3]}}, r"^n: randint needs integers"),
        ({"x": {"_type": "normal", "_value": [0, -1]}}, r"^x: normal needs sigma > 0"),
        ({"x": {"_type": "choice", "_value": []}}, r"^x: choice has no options"),
        ({"x": {"_type": "choice", "_value": [[1, 2], [3]]}}, r"^x/_value\[0\]: value \[1, 2\] of type list"),
        ({"x": {"_type": "choice", "_value": [{"_name": "a"}, 3]}}, r"^x: mixes nested sub-search-spaces"),
        ({"x": {"_type": "choice", "_value": [{"_name": "a"}, {"b": {}}]}}, r"^x/_value\[1\]: nested sub-search-space without '_name'"),
        (_nested_with({"_type": "uniform", "_value": [1, 0]}), r"^optimizer/sgd/momentum: uniform has low=1 >= high=0"),
        (_nested_with(0.5), r"^optimizer/sgd/momentum: expected a dict with '_type'"),
        ([{"_type": "choice"}], r"^<space>: expected a dict of parameters, got list"),
        ({}, r"the NNI search space is empty"),
    ],
)
def test_malformed_input_names_the_parameter_path(space, message):
    with pytest.raises(SpaceError, match=message):
        from_nni_search_space(space)


def test_from_any_dispatch():
    space = from_nni_search_space(DISCRETE)
    assert from_any(space) is space
    assert from_any("nb201").size().total == 15_625
    assert from_any(DISCRETE, name="x").name == "x"
    with pytest.raises(KeyError, match="unknown search space 'nb999'; known spaces: nb101"):
        from_any("nb999")
    with pytest.raises(SpaceError, match="neither an Optuna distribution nor an NNI"):
        from_any({"lr": 0.1})
    with pytest.raises(SpaceError, match=r"cannot read a search space from a int. Accepted: a nas_complexity SearchSpace"):
        from_any(3)
