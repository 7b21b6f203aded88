//! The array API: `load`, `melspectrogram`, `melspectrogram_files`, `power_to_db`,
//! `mel_filters`. Conversion only; the work runs in `crate::dsp` with the GIL released.

use numpy::ndarray::{Array1, Array2, Array3, ArrayD};
use numpy::{Element, IntoPyArray, PyArray3, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn};
use pyo3::prelude::*;
use std::borrow::Cow;

use super::args::{fit, fit_opt, input, inputs, mel_norm, whole_hz, FbankArgs, MelArgs, NormArg, ReadArgs};
use super::arrays::{map_indexed_rows, map_rows, Rows, RowsView, Samples};
use super::{check, err_value, to_py};
use crate::dsp::db::{self, Peak};
use crate::dsp::decode::{check_finite, Input, ReadOptions};
use crate::dsp::error::guarded;
use crate::dsp::features::ast::{self, AstFeatures};
use crate::dsp::features::kaldi::{normalize_columns, stream_seed, Fbank};
use crate::dsp::features::parakeet::{self, ParakeetFeatures};
use crate::dsp::features::{self as fronts, whisper, Dct, WhisperLogMel};
use crate::dsp::filterbank::{FilterBank, MelParams};
use crate::dsp::pipeline::{load_audio, Analysed, Pipeline};
use crate::dsp::pool::{default_workers, pool, run_parallel, run_parallel_into};
use crate::dsp::resample::{output_frames, resample_into};
use crate::dsp::spectrogram::{Matrix, MelSpectrogram};

/// Decodes `path` (a path or bytes, see `args::input`) from `offset` for `duration` seconds
/// (resampled to `sr` if given): `(samples, sr)`, samples `(n,)` when `mono`, else
/// `(n, channels)`.
#[pyfunction]
#[pyo3(signature = (path, *, sr, mono, offset, duration, max_duration))]
pub(crate) fn load<'py>(
    py: Python<'py>,
    path: &Bound<'py, PyAny>,
    sr: Option<i64>,
    mono: bool,
    offset: f64,
    duration: Option<f64>,
    max_duration: Option<f64>,
) -> PyResult<(Bound<'py, PyAny>, u32)> {
    let sr = check(fit_opt("sr", sr))?;
    let read = ReadOptions { offset, duration, max_duration };
    let input = input(path)?;
    let audio = check(py.detach(|| guarded(|| load_audio(&input, sr, mono, &read))))?;
    let sr = audio.sample_rate;
    let array = if mono {
        Array1::from_vec(audio.samples).into_pyarray(py).into_any()
    } else {
        // Interleaved, (frames, channels): the Python layer returns its transpose, a view,
        // as librosa does.
        let shape = (audio.frames(), audio.channels);
        Array2::from_shape_vec(shape, audio.samples).expect("shape matches").into_pyarray(py).into_any()
    };
    Ok((array, sr))
}

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
/// threads).
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
    let ms = check(MelSpectrogram::new(&params))?;
    let (bands, frames) = (ms.n_bands(), check(ms.stft().n_frames(n))?);
    let split = n_rows < workers.unwrap_or_else(default_workers);
    let out = map_rows(py, &rows, workers, bands * frames, vec![n_rows, bands, frames], float64, |row, out| {
        ms.compute_into(row, split, out)
    })?;
    if ms.bank().has_empty_filters(params.mel.filters_from_zero()) {
        warn_empty_filters(py)?;
    }
    Ok(out)
}

/// Mel spectrograms of whole files (paths or bytes): a list with, per input, `(array
/// (n_mels, frames), sample rate, samples analysed)` or the exception instance for that input
/// (the Python layer raises it or not). With `db` (`(ref_value, amin, top_db)`, `ref_value`
/// None: each spectrogram's maximum), each is `power_to_db`'s, computed by the file's task:
/// log-mel features.
#[pyfunction]
#[pyo3(signature = (paths, *, params, sr, workers, read, db=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn melspectrogram_files<'py>(
    py: Python<'py>,
    paths: Vec<Bound<'py, PyAny>>,
    params: MelArgs,
    sr: Option<i64>,
    workers: Option<i64>,
    read: ReadArgs,
    db: Option<(Option<f64>, f64, Option<f64>)>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    // `params.mel.sr` is set per file by the pipeline.
    let params = check(params.params(0.0))?;
    let (sr, workers) = (check(fit_opt("sr", sr))?, check(fit_opt("workers", workers))?);
    if let Some((_, amin, top_db)) = db {
        check(db::check(amin, top_db, false))?;
    }
    let (read, inputs) = (read.options(), inputs(&paths)?);
    let results = check(py.detach(move || {
        let pipeline = Pipeline::new(params, sr, read)?;
        run_parallel(workers, &inputs, |input| {
            let mut a = pipeline.mel_file(input)?;
            if let Some((ref_value, amin, top_db)) = db {
                let data = &mut a.spectrogram.data;
                let reference = ref_value.unwrap_or_else(|| db::max_value(data));
                db::power_to_db(data, reference, amin, top_db)?;
            }
            Ok(a)
        })
    }))?;
    results.into_iter().map(|r| analysed_or_error(py, r)).collect()
}

/// Mel spectrograms (or, with `dct`, MFCCs: `(dct_type, n_mfcc, norm, lifter)`, as
/// [`mfcc_files`]) of whole files, read with a `duration` and resampled to `sr` so that they
/// have one shape: `(len(paths), rows, frames)`, each file computed into its slot by its own
/// task (`stack=True`); the first failure is raised.
#[pyfunction]
#[pyo3(signature = (paths, *, params, sr, workers, read, dct))]
pub(crate) fn stacked_files<'py>(
    py: Python<'py>,
    paths: Vec<Bound<'py, PyAny>>,
    params: MelArgs,
    sr: i64,
    workers: Option<i64>,
    read: ReadArgs,
    dct: Option<(i64, i64, Option<String>, f64)>,
) -> PyResult<Bound<'py, PyAny>> {
    let params = check(params.params(0.0))?;
    let dct = match &dct {
        Some((dct_type, n_mfcc, norm, lifter)) => {
            let d = check(mfcc_dct(*dct_type, params.mel.n_mels, *n_mfcc, norm.as_deref()))?;
            check(d.check_lifter(*lifter))?;
            Some((d, *lifter))
        }
        None => None,
    };
    let (sr, workers) = (check(fit("sr", sr))?, check(fit_opt("workers", workers))?);
    let (read, inputs) = (read.options(), inputs(&paths)?);
    let (shape, data) = check(py.detach(|| -> crate::dsp::Result<_> {
        let pipeline = Pipeline::new(params, Some(sr), read)?;
        let (bands, frames) = pipeline
            .fixed_shape()?
            .ok_or_else(|| crate::dsp::Error::Parameter("stacked files need a duration and sr".into()))?;
        let rows = dct.as_ref().map_or(bands, |(d, _)| d.n_out());
        let mut data = vec![0.0f32; inputs.len() * rows * frames];
        run_parallel_into(workers, &inputs, &mut data, rows * frames, |input, out| match &dct {
            None => pipeline.mel_file_into(input, out),
            Some((d, lifter)) => {
                let mut mel = vec![0.0f32; bands * frames];
                pipeline.mel_file_into(input, &mut mel)?;
                db::power_to_db(&mut mel, 1.0, 1e-10, Some(MFCC_TOP_DB))?;
                d.apply_into(&mel, frames, *lifter, out)
            }
        })?
        .into_iter()
        .collect::<crate::dsp::Result<()>>()?;
        Ok(((inputs.len(), rows, frames), data))
    }))?;
    Ok(Array3::from_shape_vec(shape, data).expect("shape matches").into_pyarray(py).into_any())
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

/// Audio as Python passes it to the front ends: a path, the bytes of a file, or samples (a
/// 1-D float32 or float64 array, read where it lies by the task that uses it).
enum AudioArg<'py> {
    Input(Input),
    Samples(Samples<'py>),
}

impl<'py> AudioArg<'py> {
    /// A 1-D float array, or an input as [`input`] takes it (the Python layer converts).
    fn extract(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        match Samples::extract(obj) {
            Some(samples) => Ok(AudioArg::Samples(samples)),
            None => Ok(AudioArg::Input(input(obj)?)),
        }
    }

    fn view(&self) -> AudioView<'_> {
        match self {
            AudioArg::Input(input) => AudioView::Input(input),
            AudioArg::Samples(samples) => AudioView::Samples(samples.view()),
        }
    }
}

/// An [`AudioArg`] readable from any thread.
enum AudioView<'a> {
    Input(&'a Input),
    Samples(RowsView<'a>),
}

impl AudioView<'_> {
    /// The mono signal at 16 kHz: decoded and resampled (only as far as the first `keep`
    /// samples need, if given), or the samples as given.
    fn mono_16k(&self, keep: Option<usize>, max_duration: Option<f64>) -> crate::dsp::Result<Cow<'_, [f32]>> {
        let read = ReadOptions { max_duration, ..Default::default() };
        let read = keep.map_or(read, |n| read.keeping(n, f64::from(whisper::SAMPLE_RATE)));
        self.mono(whisper::SAMPLE_RATE, &read, false)
    }

    /// The mono signal at `sr` Hz: the part `read` names, decoded and resampled, zero-padded
    /// to its duration with `pad`; or the samples as given (taken to be at `sr`).
    fn mono(&self, sr: u32, read: &ReadOptions, pad: bool) -> crate::dsp::Result<Cow<'_, [f32]>> {
        match self {
            AudioView::Samples(rows) => rows.row_cow(0),
            AudioView::Input(input) => {
                let audio = load_audio(input, Some(sr), true, read)?;
                check_finite(input.name(), &audio.samples)?;
                let mut samples = audio.samples;
                if let (true, Some(d)) = (pad, read.duration) {
                    let n = (d * f64::from(sr)).round() as usize;
                    samples.resize(n.max(samples.len()), 0.0);
                }
                Ok(Cow::Owned(samples))
            }
        }
    }
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
    let m = check(
        py.detach(|| guarded(|| WhisperLogMel::new(n_mels)?.compute(&view.mono_16k(None, max_duration)?, padding))),
    )?;
    Ok(Array2::from_shape_vec((m.rows, m.cols), m.data).expect("shape matches").into_pyarray(py).into_any())
}

/// transformers' `WhisperFeatureExtractor` over many inputs, in parallel: `(len(inputs),
/// n_mels, 3000)` float32; the error of the first input that failed is raised.
#[pyfunction]
#[pyo3(signature = (inputs, *, n_mels, max_duration, workers))]
pub(crate) fn whisper_features<'py>(
    py: Python<'py>,
    inputs: Vec<Bound<'py, PyAny>>,
    n_mels: i64,
    max_duration: Option<f64>,
    workers: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let (n_mels, workers) = (check(fit("n_mels", n_mels))?, check(fit_opt("workers", workers))?);
    let inputs = inputs.iter().map(AudioArg::extract).collect::<PyResult<Vec<_>>>()?;
    let views: Vec<AudioView<'_>> = inputs.iter().map(AudioArg::view).collect();
    let count = inputs.len();
    let data = check(py.detach(|| -> crate::dsp::Result<Vec<f32>> {
        let front = WhisperLogMel::new(n_mels)?;
        let size = n_mels * whisper::N_FRAMES;
        let mut data = vec![0.0; count * size];
        run_parallel_into(workers, &views, &mut data, size, |audio, out| {
            front.chunk_into(&audio.mono_16k(Some(whisper::N_SAMPLES), max_duration)?, out)
        })?
        .into_iter()
        .collect::<crate::dsp::Result<()>>()?;
        Ok(data)
    }))?;
    let shape = (count, n_mels, whisper::N_FRAMES);
    Ok(Array3::from_shape_vec(shape, data).expect("shape matches").into_pyarray(py).into_any())
}

/// A per-file result for Python: `(array (rows, cols), sample rate, samples)`, or the
/// exception instance.
fn analysed_or_error(py: Python<'_>, result: crate::dsp::Result<Analysed>) -> PyResult<Bound<'_, PyAny>> {
    Ok(match result {
        Ok(a) => {
            let m = a.spectrogram;
            let array = Array2::from_shape_vec((m.rows, m.cols), m.data).expect("shape matches").into_pyarray(py);
            (array, a.sample_rate, a.samples).into_pyobject(py)?.into_any()
        }
        Err(e) => err_value(py, e),
    })
}

/// librosa's MFCC DCT of `n_mels` bands from Python's arguments (`norm`: "ortho" or None).
fn mfcc_dct(dct_type: i64, n_mels: usize, n_mfcc: i64, norm: Option<&str>) -> crate::dsp::Result<Dct> {
    let ortho = match norm {
        None => false,
        Some("ortho") => true,
        Some(other) => {
            return Err(crate::dsp::Error::Parameter(format!("norm must be 'ortho' or None, got {other:?}")))
        }
    };
    Dct::new(fit("dct_type", dct_type)?, n_mels, fit("n_mfcc", n_mfcc)?, ortho)
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
    let ms = check(MelSpectrogram::new(&params))?;
    let (bands, frames) = (ms.n_bands(), check(ms.stft().n_frames(n))?);
    let split = n_rows < workers.unwrap_or_else(default_workers);
    let items: Vec<usize> = (0..n_rows).collect();
    let mut db = vec![0.0f32; n_rows * bands * frames];
    let peaks = check(py.detach(|| -> crate::dsp::Result<Vec<f64>> {
        run_parallel_into(workers, &items, &mut db, bands * frames, |&i, slot| {
            let mut buf = Vec::new();
            ms.compute_into(rows.row(i, &mut buf)?, split, slot)?;
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

/// librosa's `mfcc` dB range below the peak.
const MFCC_TOP_DB: f64 = 80.0;

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

/// MFCCs of whole files (paths or bytes; librosa's `mfcc` of each file's mel spectrogram): per
/// input, `(array (n_mfcc, frames), sample rate, samples analysed)` or the exception instance
/// for that input.
#[pyfunction]
#[pyo3(signature = (paths, *, params, sr, workers, read, dct_type, n_mfcc, norm, lifter))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn mfcc_files<'py>(
    py: Python<'py>,
    paths: Vec<Bound<'py, PyAny>>,
    params: MelArgs,
    sr: Option<i64>,
    workers: Option<i64>,
    read: ReadArgs,
    dct_type: i64,
    n_mfcc: i64,
    norm: Option<&str>,
    lifter: f64,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let params = check(params.params(0.0))?;
    let dct = check(mfcc_dct(dct_type, params.mel.n_mels, n_mfcc, norm))?;
    let (sr, workers) = (check(fit_opt("sr", sr))?, check(fit_opt("workers", workers))?);
    let (read, inputs) = (read.options(), inputs(&paths)?);
    let results = check(py.detach(move || {
        let pipeline = Pipeline::new(params, sr, read)?;
        run_parallel(workers, &inputs, |input| {
            let a = pipeline.mel_file(input)?;
            Ok(Analysed { spectrogram: fronts::mfcc(a.spectrogram, &dct, lifter)?, ..a })
        })
    }))?;
    results.into_iter().map(|r| analysed_or_error(py, r)).collect()
}

/// Kaldi filterbank features of each row of `y` (`(rows, n)`, float32 or float64): `(rows,
/// frames, columns)`, float32. Row `i`'s dither noise is seeded by `(seed, i)`.
#[pyfunction]
#[pyo3(signature = (y, *, params, seed, workers))]
pub(crate) fn fbank<'py>(
    py: Python<'py>,
    y: Rows<'py>,
    params: FbankArgs,
    seed: u64,
    workers: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let fb = check(Fbank::new(&check(params.params())?))?;
    let workers = check(fit_opt("workers", workers))?;
    let rows = y.view();
    let (n_rows, n) = rows.dim();
    let (frames, cols) = (check(fb.n_frames(n))?, fb.n_columns());
    map_indexed_rows(py, &rows, workers, frames * cols, vec![n_rows, frames, cols], false, |i, row, out| {
        fb.compute_into(row, stream_seed(seed, i as u64), out)
    })
}

/// Kaldi filterbank features of many inputs at `sr` Hz (files: the part `read` names,
/// decoded, mixed to mono, resampled and, with `pad`, zero-padded to its duration; arrays as
/// given), each input's samples times `scale` first and, with `normalize` (`(ddof, eps)`), each
/// band normalised over the input's frames (`kaldi::normalize_columns`): per input `(array
/// (frames, columns), samples used)` in order. With `errors`, a failed input is its exception
/// in its place; without, the first is raised.
#[pyfunction]
#[pyo3(signature = (inputs, *, params, scale, normalize, sr, read, pad, errors, workers))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn fbank_inputs<'py>(
    py: Python<'py>,
    inputs: Vec<Bound<'py, PyAny>>,
    params: FbankArgs,
    scale: f32,
    normalize: Option<(usize, f64)>,
    sr: i64,
    read: ReadArgs,
    pad: bool,
    errors: bool,
    workers: Option<i64>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let fb = check(Fbank::new(&check(params.params())?))?;
    let (sr, workers) = (check(fit::<u32>("sr", sr))?, check(fit_opt("workers", workers))?);
    let read = read.options();
    let inputs = inputs.iter().map(AudioArg::extract).collect::<PyResult<Vec<_>>>()?;
    let views: Vec<AudioView<'_>> = inputs.iter().map(AudioArg::view).collect();
    let cols = fb.n_columns();
    let results = check(py.detach(|| {
        run_parallel(workers, &views, |audio| {
            let y: Vec<f32> = audio.mono(sr, &read, pad)?.iter().map(|&v| v * scale).collect();
            let mut out = vec![0.0; fb.n_frames(y.len())? * cols];
            fb.compute_into(&y, 0, &mut out)?;
            if let Some((ddof, eps)) = normalize {
                normalize_columns(&mut out, cols, ddof, eps);
            }
            Ok((Matrix { rows: out.len() / cols.max(1), cols, data: out }, y.len()))
        })
    }))?;
    matrices_or_errors(py, results, errors)
}

/// The Audio Spectrogram Transformer's input values (`features::ast`) of many inputs at 16
/// kHz (files: the part `read` names, decoded only as far as the frames reach, mixed to mono,
/// resampled and, with `pad`, zero-padded to its duration; arrays as given), each into its slot
/// of one array `(len(inputs), max_length, num_mel_bins)` float32: `(array, per input the
/// samples used)`; with `errors` a failed input has its exception in its place (its slot
/// unspecified), without, the first is raised.
#[pyfunction]
#[pyo3(signature = (inputs, *, num_mel_bins, max_length, normalize, read, pad, errors, workers))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn ast_inputs<'py>(
    py: Python<'py>,
    inputs: Vec<Bound<'py, PyAny>>,
    num_mel_bins: i64,
    max_length: i64,
    normalize: Option<(f64, f64)>,
    read: ReadArgs,
    pad: bool,
    errors: bool,
    workers: Option<i64>,
) -> PyResult<(Bound<'py, PyAny>, Vec<Bound<'py, PyAny>>)> {
    let (bins, frames) = (check(fit("num_mel_bins", num_mel_bins))?, check(fit("max_length", max_length))?);
    let front = check(AstFeatures::new(bins, frames, normalize))?;
    let workers = check(fit_opt("workers", workers))?;
    let read = read.options().keeping(front.samples_used(), ast::SAMPLE_RATE);
    let inputs = inputs.iter().map(AudioArg::extract).collect::<PyResult<Vec<_>>>()?;
    let views: Vec<AudioView<'_>> = inputs.iter().map(AudioArg::view).collect();
    let count = views.len();
    let (data, results) = check(py.detach(|| -> crate::dsp::Result<_> {
        let mut data = vec![0.0f32; count * front.size()];
        let results = run_parallel_into(workers, &views, &mut data, front.size(), |audio, out| {
            front.compute_into(&audio.mono(ast::SAMPLE_RATE as u32, &read, pad)?, out)
        })?;
        Ok((data, results))
    }))?;
    let samples = each_or_errors(py, results, errors, |n| Ok(n.into_pyobject(py)?.into_any()))?;
    let array = Array3::from_shape_vec((count, frames, bins), data).expect("shape matches").into_pyarray(py);
    Ok((array.into_any(), samples))
}

/// Per input `(array, samples)`, or with `errors` its exception in its place (else the first
/// is raised).
fn matrices_or_errors(
    py: Python<'_>,
    results: Vec<crate::dsp::Result<(Matrix, usize)>>,
    errors: bool,
) -> PyResult<Vec<Bound<'_, PyAny>>> {
    each_or_errors(py, results, errors, |(m, samples)| {
        let array = Array2::from_shape_vec((m.rows, m.cols), m.data).expect("shape matches").into_pyarray(py);
        Ok((array, samples).into_pyobject(py)?.into_any())
    })
}

/// Per input `convert(value)`, or with `errors` its exception in its place (else the first is
/// raised): the batch calls' one rule for failed inputs.
fn each_or_errors<'py, T>(
    py: Python<'py>,
    results: Vec<crate::dsp::Result<T>>,
    errors: bool,
    convert: impl Fn(T) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    results
        .into_iter()
        .map(|r| match r {
            Ok(value) => convert(value),
            Err(e) if errors => Ok(err_value(py, e)),
            Err(e) => Err(to_py(e)),
        })
        .collect()
}

/// Parakeet's features (`features::parakeet`) of many inputs at 16 kHz (files: the part
/// `read` names, decoded, mixed to mono, resampled and, with `pad`, zero-padded to its
/// duration; arrays as given), each cut to `max_samples` first if given: per input `(array
/// (frames, n_mels), samples used)` in order; with `errors`, a failed input is its exception in
/// its place, else the first is raised.
#[pyfunction]
#[pyo3(signature = (inputs, *, n_mels, preemphasis, max_samples, read, pad, errors, workers))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn parakeet_inputs<'py>(
    py: Python<'py>,
    inputs: Vec<Bound<'py, PyAny>>,
    n_mels: i64,
    preemphasis: Option<f64>,
    max_samples: Option<i64>,
    read: ReadArgs,
    pad: bool,
    errors: bool,
    workers: Option<i64>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let results = parakeet_each(py, &inputs, n_mels, preemphasis, max_samples, &read, pad, workers)?;
    matrices_or_errors(py, results, errors)
}

/// Parakeet's features of many inputs as one padded batch: each input's features as
/// [`parakeet_inputs`] gives them (the first failure raised), then `frames_for(lengths)`
/// (Python's padding rule: the frames of the padded length), and each input's features copied
/// into its slot of one array `(len(inputs), frames, n_mels)` float32, zeros after its own
/// frames: `(array, per input the samples used)`.
#[pyfunction]
#[pyo3(signature = (inputs, *, n_mels, preemphasis, max_samples, frames_for, read, pad, workers))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn parakeet_batch<'py>(
    py: Python<'py>,
    inputs: Vec<Bound<'py, PyAny>>,
    n_mels: i64,
    preemphasis: Option<f64>,
    max_samples: Option<i64>,
    frames_for: Bound<'py, PyAny>,
    read: ReadArgs,
    pad: bool,
    workers: Option<i64>,
) -> PyResult<(Bound<'py, PyAny>, Vec<usize>)> {
    let features = parakeet_each(py, &inputs, n_mels, preemphasis, max_samples, &read, pad, workers)?
        .into_iter()
        .collect::<crate::dsp::Result<Vec<(Matrix, usize)>>>()
        .map_err(to_py)?;
    let lengths: Vec<usize> = features.iter().map(|(_, n)| *n).collect();
    let frames: usize = frames_for.call1((lengths.clone(),))?.extract()?;
    let n_mels = check(fit::<usize>("feature_size", n_mels))?;
    let longest = features.iter().map(|(m, _)| m.rows).max().unwrap_or(0);
    if frames < longest {
        return Err(to_py(crate::dsp::Error::Internal(format!("{frames} frames for inputs of up to {longest}"))));
    }
    // Each input's features copied into its slot, in parallel (a batch of long inputs is
    // hundreds of MB, written once), of an array numpy allocates (on huge pages where the
    // system gives them on request, as numpy asks for large arrays: 4 kB pages cost a fault
    // each).
    let array = PyArray3::<f32>::zeros(py, [features.len(), frames, n_mels], false);
    let mut view = array.readwrite();
    let data = view.as_slice_mut().expect("a new array is contiguous");
    let workers = check(fit_opt("workers", workers))?;
    check(py.detach(|| {
        run_parallel_into(workers, &features, data, frames * n_mels, |(m, _), slot| {
            slot[..m.data.len()].copy_from_slice(&m.data);
            Ok(())
        })
    }))?;
    drop(view);
    Ok((array.into_any(), lengths))
}

/// Per input, Parakeet's features and the samples used, or its failure (see
/// [`parakeet_inputs`]).
#[allow(clippy::too_many_arguments)]
fn parakeet_each(
    py: Python<'_>,
    inputs: &[Bound<'_, PyAny>],
    n_mels: i64,
    preemphasis: Option<f64>,
    max_samples: Option<i64>,
    read: &ReadArgs,
    pad: bool,
    workers: Option<i64>,
) -> PyResult<Vec<crate::dsp::Result<(Matrix, usize)>>> {
    let front = check(ParakeetFeatures::new(check(fit("feature_size", n_mels))?, preemphasis))?;
    let (max_samples, workers) =
        (check(fit_opt::<usize>("max_length", max_samples))?, check(fit_opt("workers", workers))?);
    let inputs = inputs.iter().map(AudioArg::extract).collect::<PyResult<Vec<_>>>()?;
    let views: Vec<AudioView<'_>> = inputs.iter().map(AudioArg::view).collect();
    let read = max_samples.map_or(read.options(), |n| read.options().keeping(n, parakeet::SAMPLE_RATE));
    check(py.detach(|| {
        run_parallel(workers, &views, |audio| {
            // Owned (a copy of an array input, which stays as it is): pre-emphasised in place.
            let mut y = audio.mono(parakeet::SAMPLE_RATE as u32, &read, pad)?.into_owned();
            y.truncate(max_samples.unwrap_or(usize::MAX));
            Ok((front.compute(&mut y)?, y.len()))
        })
    }))
}
