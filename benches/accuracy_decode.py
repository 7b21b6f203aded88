"""How close reduced MP3 decoding comes to a full decode, in the mel spectrogram speech models
see: 80 bands at 16 kHz (n_fft 400, hop 160), on the first 20 of make_data.py's MP3 clips (real
music, 44.1 kHz stereo, 128 kb/s).

The reference is FFmpeg's full decode (float32, the file's rate, every channel), averaged to
mono, resampled to 16 kHz by soxr VHQ. Against it, on the bins within 80 dB of the reference's
maximum: ``spectrust.load(p, sr=16000)`` (mono in the subband domain, 13 of 32 subbands,
synthesis at 22.05 kHz, then spectrust's resampler) and, for comparison, a full decode by
spectrust (``load(p, sr=None, mono=False)``, averaged) resampled by ``spectrust.resample``.
Bands whose upper edge lies below 0.9 of the 8 kHz Nyquist frequency: median and 99th
percentile of |dB|; the bands above: median, 99th percentile and largest. Last, the reduced
decode against the full one, both through spectrust's resampler: what the reductions alone
change.

    python3 benches/accuracy_decode.py [--source DIR]
"""

import subprocess

import make_data
import numpy as np
from benchutil import scaled

MEL = dict(n_fft=400, hop_length=160, n_mels=80)
#: Bands whose upper edge lies below this fraction of the Nyquist frequency are held to 0.1 dB.
LOW_EDGE = 0.9


def reference(path, sr: int = 16000) -> np.ndarray:
    """FFmpeg's full decode of ``path``, the mean of its channels, resampled to ``sr`` Hz by
    soxr VHQ."""
    import soxr

    fields = ["-select_streams", "a:0", "-show_entries", "stream=sample_rate,channels", "-of", "csv=p=0"]
    probe = subprocess.run(
        ["ffprobe", "-v", "error", *fields, str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    rate, channels = (int(v) for v in probe.split(",")[:2])
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-acodec", "pcm_f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    y = np.frombuffer(raw, np.float32).reshape(-1, channels).mean(axis=1)
    return soxr.resample(y, rate, sr, "VHQ")


def db_differences(y: np.ndarray, ref: np.ndarray, sr: int = 16000):
    """|dB| between the mel spectrograms of ``y`` and ``ref`` (at ``sr`` Hz, up to its Nyquist
    frequency) on the bins within 80 dB of the reference's maximum (the first and last frames,
    the resamplers' start-up and flush, left out): (bands whose upper edge lies below
    :data:`LOW_EDGE` of the Nyquist frequency, the bands above), flat arrays."""
    import librosa

    n = min(len(y), len(ref))
    A = librosa.feature.melspectrogram(y=y[:n], sr=sr, **MEL)[:, 1:-1]
    B = librosa.feature.melspectrogram(y=ref[:n], sr=sr, **MEL)[:, 1:-1]
    upper = librosa.mel_frequencies(MEL["n_mels"] + 2, fmax=sr / 2)[2:]
    keep = B > B.max() * 1e-8
    diff = np.abs(10 * np.log10(np.maximum(A, 1e-30) / np.maximum(B, 1e-30)))
    low = upper < LOW_EDGE * sr / 2
    return diff[low][keep[low]], diff[~low][keep[~low]]


def summary(low: np.ndarray, high: np.ndarray) -> dict:
    return {
        "low_median_db": float(np.median(low)),
        "low_p99_db": float(np.percentile(low, 99)),
        "high_median_db": float(np.median(high)),
        "high_p99_db": float(np.percentile(high, 99)),
        "high_max_db": float(np.max(high)),
    }


def main() -> dict:
    import spectrust

    paths = make_data.compressed_clips("mp3")[: scaled(20)]
    measured = {"reduced": ([], []), "full": ([], []), "reduced_vs_full": ([], [])}
    for path in paths:
        ref = reference(path)
        reduced, _ = spectrust.load(path, sr=16000)
        stereo, sr = spectrust.load(path, sr=None, mono=False)
        full = spectrust.resample(np.atleast_2d(stereo).mean(axis=0), orig_sr=sr, target_sr=16000)
        for name, y, against in (("reduced", reduced, ref), ("full", full, ref), ("reduced_vs_full", reduced, full)):
            low, high = db_differences(y, against)
            measured[name][0].append(low)
            measured[name][1].append(high)
    result = {"clips": len(paths)}
    for name, (low, high) in measured.items():
        result[name] = summary(np.concatenate(low), np.concatenate(high))
        r = result[name]
        print(
            f"accuracy_decode ({name.replace('_', ' ')}, {len(paths)} MP3s): below 0.9 Nyquist median "
            f"{r['low_median_db']:.4f} dB, p99 {r['low_p99_db']:.4f} dB (targets 0.05, 0.1); above: median "
            f"{r['high_median_db']:.3f}, p99 {r['high_p99_db']:.3f}, max {r['high_max_db']:.3f} dB (target 1)"
        )
    return result


if __name__ == "__main__":
    make_data.parse_source()
    main()
