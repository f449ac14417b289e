"""The comparison harness: strategies x seeds x settings at equal budgets, on an executor, resumable.

One *run* is one in-memory Optuna study of one strategy on one setting with one seed, for the largest budget
(strategies whose behaviour does not depend on the budget: every smaller budget is a prefix of that run) or for
each budget on its own (``budget_aware`` strategies: the advisor, the AutoSampler-like rule). A run is a pure
function of (setting, strategy, number of trials, seed), so runs are independent tasks for any
``concurrent.futures.Executor``: a process pool on the usable cores by default, or e.g. a Dask cluster's
``client.get_executor()``.

What a run records (one JSON line in ``out/runs.jsonl``, appended as soon as the run finishes, so an interrupted
comparison resumes where it stopped and a run cut off mid-way is simply redone): the metric of every trial
(``null`` for a pruned or failed one), the normalised best-so-far regret after every trial, the evaluations until
the table's top 1% was reached, what actually sampled (the advisor's and the rule's choice), and the *sampler
seconds* of every trial: the trial's wall time inside ``study.optimize`` (ask, every ``suggest`` call, which is
where Optuna samples, tell, and the strategy's callbacks) minus the table lookup. The advisor profiles the space
inside its first trial, so that trial holds the profile's cost (the profile cache is private to each worker
process: a space is profiled once per process).

Settings travel to worker processes as what they are: a :class:`BuiltinSettingRef` or :class:`UserTableRef` is
loaded once in each worker (use them for big tables or a cluster: only the name and paths are sent); a setting
object is pickled with every run (an NB201 table pickles to 2.5 MB in 10 ms, cheap next to a run).

Example:
    >>> import itertools, tempfile, pandas as pd
    >>> from nas_complexity.benchmarking import SerialExecutor, compare, load_user_table
    >>> grid = pd.DataFrame(list(itertools.product("abc", repeat=3)), columns=["x0", "x1", "x2"]).assign(acc=range(27))
    >>> toy = load_user_table(grid, {"metric": "acc", "direction": "maximize"}, name="toy")
    >>> out = tempfile.mkdtemp()
    >>> result = compare([toy], ["random", "tpe"], budgets=(4, 8), seeds=2, out=out,
    ...                  executor=SerialExecutor(), progress=False, plots=False)
    >>> result.executed, sorted(result.summary["strategy"].unique()), result.summary["budget"].unique().tolist()
    (4, ['random', 'tpe'], [4, 8])
    >>> compare([toy], ["random", "tpe"], budgets=(4, 8), seeds=2, out=out,
    ...         executor=SerialExecutor(), progress=False, plots=False).executed   # resumed: nothing to redo
    0
"""
from __future__ import annotations

import json
import math
import multiprocessing
import time
import warnings
from collections import Counter, deque
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    wait,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from nas_complexity.benchmarking._stats import (
    across_settings,
    area_under_regret,
    evaluations_to_reach,
    gap_closed,
    leave_one_group_out,
    mean_ci,
    ratio_to_vbs,
    regret_at,
    select_single_best,
    top_fraction_threshold,
)
from nas_complexity.benchmarking._strategies import STRATEGIES, SearchStrategy
from nas_complexity.logging import get_logger
from nas_complexity.profiling import local_process_pool, usable_cores

__all__ = [
    "DEFAULT_BUDGETS",
    "LANDSCAPE_FEATURES",
    "RUNS_FILE",
    "TOP_FRACTION",
    "BuiltinSettingRef",
    "Comparison",
    "SerialExecutor",
    "UserTableRef",
    "compare",
    "resolve_setting",
    "run_one",
    "setting_features",
    "why_not_runnable",
]

_log = get_logger(__name__)

DEFAULT_BUDGETS = (25, 100, 300)
RUNS_FILE = "runs.jsonl"
TOP_FRACTION = 0.01
"""``evals_to_top1``: evaluations until an architecture in the table's best 1% is found."""
_RECORD_VERSION = 1


# ------------------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class BuiltinSettingRef:
    """A built-in setting by name, loaded where it runs: ``load_setting(name, root, **options)``.

    The default options prune a proposal the table lacks (TransNAS-Bench-101 macro holds no architecture that
    breaks its space's down/widen-count constraint): the trial counts towards the budget, as a failed training
    would, and samplers ignore it. On a complete table nothing is ever pruned.

    Example:
        >>> BuiltinSettingRef("nb201/cifar10", "../shared/data").options
        (('missing', 'prune'),)
    """

    name: str
    root: str
    options: tuple[tuple[str, Any], ...] = (("missing", "prune"),)

    def load(self) -> Any:
        from nas_complexity.benchmarking import load_setting

        return load_setting(self.name, self.root, **dict(self.options))


@dataclass(frozen=True)
class UserTableRef:
    """A user table, loaded where it runs: ``load_user_table(csv_path, description, name=name)``.

    Example:
        >>> UserTableRef("data.csv", "description.json").csv_path
        'data.csv'
    """

    csv_path: str
    description: str
    name: str | None = None

    def load(self) -> Any:
        from nas_complexity.benchmarking import load_user_table

        return load_user_table(self.csv_path, self.description, name=self.name)


_LOADED: dict[Any, Any] = {}  # per process: a referenced setting is loaded once per worker


def resolve_setting(source: Any) -> Any:
    """The setting of a :class:`BuiltinSettingRef` or :class:`UserTableRef` (loaded once per process), or
    ``source`` itself when it already is a setting.

    Example:
        >>> import pandas as pd
        >>> from nas_complexity.benchmarking import load_user_table
        >>> toy = load_user_table(pd.DataFrame({"op": ["a", "b", "c"], "acc": [1.0, 3.0, 2.0]}),
        ...                       {"metric": "acc", "direction": "maximize"}, name="toy")
        >>> resolve_setting(toy) is toy
        True
    """
    if not isinstance(source, (BuiltinSettingRef, UserTableRef)):
        return source  # a setting object (pickled with the task)
    if source not in _LOADED:
        _LOADED[source] = source.load()
    return _LOADED[source]


@dataclass(frozen=True)
class _TableFacts:
    """What the statistics need from a table, computed once in the parent and sent with each run."""

    n: int
    best: float
    median: float
    worst_regret: float
    top_threshold: float
    direction: str
    missing: str = "raise"

    @classmethod
    def of(cls, objective: Any) -> "_TableFacts":
        # TabularObjective exposes best and median but not its values; the top-1% threshold and the worst entry
        # need them, so they are read here once.
        values = objective.values
        worst = float(values.min() if objective.direction == "maximize" else values.max())
        return cls(n=int(values.size), best=float(objective.best_value), median=float(objective.median_value),
                   worst_regret=float(objective.normalised_regret(worst)),
                   top_threshold=top_fraction_threshold(values, TOP_FRACTION, objective.direction),
                   direction=objective.direction, missing=objective.missing)

    def fingerprint(self) -> list[Any]:
        """Identifies the table a stored run was made on: a replaced table under the same name (or another policy
        for proposals the table lacks) is run again."""
        return [self.n, round(self.best, 10), round(self.median, 10), self.direction, self.missing]


# ---------------------------------------------------------------------------------------------- runs
@dataclass(frozen=True)
class _Task:
    source: Any
    setting: str
    strategy: SearchStrategy
    n_trials: int
    seed: int
    facts: _TableFacts

    @property
    def key(self) -> str:
        return _key(self.setting, self.strategy.name, self.seed, self.n_trials)


def _key(setting: str, strategy: str, seed: int, n_trials: int) -> str:
    return json.dumps([setting, strategy, seed, n_trials])


def _finite_or_none(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def run_one(task: _Task) -> dict[str, Any]:
    """Run one study (a task built by :func:`compare`) and return its record (see the module docstring).

    Executed in worker processes; the Optuna log is silenced during the run and restored afterwards.
    """
    import optuna

    setting = resolve_setting(task.source)
    objective = setting.objective
    strategy = task.strategy
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    lookup: dict[int, float] = {}
    ends: dict[int, float] = {}

    def timed_objective(trial: optuna.Trial) -> float:
        arch = objective.suggest(trial)  # the sampler's work: inside the trial's sampler time
        t0 = time.perf_counter()
        value = objective.value_of(arch)
        lookup[trial.number] = time.perf_counter() - t0
        if math.isnan(value) and objective.missing == "prune":
            raise optuna.TrialPruned(f"architecture {arch} is not in the table")
        return value

    def mark_end(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        ends[trial.number] = time.perf_counter()

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study = optuna.create_study(direction=objective.direction,
                                        sampler=strategy.make_sampler(setting, task.n_trials, task.seed))
            callbacks = strategy.attach(study, setting, task.n_trials, task.seed)
            start = time.perf_counter()
            # mark_end last: the strategy's own callbacks (the advisor's re-decision) count as sampler time.
            study.optimize(timed_objective, n_trials=task.n_trials, callbacks=[*callbacks, mark_end])
            wall = time.perf_counter() - start
    finally:
        optuna.logging.set_verbosity(verbosity)

    trials = sorted(study.trials, key=lambda t: t.number)
    values = [float(t.value) if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None else math.nan
              for t in trials]
    curve = objective.regret_curve(values)
    previous, seconds = start, []
    for t in trials:
        end = ends.get(t.number, previous)
        seconds.append(max(0.0, end - previous - lookup.get(t.number, 0.0)))
        previous = end
    return {
        "key": task.key,
        "version": _RECORD_VERSION,
        "setting": task.setting,
        "strategy": strategy.name,
        "seed": task.seed,
        "n_trials": task.n_trials,
        "budget_aware": strategy.budget_aware,
        "fingerprint": task.facts.fingerprint(),
        "chosen": strategy.chosen(study),
        "values": [_finite_or_none(v) for v in values],
        "regret": [_finite_or_none(v) for v in curve],
        "sampler_seconds": [round(s, 6) for s in seconds],
        "evals_to_top1": evaluations_to_reach(values, task.facts.top_threshold, task.facts.direction),
        "worst_regret": task.facts.worst_regret,
        "n_incomplete": int(sum(math.isnan(v) for v in values)),
        "wall_seconds": round(wall, 4),
        "objective_seconds": round(sum(lookup.values()), 6),
    }


class SerialExecutor(Executor):
    """A ``concurrent.futures.Executor`` that runs each task in the calling process when it is submitted (tests,
    debugging, ``workers=1``).

    Example:
        >>> SerialExecutor().submit(pow, 2, 5).result()
        32
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            future.set_exception(exc)
        return future


def _default_executor(workers: int | None) -> Executor:
    n = workers or usable_cores()
    if n <= 1:
        return SerialExecutor()
    # forkserver: workers start from a clean process (no copies of the parent's threads, e.g. tqdm's monitor).
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    # Its workers exit if this process is killed, like the profile's scoring pool; each uses its share of the cores.
    return local_process_pool(n, mp_context=multiprocessing.get_context(method), threads=max(1, usable_cores() // n))


def _read_runs(path: Path) -> dict[str, dict[str, Any]]:
    """Finished runs by key; a line cut off by an interruption is ignored (that run is redone)."""
    runs: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return runs
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and record.get("version") == _RECORD_VERSION and "key" in record:
                runs[record["key"]] = record  # the last line of a key wins
    return runs


# --------------------------------------------------------------------------------------------- result
@dataclass
class Comparison:
    """What :func:`compare` measured and wrote.

    Attributes:
        out: the output folder.
        summary: one row per (setting, budget, strategy): ``mean_regret``, ``ci_low``, ``ci_high`` (95% Student-t
            over seeds), ``auc`` (mean regret over trials 1..budget), ``evals_to_top1`` (median over seeds;
            empty when fewer than half reached it), ``top1_reached`` (share of seeds), ``rank`` (among the
            strategies on that setting and budget; ties averaged), ``seconds_per_trial`` (sampler seconds),
            ``n_seeds`` and ``chosen`` (what sampled, with the number of seeds).
        across: per budget, the across-settings summary: ``sbs``, ``sbs_regret``, ``vbs_regret``, ``vbs_choice``
            and per selector (``advisor``, ``auto``) ``regret``, ``gap_closed``, ``ratio_to_vbs``; with settings
            from several space groups also ``sbs_held_out`` (the SBS chosen without the held-out group).
        features: one row per setting: its profile features (see :func:`setting_features`).
        curves: mean best-so-far regret per (setting, strategy, trial) with its 95% CI, from the runs to the
            largest budget.
        runs: one row per run (no per-trial arrays).
        files: the files written.
        executed: runs executed by this call (the others were read back from ``runs.jsonl``).
        skipped: runs read back.
    """

    out: Path
    summary: pd.DataFrame
    across: dict[int, dict[str, Any]]
    features: pd.DataFrame
    curves: pd.DataFrame
    runs: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    executed: int = 0
    skipped: int = 0

    def across_table(self) -> pd.DataFrame:
        """The across-settings summary as a table: one row per budget and strategy (fixed ones, SBS, VBS and the
        selectors)."""
        rows = []
        for budget, a in self.across.items():
            sbs, vbs = a["sbs_regret"], a["vbs_regret"]
            rows.append({"budget": budget, "strategy": f"SBS ({a['sbs']})", "mean_regret": sbs,
                         "gap_closed": gap_closed(sbs, sbs, vbs), "ratio_to_vbs": ratio_to_vbs(sbs, vbs)})
            rows.append({"budget": budget, "strategy": "VBS (oracle)", "mean_regret": vbs,
                         "gap_closed": gap_closed(sbs, vbs, vbs), "ratio_to_vbs": ratio_to_vbs(vbs, vbs)})
            if "sbs_held_out" in a:
                rows.append({"budget": budget, "strategy": "SBS, held-out groups",
                             "mean_regret": a["sbs_held_out"]["regret"],
                             "gap_closed": a["sbs_held_out"]["gap_closed"],
                             "ratio_to_vbs": a["sbs_held_out"]["ratio_to_vbs"]})
            for name, s in a["selectors"].items():
                rows.append({"budget": budget, "strategy": name, "mean_regret": s["regret"],
                             "gap_closed": s["gap_closed"], "ratio_to_vbs": s["ratio_to_vbs"]})
        return pd.DataFrame(rows, columns=["budget", "strategy", "mean_regret", "gap_closed", "ratio_to_vbs"])


# ----------------------------------------------------------------------------------------- features
LANDSCAPE_FEATURES = ("fdc", "autocorrelation", "local_optima_fraction", "additivity", "skewness")
"""The landscape measures a setting is placed by in the efficiency plot (see
:class:`~nas_complexity.metrics.Landscape`): how easy the space is for local search (FDC, autocorrelation, local
optima) and for a model of independent effects (additivity), and the shape of the metric's distribution."""

def setting_features(setting: Any) -> dict[str, Any]:
    """A setting's complexity features: ``log10_size`` and ``architecture_diversity`` from
    ``nas_complexity.profile(space, performance=False)``, ``table_performance_sd`` (SD of the table's metric after
    the profile's default scaling: clip at the 5th/95th percentiles, then [0, 1]), ``n_architectures`` (table
    entries), the landscape of the table's metric (``landscape_<measure>`` for each of
    :data:`LANDSCAPE_FEATURES`, from :func:`~nas_complexity.metrics.landscape_of_table`, sampled within its
    default budget), and, when the report has them, its proxy ``performance_diversity`` and the proxy's landscape
    (``proxy_landscape_<measure>``).

    Example:
        >>> import pandas as pd
        >>> from nas_complexity.benchmarking import load_user_table
        >>> toy = load_user_table(pd.DataFrame({"op": ["a", "b", "c"], "acc": [1.0, 3.0, 2.0]}),
        ...                       {"metric": "acc", "direction": "maximize"}, name="toy")
        >>> f = setting_features(toy)
        >>> f["size"], f["n_architectures"], round(f["log10_size"], 3)
        (3, 3, 0.477)
    """
    from nas_complexity import profile
    from nas_complexity.metrics import landscape_of_table, scale

    space = setting.objective.space
    report = profile(space, performance=False, seed=0)
    features: dict[str, Any] = {
        "size": report.size.total,
        "log10_size": report.size.log10,
        "architecture_diversity": report.architecture_diversity.value,
        "table_performance_sd": float(np.std(scale(setting.objective.values).values)),
        "n_architectures": setting.objective.n_architectures,
    }
    if report.performance_diversity is not None and report.performance_diversity.sd is not None:
        features["performance_diversity"] = report.performance_diversity.sd
    true_landscape = landscape_of_table(setting.objective, seed=0).to_dict()
    for prefix, measured in (("landscape_", true_landscape), ("proxy_landscape_", report.landscape)):
        if isinstance(measured, Mapping):
            features.update({f"{prefix}{k}": measured.get(k) for k in LANDSCAPE_FEATURES})
    return features


# ------------------------------------------------------------------------------------------- summary
def _budget_runs(records: Sequence[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The runs that give ``budget``: budget-aware ones made for it, the others (prefixes) reaching it."""
    return [r for r in records if (r["n_trials"] == budget if r["budget_aware"] else r["n_trials"] >= budget)]


def _median_evals(evals: Sequence[int | None]) -> float | None:
    # A seed that never reached the top 1% counts as infinitely many evaluations.
    x = np.sort([math.inf if e is None else float(e) for e in evals])
    if x.size == 0:
        return None
    median = float(np.median(x)) if np.isfinite(np.median(x)) else math.inf
    return None if math.isinf(median) else median


def _summarise(records: Sequence[dict[str, Any]], budgets: Sequence[int],
               order: Sequence[tuple[str, str]]) -> pd.DataFrame:
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        by_pair.setdefault((r["setting"], r["strategy"]), []).append(r)
    rows = []
    for setting, strategy in order:
        pair = by_pair.get((setting, strategy), [])
        for b in budgets:
            runs = _budget_runs(pair, b)
            if not runs:
                continue
            curves = [np.asarray([np.nan if v is None else v for v in r["regret"]], dtype=float) for r in runs]
            regrets = [regret_at(c, b) for c in curves]
            mean, low, high = mean_ci(regrets)
            evals = [e if e is not None and e <= b else None for e in (r["evals_to_top1"] for r in runs)]
            chosen = Counter(r["chosen"] for r in runs)
            rows.append({
                "setting": setting, "budget": b, "strategy": strategy, "mean_regret": mean, "ci_low": low,
                "ci_high": high,
                "auc": float(np.mean([area_under_regret(c, b, fill=r["worst_regret"]) for c, r in zip(curves, runs)])),
                "evals_to_top1": _median_evals(evals),
                "top1_reached": float(np.mean([e is not None for e in evals])),
                "seconds_per_trial": float(np.mean([sum(r["sampler_seconds"][:b]) / b for r in runs])),
                "n_seeds": len(runs),
                "chosen": "; ".join(f"{name} x{n}" for name, n in chosen.most_common()),
            })
    summary = pd.DataFrame(rows)
    if summary.empty:
        return summary
    # Ranks among the strategies run on the same setting and budget (1 = lowest mean regret; ties averaged).
    summary["rank"] = summary.groupby(["setting", "budget"])["mean_regret"].rank(method="average")
    columns = ["setting", "budget", "strategy", "mean_regret", "ci_low", "ci_high", "auc", "evals_to_top1",
               "top1_reached", "rank", "seconds_per_trial", "n_seeds", "chosen"]
    return summary[columns]


def _per_setting_table(summary: pd.DataFrame, budget: int, strategies: Sequence[str]) -> pd.DataFrame:
    block = summary[summary["budget"] == budget]
    table = block.pivot(index="setting", columns="strategy", values="mean_regret")
    return table.reindex(columns=[s for s in strategies if s in table.columns])


def _across(summary: pd.DataFrame, budgets: Sequence[int], strategies: Sequence[SearchStrategy],
            groups: Mapping[str, str]) -> dict[int, dict[str, Any]]:
    names = [s.name for s in strategies]
    selectors = [s.name for s in strategies if s.selector]
    out: dict[int, dict[str, Any]] = {}
    for b in budgets:
        table = _per_setting_table(summary, b, names)
        fixed = [c for c in table.columns if c not in selectors]
        if table.empty or not fixed or not any(table[c].notna().all() for c in fixed):
            continue
        result = across_settings(table, selectors)
        if len({groups[s] for s in table.index}) > 1:
            # The SBS in hindsight has seen every setting; the held-out SBS is what a fixed choice learnt on the
            # other space groups achieves, a fairer bar for a selector.
            complete = table[[c for c in fixed if table[c].notna().all()]]
            held = leave_one_group_out(complete, groups, select_single_best)
            regret = float(held["regret"].mean())
            result["sbs_held_out"] = {"regret": regret,
                                      "gap_closed": gap_closed(result["sbs_regret"], regret, result["vbs_regret"]),
                                      "ratio_to_vbs": ratio_to_vbs(regret, result["vbs_regret"])}
        out[b] = result
    return out


def _curves(records: Sequence[dict[str, Any]], budget: int, order: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Mean best-so-far regret and its 95% t-interval per trial, over the seeds' runs to ``budget``."""
    from scipy import stats

    frames = []
    for setting, strategy in order:
        runs = [r for r in records if r["setting"] == setting and r["strategy"] == strategy]
        runs = _budget_runs(runs, budget)
        if not runs:
            continue
        curves = np.asarray([[np.nan if v is None else v for v in r["regret"][:budget]] for r in runs], dtype=float)
        n = np.sum(np.isfinite(curves), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns before the first finite value
            mean = np.nanmean(curves, axis=0)
            sd = np.nanstd(curves, axis=0, ddof=1)
            half = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n), np.nan)
        frames.append(pd.DataFrame({"setting": setting, "strategy": strategy, "trial": np.arange(1, budget + 1),
                                    "mean_regret": mean, "ci_low": mean - half, "ci_high": mean + half}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["setting", "strategy", "trial", "mean_regret", "ci_low", "ci_high"])


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return value


# ------------------------------------------------------------------------------------------- compare
def _as_strategy(item: str | SearchStrategy) -> SearchStrategy:
    if isinstance(item, SearchStrategy):
        return item
    if item not in STRATEGIES:
        raise ValueError(f"unknown strategy {item!r}; accepted: {', '.join(STRATEGIES)}")
    return STRATEGIES[item]


def why_not_runnable(strategy: SearchStrategy, settings: Sequence[Any], budgets: Sequence[int]) -> list[str]:
    """Why ``strategy`` cannot take part in a comparison of ``settings`` at ``budgets`` (empty: it can): it
    applies to none of them, or an optional package one of its runs needs is missing.

    Example:
        >>> import pandas as pd
        >>> from nas_complexity.benchmarking import load_user_table
        >>> toy = load_user_table(pd.DataFrame({"op": ["a", "b", "c"], "acc": [1.0, 3.0, 2.0]}),
        ...                       {"metric": "acc", "direction": "maximize"}, name="toy")
        >>> why_not_runnable(STRATEGIES["cma_es"], [toy], [10])
        ['applies to none of the settings (e.g. CMA-ES needs an all-numeric space)']
        >>> why_not_runnable(STRATEGIES["tpe"], [toy], [10])
        []
    """
    applicable = [s for s in settings if strategy.applies_to(s)]
    if not applicable:
        return ["applies to none of the settings (e.g. CMA-ES needs an all-numeric space)"]
    missing = (strategy.missing_dependency(s, b) for s in applicable for b in budgets)
    return list(dict.fromkeys(m for m in missing if m))


def _check_budgets(budgets: Iterable[int]) -> tuple[int, ...]:
    out = tuple(sorted({int(b) for b in budgets}))
    if not out or out[0] < 1:
        raise ValueError(f"budgets must be positive trial counts, got {list(budgets)}")
    return out


def compare(
    settings: Sequence[Any],
    strategies: Sequence[str | SearchStrategy] | None = None,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    seeds: int | Sequence[int] = 10,
    out: str | Path = "comparison",
    executor: Executor | None = None,
    progress: bool = True,
    seed: int = 0,
    *,
    workers: int | None = None,
    features: Callable[[Any], Mapping[str, Any]] | None = setting_features,
    plots: bool = True,
    max_trials: Mapping[str, int] | None = None,
) -> Comparison:
    """Run every applicable strategy on every setting for every seed at equal budgets; summarise and plot.

    Args:
        settings: benchmark settings (objects with ``name``, ``objective`` (a
            :class:`~nas_complexity.benchmarking.TabularObjective`) and ``space_group``), or
            :class:`BuiltinSettingRef` / :class:`UserTableRef` (loaded once here and once in each worker).
        strategies: names from :data:`~nas_complexity.benchmarking.STRATEGIES` or :class:`SearchStrategy` objects
            (default: every one that applies to some setting and whose optional packages are installed, see
            :func:`why_not_runnable`). A strategy runs only on the settings it applies to (CMA-ES: all-numeric
            spaces).
        budgets: trial budgets at which everything is measured.
        seeds: the number of seeds (run seeds ``seed, seed + 1, ...``) or the run seeds themselves.
        out: output folder: ``runs.jsonl`` (read back to resume), ``summary.csv``, ``summary.json``,
            ``settings.csv`` (profile features), ``curves.csv``, ``timing.csv`` and the PNG plots.
        executor: where runs execute (any ``concurrent.futures.Executor``; ``None``: a process pool on the usable
            cores, or ``workers`` processes; one core or ``workers=1``: in this process). A given executor is not
            shut down.
        progress: show a progress bar of the runs (stderr).
        seed: the first run seed (each random step of a run is seeded from its run seed).
        workers: processes of the default pool.
        features: ``setting -> {feature: number}`` for the complexity plot and ``settings.csv``; ``None`` skips
            them.
        plots: write the PNG plots.
        max_trials: per strategy name, the largest budget it is run for (e.g. ``{"gp": 100}``: GP's cost grows
            with every trial); its rows at larger budgets are missing, and the SBS and VBS there are taken over the
            other fixed strategies.

    Returns:
        a :class:`Comparison`.

    Raises:
        ValueError: an unknown strategy, a bad budget or seed count, repeated setting names, a strategy that
            applies to none of the settings, or a missing optional package a requested run needs.
        RuntimeError: some runs failed (the others are stored; the message lists the failures).

    Example:
        >>> import itertools, tempfile, pandas as pd
        >>> from nas_complexity.benchmarking import load_user_table
        >>> grid = pd.DataFrame(list(itertools.product("abc", repeat=3)), columns=["x0", "x1", "x2"])
        >>> toy = load_user_table(grid.assign(acc=range(27)), {"metric": "acc", "direction": "maximize"}, name="toy")
        >>> result = compare([toy], ["random", "regularized_evolution"], budgets=(5,), seeds=3,
        ...                  out=tempfile.mkdtemp(), executor=SerialExecutor(), progress=False, plots=False)
        >>> result.summary[["strategy", "n_seeds"]].values.tolist()
        [['random', 3], ['regularized_evolution', 3]]
    """
    budgets = _check_budgets(budgets)
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise ValueError(f"seeds must be a positive number of seeds, got {seeds}")
        run_seeds = [seed + i for i in range(int(seeds))]
    else:
        run_seeds = [int(s) for s in seeds]
        if not run_seeds:
            raise ValueError("seeds is empty; accepted: a positive count or a list of seeds")
    loaded = [(source, resolve_setting(source)) for source in settings]
    if strategies is None:
        chosen_strategies = []
        for strategy in STRATEGIES.values():
            why = why_not_runnable(strategy, [s for _, s in loaded], budgets)
            if why:
                _log.info("compare: %s left out: %s", strategy.name, "; ".join(why))
            else:
                chosen_strategies.append(strategy)
    else:
        chosen_strategies = [_as_strategy(s) for s in strategies]
    if len({s.name for s in chosen_strategies}) != len(chosen_strategies):
        raise ValueError(f"strategies repeat: {[s.name for s in chosen_strategies]}")
    names = [s.name for _, s in loaded]
    if len(set(names)) != len(names):
        raise ValueError(f"setting names repeat: {names}; each setting needs its own name")
    caps = dict(max_trials or {})
    unknown_caps = sorted(set(caps) - {s.name for s in chosen_strategies})
    if unknown_caps:
        raise ValueError(f"max_trials names strategies not compared: {unknown_caps}; compared: "
                         f"{', '.join(s.name for s in chosen_strategies)}")
    facts = {s.name: _TableFacts.of(s.objective) for _, s in loaded}
    groups = {s.name: str(getattr(s, "space_group", "") or s.name) for _, s in loaded}

    tasks: list[_Task] = []
    problems: list[str] = []
    for strategy in chosen_strategies:
        applicable = [(src, s) for src, s in loaded if strategy.applies_to(s)]
        if not applicable:
            raise ValueError(f"strategy {strategy.name!r} applies to none of the settings {names}")
        own = [b for b in budgets if b <= caps.get(strategy.name, budgets[-1])]
        if not own:
            raise ValueError(f"max_trials[{strategy.name!r}]={caps[strategy.name]} is below every budget {list(budgets)}")
        for source, setting in applicable:
            for n_trials in (own if strategy.budget_aware else (own[-1],)):
                missing = strategy.missing_dependency(setting, n_trials)
                if missing:
                    problems.append(f"{strategy.name} on {setting.name} ({n_trials} trials): {missing}")
                    continue
                tasks.extend(_Task(source, setting.name, strategy, n_trials, s, facts[setting.name]) for s in run_seeds)
    if problems:
        raise ValueError("cannot run: " + "; ".join(dict.fromkeys(problems)))

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs_path = out / RUNS_FILE
    stored = _read_runs(runs_path)
    done = {t.key: stored[t.key] for t in tasks
            if t.key in stored and stored[t.key].get("fingerprint") == t.facts.fingerprint()}
    todo = [t for t in tasks if t.key not in done]
    _log.info("compare: %d runs, %d read back from %s, %d to run", len(tasks), len(done), runs_path, len(todo))

    failures = _execute(todo, executor, workers, progress, runs_path, done, skipped=len(done))
    records = [done[t.key] for t in tasks if t.key in done]
    if failures and not records:  # nothing to summarise: say why instead of writing empty tables
        raise RuntimeError(_failed(failures, todo, runs_path))

    order = [(s.name, st.name) for st in chosen_strategies for s in (x for _, x in loaded) if st.applies_to(s)]
    order.sort(key=lambda pair: names.index(pair[0]))  # settings in the given order, strategies in theirs
    summary = _summarise(records, budgets, order)
    across = _across(summary, budgets, chosen_strategies, groups) if not summary.empty else {}
    feature_rows = []
    if features is not None:
        for _, s in loaded:
            feature_rows.append({"setting": s.name, "space_group": groups[s.name], **dict(features(s))})
    feature_table = pd.DataFrame(feature_rows)
    curves = _curves(records, budgets[-1], order)
    run_table = pd.DataFrame([{k: v for k, v in r.items() if k not in ("values", "regret", "sampler_seconds")}
                              for r in records])
    result = Comparison(out=out, summary=summary, across=across, features=feature_table, curves=curves,
                        runs=run_table, executed=len(todo) - len(failures), skipped=len(tasks) - len(todo))
    result.files = _write(result, budgets, chosen_strategies, plots)
    if failures:
        raise RuntimeError(_failed(failures, todo, runs_path))
    return result


def _failed(failures: list[str], todo: list[Any], runs_path: Path) -> str:
    return (f"{len(failures)} of {len(todo)} runs failed (finished runs are stored in {runs_path}; run again to "
            "retry the rest): " + "; ".join(failures[:5]))


def _execute(todo: Sequence[_Task], executor: Executor | None, workers: int | None, progress: bool,
             runs_path: Path, done: dict[str, dict[str, Any]], skipped: int) -> list[str]:
    """Run ``todo`` on the executor, appending each finished run to ``runs_path``; returns the failures."""
    from tqdm.auto import tqdm

    failures: list[str] = []
    if not todo:
        return failures
    owned = executor is None
    pool = _default_executor(workers) if owned else executor
    assert pool is not None
    bar = tqdm(total=len(todo), desc="runs", unit="run", disable=not progress, dynamic_ncols=True)
    if skipped:
        bar.set_postfix_str(f"{skipped} read back")
    # A serial executor finishes each task inside submit(): submit one at a time so that the bar and runs.jsonl
    # advance run by run. Other executors get every task at once and schedule them themselves.
    window = 1 if isinstance(pool, SerialExecutor) else len(todo)
    queue = deque(todo)
    futures: dict[Future, _Task] = {}
    try:
        with runs_path.open("a", encoding="utf-8") as handle:
            while queue or futures:
                while queue and len(futures) < window:
                    task = queue.popleft()
                    futures[pool.submit(run_one, task)] = task
                finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = futures.pop(future)
                    try:
                        record = future.result()
                    except Exception as exc:
                        failures.append(f"{task.strategy.name} on {task.setting} seed {task.seed} "
                                        f"({task.n_trials} trials): {type(exc).__name__}: {exc}")
                        _log.warning("run failed: %s", failures[-1])
                    else:
                        handle.write(json.dumps(record, allow_nan=False) + "\n")
                        handle.flush()  # a finished run survives an interruption of the comparison
                        done[task.key] = record
                    bar.update(1)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    finally:
        bar.close()
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)
    return failures


def _write(result: Comparison, budgets: Sequence[int], strategies: Sequence[SearchStrategy],
           plots: bool) -> list[Path]:
    out = result.out
    files = [out / RUNS_FILE]
    summary_csv = out / "summary.csv"
    result.summary.to_csv(summary_csv, index=False)
    files.append(summary_csv)
    timing = _timing(result)
    timing_csv = out / "timing.csv"
    timing.to_csv(timing_csv, index=False)
    files.append(timing_csv)
    curves_csv = out / "curves.csv"
    result.curves.to_csv(curves_csv, index=False)
    files.append(curves_csv)
    if not result.features.empty:
        features_csv = out / "settings.csv"
        result.features.to_csv(features_csv, index=False)
        files.append(features_csv)
    summary_json = out / "summary.json"
    payload = {
        "budgets": list(budgets),
        "strategies": [{"name": s.name, "budget_aware": s.budget_aware, "selector": s.selector, "repr": repr(s)}
                       for s in strategies],
        "settings": result.features.to_dict(orient="records") if not result.features.empty else [],
        "summary": result.summary.to_dict(orient="records"),
        "across_settings": {str(b): a for b, a in result.across.items()},
        "runs": {"total": len(result.runs), "executed_now": result.executed, "read_back": result.skipped},
        "notes": {
            "regret": "normalised: (best - best found) / (best - median) of the table",
            "ci": "95% two-sided Student-t interval over seeds",
            "auc": "mean best-so-far regret over trials 1..budget (before the first finite value: the table's "
                   "worst regret)",
            "evals_to_top1": "median over seeds of the evaluations until an architecture in the table's best 1% "
                             "(unreached counts as infinite; null when over half did not reach it)",
            "seconds_per_trial": "trial wall time in study.optimize minus the table lookup, averaged over the "
                                 "first budget trials and the seeds; the advisor's first trial holds its profile",
            "sbs_vbs": "over the fixed strategies (not the selectors): SBS = lowest mean regret across settings, "
                       "VBS = mean of each setting's lowest regret",
        },
    }
    summary_json.write_text(json.dumps(_json_safe(payload), indent=2, allow_nan=False), encoding="utf-8")
    files.append(summary_json)
    if plots and not result.summary.empty:
        from nas_complexity.benchmarking import _plots

        files.append(_plots.plot_regret_curves(result.curves, result.summary, out / "regret_curves.png",
                                               budget_aware=[s.name for s in strategies if s.budget_aware]))
        files.append(_plots.plot_rank_table(result.summary, out / "ranks.png"))
        if not result.features.empty:
            efficiency = _efficiency(result)
            efficiency_csv = out / "efficiency.csv"
            efficiency.to_csv(efficiency_csv, index=False)
            files.append(efficiency_csv)
            files.append(_plots.plot_efficiency(efficiency, _feature_columns(result.features),
                                                out / "efficiency.png"))
    return files


def _feature_columns(features: pd.DataFrame) -> list[str]:
    # One panel per feature: the landscape's FDC, autocorrelation and additivity stand for the landscape in the
    # plot (the other measures are in features.csv), so that the figure stays readable.
    preferred = ["log10_size", "architecture_diversity", "table_performance_sd", "performance_diversity",
                 "landscape_fdc", "landscape_autocorrelation", "landscape_additivity", "proxy_landscape_fdc"]
    numeric = [c for c in features.columns if c not in ("setting", "space_group", "size", "n_architectures")
               and pd.api.types.is_numeric_dtype(features[c]) and features[c].notna().any()]
    return [c for c in preferred if c in numeric] + [c for c in numeric if c not in preferred
                                                     and "landscape_" not in c]


def _efficiency(result: Comparison) -> pd.DataFrame:
    """Per (setting, budget, strategy): its regret minus the setting's best (over all strategies run there),
    next to the setting's features."""
    summary = result.summary[["setting", "budget", "strategy", "mean_regret", "rank"]].copy()
    best = summary.groupby(["setting", "budget"])["mean_regret"].transform("min")
    summary["regret_minus_best"] = summary["mean_regret"] - best
    return summary.merge(result.features, on="setting", how="left")


def _timing(result: Comparison) -> pd.DataFrame:
    """Sampler seconds per trial against space size and trial count (one row per setting, strategy, budget)."""
    timing = result.summary[["setting", "budget", "strategy", "seconds_per_trial"]].copy()
    if not result.features.empty and "log10_size" in result.features:
        timing = timing.merge(result.features[["setting", "log10_size"]], on="setting", how="left")
    return timing
