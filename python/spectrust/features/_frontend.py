"""What every front end shares: the inputs (one or many, files or samples), the core's one
call (``_core.features``: the parallel map, the errors in place, the output assembled), and
transformers' call conventions (``sampling_rate``, ``return_tensors``, the returned dict).

A front end is a kind and its parameters, as the core takes them:

=============  ================================================================================
kind           parameters
=============  ================================================================================
``mel``        ``params`` (:class:`~spectrust._params.MelArgs`), ``db`` (``(ref or None, amin,
               top_db)``: dB of each spectrogram), ``dct`` (``(dct_type, n_mfcc, norm,
               lifter)``: MFCCs)
``fbank``      ``params`` (:class:`~spectrust._params.FbankArgs`), ``scale`` (the samples'
               factor), ``normalize`` (``(ddof, eps)``: each band normalised), ``seed``
``ast``        ``num_mel_bins``, ``max_length``, ``normalize`` (``(mean, std)`` or None)
``parakeet``   ``feature_size``, ``preemphasis``, ``max_samples`` (None: whole)
``whisper``    ``feature_size``, ``samples`` (the window the samples are padded or cut to)
=============  ================================================================================
"""

from __future__ import annotations

from typing import Optional, Union

from .. import _core
from .._inputs import as_batch, check_on_error, core_inputs, first_error, is_input
from .._params import opt_int, read_args
from ..errors import ParameterError

#: The sample rate in Hz of the model front ends (Whisper, AST, SeamlessM4T, Parakeet).
MODEL_RATE = 16000

#: How the core returns a batch: ``"list"``, ``"stack"``, or ``(frames_for, fill)`` (padded).
Layout = Union[str, tuple]


class Features(dict):
    """A model front end's output, as transformers' ``BatchFeature``: a dict of arrays
    (``"input_features"`` or ``"input_values"``, ``"attention_mask"``) whose keys are also
    attributes (``features.input_features``)."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def run(
    front: tuple,
    inputs,
    *,
    sr: Optional[float],
    offset: float,
    duration: Optional[float],
    max_duration: Optional[float],
    max_bytes: int,
    layout: Layout,
    workers: Optional[int],
    fit: bool = False,
    spans: Optional[list] = None,
) -> tuple:
    """``(single, result)``: the features of ``inputs`` (one or many, see
    :func:`spectrust._inputs.as_batch`) by the front end ``front`` (``(kind, parameters)``),
    each input the part ``offset`` and ``duration`` name (with ``fit``, padded to
    ``duration``), files at ``sr`` Hz (None: their own rate; the mel front end only) and samples
    taken to be at it; ``single`` whether one input was given; ``spans`` per input the segment
    ``(start, length or None)`` in seconds that ``offset`` and ``duration`` count within.
    ``result`` as the core's ``features`` gives it for ``layout``, with a file object that could
    not be read given its own error."""
    batch, single = as_batch(inputs)
    converted, failed = core_inputs(batch, max_bytes)
    out = _core.features(
        converted,
        front=front,
        sr=opt_int(sr),
        read=read_args(offset, duration, max_duration),
        fit=fit,
        layout=layout,
        workers=opt_int(workers),
        spans=spans,
    )
    if any(e is not None for e in failed):
        meta = out if layout == "list" else out[1]
        for k, error in enumerate(failed):
            if error is not None:
                meta[k] = error
    return single, out


def model_rate(name: str, sampling_rate: Optional[float], sr: Optional[float], inputs) -> None:
    """transformers' check of a model front end's ``sampling_rate`` (``sr``: spectrust's alias):
    arrays given at another rate than 16 kHz are refused (files are read at 16 kHz whatever
    their own rate). ``ParameterError`` (a ``ValueError``, as transformers raises)."""
    if sampling_rate is not None and sr is not None and float(sampling_rate) != float(sr):
        raise ParameterError(f"{name}: sampling_rate={sampling_rate} and sr={sr} differ (sr is an alias)")
    rate = sampling_rate if sampling_rate is not None else sr
    if rate is None or float(rate) == MODEL_RATE:
        return
    batch, _ = as_batch(inputs)
    if not all(is_input(x) for x in batch):
        raise ParameterError(
            f"{name}: the model was trained on audio sampled at {MODEL_RATE} Hz; the samples given are at "
            f"{rate} Hz (resample them to {MODEL_RATE}, e.g. spectrust.resample, or pass the files)"
        )


def per_input(meta: list, field: int):
    """Field ``field`` of each input's ``(rate, samples, rows, cut)`` (the core's per-input results of a
    stacked or padded layout) as an int64 array, 0 for an input that failed."""
    import numpy as np

    return np.array([0 if isinstance(m, BaseException) else m[field] for m in meta], dtype=np.int64)


def tensors(features: dict, return_tensors: Optional[str]) -> Features:
    """``features`` as transformers returns them for ``return_tensors``: None or ``"np"``
    numpy arrays, ``"pt"`` torch tensors, ``"tf"`` TensorFlow tensors (each framework imported
    only then; ``ParameterError`` naming it where it is not installed)."""
    if return_tensors in (None, "np"):
        return Features(features)
    if return_tensors == "pt":
        try:
            import torch
        except ImportError:
            raise ParameterError("return_tensors='pt' needs PyTorch (pip install torch)") from None
        return Features({k: v if isinstance(v, list) else torch.from_numpy(v) for k, v in features.items()})
    if return_tensors == "tf":
        try:
            import tensorflow as tf
        except ImportError:
            raise ParameterError("return_tensors='tf' needs TensorFlow (pip install tensorflow-cpu)") from None
        return Features({k: v if isinstance(v, list) else tf.constant(v) for k, v in features.items()})
    raise ParameterError(f"return_tensors must be None, 'np', 'pt' or 'tf', got {return_tensors!r}")


def batch_output(
    features: dict, meta: list, on_error: str, return_tensors: Optional[str], mask_key: Optional[str] = None
) -> Features:
    """A model front end's dict: ``features`` (arrays of one row per input), the first failed
    input's error raised (``on_error="raise"``), or (``"none"``) its rows left as padding, its
    attention mask (``mask_key``) 0 and ``"errors"`` added (per input None or its exception);
    then as ``return_tensors`` asks."""
    check_on_error(on_error)
    first_error(meta, on_error)
    failed = [r if isinstance(r, BaseException) else None for r in meta]
    if any(e is not None for e in failed):
        for k, e in enumerate(failed):
            if e is not None and mask_key in features:
                features[mask_key][k] = 0
        features["errors"] = failed
    return tensors(features, return_tensors)
