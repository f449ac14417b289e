"""The evidence behind the advisor: every shared benchmark setting, today's fixed strategies and the advisor's
candidates, the fitted policy, and its leave-one-space-out and leave-one-setting-out validation.

Stages (each resumable: finished runs are read back from the output folder):

1. **profiles**: each space of the settings is profiled once as the hook profiles it (with the zero-cost proxy on
   the space's own networks), into a shared profile cache; the wall time of each profile is the profile's cost.
2. **fixed**: random, TPE, GP (up to ``--gp-max`` trials: its sampler cost grows with every trial), regularized
   evolution and NSGA-II with their defaults: the strategies a user would pick by hand (SBS and VBS are over them).
3. **candidates**: each of the advisor's candidate configurations
   (:data:`nas_complexity.benchmarking.DEFAULT_CANDIDATES`) run through the real Optuna hook with only that rule.
4. **fit and validate**: the policy is fitted on all settings (``--write-policy`` ships it as
   ``strategies/fitted_rules.json``) and refitted without each space group (leave-one-space-out: the 5 NB201-space
   settings, TransNAS micro, TransNAS macro, NAS-Bench-Macro and FCNet are held out together) and without each
   setting; each refitted policy chooses for the held-out settings through ``decide`` on their own profiles, and
   the chosen candidate's regret there is the advisor's (a candidate is the hook with that one rule, so the
   advisor's run with the refitted rules is that very run: same rule, same seed, same profile).

Usage:
    python benchmarks/evidence.py --data ../shared/data --out evidence --seeds 10 --write-policy
    python benchmarks/evidence.py --data ../shared/data --out evidence --seeds 3 --tables nb201/cifar10,fcnet/protein_structure

Prints per budget: SBS, VBS, the advisor (fitted on all settings; leave-one-space-out; leave-one-setting-out), the
share of the SBS-to-VBS gap it closes and its ratio to the VBS; then the per-setting table (every fixed strategy's
regret with its 95% CI, the advisor's choice and regret, the VBS) and the profiles' cost.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FIXED = ("random", "tpe", "gp", "regularized_evolution", "nsga2")
CANDIDATE_GP_MAX = 25
"""The GP candidates stop at 25 trials: at 100 trials Optuna's GP, run as a fixed strategy, trails the discrete GP
candidate far (README, "The evidence behind the advisor"), so running its two candidates to 100 trials (tens of
minutes on 2 cores) could not change the fit."""
POLICY_EVIDENCE = Path(__file__).resolve().parent / "results" / "policy_evidence.csv"
"""The candidates' regrets the shipped policy was fitted on (written with ``--write-policy``)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_ROOT, help="folder of the benchmark tables")
    parser.add_argument("--out", type=Path, default=Path("evidence"), help="output folder (resumable)")
    parser.add_argument("--tables", default="all", help="comma-separated settings (default: every one)")
    parser.add_argument("--trials", default="25,100,300", help="budgets (default 25,100,300)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--gp-max", type=int, default=100,
                        help="largest budget Optuna's GP runs for as a fixed strategy (default 100)")
    parser.add_argument("--candidate-gp-max", type=int, default=CANDIDATE_GP_MAX,
                        help="largest budget the advisor's GP candidates run for (default 25: see CANDIDATE_GP_MAX)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--write-policy", action="store_true", help="ship the rules fitted on all settings")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)


    from nas_complexity.benchmarking import (
        DEFAULT_CANDIDATES,
        SPLIT_FEATURES,
        STRATEGIES,
        BuiltinSettingRef,
        candidate_strategies,
        compare,
        fit_rules,
        leave_one_group_out_rules,
        list_settings,
        load_setting,
        score_rules,
    )
    from nas_complexity.integration import ComplexityAdvisor
    from nas_complexity.integration._optuna_advisor import PERFORMANCE_OPTIONS
    from nas_complexity.strategies import PREFIX_RULES, Budget, decide, features_of, rules_to_json
    from nas_complexity.strategies._rules import FITTED_RULES_FILE

    if not (args.data / "nb201").is_dir():
        print(f"benchmark tables not found at {args.data}; pass --data", file=sys.stderr)
        return 2
    names = list_settings() if args.tables == "all" else [t.strip() for t in args.tables.split(",") if t.strip()]
    budgets = tuple(int(b) for b in args.trials.split(","))
    refs = [BuiltinSettingRef(n, str(args.data)) for n in names]
    settings = {n: load_setting(n, str(args.data), missing="prune") for n in names}
    groups = {n: s.space_group for n, s in settings.items()}
    cache = args.out / "profiles"
    cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    # 1. profiles, once per space, as the hook makes them
    reports, profile_seconds = {}, {}
    for name, setting in settings.items():
        space = setting.objective.space
        advisor = ComplexityAdvisor(space, n_trials=max(budgets), performance=True,
                                    performance_options=PERFORMANCE_OPTIONS, cache=str(cache), profile_timeout=3600)
        t0 = time.perf_counter()
        reports[name] = advisor.profile_space(space)
        profile_seconds.setdefault(space.name, (round(time.perf_counter() - t0, 1), bool(advisor.profile_from_cache)))
    has_proxy = {n: bool(r.performance_diversity and r.performance_diversity.best_scored) for n, r in reports.items()}

    # 2. fixed strategies, 3. candidates
    common = dict(budgets=budgets, seeds=args.seeds, workers=args.workers, progress=args.progress)
    fixed = compare(refs, [STRATEGIES[s] for s in FIXED], out=args.out / "fixed", max_trials={"gp": args.gp_max},
                    **common)
    cands = candidate_strategies(DEFAULT_CANDIDATES, performance=True, performance_options=PERFORMANCE_OPTIONS,
                                 cache=str(cache), profile_timeout=3600)
    gp_caps = {c.name: min(args.gp_max, args.candidate_gp_max)
               for c, rule in zip(cands, DEFAULT_CANDIDATES) if rule.algorithm == "gp"}
    candidates = compare(refs, cands, out=args.out / "candidates", max_trials=gp_caps, features=None, plots=False,
                         **common)

    # 4. fit and validate; the profile features a split may read do not depend on the budget
    command = (f"python benchmarks/evidence.py --seeds {args.seeds} --trials {args.trials} --gp-max {args.gp_max}"
               f" --candidate-gp-max {args.candidate_gp_max}")
    features = {n: {k: features_of(r, Budget(n_trials=max(budgets)))[k] for k in SPLIT_FEATURES}
                for n, r in reports.items()}
    fit_options = {"features": features}
    fitted = fit_rules(candidates.summary, has_proxy, DEFAULT_CANDIDATES, command=command, **fit_options)

    def choose(rules, setting, budget):
        return decide(reports[setting], Budget(n_trials=budget, direction=settings[setting].objective.direction),
                      rules).reasons[0].id

    def held_out(by, **options):
        return leave_one_group_out_rules(candidates.summary, by, has_proxy, DEFAULT_CANDIDATES, choose,
                                         command=command, prefix=PREFIX_RULES, **options)

    held_space = held_out(groups, **fit_options)
    held_setting = held_out({n: n for n in names}, **fit_options)
    in_sample = score_rules(candidates.summary, (*PREFIX_RULES, *fitted), DEFAULT_CANDIDATES, choose)
    # What the tests guard against: the same fit keeping every choice with a lower training mean.
    untested = held_out(groups, features=features, significance=1.0)

    _report(fixed, held_space, held_setting, in_sample, budgets, profile_seconds, candidates)
    _report_untested(held_space, untested, budgets)
    (args.out / "fitted_rules.json").write_text(rules_to_json(fitted), encoding="utf-8")
    held_space.to_csv(args.out / "leave_one_space_out.csv", index=False)
    held_setting.to_csv(args.out / "leave_one_setting_out.csv", index=False)
    untested.to_csv(args.out / "leave_one_space_out_untested.csv", index=False)
    in_sample.to_csv(args.out / "fitted_on_all.csv", index=False)
    if args.write_policy:
        FITTED_RULES_FILE.write_text(rules_to_json(fitted) + "\n", encoding="utf-8")
        # The fit's whole input, so that a test refits it and checks that the shipped rules are what it gives.
        fit_input = candidates.summary[["setting", "budget", "strategy", "mean_regret", "seconds_per_trial"]].copy()
        fit_input["has_proxy"] = fit_input["setting"].map(has_proxy)
        fit_input["group"] = fit_input["setting"].map(groups)
        for feature in SPLIT_FEATURES:
            fit_input[feature] = fit_input["setting"].map({n: f[feature] for n, f in features.items()})
        fit_input["command"] = command
        POLICY_EVIDENCE.parent.mkdir(parents=True, exist_ok=True)
        fit_input.to_csv(POLICY_EVIDENCE, index=False)
        print(f"\nshipped policy written to {FITTED_RULES_FILE}, its evidence to {POLICY_EVIDENCE}")
    print(f"\nwall time: {time.perf_counter() - started:.0f} s; outputs in {args.out}")
    return 0


def versus(selector: float, sbs: float, vbs: float) -> str:
    """``gap closed +G, xR VBS`` for a selector's mean regret (``n/a`` where there is no gap or the VBS is 0, e.g. on
    a few settings where one strategy is best everywhere)."""
    from nas_complexity.benchmarking import gap_closed, ratio_to_vbs

    gap, ratio = gap_closed(sbs, selector, vbs), ratio_to_vbs(selector, vbs)
    return (f"gap closed {'n/a' if gap is None else f'{gap:+.2f}'}, "
            f"{'n/a' if ratio is None else f'x{ratio:.2f}'} VBS")


def _report(fixed, held_space, held_setting, in_sample, budgets, profile_seconds, candidates) -> None:
    summary = fixed.summary
    print("\nmean normalised regret across settings ((best - found) / (best - median); lower is better)")
    print(f"{'budget':>6}  {'SBS':>22}  {'VBS':>6}  {'advisor: fitted on all':>22}  {'leave-one-space-out':>30}  "
          f"{'leave-one-setting-out':>22}")
    for b in budgets:
        table = summary[summary["budget"] == b].pivot(index="setting", columns="strategy", values="mean_regret")
        complete = table[[c for c in table.columns if table[c].notna().all()]]
        means = complete.mean().sort_values()
        sbs_name, sbs = means.index[0], float(means.iloc[0])
        vbs = float(complete.min(axis=1).mean())
        loso = float(held_space.loc[held_space["budget"] == b, "regret"].mean())
        loseo = float(held_setting.loc[held_setting["budget"] == b, "regret"].mean())
        fit = float(in_sample.loc[in_sample["budget"] == b, "regret"].mean())
        print(f"{b:>6}  {sbs_name + f' {sbs:.4f}':>22}  {vbs:.4f}  {fit:>22.4f}  "
              f"{f'{loso:.4f} ({versus(loso, sbs, vbs)})':>30}  "
              f"{loseo:>22.4f}")
    print("\nper setting: fixed strategies' regret [95% CI]; the advisor (leave-one-space-out) choice and regret; VBS")
    for b in budgets:
        print(f"\n-- {b} trials")
        block = summary[summary["budget"] == b]
        for setting in dict.fromkeys(block["setting"]):
            rows = block[block["setting"] == setting]
            cells = "  ".join(f"{r.strategy} {r.mean_regret:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"
                              for r in rows.itertuples())
            held = held_space[(held_space["setting"] == setting) & (held_space["budget"] == b)]
            choice = f"{held['chosen'].iloc[0]} {held['regret'].iloc[0]:.3f}" if len(held) else "-"
            print(f"{setting:<34} {cells}  | advisor: {choice} | VBS {rows['mean_regret'].min():.3f}")
    print("\nprofile cost (wall seconds, proxy scoring included; read from the cache when already made):")
    for space, (seconds, cached) in profile_seconds.items():
        print(f"  {space:<14} {seconds:>8.1f} s{' (cached)' if cached else ''}")
    timing = candidates.summary.groupby(["strategy", "budget"])["seconds_per_trial"].mean().unstack()
    print("\nsampler seconds per trial of each candidate (mean over settings; the first trial holds the cached profile):")
    print(timing.round(4).to_string())


def _report_untested(held_space, untested, budgets) -> None:
    print("\nleave-one-space-out with and without the significance tests (without: every proxy choice, profile-"
          "feature split and costly choice with a lower training mean is kept):")
    for b in budgets:
        tested = held_space[held_space["budget"] == b]
        loose = untested[untested["budget"] == b]
        print(f"  {b:>4} trials: tested {tested['regret'].mean():.4f}, untested {loose['regret'].mean():.4f}"
              f" (rules fired held out: {', '.join(sorted(set(loose['rule'])))})")


if __name__ == "__main__":
    raise SystemExit(main())
