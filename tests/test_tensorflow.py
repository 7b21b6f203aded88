"""TensorFlow, both ways the original spectrust fed it: an image tree that Keras reads by class,
and ``spectrust.tf_dataset``, whose elements equal the numpy API's."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import spectrust
import tensorflow as tf
from conftest import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MUSIC = [EXAMPLES / n for n in ("music.mp3", "music.ogg", "music.flac", "music.m4a", "music_stereo44k_s16.wav")]
SOUNDS = [EXAMPLES / "bell.oga", EXAMPLES / "complete.oga", DATA / "speech_jfk.mp3", DATA / "speech_opus.ogg"]


def class_tree(root: Path) -> Path:
    """``root/music/*`` and ``root/sounds/*``: real clips sorted by class."""
    for name, files in (("music", MUSIC), ("sounds", SOUNDS)):
        (root / name).mkdir(parents=True)
        for f in files:
            shutil.copy(f, root / name / f.name)
    return root


def test_import_spectrust_does_not_import_tensorflow():
    code = "import sys, spectrust; assert 'tensorflow' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "feature, kwargs, numpy_api",
    [
        (
            "mel",
            dict(n_mels=64),
            lambda p: spectrust.melspectrogram_batch(p, sr=16000, duration=2.0, n_mels=64, stack=True),
        ),
        (
            "log_mel",
            dict(top_db=60.0),
            lambda p: np.stack(
                [
                    spectrust.power_to_db(m, top_db=60.0)
                    for m in spectrust.melspectrogram_batch(p, sr=16000, duration=2.0)
                ]
            ),
        ),
        ("mfcc", dict(n_mfcc=13), lambda p: spectrust.mfcc_batch(p, sr=16000, duration=2.0, n_mfcc=13, stack=True)),
    ],
)
def test_elements_equal_the_numpy_api(feature, kwargs, numpy_api):
    inputs = MUSIC + SOUNDS
    labels = np.arange(len(inputs)) % 2
    ds = spectrust.tf_dataset(inputs, labels, feature=feature, duration=2.0, sr=16000, batch_size=4, **kwargs)
    spec = ds.element_spec
    expected = numpy_api(inputs)
    assert spec[0].dtype == tf.float32 and tuple(spec[0].shape) == (None, *expected.shape[1:])
    got = [(x.numpy(), y.numpy()) for x, y in ds]
    assert [len(x) for x, _ in got] == [4, 4, 1] and len(ds) == 3
    np.testing.assert_array_equal(np.concatenate([x for x, _ in got]), expected)
    np.testing.assert_array_equal(np.concatenate([y for _, y in got]), labels)


def test_whisper_features_from_paths_and_bytes():
    inputs = [DATA / "speech_jfk.mp3", (DATA / "speech_opus.ogg").read_bytes(), EXAMPLES / "music.ogg"]
    ds = spectrust.tf_dataset(inputs, feature="whisper", duration=30.0, batch_size=2)
    assert tuple(ds.element_spec.shape) == (None, 80, 3000)
    got = np.concatenate([x.numpy() for x in ds])
    np.testing.assert_array_equal(got, spectrust.whisper_features(inputs)["input_features"])
    with pytest.raises(spectrust.ParameterError, match="30 s"):
        spectrust.tf_dataset(inputs, feature="whisper", duration=10.0)


def test_shuffle_draws_a_new_order_each_epoch_the_same_for_a_seed():
    inputs = MUSIC + SOUNDS
    labels = np.arange(len(inputs))
    ds = spectrust.tf_dataset(inputs, labels, duration=0.5, sr=8000, n_mels=16, batch_size=3, shuffle=True, seed=7)
    epochs = [np.concatenate([y.numpy() for _, y in ds]) for _ in range(3)]
    assert all(sorted(e) == list(labels) for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1])
    again = spectrust.tf_dataset(inputs, labels, duration=0.5, sr=8000, n_mels=16, batch_size=3, shuffle=True, seed=7)
    np.testing.assert_array_equal(np.concatenate([y.numpy() for _, y in again]), epochs[0])
    # The features travel with their labels.
    single = {int(y): x for xb, yb in ds for x, y in zip(xb.numpy(), yb.numpy())}
    plain = spectrust.melspectrogram_batch(inputs, sr=8000, duration=0.5, n_mels=16)
    assert all(np.array_equal(single[k], plain[k]) for k in range(len(inputs)))


def test_a_bad_file_raises_naming_it_unless_skipped(tmp_path):
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"ID3" + bytes(500))
    inputs = [EXAMPLES / "music.mp3", bad, EXAMPLES / "music.flac"]
    ds = spectrust.tf_dataset(inputs, ["a", "b", "c"], duration=1.0, sr=16000, batch_size=2)
    with pytest.raises(Exception, match=r"broken\.mp3: "):
        list(ds)
    ds = spectrust.tf_dataset(inputs, ["a", "b", "c"], duration=1.0, sr=16000, batch_size=2, on_error="skip")
    labels = [y.numpy().tolist() for _, y in ds]
    assert labels == [[b"a"], [b"c"]]
    whisper = spectrust.tf_dataset(inputs, feature="whisper", on_error="skip")
    assert next(iter(whisper)).shape == (2, 80, 3000)


def test_bad_arguments_are_parameter_errors():
    for kwargs, message in [
        (dict(feature="cqt", duration=1.0), "feature must be one of"),
        (dict(), "needs duration="),
        (dict(duration=1.0, batch_size=0), "batch_size"),
        (dict(duration=1.0, on_error="ignore"), "on_error"),
    ]:
        with pytest.raises(spectrust.ParameterError, match=message):
            spectrust.tf_dataset(MUSIC, **kwargs)
    with pytest.raises(spectrust.ParameterError, match="3 labels for 5 inputs"):
        spectrust.tf_dataset(MUSIC, [0, 1, 2], duration=1.0)


def test_it_goes_straight_into_model_fit():
    inputs = MUSIC + SOUNDS
    labels = [0] * len(MUSIC) + [1] * len(SOUNDS)
    ds = spectrust.tf_dataset(inputs, labels, feature="mfcc", duration=1.0, sr=16000, batch_size=4)
    model = tf.keras.Sequential(
        [tf.keras.Input(shape=ds.element_spec[0].shape[1:]), tf.keras.layers.Flatten(), tf.keras.layers.Dense(2)]
    )
    model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_the_keras_example_trains_on_images_and_on_arrays(tmp_path):
    audio = class_tree(tmp_path / "audio")
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "keras_classifier.py"), str(audio), str(tmp_path / "work")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "classes: ['music', 'sounds']" in out.stdout
    images = tmp_path / "work" / "images"
    # The class tree is kept (inputs that share a stem keep their suffix: music.mp3.png).
    assert sorted(p.name for p in images.iterdir()) == ["music", "sounds"]
    assert len(list((images / "music").glob("*.png"))) == len(MUSIC)
    assert len(list((images / "sounds").glob("*.png"))) == len(SOUNDS)
    assert out.stdout.count("loss") >= 2  # one epoch of each model


def test_the_next_batch_is_computed_while_the_one_before_is_used_and_closing_stops_it():
    import threading
    import time

    from spectrust._ahead import one_ahead

    second_started, ran = threading.Event(), []

    def task(i):
        def run():
            ran.append(i)
            if i == 1:
                second_started.set()
            if i == 3:
                raise ValueError("bad batch 3")
            return i * 10

        return run

    results = one_ahead((task(i)() for i in range(6)), "spectrust-next-batch")
    assert next(results) == 0
    # Batch 1 runs on the background thread while batch 0 is held here (computed on this
    # thread, it could not start before the next `next`).
    assert second_started.wait(5.0)
    assert [next(results), next(results)] == [10, 20]
    with pytest.raises(ValueError, match="bad batch 3"):
        next(results)
    assert ran == [0, 1, 2, 3]  # nothing after the failure

    ran.clear()
    results = one_ahead((task(i)() for i in range(4, 400)), "spectrust-next-batch")
    assert next(results) == 40
    results.close()
    deadline = time.monotonic() + 5.0
    while any(t.name == "spectrust-next-batch" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.name == "spectrust-next-batch" for t in threading.enumerate())
    assert len(ran) <= 4  # the one consumed, the one ready, at most one more: then it stopped
