"""The training features by name ("mel", "log_mel", "mfcc", "whisper", and the Kaldi and model
front ends "fbank", "ast", "seamless", "parakeet"), computed for a batch of inputs by one call
of the numpy API: what :func:`spectrust.tf_dataset` and :func:`spectrust.extract_features`
share."""

from __future__ import annotations

import numbers
from typing import Callable

from .. import _core
from .._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION, opt_int, read_args
from ..errors import ParameterError, SpectrustError
from .ast import ast_args, ast_features
from .kaldi import FBANK_DEFAULTS, fbank_args
from .mel import analyse_mel, power_to_db
from .mfcc import analyse_mfcc
from .parakeet import parakeet_features
from .seamless import SEAMLESS_NORMALIZE, check_stride, seamless_features, stride_stacked
from .whisper import SAMPLE_RATE, whisper_features

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

#: ``analyse(inputs)``: per input, ``(features, sample rate, samples analysed)`` or the
#: exception of that input.
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
    ``duration`` for examples of one shape).
    """
    if feature not in FEATURES:
        raise ParameterError(f"feature must be one of {', '.join(FEATURES)}, got {feature!r}")
    if feature == "whisper":
        return _whisper(sr, offset, duration, workers, kwargs)
    if feature == "fbank" or feature in _FRONT_ENDS:
        return _kaldi_or_model(feature, sr, offset, duration, workers, kwargs)
    read = dict(
        sr=sr,
        offset=offset,
        duration=duration,
        workers=workers,
        max_duration=DEFAULT_MAX_DURATION,
        max_bytes=DEFAULT_MAX_BYTES,
    )
    if feature == "mfcc":
        return lambda batch: analyse_mfcc(batch, **read, **kwargs)
    db = {k: kwargs.pop(k) for k in _DB_KEYWORDS if k in kwargs} if feature == "log_mel" else None
    if db is not None:
        import numpy as np

        a = {**power_to_db.__kwdefaults__, **db}
        if a["ref"] is np.max or isinstance(a["ref"], numbers.Real):
            # Each file's dB by its own task in the core: ref a number's magnitude (as librosa
            # takes it), or None for np.max (each spectrogram's maximum).
            ref = None if a["ref"] is np.max else abs(float(a["ref"]))
            in_core = (ref, float(a["amin"]), None if a["top_db"] is None else float(a["top_db"]))
            return lambda batch: analyse_mel(batch, **read, db=in_core, **kwargs)

    def mel(batch: list) -> list:
        results = analyse_mel(batch, **read, **kwargs)
        if db is None:
            return results
        return [r if isinstance(r, BaseException) else (power_to_db(r[0], **db), *r[1:]) for r in results]

    return mel


def _whisper(sr, offset, duration, workers, kwargs) -> Analyser:
    unknown = kwargs.keys() - {"n_mels"}
    if unknown:
        raise ParameterError(f"feature='whisper' takes n_mels only, got {', '.join(sorted(unknown))}")
    if duration not in (None, 30.0) or offset != 0.0 or sr not in (None, SAMPLE_RATE):
        raise ParameterError("feature='whisper' reads 30 s from the start at 16 kHz: duration=None or 30.0, offset=0")

    def one(audio):
        try:
            return whisper_features([audio], workers=workers, **kwargs)[0], SAMPLE_RATE, WHISPER_SAMPLES
        except ParameterError:
            raise
        except (OSError, SpectrustError) as error:
            return error

    def whisper(batch: list) -> list:
        try:
            stacked = whisper_features(batch, workers=workers, **kwargs)
        except ParameterError:
            raise
        except (OSError, SpectrustError):  # which inputs failed: one by one
            return [one(audio) for audio in batch]
        return [(features, SAMPLE_RATE, WHISPER_SAMPLES) for features in stacked]

    return whisper


def _kaldi_or_model(feature, sr, offset, duration, workers, kwargs) -> Analyser:
    """``"fbank"`` and the model front ends: per input ``(features, sr, samples)`` or its
    exception; the part of each file ``offset`` and ``duration`` name, padded with zeros to
    ``duration``. The defaults are the numpy API's (its functions' keyword defaults)."""

    if feature == "fbank":
        unknown = kwargs.keys() - (FBANK_DEFAULTS.keys() - {"sr"})
        if unknown:
            raise ParameterError(f"feature='fbank' takes fbank's keywords, got {sorted(unknown)}")
    else:
        unknown = kwargs.keys() - set(_FRONT_ENDS[feature])
        if unknown:
            raise ParameterError(f"feature={feature!r} takes {', '.join(_FRONT_ENDS[feature])}, got {sorted(unknown)}")
        if sr not in (None, SAMPLE_RATE):
            raise ParameterError(f"feature={feature!r} reads at 16 kHz: sr=None or 16000, got {sr}")
    rate = int(sr or SAMPLE_RATE)
    read = read_args(offset, duration, DEFAULT_MAX_DURATION)
    base = dict(pad=duration is not None, errors=True, workers=opt_int(workers))

    def fbank_of(batch, params, scale, normalize=None):
        return _core.fbank_inputs(batch, params=params, scale=scale, normalize=normalize, sr=rate, read=read, **base)

    finish = lambda f: f  # noqa: E731
    if feature == "fbank":  # int16's range, as Kaldi reads a WAV file
        params = fbank_args(sr=rate, **kwargs)
        compute = lambda batch: fbank_of(batch, params, 32768.0)  # noqa: E731
    elif feature == "parakeet":
        a = {**parakeet_features.__kwdefaults__, **kwargs}
        preemphasis = None if a["preemphasis"] is None else float(a["preemphasis"])

        def compute(batch):
            n_mels = int(a["feature_size"])
            return _core.parakeet_inputs(
                batch, n_mels=n_mels, preemphasis=preemphasis, max_samples=None, read=read, **base
            )

    elif feature == "ast":  # each input into its slot of one array, in the core
        a = {**ast_features.__kwdefaults__, **kwargs}
        params = ast_args(a["num_mel_bins"], a["max_length"], a["do_normalize"], a["mean"], a["std"])
        _core.ast_inputs([], **params, read=read, **base)  # the core's checks, before any input is read

        def compute(batch):
            x, samples = _core.ast_inputs(batch, **params, read=read, **base)
            return [n if isinstance(n, BaseException) else (x[k], n) for k, n in enumerate(samples)]

    else:  # seamless: one input's frames, stride stacked
        a = {**seamless_features.__kwdefaults__, **kwargs}
        bins, stride = int(a["num_mel_bins"]), int(a["stride"])
        check_stride(stride)
        params = fbank_args(num_mel_bins=bins)
        normalize = SEAMLESS_NORMALIZE if a["do_normalize_per_mel_bins"] else None
        compute = lambda batch: fbank_of(batch, params, 32768.0, normalize)  # noqa: E731
        finish = lambda f: stride_stacked(f, stride)  # noqa: E731

    def analyse(batch: list) -> list:
        return [r if isinstance(r, BaseException) else (finish(r[0]), rate, r[1]) for r in compute(batch)]

    return analyse
