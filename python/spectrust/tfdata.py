"""Features straight into TensorFlow: :func:`tf_dataset`, a ``tf.data.Dataset`` of batches
computed by spectrust (decoding, resampling and transforms in Rust, in parallel, the GIL
released), prefetched while the model trains. TensorFlow is imported here only, when called.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional, TypeVar

from ._ahead import one_ahead
from ._inputs import AudioInput
from .errors import ParameterError
from .features.by_name import FEATURES, analyser

if TYPE_CHECKING:
    import numpy as np
    import tensorflow as tf

__all__ = ["FEATURES", "tf_dataset"]

T = TypeVar("T")


def tf_dataset(
    inputs: Sequence[AudioInput],
    labels: Optional[Sequence[Any]] = None,
    *,
    feature: str = "mel",
    duration: Optional[float] = None,
    offset: float = 0.0,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: Optional[int] = None,
    sr: Optional[int] = None,
    workers: Optional[int] = None,
    on_error: str = "raise",
    **feature_kwargs,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of spectrust features of ``inputs``, batched, for ``model.fit``.

    Each batch of ``batch_size`` inputs is computed by one call of the numpy API, in Rust, on
    ``workers`` threads with the GIL released, each batch while the one before is stacked and
    handed to TensorFlow, and the next batches are prefetched
    (``Dataset.prefetch(tf.data.AUTOTUNE)``) while the model trains. Every example is cut or
    padded to ``duration`` seconds, so batches stack; an element equals what the numpy API
    gives for the same input:

    - ``"mel"``: ``melspectrogram_batch(inputs, sr=sr, offset=offset, duration=duration,
      stack=True, **feature_kwargs)``;
    - ``"log_mel"``: ``power_to_db(m, ref=1.0, amin=1e-10, top_db=80.0)`` of each of those
      (``ref``, ``amin``, ``top_db`` may be given among ``feature_kwargs``);
    - ``"mfcc"``: ``mfcc_batch(...)`` with the same arguments;
    - ``"whisper"``: ``whisper_features(inputs, feature_size=n_mels)``, 30 s windows at 16 kHz;
    - ``"fbank"``: ``fbank(y * 32768, sr=sr, **feature_kwargs)`` of each input's samples ``y``
      (its part at ``sr``, default 16000, zero-padded to ``duration``: int16's range, as Kaldi
      reads a WAV file), ``(frames, num_mel_bins)``;
    - ``"ast"``, ``"seamless"``, ``"parakeet"``: one input's features of ``ast_features``,
      ``seamless_features``, ``parakeet_features`` (their keywords among ``feature_kwargs``)
      of the same 16 kHz samples.

    Parameters
    ----------
    inputs : sequence of str, os.PathLike or bytes
        Audio files or their bytes (read again every epoch; file objects would be used up
        after the first).
    labels : sequence or np.ndarray, optional
        One label per input (any numpy dtype, e.g. class indices or one-hot rows): the
        dataset then yields ``(features, labels)``; without, ``features`` alone.
    feature : {"mel", "log_mel", "mfcc", "whisper"}
        What to compute (default ``"mel"``).
    duration : float
        Seconds of audio per example (required, except for ``"whisper"``, whose windows are
        always 30 s: ``None`` or ``30.0`` there).
    offset : float
        Start this many seconds into each input (default 0; 0 for ``"whisper"``).
    batch_size : int
        Examples per batch (default 32; the last batch may be smaller).
    shuffle : bool
        Draw the order of the inputs anew each epoch (default ``False``: in order).
    seed : int or None
        Seed of the shuffle: the same seed gives the same orders, epoch after epoch.
    sr : int or None
        Sample rate in Hz the inputs are resampled to (default ``None``: each file's own,
        which must then be one rate for batches to stack; 16000 or ``None`` for ``"whisper"``).
    workers : int or None
        Threads per batch (default: one per core).
    on_error : {"raise", "skip"}
        ``"raise"`` (default): an input that fails to decode raises its error (naming it)
        when its batch is computed. ``"skip"``: it is left out of its batch.
    **feature_kwargs
        Parameters of the feature: those of :func:`spectrust.melspectrogram` (``n_fft``,
        ``hop_length``, ``n_mels``, ...), of :func:`spectrust.mfcc` (``n_mfcc``, ...), and for
        ``"whisper"`` only ``n_mels``.

    Returns
    -------
    tf.data.Dataset
        Elements ``(features, labels)`` or ``features``; features float32 with the static
        shape ``(None, n_mels or n_mfcc or n_mels, frames)`` (the batch dimension is None
        because the last batch may be smaller). With ``on_error="raise"`` its length is
        known (``len(ds)``, ``ceil(len(inputs) / batch_size)``).

    Raises
    ------
    ParameterError
        A bad ``feature``, ``duration``, ``batch_size``, ``on_error`` or number of labels,
        or parameters the feature does not take.
    ModuleNotFoundError
        TensorFlow is not installed (``pip install tensorflow-cpu``: the ``tensorflow`` extra).
    """
    import numpy as np
    import tensorflow as tf

    if feature != "whisper" and duration is None:
        raise ParameterError(f"feature={feature!r} needs duration= (seconds per example) for batches to stack")
    compute = analyser(feature, sr=sr, offset=offset, duration=duration, workers=workers, **feature_kwargs)
    inputs = list(inputs)
    if batch_size < 1:
        raise ParameterError(f"batch_size must be at least 1, got {batch_size}")
    if on_error not in ("raise", "skip"):
        raise ParameterError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    label_array = None if labels is None else np.asarray(labels)
    if label_array is not None and len(label_array) != len(inputs):
        raise ParameterError(f"{len(label_array)} labels for {len(inputs)} inputs")
    if not inputs:
        raise ParameterError("no inputs")
    shape = _example_shape(compute, inputs, on_error)
    epochs = itertools.count()

    def batches():
        order = np.arange(len(inputs))
        if shuffle:
            order = np.random.default_rng(None if seed is None else [seed, next(epochs)]).permutation(len(inputs))
        picks = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
        # Each batch's features are computed on a thread of their own while the batch before is
        # stacked, handed to TensorFlow and taken by the consumer: the cores never wait on that.
        computed = (compute([inputs[k] for k in picked]) for picked in picks)
        for picked, results in zip(picks, one_ahead(computed, "spectrust-next-batch")):
            features, kept = _stacked(results, on_error)
            if not kept:
                continue
            if features.shape[1:] != shape:
                raise ParameterError(
                    f"examples of shape {features.shape[1:]} after {shape}: give sr= for inputs of several rates"
                )
            if label_array is None:
                yield features
            else:
                yield features, label_array[picked[kept]]

    feature_spec = tf.TensorSpec(shape=(None, *shape), dtype=tf.float32)
    if label_array is None:
        signature: Any = feature_spec
    else:
        dtype = tf.string if label_array.dtype.kind in "US" else tf.as_dtype(label_array.dtype)
        signature = (feature_spec, tf.TensorSpec(shape=(None, *label_array.shape[1:]), dtype=dtype))
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    if on_error == "raise":  # every batch comes: Keras and len() know how many
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(-(-len(inputs) // batch_size)))
    return dataset.prefetch(tf.data.AUTOTUNE)


def _stacked(results: list, on_error: str) -> tuple[np.ndarray, list]:
    """The stacked features of a batch's results (an analyser's) that are not exceptions, and
    their positions; with ``on_error="raise"``, the first failure is raised."""
    import numpy as np

    failed = [r for r in results if isinstance(r, BaseException)]
    if failed and on_error == "raise":
        raise failed[0]
    arrays = [None if isinstance(r, BaseException) else r[0] for r in results]
    kept = [k for k, a in enumerate(arrays) if a is not None]
    shapes = {arrays[k].shape for k in kept}
    if len(shapes) > 1:
        raise ParameterError(f"examples of different shapes {sorted(shapes)}: give sr= for inputs of several rates")
    return (np.stack([arrays[k] for k in kept]) if kept else None), kept


def _example_shape(compute, inputs: list, on_error: str) -> tuple:
    """The shape of one example, from the first input that can be read."""
    for audio in inputs:
        features, kept = _stacked(compute([audio]), on_error)
        if kept:
            return features.shape[1:]
    raise ParameterError("none of the inputs could be read")
