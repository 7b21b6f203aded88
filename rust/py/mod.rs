//! PyO3 bindings: argument conversion, GIL release, numpy in and out, error mapping. No
//! signal processing here; everything is delegated to `crate::dsp`.
//!
//! `args` converts parameters, `inputs` the audio inputs of the feature functions,
//! `features` is the array API, `frontends` the front ends of many inputs, `images` the image API's
//! `Renderer`, `live` the `StreamingSpectrogram`.

mod args;
mod arrays;
mod audio;
mod features;
mod frontends;
mod images;
mod inputs;
mod live;

use pyo3::exceptions::{PyFileNotFoundError, PyIsADirectoryError, PyOSError, PyPermissionError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::dsp::decode::EXTENSIONS;
use crate::dsp::encode::ImageFormat;
use crate::dsp::filterbank::FreqScale;
use crate::dsp::image::Colormap;
use crate::dsp::Error;

pyo3::import_exception!(spectrust.errors, SpectrustError);
pyo3::import_exception!(spectrust.errors, DecodeError);
pyo3::import_exception!(spectrust.errors, UnsupportedFormatError);
pyo3::import_exception!(spectrust.errors, TooLongError);
pyo3::import_exception!(spectrust.errors, EmptyAudioError);
pyo3::import_exception!(spectrust.errors, ParameterError);
pyo3::import_exception!(spectrust.errors, InternalError);

/// Maps a core error to the Python exception documented for it (`spectrust/errors.py`).
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
        Error::TooLong { .. } => TooLongError::new_err(msg),
        Error::Empty { .. } => EmptyAudioError::new_err(msg),
        Error::Parameter(_) => ParameterError::new_err(msg),
        Error::Encode { .. } => SpectrustError::new_err(msg),
        Error::Internal(_) => InternalError::new_err(msg),
    }
}

fn check<T>(r: crate::dsp::Result<T>) -> PyResult<T> {
    r.map_err(to_py)
}

/// The exception instance for `err`, returned (not raised) in a per-item result list.
fn err_value(py: Python<'_>, err: Error) -> Bound<'_, PyAny> {
    to_py(err).into_value(py).into_bound(py).into_any()
}

/// How this build of spectrust encodes and computes, found at run time.
///
/// Speed depends on how the extension was built: JPEG images are encoded by libjpeg-turbo
/// with its SIMD code (a build where NASM was installed, see the README) or else by the pure
/// Rust jpeg-encoder, about 3x slower; the DSP kernels pick AVX2 (and rustfft AVX/FMA or
/// SSE4.1) where the CPU has them.
///
/// Returns
/// -------
/// dict
///     ``"version"`` (str): the version of the extension.
///     ``"jpeg_encoder"`` (str): the JPEG encoder and its version, e.g.
///     ``"libjpeg-turbo 3.1.0"`` or ``"jpeg-encoder 0.7.1"``.
///     ``"jpeg_simd"`` (bool): whether the encoder's SIMD code is compiled in and runs on
///     this CPU (libjpeg-turbo's is switched off by ``JSIMD_FORCENONE=1`` in the
///     environment; jpeg-encoder's is its AVX2 code).
///     ``"cpu_features"`` (list of str): the CPU features, among those the kernels choose
///     between at run time, that this CPU has (``"sse4.1"``, ``"avx"``, ``"fma"``,
///     ``"avx2"``; ``"neon"`` on Arm).
///     ``"opus_decoder"`` (str or None): the Opus decoder built in (libopus's version string, or
///     ``"libopus, as bundled by audiopus_sys 0.2.2"`` for the source that records none), or
///     None for a build without it (Opus is then an unsupported codec).
///     ``"optimized"`` (bool): whether the extension is a release build (a debug build is
///     many times slower).
///
/// Raises
/// ------
/// Nothing.
///
/// Examples
/// --------
/// >>> spectrust.build_info()["jpeg_encoder"]
/// 'libjpeg-turbo 3.1.0'
#[pyfunction]
fn build_info(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let info = crate::dsp::info::build_info();
    let d = PyDict::new(py);
    d.set_item("version", env!("CARGO_PKG_VERSION"))?;
    d.set_item("jpeg_encoder", info.jpeg_encoder)?;
    d.set_item("jpeg_simd", info.jpeg_simd)?;
    d.set_item("cpu_features", info.cpu_features)?;
    d.set_item("opus_decoder", info.opus_decoder)?;
    d.set_item("optimized", info.optimized)?;
    Ok(d)
}

/// Threads that spectrust's parallel functions use when ``workers`` is None.
///
/// One per core (``os.cpu_count()``), except in a process forked (``os.fork``, a
/// multiprocessing or PyTorch DataLoader worker) from one that had already run spectrust on
/// several threads: there, one, as in Hugging Face tokenizers, so that ``n`` forked workers do
/// not start ``n`` threads per core between them. An explicit ``workers=`` is always obeyed.
///
/// Returns
/// -------
/// int
///     The number of threads, at least 1.
///
/// Raises
/// ------
/// Nothing.
#[pyfunction]
fn default_workers() -> usize {
    crate::dsp::pool::default_workers()
}

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(audio::load, m)?)?;
    m.add_function(wrap_pyfunction!(audio::load_batch, m)?)?;
    m.add_function(wrap_pyfunction!(features::melspectrogram, m)?)?;
    m.add_function(wrap_pyfunction!(features::resample, m)?)?;
    m.add_function(wrap_pyfunction!(features::log_mel_spectrogram, m)?)?;
    m.add_function(wrap_pyfunction!(features::dct, m)?)?;
    m.add_function(wrap_pyfunction!(features::mfcc, m)?)?;
    m.add_function(wrap_pyfunction!(features::power_to_db, m)?)?;
    m.add_function(wrap_pyfunction!(features::mel_filters, m)?)?;
    m.add_function(wrap_pyfunction!(frontends::features, m)?)?;
    m.add_function(wrap_pyfunction!(build_info, m)?)?;
    m.add_function(wrap_pyfunction!(default_workers, m)?)?;
    m.add_class::<images::Renderer>()?;
    m.add_class::<live::StreamingSpectrogram>()?;
    m.add("COLORMAPS", PyTuple::new(m.py(), Colormap::NAMES)?)?;
    m.add("SCALES", PyTuple::new(m.py(), FreqScale::NAMES)?)?;
    m.add("WINDOWS", PyTuple::new(m.py(), crate::dsp::stft::Window::NAMES)?)?;
    m.add("IMAGE_FORMATS", PyTuple::new(m.py(), ImageFormat::SUFFIXES)?)?;
    m.add("AUDIO_EXTENSIONS", PyTuple::new(m.py(), EXTENSIONS)?)?;
    Ok(())
}
