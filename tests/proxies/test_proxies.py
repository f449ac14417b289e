"""Zero-cost proxies: jacob_cov against a from-scratch reference, determinism, typed failures, out-of-memory
splitting, and the end-to-end scoring used by the profiler."""
from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from nas_complexity._errors import NASComplexityError  # noqa: E402
from nas_complexity.networks import get_builder  # noqa: E402
from nas_complexity.proxies import (  # noqa: E402
    JacobCov,
    ProxyFailure,
    get_proxy,
    jacob_cov_score,
    list_proxies,
    score_architecture,
)
from nas_complexity.spaces import get_space  # noqa: E402

SMALL_NB201 = {"channels": 4, "num_cells": 1}
ARCH = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"
DEAD = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|none~1|none~2|"


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _tiny_net(batch_norm: bool = True) -> nn.Module:
    torch.manual_seed(0)
    layers = [nn.Conv2d(3, 6, 3, padding=1)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(6))
    layers += [nn.ReLU(), nn.Flatten(), nn.Linear(6 * 6 * 6, 5)]
    return nn.Sequential(*layers)


def _reference_jacob_cov(net: nn.Module, x: torch.Tensor) -> float:
    """The brief's jacob_cov written out with numpy: grad of summed outputs, corrcoef, eigvalsh, the sum."""
    net.train()
    x = x.clone().requires_grad_(True)
    y = net(x)
    y.backward(torch.ones_like(y))
    jac = x.grad.reshape(len(x), -1).numpy().astype(np.float64)
    lam = np.linalg.eigvalsh(np.corrcoef(jac))
    k = 1e-5
    return float(-np.sum(np.log(lam + k) + 1.0 / (lam + k)))


def test_jacob_cov_equals_the_reference_formula() -> None:
    x = torch.randn(12, 3, 6, 6, generator=_gen())
    net = _tiny_net()
    expected = _reference_jacob_cov(net, x)
    assert JacobCov().score(net, x) == pytest.approx(expected, rel=1e-9)
    assert expected < -12  # at most about -N


def test_proxies_leave_the_network_as_they_found_it() -> None:
    net = _tiny_net().eval()
    net[0].weight.requires_grad_(False)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x = torch.randn(8, 3, 6, 6, generator=_gen())
    for name in list_proxies():
        get_proxy(name).score(net, x)
        assert not net.training and not net[0].weight.requires_grad and net[0].bias.requires_grad, name
        assert all(p.grad is None for p in net.parameters()), name
        state = net.state_dict()
        for key in ("0.weight", "0.bias", "1.weight", "4.weight"):  # synflow took absolute values in float64
            assert state[key].dtype == torch.float32 and torch.equal(state[key], before[key]), (name, key)


@pytest.mark.parametrize("proxy", ["jacob_cov", "naswot", "synflow", "snip", "grad_norm", "params", "flops"])
def test_each_proxy_is_finite_on_a_normal_network(proxy: str) -> None:
    result = score_architecture("nb201", ARCH, proxy, batch_size=16, builder_options=SMALL_NB201)
    assert result.ok, result.failure
    assert math.isfinite(result.score) and result.proxy == proxy
    if proxy in ("params", "flops", "synflow", "snip", "grad_norm"):
        assert result.score > 0


def test_same_seed_same_score_and_reused_build_equals_fresh() -> None:
    builder = get_builder("nb201", **SMALL_NB201)
    x = builder.minibatch(16, seed=0)
    first = score_architecture(builder, ARCH, inputs=x, seed=5)
    other = score_architecture(builder, get_space("nb201").sample(seed=1), inputs=x, seed=6)  # reuses the pool
    again = score_architecture(builder, ARCH, inputs=x, seed=5)
    assert first.ok and other.ok
    assert again.score == first.score
    fresh = JacobCov().score(get_builder("nb201", **SMALL_NB201).build(ARCH, seed=5), x)
    assert fresh == pytest.approx(first.score, rel=1e-9)
    assert score_architecture(builder, ARCH, inputs=x, seed=6).score != first.score


def test_dead_cell_is_a_typed_failure_with_or_without_the_structural_check() -> None:
    result = score_architecture("nb201", DEAD, batch_size=8, builder_options=SMALL_NB201)
    assert not result.ok and result.score is None
    assert result.failure_kind == "dead network" and "'none' edge" in result.failure
    builder = get_builder("nb201", **SMALL_NB201)
    computed = JacobCov().evaluate(builder.build(DEAD), builder.minibatch(8))  # the full pass agrees
    assert computed.failure_kind == "dead network"
    with pytest.raises(ProxyFailure, match="dead network"):
        JacobCov().score(builder.build(DEAD), builder.minibatch(8))
    # proxies that do not need the output to depend on the input still score it
    assert score_architecture("nb201", DEAD, "params", builder_options=SMALL_NB201).ok


def test_constant_rows_and_non_finite_outputs_fail_with_reasons() -> None:
    with pytest.raises(ProxyFailure, match="non-finite score: 1 of 3 samples have a constant input gradient"):
        jacob_cov_score(torch.tensor([[1.0, 2.0], [3.0, 3.0], [0.0, 5.0]]))

    class NaNNet(nn.Module):
        def forward(self, x):
            return x.flatten(1) * float("nan")

    result = JacobCov().evaluate(NaNNet(), torch.randn(4, 3))
    assert result.failure_kind == "non-finite score"


def test_shape_errors_are_recorded() -> None:
    result = JacobCov().evaluate(nn.Linear(7, 2), torch.randn(4, 3))
    assert result.failure_kind == "shape error" and "mat1 and mat2" in result.failure


class _SmallMemory(nn.Module):
    """Raises an out-of-memory error for batches larger than ``limit`` (as a GPU would)."""

    def __init__(self, net: nn.Module, limit: int, message: str | None = None) -> None:
        super().__init__()
        self.net = net
        self.limit = limit
        self.message = message
        self.sizes: list[int] = []

    def forward(self, x):
        self.sizes.append(len(x))
        if len(x) > self.limit:
            if self.message:
                raise RuntimeError(self.message)
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self.net(x)


@pytest.mark.parametrize("proxy", ["jacob_cov", "naswot", "snip", "grad_norm"])
def test_out_of_memory_splits_the_batch_and_keeps_the_full_batch_score(proxy: str) -> None:
    x = torch.randn(16, 3, 6, 6, generator=_gen(1))
    targets = torch.arange(16) % 5
    net = _tiny_net(batch_norm=False)  # without batch statistics the split result is exactly the full one
    full = get_proxy(proxy).evaluate(net, x, targets)
    wrapped = _SmallMemory(net, limit=5)
    split = get_proxy(proxy).evaluate(wrapped, x, targets)
    assert full.ok and split.ok and full.chunks == 1
    assert split.chunks == 4 and max(wrapped.sizes[-4:]) <= 5
    assert split.score == pytest.approx(full.score, rel=1e-6)


def test_out_of_memory_with_batch_norm_and_cpu_messages() -> None:
    x = torch.randn(16, 3, 6, 6, generator=_gen(2))
    net = _SmallMemory(_tiny_net(), limit=8, message="DefaultCPUAllocator: can't allocate memory: you tried 1 GB")
    result = JacobCov().evaluate(net, x)
    assert result.ok and result.chunks == 2  # 16 rows still: a full-N score (chunk-wise batch statistics)
    assert result.score < -16
    hopeless = JacobCov().evaluate(_SmallMemory(_tiny_net(), limit=0), x)
    assert hopeless.failure_kind == "out of memory" and "even 1 sample" in hopeless.failure


def test_unexpected_errors_are_not_swallowed() -> None:
    class Broken(nn.Module):
        def forward(self, x):
            raise KeyError("a bug")

    with pytest.raises(KeyError):
        JacobCov().evaluate(Broken(), torch.randn(2, 3))


def test_registry_and_inputs() -> None:
    assert {"jacob_cov", "naswot", "synflow", "snip", "grad_norm", "params", "flops"} <= set(list_proxies())
    with pytest.raises(NASComplexityError, match="unknown proxy 'jacov'; available: .*jacob_cov"):
        get_proxy("jacov")
    builder = get_builder("nb201", **SMALL_NB201)
    x, y = builder.labelled_minibatch(8)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    from_loader = score_architecture(builder, ARCH, "snip", inputs=loader)
    from_pair = score_architecture(builder, ARCH, "snip", inputs=(x, y))
    assert from_loader.score == pytest.approx(from_pair.score, rel=1e-9)
    # without labels the loss uses the network's own predictions: a different, still finite number
    assert score_architecture(builder, ARCH, "snip", inputs=x).ok


def test_profiler_scores_through_this_interface() -> None:
    from nas_complexity.profiling._performance import score_architectures

    cell = get_space("nb201").structures[0]
    archs = [cell.from_arch_string(ARCH), cell.from_arch_string(DEAD)]
    results = score_architectures("nb201", archs, batch_size=8, builder_options=SMALL_NB201)
    assert results[0].score is not None and results[0].failure is None
    assert results[1].score is None and results[1].failure.startswith("dead network:")


@pytest.mark.slow
def test_jacob_cov_ranks_like_the_published_nb201_scores(data_root) -> None:
    """Our jacob_cov on photo crops against the stored CIFAR-10 jacov of 100 NB201 cells (Spearman 0.94 when
    measured on 150 cells)."""
    import pandas as pd
    from scipy.stats import spearmanr

    table = pd.read_csv(data_root / "nb201" / "nb201_zc_proxies_cifar10_9445.csv.gz").sample(100, random_state=1)
    builder = get_builder("nb201")
    x = builder.minibatch(64, seed=0)
    ours = [score_architecture(builder, arch, inputs=x).score for arch in table.net_str]
    assert spearmanr(ours, table.jacov).statistic > 0.85


def test_proxy_is_an_abstract_base_class_whose_subclasses_give_compute() -> None:
    from nas_complexity.proxies import Proxy

    with pytest.raises(TypeError, match="abstract"):
        Proxy()

    class Unfinished(Proxy):
        name = "unfinished"

    with pytest.raises(TypeError, match="_compute"):
        Unfinished()

    class Width(Proxy):
        name = "width"
        needs_inputs = False

        def _compute(self, net, inputs, targets, chunks):
            return float(net[-1].out_features)

    assert Width().score(_tiny_net(), None) == 5.0
