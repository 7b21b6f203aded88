"""The training features by name ("mel", "log_mel", "mfcc", "whisper"), computed for a batch of
inputs by one call of the numpy API: what :func:`spectrust.tf_dataset` and
:func:`spectrust.extract_features` share."""

from __future__ import annotations

import numbers
from typing import Callable

from ._params import DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION
from .batches import analyse_mel
from .errors import ParameterError, SpectrustError
from .features import power_to_db
from .mfcc import analyse_mfcc
from .whisper import SAMPLE_RATE, whisper_features

#: The features computed by name.
FEATURES = ("mel", "log_mel", "mfcc", "whisper")

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
    :func:`spectrust.whisper_features`' (30 s windows at 16 kHz; ``n_mels`` only).
    """
    if feature not in FEATURES:
        raise ParameterError(f"feature must be one of {', '.join(FEATURES)}, got {feature!r}")
    if feature == "whisper":
        return _whisper(sr, offset, duration, workers, kwargs)
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
