"""Tune a small PyTorch network on scikit-learn's digits, the sampler chosen by nas-complexity from a dry run.

The search space has conditional parameters: an MLP (depth, width) or a CNN (channels, kernel size), plus the
learning rate. Nothing describes the space up front: the advisor finds it with a dry run of the objective
(``space="dry_run"``), which runs the objective ``--dry-run-trials`` times with random parameters and prunes each run
at its first ``trial.should_prune()``, i.e. after one epoch here. It infers which parameters depend on ``model``,
profiles the space, decides, and the study samples every trial with the decision.

Real data (1,797 8x8 digit images, 75/25 split), real training on the CPU; about a minute for 12 trials.

Usage:
    python examples/optuna_digits.py [--trials 12] [--epochs 15] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import logging
import math

import numpy as np
import optuna
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from nas_complexity.integration import PROFILE_KEY, STATUS_KEY, STRATEGY_KEY, ComplexityAdvisor
from nas_complexity.report import ComplexityReport


def load_data(seed: int) -> tuple[torch.Tensor, ...]:
    """Digits as (N, 1, 8, 8) float tensors scaled to [0, 1], split 75/25 with a stratified, seeded split."""
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    x_tr, x_va, y_tr, y_va = train_test_split(x, digits.target, test_size=0.25, random_state=seed, stratify=digits.target)
    return torch.from_numpy(x_tr), torch.from_numpy(y_tr), torch.from_numpy(x_va), torch.from_numpy(y_va)


def build_model(trial: optuna.Trial) -> nn.Module:
    """An MLP or a CNN; which parameters exist depends on the ``model`` choice (a conditional space)."""
    if trial.suggest_categorical("model", ["mlp", "cnn"]) == "mlp":
        depth = trial.suggest_int("mlp_layers", 1, 3)
        width = trial.suggest_int("mlp_width", 16, 256, log=True)
        layers: list[nn.Module] = [nn.Flatten()]
        fan_in = 64
        for _ in range(depth):
            layers += [nn.Linear(fan_in, width), nn.ReLU()]
            fan_in = width
        return nn.Sequential(*layers, nn.Linear(fan_in, 10))
    channels = trial.suggest_int("cnn_channels", 4, 32, log=True)
    kernel = trial.suggest_categorical("cnn_kernel", [3, 5])
    return nn.Sequential(
        nn.Conv2d(1, channels, kernel, padding=kernel // 2), nn.BatchNorm2d(channels), nn.ReLU(),
        nn.Conv2d(channels, 2 * channels, kernel, padding=kernel // 2), nn.BatchNorm2d(2 * channels), nn.ReLU(),
        nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(8 * channels, 10),
    )


def initialise(model: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default (Kaiming-uniform) initialisation, drawn from ``generator`` instead of the global RNG."""
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
            bound = 1.0 / math.sqrt(module.weight[0].numel())
            nn.init.uniform_(module.bias, -bound, bound, generator=generator)


def make_objective(data: tuple[torch.Tensor, ...], epochs: int, seed: int):
    x_tr, y_tr, x_va, y_va = data

    def objective(trial: optuna.Trial) -> float:
        model = build_model(trial)
        lr = trial.suggest_float("lr", 1e-4, 3e-2, log=True)
        generator = torch.Generator().manual_seed(seed + trial.number)
        initialise(model, generator)
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        accuracy = 0.0
        for epoch in range(epochs):
            model.train()
            order = torch.randperm(len(x_tr), generator=generator)
            for batch in order.split(64):
                optimiser.zero_grad()
                nn.functional.cross_entropy(model(x_tr[batch]), y_tr[batch]).backward()
                optimiser.step()
            model.eval()
            with torch.no_grad():
                accuracy = (model(x_va).argmax(1) == y_va).float().mean().item()
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return accuracy

    return objective


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--dry-run-trials", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("nas_complexity").setLevel(logging.INFO)  # the decision line
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    torch.set_num_threads(1)  # tiny networks: threads cost more than they save

    objective = make_objective(load_data(args.seed), args.epochs, args.seed)
    study = optuna.create_study(study_name="digits", direction="maximize")
    advisor = ComplexityAdvisor(
        "dry_run", objective=objective, dry_run_trials=args.dry_run_trials, n_trials=args.trials, seed=args.seed,
    )
    advisor.attach(study)
    study.optimize(objective, n_trials=args.trials, callbacks=[advisor])

    status = json.loads(study.user_attrs[STATUS_KEY])
    print(f"\nstrategy used: {status['strategy']} ({status['state']}{': ' + status['cause'] if 'cause' in status else ''})")
    if PROFILE_KEY in study.user_attrs:
        report = ComplexityReport.from_json(study.user_attrs[PROFILE_KEY])
        print(f"space found by the dry run: {report.parameters}")
    frame = study.trials_dataframe()
    print(frame[["number", "value", "params_model", f"user_attrs_{STRATEGY_KEY}"]].to_string(index=False))
    print(f"best validation accuracy: {study.best_value:.4f} with {study.best_params}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
