"""Sequence and other-modality networks: NAS-Bench-NLP, NAS-Bench-ASR, NAS-Bench-360 (NinaPro, DarcyFlow)."""
from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nas_complexity._errors import NASComplexityError, SpaceError  # noqa: E402
from nas_complexity.networks import get_builder  # noqa: E402
from nas_complexity.networks._asr import ASR_OPS, ASRBuilder, arch_vec  # noqa: E402
from nas_complexity.networks._nb360 import NB360Builder, NB360Network, genotype_of  # noqa: E402
from nas_complexity.networks._nlp import NLPBuilder, compile_recipe  # noqa: E402
from nas_complexity.networks._signals import (  # noqa: E402
    SpeechFeatures,
    _eeg,
    _espeak,
    _python_recording,
    darcy_inputs,
    eeg_windows,
    log_mel,
    read_wav,
)
from nas_complexity.networks._text import TextCorpus, tokenize  # noqa: E402

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
GRU = {  # NB-NLP recipe 1000002 (a GRU in Cho et al.'s form)
    "r": {"op": "linear", "input": ["x", "h_prev_0"]}, "r_act": {"op": "activation_sigm", "input": ["r"]},
    "z": {"op": "linear", "input": ["x", "h_prev_0"]}, "z_act": {"op": "activation_sigm", "input": ["z"]},
    "rh": {"op": "elementwise_prod", "input": ["r_act", "h_prev_0"]},
    "h_tilde": {"op": "linear", "input": ["x", "rh"]}, "h_tilde_act": {"op": "activation_tanh", "input": ["h_tilde"]},
    "h_new_0": {"op": "blend", "input": ["z_act", "h_prev_0", "h_tilde_act"]},
}
ARCH_201 = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"


def _forward_backward(net: torch.nn.Module, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """jacob_cov's pass: backpropagate the sum of all outputs, return the outputs and the input gradient."""
    x = batch.clone().requires_grad_(True)
    y = net(x)
    y.backward(torch.ones_like(y))
    return y.detach(), x.grad


def _nbnlp_items() -> list[dict]:
    path = DATA / "nbnlp" / "wikitext2_logs_345.zip"
    if not path.is_file():
        pytest.skip(f"NAS-Bench-NLP logs not found at {path} (they live outside the repository)")
    with zipfile.ZipFile(path) as zf:
        return [json.loads(zf.read(n)) for n in sorted(zf.namelist()) if n.endswith(".json")]


# --------------------------------------------------------------------------------------------- NAS-Bench-NLP


def test_tokenize_and_corpus_windows_are_seeded():
    assert tokenize("Hello, world's 42!") == ["hello", ",", "world's", "42", "!"]
    corpus = TextCorpus(max_vocab=300)
    assert corpus.vocabulary[0] == "<unk>" and len(corpus.vocabulary) == 300
    a, b = corpus.windows(4, 16, seed=3), corpus.windows(4, 16, seed=3)
    assert np.array_equal(a, b) and not np.array_equal(a, corpus.windows(4, 16, seed=4))
    # windows are consecutive stretches of the real token stream
    text = " ".join(corpus.tokens)
    assert " ".join(corpus.vocabulary[i] for i in corpus.windows(1, 6, seed=0)[0] if i) in text


def test_corpus_from_a_user_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("the cat sat on the mat . the dog sat too .", encoding="utf-8")
    corpus = TextCorpus(path, max_vocab=4)
    assert corpus.vocabulary == ["<unk>", "the", ".", "sat"]
    assert str(path) in corpus.description
    with pytest.raises(NASComplexityError, match="not a file"):
        _ = TextCorpus(tmp_path / "missing.txt").tokens


@pytest.mark.parametrize(
    "recipe, match",
    [
        ({"h_new_0": {"op": "conv", "input": ["x"]}}, "unknown operation 'conv'"),
        ({"h_new_0": {"op": "linear", "input": ["y"]}}, "input 'y' is not a node"),
        ({"a": {"op": "activation_tanh", "input": ["x"]}}, "outputs \\['h_new_0'\\] are missing"),
        ({"h_new_0": {"op": "linear", "input": ["x", "h_prev_1"]}}, "only outputs 1 hidden state"),
        ({"h_new_0": {"op": "blend", "input": ["x", "h_prev_0"]}}, "blend got 2 inputs"),
        ({"a": {"op": "activation_tanh", "input": ["h_new_0"]}, "h_new_0": {"op": "linear", "input": ["a"]}},
         "cycle"),
    ],
)
def test_bad_recipes_are_named(recipe, match):
    with pytest.raises(SpaceError, match=match):
        compile_recipe(recipe)


def test_gru_recipe_computes_a_gru():
    """The recipe cell equals a hand-written GRU step with the same weights (NB-NLP's MultiLinear semantics)."""
    builder = NLPBuilder(emb_size=5, hidden_size=7, num_layers=1, seq_len=6)
    net = builder.build(GRU, seed=1)
    cell = net.layers[0]
    x = torch.randn(6, 3, 5, generator=torch.Generator().manual_seed(0))

    def lin(name, a, b):
        layer = cell.linears[name]
        return a @ layer.weight[:, :5].T + b @ layer.weight[:, 5:].T + layer.bias

    h = torch.zeros(3, 5)  # the single (last) layer is as wide as the embedding
    expected = []
    for t in range(6):
        r, z = torch.sigmoid(lin("r", x[t], h)), torch.sigmoid(lin("z", x[t], h))
        h = z * h + (1 - z) * torch.tanh(lin("h_tilde", x[t], r * h))
        expected.append(h)
    torch.testing.assert_close(cell(x), torch.stack(expected))


def test_nlp_network_shapes_gradients_and_init_seed():
    builder = NLPBuilder(emb_size=16, hidden_size=24, seq_len=10, max_vocab=500)
    assert builder.input_is_embedding
    batch = builder.minibatch(8, seed=0)
    assert batch.shape == (8, 10, 16) and batch.dtype == torch.float32
    torch.testing.assert_close(batch, builder.embed(builder.tokens(8, seed=0)))
    net = builder.build(GRU)
    y, grad = _forward_backward(net, batch)
    assert y.shape == (8, 10, 500) and torch.isfinite(y).all()
    assert (grad.reshape(8, -1).abs().sum(dim=1) > 0).all()
    # the decoder starts tied to the embedding table; a seed fixes the recurrent init
    torch.testing.assert_close(net.decoder.weight, builder.embedding)
    same = builder.build(GRU)
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), same.parameters()))
    other = builder.build(GRU, seed=5)
    assert not torch.equal(net.layers[0].linears["r"].weight, other.layers[0].linears["r"].weight)
    assert "pydoc_data" in builder.input_description


def test_nlp_builder_is_registered():
    builder = get_builder("nbnlp", emb_size=8, hidden_size=8, seq_len=4)
    assert isinstance(builder, NLPBuilder)
    assert builder.build(json.dumps(GRU))(builder.minibatch(2)).shape[:2] == (2, 4)


def test_nlp_flat_architecture_goes_through_the_space_converter():
    from nas_complexity.spaces import get_space

    for arch in get_space("nbnlp").sample(seed=0, n=3):
        builder = NLPBuilder(emb_size=8, hidden_size=8, seq_len=4)
        y, _ = _forward_backward(builder.build(arch), builder.minibatch(2))
        assert torch.isfinite(y).all()


def test_all_345_nbnlp_recipes_build_and_backpropagate():
    """Every trained NAS-Bench-NLP cell builds and runs; exactly one (1009374) is degenerate: from the zero initial
    state its hidden states stay zero, so its output ignores the input (as NB201 cells cut off by ``none``)."""
    items = _nbnlp_items()
    assert len(items) == 345
    builder = NLPBuilder(emb_size=16, hidden_size=16, num_layers=3, seq_len=6, max_vocab=64)
    batch = builder.minibatch(4, seed=0)
    no_gradient = []
    for item in items:
        y, grad = _forward_backward(builder.build(item["recepie"]), batch)
        assert torch.isfinite(y).all(), item["recepie_id"]
        if (grad.reshape(4, -1).abs().sum(dim=1) == 0).any():
            no_gradient.append(item["recepie_id"])
    assert no_gradient == [1009374]


def test_nlp_parameter_count_matches_nbnlp_logs():
    """At NB-NLP's own sizes (emsize 400, nhid 600, 3 layers, tied decoder) the network has the logged size."""
    items = {item["recepie_id"]: item for item in _nbnlp_items()}
    builder = NLPBuilder(emb_size=400, hidden_size=600, num_layers=3, seq_len=2, max_vocab=8)
    for recipe_id in (1000000, 1000001, 1000002):
        item = items[recipe_id]
        net = builder.build(item["recepie"])
        recurrent = sum(p.numel() for p in net.layers.parameters())
        vocab = 33_278  # WikiText-2's vocabulary: embedding (tied with the decoder) + decoder bias
        assert recurrent + vocab * 400 + vocab == item["num_params"], recipe_id


# --------------------------------------------------------------------------------------------- NAS-Bench-ASR

SMALL_ASR = dict(filters=(24, 32, 40, 48), groups=4, cells_per_block=(1, 1, 2, 2), rnn_hidden=16, frames=40)


def test_arch_vec_validation():
    assert arch_vec([[0, 1], ["conv5d2", 0, 1], [5, 1, 1, 0]]) == [["linear", 1], ["conv5d2", 0, 1],
                                                                     ["zero", 1, 1, 0]]
    with pytest.raises(SpaceError, match="node2.*unknown operation 'conv9'"):
        arch_vec([["linear", 1], ["conv9", 0, 1], ["zero", 1, 1, 0]])
    with pytest.raises(SpaceError, match="node3.*expected an op and 3 skip flags"):
        arch_vec([["linear", 1], ["conv5", 0, 1], ["zero", 1, 1]])
    with pytest.raises(SpaceError, match="skip flags must be 0 or 1"):
        arch_vec([["linear", 2], ["conv5", 0, 1], ["zero", 1, 1, 0]])


def test_log_mel_places_a_tone_in_the_right_band():
    rate = 22_050  # resampled to 16 kHz inside
    t = np.arange(rate) / rate
    feats = log_mel(np.sin(2 * np.pi * 1000.0 * t), rate)
    assert feats.shape == (98, 80)
    mel = 1127.0 * np.log1p(1000.0 / 700.0)
    centers = np.linspace(0.0, 1127.0 * np.log1p(8000.0 / 700.0), 82)[1:-1]
    assert abs(int(feats.mean(axis=0).argmax()) - int(np.abs(centers - mel).argmin())) <= 1


def test_asr_network_forward_backward_on_real_features():
    builder = ASRBuilder(**SMALL_ASR, speech_source="python-recording" if not _espeak() else "auto")
    if _python_recording() is None and not _espeak():
        pytest.skip("no audio source on this machine (no espeak-ng, no CPython test recordings)")
    batch = builder.minibatch(6, seed=0)
    frames = batch.shape[2]
    rng = random.Random(0)
    for _ in range(4):
        vec = [[rng.choice(ASR_OPS[:-1])] + [rng.randrange(2) for _ in range(j + 1)] for j in range(3)]
        y, grad = _forward_backward(builder.build(vec), batch)
        assert y.shape == (6, -(-(-(-frames // 2)) // 2), 49) and torch.isfinite(y).all()
        assert (grad.reshape(6, -1).abs().sum(dim=1) > 0).all(), vec


def test_asr_all_zero_cell_cuts_the_input_off():
    builder = ASRBuilder(**SMALL_ASR)
    y, grad = _forward_backward(builder.build([["zero", 0], ["zero", 0, 0], ["zero", 0, 0, 0]]),
                                torch.randn(3, 80, 40))
    assert torch.isfinite(y).all() and grad.abs().sum() == 0


def test_asr_original_sizes_and_seeded_init():
    full = ASRBuilder(filters=(600, 800, 1000, 1200), groups=100, rnn_hidden=500)
    vec = [["conv5", 1], ["linear", 0, 1], ["conv7d2", 1, 0, 1]]
    net = full.build(vec)
    # 4 reduction convs + layer norms, 18 cells (3+4+5+6), LSTM(1200 -> 500), CTC head of 48 phones + blank
    assert len([m for m in net.modules() if type(m).__name__ == "SearchCell"]) == 18
    assert net.head.out_features == 49 and net.rnn.hidden_size == 500
    small = ASRBuilder(**SMALL_ASR)
    a, b = small.build(vec, seed=3), small.build(vec, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    state = torch.random.get_rng_state()
    small.build(vec, seed=4)
    assert torch.equal(state, torch.random.get_rng_state())  # the global generator is left alone
    with pytest.raises(SpaceError, match="not divisible by groups"):
        ASRBuilder(filters=(30, 32, 40, 48), groups=4).build(vec)


@pytest.mark.skipif(_python_recording() is None, reason="this interpreter lacks CPython's test/audiodata")
def test_speech_from_user_files_and_bundled_recording(tmp_path):
    from scipy.io import wavfile

    wave, rate = read_wav(_python_recording())
    assert rate == 11_025 and 0.25 < len(wave) / rate < 0.35
    path = tmp_path / "utt.wav"
    wavfile.write(path, rate, (np.tile(wave, 4) * 32767).astype(np.int16))  # 1.2 s
    pool = SpeechFeatures("files", [path])
    assert pool.kind == "files" and "1 user audio file" in pool.description
    a = pool.windows(5, 50, seed=1)
    assert a.shape == (5, 80, 50) and np.array_equal(a, pool.windows(5, 50, seed=1))
    bundled = SpeechFeatures("python-recording")
    assert "NOT speech" in bundled.description
    assert bundled.windows(2, 500, seed=0).shape[2] == bundled.max_frames  # capped at the 0.3 s recording
    with pytest.raises(NASComplexityError, match="unknown speech source"):
        _ = SpeechFeatures("microphone").kind


@pytest.mark.skipif(_espeak() is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_espeak_speech_minibatch_is_seeded():
    builder = ASRBuilder(**SMALL_ASR, speech_source="espeak")
    a, b = builder.minibatch(8, seed=2), builder.minibatch(8, seed=2)
    assert a.shape == (8, 80, 40) and torch.equal(a, b)
    assert not torch.equal(a, builder.minibatch(8, seed=3))
    assert "espeak-ng" in builder.input_description and "not recorded" in builder.input_description


# --------------------------------------------------------------------------------------------- NAS-Bench-360


def test_genotype_parsing():
    flat = {f"cell/{i}_{j}": "nor_conv_1x1" for j in range(1, 4) for i in range(j)}
    assert genotype_of(flat)[2] == [("nor_conv_1x1", 0), ("nor_conv_1x1", 1), ("nor_conv_1x1", 2)]
    with pytest.raises(SpaceError, match="cell/1_3"):
        genotype_of({k: v for k, v in flat.items() if k != "cell/1_3"})
    with pytest.raises(SpaceError, match="unknown operation 'conv5x5'"):
        genotype_of({**flat, "cell/0_1": "conv5x5"})
    with pytest.raises(SpaceError, match="unknown NAS-Bench-360 task"):
        NB360Builder(task="ecg").build(ARCH_201)


def test_nb201_cell_parameter_counts_match_the_benchmark():
    """The cell and skeleton reproduce NB201's published CIFAR-10 parameter counts (zero-cost table)."""
    pd = pytest.importorskip("pandas")
    path = DATA / "nb201" / "nb201_zc_proxies_cifar10_9445.csv.gz"
    if not path.is_file():
        pytest.skip(f"NB201 table not found at {path}")
    table = pd.read_csv(path).sample(12, random_state=0)
    for arch, params in zip(table["net_str"], table["params"]):
        net = NB360Network(genotype_of(arch), in_channels=3, num_outputs=10, dense=False, reductions=True)
        assert sum(p.numel() for p in net.parameters()) == round(params * 1e6), arch


@pytest.mark.parametrize("task, shape", [("ninapro", (4, 18)), ("darcyflow", (4, 1, 85, 85))])
def test_nb360_networks_on_their_inputs(task, shape):
    builder = NB360Builder(task=task, channels=4, num_cells=1)
    batch = builder.minibatch(4, seed=0)
    assert torch.equal(batch, builder.minibatch(4, seed=0))
    assert not torch.equal(batch, builder.minibatch(4, seed=1))
    y, grad = _forward_backward(builder.build(ARCH_201), batch)
    assert y.shape == shape and torch.isfinite(y).all()
    assert (grad.reshape(4, -1).abs().sum(dim=1) > 0).all()
    assert builder.input_description
    assert isinstance(get_builder("nb360", task=task, channels=4, num_cells=1), NB360Builder)


def test_ninapro_windows_are_real_eeg_segments():
    eeg = _eeg()
    windows = eeg_windows(3, seed=7)
    start = int(np.random.default_rng(7).integers(0, 800 - 4 * 52 + 1))
    np.testing.assert_allclose(windows[0, 0, 0], eeg[start : start + 52, 0], rtol=1e-6)
    np.testing.assert_allclose(windows[0, 0, 5], eeg[start + 52 : start + 104, 1], rtol=1e-6)


def test_darcy_inputs_are_two_valued_fields_on_a_grid():
    x = darcy_inputs(3, seed=0)
    levels = np.unique(x[:, 0])
    np.testing.assert_allclose(levels, [-1.0, 1.0])  # 3 and 12, normalised
    np.testing.assert_allclose(x[0, 1, 5], np.linspace(0, 1, 85), rtol=1e-6)  # x varies along columns
    np.testing.assert_allclose(x[0, 2, :, 5], np.linspace(0, 1, 85), rtol=1e-6)
    assert 0.3 < (x[:, 0] > 0).mean() < 0.7  # median threshold: balanced


def test_darcy_network_keeps_full_resolution():
    net = NB360Builder(task="darcyflow", channels=4, num_cells=1).build(ARCH_201)
    assert not any(type(m).__name__ == "ResNetBasicBlock" for m in net.modules())
    assert net(torch.zeros(1, 3, 20, 20)).shape == (1, 1, 20, 20)


def test_cifar100_task_uses_nb201_shape():
    net = NB360Builder(task="cifar100", channels=4, num_cells=1).build(ARCH_201)
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 100)
