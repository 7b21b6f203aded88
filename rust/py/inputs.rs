//! The one input model of the feature functions: each input a file (a path, the bytes of a
//! file, or bytes with the name of the file object they were read from) or samples (a 1-D
//! float32 or float64 array, read where it lies by the task that uses it), and the part of it
//! that `offset` and `duration` name, as one mono signal.

use std::borrow::Cow;
use std::path::Path;

use pyo3::prelude::*;

use super::args::input;
use super::arrays::{RowsView, Samples};
use crate::dsp::decode::{check_finite, Input, ReadOptions};
use crate::dsp::pipeline::load_audio;
use crate::dsp::{Error, Result};

/// One input as Python passes it (`spectrust._inputs.audio_input`).
pub(crate) enum AudioArg<'py> {
    Input(Input),
    Samples(Samples<'py>),
}

impl<'py> AudioArg<'py> {
    /// A 1-D float array, or an input as [`input`] takes it.
    pub(crate) fn extract(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        match Samples::extract(obj) {
            Some(samples) => Ok(AudioArg::Samples(samples)),
            None => Ok(AudioArg::Input(input(obj)?)),
        }
    }

    /// Many inputs, see [`AudioArg::extract`].
    pub(crate) fn extract_all(objs: &[Bound<'py, PyAny>]) -> PyResult<Vec<Self>> {
        objs.iter().map(AudioArg::extract).collect()
    }

    /// The input, readable from any thread.
    pub(crate) fn view(&self) -> AudioView<'_> {
        match self {
            AudioArg::Input(input) => AudioView::Input(input),
            AudioArg::Samples(samples) => AudioView::Samples(samples.view()),
        }
    }
}

/// An [`AudioArg`] readable from any thread.
pub(crate) enum AudioView<'a> {
    Input(&'a Input),
    Samples(RowsView<'a>),
}

/// The name errors give samples.
const SAMPLES_NAME: &str = "<array>";

impl AudioView<'_> {
    /// The name errors give the input.
    pub(crate) fn name(&self) -> &Path {
        match self {
            AudioView::Input(input) => input.name(),
            AudioView::Samples(_) => Path::new(SAMPLES_NAME),
        }
    }

    /// The mono signal and its rate: a file decoded from `read.offset` for `read.duration`
    /// seconds (no further than `max_duration`), mixed to mono and resampled to `sr` (None: the
    /// file's own rate); samples taken to be at `sr` (which they need) and cut to the same part.
    /// Padded with zeros to `int(pad * rate)` samples (`pad`: seconds, None: not padded); the
    /// samples read (before padding) come third. NaN or infinite samples are an error.
    pub(crate) fn mono(
        &self,
        sr: Option<u32>,
        read: &ReadOptions,
        pad: Option<f64>,
    ) -> Result<(Cow<'_, [f32]>, u32, usize)> {
        let (mut y, rate) = match self {
            AudioView::Input(input) => {
                let audio = load_audio(input, sr, true, read)?;
                check_finite(input.name(), &audio.samples)?;
                (Cow::Owned(audio.samples), audio.sample_rate)
            }
            AudioView::Samples(rows) => {
                let rate = sr.ok_or_else(|| Error::Parameter("samples need their sample rate (sr)".into()))?;
                (part(rows.row_cow(0)?, read, rate), rate)
            }
        };
        let read = y.len();
        if let Some(d) = pad {
            y.to_mut().resize((d * f64::from(rate)) as usize, 0.0);
        }
        Ok((y, rate, read))
    }
}

/// The part of `y` (at `sr` Hz) that `read` names: from `int(offset * sr)` for
/// `int(duration * sr)` samples, as a file's.
fn part<'a>(y: Cow<'a, [f32]>, read: &ReadOptions, sr: u32) -> Cow<'a, [f32]> {
    let rate = f64::from(sr);
    let start = ((read.offset * rate) as usize).min(y.len());
    let end = read.duration.map_or(y.len(), |d| start.saturating_add((d * rate) as usize).min(y.len()));
    if start == 0 && end == y.len() {
        return y;
    }
    match y {
        Cow::Borrowed(s) => Cow::Borrowed(&s[start..end]),
        Cow::Owned(v) => Cow::Owned(v[start..end].to_vec()),
    }
}
