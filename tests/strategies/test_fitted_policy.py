"""The shipped policy is what the evidence gives: refitting the stored evidence reproduces it exactly."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nas_complexity.strategies import (
    DEFAULT_RULES,
    FITTED_RULES_FILE,
    PREFIX_RULES,
    Budget,
    decide,
    rules_from_json,
)

EVIDENCE = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "policy_evidence.csv"


@pytest.fixture(scope="module")
def evidence() -> pd.DataFrame:
    if not EVIDENCE.exists():
        pytest.skip(f"no stored evidence at {EVIDENCE} (written by benchmarks/evidence.py --write-policy)")
    return pd.read_csv(EVIDENCE)


def test_the_shipped_policy_is_the_prefix_then_the_fitted_rules():
    fitted = rules_from_json(FITTED_RULES_FILE.read_text(encoding="utf-8"))
    assert DEFAULT_RULES == PREFIX_RULES + fitted
    assert fitted[-1].when == ()  # the last rule always fires
    for rule in fitted:
        assert rule.evidence.startswith("`python benchmarks/evidence.py")
        assert "mean normalised regret" in rule.evidence and any(ch.isdigit() for ch in rule.evidence)


def test_refitting_the_stored_evidence_gives_the_shipped_rules(evidence):
    from nas_complexity.benchmarking import DEFAULT_CANDIDATES, SPLIT_FEATURES, fit_rules

    has_proxy = dict(zip(evidence["setting"], evidence["has_proxy"].astype(bool)))
    command = str(evidence["command"].iloc[0])
    per_setting = evidence.drop_duplicates("setting").set_index("setting")
    features = {s: {f: (None if pd.isna(row[f]) else float(row[f])) for f in SPLIT_FEATURES}
                for s, row in per_setting.iterrows()}
    refitted = fit_rules(evidence, has_proxy, DEFAULT_CANDIDATES, command=command, features=features)
    assert refitted == DEFAULT_RULES[len(PREFIX_RULES):]


def test_every_fitted_choice_is_a_candidate_the_harness_ran(evidence):
    from nas_complexity.benchmarking import CANDIDATE_PREFIX, DEFAULT_CANDIDATES, candidate_of

    ran = set(evidence["strategy"])
    for rule in DEFAULT_RULES[len(PREFIX_RULES):]:
        match = candidate_of(rule, DEFAULT_CANDIDATES)
        assert match is not None and f"{CANDIDATE_PREFIX}{match}" in ran, rule.id


def test_the_shipped_policy_decides_for_any_space_and_budget():
    from nas_complexity import profile
    from nas_complexity.spaces import Categorical, FloatRange, SearchSpace

    spaces = [profile("nb201", performance=False),
              profile(SearchSpace("hpo", [FloatRange("lr", 1e-4, 1e-1, log=True), Categorical("opt", ("sgd", "adam"))]),
                      performance=False)]
    for report in spaces:
        for n_trials in (5, 25, 60, 100, 250, 1000):
            decision = decide(report, Budget(n_trials=n_trials))
            assert decision.reasons and decision.reasons[0].evidence
