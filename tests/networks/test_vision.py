"""Vision networks: every builder's networks run, are seeded, pooled builds equal fresh ones, and the networks
match the benchmarks' own parameter counts where the shared tables store them."""
from __future__ import annotations

import ast
import gzip
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nas_complexity._errors import NASComplexityError, SpaceError  # noqa: E402
from nas_complexity.networks import get_builder  # noqa: E402
from nas_complexity.networks._images import ImageBatches, digit_batch, photo_batch, take_batch  # noqa: E402
from nas_complexity.networks._nb101 import nb101_spec, vertex_channels  # noqa: E402
from nas_complexity.networks._nb201 import EdgeCellModule, dead_cell_reason, edge_genotype  # noqa: E402
from nas_complexity.networks._ops import ModulePool, fresh_make  # noqa: E402
from nas_complexity.proxies import count_macs  # noqa: E402
from nas_complexity.spaces import get_space  # noqa: E402

# Small sizes keep the suite fast; the published sizes are the builders' defaults.
SMALL = {
    "nb201": {"channels": 4, "num_cells": 1},
    "tnb101-micro": {"base_channels": 8, "resolution": 32},
    "tnb101-macro": {"base_channels": 8, "resolution": 32},
    "nb101": {"init_channels": 8},
    "darts": {"channels": 4, "num_cells": 3},
    "proxylessnas": {"resolution": 32, "num_classes": 10},
    "mbconv-macro": {},
}
ARCH_201 = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_1x1~2|"


def _n_params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def _live_arch(space_name: str, builder, seed: int = 0) -> dict:
    for arch in get_space(space_name).sample(seed=seed, n=20):
        if getattr(builder, "dead_reason", lambda a: None)(arch) is None:
            return arch
    raise AssertionError("no live architecture in 20 samples")


@pytest.mark.parametrize("space_name", sorted(SMALL))
def test_builder_runs_forward_and_backward_on_its_minibatch(space_name: str) -> None:
    builder = get_builder(space_name, **SMALL[space_name])
    arch = _live_arch(space_name, builder)
    x, y = builder.labelled_minibatch(4, seed=0)
    assert x.shape == (4, 3, builder.resolution, builder.resolution)
    assert y is not None and int(y.max()) < builder.num_classes
    net = builder.build(arch, seed=0)
    assert net.training
    inputs = x.clone().requires_grad_(True)
    out = net(inputs)
    assert out.shape == (4, builder.num_classes)
    out.backward(torch.ones_like(out))
    assert torch.isfinite(inputs.grad).all() and inputs.grad.abs().sum() > 0
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
    assert builder.input_description


@pytest.mark.parametrize("space_name", sorted(SMALL))
def test_same_seed_same_network_and_global_rng_untouched(space_name: str, assert_seeded_build) -> None:
    builder = get_builder(space_name, **SMALL[space_name])
    arch = _live_arch(space_name, builder)
    a = assert_seeded_build(builder, arch)
    c = builder.build(arch, seed=8)
    assert any(not torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters()))


@pytest.mark.parametrize("space_name", sorted(SMALL))
def test_pooled_build_equals_fresh_build(space_name: str) -> None:
    builder = get_builder(space_name, **SMALL[space_name])
    first, second = get_space(space_name).sample(seed=3, n=2)
    x = builder.minibatch(4, seed=1)
    builder.build(first, seed=1, reuse=True)  # fills the pool with another architecture's modules
    pooled = builder.build(second, seed=2, reuse=True)
    fresh = get_builder(space_name, **SMALL[space_name]).build(second, seed=2)
    assert [n for n, _ in pooled.named_parameters()] == [n for n, _ in fresh.named_parameters()]
    for pa, pb in zip(pooled.parameters(), fresh.parameters()):
        assert torch.equal(pa, pb)
    assert torch.equal(pooled(x), fresh(x))


def test_pool_reuses_modules_between_builds() -> None:
    builder = get_builder("nb201", **SMALL["nb201"])
    a = builder.build(ARCH_201, reuse=True)
    size = len(builder._pool)
    b = builder.build(ARCH_201, reuse=True)
    assert len(builder._pool) == size
    assert a.stem is b.stem
    pool = ModulePool()
    with pool.build() as make:
        first, second = make(torch.nn.Linear, 2, 2), make(torch.nn.Linear, 2, 2)
    assert first is not second  # two requests in one build never share a module
    assert fresh_make(torch.nn.Linear, 2, 2) is not first


# ------------------------------------------------------------------------------------------------- NB201


def test_nb201_cell_skips_only_what_cannot_reach_the_output() -> None:
    # node 2 feeds nothing (2 -> 3 is none): its ops exist (parameter count) but are not computed
    genotype = edge_genotype("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|")
    cell = EdgeCellModule(genotype, 4, 4, 1, fresh_make)
    assert [j for j, _ in cell.plan] == [1, 3]
    assert len(cell.edges) == 4
    x = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    # naive NB201 evaluation: every node, zero edges as zeros, modules in construction order
    modules = iter(cell.edges)
    nodes = [x]
    for node in genotype:
        total = torch.zeros_like(x)
        for i, op in enumerate(node):
            if op == "skip_connect":
                total = total + nodes[i]
            elif op != "none":
                total = total + next(modules)(nodes[i])
        nodes.append(total)
    assert torch.allclose(cell(x), nodes[-1], atol=1e-6)


def test_nb201_accepts_flat_dicts_and_strings_and_rejects_bad_ops() -> None:
    cell = get_space("nb201").structures[0]
    flat = cell.from_arch_string(ARCH_201)
    assert edge_genotype(flat) == edge_genotype(ARCH_201)
    with pytest.raises(SpaceError, match="cell/1_2.*unknown operation 'conv9x9'.*Accepted: none"):
        edge_genotype({**flat, "cell/1_2": "conv9x9"})
    with pytest.raises(SpaceError, match="cell/0_3: missing edge"):
        edge_genotype({k: v for k, v in flat.items() if k != "cell/0_3"})
    with pytest.raises(SpaceError, match="avg_pool_3x3"):  # TransNAS-Bench-101's micro cell has no pooling
        get_builder("tnb101-micro").spec(ARCH_201)


def test_nb201_params_match_the_benchmark(data_root) -> None:
    import pandas as pd

    table = pd.read_csv(data_root / "nb201" / "nb201_zc_proxies_cifar10_9445.csv.gz").sample(25, random_state=0)
    builder = get_builder("nb201")  # C=16, N=5 as published
    for arch, params in zip(table.net_str, table.params):
        assert _n_params(builder.build(arch, reuse=True)) == round(params * 1e6), arch


def test_dead_cells_are_exactly_the_chance_accuracy_cells(data_root) -> None:
    import pandas as pd

    table = pd.read_csv(data_root / "nb201" / "nb201_valacc_15625x3.csv.gz", usecols=["arch_str", "val_acc_cifar10"])
    dead = table.arch_str.map(lambda s: dead_cell_reason(edge_genotype(s)) is not None)
    assert dead.sum() == 341
    assert table.val_acc_cifar10[dead].max() == pytest.approx(10.0)  # chance on CIFAR-10
    assert table.val_acc_cifar10[~dead].min() > 20.0


# ----------------------------------------------------------------------------------------- other spaces


def test_nb101_vertex_channels_and_spec() -> None:
    # vertices 1 and 2 both feed the output: its 128 channels split 64 + 64
    matrix = [[0, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    assert vertex_channels(64, 128, matrix) == [64, 64, 64, 128]
    assert vertex_channels(64, 129, matrix) == [64, 65, 64, 129]  # remainder to the first output vertex
    space = get_space("nb101")
    arch = space.sample(seed=0)
    matrix, labels = nb101_spec(arch)
    assert [list(map(list, matrix)), list(labels)] == list(space.structures[0].pruned(arch))
    with pytest.raises(SpaceError, match="unknown operation"):
        nb101_spec(([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"]))


def test_nb101_params_match_the_benchmark(data_root) -> None:
    records = json.load(gzip.open(data_root / "nb101" / "zc_nasbench101_500.json.gz"))["nasbench101"]["cifar10"]
    ops = {2: "maxpool3x3", 3: "conv1x1-bn-relu", 4: "conv3x3-bn-relu"}  # NASLib's op ids in the 56-int key
    builder = get_builder("nb101")  # 128 stem channels as published
    for key in list(records)[:8]:
        flat = ast.literal_eval(key)
        matrix = [list(flat[7 * i : 7 * i + 7]) for i in range(7)]
        nb101 = {f"cell/edge/{i}_{j}": matrix[i][j] for i in range(7) for j in range(i + 1, 7)}
        nb101.update({f"cell/op/{k}": ops[flat[49 + k]] for k in range(1, 6)})
        assert _n_params(builder.build(nb101, reuse=True)) == round(records[key]["params"] * 1e6)


def test_nas_bench_macro_params_and_flops_match_the_benchmark(data_root) -> None:
    import pandas as pd

    table = pd.read_csv(data_root / "mbconv" / "nas_bench_macro_cifar10_6561.csv.gz", dtype={"arch": str})
    builder = get_builder("mbconv-macro")
    sample = builder.minibatch(1)
    for key, params, flops in table.sample(12, random_state=0)[["arch", "params", "flops"]].itertuples(index=False):
        net = builder.build(key, reuse=True)
        assert _n_params(net) == params, key
        assert count_macs(net, sample) == flops, key


def test_macro_and_proxyless_inputs() -> None:
    macro = get_builder("mbconv-macro")
    space = get_space("mbconv-macro")
    arch = space.sample(seed=0)
    digits = "".join(str(macro.digits.index(arch[f"layer{i}"])) for i in range(8))
    assert macro.spec(arch) == macro.spec(digits)
    with pytest.raises(SpaceError, match="8 digits"):
        macro.spec("0123")
    proxyless = get_builder("proxylessnas")
    arch = get_space("proxylessnas").sample(seed=0)
    with pytest.raises(SpaceError, match="stage2/layer0: the first layer of a stage cannot be zero"):
        proxyless.spec({**arch, "stage2/layer0": "zero"})
    skipped = {k: ("zero" if not k.endswith("layer0") else v) for k, v in arch.items()}
    assert _n_params(proxyless.build(skipped)) < _n_params(proxyless.build(arch))


def test_darts_defaults_and_genotype_errors() -> None:
    builder = get_builder("darts")
    assert (builder.channels, builder.num_cells) == (32, 8)  # NAS-Bench-301's training network
    arch = get_space("darts").sample(seed=0)
    assert len(builder.spec(arch)[0]) == 8
    with pytest.raises(SpaceError, match="reduce/node0/inputs"):
        reduce = [("skip_connect", 0), ("skip_connect", 3)] + [("skip_connect", 0)] * 6  # node 0 cannot read node 3
        builder.spec(([("skip_connect", 0)] * 8, reduce))


# ------------------------------------------------------------------------------------------------ images


def test_photo_batches_are_seeded_normalised_crops() -> None:
    x, y = photo_batch(32, seed=0)
    x2, y2 = photo_batch(32, seed=0)
    x3, _ = photo_batch(32, seed=1)
    assert x.shape == (32, 3, 32, 32) and x.dtype == torch.float32
    assert torch.equal(x, x2) and torch.equal(y, y2) and not torch.equal(x, x3)
    assert abs(float(x.mean())) < 1.0 and 0.3 < float(x.std()) < 2.0  # CIFAR-normalised real photographs
    assert set(y.tolist()) <= set(range(10)) and len(set(y.tolist())) > 3
    assert len({tuple(img.flatten()[:20].tolist()) for img in x}) == 32  # no two crops alike


def test_digit_batches_and_user_data() -> None:
    x, y = digit_batch(5, seed=0, size=16, channels=3)
    assert x.shape == (5, 3, 16, 16) and torch.equal(x[:, 0], x[:, 2]) and int(y.max()) <= 9
    grey = ImageBatches("digits", size=32, channels=1)
    assert grey.batch(2)[0].shape == (2, 1, 32, 32) and "digits" in grey.description
    data = torch.arange(40.0).reshape(10, 1, 2, 2)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data, torch.arange(10)), batch_size=3)
    inputs, targets = take_batch(loader, 5)
    assert torch.equal(inputs, data[:5]) and targets.tolist() == [0, 1, 2, 3, 4]
    builder = get_builder("nb201", data=data, in_channels=1, **SMALL["nb201"])
    assert torch.equal(builder.minibatch(4), data[:4])
    with pytest.raises(NASComplexityError, match="10 samples, 11 requested"):
        take_batch(data, 11)
    with pytest.raises(NASComplexityError, match="unknown image source 'cifar'"):
        ImageBatches("cifar").batch(2)
    with pytest.raises(NASComplexityError, match="RGB"):
        ImageBatches("photos", channels=1).batch(2)


def test_builders_pickle_without_their_pool() -> None:
    import pickle

    builder = get_builder("nb201", **SMALL["nb201"])
    builder.build(ARCH_201, reuse=True)
    clone = pickle.loads(pickle.dumps(builder))
    assert len(clone._pool) == 0 and clone.channels == 4
    assert np.isfinite(clone.build(ARCH_201)(clone.minibatch(2)).detach().numpy()).all()
