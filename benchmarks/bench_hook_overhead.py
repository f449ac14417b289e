"""Overhead of the Optuna hook: the chosen sampler installed by ComplexityAdvisor vs the same sampler used bare.

A 200-trial study on a cheap real objective (NAS-Bench-201 CIFAR-10 validation accuracy looked up in the shared
table; a quick numeric function of the cell when the table is absent) runs three ways, several times, in one run:

* ``bare``: ``create_study(sampler=<decided sampler>)`` — what a user would write by hand;
* ``hook``: ``ComplexityAdvisor("nb201", n_trials=200, cache=False).attach(study)`` — profile, decision, storage
  writes and per-trial delegation, all inside ``optimize``: the first study on a machine;
* ``hook, profile cache``: the same with the default on-disk profile cache (in a fresh folder, filled by the
  untimed warm-up round): every later study of the same space, in any process.

Besides the whole study it times trials 1..n-1 alone (the steady state, after the decision is installed).

Same seeds in every variant, so the three studies sample the same architectures (checked). Prints median times and
the ratios to ``bare`` (target: at most 1.05).

Usage:
    python benchmarks/bench_hook_overhead.py [--root ../shared/data] [--trials 200] [--repeats 15]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

import optuna

from nas_complexity import profile
from nas_complexity.integration import ComplexityAdvisor, build_optuna_sampler
from nas_complexity.spaces import get_space
from nas_complexity.strategies import DEFAULT_RULES, Budget, FamilyRule, decide

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SPACE = get_space("nb201")


def table_objective(root: Path) -> tuple[Callable[[optuna.Trial], float], str]:
    """NB201 CIFAR-10 validation accuracy by table lookup, or a numeric stand-in when the table is absent."""
    if (root / "nb201" / "nb201_valacc_15625x3.csv.gz").is_file():
        from nas_complexity.data import arch_key, load_nb201_accuracy

        table = load_nb201_accuracy(root)
        accuracy = dict(zip(table["arch"], table["cifar10"]))

        def objective(trial: optuna.Trial) -> float:
            arch = {p.name: trial.suggest_categorical(p.name, p.values()) for p in SPACE.all_params}
            return accuracy[arch_key(arch)]

        return objective, f"NB201 CIFAR-10 validation accuracy ({root})"

    def numeric(trial: optuna.Trial) -> float:
        ops = [trial.suggest_categorical(p.name, p.values()) for p in SPACE.all_params]
        return sum(op == "nor_conv_3x3" for op in ops) + 0.5 * sum(op == "nor_conv_1x1" for op in ops)

    return numeric, "numeric stand-in (the NB201 table was not found)"


def run(make_study: Callable[[], optuna.Study], objective, n_trials: int) -> tuple[float, float, optuna.Study]:
    """(seconds for study creation + optimize, seconds for trials 1..n-1 only, the study)."""
    ends: list[float] = []
    gc.collect()  # garbage left by the previous run (e.g. a profile's 15,625 architectures) is not this run's cost
    t0 = time.perf_counter()
    study = make_study()
    study.optimize(objective, n_trials=n_trials, callbacks=[lambda study, trial: ends.append(time.perf_counter())])
    return ends[-1] - t0, ends[-1] - ends[0], study


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="folder of the shared benchmark tables")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    objective, what = table_objective(args.root)
    report = profile(SPACE, performance=False)
    rules = DEFAULT_RULES
    decision = decide(report, Budget(n_trials=args.trials), rules)
    try:
        build_optuna_sampler(decision)
    except ImportError as exc:
        print(f"note: the decided {decision.optuna_sampler} cannot be built here ({exc}); measuring with TPESampler")
        rules = (FamilyRule("benchmark", (), "bayesian", "tpe", "benchmark stand-in"),)
        decision = decide(report, Budget(n_trials=args.trials), rules)
    print(f"objective: {what}")
    print(f"decision: {decision.summary()}")

    cache_dir = tempfile.mkdtemp(prefix="nas-complexity-bench-")

    def advised(seed: int, cache: bool | str) -> Callable[[], optuna.Study]:
        def make() -> optuna.Study:
            study = optuna.create_study(direction="maximize")
            return ComplexityAdvisor(SPACE.name, n_trials=args.trials, seed=seed, rules=rules, cache=cache).attach(study)

        return make

    variants = {
        "bare": lambda seed: (lambda: optuna.create_study(direction="maximize", sampler=build_optuna_sampler(decision, seed=seed))),
        "hook": lambda seed: advised(seed, cache=False),
        "hook, profile cache": lambda seed: advised(seed, cache=cache_dir),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    steady: dict[str, list[float]] = {name: [] for name in variants}
    best: dict[str, list[float]] = {name: [] for name in variants}
    for name in variants:  # warm-up, not timed: first-call costs (imports, caches) would favour the later variants
        run(variants[name](0), objective, args.trials)
    for rep in range(args.repeats):
        order = list(variants) if rep % 2 == 0 else list(reversed(variants))  # alternate against drift
        params = {}
        for name in order:
            seconds, after_first, study = run(variants[name](rep), objective, args.trials)
            times[name].append(seconds)
            steady[name].append(after_first)
            best[name].append(study.best_value)
            params[name] = [t.params for t in study.trials]
        same = all(p == params["bare"] for p in params.values())
        print(f"repeat {rep}: " + ", ".join(f"{n} {times[n][-1]:.3f} s" for n in variants) + f"; same trials: {same}")
        if not same:
            raise SystemExit("the hook changed the sampled trials: the comparison is not like for like")

    base = statistics.median(times["bare"])
    base_steady = statistics.median(steady["bare"])
    print(f"\n{args.trials} trials x {args.repeats} repeats, median seconds (ratio to bare):")
    print(f"  {'variant':<22} {'whole study':>20} {'trials 1..n-1':>20}   median best")
    for name in variants:
        med, med_steady = statistics.median(times[name]), statistics.median(steady[name])
        print(f"  {name:<22} {med:9.3f} s ({med / base:5.3f}) {med_steady:9.3f} s ({med_steady / base_steady:5.3f})"
              f"   {statistics.median(best[name]):.2f}")
    extra_s = statistics.median(times["hook"]) - base
    if extra_s > 0:
        # Overhead <= 5% of the study once n_trials * (bare per trial + objective) >= extra / 0.05.
        break_even_ms = 1000 * (extra_s / 0.05 - base) / args.trials
        print(f"whole hook, profile included: +{extra_s:.3f} s per study; at most 5% of the study once a trial "
              f"(objective) takes {max(break_even_ms, 0.0):.0f} ms or more")
    profile_s = report.timings
    print(f"one-off profile of {SPACE.name} (performance=False): {sum(profile_s.values()):.2f} s {profile_s}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
