//! The Audio Spectrogram Transformer's input, as transformers' `ASTFeatureExtractor` computes
//! it (`models/audio_spectrogram_transformer/feature_extraction_audio_spectrogram_transformer.py`):
//! Kaldi filterbank features of the samples as given, in [-1, 1]
//! (`torchaudio.compliance.kaldi.fbank(waveform, sample_frequency=16000, window_type="hanning",
//! num_mel_bins=num_mel_bins)`: [`Fbank`] with the Hanning window), cut or padded with zeros
//! to `max_length` frames, then `(x - mean) / (2 std)` in float32 (AudioSet's statistics by
//! default). The Kaldi path plus these final steps.

use std::sync::Arc;

use super::kaldi::{Fbank, FbankParams, KaldiWindow};
use crate::dsp::error::{ensure_param, Result};

/// The extractor's sample rate in Hz.
pub const SAMPLE_RATE: f64 = 16000.0;

/// AST's features, planned.
pub struct AstFeatures {
    fbank: Arc<Fbank>,
    max_length: usize,
    /// The mean and twice the standard deviation, as float32 (numpy's weak Python scalars).
    normalize: Option<(f32, f32)>,
}

impl AstFeatures {
    /// `num_mel_bins` bands, `max_length` frames, and `normalize`'s `(mean, std)` (None: none).
    pub fn new(num_mel_bins: usize, max_length: usize, normalize: Option<(f64, f64)>) -> Result<Self> {
        ensure_param!(max_length >= 1, "max_length must be at least 1 frame, got {max_length}");
        if let Some((mean, std)) = normalize {
            ensure_param!(mean.is_finite() && std.is_finite(), "mean and std must be numbers, got {mean} and {std}");
        }
        let params =
            FbankParams { sr: SAMPLE_RATE, num_mel_bins, window_type: KaldiWindow::Hanning, ..Default::default() };
        Ok(AstFeatures {
            fbank: Fbank::planned(&params)?,
            max_length,
            // transformers: `(input_values - self.mean) / (self.std * 2)` on float32 values.
            normalize: normalize.map(|(mean, std)| (mean as f32, (std * 2.0) as f32)),
        })
    }

    /// Values per input: `max_length * num_mel_bins`.
    pub fn size(&self) -> usize {
        self.max_length * self.fbank.n_columns()
    }

    /// `(max_length, num_mel_bins)`: the shape of every input's features.
    pub fn shape(&self) -> (usize, usize) {
        (self.max_length, self.fbank.n_columns())
    }

    /// Samples the `max_length` frames use (the first frame's and a shift for each other):
    /// those after them change nothing.
    pub fn samples_used(&self) -> usize {
        let (length, shift) = self.fbank.frame_samples();
        (self.max_length - 1) * shift + length
    }

    /// The features of `y` (16 kHz) into `out` ([`AstFeatures::size`] values, `(max_length,
    /// num_mel_bins)` row-major); returns the samples used.
    pub fn compute_into(&self, y: &[f32], out: &mut [f32]) -> Result<usize> {
        assert_eq!(out.len(), self.size(), "one slot of max_length x num_mel_bins");
        let y = &y[..y.len().min(self.samples_used())];
        let (own, padded) = out.split_at_mut(self.fbank.n_frames(y.len())? * self.fbank.n_columns());
        self.fbank.compute_into(y, 0, own)?;
        padded.fill(0.0);
        if let Some((mean, two_std)) = self.normalize {
            out.iter_mut().for_each(|v| *v = (*v - mean) / two_std);
        }
        Ok(y.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_padded_and_normalised_as_the_extractor() {
        let ast = AstFeatures::new(128, 100, Some((-4.2677393, 4.5689974))).unwrap();
        assert_eq!(ast.samples_used(), 99 * 160 + 400);
        let y: Vec<f32> = (0..40000).map(|i| (i as f32 * 0.013).sin() * 0.4).collect();
        let fbank =
            Fbank::new(&FbankParams { num_mel_bins: 128, window_type: KaldiWindow::Hanning, ..Default::default() })
                .unwrap();
        let short = &y[..5000]; // 29 frames, then 71 of padding
        for (signal, frames) in [(&y[..], 100), (short, 29)] {
            let mut out = vec![f32::NAN; ast.size()];
            assert_eq!(ast.compute_into(signal, &mut out).unwrap(), signal.len().min(99 * 160 + 400));
            let mut want = vec![0.0; fbank.n_frames(signal.len()).unwrap() * 128];
            fbank.compute_into(signal, 0, &mut want).unwrap();
            want.resize(100 * 128, 0.0);
            want.truncate(100 * 128);
            let (mean, two_std) = (-4.2677393f32, (4.5689974f64 * 2.0) as f32);
            for (k, (&got, &w)) in out.iter().zip(&want).enumerate() {
                assert_eq!(got, (w - mean) / two_std, "value {k} (frames {frames})");
            }
        }
        assert!(AstFeatures::new(128, 0, None).is_err());
    }
}
