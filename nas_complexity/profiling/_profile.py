"""Profile a space: measure its four properties and assemble a :class:`ComplexityReport`."""
from __future__ import annotations

import numbers
import time
from dataclasses import replace
from typing import Any, Callable

from nas_complexity._deadline import Deadline, checked
from nas_complexity._errors import ProfilingCancelled, ProfilingError
from nas_complexity.logging import get_logger
from nas_complexity.metrics import (
    DEFAULT_ENUMERATE_LIMIT,
    PerformanceDiversity,
    architecture_diversity,
    measure_size,
    multi_task,
)
from nas_complexity.report import ComplexityReport
from nas_complexity.spaces import Architecture, SearchSpace

__all__ = ["profile", "architectures_for_diversity", "CUT_SHORT_PROTOCOL", "DEFAULT_SAMPLES", "ALL_ARCHITECTURES_LIMIT"]

CUT_SHORT_PROTOCOL = "stopped at performance_timeout"
"""The ``protocol`` of a performance diversity whose scoring its stage's time limit stopped (another run, less
loaded or with more time, may finish it: such a profile is not cached)."""

_log = get_logger(__name__)

DEFAULT_SAMPLES = 10_000
"""Architectures sampled for architecture diversity when the space is too large to use all of them (paper: 10,000)."""

ALL_ARCHITECTURES_LIMIT = 20_000
"""Spaces with at most this many architectures use all of them, as the paper's protocol does."""


def resolve_space(space: Any) -> SearchSpace:
    """A :class:`SearchSpace` from anything :func:`nas_complexity.adapters.from_any` reads (the one resolver).

    Example:
        >>> resolve_space("nb201").name, resolve_space({"lr": {"_type": "loguniform", "_value": [1e-4, 0.1]}}).is_discrete
        ('nb201', False)
    """
    # Imported here: the adapters import optional frameworks (Optuna, NNI) lazily, and sit above this layer.
    from nas_complexity.adapters import from_any

    return from_any(space)


def _progress(iterable, total: int | None, desc: str, enabled: bool):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="arch", leave=False, mininterval=0.5)


def architectures_for_diversity(
    space: SearchSpace,
    total: int | None,
    seed: int,
    samples: int | None,
    progress: bool = False,
    deadline: Deadline | None = None,
) -> tuple[list[Architecture], str]:
    """All architectures when the space is small enough (``enumerated``), else a seeded sample (``sampled``)."""
    limit = ALL_ARCHITECTURES_LIMIT if samples is None else samples
    if space.is_discrete and total is not None and total <= limit and (space.raw_count() or 0) <= DEFAULT_ENUMERATE_LIMIT:
        archs = _progress(space.enumerate(), total, f"enumerating {space.name}", progress)
        return list(checked(archs, deadline, f"enumerating {space.name}")), "enumerated"
    n = DEFAULT_SAMPLES if samples is None else samples
    import numpy as np

    rng = np.random.default_rng(seed)
    draws = checked(_progress(range(n), n, f"sampling {space.name}", progress), deadline, f"sampling {space.name}")
    return [space.sample(rng) for _ in draws], "sampled"


def _enumerate_once(
    space: SearchSpace, samples: int | None, progress: bool, deadline: Deadline | None = None
) -> list[Architecture] | None:
    """All architectures when both the size count and architecture diversity would enumerate them anyway."""
    limit = ALL_ARCHITECTURES_LIMIT if samples is None else samples
    raw = space.raw_count() if space.is_discrete else None
    needs_enumeration = space.has_constraints or space.has_canonical_form
    if raw is None or not needs_enumeration or raw > min(limit, DEFAULT_ENUMERATE_LIMIT):
        return None
    archs = _progress(space.enumerate(), raw, f"enumerating {space.name}", progress)
    return list(checked(archs, deadline, f"enumerating {space.name}"))


def profile(
    space: Any,
    *,
    seed: int = 0,
    samples: int | None = None,
    performance: bool = True,
    progress: bool = False,
    performance_options: dict[str, Any] | None = None,
    on_stage: Callable[[str], None] | None = None,
    deadline: Deadline | None = None,
    performance_timeout: float | None = None,
) -> ComplexityReport:
    """Profile ``space`` and return its :class:`ComplexityReport`.

    Args:
        space: a :class:`SearchSpace`, a built-in name (``"nb201"``), or anything
            :func:`nas_complexity.adapters.from_any` accepts (Optuna distributions or study, NNI spaces).
        seed: seed of every random step (sampling, minibatches, initialisation, bootstrap).
        samples: architectures used for architecture diversity when not all are used (default: all when the
            space has at most 20,000, else 10,000 sampled).
        performance: also estimate performance diversity from the jacob_cov proxy on real networks (needs torch
            and a network builder for the space; otherwise reported as not available, with the reason).
        progress: show progress bars (stderr) on long steps.
        performance_options: options of :func:`nas_complexity.profiling.performance_diversity`
            (``proxy``, ``batch_size``, ``executor``, ``target_rel_ci``...).
        on_stage: called with the name of each stage as it starts.
        deadline: a :class:`~nas_complexity.profiling.Deadline`; every long loop checks it and, once it has
            passed, stops (scoring processes included) and raises
            :class:`~nas_complexity.profiling.ProfilingCancelled`.
        performance_timeout: seconds the performance-diversity stage may take; past them its scoring stops and
            the rest of the profile stands, with performance diversity reported as not available and why
            (``None``: no limit of its own, only ``deadline``).

    Example:
        >>> report = profile("nb201", performance=False)
        >>> report.size.total, report.size.unique, report.multi_task.n_tasks
        (15625, 6466, 3)
    """
    # Checked before any work: samples=0 used to fall through to "no architectures" and silently drop a property.
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, numbers.Integral) or samples < 1):
        raise ValueError(
            f"samples must be a positive integer (architectures for architecture diversity) or None (all "
            f"architectures up to {ALL_ARCHITECTURES_LIMIT:,}, else {DEFAULT_SAMPLES:,} sampled), got {samples!r}"
        )
    space = resolve_space(space)
    timings: dict[str, float] = {}
    warnings: list[str] = []

    def stage(name: str) -> None:
        if on_stage is not None:
            on_stage(name)

    stage("size")
    t0 = time.perf_counter()
    enumerated = _enumerate_once(space, samples, progress, deadline)
    size = measure_size(space, architectures=enumerated, deadline=deadline)
    timings["size_s"] = round(time.perf_counter() - t0, 3)

    stage("architecture diversity")
    t0 = time.perf_counter()
    if enumerated is not None:
        archs, method = enumerated, "enumerated"
    else:
        archs, method = architectures_for_diversity(space, size.total, seed, samples, progress, deadline)
    arch_div = architecture_diversity(space, checked(archs, deadline, "architecture diversity"), method)
    timings["architecture_diversity_s"] = round(time.perf_counter() - t0, 3)

    perf: PerformanceDiversity | None = None
    if performance:
        stage("performance diversity")
        t0 = time.perf_counter()
        from nas_complexity.profiling._performance import performance_diversity

        stage_deadline = deadline
        if performance_timeout is not None:
            stage_deadline = (deadline or Deadline(None)).within(performance_timeout)
        try:
            perf = performance_diversity(
                space, seed=seed, progress=progress, deadline=stage_deadline, **(performance_options or {})
            )
        except ProfilingCancelled as exc:
            if deadline is not None and deadline.expired or performance_timeout is None:
                raise  # the whole profile is out of time, not only this stage
            proxy = (performance_options or {}).get("proxy", "jacob_cov")
            perf = replace(PerformanceDiversity.unavailable(proxy, f"not available: {exc} (performance_timeout="
                                                           f"{performance_timeout:g} s; raise it, or lower max_archs "
                                                           "or batch_size in performance_options)"),
                           protocol=CUT_SHORT_PROTOCOL)
            warnings.append(perf.note)
            _log.warning("performance diversity of %s %s", space.name, perf.note)
        except (ImportError, ProfilingError) as exc:
            # The rest of the profile stands; the missing figure is reported as such, never invented.
            proxy = (performance_options or {}).get("proxy", "jacob_cov")
            perf = PerformanceDiversity.unavailable(proxy, f"not available: {exc}")
            warnings.append(perf.note)
            _log.warning("performance diversity of %s %s", space.name, perf.note)
        timings["performance_diversity_s"] = round(time.perf_counter() - t0, 3)

    stage("landscape")
    t0 = time.perf_counter()
    proxy_landscape = _proxy_landscape(space, perf, warnings, deadline)
    accuracy = (performance_options or {}).get("accuracy") if performance else None
    true_landscape = _table_landscape(space, accuracy, seed, warnings, deadline)
    timings["landscape_s"] = round(time.perf_counter() - t0, 3)

    report = ComplexityReport(
        space=space.name,
        size=size,
        architecture_diversity=arch_div,
        multi_task=multi_task(space),
        performance_diversity=perf,
        landscape=proxy_landscape,
        landscape_true_metric=true_landscape,
        parameters=parameter_counts(space),
        description=space.description,
        seed=seed,
        timings=timings,
        warnings=warnings,
    )
    _log.debug("profiled %s in %.2fs", space.name, sum(timings.values()))
    return report


def _proxy_landscape(space: SearchSpace, perf: PerformanceDiversity | None, warnings: list[str],
                     deadline: Deadline | None) -> dict[str, Any] | None:
    """The proxy's landscape over the architectures the profile scored (``None`` when none were scored)."""
    if perf is None or not perf.scored[0]:
        return None
    from nas_complexity.metrics import landscape_of_scores
    from nas_complexity.proxies import get_proxy

    def measure() -> Any:
        direction = "maximize" if get_proxy(perf.proxy).higher_is_better else "minimize"
        return landscape_of_scores(space, *perf.scored, direction=direction, source=source, deadline=deadline)

    source = f"proxy ({perf.proxy})"
    return _optional_landscape(space, source, measure, warnings)


def _table_landscape(space: SearchSpace, accuracy: Callable[[Architecture], float | None] | None, seed: int,
                     warnings: list[str], deadline: Deadline | None) -> dict[str, Any] | None:
    """The true metric's landscape when the profile was given a table's lookup (higher is better in every
    registered table: accuracy, SSIM or negative loss), sampled within the default budget of fitness calls."""
    if accuracy is None:
        return None
    from nas_complexity.metrics import landscape

    return _optional_landscape(
        space, "true metric", lambda: landscape(space, accuracy, seed=seed, source="true metric", deadline=deadline),
        warnings)


def _optional_landscape(space: SearchSpace, source: str, measure: Callable[[], Any],
                        warnings: list[str]) -> dict[str, Any]:
    """``measure()`` as a dict; a failure is a missing measure, never a failed profile: it is reported as not
    available, with the reason, and recorded in the report's warnings (a cancellation still stops the profile)."""
    from nas_complexity.metrics import Landscape

    try:
        return measure().to_dict()
    except ProfilingCancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - any fault in an optional measure leaves the profile standing
        note = f"not available: {type(exc).__name__}: {exc}"
        warnings.append(f"landscape ({source}) {note}")
        _log.warning("landscape (%s) of %s %s", source, space.name, note)
        return Landscape.unavailable(note, source=source).to_dict()


def parameter_counts(space: SearchSpace) -> dict[str, Any]:
    """How many parameters of each kind the space has, and the space's declared ``kind`` (the decision policy
    reads these).

    Example:
        >>> from nas_complexity.spaces import get_space
        >>> counts = parameter_counts(get_space("mbconv-macro"))
        >>> counts["kind"], counts["n_params"]
        ('architecture', 8)
    """
    from nas_complexity.spaces import Categorical

    params = space.all_params
    return {
        "kind": space.kind,
        "n_params": len(params),
        "n_categorical": sum(isinstance(p, Categorical) for p in params),
        "n_numeric": sum(not isinstance(p, Categorical) for p in params),
        "n_continuous": sum(not p.is_discrete for p in params),
        "n_conditional": sum(p.condition is not None for p in params),
    }
