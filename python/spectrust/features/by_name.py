"""The training features by name ("mel", "log_mel", "mfcc", "whisper", and the Kaldi and model
front ends "fbank", "ast", "seamless", "parakeet"), computed for a batch of inputs by one call
of the numpy API: what :func:`spectrust.tf_dataset` and :func:`spectrust.extract_features`
share."""

from __future__ import annotations

import numbers
from typing import Callable

from .._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION
from ..errors import ParameterError
from ._frontend import MODEL_RATE, run
from .ast import ast_features, ast_front
from .kaldi import FBANK_DEFAULTS, fbank_args, fbank_front
from .mel import mel_args, mel_front, power_to_db
from .mfcc import mfcc_front
from .parakeet import parakeet_features, parakeet_front
from .seamless import check_stride, seamless_features, seamless_front, stride_stacked
from .whisper import SAMPLE_RATE

#: The features computed by name.
FEATURES = ("mel", "log_mel", "mfcc", "whisper", "fbank", "ast", "seamless", "parakeet")

#: The front ends read at 16 kHz, and the keywords each takes.
_FRONT_ENDS = {
    "ast": ("num_mel_bins", "max_length", "do_normalize", "mean", "std"),
    "seamless": ("num_mel_bins", "stride", "do_normalize_per_mel_bins"),
    "parakeet": ("feature_size", "preemphasis"),
}

#: The keywords of ``power_to_db`` that ``"log_mel"`` takes.
_DB_KEYWORDS = ("ref", "amin", "top_db")

#: Samples of the 30 s window of Whisper's features.
WHISPER_SAMPLES = 30 * SAMPLE_RATE

#: ``analyse(inputs, spans=None)``: per input, ``(features, sample rate, samples analysed,
#: cut)`` (``cut``: the input went on past the front end's window) or the exception of that
#: input; ``spans``: per input, the segment ``(start, length or None)`` in seconds that
#: ``offset`` and ``duration`` are counted within.
Analyser = Callable[[list], list]


def analyser(feature: str, *, sr, offset: float, duration, workers, **kwargs) -> Analyser:
    """The function computing ``feature`` with these parameters (checked where they can be
    before any input is read; the rest on the first batch).

    ``"mel"``: :func:`spectrust.melspectrogram_batch`'s arrays; ``"log_mel"``: their
    :func:`spectrust.power_to_db` (``ref``, ``amin``, ``top_db`` among ``kwargs``);
    ``"mfcc"``: :func:`spectrust.mfcc_batch`'s; ``"whisper"``:
    :func:`spectrust.whisper_features`' (30 s windows at 16 kHz; ``n_mels`` only);
    ``"fbank"``: :func:`spectrust.fbank`'s of each input's samples at ``sr`` (default 16000)
    scaled to int16's range, as Kaldi reads a WAV file (its keywords among ``kwargs``);
    ``"ast"``, ``"seamless"``, ``"parakeet"``: one input's features of
    :func:`spectrust.ast_features`, :func:`spectrust.seamless_features`,
    :func:`spectrust.parakeet_features` (at 16 kHz; a batch is not padded together: give
    ``duration`` for examples of one shape). Every one through the core's one front-end call,
    each input the part ``offset`` and ``duration`` name, padded to ``duration``.
    """
    if feature not in FEATURES:
        raise ParameterError(f"feature must be one of {', '.join(FEATURES)}, got {feature!r}")
    rate, front, finish = _front(feature, sr, offset, duration, kwargs)
    read = dict(offset=offset, duration=duration, max_duration=DEFAULT_MAX_DURATION, max_bytes=DEFAULT_MAX_BYTES)
    layout = "stack" if feature in ("ast", "whisper") else "list"
    run(front, [], sr=rate, **read, fit=True, layout=layout, workers=workers)  # the core's checks, now

    def analyse(batch: list, spans=None) -> list:
        _, out = run(front, batch, sr=rate, **read, fit=True, layout=layout, workers=workers, spans=spans)
        if layout == "stack":  # one array: each input's row
            x, meta = out
            out = [m if isinstance(m, BaseException) else (x[k], m[0], m[1], m[3]) for k, m in enumerate(meta)]
        return [r if isinstance(r, BaseException) else finish(*r) for r in out]

    return analyse


def _front(feature: str, sr, offset: float, duration, kwargs: dict) -> tuple:
    """``(rate, front, finish)``: the rate inputs are read at (None: their own), the core's
    front end, and ``finish(features, rate, samples, cut)``, the result per input."""
    same = lambda *r: r  # noqa: E731
    if feature in ("mel", "log_mel", "mfcc"):
        if feature == "mfcc":
            return sr, mfcc_front(**kwargs), same
        db = {k: kwargs.pop(k) for k in _DB_KEYWORDS if k in kwargs} if feature == "log_mel" else None
        params = mel_args("melspectrogram_batch", **kwargs)
        if db is None:
            return sr, mel_front(params), same
        import numpy as np

        a = {**power_to_db.__kwdefaults__, **db}
        if a["ref"] is np.max or isinstance(a["ref"], numbers.Real):
            # Each input's dB by its own task in the core: ref a number's magnitude (as librosa
            # takes it), or None for np.max (each spectrogram's maximum).
            ref = None if a["ref"] is np.max else abs(float(a["ref"]))
            in_core = (ref, float(a["amin"]), None if a["top_db"] is None else float(a["top_db"]))
            return sr, mel_front(params, db=in_core), same
        return sr, mel_front(params), lambda f, *r: (power_to_db(f, **db), *r)
    if feature == "whisper":
        unknown = kwargs.keys() - {"n_mels"}
        if unknown:
            raise ParameterError(f"feature='whisper' takes n_mels only, got {', '.join(sorted(unknown))}")
        if duration not in (None, 30.0) or offset != 0.0 or sr not in (None, SAMPLE_RATE):
            raise ParameterError(
                "feature='whisper' reads 30 s from the start at 16 kHz: duration=None or 30.0, offset=0"
            )
        front = ("whisper", dict(feature_size=int(kwargs.get("n_mels", 80)), samples=WHISPER_SAMPLES, normalize=False))
        return SAMPLE_RATE, front, same
    if feature == "fbank":
        unknown = kwargs.keys() - (FBANK_DEFAULTS.keys() - {"sr"})
        if unknown:
            raise ParameterError(f"feature='fbank' takes fbank's keywords, got {sorted(unknown)}")
        rate = int(sr or MODEL_RATE)
        # int16's range, as Kaldi reads a WAV file
        return rate, fbank_front(fbank_args(sr=rate, **kwargs), scale=32768.0), same
    unknown = kwargs.keys() - set(_FRONT_ENDS[feature])
    if unknown:
        raise ParameterError(f"feature={feature!r} takes {', '.join(_FRONT_ENDS[feature])}, got {sorted(unknown)}")
    if sr not in (None, MODEL_RATE):
        raise ParameterError(f"feature={feature!r} reads at 16 kHz: sr=None or 16000, got {sr}")
    if feature == "parakeet":
        a = {**parakeet_features.__kwdefaults__, **kwargs}
        return MODEL_RATE, parakeet_front(a["feature_size"], a["preemphasis"], None), same
    if feature == "ast":
        a = {**ast_features.__kwdefaults__, **kwargs}
        return MODEL_RATE, ast_front(a["num_mel_bins"], a["max_length"], a["do_normalize"], a["mean"], a["std"]), same
    a = {**seamless_features.__kwdefaults__, **kwargs}  # seamless: one input's frames, stride stacked
    stride = int(a["stride"])
    check_stride(stride)
    front = seamless_front(a["num_mel_bins"], a["do_normalize_per_mel_bins"])
    return MODEL_RATE, front, lambda f, *r: (stride_stacked(f, stride), *r)
