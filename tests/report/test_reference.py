"""The reference profiles of the built-in spaces, the sentences placing a report among them, and the spider chart
scaled against them."""
from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import pytest

from nas_complexity import profile
from nas_complexity.report import (
    AXES,
    REFERENCE_FILE,
    ComplexityReport,
    ReferenceFileError,
    compare_to_reference,
    load_reference,
    plot_spider,
    reference_info,
    reference_range,
    spider_figure,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def nb201() -> ComplexityReport:
    return profile("nb201", performance=False)


@pytest.fixture(scope="module")
def packaged() -> dict:
    return json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))


def _reference_perf(name: str) -> dict:
    """A report's performance_diversity dict built from the packaged reference entry of ``name`` (no scoring)."""
    entry = next(e for e in load_reference() if e["name"] == name)
    perf = entry["performance_diversity"]
    assert perf["available"], f"{name} has no performance diversity in {REFERENCE_FILE}: {perf.get('reason')}"
    return {"proxy": perf["proxy"], "sd": perf["sd"], "ci": perf["ci95"], "n_samples": perf["n_scored"],
            "n_failed": perf["n_failed"], "scaling": perf["scaling"], "pds": None, "kendall_tau": None,
            "sd_accuracy": None}


def _with_perf(report: ComplexityReport, perf: dict) -> ComplexityReport:
    return dataclasses.replace(report, performance_diversity=perf)


def _lines(fig, prefix: str) -> dict:
    return {line.get_gid(): line for line in fig.axes[0].lines if (line.get_gid() or "").startswith(prefix)}


# ----------------------------------------------------------------------------------------- the file
def test_packaged_reference_is_the_benchmark_output(packaged):
    measured = packaged["measured"]
    assert "benchmarks/profile_all_spaces.py" in measured["command"] and "--write-reference" in measured["command"]
    assert measured["max_archs"] >= measured["min_archs"] > 0
    assert {"date", "library_version", "proxy", "scaling", "seed"} <= set(measured)
    from nas_complexity.spaces import list_spaces

    assert [e["name"] for e in packaged["spaces"]] == list_spaces()
    for entry in packaged["spaces"]:
        if not entry["available"]:
            assert entry["reason"], entry["name"]
            continue
        perf = entry["performance_diversity"]
        if perf["available"]:
            lo, hi = perf["ci95"]
            assert lo <= perf["sd"] <= hi and 3 <= perf["n_scored"] <= measured["max_archs"], entry["name"]
        else:
            assert perf["sd"] is None and perf["reason"], entry["name"]


def test_reference_range_is_min_and_max_of_the_packaged_values(packaged):
    spaces = [e for e in packaged["spaces"] if e["available"]]
    expected = {
        AXES[0]: [e["size"]["log10"] for e in spaces],
        AXES[1]: [e["performance_diversity"]["sd"] for e in spaces if e["performance_diversity"]["available"]],
        AXES[2]: [e["architecture_diversity"] for e in spaces],
        AXES[3]: [e["n_tasks"] for e in spaces],
    }
    for axis, values in expected.items():
        values = [v for v in values if v is not None]
        assert reference_range(axis) == (min(values), max(values)), axis
    with pytest.raises(ValueError, match="unknown axis"):
        reference_range("speed")


def test_load_reference_returns_copies():
    first = load_reference()
    first[0]["name"] = "changed"
    assert load_reference()[0]["name"] != "changed"
    assert reference_info()["max_archs"] == json.loads(REFERENCE_FILE.read_text())["measured"]["max_archs"]


def test_missing_or_corrupt_reference_file_names_the_file(tmp_path):
    missing = tmp_path / "nowhere.json"
    with pytest.raises(ReferenceFileError, match="nowhere.json.*not found"):
        load_reference(missing)
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReferenceFileError, match="corrupt.json.*not valid JSON"):
        load_reference(corrupt)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps([{"name": "nb201"}]), encoding="utf-8")
    with pytest.raises(ReferenceFileError, match="wrong.json.*'spaces' list"):
        reference_range("size (log10)", wrong)
    # A ValueError too, so callers catching bad input in general still catch it.
    assert issubclass(ReferenceFileError, ValueError)


# ----------------------------------------------------------------------------------------- sentences
def test_sd_at_the_reference_maximum_is_high_and_names_the_nearest_space(nb201):
    entries = load_reference()
    lo, hi = reference_range("performance diversity")
    top = max((e for e in entries if e.get("performance_diversity", {}).get("sd") is not None),
              key=lambda e: e["performance_diversity"]["sd"])
    report = _with_perf(nb201, _reference_perf("nb201") | {"sd": hi, "ci": [hi, hi]})
    text = compare_to_reference(report)["performance diversity"]
    assert " is high among the " in text and "upper third" in text
    assert f"nearest {top['name']} " in text
    assert f"{lo:.3f} to {hi:.3f}" in text
    bottom = compare_to_reference(_with_perf(nb201, _reference_perf("nb201") | {"sd": lo}))["performance diversity"]
    assert " is low among the " in bottom and "lower third" in bottom
    above = compare_to_reference(_with_perf(nb201, _reference_perf("nb201") | {"sd": hi + 1}))["performance diversity"]
    assert "above all of" in above


def test_report_without_performance_diversity_omits_that_axis(nb201):
    text = compare_to_reference(nb201)
    assert set(text) == {"size (log10)", "architecture diversity", "multi-task ability"}
    assert all(sentence.startswith(axis) for axis, sentence in text.items())
    assert "15,625 architectures" in text["size (log10)"]


def test_pds_sentence_explains_equation_1_and_ranking(nb201):
    perf = _reference_perf("nb201") | {"pds": 0.08, "sd_accuracy": 0.2, "kendall_tau": 0.3, "n_accuracy": 100}
    text = compare_to_reference(_with_perf(nb201, perf))["pds"]
    assert "|SD_proxy - SD_accuracy| / pooled SD" in text and "Eq. 1" in text
    assert "8% of their mean" in text and "Kendall tau" in text and "ranking" in text


def test_explicit_reference_entries_override_the_packaged_ones(nb201):
    entries = [{"name": "small", "size": {"log10": 2.0}, "n_tasks": 1, "architecture_diversity": 0.1},
               {"name": "big", "size": {"log10": 20.0}, "n_tasks": 9, "architecture_diversity": 0.5}]
    text = compare_to_reference(nb201, reference=entries)
    assert "is low among the 2 built-in spaces (2.00 to 20.00; nearest small 2.00, big 20.00)" in text["size (log10)"]


# ----------------------------------------------------------------------------------------- the chart
def test_single_space_charts_have_their_own_shape(nb201):
    other = profile("tnb101-macro", performance=False)
    radii = []
    for report in (nb201, other):
        fig = spider_figure(report)
        radii.append(list(_lines(fig, "report:")[f"report:{report.space}"].get_ydata()))
    # Scaled against fixed ranges, not each chart's own maximum (which made every single chart a unit diamond).
    assert radii[0] != radii[1]
    assert not all(r == pytest.approx(1.0) for r in radii[0])
    assert radii[0][1] == 0.0  # performance diversity not measured: drawn at the centre


def test_axis_labels_give_the_reference_range_not_max(nb201):
    fig = spider_figure(nb201)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("label:")]
    labels += [t.get_text() for t in ax.get_xticklabels()]
    assert not any("max" in label for label in labels)
    lo, hi = reference_range("size (log10)")
    assert any(f"{lo:.2f} to {hi:.2f}" in label and "size (log10)" in label for label in labels)


def test_labels_stay_outside_the_ring(nb201):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = spider_figure(_with_perf(nb201, _reference_perf("nb201")))
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    ring = ax.get_window_extent(renderer)  # the polar axes' bounding box holds the circle
    centre = ((ring.x0 + ring.x1) / 2, (ring.y0 + ring.y1) / 2)
    radius = ring.width / 2
    for text in ax.texts:
        if not (text.get_gid() or "").startswith("label:"):
            continue
        box = text.get_window_extent(renderer)
        # The nearest point of the label's box to the centre lies beyond the circle.
        dx = max(box.x0 - centre[0], 0, centre[0] - box.x1)
        dy = max(box.y0 - centre[1], 0, centre[1] - box.y1)
        assert (dx**2 + dy**2) ** 0.5 > radius, text.get_text()
    boxes = [t.get_window_extent(renderer) for t in ax.texts if (t.get_gid() or "").startswith("label:")]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_confidence_interval_is_drawn_between_the_scaled_bounds(nb201):
    perf = _reference_perf("nb201")
    fig = spider_figure(_with_perf(nb201, perf))
    ci = _lines(fig, "ci:")["ci:nb201"]
    lo, hi = reference_range("performance diversity")
    scale = [min(max(v, lo), hi) for v in perf["ci"]]
    expected = [0.2 + 0.8 * (v - lo) / (hi - lo) for v in scale]
    assert list(ci.get_ydata()) == pytest.approx(expected)
    point = _lines(fig, "report:")["report:nb201"].get_ydata()[1]
    assert expected[0] <= point <= expected[1]


def test_value_outside_the_reference_range_is_clipped_and_marked(nb201):
    huge = dataclasses.replace(nb201, size=dataclasses.replace(nb201.size, log10=999.0))
    fig = spider_figure(huge)
    assert _lines(fig, "report:")["report:nb201"].get_ydata()[0] == pytest.approx(1.0)
    assert "outside:nb201:size (log10)" in _lines(fig, "outside:")


def test_several_reports_and_the_built_in_spaces_on_one_chart(nb201, tmp_path):
    reports = [_with_perf(nb201, _reference_perf("nb201")), profile("mbconv-macro", performance=False)]
    fig = spider_figure(reports, reference=None)
    assert set(_lines(fig, "report:")) == {"report:nb201", "report:mbconv-macro"}
    drawn = _lines(fig, "reference:")
    assert len(drawn) == sum(1 for e in load_reference() if e["available"])
    assert not _lines(spider_figure(reports, show_reference=False), "reference:")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(t.startswith("built-in spaces") for t in legend)
    assert any("n/a: performance diversity" in t for t in legend)


def test_write_reference_option_of_the_benchmark_script(tmp_path):
    spec = importlib.util.spec_from_file_location("profile_all_spaces", ROOT / "benchmarks" / "profile_all_spaces.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "ref.json"
    # Performance off would not write a reference: the option turns it on; 3 architectures keep it quick.
    assert script.main(["--spaces", "mbconv-macro", "--max-archs", "3", "--write-reference", str(out)]) == 0
    entries = load_reference(out)
    assert [e["name"] for e in entries] == ["mbconv-macro"]
    assert set(entries[0]) == set(load_reference()[[e["name"] for e in load_reference()].index("mbconv-macro")])
    info = reference_info(out)
    assert info["max_archs"] == 3 and "--write-reference" in info["command"]
    assert reference_range("size (log10)", out)[0] == entries[0]["size"]["log10"]


def test_plot_spider_scales_single_charts_against_the_reference(nb201, tmp_path, monkeypatch):
    """Through the public plot_spider only: the saved figures of two spaces differ and no label says "max"
    (before the reference ranges, each single-space chart was the same unit diamond labelled "max ...")."""
    from matplotlib.figure import Figure

    saved = []
    original = Figure.savefig

    def keep(fig, *args, **kwargs):
        saved.append(fig)
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    other = profile("tnb101-macro", performance=False)
    radii = []
    for report in (nb201, other):
        path = plot_spider(report, tmp_path / f"{report.space}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        ax = saved[-1].axes[0]
        line = next(l for l in ax.lines if l.get_label().startswith(report.space))
        radii.append([float(r) for r in line.get_ydata()])
        texts = [t.get_text() for t in ax.texts] + [t.get_text() for t in ax.get_xticklabels()]
        assert not any("max" in t for t in texts), texts
    assert radii[0] != radii[1]
