"""The array and batch paths do each row's work in the parallel region: a batched call equals
the same calls row by row, bit for bit, whatever the layout of the input (C- or Fortran-ordered,
strided), its type (float32, float64) and its leading shape ((), (k,), (k, m)), and whatever
the threads."""

import librosa
import numpy as np
import pytest
import spectrust
from conftest import EXAMPLES, MONO22

#: Six different seconds of real music at 22.05 kHz, as rows.
SIGNAL, SR = librosa.load(MONO22, sr=None)
ROWS = np.stack([SIGNAL[k * 22050 + 3000 * k : (k + 1) * 22050 + 3000 * k] for k in range(6)])


def layouts(rows: np.ndarray, dtype) -> dict:
    """``rows`` (k, n) in every layout the core reads: C- and Fortran-ordered, and strided views
    (every other sample of a longer buffer; rows, or samples, taken backwards)."""
    c = np.ascontiguousarray(rows, dtype=dtype)
    wide = np.zeros((rows.shape[0], 2 * rows.shape[1]), dtype=dtype)
    wide[:, ::2] = c
    return {
        "C": c,
        "F": np.asfortranarray(c),
        "strided": wide[:, ::2],
        "rows backwards": c[::-1],
        "samples backwards": c[:, ::-1],
    }


def shaped(rows: np.ndarray, leading: tuple) -> np.ndarray:
    """``rows`` (6, n) with the leading shape ``leading`` (``()``: the first row alone)."""
    if leading == ():
        return rows[0]
    return rows[: int(np.prod(leading))].reshape(*leading, rows.shape[-1])


def each_row(f, y: np.ndarray) -> np.ndarray:
    """``f`` called on every 1-D row of ``y``, stacked back into ``y``'s leading shape."""
    if y.ndim == 1:
        return f(y)
    flat = y.reshape(-1, y.shape[-1])
    return np.stack([f(np.array(r)) for r in flat]).reshape(*y.shape[:-1], *f(np.array(flat[0])).shape)


CALLS = {
    "melspectrogram": lambda y, **kw: spectrust.melspectrogram(y=y, sr=SR, n_mels=64, **kw),
    "resample": lambda y, **kw: spectrust.resample(y, orig_sr=SR, target_sr=16000, **kw),
}


@pytest.mark.parametrize("call", CALLS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("leading", [(), (4,), (2, 3)], ids=str)
def test_a_batched_call_is_the_calls_row_by_row_bit_for_bit(call, dtype, leading):
    f = CALLS[call]
    for layout, rows in layouts(ROWS, dtype).items():
        y = shaped(rows, leading)
        if leading == () and layout != "C":
            y = rows[1]  # a strided or Fortran-ordered row
        want = each_row(lambda r: f(r, workers=1), y)
        for workers in (1, 2, 3):
            got = f(y, workers=workers)
            assert got.dtype == want.dtype == np.result_type(dtype, np.float32), (layout, workers)
            np.testing.assert_array_equal(got, want, err_msg=f"{call} {layout} workers={workers}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_dct_of_a_batch_of_spectrograms_is_each_ones_bit_for_bit(dtype):
    S = spectrust.power_to_db(spectrust.melspectrogram(y=ROWS, sr=SR, n_mels=40)).astype(dtype)
    want = np.stack([spectrust.mfcc(S=np.array(s), n_mfcc=13, workers=1) for s in S])
    c = np.ascontiguousarray(S)
    wide = np.zeros((*S.shape[:-1], 2 * S.shape[-1]), dtype=dtype)
    wide[..., ::2] = c
    for layout, x in {"C": c, "F": np.asfortranarray(c), "strided": wide[..., ::2]}.items():
        for workers in (1, 2, 3):
            got = spectrust.mfcc(S=x, n_mfcc=13, workers=workers)
            assert got.dtype == np.result_type(dtype, np.float32)
            np.testing.assert_array_equal(got, want, err_msg=f"{layout} workers={workers}")
        np.testing.assert_array_equal(spectrust.mfcc(S=x.reshape(2, 3, 40, -1), n_mfcc=13), want.reshape(2, 3, 13, -1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mfcc_of_audio_is_mfcc_of_its_dB_mel_spectrogram_bit_for_bit(dtype):
    # librosa's mfcc of (k, n) audio clips the dB values 80 dB under the peak of all the rows:
    # a row's coefficients depend on the others, so the batch is checked against the same
    # steps taken one at a time on the batch.
    for layout, rows in layouts(ROWS[:4], dtype).items():
        for workers in (1, 2):
            got = spectrust.mfcc(y=rows, sr=SR, n_mfcc=13, lifter=22, workers=workers)
            S = spectrust.power_to_db(spectrust.melspectrogram(y=rows, sr=SR))
            np.testing.assert_array_equal(got, spectrust.mfcc(S=S, n_mfcc=13, lifter=22), err_msg=layout)
            assert got.dtype == np.result_type(dtype, np.float32)


def test_power_to_db_in_parallel_is_the_whole_arrays(tmp_path):
    S = spectrust.melspectrogram(y=ROWS, sr=SR)
    for ref in (1.0, np.max):
        whole = spectrust.power_to_db(S, ref=ref)
        np.testing.assert_allclose(whole, librosa.power_to_db(S, ref=ref), rtol=1e-5, atol=1e-4)
        # A Fortran-ordered copy: the same numbers.
        np.testing.assert_array_equal(spectrust.power_to_db(np.asfortranarray(S), ref=ref), whole)
    # np.max of S with a NaN in it is NaN: every value is.
    S[2, 3, 4] = np.nan
    assert np.isnan(spectrust.power_to_db(S, ref=np.max)).all()


def test_non_finite_rows_are_librosas_error_whatever_the_row():
    for bad in (np.nan, np.inf):
        y = np.array(ROWS, dtype=np.float64)
        y[4, 100] = bad
        for f in (CALLS["melspectrogram"], CALLS["resample"], lambda y: spectrust.mfcc(y=y, sr=SR)):
            with pytest.raises(spectrust.ParameterError, match="not finite everywhere"):
                f(y)
        with pytest.raises(spectrust.ParameterError, match="not finite everywhere"):
            spectrust.whisper_features([y[0], y[4]])


def test_whisper_features_of_arrays_in_any_layout_are_those_of_copies():
    y16 = spectrust.resample(ROWS, orig_sr=SR, target_sr=16000)
    want = spectrust.whisper_features([np.ascontiguousarray(r, dtype=np.float32) for r in y16])["input_features"]
    for dtype in (np.float32, np.float64):
        strided = layouts(y16, dtype)["strided"]
        got = spectrust.whisper_features(list(strided), workers=2)["input_features"]
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(spectrust.log_mel_spectrogram(strided[2]), spectrust.log_mel_spectrogram(y16[2]))


def test_stacked_batches_are_the_lists_stacked():
    paths = [EXAMPLES / "music.mp3", EXAMPLES / "music.flac", MONO22, EXAMPLES / "music.ogg"]
    kw = dict(sr=16000, offset=0.5, duration=3.0, n_mels=64)
    np.testing.assert_array_equal(
        spectrust.melspectrogram_batch(paths, stack=True, **kw), np.stack(spectrust.melspectrogram_batch(paths, **kw))
    )
    kw = dict(sr=16000, duration=2.0, n_mfcc=13, lifter=22)
    np.testing.assert_array_equal(
        spectrust.mfcc_batch(paths, stack=True, **kw), np.stack(spectrust.mfcc_batch(paths, **kw))
    )


@pytest.mark.parametrize("db", [{}, {"ref": np.max}, {"ref": -2.0, "amin": 1e-5, "top_db": None}], ids=str)
def test_log_mel_features_take_their_dB_in_the_core_as_power_to_db_gives_it(db):
    from spectrust.features.by_name import analyser

    paths = [EXAMPLES / "music.mp3", MONO22, EXAMPLES / "music.ogg"]
    kw = dict(sr=16000, offset=0.0, duration=2.0, n_mels=64)
    got = analyser("log_mel", workers=2, **kw, **db)(paths)
    mels = spectrust.melspectrogram_batch(paths, sr=16000, duration=2.0, n_mels=64)
    for (features, rate, samples, cut), mel in zip(got, mels):
        assert (rate, samples, cut) == (16000, 32000, False)
        np.testing.assert_array_equal(features, spectrust.power_to_db(mel, **db))
