//! Mel scale and mel filterbank, numerically librosa 0.11's `filters.mel`.
//!
//! Two mel scales: Slaney's (Auditory Toolbox, 1998: linear below 1 kHz, logarithmic above;
//! librosa's default) and HTK's (`2595 log10(1 + f / 700)`, Young et al., The HTK Book).
//! Filters are triangles between neighbouring mel points, normalised by Slaney's
//! constant-area rule (`2 / (f[i+2] - f[i])`), by a p-norm, or not at all.
//!
//! Kaldi's mel banks ([`FilterBank::kaldi_mel`]) differ in three ways: the mel scale's constant
//! (`1127 ln(1 + f / 700)`), triangles drawn on the mel scale rather than in Hz, and the
//! Nyquist bin left out.

use super::{Filter, FilterBank};
use crate::dsp::error::{ensure_param, Result};

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn logstep() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hz to mel (`librosa.hz_to_mel`).
pub fn hz_to_mel(hz: f64, htk: bool) -> f64 {
    if htk {
        2595.0 * (1.0 + hz / 700.0).log10()
    } else if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / logstep()
    } else {
        hz / F_SP
    }
}

/// Mel to Hz (`librosa.mel_to_hz`).
pub fn mel_to_hz(mel: f64, htk: bool) -> f64 {
    if htk {
        700.0 * (10f64.powf(mel / 2595.0) - 1.0)
    } else if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (logstep() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

/// `n` frequencies in Hz evenly spaced on the mel scale from `fmin` to `fmax`
/// (`librosa.mel_frequencies`, with numpy's `linspace` arithmetic).
pub fn mel_frequencies(n: usize, fmin: f64, fmax: f64, htk: bool) -> Vec<f64> {
    let (lo, hi) = (hz_to_mel(fmin, htk), hz_to_mel(fmax, htk));
    let step = if n > 1 { (hi - lo) / (n - 1) as f64 } else { 0.0 };
    (0..n).map(|i| mel_to_hz(if i + 1 == n && n > 1 { hi } else { lo + i as f64 * step }, htk)).collect()
}

/// Filter normalisation (librosa's `norm`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MelNorm {
    /// No normalisation: triangles peak at 1.
    None,
    /// Slaney's constant-area normalisation (librosa's default).
    Slaney,
    /// Each filter divided by its p-norm (`librosa.util.normalize(norm=p)`; `inf` for max).
    P(f64),
}

/// Mel filterbank parameters, with librosa's names.
#[derive(Debug, Clone, PartialEq)]
pub struct MelParams {
    /// Sample rate in Hz.
    pub sr: f64,
    pub n_fft: usize,
    pub n_mels: usize,
    /// Lowest frequency in Hz.
    pub fmin: f64,
    /// Highest frequency in Hz (`None`: `sr / 2`).
    pub fmax: Option<f64>,
    pub htk: bool,
    pub norm: MelNorm,
}

impl MelParams {
    /// How many filters have their lower edge at exactly 0 Hz (`mel_f[i] == 0` in librosa,
    /// which spares them its warning about empty filters): none unless `fmin` rounds to mel 0.
    pub fn filters_from_zero(&self) -> usize {
        let fmax = self.fmax.unwrap_or(self.sr / 2.0);
        let mel_f = mel_frequencies(self.n_mels + 2, self.fmin, fmax, self.htk);
        mel_f[..self.n_mels].iter().take_while(|&&f| f == 0.0).count()
    }
}

/// The most mel bands taken (a bound on memory: see [`crate::dsp::stft::MAX_N_FFT`]).
pub const MAX_N_MELS: usize = 1 << 16;

impl FilterBank {
    /// librosa's mel filterbank (`librosa.filters.mel`), `n_mels` x `1 + n_fft / 2`.
    pub fn mel(p: &MelParams) -> Result<Self> {
        ensure_param!(p.sr > 0.0 && p.sr.is_finite(), "sr must be positive, got {}", p.sr);
        ensure_param!(
            (1..=MAX_N_MELS).contains(&p.n_mels),
            "n_mels must be between 1 and {MAX_N_MELS}, got {}",
            p.n_mels
        );
        crate::dsp::stft::check_n_fft(p.n_fft)?;
        let fmax = p.fmax.unwrap_or(p.sr / 2.0);
        ensure_param!(
            p.fmin >= 0.0 && p.fmin < fmax && fmax.is_finite(),
            "need 0 <= fmin < fmax, got fmin={} fmax={fmax}",
            p.fmin
        );
        if let MelNorm::P(q) = p.norm {
            ensure_param!(q > 0.0, "norm must be 'slaney', None or a positive number, got {q}");
        }
        let n_bins = p.n_fft / 2 + 1;
        // np.fft.rfftfreq(n_fft, d=1/sr), with numpy's arithmetic.
        let bin_hz = 1.0 / (p.n_fft as f64 * (1.0 / p.sr));
        let fftfreqs: Vec<f64> = (0..n_bins).map(|k| k as f64 * bin_hz).collect();
        let mel_f = mel_frequencies(p.n_mels + 2, p.fmin, fmax, p.htk);
        let filters = (0..p.n_mels)
            .map(|i| {
                let (lo_d, hi_d) = (mel_f[i + 1] - mel_f[i], mel_f[i + 2] - mel_f[i + 1]);
                let enorm = if p.norm == MelNorm::Slaney { 2.0 / (mel_f[i + 2] - mel_f[i]) } else { 1.0 };
                // librosa: max(0, min(-(mel_f[i] - f) / lo_d, (mel_f[i+2] - f) / hi_d)), in f64,
                // stored as float32, then scaled by enorm in f64 and stored as float32 again.
                // Only bins in [mel_f[i], mel_f[i+2]] can be nonzero (outside, one side of the
                // triangle is negative), so only those are evaluated.
                let lo = fftfreqs.partition_point(|&f| f < mel_f[i]);
                let hi = fftfreqs.partition_point(|&f| f <= mel_f[i + 2]).max(lo);
                let dense: Vec<f32> = fftfreqs[lo..hi]
                    .iter()
                    .map(|&f| {
                        let lower = -(mel_f[i] - f) / lo_d;
                        let upper = (mel_f[i + 2] - f) / hi_d;
                        (f64::from(0f64.max(lower.min(upper)) as f32) * enorm) as f32
                    })
                    .collect();
                let (start, end) = match dense.iter().position(|&w| w != 0.0) {
                    Some(first) => {
                        (lo + first, lo + dense.iter().rposition(|&w| w != 0.0).expect("a nonzero weight") + 1)
                    }
                    None => (0, 0),
                };
                let mut weights = dense[start.saturating_sub(lo)..end.saturating_sub(lo)].to_vec();
                if let MelNorm::P(q) = p.norm {
                    let length = if q.is_infinite() {
                        weights.iter().fold(0f32, |m, w| m.max(w.abs()))
                    } else {
                        weights.iter().map(|w| f64::from(w.abs()).powf(q)).sum::<f64>().powf(1.0 / q) as f32
                    };
                    if length > f32::MIN_POSITIVE {
                        weights.iter_mut().for_each(|w| *w /= length);
                    }
                }
                Filter { start, weights }
            })
            .collect();
        Ok(FilterBank { n_bins, filters })
    }
}

/// Kaldi's mel scale (`MelBanks::MelScale`): `1127 ln(1 + f / 700)`, HTK's with Kaldi's
/// rounded constant.
pub fn kaldi_mel(hz: f64) -> f64 {
    1127.0 * (1.0 + hz / 700.0).ln()
}

impl FilterBank<f64> {
    /// Kaldi's mel banks (`MelBanks`; torchaudio's `get_mel_banks`, without VTLN warping):
    /// `n_mels` triangles of equal width on [`kaldi_mel`]'s scale from `low_freq` to `high_freq`
    /// Hz (`high_freq <= 0` counts down from the Nyquist frequency), each weight the triangle at
    /// its bin's mel, unnormalised, over the bins of an `n_fft`-point FFT below the Nyquist bin.
    /// Refuses what torchaudio refuses: fewer than 4 bands, edges outside `[0, sr / 2]` or out
    /// of order.
    pub fn kaldi_mel(n_mels: usize, n_fft: usize, sr: f64, low_freq: f64, high_freq: f64) -> Result<Self> {
        ensure_param!(n_mels > 3, "num_mel_bins must be at least 4 (Kaldi), got {n_mels}");
        let nyquist = 0.5 * sr;
        let high = if high_freq <= 0.0 { high_freq + nyquist } else { high_freq };
        ensure_param!(
            (0.0..nyquist).contains(&low_freq) && high > 0.0 && high <= nyquist && low_freq < high,
            "bad band edges low_freq={low_freq} high_freq={high_freq} (as {high}) for the Nyquist frequency \
             {nyquist} Hz"
        );
        let (mel_low, mel_high) = (kaldi_mel(low_freq), kaldi_mel(high));
        let delta = (mel_high - mel_low) / (n_mels as f64 + 1.0);
        let bin_mels: Vec<f64> = (0..n_fft / 2).map(|k| kaldi_mel(sr / n_fft as f64 * k as f64)).collect();
        let rows = (0..n_mels)
            .map(|b| {
                let left = mel_low + b as f64 * delta;
                let (center, right) = (left + delta, left + 2.0 * delta);
                let weights: Vec<f64> = bin_mels
                    .iter()
                    .map(|&m| ((m - left) / (center - left)).min((right - m) / (right - center)).max(0.0))
                    .collect();
                let first = weights.iter().position(|&w| w > 0.0).unwrap_or(0);
                let last = weights.iter().rposition(|&w| w > 0.0).map_or(first, |i| i + 1);
                (first, weights[first..last].to_vec())
            })
            .collect();
        Ok(FilterBank::from_rows(n_fft / 2 + 1, rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_round_trip_and_match_known_points() {
        for htk in [false, true] {
            for hz in [0.0, 100.0, 999.0, 1000.0, 4000.0, 11025.0] {
                assert!((mel_to_hz(hz_to_mel(hz, htk), htk) - hz).abs() < 1e-9);
            }
        }
        assert!((hz_to_mel(1000.0, false) - 15.0).abs() < 1e-12);
        assert!((hz_to_mel(1000.0, true) - 999.9855).abs() < 1e-3);
    }

    #[test]
    fn slaney_filters_have_constant_area_and_cover_the_band() {
        let p =
            MelParams { sr: 22050.0, n_fft: 2048, n_mels: 40, fmin: 0.0, fmax: None, htk: false, norm: MelNorm::None };
        let fb = FilterBank::mel(&p).unwrap();
        let dense = fb.dense();
        // Unnormalised triangles peak at (nearly) 1 and are zero outside their band.
        for row in dense.chunks(fb.n_bins()) {
            let peak = row.iter().cloned().fold(0.0, f32::max);
            assert!(peak > 0.5 && peak <= 1.0);
        }
        let fb = FilterBank::mel(&MelParams { norm: MelNorm::Slaney, ..p }).unwrap();
        let mut out = vec![0.0; 40];
        fb.apply(&vec![1.0; fb.n_bins()], &mut out);
        // Each Slaney filter's area in Hz is ~1, so the sum over bins is ~ n_fft / sr.
        for o in &out[10..] {
            assert!((o * 22050.0 / 2048.0 - 1.0).abs() < 0.05, "{o}");
        }
    }

    #[test]
    fn bad_ranges_are_parameter_errors() {
        let p = MelParams {
            sr: 16000.0,
            n_fft: 400,
            n_mels: 80,
            fmin: 9000.0,
            fmax: None,
            htk: false,
            norm: MelNorm::Slaney,
        };
        assert!(FilterBank::mel(&p).is_err());
        assert!(FilterBank::kaldi_mel(3, 512, 16000.0, 20.0, 0.0).is_err());
        assert!(FilterBank::kaldi_mel(23, 512, 16000.0, 20.0, 9000.0).is_err());
        assert!(FilterBank::kaldi_mel(23, 512, 16000.0, 5000.0, -4000.0).is_err());
    }

    #[test]
    fn kaldis_triangles_peak_below_one_and_leave_out_the_nyquist_bin() {
        let fb = FilterBank::kaldi_mel(10, 512, 16000.0, 20.0, 0.0).unwrap();
        assert_eq!((fb.n_filters(), fb.n_bins()), (10, 257));
        let dense = fb.dense();
        for row in dense.chunks(257) {
            let peak = row.iter().cloned().fold(0.0f64, f64::max);
            assert!(peak > 0.5 && peak <= 1.0);
            assert_eq!(row[256], 0.0);
        }
        // 20 Hz is below bin 1 (31.25 Hz): the first band starts at bin 1.
        assert_eq!(fb.filters[0].start, 1);
        // Triangles on the mel scale: band 5 rises from edge 5 to edge 6 and falls to edge 7
        // (equal steps of mel), each bin weighed at its own mel.
        let (lo, delta) = (kaldi_mel(20.0), (kaldi_mel(8000.0) - kaldi_mel(20.0)) / 11.0);
        for (k, &w) in dense[5 * 257..6 * 257].iter().enumerate() {
            let m = kaldi_mel(k as f64 * 31.25);
            let want = ((m - lo - 5.0 * delta) / delta).min((lo + 7.0 * delta - m) / delta).max(0.0);
            assert!((w - want).abs() < 1e-12, "bin {k}: {w} vs {want}");
        }
    }
}
