"""Profile every built-in space and print size, unique count, architecture diversity, tasks and the time taken.

With ``--performance`` each profile also scores real networks for the jacob_cov performance diversity (adaptive
sampling, capped by ``--max-archs``), which takes minutes per space on a few CPU cores.

With ``--write-reference PATH`` (implies ``--performance``) it also writes the reference profiles of the built-in
spaces that the spider chart and ``nas_complexity.report.compare_to_reference`` read: one entry per space with its
size, performance diversity (SD, 95% CI, architectures scored), architecture diversity and number of tasks, plus
how and when they were measured. The packaged ``nas_complexity/report/reference_profiles.json`` is this output,
never edited by hand; regenerate it with

    nice python benchmarks/profile_all_spaces.py --max-archs 150 \
        --write-reference nas_complexity/report/reference_profiles.json

Usage:
    python benchmarks/profile_all_spaces.py [--performance] [--max-archs 200] [--json out.json]
        [--write-reference reference_profiles.json] [--spaces nb201 darts ...]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shlex
import sys
import time
import traceback
from typing import Any

from nas_complexity._version import __version__
from nas_complexity.profiling import profile
from nas_complexity.report import ComplexityReport
from nas_complexity.spaces import list_spaces

REFERENCE_FORMAT = 1
"""Version of the reference-profile JSON layout (``nas_complexity.report._reference`` checks it)."""


def reference_entry(name: str, report: ComplexityReport | None, seconds: float, error: str | None = None) -> dict[str, Any]:
    """One space's entry of the reference file; a space whose profile failed is kept, marked unavailable."""
    if report is None:
        return {"name": name, "available": False, "reason": error or "profile failed", "seconds": round(seconds, 2)}
    size, perf = report.size, report.performance_diversity or {}
    sd = perf.get("sd")
    performance: dict[str, Any] = {
        "available": sd is not None,
        "sd": sd,
        "ci95": perf.get("ci") if sd is not None else None,
        "n_scored": perf.get("n_samples", 0),
        "n_failed": perf.get("n_failed", 0),
        "proxy": perf.get("proxy"),
        "scaling": perf.get("scaling"),
        "protocol": perf.get("protocol", ""),
        "note": perf.get("note", ""),
    }
    if sd is None:
        performance["reason"] = perf.get("note") or "not measured"
    return {
        "name": name,
        "available": True,
        "description": report.description,
        "size": {"log10": size.log10, "total": size.total, "unique": size.unique, "provenance": size.provenance,
                 "note": size.note},
        "performance_diversity": performance,
        "architecture_diversity": report.architecture_diversity.value,
        "architecture_diversity_method": report.architecture_diversity.method,
        "n_tasks": report.multi_task.n_tasks,
        "tasks": list(report.multi_task.tasks),
        "seconds": round(seconds, 2),
    }


def reference_document(entries: list[dict[str, Any]], args: argparse.Namespace, options: dict[str, Any],
                       argv: list[str] | None, seconds: float) -> dict[str, Any]:
    """The whole reference file: how it was measured, then the per-space entries."""
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:  # the file still says what was (not) measured
        torch_version = None
    command = ["python", "benchmarks/profile_all_spaces.py", *(sys.argv[1:] if argv is None else argv)]
    return {
        "format": REFERENCE_FORMAT,
        "measured": {
            "command": shlex.join(command),
            "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "library_version": __version__,
            "python": platform.python_version(),
            "torch": torch_version,
            "cpu_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "seed": args.seed,
            "proxy": options.get("proxy", "jacob_cov"),
            "scaling": options.get("scaling", "clip_minmax"),
            "protocol": "adaptive",
            "min_archs": options["min_archs"],
            "max_archs": options["max_archs"],
            "ci": "95% bootstrap interval of the SD of the scaled proxy",
            "seconds_total": round(seconds, 1),
        },
        "spaces": entries,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--performance", action="store_true", help="also estimate performance diversity")
    parser.add_argument("--max-archs", type=int, default=200, help="cap on the architectures scored per space")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    parser.add_argument("--write-reference", metavar="PATH",
                        help="write the reference profiles of the spaces (JSON) to PATH; implies --performance")
    parser.add_argument("--spaces", nargs="+", metavar="NAME", help="only these built-in spaces (default: all)")
    args = parser.parse_args(argv)
    if args.write_reference:
        args.performance = True
    names = args.spaces or list_spaces()
    unknown = sorted(set(names) - set(list_spaces()))
    if unknown:
        parser.error(f"unknown space(s) {', '.join(unknown)}; built in: {', '.join(list_spaces())}")
    options = {"max_archs": args.max_archs, "min_archs": min(100, args.max_archs)}

    rows, entries = [], []
    header = f"{'space':<14} {'size':>12} {'provenance':<10} {'unique':>8} {'arch div':>8} {'tasks':>5}"
    header += f" {'perf SD [95% CI]':>24} {'n':>5}" if args.performance else ""
    print(header + f" {'seconds':>8}")
    all_started = time.perf_counter()
    for name in names:
        started = time.perf_counter()
        try:
            report = profile(name, seed=args.seed, performance=args.performance, performance_options=options)
        except Exception as exc:  # one space failing must not lose the others; the reference says why
            if not args.write_reference:
                raise
            seconds = time.perf_counter() - started
            traceback.print_exc()
            print(f"{name:<14} failed: {exc}", flush=True)
            entries.append(reference_entry(name, None, seconds, f"{type(exc).__name__}: {exc}"))
            continue
        seconds = time.perf_counter() - started
        size, div, perf = report.size, report.architecture_diversity, report.performance_diversity or {}
        total = f"{size.total:,}" if size.total is not None and size.total < 10**9 else f"1e{size.log10:.2f}"
        line = (f"{name:<14} {total:>12} {size.provenance:<10} {size.unique if size.unique is not None else '-':>8} "
                f"{div.value if div.value is not None else float('nan'):>8.4f} {report.multi_task.n_tasks:>5}")
        if args.performance:
            sd = perf.get("sd")
            ci = perf.get("ci") or [None, None]
            text = "n/a" if sd is None else f"{sd:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"
            line += f" {text:>24} {perf.get('n_samples', 0):>5}"
        print(line + f" {seconds:>8.1f}", flush=True)
        rows.append({"space": name, "seconds": round(seconds, 2), **report.to_dict()})
        entries.append(reference_entry(name, report, seconds))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if args.write_reference:
        document = reference_document(entries, args, options, argv, time.perf_counter() - all_started)
        with open(args.write_reference, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=1, allow_nan=False)
            f.write("\n")
        print(f"reference profiles written to {args.write_reference}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
