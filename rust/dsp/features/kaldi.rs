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
//! `subtract_mean`. Computed in float64 from the float32 samples (torchaudio and Kaldi compute
//! in float32: a band far below its frame's loudest then carries the FFT's rounding of the loud
//! part; transformers' numpy extractors compute in float64), returned as float32.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

use crate::dsp::db::ln_f32;
use crate::dsp::error::{ensure_param, Error, Result};

/// Kaldi's frame windows (`feature-window.cc`), symmetric, of the frame's length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KaldiWindow {
    /// The Hann window to the power 0.85 (Kaldi's default).
    Povey,
    Hanning,
    Hamming,
    Rectangular,
    /// `c - 0.5 cos(a n) + (0.5 - c) cos(2 a n)`, `a = 2 pi / (N - 1)`, `c = blackman_coeff`.
    Blackman,
}

impl KaldiWindow {
    /// The window named as torchaudio and Kaldi name it (`window_type`).
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "povey" => KaldiWindow::Povey,
            "hanning" => KaldiWindow::Hanning,
            "hamming" => KaldiWindow::Hamming,
            "rectangular" => KaldiWindow::Rectangular,
            "blackman" => KaldiWindow::Blackman,
            _ => {
                return Err(Error::Parameter(format!(
                    "invalid window_type {name:?}; expected 'povey', 'hanning', 'hamming', 'rectangular' or 'blackman'"
                )))
            }
        })
    }

    /// The `n` window values (`blackman_coeff` for the Blackman window).
    pub fn values(self, n: usize, blackman_coeff: f64) -> Vec<f64> {
        let a = 2.0 * std::f64::consts::PI / (n as f64 - 1.0);
        (0..n)
            .map(|i| {
                let i = i as f64;
                let hann = 0.5 - 0.5 * (a * i).cos();
                match self {
                    KaldiWindow::Povey => hann.powf(0.85),
                    KaldiWindow::Hanning => hann,
                    KaldiWindow::Hamming => 0.54 - 0.46 * (a * i).cos(),
                    KaldiWindow::Rectangular => 1.0,
                    KaldiWindow::Blackman => {
                        blackman_coeff - 0.5 * (a * i).cos() + (0.5 - blackman_coeff) * (2.0 * a * i).cos()
                    }
                }
            })
            .collect()
    }
}

/// `torchaudio.compliance.kaldi.fbank`'s parameters; [`Default`] gives its defaults.
#[derive(Clone, Debug)]
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

/// A mel band: its first FFT bin and its weights from there.
struct Band {
    first: usize,
    weights: Vec<f64>,
}

/// Kaldi's mel scale.
fn mel(hz: f64) -> f64 {
    1127.0 * (1.0 + hz / 700.0).ln()
}

/// Planned Kaldi filterbank features.
pub struct Fbank {
    p: FbankParams,
    window_size: usize,
    window_shift: usize,
    window: Vec<f64>,
    bands: Vec<Band>,
    fft: Arc<dyn RealToComplex<f64>>,
}

impl Fbank {
    /// Checks `p` as torchaudio does (`_get_waveform_and_window_properties`, `get_mel_banks`)
    /// and plans the window, the bands and the FFT.
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
            (0.0..=1.0).contains(&p.preemphasis_coefficient),
            "preemphasis_coefficient must be in [0, 1], got {}",
            p.preemphasis_coefficient
        );
        ensure_param!(p.dither >= 0.0 && p.dither.is_finite(), "dither must be at least 0, got {}", p.dither);
        ensure_param!(p.energy_floor >= 0.0, "energy_floor must be at least 0, got {}", p.energy_floor);
        ensure_param!(p.num_mel_bins > 3, "num_mel_bins must be at least 4 (Kaldi), got {}", p.num_mel_bins);
        let nyquist = 0.5 * p.sr;
        let high_freq = if p.high_freq <= 0.0 { p.high_freq + nyquist } else { p.high_freq };
        ensure_param!(
            (0.0..nyquist).contains(&p.low_freq) && high_freq > 0.0 && high_freq <= nyquist && p.low_freq < high_freq,
            "bad band edges low_freq={} high_freq={} (as {high_freq}) for the Nyquist frequency {nyquist} Hz",
            p.low_freq,
            p.high_freq
        );
        Ok(Fbank {
            window_size,
            window_shift,
            window: p.window_type.values(window_size, p.blackman_coeff),
            bands: Self::bands(p.num_mel_bins, padded, p.sr, p.low_freq, high_freq),
            fft: RealFftPlanner::<f64>::new().plan_fft_forward(padded),
            p: p.clone(),
        })
    }

    /// torchaudio's `get_mel_banks` (Kaldi's `MelBanks`, no VTLN warping): `n` triangles equal
    /// on the mel scale between `low` and `high` Hz over the FFT's bins below the Nyquist bin.
    fn bands(n: usize, padded: usize, sr: f64, low: f64, high: f64) -> Vec<Band> {
        let (mel_low, mel_high) = (mel(low), mel(high));
        let delta = (mel_high - mel_low) / (n as f64 + 1.0);
        let bin_mels: Vec<f64> = (0..padded / 2).map(|k| mel(sr / padded as f64 * k as f64)).collect();
        (0..n)
            .map(|b| {
                let left = mel_low + b as f64 * delta;
                let (center, right) = (left + delta, left + 2.0 * delta);
                let weights: Vec<f64> = bin_mels
                    .iter()
                    .map(|&m| ((m - left) / (center - left)).min((right - m) / (right - center)).max(0.0))
                    .collect();
                let first = weights.iter().position(|&w| w > 0.0).unwrap_or(0);
                let last = weights.iter().rposition(|&w| w > 0.0).map_or(first, |i| i + 1);
                Band { first, weights: weights[first..last].to_vec() }
            })
            .collect()
    }

    /// A frame's length and shift in samples.
    pub fn frame_samples(&self) -> (usize, usize) {
        (self.window_size, self.window_shift)
    }

    /// Values per frame: the bands, and the log energy with `use_energy`.
    pub fn n_columns(&self) -> usize {
        self.p.num_mel_bins + usize::from(self.p.use_energy)
    }

    /// Frames of a signal of `n` samples: with `snip_edges`, none where `n` is under a frame
    /// (Kaldi); without, `n` must hold a frame (torchaudio's rule).
    pub fn n_frames(&self, n: usize) -> Result<usize> {
        if (n as f64) < self.p.min_duration * self.p.sr || (self.p.snip_edges && n < self.window_size) {
            return Ok(0);
        }
        ensure_param!(
            n >= self.window_size,
            "a signal of {n} samples is shorter than a frame ({} samples, {} ms at {} Hz): give snip_edges=True for no frames",
            self.window_size,
            self.p.frame_length,
            self.p.sr
        );
        Ok(if self.p.snip_edges {
            1 + (n - self.window_size) / self.window_shift
        } else {
            (n + self.window_shift / 2) / self.window_shift
        })
    }

    /// The features of `y` into `out` (`n_frames(y.len()) * n_columns()` values, frame by
    /// frame); `seed` seeds the dither's noise.
    pub fn compute_into(&self, y: &[f32], seed: u64, out: &mut [f32]) -> Result<()> {
        let frames = self.n_frames(y.len())?;
        let cols = self.n_columns();
        assert_eq!(out.len(), frames * cols, "one slot of frames x columns");
        let p = &self.p;
        let eps = f64::from(f32::EPSILON);
        let log_eps = f32::EPSILON.ln();
        let log_floor = if p.energy_floor > 0.0 { p.energy_floor.ln() } else { f64::NEG_INFINITY };
        let log_energy = |sum: f64| sum.max(eps).ln().max(log_floor) as f32;
        let (bands_at, energy_at) = match (p.use_energy, p.htk_compat) {
            (true, false) => (1, Some(0)),
            (true, true) => (0, Some(p.num_mel_bins)),
            (false, _) => (0, None),
        };
        let mut noise = Gaussian::new(seed);
        let mut frame = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut power = vec![0.0f64; spectrum.len()];
        let mut scratch = self.fft.make_scratch_vec();
        // snip_edges=false: frames start `pad` samples before the signal, reflected at its ends.
        let pad = if p.snip_edges { 0 } else { (self.window_size / 2) as i64 - (self.window_shift / 2) as i64 };
        for (t, row) in out.chunks_exact_mut(cols).enumerate() {
            let start = (t * self.window_shift) as i64 - pad;
            let inside = usize::try_from(start).ok().filter(|&s| s + self.window_size <= y.len());
            match inside {
                Some(s) => frame[..self.window_size]
                    .iter_mut()
                    .zip(&y[s..s + self.window_size])
                    .for_each(|(x, &v)| *x = f64::from(v)),
                None => frame[..self.window_size]
                    .iter_mut()
                    .enumerate()
                    .for_each(|(j, x)| *x = f64::from(y[reflect(start + j as i64, y.len())])),
            }
            let x = &mut frame[..self.window_size];
            if p.dither > 0.0 {
                x.iter_mut().for_each(|v| *v += noise.next() * p.dither);
            }
            if p.remove_dc_offset {
                let mean = x.iter().sum::<f64>() / x.len() as f64;
                x.iter_mut().for_each(|v| *v -= mean);
            }
            let energy = |x: &[f64]| x.iter().map(|&v| v * v).sum::<f64>();
            let raw = if p.use_energy && p.raw_energy { log_energy(energy(x)) } else { 0.0 };
            if p.preemphasis_coefficient != 0.0 {
                let c = p.preemphasis_coefficient;
                for j in (1..x.len()).rev() {
                    x[j] -= c * x[j - 1];
                }
                x[0] -= c * x[0];
            }
            x.iter_mut().zip(&self.window).for_each(|(v, &w)| *v *= w);
            frame[self.window_size..].iter_mut().for_each(|v| *v = 0.0);
            let frame_energy = if p.raw_energy || !p.use_energy { raw } else { log_energy(energy(&frame)) };
            self.fft
                .process_with_scratch(&mut frame, &mut spectrum, &mut scratch)
                .map_err(|e| Error::Internal(format!("FFT: {e}")))?;
            for (w, c) in power.iter_mut().zip(&spectrum) {
                let sq = c.re * c.re + c.im * c.im;
                *w = if p.use_power { sq } else { sq.sqrt() };
            }
            let bands = &mut row[bands_at..bands_at + p.num_mel_bins];
            for (v, band) in bands.iter_mut().zip(&self.bands) {
                let e: f64 = band.weights.iter().zip(&power[band.first..]).map(|(w, s)| w * s).sum();
                *v = e as f32;
            }
            if p.use_log_fbank {
                // ln of float32 (every band's power fits it, and eps is a normal float32) by the
                // vectorised ln_f32, within 1e-6; the floor exactly libm's ln(eps).
                bands.iter_mut().for_each(|v| *v = if *v > f32::EPSILON { ln_f32(*v) } else { log_eps });
            }
            if let Some(at) = energy_at {
                row[at] = frame_energy;
            }
        }
        if p.subtract_mean && frames > 0 {
            for c in 0..cols {
                let mean = out.iter().skip(c).step_by(cols).map(|&v| f64::from(v)).sum::<f64>() / frames as f64;
                out.iter_mut().skip(c).step_by(cols).for_each(|v| *v -= mean as f32);
            }
        }
        Ok(())
    }
}

/// Each column of `out` (`(frames, cols)`, row-major) less its mean over the frames, over
/// `sqrt(variance + eps)`, the variance's divisor `frames - ddof` (NaN where that is not
/// positive, as numpy): per-band normalisation (SeamlessM4T's extractor: `ddof = 1`, `eps =
/// 1e-7`). Sums in float64.
pub fn normalize_columns(out: &mut [f32], cols: usize, ddof: usize, eps: f64) {
    let frames = out.len().checked_div(cols).unwrap_or(0);
    for c in 0..cols {
        let column = || out.iter().skip(c).step_by(cols);
        let mean = column().map(|&v| f64::from(v)).sum::<f64>() / frames as f64;
        let squares: f64 = column().map(|&v| (f64::from(v) - mean).powi(2)).sum();
        let var = if frames > ddof { squares / (frames - ddof) as f64 } else { f64::NAN };
        let scale = 1.0 / (var + eps).sqrt();
        out.iter_mut().skip(c).step_by(cols).for_each(|v| *v = ((f64::from(*v) - mean) * scale) as f32);
    }
}

/// Kaldi's index into a signal of `n` samples for a frame reaching past its ends: `-i - 1`
/// before it, `2n - 1 - i` after it (repeated where one reflection is not enough).
fn reflect(mut i: i64, n: usize) -> usize {
    let n = n as i64;
    loop {
        if i < 0 {
            i = -i - 1;
        } else if i >= n {
            i = 2 * n - 1 - i;
        } else {
            return i as usize;
        }
    }
}

/// Standard normal numbers (Box-Muller on splitmix64), for the dither: the same seed gives the
/// same noise.
struct Gaussian {
    state: u64,
    spare: Option<f64>,
}

/// splitmix64's output function.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The dither seed of stream `stream` (a row of a batch) of `seed`: streams of one seed start
/// far apart in splitmix64's sequence, rather than a step apart.
pub fn stream_seed(seed: u64, stream: u64) -> u64 {
    mix(seed ^ mix(stream.wrapping_add(1)))
}

impl Gaussian {
    fn new(seed: u64) -> Self {
        Gaussian { state: seed, spare: None }
    }

    fn uniform(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        // In (0, 1]: the logarithm below stays finite.
        ((mix(self.state) >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn next(&mut self) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        let (r, theta) = ((-2.0 * self.uniform().ln()).sqrt(), 2.0 * std::f64::consts::PI * self.uniform());
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chirp(n: usize, sr: f64) -> Vec<f32> {
        (0..n).map(|i| (8000.0 * (std::f64::consts::PI * 2000.0 * (i as f64 / sr).powi(2)).sin()) as f32).collect()
    }

    #[test]
    fn frames_and_columns_follow_torchaudio() {
        let fb = Fbank::new(&FbankParams::default()).unwrap();
        assert_eq!((fb.window_size, fb.window_shift, fb.fft.len()), (400, 160, 512));
        assert_eq!(fb.n_frames(16000).unwrap(), 98);
        assert_eq!((fb.n_frames(400).unwrap(), fb.n_frames(399).unwrap(), fb.n_frames(0).unwrap()), (1, 0, 0));
        let fb = Fbank::new(&FbankParams { snip_edges: false, use_energy: true, ..Default::default() }).unwrap();
        assert_eq!(fb.n_frames(16000).unwrap(), 100);
        assert!(fb.n_frames(399).is_err());
        assert_eq!(fb.n_columns(), 24);
    }

    #[test]
    fn bands_are_kaldis_triangles() {
        let fb = Fbank::new(&FbankParams { num_mel_bins: 10, ..Default::default() }).unwrap();
        for b in &fb.bands {
            // Each triangle rises to at most 1 and never reaches the Nyquist bin.
            let peak = b.weights.iter().cloned().fold(0.0f64, f64::max);
            assert!(peak > 0.5 && peak <= 1.0);
            assert!(b.first + b.weights.len() <= 256); // bin 256 is the Nyquist bin
        }
        // 20 Hz is below bin 1 (31.25 Hz): the first band starts at bin 1.
        assert_eq!(fb.bands[0].first, 1);
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

    #[test]
    fn reflection_is_kaldis() {
        assert_eq!([-1, -2, 0, 4, 5, 6].map(|i| reflect(i, 5)), [0, 1, 0, 4, 4, 3]);
    }
}
