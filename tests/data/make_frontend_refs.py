"""Reference outputs of the transformers front ends that need PyTorch (not installed by CI), for
tests/test_kaldi.py and tests/test_parakeet.py: ``ASTFeatureExtractor`` (it calls
``torchaudio.compliance.kaldi.fbank``) and ``ParakeetFeatureExtractor`` with their defaults on
short real clips, alone and as one padded batch.

Run once, in a throwaway virtual environment with torch, torchaudio and transformers (PyPI's
torch pulls gigabytes of CUDA libraries: never in CI), with spectrust's package on the path to
decode the clips to 16 kHz exactly as the tests do::

    python3 -m venv /tmp/torchref && /tmp/torchref/bin/pip install torch torchaudio transformers
    PYTHONPATH=python /tmp/torchref/bin/python tests/data/make_frontend_refs.py

Writes tests/data/frontend_refs.npz and tests/data/torchaudio_fbank_refs.npz (see
:func:`torchaudio_fbank`). frontend_refs.npz: per clip its AST frames (before padding) quantised to
int16 in units of 2**-14 and its Parakeet features in units of 2**-12 (the tests compare
within 1e-3; the quantisation moves a value by 3.1e-5 and 1.2e-4 at most), the value of AST's
padded frames, the input's sample count, Parakeet's attention mask of the padded batch of all
clips (the middle clip cut to 20000 samples, so that the batch pads), and the versions used.
"""

import sys
from pathlib import Path

import numpy as np
import spectrust

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent.parent / "examples"
# (file, offset s, duration s): speech, music, Opus speech; 1.5 s each keeps the file small.
CLIPS = [
    (HERE / "speech_jfk.mp3", 2.0, 1.5),
    (EXAMPLES / "music_mono22k_s16.wav", 1.0, 1.5),
    (HERE / "speech_opus.ogg", 0.0, 1.5),
]
UNIT = 2.0**-14
PARAKEET_UNIT = 2.0**-12


def clip_samples():
    """The clips at 16 kHz, as the tests load them."""
    return [spectrust.load(path, sr=16000, offset=offset, duration=duration)[0] for path, offset, duration in CLIPS]


def parakeet_clips(ys):
    """The Parakeet batch: the middle clip cut to 20000 samples, so that the batch pads it."""
    return [ys[0], ys[1][:20000], ys[2]]


def main() -> None:
    import torch
    import torchaudio
    import transformers
    from transformers import ASTFeatureExtractor, ParakeetFeatureExtractor

    ys = clip_samples()
    extractor = ASTFeatureExtractor()
    versions = [f"torch {torch.__version__}", f"torchaudio {torchaudio.__version__}"]
    out = {"versions": np.array([*versions, f"transformers {transformers.__version__}"])}
    alone = [extractor(y, sampling_rate=16000, return_tensors="np")["input_values"][0] for y in ys]
    batch = extractor(ys, sampling_rate=16000, return_tensors="np")["input_values"]
    for k, (y, a) in enumerate(zip(ys, alone)):
        frames = 1 + (len(y) - 400) // 160
        assert np.array_equal(batch[k], a), "AST computes each clip alone"
        pad = a[frames:]
        assert (pad == pad[0, 0]).all(), "padded frames are one value"
        q = np.round(a[:frames] / UNIT)
        assert np.abs(q).max() < 2**15
        out[f"ast_{k}"] = q.astype(np.int16)
        out[f"ast_{k}_pad"] = np.float32(pad[0, 0])
        out[f"samples_{k}"] = np.int64(len(y))
    parakeet = ParakeetFeatureExtractor()
    ys = parakeet_clips(ys)
    batch = parakeet(ys, sampling_rate=16000, return_tensors="np")
    for k, y in enumerate(ys):
        alone = parakeet(y, sampling_rate=16000, return_tensors="np")["input_features"][0]
        assert np.allclose(batch["input_features"][k, : len(alone)], alone, atol=1e-5), "each clip alone"
        assert not batch["input_features"][k, len(alone) :].any(), "padded frames are 0"
        q = np.round(alone / PARAKEET_UNIT)
        assert np.abs(q).max() < 2**15
        out[f"parakeet_{k}"] = q.astype(np.int16)
    out["parakeet_batch_mask"] = batch["attention_mask"]
    out["parakeet_batch_frames"] = np.int64(batch["input_features"].shape[1])
    np.savez_compressed(HERE / "frontend_refs.npz", **out)
    print("wrote", HERE / "frontend_refs.npz", {k: v.shape for k, v in out.items()})
    torchaudio_fbank()


#: The stereo clip of the torchaudio references: (file, offset s, duration s).
STEREO_CLIP = (EXAMPLES / "music_stereo44k_s16.wav", 3.0, 1.5)

#: torchaudio's fbank calls of the references, by name: keywords beside ``sample_frequency``.
FBANK_CALLS = {
    "mono80": dict(channel=0, num_mel_bins=80),
    "left80": dict(channel=0, num_mel_bins=80),
    "right80": dict(channel=1, num_mel_bins=80),
    "default": dict(),
    "energy_hanning": dict(channel=1, num_mel_bins=40, use_energy=True, window_type="hanning"),
}


def stereo_waveform():
    """The stereo clip at 16 kHz, ``(2, n)`` in [-1, 1]: what ``torchaudio.load`` and a resample
    give, as the tests load it."""
    path, offset, duration = STEREO_CLIP
    return spectrust.load(path, sr=16000, mono=False, offset=offset, duration=duration)[0]


def torchaudio_fbank() -> None:
    """``torchaudio.compliance.kaldi.fbank(waveform * 32768, sample_frequency=16000, ...)`` as
    torchaudio users call it on ``torchaudio.load``'s ``(channels, n)`` waveform: on the ``(1,
    n)`` left channel (``"mono80"``) and the ``(2, n)`` stereo clip (the others, see
    :data:`FBANK_CALLS`), each ``(frames, bins)`` quantised to int16 in units of 2**-10 (the
    tests compare within 1e-3 of the log bands; the quantisation moves a value by 4.9e-4 at
    most)."""
    import torch
    import torchaudio
    from torchaudio.compliance import kaldi

    w = torch.from_numpy(np.ascontiguousarray(stereo_waveform()))
    out = {"versions": np.array([f"torch {torch.__version__}", f"torchaudio {torchaudio.__version__}"])}
    for name, kw in FBANK_CALLS.items():
        waveform = w[:1] if name == "mono80" else w
        f = kaldi.fbank(waveform * 32768, sample_frequency=16000, **kw).numpy()
        q = np.round(f / FBANK_UNIT)
        assert np.abs(q).max() < 2**15
        out[name] = q.astype(np.int16)
    np.savez_compressed(HERE / "torchaudio_fbank_refs.npz", **out)
    print("wrote", HERE / "torchaudio_fbank_refs.npz", {k: v.shape for k, v in out.items()})


FBANK_UNIT = 2.0**-10


if __name__ == "__main__":
    torchaudio_fbank() if "--fbank" in sys.argv else main()
