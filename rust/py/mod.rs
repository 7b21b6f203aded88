//! PyO3 bindings: argument conversion, GIL release, numpy in and out, error mapping.
//! No signal processing here; everything is delegated to `crate::dsp`.

use std::path::{Path, PathBuf};

use numpy::ndarray::{Array1, Array2, Array3, ArrayD};
use numpy::{Element, IntoPyArray, PyArrayDyn, PyReadonlyArray2, PyReadonlyArrayDyn};
use pyo3::exceptions::{PyFileNotFoundError, PyIsADirectoryError, PyOSError, PyPermissionError};
use pyo3::prelude::*;

use crate::dsp::batch::{guarded, load_audio, pool, run_parallel, Pipeline};
use crate::dsp::db;
use crate::dsp::decode::ReadOptions;
use crate::dsp::mel::{MelFilterBank, MelNorm, MelParams};
use crate::dsp::render::{Colormap, ImageParams};
use crate::dsp::scale::FreqScale;
use crate::dsp::spectrogram::{MelSpecParams, MelSpectrogram};
use crate::dsp::stft::{PadMode, StftParams, Window};
use crate::dsp::Error;

mod streaming;

pyo3::import_exception!(spectrust.errors, SpectrustError);
pyo3::import_exception!(spectrust.errors, DecodeError);
pyo3::import_exception!(spectrust.errors, UnsupportedFormatError);
pyo3::import_exception!(spectrust.errors, ParameterError);

/// Maps a core error to the Python exception users expect.
fn to_py(err: Error) -> PyErr {
    let msg = err.to_string();
    match err {
        Error::NotFound { path } => PyFileNotFoundError::new_err((2, "No such file or directory", path)),
        Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
            std::io::ErrorKind::IsADirectory => PyIsADirectoryError::new_err(msg),
            _ => PyOSError::new_err(msg),
        },
        Error::Decode { .. } => DecodeError::new_err(msg),
        Error::Unsupported { .. } => UnsupportedFormatError::new_err(msg),
        Error::Parameter(_) => ParameterError::new_err(msg),
        Error::Encode { .. } => SpectrustError::new_err(msg),
    }
}

fn check<T>(r: crate::dsp::Result<T>) -> PyResult<T> {
    r.map_err(to_py)
}

/// A window given by scipy name or by its values.
#[derive(FromPyObject)]
enum WindowArg {
    Name(String),
    Values(Vec<f32>),
}

/// `norm`: "slaney" or a p-norm order (None is `Option::None`).
#[derive(FromPyObject)]
enum NormArg {
    Name(String),
    Order(f64),
}

/// librosa's mel spectrogram parameters, passed from Python as a dict.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct MelArgs {
    n_fft: usize,
    hop_length: usize,
    win_length: Option<usize>,
    window: WindowArg,
    center: bool,
    pad_mode: String,
    power: f32,
    n_mels: usize,
    fmin: f64,
    fmax: Option<f64>,
    htk: bool,
    norm: Option<NormArg>,
}

fn mel_norm(norm: Option<NormArg>) -> crate::dsp::Result<MelNorm> {
    match norm {
        None => Ok(MelNorm::None),
        Some(NormArg::Name(s)) if s == "slaney" => Ok(MelNorm::Slaney),
        Some(NormArg::Name(s)) => Err(Error::Parameter(format!("unsupported norm {s:?}; expected 'slaney', None or a number"))),
        Some(NormArg::Order(p)) => Ok(MelNorm::P(p)),
    }
}

impl MelArgs {
    fn params(self, sr: f64) -> crate::dsp::Result<MelSpecParams> {
        let window = match self.window {
            WindowArg::Name(name) => Window::from_name(&name)?,
            WindowArg::Values(v) => Window::Custom(v),
        };
        Ok(MelSpecParams {
            stft: StftParams {
                n_fft: self.n_fft,
                hop_length: self.hop_length,
                win_length: self.win_length.unwrap_or(self.n_fft),
                window,
                center: self.center,
                pad_mode: PadMode::from_name(&self.pad_mode)?,
            },
            power: self.power,
            mel: MelParams {
                sr,
                n_fft: self.n_fft,
                n_mels: self.n_mels,
                fmin: self.fmin,
                fmax: self.fmax,
                htk: self.htk,
                norm: mel_norm(self.norm)?,
            },
        })
    }
}

/// Image settings, passed from Python as a dict.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ImageArgs {
    width: u32,
    height: u32,
    colormap: String,
    rgb: [f32; 3],
    top_db: f64,
    quality: u8,
    noise_percentile: Option<f64>,
}

impl ImageArgs {
    fn params(self) -> crate::dsp::Result<ImageParams> {
        let p = ImageParams {
            width: self.width,
            height: self.height,
            colormap: Colormap::from_name(&self.colormap)?,
            rgb: self.rgb,
            top_db: self.top_db,
            quality: self.quality,
            noise_percentile: self.noise_percentile,
        };
        p.validate()?;
        Ok(p)
    }
}

fn read_options(offset: f64, duration: Option<f64>, max_duration: Option<f64>) -> ReadOptions {
    ReadOptions { offset, duration, max_duration }
}

/// Decodes `path` from `offset` for `duration` seconds (resampled to `sr` if given):
/// `(samples, sr)`, samples `(n,)` when `mono`, else `(n, channels)`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn load<'py>(
    py: Python<'py>,
    path: PathBuf,
    sr: Option<u32>,
    mono: bool,
    offset: f64,
    duration: Option<f64>,
    max_duration: Option<f64>,
) -> PyResult<(Bound<'py, PyAny>, u32)> {
    let read = read_options(offset, duration, max_duration);
    let audio = check(py.detach(|| guarded(|| load_audio(&path, sr, mono, &read))))?;
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

/// Mel spectrograms of the rows of `y` (`(rows, n)` float32): `(rows, n_mels, frames)`.
#[pyfunction]
fn melspectrogram<'py>(
    py: Python<'py>,
    y: PyReadonlyArray2<'py, f32>,
    sr: f64,
    params: MelArgs,
    workers: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let params = check(params.params(sr))?;
    let n = y.as_array().ncols();
    let rows: Vec<Vec<f32>> = y.as_array().outer_iter().map(|r| r.to_vec()).collect();
    let result = py.detach(move || -> crate::dsp::Result<_> {
        let ms = MelSpectrogram::new(&params)?;
        let shape = (rows.len(), ms.n_mels(), ms.stft().n_frames(n)?);
        let specs = run_parallel(workers, &rows, |row| ms.compute(row, true))?;
        let mut data = Vec::with_capacity(shape.0 * shape.1 * shape.2);
        for spec in specs {
            data.extend_from_slice(&spec?.data);
        }
        Ok((shape, data))
    });
    let (shape, data) = check(result)?;
    Ok(Array3::from_shape_vec(shape, data).expect("shape matches").into_pyarray(py).into_any())
}

/// Mel spectrograms of whole files: a list with, per path, an array `(n_mels, frames)` or the
/// exception instance for that file (the Python layer raises it or not).
#[pyfunction]
fn melspectrogram_files<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    params: MelArgs,
    sr: Option<u32>,
    workers: Option<usize>,
    max_duration: Option<f64>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let params = check(params.params(22050.0))?;
    let results = check(py.detach(move || {
        let pipeline = Pipeline::new(params, sr, read_options(0.0, None, max_duration))?;
        run_parallel(workers, &paths, |p: &PathBuf| pipeline.mel_file(p))
    }))?;
    results
        .into_iter()
        .map(|r| match r {
            Ok(m) => Ok(Array2::from_shape_vec((m.rows, m.cols), m.data).expect("shape matches").into_pyarray(py).into_any()),
            Err(e) => Ok(to_py(e).into_value(py).into_bound(py).into_any()),
        })
        .collect()
}

/// How image inputs are read and analysed, passed from Python as a dict.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct SourceArgs {
    sr: Option<u32>,
    max_duration: Option<f64>,
    scale: String,
}

impl SourceArgs {
    fn pipeline(self, params: MelSpecParams) -> crate::dsp::Result<Pipeline> {
        let read = read_options(0.0, None, self.max_duration);
        Pipeline::with_scale(params, self.sr, read, FreqScale::from_name(&self.scale)?)
    }
}

/// Renders `(input, output)` pairs to images. Returns one entry per job: None on success,
/// else the exception instance for it (its message is the one-line error).
#[pyfunction]
fn render_files<'py>(
    py: Python<'py>,
    jobs: Vec<(PathBuf, PathBuf)>,
    params: MelArgs,
    image: ImageArgs,
    source: SourceArgs,
    workers: Option<usize>,
) -> PyResult<Vec<Option<Bound<'py, PyAny>>>> {
    let params = check(params.params(22050.0))?;
    let image = check(image.params())?;
    let results = check(py.detach(move || {
        let pipeline = source.pipeline(params)?;
        run_parallel(workers, &jobs, |(input, output): &(PathBuf, PathBuf)| {
            pipeline.render_file(Path::new(input), Path::new(output), &image)
        })
    }))?;
    Ok(results.into_iter().map(|r| r.err().map(|e| to_py(e).into_value(py).into_bound(py).into_any())).collect())
}

/// Renders `input` as a frame sequence in `out_dir`: `[(path, start_s, end_s), ...]`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn render_frames(
    py: Python<'_>,
    input: PathBuf,
    out_dir: PathBuf,
    params: MelArgs,
    image: ImageArgs,
    source: SourceArgs,
    frame_duration: f64,
    suffix: String,
    workers: Option<usize>,
) -> PyResult<Vec<(String, f64, f64)>> {
    let params = check(params.params(22050.0))?;
    let image = check(image.params())?;
    let frames = check(py.detach(move || {
        let pipeline = source.pipeline(params)?;
        pool(workers)?.install(|| guarded(|| pipeline.render_frames(&input, &out_dir, &image, frame_duration, &suffix)))
    }))?;
    Ok(frames.into_iter().map(|f| (f.path.to_string_lossy().into_owned(), f.start, f.end)).collect())
}

fn db_array<'py, T: Element + num_traits::Float>(
    py: Python<'py>,
    s: PyReadonlyArrayDyn<'py, T>,
    ref_value: f64,
    amin: f64,
    top_db: Option<f64>,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let mut owned: ArrayD<T> = s.as_array().as_standard_layout().into_owned();
    let slice = owned.as_slice_mut().expect("standard layout is contiguous");
    check(py.detach(|| db::power_to_db(slice, ref_value, amin, top_db)))?;
    Ok(owned.into_pyarray(py))
}

/// `power_to_db` on a float32 or float64 array (same dtype out).
#[pyfunction]
fn power_to_db<'py>(
    py: Python<'py>,
    s: &Bound<'py, PyAny>,
    ref_value: f64,
    amin: f64,
    top_db: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(a) = s.extract::<PyReadonlyArrayDyn<'py, f32>>() {
        Ok(db_array(py, a, ref_value, amin, top_db)?.into_any())
    } else {
        Ok(db_array(py, s.extract::<PyReadonlyArrayDyn<'py, f64>>()?, ref_value, amin, top_db)?.into_any())
    }
}

/// The dense mel filterbank `(n_mels, 1 + n_fft // 2)` float32 (`librosa.filters.mel`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn mel_filters<'py>(
    py: Python<'py>,
    sr: f64,
    n_fft: usize,
    n_mels: usize,
    fmin: f64,
    fmax: Option<f64>,
    htk: bool,
    norm: Option<NormArg>,
) -> PyResult<Bound<'py, PyAny>> {
    let p = MelParams { sr, n_fft, n_mels, fmin, fmax, htk, norm: check(mel_norm(norm))? };
    let fb = check(MelFilterBank::new(&p))?;
    let dense = Array2::from_shape_vec((fb.n_mels(), fb.n_bins()), fb.dense()).expect("shape matches");
    Ok(dense.into_pyarray(py).into_any())
}

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(melspectrogram, m)?)?;
    m.add_function(wrap_pyfunction!(melspectrogram_files, m)?)?;
    m.add_function(wrap_pyfunction!(render_files, m)?)?;
    m.add_function(wrap_pyfunction!(render_frames, m)?)?;
    m.add_function(wrap_pyfunction!(power_to_db, m)?)?;
    m.add_function(wrap_pyfunction!(mel_filters, m)?)?;
    m.add_class::<streaming::StreamingSpectrogram>()?;
    m.add("COLORMAPS", Colormap::NAMES.to_vec())?;
    m.add("SCALES", FreqScale::NAMES.to_vec())?;
    m.add("AUDIO_EXTENSIONS", pyo3::types::PyTuple::new(m.py(), crate::dsp::decode::EXTENSIONS)?)?;
    Ok(())
}
