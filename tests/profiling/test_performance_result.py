"""Performance diversity is a typed result, built in one place, whether measured, unavailable or observed."""
from __future__ import annotations

import json

from nas_complexity.metrics import PerformanceDiversity
from nas_complexity.profiling import profile
from nas_complexity.report import ComplexityReport
from nas_complexity.spaces import Categorical, IntRange, SearchSpace

HPO = SearchSpace("hpo", [Categorical("optimizer", ("sgd", "adam")), IntRange("layers", 1, 4)])


def test_an_unavailable_measurement_names_the_proxy_that_was_asked_for() -> None:
    """It used to say jacob_cov whatever the proxy (the dict was hand-built with a fixed proxy name)."""
    report = profile(HPO, performance=True, performance_options={"proxy": "naswot"})
    perf = report.performance_diversity
    assert isinstance(perf, PerformanceDiversity)
    assert perf.proxy == "naswot" and not perf.available and perf.sd is None and perf.ci is None
    assert perf.note.startswith("not available") and perf.note in report.warnings


def test_reports_round_trip_the_typed_result_and_keep_the_json_keys() -> None:
    report = profile(HPO, performance=True)
    data = json.loads(report.to_json())
    assert set(data["performance_diversity"]) >= {"proxy", "sd", "ci", "n_samples", "n_failed", "scaling", "pds",
                                                  "kendall_tau", "sd_accuracy", "note"}
    again = ComplexityReport.from_json(report.to_json())
    assert again.performance_diversity == report.performance_diversity
    assert again.performance_diversity["note"] == again.performance_diversity.get("note")  # read by key, as before


def test_the_observed_spread_of_a_re_decision_is_the_same_type() -> None:
    from nas_complexity.integration._redecide import observed_performance

    observed = observed_performance([0.1, 0.5, 0.9, float("nan")])
    assert isinstance(observed, PerformanceDiversity) and observed.available
    assert (observed.n_samples, observed.n_failed, observed.proxy) == (3, 1, "observed objective")
    assert PerformanceDiversity.from_dict(json.loads(json.dumps(observed.to_dict()))) == observed
