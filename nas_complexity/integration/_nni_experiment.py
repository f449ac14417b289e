"""The NNI HPO pre-search hook: profile an experiment's search space and set its tuner before it starts.

NNI has no hook that runs before an experiment's first trial, so this one is called on the experiment (or, by
``nas-complexity nni-config``, on its configuration file) before ``run()``/``start()``. Two parts:

* :func:`advise_nni_tuner` works on plain data (a search-space dict or file, a budget, the user's tuner section):
  it profiles the space, decides, and says which tuner section the experiment should carry. It imports no NNI.
* :func:`advise_nni_experiment` reads those from an ``nni.experiment.Experiment``, writes the chosen tuner into its
  ``config.tuner``, stores the decision in the experiment's folder (:data:`NNI_DECISION_FILE`) and logs one line.

What is stored is what the Optuna hook stores in a study: the :class:`~nas_complexity.strategies.Decision`, the
:class:`~nas_complexity.report.ComplexityReport` it was made from, and a status, in one JSON file
(:meth:`NniAdvice.to_dict`; :meth:`NniAdvice.load` reads it back).
"""
from __future__ import annotations

import json
import math
import numbers
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nas_complexity._errors import NASComplexityError, SpaceError
from nas_complexity._imports import require
from nas_complexity.integration._nni_tuners import nni_tuner_config
from nas_complexity.integration._optuna_storage import worker_stamp
from nas_complexity.integration._timeout import call_with_time_limit
from nas_complexity.logging import get_logger
from nas_complexity.report import ComplexityReport
from nas_complexity.spaces import SearchSpace
from nas_complexity.strategies import Budget, Decision
from nas_complexity.strategies._budget import DIRECTIONS

__all__ = [
    "NNI_DECISION_FILE",
    "NniAdvice",
    "NniConfigError",
    "advise_nni_experiment",
    "advise_nni_tuner",
    "algorithm_section",
    "direction_of",
]

_log = get_logger(__name__)

NNI_DECISION_FILE = "nas_complexity_decision.json"
"""Name of the decision file in the experiment's folder, ``<experiment_working_directory>/<experiment id>/``."""

_FALLBACK_TUNER = "Random"  # what an experiment without a tuner of its own runs when no decision could be made

# NNI writes a placeholder algorithm section named "_none_" into a fresh Experiment("local") so that users can set
# config.tuner.name; it means "no tuner chosen" (NNI drops it when it canonicalises the config).
_PLACEHOLDER = "_none_"

# NNI 3.0's TpeTuner minimises unless told otherwise; its other built-in tuners that take optimize_mode maximise.
_MINIMIZING_BY_DEFAULT = frozenset({"tpe"})

_ALGORITHM_KEYS = {"name": "name", "classname": "class_name", "codedirectory": "code_directory", "classargs": "class_args"}


class NniConfigError(NASComplexityError, ValueError):
    """A bad entry in an NNI experiment's configuration (an object's or a file's); the message names its key and
    says what is accepted.

    Example:
        >>> str(NniConfigError("tuner.class_args.optimize_mode", "unknown mode 'max'", "maximize or minimize"))
        "tuner.class_args.optimize_mode: unknown mode 'max'. Accepted: maximize or minimize"
    """

    def __init__(self, key: str, problem: str, accepted: str | None = None) -> None:
        self.key = key
        self.problem = problem
        self.accepted = accepted
        super().__init__(f"{key}: {problem}" + (f". Accepted: {accepted}" if accepted else ""))


def config_key(text: Any) -> str:
    """A config key as NNI matches it: case and underscores ignored (``maxTrialNumber``, ``max_trial_number``).

    Example:
        >>> config_key("maxTrialNumber") == config_key("max_trial_number")
        True
    """
    return str(text).lower().replace("_", "")


def algorithm_section(value: Any, where: str = "tuner") -> dict[str, Any] | None:
    """A tuner or assessor section as ``{"name", "class_name", "code_directory", "class_args"}`` (absent keys left out),
    from NNI's ``AlgorithmConfig`` or a config file's mapping (keys in any case, with or without underscores).

    ``None`` and NNI's ``"_none_"`` placeholder (what ``Experiment("local")`` holds before a tuner is chosen) give
    ``None`` unless the placeholder carries ``class_args``. Unknown keys raise a :class:`NniConfigError` naming them.

    Example:
        >>> algorithm_section({"name": "TPE", "classArgs": {"optimize_mode": "minimize"}})
        {'name': 'TPE', 'class_args': {'optimize_mode': 'minimize'}}
        >>> algorithm_section({"builtinTunerName": "TPE"})
        Traceback (most recent call last):
        ...
        nas_complexity.integration._nni_experiment.NniConfigError: tuner.builtinTunerName: unknown key (NNI's v1 config format?). Accepted: name, className, codeDirectory, classArgs
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        section: dict[str, Any] = {}
        for key, item in value.items():
            field = _ALGORITHM_KEYS.get(config_key(key))
            if field is None:
                raise NniConfigError(f"{where}.{key}", "unknown key (NNI's v1 config format?)", "name, className, codeDirectory, classArgs")
            section[field] = item
    elif all(hasattr(value, f) for f in _ALGORITHM_KEYS.values()):
        section = {f: getattr(value, f) for f in _ALGORITHM_KEYS.values()}
    else:
        raise NniConfigError(where, f"expected a mapping or NNI AlgorithmConfig, got {type(value).__name__}", "{name: <tuner>, classArgs: {...}}")
    class_args = section.get("class_args")
    if class_args is not None and not isinstance(class_args, Mapping):
        raise NniConfigError(f"{where}.class_args", f"expected a mapping, got {type(class_args).__name__}", "{optimize_mode: maximize, ...}")
    section = {k: (dict(v) if k == "class_args" else v) for k, v in section.items() if v is not None}
    if section.get("name") == _PLACEHOLDER:
        del section["name"]
    if "name" not in section and "class_name" not in section and not section.get("class_args"):
        return None
    return section


def _chosen(section: dict[str, Any] | None) -> bool:
    """Whether an algorithm section names an algorithm (not only ``class_args`` on NNI's placeholder)."""
    return section is not None and ("name" in section or "class_name" in section)


def direction_of(tuner: dict[str, Any] | None, assessor: dict[str, Any] | None = None) -> tuple[str, str]:
    """The experiment's optimisation direction and where it was read: the tuner's ``optimize_mode``, else the
    assessor's, else the default of the user's tuner (NNI's TPE minimises), else ``"maximize"`` (NNI's default).

    Sections are :func:`algorithm_section` dicts. A mode that is neither ``maximize`` nor ``minimize`` raises a
    :class:`NniConfigError` naming it.

    Example:
        >>> direction_of({"name": "Evolution", "class_args": {"optimize_mode": "minimize"}})
        ('minimize', 'tuner.class_args.optimize_mode')
        >>> direction_of(None, {"name": "Medianstop", "class_args": {"optimize_mode": "minimize"}})
        ('minimize', 'assessor.class_args.optimize_mode')
        >>> direction_of({"name": "TPE"})
        ('minimize', "the default of NNI's TPE tuner")
        >>> direction_of(None)
        ('maximize', "NNI's default")
    """
    for where, section in (("tuner", tuner), ("assessor", assessor)):
        mode = (section or {}).get("class_args", {}).get("optimize_mode")
        if mode is not None:
            if mode not in DIRECTIONS:
                raise NniConfigError(f"{where}.class_args.optimize_mode", f"unknown mode {mode!r}", " or ".join(DIRECTIONS))
            return mode, f"{where}.class_args.optimize_mode"
    name = (tuner or {}).get("name")
    if isinstance(name, str) and name.lower() in _MINIMIZING_BY_DEFAULT:
        return "minimize", f"the default of NNI's {name} tuner"
    return "maximize", "NNI's default"


def _tuner_text(section: dict[str, Any]) -> str:
    name = section.get("name") or section.get("class_name")
    return f"{name} class_args={json.dumps(section.get('class_args') or {}, sort_keys=True)}"


def decision_file_content(decision: Decision | None, report: ComplexityReport | None,
                          status: dict[str, Any]) -> dict[str, Any]:
    """What a decision file holds: ``decision`` (``Decision.to_dict()``), ``profile``
    (``ComplexityReport.to_dict()``) and ``status``, the three things the Optuna hook stores in a study."""
    return {
        "decision": None if decision is None else decision.to_dict(),
        "profile": None if report is None else report.to_dict(),
        "status": status,
    }


def write_decision_file(folder: str | Path, content: dict[str, Any]) -> Path:
    """Write :data:`NNI_DECISION_FILE` into ``folder`` (created if missing) and return its path.

    Serialised before anything is written, so a value JSON cannot hold leaves no half-written file.
    """
    text = json.dumps(content, indent=2, sort_keys=True, allow_nan=False) + "\n"
    path = Path(folder) / NNI_DECISION_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def positive_seconds(name: str, value: Any) -> float:
    """``value`` as seconds, refusing anything but a positive, finite number (naming ``name``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive, finite number of seconds, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class NniAdvice:
    """What the NNI hook decided and did.

    Attributes:
        state: ``"decided"`` (the experiment runs the decision's tuner), ``"kept"`` (the user's own tuner is kept;
            ``advised`` says what the hook would have chosen) or ``"fallback"`` (no decision could be made:
            ``cause`` says why, and the experiment keeps its tuner, or runs Random if it had none).
        tuner: the tuner section the experiment runs with: ``{"name", "class_args"}`` (a custom tuner's section
            keeps its ``class_name`` and ``code_directory``).
        advised: the decision's tuner section (``None`` after a fallback).
        decision: the :class:`~nas_complexity.strategies.Decision` (``None`` after a fallback).
        report: the profile the decision was made from (``None`` when profiling failed).
        budget: the budget decided for (trials, parallel trials, direction).
        direction_from: where the direction was read (``tuner.class_args.optimize_mode``, ...).
        user_tuner: the tuner section the experiment had before (``None``: none chosen).
        cause: why the hook fell back (``None`` otherwise).
        profile_s: seconds the profile and decision took.
        profile_cached: whether the profile was read from the profile cache.
        source: where the search space came from.
        experiment_id: the NNI experiment's id, when known.
        file: the decision file written (``None`` when none was).

    Example:
        >>> advice = advise_nni_tuner({"lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]}}, n_trials=50, cache=False)
        >>> advice.state, advice.tuner == advice.advised, advice.tuner["class_args"]["optimize_mode"]
        ('decided', True, 'maximize')
        >>> NniAdvice.from_dict(json.loads(json.dumps(advice.to_dict()))).decision == advice.decision
        True
    """

    state: str
    tuner: dict[str, Any]
    advised: dict[str, Any] | None
    decision: Decision | None
    report: ComplexityReport | None
    budget: Budget
    direction_from: str
    user_tuner: dict[str, Any] | None = None
    cause: str | None = None
    profile_s: float | None = None
    profile_cached: bool = False
    source: str = "search_space"
    experiment_id: str | None = None
    file: Path | None = None

    @property
    def applied(self) -> bool:
        """Whether the experiment runs the decision's tuner."""
        return self.state == "decided"

    def status(self) -> dict[str, Any]:
        """The ``status`` entry of the decision file: the state, the tuners, the budget and where the work ran."""
        return {
            "state": self.state, "tuner": self.tuner, "advised": self.advised, "user_tuner": self.user_tuner,
            "cause": self.cause, "direction": self.budget.direction, "direction_from": self.direction_from,
            "budget": self.budget.to_dict(), "space": None if self.report is None else self.report.space,
            "source": self.source, "profile_s": self.profile_s, "profile_cached": self.profile_cached,
            "experiment_id": self.experiment_id, **worker_stamp(),
        }

    def to_dict(self) -> dict[str, Any]:
        """The decision file's content (see :func:`decision_file_content`)."""
        return decision_file_content(self.decision, self.report, self.status())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NniAdvice:
        """The advice a decision file holds (its ``file`` is not part of the content and stays ``None``)."""
        status = data["status"]
        return cls(
            state=status["state"], tuner=status["tuner"], advised=status.get("advised"),
            decision=None if data.get("decision") is None else Decision.from_dict(data["decision"]),
            report=None if data.get("profile") is None else ComplexityReport.from_dict(data["profile"]),
            budget=Budget(**status["budget"]), direction_from=status.get("direction_from", ""),
            user_tuner=status.get("user_tuner"), cause=status.get("cause"), profile_s=status.get("profile_s"),
            profile_cached=bool(status.get("profile_cached")), source=status.get("source", "search_space"),
            experiment_id=status.get("experiment_id"),
        )

    @classmethod
    def load(cls, path: str | Path) -> NniAdvice:
        """Read a decision file (:data:`NNI_DECISION_FILE`, or its experiment folder)."""
        path = Path(path)
        if path.is_dir():
            path = path / NNI_DECISION_FILE
        return replace(cls.from_dict(json.loads(path.read_text(encoding="utf-8"))), file=path)

    def write(self, folder: str | Path) -> NniAdvice:
        """Write the decision file into ``folder`` (created if missing); returns the advice with its ``file``.

        Serialised before anything is written, so a value JSON cannot hold leaves no half-written file.
        """
        return replace(self, file=write_decision_file(folder, self.to_dict()))

    def summary(self) -> str:
        """One line: the tuner in effect and why (what the hook logs).

        Example:
            >>> unbounded = {"x": {"_type": "normal", "_value": [0, 1]}}  # NNI accepts it; a size needs bounds
            >>> line = advise_nni_tuner(unbounded, n_trials=50, direction="minimize").summary()
            >>> line.split(" (")[0], "(fallback: " in line and "pass truncate_sigmas=k" in line
            ('tuner=Random class_args={"optimize_mode": "minimize"}', True)
        """
        setting = f"{self.budget.n_trials} trials, {self.budget.n_workers} at a time, {self.budget.direction}"
        if self.state == "fallback":
            return f"tuner={_tuner_text(self.tuner)} (fallback: {self.cause})"
        assert self.decision is not None and self.advised is not None
        reasons = "; ".join(r.sentence() for r in self.decision.reasons)
        if self.state == "kept":
            head = (f"tuner={_tuner_text(self.tuner)} (the user's, kept; nas_complexity would choose "
                    f"{_tuner_text(self.advised)}, strategy={self.decision.family}, {setting}; override=True to use it)")
        else:
            head = f"tuner={_tuner_text(self.tuner)} (chosen: strategy={self.decision.family}, {setting})"
        cached = " (profile read from the cache)" if self.profile_cached else ""
        return f"{head} reasons=[{reasons}] | space {self.report.space if self.report else '-'} profiled in {self.profile_s or 0:.2f} s{cached}"


# ------------------------------------------------------------------------------------------ the plain-data hook
def _read_space_file(path: Path) -> Any:
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            return yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise SpaceError(str(path), f"cannot read the YAML search-space file: {exc}", "a readable UTF-8 YAML or JSON file") from None
    return path  # JSON: the adapter reads it, refusing repeated keys


def _parse_space(
    search_space: Any, name: str, source: str, truncate_sigmas: float | None, kind: str | None
) -> tuple[SearchSpace | None, str | None]:
    """The search space, or ``(None, cause)`` when NNI accepts it but it cannot be profiled; a malformed space raises
    a :class:`SpaceError` naming ``source`` and the bad key."""
    from nas_complexity.adapters import from_nni_search_space

    if isinstance(search_space, (str, Path)):
        search_space = _read_space_file(Path(search_space))
    elif not isinstance(search_space, Mapping):
        raise SpaceError(source, f"expected a search-space dict or file path, got {type(search_space).__name__}",
                         '{"name": {"_type": ..., "_value": [...]}} or the path of its JSON file')

    def parse(sigmas: float | None) -> SearchSpace:
        return from_nni_search_space(search_space, name, truncate_sigmas=sigmas, kind=kind or "hyperparameter")

    try:
        return parse(truncate_sigmas), None
    except SpaceError as exc:
        if truncate_sigmas is None:
            try:
                parse(3.0)  # the same space with the normal family cut: valid for NNI, only unbounded for us
            except SpaceError:
                pass
            else:
                return None, f"{exc}; pass truncate_sigmas=k to profile normal-family parameters as mu +/- k sigma"
        if isinstance(search_space, Path):
            raise  # the adapter's message names the file and the key
        raise SpaceError(f"{source}: {exc.path}", exc.problem, exc.accepted) from None


def _profile(space: SearchSpace, seed: int, cache: bool | str | Path, timeout: float) -> tuple[ComplexityReport, bool]:
    """Profile ``space`` as the Optuna hook does (no performance diversity: an HPO space builds no network)."""
    from nas_complexity.profiling import ProfileCache, profile

    def run(deadline: Any) -> tuple[ComplexityReport, bool]:
        if cache is False:
            return profile(space, seed=seed, performance=False, deadline=deadline), False
        store = ProfileCache(None if cache is True else cache)
        report = store.profile(space, seed=seed, performance=False, deadline=deadline)
        return report, store.hits > 0

    return call_with_time_limit(run, timeout, name="nas_complexity-profile-nni")


def advise_nni_tuner(
    search_space: Mapping[str, Any] | str | Path,
    *,
    n_trials: int,
    n_workers: int = 1,
    direction: str | None = None,
    user_tuner: Mapping[str, Any] | None = None,
    assessor: Mapping[str, Any] | None = None,
    override: bool = False,
    seed: int | None = None,
    seconds_per_trial: float | None = None,
    profile_seed: int = 0,
    profile_timeout: float = 120.0,
    cache: bool | str | Path = True,
    space_kind: str | None = None,
    truncate_sigmas: float | None = None,
    source: str = "search_space",
) -> NniAdvice:
    """Profile an NNI search space and choose the experiment's tuner section; plain data in and out, no NNI import.

    Bad input (a malformed search space, a bad budget or ``optimize_mode``) raises at once, naming the key. A
    failure while profiling or deciding does not: it gives ``state="fallback"`` with the ``cause``, and the user's
    tuner (or Random with the experiment's ``optimize_mode`` when there is none).

    Args:
        search_space: ``experiment.config.search_space`` (a dict) or the path of its JSON (or YAML) file.
        n_trials: the trial budget (NNI's ``max_trial_number``).
        n_workers: trials run at once (NNI's ``trial_concurrency``).
        direction: ``"maximize"`` or ``"minimize"``; ``None`` reads it with :func:`direction_of` from ``user_tuner``
            and ``assessor``.
        user_tuner: the experiment's tuner section (:func:`algorithm_section` keys), if it has one: kept unless
            ``override``, the decision then being only reported.
        assessor: the experiment's assessor section (its ``optimize_mode`` tells the direction).
        override: replace the user's tuner with the decision's.
        seed: written into ``class_args`` of the tuners that take one (Random, TPE).
        seconds_per_trial: typical duration of one trial, when known (lets the rules weigh a tuner's own cost).
        profile_seed: seed of the profile.
        profile_timeout: seconds the profile and decision may take; past it the hook falls back.
        cache: profile cache, as in :class:`~nas_complexity.integration.ComplexityAdvisor`.
        space_kind: ``"hyperparameter"`` (default) or ``"architecture"`` when the parameters describe
            architectures, which lets the rules drawn from architecture search (evolution) apply.
        truncate_sigmas: profile NNI's normal-family ``_type``\\ s as ``mu +/- k sigma``; without it a space with
            them falls back (NNI itself accepts them).
        source: how messages name the search space (``experiment.config.search_space``, ``searchSpace``...).

    Example:
        >>> space = {"lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
        ...          "units": {"_type": "choice", "_value": [32, 64, 128]}}
        >>> advice = advise_nni_tuner(space, n_trials=40, direction="minimize", cache=False)
        >>> advice.state, advice.tuner["class_args"]["optimize_mode"], advice.decision.nni_tuner == advice.tuner["name"]
        ('decided', 'minimize', True)
        >>> kept = advise_nni_tuner(space, n_trials=40, user_tuner={"name": "Evolution"}, cache=False)
        >>> kept.state, kept.tuner, kept.advised["name"] == advice.advised["name"]
        ('kept', {'name': 'Evolution'}, True)
    """
    user = algorithm_section(user_tuner, "tuner")
    if direction is None:
        direction, direction_from = direction_of(user, algorithm_section(assessor, "assessor"))
    else:
        direction_from = "given"
    if n_trials is None:
        raise NASComplexityError("n_trials is missing: give the number of trials the experiment will run (NNI's max_trial_number)")
    budget = Budget(n_trials=n_trials, n_workers=n_workers, seconds_per_trial=seconds_per_trial, direction=direction)
    timeout = positive_seconds("profile_timeout", profile_timeout)
    if not isinstance(override, bool):
        raise TypeError(f"override must be True or False, got {override!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"seed must be an integer or None, got {seed!r}")
    name = Path(search_space).stem if isinstance(search_space, (str, Path)) else "nni"
    space, unusable = _parse_space(search_space, name, source, truncate_sigmas, space_kind)

    user_tuner_now = user if _chosen(user) else None
    common = {"budget": budget, "direction_from": direction_from, "user_tuner": user_tuner_now, "source": source}
    t0 = time.perf_counter()
    try:
        if unusable is not None:
            raise NASComplexityError(unusable)
        assert space is not None
        report, from_cache = _profile(space, profile_seed, cache, timeout)
        from nas_complexity.strategies import decide

        decision = decide(report, budget)
    except Exception as exc:  # the hook must never stop the user's experiment
        tuner = user_tuner_now or _fallback_tuner(direction, seed)
        return NniAdvice("fallback", tuner, None, None, None, cause=f"{type(exc).__name__}: {exc}",
                         profile_s=round(time.perf_counter() - t0, 3), **common)
    advised = nni_tuner_config(decision, seed=seed)
    # The experiment's own direction is kept in every tuner that takes one; Random ignores it for sampling, but NNI's
    # web UI reads it to tell the best trial.
    advised["class_args"].setdefault("optimize_mode", direction)
    keep = user_tuner_now is not None and not override
    return NniAdvice(
        "kept" if keep else "decided", user_tuner_now if keep else advised, advised, decision, report,
        profile_s=round(time.perf_counter() - t0, 3), profile_cached=from_cache, **common,
    )


def _fallback_tuner(direction: str, seed: int | None) -> dict[str, Any]:
    recorded = {"nni_tuner": _FALLBACK_TUNER, "params": {"nni_tuner": {"optimize_mode": direction}}}
    return nni_tuner_config(recorded, seed=seed)


def resolve_path(path: str | os.PathLike[str], base: str | os.PathLike[str]) -> Path:
    """``path`` as NNI reads it: ``~`` expanded, a relative path taken from ``base`` (the config file's folder, or
    the working directory for the Python API), made absolute.

    Example:
        >>> str(resolve_path("space.json", "/exp"))
        '/exp/space.json'
    """
    return Path(os.path.realpath(os.path.join(base, os.path.expanduser(os.fspath(path)))))


# ---------------------------------------------------------------------------------------------- the experiment
def advise_nni_experiment(
    experiment: Any,
    *,
    n_trials: int | None = None,
    override: bool = False,
    seed: int | None = None,
    seconds_per_trial: float | None = None,
    profile_timeout: float = 120.0,
    cache: bool | str | Path = True,
    space_kind: str | None = None,
    truncate_sigmas: float | None = None,
) -> NniAdvice:
    """Profile an NNI HPO experiment's search space and set its tuner, before ``experiment.run()``/``start()``.

    Reads ``experiment.config``: the search space (``search_space``, or ``search_space_file``), the budget
    (``n_trials``, else ``max_trial_number``), the parallel trials (``trial_concurrency``) and the direction (the
    ``optimize_mode`` in the tuner's, else the assessor's ``class_args``; else ``maximize``, NNI's default). Then
    it sets ``config.tuner`` to the decision's tuner (name and ``class_args``, with the experiment's
    ``optimize_mode``), writes the decision file ``<experiment_working_directory>/<experiment id>/``
    :data:`NNI_DECISION_FILE` (the folder NNI keeps the experiment's logs in) and logs one INFO line on the
    ``nas_complexity`` logger.

    A tuner the user set (``config.tuner.name``, or a custom tuner) is kept unless ``override=True``; the line and
    the file say what the hook would have chosen. A failure while profiling never stops the experiment: it keeps
    its tuner (Random when it had none), and a WARNING and the file's status give the cause. Bad input raises at
    once: something other than an HPO ``Experiment``, a malformed search space (naming the bad key), no budget.

    Args:
        experiment: an ``nni.experiment.Experiment`` not yet started.
        n_trials: the trial budget, when ``config.max_trial_number`` is not set (or to decide for another).
        override: replace a tuner the user set.
        seed: seed written into the class_args of the tuners that take one (Random, TPE).
        seconds_per_trial, profile_timeout, cache, space_kind, truncate_sigmas: as in :func:`advise_nni_tuner`.

    Returns:
        The :class:`NniAdvice` (``advice.tuner`` is now ``experiment.config.tuner``; ``advice.file`` the file).

    Example:
        >>> from nni.experiment import Experiment   # doctest: +SKIP
        >>> experiment = Experiment("local")   # doctest: +SKIP
        >>> experiment.config.search_space = {"lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]}}   # doctest: +SKIP
        >>> experiment.config.trial_command, experiment.config.trial_concurrency = "python trial.py", 1   # doctest: +SKIP
        >>> experiment.config.max_trial_number = 20   # doctest: +SKIP
        >>> advise_nni_experiment(experiment).tuner   # doctest: +SKIP
        {'name': 'TPE', 'class_args': {'optimize_mode': 'maximize'}}
        >>> experiment.run(8080)   # doctest: +SKIP
    """
    nni_experiment = require("nni.experiment", "the NNI experiment hook")
    from nni.experiment.config import AlgorithmConfig

    if not isinstance(experiment, nni_experiment.Experiment):
        raise TypeError(f"advise_nni_experiment() needs an nni.experiment.Experiment, got {type(experiment).__name__}")
    config = experiment.config
    if config is None or getattr(config, "experiment_type", "hpo") != "hpo":
        what = "no config" if config is None else f"experiment_type {config.experiment_type!r}"
        raise TypeError(f"advise_nni_experiment() handles HPO experiments with a config; this one has {what}")
    base = getattr(config, "_base_path", None) or Path.cwd()
    space_arg, source = _experiment_space(config, base)
    if n_trials is None:
        n_trials = config.max_trial_number
        if n_trials is None:
            raise NASComplexityError(
                "the trial budget is unknown: set experiment.config.max_trial_number or pass n_trials=N "
                "(the number of trials the experiment will run)"
            )
    concurrency = config.trial_concurrency
    n_workers = concurrency if isinstance(concurrency, numbers.Integral) and not isinstance(concurrency, bool) else 1

    tuner_attr = "advisor" if _chosen(algorithm_section(config.advisor, "advisor")) else "tuner"
    advice = advise_nni_tuner(
        space_arg, n_trials=n_trials, n_workers=n_workers, user_tuner=getattr(config, tuner_attr),
        assessor=config.assessor, override=override, seed=seed, seconds_per_trial=seconds_per_trial,
        profile_timeout=profile_timeout, cache=cache, space_kind=space_kind, truncate_sigmas=truncate_sigmas,
        source=source,
    )
    advice = replace(advice, experiment_id=experiment.id)
    if advice.user_tuner is None or advice.applied:
        # NNI refuses an advisor beside a tuner: a replaced (deprecated) advisor section goes.
        config.tuner = AlgorithmConfig(name=advice.tuner["name"], class_args=dict(advice.tuner["class_args"]))
        config.advisor = None
    label = f"experiment {experiment.id!r}"
    folder = resolve_path(config.experiment_working_directory, base) / experiment.id
    try:
        advice = advice.write(folder)
    except (OSError, ValueError) as exc:  # an unwritable folder is NNI's to report when it starts
        _log.warning("%s: could not write the nas_complexity decision file into %s: %s: %s", label, folder, type(exc).__name__, exc)
    where = f"; decision in {advice.file}" if advice.file is not None else ""
    if advice.state == "fallback":
        _log.warning("%s: nas_complexity could not choose the tuner; the experiment goes on with %s%s", label, advice.summary(), where)
    else:
        _log.info("%s: %s%s", label, advice.summary(), where)
    return advice


def _experiment_space(config: Any, base: Path) -> tuple[Any, str]:
    """The search space an experiment config holds (a dict, or its file's path) and how messages name it."""
    inline, file = config.search_space, config.search_space_file
    if inline is not None and file is not None:
        raise SpaceError("experiment.config.search_space", "both search_space and search_space_file are set",
                         "exactly one of them (NNI refuses both)")
    if file is not None:
        path = resolve_path(file, base)
        return path, f"experiment.config.search_space_file {path}"
    if inline is None:
        raise SpaceError("experiment.config.search_space", "no search space is set",
                         "search_space (a dict of {'_type', '_value'} entries) or search_space_file")
    return inline, "experiment.config.search_space"
