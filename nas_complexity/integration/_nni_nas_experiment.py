"""The pre-search hook for NNI NAS: profile a model space, choose the multi-trial strategy, install it.

NNI has no hook that runs before a search, so this one is called before ``NasExperiment.run()``:

* :func:`advise_nni_nas_strategy` profiles an ``nni.nas`` model space (the hub's NasBench201, NasBench101, DARTS,
  ProxylessNAS, or your own ``ModelSpace``) through :func:`nas_complexity.adapters.from_nni_model_space`, with
  performance diversity from jacob_cov scored on the space's own networks (built by NNI as its trials are, see
  :class:`~nas_complexity.networks._nni_model_space.NNIModelSpaceBuilder`) on one real minibatch, decides for the
  budget (:func:`nas_complexity.strategies.decide`) and builds the NNI strategy (:func:`build_nni_strategy`).
* :func:`advise_nni_nas_experiment` does the same for an ``nni.nas.experiment.NasExperiment`` before it runs: the
  budget comes from ``config.max_trial_number``, the chosen strategy replaces ``experiment.strategy`` (NNI reads
  that attribute only when the run starts), and the decision file is written to
  ``<experiment_working_directory>/<experiment id>/nas_complexity_decision.json``, the same file, with the same
  keys, as the HPO hook's (:func:`advise_nni_experiment`).

A failure anywhere in profiling, deciding or building never stops the user's run: the search goes on with the
experiment's own strategy (``Random`` when it has none), a WARNING says why, and the file's ``status`` says
``fallback`` with the cause. Profiling runs in this process, on a worker thread that ends with it, within
``profile_timeout``; it starts no process unless ``performance_options`` asks for scoring workers.
"""
from __future__ import annotations

import json
import numbers
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from nas_complexity._deadline import Deadline
from nas_complexity._errors import NASComplexityError, ProfilingCancelled
from nas_complexity._imports import require
from nas_complexity.integration._nni_experiment import (
    decision_file_content,
    positive_seconds,
    resolve_path,
    write_decision_file,
)
from nas_complexity.integration._nni_strategies import build_nni_strategy
from nas_complexity.integration._optuna_storage import worker_stamp
from nas_complexity.integration._timeout import call_with_time_limit
from nas_complexity.logging import get_logger
from nas_complexity.strategies import Budget, Decision, decide

if TYPE_CHECKING:
    from nas_complexity.report import ComplexityReport

__all__ = [
    "DEFAULT_NAS_PERFORMANCE_OPTIONS",
    "NniNasAdvice",
    "advise_nni_nas_experiment",
    "advise_nni_nas_strategy",
]

_log = get_logger(__name__)

DEFAULT_NAS_PERFORMANCE_OPTIONS: dict[str, Any] = {
    "workers": 1, "batch_size": 16, "min_archs": 8, "max_archs": 16, "n_boot": 200,
}
"""Performance-diversity options of the hook: 8 to 16 networks at batch 16 in this process, which takes seconds
(NAS-Bench-201, ProxylessNAS: about 7 s on 2 CPU cores; NAS-Bench-101: 15 s; DARTS: 35 s). Override any of them
with ``performance_options`` (e.g. ``{"max_archs": 200, "workers": 4}``; scoring workers receive the model space,
which must then be picklable); the SD's CI is wide at 16 networks, and the report says how wide."""

_NNI_EXTRA = "pip install 'nas-complexity[nni]'"


def _require_nni_nas(purpose: str) -> Any:
    """``nni.nas.strategy``, or an ImportError naming what to install (NNI's NAS modules also need Lightning)."""
    try:
        import pytorch_lightning  # noqa: F401  (NNI 3.0's NAS evaluators and one-shot strategies import it)
    except ImportError as exc:
        raise ImportError(
            f"{purpose} needs 'pytorch_lightning', which NNI's NAS modules import and which could not be imported "
            f"({exc}). Install NNI with it: {_NNI_EXTRA}"
        ) from exc
    return require("nni.nas.strategy", purpose)


@dataclass(frozen=True)
class NniNasAdvice:
    """What the NNI NAS hook decided and did.

    Attributes:
        state: ``"decided"`` (the search runs the decision's strategy), ``"kept"`` (the experiment keeps the
            user's strategy, see ``kept_because``; ``advised`` says what the hook would have chosen) or
            ``"fallback"`` (no decision could be made: ``cause`` says why; the search runs the fallback).
        strategy: the ``nni.nas.strategy`` object the search runs.
        advised: the decision's strategy, ``{"name", "params"}`` (``None`` after a fallback).
        decision: the :class:`~nas_complexity.strategies.Decision` (``None`` after a fallback).
        report: the profile of the model space (``None`` when profiling failed).
        budget: the budget decided for.
        user_strategy: the class name of the strategy the experiment had (``None``: none, or no experiment).
        cause: why the hook fell back (``None`` otherwise).
        kept_because: why the user's strategy was kept (``None`` otherwise).
        profile_s: seconds the profile, the decision and building the strategy took.
        experiment_id: the NNI experiment's id, when there is one.
        file: the decision file written (``None`` when none was).

    Example:
        >>> from nas_complexity.strategies import Budget
        >>> advice = NniNasAdvice("fallback", None, None, None, None, Budget(n_trials=20), cause="no NNI")
        >>> advice.applied, json.loads(advice.to_json())["status"]["cause"]
        (False, 'no NNI')
    """

    state: str
    strategy: Any
    advised: dict[str, Any] | None
    decision: Decision | None
    report: "ComplexityReport | None"
    budget: Budget
    user_strategy: str | None = None
    cause: str | None = None
    kept_because: str | None = None
    profile_s: float | None = None
    experiment_id: str | None = None
    file: Path | None = None

    @property
    def applied(self) -> bool:
        """Whether the search runs the decision's strategy."""
        return self.state == "decided"

    def status(self) -> dict[str, Any]:
        """The ``status`` entry of the decision file: the state, the strategies, the budget and where it ran."""
        return {
            "state": self.state, "strategy": _strategy_name(self.strategy), "advised": self.advised,
            "user_strategy": self.user_strategy, "cause": self.cause, "kept_because": self.kept_because,
            "budget": self.budget.to_dict(), "space": None if self.report is None else self.report.space,
            "profile_s": self.profile_s, "experiment_id": self.experiment_id, **worker_stamp(),
        }

    def to_dict(self) -> dict[str, Any]:
        """The decision file's content (see :func:`~nas_complexity.integration._nni_experiment.decision_file_content`)."""
        return decision_file_content(self.decision, self.report, self.status())

    def to_json(self) -> str:
        """:meth:`to_dict` as strict JSON (what the decision file holds)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)

    def write(self, folder: str | Path) -> "NniNasAdvice":
        """Write the decision file into ``folder`` (created if missing); returns the advice with its ``file``.

        Serialised before anything is written, so a value JSON cannot hold leaves no half-written file.
        """
        return replace(self, file=write_decision_file(folder, self.to_dict()))

    def summary(self) -> str:
        """One line: the strategy in effect and why (what the hook logs)."""
        if self.decision is None:
            return f"nni_strategy={_strategy_name(self.strategy)} (fallback: {self.cause})"
        assert self.advised is not None
        reasons = "; ".join(r.sentence() for r in self.decision.reasons)
        advised = f"{self.advised['name']} params={json.dumps(self.advised['params'], sort_keys=True)}"
        setting = f"{self.budget.n_trials} trials, {self.budget.n_workers} at a time"
        if self.state == "kept":
            head = (f"nni_strategy={_strategy_name(self.strategy)} (the user's, kept: {self.kept_because}; "
                    f"nas_complexity would choose {advised}, strategy={self.decision.family}, {setting})")
        else:
            replaced = f", replacing {self.user_strategy}" if self.user_strategy else ""
            head = f"nni_strategy={advised} (chosen: strategy={self.decision.family}, {setting}{replaced})"
        space = self.report.space if self.report is not None else "-"
        return f"{head} reasons=[{reasons}] | space {space} profiled in {self.profile_s or 0:.2f} s"


def _strategy_name(strategy: Any) -> str:
    return "none" if strategy is None else type(strategy).__name__


def _evaluator_inputs(evaluator: Any) -> Any:
    """A Lightning evaluator's training data (its first batch is the minibatch the proxy scores on), else None."""
    return getattr(evaluator, "train_dataloaders", None) if evaluator is not None else None


def _profile(model_space: Any, seed: int, performance: bool, options: dict[str, Any], builder_options: dict[str, Any],
             performance_timeout: float, deadline: Deadline) -> "ComplexityReport":
    """The profile, with performance diversity from NNI's own networks within ``performance_timeout``; past that,
    or when scoring fails as a whole, the rest of the profile still counts and performance diversity is reported
    as not available, with why."""
    from nas_complexity.adapters import from_nni_model_space
    from nas_complexity.metrics import PerformanceDiversity
    from nas_complexity.networks._nni_model_space import NNIModelSpaceBuilder
    from nas_complexity.profiling import profile

    space = from_nni_model_space(model_space)
    if not performance:
        return profile(space, seed=seed, performance=False, deadline=deadline)
    remaining = deadline.remaining()
    limit = performance_timeout if remaining is None else min(performance_timeout, remaining)
    options = {**options, "builder": partial(NNIModelSpaceBuilder, model_space, **builder_options)}
    try:
        # The scoring stage has its own limit inside the hook's; past it the rest of the profile still decides.
        return profile(space, seed=seed, performance_options=options, deadline=deadline, performance_timeout=limit)
    except ProfilingCancelled:
        raise  # the hook's own time limit: it falls back
    except Exception as exc:  # e.g. inputs that cannot make a batch: the rest of the profile still decides
        report = profile(space, seed=seed, performance=False, deadline=deadline)
        note = f"not available: {type(exc).__name__}: {exc}"
        _log.warning("performance diversity of %s %s", space.name, note)
        proxy = options.get("proxy", "jacob_cov")
        return replace(report, performance_diversity=PerformanceDiversity.unavailable(proxy, note),
                       warnings=[*report.warnings, note])


def _advise(
    model_space: Any,
    n_trials: int,
    *,
    n_workers: int = 1,
    seconds_per_trial: float | None = None,
    performance: bool = True,
    performance_options: Mapping[str, Any] | None = None,
    inputs: Any = None,
    image_size: int = 32,
    evaluator: Any = None,
    performance_timeout: float = 60.0,
    profile_timeout: float = 120.0,
    seed: int = 0,
    fallback: Any = None,
) -> NniNasAdvice:
    """:func:`advise_nni_nas_strategy` without its log line (the experiment hook logs its own, once)."""
    strategies = _require_nni_nas("Choosing the NNI NAS strategy")
    nas_nn = require("nni.nas.nn.pytorch", "Choosing the NNI NAS strategy")
    if isinstance(model_space, type) or not isinstance(model_space, nas_nn.ModelSpace):
        what = f"the class {model_space.__name__}" if isinstance(model_space, type) else type(model_space).__name__
        raise TypeError(
            f"model_space must be an nni.nas.nn.pytorch.ModelSpace instance (e.g. NasBench201()), got {what}"
        )
    budget = Budget(n_trials=n_trials, n_workers=n_workers, seconds_per_trial=seconds_per_trial)
    performance_timeout = positive_seconds("performance_timeout", performance_timeout)
    profile_timeout = positive_seconds("profile_timeout", profile_timeout)
    options = {**DEFAULT_NAS_PERFORMANCE_OPTIONS, **dict(performance_options or {})}
    option_inputs = options.pop("inputs", None)  # given to the builder as its data, so that it is cut to the batch
    data = next((d for d in (inputs, option_inputs, _evaluator_inputs(evaluator)) if d is not None), None)
    builder_options = {"image_size": image_size, "data": data}
    fallback = fallback if fallback is not None else strategies.Random()

    t0 = time.perf_counter()
    try:
        def work(deadline: Deadline) -> tuple["ComplexityReport", Decision, Any]:
            report = _profile(model_space, seed, performance, options, builder_options, performance_timeout, deadline)
            decision = decide(report, budget)
            return report, decision, build_nni_strategy(decision, seed=seed)

        report, decision, strategy = call_with_time_limit(work, profile_timeout, name="nas_complexity-nni-nas-profile")
    except Exception as exc:
        return NniNasAdvice("fallback", fallback, None, None, None, budget, cause=f"{type(exc).__name__}: {exc}",
                            profile_s=round(time.perf_counter() - t0, 3))
    advised = {"name": decision.nni_strategy, "params": dict(decision.params.get("nni_strategy") or {})}
    return NniNasAdvice("decided", strategy, advised, decision, report, budget,
                        profile_s=round(time.perf_counter() - t0, 3))


def advise_nni_nas_strategy(model_space: Any, n_trials: int, **options: Any) -> NniNasAdvice:
    """Profile an NNI model space, decide, and build the NNI NAS strategy to search it with.

    Args:
        model_space: an ``nni.nas.nn.pytorch.ModelSpace`` instance (``NasBench201()``, your own...).
        n_trials: architectures the search will evaluate (the budget the decision is made for).
        n_workers: trials run at the same time (``config.trial_concurrency``); default 1.
        seconds_per_trial: what one trial costs, if known (see the README's "Say what a trial costs").
        performance: also measure performance diversity with jacob_cov on the space's own networks, as NNI
            builds them for its trials (default ``True``: seconds with the default options); ``False``: size,
            architecture diversity and parameter kinds only (about a second).
        performance_options: options of :func:`nas_complexity.profiling.performance_diversity` over
            :data:`DEFAULT_NAS_PERFORMANCE_OPTIONS` (``proxy``, ``batch_size``, ``max_archs``, ``workers``...).
        inputs: the minibatch for the proxy (a tensor, an ``(inputs, targets)`` pair or a DataLoader, of which
            the first ``batch_size`` samples are used); default the training data of a Lightning ``evaluator``,
            else ``image_size`` x ``image_size`` crops of real photographs (3 channels).
        image_size: side of the default images (default 32).
        evaluator: the experiment's evaluator (only read for its training data).
        performance_timeout: seconds for the jacob_cov part (default 60); past it, performance diversity is
            reported as not available and the decision is made on the rest of the profile.
        profile_timeout: seconds for the whole profile and decision (default 120); past it, the fallback is used.
        seed: seeds the profile and the NNI strategy (default 0).
        fallback: the strategy to use when profiling or deciding fails (default ``nni.nas.strategy.Random()``).

    Returns:
        The :class:`NniNasAdvice` (``advice.strategy`` is what to give ``NasExperiment``).

    Raises:
        ImportError: NNI or pytorch_lightning is missing (the message says what to install).
        TypeError, ValueError: ``model_space`` is not an NNI model space instance, or a bad budget or time limit.
        Nothing else: a failure of the profile, the decision or the strategy gives the fallback, with a WARNING.

    Example:
        >>> from nni.nas.hub.pytorch import NasBench201
        >>> advice = advise_nni_nas_strategy(NasBench201(), n_trials=300, performance=False)
        >>> advice.state, type(advice.strategy).__name__, advice.strategy.population_size
        ('decided', 'RegularizedEvolution', 10)
    """
    advice = _advise(model_space, n_trials, **options)
    if advice.state == "fallback":
        _log.warning("nas_complexity could not choose the NNI NAS strategy; %s", advice.summary())
    return advice


def advise_nni_nas_experiment(
    experiment: Any, *, n_trials: int | None = None, override: bool = True, write: bool = True, **options: Any
) -> NniNasAdvice:
    """Choose the strategy of an NNI ``NasExperiment`` before it runs, install it, and record why.

    Profiles ``experiment.model_space`` (see :func:`advise_nni_nas_strategy`, which takes ``options``; a Lightning
    evaluator's training data is the proxy's minibatch) for the budget ``n_trials`` (default
    ``config.max_trial_number``) with ``config.trial_concurrency`` parallel trials, then sets
    ``experiment.strategy``, which NNI reads only when the run starts. NNI requires a strategy when the experiment
    is created, so the one there is replaced by default; ``override=False`` keeps it (state ``kept``: the log line
    and the file say what the hook would have chosen). A one-shot strategy is always kept: the rules choose among
    multi-trial strategies. A failure while profiling never stops the run: the experiment keeps its strategy
    (gets ``Random`` when it has none) and a WARNING and the file give the cause.

    Writes the decision file ``<experiment_working_directory>/<experiment id>/`` :data:`NNI_DECISION_FILE` when
    ``write`` (one that cannot be written is a warning) and logs one line on the ``nas_complexity`` logger.

    Raises:
        TypeError: ``experiment`` is not an ``nni.nas.experiment.NasExperiment``.
        NASComplexityError: no budget: neither ``n_trials`` nor ``config.max_trial_number`` is set.

    Example:
        >>> from nni.nas.evaluator import FunctionalEvaluator
        >>> from nni.nas.experiment import NasExperiment, NasExperimentConfig
        >>> from nni.nas.hub.pytorch import NasBench201
        >>> from nni.nas.strategy import Random
        >>> config = NasExperimentConfig("sequential", "simplified", max_trial_number=300)
        >>> experiment = NasExperiment(NasBench201(), FunctionalEvaluator(print), Random(), config)
        >>> advice = advise_nni_nas_experiment(experiment, performance=False, write=False)
        >>> type(experiment.strategy).__name__, advice.user_strategy
        ('RegularizedEvolution', 'Random')
        >>> experiment.run()  # doctest: +SKIP
    """
    _require_nni_nas("Advising an NNI NAS experiment")
    nas_experiment = require("nni.nas.experiment", "Advising an NNI NAS experiment")
    if not isinstance(experiment, nas_experiment.NasExperiment):
        raise TypeError(
            f"advise_nni_nas_experiment() needs an nni.nas.experiment.NasExperiment, got {type(experiment).__name__}"
            " (an HPO nni.experiment.Experiment goes to advise_nni_experiment)"
        )
    config = experiment.config
    if n_trials is None:
        n_trials = config.max_trial_number
        if n_trials is None:
            raise NASComplexityError(
                "the trial budget is unknown: set experiment.config.max_trial_number or pass n_trials=N "
                "(the number of architectures the experiment will evaluate)"
            )
    concurrency = config.trial_concurrency
    if "n_workers" not in options:
        parallel = isinstance(concurrency, numbers.Integral) and not isinstance(concurrency, bool) and concurrency > 0
        options["n_workers"] = int(concurrency) if parallel else 1
    options.setdefault("evaluator", experiment.evaluator)
    user = experiment.strategy
    options.setdefault("fallback", user)
    advice = _advise(experiment.model_space, n_trials, **options)
    kept_because = None
    if user is not None and advice.applied:
        if _is_one_shot(user):
            kept_because = "a one-shot strategy: the rules choose among multi-trial strategies"
        elif not override:
            kept_because = "override=False"
    if kept_because is not None:
        advice = replace(advice, state="kept", strategy=user, kept_because=kept_because)
    experiment.strategy = advice.strategy
    advice = replace(advice, user_strategy=None if user is None else _strategy_name(user),
                     experiment_id=str(experiment.id))
    label = f"NNI experiment {experiment.id!r}"
    if write:
        folder = resolve_path(config.experiment_working_directory, Path.cwd()) / str(experiment.id)
        try:
            advice = advice.write(folder)
        except (OSError, ValueError) as exc:  # the file informs; an unwritable folder is NNI's to report
            _log.warning("%s: could not write the nas_complexity decision file into %s: %s: %s", label, folder,
                         type(exc).__name__, exc)
    where = f"; decision in {advice.file}" if advice.file is not None else ""
    if advice.state == "fallback":
        _log.warning("%s: nas_complexity could not choose the NAS strategy; %s%s", label, advice.summary(), where)
    else:
        _log.info("%s: %s%s", label, advice.summary(), where)
    return advice


def _is_one_shot(strategy: Any) -> bool:
    try:
        from nni.nas.oneshot.pytorch.strategy import OneShotStrategy
    except ImportError:
        return False
    return isinstance(strategy, OneShotStrategy)
