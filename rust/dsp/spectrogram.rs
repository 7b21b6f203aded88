//! Mel spectrograms: STFT power spectra reduced by a mel filterbank
//! (`librosa.feature.melspectrogram`).

use rayon::prelude::*;

use super::error::{ensure_param, Result};
use super::mel::{MelFilterBank, MelParams};
use super::stft::{Stft, StftParams};

/// A dense row-major matrix of f32.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

impl Matrix {
    pub fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

/// Everything that defines a mel spectrogram, with librosa's names.
#[derive(Debug, Clone, PartialEq)]
pub struct MelSpecParams {
    pub stft: StftParams,
    /// Exponent of the magnitude: 1 for energy, 2 for power.
    pub power: f32,
    pub mel: MelParams,
}

/// A planned mel spectrogram: share one between threads, call [`MelSpectrogram::compute`].
pub struct MelSpectrogram {
    stft: Stft,
    mel: MelFilterBank,
    power: f32,
}

/// Frames per parallel task when one signal is split across threads.
const FRAMES_PER_TASK: usize = 256;

impl MelSpectrogram {
    pub fn new(p: &MelSpecParams) -> Result<Self> {
        ensure_param!(p.power > 0.0 && p.power.is_finite(), "power must be positive, got {}", p.power);
        ensure_param!(p.mel.n_fft == p.stft.n_fft, "mel n_fft {} differs from stft n_fft {}", p.mel.n_fft, p.stft.n_fft);
        Ok(MelSpectrogram { stft: Stft::new(&p.stft)?, mel: MelFilterBank::new(&p.mel)?, power: p.power })
    }

    pub fn n_mels(&self) -> usize {
        self.mel.n_mels()
    }

    pub fn stft(&self) -> &Stft {
        &self.stft
    }

    /// The filterbank that turns power spectra into the output rows.
    pub fn bank(&self) -> &MelFilterBank {
        &self.mel
    }

    /// A spectrogram whose rows come from any filterbank (e.g. a log or linear
    /// [`FreqAxis`](super::scale::FreqAxis)) instead of the mel filterbank of `p.mel`.
    pub fn with_bank(p: &MelSpecParams, bank: MelFilterBank) -> Result<Self> {
        let mut ms = Self::new(p)?;
        ensure_param!(bank.n_bins() == ms.stft.n_bins(), "filterbank of {} bins for an FFT of {} bins", bank.n_bins(), ms.stft.n_bins());
        ms.mel = bank;
        Ok(ms)
    }

    /// The `(n_mels, n_frames)` mel spectrogram of `y`. With `parallel`, frames are split
    /// across the current rayon pool; otherwise everything runs on the calling thread.
    pub fn compute(&self, y: &[f32], parallel: bool) -> Result<Matrix> {
        let n_frames = self.stft.n_frames(y.len())?;
        let n_mels = self.n_mels();
        // Frame-major while computing (each task owns a contiguous block), transposed at the end.
        let mut by_frame = vec![0.0f32; n_frames * n_mels];
        let work = |(chunk, block): (usize, &mut [f32])| {
            let first = chunk * FRAMES_PER_TASK;
            let mut scratch = self.stft.scratch();
            let frames = first..first + block.len() / n_mels;
            self.stft.power_spectra(y, self.power, frames, &mut scratch, |t, spec| {
                self.mel.apply(spec, &mut block[(t - first) * n_mels..(t - first + 1) * n_mels]);
            });
        };
        let blocks = by_frame.chunks_mut(FRAMES_PER_TASK * n_mels).enumerate();
        if parallel && n_frames > FRAMES_PER_TASK {
            blocks.collect::<Vec<_>>().into_par_iter().for_each(work);
        } else {
            blocks.for_each(work);
        }
        let mut data = vec![0.0f32; n_frames * n_mels];
        for (t, frame) in by_frame.chunks_exact(n_mels).enumerate() {
            for (m, &v) in frame.iter().enumerate() {
                data[m * n_frames + t] = v;
            }
        }
        Ok(Matrix { rows: n_mels, cols: n_frames, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::mel::MelNorm;

    fn params(sr: f64) -> MelSpecParams {
        MelSpecParams {
            stft: StftParams::new(1024),
            power: 2.0,
            mel: MelParams { sr, n_fft: 1024, n_mels: 64, fmin: 0.0, fmax: None, htk: false, norm: MelNorm::Slaney },
        }
    }

    #[test]
    fn serial_and_parallel_agree_and_a_tone_lands_in_its_band() {
        let sr = 16000.0;
        let ms = MelSpectrogram::new(&params(sr)).unwrap();
        let y: Vec<f32> = (0..sr as usize * 10).map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / sr as f32).sin()).collect();
        let a = ms.compute(&y, false).unwrap();
        let b = ms.compute(&y, true).unwrap();
        assert_eq!(a, b);
        assert_eq!((a.rows, a.cols), (64, 1 + y.len() / 256));
        let col = a.cols / 2;
        let peak = (0..a.rows).max_by(|&i, &j| a.data[i * a.cols + col].total_cmp(&a.data[j * a.cols + col])).unwrap();
        let centres = crate::dsp::mel::mel_frequencies(66, 0.0, 8000.0, false);
        assert!(centres[peak] < 1000.0 && centres[peak + 2] > 1000.0, "peak band {peak}");
    }
}
