"""Reference profiles of the built-in spaces: where a report's numbers sit among them.

The reference file is the output of ``benchmarks/profile_all_spaces.py --write-reference`` (never edited by
hand); the packaged copy is ``nas_complexity/report/reference_profiles.json``. It holds, per built-in space, the
value of each spider-chart axis (:data:`nas_complexity.report.AXES`) and how it was measured, so a chart can be
scaled against fixed ranges and a single report can be put in words ("low among the built-in spaces").

Example:
    >>> from nas_complexity.report import load_reference, reference_range
    >>> lo, hi = reference_range("size (log10)")
    >>> lo <= hi
    True
"""
from __future__ import annotations

import copy
import functools
import json
import math
from pathlib import Path
from typing import Any, Sequence

from nas_complexity._errors import NASComplexityError
from nas_complexity.report._plot import AXES, spider_values
from nas_complexity.report._report import ComplexityReport, format_count

__all__ = [
    "REFERENCE_FILE",
    "ReferenceFileError",
    "compare_to_reference",
    "load_reference",
    "reference_info",
    "reference_range",
    "reference_values",
]

REFERENCE_FILE = Path(__file__).with_name("reference_profiles.json")
"""The packaged reference profiles (written by ``benchmarks/profile_all_spaces.py --write-reference``)."""

_FORMAT = 1  # layout version written by the benchmark script (REFERENCE_FORMAT there)

# How many decimals each axis is quoted with in sentences and chart labels.
_DECIMALS = {AXES[0]: 2, AXES[1]: 3, AXES[2]: 3, AXES[3]: 0}


class ReferenceFileError(NASComplexityError, ValueError):
    """The reference-profile file is missing, not JSON, or not laid out as the benchmark script writes it.

    The message names the file and says how to regenerate it.
    """

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(
            f"reference profiles {path}: {problem}. Regenerate it with "
            "`python benchmarks/profile_all_spaces.py --write-reference PATH` or pass a valid file"
        )


# ------------------------------------------------------------------------------------------------ loading
@functools.lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int) -> dict[str, Any]:
    # Keyed on the modification time so a regenerated file is read again within one process.
    file = Path(path)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ReferenceFileError(file, f"not UTF-8 text ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise ReferenceFileError(file, f"not valid JSON ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("spaces"), list):
        raise ReferenceFileError(file, "expected a JSON object with a 'spaces' list")
    if document.get("format") != _FORMAT:
        raise ReferenceFileError(file, f"format {document.get('format')!r}, this library reads format {_FORMAT}")
    for i, entry in enumerate(document["spaces"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ReferenceFileError(file, f"entry {i} of 'spaces' is not an object with a 'name'")
    return document


def _document(path: str | Path | None) -> dict[str, Any]:
    file = REFERENCE_FILE if path is None else Path(path)
    try:
        mtime = file.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise ReferenceFileError(file, "file not found") from exc
    except OSError as exc:
        raise ReferenceFileError(file, f"cannot be read ({exc})") from exc
    return _read(str(file.resolve()), mtime)


def load_reference(path: str | Path | None = None) -> list[dict]:
    """The per-space entries of a reference-profile file (default: the packaged one).

    Each entry has ``name``, ``available`` (``False`` with a ``reason`` when the space could not be profiled),
    ``size`` {``log10``, ``total``, ``unique``, ``provenance``}, ``performance_diversity`` {``available``,
    ``sd``, ``ci95``, ``n_scored``, ``proxy``, ``scaling``, ...}, ``architecture_diversity``, ``n_tasks`` and
    ``tasks``. The entries are copies: changing them does not change later calls.

    Raises:
        ReferenceFileError: the file is missing or corrupt (the message names it).

    Example:
        >>> entries = load_reference()
        >>> all(isinstance(e["name"], str) for e in entries), len(entries) > 0
        (True, True)
    """
    return copy.deepcopy(_document(path)["spaces"])


def reference_info(path: str | Path | None = None) -> dict[str, Any]:
    """How the reference profiles were measured: command line, date, library version, proxy, scaling, the cap
    on scored architectures (``max_archs``) and seed.

    Example:
        >>> info = reference_info()
        >>> sorted(k for k in ("command", "date", "max_archs", "proxy", "scaling") if k in info)
        ['command', 'date', 'max_archs', 'proxy', 'scaling']
    """
    return copy.deepcopy(_document(path).get("measured", {}))


def _entry_value(entry: dict[str, Any], axis: str) -> float | None:
    if not entry.get("available", True):
        return None
    if axis == AXES[0]:
        value = (entry.get("size") or {}).get("log10")
    elif axis == AXES[1]:
        perf = entry.get("performance_diversity") or {}
        value = perf.get("sd") if perf.get("available", True) else None
    elif axis == AXES[2]:
        value = entry.get("architecture_diversity")
    else:
        value = entry.get("n_tasks")
    return None if value is None or not math.isfinite(float(value)) else float(value)


def _check_axis(axis: str) -> None:
    if axis not in AXES:
        raise ValueError(f"unknown axis {axis!r}; axes: {', '.join(AXES)}")


def _entries(reference: str | Path | Sequence[dict] | None) -> list[dict]:
    if reference is None or isinstance(reference, (str, Path)):
        return load_reference(reference)
    return list(reference)


def reference_values(axis: str, reference: str | Path | Sequence[dict] | None = None) -> list[tuple[str, float]]:
    """``(space, value)`` of every reference space with a value on ``axis`` (spaces without one are left out).

    Args:
        axis: one of :data:`nas_complexity.report.AXES`.
        reference: entries as returned by :func:`load_reference`, a path to such a file, or ``None`` for the
            packaged built-in spaces.

    Example:
        >>> dict(reference_values("multi-task ability", [{"name": "a", "n_tasks": 3}, {"name": "b", "n_tasks": 1}]))
        {'a': 3.0, 'b': 1.0}
    """
    _check_axis(axis)
    values = [(e["name"], _entry_value(e, axis)) for e in _entries(reference)]
    return [(name, v) for name, v in values if v is not None]


def reference_range(axis: str, reference: str | Path | Sequence[dict] | None = None) -> tuple[float, float]:
    """Smallest and largest value of ``axis`` among the reference spaces (default: the packaged built-in ones).

    Raises:
        ValueError: unknown axis, or no reference space has a value on it.

    Example:
        >>> lo, hi = reference_range("multi-task ability")
        >>> 0 <= lo <= hi
        True
        >>> reference_range("size (log10)", [{"name": "a", "size": {"log10": 4.2}}, {"name": "b", "size": {"log10": 18.0}}])
        (4.2, 18.0)
    """
    values = [v for _, v in reference_values(axis, reference)]
    if not values:
        raise ValueError(f"no reference space has a value for {axis!r}")
    return min(values), max(values)


# ------------------------------------------------------------------------------------------------ words
def _fmt(axis: str, value: float) -> str:
    decimals = _DECIMALS[axis]
    return f"{value:.0f}" if decimals == 0 else f"{value:.{decimals}f}"


def _position(value: float, lo: float, hi: float) -> str:
    """``low``, ``typical`` or ``high``: the third of ``[lo, hi]`` that ``value`` falls in (outside the range:
    ``low`` below it, ``high`` above it). A position in a range, not a judgement of good or bad.

    Example:
        >>> [_position(v, 0.0, 3.0) for v in (-1, 0.5, 1.5, 3.0)]
        ['low', 'low', 'typical', 'high']
    """
    width = hi - lo
    if width <= 0:
        return "low" if value < lo else "high" if value > hi else "typical"
    if value <= lo + width / 3:
        return "low"
    if value >= hi - width / 3:
        return "high"
    return "typical"


def _placement(axis: str, value: float, named: list[tuple[str, float]], n_entries: int) -> str:
    lo, hi = min(v for _, v in named), max(v for _, v in named)
    where = _position(value, lo, hi)
    among = f"the {len(named)} built-in spaces" + (f" with a value (of {n_entries})" if len(named) < n_entries else "")
    nearest = sorted(named, key=lambda nv: (abs(nv[1] - value), nv[0]))[:3]
    near = ", ".join(f"{name} {_fmt(axis, v)}" for name, v in nearest)
    span = f"{_fmt(axis, lo)} to {_fmt(axis, hi)}"
    if value < lo:
        phrase = f"is low: below all of {among} ({span}; nearest {near})"
    elif value > hi:
        phrase = f"is high: above all of {among} ({span}; nearest {near})"
    else:
        phrase = f"is {where} among {among} ({span}; nearest {near})"
    if value < lo or value > hi:
        return f"{phrase}."
    third = {"low": "lower", "typical": "middle", "high": "upper"}[where]
    return f"{phrase}; '{where}' means in the {third} third of that range."


def _size_meaning(report: ComplexityReport) -> str:
    size = report.size
    unique = f", {format_count(size.unique)} unique up to isomorphism" if size.unique is not None else ""
    return (
        f" That is {format_count(size.total)} architectures ({size.provenance}{unique}). What matters for the search "
        "is the size relative to the trial budget: if the budget is a sizeable fraction of the space, random or "
        "even exhaustive search may suffice; if it is a tiny fraction, a guided search has more room to pay off."
    )


def _perf_meaning(report: ComplexityReport, entries: list[dict], info: dict[str, Any]) -> str:
    perf = report.performance_diversity or {}
    proxy, scaling = perf.get("proxy", "jacob_cov"), perf.get("scaling", "clip_minmax")
    text = f" It is the SD of the {scaling}-scaled {proxy} proxy over {perf.get('n_samples', '?')} architectures"
    ci = perf.get("ci")
    measured = len(reference_values(AXES[1], entries))
    if ci and None not in ci:
        text += f", 95% CI {ci[0]:.3f} to {ci[1]:.3f}"
        overlapping = [
            e["name"] for e in entries
            if _entry_value(e, AXES[1]) is not None and (e["performance_diversity"].get("ci95") or [None])[0] is not None
            and e["performance_diversity"]["ci95"][0] <= ci[1] and ci[0] <= e["performance_diversity"]["ci95"][1]
        ]
        if not measured:
            pass  # nothing to overlap with; the placement sentence already says so
        elif not overlapping:
            text += "; that interval overlaps none of the built-in spaces' intervals"
        elif len(overlapping) == measured:
            text += (f"; that interval overlaps the intervals of all {len(overlapping)} built-in spaces measured, so "
                     "at this precision it cannot be told apart from any of them")
        else:
            text += (f"; that interval overlaps the intervals of {', '.join(overlapping)}, so at this precision it "
                     "cannot be told apart from those")
    text += (
        ". A higher spread means the architectures are expected to differ more in quality, so a guided search has "
        "more to gain over random sampling; a lower spread means more of them are expected to perform alike, so "
        "random sampling loses less. The proxy is computed at initialisation, before any training: an estimate, "
        "not trained accuracy."
    )
    if measured and info.get("max_archs"):
        text += (f" The built-in spaces' values were measured on up to {info['max_archs']} architectures each"
                 f"{' on ' + info['date'][:10] if info.get('date') else ''}.")
    ref_proxy, ref_scaling = info.get("proxy"), info.get("scaling")
    if (ref_proxy and ref_proxy != proxy) or (ref_scaling and ref_scaling != scaling):
        text += (f" Caution: the built-in spaces were measured with {ref_proxy} and {ref_scaling} scaling, this "
                 f"report with {proxy} and {scaling}, so the comparison is not like for like.")
    return text


def _arch_meaning(report: ComplexityReport) -> str:
    return (
        " Architecture diversity is the total variance of each architecture's building-block shares: higher means "
        "the architectures differ more in which blocks they use (structurally more varied designs); lower means "
        "they mix the same blocks in similar proportions and differ mainly in wiring or size."
    )


def _task_meaning(report: ComplexityReport) -> str:
    tasks = report.multi_task.tasks
    if not report.multi_task.n_tasks:
        return " The space declares no task (usual for a hyperparameter space)."
    listed = f" ({', '.join(tasks)})" if tasks else ""
    return (
        f" The architectures are designed for {report.multi_task.n_tasks} distinct task(s){listed}. Searching for "
        "an architecture that serves several tasks makes the search more complex (paper, Section 2), and a good "
        "architecture or strategy for one task need not carry over to another."
    )


def _pds_sentence(perf: dict[str, Any]) -> str:
    value, sd, sd_acc = perf["pds"], perf.get("sd"), perf.get("sd_accuracy")
    n = perf.get("n_accuracy")
    text = f"PDS {value:.3f} (proxy vs accuracy table"
    text += f", {n} architectures)" if n else ")"
    text += (
        ": PDS = |SD_proxy - SD_accuracy| / pooled SD, pooled SD = (SD_proxy + SD_accuracy) / 2 (paper Eq. 1)"
    )
    if sd is not None and sd_acc is not None:
        text += f", here SD_proxy {sd:.3f} and SD_accuracy {sd_acc:.3f}"
    text += (
        f". So the two spreads differ by {100 * value:.0f}% of their mean: the smaller the PDS, the closer the "
        "proxy's spread is to the spread of true accuracy, and the more the pre-search SD can be trusted as an "
        "estimate of performance diversity. PDS says nothing about ranking, i.e. whether the proxy orders "
        "architectures like their accuracy does"
    )
    tau = perf.get("kendall_tau")
    text += f"; Kendall tau does (here {tau:.3f}; 1 = same order, 0 = unrelated)." if tau is not None else "; Kendall tau does."
    return text


def compare_to_reference(report: ComplexityReport, reference: str | Path | Sequence[dict] | None = None) -> dict[str, str]:
    """One plain-English sentence per axis saying where ``report``'s value sits among the built-in spaces.

    Keys are the axes of :data:`nas_complexity.report.AXES` the report has a value for (an axis the report did
    not measure, e.g. performance diversity with ``performance=False``, is left out), plus ``"pds"`` when the
    report has a PDS against an accuracy table. "low", "typical" and "high" are the value's position in the
    lower, middle or upper third of the built-in spaces' range on that axis; they are positions, not thresholds
    of good or bad. Each sentence names the nearest built-in spaces and says what the value means for the search.

    Args:
        report: the profile to place.
        reference: entries as returned by :func:`load_reference`, a path to such a file, or ``None`` for the
            packaged built-in spaces.

    Example:
        >>> from nas_complexity.profiling import profile
        >>> text = compare_to_reference(profile("mbconv-macro", performance=False))
        >>> sorted(text)
        ['architecture diversity', 'multi-task ability', 'size (log10)']
        >>> text["size (log10)"].startswith("size (log10) 3.82 is ")
        True
    """
    entries = _entries(reference)
    info = reference_info(reference) if reference is None or isinstance(reference, (str, Path)) else {}
    meanings = {
        AXES[0]: lambda: _size_meaning(report),
        AXES[1]: lambda: _perf_meaning(report, entries, info),
        AXES[2]: lambda: _arch_meaning(report),
        AXES[3]: lambda: _task_meaning(report),
    }
    out: dict[str, str] = {}
    for axis, value in zip(AXES, spider_values(report)):
        if value is None:
            continue
        named = reference_values(axis, entries)
        head = f"{axis} {_fmt(axis, value)} "
        if not named:
            out[axis] = head + "cannot be placed: no built-in space has a value on this axis." + meanings[axis]()
            continue
        out[axis] = head + _placement(axis, value, named, len(entries)) + meanings[axis]()
    perf = report.performance_diversity or {}
    if perf.get("pds") is not None:
        out["pds"] = _pds_sentence(perf)
    return out
