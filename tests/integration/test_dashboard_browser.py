"""The Optuna hook's decision note, rendered by a real optuna-dashboard server in a real (headless) Chromium."""
from __future__ import annotations

import shutil
import subprocess
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

optuna = pytest.importorskip("optuna")
optuna_dashboard = pytest.importorskip("optuna_dashboard", reason="optuna-dashboard is not installed (the dashboard extra)")

import psutil  # noqa: E402  (installed with NNI, and by Chromium's test environments)

from nas_complexity.integration import DECISION_KEY, ComplexityAdvisor  # noqa: E402
from nas_complexity.strategies import Decision  # noqa: E402

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"no headless browser: none of {', '.join(BROWSERS)} is on PATH (Debian: apt-get install chromium)")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # the dashboard's request log is not the test's output
        pass


def _chromium(browser: str, profile_dir, *args: str) -> subprocess.CompletedProcess:
    # Root needs --no-sandbox; the virtual time budget lets the page fetch the study and render the note first.
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               f"--user-data-dir={profile_dir}", "--virtual-time-budget=15000", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def test_decision_note_is_on_the_rendered_study_page(tmp_path):
    browser = _browser()
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'study.db'}")
    study = optuna.create_study(study_name="nb201-note", storage=storage, direction="maximize")
    advisor = ComplexityAdvisor("nb201", n_trials=10, seconds_per_trial=0.01)
    advisor.attach(study)
    study.optimize(
        lambda trial: sum(trial.suggest_categorical(f"edge{i}", OPS) == "nor_conv_3x3" for i in range(6)),
        n_trials=10, callbacks=[advisor],
    )
    decision = Decision.from_json(study.user_attrs[DECISION_KEY])
    heading = f"nas_complexity: {decision.family} search with {decision.optuna_sampler}"
    assert optuna_dashboard.get_note(study).startswith(f"## {heading}\n")

    children_before = {p.pid for p in psutil.Process().children(recursive=True)}
    server = make_server("127.0.0.1", 0, optuna_dashboard.wsgi(storage), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="optuna-dashboard-test", daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/dashboard/studies/{study._study_id}/note"
        dom = _chromium(browser, tmp_path / "chromium", "--dump-dom", url)
        assert dom.returncode == 0, dom.stderr[-2000:]
        screenshot = tmp_path / "dashboard_note.png"
        shot = _chromium(browser, tmp_path / "chromium", "--window-size=1400,1400", f"--screenshot={screenshot}", url)
        assert shot.returncode == 0, shot.stderr[-2000:]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    page = dom.stdout
    assert f"<h2>{heading}</h2>" in page
    assert decision.reasons[0].id in page  # the reasons, as the CLI words them
    assert "Profile of the search space" in page and "15,625" in page  # the profile table
    assert screenshot.stat().st_size > 10_000
    print(f"decision note rendered by Chromium; screenshot: {screenshot}")
    assert not thread.is_alive()
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= children_before
