"""The decision as a Markdown note on the study's page in optuna-dashboard (when optuna-dashboard is installed).

The Optuna hook stores the decision in study user attributes, which optuna-dashboard shows as raw JSON; the note
is what a person reads there: the chosen sampler, the reasons with their evidence, and the profile table.
:func:`save_dashboard_note` writes it with ``optuna_dashboard.save_note`` (optuna-dashboard >= 0.15, the
``dashboard`` extra) and never raises: without optuna-dashboard it does nothing, and a failure to write is a
WARNING, so a study never stops for its note.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nas_complexity.logging import get_logger
from nas_complexity.report import format_decision

if TYPE_CHECKING:
    from nas_complexity.report import ComplexityReport
    from nas_complexity.strategies import Decision

__all__ = ["decision_markdown", "save_dashboard_note"]

_log = get_logger(__name__)


def _cell(text: Any) -> str:
    """Text for one Markdown table cell: a ``|`` would end the cell, a newline the row."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def decision_markdown(decision: "Decision", report: "ComplexityReport | None" = None) -> str:
    """The decision, its reasons and (given ``report``) the profile table, as Markdown.

    The forms and reasons are :func:`nas_complexity.report.format_decision`'s text (the CLI's words), kept verbatim
    in code so that no formula in them is read as Markdown.

    Example:
        >>> from nas_complexity import profile
        >>> from nas_complexity.strategies import Budget, decide
        >>> report = profile("nb201", performance=False)
        >>> text = decision_markdown(decide(report, Budget(n_trials=300)), report)
        >>> print(text.splitlines()[0])
        ## nas_complexity: bayesian search with DiscreteGPSampler
        >>> "| size | 15,625 |" in text
        True
    """
    features = decision.features
    budget = (f"{features.get('n_trials')} trials, {features.get('n_workers', 1)} at a time, "
              f"{features.get('n_objectives', 1)} objective{'s' if features.get('n_objectives', 1) != 1 else ''}")
    if features.get("seconds_per_trial"):
        budget += f", {features['seconds_per_trial']:g} s per trial"
    # format_decision's first line names every framework's form; the reasons under it are wrapped for reading.
    forms, _, reasons = format_decision(decision.to_dict(), width=100).partition("\n")
    lines = [
        f"## nas_complexity: {decision.family} search with {decision.optuna_sampler}",
        "",
        f"Chosen before the first trial for **{budget}** (rules version {decision.rules_version}).",
        "",
        f"`{forms}`",
        "",
        "```text",
        reasons,
        "```",
    ]
    if report is not None:
        lines += ["", f"### Profile of the search space `{report.space}`", "",
                  "| property | value | how it was obtained |", "|---|---|---|"]
        lines += [f"| {_cell(name)} | {_cell(value)} | {_cell(how)} |" for name, value, how in report.rows()]
        if report.warnings:
            lines += ["", *(f"- warning: {_cell(w)}" for w in report.warnings)]
    return "\n".join(lines) + "\n"


def save_dashboard_note(study: Any, decision: "Decision", report: "ComplexityReport | None" = None) -> bool:
    """Write :func:`decision_markdown` as the study's note in optuna-dashboard; ``True`` when written.

    Returns ``False`` without optuna-dashboard (nothing to write to) or when writing failed (logged as a
    WARNING); never raises.

    Example:
        >>> import optuna
        >>> from nas_complexity import profile
        >>> from nas_complexity.strategies import Budget, decide
        >>> study = optuna.create_study()
        >>> report = profile("nb201", performance=False)
        >>> save_dashboard_note(study, decide(report, Budget(n_trials=100)), report)
        True
        >>> from optuna_dashboard import get_note
        >>> get_note(study).startswith("## nas_complexity: ")
        True
    """
    try:
        dashboard = importlib.import_module("optuna_dashboard")
    except ImportError:
        return False
    try:
        dashboard.save_note(study, decision_markdown(decision, report))
    except Exception as exc:  # the note is for people; the study goes on without it
        _log.warning("study %r: could not write the decision note for optuna-dashboard: %s: %s",
                     getattr(study, "study_name", "?"), type(exc).__name__, exc)
        return False
    return True
