"""Profile-feature splits of the fitted policy, against hand-computed cases."""
from __future__ import annotations

import pandas as pd
import pytest

from nas_complexity.benchmarking import best_split, candidate_name, fit_rules, leave_one_group_out_rules
from nas_complexity.benchmarking._significance import holm
from nas_complexity.strategies import Condition, FamilyRule

TPE = FamilyRule("tpe", (), "bayesian", "tpe", "candidate")
RE = FamilyRule("re", (), "evolutionary", "regularized_evolution", "candidate")


def _table(n: int, flip_from: int) -> pd.DataFrame:
    """Settings s0..s{n-1}: re is better (0.1 against 0.3) below ``flip_from``, tpe from there."""
    low = [0.1 if k < flip_from else 0.3 for k in range(n)]
    return pd.DataFrame({"candidate:re": low, "candidate:tpe": [0.4 - v for v in low]},
                        index=[f"s{k}" for k in range(n)])


def _size(n: int) -> dict[str, dict[str, float]]:
    return {f"s{k}": {"log10_size": float(k)} for k in range(n)}


def test_a_strong_split_passes_the_corrected_test_at_its_exact_threshold():
    # 40 settings, tpe better on the 20 from s20: p = 2**-20 on them; every other threshold takes in settings
    # where tpe is worse, so the largest gain is at 19.5 exactly.
    split = best_split(_table(40, 20), "candidate:re", _size(40), significance=0.05)
    assert split is not None
    assert split.condition == Condition("log10_size", ">=", 19.5)
    assert split.best == "candidate:tpe" and split.settings == tuple(f"s{k}" for k in range(20, 40))
    assert (split.mean_best, split.mean_base) == pytest.approx((0.1, 0.3))
    # Tried: thresholds 0.5 .. 38.5, each side kept when it holds 4 or more settings (36 per side), one candidate.
    assert split.tests == 72
    assert split.p_adjusted < 1e-3


def test_a_split_on_few_settings_does_not_survive_the_correction():
    # 12 settings, tpe better on 6: p = 1/64 alone, far above 0.05 once multiplied by the splits tried.
    table, features = _table(12, 6), _size(12)
    assert best_split(table, "candidate:re", features, significance=0.05) is None
    loose = best_split(table, "candidate:re", features, significance=1.0)
    assert loose is not None and loose.condition == Condition("log10_size", ">=", 5.5)


def test_settings_without_the_feature_are_on_neither_side_and_small_sides_are_not_tried():
    table = _table(8, 4)
    features = {**_size(8), "s5": {"log10_size": None}}
    split = best_split(table, "candidate:re", features, significance=1.0)
    # Without s5 the side >= 3.5 holds s4, s6, s7: fewer than 4 settings, so the split cannot be there.
    assert split is None or "s5" not in split.settings
    assert best_split(table, "candidate:re", features, significance=1.0, min_settings=3).settings == ("s4", "s6", "s7")
    assert best_split(table, "candidate:re", {}, significance=1.0) is None


def test_holm_is_monotone_in_the_sorted_p_values():
    assert holm([0.001, 0.01, 0.02, 0.5]) == pytest.approx([0.004, 0.03, 0.04, 0.5])
    assert holm([]) == []


def _summary(table: pd.DataFrame, budget: int) -> pd.DataFrame:
    return table.rename_axis("setting").reset_index().melt(
        id_vars="setting", var_name="strategy", value_name="mean_regret").assign(budget=budget)


def test_fit_rules_puts_a_split_between_the_proxy_rules_and_the_plain_ones():
    summary = _summary(_table(40, 20), 100)
    summary.loc[summary["setting"] == "s0", "mean_regret"] -= 0.05  # re stays the choice for all settings
    rules = fit_rules(summary, {}, (TPE, RE), command="cmd", features=_size(40))
    assert [(r.id, r.algorithm, r.when) for r in rules] == [
        ("fitted-100-trials-log10_size", "tpe", (Condition("log10_size", ">=", 19.5),)),
        ("fitted-100-trials", "regularized_evolution", ()),
    ]
    assert "the settings with log10_size >= 19.5" in rules[0].evidence
    assert "(Holm-adjusted over 72 tests)" in rules[0].evidence and "beats re" in rules[0].evidence
    # Without features there is no split.
    assert [r.id for r in fit_rules(summary, {}, (TPE, RE), command="cmd")] == ["fitted-100-trials"]


def test_leave_one_group_out_reads_only_the_training_settings_features():
    summary = _summary(_table(40, 20), 100)
    groups = {f"s{k}": ("low" if k < 20 else "high") for k in range(40)}
    seen: list[tuple[str, ...]] = []

    def choose(rules, setting, budget):
        seen.append(tuple(r.id for r in rules))
        fired = next(r for r in rules if r.fires({"n_trials": budget, "log10_size": float(setting[1:])}))
        return fired.id

    held = leave_one_group_out_rules(summary, groups, {}, (TPE, RE), choose, command="cmd", features=_size(40))
    # Held out, each half leaves one side of the split in training: no split can be learnt from one side.
    assert all(rules == ("fitted-100-trials",) for rules in seen)
    chosen = held.set_index("setting")["chosen"]
    assert chosen["s0"] == "tpe" and chosen["s39"] == "re"
    assert candidate_name(TPE) == "candidate:tpe"


def test_the_paired_test_enumerates_sign_flips_with_ties_and_matches_scipy():
    from scipy.stats import PermutationMethod, wilcoxon

    from nas_complexity.benchmarking._significance import wilcoxon_less

    d = pd.Series([-0.2, -0.2, 0.1, -0.1, 0.0, -0.3, -0.2, 0.1, -0.1, -0.4])  # ties and a zero
    exact = wilcoxon(d[d != 0], alternative="less", method=PermutationMethod(n_resamples=10_000)).pvalue
    assert wilcoxon_less(d, pd.Series([0.0] * len(d))) == pytest.approx(exact)
    assert wilcoxon_less(d, d) == 1.0
    # Five wins of five distinct sizes: the exact one-sided p is 1/32.
    assert wilcoxon_less(pd.Series([0.1, 0.2, 0.3, 0.4, 0.5]), pd.Series([0.2, 0.4, 0.6, 0.8, 1.0])) == pytest.approx(1 / 32)
