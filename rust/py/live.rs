//! Binding of the live view's spectrogram (`crate::dsp::live`): conversion only.

use numpy::ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::args::{fit, fit_opt, WindowArg};
use super::check;
use crate::dsp::error::guarded;
use crate::dsp::filterbank::FreqScale;
use crate::dsp::live::{StreamingParams, StreamingSpectrogram as Inner, DB_FLOOR};
use crate::dsp::stft::StftParams;

/// A spectrogram computed as audio arrives: push samples, pull columns.
///
/// Column ``t`` is the short-time spectrum of samples ``t * hop_length`` to
/// ``t * hop_length + n_fft`` of everything pushed so far (an uncentred STFT), so pushing a
/// signal in one block or in many blocks of any sizes gives the same columns. Each power
/// spectrum is reduced to the bands of a log, mel or linear frequency axis. Levels are in
/// dB re full scale: a full-scale sine reads about 0 dB in the band nearest its frequency
/// (exactly 0 dB at an FFT bin's centre on the linear axis), silence ``db_floor`` (-120 dB).
/// The work runs in Rust with the GIL released.
///
/// Parameters
/// ----------
/// sr : float > 0
///     Sample rate of the pushed audio, in Hz.
/// n_fft : int >= 2
///     FFT length in samples (default 2048).
/// hop_length : int > 0 or None
///     Samples between the starts of successive columns (default ``win_length // 4``, as
///     librosa).
/// win_length : int or None
///     Window length in samples, at most ``n_fft`` (default ``n_fft``).
/// window : str or sequence of float
///     ``"hann"`` (default), ``"hamming"``, ``"blackman"``, ``"boxcar"``, or
///     ``win_length`` window values.
/// scale : {"log", "mel", "linear"}
///     Frequency axis (default ``"log"``): ``n_bins`` bands evenly spaced in log-frequency,
///     ``n_bins`` mel bands (Slaney's scale), or the FFT bins themselves.
/// n_bins : int or None
///     Number of log or mel bands (default ``None``: 256; ignored by ``"linear"``).
/// fmin : float >= 0 or None
///     Lowest centre frequency in Hz (default ``None``: 20 Hz; must be > 0 for ``"log"``).
/// fmax : float or None
///     Highest centre frequency in Hz, at most ``sr / 2`` (default: 20000 Hz, or ``sr / 2``
///     when lower).
///
/// Attributes
/// ----------
/// frequencies : np.ndarray [shape=(n_bins,), dtype=float32]
///     Centre frequency in Hz of each value of a column, ascending.
/// n_bins : int
///     Values per column (for ``"linear"``, the FFT bins from ``fmin`` to ``fmax``).
/// sr, n_fft, hop_length, scale : float, int, int, str
///     The settings in force.
/// available : int
///     Columns ready to pull.
/// produced : int
///     Columns computed since the start or the last ``reset()``; column ``t`` is centred
///     on sample ``t * hop_length + n_fft // 2`` of the stream.
/// db_floor : float
///     The lowest level of a column, in dB (-120).
///
/// Raises
/// ------
/// ParameterError
///     A parameter is out of range.
///
/// Examples
/// --------
/// >>> s = spectrust.StreamingSpectrogram(48000, n_fft=4096)
/// >>> s.push(block)          # float32 or float64 samples, shape (n,)
/// >>> cols = s.pull()        # float32 dB, shape (columns, s.n_bins)
#[pyclass(module = "spectrust._core")]
pub struct StreamingSpectrogram {
    inner: Inner,
    scale: String,
}

#[pymethods]
impl StreamingSpectrogram {
    #[new]
    #[pyo3(signature = (
        sr, *, n_fft=2048, hop_length=None, win_length=None, window=WindowArg::Name("hann".into()),
        scale="log", n_bins=None, fmin=None, fmax=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        sr: f64,
        n_fft: i64,
        hop_length: Option<i64>,
        win_length: Option<i64>,
        window: WindowArg,
        scale: &str,
        n_bins: Option<i64>,
        fmin: Option<f64>,
        fmax: Option<f64>,
    ) -> PyResult<Self> {
        let params = check((|| {
            let defaults = StreamingParams::new(sr, fit("n_fft", n_fft)?);
            let win_length = fit_opt("win_length", win_length)?.unwrap_or(defaults.n_fft);
            Ok(StreamingParams {
                hop_length: fit_opt("hop_length", hop_length)?.unwrap_or(StftParams::default_hop(win_length)),
                win_length,
                window: window.window()?,
                scale: FreqScale::from_name(scale)?,
                n_bins: fit_opt("n_bins", n_bins)?.unwrap_or(defaults.n_bins),
                fmin: fmin.unwrap_or(defaults.fmin),
                fmax: fmax.or(defaults.fmax),
                ..defaults
            })
        })())?;
        Ok(StreamingSpectrogram { inner: check(Inner::new(&params))?, scale: scale.to_owned() })
    }

    /// Appends samples to the stream and computes the columns they complete.
    ///
    /// Parameters
    /// ----------
    /// samples : np.ndarray [shape=(n,), dtype=float32 or float64]
    ///     Mono samples at ``sr``, nominally in -1..1 (any number, none included).
    ///
    /// Returns
    /// -------
    /// available : int
    ///     The number of columns ready to pull.
    ///
    /// Raises
    /// ------
    /// TypeError
    ///     ``samples`` is not a 1-D float32 or float64 numpy array.
    fn push(&mut self, py: Python<'_>, samples: &Bound<'_, PyAny>) -> PyResult<usize> {
        let samples: Vec<f32> = if let Ok(a) = samples.extract::<PyReadonlyArray1<'_, f32>>() {
            a.as_array().to_vec()
        } else if let Ok(a) = samples.extract::<PyReadonlyArray1<'_, f64>>() {
            a.as_array().iter().map(|&x| x as f32).collect()
        } else {
            return Err(PyTypeError::new_err("samples must be a 1-D float32 or float64 numpy array"));
        };
        let inner = &mut self.inner;
        check(py.detach(move || guarded(|| Ok(inner.push(&samples)))))
    }

    /// Removes and returns the oldest ready columns.
    ///
    /// Parameters
    /// ----------
    /// max_columns : int >= 0 or None
    ///     The most columns to take (default ``None``: all that are ready).
    ///
    /// Returns
    /// -------
    /// columns : np.ndarray [shape=(columns, n_bins), dtype=float32]
    ///     Levels in dB re full scale, oldest column first.
    ///
    /// Raises
    /// ------
    /// ParameterError
    ///     ``max_columns`` is negative.
    #[pyo3(signature = (max_columns=None))]
    fn pull<'py>(&mut self, py: Python<'py>, max_columns: Option<i64>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let (n, values) = self.inner.pull(check(fit_opt("max_columns", max_columns))?);
        Ok(Array2::from_shape_vec((n, self.inner.n_bins()), values).expect("shape matches").into_pyarray(py))
    }

    /// Forgets every pushed sample and every column not yet pulled; the next column is
    /// column 0 of a new stream.
    ///
    /// Returns
    /// -------
    /// None
    ///
    /// Raises
    /// ------
    /// Nothing.
    fn reset(&mut self) {
        self.inner.reset();
    }

    #[getter]
    fn frequencies<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        Array1::from_vec(self.inner.frequencies().to_vec()).into_pyarray(py)
    }

    #[getter]
    fn n_bins(&self) -> usize {
        self.inner.n_bins()
    }

    #[getter]
    fn sr(&self) -> f64 {
        self.inner.sample_rate()
    }

    #[getter]
    fn n_fft(&self) -> usize {
        self.inner.n_fft()
    }

    #[getter]
    fn hop_length(&self) -> usize {
        self.inner.hop_length()
    }

    #[getter]
    fn scale(&self) -> &str {
        &self.scale
    }

    #[getter]
    fn available(&self) -> usize {
        self.inner.available()
    }

    #[getter]
    fn produced(&self) -> u64 {
        self.inner.produced()
    }

    #[getter]
    fn db_floor(&self) -> f32 {
        DB_FLOOR
    }

    fn __repr__(&self) -> String {
        format!(
            "StreamingSpectrogram(sr={}, n_fft={}, hop_length={}, scale={:?}, n_bins={})",
            self.inner.sample_rate(),
            self.inner.n_fft(),
            self.inner.hop_length(),
            self.scale,
            self.inner.n_bins()
        )
    }
}
