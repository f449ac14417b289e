"""The profile acts on the search: a zero-cost warm start, a model-based start of evolution, the sampler's cost."""
from __future__ import annotations

import dataclasses

import pytest

optuna = pytest.importorskip("optuna")

from nas_complexity.integration import (  # noqa: E402
    EVOLUTION_PARENT_KEY,
    ComplexityAdvisor,
    RegularizedEvolutionSampler,
    build_optuna_sampler,
)
from nas_complexity.metrics import PerformanceDiversity  # noqa: E402
from nas_complexity.profiling import profile  # noqa: E402
from nas_complexity.spaces import Categorical, SearchSpace  # noqa: E402
from nas_complexity.strategies import Budget, Condition, FamilyRule, decide  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)

OPS = ("a", "b", "c", "d")
SPACE = SearchSpace("four-ops", [Categorical(f"x{i}", OPS) for i in range(4)])


def _score(arch) -> float:
    return float(sum(OPS.index(arch[f"x{i}"]) for i in range(4)))


def _report_with_best(n_best: int):
    """A real profile of SPACE whose proxy kept ``n_best`` architectures (the best, by a known score)."""
    report = profile(SPACE, performance=False, seed=0)
    best = [{"architecture": {f"x{i}": OPS[3 - ((k >> i) & 1)] for i in range(4)}, "score": 12.0 - k} for k in range(n_best)]
    proxy = PerformanceDiversity("jacob_cov", 0.2, [0.1, 0.3], 100, 0, "clip_minmax", best_scored=best)
    return dataclasses.replace(report, performance_diversity=proxy)


WARM_TPE = FamilyRule("warm", (), "bayesian", "tpe", "test", warm_start=0.25)


def test_the_decision_carries_the_profiles_best_architectures_as_its_warm_start():
    report = _report_with_best(8)
    decision = decide(report, Budget(n_trials=20), (WARM_TPE,))
    assert decision.warm_start == [b["architecture"] for b in report.performance_diversity.best_scored[:5]]
    assert any(r.id == "zero-cost-warm-start" and r.value == 8 for r in decision.reasons)
    assert "warm_start=5" in decision.summary()
    # No proxy scores, no warm start (and no invented architectures).
    assert decide(_report_with_best(0), Budget(n_trials=20), (WARM_TPE,)).warm_start == []


def test_the_hook_evaluates_the_warm_start_first():
    report = _report_with_best(8)
    advisor = ComplexityAdvisor(SPACE, n_trials=20, seed=0, rules=(WARM_TPE,), profiler=lambda space: report)
    study = advisor.attach(optuna.create_study(direction="maximize"))
    study.optimize(lambda t: _score({f"x{i}": t.suggest_categorical(f"x{i}", OPS) for i in range(4)}), n_trials=20,
                   callbacks=[advisor])
    warm = [b["architecture"] for b in report.performance_diversity.best_scored[:5]]
    # Trial 0 was already running when the decision was made: the warm start follows it.
    assert [t.params for t in study.trials[1:6]] == warm
    assert study.best_value == 12.0  # the proxy's best is the true best here


def test_a_stored_decision_does_not_queue_its_warm_start_twice(tmp_path):
    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    report = _report_with_best(4)
    objective = lambda t: _score({f"x{i}": t.suggest_categorical(f"x{i}", OPS) for i in range(4)})  # noqa: E731
    for _ in range(2):  # a second worker (or a resumed study) adopts the stored decision
        advisor = ComplexityAdvisor(SPACE, n_trials=16, seed=0, rules=(WARM_TPE,), profiler=lambda space: report)
        study = advisor.attach(optuna.load_study(study_name="s", storage=storage) if _ else
                               optuna.create_study(study_name="s", storage=storage, direction="maximize"))
        study.optimize(objective, n_trials=8, callbacks=[advisor])
    firsts = [t.params for t in study.trials if t.system_attrs.get("fixed_params")]
    assert len(firsts) == 4


def test_evolution_with_a_tpe_start_hands_its_first_trials_to_tpe():
    calls = []

    class CountingTPE(optuna.samplers.TPESampler):
        def sample_independent(self, study, trial, name, dist):
            calls.append(trial.number)
            return super().sample_independent(study, trial, name, dist)

        def sample_relative(self, study, trial, space):
            calls.append(trial.number)
            return super().sample_relative(study, trial, space)

    sampler = RegularizedEvolutionSampler(4, 2, seed=0, n_startup_trials=10, startup_sampler=CountingTPE(seed=0))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(lambda t: _score({f"x{i}": t.suggest_categorical(f"x{i}", OPS) for i in range(4)}), n_trials=30)
    assert set(calls) == set(range(10))  # the startup trials, and only they
    assert all(study.trials[n].system_attrs[EVOLUTION_PARENT_KEY] is None for n in range(10))
    assert all(study.trials[n].system_attrs[EVOLUTION_PARENT_KEY] is not None for n in range(10, 30))
    with pytest.raises(TypeError, match="startup_sampler"):
        RegularizedEvolutionSampler(startup_sampler="tpe")


def test_a_model_based_start_is_decided_and_built():
    rule = FamilyRule("schedule", (), "evolutionary", "regularized_evolution", "test", startup=("tpe", 1 / 3))
    decision = decide(profile("nb201", performance=False), Budget(n_trials=300), (rule,))
    assert decision.hyperparameters["startup_algorithm"] == "tpe"
    assert decision.hyperparameters["n_startup_trials"] == 100
    assert decision.params["optuna"]["startup_sampler"] == "TPESampler"
    sampler = build_optuna_sampler(decision, seed=0)
    assert isinstance(sampler, RegularizedEvolutionSampler)
    assert isinstance(sampler.startup_sampler, optuna.samplers.TPESampler) and sampler.n_startup_trials == 100


def test_a_sampler_too_costly_for_the_trials_is_passed_over():
    slow = FamilyRule("slow", (), "bayesian", "gp", "test", sampler_seconds=2.0)
    cheap = FamilyRule("cheap", (), "bayesian", "tpe", "test", sampler_seconds=0.005)
    report = profile("nb201", performance=False)
    unknown = decide(report, Budget(n_trials=100), (slow, cheap))
    assert unknown.algorithm == "tpe"
    assert any(r.id == "slow-sampler-cost" and r.value == 2.0 and r.threshold == 1.0 for r in unknown.reasons)
    assert decide(report, Budget(n_trials=100, seconds_per_trial=600), (slow, cheap)).algorithm == "gp"
    assert decide(report, Budget(n_trials=100, seconds_per_trial=5), (slow, cheap)).algorithm == "tpe"
    # The last rule always applies, whatever it costs.
    assert decide(report, Budget(n_trials=100), (slow,)).algorithm == "gp"
    # Reached because the earlier choice was too slow, not because nothing fired: the reason says which.
    unconditional = FamilyRule("last", (), "evolutionary", "regularized_evolution", "test")
    reached = decide(report, Budget(n_trials=100, seconds_per_trial=0.01), (slow, unconditional))
    assert reached.reasons[0].feature == "seconds_per_trial" and "too slow" in reached.reasons[0].sentence()
    assert "no earlier rule fired" in decide(report, Budget(n_trials=100), (unconditional,)).reasons[0].sentence()


def test_fitted_rule_fields_are_checked():
    with pytest.raises(ValueError, match="warm_start"):
        FamilyRule("x", (), "bayesian", "tpe", "e", warm_start=1.5)
    with pytest.raises(ValueError, match="startup"):
        FamilyRule("x", (), "evolutionary", "regularized_evolution", "e", startup=("tpe", 2.0))
    rule = FamilyRule("x", (Condition("n_trials", "<", 50),), "bayesian", "tpe", "e")
    assert rule.with_conditions("y", (), "f").when == ()


def test_the_re_decision_checks_the_proxy_and_tops_the_warm_start_up():
    """The proxy's picks (the true best here) beat the sampler's trials: the check queues the next picks."""
    import json

    from nas_complexity.integration import REDECISION_KEY

    report = _report_with_best(16)
    rule = FamilyRule("warm", (), "random", "random", "test", warm_start=0.125)  # 4 of 32 trials
    advisor = ComplexityAdvisor(SPACE, n_trials=32, seed=0, rules=(rule,), profiler=lambda space: report,
                                redecide_after=9)
    study = advisor.attach(optuna.create_study(direction="maximize"))
    study.optimize(lambda t: _score({f"x{i}": t.suggest_categorical(f"x{i}", OPS) for i in range(4)}), n_trials=32,
                   callbacks=[advisor])
    check = json.loads(study.user_attrs[REDECISION_KEY])["proxy_check"]
    best = [b["architecture"] for b in report.performance_diversity.best_scored]
    assert check["n_warm"] == 4 and check["n_other"] == 5 and check["kept"] and check["lift"] >= 0.5
    assert check["reserve"] == best[4:8]
    queued = [t.params for t in study.trials if t.system_attrs.get("fixed_params")]
    assert queued == best[:8]


def test_a_rule_with_a_proxy_check_has_the_hook_check_without_deciding_again():
    """The decision itself asks for the online check (no redecide_after): after its share of the budget the hook
    compares the warm start with the sampler's trials, queues the next picks, and keeps the strategy."""
    import json

    from nas_complexity.integration import REDECISION_KEY

    report = _report_with_best(16)
    rule = FamilyRule("warm+check", (), "random", "random", "test", warm_start=0.125, proxy_check=0.25)
    decision = decide(report, Budget(n_trials=32), (rule,))
    assert decision.proxy_check_after == 8  # max(2 x 4 warm-start trials, 0.25 x 32)
    assert any(r.id == "online-proxy-check" and r.value == 32 for r in decision.reasons)
    assert any("online proxy check after 8" in n for n in decision.notes)
    assert type(decision).from_json(decision.to_json()) == decision

    advisor = ComplexityAdvisor(SPACE, n_trials=32, seed=0, rules=(rule,), profiler=lambda space: report)
    study = advisor.attach(optuna.create_study(direction="maximize"))
    study.optimize(lambda t: _score({f"x{i}": t.suggest_categorical(f"x{i}", OPS) for i in range(4)}), n_trials=32,
                   callbacks=[advisor])
    entry = json.loads(study.user_attrs[REDECISION_KEY])
    best = [b["architecture"] for b in report.performance_diversity.best_scored]
    assert entry["check_only"] and entry["state"] == "kept" and entry["after_trials"] == 8
    assert entry["proxy_check"]["kept"] and entry["proxy_check"]["reserve"] == best[4:8]
    assert [t.params for t in study.trials if t.system_attrs.get("fixed_params")] == best[:8]
    assert {t.user_attrs["nas_complexity.strategy"] for t in study.trials[1:]} == {"random/RandomSampler"}


def test_a_proxy_check_needs_a_warm_start_and_a_share_of_the_budget():
    with pytest.raises(ValueError, match="proxy_check"):
        FamilyRule("x", (), "bayesian", "tpe", "e", proxy_check=0.2)  # nothing to check
    with pytest.raises(ValueError, match="proxy_check"):
        FamilyRule("x", (), "bayesian", "tpe", "e", warm_start=0.1, proxy_check=1.0)
    rule = FamilyRule("x", (), "bayesian", "tpe", "e", warm_start=0.1, proxy_check=0.2)
    from nas_complexity.strategies import rules_from_json, rules_to_json

    assert rules_from_json(rules_to_json([rule])) == (rule,)
    # No proxy scores: no warm start, so no check either.
    assert decide(_report_with_best(0), Budget(n_trials=50), (rule,)).proxy_check_after is None


def test_a_proxy_that_misleads_gets_no_more_trials():
    from nas_complexity.integration._redecide import proxy_check

    class T:
        def __init__(self, params, value):
            self.params, self.value = params, value

    report = _report_with_best(8)
    best = [b["architecture"] for b in report.performance_diversity.best_scored]
    trials = [T(best[0], 1.0), T(best[1], 2.0), T({"x0": "a", "x1": "a", "x2": "a", "x3": "a"}, 5.0),
              T({"x0": "b", "x1": "a", "x2": "a", "x3": "a"}, 6.0)]
    check = proxy_check(report, best[:2], trials, maximize=True)
    assert check["lift"] == 0.0 and not check["kept"] and check["reserve"] == []
    assert proxy_check(report, best[:2], trials, maximize=False)["reserve"] == best[2:4]


def test_the_proxy_is_scored_by_default_only_when_trials_are_known_to_be_long():
    from nas_complexity.integration._optuna_advisor import PERFORMANCE_OPTIONS, PERFORMANCE_PAYS_FROM_S

    from nas_complexity.strategies import DEFAULT_RULES, rules_read_proxy

    assert ComplexityAdvisor("nb201", n_trials=50).performance is False  # unknown trial time: not worth minutes
    assert ComplexityAdvisor("nb201", n_trials=50, seconds_per_trial=1.0, rules=(WARM_TPE,)).performance is False
    long = ComplexityAdvisor("nb201", n_trials=50, seconds_per_trial=PERFORMANCE_PAYS_FROM_S, rules=(WARM_TPE,))
    assert long.performance is True and long.profile_timeout == 900.0
    # Rules that read nothing of the proxy: minutes of scoring would change no decision.
    plain = FamilyRule("plain", (), "bayesian", "tpe", "test")
    assert ComplexityAdvisor("nb201", n_trials=50, seconds_per_trial=600, rules=(plain,)).performance is False
    shipped = ComplexityAdvisor("nb201", n_trials=50, seconds_per_trial=600)
    assert shipped.performance is rules_read_proxy(DEFAULT_RULES)
    assert ComplexityAdvisor("nb201", n_trials=50, seconds_per_trial=600, performance=False).performance is False
    # A hyperparameter space has no networks to score.
    assert ComplexityAdvisor(SPACE, n_trials=50, seconds_per_trial=600).performance is False
    seen = {}

    def spy(space, **options):
        seen.update(options)
        raise RuntimeError("stop here")

    import nas_complexity.profiling as profiling

    original = profiling.ProfileCache.profile
    try:
        profiling.ProfileCache.profile = lambda self, space, **options: spy(space, **options)
        with pytest.raises(RuntimeError, match="stop here"):
            long.profile_space(long.source.space)
    finally:
        profiling.ProfileCache.profile = original
    assert seen["performance"] is True and seen["performance_options"] == PERFORMANCE_OPTIONS
    assert seen["performance_timeout"] == pytest.approx(0.8 * 900.0)


# ------------------------------------------------------------------------------------- proxy-guided mutation
GUIDED_RE = FamilyRule("guided", (), "evolutionary", "regularized_evolution", "test", guided_mutation=3)


def _report_with_effects():
    """A real profile of SPACE whose proxy scored every architecture with a known score (value d best, a worst)."""
    from nas_complexity.metrics import value_effects

    archs = [{f"x{i}": OPS[(k >> (2 * i)) & 3] for i in range(4)} for k in range(4 ** 4)]
    effects = value_effects(archs, [_score(a) for a in archs])
    report = profile(SPACE, performance=False, seed=0)
    proxy = PerformanceDiversity("jacob_cov", 0.2, [0.1, 0.3], len(archs), 0, "clip_minmax", value_effects=effects)
    return dataclasses.replace(report, performance_diversity=proxy)


def test_the_decision_guides_the_mutation_by_the_proxys_main_effects():
    report = _report_with_effects()
    decision = decide(report, Budget(n_trials=100), (GUIDED_RE,))
    assert decision.hyperparameters["mutation_candidates"] == 3
    assert decision.params["optuna"]["mutation_candidates"] == 3
    assert "mutation_candidates" not in decision.params["nni_strategy"]  # NNI's evolution mutates at random
    assert decision.mutation_effects == report.performance_diversity.value_effects
    assert decision.mutation_effects["x0"]['"d"'] > decision.mutation_effects["x0"]['"a"']
    reason = next(r for r in decision.reasons if r.id == "proxy-guided-mutation")
    assert (reason.feature, reason.value) == ("n_proxy_effects", 4)
    assert "mutation_effects=4 parameters" in decision.summary()
    assert any("proxy-guided mutation" in note for note in decision.notes)
    # Read back from its JSON (as a second worker does), it builds the same guided sampler.
    from nas_complexity.strategies import Decision

    sampler = build_optuna_sampler(Decision.from_json(decision.to_json()), seed=0)
    assert sampler.mutation_candidates == 3 and sampler.mutation_effects == decision.mutation_effects
    # A profile without proxy scores: the rule's evolution mutates at random, and says nothing of a guide.
    plain = decide(profile(SPACE, performance=False, seed=0), Budget(n_trials=100), (GUIDED_RE,))
    assert "mutation_candidates" not in plain.hyperparameters and plain.mutation_effects == {}
    assert not any(r.id == "proxy-guided-mutation" for r in plain.reasons)


def _mutated_values(sampler: RegularizedEvolutionSampler) -> list[str]:
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(lambda t: _score({f"x{i}": t.suggest_categorical(f"x{i}", OPS) for i in range(4)}), n_trials=150)
    from nas_complexity.integration import EVOLUTION_MUTATED_KEY

    return [t.params[name] for t in study.trials if t.system_attrs.get(EVOLUTION_PARENT_KEY) is not None
            for name in t.system_attrs[EVOLUTION_MUTATED_KEY]]


def test_guided_mutation_keeps_the_proxys_favourite_of_its_candidates():
    effects = _report_with_effects().performance_diversity.value_effects
    guided = _mutated_values(RegularizedEvolutionSampler(10, 5, seed=1, mutation_effects=effects, mutation_candidates=3))
    plain = _mutated_values(RegularizedEvolutionSampler(10, 5, seed=1))
    # The worst value "a" is a guided mutation's result only when all 3 draws are "a" (1 in 27), an unguided
    # one's a third of the time.
    assert guided.count("a") / len(guided) < 0.1 < 0.2 < plain.count("a") / len(plain)
    mean_rank = [sum(OPS.index(v) for v in values) / len(values) for values in (guided, plain)]
    assert mean_rank[0] > mean_rank[1] + 0.3


def test_guided_mutation_settings_are_checked():
    with pytest.raises(ValueError, match="mutation_candidates=0"):
        RegularizedEvolutionSampler(mutation_candidates=0)
    with pytest.raises(ValueError, match=r"mutation_effects\['x0'\]\['\"a\"'\]=nan"):
        RegularizedEvolutionSampler(mutation_effects={"x0": {'"a"': float("nan")}}, mutation_candidates=2)
    with pytest.raises(ValueError, match="mutation_effects of type list"):
        RegularizedEvolutionSampler(mutation_effects=[("x0", 1.0)])
    with pytest.raises(ValueError, match="guided_mutation=1 must be 0"):
        FamilyRule("x", (), "evolutionary", "regularized_evolution", "e", guided_mutation=1)
    from nas_complexity.strategies import rules_from_json, rules_to_json

    assert rules_from_json(rules_to_json([GUIDED_RE]))[0] == GUIDED_RE
