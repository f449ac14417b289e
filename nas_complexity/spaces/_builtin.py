"""The built-in search spaces of the paper's benchmarks (plus the spaces whose real tables ship in shared data).

Each space states which definition is counted; sizes are computed by :func:`nas_complexity.metrics.measure_size`
(enumerated or by formula) except where the literature is the only source, which the size's provenance says.

Each space is registered with one :func:`register_space` line binding its factory to its network builder (a lazy
``"module:Class"`` path). Operation lists are defined here once; the network modules import them.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from nas_complexity._errors import UnknownSpaceError
from nas_complexity.spaces._cells import EdgeCell, NodeCell, SelectionCell
from nas_complexity.spaces._nbasr import nbasr_space
from nas_complexity.spaces._nbnlp import nbnlp_space
from nas_complexity.spaces._params import Categorical, Condition
from nas_complexity.spaces._space import PublishedCount, SearchSpace, Task

__all__ = ["get_space", "is_shipped", "list_spaces", "register_space", "space_networks"]

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NB101_OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
DARTS_OPS = ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
MBCONV_OPS = ("mbconv_e3_k3", "mbconv_e3_k5", "mbconv_e3_k7", "mbconv_e6_k3", "mbconv_e6_k5", "mbconv_e6_k7")
MACRO_OPS = ("identity", "mbconv_e3_k3", "mbconv_e6_k5")  # NAS-Bench-Macro digits 0, 1, 2
TNB_MICRO_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
TNB_TASKS = (
    Task("class_scene", "classification", "accuracy"),
    Task("class_object", "classification", "accuracy"),
    Task("jigsaw", "classification", "accuracy"),
    Task("room_layout", "regression", "negative L2 loss"),
    Task("segmentsemantic", "segmentation", "mIoU"),
    Task("normal", "pixel-wise prediction", "SSIM"),
    Task("autoencoder", "pixel-wise prediction", "SSIM"),
)
NB360_TASKS = (
    Task("CIFAR-100", "classification", "error"),
    Task("Spherical", "classification", "error"),
    Task("NinaPro", "classification", "error"),
    Task("FSD50K", "multi-label classification", "1 - mAP"),
    Task("Darcy Flow", "PDE regression", "relative L2"),
    Task("PSICOV", "regression", "MAE8"),
    Task("Cosmic", "segmentation", "1 - AUROC"),
    Task("ECG", "classification", "1 - F1"),
    Task("Satellite", "classification", "error"),
    Task("DeepSEA", "multi-label classification", "1 - AUROC"),
)


def _nb201() -> SearchSpace:
    return SearchSpace(
        "nb201",
        kind="architecture",
        structures=[EdgeCell("cell", 4, NB201_OPS)],
        tasks=[Task("CIFAR-10"), Task("CIFAR-100"), Task("ImageNet16-120")],
        description="NAS-Bench-201 (Dong & Yang 2020): one 4-node cell, 5 operations on each of its 6 edges, "
        "stacked 3x5 times with residual reductions; 5^6 cells, isomorphic duplicates removed with NB201's own "
        "rule (identity passes its input, zero edges drop).",
    )


def _nb101() -> SearchSpace:
    return SearchSpace(
        "nb101",
        kind="architecture",
        structures=[NodeCell("cell", 7, NB101_OPS, max_edges=9)],
        tasks=[Task("CIFAR-10")],
        published_size=PublishedCount(
            423_624,
            "Ying et al. 2019 (NAS-Bench-101), Sec. 2.2",
            "exhaustive enumeration of all DAGs with at most 7 vertices and 9 edges, 3 operations on the 5 inner "
            "vertices, pruned of vertices on no input-output path and de-duplicated by an iterated graph hash",
        ),
        published_unique=PublishedCount(423_624, "Ying et al. 2019", "the published count is after de-duplication"),
        description="NAS-Bench-101: cells of up to 7 vertices (input, output, 5 inner vertices with conv3x3, "
        "conv1x1 or maxpool3x3) and at most 9 edges. Sampling draws the 21 edges and 5 ops uniformly and rejects "
        "illegal cells; the count is the published one because the 509,607,936 raw combinations are too many to "
        "hash here.",
    )


def _darts() -> SearchSpace:
    return SearchSpace(
        "darts",
        kind="architecture",
        structures=[SelectionCell("normal", 4, DARTS_OPS), SelectionCell("reduce", 4, DARTS_OPS)],
        tasks=[Task("CIFAR-10"), Task("ImageNet")],
        description="DARTS / NAS-Bench-301 CNN space (Liu et al. 2019): a normal and a reduction cell, each with "
        "4 intermediate nodes; node i takes 2 distinct inputs among its i+2 predecessors with one of 7 "
        "operations each: (prod_i C(i+2,2)*7^2)^2 = 1.08e18 genotypes.",
    )


def _proxylessnas() -> SearchSpace:
    params = []
    for stage, n_layers in enumerate((4, 4, 4, 4, 4, 1), start=1):
        for layer in range(n_layers):
            ops = MBCONV_OPS if layer == 0 else MBCONV_OPS + ("zero",)
            params.append(Categorical(f"stage{stage}/layer{layer}", ops))
    return SearchSpace(
        "proxylessnas",
        kind="architecture",
        params=params,
        tasks=[Task("ImageNet")],
        description="ProxylessNAS mobile space as in its released code (Cai et al. 2019): 21 searchable MBConv "
        "layers in 6 stages of 4,4,4,4,4,1 layers; each layer picks expansion {3,6} x kernel {3,5,7}, and every "
        "layer but the first of a stage may also be zero (skipped), which makes depth variable: "
        "6^6 * 7^15 = 2.2e17. Allowing zero everywhere gives 7^21 = 5.6e17; the paper's 6.64e17 matches neither.",
    )


def _mbconv_macro() -> SearchSpace:
    return SearchSpace(
        "mbconv-macro",
        kind="architecture",
        params=[Categorical(f"layer{i}", MACRO_OPS) for i in range(8)],
        tasks=[Task("CIFAR-10")],
        description="NAS-Bench-Macro (Su et al. 2021): 8 MBConv layers, each identity, MB3_K3 or MB6_K5: 3^8.",
    )


def _tnb101_micro() -> SearchSpace:
    return SearchSpace(
        "tnb101-micro",
        kind="architecture",
        structures=[EdgeCell("cell", 4, TNB_MICRO_OPS)],
        tasks=TNB_TASKS,
        description="TransNAS-Bench-101 micro (Duan et al. 2021): NB201-style 4-node cell with 4 operations "
        "(no pooling) on 6 edges: 4^6 cells, evaluated on 7 tasks of the Taskonomy data.",
    )


_TNB_MACRO_CODES = (1, 2, 3, 4)  # 1 plain, 2 widen (double channels), 3 downsample, 4 downsample + widen


def _tnb_macro_layers(arch: dict[str, Any]) -> list[int]:
    return [arch[f"layer{k}"] for k in range(6) if f"layer{k}" in arch]


def _tnb_macro_valid(arch: dict[str, Any]) -> bool:
    codes = _tnb_macro_layers(arch)
    downs = sum(c in (3, 4) for c in codes)
    widens = sum(c in (2, 4) for c in codes)
    return 1 <= downs <= 4 and 1 <= widens <= 3


def _tnb_macro_blocks(arch: dict[str, Any]) -> Counter[str]:
    out: Counter[str] = Counter()
    for code in _tnb_macro_layers(arch):
        out["residual_block"] += 1
        out["downsample"] += code in (3, 4)
        out["widen"] += code in (2, 4)
    return +out


def _tnb101_macro() -> SearchSpace:
    depth = Categorical("depth", (4, 5, 6))
    layers = [Categorical(f"layer{k}", _TNB_MACRO_CODES) for k in range(4)]
    layers += [Categorical("layer4", _TNB_MACRO_CODES, condition=Condition("depth", (5, 6)))]
    layers += [Categorical("layer5", _TNB_MACRO_CODES, condition=Condition("depth", (6,)))]
    return SearchSpace(
        "tnb101-macro",
        kind="architecture",
        params=[depth, *layers],
        constraints=[_tnb_macro_valid],
        block_fn=_tnb_macro_blocks,
        tasks=TNB_TASKS,
        description="TransNAS-Bench-101 macro: 4 to 6 residual modules, each plain (1), widening (2), "
        "downsampling (3) or both (4); 1-4 downsamplings and 1-3 widenings in total.",
    )


def _nb360() -> SearchSpace:
    return SearchSpace(
        "nb360",
        kind="architecture",
        structures=[EdgeCell("cell", 4, NB201_OPS)],
        tasks=NB360_TASKS,
        description="NAS-Bench-360 (Tu et al. 2022): 10 tasks across modalities. Its precomputed tables use the "
        "NAS-Bench-201 cell space (NinaPro, Darcy Flow, CIFAR-100), which is the space counted here; its other "
        "tasks are searched in DARTS-like spaces.",
    )


@dataclass(frozen=True)
class _Registration:
    factory: Callable[[], SearchSpace]
    network: str | None


_REGISTRY: dict[str, _Registration] = {}


def register_space(name: str, factory: Callable[[], SearchSpace], *, builder: str | None = None) -> None:
    """Add a named space (a zero-argument factory) to the registry used by :func:`get_space` and the CLI, bound to
    its network.

    ``builder`` is the ``"package.module:Class"`` path of the space's
    :class:`~nas_complexity.networks.NetworkBuilder`, imported only when a network is built (registering never
    imports torch). :func:`get_space` sets it as the space's ``network``, which profiling builds the space's
    networks with, and ``name`` becomes a builder name (``performance_options={"builder": name}``). Without it the
    space has no network: its performance diversity is reported as not available. Registering a name again
    replaces the space and its network.

    Example:
        >>> from nas_complexity.spaces import Categorical, SearchSpace, register_space, get_space
        >>> register_space("tiny", lambda: SearchSpace("tiny", [Categorical("op", ("conv3x3", "skip"))]))
        >>> get_space("tiny").size().total, get_space("tiny").network
        (2, None)
        >>> register_space("tiny-cells", lambda: SearchSpace("tiny-cells", structures=[EdgeCell("cell", 4, NB201_OPS)]),
        ...                builder="nas_complexity.networks._nb201:NB201Builder")
        >>> get_space("tiny-cells").network
        'nas_complexity.networks._nb201:NB201Builder'
    """
    if builder is not None and (not isinstance(builder, str) or ":" not in builder):
        raise ValueError(f"builder must be a 'package.module:Class' path or None, got {builder!r}")
    _REGISTRY[name] = _Registration(factory, builder)


def space_networks() -> dict[str, str]:
    """Registered space name -> the ``"module:Class"`` path of its network builder (spaces that have one).

    Example:
        >>> space_networks()["nbasr"]
        'nas_complexity.networks._asr:ASRBuilder'
    """
    return {name: entry.network for name, entry in _REGISTRY.items() if entry.network is not None}


def list_spaces() -> list[str]:
    """Names of the built-in (and registered) spaces.

    Example:
        >>> {"nb101", "nb201", "darts", "proxylessnas", "nbnlp", "nbasr", "nb360"} <= set(list_spaces())
        True
    """
    return list(_REGISTRY)


def get_space(name: str) -> SearchSpace:
    """A fresh built-in space by name, carrying its registered network; unknown names raise an error listing the
    known ones.

    Example:
        >>> get_space("nb201").size().total, get_space("nb201").network
        (15625, 'nas_complexity.networks._nb201:NB201Builder')
    """
    try:
        entry = _REGISTRY[name]
    except KeyError:
        raise UnknownSpaceError(name, list_spaces()) from None
    space = entry.factory()
    if entry.network is not None:  # set by registration only, never inferred from a space's name
        space.network = entry.network
    return space


# One line per built-in space: its factory and its network (the builder declares its own reference batch and memory).
register_space("nb101", _nb101, builder="nas_complexity.networks._nb101:NB101Builder")
register_space("nb201", _nb201, builder="nas_complexity.networks._nb201:NB201Builder")
register_space("darts", _darts, builder="nas_complexity.networks._darts:DartsBuilder")
register_space("proxylessnas", _proxylessnas, builder="nas_complexity.networks._mbconv:ProxylessBuilder")
register_space("nb360", _nb360, builder="nas_complexity.networks._nb360:NB360Builder")
register_space("mbconv-macro", _mbconv_macro, builder="nas_complexity.networks._mbconv:MacroBuilder")
register_space("tnb101-micro", _tnb101_micro, builder="nas_complexity.networks._nb201:TNBMicroBuilder")
register_space("tnb101-macro", _tnb101_macro, builder="nas_complexity.networks._tnb_macro:TNBMacroBuilder")
register_space("nbnlp", nbnlp_space, builder="nas_complexity.networks._nlp:NLPBuilder")
register_space("nbasr", nbasr_space, builder="nas_complexity.networks._asr:ASRBuilder")

# The library's own registrations: a name registered again by a user (with another definition) is not one of them.
_SHIPPED = dict(_REGISTRY)


def is_shipped(name: str) -> bool:
    """Whether ``name`` is registered as this version of the library ships it (its definition is the library's code).

    Example:
        >>> is_shipped("nb201"), is_shipped("no-such-space")
        (True, False)
    """
    return name in _SHIPPED and _REGISTRY.get(name) is _SHIPPED[name]
