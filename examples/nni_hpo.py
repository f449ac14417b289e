"""An NNI HPO experiment whose tuner is chosen by nas-complexity: an SVM on scikit-learn's digits.

    python examples/nni_hpo.py                 # 6 trials on a free loopback port, then the manager is stopped
    python examples/nni_hpo.py --trials 20 --port 8080 --keep-open   # then look at NNI's web UI

Before ``start()``, :func:`nas_complexity.integration.advise_nni_experiment` profiles the search space, sets
``experiment.config.tuner`` (name and class_args, with the experiment's ``optimize_mode``), writes the decision to
``<experiment_working_directory>/<experiment id>/nas_complexity_decision.json`` and logs one line. The same file is
the trial: NNI runs it with ``--trial``, and each trial scores one configuration by 3-fold cross-validated accuracy
(scikit-learn's 1,797 bundled 8x8 digit images; no download).
"""
from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
import time
from pathlib import Path

SEARCH_SPACE = {
    "C": {"_type": "loguniform", "_value": [0.01, 100.0]},
    "gamma": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
    "kernel": {"_type": "choice", "_value": ["rbf", "poly", "sigmoid"]},
}


def trial() -> None:
    """One NNI trial: the parameters NNI sends, scored by cross-validated accuracy, reported back to NNI."""
    import nni
    from sklearn.datasets import load_digits
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC

    params = nni.get_next_parameter()
    x, y = load_digits(return_X_y=True)
    model = SVC(C=params["C"], gamma=params["gamma"], kernel=params["kernel"])
    nni.report_final_result(float(cross_val_score(model, x / 16.0, y, cv=3).mean()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trial", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--trials", type=int, default=6, help="trials the experiment runs (default 6)")
    parser.add_argument("--port", type=int, default=0, help="port of NNI's manager and web UI (default: a free one)")
    parser.add_argument("--workdir", help="NNI's experiment_working_directory (default NNI's, ~/nni-experiments)")
    parser.add_argument("--keep-open", action="store_true", help="keep the web UI up after the last trial until Ctrl-C")
    args = parser.parse_args()
    if args.trial:
        trial()
        return

    from nni.experiment import Experiment

    from nas_complexity.integration import advise_nni_experiment

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("nas_complexity").setLevel(logging.INFO)

    experiment = Experiment("local")
    config = experiment.config
    config.experiment_name = "nas-complexity digits SVM"
    config.search_space = SEARCH_SPACE
    config.trial_command = f"{sys.executable} {Path(__file__).name} --trial"
    config.trial_code_directory = str(Path(__file__).resolve().parent)
    config.trial_concurrency = 1
    config.max_trial_number = args.trials
    config.nni_manager_ip = "127.0.0.1"
    if args.workdir:
        config.experiment_working_directory = args.workdir

    advice = advise_nni_experiment(experiment, seed=0)  # no tuner set: the hook chooses it

    port = args.port or free_port()
    experiment.start(port)
    try:
        print(f"NNI web UI: http://127.0.0.1:{port}")
        while (status := experiment.get_status()) not in ("DONE", "ERROR", "STOPPED"):
            time.sleep(1)
        used = experiment.get_experiment_profile()["params"]["tuner"]
        results = experiment.export_data()
        print(f"experiment {experiment.id}: {status}; NNI ran tuner {used['name']} with classArgs "
              f"{json.dumps(used['classArgs'], sort_keys=True)}")
        best = max(results, key=lambda r: r.value)
        print(f"{len(results)} trials; best 3-fold accuracy {best.value:.4f} with {json.dumps(best.parameter, sort_keys=True)}")
        print(f"decision file: {advice.file}")
        if args.keep_open:
            print("Ctrl-C stops the experiment")
            while True:
                time.sleep(10)
    except KeyboardInterrupt:
        pass
    finally:
        experiment.stop()


if __name__ == "__main__":
    main()
