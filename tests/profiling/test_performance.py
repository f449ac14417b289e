"""Performance diversity on real networks: adaptive stopping, failures, protocols, executors, accuracy tables."""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

from nas_complexity._errors import ProfilingError
from nas_complexity.metrics import sd_with_ci
from nas_complexity.profiling import profile
from nas_complexity.profiling._performance import (
    performance_diversity,
    score_architectures,
)
from nas_complexity.spaces import Categorical, EdgeCell, SearchSpace, get_space
from nas_complexity.spaces._builtin import NB201_OPS

pytest.importorskip("torch")

# NB201 networks at a tenth of the width and one cell per stage: the same code paths, a fraction of the time.
SMALL = {"builder_options": {"channels": 4, "num_cells": 1}, "batch_size": 8, "n_boot": 200}
EDGES = ("cell/0_1", "cell/0_2", "cell/1_2", "cell/0_3", "cell/1_3", "cell/2_3")


def _dead_heavy_space() -> SearchSpace:
    """NB201 cells whose edges are only ``none`` or a 3x3 convolution: about 40% cut the input off the output."""
    return SearchSpace("nb201-dead-heavy", [Categorical(edge, ("none", "nor_conv_3x3")) for edge in EDGES])


def test_adaptive_sampling_stops_once_the_interval_is_tight_enough() -> None:
    loose = performance_diversity(get_space("nb201"), seed=0, workers=1, target_rel_ci=0.5, min_archs=20,
                                  round_size=10, max_archs=200, **SMALL)
    assert loose.n_samples + loose.n_failed < 200
    half = (loose.ci[1] - loose.ci[0]) / 2
    assert half <= 0.5 * loose.sd
    assert loose.protocol == "adaptive" and loose.scaling == "clip_minmax"
    # A target it cannot reach runs to max_archs and says how far it got.
    tight = performance_diversity(get_space("nb201"), seed=0, workers=1, target_rel_ci=0.01, min_archs=20,
                                  round_size=10, max_archs=40, **SMALL)
    assert tight.n_samples + tight.n_failed == 40
    assert "target 1%" in tight.note


def test_failures_are_counted_with_their_reason_and_kept_out_of_the_spread() -> None:
    space = _dead_heavy_space()
    result = performance_diversity(space, builder="nb201", seed=1, workers=1, min_archs=30, max_archs=60,
                                   round_size=30, target_rel_ci=0.99, **SMALL)
    assert result.n_failed > 0
    assert "dead network" in result.note
    # Recompute the SD from the scores of exactly the architectures that did not fail.
    archs = [a for a in _stream(space, 1, result.n_samples + result.n_failed)]
    scored = score_architectures("nb201", archs, seed=1, batch_size=8, builder_options=SMALL["builder_options"])
    ok = [r.score for r in scored if r.score is not None]
    assert len(ok) == result.n_samples
    sd, _ = sd_with_ci(ok, n_boot=0)
    assert result.sd == pytest.approx(sd, abs=1e-6)


def _stream(space: SearchSpace, seed: int, n: int):
    from nas_complexity.profiling._performance import _sample_stream

    stream = _sample_stream(space, seed)
    return [next(stream) for _ in range(n)]


def test_all_failing_is_an_error_that_profile_records_instead_of_raising() -> None:
    all_dead = SearchSpace("nb201-all-dead", [Categorical(edge, ("none",)) for edge in EDGES])
    with pytest.raises(ProfilingError, match="dead network"):
        performance_diversity(all_dead, builder="nb201", workers=1, min_archs=5, max_archs=5, **SMALL)
    report = profile(all_dead, performance_options={"builder": "nb201", "workers": 1, "max_archs": 5, **SMALL})
    assert report.performance_diversity["sd"] is None
    assert "dead network" in report.performance_diversity["note"]
    assert report.warnings


def test_a_space_without_a_network_builder_profiles_with_the_reason() -> None:
    hpo = SearchSpace("optimizer-only", [Categorical("optimizer", ("sgd", "adam"))])
    report = profile(hpo)
    assert report.performance_diversity["sd"] is None
    assert "no network builder for space 'optimizer-only'" in report.performance_diversity["note"]
    assert report.size.total == 2


def test_same_seed_same_numbers_on_any_executor() -> None:
    options = dict(seed=3, min_archs=24, max_archs=24, round_size=24, **SMALL)
    serial = performance_diversity(get_space("nb201"), workers=1, **options)
    with ProcessPoolExecutor(max_workers=2) as pool:
        processes = performance_diversity(get_space("nb201"), executor=pool, workers=2, **options)
    with ThreadPoolExecutor(max_workers=3) as pool:
        threads = performance_diversity(get_space("nb201"), executor=pool, workers=3, **options)
    assert serial == processes == threads
    other_seed = performance_diversity(get_space("nb201"), workers=1, **{**options, "seed": 4})
    assert other_seed.sd != serial.sd


def test_progress_counts_each_chunk_as_it_finishes() -> None:
    archs = get_space("nb201").sample(seed=0, n=10)
    counts: list[int] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        score_architectures("nb201", archs, batch_size=8, builder_options=SMALL["builder_options"], executor=pool,
                            chunk_size=3, on_scored=counts.append)
    assert sorted(counts) == [1, 3, 3, 3]


def test_dask_distributed_local_cluster_gives_the_same_numbers() -> None:
    distributed = pytest.importorskip("distributed")
    options = dict(seed=5, min_archs=16, max_archs=16, round_size=16, **SMALL)
    serial = performance_diversity(get_space("nb201"), workers=1, **options)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster, distributed.Client(cluster) as client:
        on_dask = performance_diversity(get_space("nb201"), executor=client.get_executor(), workers=2, **options)
    assert on_dask == serial


def test_paper_protocol_scores_every_architecture_of_a_small_space() -> None:
    space = SearchSpace("nb201-tiny", [Categorical(edge, ("skip_connect", "nor_conv_1x1")) for edge in EDGES[:3]]
                        + [Categorical(edge, ("skip_connect",)) for edge in EDGES[3:]])
    result = performance_diversity(space, builder="nb201", protocol="paper", workers=1, **SMALL)
    assert result.protocol == "paper: all architectures"
    assert result.n_samples + result.n_failed == 8


def test_accuracy_gives_pds_and_kendall_tau_over_the_scored_architectures() -> None:
    # A stand-in accuracy that is an exact function of the architecture: the number of 3x3 convolutions.
    def convs(arch):
        return float(sum(v == "nor_conv_3x3" for v in arch.values()))

    result = performance_diversity(get_space("nb201"), seed=0, workers=1, min_archs=30, max_archs=30,
                                   accuracy=convs, **SMALL)
    assert result.pds is not None and 0 <= result.pds <= 2
    assert -1 <= result.kendall_tau <= 1 and -1 <= result.spearman <= 1
    assert result.sd_accuracy > 0 and result.n_accuracy == result.n_samples


def test_user_minibatch_tensor_and_dataloader() -> None:
    import torch

    x = torch.randn(8, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    options = dict(seed=0, workers=1, min_archs=10, max_archs=10, builder_options={"channels": 4, "num_cells": 1},
                   n_boot=50)
    from_tensor = performance_diversity(get_space("nb201"), inputs=x, **options)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, torch.zeros(8)), batch_size=8)
    from_loader = performance_diversity(get_space("nb201"), inputs=loader, **options)
    assert from_tensor == from_loader
    builtin = performance_diversity(get_space("nb201"), batch_size=8, **options)
    assert builtin.sd != from_tensor.sd
    with pytest.raises(TypeError, match="torch.Tensor or a torch DataLoader"):
        performance_diversity(get_space("nb201"), inputs=np.zeros((8, 3, 32, 32)), **options)


@pytest.mark.parametrize("bad", [{"protocol": "all"}, {"target_rel_ci": 0.0}, {"target_rel_ci": 1.5}])
def test_bad_options_name_the_option(bad) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        performance_diversity(get_space("nb201"), workers=1, **bad)


def test_unknown_proxy_lists_the_available_ones() -> None:
    from nas_complexity._errors import NASComplexityError

    with pytest.raises(NASComplexityError, match="unknown proxy 'jacobcov'; available: .*jacob_cov"):
        performance_diversity(get_space("nb201"), proxy="jacobcov", workers=1)


# ------------------------------------------------------------------------------ the space owns its network


def test_a_users_space_named_like_a_builtin_does_not_get_its_network() -> None:
    lr_only = SearchSpace("nb201", [Categorical("lr", (0.1, 0.01, 0.001))])
    report = profile(lr_only)
    assert report.performance_diversity["sd"] is None
    assert report.performance_diversity["note"].startswith("not available: no network for this space")
    assert report.size.total == 3


def test_the_spaces_network_builds_its_networks_whatever_its_name() -> None:
    options = dict(seed=0, workers=1, min_archs=10, max_archs=10, **SMALL)
    cells = SearchSpace("my-cells", structures=[EdgeCell("cell", 4, NB201_OPS)],
                        network="nas_complexity.networks._nb201:NB201Builder")
    assert performance_diversity(cells, **options) == performance_diversity(get_space("nb201"), **options)
    with pytest.raises(ProfilingError, match="no network builder for space 'nope'"):
        performance_diversity(cells, builder="nope", **options)


def test_reference_batch_and_memory_come_from_the_builder(monkeypatch) -> None:
    from nas_complexity.networks import get_builder
    from nas_complexity.profiling import _performance

    monkeypatch.setattr(_performance, "usable_cores", lambda: 8)
    monkeypatch.setattr(_performance, "_available_memory_gb", lambda: 5.0)
    assert _performance._default_workers(get_builder("nb201"), 64) == 4  # 0.8 * 5 GB / 1.0 GB
    assert _performance._default_workers(get_builder("darts"), 32) == 2  # 0.8 * 5 GB / 1.4 GB
    assert _performance._default_workers(get_builder("darts"), 64) == 1  # twice the reference batch: 2.8 GB
    darts = performance_diversity(get_space("darts"), workers=1, min_archs=3, max_archs=3, n_boot=10,
                                  builder_options={"channels": 4, "num_cells": 3})
    assert darts.note.startswith("batch 32")


def test_scoring_in_this_process_gives_torch_its_thread_count_back():
    """An in-process profile (one worker, e.g. inside the Optuna hook) left the user's torch on one thread."""
    import torch

    from nas_complexity.profiling import performance_diversity
    from nas_complexity.spaces import get_space

    before = torch.get_num_threads()
    torch.set_num_threads(max(2, before))
    try:
        expected = torch.get_num_threads()
        performance_diversity(get_space("nb201"), workers=1, min_archs=3, max_archs=3, batch_size=4,
                              builder_options={"channels": 4, "num_cells": 1}, n_boot=10)
        assert torch.get_num_threads() == expected
    finally:
        torch.set_num_threads(before)


def test_the_profile_keeps_its_best_scored_architectures_for_a_warm_start():
    from nas_complexity.metrics import PerformanceDiversity
    from nas_complexity.profiling import performance_diversity
    from nas_complexity.profiling._performance import BEST_SCORED_KEPT
    from nas_complexity.spaces import get_space

    space = get_space("nb201")
    result = performance_diversity(space, workers=1, min_archs=40, max_archs=40, batch_size=4,
                                   builder_options={"channels": 4, "num_cells": 1}, n_boot=10)
    best = result.best_scored
    scores = [b["score"] for b in best]
    assert 0 < len(best) <= min(BEST_SCORED_KEPT, result.n_samples)
    assert scores == sorted(scores, reverse=True)  # jacob_cov: higher is better, best first
    assert len({repr(sorted(b["architecture"].items())) for b in best}) == len(best)
    assert all(space.validate(b["architecture"]) == b["architecture"] for b in best)
    assert PerformanceDiversity.from_dict(result.to_dict()) == result
    assert PerformanceDiversity.from_dict({k: v for k, v in result.to_dict().items() if k != "best_scored"}).best_scored == []
    # The proxy's main effect of every value over the scored networks (what a guided mutation reads).
    from nas_complexity.metrics import value_key

    effects = result.value_effects
    assert set(effects) == {p.name for p in space.all_params}
    for p in space.all_params:
        assert set(effects[p.name]) <= {value_key(v) for v in p.choices}
        assert all(-0.5 <= e <= 0.5 for e in effects[p.name].values())
    assert PerformanceDiversity.from_dict(result.to_dict()).value_effects == effects
