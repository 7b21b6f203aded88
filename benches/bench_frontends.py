"""The Kaldi and model front ends against their references, on make_data.py's 100 distinct 15 s
music excerpts (44.1 kHz stereo MP3, 128 kb/s):

- ``fbank``: ``spectrust.fbank`` of the 100 clips at 16 kHz (scaled to int16's range, 80 bins,
  25/10 ms) on one thread against ``kaldi-native-fbank`` (C++, ``OnlineFbank``) on the same
  samples, one clip after another: per core, the two timed in turn, three rounds, best of each;
- ``seamless_features``, ``ast_features`` and ``parakeet_features`` of the MP3s (decoding and
  resampling to 16 kHz included) on N threads against ``librosa.load(sr=16000)`` and the
  transformers extractor (defaults) per file in one process and in N processes (BLAS at one
  thread each): the one-process and equal-parallelism ratios, N = the cores. The three are
  timed in turn, three rounds, best of each (``benchutil.best_interleaved``). AST and
  Parakeet's extractors need PyTorch: where it is not installed they are not measured (run
  this script once in a virtual environment with torch to measure them).

Run: python3 benches/bench_frontends.py
"""

import functools
import importlib.util
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import librosa  # noqa: E402
import make_data  # noqa: E402
import numpy as np  # noqa: E402
import spectrust  # noqa: E402
from benchutil import best_interleaved, wait_idle, worker_pool  # noqa: E402


def knf_fbank(y):
    import kaldi_native_fbank as knf

    o = knf.FbankOptions()
    o.frame_opts.dither = 0.0
    o.mel_opts.num_bins = 80
    f = knf.OnlineFbank(o)
    f.accept_waveform(16000, y)
    f.input_finished()
    return [f.get_frame(i) for i in range(f.num_frames_ready)]


@functools.cache
def _extractor(name):
    """One extractor of each kind per process, made once, as a user would (not per file)."""
    import transformers

    return getattr(transformers, name)()


def ref_seamless(path):
    return _extractor("SeamlessM4TFeatureExtractor")(librosa.load(path, sr=16000)[0], sampling_rate=16000)


def ref_ast(path):
    return _extractor("ASTFeatureExtractor")(librosa.load(path, sr=16000)[0], sampling_rate=16000)


def ref_parakeet(path):
    return _extractor("ParakeetFeatureExtractor")(librosa.load(path, sr=16000)[0], sampling_rate=16000)


def main() -> dict:
    cores = os.cpu_count() or 1
    mp3s = [str(p) for p in make_data.compressed_clips("mp3")]
    signals = [spectrust.load(p, sr=16000)[0] for p in mp3s]
    n = min(len(y) for y in signals)  # the MP3s differ by a few samples: one array of rows
    rows = np.stack([y[:n] for y in signals]) * 32768
    results = {}
    print(f"bench_frontends: {len(mp3s)} MP3 clips of 15 s; {cores} cores")
    wait_idle()
    lists = [r.tolist() for r in rows]  # kaldi-native-fbank takes Python lists
    best = best_interleaved({
        "ours": lambda: spectrust.fbank(list(rows), num_mel_bins=80, workers=1),
        "ref": lambda: [knf_fbank(y) for y in lists],
    })  # fmt: skip
    ours, ref = best["ours"], best["ref"]
    results["fbank"] = {"spectrust_1_thread_s": ours, "kaldi_native_fbank_s": ref, "ratio": ref / ours}
    print(f"  fbank, one thread: {ours / len(rows) * 1e3:.2f} ms a clip; kaldi-native-fbank "
          f"{ref / len(rows) * 1e3:.2f} ms: {ref / ours:.1f}x")  # fmt: skip
    has_torch = importlib.util.find_spec("torch") is not None
    fronts = {
        "seamless_features": (spectrust.seamless_features, ref_seamless),
        "ast_features": (spectrust.ast_features, ref_ast),
        "parakeet_features": (spectrust.parakeet_features, ref_parakeet),
    }
    for name, (fn, reference) in fronts.items():
        if name != "seamless_features" and not has_torch:
            print(f"  {name}: not measured (transformers' extractor needs PyTorch, not installed)")
            continue
        wait_idle()
        with worker_pool(cores) as pool:
            best = best_interleaved({
                "ours": lambda fn=fn: fn(mp3s, workers=cores),
                "one": lambda reference=reference: [reference(p) for p in mp3s],
                "many": lambda reference=reference: list(pool.map(reference, mp3s, chunksize=4)),
            })  # fmt: skip
        ours, one, many = best["ours"], best["one"], best["many"]
        results[name] = {"spectrust_s": ours, "one_process_s": one, "processes_s": many, "threads": cores}
        print(f"  {name} of the MP3s: {ours:.3f} s on {cores} threads; librosa.load + extractor "
              f"{one:.3f} s in one process ({one / ours:.1f}x), {many:.3f} s in {cores} processes "
              f"({many / ours:.1f}x at equal parallelism)")  # fmt: skip
    return results


if __name__ == "__main__":
    make_data.parse_source(sys.argv[1:])
    main()
