"""Whisper's front end against openai-whisper's recipe (transcribed to numpy) and
transformers' WhisperFeatureExtractor, on real speech and music."""

from pathlib import Path

import librosa
import numpy as np
import pytest
import spectrust
from conftest import EXAMPLES, STEREO44
from transformers import WhisperFeatureExtractor

SPEECH = Path(__file__).parent / "data" / "speech_jfk.mp3"
INPUTS = [SPEECH, STEREO44, EXAMPLES / "music.flac"]


def whisper_recipe(audio: np.ndarray, n_mels: int = 80, padding: int = 0) -> np.ndarray:
    """openai-whisper's whisper/audio.py log_mel_spectrogram, in numpy (torch.stft's centred,
    reflect-padded frames and periodic Hann window are librosa.stft's)."""
    audio = np.pad(audio, (0, padding))
    stft = librosa.stft(audio, n_fft=400, hop_length=160, window="hann", center=True, pad_mode="reflect")
    magnitudes = np.abs(stft[..., :-1]) ** 2
    mel_spec = librosa.filters.mel(sr=16000, n_fft=400, n_mels=n_mels) @ magnitudes
    log_spec = np.log10(np.clip(mel_spec, 1e-10, None))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
@pytest.mark.parametrize("n_mels, padding", [(80, 0), (128, 0), (80, 16000 * 30)])
def test_log_mel_spectrogram_is_whispers(path, n_mels, padding):
    y, _ = spectrust.load(path, sr=16000)
    ours = spectrust.log_mel_spectrogram(y, n_mels=n_mels, padding=padding)
    ref = whisper_recipe(y, n_mels, padding)
    assert ours.shape == ref.shape == (n_mels, (len(y) + padding) // 160) and ours.dtype == np.float32
    assert np.abs(ours - ref).max() < 1e-3
    # A path is decoded, mixed to mono and resampled to 16 kHz first.
    np.testing.assert_allclose(spectrust.log_mel_spectrogram(path, n_mels=n_mels, padding=padding), ours, atol=1e-6)


@pytest.mark.parametrize("n_mels", [80, 128])
def test_whisper_features_are_transformers(n_mels):
    extractor = WhisperFeatureExtractor(feature_size=n_mels)
    signals = [spectrust.load(p, sr=16000)[0] for p in INPUTS]
    long = np.concatenate([signals[1], signals[0], signals[2]])  # 41 s: cut to 30 s
    ref = extractor([*signals, long], sampling_rate=16000, return_tensors="np").input_features
    # Paths, the bytes of a file and arrays, in one call.
    inputs = [SPEECH, STEREO44.read_bytes(), str(INPUTS[2]), long]
    ours = spectrust.whisper_features(inputs, feature_size=n_mels, workers=2)["input_features"]
    assert ours.shape == ref.shape == (4, n_mels, 3000) and ours.dtype == np.float32
    assert np.abs(ours - ref).max() < 1e-3


def test_whisper_inputs_fail_clearly(tmp_path):
    text = tmp_path / "notes.mp3"
    text.write_text("not audio")
    with pytest.raises(spectrust.UnsupportedFormatError, match=r"notes\.mp3"):
        spectrust.whisper_features([SPEECH, text])
    with pytest.raises(spectrust.UnsupportedFormatError, match="<bytes>"):
        spectrust.log_mel_spectrogram(b"definitely not audio" * 10)
    with pytest.raises(FileNotFoundError):
        spectrust.log_mel_spectrogram(tmp_path / "missing.wav")
    with pytest.raises(spectrust.ParameterError, match="shape"):
        spectrust.whisper_features([np.zeros((2, 16000), dtype=np.float32)])
    with pytest.raises(spectrust.ParameterError, match="floating"):
        spectrust.log_mel_spectrogram(np.zeros(16000, dtype=np.int16))
    with pytest.raises(spectrust.ParameterError):
        spectrust.log_mel_spectrogram(np.zeros(16000, dtype=np.float32), padding=-1)
