"""Train a small Keras classifier on a folder of audio sorted by class, both ways spectrust
feeds TensorFlow:

1. images: ``Batchop`` renders ``AUDIO/<class>/*.mp3`` to ``WORK/images/<class>/*.png`` and
   ``tf.keras.utils.image_dataset_from_directory`` reads them with the class names;
2. arrays: ``spectrust.tf_dataset`` computes log-mel spectrograms batch by batch, in
   parallel in Rust, straight into ``model.fit``.

Run: python3 examples/keras_classifier.py AUDIO WORK [--epochs N]
"""

import argparse
from pathlib import Path

import spectrust
import tensorflow as tf


def small_cnn(input_shape, n_classes: int) -> tf.keras.Model:
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=input_shape),
            tf.keras.layers.Rescaling(1.0 / 255) if input_shape[-1] == 3 else tf.keras.layers.BatchNormalization(),
            tf.keras.layers.Conv2D(8, 3, activation="relu"),
            tf.keras.layers.MaxPooling2D(),
            tf.keras.layers.Conv2D(16, 3, activation="relu"),
            tf.keras.layers.GlobalAveragePooling2D(),
            tf.keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )


def train_on_images(audio: Path, work: Path, epochs: int) -> tf.keras.callbacks.History:
    with spectrust.Batchop(audio, work / "images", 128, 128, keep_names=True, format="png") as results:
        failed = [r for r in results if not r.ok]
    for r in failed:
        print("skipped", r.error)
    train = tf.keras.utils.image_dataset_from_directory(work / "images", image_size=(128, 128), batch_size=8)
    print("classes:", train.class_names)
    model = small_cnn((128, 128, 3), len(train.class_names))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(train, epochs=epochs)


def train_on_arrays(audio: Path, epochs: int) -> tf.keras.callbacks.History:
    classes = sorted(d.name for d in audio.iterdir() if d.is_dir())
    files = [(f, k) for k, c in enumerate(classes) for f in sorted((audio / c).iterdir()) if f.is_file()]
    paths, labels = [str(f) for f, _ in files], [k for _, k in files]
    train = spectrust.tf_dataset(
        paths, labels, feature="log_mel", duration=3.0, sr=16000, n_mels=64, batch_size=8, shuffle=True, seed=0
    )
    # (batch, n_mels, frames) -> (batch, n_mels, frames, 1) for Conv2D.
    train = train.map(lambda x, y: (x[..., None], y))
    n_mels, frames = train.element_spec[0].shape[1:3]
    model = small_cnn((n_mels, frames, 1), len(classes))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(train, epochs=epochs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audio", type=Path, help="folder of class folders of audio files")
    parser.add_argument("work", type=Path, help="folder for the images")
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    train_on_images(args.audio, args.work, args.epochs)
    train_on_arrays(args.audio, args.epochs)


if __name__ == "__main__":
    main()
