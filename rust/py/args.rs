//! Parameters as Python passes them (dicts with librosa's names, typed in `_core.pyi` by the
//! TypedDicts of `spectrust/_params.py`), converted to the core's types. Defaults are filled in
//! by the Python layer; ranges are checked by the core.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::dsp::decode::{Bytes, Input, ReadOptions};
use crate::dsp::features::kaldi::{FbankParams, KaldiWindow};
use crate::dsp::filterbank::{FreqScale, MelNorm, MelParams};
use crate::dsp::image::{Colormap, ImageParams};
use crate::dsp::pipeline::Pipeline;
use crate::dsp::spectrogram::MelSpecParams;
use crate::dsp::stft::{Conditioning, Framing, PadMode, StftParams, Window};
use crate::dsp::{Error, Result};

/// A Python integer as the type a parameter has in the core; a value outside that type's
/// range is a bad parameter, named with the bound it crosses (the core checks the rest, with
/// the parameter's own range).
pub(crate) fn fit<T: TryFrom<i64> + IntBounds>(name: &str, value: i64) -> Result<T> {
    T::try_from(value).map_err(|_| {
        Error::Parameter(if i128::from(value) < T::MIN {
            format!("{name} must be at least {}, got {value}", T::MIN)
        } else {
            format!("{name} must be at most {}, got {value}", T::MAX)
        })
    })
}

/// The range of an integer type the core's parameters have, for [`fit`]'s messages.
pub(crate) trait IntBounds {
    const MIN: i128;
    const MAX: i128;
}

macro_rules! int_bounds {
    ($($t:ty),*) => {
        $(impl IntBounds for $t {
            const MIN: i128 = <$t>::MIN as i128;
            const MAX: i128 = <$t>::MAX as i128;
        })*
    };
}
int_bounds!(u8, u16, u32, u64, usize, i32);

/// A sample rate given as a number of Hz: a whole, positive number that fits a u32.
pub(crate) fn whole_hz(name: &str, value: f64) -> Result<u32> {
    if value.fract() == 0.0 && value >= 1.0 && value <= f64::from(u32::MAX) {
        Ok(value as u32)
    } else {
        Err(Error::Parameter(format!("{name} must be a positive whole number of Hz, got {value}")))
    }
}

/// An optional count (`workers`, `sr`, ...), see [`fit`].
pub(crate) fn fit_opt<T: TryFrom<i64> + IntBounds>(name: &str, value: Option<i64>) -> Result<Option<T>> {
    value.map(|v| fit(name, v)).transpose()
}

/// An audio input as the Python layer passes it (`spectrust._inputs.source`): a path (`str`),
/// the bytes of a file (`bytes`, named `<bytes>` in errors), or `(bytes, name)` for the bytes
/// read from a named file object. Bytes are read where they lie, not copied (so the segments
/// of one recording given as one object share it).
pub(crate) fn input(obj: &Bound<'_, PyAny>) -> PyResult<Input> {
    if let Ok(data) = obj.cast::<PyBytes>() {
        return Ok(Input::bytes(held(data), None));
    }
    if let Ok(pair) = obj.cast::<PyTuple>() {
        let (data, name): (Bound<'_, PyBytes>, String) = pair.extract()?;
        return Ok(Input::bytes(held(&data), Some(&name)));
    }
    Ok(Input::Path(obj.extract::<PathBuf>()?))
}

/// A Python `bytes` object's contents, read where they lie from any thread.
struct HeldBytes {
    _owner: Py<PyBytes>,
    start: *const u8,
    len: usize,
}

// SAFETY: `bytes` are immutable, and CPython never moves an object: the `len` bytes at `start`
// stay as they are while `_owner` keeps the object alive (a `Py` may be held and dropped on
// any thread; dropped without the GIL, its reference is released when the GIL is next held).
unsafe impl Send for HeldBytes {}
unsafe impl Sync for HeldBytes {}

impl AsRef<[u8]> for HeldBytes {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: see above.
        unsafe { std::slice::from_raw_parts(self.start, self.len) }
    }
}

fn held(data: &Bound<'_, PyBytes>) -> Bytes {
    let contents = data.as_bytes();
    Bytes::held(HeldBytes { _owner: data.clone().unbind(), start: contents.as_ptr(), len: contents.len() })
}

/// A window given by scipy name or by its values.
#[derive(FromPyObject)]
pub(crate) enum WindowArg {
    Name(String),
    Values(Vec<f32>),
}

impl WindowArg {
    pub(crate) fn window(self) -> Result<Window> {
        Ok(match self {
            WindowArg::Name(name) => Window::from_name(&name)?,
            WindowArg::Values(v) => Window::Custom(v),
        })
    }
}

/// `norm`: "slaney" or a p-norm order (None is `Option::None`).
#[derive(FromPyObject)]
pub(crate) enum NormArg {
    Name(String),
    Order(f64),
}

pub(crate) fn mel_norm(norm: Option<NormArg>) -> Result<MelNorm> {
    match norm {
        None => Ok(MelNorm::None),
        Some(NormArg::Name(s)) if s == "slaney" => Ok(MelNorm::Slaney),
        Some(NormArg::Name(s)) => {
            Err(Error::Parameter(format!("unsupported norm {s:?}; expected 'slaney', None or a number")))
        }
        Some(NormArg::Order(p)) => Ok(MelNorm::P(p)),
    }
}

/// librosa's mel spectrogram parameters (`_params.MelArgs`).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct MelArgs {
    n_fft: i64,
    hop_length: Option<i64>,
    win_length: Option<i64>,
    window: WindowArg,
    center: bool,
    pad_mode: String,
    power: f32,
    n_mels: i64,
    fmin: f64,
    fmax: Option<f64>,
    htk: bool,
    norm: Option<NormArg>,
}

impl MelArgs {
    /// The core's parameters, for signals at `sr` Hz.
    pub(crate) fn params(self, sr: f64) -> Result<MelSpecParams> {
        let n_fft = fit("n_fft", self.n_fft)?;
        let win_length = fit_opt("win_length", self.win_length)?.unwrap_or(n_fft);
        let hop_length = fit_opt("hop_length", self.hop_length)?.unwrap_or(StftParams::default_hop(win_length));
        Ok(MelSpecParams {
            stft: StftParams {
                n_fft,
                hop_length,
                win_length,
                window: self.window.window()?,
                // librosa ignores pad_mode without centring.
                framing: if self.center {
                    Framing::Centered(PadMode::from_name(&self.pad_mode)?)
                } else {
                    Framing::Uncentered
                },
                conditioning: Conditioning::default(),
            },
            power: self.power,
            mel: MelParams {
                sr,
                n_fft,
                n_mels: fit("n_mels", self.n_mels)?,
                fmin: self.fmin,
                fmax: self.fmax,
                htk: self.htk,
                norm: mel_norm(self.norm)?,
            },
        })
    }
}

/// How a spectrogram becomes an image (`_params.ImageArgs`).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct ImageArgs {
    width: i64,
    height: i64,
    colormap: String,
    rgb: [f32; 3],
    top_db: f64,
    quality: i64,
    noise_percentile: Option<f64>,
}

impl ImageArgs {
    pub(crate) fn params(self) -> Result<ImageParams> {
        let p = ImageParams {
            width: fit("width", self.width)?,
            height: fit("height", self.height)?,
            colormap: Colormap::from_name(&self.colormap)?,
            rgb: self.rgb,
            top_db: self.top_db,
            quality: fit("quality", self.quality)?,
            noise_percentile: self.noise_percentile,
        };
        p.validate()?;
        Ok(p)
    }
}

/// Which part of each file a batch reads (`_params.ReadArgs`), in seconds.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct ReadArgs {
    offset: f64,
    duration: Option<f64>,
    max_duration: Option<f64>,
}

impl ReadArgs {
    pub(crate) fn options(&self) -> ReadOptions {
        ReadOptions { offset: self.offset, duration: self.duration, max_duration: self.max_duration }
    }
}

/// How image inputs are read and analysed (`_params.SourceArgs`).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct SourceArgs {
    sr: Option<i64>,
    max_duration: Option<f64>,
    scale: String,
}

impl SourceArgs {
    pub(crate) fn pipeline(self, params: MelSpecParams) -> Result<Pipeline> {
        let read = ReadOptions { max_duration: self.max_duration, ..Default::default() };
        Pipeline::for_images(params, fit_opt("sr", self.sr)?, read, FreqScale::from_name(&self.scale)?)
    }
}

/// `torchaudio.compliance.kaldi.fbank`'s parameters (`_params.FbankArgs`), `sr` for its
/// `sample_frequency`.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct FbankArgs {
    sr: f64,
    num_mel_bins: i64,
    frame_length: f64,
    frame_shift: f64,
    dither: f64,
    preemphasis_coefficient: f64,
    remove_dc_offset: bool,
    window_type: String,
    blackman_coeff: f64,
    round_to_power_of_two: bool,
    snip_edges: bool,
    low_freq: f64,
    high_freq: f64,
    use_energy: bool,
    raw_energy: bool,
    energy_floor: f64,
    use_log_fbank: bool,
    use_power: bool,
    htk_compat: bool,
    subtract_mean: bool,
    min_duration: f64,
}

impl FbankArgs {
    /// The core's parameters.
    pub(crate) fn params(self) -> Result<FbankParams> {
        Ok(FbankParams {
            sr: self.sr,
            num_mel_bins: fit("num_mel_bins", self.num_mel_bins)?,
            frame_length: self.frame_length,
            frame_shift: self.frame_shift,
            dither: self.dither,
            preemphasis_coefficient: self.preemphasis_coefficient,
            remove_dc_offset: self.remove_dc_offset,
            window_type: KaldiWindow::from_name(&self.window_type)?,
            blackman_coeff: self.blackman_coeff,
            round_to_power_of_two: self.round_to_power_of_two,
            snip_edges: self.snip_edges,
            low_freq: self.low_freq,
            high_freq: self.high_freq,
            use_energy: self.use_energy,
            raw_energy: self.raw_energy,
            energy_floor: self.energy_floor,
            use_log_fbank: self.use_log_fbank,
            use_power: self.use_power,
            htk_compat: self.htk_compat,
            subtract_mean: self.subtract_mean,
            min_duration: self.min_duration,
        })
    }
}
