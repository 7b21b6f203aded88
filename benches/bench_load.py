"""Decoding as a product: ``spectrust.load_batch`` against ``librosa.load`` at equal parallelism.

Inputs: the 100 distinct 15 s excerpts of make_data.py, stereo, in the formats users hold:
MP3 (128 kb/s) at 44.1 kHz, Opus (96 kb/s, Ogg) at 48 kHz, Vorbis (q4, Ogg) at 44.1 kHz,
16-bit FLAC and 16-bit WAV at 44.1 kHz. Each decoded to mono float32 at 16 kHz (what wav2vec2,
HuBERT and WavLM take): ``spectrust.load_batch(paths, sr=16000)`` on N threads against
``librosa.load(p, sr=16000)`` (libsndfile, then soxr HQ) in N worker processes (BLAS and
OpenMP at one thread each), N = ``spectrust.default_workers()`` (the cores); and on one
thread (``workers=1``) against librosa in one process. Each figure is the best of 3 over the
100 files, after one warm-up; the ratios are librosa's time over spectrust's, and their
geometric mean over the five formats.

Run: python3 benches/bench_load.py
"""

import math
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import librosa  # noqa: E402
import make_data  # noqa: E402
import spectrust  # noqa: E402
from benchutil import best_interleaved, in_processes, wait_idle  # noqa: E402

#: The formats (make_data's kinds) and their names here.
FORMATS = {"mp3": "MP3", "opus": "Opus", "ogg": "Vorbis", "flac": "FLAC", "stereo.wav": "WAV"}
SR = 16000


def librosa_load(path) -> int:
    """One file as librosa loads it for a speech model (a module-level function for the
    worker processes); librosa's warnings where it falls back on audioread (Opus) silenced."""
    warnings.filterwarnings("ignore")
    return len(librosa.load(path, sr=SR)[0])


def main() -> dict:
    workers = spectrust.default_workers()
    results = {}
    print(f"load_batch: 100 files to mono 16 kHz, seconds (best of 3); librosa.load in {workers} processes")
    print(
        f"  {'format':8s} {'spectrust':>10s} {'librosa':>9s} {'ratio':>6s}   "
        f"{'1 thread':>9s} {'librosa':>9s} {'ratio':>6s}"
    )
    for kind, name in FORMATS.items():
        paths = [str(p) for p in make_data.compressed_clips(kind)]
        wait_idle()
        ours = best_interleaved({"n": lambda paths=paths: spectrust.load_batch(paths, sr=SR)})["n"]
        theirs = in_processes(librosa_load, paths, workers)
        one = best_interleaved(
            {
                "spectrust": lambda paths=paths: spectrust.load_batch(paths, sr=SR, workers=1),
                "librosa": lambda paths=paths: [librosa_load(p) for p in paths],
            }
        )
        row = {
            "spectrust_s": ours,
            "librosa_s": theirs,
            "ratio": theirs / ours,
            "one_thread_s": one["spectrust"],
            "librosa_one_s": one["librosa"],
            "one_thread_ratio": one["librosa"] / one["spectrust"],
        }
        results[name] = row
        print(
            f"  {name:8s} {ours:10.3f} {theirs:9.3f} {row['ratio']:5.1f}x   "
            f"{one['spectrust']:9.3f} {one['librosa']:9.3f} {row['one_thread_ratio']:5.1f}x"
        )
    rows = list(results.values())
    for key in ("ratio", "one_thread_ratio"):
        results[f"geomean_{key}"] = math.exp(sum(math.log(r[key]) for r in rows) / len(rows))
    print(
        f"  geometric mean: {results['geomean_ratio']:.1f}x at equal parallelism, "
        f"{results['geomean_one_thread_ratio']:.1f}x on one thread"
    )
    return results


if __name__ == "__main__":
    make_data.parse_source()
    main()
