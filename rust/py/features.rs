//! The array API: `resample`, `melspectrogram`, `power_to_db`, `mel_filters`, `mfcc`,
//! `dct`, `fbank` of arrays and Whisper's `log_mel_spectrogram`; the front ends of many inputs
//! are [`super::frontends`]. Conversion only; the work runs in `crate::dsp` with the GIL
//! released.

use numpy::ndarray::{Array2, ArrayD};
use numpy::{Element, IntoPyArray, PyArrayDyn, PyReadonlyArrayDyn};
use pyo3::prelude::*;

use super::args::{fit, fit_opt, mel_norm, whole_hz, MelArgs, NormArg};
use super::arrays::{map_rows, Rows};
use super::check;
use super::frontends::mfcc_dct;
use super::inputs::AudioArg;
use crate::dsp::db::{self, Peak};
use crate::dsp::decode::ReadOptions;
use crate::dsp::error::guarded;
use crate::dsp::features::{whisper, WhisperLogMel, MFCC_TOP_DB};
use crate::dsp::filterbank::{FilterBank, FreqScale, MelParams};
use crate::dsp::pool::{pool, run_parallel_into, threads};
use crate::dsp::resample::{output_frames, resample_into};
use crate::dsp::spectrogram::MelSpectrogram;

/// The rows of `y` (`(rows, n)` float32 or float64, any strides) resampled from `orig_sr` to
/// `target_sr` Hz: `(rows, ceil(n * (target_sr / orig_sr)))`, librosa's length, float64 when
/// `float64`; each row read, resampled and written in place by its own task.
#[pyfunction]
#[pyo3(signature = (y, *, orig_sr, target_sr, workers, float64))]
pub(crate) fn resample<'py>(
    py: Python<'py>,
    y: Rows<'py>,
    orig_sr: f64,
    target_sr: f64,
    workers: Option<i64>,
    float64: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (sr_in, sr_out) = check(whole_hz("orig_sr", orig_sr).and_then(|i| Ok((i, whole_hz("target_sr", target_sr)?))))?;
    let workers = check(fit_opt("workers", workers))?;
    let rows = y.view();
    let (n_rows, n) = rows.dim();
    let length = output_frames(n as u64, sr_in, sr_out) as usize;
    map_rows(py, &rows, workers, length, vec![n_rows, length], float64, |row, out| {
        resample_into(row, sr_in, sr_out, out)
    })
}

/// Mel spectrograms of the rows of `y` (`(rows, n)` float32 or float64, any strides): `(rows,
/// n_mels, frames)`, float64 when `float64`. Each row is read, transformed and written in
/// place by its own task (a row split across the threads when there are fewer rows than
/// threads and it is long enough; one task runs on the calling thread).
#[pyfunction]
#[pyo3(signature = (y, *, sr, params, workers, float64))]
pub(crate) fn melspectrogram<'py>(
    py: Python<'py>,
    y: Rows<'py>,
    sr: f64,
    params: MelArgs,
    workers: Option<i64>,
    float64: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let params = check(params.params(sr))?;
    let workers = check(fit_opt("workers", workers))?;
    let rows = y.view();
    let (n_rows, n) = rows.dim();
    let ms = check(MelSpectrogram::planned(&params, FreqScale::Mel))?;
    let (bands, frames) = (ms.n_bands(), check(ms.stft().n_frames(n))?);
    let split = check(split_pool(&ms, n_rows, n, workers))?;
    let out = map_rows(py, &rows, workers, bands * frames, vec![n_rows, bands, frames], float64, |row, out| {
        ms.compute_into(row, split.as_deref(), out)
    })?;
    if ms.bank().has_empty_filters(params.mel.filters_from_zero()) {
        warn_empty_filters(py)?;
    }
    Ok(out)
}

/// The pool each of `n_rows` rows of `n` samples is split across: where there are fewer rows
/// than threads and a row makes more than one task (None: each row on its thread).
fn split_pool(
    ms: &MelSpectrogram,
    n_rows: usize,
    n: usize,
    workers: Option<usize>,
) -> crate::dsp::Result<Option<std::sync::Arc<rayon::ThreadPool>>> {
    let threads = threads(workers);
    if n_rows < threads && ms.tasks(n, threads) > 1 {
        return pool(workers).map(Some);
    }
    Ok(None)
}

fn db_array<'py, T: Element + db::Decibels>(
    py: Python<'py>,
    s: PyReadonlyArrayDyn<'py, T>,
    ref_value: Option<f64>,
    amin: f64,
    top_db: Option<f64>,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let view = s.as_array();
    let shape = view.shape().to_vec();
    // A C-ordered array is read where it lies; any other is first put in order (numpy's).
    let ordered = view.as_standard_layout();
    let src = ordered.as_slice().expect("standard layout is contiguous");
    let mut out = vec![T::zero(); src.len()];
    check(py.detach(|| pool(workers)?.install(|| db::power_to_db_into(src, &mut out, ref_value, amin, top_db))))?;
    let array = ArrayD::from_shape_vec(shape, out).map_err(|e| crate::dsp::Error::Internal(format!("{e}")));
    Ok(check(array)?.into_pyarray(py))
}

/// `power_to_db` on a float32 or float64 array (same dtype out), in parallel; `ref_value`
/// None: the array's maximum (`ref=np.max`).
#[pyfunction]
#[pyo3(signature = (s, *, ref_value, amin, top_db, workers))]
pub(crate) fn power_to_db<'py>(
    py: Python<'py>,
    s: &Bound<'py, PyAny>,
    ref_value: Option<f64>,
    amin: f64,
    top_db: Option<f64>,
    workers: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let workers = check(fit_opt("workers", workers))?;
    if let Ok(a) = s.extract::<PyReadonlyArrayDyn<'py, f32>>() {
        Ok(db_array(py, a, ref_value, amin, top_db, workers)?.into_any())
    } else {
        Ok(db_array(py, s.extract::<PyReadonlyArrayDyn<'py, f64>>()?, ref_value, amin, top_db, workers)?.into_any())
    }
}

/// The dense mel filterbank `(n_mels, 1 + n_fft // 2)` float32 (`librosa.filters.mel`).
#[pyfunction]
#[pyo3(signature = (*, sr, n_fft, n_mels, fmin, fmax, htk, norm))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn mel_filters<'py>(
    py: Python<'py>,
    sr: f64,
    n_fft: i64,
    n_mels: i64,
    fmin: f64,
    fmax: Option<f64>,
    htk: bool,
    norm: Option<NormArg>,
) -> PyResult<Bound<'py, PyAny>> {
    let (fb, from_zero) = check((|| {
        let (n_fft, n_mels) = (fit("n_fft", n_fft)?, fit("n_mels", n_mels)?);
        let p = MelParams { sr, n_fft, n_mels, fmin, fmax, htk, norm: mel_norm(norm)? };
        Ok((FilterBank::mel(&p)?, p.filters_from_zero()))
    })())?;
    if fb.has_empty_filters(from_zero) {
        warn_empty_filters(py)?;
    }
    let dense = Array2::from_shape_vec((fb.n_filters(), fb.n_bins()), fb.dense()).expect("shape matches");
    Ok(dense.into_pyarray(py).into_any())
}

/// librosa's warning for a mel filterbank with empty filters (a `UserWarning`, its words).
fn warn_empty_filters(py: Python<'_>) -> PyResult<()> {
    PyErr::warn(
        py,
        &py.get_type::<pyo3::exceptions::PyUserWarning>(),
        c"Empty filters detected in mel frequency basis. Some channels will produce empty responses. Try increasing your sampling rate (and fmax) or reducing n_mels.",
        2,
    )
}

/// openai-whisper's `log_mel_spectrogram` of one input: `(n_mels, frames)` float32.
#[pyfunction]
#[pyo3(signature = (audio, *, n_mels, padding, max_duration))]
pub(crate) fn log_mel_spectrogram<'py>(
    py: Python<'py>,
    audio: &Bound<'py, PyAny>,
    n_mels: i64,
    padding: i64,
    max_duration: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let (n_mels, padding) = (check(fit("n_mels", n_mels))?, check(fit("padding", padding))?);
    let audio = AudioArg::extract(audio)?;
    let view = audio.view();
    let read = ReadOptions { max_duration, ..Default::default() };
    let m = check(py.detach(|| {
        guarded(|| WhisperLogMel::new(n_mels)?.compute(&view.mono(Some(whisper::SAMPLE_RATE), &read, None)?.0, padding))
    }))?;
    Ok(Array2::from_shape_vec((m.rows, m.cols), m.data).expect("shape matches").into_pyarray(py).into_any())
}

/// The DCT of librosa's `mfcc` along the bands of `s` (`(rows, n_mels * frames)`: each row a
/// `(n_mels, frames)` spectrogram in dB, float32 or float64), liftered: `(rows, min(n_mfcc,
/// n_mels), frames)`, float64 when `float64`; a row per task.
#[pyfunction]
#[pyo3(signature = (s, *, n_mels, dct_type, n_mfcc, norm, lifter, workers, float64))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn dct<'py>(
    py: Python<'py>,
    s: Rows<'py>,
    n_mels: usize,
    dct_type: i64,
    n_mfcc: i64,
    norm: Option<&str>,
    lifter: f64,
    workers: Option<i64>,
    float64: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let dct = check(mfcc_dct(dct_type, n_mels, n_mfcc, norm))?;
    check(dct.check_lifter(lifter))?;
    let workers = check(fit_opt("workers", workers))?;
    let rows = s.view();
    let (n_rows, size) = rows.dim();
    let cols = size / n_mels.max(1);
    let shape = vec![n_rows, dct.n_out(), cols];
    map_rows(py, &rows, workers, dct.n_out() * cols, shape, float64, |spec, out| {
        dct.apply_into(spec, cols, lifter, out)
    })
}

/// librosa's `mfcc` of the rows of `y` (`(rows, n)` float32 or float64, any strides): the mel
/// spectrogram, `power_to_db` (ref 1, amin 1e-10, top_db 80 below the peak of all the rows,
/// in float64 for float64 audio, as librosa), the DCT: `(rows, min(n_mfcc, n_mels), frames)`,
/// float64 when `float64`. Two passes over the rows, each a task per row: the mel spectrogram
/// in dB and its peak, then the floor and the DCT.
#[pyfunction]
#[pyo3(signature = (y, *, sr, params, workers, dct_type, n_mfcc, norm, lifter, float64))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn mfcc<'py>(
    py: Python<'py>,
    y: Rows<'py>,
    sr: f64,
    params: MelArgs,
    workers: Option<i64>,
    dct_type: i64,
    n_mfcc: i64,
    norm: Option<&str>,
    lifter: f64,
    float64: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let params = check(params.params(sr))?;
    let dct = check(mfcc_dct(dct_type, params.mel.n_mels, n_mfcc, norm))?;
    check(dct.check_lifter(lifter))?;
    let workers = check(fit_opt("workers", workers))?;
    let rows = y.view();
    let (n_rows, n) = rows.dim();
    let ms = check(MelSpectrogram::planned(&params, FreqScale::Mel))?;
    let (bands, frames) = (ms.n_bands(), check(ms.stft().n_frames(n))?);
    let split = check(split_pool(&ms, n_rows, n, workers))?;
    let items: Vec<usize> = (0..n_rows).collect();
    let mut db = vec![0.0f32; n_rows * bands * frames];
    let peaks = check(py.detach(|| -> crate::dsp::Result<Vec<f64>> {
        run_parallel_into(workers, &items, &mut db, bands * frames, |&i, slot| {
            let mut buf = Vec::new();
            ms.compute_into(rows.row(i, &mut buf)?, split.as_deref(), slot)?;
            Ok(db_in_place(slot, float64))
        })?
        .into_iter()
        .collect()
    }))?;
    let peak = peaks.into_iter().fold(Peak::none(), |a, b| a.max(Peak(b)));
    check(db::check(1e-10, Some(MFCC_TOP_DB), db.is_empty()))?;
    // The floor at float64 precision for float64 audio, then rounded: max() commutes with it.
    let floor = if float64 { (peak.0 - MFCC_TOP_DB) as f32 } else { peak.0 as f32 - MFCC_TOP_DB as f32 };
    let spectra: Vec<&[f32]> = db.chunks(bands * frames).collect();
    let out = map_rows(
        py,
        &spectra[..],
        workers,
        dct.n_out() * frames,
        vec![n_rows, dct.n_out(), frames],
        float64,
        |spec, out| {
            let clipped: Vec<f32> = spec.iter().map(|&x| x.max(floor)).collect();
            dct.apply_into(&clipped, frames, lifter, out)
        },
    )?;
    if ms.bank().has_empty_filters(params.mel.filters_from_zero()) {
        warn_empty_filters(py)?;
    }
    Ok(out)
}

/// `power_to_db(S)` (ref 1, amin 1e-10, not yet clipped) of a mel spectrogram in place, in
/// float64 when `float64` (then rounded back to float32): its peak.
fn db_in_place(s: &mut [f32], float64: bool) -> f64 {
    if float64 {
        let mut wide: Vec<f64> = s.iter().map(|&x| f64::from(x)).collect();
        let peak = db::to_db(&mut wide, 1.0, 1e-10);
        s.iter_mut().zip(&wide).for_each(|(x, &w)| *x = w as f32);
        peak.0
    } else {
        f64::from(db::to_db(s, 1.0, 1e-10).0)
    }
}
