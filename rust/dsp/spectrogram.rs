//! Spectrograms of whole signals: STFT power spectra reduced by a filter bank, the mel
//! filterbank for `librosa.feature.melspectrogram`, or any axis of [`FreqAxis`].
//!
//! [`FreqAxis`]: super::filterbank::FreqAxis

use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use super::error::{ensure_param, Result};
use super::filterbank::{FilterBank, FreqAxis, FreqScale, MelParams};
use super::plans::{Plans, MAX_KEPT_N_FFT};
use super::stft::{Stft, StftParams, BLOCK};

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

/// A planned spectrogram (STFT, power, filter bank): share one between threads, call
/// [`MelSpectrogram::compute`].
pub struct MelSpectrogram {
    stft: Stft,
    bank: FilterBank,
    power: f32,
}

/// Fewest frames per parallel task when one signal is split across threads.
const MIN_FRAMES_PER_TASK: usize = 64;

/// Kept plans: the parameters, the frequency scale of the rows.
static PLANS: Plans<(MelSpecParams, FreqScale), MelSpectrogram> = Plans::new();

impl MelSpectrogram {
    /// librosa's mel spectrogram.
    pub fn new(p: &MelSpecParams) -> Result<Self> {
        ensure_param!(
            p.mel.n_fft == p.stft.n_fft,
            "mel n_fft {} differs from stft n_fft {}",
            p.mel.n_fft,
            p.stft.n_fft
        );
        Self::with_bank(&p.stft, p.power, FilterBank::mel(&p.mel)?)
    }

    /// The spectrogram of `p` with rows on `scale` (mel: [`MelSpectrogram::new`]; `p.mel` is the
    /// axis, see [`FreqAxis::new`]), planned once and kept for later calls (see
    /// [`super::plans`]).
    pub fn planned(p: &MelSpecParams, scale: FreqScale) -> Result<Arc<Self>> {
        let plan = || {
            ensure_param!(
                p.mel.n_fft == p.stft.n_fft,
                "mel n_fft {} differs from stft n_fft {}",
                p.mel.n_fft,
                p.stft.n_fft
            );
            Self::with_bank(&p.stft, p.power, FreqAxis::new(scale, &p.mel)?.into_bank())
        };
        PLANS.get(&(p.clone(), scale), plan, |m| m.stft.n_fft() <= MAX_KEPT_N_FFT)
    }

    /// A spectrogram whose rows come from any filter bank over the STFT's bins (e.g. a log or
    /// linear [`FreqAxis`](super::filterbank::FreqAxis)).
    pub fn with_bank(stft: &StftParams, power: f32, bank: FilterBank) -> Result<Self> {
        ensure_param!(power > 0.0 && power.is_finite(), "power must be positive, got {power}");
        let stft = Stft::new(stft)?;
        ensure_param!(
            bank.n_bins() == stft.n_bins(),
            "filterbank of {} bins for an FFT of {} bins",
            bank.n_bins(),
            stft.n_bins()
        );
        Ok(MelSpectrogram { stft, bank, power })
    }

    /// The number of rows: the filter bank's outputs.
    pub fn n_bands(&self) -> usize {
        self.bank.n_filters()
    }

    pub fn stft(&self) -> &Stft {
        &self.stft
    }

    /// The filter bank that turns power spectra into the output rows.
    pub fn bank(&self) -> &FilterBank {
        &self.bank
    }

    /// The `(n_bands, n_frames)` spectrogram of `y`. With a `pool`, frames are split across
    /// its threads where there are enough of them (see [`MelSpectrogram::tasks`]); otherwise
    /// everything runs on the calling thread.
    pub fn compute(&self, y: &[f32], pool: Option<&rayon::ThreadPool>) -> Result<Matrix> {
        let (rows, cols) = (self.n_bands(), self.stft.n_frames(y.len())?);
        let mut data = vec![0.0f32; rows * cols];
        self.compute_into(y, pool, &mut data)?;
        Ok(Matrix { rows, cols, data })
    }

    /// Frames per task when a signal of `n_frames` is split across `threads`: about four tasks
    /// a thread, each a whole number of blocks (blocks, and so the pairs of frames, then start
    /// at the same frames as in one pass, and the numbers are equal), at least
    /// [`MIN_FRAMES_PER_TASK`].
    fn frames_per_task(n_frames: usize, threads: usize) -> usize {
        n_frames.div_ceil(4 * threads.max(1)).next_multiple_of(BLOCK).max(MIN_FRAMES_PER_TASK)
    }

    /// The tasks a signal of `n` samples is split into on `threads` threads (1: it is computed
    /// on the calling thread, and a pool need not be asked for).
    pub fn tasks(&self, n: usize, threads: usize) -> usize {
        let n_frames = self.stft.n_frames(n).unwrap_or(0);
        n_frames.div_ceil(Self::frames_per_task(n_frames, threads)).max(1)
    }

    /// [`compute`](Self::compute) into `out`, which holds `n_bands * n_frames` values (a slot
    /// of a batch's stacked output).
    pub fn compute_into(&self, y: &[f32], pool: Option<&rayon::ThreadPool>, out: &mut [f32]) -> Result<()> {
        let n_frames = self.stft.n_frames(y.len())?;
        let n_mels = self.n_bands();
        ensure_param!(out.len() == n_mels * n_frames, "{} values for {n_mels} x {n_frames}", out.len());
        let per_task = Self::frames_per_task(n_frames, pool.map_or(1, |p| p.current_num_threads()));
        match pool {
            Some(pool) if n_frames > per_task => pool.install(|| {
                // Each task fills its own (n_mels, frames) matrix; they are copied into place
                // after, a band per task.
                let tasks: Vec<usize> = (0..n_frames).step_by(per_task).collect();
                let parts: Vec<Vec<f32>> = tasks
                    .into_par_iter()
                    .map(|first| {
                        let len = per_task.min(n_frames - first);
                        let mut part = vec![0.0f32; n_mels * len];
                        self.frames(y, first..first + len, &mut part, len);
                        part
                    })
                    .collect();
                out.par_chunks_mut(n_frames.max(1)).enumerate().for_each(|(m, row)| {
                    for (i, part) in parts.iter().enumerate() {
                        let (first, len) = (i * per_task, part.len() / n_mels);
                        row[first..first + len].copy_from_slice(&part[m * len..(m + 1) * len]);
                    }
                });
            }),
            _ => self.frames(y, 0..n_frames, out, n_frames),
        }
        Ok(())
    }

    /// Mel spectra of `frames` into `out[m * stride + (t - frames.start)]`, a block of
    /// [`BLOCK`] frames at a time.
    fn frames(&self, y: &[f32], frames: Range<usize>, out: &mut [f32], stride: usize) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { self.frames_avx2(y, frames, out, stride) };
        }
        self.frames_portable(y, frames, out, stride)
    }

    /// [`Self::frames`] compiled for AVX2: the same operations in the same order, on 8 lanes.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn frames_avx2(&self, y: &[f32], frames: Range<usize>, out: &mut [f32], stride: usize) {
        self.frames_portable(y, frames, out, stride)
    }

    #[inline(always)]
    fn frames_portable(&self, y: &[f32], frames: Range<usize>, out: &mut [f32], stride: usize) {
        let mut scratch = self.stft.scratch();
        let mut block = vec![[0.0f32; BLOCK]; self.stft.n_bins()];
        for t0 in frames.clone().step_by(BLOCK) {
            let count = BLOCK.min(frames.end - t0);
            self.stft.power_block(y, self.power, t0, count, &mut scratch, &mut block);
            self.bank.apply_block(&block, count, &mut out[t0 - frames.start..], stride);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::filterbank::{mel_frequencies, MelNorm};

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
        let y: Vec<f32> =
            (0..sr as usize * 10).map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / sr as f32).sin()).collect();
        let a = ms.compute(&y, None).unwrap();
        let b = ms.compute(&y, Some(&crate::dsp::pool::pool(Some(3)).unwrap())).unwrap();
        assert_eq!(a, b);
        assert!(ms.tasks(y.len(), 3) > 1 && ms.tasks(16000, 2) == 1);
        assert_eq!((a.rows, a.cols), (64, 1 + y.len() / 256));
        let col = a.cols / 2;
        let peak = (0..a.rows).max_by(|&i, &j| a.data[i * a.cols + col].total_cmp(&a.data[j * a.cols + col])).unwrap();
        let centres = mel_frequencies(66, 0.0, 8000.0, false);
        assert!(centres[peak] < 1000.0 && centres[peak + 2] > 1000.0, "peak band {peak}");
    }
}
