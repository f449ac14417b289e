"""Real non-image minibatch sources available offline: speech features, biosignal windows, 2-D PDE coefficients.

* Speech (NAS-Bench-ASR's input): 80-bin log-mel filterbank frames computed as NB-ASR does (25 ms Hann window,
  10 ms hop, power spectrum, HTK mel bank 0-8 kHz at 16 kHz, natural log), normalised per bin. No recorded speech
  ships with the project's dependencies, so the audio is, in order of preference: the user's own files
  (``audio_files``, e.g. TIMIT or LibriSpeech WAVs); English sentences from Python's bundled reference text spoken
  by the ``espeak-ng`` synthesiser (a Debian/Ubuntu package) when it is installed; else the only real recording
  bundled with CPython (``test/audiodata/pluck-pcm16.wav``, a 0.3 s plucked string, which is not speech).
* Biosignals (NAS-Bench-360 NinaPro's 16 x 52 EMG windows): matplotlib's bundled real EEG recording
  (``sample_data/eeg.dat``: 4 channels x 800 samples over 10 s). No EMG ships anywhere offline.
* Darcy-flow coefficients (NAS-Bench-360 DarcyFlow's 85 x 85 input): smoothed crops of scikit-image's bundled
  photographs, thresholded into the benchmark's two permeability values (12 and 3), plus the x, y grid channels.
"""
from __future__ import annotations

import shutil
import subprocess
import sysconfig
import tempfile
from fractions import Fraction
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from nas_complexity._errors import NASComplexityError
from nas_complexity.networks._text import prose_sentences, python_reference_text

__all__ = [
    "SPEECH_SOURCES",
    "SpeechFeatures",
    "darcy_inputs",
    "eeg_windows",
    "log_mel",
    "mel_filterbank",
    "read_wav",
]

SPEECH_SOURCES = ("auto", "files", "espeak", "python-recording")
_SPEECH_RATE = 16_000
# Male and female espeak-ng voice variants: speaker variety, as in TIMIT's 630 speakers.
_VOICES = ("en-us+m1", "en-us+f2", "en-us+m3", "en-us+f3", "en-us+m5", "en-us+f4", "en-us+m7", "en-us+f1")


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int, fmin: float = 0.0, fmax: float = 8000.0) -> np.ndarray:
    """HTK-mel triangular weights ``[n_fft // 2 + 1, n_mels]`` like ``tf.signal.linear_to_mel_weight_matrix``
    (which NB-ASR's featuriser uses): triangles in mel space, the DC bin gets no weight.

    Example:
        >>> mel_filterbank(80, 400, 16000).shape
        (201, 80)
    """
    def to_mel(hz: np.ndarray | float) -> np.ndarray:
        return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)

    bins_mel = to_mel(np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1))[1:, None]
    edges = np.linspace(to_mel(fmin), to_mel(fmax), n_mels + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    weights = np.maximum(0.0, np.minimum((bins_mel - lower) / (center - lower), (upper - bins_mel) / (upper - center)))
    return np.vstack([np.zeros((1, n_mels)), weights])


def log_mel(wave: np.ndarray, sample_rate: int, n_mels: int = 80) -> np.ndarray:
    """Log-mel filterbank frames ``[frames, n_mels]`` of a mono waveform, resampled to 16 kHz first.

    Example:
        >>> log_mel(np.sin(np.arange(16000) * 0.3), 16000).shape
        (98, 80)
    """
    from scipy.signal import resample_poly

    wave = np.asarray(wave, dtype=np.float64)
    if sample_rate != _SPEECH_RATE:
        ratio = Fraction(_SPEECH_RATE, sample_rate).limit_denominator(1000)
        wave = resample_poly(wave, ratio.numerator, ratio.denominator)
    frame, hop = int(0.025 * _SPEECH_RATE), int(0.010 * _SPEECH_RATE)
    if len(wave) < frame:
        raise NASComplexityError(f"audio of {len(wave)} samples at 16 kHz is shorter than one 25 ms frame")
    starts = np.arange(0, len(wave) - frame + 1, hop)
    window = np.hanning(frame + 1)[:-1]  # periodic Hann, as tf.signal.hann_window
    power = np.abs(np.fft.rfft(wave[starts[:, None] + np.arange(frame)] * window, n=frame)) ** 2
    return np.log(power @ mel_filterbank(n_mels, frame, _SPEECH_RATE) + 1e-10).astype(np.float32)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A WAV file as a mono float waveform in [-1, 1] and its sample rate (integer or float PCM)."""
    from scipy.io import wavfile

    rate, data = wavfile.read(str(path))
    data = np.asarray(data)
    if data.dtype.kind in "iu":
        info = np.iinfo(data.dtype)
        data = (data.astype(np.float64) - (info.max + info.min + 1) / 2) / ((info.max - info.min + 1) / 2)
    data = data.astype(np.float64)
    return (data.mean(axis=1) if data.ndim == 2 else data), int(rate)


def _python_recording() -> Path | None:
    path = Path(sysconfig.get_paths()["stdlib"]) / "test" / "audiodata" / "pluck-pcm16.wav"
    return path if path.is_file() else None


def _espeak() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


class SpeechFeatures:
    """A pool of normalised log-mel utterances and seeded windows of them, ``[batch, n_mels, frames]``.

    ``source``: ``"files"`` (``audio_files``, WAV), ``"espeak"`` (``n_sentences`` English sentences spoken by
    espeak-ng with 8 voices), ``"python-recording"`` (CPython's bundled pluck recording) or ``"auto"`` (the first
    of these that is available). Features are normalised with the pool's per-bin mean and SD, as NB-ASR
    normalises with its training set's statistics.

    Example:
        >>> pool = SpeechFeatures(source="python-recording")  # doctest: +SKIP
        >>> pool.windows(2, 20, seed=0).shape                 # doctest: +SKIP
        (2, 80, 20)
    """

    def __init__(self, source: str = "auto", audio_files: Sequence[str | Path] | None = None, n_mels: int = 80,
                 n_sentences: int = 32) -> None:
        self.source = source
        self.audio_files = [Path(p) for p in audio_files or ()]
        self.n_mels = n_mels
        self.n_sentences = n_sentences

    @cached_property
    def kind(self) -> str:
        """The source actually used."""
        if self.source not in SPEECH_SOURCES:
            raise NASComplexityError(f"unknown speech source {self.source!r}; accepted: {', '.join(SPEECH_SOURCES)}")
        if self.source in ("files", "auto") and self.audio_files:
            return "files"
        if self.source == "files":
            raise NASComplexityError("speech source 'files' needs audio_files= a list of WAV paths")
        if self.source in ("espeak", "auto") and _espeak():
            return "espeak"
        if self.source == "espeak":
            raise NASComplexityError("speech source 'espeak' needs the espeak-ng program (apt-get install espeak-ng)")
        if _python_recording() is not None:
            return "python-recording"
        raise NASComplexityError(
            "no audio available: pass audio_files= WAV paths (e.g. TIMIT), or install espeak-ng; this interpreter "
            "also lacks CPython's test/audiodata recordings"
        )

    @property
    def description(self) -> str:
        frames = sum(len(u) for u in self.utterances)
        if self.kind == "files":
            what = f"{len(self.audio_files)} user audio file(s)"
        elif self.kind == "espeak":
            what = (f"{self.n_sentences} English sentences from Python's bundled reference text, spoken by the "
                    f"espeak-ng formant synthesiser with {len(_VOICES)} voices (synthetic speech, not recorded)")
        else:
            what = ("CPython's bundled recording test/audiodata/pluck-pcm16.wav (a 0.3 s plucked string; NOT "
                    "speech: no recorded speech ships offline; pass audio_files= or install espeak-ng)")
        return (f"{self.n_mels}-bin log-mel filterbank frames (25 ms / 10 ms, 16 kHz, per-bin normalised) of "
                f"{what}; {frames:,} frames in the pool")

    @cached_property
    def utterances(self) -> list[np.ndarray]:
        """Normalised feature matrices ``[frames, n_mels]``, one per utterance."""
        if self.kind == "files":
            waves = [read_wav(p) for p in self.audio_files]
        elif self.kind == "espeak":
            waves = self._speak(prose_sentences(python_reference_text(), self.n_sentences))
        else:
            waves = [read_wav(_python_recording())]  # type: ignore[arg-type]
        feats = [log_mel(w, rate, self.n_mels) for w, rate in waves]
        stacked = np.concatenate(feats)
        mean, std = stacked.mean(axis=0), stacked.std(axis=0) + 1e-5
        return [(f - mean) / std for f in feats]

    def _speak(self, sentences: list[str]) -> list[tuple[np.ndarray, int]]:
        exe = _espeak()
        out = []
        with tempfile.TemporaryDirectory() as tmp:
            for i, sentence in enumerate(sentences):
                path = Path(tmp) / f"{i}.wav"
                cmd = [exe, "-v", _VOICES[i % len(_VOICES)], "-w", str(path), "--", sentence]
                subprocess.run(cmd, check=True, capture_output=True, timeout=60)  # type: ignore[list-item]
                out.append(read_wav(path))
        return out

    @property
    def max_frames(self) -> int:
        return max(len(u) for u in self.utterances)

    def windows(self, batch_size: int, frames: int, seed: int | np.random.Generator = 0) -> np.ndarray:
        """``batch_size`` windows of ``frames`` consecutive frames (capped at the longest utterance): a seeded
        utterance, chosen in proportion to its length, and a seeded offset in it."""
        if batch_size < 1 or frames < 1:
            raise NASComplexityError(f"batch_size and frames must be positive, got {batch_size} and {frames}")
        frames = min(frames, self.max_frames)
        usable = [u for u in self.utterances if len(u) >= frames]
        weights = np.array([len(u) - frames + 1 for u in usable], dtype=np.float64)
        rng = np.random.default_rng(seed)
        picks = rng.choice(len(usable), size=batch_size, p=weights / weights.sum())
        out = np.empty((batch_size, self.n_mels, frames), dtype=np.float32)
        for row, k in enumerate(picks):
            start = rng.integers(0, len(usable[k]) - frames + 1)
            out[row] = usable[k][start : start + frames].T
        return out


@lru_cache(maxsize=1)
def _eeg() -> np.ndarray:
    from matplotlib import cbook

    path = cbook.get_sample_data("eeg.dat", asfileobj=False)
    eeg = np.fromfile(path, dtype=np.float64).reshape(800, 4)  # layout from matplotlib's mri_with_eeg example
    eeg.setflags(write=False)  # cached and shared
    return eeg


def eeg_windows(batch_size: int, seed: int | np.random.Generator = 0, rows: int = 16, width: int = 52) -> np.ndarray:
    """NinaPro-shaped biosignal "images" ``[batch, 1, rows, width]`` cut from matplotlib's real 4-channel EEG.

    Each sample starts at a seeded offset; its rows are ``rows // 4`` consecutive ``width``-sample segments of each
    of the 4 channels (segment-major), so every row is a real stretch of one electrode's signal.

    Example:
        >>> eeg_windows(3, seed=0).shape
        (3, 1, 16, 52)
    """
    eeg = _eeg()
    n_channels = eeg.shape[1]
    if rows % n_channels:
        raise NASComplexityError(f"rows must be a multiple of the EEG's {n_channels} channels, got {rows}")
    span = rows // n_channels * width
    if span > len(eeg):
        raise NASComplexityError(f"{rows} x {width} needs {span} samples per channel; the EEG has {len(eeg)}")
    starts = np.random.default_rng(seed).integers(0, len(eeg) - span + 1, size=batch_size)
    out = np.empty((batch_size, 1, rows, width), dtype=np.float32)
    for b, start in enumerate(starts):
        segments = eeg[start : start + span].reshape(rows // n_channels, width, n_channels)
        out[b, 0] = segments.transpose(0, 2, 1).reshape(rows, width)
    return out


# scikit-image photographs that ship inside its wheel (no download), as 2-D grey fields.
_PHOTOS = ("brick", "camera", "coins", "grass", "gravel", "moon", "page", "text", "astronaut", "chelsea", "coffee",
           "rocket")


@lru_cache(maxsize=1)
def _grey_photos() -> tuple[np.ndarray, ...]:
    from skimage import color, data

    out = []
    for name in _PHOTOS:
        img = np.asarray(getattr(data, name)(), dtype=np.float64)
        out.append(color.rgb2gray(img) if img.ndim == 3 else img / 255.0)
    return tuple(out)


def darcy_inputs(batch_size: int, seed: int | np.random.Generator = 0, size: int = 85) -> np.ndarray:
    """DarcyFlow-shaped inputs ``[batch, 3, size, size]``: a permeability field and the x, y grid (NB-360 layout).

    The field is a seeded crop (side between ``size`` and the photo's shorter side) of a scikit-image photograph,
    resized to ``size`` x ``size``, smoothed (Gaussian, sigma 2 px) and thresholded at its median into 12 and 3,
    the two values of the benchmark's piecewise-constant coefficients; it is normalised as (a - 7.5) / 4.5, the
    mean and SD of a balanced 12/3 field, as NB-360 normalises with training-set statistics.

    Example:
        >>> darcy_inputs(2, seed=0).shape
        (2, 3, 85, 85)
    """
    from scipy.ndimage import gaussian_filter
    from skimage.transform import resize

    photos = _grey_photos()
    rng = np.random.default_rng(seed)
    grid = np.linspace(0.0, 1.0, size)
    gx, gy = np.meshgrid(grid, grid)
    out = np.empty((batch_size, 3, size, size), dtype=np.float32)
    for b in range(batch_size):
        photo = photos[rng.integers(len(photos))]
        side = int(rng.integers(size, min(photo.shape) + 1))
        top, left = (int(rng.integers(0, n - side + 1)) for n in photo.shape)
        field = resize(photo[top : top + side, left : left + side], (size, size), anti_aliasing=True)
        field = gaussian_filter(field, sigma=2.0)
        coeff = np.where(field >= np.median(field), 12.0, 3.0)
        out[b] = ((coeff - 7.5) / 4.5, gx, gy)
    return out
