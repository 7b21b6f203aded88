//! The STFT's parameters (librosa's names, Kaldi's framing), the float types it computes in,
//! and the one check of `n_fft`.

use std::sync::{Arc, Mutex, OnceLock};

use realfft::{RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};

use super::{Conditioning, PadMode, Window};
use crate::dsp::error::{ensure_param, Result};

/// The float types the STFT computes in: f32 (librosa's float32 path) and f64 (Kaldi's
/// filterbank, computed exactly).
pub trait Real: rustfft::FftNum + num_traits::Float + Default {
    fn of_f32(x: f32) -> Self;
    fn of_f64(x: f64) -> Self;
    /// Forward real FFT plans of `n` points, shared by every thread (the planner keeps one plan
    /// per size).
    fn real_plan(n: usize) -> Arc<dyn RealToComplex<Self>>;
    /// Forward complex FFT plans of `n` points, shared likewise.
    fn complex_plan(n: usize) -> Arc<dyn Fft<Self>>;
}

macro_rules! real {
    ($t:ty) => {
        #[allow(clippy::unnecessary_cast)]
        impl Real for $t {
            #[inline(always)]
            fn of_f32(x: f32) -> Self {
                x as $t
            }

            #[inline(always)]
            fn of_f64(x: f64) -> Self {
                x as $t
            }

            fn real_plan(n: usize) -> Arc<dyn RealToComplex<Self>> {
                static PLANNER: OnceLock<Mutex<RealFftPlanner<$t>>> = OnceLock::new();
                let planner = PLANNER.get_or_init(|| Mutex::new(RealFftPlanner::new()));
                planner.lock().unwrap_or_else(|e| e.into_inner()).plan_fft_forward(n)
            }

            fn complex_plan(n: usize) -> Arc<dyn Fft<Self>> {
                static PLANNER: OnceLock<Mutex<FftPlanner<$t>>> = OnceLock::new();
                let planner = PLANNER.get_or_init(|| Mutex::new(FftPlanner::new()));
                planner.lock().unwrap_or_else(|e| e.into_inner()).plan_fft_forward(n)
            }
        }
    };
}

real!(f32);
real!(f64);

/// How a signal is cut into frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// librosa's `center=True`: frame `t` is `n_fft` samples centred on sample `t * hop_length`,
    /// the signal extended by `n_fft / 2` samples on each side by the pad mode.
    Centered(PadMode),
    /// librosa's `center=False`: frame `t` is samples `t * hop_length .. t * hop_length + n_fft`.
    Uncentered,
    /// Kaldi's (`feature-window.cc`, `ExtractWindow`): frame `t` is `win_length` samples from
    /// sample `t * hop_length`, zero-padded after them to `n_fft`. With `snip_edges`, the frames
    /// wholly inside the signal (none when it is shorter than one); without, `(n + hop / 2) /
    /// hop` frames starting `win_length / 2 - hop / 2` samples earlier, the signal mirrored past
    /// its ends (`-i - 1` before it, `2n - 1 - i` after it).
    Kaldi { snip_edges: bool },
}

/// STFT parameters, with librosa's names and meanings.
#[derive(Debug, Clone, PartialEq)]
pub struct StftParams {
    pub n_fft: usize,
    pub hop_length: usize,
    /// Window length; the window is zero-padded on both sides to `n_fft` (after it, with
    /// [`Framing::Kaldi`]).
    pub win_length: usize,
    pub window: Window,
    pub framing: Framing,
    /// Steps on each frame's samples before the window (Kaldi's; none in librosa).
    pub conditioning: Conditioning,
}

impl StftParams {
    /// librosa's defaults for a given `n_fft`: hop `n_fft / 4`, Hann window of `n_fft`, centred,
    /// zero padding.
    pub fn new(n_fft: usize) -> Self {
        StftParams {
            n_fft,
            hop_length: Self::default_hop(n_fft),
            win_length: n_fft,
            window: Window::Hann,
            framing: Framing::Centered(PadMode::Constant),
            conditioning: Conditioning::default(),
        }
    }

    /// librosa's hop when none is given: a quarter of the window, `win_length // 4`.
    pub fn default_hop(win_length: usize) -> usize {
        win_length / 4
    }
}

/// The largest FFT length taken (2^24 samples, 6.3 minutes at 44.1 kHz): longer ones would
/// need more memory than a process can count on, and an allocation that fails aborts the
/// process rather than raising.
pub const MAX_N_FFT: usize = 1 << 24;

/// `n_fft` between 2 and [`MAX_N_FFT`]: the one check of every stage that takes it.
pub fn check_n_fft(n_fft: usize) -> Result<()> {
    ensure_param!((2..=MAX_N_FFT).contains(&n_fft), "n_fft must be between 2 and 2**24 = {MAX_N_FFT}, got {n_fft}");
    Ok(())
}
