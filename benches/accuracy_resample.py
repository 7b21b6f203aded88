"""How close `spectrust.load(path, sr=16000)` comes to `librosa.load(path, sr=16000)` (soxr HQ)
in the mel spectrogram models see (n_fft 400, hop 160, 128 bands, to 8 kHz), on 100 excerpts
of real music at 44.1 or 48 kHz: the resampling issue's measure, the median dB difference in
the top band and the 99th percentile below 0.9 of the new Nyquist frequency, on the bins within
80 dB of their frame's peak.

    python3 benches/accuracy_resample.py [--source DIR]
"""

import make_data
import numpy as np
from benchutil import scaled


def main() -> dict:
    import librosa
    import spectrust

    kw = dict(sr=16000, n_fft=400, hop_length=160, n_mels=128)
    below = librosa.mel_frequencies(kw["n_mels"] + 2, fmax=8000)[1:-1] < 0.9 * 8000
    top, low = [], []
    for track, start in make_data.excerpts(scaled(100)):
        ours, _ = spectrust.load(track, sr=16000, offset=start, duration=15)
        ref, _ = librosa.load(track, sr=16000, offset=start, duration=15)
        A = librosa.feature.melspectrogram(y=ours, **kw)[:, 1:-1]  # soxr's start-up and flush
        B = librosa.feature.melspectrogram(y=ref, **kw)[:, 1:-1]
        diff = np.abs(10 * np.log10(np.maximum(A, 1e-30) / np.maximum(B, 1e-30)))
        keep = B > B.max(axis=0, keepdims=True) * 1e-8
        top.append(np.median(diff[-1][keep[-1]]))
        low.append(diff[below][keep[below]])
    result = {
        "clips": len(top),
        "top_band_median_db": float(np.median(top)),
        "top_band_worst_clip_median_db": float(np.max(top)),
        "p99_below_0.9_nyquist_db": float(np.percentile(np.concatenate(low), 99)),
    }
    print(
        f"accuracy_resample: {result['clips']} clips; top band median {result['top_band_median_db']:.3f} dB "
        f"(worst clip {result['top_band_worst_clip_median_db']:.3f}); 99th percentile below 0.9 Nyquist "
        f"{result['p99_below_0.9_nyquist_db']:.4f} dB (targets: 2 dB, 0.1 dB)"
    )
    return result


if __name__ == "__main__":
    make_data.parse_source()
    main()
