//! The one binding path of the front ends: a front end is its parameters and its final steps
//! ([`Front`]); the inputs ([`AudioArg`]), the parallel map, the errors and the output
//! assembly ([`features`]) are written once for all of them.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use numpy::ndarray::{Array2, Array3};
use numpy::{IntoPyArray, PyArray3, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::args::{fit, fit_opt, FbankArgs, MelArgs, ReadArgs};
use super::inputs::{AudioArg, AudioView};
use super::{check, err_value, to_py};
use crate::dsp::db;
use crate::dsp::decode::ReadOptions;
use crate::dsp::features::ast::{self, AstFeatures};
use crate::dsp::features::kaldi::{normalize_columns, stream_seed, Fbank};
use crate::dsp::features::parakeet::{self, ParakeetFeatures};
use crate::dsp::features::{self as fronts, whisper, Dct, WhisperLogMel};
use crate::dsp::pipeline::Pipeline;
use crate::dsp::pool::{run_parallel, run_parallel_into};
use crate::dsp::spectrogram::Matrix;
use crate::dsp::{Error, Result};

/// A front end, planned: its parameters and its final steps.
pub(crate) enum Front {
    /// librosa's mel spectrogram (of each input at `sr`, or a file's own rate), then with `db`
    /// (`(ref_value, amin, top_db)`, `ref_value` None: the spectrogram's maximum) its
    /// `power_to_db`, or with `dct` (`(dct, lifter)`) librosa's MFCCs.
    Mel { pipeline: Box<Pipeline>, db: Option<(Option<f64>, f64, Option<f64>)>, dct: Option<(Arc<Dct>, f64)> },
    /// Kaldi's filterbank of the samples times `scale`; with `normalize` (`(ddof, eps)`) each
    /// band normalised over the input's frames (SeamlessM4T's).
    Fbank { fb: Arc<Fbank>, sr: u32, scale: f32, normalize: Option<(usize, f64)>, seed: u64 },
    /// The Audio Spectrogram Transformer's.
    Ast(AstFeatures),
    /// Parakeet's, of at most `max_samples` samples.
    Parakeet { front: ParakeetFeatures, max_samples: Option<usize> },
    /// Whisper's, of the samples padded with zeros or cut to `samples`; with `normalize`, the
    /// input's own samples first normalised to zero mean and unit variance (transformers'
    /// `do_normalize`).
    Whisper { front: WhisperLogMel, samples: usize, normalize: bool },
}

impl Front {
    /// The front end `kind` with the parameters `p` (`spectrust._params`' front-end dicts),
    /// reading files as `read` says at `sr` Hz (None: each file's own rate; the mel front end
    /// only).
    fn new(kind: &str, p: &Bound<'_, PyDict>, sr: Option<u32>, read: ReadOptions) -> PyResult<Self> {
        let item = |name: &str| -> PyResult<Bound<'_, PyAny>> {
            p.get_item(name)?.ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(name.to_string()))
        };
        let front = match kind {
            "mel" => {
                let params = check(item("params")?.extract::<MelArgs>()?.params(0.0))?;
                let db: Option<(Option<f64>, f64, Option<f64>)> = item("db")?.extract()?;
                if let Some((_, amin, top_db)) = db {
                    check(db::check(amin, top_db, false))?;
                }
                let dct = match item("dct")?.extract::<Option<(i64, i64, Option<String>, f64)>>()? {
                    Some((dct_type, n_mfcc, norm, lifter)) => {
                        let d = check(mfcc_dct(dct_type, params.mel.n_mels, n_mfcc, norm.as_deref()))?;
                        check(d.check_lifter(lifter))?;
                        Some((d, lifter))
                    }
                    None => None,
                };
                Front::Mel { pipeline: Box::new(check(Pipeline::new(params, sr, read))?), db, dct }
            }
            "fbank" => {
                let params = check(item("params")?.extract::<FbankArgs>()?.params())?;
                let rate = check(super::args::whole_hz("sample_frequency", params.sr))?;
                Front::Fbank {
                    fb: check(Fbank::planned(&params))?,
                    sr: rate,
                    scale: item("scale")?.extract()?,
                    normalize: item("normalize")?.extract()?,
                    seed: item("seed")?.extract()?,
                }
            }
            "ast" => {
                let bins = check(fit("num_mel_bins", item("num_mel_bins")?.extract()?))?;
                let frames = check(fit("max_length", item("max_length")?.extract()?))?;
                Front::Ast(check(AstFeatures::new(bins, frames, item("normalize")?.extract()?))?)
            }
            "parakeet" => {
                let n_mels = check(fit("feature_size", item("feature_size")?.extract()?))?;
                let front = check(ParakeetFeatures::new(n_mels, item("preemphasis")?.extract()?))?;
                Front::Parakeet { front, max_samples: check(fit_opt("max_length", item("max_samples")?.extract()?))? }
            }
            "whisper" => {
                let n_mels = check(fit("feature_size", item("feature_size")?.extract()?))?;
                let samples: usize = check(fit("max_length", item("samples")?.extract()?))?;
                if samples < whisper::HOP_LENGTH {
                    return Err(to_py(Error::Parameter(format!(
                        "max_length must be at least 160 samples, got {samples}"
                    ))));
                }
                let normalize = item("normalize")?.extract()?;
                Front::Whisper { front: check(WhisperLogMel::new(n_mels))?, samples, normalize }
            }
            other => return Err(to_py(Error::Internal(format!("no front end {other:?}")))),
        };
        Ok(front)
    }

    /// The rate inputs are analysed at (None: each file's own; the mel front end's `sr`).
    fn rate(&self) -> Option<u32> {
        match self {
            Front::Mel { pipeline, .. } => pipeline.sr(),
            Front::Fbank { sr, .. } => Some(*sr),
            Front::Ast(_) => Some(ast::SAMPLE_RATE as u32),
            Front::Parakeet { .. } => Some(parakeet::SAMPLE_RATE as u32),
            Front::Whisper { .. } => Some(whisper::SAMPLE_RATE),
        }
    }

    /// `read` no further than the samples the front end uses.
    fn reading(&self, read: ReadOptions) -> ReadOptions {
        let rate = f64::from(self.rate().unwrap_or(1));
        match self {
            Front::Ast(front) => read.keeping(front.samples_used(), rate),
            Front::Parakeet { max_samples: Some(n), .. } => read.keeping(*n, rate),
            Front::Whisper { samples, .. } => read.keeping(*samples, rate),
            _ => read,
        }
    }

    /// `(rows, columns)` of every input's features, where the front end gives them one shape.
    fn fixed_shape(&self) -> Result<Option<(usize, usize)>> {
        Ok(match self {
            Front::Mel { pipeline, dct, .. } => {
                pipeline.fixed_shape()?.map(|(bands, frames)| (dct.as_ref().map_or(bands, |(d, _)| d.n_out()), frames))
            }
            Front::Ast(front) => Some(front.shape()),
            Front::Whisper { front, samples, .. } => Some((front.n_mels(), samples / whisper::HOP_LENGTH)),
            Front::Fbank { .. } | Front::Parakeet { .. } => None,
        })
    }

    /// The columns of every input's features, where they do not depend on the input.
    fn columns(&self) -> Option<usize> {
        match self {
            Front::Fbank { fb, .. } => Some(fb.n_columns()),
            Front::Parakeet { front, .. } => Some(front.n_mels()),
            other => other.fixed_shape().ok().flatten().map(|(_, cols)| cols),
        }
    }

    /// The features of `y` (input `index`, named `name`, at `sr` Hz) and the samples they
    /// used.
    fn compute(&self, index: usize, name: &Path, y: Cow<'_, [f32]>, sr: u32) -> Result<(Matrix, usize)> {
        let n = y.len();
        let m = match self {
            Front::Mel { pipeline, db, dct } => {
                let mut m = pipeline.mel_signal(name, &y, sr)?;
                if let Some((ref_value, amin, top_db)) = *db {
                    let reference = ref_value.unwrap_or_else(|| db::max_value(&m.data));
                    db::power_to_db(&mut m.data, reference, amin, top_db)?;
                }
                match dct {
                    Some((d, lifter)) => fronts::mfcc(m, d, *lifter)?,
                    None => m,
                }
            }
            Front::Fbank { fb, scale, normalize, seed, .. } => {
                let y = if *scale == 1.0 { y } else { Cow::Owned(y.iter().map(|&v| v * scale).collect()) };
                let cols = fb.n_columns();
                let mut data = vec![0.0; fb.n_frames(y.len())? * cols];
                fb.compute_into(&y, stream_seed(*seed, index as u64), &mut data)?;
                if let Some((ddof, eps)) = *normalize {
                    normalize_columns(&mut data, cols, ddof, eps);
                }
                Matrix { rows: data.len() / cols.max(1), cols, data }
            }
            Front::Parakeet { front, max_samples } => {
                // Owned (a copy of an array input, which stays as it is): pre-emphasised in place.
                let mut y = y.into_owned();
                y.truncate(max_samples.unwrap_or(usize::MAX));
                return Ok((front.compute(&mut y)?, y.len()));
            }
            Front::Ast(_) | Front::Whisper { .. } => {
                let (rows, cols) = self.fixed_shape()?.expect("a fixed shape");
                let mut data = vec![0.0; rows * cols];
                let used = self.compute_into(name, &y, sr, &mut data)?;
                return Ok((Matrix { rows, cols, data }, used));
            }
        };
        Ok((m, n))
    }

    /// The features of `y` into `out`, a slot of [`Front::fixed_shape`]'s size: the samples
    /// used.
    fn compute_into(&self, name: &Path, y: &[f32], sr: u32, out: &mut [f32]) -> Result<usize> {
        match self {
            Front::Ast(front) => front.compute_into(y, out),
            Front::Whisper { front, samples, normalize } => {
                let own = &y[..y.len().min(*samples)];
                if *normalize {
                    front.chunk_into(&fronts::zero_mean_unit_var(own), *samples, out)?;
                } else {
                    front.chunk_into(own, *samples, out)?;
                }
                Ok(own.len())
            }
            Front::Mel { pipeline, db: None, dct: None } => {
                pipeline.mel_signal_into(name, y, sr, out)?;
                Ok(y.len())
            }
            Front::Mel { pipeline, db: None, dct: Some((d, lifter)) } => {
                let frames = out.len() / d.n_out().max(1);
                let mut mel = vec![0.0f32; d.n_in() * frames];
                pipeline.mel_signal_into(name, y, sr, &mut mel)?;
                fronts::mfcc_into(&mut mel, frames, d, *lifter, out)?;
                Ok(y.len())
            }
            _ => {
                let (m, used) = self.compute(0, name, Cow::Borrowed(y), sr)?;
                out.copy_from_slice(&m.data);
                Ok(used)
            }
        }
    }
}

/// librosa's MFCC DCT of `n_mels` bands from Python's arguments (`norm`: "ortho" or None).
pub(crate) fn mfcc_dct(dct_type: i64, n_mels: usize, n_mfcc: i64, norm: Option<&str>) -> Result<Arc<Dct>> {
    let ortho = match norm {
        None => false,
        Some("ortho") => true,
        Some(other) => return Err(Error::Parameter(format!("norm must be 'ortho' or None, got {other:?}"))),
    };
    Dct::planned(fit("dct_type", dct_type)?, n_mels, fit("n_mfcc", n_mfcc)?, ortho)
}

/// How a batch's features come back (`spectrust._frontend`'s layouts).
#[derive(FromPyObject)]
pub(crate) enum Layout<'py> {
    /// `"list"`: per input `(array (rows, columns), sample rate, samples used)`; `"stack"`: one
    /// array `(len(inputs), rows, columns)`, each input computed into its slot (a front end of
    /// one shape).
    #[pyo3(transparent)]
    Named(String),
    /// `(frames_for, fill)`: per input's features as computed, then `frames_for(rows, samples)`
    /// (two lists, 0 for a failed input) gives the rows of one array `(len(inputs), rows,
    /// columns)` each input is copied into (cut there), `fill` after its own rows.
    Padded(Bound<'py, PyAny>, f32),
}

/// Per input, the part `read` names of it (files decoded, mixed to mono, resampled to the
/// front end's rate; with `fit` and a `duration` padded to it), and its features (`front`:
/// a kind, `"mel"`, `"fbank"`, `"ast"`, `"parakeet"` or `"whisper"`, and its parameters), in
/// parallel on `workers` threads with the GIL released. `sr`: the mel front end's rate (None:
/// each file's own). `spans`: per input, the segment `(start, length or None)` in seconds
/// that `read`'s offset and duration are counted within ([`ReadOptions::within`]; None: each
/// input whole). A failed input has its exception (an instance) in its place; the Python
/// layer raises it or not. `layout` (see [`Layout`]): `"list"`, a list of `(array, rate,
/// samples, cut)`; `"stack"`, `(array (len(inputs), rows, columns), per input (rate, samples,
/// rows, cut))`, each input computed into its slot (front ends of one shape); padded, the same
/// tuple. `samples`: the input's samples the features used (padding not counted); `cut`:
/// whether samples were read past them (the front end's window).
#[pyfunction]
#[pyo3(signature = (inputs, *, front, sr, read, fit, layout, workers, spans=None))]
#[allow(clippy::too_many_arguments)] // the keywords of one Python call
pub(crate) fn features<'py>(
    py: Python<'py>,
    inputs: Vec<Bound<'py, PyAny>>,
    front: (String, Bound<'py, PyDict>),
    sr: Option<i64>,
    read: ReadArgs,
    fit: bool,
    layout: Layout<'py>,
    workers: Option<i64>,
    spans: Option<Vec<(f64, Option<f64>)>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (sr, workers) = (check(fit_opt::<u32>("sr", sr))?, check(fit_opt("workers", workers))?);
    let read = read.options();
    let front = Front::new(&front.0, &front.1, sr, read)?;
    let rate = front.rate();
    let pad = if fit { front.reading(read).duration } else { None };
    let inputs = AudioArg::extract_all(&inputs)?;
    if spans.as_ref().is_some_and(|s| s.len() != inputs.len()) {
        return Err(to_py(Error::Parameter("spans: one (start, length) per input".into())));
    }
    // Each input's part: `read` within its span, as far as the front end uses.
    let reads: Vec<ReadOptions> = (0..inputs.len())
        .map(|i| front.reading(spans.as_ref().map_or(read, |s| read.within(s[i].0, s[i].1))))
        .collect();
    for r in &reads {
        check(r.validate())?;
    }
    let views: Vec<AudioView<'_>> = inputs.iter().map(AudioArg::view).collect();
    let items: Vec<(usize, &AudioView<'_>)> = views.iter().enumerate().collect();
    let count = items.len();
    // Each input's features on its own (not stacked as they are computed), the samples they
    // used, and whether the read went past them.
    let compute_all = || {
        run_parallel(workers, &items, |(i, audio)| {
            let (y, sr, read) = audio.mono(rate, &reads[*i], pad)?;
            let (m, used) = front.compute(*i, audio.name(), y, sr)?;
            Ok(((m, used.min(read)), sr, read > used))
        })
    };
    match layout {
        Layout::Named(name) if name == "stack" => {
            let shape = check(front.fixed_shape())?;
            let (rows, cols) =
                shape.ok_or_else(|| to_py(Error::Parameter("stacked features need one shape".into())))?;
            let (data, results) = check(py.detach(|| -> Result<_> {
                let mut data = vec![0.0f32; count * rows * cols];
                let results = run_parallel_into(workers, &items, &mut data, rows * cols, |(i, audio), out| {
                    let (y, sr, read) = audio.mono(rate, &reads[*i], pad)?;
                    let used = front.compute_into(audio.name(), &y, sr, out)?;
                    Ok((sr, used.min(read), read > used))
                })?;
                Ok((data, results))
            }))?;
            let array = Array3::from_shape_vec((count, rows, cols), data).expect("shape matches").into_pyarray(py);
            let meta = results.into_iter().map(|r| r.map(|(sr, n, cut)| (sr, n, rows, cut))).collect();
            Ok((array, per_input(py, meta)?).into_pyobject(py)?.into_any())
        }
        Layout::Named(name) if name == "list" => {
            let results = check(py.detach(compute_all))?;
            let list = results
                .into_iter()
                .map(|r| match r {
                    Ok(((m, n), sr, cut)) => Ok((matrix(py, m), sr, n, cut).into_pyobject(py)?.into_any()),
                    Err(e) => Ok(err_value(py, e)),
                })
                .collect::<PyResult<Vec<_>>>()?;
            Ok(list.into_pyobject(py)?.into_any())
        }
        Layout::Named(other) => Err(to_py(Error::Internal(format!("no layout {other:?}")))),
        Layout::Padded(frames_for, fill) => {
            let results = check(py.detach(compute_all))?;
            let sizes = |f: fn(&(Matrix, usize)) -> usize| -> Vec<usize> {
                results.iter().map(|r| r.as_ref().map_or(0, |(m, _, _)| f(m))).collect()
            };
            let (rows, samples) = (sizes(|(m, _)| m.rows), sizes(|(_, n)| *n));
            let frames: usize = frames_for.call1((rows, samples))?.extract()?;
            let cols = results.iter().find_map(|r| r.as_ref().ok().map(|((m, _), _, _)| m.cols));
            let cols = cols.or_else(|| front.columns()).unwrap_or(0);
            // Each input's features copied into its slot, in parallel (a batch of long inputs is
            // hundreds of MB, written once), of an array numpy allocates (on huge pages where the
            // system gives them on request, as numpy asks for large arrays).
            let array = PyArray3::<f32>::zeros(py, [count, frames, cols], false);
            let mut view = array.readwrite();
            let data = view.as_slice_mut().expect("a new array is contiguous");
            check(py.detach(|| {
                run_parallel_into(workers, &results, data, frames * cols, |r, slot| {
                    let own = r.as_ref().map_or(0, |((m, _), _, _)| m.rows.min(frames) * cols);
                    if let Ok(((m, _), _, _)) = r {
                        slot[..own].copy_from_slice(&m.data[..own]);
                    }
                    if fill != 0.0 {
                        slot[own..].fill(fill);
                    }
                    Ok(())
                })
            }))?;
            drop(view);
            let meta = results.into_iter().map(|r| r.map(|((m, n), sr, cut)| (sr, n, m.rows, cut))).collect();
            Ok((array, per_input(py, meta)?).into_pyobject(py)?.into_any())
        }
    }
}

/// A matrix as a numpy array `(rows, cols)`.
fn matrix(py: Python<'_>, m: Matrix) -> Bound<'_, PyAny> {
    Array2::from_shape_vec((m.rows, m.cols), m.data).expect("shape matches").into_pyarray(py).into_any()
}

/// Per input `(rate, samples, rows, cut)`, or its exception instance.
fn per_input(py: Python<'_>, meta: Vec<Result<(u32, usize, usize, bool)>>) -> PyResult<Vec<Bound<'_, PyAny>>> {
    meta.into_iter()
        .map(|r| match r {
            Ok(t) => Ok(t.into_pyobject(py)?.into_any()),
            Err(e) => Ok(err_value(py, e)),
        })
        .collect()
}
