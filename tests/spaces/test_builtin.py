from __future__ import annotations

import math

import pytest

from nas_complexity import UnknownSpaceError
from nas_complexity.metrics import measure_size
from nas_complexity.spaces import (
    VOCABULARY,
    Categorical,
    EdgeCell,
    SearchSpace,
    _builtin,
    get_space,
    list_spaces,
    register_space,
)
from nas_complexity.spaces._builtin import NB201_OPS, space_networks

EXPECTED = {
    # name: (total, unique, provenance)
    "nb201": (15_625, 6_466, "enumerated"),
    "nb360": (15_625, 6_466, "enumerated"),
    "nb101": (423_624, 423_624, "published"),
    "mbconv-macro": (6_561, None, "formula"),
    "tnb101-micro": (4_096, None, "enumerated"),
    "tnb101-macro": (3_256, None, "enumerated"),
    "darts": (((1 * 49) * (3 * 49) * (6 * 49) * (10 * 49)) ** 2, None, "formula"),
    "proxylessnas": (6**6 * 7**15, None, "formula"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_sizes(name):
    total, unique, provenance = EXPECTED[name]
    size = measure_size(get_space(name))
    assert size.total == total
    assert size.provenance == provenance
    if unique is not None:
        assert size.unique == unique
    assert math.isclose(size.log10, math.log10(total), abs_tol=1e-3)


def test_darts_is_about_1e18():
    assert 18.0 < measure_size(get_space("darts")).log10 < 18.1


@pytest.mark.parametrize("name", list_spaces())
def test_every_builtin_samples_validly_and_encodes(name):
    space = get_space(name)
    archs = space.sample(seed=7, n=20)
    assert archs == space.sample(seed=7, n=20)
    vectors = []
    for arch in archs:
        space.validate(arch)
        vectors.append(space.encode(arch))
        assert vectors[-1].shape == (len(VOCABULARY),)
    # An NB101 cell may be a bare input->output edge with no block; most architectures have some.
    assert sum(v.sum() > 0 for v in vectors) >= 15
    assert space.tasks and space.description


def test_unknown_space_lists_known_ones():
    with pytest.raises(UnknownSpaceError) as info:
        get_space("nb999")
    assert "nb201" in str(info.value) and "nb999" in str(info.value)


def test_nb201_unique_matches_published_rule_on_known_pair():
    space = get_space("nb201")
    cell = space.structures[0]
    # skip_connect on 0->1 and a conv on 1->3 equals the conv on 0->3 when everything else is none.
    a = cell.from_arch_string("|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|")
    b = cell.from_arch_string("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
    assert space.canonical(a) == space.canonical(b)


# --------------------------------------------------------------------------------- spaces own their networks

BUILTIN = ("nb101", "nb201", "darts", "proxylessnas", "nb360", "mbconv-macro", "tnb101-micro", "tnb101-macro",
           "nbnlp", "nbasr")


@pytest.mark.parametrize("name", BUILTIN)
def test_a_builtin_space_carries_the_network_it_is_registered_with(name):
    network = get_space(name).network
    assert network == space_networks()[name]
    module, _, cls = network.partition(":")
    assert module.startswith("nas_complexity.networks._") and cls.endswith("Builder")


def test_a_users_space_named_like_a_builtin_has_no_network():
    assert SearchSpace("nb201", [Categorical("lr", (0.1, 0.01))]).network is None
    assert SearchSpace("nb201", structures=[EdgeCell("cell", 4, NB201_OPS)]).network is None
    mine = SearchSpace("mine", [Categorical("op", ("a", "b"))], network="pkg.module:Builder")
    assert mine.to_dict()["network"] == "pkg.module:Builder"  # what identifies a space includes its network
    assert "network" not in SearchSpace("mine", [Categorical("op", ("a", "b"))]).to_dict()


def test_registration_binds_a_space_to_its_builder(monkeypatch):
    monkeypatch.setattr(_builtin, "_REGISTRY", dict(_builtin._REGISTRY))  # registrations end with the test
    path = "nas_complexity.networks._nb201:NB201Builder"
    register_space("cells", lambda: SearchSpace("cells", structures=[EdgeCell("cell", 4, NB201_OPS)]), builder=path)
    register_space("plain", lambda: SearchSpace("plain", [Categorical("op", ("a", "b"))]))
    assert get_space("cells").network == path and space_networks()["cells"] == path
    assert get_space("plain").network is None and "plain" not in space_networks()
    # A built-in's name registered again without a builder has no network: nothing is inferred from a name.
    register_space("nb201", lambda: SearchSpace("nb201", [Categorical("lr", (0.1, 0.01))]))
    assert get_space("nb201").network is None and "nb201" not in space_networks()
    with pytest.raises(ValueError, match="package.module:Class"):
        register_space("bad", lambda: SearchSpace("bad", [Categorical("op", ("a",))]), builder="nb201")
