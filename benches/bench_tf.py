"""A Keras input pipeline over 200 real clips: examples per second into the model.

Inputs (make_data.py): 200 distinct 15 s excerpts of the Wesnoth soundtrack, as 16 kHz mono
16-bit WAV (what ``tf.audio.decode_wav`` reads) and as 44.1 kHz stereo MP3 (128 kb/s). Each
pipeline yields batches of 32 log-mel spectrograms (10 s from the start of each clip, 80 mel
bands, n_fft 512, hop 160, dB), prefetched; one epoch is iterated in full (no model: the
pipeline's own rate), warmed up once, best of 3 epochs:

1. ``spectrust.tf_dataset(paths, feature="log_mel", duration=10.0, sr=16000, n_fft=512,
   hop_length=160, n_mels=80, batch_size=32)``: each batch one call of the numpy API, decoded,
   resampled and transformed in Rust on both cores with the GIL released.
2. The common recipe: ``tf.data.Dataset.from_tensor_slices(paths).map(tf.numpy_function(f),
   num_parallel_calls=AUTOTUNE).batch(32).prefetch(AUTOTUNE)`` with ``f`` =
   ``librosa.load(p, sr=16000, duration=10.0)`` (padded to 10 s) then
   ``librosa.power_to_db(librosa.feature.melspectrogram(...))``.
3. On the WAV only, TensorFlow's own ops (no tensorflow-io): ``tf.io.read_file`` +
   ``tf.audio.decode_wav`` + ``tf.signal.stft`` + ``linear_to_mel_weight_matrix`` (HTK mel,
   not librosa's Slaney: a speed reference, not the same numbers) + dB, mapped with AUTOTUNE.

Run: python3 benches/bench_tf.py (needs the bench extras, tensorflow-cpu among them).
"""

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import librosa  # noqa: E402
import make_data  # noqa: E402
import numpy as np  # noqa: E402
import spectrust  # noqa: E402
import tensorflow as tf  # noqa: E402
from benchutil import scaled, wait_idle  # noqa: E402

N_CLIPS, SR, SECONDS, BATCH = scaled(200), 16000, 10.0, 32
MEL = dict(n_fft=512, hop_length=160, n_mels=80)
FRAMES = 1 + int(SECONDS * SR) // MEL["hop_length"]


def spectrust_pipeline(paths: list) -> tf.data.Dataset:
    return spectrust.tf_dataset(
        [str(p) for p in paths], feature="log_mel", duration=SECONDS, sr=SR, batch_size=BATCH, **MEL
    )


def librosa_log_mel(path: bytes) -> np.ndarray:
    y, _ = librosa.load(path.decode(), sr=SR, duration=SECONDS)
    y = librosa.util.fix_length(y, size=int(SECONDS * SR))
    return librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR, **MEL)).astype(np.float32)


def librosa_pipeline(paths: list) -> tf.data.Dataset:
    def load(path):
        x = tf.numpy_function(librosa_log_mel, [path], tf.float32)
        return tf.ensure_shape(x, (MEL["n_mels"], FRAMES))

    ds = tf.data.Dataset.from_tensor_slices([str(p) for p in paths])
    return ds.map(load, num_parallel_calls=tf.data.AUTOTUNE).batch(BATCH).prefetch(tf.data.AUTOTUNE)


def tf_signal_pipeline(paths: list) -> tf.data.Dataset:
    n = int(SECONDS * SR)
    bank = tf.signal.linear_to_mel_weight_matrix(MEL["n_mels"], MEL["n_fft"] // 2 + 1, SR, 0.0, SR / 2)

    def load(path):
        audio, _ = tf.audio.decode_wav(tf.io.read_file(path), desired_channels=1)
        y = audio[:n, 0]
        y = tf.pad(y, [[0, n - tf.shape(y)[0]]])
        y = tf.pad(y, [[MEL["n_fft"] // 2, MEL["n_fft"] // 2]], mode="REFLECT")  # centred frames
        s = tf.signal.stft(y, MEL["n_fft"], MEL["hop_length"], MEL["n_fft"], window_fn=tf.signal.hann_window)
        mel = tf.matmul(tf.square(tf.abs(s)), bank)
        db = 10.0 * tf.math.log(tf.maximum(mel, 1e-10)) / tf.math.log(10.0)
        return tf.transpose(tf.maximum(db, tf.reduce_max(db) - 80.0))

    ds = tf.data.Dataset.from_tensor_slices([str(p) for p in paths])
    return ds.map(load, num_parallel_calls=tf.data.AUTOTUNE).batch(BATCH).prefetch(tf.data.AUTOTUNE)


def epoch_rate(dataset: tf.data.Dataset, repeat: int = 3) -> tuple:
    """(examples per second, best of ``repeat`` epochs after one warm-up, the element shape)."""
    shape = None
    for x in dataset:  # warm-up: tracing, caches
        shape = tuple(x.shape[1:])
    best = float("inf")
    for _ in range(repeat):
        wait_idle()
        start = time.perf_counter()
        count = sum(int(x.shape[0]) for x in dataset)
        best = min(best, time.perf_counter() - start)
    return count / best, shape


def main() -> dict:
    wav = make_data.compressed_clips("wav", N_CLIPS)
    mp3 = make_data.compressed_clips("mp3", N_CLIPS)
    print(f"bench_tf: {N_CLIPS} clips, batches of {BATCH} log-mel (80 x {FRAMES}), TensorFlow {tf.__version__}")
    rows = [
        ("WAV 16 kHz", "spectrust.tf_dataset", spectrust_pipeline(wav)),
        ("WAV 16 kHz", "tf.numpy_function(librosa), AUTOTUNE", librosa_pipeline(wav)),
        ("WAV 16 kHz", "tf.audio.decode_wav + tf.signal, AUTOTUNE", tf_signal_pipeline(wav)),
        ("MP3 44.1 kHz", "spectrust.tf_dataset", spectrust_pipeline(mp3)),
        ("MP3 44.1 kHz", "tf.numpy_function(librosa), AUTOTUNE", librosa_pipeline(mp3)),
    ]
    rates = {}
    for inputs, name, dataset in rows:
        rate, shape = epoch_rate(dataset)
        rates[inputs, name] = rate
        print(f"  {inputs:13s} {name:45s} {rate:8.1f} examples/s  {shape}")
    for inputs in ("WAV 16 kHz", "MP3 44.1 kHz"):
        ours = rates[inputs, "spectrust.tf_dataset"]
        for (where, name), rate in rates.items():
            if where == inputs and name != "spectrust.tf_dataset":
                print(f"  {inputs}: spectrust / {name} = {ours / rate:.2f}x")
    wheels = sorted((HERE.parent / "dist").glob("spectrust-*.whl"))
    if wheels:
        print(f"  wheel {wheels[-1].name}: {wheels[-1].stat().st_size / 1e6:.2f} MB")
    return {f"{inputs}: {name}": rate for (inputs, name), rate in rates.items()}


if __name__ == "__main__":
    main()
