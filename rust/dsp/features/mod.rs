//! Front ends of speech and audio models, as final steps on the shared path (frames, window,
//! FFT, power, filter bank: [`crate::dsp::stft`], [`crate::dsp::filterbank`]): Whisper's log-mel
//! features and MFCCs here. A preset is parameters plus a step, not a pipeline of its own.
//! Kaldi's filterbank ([`kaldi`]) is the path in float64 with Kaldi's framing, window, per-frame
//! steps and mel banks, and AST's front end ([`ast`]) is it plus its final steps; Parakeet's
//! front end ([`parakeet`]) is the mel path plus its final steps.

pub mod ast;
pub mod kaldi;
pub mod parakeet;

use std::sync::Arc;

use crate::dsp::db::db_f32;
use crate::dsp::error::{ensure_param, Result};
use crate::dsp::filterbank::{FreqScale, MelNorm, MelParams};
use crate::dsp::plans::Plans;
use crate::dsp::spectrogram::{Matrix, MelSpecParams, MelSpectrogram};
use crate::dsp::stft::{Conditioning, Framing, PadMode, StftParams, Window};

/// Whisper's audio settings (openai-whisper's `whisper/audio.py`).
pub mod whisper {
    /// Sample rate in Hz.
    pub const SAMPLE_RATE: u32 = 16000;
    pub const N_FFT: usize = 400;
    pub const HOP_LENGTH: usize = 160;
    /// Samples in a 30 s chunk, and the frames of its features.
    pub const N_SAMPLES: usize = 30 * SAMPLE_RATE as usize;
    pub const N_FRAMES: usize = N_SAMPLES / HOP_LENGTH;
}

/// Whisper's log-mel spectrogram, planned for `n_mels` bands (80 or 128).
pub struct WhisperLogMel {
    mel: Arc<MelSpectrogram>,
}

impl WhisperLogMel {
    /// openai-whisper's analysis: a periodic Hann window of 400 samples, a hop of 160, frames
    /// centred with reflect padding, power spectra, Slaney mel filters to 8 kHz.
    pub fn new(n_mels: usize) -> Result<Self> {
        let stft = StftParams {
            n_fft: whisper::N_FFT,
            hop_length: whisper::HOP_LENGTH,
            win_length: whisper::N_FFT,
            window: Window::Hann,
            framing: Framing::Centered(PadMode::Reflect),
            conditioning: Conditioning::default(),
        };
        let mel = MelParams {
            sr: f64::from(whisper::SAMPLE_RATE),
            n_fft: whisper::N_FFT,
            n_mels,
            fmin: 0.0,
            fmax: None,
            htk: false,
            norm: MelNorm::Slaney,
        };
        Ok(WhisperLogMel { mel: MelSpectrogram::planned(&MelSpecParams { stft, power: 2.0, mel }, FreqScale::Mel)? })
    }

    /// The features of `y` (16 kHz mono) followed by `padding` zeros: `log_mel_spectrogram`
    /// of whisper/audio.py. The mel power spectrogram without its last frame, then
    /// `log10(max(x, 1e-10))`, floored at its maximum less 8, then `(x + 4) / 4`:
    /// `(n_mels, (len + padding) / 160)`.
    pub fn compute(&self, y: &[f32], padding: usize) -> Result<Matrix> {
        let (rows, cols) = (self.mel.n_bands(), (y.len() + padding) / whisper::HOP_LENGTH);
        let mut data = vec![0.0; rows * cols];
        self.compute_into(y, padding, &mut data)?;
        Ok(Matrix { rows, cols, data })
    }

    /// [`compute`](Self::compute) into `out`, which holds `(n_mels, (len + padding) / 160)`
    /// values (a slot of a batch's stacked output).
    pub fn compute_into(&self, y: &[f32], padding: usize, out: &mut [f32]) -> Result<()> {
        let total = y.len() + padding;
        ensure_param!(total > 0, "Whisper features need at least one sample");
        let cols = total / whisper::HOP_LENGTH;
        ensure_param!(out.len() == self.mel.n_bands() * cols, "{} values for {cols} frames of features", out.len());
        if cols == 0 {
            return Ok(());
        }
        // Frames whose window lies wholly in the padding (half of a 15 s clip's 30 s) are
        // silent: their mel power is exactly 0. Only the signal and the start of the padding
        // (enough that its reflection at the end is zeros too) are transformed.
        let kept = padding.min(whisper::N_FFT + whisper::HOP_LENGTH);
        let padded;
        let signal = if kept > 0 {
            padded = [y, &vec![0.0; kept]].concat();
            &padded[..]
        } else {
            y
        };
        let spec = self.mel.compute(signal, None)?;
        let computed = spec.cols.min(cols);
        let silent = db_f32(1e-10) / 10.0;
        for (row, out) in spec.data.chunks_exact(spec.cols).zip(out.chunks_exact_mut(cols)) {
            // log10 by the vectorised dB of the image path: within 1e-6 of libm's.
            for (o, &x) in out.iter_mut().zip(&row[..computed]) {
                *o = db_f32(x.clamp(1e-10, f32::MAX)) / 10.0;
            }
            out[computed..].fill(silent);
        }
        let floor = out.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) - 8.0;
        out.iter_mut().for_each(|x| *x = (x.max(floor) + 4.0) / 4.0);
        Ok(())
    }

    /// Mel bands.
    pub fn n_mels(&self) -> usize {
        self.mel.n_bands()
    }

    /// The features of one chunk of `samples` (30 s: [`whisper::N_SAMPLES`]), as transformers'
    /// `WhisperFeatureExtractor`, into `out` (`n_mels * (samples / 160)` values): `y` padded
    /// with zeros or cut to `samples` first.
    pub fn chunk_into(&self, y: &[f32], samples: usize, out: &mut [f32]) -> Result<()> {
        let y = &y[..y.len().min(samples)];
        self.compute_into(y, samples - y.len(), out)
    }
}

/// `y` normalised to zero mean and unit variance, `(y - mean) / sqrt(var + 1e-7)` in float64
/// (transformers' `zero_mean_unit_var_norm`, the `do_normalize` of its Whisper and Wav2Vec2
/// extractors, over the input's own samples).
pub fn zero_mean_unit_var(y: &[f32]) -> Vec<f32> {
    let n = y.len().max(1) as f64;
    let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = y.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
    let scale = 1.0 / (var + 1e-7).sqrt();
    y.iter().map(|&v| ((f64::from(v) - mean) * scale) as f32).collect()
}

/// The discrete cosine transform of librosa's `mfcc` (scipy's `dct` along the mel axis), as a
/// matrix: types 1, 2 and 3, unnormalised or orthonormal, keeping the first `n_out` outputs.
pub struct Dct {
    n_in: usize,
    n_out: usize,
    /// The `n_mfcc` asked for (`n_out` is at most `n_in`).
    n_asked: usize,
    /// `(n_out, n_in)`, row-major.
    matrix: Vec<f32>,
}

/// Kept DCTs: type, `n_in`, `n_out`, orthonormal.
static DCTS: Plans<(u8, usize, usize, bool), Dct> = Plans::new();

impl Dct {
    /// [`Dct::new`], planned once and kept for later calls (see [`crate::dsp::plans`]).
    pub fn planned(dct_type: u8, n_in: usize, n_out: usize, ortho: bool) -> Result<Arc<Self>> {
        let small = |d: &Dct| d.matrix.len() <= 1 << 20;
        DCTS.get(&(dct_type, n_in, n_out, ortho), || Self::new(dct_type, n_in, n_out, ortho), small)
    }

    /// A DCT of `n_in` values keeping the first `n_out` (all `n_in` if more are asked for, as
    /// librosa's slice does).
    pub fn new(dct_type: u8, n_in: usize, n_out: usize, ortho: bool) -> Result<Self> {
        ensure_param!((1..=3).contains(&dct_type), "dct_type must be 1, 2 or 3, got {dct_type}");
        ensure_param!(n_out >= 1, "n_mfcc must be positive, got {n_out}");
        let n_asked = n_out;
        let n_out = n_out.min(n_in);
        let least = if dct_type == 1 { 2 } else { 1 };
        ensure_param!(n_in >= least, "a type {dct_type} DCT needs at least {least} mel bands, got {n_in}");
        let n = n_in as f64;
        let pi = std::f64::consts::PI;
        let weight = |k: usize, j: usize| -> f64 {
            let (kf, jf) = (k as f64, j as f64);
            match dct_type {
                1 => {
                    // y[k] = x[0] + (-1)^k x[N-1] + 2 sum x[n] cos(pi k n / (N - 1)).
                    let edge = j == 0 || j == n_in - 1;
                    let w =
                        if edge { (pi * kf * jf / (n - 1.0)).cos() } else { 2.0 * (pi * kf * jf / (n - 1.0)).cos() };
                    if ortho {
                        let row = if k == 0 || k == n_in - 1 { 0.5f64.sqrt() } else { 1.0 };
                        let col = if edge { 2.0f64.sqrt() } else { 1.0 };
                        w * row * col / (2.0 * (n - 1.0)).sqrt()
                    } else {
                        w
                    }
                }
                2 => {
                    // y[k] = 2 sum x[n] cos(pi k (2n + 1) / (2N)).
                    let w = 2.0 * (pi * kf * (2.0 * jf + 1.0) / (2.0 * n)).cos();
                    if ortho {
                        w * if k == 0 { (1.0 / (4.0 * n)).sqrt() } else { (1.0 / (2.0 * n)).sqrt() }
                    } else {
                        w
                    }
                }
                _ => {
                    // y[k] = x[0] + 2 sum_{n >= 1} x[n] cos(pi n (2k + 1) / (2N)).
                    let c = (pi * jf * (2.0 * kf + 1.0) / (2.0 * n)).cos();
                    match (j == 0, ortho) {
                        (true, false) => 1.0,
                        (true, true) => 1.0 / n.sqrt(),
                        (false, false) => 2.0 * c,
                        (false, true) => (2.0 / n).sqrt() * c,
                    }
                }
            }
        };
        let matrix = (0..n_out).flat_map(|k| (0..n_in).map(move |j| weight(k, j) as f32)).collect();
        Ok(Dct { n_in, n_out, n_asked, matrix })
    }

    /// The coefficients of every column of `spec` (`(n_in, frames)`): `(n_out, frames)`, each
    /// coefficient `k` scaled by `1 + lifter / 2 * sin(pi (k + 1) / lifter)` when `lifter > 0`.
    pub fn apply(&self, spec: &Matrix, lifter: f64) -> Result<Matrix> {
        ensure_param!(spec.rows == self.n_in, "{} mel bands for a DCT of {}", spec.rows, self.n_in);
        let mut out = vec![0.0f32; self.n_out * spec.cols];
        self.apply_into(&spec.data, spec.cols, lifter, &mut out)?;
        Ok(Matrix { rows: self.n_out, cols: spec.cols, data: out })
    }

    /// Values in: the mel bands.
    pub fn n_in(&self) -> usize {
        self.n_in
    }

    /// The coefficients kept: `min(n_mfcc, n_in)`.
    pub fn n_out(&self) -> usize {
        self.n_out
    }

    /// Checks `lifter` (a number >= 0; librosa's lifter has n_mfcc rows, which cannot scale the
    /// n_mels coefficients there are when more are asked for).
    pub fn check_lifter(&self, lifter: f64) -> Result<()> {
        ensure_param!(lifter >= 0.0 && lifter.is_finite(), "MFCC lifter={lifter} must be a non-negative number");
        ensure_param!(
            lifter == 0.0 || self.n_asked <= self.n_in,
            "lifter={lifter} needs n_mfcc <= n_mels, got n_mfcc={} and n_mels={}",
            self.n_asked,
            self.n_in
        );
        Ok(())
    }

    /// [`apply`](Self::apply) of `spec`, `(n_in, cols)` row-major, into `out`, which holds
    /// `(n_out, cols)` zeros (a slot of a stacked output).
    pub fn apply_into(&self, spec: &[f32], cols: usize, lifter: f64, out: &mut [f32]) -> Result<()> {
        ensure_param!(spec.len() == self.n_in * cols, "{} values for {} mel bands", spec.len(), self.n_in);
        ensure_param!(out.len() == self.n_out * cols, "{} values for {} coefficients", out.len(), self.n_out);
        self.check_lifter(lifter)?;
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            unsafe { self.weigh_avx2(spec, cols, out) };
        } else {
            self.weigh(spec, cols, out);
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.weigh(spec, cols, out);
        if lifter > 0.0 {
            for (k, row) in out.chunks_exact_mut(cols.max(1)).enumerate() {
                let scale = (1.0 + lifter / 2.0 * (std::f64::consts::PI * (k + 1) as f64 / lifter).sin()) as f32;
                row.iter_mut().for_each(|o| *o *= scale);
            }
        }
        Ok(())
    }

    /// [`Self::weigh`] compiled for AVX2: the same operations in the same order, on 8 lanes.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn weigh_avx2(&self, spec: &[f32], cols: usize, out: &mut [f32]) {
        self.weigh(spec, cols, out)
    }

    /// `out[k] += sum_j matrix[k, j] spec[j]`, column by column, band after band.
    #[inline(always)]
    fn weigh(&self, spec: &[f32], cols: usize, out: &mut [f32]) {
        for (row, weights) in out.chunks_exact_mut(cols.max(1)).zip(self.matrix.chunks_exact(self.n_in)) {
            for (&w, band) in weights.iter().zip(spec.chunks_exact(cols.max(1))) {
                row.iter_mut().zip(band).for_each(|(o, &x)| *o += w * x);
            }
        }
    }
}

/// librosa's `mfcc` dB range below the peak (`power_to_db`'s `top_db`).
pub const MFCC_TOP_DB: f64 = 80.0;

/// MFCCs from a power mel spectrogram, as librosa's `feature.mfcc`: `power_to_db(S)` (ref 1,
/// amin 1e-10, top_db 80), then the DCT along the bands, liftered if `lifter > 0`.
pub fn mfcc(mut mel_power: Matrix, dct: &Dct, lifter: f64) -> Result<Matrix> {
    super::db::power_to_db(&mut mel_power.data, 1.0, 1e-10, Some(MFCC_TOP_DB))?;
    dct.apply(&mel_power, lifter)
}

/// [`mfcc`] of `mel_power` (`(n_mels, frames)` row-major, turned into dB in place) into `out`
/// (`(n_out, frames)`): a slot of a batch's stacked output.
pub fn mfcc_into(mel_power: &mut [f32], frames: usize, dct: &Dct, lifter: f64, out: &mut [f32]) -> Result<()> {
    super::db::power_to_db(mel_power, 1.0, 1e-10, Some(MFCC_TOP_DB))?;
    dct.apply_into(mel_power, frames, lifter, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whisper_features_have_whispers_shape_and_range() {
        let w = WhisperLogMel::new(80).unwrap();
        let y: Vec<f32> = (0..16000 * 3).map(|i| (i as f32 * 0.2).sin() * 0.3).collect();
        let m = w.compute(&y, 0).unwrap();
        assert_eq!((m.rows, m.cols), (80, y.len() / 160));
        let max = m.data.iter().fold(f32::MIN, |a, &b| a.max(b));
        let min = m.data.iter().fold(f32::MAX, |a, &b| a.min(b));
        assert!(min >= max - 2.0 - 1e-6, "the floor is 8 under the maximum: {min} {max}");
        // One 30 s chunk: the signal padded, or cut.
        let mut chunk = vec![0.0; 80 * whisper::N_FRAMES];
        w.chunk_into(&y, whisper::N_SAMPLES, &mut chunk).unwrap();
        assert_eq!(chunk, w.compute(&y, whisper::N_SAMPLES - y.len()).unwrap().data);
        let long: Vec<f32> = (0..whisper::N_SAMPLES + 999).map(|i| (i as f32 * 0.01).sin()).collect();
        w.chunk_into(&long, whisper::N_SAMPLES, &mut chunk).unwrap();
        assert_eq!(chunk, w.compute(&long[..whisper::N_SAMPLES], 0).unwrap().data);
        assert!(w.chunk_into(&y, whisper::N_SAMPLES, &mut chunk[1..]).is_err());
    }

    #[test]
    fn silent_padding_gives_what_transforming_it_gives() {
        let w = WhisperLogMel::new(80).unwrap();
        let y: Vec<f32> =
            (0..16000 * 3 + 77).map(|i| (i as f32 * 0.05).sin() * 0.3 + (i as f32 * 0.71).cos() * 0.01).collect();
        for len in [1, 159, 160, 4000, y.len()] {
            for padding in [0, 1, 199, 200, 201, 559, 560, 561, 720, 10_007, whisper::N_SAMPLES - len] {
                let fast = w.compute(&y[..len], padding).unwrap();
                // Every zero of the padding transformed.
                let padded = [&y[..len], &vec![0.0; padding]].concat();
                let spec = w.mel.compute(&padded, None).unwrap();
                let cols = spec.cols - 1;
                let mut full: Vec<f32> = spec
                    .data
                    .chunks_exact(spec.cols)
                    .flat_map(|row| row[..cols].iter().map(|&x| db_f32(x.clamp(1e-10, f32::MAX)) / 10.0))
                    .collect();
                let floor = full.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) - 8.0;
                full.iter_mut().for_each(|x| *x = (x.max(floor) + 4.0) / 4.0);
                assert_eq!((fast.rows, fast.cols), (80, cols), "{len} + {padding}");
                assert!(fast.data == full, "{len} + {padding}");
            }
        }
    }

    #[test]
    fn dcts_match_scipys_definitions() {
        // scipy.fft.dct of [0.5, -1, 2, 0.25, -0.75, 1.5] (rounded to 4 places).
        let x = [0.5f32, -1.0, 2.0, 0.25, -0.75, 1.5];
        let column = Matrix { rows: 6, cols: 1, data: x.to_vec() };
        let cases: [(u8, bool, [f64; 6]); 6] = [
            (1, false, [3.0, -0.3229, -2.7221, -3.6771, 6.2221, 3.0]),
            (1, true, [0.8561, -0.2331, -0.5988, -1.2938, 2.2296, 0.5782]),
            (2, false, [5.0, -1.3795, -0.433, -3.5355, 7.75, 3.2167]),
            (2, true, [1.0206, -0.3982, -0.125, -1.0206, 2.2372, 0.9286]),
            (3, false, [2.4123, -1.8891, -1.6875, -5.7407, 5.8891, 4.0159]),
            (3, true, [0.7561, -0.4855, -0.4274, -1.5974, 1.7598, 1.2191]),
        ];
        for (t, ortho, want) in cases {
            let got = Dct::new(t, 6, 6, ortho).unwrap().apply(&column, 0.0).unwrap();
            for (g, w) in got.data.iter().zip(want) {
                assert!((f64::from(*g) - w).abs() < 1e-3, "type {t} ortho {ortho}: {:?}", got.data);
            }
        }
        // Orthonormal types are orthogonal matrices: type 3 undoes type 2, type 1 undoes itself.
        for (forward, inverse) in [(2, 3), (1, 1)] {
            let y = Dct::new(forward, 6, 6, true).unwrap().apply(&column, 0.0).unwrap();
            let back = Dct::new(inverse, 6, 6, true).unwrap().apply(&y, 0.0).unwrap();
            for (a, b) in back.data.iter().zip(x) {
                assert!((a - b).abs() < 1e-5, "{forward}/{inverse}: {:?}", back.data);
            }
        }
        assert!(Dct::new(4, 6, 6, true).is_err() && Dct::new(2, 6, 0, true).is_err());
        assert_eq!(Dct::new(2, 6, 40, true).unwrap().apply(&column, 0.0).unwrap().rows, 6);
    }
}
