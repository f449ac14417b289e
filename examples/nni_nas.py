"""An NNI NAS experiment whose strategy is chosen by nas_complexity before the search, end to end on a CPU.

The model space is a small convolutional network for scikit-learn's 8x8 handwritten digits (kernel size, width,
activation, an optional second convolution: 54 architectures). The hook profiles it, with jacob_cov scored on
the space's own networks (built by NNI as its trials are) on a real minibatch of digits, chooses the NAS strategy
for the budget, installs it into the ``NasExperiment``, and writes the decision into the experiment's folder. NNI
then runs the trials in this process (its ``sequential`` execution engine: no NNI manager, no web UI, nothing to
stop afterwards); each trial trains its network for two epochs on 1,000 digits and reports the accuracy on the
other 797.

    python examples/nni_nas.py                 # 8 trials, about a minute on 2 CPU cores
    python examples/nni_nas.py --trials 30 --workdir /tmp/nni-nas
    python examples/nni_nas.py --hub           # also: the decisions for NNI's hub spaces (100 trials)
"""
from __future__ import annotations

import argparse
import json
import logging
import tempfile
import warnings
from pathlib import Path

import torch
from sklearn.datasets import load_digits

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # nni 3.0 warns on import about recent torch versions
    import nni
    from nni.nas.evaluator import FunctionalEvaluator
    from nni.nas.experiment import NasExperiment, NasExperimentConfig
    from nni.nas.nn.pytorch import LayerChoice, ModelSpace, MutableConv2d, MutableLinear
    from nni.nas.strategy import Random

from nas_complexity.integration import advise_nni_nas_experiment, advise_nni_nas_strategy
from nas_complexity.report import format_decision


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1,797 digits as ``[N, 1, 8, 8]`` images (standardised) and their labels."""
    data = load_digits()
    x = torch.tensor(data.images, dtype=torch.float32).unsqueeze(1)
    return (x - x.mean()) / x.std(), torch.tensor(data.target)


class DigitsSpace(ModelSpace):
    """Kernel size x width x activation x (second convolution or none) = 3 x 3 x 3 x 2 = 54 architectures."""

    def __init__(self) -> None:
        super().__init__()
        width = nni.choice("width", [8, 16, 32])
        self.conv = LayerChoice(
            {f"k{k}": MutableConv2d(1, width, k, padding=k // 2) for k in (1, 3, 5)}, label="kernel"
        )
        self.act = LayerChoice({"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh(), "gelu": torch.nn.GELU()},
                               label="activation")
        self.second = LayerChoice(
            {"conv": torch.nn.Sequential(MutableConv2d(width, width, 3, padding=1), torch.nn.ReLU()),
             "none": torch.nn.Identity()},
            label="second",
        )
        self.pool = torch.nn.AdaptiveAvgPool2d(2)
        self.head = MutableLinear(width * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.second(self.act(self.conv(x)))).flatten(1))


def train_and_report(model: torch.nn.Module) -> None:
    """One trial: two epochs of Adam on the first 1,000 digits, accuracy on the other 797 reported to NNI."""
    x, y = digits()
    torch.manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(2):
        for start in range(0, 1000, 50):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x[start:start + 50]), y[start:start + 50]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = float((model(x[1000:]).argmax(1) == y[1000:]).float().mean())
    nni.report_final_result(accuracy)


def hub_decisions(n_trials: int) -> None:
    """The decisions for NNI's hub spaces (performance diversity off: a second each, NAS-Bench-101's model space
    itself takes about 12 s to construct)."""
    from nni.nas.hub.pytorch import DARTS, NasBench101, NasBench201, ProxylessNAS

    logging.getLogger("nni").setLevel(logging.WARNING)
    for cls in (NasBench201, NasBench101, DARTS, ProxylessNAS):
        advice = advise_nni_nas_strategy(cls(), n_trials=n_trials, performance=False)
        print(f"{cls.__name__:<13} {advice.advised['name']} {json.dumps(advice.advised['params'])} "
              f"({advice.decision.family}; {', '.join(dict.fromkeys(r.id for r in advice.decision.reasons))})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=8, help="architectures to evaluate (default 8)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="NNI's experiment_working_directory (default: a new temporary folder)")
    parser.add_argument("--no-performance", action="store_true", help="profile without the jacob_cov step")
    parser.add_argument("--hub", action="store_true", help="also print the decisions for NNI's hub spaces")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("nas_complexity").setLevel(logging.INFO)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="nni-nas-"))
    config = NasExperimentConfig("sequential", "simplified", experiment_working_directory=str(workdir),
                                 max_trial_number=args.trials)
    experiment = NasExperiment(DigitsSpace(), FunctionalEvaluator(train_and_report), Random(), config)
    x, y = digits()
    advice = advise_nni_nas_experiment(experiment, inputs=(x[:64], y[:64]), performance=not args.no_performance)

    print(f"\nDecision for {args.trials} trials ({advice.state}):")
    print(format_decision(advice.decision.to_dict()) if advice.decision else f"fallback: {advice.cause}")
    perf = advice.report.performance_diversity if advice.report else None
    if perf is not None and perf.sd is not None:
        print(f"performance diversity: jacob_cov SD {perf.sd:.3f} [{perf.ci[0]:.3f}, {perf.ci[1]:.3f}] over "
              f"{perf.n_samples} of the space's networks")
    print(f"decision file: {advice.file}\n")

    try:
        experiment.run()
    finally:
        experiment.stop()
    models = sorted(experiment.strategy.list_models(), key=lambda m: m.metric, reverse=True)
    print(f"\n{type(experiment.strategy).__name__} evaluated {len(models)} architectures; best "
          f"{models[0].metric:.3f}: {models[0].sample}")
    if args.hub:
        print("\nNNI hub spaces, 100 trials:")
        hub_decisions(100)


if __name__ == "__main__":
    main()
