"""NNI model spaces (hub spaces and small hand-written ones) -> SearchSpace."""
from __future__ import annotations

import logging
import math
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # nni 3.0 warns on import with this torch version
    nni_mutable = pytest.importorskip("nni.mutable")
    nas_nn = pytest.importorskip("nni.nas.nn.pytorch")
    hub = pytest.importorskip("nni.nas.hub.pytorch")
import torch.nn as nn  # noqa: E402
from nni.mutable import Categorical, CategoricalMultiple, ExpressionConstraint, MutableDict, Numerical  # noqa: E402
from nni.nas.nn.pytorch import LayerChoice, ModelSpace, MutableLinear, Repeat  # noqa: E402

from nas_complexity import SpaceError  # noqa: E402
from nas_complexity.adapters import from_any, from_nni_model_space  # noqa: E402
from nas_complexity.metrics import measure_size  # noqa: E402
from nas_complexity.spaces import Condition, EdgeCell, FloatRange  # noqa: E402


def _build(cls):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls()


# --------------------------------------------------------------------------------------------- hub spaces
def test_nasbench201_is_an_nb201_edge_cell():
    model_space = _build(hub.NasBench201)
    space = from_nni_model_space(model_space)
    assert space.name == "NasBench201"
    assert [type(s) for s in space.structures] == [EdgeCell] and not space.params
    assert sorted(p.name for p in space.all_params) == sorted(model_space.simplify())
    size = measure_size(space)
    assert (size.total, size.unique, size.provenance) == (15_625, 6_466, "enumerated")
    sample: dict = {}
    model_space.random(memo=sample)
    assert space.validate(dict(sample)) == sample  # NNI's own samples are architectures of the converted space


def _proxyless_hand_count(simplified: dict) -> int:
    """Product over stages of sum over depths d of (ops per layer)^d; fixed-depth stages multiply their ops."""
    total = 1
    stages = sorted({label.split("_")[0] for label in simplified})
    for stage in stages:
        ops = len(simplified[f"{stage}_i0"].values)
        depth = simplified.get(f"{stage}_depth")
        total *= sum(ops**d for d in depth.values) if depth is not None else ops
    return total


def test_proxylessnas_depths_make_later_layers_conditional():
    model_space = _build(hub.ProxylessNAS)
    simplified = model_space.simplify()
    space = from_nni_model_space(model_space)
    # Stages s2..s6 choose depth 1-4 over 6 MBConv ops, s7 has one layer: (6 + 6^2 + 6^3 + 6^4)^5 * 6.
    assert _proxyless_hand_count(simplified) == 1554**5 * 6 == 54_375_883_032_510_144
    size = measure_size(space)
    assert size.total == 54_375_883_032_510_144 and size.provenance == "formula"
    assert math.isclose(size.log10, 16.7354, abs_tol=1e-4)
    assert space.param("s2_i0").condition is None
    assert space.param("s2_i3").condition == Condition("s2_depth", (4,))
    assert space.param("s6_i1").condition == Condition("s6_depth", (2, 3, 4))
    flat = math.prod(len(m.values) for m in simplified.values())
    assert flat == (4 * 6**4) ** 5 * 6 > size.total  # ignoring the depths would over-count 64-fold per stage


def test_proxylessnas_architectures_are_exactly_what_nni_checks():
    model_space = _build(hub.ProxylessNAS)
    space = from_nni_model_space(model_space)
    for arch in space.sample(seed=0, n=20):
        assert model_space.check_contains(arch) is None  # the active labels are all NNI needs...
        deepest = max((k for k in arch if k.startswith("s2_i")), key=lambda k: int(k[-1]))
        shorter = {k: v for k, v in arch.items() if k != deepest}
        assert model_space.check_contains(shorter) is not None  # ...and each of them is needed


def test_mobilenetv3_nested_gates_resolve_without_warnings(caplog):
    model_space = _build(hub.MobileNetV3Space)
    with caplog.at_level(logging.WARNING, logger="nas_complexity"):
        space = from_nni_model_space(model_space)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    # s2_i1_exp is used in block 1 and inside that block's squeeze-excite choice: block 1's depth gate decides.
    assert space.param("s2_i1_exp").condition == Condition("s2_depth", (2, 3, 4))
    for arch in space.sample(seed=1, n=5):
        assert model_space.check_contains(arch) is None


def test_darts_input_choices_become_subsets():
    model_space = _build(hub.DARTS)
    space = from_nni_model_space(model_space)
    assert space.param("normal/input_3_0").values() == ["0", "1", "2"]
    per_cell = math.prod((7 * i) ** 2 for i in range(2, 6))  # node i: 2 ops of 7, 2 inputs among i predecessors
    assert measure_size(space).total == 3 * 5 * per_cell**2  # width x depth x normal x reduction cell


@pytest.mark.slow
def test_nasbench101_cell_constraint_is_kept():
    model_space = _build(hub.NasBench101)
    space = from_nni_model_space(model_space)
    assert space.has_constraints
    for arch in space.sample(seed=0, n=5):
        decoded = {k: [int(x) for x in v.split(",") if x] if "input" in k else v for k, v in arch.items()}
        assert model_space.check_contains(decoded) is None


# ------------------------------------------------------------------------------------ hand-written spaces
class _Gated(ModelSpace):
    """A head chosen by LayerChoice (one candidate has its own width) and a Repeat of 1-3 choice blocks."""

    def __init__(self):
        super().__init__()
        width = Categorical([8, 16], label="width")
        self.head = LayerChoice({"wide": MutableLinear(4, width), "plain": nn.Linear(4, 4)}, label="op")
        self.body = Repeat(lambda i: LayerChoice({"a": nn.Identity(), "b": nn.ReLU()}, label=f"b{i}"), (1, 3), label="depth")

    def forward(self, x):
        return self.body(self.head(x))


class _ExpressionDepth(ModelSpace):
    """Depth given as an expression of one label: 2 * half."""

    def __init__(self):
        super().__init__()
        half = Categorical([1, 2], label="half")
        self.body = Repeat(lambda i: LayerChoice([nn.Identity(), nn.ReLU(), nn.Tanh()], label=f"l{i}"), half * 2)

    def forward(self, x):
        return self.body(x)


class _SharedWidth(ModelSpace):
    """One width label used under two different LayerChoices: no single condition says when it is used."""

    def __init__(self):
        super().__init__()
        width = Categorical([8, 16], label="width")
        self.first = LayerChoice({"wide": MutableLinear(4, width), "plain": nn.Linear(4, 4)}, label="first")
        self.second = LayerChoice({"wide": MutableLinear(4, width), "plain": nn.Linear(4, 4)}, label="second")

    def forward(self, x):
        return self.second(self.first(x))


def test_label_under_two_parents_stays_unconditional_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="nas_complexity"):
        space = from_nni_model_space(_SharedWidth())
    assert space.param("width").condition is None
    assert any("'width'" in r.getMessage() and "unconditional" in r.getMessage() for r in caplog.records)
    assert measure_size(space).total == 2 * 2 * 2  # an over-count, as the warning says


def test_layerchoice_and_repeat_conditions_by_hand():
    model_space = _Gated()
    space = from_nni_model_space(model_space, name="gated")
    assert space.param("width").condition == Condition("op", ("wide",))
    assert space.param("b0").condition is None
    assert space.param("b1").condition == Condition("depth", (2, 3))
    assert space.param("b2").condition == Condition("depth", (3,))
    # op: wide (2 widths) + plain = 3; depth 1..3 over 2 ops: 2 + 4 + 8 = 14.
    assert measure_size(space).total == 3 * 14 == sum(1 for _ in space.enumerate())
    for arch in space.enumerate():
        assert model_space.check_contains(arch) is None


def test_depth_expression_is_read_through_its_label():
    space = from_nni_model_space(_ExpressionDepth())
    assert space.param("l1").condition is None
    assert space.param("l3").condition == Condition("half", (2,))
    assert measure_size(space).total == 3**2 + 3**4


def test_plain_mutables_subsets_numerical_and_constraints():
    a = Categorical([1, 2, 3], label="a")
    mutables = MutableDict({
        "a": a,
        "b": CategoricalMultiple([0, 1, 2], n_chosen=2, label="b"),
        "c": CategoricalMultiple(["x", "y"], label="c"),
        "w": Numerical(0, 1, quantize=0.25, label="w"),
    })
    space = from_nni_model_space(mutables)
    assert space.param("b").values() == ["0,1", "0,2", "1,2"]
    assert space.param("c").values() == ["", "x", "y", "x,y"]
    assert space.param("w") == FloatRange("w", 0.0, 1.0, step=0.25)
    assert measure_size(space).total == 3 * 3 * 4 * 5
    constrained = from_nni_model_space(MutableDict({"a": a, "c": ExpressionConstraint(a > 1, label="a_gt_1")}))
    assert [arch["a"] for arch in constrained.enumerate()] == [2, 3]
    assert measure_size(constrained).total == 2


def test_numerical_supports_and_the_normal_family():
    space = from_nni_model_space(MutableDict({
        "lr": Numerical(1e-4, 1e-1, log_distributed=True, label="lr"),
        "clipped": Numerical(-1, 1, mu=0, sigma=1, label="clipped"),  # normal clipped to [-1, 1]
    }))
    assert space.param("lr") == FloatRange("lr", 1e-4, 1e-1, log=True)
    assert space.param("clipped") == FloatRange("clipped", -1.0, 1.0)
    normal = MutableDict({"z": Numerical(mu=2, sigma=0.5, label="z")})
    with pytest.raises(SpaceError, match=r"^z: Numerical\(norm distribution\) has unbounded support.*truncate_sigmas"):
        from_nni_model_space(normal)
    z = from_nni_model_space(normal, truncate_sigmas=4).param("z")
    assert math.isclose(z.low, 0.0, abs_tol=1e-9) and math.isclose(z.high, 4.0, abs_tol=1e-9)


def test_unsupported_input_names_the_label():
    with pytest.raises(SpaceError, match=r"^kernel/values\[0\]: value \[1, 3\] of type list is not supported"):
        from_nni_model_space(MutableDict({"k": Categorical([[1, 3], [3, 5]], label="kernel")}))
    with pytest.raises(SpaceError, match=r"expected an NNI model space instance, got the class NasBench201"):
        from_nni_model_space(hub.NasBench201)
    with pytest.raises(SpaceError, match=r"expected an NNI model space instance, got Linear. Accepted: an instance of"):
        from_nni_model_space(nn.Linear(2, 2))
    with pytest.raises(SpaceError, match="has no mutables"):
        from_nni_model_space(MutableDict({}))


def test_from_any_dispatches_model_spaces():
    assert from_any(_Gated(), name="g").name == "g"
    with pytest.raises(SpaceError, match="got the class"):
        from_any(hub.ProxylessNAS)
