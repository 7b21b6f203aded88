"""Mel spectrogram arrays: spectrust vs audioflux vs librosa, in one process.

Same 100 clips as make_data.py, file reading included, same parameters: sr 22050 (native),
n_fft 2048, hop 512, 128 mels, Slaney mel scale with Slaney area normalisation, power.

- spectrust:  ``melspectrogram_batch(paths, ...)`` (decode + STFT + mel in Rust, all cores).
- librosa:    ``librosa.load(p, sr=None)`` then ``librosa.feature.melspectrogram``, per file.
- audioflux:  ``audioflux.read(p)`` then ``MelSpectrogram.spectrogram(y)``, reusing one
              MelSpectrogram object (its fast path; building it per file is slower).
              Closest settings to librosa's defaults: style SLANEY, normal AREA, data POWER,
              radix2_exp 11 (n_fft 2048), slide_length 512. audioflux does not centre frames
              (642 frames vs 646) and places its mel bands differently (first centre 15.5 Hz
              vs 25.8 Hz), so its output is comparable in work, not in values.

Each is warmed up once, then timed best of 3. Also: one 15 s signal already in memory
(spectrust.melspectrogram vs librosa), and where spectrust's time goes for one file
(load / melspectrogram(workers=1) / Spectrogram(800, 600).generate, best of 50).

Run: python3 benches/bench_features.py   (prints and returns the figures)
"""

import tempfile
from pathlib import Path

import audioflux
import librosa
import make_data
import numpy as np
import spectrust
from audioflux.type import SpectralDataType, SpectralFilterBankNormalType, SpectralFilterBankStyleType
from benchutil import best_of, wait_idle

N_FFT, HOP, N_MELS, SR = 2048, 512, 128, 22050


def spectrust_batch(paths):
    return spectrust.melspectrogram_batch(paths, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)


def librosa_loop(paths):
    out = []
    for p in paths:
        y, sr = librosa.load(p, sr=None)
        out.append(librosa.feature.melspectrogram(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS))
    return out


def audioflux_loop(paths):
    mel = audioflux.MelSpectrogram(
        num=N_MELS,
        radix2_exp=11,
        samplate=SR,
        slide_length=HOP,
        style_type=SpectralFilterBankStyleType.SLANEY,
        normal_type=SpectralFilterBankNormalType.AREA,
        data_type=SpectralDataType.POWER,
    )
    out = []
    for p in paths:
        y, sr = audioflux.read(p)
        assert sr == SR
        out.append(mel.spectrogram(y))
    return out


def main() -> dict:
    paths = [str(p) for p in make_data.main()]
    res = {}
    print(f"bench_features: {len(paths)} files, read + mel spectrogram, best of 3 after 1 warm-up")
    for name, fn in (("spectrust", spectrust_batch), ("audioflux", audioflux_loop), ("librosa", librosa_loop)):
        wait_idle()
        res[name] = best_of(lambda fn=fn: fn(paths))
        print(f"  {name:<10} {res[name]:7.3f} s")
    ref = librosa_loop(paths[:1])[0]
    got = spectrust_batch(paths[:1])[0]
    assert got.shape == ref.shape and np.allclose(got, ref, rtol=1e-3, atol=1e-6 * ref.max())
    res["vs_audioflux"] = res["audioflux"] / res["spectrust"]
    res["vs_librosa"] = res["librosa"] / res["spectrust"]
    print(
        f"  audioflux / spectrust = {res['vs_audioflux']:.1f}x (target >= 3x: "
        f"{'met' if res['vs_audioflux'] >= 3 else 'NOT met'})"
    )
    print(
        f"  librosa / spectrust   = {res['vs_librosa']:.1f}x (target >= 10x: "
        f"{'met' if res['vs_librosa'] >= 10 else 'NOT met'})"
    )

    y, sr = librosa.load(paths[0], sr=None)
    print("single 15 s signal in memory, best of 20")
    wait_idle()
    res["single_spectrust"] = best_of(lambda: spectrust.melspectrogram(y=y, sr=sr), 20)
    res["single_spectrust_w1"] = best_of(lambda: spectrust.melspectrogram(y=y, sr=sr, workers=1), 20)
    res["single_librosa"] = best_of(lambda: librosa.feature.melspectrogram(y=y, sr=sr), 20)
    res["single_ratio"] = res["single_librosa"] / res["single_spectrust"]
    for k in ("single_spectrust", "single_spectrust_w1", "single_librosa"):
        print(f"  {k:<20} {res[k] * 1e3:7.2f} ms")
    print(f"  librosa / spectrust = {res['single_ratio']:.1f}x")

    print("spectrust, one file, best of 50")
    out = str(Path(tempfile.mkdtemp()) / "one.jpg")
    spc = spectrust.Spectrogram(800, 600)
    wait_idle()
    res["one_load"] = best_of(lambda: spectrust.load(paths[0], sr=None), 50)
    res["one_mel_w1"] = best_of(lambda: spectrust.melspectrogram(y=y, sr=sr, workers=1), 50)
    res["one_generate"] = best_of(lambda: spc.generate(paths[0], out), 50)
    res["one_render_encode"] = res["one_generate"] - res["one_load"] - res["one_mel_w1"]
    for k in ("one_load", "one_mel_w1", "one_generate", "one_render_encode"):
        print(f"  {k:<20} {res[k] * 1e3:7.2f} ms")
    return res


if __name__ == "__main__":
    main()
