//! Audio in: `load` of one input and `load_batch` of many, decoded (with the reductions a
//! [`DecodeRequest`](crate::dsp::decode::DecodeRequest) allows and seeking to the offset),
//! mixed to mono and resampled in `crate::dsp` with the GIL released. Conversion only.

use numpy::ndarray::{Array1, Array2};
use numpy::IntoPyArray;
use pyo3::prelude::*;

use super::args::{fit_opt, input, ReadArgs};
use super::{check, err_value};
use crate::dsp::decode::{Audio, ReadOptions};
use crate::dsp::error::guarded;
use crate::dsp::pipeline::load_audio;
use crate::dsp::pool::run_parallel;

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
    Ok(samples(py, audio, mono))
}

/// [`load`] of every input, in parallel on `workers` threads with the GIL released: per
/// input `(samples, sr)`, or its exception (an instance) in its place.
#[pyfunction]
#[pyo3(signature = (inputs, *, sr, mono, read, workers))]
pub(crate) fn load_batch<'py>(
    py: Python<'py>,
    inputs: Vec<Bound<'py, PyAny>>,
    sr: Option<i64>,
    mono: bool,
    read: ReadArgs,
    workers: Option<i64>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let (sr, workers) = (check(fit_opt("sr", sr))?, check(fit_opt("workers", workers))?);
    let read = read.options();
    // Wrong for every input: an error of the call, not of each input.
    check(read.validate())?;
    let inputs = inputs.iter().map(input).collect::<PyResult<Vec<_>>>()?;
    let results = check(py.detach(|| run_parallel(workers, &inputs, |input| load_audio(input, sr, mono, &read))))?;
    results
        .into_iter()
        .map(|r| match r {
            Ok(audio) => Ok(samples(py, audio, mono).into_pyobject(py)?.into_any()),
            Err(e) => Ok(err_value(py, e)),
        })
        .collect()
}

/// `(samples, rate)` of `audio`: `(n,)` when `mono`, else its interleaved samples `(n,
/// channels)` (the Python layer returns their transpose, a view, as librosa does).
fn samples(py: Python<'_>, audio: Audio, mono: bool) -> (Bound<'_, PyAny>, u32) {
    let sr = audio.sample_rate;
    let array = if mono {
        Array1::from_vec(audio.samples).into_pyarray(py).into_any()
    } else {
        let shape = (audio.frames(), audio.channels);
        Array2::from_shape_vec(shape, audio.samples).expect("shape matches").into_pyarray(py).into_any()
    };
    (array, sr)
}
