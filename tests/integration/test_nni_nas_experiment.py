"""The NNI NAS pre-search hook on real NNI objects: a NAS run in NNI's in-process engine, the hub spaces, failures."""
from __future__ import annotations

import json
import logging
import sys
import threading
import warnings

import pytest

pytest.importorskip("torch")
pytest.importorskip("pytorch_lightning")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # nni 3.0 warns on import about recent torch versions
    nni = pytest.importorskip("nni")
    from nni.nas.evaluator import FunctionalEvaluator
    from nni.nas.experiment import NasExperiment, NasExperimentConfig
    from nni.nas.hub.pytorch import DARTS, NasBench101, NasBench201, ProxylessNAS
    from nni.nas.nn.pytorch import LayerChoice, ModelSpace, MutableConv2d, MutableLinear
    from nni.nas.strategy import Random, RegularizedEvolution
    from nni.tools.nnictl import config_utils

import psutil  # noqa: E402  (an NNI dependency)
import torch  # noqa: E402

from nas_complexity import profile  # noqa: E402
from nas_complexity._errors import NASComplexityError  # noqa: E402
from nas_complexity.adapters import from_nni_model_space  # noqa: E402
from nas_complexity.integration import (  # noqa: E402
    NNI_DECISION_FILE,
    NniNasAdvice,
    advise_nni_nas_experiment,
    advise_nni_nas_strategy,
)
from nas_complexity.networks._images import digit_batch  # noqa: E402
from nas_complexity.networks._nni_model_space import NNIModelSpaceBuilder  # noqa: E402
from nas_complexity.strategies import Budget, decide  # noqa: E402

HUB = {"NasBench201": NasBench201, "NasBench101": NasBench101, "DARTS": DARTS, "ProxylessNAS": ProxylessNAS}


class TinySpace(ModelSpace):
    """A small real search space on 8x8 digits: a convolution's kernel, an activation and a hidden width."""

    def __init__(self) -> None:
        super().__init__()
        width = nni.choice("width", [8, 16])
        self.conv = LayerChoice(
            {"k3": MutableConv2d(1, width, 3, padding=1), "k5": MutableConv2d(1, width, 5, padding=2),
             "k1": MutableConv2d(1, width, 1)},
            label="conv",
        )
        self.act = LayerChoice({"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh()}, label="act")
        self.pool = torch.nn.AdaptiveAvgPool2d(2)
        self.head = MutableLinear(width * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.act(self.conv(x))).flatten(1))


def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    return digit_batch(512, seed=0, size=8, channels=1)


def train_and_score(model: torch.nn.Module) -> None:
    """A real (tiny) trial: 30 SGD steps on 256 digits, accuracy on 256 others reported to NNI."""
    x, y = _digits()
    torch.manual_seed(0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(30):
        batch = slice(32 * (step % 8), 32 * (step % 8 + 1))
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = float((model(x[256:]).argmax(1) == y[256:]).float().mean())
    nni.report_final_result(accuracy)


@pytest.fixture(autouse=True)
def nni_manifest(tmp_path, monkeypatch):
    """NNI lists every experiment in ~/nni-experiments/.experiment: keep the tests' entries in their own folder."""
    home = tmp_path / "nni-home"
    monkeypatch.setattr(config_utils.Experiments.__init__, "__defaults__", (str(home),))
    return home


def _experiment(tmp_path, strategy=None, max_trials: int | None = 5) -> NasExperiment:
    config = NasExperimentConfig("sequential", "simplified", experiment_working_directory=str(tmp_path / "exp"))
    if max_trials is not None:
        config.max_trial_number = max_trials
    return NasExperiment(TinySpace(), FunctionalEvaluator(train_and_score), strategy, config)


def _running() -> tuple[set[str], set[int]]:
    threads = {t.name for t in threading.enumerate() if t.is_alive()}
    return threads, {p.pid for p in psutil.Process().children(recursive=True)}


# ------------------------------------------------------------------------------------ a real NAS run
def test_nas_run_uses_the_decided_strategy_and_records_it(tmp_path, caplog):
    """The hook (with jacob_cov on NNI's own networks of the space) chooses, NNI runs that strategy, the file says so."""
    threads_before, children_before = _running()
    torch_threads = torch.get_num_threads()
    experiment = _experiment(tmp_path, Random())
    x, y = _digits()
    with caplog.at_level(logging.INFO, logger="nas_complexity"):
        advice = advise_nni_nas_experiment(experiment, inputs=(x, y), seed=0)
    assert advice.state == "decided", advice.cause
    assert experiment.strategy is advice.strategy
    assert type(experiment.strategy).__name__ == advice.decision.nni_strategy == advice.advised["name"]
    assert advice.user_strategy == "Random" and advice.budget.n_trials == 5
    perf = advice.report.performance_diversity
    assert perf.sd is not None and perf.n_samples >= 3, perf.note
    assert "user-supplied" in perf.inputs or "user" in perf.inputs
    assert torch.get_num_threads() == torch_threads  # scoring does not leave torch on one thread
    lines = [r for r in caplog.records if r.name.startswith("nas_complexity.integration")]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    assert f"nni_strategy={advice.decision.nni_strategy}" in lines[0].getMessage()

    try:
        experiment.run()
    finally:
        experiment.stop()
    models = list(experiment.strategy.list_models())
    assert len(models) == 5 and all(m.metric is not None for m in models)
    assert all(set(m.sample) == {"width", "conv", "act"} for m in models)

    path = tmp_path / "exp" / experiment.id / NNI_DECISION_FILE
    assert advice.file == path and path.is_file()
    record = json.loads(path.read_text())
    assert set(record) == {"decision", "profile", "status"}
    assert record["status"]["state"] == "decided" and record["status"]["strategy"] == type(experiment.strategy).__name__
    assert record["decision"]["nni_strategy"] == advice.decision.nni_strategy
    assert record["profile"]["performance_diversity"]["sd"] == perf.sd
    assert record["status"]["experiment_id"] == experiment.id

    threads_after, children_after = _running()
    assert not {t for t in threads_after - threads_before if "nas_complexity" in t or "nni" in t.lower()}
    assert children_after <= children_before


def test_nas_run_after_a_failed_profile_keeps_the_users_strategy(tmp_path, monkeypatch, caplog):
    import nas_complexity.integration._nni_nas_experiment as hook

    def broken(*args, **kwargs):
        raise RuntimeError("rules unavailable")

    monkeypatch.setattr(hook, "decide", broken)
    user = RegularizedEvolution(population_size=2, sample_size=1)
    experiment = _experiment(tmp_path, user, max_trials=3)
    with caplog.at_level(logging.WARNING, logger="nas_complexity"):
        advice = advise_nni_nas_experiment(experiment, performance=False)
    assert advice.state == "fallback" and experiment.strategy is user
    assert "RuntimeError: rules unavailable" in advice.cause
    assert any("could not choose the NAS strategy" in r.getMessage() for r in caplog.records)
    try:
        experiment.run()  # the user's search runs as if the hook were not there
    finally:
        experiment.stop()
    assert len(list(user.list_models())) == 3
    status = json.loads(advice.file.read_text())["status"]
    assert status["state"] == "fallback" and status["strategy"] == "RegularizedEvolution"
    assert "rules unavailable" in status["cause"]


def test_an_experiment_without_strategy_gets_the_decision_or_random(tmp_path, monkeypatch):
    experiment = _experiment(tmp_path, None)
    advice = advise_nni_nas_experiment(experiment, performance=False, write=False)
    assert advice.applied and experiment.strategy is advice.strategy and advice.user_strategy is None
    assert advice.file is None and not (tmp_path / "exp").exists()

    import nas_complexity.integration._nni_nas_experiment as hook

    monkeypatch.setattr(hook, "decide", lambda *a, **k: 1 / 0)
    experiment = _experiment(tmp_path, None)
    advice = advise_nni_nas_experiment(experiment, performance=False, write=False)
    assert advice.state == "fallback" and type(experiment.strategy).__name__ == "Random"


def test_override_false_keeps_the_users_strategy_and_says_what_it_would_choose(tmp_path, caplog):
    user = Random()
    experiment = _experiment(tmp_path, user)
    with caplog.at_level(logging.INFO, logger="nas_complexity"):
        advice = advise_nni_nas_experiment(experiment, override=False, performance=False)
    assert advice.state == "kept" and experiment.strategy is user and advice.kept_because == "override=False"
    assert advice.advised["name"] == advice.decision.nni_strategy
    message = caplog.records[-1].getMessage()
    assert "the user's, kept" in message and f"would choose {advice.advised['name']}" in message
    assert json.loads(advice.file.read_text())["status"]["advised"] == advice.advised


def test_profile_timeout_falls_back_and_stops_the_profile(tmp_path):
    experiment = _experiment(tmp_path, Random())
    advice = advise_nni_nas_experiment(experiment, profile_timeout=0.01, write=False)
    assert advice.state == "fallback" and "time limit" in advice.cause
    assert not [t for t in threading.enumerate() if t.name == "nas_complexity-nni-nas-profile" and t.is_alive()]


def test_performance_timeout_keeps_the_rest_of_the_profile(tmp_path):
    experiment = _experiment(tmp_path, Random())
    advice = advise_nni_nas_experiment(experiment, performance_timeout=0.001, write=False)
    assert advice.state == "decided"
    perf = advice.report.performance_diversity
    assert perf.sd is None and "performance_timeout=0.001 s" in perf.note
    assert advice.report.size.total == 2 * 3 * 2


def test_unusable_inputs_lose_performance_diversity_only(tmp_path):
    advice = advise_nni_nas_strategy(TinySpace(), n_trials=5, inputs=torch.zeros(4, 1, 8, 8))
    assert advice.state == "decided"
    perf = advice.report.performance_diversity
    assert perf.sd is None and "4 samples, 16 requested" in perf.note


# ------------------------------------------------------------------------------------ bad input
def test_bad_input_raises_before_any_work(tmp_path):
    with pytest.raises(TypeError, match="NasExperiment"):
        advise_nni_nas_experiment(object())
    with pytest.raises(NASComplexityError, match="max_trial_number"):
        advise_nni_nas_experiment(_experiment(tmp_path, Random(), max_trials=None))
    with pytest.raises(TypeError, match="the class TinySpace"):
        advise_nni_nas_strategy(TinySpace, n_trials=10)
    with pytest.raises(ValueError, match="n_trials"):
        advise_nni_nas_strategy(TinySpace(), n_trials=0)
    with pytest.raises(ValueError, match="profile_timeout"):
        advise_nni_nas_strategy(TinySpace(), n_trials=10, profile_timeout=float("inf"))


def test_missing_nni_or_lightning_says_what_to_install(monkeypatch):
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "pytorch_lightning", None)
        with pytest.raises(ImportError, match=r"pytorch_lightning.*pip install 'nas-complexity\[nni\]'"):
            advise_nni_nas_strategy(TinySpace(), n_trials=10)
    with monkeypatch.context() as patch:
        for name in [m for m in sys.modules if m == "nni" or m.startswith("nni.")]:
            patch.setitem(sys.modules, name, None)
        with pytest.raises(ImportError, match=r"'nni'.*pip install 'nas-complexity\[nni\]'"):
            advise_nni_nas_strategy(object(), n_trials=10)


# ------------------------------------------------------------------------------------ the hub spaces
@pytest.fixture(scope="module")
def hub_spaces():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("nni").setLevel(logging.WARNING)  # NasBench101 logs each pruned cell at INFO
        return {name: cls() for name, cls in HUB.items()}


@pytest.mark.parametrize("name", list(HUB))
def test_hub_space_decisions(hub_spaces, name):
    """The hook's decision for each hub space is the policy's for its profile, and the strategy is built from it."""
    space = hub_spaces[name]
    advice = advise_nni_nas_strategy(space, n_trials=100, performance=False)
    assert advice.state == "decided", advice.cause
    expected = decide(profile(from_nni_model_space(space), performance=False), Budget(n_trials=100))
    assert advice.decision == expected
    strategy = advice.strategy
    assert type(strategy).__name__ == expected.nni_strategy
    for key, value in expected.params["nni_strategy"].items():
        assert getattr(strategy, key) == value
    print(f"{name}: {advice.summary()}")


def test_builder_builds_nni_trial_networks_for_every_hub_space(hub_spaces):
    """Each hub space's architectures come back as the network NNI would train, deterministic per seed."""
    for name, model_space in hub_spaces.items():
        space = from_nni_model_space(model_space)
        builder = NNIModelSpaceBuilder(model_space)
        arch = space.sample(seed=1)
        a, b = builder.build(arch, seed=3), builder.build(arch, seed=3)
        first = next(a.parameters())
        assert torch.equal(first, next(b.parameters())), name
        assert not torch.equal(first, next(builder.build(arch, seed=4).parameters())), name
        with torch.no_grad():
            out = a(builder.minibatch(2))
        assert out.shape[0] == 2, name


@pytest.mark.slow
def test_hub_nb201_with_jacob_cov_on_nni_networks(hub_spaces):
    advice = advise_nni_nas_strategy(hub_spaces["NasBench201"], n_trials=100,
                                     performance_options={"max_archs": 32, "min_archs": 32})
    perf = advice.report.performance_diversity
    assert advice.state == "decided" and perf.sd is not None and perf.n_samples + perf.n_failed == 32


def test_advice_round_trips_through_json():
    advice = advise_nni_nas_strategy(TinySpace(), n_trials=20, performance=False)
    record = json.loads(advice.to_json())
    assert record["decision"]["nni_strategy"] == advice.decision.nni_strategy
    assert record["status"]["state"] == "decided" and record["status"]["budget"]["n_trials"] == 20
    assert isinstance(advice, NniNasAdvice)
