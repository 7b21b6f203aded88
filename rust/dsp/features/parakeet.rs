//! NVIDIA NeMo's `AudioToMelSpectrogramPreprocessor`, as transformers'
//! `ParakeetFeatureExtractor` computes it (Parakeet's input): pre-emphasis `x[t] - 0.97 x[t-1]`,
//! a centred STFT (`torch.stft`, zero padding) of 512 points every 160 samples with a
//! symmetric 400-sample Hann window, power spectra, Slaney mel filters (Slaney norm) to 8 kHz,
//! `ln(x + 2^-24)`, and each band normalised over the signal's own frames (`len / 160` of
//! them): `(x - mean) / (std + 1e-5)`, the standard deviation with `ddof = 1`; later frames 0.
//! The shared mel path ([`MelSpectrogram`]) plus these final steps.

use crate::dsp::db::ln_f32;
use std::sync::Arc;

use crate::dsp::error::{ensure_param, Result};
use crate::dsp::filterbank::{FreqScale, MelNorm, MelParams};
use crate::dsp::spectrogram::{Matrix, MelSpecParams, MelSpectrogram};
use crate::dsp::stft::{sum8, Conditioning, Framing, KaldiWindow, PadMode, StftParams, Window};

/// transformers' `ParakeetFeatureExtractor` defaults (16 kHz).
pub const SAMPLE_RATE: f64 = 16000.0;
const N_FFT: usize = 512;
const HOP_LENGTH: usize = 160;
const WIN_LENGTH: usize = 400;
/// transformers' `LOG_ZERO_GUARD_VALUE` and `EPSILON`.
const LOG_GUARD: f64 = 1.0 / (1u32 << 24) as f64;
const STD_EPSILON: f64 = 1e-5;

/// Parakeet's features, planned for `n_mels` bands and a pre-emphasis coefficient.
pub struct ParakeetFeatures {
    mel: Arc<MelSpectrogram>,
    preemphasis: Option<f32>,
}

impl ParakeetFeatures {
    pub fn new(n_mels: usize, preemphasis: Option<f64>) -> Result<Self> {
        if let Some(c) = preemphasis {
            ensure_param!(c.is_finite(), "preemphasis must be a number, got {c}");
        }
        let stft = StftParams {
            n_fft: N_FFT,
            hop_length: HOP_LENGTH,
            win_length: WIN_LENGTH,
            // torch.hann_window(400, periodic=False): Kaldi's symmetric "hanning".
            window: Window::Kaldi { window: KaldiWindow::Hanning, blackman_coeff: 0.0 },
            framing: Framing::Centered(PadMode::Constant),
            conditioning: Conditioning::default(),
        };
        let mel = MelParams {
            sr: SAMPLE_RATE,
            n_fft: N_FFT,
            n_mels,
            fmin: 0.0,
            fmax: None,
            htk: false,
            norm: MelNorm::Slaney,
        };
        Ok(ParakeetFeatures {
            mel: MelSpectrogram::planned(&MelSpecParams { stft, power: 2.0, mel }, FreqScale::Mel)?,
            preemphasis: preemphasis.map(|c| c as f32),
        })
    }

    /// Mel bands.
    pub fn n_mels(&self) -> usize {
        self.mel.n_bands()
    }

    /// Frames of a signal of `n` samples (`1 + n / 160`), and how many are its own (`n / 160`:
    /// the attention mask's ones).
    pub fn n_frames(n: usize) -> (usize, usize) {
        (1 + n / HOP_LENGTH, (n + N_FFT / 2 * 2 - N_FFT) / HOP_LENGTH)
    }

    /// The features of `y` (16 kHz): `(frames, n_mels)`, row-major. `y` is pre-emphasised in
    /// place.
    pub fn compute(&self, y: &mut [f32]) -> Result<Matrix> {
        if let Some(c) = self.preemphasis {
            // x[t] - c x[t - 1], and x[0] - c 0 = x[0] (c is finite): forward, carrying the
            // sample before.
            let mut before = 0.0;
            for v in y.iter_mut() {
                let here = *v;
                *v = here - c * before;
                before = here;
            }
        }
        let y = &*y;
        let mut spec = self.mel.compute(y, None)?;
        let (frames, own) = Self::n_frames(y.len());
        debug_assert_eq!(spec.cols, frames);
        let mut data = vec![0.0f32; frames * spec.rows];
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            unsafe { normalise_avx2(&mut spec, own, &mut data) };
            return Ok(Matrix { rows: frames, cols: spec.rows, data });
        }
        normalise(&mut spec, own, &mut data);
        Ok(Matrix { rows: frames, cols: spec.rows, data })
    }
}

/// [`normalise`] compiled for AVX2: the same operations in the same order (no FMA), on wider
/// lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn normalise_avx2(spec: &mut Matrix, own: usize, out: &mut [f32]) {
    normalise(spec, own, out)
}

/// Per band (a row of the `(n_mels, frames)` `spec`): ln(x + 2^-24) by the vectorised ln_f32
/// (within a few 1e-7; inf and NaN as they are), the mean and standard deviation over its own
/// `own` frames (in float64), and `(x - mean) / (std + 1e-5)` in float32 as transformers (by
/// the reciprocal: within an ulp), written frames first into `out` (`(frames, n_mels)`),
/// eight bands at a time.
#[inline(always)]
fn normalise(spec: &mut Matrix, own: usize, out: &mut [f32]) {
    let (n_mels, frames) = (spec.rows, spec.cols);
    let guard = LOG_GUARD as f32;
    let mut mean = vec![0.0f32; n_mels];
    let mut scale = vec![0.0f32; n_mels];
    for (m, row) in spec.data.chunks_exact_mut(frames.max(1)).enumerate() {
        row.iter_mut().for_each(|x| {
            let v = *x + guard;
            *x = if v.is_finite() { ln_f32(v) } else { v };
        });
        let logs = &row[..own.min(frames)];
        let mu = sum8(logs, logs, |v, _| f64::from(v)) / own as f64;
        let var = sum8(logs, logs, |v, _| (f64::from(v) - mu).powi(2)) / (own as f64 - 1.0);
        (mean[m], scale[m]) = (mu as f32, (1.0 / (var.sqrt() + STD_EPSILON)) as f32);
    }
    // transformers multiplies by the mask: a NaN (one frame or none) stays NaN in later frames.
    let value = |m: usize, t: usize| {
        let mask = if t < own { 1.0 } else { 0.0 };
        (spec.data[m * frames + t] - mean[m]) * scale[m] * mask
    };
    // 8 x 8 tiles (bands x frames), which the compiler transposes in registers, then the rest.
    let (tiled_bands, tiled_frames) = (n_mels / 8 * 8, frames / 8 * 8);
    for m0 in (0..tiled_bands).step_by(8) {
        let (mu, sc): ([f32; 8], [f32; 8]) =
            (std::array::from_fn(|i| mean[m0 + i]), std::array::from_fn(|i| scale[m0 + i]));
        for t0 in (0..tiled_frames).step_by(8) {
            let src: [&[f32]; 8] = std::array::from_fn(|i| &spec.data[(m0 + i) * frames + t0..][..8]);
            for f in 0..8 {
                let mask = if t0 + f < own { 1.0 } else { 0.0 };
                let dst = &mut out[(t0 + f) * n_mels + m0..][..8];
                for i in 0..8 {
                    dst[i] = (src[i][f] - mu[i]) * sc[i] * mask;
                }
            }
        }
    }
    for (t, frame) in out.chunks_exact_mut(n_mels).enumerate() {
        let first = if t < tiled_frames { tiled_bands } else { 0 };
        for (m, v) in frame.iter_mut().enumerate().skip(first) {
            *v = value(m, t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_in_tiles_and_the_rest_is_each_bands_own() {
        // 13 bands x 21 frames: two 8 x 8 tiles (8 bands, 16 frames), the rest outside them.
        let (n_mels, frames, own) = (13, 21, 19);
        let data: Vec<f32> = (0..n_mels * frames).map(|i| 1e-3 + ((i * 7919) % 1000) as f32 * 1e-3).collect();
        let mut spec = Matrix { rows: n_mels, cols: frames, data: data.clone() };
        let mut out = vec![f32::NAN; frames * n_mels];
        normalise(&mut spec, own, &mut out);
        for m in 0..n_mels {
            let logs: Vec<f64> = (0..frames).map(|t| (f64::from(data[m * frames + t]) + LOG_GUARD).ln()).collect();
            let mean = logs[..own].iter().sum::<f64>() / own as f64;
            let std = (logs[..own].iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (own - 1) as f64).sqrt();
            for (t, log) in logs.iter().enumerate() {
                let want = if t < own { (log - mean) / (std + STD_EPSILON) } else { 0.0 };
                let got = f64::from(out[t * n_mels + m]);
                assert!((got - want).abs() < 1e-5, "band {m} frame {t}: {got} against {want}");
            }
        }
    }

    #[test]
    fn frames_and_normalisation() {
        assert_eq!(ParakeetFeatures::n_frames(16000), (101, 100));
        let y: Vec<f32> = (0..16000).map(|i| ((i as f32 * 0.05).sin() + (i as f32 * 0.31).sin()) * 0.3).collect();
        let f = ParakeetFeatures::new(80, Some(0.97)).unwrap().compute(&mut y.clone()).unwrap();
        assert_eq!((f.rows, f.cols), (101, 80));
        for m in 0..80 {
            let col: Vec<f64> = (0..100).map(|t| f64::from(f.data[t * 80 + m])).collect();
            let mean = col.iter().sum::<f64>() / 100.0;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 99.0;
            assert!(mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-2, "band {m}: {mean} {var}");
            assert_eq!(f.data[100 * 80 + m], 0.0);
        }
    }
}
