"""The ``nas-complexity`` command line.

Example:
    $ nas-complexity spaces
    $ nas-complexity profile nb201 --trials 300 --json --out nb201.json --plot nb201.png
    $ nas-complexity compare --tables nb201/cifar10 --strategies random,tpe,advisor --seeds 3 --out cmp
    $ nas-complexity nni-config config.yml --write
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from nas_complexity._errors import NASComplexityError, SpaceError
from nas_complexity._version import __version__

__all__ = ["main", "build_parser", "DEFAULT_TRIALS", "profile_output"]

_log = logging.getLogger("nas_complexity.cli")

DEFAULT_TRIALS = 100
"""Trial budget the strategy is decided for when ``--trials`` is not given: a typical first study (Optuna's
tutorials run 100 trials), and the largest budget the rules still treat as small, so the advice errs towards the
sample-efficient side; pass ``--trials`` for your real budget."""

_WIDTH = 110  # wrap explanations for an ordinary terminal

# The names of nas_complexity.benchmarking.STRATEGIES, for --help only: importing the registry would import pandas
# and the harness for every command (a test keeps the two the same).
_COMPARE_STRATEGIES = "random, tpe, gp, discrete_gp, regularized_evolution, nsga2, cma_es, auto, advisor"

# Flags that only change performance diversity, so --no-performance would silently ignore them.
_PERFORMANCE_FLAGS = (
    "proxy", "scaling", "batch_size", "max_archs", "target_ci", "paper_protocol", "accuracy_data", "task", "workers",
)


# ----------------------------------------------------------------------------------------- value checks
def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def int_at_least(minimum: int, why: str = "") -> Callable[[str], int]:
    """An argparse ``type=`` accepting integers ``>= minimum``; argparse prefixes the message with the flag.

    Example:
        >>> int_at_least(1)("3")
        3
        >>> int_at_least(3, "the SD needs 3 scores")("1")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: expected an integer of at least 3 (the SD needs 3 scores), got '1'
    """
    wanted = {0: "0 or a positive integer", 1: "a positive integer"}.get(minimum, f"an integer of at least {minimum}")
    wanted += f" ({why})" if why else ""

    def check(text: str) -> int:
        value = _int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return check


def positive_float(text: str) -> float:
    """An argparse ``type=`` accepting finite numbers ``> 0``.

    Example:
        >>> positive_float("0.5")
        0.5
    """
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def open_fraction(text: str) -> float:
    """An argparse ``type=`` accepting a fraction strictly between 0 and 1.

    Example:
        >>> open_fraction("0.1")
        0.1
    """
    value = _float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1 (exclusive), e.g. 0.1, got {text!r}")
    return value


positive_int = int_at_least(1)


# ------------------------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the command line."""
    from nas_complexity.metrics import DEFAULT_SCALING, SCALINGS
    from nas_complexity.spaces import SPACE_KINDS

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

    prof = sub.add_parser(
        "profile", help="profile a built-in space or an NNI search-space JSON file, and choose the search strategy"
    )
    prof.add_argument("space", help="built-in space name (see `nas-complexity spaces`) or path to an NNI search-space JSON")
    prof.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    prof.add_argument("--truncate-sigmas", type=positive_float, help="NNI files: accept normal-family _types as mu +/- k sigma (default: rejected)")
    prof.add_argument("--space-kind", choices=SPACE_KINDS, help="NNI files: what the file's points are (default hyperparameter); 'architecture' lets the rules drawn from architecture search (e.g. regularized evolution) apply")
    prof.add_argument("--out", type=Path, help="also write the JSON report (the object --json prints) to this file")
    prof.add_argument("--plot", type=Path, help="write a spider chart of the report to this file (.png, or another format matplotlib writes)")
    prof.add_argument("--seed", type=int_at_least(0), default=0, help="seed of every random step (default 0)")
    prof.add_argument("--samples", type=positive_int, help="architectures for architecture diversity when not enumerating (default: all up to 20,000, else 10,000)")
    prof.add_argument("--no-performance", action="store_true", help="skip the proxy's performance diversity (seconds instead of minutes)")
    prof.add_argument("--no-cache", action="store_true", help="profile from scratch instead of reading a cached profile (cache folder: $NAS_COMPLEXITY_CACHE_DIR, else ~/.cache/nas-complexity)")
    prof.add_argument("--proxy", help="zero-cost proxy for performance diversity (default jacob_cov)")
    prof.add_argument("--scaling", choices=SCALINGS, help=f"how proxy scores are made comparable before their SD (default {DEFAULT_SCALING}: clip at the 5th/95th percentiles, then [0, 1])")
    prof.add_argument("--batch-size", type=positive_int, help="minibatch size for the proxy (default: the space's reference, 64 or 32)")
    prof.add_argument("--max-archs", type=int_at_least(3, "the SD needs 3 scores"), help="upper bound on scored architectures (default 2,000; adaptive sampling stops earlier)")
    prof.add_argument("--target-ci", type=open_fraction, help="stop sampling when the 95%% CI half-width is within this fraction of the SD (default 0.10)")
    prof.add_argument("--paper-protocol", action="store_true", help="score all architectures (small spaces) or 5 samples of 10,000 (paper protocol)")
    prof.add_argument("--accuracy-data", type=Path, help="folder of the benchmark tables: adds PDS and Kendall tau against true accuracy (spaces with a complete table)")
    prof.add_argument("--task", help="task of the accuracy table (with --accuracy-data; default: the table's first, e.g. cifar10 for nb201)")
    prof.add_argument("--workers", type=positive_int, help="processes for proxy scoring (default: local cores, fewer when memory is short)")
    prof.add_argument("--trials", type=positive_int, help=f"trial budget of the search the strategy is chosen for (default {DEFAULT_TRIALS}: a typical first study and the largest budget the rules call small; give your real budget)")
    prof.add_argument("--parallel", type=positive_int, default=1, help="trials run in parallel by the search (default 1)")
    prof.add_argument("--objectives", type=positive_int, default=1, help="number of objectives of the search (default 1)")
    prof.add_argument("--seconds-per-trial", type=positive_float, help="typical duration of one trial, if known: lets the strategy weigh a sampler's own overhead (e.g. GPSampler's seconds per trial)")
    prof.add_argument("--no-progress", action="store_true", help="hide progress bars")

    paper = sub.add_parser("paper", help="reproduce the paper's Figures 1 and 2 from the shared benchmark tables")
    paper.add_argument("--out", type=Path, required=True, help="output folder for PNG, CSV and JSON")
    paper.add_argument("--data", type=Path, help="folder of the benchmark tables (default: ../shared/data)")
    paper.add_argument("--seed", type=int, default=0)
    paper.add_argument("--no-performance", action="store_true", help="do not score networks for the proxy SD (Figure 2)")
    paper.add_argument("--max-archs", type=int, default=100, help="architectures scored per space for Figure 2 (default 100; the slowest, NB101 and DARTS, take 1-2 s per network on one core)")
    paper.add_argument("--no-progress", action="store_true", help="hide progress bars")

    nni = sub.add_parser(
        "nni-config", help="choose the tuner of an NNI HPO experiment config file (YAML or JSON); --write puts it in"
    )
    nni.add_argument("config", type=Path, help="NNI experiment config (YAML, or JSON by its .json ending) with searchSpace or searchSpaceFile")
    nni.add_argument("--write", action="store_true", help="rewrite the config's tuner section (only it: every other line and comment is kept)")
    nni.add_argument("--override", action="store_true", help="replace a tuner the config already names (default: keep it and say what would be chosen)")
    nni.add_argument("--trials", type=positive_int, help="trial budget the tuner is chosen for (default: the config's maxTrialNumber)")
    nni.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout (decision, profile, status, config, written)")
    nni.add_argument("--seconds-per-trial", type=positive_float, help="typical duration of one trial, if known: lets the strategy weigh a tuner's own overhead")
    nni.add_argument("--space-kind", choices=SPACE_KINDS, help="what the search space's points are (default hyperparameter); 'architecture' lets the rules drawn from architecture search (e.g. evolution) apply")
    nni.add_argument("--truncate-sigmas", type=positive_float, help="profile normal-family _types as mu +/- k sigma (default: such a space cannot be profiled)")
    nni.add_argument("--no-cache", action="store_true", help="profile from scratch instead of reading a cached profile")

    comp = sub.add_parser(
        "compare", help="compare search strategies (and the advisor) at equal budgets on benchmark tables"
    )
    comp.add_argument("--tables", nargs="+", required=True, metavar="TABLE", help="settings to compare (space- or comma-separated): names from nas_complexity.benchmarking.list_settings() (e.g. nb201/cifar10), 'all' for every one, or your own table as DATA.csv:DESCRIPTION.json. A built-in table prunes an architecture it lacks (TransNAS-Bench-101 macro): the trial still counts")
    comp.add_argument("--data", type=Path, help="folder of the benchmark tables (default: ../shared/data)")
    comp.add_argument("--strategies", help=f"comma-separated strategies (default: every one that applies and can run; GP costs seconds per trial on categorical spaces). Accepted: {_COMPARE_STRATEGIES}")
    comp.add_argument("--trials", default="25,100,300", help="comma-separated trial budgets (default 25,100,300)")
    comp.add_argument("--seeds", type=positive_int, default=10, help="seeds per setting and strategy (default 10)")
    comp.add_argument("--seed", type=int_at_least(0), default=0, help="first run seed (default 0)")
    comp.add_argument("--out", type=Path, required=True, help="output folder (runs.jsonl, summary.csv/json, PNG plots); finished runs found there are not run again")
    comp.add_argument("--workers", type=positive_int, help="processes running the studies (default: the usable cores)")
    comp.add_argument("--max-trials", action="append", default=[], metavar="STRATEGY=N",
                      help="the largest budget a strategy runs for, e.g. gp=100 (GP's sampler time grows with every "
                           "trial); repeat for several strategies")
    comp.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _cmd_spaces(args: argparse.Namespace) -> int:
    from nas_complexity.metrics import measure_size, multi_task
    from nas_complexity.metrics import format_count
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


# ------------------------------------------------------------------------------------- profile: checks
def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _check_flag_combinations(args: argparse.Namespace) -> None:
    """Refuse flags that would be silently ignored."""
    if args.no_performance:
        given = [_flag(d) for d in _PERFORMANCE_FLAGS if getattr(args, d) not in (None, False)]
        if given:
            raise NASComplexityError(
                f"{', '.join(given)} only {'change' if len(given) > 1 else 'changes'} performance diversity, which "
                f"--no-performance skips; drop --no-performance or {' and '.join(given)}"
            )
    if args.task is not None and args.accuracy_data is None:
        raise NASComplexityError(
            f"--task {args.task} picks the accuracy table read from --accuracy-data; give --accuracy-data FOLDER too"
        )


def _check_output_path(flag: str, path: Path, suffixes: dict[str, str] | None = None) -> None:
    """Fail before any work when ``path`` cannot be written (a folder, a missing or read-only folder, a format
    that cannot be written), rather than after a profile of minutes."""
    example = "report.json" if suffixes is None else "chart.png"
    if path.is_dir():
        raise NASComplexityError(f"{flag} {path}: is a folder; accepted: a file path such as {path / example}")
    folder = path.parent
    if not folder.is_dir():
        raise NASComplexityError(
            f"{flag} {path}: folder {folder} does not exist; accepted: a file in an existing folder"
        )
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise NASComplexityError(f"{flag} {path}: not writable; accepted: a file path you can write to")
    if suffixes is not None and path.suffix.lower().lstrip(".") not in suffixes:
        raise NASComplexityError(
            f"{flag} {path}: cannot write a {path.suffix or 'suffix-less'} image; accepted file endings: "
            + ", ".join(f".{s}" for s in sorted(suffixes))
        )


def _image_formats() -> dict[str, str]:
    from matplotlib.figure import Figure

    return Figure().canvas.get_supported_filetypes()


def _resolve_cli_space(text: str, truncate_sigmas: float | None = None, kind: str | None = None) -> Any:
    """The built-in name itself (a string keeps the profile cacheable) or the space read from an NNI file."""
    from nas_complexity.adapters._dispatch import _looks_like_path
    from nas_complexity.spaces import list_spaces

    known = list_spaces()
    path = Path(text)
    if text in known:  # a built-in name wins over a same-named folder in the working directory
        if truncate_sigmas is not None:
            raise NASComplexityError(
                f"--truncate-sigmas applies to NNI search-space files (normal-family _types), not to the built-in "
                f"space {text!r}; drop it"
            )
        if kind is not None:
            raise NASComplexityError(
                f"--space-kind applies to NNI search-space files; the built-in space {text!r} declares its own kind; "
                "drop it"
            )
        return text
    if path.exists() or _looks_like_path(text):
        if not path.exists():
            raise SpaceError(
                text, "no such file",
                f"the path of an existing NNI search-space JSON file, or a built-in space: {', '.join(known)}",
            )
        from nas_complexity.adapters import from_nni_search_space

        return from_nni_search_space(path, name=path.stem, truncate_sigmas=truncate_sigmas, kind=kind or "hyperparameter")
    raise NASComplexityError(
        f"unknown search space {text!r}; known spaces: {', '.join(known)}; or give the path of an NNI search-space "
        "JSON file"
    )


def _performance_options(args: argparse.Namespace) -> dict[str, Any]:
    """What the CLI hands to ``performance_diversity``, without the accuracy table (a function, added later)."""
    from nas_complexity.metrics import DEFAULT_SCALING

    options: dict[str, Any] = {
        "proxy": args.proxy or "jacob_cov",
        "target_rel_ci": 0.10 if args.target_ci is None else args.target_ci,
        "scaling": args.scaling or DEFAULT_SCALING,
    }
    for key in ("batch_size", "max_archs", "workers"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    if args.paper_protocol:
        options["protocol"] = "paper"
    return options


def _accuracy_table(args: argparse.Namespace, space_name: str) -> tuple[dict[str, Any] | None, Callable[[], Any]]:
    """The plain-data identity of the accuracy table (for the cache key) and a loader of its lookup function."""
    if args.accuracy_data is None:
        return None, lambda: None
    from nas_complexity.profiling._accuracy import (
        accuracy_lookup,
        accuracy_table_identity,
    )

    flags = f"--accuracy-data {args.accuracy_data}" + (f" --task {args.task}" if args.task else "")
    try:
        identity = accuracy_table_identity(space_name, args.accuracy_data, args.task)
    except (NASComplexityError, FileNotFoundError) as exc:
        raise NASComplexityError(f"{flags}: {exc}") from None
    return identity, lambda: accuracy_lookup(space_name, args.accuracy_data, args.task)[0]


# ---------------------------------------------------------------------------------------- profile: cache
def _cached_profile(
    space: Any, key_kwargs: dict[str, Any], run: Callable[[], Any], use_cache: bool
) -> tuple[Any, dict[str, Any]]:
    """``run()``'s report, read from :class:`ProfileCache` when it holds one for ``space`` and ``key_kwargs``
    (plain data standing for everything ``run`` passes to ``profile``), else computed and stored.

    Returns the report and what the cache did: ``{"status": read | written | disabled | not cached, "file",
    "reason"}``.
    """
    from nas_complexity.profiling import ProfileCache, profile_cache_key

    if not use_cache:
        return run(), {"status": "disabled", "file": None, "reason": "--no-cache"}
    key = profile_cache_key(space, **key_kwargs)
    if key is None:
        return run(), {"status": "not cached", "file": None, "reason": "this space cannot be identified by a cache key"}
    cache = ProfileCache()
    file = str(cache.file(key))
    cached = cache.get(key)
    if cached is not None:
        return cached, {"status": "read", "file": file, "reason": None}
    report = run()
    refusal = ProfileCache.refusal(report, bool(key_kwargs.get("performance")))
    if refusal is not None:
        return report, {"status": "not cached", "file": None, "reason": refusal}
    cache.put(key, report)
    return report, {"status": "written" if Path(file).is_file() else "not cached", "file": file, "reason": None}


# --------------------------------------------------------------------------------------- profile: output
def profile_output(
    report: Any,
    decision: Any,
    budget: Any,
    budget_is_default: bool,
    cache: dict[str, Any] | None = None,
    total_s: float | None = None,
) -> dict[str, Any]:
    """The object ``profile --json`` prints and ``--out`` writes: the report's keys, with ``decision`` (the
    strategy for ``budget``, plus ``budget`` with ``default``: whether it was the default budget), ``cache`` (what
    the profile cache did) and ``timings.total_s`` of this run. The report itself is not changed.

    Example:
        >>> from nas_complexity import profile
        >>> from nas_complexity.strategies import Budget, decide
        >>> report, budget = profile("tnb101-macro", performance=False), Budget(n_trials=DEFAULT_TRIALS)
        >>> out = profile_output(report, decide(report, budget), budget, True)
        >>> out["decision"]["budget"]["n_trials"], out["decision"]["budget"]["default"], report.decision
        (100, True, None)
    """
    out = report.to_dict()
    # The profile command decides for the default direction (it has no objective to read one from): its budget keys
    # stay the ones its JSON has always had.
    shown_budget = {k: v for k, v in budget.to_dict().items() if k != "direction"}
    out["decision"] = {**decision.to_dict(), "budget": {**shown_budget, "default": budget_is_default}}
    if total_s is not None:
        out["timings"] = {**out["timings"], "total_s": total_s}
    out["cache"] = cache
    return out


def _reference_sentences(report: Any) -> dict[str, str]:
    """Where the report's numbers sit among the built-in spaces, in words; empty when no reference is at hand."""
    from nas_complexity.report import compare_to_reference

    try:
        return compare_to_reference(report)
    except NASComplexityError as exc:  # the packaged reference file is missing or broken: the rest still stands
        _log.info("no comparison with the built-in spaces: %s", exc)
        return {}


def _wrapped(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(text, _WIDTH, initial_indent=indent + "- ", subsequent_indent=indent + "  ")


def _profile_text(report: Any, output: dict[str, Any], args: argparse.Namespace) -> str:
    from nas_complexity.report import format_decision

    lines = [str(report)]
    sentences = _reference_sentences(report)
    if sentences:
        lines += ["", "What the numbers mean (against the built-in spaces):"]
        for sentence in sentences.values():
            lines += _wrapped(sentence)
    decision = output["decision"]
    budget = decision["budget"]
    how = "default budget; --trials N for yours" if budget["default"] else "--trials"
    objectives = "1 objective" if budget["n_objectives"] == 1 else f"{budget['n_objectives']} objectives"
    setting = f"{budget['n_trials']} trials ({how}), {budget['n_workers']} at a time, {objectives}"
    lines += ["", f"Search strategy for {setting}:"]
    lines += ["  " + line for line in format_decision(decision, width=_WIDTH - 2).splitlines()]
    if decision["optuna_sampler"] == "GPSampler" and budget["seconds_per_trial"] is None:
        from nas_complexity.strategies import MAX_SAMPLER_SHARE

        lines += textwrap.wrap(
            "Cost: GPSampler itself takes seconds per trial on categorical spaces, more as trials accumulate (the "
            "README's 'Say what a trial costs' gives the measurements). If your trials are cheap, give "
            f"--seconds-per-trial S: a sampler measured above {MAX_SAMPLER_SHARE:.0%} of S per trial is passed "
            "over for a cheaper one.",
            _WIDTH, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False,  # keep flags whole
        )
    cache = output["cache"]
    if cache["status"] == "read":
        lines += ["", f"profile read from cache ({cache['file']}); --no-cache to recompute"]
    elif cache["status"] == "not cached" and cache["reason"]:
        lines += ["", f"profile not cached: {cache['reason']}"]
    if args.out:
        lines.append(f"report written to {args.out}")
    if args.plot:
        lines.append(f"spider chart written to {args.plot}")
    return "\n".join(lines)


def _hyperparameter_space_note(space: Any) -> str | None:
    """Why an NNI file gets no performance diversity (said once, with what the user can do), or ``None``."""
    if isinstance(space, str):
        return None  # built-in spaces have network builders
    return (
        "not available for a pure hyperparameter space: performance diversity is the spread of a zero-cost proxy "
        "scored on networks built from the architectures, and an NNI search-space file describes hyperparameters, "
        "not a network (--no-performance leaves it out)"
    )


def _cmd_profile(args: argparse.Namespace) -> int:
    from nas_complexity.metrics import PerformanceDiversity
    from nas_complexity.profiling import profile
    from nas_complexity.report import plot_spider
    from nas_complexity.strategies import Budget, decide

    started = time.perf_counter()
    # Everything that can be wrong with the command line is found before any work is done.
    _check_flag_combinations(args)
    if args.out:
        _check_output_path("--out", args.out)
    if args.plot:
        _check_output_path("--plot", args.plot, _image_formats())
    budget = Budget(
        n_trials=args.trials or DEFAULT_TRIALS, n_workers=args.parallel, n_objectives=args.objectives,
        seconds_per_trial=args.seconds_per_trial,
    )
    space = _resolve_cli_space(args.space, args.truncate_sigmas, args.space_kind)
    space_name = space if isinstance(space, str) else space.name
    no_network = None if args.no_performance else _hyperparameter_space_note(space)
    performance = not args.no_performance and no_network is None
    perf_options = _performance_options(args)
    table, load_lookup = _accuracy_table(args, space_name) if performance else (None, lambda: None)

    # The accuracy lookup is a function, which no cache key can hold: the key holds the table's identity instead
    # (name, files, sizes, modification times), so a run with the same table is served from the cache.
    key_kwargs: dict[str, Any] = {"seed": args.seed, "samples": args.samples, "performance": performance}
    if performance:
        key_kwargs["performance_options"] = {**perf_options, "accuracy_table": table}
    progress = not args.no_progress and (sys.stderr.isatty() or args.verbose)

    def run() -> Any:
        options = dict(perf_options)
        lookup = load_lookup()
        if lookup is not None:
            options["accuracy"] = lookup
        report = profile(
            space, seed=args.seed, samples=args.samples, performance=performance, progress=progress,
            performance_options=options, on_stage=lambda s: _log.info("%s: %s", space_name, s),
        )
        if table is not None and report.performance_diversity is not None:
            # Which table the accuracy figures come from (the profile itself only saw a lookup function).
            perf = dataclasses.replace(report.performance_diversity, accuracy_table=table["table"])
            report = dataclasses.replace(report, performance_diversity=perf)
        return report

    report, cache = _cached_profile(space, key_kwargs, run, use_cache=not args.no_cache)
    # What is shown is composed here; the (possibly cached) report is never changed.
    shown = dataclasses.replace(report, decision=None)
    if no_network is not None:
        unavailable = PerformanceDiversity.unavailable(perf_options["proxy"], no_network)
        shown = dataclasses.replace(shown, performance_diversity=unavailable)
    decision = decide(shown, budget)
    if args.plot:
        plot_spider([shown], args.plot, title=f"{shown.space}: search-space complexity")
    output = profile_output(
        shown, decision, budget, args.trials is None, cache, round(time.perf_counter() - started, 3)
    )
    if args.out:
        args.out.write_text(json.dumps(output, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(output, allow_nan=False))
    else:
        print(_profile_text(shown, output, args))
    return 0


# ---------------------------------------------------------------------------------------------- nni-config
def _nni_config_text(config: Any, advice: Any, args: argparse.Namespace, written: bool) -> str:
    from nas_complexity.report import format_decision

    status = advice.status()
    budget = advice.budget
    how = "--trials" if args.trials else "maxTrialNumber"
    lines = [f"NNI experiment config: {config.path}", "", str(advice.report), ""]
    lines.append(
        f"Tuner for {budget.n_trials} trials ({how}), {budget.n_workers} at a time, {budget.direction} "
        f"({status['direction_from']}):"
    )
    lines += ["  " + line for line in format_decision(advice.decision.to_dict(), width=_WIDTH - 2).splitlines()]
    chosen = f"{advice.advised['name']} with classArgs {json.dumps(advice.advised['class_args'], sort_keys=True)}"
    lines.append("")
    if advice.state == "kept":
        user = advice.user_tuner.get("name") or advice.user_tuner.get("class_name")
        lines.append(f"The config's tuner {user} is kept; --override replaces it with {chosen}.")
    elif written:
        lines.append(f"Tuner section of {config.path} set to {chosen}; every other line is unchanged.")
    else:
        lines.append(f"Tuner: {chosen}. --write puts it into {config.path} (the tuner section only).")
    return "\n".join(lines)


def _cmd_nni_config(args: argparse.Namespace) -> int:
    from nas_complexity.integration import advise_nni_tuner
    from nas_complexity.integration._nni_config_file import NniConfigFile

    # Everything that can be wrong with the config is found before the profile.
    config = NniConfigFile.read(args.config)
    space, source = config.search_space
    config.direction  # noqa: B018 -- checks optimize_mode, naming the file
    n_trials = args.trials or config.n_trials
    if n_trials is None:
        raise config.error("maxTrialNumber", "missing, so the trial budget is unknown", "maxTrialNumber in the config, or --trials N")
    advice = advise_nni_tuner(
        space, n_trials=n_trials, n_workers=config.n_workers, user_tuner=config.tuner, assessor=config.assessor,
        override=args.override, seconds_per_trial=args.seconds_per_trial, cache=not args.no_cache,
        space_kind=args.space_kind, truncate_sigmas=args.truncate_sigmas, source=source,
    )
    if advice.state == "fallback":
        cause = advice.cause.replace("truncate_sigmas=k", "--truncate-sigmas K")  # the flag, in a command line
        print(f"nas-complexity nni-config: no tuner chosen, {config.path} left as it is: {cause}", file=sys.stderr)
        return 1
    written = args.write and advice.applied
    if written:
        config.write_tuner(advice.tuner)
    if args.json:
        print(json.dumps({**advice.to_dict(), "config": str(config.path), "written": written}, allow_nan=False))
    else:
        print(_nni_config_text(config, advice, args, written))
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


# ------------------------------------------------------------------------------------------------- compare
def _compare_budgets(text: str) -> list[int]:
    try:
        budgets = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        budgets = []
    if not budgets or min(budgets) < 1:
        raise ValueError(f"--trials {text!r}: accepted comma-separated positive integers, e.g. 25,100,300")
    return budgets


def _compare_sources(items: Sequence[str], data: Path) -> list[Any]:
    """The settings named by ``--tables``: built-in ones by name, user tables as ``DATA.csv:DESCRIPTION``."""
    from nas_complexity.benchmarking import BuiltinSettingRef, UserTableRef, list_settings

    known = list_settings()
    accepted = "names from list_settings() (" + ", ".join(known) + "), 'all', or DATA.csv:DESCRIPTION.json"
    names = [part.strip() for item in items for part in item.split(",") if part.strip()]
    sources: list[Any] = []
    for name in names:
        if name == "all" or name in known:
            if not data.is_dir():
                raise ValueError(f"--data {data}: folder of the benchmark tables not found (needed by --tables {name})")
            sources.extend(BuiltinSettingRef(n, str(data)) for n in (known if name == "all" else [name]))
        elif ":" in name:
            csv_path, description = name.rsplit(":", 1)
            for what, path in (("data CSV", csv_path), ("description", description)):
                if not Path(path).is_file():
                    raise FileNotFoundError(f"--tables {name}: {what} file {path!r} not found; accepted: {accepted}")
            sources.append(UserTableRef(csv_path, description))
        else:
            raise ValueError(f"--tables {name!r}: unknown table; accepted: {accepted}")
    if not sources:
        raise ValueError(f"--tables: no table given; accepted: {accepted}")
    return list(dict.fromkeys(sources))


def _compare_strategies(text: str | None, settings: Sequence[Any], budgets: Sequence[int]) -> list[Any]:
    from nas_complexity.benchmarking import STRATEGIES, why_not_runnable

    if text is None:
        chosen = []
        for strategy in STRATEGIES.values():
            why = why_not_runnable(strategy, settings, budgets)
            if why:
                print(f"nas-complexity compare: {strategy.name} left out: {'; '.join(why)}", file=sys.stderr)
            else:
                chosen.append(strategy)
        return chosen
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in STRATEGIES]
    if unknown or not names:
        raise ValueError(f"--strategies {text!r}: unknown {', '.join(map(repr, unknown)) or 'empty list'}; "
                         f"accepted: {', '.join(STRATEGIES)}")
    for name in names:
        why = why_not_runnable(STRATEGIES[name], settings, budgets)
        if why:
            raise ValueError(f"--strategies: {name} cannot run: {'; '.join(why)}")
    return [STRATEGIES[n] for n in dict.fromkeys(names)]


def _compare_caps(items: Sequence[str]) -> dict[str, int]:
    caps: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f"--max-trials {item!r}: accepted: STRATEGY=N with N a positive trial count, e.g. gp=100")
        caps[name.strip()] = int(value)
    return caps


def _cmd_compare(args: argparse.Namespace) -> int:
    from nas_complexity.benchmarking import compare, resolve_setting
    from nas_complexity.paper import default_data_root

    budgets = _compare_budgets(args.trials)
    if args.out.exists() and not args.out.is_dir():
        raise ValueError(f"--out {args.out}: is a file; accepted: a folder (created if missing)")
    data = args.data if args.data is not None else default_data_root()
    sources = _compare_sources(args.tables, data)
    settings = [resolve_setting(source) for source in sources]  # loaded once here; compare reuses them
    strategies = _compare_strategies(args.strategies, settings, budgets)
    caps = _compare_caps(args.max_trials)
    progress = not args.no_progress and (sys.stderr.isatty() or args.verbose)
    start = time.perf_counter()
    try:
        result = compare(sources, strategies, budgets=budgets, seeds=args.seeds, out=args.out, progress=progress,
                         seed=args.seed, workers=args.workers, max_trials=caps)
    except RuntimeError as exc:  # some runs failed; the finished ones are stored and a rerun resumes
        print(f"nas-complexity compare: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    print(f"{len(settings)} settings x {len(strategies)} strategies x {args.seeds} seeds: {result.executed} runs "
          f"executed, {result.skipped} read back from {args.out}, in {seconds:.0f} s")
    table = result.across_table()
    if table.empty:
        print("across settings: no strategy ran on every setting, so there is no single best strategy")
    else:
        print("\nAcross settings: mean normalised regret; share of the SBS-to-VBS gap closed; regret / VBS")
        print(f"{'budget':>6}  {'strategy':<34}{'regret':>9}{'gap closed':>12}{'/ VBS':>8}")
        for row in table.itertuples(index=False):
            gap = "-" if row.gap_closed is None or row.gap_closed != row.gap_closed else f"{row.gap_closed:.2f}"
            ratio = "-" if row.ratio_to_vbs is None or row.ratio_to_vbs != row.ratio_to_vbs else f"{row.ratio_to_vbs:.2f}"
            print(f"{row.budget:>6}  {row.strategy:<34}{row.mean_regret:>9.3f}{gap:>12}{ratio:>8}")
    print("\nwritten:")
    for path in result.files:
        print(f"  {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input, 1 for other failures)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the message naming the flag (or --help / --version)
        return exc.code if isinstance(exc.code, int) else 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    commands = {
        "spaces": _cmd_spaces, "profile": _cmd_profile, "paper": _cmd_paper, "compare": _cmd_compare,
        "nni-config": _cmd_nni_config,
    }
    try:
        return commands[args.command](args)
    except (NASComplexityError, ValueError, FileNotFoundError) as exc:
        print(f"nas-complexity: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
