//! Kaldi's filterbank features (`compute-fbank-feats`), as `torchaudio.compliance.kaldi.fbank`
//! computes them, with its parameter names and defaults.
//!
//! Per frame of `frame_length` ms every `frame_shift` ms (Kaldi's `ExtractWindow`): dither
//! (Gaussian noise of standard deviation `dither`), the frame's mean removed, its raw log
//! energy, pre-emphasis `x[i] - c x[i-1]` (`x[0] - c x[0]`), the window, zeros to the FFT
//! length, the power (or magnitude) spectrum, Kaldi's triangular mel bands (`MelBanks`: equal
//! widths on the mel scale `1127 ln(1 + f / 700)` from `low_freq` to `high_freq`, the Nyquist
//! bin never used), `ln(max(x, f32::EPSILON))`; the log energy before the bands (after them with
//! `htk_compat`) with `use_energy`; each band's mean over the frames subtracted with
//! `subtract_mean`. The shared path with Kaldi's parameters: [`Stft`] with [`Framing::Kaldi`],
//! a [`Window::Kaldi`] and the [`Conditioning`] steps, [`FilterBank::kaldi_mel`], then the log
//! and the energy column here. Computed in float64 from the float32 samples (torchaudio and
//! Kaldi compute in float32: a band far below its frame's loudest then carries the FFT's
//! rounding of the loud part; transformers' numpy extractors compute in float64), returned as
//! float32.

use std::sync::Arc;

use crate::dsp::db::ln_f32;
use crate::dsp::error::{ensure_param, Result};
use crate::dsp::filterbank::FilterBank;
use crate::dsp::plans::{Plans, MAX_KEPT_N_FFT};
pub use crate::dsp::stft::{stream_seed, KaldiWindow};
use crate::dsp::stft::{Conditioning, Energy, Framing, Stft, StftParams, Window, MAX_N_FFT};

/// `torchaudio.compliance.kaldi.fbank`'s parameters; [`Default`] gives its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct FbankParams {
    /// Sample rate in Hz (torchaudio's `sample_frequency`).
    pub sr: f64,
    pub num_mel_bins: usize,
    /// Frame length and shift in milliseconds.
    pub frame_length: f64,
    pub frame_shift: f64,
    /// Standard deviation of the Gaussian noise added to each sample (0: none).
    pub dither: f64,
    pub preemphasis_coefficient: f64,
    pub remove_dc_offset: bool,
    pub window_type: KaldiWindow,
    pub blackman_coeff: f64,
    pub round_to_power_of_two: bool,
    /// Frames wholly inside the signal (true), or `(n + shift / 2) / shift` frames reaching
    /// past its ends, which are reflected (Kaldi's `snip_edges=false`).
    pub snip_edges: bool,
    /// Band edges in Hz; `high_freq <= 0` counts from the Nyquist frequency.
    pub low_freq: f64,
    pub high_freq: f64,
    pub use_energy: bool,
    pub raw_energy: bool,
    pub energy_floor: f64,
    pub use_log_fbank: bool,
    pub use_power: bool,
    pub htk_compat: bool,
    pub subtract_mean: bool,
    /// Signals shorter than this (seconds) give no frames.
    pub min_duration: f64,
}

impl Default for FbankParams {
    fn default() -> Self {
        FbankParams {
            sr: 16000.0,
            num_mel_bins: 23,
            frame_length: 25.0,
            frame_shift: 10.0,
            dither: 0.0,
            preemphasis_coefficient: 0.97,
            remove_dc_offset: true,
            window_type: KaldiWindow::Povey,
            blackman_coeff: 0.42,
            round_to_power_of_two: true,
            snip_edges: true,
            low_freq: 20.0,
            high_freq: 0.0,
            use_energy: false,
            raw_energy: true,
            energy_floor: 1.0,
            use_log_fbank: true,
            use_power: true,
            htk_compat: false,
            subtract_mean: false,
            min_duration: 0.0,
        }
    }
}

/// Planned Kaldi filterbank features: the shared STFT (in float64) with Kaldi's framing, window
/// and per-frame steps, Kaldi's mel banks, then the log, the energy column and the mean.
pub struct Fbank {
    p: FbankParams,
    stft: Stft<f64>,
    bank: FilterBank<f64>,
}

/// Kept plans.
static PLANS: Plans<FbankParams, Fbank> = Plans::new();

impl Fbank {
    /// [`Fbank::new`], planned once and kept for later calls (see [`crate::dsp::plans`]).
    pub fn planned(p: &FbankParams) -> Result<Arc<Self>> {
        PLANS.get(p, || Self::new(p), |f| f.stft.n_fft() <= MAX_KEPT_N_FFT)
    }

    /// Checks `p` as torchaudio does (`_get_waveform_and_window_properties`, `get_mel_banks`)
    /// and plans the STFT and the bands.
    pub fn new(p: &FbankParams) -> Result<Self> {
        ensure_param!(p.sr > 0.0 && p.sr.is_finite(), "sr must be a positive number of Hz, got {}", p.sr);
        ensure_param!(
            p.frame_length > 0.0 && p.frame_shift > 0.0 && p.frame_length.is_finite() && p.frame_shift.is_finite(),
            "frame_length and frame_shift must be positive milliseconds, got {} and {}",
            p.frame_length,
            p.frame_shift
        );
        // torchaudio: int(sample_frequency * ms * 0.001).
        let window_size = (p.sr * p.frame_length * 0.001) as usize;
        let window_shift = (p.sr * p.frame_shift * 0.001) as usize;
        ensure_param!(window_size >= 2, "a frame of {} ms at {} Hz is under 2 samples", p.frame_length, p.sr);
        ensure_param!(window_shift >= 1, "a frame shift of {} ms at {} Hz is under 1 sample", p.frame_shift, p.sr);
        let padded = if p.round_to_power_of_two { window_size.next_power_of_two() } else { window_size };
        ensure_param!(padded % 2 == 0, "the FFT length must be even, got {padded} (a frame of {window_size} samples)");
        ensure_param!(
            padded <= MAX_N_FFT,
            "a frame of {} ms at {} Hz is {window_size} samples, more than 2**24",
            p.frame_length,
            p.sr
        );
        ensure_param!(
            (0.0..=1.0).contains(&p.preemphasis_coefficient),
            "preemphasis_coefficient must be in [0, 1], got {}",
            p.preemphasis_coefficient
        );
        ensure_param!(p.dither >= 0.0 && p.dither.is_finite(), "dither must be at least 0, got {}", p.dither);
        ensure_param!(p.energy_floor >= 0.0, "energy_floor must be at least 0, got {}", p.energy_floor);
        let bank = FilterBank::kaldi_mel(p.num_mel_bins, padded, p.sr, p.low_freq, p.high_freq)?;
        let energy = match (p.use_energy, p.raw_energy) {
            (false, _) => Energy::None,
            (true, true) => Energy::Raw,
            (true, false) => Energy::Windowed,
        };
        let stft = Stft::new(&StftParams {
            n_fft: padded,
            hop_length: window_shift,
            win_length: window_size,
            window: Window::Kaldi { window: p.window_type, blackman_coeff: p.blackman_coeff },
            framing: Framing::Kaldi { snip_edges: p.snip_edges },
            conditioning: Conditioning {
                dither: p.dither,
                remove_dc_offset: p.remove_dc_offset,
                preemphasis_coefficient: p.preemphasis_coefficient,
                energy,
            },
        })?;
        Ok(Fbank { stft, bank, p: p.clone() })
    }

    /// A frame's length and shift in samples.
    pub fn frame_samples(&self) -> (usize, usize) {
        (self.stft.frame_length(), self.stft.hop_length())
    }

    /// Values per frame: the bands, and the log energy with `use_energy`.
    pub fn n_columns(&self) -> usize {
        self.p.num_mel_bins + usize::from(self.p.use_energy)
    }

    /// Frames of a signal of `n` samples (none under `min_duration`; see [`Framing::Kaldi`]).
    pub fn n_frames(&self, n: usize) -> Result<usize> {
        if (n as f64) < self.p.min_duration * self.p.sr {
            return Ok(0);
        }
        self.stft.n_frames(n)
    }

    /// The features of `y` into `out` (`n_frames(y.len()) * n_columns()` values, frame by
    /// frame); `seed` seeds the dither's noise.
    pub fn compute_into(&self, y: &[f32], seed: u64, out: &mut [f32]) -> Result<()> {
        let frames = self.n_frames(y.len())?;
        assert_eq!(out.len(), frames * self.n_columns(), "one slot of frames x columns");
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            unsafe { self.frames_avx2(y, frames, seed, out) };
            return Ok(());
        }
        self.frames_portable(y, frames, seed, out);
        Ok(())
    }

    /// [`Self::frames_portable`] compiled for AVX2: the same operations in the same order (no
    /// FMA), on wider lanes.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn frames_avx2(&self, y: &[f32], frames: usize, seed: u64, out: &mut [f32]) {
        self.frames_portable(y, frames, seed, out)
    }

    /// The `frames` frames of `y` into `out`.
    #[inline(always)]
    fn frames_portable(&self, y: &[f32], frames: usize, seed: u64, out: &mut [f32]) {
        let cols = self.n_columns();
        let p = &self.p;
        let eps = f64::from(f32::EPSILON);
        let log_eps = f32::EPSILON.ln();
        let log_floor = if p.energy_floor > 0.0 { p.energy_floor.ln() } else { f64::NEG_INFINITY };
        let (bands_at, energy_at) = match (p.use_energy, p.htk_compat) {
            (true, false) => (1, Some(0)),
            (true, true) => (0, Some(p.num_mel_bins)),
            (false, _) => (0, None),
        };
        let power = if p.use_power { 2.0 } else { 1.0 };
        let mut energies = vec![0.0f64; p.num_mel_bins];
        let mut scratch = self.stft.scratch();
        // The closure inlined, so that it is compiled for AVX2 with the rest (on its own it is not).
        #[rustfmt::skip]
        self.stft.frame_spectra(y, power, 0..frames, seed, &mut scratch, #[inline(always)] |t, spectrum, energy| {
            let row = &mut out[t * cols..(t + 1) * cols];
            self.bank.apply(spectrum, &mut energies);
            let bands = &mut row[bands_at..bands_at + p.num_mel_bins];
            bands.iter_mut().zip(&energies).for_each(|(v, &e)| *v = e as f32);
            if p.use_log_fbank {
                // ln of float32 (every band's power fits it, and eps is a normal float32) by the
                // vectorised ln_f32, within 1e-6; the floor exactly libm's ln(eps).
                bands.iter_mut().for_each(|v| *v = if *v > f32::EPSILON { ln_f32(*v) } else { log_eps });
            }
            if let Some(at) = energy_at {
                row[at] = energy.max(eps).ln().max(log_floor) as f32;
            }
        });
        if p.subtract_mean && frames > 0 {
            let means: Vec<f32> =
                column_sums(out, cols, |_, v| f64::from(v)).iter().map(|s| (s / frames as f64) as f32).collect();
            for row in out.chunks_exact_mut(cols) {
                row.iter_mut().zip(&means).for_each(|(v, &mean)| *v -= mean);
            }
        }
    }
}

/// Each column of `out` (`(frames, cols)`, row-major) less its mean over the frames, over
/// `sqrt(variance + eps)`, the variance's divisor `frames - ddof` (NaN where that is not
/// positive, as numpy): per-band normalisation (SeamlessM4T's extractor: `ddof = 1`, `eps =
/// 1e-7`). Sums in float64.
pub fn normalize_columns(out: &mut [f32], cols: usize, ddof: usize, eps: f64) {
    if cols == 0 {
        return;
    }
    let frames = out.len() / cols;
    let means: Vec<f64> = column_sums(out, cols, |_, v| f64::from(v)).iter().map(|s| s / frames as f64).collect();
    let scales: Vec<f64> = column_sums(out, cols, |c, v| (f64::from(v) - means[c]).powi(2))
        .iter()
        .map(|&squares| {
            let var = if frames > ddof { squares / (frames - ddof) as f64 } else { f64::NAN };
            1.0 / (var + eps).sqrt()
        })
        .collect();
    for row in out.chunks_exact_mut(cols) {
        for ((v, &mean), &scale) in row.iter_mut().zip(&means).zip(&scales) {
            *v = ((f64::from(*v) - mean) * scale) as f32;
        }
    }
}

/// `sum_t f(c, out[t, c])` for each column `c` of `out` (`(frames, cols)`, row-major, `cols >
/// 0`), in float64, each column's terms in frame order: row by row, every column at once (a
/// column at a time would be one add's latency per value, through strided reads).
fn column_sums(out: &[f32], cols: usize, f: impl Fn(usize, f32) -> f64) -> Vec<f64> {
    let mut sums = vec![0.0f64; cols];
    for row in out.chunks_exact(cols) {
        for (c, (sum, &v)) in sums.iter_mut().zip(row).enumerate() {
            *sum += f(c, v);
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chirp(n: usize, sr: f64) -> Vec<f32> {
        (0..n).map(|i| (8000.0 * (std::f64::consts::PI * 2000.0 * (i as f64 / sr).powi(2)).sin()) as f32).collect()
    }

    #[test]
    fn a_frame_past_the_largest_fft_is_a_parameter_error() {
        let p = FbankParams { frame_length: 1e9, ..Default::default() };
        assert!(matches!(Fbank::new(&p), Err(crate::dsp::error::Error::Parameter(m)) if m.contains("2**24")));
    }

    #[test]
    fn frames_and_columns_follow_torchaudio() {
        let fb = Fbank::new(&FbankParams::default()).unwrap();
        assert_eq!((fb.frame_samples(), fb.stft.n_fft()), ((400, 160), 512));
        assert_eq!(fb.n_frames(16000).unwrap(), 98);
        assert_eq!((fb.n_frames(400).unwrap(), fb.n_frames(399).unwrap(), fb.n_frames(0).unwrap()), (1, 0, 0));
        let fb = Fbank::new(&FbankParams { snip_edges: false, use_energy: true, ..Default::default() }).unwrap();
        assert_eq!(fb.n_frames(16000).unwrap(), 100);
        assert!(fb.n_frames(399).is_err());
        assert_eq!(fb.n_columns(), 24);
    }

    #[test]
    fn a_constant_signal_has_the_floor_and_subtract_mean_centres_every_band() {
        let y = vec![0.25f32; 4000];
        let fb = Fbank::new(&FbankParams::default()).unwrap();
        let mut out = vec![0.0; fb.n_frames(y.len()).unwrap() * fb.n_columns()];
        fb.compute_into(&y, 0, &mut out).unwrap();
        // The mean removed, nothing is left: every band is ln(eps).
        assert!(out.iter().all(|&v| v == f32::EPSILON.ln()), "{out:?}");
        let y = chirp(8000, 16000.0);
        let fb = Fbank::new(&FbankParams { subtract_mean: true, use_energy: true, ..Default::default() }).unwrap();
        let mut out = vec![0.0; fb.n_frames(y.len()).unwrap() * fb.n_columns()];
        fb.compute_into(&y, 0, &mut out).unwrap();
        for c in 0..fb.n_columns() {
            let mean: f64 = out.iter().skip(c).step_by(fb.n_columns()).map(|&v| f64::from(v)).sum::<f64>();
            assert!(mean.abs() < 1e-3, "column {c}: {mean}");
        }
    }

    #[test]
    fn dither_repeats_with_its_seed() {
        let y = vec![0.0f32; 2000];
        let fb = Fbank::new(&FbankParams { dither: 1.0, use_energy: true, ..Default::default() }).unwrap();
        let run = |seed| {
            let mut out = vec![0.0; fb.n_frames(y.len()).unwrap() * fb.n_columns()];
            fb.compute_into(&y, seed, &mut out).unwrap();
            out
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        // Unit noise over 400 samples, its mean removed: a raw energy near 399, ln 5.99.
        let energy = run(7)[0];
        assert!((energy - 399f32.ln()).abs() < 0.3, "{energy}");
    }

    #[test]
    fn normalized_columns_have_zero_mean_and_unit_sample_variance() {
        let mut out: Vec<f32> = (0..30).map(|i| (i * i % 7) as f32 + (i % 3) as f32 * 10.0).collect();
        normalize_columns(&mut out, 3, 1, 0.0);
        for c in 0..3 {
            let col: Vec<f64> = out.iter().skip(c).step_by(3).map(|&v| f64::from(v)).collect();
            let mean = col.iter().sum::<f64>() / 10.0;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 9.0;
            assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5, "{mean} {var}");
        }
        let mut one = vec![1.0f32, 2.0];
        normalize_columns(&mut one, 2, 1, 1e-7);
        assert!(one.iter().all(|v| v.is_nan()));
    }
}
