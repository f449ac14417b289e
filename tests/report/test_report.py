from __future__ import annotations

import json

from nas_complexity import ComplexityReport, plot_spider, profile


def test_report_json_round_trip_and_table(tmp_path):
    report = profile("tnb101-micro", performance=False)
    again = ComplexityReport.from_json(report.to_json())
    assert again.to_dict() == report.to_dict()
    data = json.loads(report.to_json())
    assert data["size"]["total"] == 4096 and data["size"]["unique"] == 1236
    assert data["multi_task"]["n_tasks"] == 7
    assert set(data["architecture_diversity"]["vocabulary"]) == {"conv1x1", "conv3x3", "skip", "zero"}
    text = str(report)
    assert "4,096" in text and "multi-task ability" in text and "not measured" in text
    path = report.save(tmp_path / "r.json")
    assert ComplexityReport.load(path).size.total == 4096


def test_spider_chart_is_a_png(tmp_path):
    reports = [profile(name, performance=False) for name in ("nb201", "darts", "tnb101-macro")]
    path = plot_spider(reports, tmp_path / "spider.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000
