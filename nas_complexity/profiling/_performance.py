"""Performance diversity before any training: the spread of a zero-cost proxy over sampled architectures.

Architectures are scored in rounds on an executor (a local process pool by default, or any
``concurrent.futures.Executor`` such as a Dask cluster's); after each round the SD of the robustly scaled proxy
and its bootstrap CI are computed, and sampling stops once the CI half-width is within ``target_rel_ci`` of the SD
(adaptive protocol), or after all architectures / 5 x 10,000 samples (the paper's protocol).

Every architecture's score depends only on (seed, its index in the sample), never on how the work was split, so
the same seed gives the same numbers on any executor.
"""
from __future__ import annotations

import math
import numbers
import threading
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from nas_complexity._deadline import Deadline
from nas_complexity._errors import NASComplexityError, ProfilingCancelled, ProfilingError
from nas_complexity.logging import get_logger
from nas_complexity.networks import NetworkBuilder, builder_factory, builder_names  # torch-free: builders load lazily
from nas_complexity.profiling._pool import local_process_pool, stop_pool, usable_cores
from nas_complexity.spaces import Architecture, SearchSpace

__all__ = ["BEST_SCORED_KEPT", "performance_diversity", "score_architectures", "ScoredArchitecture"]

BEST_SCORED_KEPT = 32
"""How many of the best-scoring architectures a profile keeps (``PerformanceDiversity.best_scored``): enough for a
zero-cost warm start of a few hundred trials; the rest of the scores are summarised by the SD."""

_log = get_logger(__name__)

_POLL_S = 0.2


@dataclass(frozen=True)
class ScoredArchitecture:
    """One architecture's proxy score, or why it failed."""

    index: int
    score: float | None
    failure: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class _Chunk:
    builder: str
    builder_options: dict[str, Any]
    proxy: str
    batch_size: int
    seed: int
    items: tuple[tuple[int, Architecture], ...]
    threads: int = 1
    inputs: Any = None


def _arch_seed(seed: int, index: int) -> int:
    # Independent of chunking and executor: the seed of architecture i is a pure function of (seed, i).
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


_PER_THREAD = threading.local()


def _worker_inputs(builder_name: str, options: dict[str, Any], batch_size: int, seed: int, need_batch: bool):
    """The builder and minibatch of this worker thread, built once per configuration.

    Building the minibatch (e.g. cropping the sample photos) costs about as much as scoring two NB201 networks, and
    every chunk a worker receives uses the same one. Builders reuse modules between architectures, so each thread
    (of a thread-pool executor) gets its own.
    """
    from nas_complexity.networks import get_builder

    cache = _PER_THREAD.__dict__.setdefault("inputs", {})
    key = (builder_name, repr(sorted(options.items())), batch_size, seed, need_batch)
    if key not in cache:
        if len(cache) >= 4:
            cache.clear()
        builder = get_builder(builder_name, **options)
        cache[key] = builder, (builder.minibatch(batch_size, seed=seed) if need_batch else None)
    return cache[key]


def _score_chunk(chunk: _Chunk, deadline: Deadline | None = None) -> list[ScoredArchitecture]:
    """Score a chunk of architectures (runs in a worker process; arguments are plain data).

    ``deadline`` is checked between architectures when the chunk runs in the calling process."""
    import time

    import torch

    from nas_complexity.proxies import score_architecture

    # torch's thread count is process-wide: when the chunk runs in the caller's process (one worker, or a profile
    # inside the Optuna hook), the caller gets its own count back.
    threads = torch.get_num_threads()
    torch.set_num_threads(chunk.threads)
    try:
        builder, minibatch = _worker_inputs(chunk.builder, chunk.builder_options, chunk.batch_size, chunk.seed,
                                            chunk.inputs is None)
        inputs = chunk.inputs if chunk.inputs is not None else minibatch
        out = []
        for index, arch in chunk.items:
            if deadline is not None:
                deadline.check("scoring architectures")
            t0 = time.perf_counter()
            result = score_architecture(builder, arch, proxy=chunk.proxy, inputs=inputs, seed=_arch_seed(chunk.seed, index))
            out.append(ScoredArchitecture(index, result.score, result.failure, time.perf_counter() - t0))
        return out
    finally:
        torch.set_num_threads(threads)


def score_architectures(
    builder: str,
    archs: Sequence[Architecture],
    *,
    proxy: str = "jacob_cov",
    batch_size: int = 64,
    seed: int = 0,
    executor: Executor | None = None,
    start_index: int = 0,
    chunk_size: int = 16,
    builder_options: dict[str, Any] | None = None,
    inputs: Any = None,
    on_scored: Callable[[int], None] | None = None,
    deadline: Deadline | None = None,
) -> list[ScoredArchitecture]:
    """Score ``archs`` with ``proxy`` on ``executor`` (serially in this process when ``None``); ``builder`` is a
    builder name or a ``"module:Class"`` path (a space's ``network``).

    Past ``deadline`` the chunks not yet started are cancelled and
    :class:`~nas_complexity.profiling.ProfilingCancelled` is raised (the caller stops a pool it owns).

    Example:
        >>> from nas_complexity.spaces import get_space
        >>> archs = get_space("nb201").sample(seed=0, n=2)
        >>> results = score_architectures("nb201", archs, batch_size=8, builder_options={"channels": 4, "num_cells": 1})
        >>> [r.index for r in results], all(r.score is not None or r.failure for r in results)
        ([0, 1], True)
    """
    items = [(start_index + i, a) for i, a in enumerate(archs)]
    chunks = [
        _Chunk(builder, dict(builder_options or {}), proxy, batch_size, seed, tuple(items[i : i + chunk_size]), inputs=inputs)
        for i in range(0, len(items), chunk_size)
    ]
    results: list[ScoredArchitecture] = []
    if executor is None:
        for chunk in chunks:
            results += _score_chunk(chunk, deadline)
            if on_scored is not None:
                on_scored(len(chunk.items))
    else:
        futures = {executor.submit(_score_chunk, c): len(c.items) for c in chunks}
        pending = set(futures)
        try:
            while pending:
                # Short waits, so that a deadline is noticed while chunks run (and progress moves per chunk).
                done, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                for future in done:
                    if on_scored is not None and future.exception() is None:
                        on_scored(futures[future])
                if deadline is not None:
                    deadline.check("scoring architectures")
        except ProfilingCancelled:
            for future in pending:
                future.cancel()
            raise
        results = [r for f in futures for r in f.result()]
    return sorted(results, key=lambda r: r.index)


def _sample_stream(space: SearchSpace, seed: int) -> Iterator[Architecture]:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xA5]))
    while True:
        yield space.sample(rng)


@dataclass
class _Progress:
    scores: list[float] = field(default_factory=list)
    archs: list[Architecture] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    n_failed: int = 0


def performance_diversity(
    space: SearchSpace,
    *,
    seed: int = 0,
    proxy: str = "jacob_cov",
    batch_size: int | None = None,
    scaling: str = "clip_minmax",
    target_rel_ci: float = 0.10,
    min_archs: int = 100,
    max_archs: int = 2_000,
    round_size: int | None = None,
    protocol: str = "adaptive",
    executor: Executor | None = None,
    workers: int | None = None,
    builder: str | None = None,
    builder_options: dict[str, Any] | None = None,
    inputs: Any = None,
    accuracy: Any = None,
    n_boot: int = 1000,
    progress: bool = False,
    deadline: Deadline | None = None,
):
    """Estimate the performance diversity of ``space`` from a zero-cost proxy on real networks.

    Args:
        space: the space; its ``network`` builds the networks (set by registration for the built-in spaces,
            never inferred from the space's name).
        seed: seeds the architecture sample, the minibatch, each network's initialisation and the bootstrap.
        proxy: zero-cost proxy name (``jacob_cov`` by default; see :mod:`nas_complexity.proxies`).
        batch_size: minibatch size N (jacob_cov is only comparable at a fixed N); default the builder's
            ``reference_batch`` (the N of the shared tables' stored values: 32 for nb101 and darts, else 64).
        scaling: how raw scores are made comparable (see :func:`nas_complexity.metrics.scale`).
        target_rel_ci: adaptive protocol: stop when the 95% CI half-width is at most this fraction of the SD.
        min_archs, max_archs: bounds on the number of scored architectures (adaptive protocol).
        protocol: ``adaptive`` (default), or ``paper``: all architectures when the space has at most 10,000,
            else the mean over 5 samples of 10,000.
        executor: where to score; default a local process pool with ``workers`` processes (default: the usable
            cores, fewer when the available memory cannot hold one scoring process per core, going by the
            builder's ``peak_memory_gb``).
        builder: a builder name (see :func:`nas_complexity.networks.builder_names`) or ``"module:Class"`` path
            to use instead of ``space.network``; ``builder_options`` go to it (e.g. ``{"channels": 8}``).
        inputs: a user minibatch (a tensor or an ``(inputs, targets)`` pair) or DataLoader (its first batch; its
            labels go to the loss-based proxies) instead of the built-in one.
        accuracy: optional ``callable(arch) -> float | None`` giving true accuracy from a table: adds ``pds``,
            ``kendall_tau`` and ``sd_accuracy`` over the scored architectures found in the table.
        deadline: a :class:`~nas_complexity.profiling.Deadline`: once passed, scoring stops, the process pool
            this function started is terminated and :class:`~nas_complexity.profiling.ProfilingCancelled` raised.
            The pool's workers also exit if this process dies.

    Returns:
        :class:`nas_complexity.metrics.PerformanceDiversity`.

    Example:
        >>> from nas_complexity.spaces import get_space
        >>> pd_ = performance_diversity(get_space("nb201"), workers=1, min_archs=10, max_archs=10, batch_size=8,
        ...                             builder_options={"channels": 4, "num_cells": 1}, n_boot=100)
        >>> pd_.n_samples + pd_.n_failed, pd_.ci[0] <= pd_.sd <= pd_.ci[1], pd_.pds is None
        (10, True, True)
    """
    from nas_complexity.metrics import PerformanceDiversity, kendall_tau, pds, scale, sd_with_ci

    if protocol not in ("adaptive", "paper"):
        raise ValueError(f"protocol must be 'adaptive' or 'paper', got {protocol!r}")
    if not 0 < target_rel_ci < 1:
        raise ValueError(f"target_rel_ci must be in (0, 1), got {target_rel_ci!r}")
    # Checked, not `or`-defaulted: 0 used to mean "the default" silently.
    _check_count("batch_size", batch_size, 1, "the minibatch size N, or None for the space's reference batch")
    _check_count("workers", workers, 1, "scoring processes, or None for the usable cores")
    _check_count("min_archs", min_archs, 3, "architectures scored at least (the SD needs 3 scores)")
    _check_count("max_archs", max_archs, 3, "architectures scored at most (the SD needs 3 scores)")
    from nas_complexity.proxies import get_proxy

    get_proxy(proxy)  # an unknown name fails here, listing the proxies, not inside a worker process
    builder_name, network = _network(space, builder, builder_options)
    batch_size = network.reference_batch if batch_size is None else batch_size
    inputs = _first_batch(inputs)
    inputs_text = _describe_inputs(network, builder_name, inputs)
    n_workers = _default_workers(network, batch_size) if workers is None else workers
    own_pool = executor is None and n_workers > 1
    if own_pool:
        executor = local_process_pool(n_workers)
    finished = False
    round_size = round_size or max(32, 16 * n_workers)
    try:
        if protocol == "paper":
            result = _paper_protocol(space, builder_name, proxy, batch_size, seed, scaling, executor, builder_options, inputs, accuracy, n_boot, progress, deadline)
            finished = True
            return replace(result, inputs=inputs_text)
        state = _Progress()
        stream = _sample_stream(space, seed)
        bar = _bar(progress, max_archs, f"{proxy} on {space.name}")
        sd = ci = None
        while len(state.scores) + state.n_failed < max_archs:
            if deadline is not None:
                deadline.check(f"performance diversity of {space.name}")
            want = min(round_size, max_archs - len(state.scores) - state.n_failed)
            archs = [next(stream) for _ in range(want)]
            start = len(state.scores) + state.n_failed
            results = score_architectures(
                builder_name, archs, proxy=proxy, batch_size=batch_size, seed=seed, executor=executor,
                start_index=start, builder_options=builder_options, inputs=inputs,
                chunk_size=max(1, math.ceil(want / max(1, 2 * n_workers))),
                on_scored=None if bar is None else bar.update, deadline=deadline,
            )
            _absorb(state, archs, results)
            if len(state.scores) >= max(min_archs, 3):
                sd, ci = sd_with_ci(state.scores, n_boot=n_boot, seed=seed, scaling=scaling)
                if sd > 0 and (ci[1] - ci[0]) / 2 <= target_rel_ci * sd:
                    break
        if bar is not None:
            bar.close()
        if len(state.scores) < 3:
            raise ProfilingError(
                f"only {len(state.scores)} of {len(state.scores) + state.n_failed} architectures of {space.name} could be "
                f"scored with {proxy}; failures: {state.failures}"
            )
        if sd is None:
            sd, ci = sd_with_ci(state.scores, n_boot=n_boot, seed=seed, scaling=scaling)
        extra = _accuracy_stats(state, accuracy, scaling, pds, kendall_tau, scale)
        half = (ci[1] - ci[0]) / 2
        finished = True
        return PerformanceDiversity(
            proxy=proxy, sd=round(float(sd), 6), ci=[round(float(ci[0]), 6), round(float(ci[1]), 6)],
            n_samples=len(state.scores), n_failed=state.n_failed, scaling=scaling, **extra,
            protocol="adaptive",
            note=_note(state, half, sd, target_rel_ci, batch_size),
            inputs=inputs_text,
            best_scored=_best_scored(state, proxy),
            value_effects=_value_effects(state, proxy),
            scored=(tuple(state.archs), tuple(state.scores)),
        )
    finally:
        if own_pool:
            if finished:
                executor.shutdown(wait=True)
            else:  # cancelled or failed: running chunks are of no use, stop them instead of waiting
                stop_pool(executor)


def _network(space: SearchSpace, builder: str | None, options: dict[str, Any] | None) -> tuple[str, NetworkBuilder]:
    """The builder that scores ``space`` (``builder`` if given, else the network the space carries, never one
    found through the space's name) and an instance of it, which says the reference batch, memory and inputs."""
    def hint() -> str:
        return (
            f"give performance_options={{'builder': NAME}} (one of {', '.join(builder_names())}) or register the "
            "space with nas_complexity.spaces.register_space(name, factory, builder='package.module:Class')"
        )

    target = builder if builder is not None else space.network
    if target is None:
        raise ProfilingError(
            f"no network for this space: no network builder for space {space.name!r}, so its performance diversity "
            f"cannot be estimated from a zero-cost proxy; {hint()}"
        )
    try:
        factory = builder_factory(target)
    except NASComplexityError as exc:
        raise ProfilingError(
            f"{exc} (so the performance diversity of {space.name!r} cannot be estimated from a zero-cost proxy); "
            f"{hint()}"
        ) from None
    return target, factory(**(options or {}))


def _check_count(name: str, value: Any, least: int, meaning: str) -> None:
    if value is None and name in ("batch_size", "workers"):
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ValueError(f"{name} must be an integer of at least {least} ({meaning}), got {value!r}")


def _default_workers(network: NetworkBuilder, batch_size: int) -> int:
    """Local cores, but no more processes than the available memory holds (a process killed by the kernel's
    out-of-memory killer would take the whole profile with it).

    A process needs the builder's measured ``peak_memory_gb`` at its ``reference_batch``, scaled up with the batch.
    """
    cores = usable_cores()
    peak = network.peak_memory_gb * max(1.0, batch_size / network.reference_batch)
    available = _available_memory_gb()
    if available is None:
        return cores
    fits = max(1, int(0.8 * available / peak))
    if fits < cores:
        _log.info("scoring %s networks on %d of %d cores: each process needs about %.1f GB and %.1f GB is available",
                  type(network).__name__, fits, cores, peak, available)
    return min(cores, fits)


def _available_memory_gb() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2**20
    except OSError:  # not Linux: trust the core count
        return None
    return None


def _note(state: _Progress, half: float, sd: float, target: float, batch_size: int) -> str:
    parts = [f"batch {batch_size}"]
    if sd:
        parts.append(f"CI half-width {half / sd:.1%} of the SD (target {target:.0%})")
    if state.failures:
        parts.append("failures: " + ", ".join(f"{k} x{v}" for k, v in sorted(state.failures.items())))
    return "; ".join(parts)


def _describe_inputs(network: NetworkBuilder, builder_name: str, inputs: Any) -> str:
    """What the proxy was computed on, in words (the report says it; e.g. EEG standing in for EMG)."""
    if inputs is not None:
        return f"user-supplied batch of shape {list(inputs[0].shape)}"
    try:
        return str(network.input_description)
    except Exception as exc:  # the description is informative only; scoring reports real input problems
        return f"built-in minibatch of the {builder_name} builder (description unavailable: {exc})"


def _first_batch(inputs: Any) -> Any:
    """A user minibatch as an ``(inputs, targets or None)`` pair (unwrapped once here, not in every worker)."""
    if inputs is None:
        return None
    import torch

    from nas_complexity.proxies import first_batch

    if not isinstance(inputs, (torch.Tensor, tuple, list, torch.utils.data.DataLoader)):
        raise TypeError(f"inputs must be a torch.Tensor or a torch DataLoader, got {type(inputs).__name__}")
    return first_batch(inputs)


def _absorb(state: _Progress, archs: Sequence[Architecture], results: Sequence[ScoredArchitecture]) -> None:
    for arch, res in zip(archs, results):
        if res.score is None or not math.isfinite(res.score):
            state.n_failed += 1
            reason = (res.failure or "non-finite score").split(":")[0]
            state.failures[reason] = state.failures.get(reason, 0) + 1
        else:
            state.scores.append(float(res.score))
            state.archs.append(arch)


def _value_effects(state: _Progress, proxy: str) -> dict[str, dict[str, float]]:
    """The proxy's main effect of each parameter value over the scored architectures (a proxy-guided mutation's)."""
    from nas_complexity.metrics import value_effects
    from nas_complexity.proxies import get_proxy

    return value_effects(state.archs, state.scores, higher_is_better=get_proxy(proxy).higher_is_better)


def _best_scored(state: _Progress, proxy: str) -> list[dict[str, Any]]:
    """The :data:`BEST_SCORED_KEPT` best-scoring distinct architectures, best first, as the proxy orders them."""
    from nas_complexity.proxies import get_proxy

    sign = -1.0 if get_proxy(proxy).higher_is_better else 1.0
    order = sorted(range(len(state.scores)), key=lambda i: (sign * state.scores[i], i))
    kept: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i in order:
        key = repr(sorted(state.archs[i].items()))
        if key not in seen:  # a sample may draw one architecture twice
            seen.add(key)
            kept.append({"architecture": dict(state.archs[i]), "score": float(state.scores[i])})
        if len(kept) == BEST_SCORED_KEPT:
            break
    return kept


def _accuracy_stats(state: _Progress, accuracy: Any, scaling: str, pds, kendall_tau, scale) -> dict[str, Any]:
    if accuracy is None:
        return {"pds": None, "kendall_tau": None, "sd_accuracy": None}
    pairs = [(s, accuracy(a)) for s, a in zip(state.scores, state.archs)]
    pairs = [(s, acc) for s, acc in pairs if acc is not None and math.isfinite(acc)]
    if len(pairs) < 3:
        return {"pds": None, "kendall_tau": None, "sd_accuracy": None}
    from nas_complexity.metrics import spearman_rho

    proxy_vals = np.array([p[0] for p in pairs])
    acc_vals = np.array([p[1] for p in pairs])
    return {
        "pds": round(float(pds(proxy_vals, acc_vals, scaling=scaling)), 6),
        "kendall_tau": round(float(kendall_tau(proxy_vals, acc_vals)), 6),
        "sd_accuracy": round(scale(acc_vals, scaling).sd(), 6),
        "n_accuracy": len(pairs),
        "spearman": round(float(spearman_rho(proxy_vals, acc_vals)), 6),
    }


def _bar(enabled: bool, total: int, desc: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="arch", leave=False)


PAPER_SAMPLE = 10_000
PAPER_REPEATS = 5


def _paper_protocol(space, builder_name, proxy, batch_size, seed, scaling, executor, builder_options, inputs, accuracy, n_boot, progress, deadline=None):
    """All architectures of a small space, else the mean over 5 random samples of 10,000 (the paper's protocol)."""
    from nas_complexity.metrics import measure_size
    from nas_complexity.metrics import PerformanceDiversity, kendall_tau, pds, scale, sd_with_ci

    size = measure_size(space)
    if size.total is not None and size.total <= 2 * PAPER_SAMPLE and space.is_discrete:
        sets = [list(space.enumerate())]
    else:
        sets = [space.sample(np.random.default_rng([seed, k]), n=PAPER_SAMPLE) for k in range(PAPER_REPEATS)]
    sds, cis, states = [], [], []
    bar = _bar(progress, sum(len(archs) for archs in sets), f"{proxy} on {space.name} (paper protocol)")
    for k, archs in enumerate(sets):
        state = _Progress()
        results = score_architectures(
            builder_name, archs, proxy=proxy, batch_size=batch_size, seed=seed + k, executor=executor,
            builder_options=builder_options, inputs=inputs, chunk_size=32,
            on_scored=None if bar is None else bar.update, deadline=deadline,
        )
        _absorb(state, archs, results)
        if len(state.scores) < 3:
            raise ProfilingError(f"only {len(state.scores)} architectures of {space.name} could be scored; {state.failures}")
        sd, ci = sd_with_ci(state.scores, n_boot=n_boot, seed=seed, scaling=scaling)
        sds.append(sd)
        cis.append(ci)
        states.append(state)
    if bar is not None:
        bar.close()
    if len(sds) == 1:
        sd, ci = sds[0], cis[0]
    else:
        # Mean of the repeats with a t interval over them (4 degrees of freedom for 5 repeats).
        from scipy import stats

        sd = float(np.mean(sds))
        half = float(stats.t.ppf(0.975, len(sds) - 1) * np.std(sds, ddof=1) / np.sqrt(len(sds)))
        ci = (sd - half, sd + half)
    merged = _Progress()
    for st in states:
        merged.scores += st.scores
        merged.archs += st.archs
        merged.n_failed += st.n_failed
        for key, value in st.failures.items():
            merged.failures[key] = merged.failures.get(key, 0) + value
    extra = _accuracy_stats(merged, accuracy, scaling, pds, kendall_tau, scale)
    return PerformanceDiversity(
        proxy=proxy, sd=round(float(sd), 6), ci=[round(float(ci[0]), 6), round(float(ci[1]), 6)],
        n_samples=len(merged.scores), n_failed=merged.n_failed, scaling=scaling, **extra,
        protocol="paper: all architectures" if len(sets) == 1 else f"paper: mean over {len(sets)} samples of {PAPER_SAMPLE:,}",
        note=_note(merged, (ci[1] - ci[0]) / 2, sd, 1.0, batch_size),
        best_scored=_best_scored(merged, proxy),
        value_effects=_value_effects(merged, proxy),
        scored=(tuple(merged.archs), tuple(merged.scores)),
    )
