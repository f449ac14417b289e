"""The complexity report: the four properties of a space (plus the decision, once made), JSON round-trip."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nas_complexity._version import __version__
from nas_complexity.metrics import (
    ArchitectureDiversity,
    MultiTask,
    PerformanceDiversity,
    SpaceSize,
    format_count,
)

__all__ = ["ComplexityReport", "format_count", "format_decision"]


def _performance_from_dict(data: dict[str, Any] | None) -> PerformanceDiversity | None:
    return None if data is None else PerformanceDiversity.from_dict(data)


@dataclass
class ComplexityReport:
    """What a profile measured about one search space.

    JSON keys (a contract scripts rely on): ``space``, ``size`` {``total``, ``log10``, ``unique``, ``provenance``},
    ``architecture_diversity`` {``value``, ``vocabulary``}, ``multi_task`` {``n_tasks``, ``tasks``},
    ``performance_diversity`` {``proxy``, ``sd``, ``ci``, ``n_samples``, ``n_failed``, ``scaling``, ``pds``,
    ``kendall_tau``, ``sd_accuracy``} (``null`` when not measured), ``landscape`` (a
    :class:`~nas_complexity.metrics.Landscape` as a dict: the proxy's, over the architectures the profile scored;
    ``null`` when not measured; reports written before it existed read as ``null``), ``landscape_true_metric``
    (the same measures on a benchmark table's metric, when the profile was given one; else ``null``), and
    ``decision`` when a strategy was chosen.

    Example:
        >>> from nas_complexity import profile
        >>> report = profile("mbconv-macro", performance=False)
        >>> ComplexityReport.from_json(report.to_json()).size.total
        6561
    """

    space: str
    size: SpaceSize
    architecture_diversity: ArchitectureDiversity
    multi_task: MultiTask
    performance_diversity: PerformanceDiversity | None = None
    decision: dict[str, Any] | None = None
    landscape: dict[str, Any] | None = None
    landscape_true_metric: dict[str, Any] | None = None
    parameters: dict[str, int] = field(default_factory=dict)
    description: str = ""
    seed: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    version: str = __version__

    # ------------------------------------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (see the class docstring for the stable keys)."""
        return {
            "space": self.space,
            "description": self.description,
            "size": self.size.to_dict(),
            "architecture_diversity": self.architecture_diversity.to_dict(),
            "multi_task": self.multi_task.to_dict(),
            "performance_diversity": None if self.performance_diversity is None else self.performance_diversity.to_dict(),
            "decision": self.decision,
            "landscape": None if self.landscape is None else dict(self.landscape),
            "landscape_true_metric": None if self.landscape_true_metric is None else dict(self.landscape_true_metric),
            "parameters": dict(self.parameters),
            "seed": self.seed,
            "timings": dict(self.timings),
            "warnings": list(self.warnings),
            "version": self.version,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as a JSON string (strict JSON: no NaN or infinity)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ComplexityReport":
        """Inverse of :meth:`to_dict`."""
        return cls(
            space=data["space"],
            size=SpaceSize.from_dict(data["size"]),
            architecture_diversity=ArchitectureDiversity.from_dict(data["architecture_diversity"]),
            multi_task=MultiTask.from_dict(data["multi_task"]),
            performance_diversity=_performance_from_dict(data.get("performance_diversity")),
            decision=data.get("decision"),
            landscape=data.get("landscape"),
            landscape_true_metric=data.get("landscape_true_metric"),
            parameters=dict(data.get("parameters", {})),
            description=data.get("description", ""),
            seed=data.get("seed"),
            timings=dict(data.get("timings", {})),
            warnings=list(data.get("warnings", [])),
            version=data.get("version", __version__),
        )

    @classmethod
    def from_json(cls, text: str) -> "ComplexityReport":
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> Path:
        """Write the JSON report to ``path``."""
        path = Path(path)
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "ComplexityReport":
        """Read a report written by :meth:`save`."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    # ------------------------------------------------------------------------------------------ table
    def rows(self) -> list[tuple[str, str, str]]:
        """(property, value, how it was obtained) rows of the printed table."""
        size = self.size
        total = "infinite" if size.provenance == "continuous" else format_count(size.total)
        rows = [("size", total, f"{size.provenance}; {size.note}")]
        if size.log10 is not None:
            rows.append(("size (log10)", f"{size.log10:.2f}", ""))
        if size.unique is not None:
            rows.append(("size, unique up to isomorphism", format_count(size.unique), size.unique_provenance or ""))
        pd_ = self.performance_diversity
        if pd_ is None:
            rows.append(("performance diversity", "not measured", ""))
        elif pd_.get("sd") is None:
            rows.append(("performance diversity", "not available", pd_.get("note", "")))
        else:
            ci = pd_.get("ci") or [None, None]
            rows.append((
                f"performance diversity (SD of {pd_['scaling']}-scaled {pd_['proxy']})",
                f"{pd_['sd']:.4f} [{ci[0]:.4f}, {ci[1]:.4f}]",
                f"{pd_['n_samples']} architectures, {pd_['n_failed']} failed; {pd_.get('protocol', '')}; "
                f"{pd_.get('note', '')}".rstrip("; "),
            ))
            if pd_.get("inputs"):
                rows.append(("proxy inputs", "", pd_["inputs"]))
            for key, label in (("pds", "PDS vs accuracy"), ("kendall_tau", "Kendall tau vs accuracy"), ("sd_accuracy", "SD of scaled accuracy")):
                value = pd_.get(key)
                rows.append((label, "not available: no accuracy table" if value is None else f"{value:.4f}", ""))
        ad = self.architecture_diversity
        rows.append((
            "architecture diversity",
            "not applicable" if ad.value is None else f"{ad.value:.4f}",
            f"{ad.method} over {ad.n_architectures:,} architectures; blocks: {', '.join(ad.vocabulary) or 'none'}",
        ))
        mt = self.multi_task
        rows.append(("multi-task ability", str(mt.n_tasks), ", ".join(mt.tasks)))
        for measured in (self.landscape, self.landscape_true_metric):
            if measured is not None:
                rows.append(_landscape_row(measured))
        if self.decision:
            d = self.decision
            # A rule with two conditions gives two reasons: list each rule once (format_decision has the words).
            rule_ids = dict.fromkeys(r["id"] for r in d.get("reasons", []))
            rows.append(("strategy", f"{d['family']} ({d['optuna_sampler']})", "; ".join(rule_ids)))
        return rows

    def __str__(self) -> str:
        rows = self.rows()
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        lines = [f"Search space: {self.space}", "-" * (w0 + w1 + 4)]
        lines += [f"{a:<{w0}}  {b:<{w1}}  {c}".rstrip() for a, b, c in rows]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _landscape_row(ls: dict[str, Any]) -> tuple[str, str, str]:
    """The table row of a landscape dict (``Landscape.to_dict()``): FDC as the value, the other measures after it.

    Example:
        >>> _landscape_row({"source": "true metric", "method": "not available", "note": "no table"})
        ('landscape (true metric)', 'not available', 'no table')
    """
    label = f"landscape ({ls.get('source') or 'fitness'})"
    if ls.get("method") in (None, "not available"):
        return (label, "not available", ls.get("note", ""))

    def num(key: str, fmt: str) -> str:
        value = ls.get(key)
        return "n/a" if value is None else format(value, fmt)

    lof = ls.get("local_optima_fraction")
    parts = [
        f"rho(1) {num('autocorrelation', '.3f')} (correlation length {num('correlation_length', '.2f')})",
        f"local optima {'n/a' if lof is None else f'{100 * lof:.2f}%'}",
        f"neutrality {num('neutrality', '.3f')}",
        f"{num('neighbourhood_size', '.1f')} neighbours",
        f"skewness {num('skewness', '.2f')}",
        f"additivity R^2 {num('additivity', '.3f')}",
    ]
    if ls.get("n_global_optima") is not None:
        n = ls["n_global_optima"]
        parts.append(f"{n:,} global {'optimum' if n == 1 else 'optima'}")
    how = f"{', '.join(parts)}; {ls.get('method')}, {ls.get('n_evaluations', 0):,} evaluations"
    return (label, f"FDC {num('fdc', '+.3f')}", how)


def _value_text(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _call_text(name: str, kwargs: dict[str, Any]) -> str:
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})" if kwargs else name


def format_decision(decision: dict[str, Any], width: int = 110) -> str:
    """A decision (``Decision.to_dict()``) in words: the chosen Optuna sampler and NNI tuner/strategy with their
    parameters, then each fired rule once, with its conditions, its effect and its evidence.

    A family rule with several conditions fires as several reasons (one per condition); they are joined into one
    line here, so no rule is listed twice.

    Example:
        >>> reason = {"id": "small", "op": "<=", "effect": "family bayesian (TPESampler)", "evidence": "measured"}
        >>> print(format_decision({
        ...     "family": "bayesian", "optuna_sampler": "TPESampler", "nni_tuner": "TPE", "nni_strategy": "TPE",
        ...     "params": {"optuna": {"multivariate": True}},
        ...     "reasons": [{**reason, "feature": "n_trials", "value": 50, "threshold": 100},
        ...                 {**reason, "feature": "log10_size", "value": 4.19382, "threshold": 5.0}]}))
        bayesian search: Optuna TPESampler(multivariate=True); NNI tuner TPE, NAS strategy TPE
        why:
          - small: n_trials=50 <= 100 and log10_size=4.194 <= 5 -> family bayesian (TPESampler).
            Evidence: measured
    """
    import textwrap

    params = decision.get("params") or {}
    strategy = decision.get("nni_strategy") or "-"
    lines = [
        f"{decision['family']} search: Optuna {_call_text(decision['optuna_sampler'], params.get('optuna') or {})}; "
        f"NNI tuner {_call_text(decision['nni_tuner'], params.get('nni_tuner') or {})}, "
        f"NAS strategy {_call_text(strategy, params.get('nni_strategy') or {})}",
        "why:",
    ]
    grouped: dict[str, list[dict[str, Any]]] = {}
    for reason in decision.get("reasons", []):
        grouped.setdefault(reason["id"], []).append(reason)
    for rule_id, reasons in grouped.items():
        first = reasons[0]
        if not first.get("op"):
            because = "no earlier rule fired"
        else:
            because = " and ".join(
                f"{r['feature']}={_value_text(r['value'])} {r['op']} {_value_text(r['threshold'])}" for r in reasons
            )
        text = f"{rule_id}: {because} -> {first['effect']}."
        lines += textwrap.wrap(text, width, initial_indent="  - ", subsequent_indent="    ")
        if first.get("evidence"):
            lines += textwrap.wrap(f"Evidence: {first['evidence']}", width, initial_indent="    ",
                                   subsequent_indent="    ")
    for note in decision.get("notes", []):
        lines += textwrap.wrap(f"note: {note}", width)
    return "\n".join(lines)
