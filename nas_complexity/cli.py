"""The ``nas-complexity`` command line.

Example:
    $ nas-complexity spaces
    $ nas-complexity profile nb201 --json --out nb201.json --plot nb201.png
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from nas_complexity._errors import NASComplexityError
from nas_complexity._version import __version__

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the command line."""
    from nas_complexity.metrics._performance import DEFAULT_SCALING, SCALINGS

    parser = argparse.ArgumentParser(
        prog="nas-complexity",
        description="Profile a NAS search space (size, performance diversity, architecture diversity, multi-task "
        "ability) before the search, and choose the search strategy.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    spaces = sub.add_parser("spaces", help="list the built-in spaces with their size and tasks")
    spaces.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    prof = sub.add_parser("profile", help="profile a built-in space, an NNI search-space JSON file or a report")
    prof.add_argument("space", help="built-in space name (see `nas-complexity spaces`) or path to an NNI search-space JSON")
    prof.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    prof.add_argument("--truncate-sigmas", type=float, help="accept NNI normal-family _types as mu +/- k sigma (default: rejected)")
    prof.add_argument("--out", type=Path, help="also write the JSON report to this file")
    prof.add_argument("--plot", type=Path, help="write a spider chart (PNG) of the report to this file")
    prof.add_argument("--seed", type=int, default=0, help="seed of every random step (default 0)")
    prof.add_argument("--samples", type=int, help="architectures for architecture diversity when not enumerating")
    prof.add_argument("--no-performance", action="store_true", help="skip the jacob_cov performance diversity")
    prof.add_argument("--proxy", default="jacob_cov", help="zero-cost proxy for performance diversity (default jacob_cov)")
    prof.add_argument("--scaling", choices=SCALINGS, default=DEFAULT_SCALING, help="how proxy scores are made comparable before their SD (default clip_minmax: clip at the 5th/95th percentiles, then [0, 1])")
    prof.add_argument("--batch-size", type=int, help="minibatch size for the proxy (default: the space's reference)")
    prof.add_argument("--max-archs", type=int, help="upper bound on scored architectures (adaptive sampling stops earlier)")
    prof.add_argument("--target-ci", type=float, default=0.10, help="stop sampling when the 95%% CI half-width is within this fraction of the SD (default 0.10)")
    prof.add_argument("--paper-protocol", action="store_true", help="score all architectures (small spaces) or 5 samples of 10,000 (paper protocol)")
    prof.add_argument("--accuracy-data", type=Path, help="folder of the benchmark tables: adds PDS and Kendall tau against true accuracy (spaces with a complete table)")
    prof.add_argument("--task", help="task of the accuracy table (default: the table's first, e.g. cifar10 for nb201)")
    prof.add_argument("--workers", type=int, help="processes for proxy scoring (default: local cores)")
    prof.add_argument("--trials", type=int, help="trial budget: also decide the search strategy for this many trials")
    prof.add_argument("--parallel", type=int, default=1, help="parallel workers of the search (with --trials)")
    prof.add_argument("--objectives", type=int, default=1, help="number of objectives of the search (with --trials)")
    prof.add_argument("--no-progress", action="store_true", help="hide progress bars")

    paper = sub.add_parser("paper", help="reproduce the paper's Figures 1 and 2 from the shared benchmark tables")
    paper.add_argument("--out", type=Path, required=True, help="output folder for PNG, CSV and JSON")
    paper.add_argument("--data", type=Path, help="folder of the benchmark tables (default: ../shared/data)")
    paper.add_argument("--seed", type=int, default=0)
    paper.add_argument("--no-performance", action="store_true", help="do not score networks for the proxy SD (Figure 2)")
    paper.add_argument("--max-archs", type=int, default=100, help="architectures scored per space for Figure 2 (default 100; the slowest, NB101 and DARTS, take 1-2 s per network on one core)")
    paper.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def _cmd_spaces(args: argparse.Namespace) -> int:
    from nas_complexity.metrics import measure_size, multi_task
    from nas_complexity.report._report import format_count
    from nas_complexity.spaces import get_space, list_spaces

    rows: list[dict[str, Any]] = []
    for name in list_spaces():
        space = get_space(name)
        size = measure_size(space)
        tasks = multi_task(space)
        rows.append({
            "space": name,
            "total": size.total,
            "log10": size.log10,
            "unique": size.unique,
            "provenance": size.provenance,
            "n_tasks": tasks.n_tasks,
            "tasks": tasks.tasks,
        })
    if args.json:
        print(json.dumps({"spaces": rows}))
        return 0
    print(f"{'space':<14}{'size':>12}{'log10':>8}{'unique':>10}  {'provenance':<11}tasks")
    for r in rows:
        total = "infinite" if r["total"] is None else format_count(r["total"])
        unique = "-" if r["unique"] is None else format_count(r["unique"])
        log10 = "-" if r["log10"] is None else f"{r['log10']:.2f}"
        print(f"{r['space']:<14}{total:>12}{log10:>8}{unique:>10}  {r['provenance']:<11}{r['n_tasks']}: {', '.join(r['tasks'])}")
    return 0


def _resolve_cli_space(text: str, truncate_sigmas: float | None = None) -> Any:
    path = Path(text)
    if path.suffix == ".json" and path.is_file():
        from nas_complexity.adapters import from_nni_search_space

        return from_nni_search_space(path, name=path.stem, truncate_sigmas=truncate_sigmas)
    return text


def _cmd_profile(args: argparse.Namespace) -> int:
    from nas_complexity.profiling import profile
    from nas_complexity.report import plot_spider

    perf_options: dict[str, Any] = {"proxy": args.proxy, "target_rel_ci": args.target_ci, "scaling": args.scaling}
    for key in ("batch_size", "max_archs", "workers"):
        if getattr(args, key) is not None:
            perf_options[key] = getattr(args, key)
    if args.paper_protocol:
        perf_options["protocol"] = "paper"
    table_name = None
    if args.accuracy_data is not None and not args.no_performance:
        from nas_complexity.profiling._accuracy import accuracy_lookup

        perf_options["accuracy"], table_name = accuracy_lookup(args.space, args.accuracy_data, args.task)
    progress = not args.no_progress and sys.stderr.isatty() or (not args.no_progress and args.verbose)
    started = time.perf_counter()
    report = profile(
        _resolve_cli_space(args.space, args.truncate_sigmas),
        seed=args.seed,
        samples=args.samples,
        performance=not args.no_performance,
        progress=progress,
        performance_options=perf_options,
        on_stage=lambda s: logging.getLogger("nas_complexity.cli").info("%s: %s", args.space, s),
    )
    if table_name and report.performance_diversity is not None:
        report.performance_diversity["accuracy_table"] = table_name
    if args.trials is not None:
        from nas_complexity.strategies import Budget, decide

        decision = decide(report, Budget(n_trials=args.trials, n_workers=args.parallel, n_objectives=args.objectives))
        report.decision = decision.to_dict()
    report.timings["total_s"] = round(time.perf_counter() - started, 3)
    if args.out:
        report.save(args.out)
    if args.plot:
        plot_spider([report], args.plot, title=f"{report.space}: search-space complexity")
    if args.json:
        print(report.to_json(indent=None))
    else:
        print(report)
        if args.out:
            print(f"report written to {args.out}")
        if args.plot:
            print(f"spider chart written to {args.plot}")
    return 0


def _cmd_paper(args: argparse.Namespace) -> int:
    from nas_complexity.paper import reproduce_figures

    if args.max_archs < 3:
        raise ValueError(f"--max-archs {args.max_archs}: accepted an integer of at least 3 (the SD needs 3 scores)")
    progress = not args.no_progress and (sys.stderr.isatty() or args.verbose)
    outputs = reproduce_figures(args.out, data_root=args.data, seed=args.seed, performance=not args.no_performance,
                                max_archs=args.max_archs, progress=progress)
    for path in outputs:
        print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input, 1 for other failures)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    commands = {"spaces": _cmd_spaces, "profile": _cmd_profile, "paper": _cmd_paper}
    try:
        return commands[args.command](args)
    except (NASComplexityError, ValueError, FileNotFoundError) as exc:
        print(f"nas-complexity: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
