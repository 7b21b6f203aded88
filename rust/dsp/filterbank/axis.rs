//! Frequency axes of spectrogram images and the live view: mel, logarithmic or linear.
//!
//! Every axis is a sparse filterbank over the `1 + n_fft / 2` bins of one power spectrum,
//! plus the centre frequency in Hz of each output bin (ascending, low first).
//! - mel: librosa's mel filterbank (Slaney scale and area normalisation by default);
//! - log: `n_bins` triangles whose centres are evenly spaced in log-frequency from `fmin` to
//!   `fmax`, each spanning its neighbours' centres but at least one FFT bin either side (so a
//!   narrow low band interpolates between FFT bins instead of falling between them), with
//!   weights summing to 1 (the output is a weighted mean of the power in the band);
//! - linear: the FFT bins from `fmin` to `fmax` themselves.

use super::mel::{mel_frequencies, MelParams};
use super::FilterBank;
use crate::dsp::error::{ensure_param, Error, Result};

/// The lowest frequency of a log axis whose `fmin` is 0 Hz (a log axis cannot start at 0),
/// and the live view's default: 20 Hz, the low end of hearing.
pub const LOG_FMIN: f64 = 20.0;

/// The frequency scale of a spectrogram's vertical axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreqScale {
    Mel,
    Log,
    Linear,
}

impl FreqScale {
    pub const NAMES: [&'static str; 3] = ["mel", "log", "linear"];

    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "mel" => Ok(FreqScale::Mel),
            "log" => Ok(FreqScale::Log),
            "linear" => Ok(FreqScale::Linear),
            other => {
                Err(Error::Parameter(format!("unknown scale {other:?}; expected one of {}", Self::NAMES.join(", "))))
            }
        }
    }
}

/// A frequency axis: a filterbank and the centre frequency of each of its outputs.
#[derive(Debug, Clone)]
pub struct FreqAxis {
    bank: FilterBank,
    frequencies: Vec<f32>,
}

impl FreqAxis {
    /// An axis of `scale` for spectra of `p.n_fft` points at `p.sr` Hz, from `p.fmin` to
    /// `p.fmax` Hz (`None`: `sr / 2`). `p.n_mels` is the number of mel or log bands; a linear
    /// axis has one output per FFT bin in range and ignores it; only mel uses `htk` and `norm`.
    pub fn new(scale: FreqScale, p: &MelParams) -> Result<Self> {
        match scale {
            FreqScale::Mel => Self::mel(p),
            FreqScale::Log => Self::log(p.sr, p.n_fft, p.n_mels, p.fmin, p.fmax),
            FreqScale::Linear => Self::linear(p.sr, p.n_fft, p.fmin, p.fmax),
        }
    }

    /// librosa's mel filterbank; the centres are the mel points between the band edges.
    pub fn mel(p: &MelParams) -> Result<Self> {
        let bank = FilterBank::mel(p)?;
        let points = mel_frequencies(p.n_mels + 2, p.fmin, p.fmax.unwrap_or(p.sr / 2.0), p.htk);
        Ok(FreqAxis { bank, frequencies: points[1..=p.n_mels].iter().map(|&f| f as f32).collect() })
    }

    /// `n_bins` bands evenly spaced in log-frequency from `fmin` (> 0) to `fmax`.
    pub fn log(sr: f64, n_fft: usize, n_bins: usize, fmin: f64, fmax: Option<f64>) -> Result<Self> {
        let (bin_hz, fmax) = check_range(sr, n_fft, fmin, fmax)?;
        ensure_param!(fmin > 0.0, "a log frequency axis needs fmin > 0 Hz, got {fmin}");
        ensure_param!(n_bins >= 2, "a log frequency axis needs at least 2 bins, got {n_bins}");
        let ratio = (fmax / fmin).powf(1.0 / (n_bins - 1) as f64);
        let centre = |i: f64| fmin * ratio.powf(i);
        let n_fft_bins = n_fft / 2 + 1;
        let rows = (0..n_bins)
            .map(|i| {
                let c = centre(i as f64);
                let lo = (c - centre(i as f64 - 1.0)).max(bin_hz);
                let hi = (centre(i as f64 + 1.0) - c).max(bin_hz);
                let first = ((c - lo) / bin_hz).ceil().max(0.0) as usize;
                let last = (((c + hi) / bin_hz).floor() as usize).min(n_fft_bins - 1);
                let mut w: Vec<f64> = (first..=last)
                    .map(|k| {
                        let f = k as f64 * bin_hz;
                        if f <= c { 1.0 - (c - f) / lo } else { 1.0 - (f - c) / hi }.max(0.0)
                    })
                    .collect();
                let sum: f64 = w.iter().sum();
                w.iter_mut().for_each(|x| *x /= sum);
                (first, w.into_iter().map(|x| x as f32).collect())
            })
            .collect();
        let frequencies = (0..n_bins).map(|i| centre(i as f64) as f32).collect();
        Ok(FreqAxis { bank: FilterBank::from_rows(n_fft_bins, rows), frequencies })
    }

    /// The FFT bins from `fmin` to `fmax`, unchanged.
    pub fn linear(sr: f64, n_fft: usize, fmin: f64, fmax: Option<f64>) -> Result<Self> {
        let (bin_hz, fmax) = check_range(sr, n_fft, fmin, fmax)?;
        let first = (fmin / bin_hz).ceil() as usize;
        let last = ((fmax / bin_hz).floor() as usize).min(n_fft / 2);
        ensure_param!(first <= last, "no FFT bin between fmin={fmin} Hz and fmax={fmax} Hz with n_fft={n_fft}");
        let rows = (first..=last).map(|k| (k, vec![1.0])).collect();
        let frequencies = (first..=last).map(|k| (k as f64 * bin_hz) as f32).collect();
        Ok(FreqAxis { bank: FilterBank::from_rows(n_fft / 2 + 1, rows), frequencies })
    }

    /// The number of output bins.
    pub fn n_bins(&self) -> usize {
        self.frequencies.len()
    }

    /// The centre frequency in Hz of every output bin, ascending.
    pub fn frequencies(&self) -> &[f32] {
        &self.frequencies
    }

    /// The underlying sparse filterbank.
    pub fn bank(&self) -> &FilterBank {
        &self.bank
    }

    /// The filterbank, without the frequencies.
    pub fn into_bank(self) -> FilterBank {
        self.bank
    }

    /// One frame: `1 + n_fft / 2` power values in, [`Self::n_bins`] values out.
    pub fn apply(&self, spectrum: &[f32], out: &mut [f32]) {
        self.bank.apply(spectrum, out)
    }
}

/// Checks `sr`, `n_fft` and `0 <= fmin < fmax <= sr / 2`; returns the FFT bin spacing and fmax.
fn check_range(sr: f64, n_fft: usize, fmin: f64, fmax: Option<f64>) -> Result<(f64, f64)> {
    ensure_param!(sr > 0.0 && sr.is_finite(), "sr must be positive, got {sr}");
    crate::dsp::stft::check_n_fft(n_fft)?;
    let fmax = fmax.unwrap_or(sr / 2.0);
    ensure_param!(
        fmin >= 0.0 && fmin < fmax && fmax <= sr / 2.0,
        "need 0 <= fmin < fmax <= sr/2 = {} Hz, got fmin={fmin} fmax={fmax}",
        sr / 2.0
    );
    Ok((sr / n_fft as f64, fmax))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::filterbank::MelNorm;

    fn tone_spectrum(n_fft: usize, bin: usize) -> Vec<f32> {
        let mut s = vec![0.0; n_fft / 2 + 1];
        s[bin] = 1.0;
        s
    }

    #[test]
    fn every_axis_puts_a_tone_in_the_band_nearest_its_frequency() {
        let (sr, n_fft) = (48000.0, 4096);
        let bin = 85; // 996 Hz
        let f = bin as f64 * sr / n_fft as f64;
        for scale in [FreqScale::Mel, FreqScale::Log, FreqScale::Linear] {
            let fmin = if scale == FreqScale::Log { 20.0 } else { 0.0 };
            let p = MelParams { sr, n_fft, n_mels: 200, fmin, fmax: Some(20000.0), htk: false, norm: MelNorm::Slaney };
            let axis = FreqAxis::new(scale, &p).unwrap();
            let mut out = vec![0.0; axis.n_bins()];
            axis.apply(&tone_spectrum(n_fft, bin), &mut out);
            let peak = (0..out.len()).max_by(|&a, &b| out[a].total_cmp(&out[b])).unwrap();
            let nearest = (0..out.len())
                .min_by(|&a, &b| {
                    (axis.frequencies()[a] as f64 - f).abs().total_cmp(&(axis.frequencies()[b] as f64 - f).abs())
                })
                .unwrap();
            assert!(peak.abs_diff(nearest) <= 1, "{scale:?}: peak {peak} nearest {nearest}");
            assert!(axis.frequencies().windows(2).all(|w| w[0] < w[1]), "{scale:?} not ascending");
        }
    }

    #[test]
    fn log_bands_are_means_and_cover_low_frequencies() {
        let axis = FreqAxis::log(44100.0, 2048, 256, 20.0, Some(20000.0)).unwrap();
        assert_eq!(axis.n_bins(), 256);
        assert!((axis.frequencies()[0] - 20.0).abs() < 1e-3 && (axis.frequencies()[255] - 20000.0).abs() < 0.1);
        // A flat spectrum reads 1 in every band, even the ones narrower than an FFT bin.
        let mut out = vec![0.0; 256];
        axis.apply(&vec![1.0; 1025], &mut out);
        assert!(out.iter().all(|v| (v - 1.0).abs() < 1e-5), "{out:?}");
    }

    #[test]
    fn linear_keeps_the_bins_in_range_and_bad_ranges_fail() {
        let axis = FreqAxis::linear(16000.0, 512, 0.0, Some(5000.0)).unwrap();
        assert_eq!(axis.n_bins(), 161);
        assert_eq!(axis.frequencies()[160], 5000.0);
        assert!(FreqAxis::log(16000.0, 512, 64, 0.0, None).is_err());
        assert!(FreqAxis::linear(16000.0, 512, 0.0, Some(9000.0)).is_err());
        assert!(FreqScale::from_name("bark").is_err());
    }
}
