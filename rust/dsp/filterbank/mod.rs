//! Filter banks: sparse rows of weights over the `1 + n_fft / 2` bins of a power spectrum,
//! one output per row. [`mel`] builds librosa's mel filterbank; [`axis`] the frequency axes
//! of images and the live view (mel, logarithmic, linear).

pub mod axis;
pub mod mel;

pub use axis::{FreqAxis, FreqScale, LOG_FMIN};
pub use mel::{hz_to_mel, mel_frequencies, mel_to_hz, MelNorm, MelParams};

use super::stft::{sum8, Real, BLOCK};

/// One filter: its nonzero weights, starting at FFT bin `start`.
#[derive(Debug, Clone)]
struct Filter<T> {
    start: usize,
    weights: Vec<T>,
}

/// A sparse filter bank (`n_filters` x `n_bins`), in f32 or f64 (as the
/// [`Stft`](crate::dsp::stft::Stft) it follows).
#[derive(Debug, Clone)]
pub struct FilterBank<T: Real = f32> {
    n_bins: usize,
    filters: Vec<Filter<T>>,
}

impl<T: Real> FilterBank<T> {
    /// A bank of arbitrary sparse filters over `n_bins` FFT bins: each row is the first bin
    /// it covers and its weights.
    pub fn from_rows(n_bins: usize, rows: Vec<(usize, Vec<T>)>) -> Self {
        let filters = rows
            .into_iter()
            .map(|(start, weights)| {
                assert!(start + weights.len() <= n_bins, "filter past the last FFT bin");
                Filter { start, weights }
            })
            .collect();
        FilterBank { n_bins, filters }
    }

    /// The number of filters (outputs).
    pub fn n_filters(&self) -> usize {
        self.filters.len()
    }

    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Whether a filter has no nonzero weight, as librosa's `filters.mel` warns ("Empty filters
    /// detected"): any but the first `from_zero` ones, whose lower edge is 0 Hz, which librosa
    /// lets be empty (see [`MelParams::filters_from_zero`]).
    pub fn has_empty_filters(&self, from_zero: usize) -> bool {
        self.filters.iter().skip(from_zero).any(|f| f.weights.iter().all(|&w| w == T::zero()))
    }

    /// The dense `(n_filters, n_bins)` weight matrix, row-major.
    pub fn dense(&self) -> Vec<T> {
        let mut out = vec![T::zero(); self.n_filters() * self.n_bins];
        for (row, f) in out.chunks_exact_mut(self.n_bins).zip(&self.filters) {
            row[f.start..f.start + f.weights.len()].copy_from_slice(&f.weights);
        }
        out
    }

    /// `out[m] = sum_k W[m, k] * spectrum[k]` for one frame.
    #[inline(always)]
    pub fn apply(&self, spectrum: &[T], out: &mut [T]) {
        for (o, f) in out.iter_mut().zip(&self.filters) {
            *o = dot(&spectrum[f.start..f.start + f.weights.len()], &f.weights);
        }
    }

    /// `out[m * stride + f] = sum_k W[m, k] * block[k][f]` for the first `count` frames of a
    /// bin-major block of power spectra (see
    /// [`Stft::power_block`](crate::dsp::stft::Stft::power_block)): every weight multiplies a row
    /// of frames, a loop the compiler vectorises.
    #[inline(always)]
    pub fn apply_block(&self, block: &[[T; BLOCK]], count: usize, out: &mut [T], stride: usize) {
        for (m, f) in self.filters.iter().enumerate() {
            let mut acc = [T::zero(); BLOCK];
            for (&w, row) in f.weights.iter().zip(&block[f.start..]) {
                for i in 0..BLOCK {
                    acc[i] = acc[i] + w * row[i];
                }
            }
            out[m * stride..m * stride + count].copy_from_slice(&acc[..count]);
        }
    }
}

/// A dot product (see [`sum8`]).
#[inline(always)]
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    sum8(a, b, |x, y| x * y)
}
