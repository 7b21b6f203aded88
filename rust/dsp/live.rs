//! The live view's spectrogram: push samples in blocks of any size, pull dB columns as frames
//! complete (the framing is [`FrameStream`]'s).
//!
//! Frames are those of an uncentred STFT of everything pushed so far (librosa's
//! `center=False`): column `t` analyses samples `t * hop_length .. t * hop_length + n_fft`.
//! Pushing a signal in one block or in many gives the same columns. Levels are in dB re full
//! scale: power is normalised by the window so that a full-scale sine at a bin centre reads
//! 0 dB, and clipped below at [`DB_FLOOR`]. Each power spectrum is reduced to the bins of a
//! [`FreqAxis`] (log, mel or linear) before the conversion to dB, with every band's filter
//! rescaled to a peak weight of 1: a tone at a band's centre frequency then reads its own
//! level whatever the width of the band (the axis's own normalisation, a mean over the band
//! or Slaney's area, would read a tone lower in wider bands).

use super::db;
use super::error::{ensure_param, Result};
use super::filterbank::{FreqAxis, FreqScale, MelNorm, MelParams, LOG_FMIN};
use super::stft::{Conditioning, FrameStream, Framing, StftParams, Window};

/// The lowest level a column holds, in dB re full scale.
pub const DB_FLOOR: f32 = -120.0;

/// Default top of the axis, in Hz (lowered to `sr / 2` when above it); the bottom is
/// [`LOG_FMIN`].
pub const DEFAULT_FMAX: f64 = 20000.0;
/// Default number of log or mel bands.
pub const DEFAULT_N_BINS: usize = 256;

/// Settings of a [`StreamingSpectrogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct StreamingParams {
    /// Sample rate of the pushed signal, in Hz.
    pub sample_rate: f64,
    pub n_fft: usize,
    pub hop_length: usize,
    pub win_length: usize,
    pub window: Window,
    /// The frequency axis of the columns ([`FreqAxis::new`]'s arguments).
    pub scale: FreqScale,
    pub n_bins: usize,
    pub fmin: f64,
    pub fmax: Option<f64>,
}

impl StreamingParams {
    /// A Hann window of `n_fft`, librosa's hop (`n_fft / 4`), and [`DEFAULT_N_BINS`] log bands
    /// from [`LOG_FMIN`] (20 Hz) to 20 kHz (or `sr / 2` if lower).
    pub fn new(sample_rate: f64, n_fft: usize) -> Self {
        StreamingParams {
            sample_rate,
            n_fft,
            hop_length: StftParams::default_hop(n_fft).max(1),
            win_length: n_fft,
            window: Window::Hann,
            scale: FreqScale::Log,
            n_bins: DEFAULT_N_BINS,
            fmin: LOG_FMIN,
            fmax: Some(DEFAULT_FMAX.min(sample_rate / 2.0)),
        }
    }

    /// The raw FFT bins, from 0 Hz to `sr / 2`.
    pub fn linear(sample_rate: f64, n_fft: usize) -> Self {
        StreamingParams { scale: FreqScale::Linear, fmin: 0.0, fmax: None, ..Self::new(sample_rate, n_fft) }
    }
}

/// A streaming spectrogram: [`push`](Self::push) samples, [`pull`](Self::pull) columns.
pub struct StreamingSpectrogram {
    params: StreamingParams,
    frames: FrameStream,
    /// `(sum(window) / 2)^2`: the power of a full-scale sine at a bin centre.
    full_scale: f64,
    axis: FreqAxis,
    /// Per band, 1 / (peak weight of its filter).
    gain: Vec<f32>,
    /// Finished columns not yet pulled, one after another.
    columns: Vec<f32>,
    /// Columns produced since the start (or the last reset).
    produced: u64,
}

impl StreamingSpectrogram {
    pub fn new(p: &StreamingParams) -> Result<Self> {
        ensure_param!(
            p.sample_rate.is_finite() && p.sample_rate > 0.0,
            "sample rate must be a positive number of Hz, got {}",
            p.sample_rate
        );
        let stft_params = StftParams {
            n_fft: p.n_fft,
            hop_length: p.hop_length,
            win_length: p.win_length,
            window: p.window.clone(),
            framing: Framing::Uncentered,
            conditioning: Conditioning::default(),
        };
        let frames = FrameStream::new(&stft_params, 2.0)?;
        let window_sum: f64 = p.window.values::<f32>(p.win_length)?.iter().map(|&w| f64::from(w)).sum();
        ensure_param!(window_sum > 0.0, "the window must have a positive sum, got {window_sum}");
        let mel = MelParams {
            sr: p.sample_rate,
            n_fft: p.n_fft,
            n_mels: p.n_bins,
            fmin: p.fmin,
            fmax: p.fmax,
            htk: false,
            norm: MelNorm::Slaney,
        };
        let axis = FreqAxis::new(p.scale, &mel)?;
        let gain = axis
            .bank()
            .dense()
            .chunks_exact(frames.n_bins())
            .map(|row| match row.iter().fold(0.0f32, |m, &w| m.max(w)) {
                peak if peak > 0.0 => 1.0 / peak,
                _ => 1.0,
            })
            .collect();
        Ok(StreamingSpectrogram {
            params: p.clone(),
            frames,
            full_scale: (window_sum / 2.0).powi(2),
            axis,
            gain,
            columns: Vec::new(),
            produced: 0,
        })
    }

    pub fn sample_rate(&self) -> f64 {
        self.params.sample_rate
    }

    pub fn n_fft(&self) -> usize {
        self.params.n_fft
    }

    pub fn hop_length(&self) -> usize {
        self.params.hop_length
    }

    /// Values per column.
    pub fn n_bins(&self) -> usize {
        self.axis.n_bins()
    }

    /// Centre frequency in Hz of each value of a column, ascending.
    pub fn frequencies(&self) -> &[f32] {
        self.axis.frequencies()
    }

    /// Columns ready to pull.
    pub fn available(&self) -> usize {
        self.columns.len() / self.n_bins()
    }

    /// Columns produced since the start or the last [`reset`](Self::reset); column `t` is
    /// centred on sample `t * hop_length + n_fft / 2` of the stream.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// Appends `samples` to the stream and computes every frame they complete. Returns the
    /// number of columns ready to pull.
    pub fn push(&mut self, samples: &[f32]) -> usize {
        let n_bins = self.axis.n_bins();
        let start = self.columns.len();
        let (axis, gain, columns) = (&self.axis, &self.gain, &mut self.columns);
        self.frames.push(samples, |power| {
            let at = columns.len();
            columns.resize(at + n_bins, 0.0);
            let column = &mut columns[at..];
            axis.apply(power, column);
            column.iter_mut().zip(gain).for_each(|(v, g)| *v *= g);
        });
        // Levels re full scale, floored at DB_FLOOR; the parameters are valid constants.
        let amin = self.full_scale * 10f64.powf(DB_FLOOR as f64 / 10.0);
        db::power_to_db(&mut self.columns[start..], self.full_scale, amin, None).expect("valid dB parameters");
        self.produced += ((self.columns.len() - start) / n_bins) as u64;
        self.available()
    }

    /// Removes and returns up to `max_columns` of the oldest ready columns (all of them when
    /// `None`): `(count, values)` with `count * n_bins` values, column after column.
    pub fn pull(&mut self, max_columns: Option<usize>) -> (usize, Vec<f32>) {
        let n = max_columns.map_or(self.available(), |m| m.min(self.available()));
        let values: Vec<f32> = self.columns.drain(..n * self.n_bins()).collect();
        (n, values)
    }

    /// Forgets every pushed sample and every unpulled column.
    pub fn reset(&mut self) {
        self.frames.reset();
        self.columns.clear();
        self.produced = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::stft::Stft;

    fn sine(freq: f64, sr: f64, n: usize, amp: f64) -> Vec<f32> {
        (0..n).map(|i| (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / sr).sin()) as f32).collect()
    }

    fn noise(n: usize) -> Vec<f32> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            })
            .collect()
    }

    fn all_columns(p: &StreamingParams, y: &[f32], blocks: &[usize]) -> Vec<f32> {
        let mut s = StreamingSpectrogram::new(p).unwrap();
        let mut out = vec![];
        let mut rest = y;
        for &b in blocks.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let b = b.min(rest.len());
            s.push(&rest[..b]);
            rest = &rest[b..];
            // Pull part of the time only: columns wait in the queue meanwhile.
            if b % 2 == 1 {
                out.extend(s.pull(Some(3)).1);
            }
        }
        out.extend(s.pull(None).1);
        out
    }

    #[test]
    fn block_sizes_do_not_change_the_columns() {
        let y = noise(20_000);
        for (n_fft, hop) in [(512, 128), (1024, 1024), (256, 300), (64, 1)] {
            let mut p = StreamingParams::linear(16000.0, n_fft);
            p.hop_length = hop;
            let whole = all_columns(&p, &y, &[y.len()]);
            assert_eq!(whole.len(), (1 + (y.len() - n_fft) / hop) * (n_fft / 2 + 1));
            for blocks in [&[1][..], &[7, 1, 128, 1000], &[1024], &[3333, 5]] {
                assert_eq!(all_columns(&p, &y, blocks), whole, "n_fft={n_fft} hop={hop} blocks={blocks:?}");
            }
        }
    }

    #[test]
    fn columns_are_the_uncentred_stft_in_db_re_full_scale() {
        let y = noise(5000);
        let mut p = StreamingParams::linear(8000.0, 256);
        p.window = Window::Hamming;
        p.hop_length = 100;
        let got = all_columns(&p, &y, &[777]);
        let stft = Stft::<f32>::new(&StftParams {
            n_fft: 256,
            hop_length: 100,
            win_length: 256,
            window: Window::Hamming,
            framing: Framing::Uncentered,
            conditioning: Conditioning::default(),
        })
        .unwrap();
        let sum: f64 = Window::Hamming.values::<f32>(256).unwrap().iter().map(|&w| f64::from(w)).sum();
        let mut want = vec![];
        stft.power_spectra(&y, 2.0, 0..stft.n_frames(y.len()).unwrap(), &mut stft.scratch(), |_, p| {
            want.extend(p.iter().map(|&v| (10.0 * (f64::from(v) / (sum / 2.0).powi(2)).max(1e-12).log10()) as f32))
        });
        assert_eq!(got.len(), want.len());
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn a_full_scale_sine_reads_0_db_in_its_bin() {
        let (sr, n_fft) = (48000.0, 4096);
        let mut s = StreamingSpectrogram::new(&StreamingParams::linear(sr, n_fft)).unwrap();
        // Exactly on bin 100, then 1 kHz (between bins: Hann scalloping is at most 1.42 dB).
        for (freq, tol) in [(100.0 * sr / n_fft as f64, 0.01), (1000.0, 1.5)] {
            s.reset();
            s.push(&sine(freq, sr, 48000, 1.0));
            let (n, cols) = s.pull(None);
            assert!(n > 10);
            for col in cols.chunks_exact(s.n_bins()) {
                let (k, &peak) = col.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
                let nearest = (freq * n_fft as f64 / sr).round() as usize;
                assert_eq!(k, nearest);
                assert!((s.frequencies()[k] as f64 - freq).abs() <= sr / n_fft as f64 / 2.0);
                assert!(peak <= 0.01 && peak > -tol, "peak {peak} dB at {freq} Hz");
            }
        }
        // Half amplitude is 6 dB down.
        s.reset();
        s.push(&sine(100.0 * sr / n_fft as f64, sr, 8192, 0.5));
        let (_, col) = s.pull(Some(1));
        assert!((col[100] + 6.02).abs() < 0.01, "{}", col[100]);
    }

    #[test]
    fn silence_sits_on_the_floor_and_nothing_is_emitted_before_a_full_frame() {
        let mut s = StreamingSpectrogram::new(&StreamingParams::linear(44100.0, 1024)).unwrap();
        assert_eq!(s.push(&[0.0; 1023]), 0);
        assert_eq!(s.pull(None), (0, vec![]));
        assert_eq!(s.push(&[0.0; 1]), 1);
        assert_eq!(s.push(&[0.0; 256]), 2);
        assert_eq!(s.produced(), 2);
        let (n, cols) = s.pull(None);
        assert_eq!(n, 2);
        assert!(cols.iter().all(|&v| v == DB_FLOOR));
        assert_eq!(s.frequencies().len(), 513);
        assert_eq!(s.frequencies()[512], 22050.0);
    }

    #[test]
    fn bad_parameters_are_errors() {
        for p in [
            StreamingParams::new(0.0, 1024),
            StreamingParams::new(f64::NAN, 1024),
            StreamingParams::new(16000.0, 1),
            StreamingParams { hop_length: 0, ..StreamingParams::new(16000.0, 1024) },
            StreamingParams { win_length: 2048, ..StreamingParams::new(16000.0, 1024) },
            StreamingParams { window: Window::Custom(vec![0.0; 1024]), ..StreamingParams::new(16000.0, 1024) },
            StreamingParams { fmax: Some(9000.0), ..StreamingParams::new(16000.0, 1024) },
            StreamingParams { fmin: 0.0, ..StreamingParams::new(16000.0, 1024) },
            StreamingParams { n_bins: 1, ..StreamingParams::new(16000.0, 1024) },
        ] {
            assert!(matches!(StreamingSpectrogram::new(&p), Err(crate::dsp::Error::Parameter(_))), "{p:?}");
        }
    }

    #[test]
    fn every_scale_puts_a_1_khz_tone_in_the_bin_nearest_1_khz() {
        for sr in [44100.0, 48000.0] {
            for scale in [FreqScale::Log, FreqScale::Mel, FreqScale::Linear] {
                let p = StreamingParams {
                    scale,
                    fmin: if scale == FreqScale::Log { 20.0 } else { 0.0 },
                    ..StreamingParams::new(sr, 4096)
                };
                let mut s = StreamingSpectrogram::new(&p).unwrap();
                s.push(&sine(1000.0, sr, 24000, 1.0));
                let (n, cols) = s.pull(None);
                assert!(n > 5);
                let f = s.frequencies();
                assert!(f.windows(2).all(|w| w[0] < w[1]));
                let nearest =
                    (0..f.len()).min_by(|&a, &b| (f[a] - 1000.0).abs().total_cmp(&(f[b] - 1000.0).abs())).unwrap();
                for col in cols.chunks_exact(s.n_bins()) {
                    let (k, &peak) = col.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
                    assert!(
                        k.abs_diff(nearest) <= usize::from(scale == FreqScale::Mel),
                        "{sr} {scale:?}: peak {k}, nearest {nearest}"
                    );
                    assert!(peak > -2.0 && peak < 2.0, "{sr} {scale:?}: {peak} dB");
                }
            }
        }
    }

    #[test]
    fn the_default_axis_is_256_log_bands_from_20_hz_to_20_khz_or_nyquist() {
        let s = StreamingSpectrogram::new(&StreamingParams::new(48000.0, 2048)).unwrap();
        assert_eq!(s.n_bins(), 256);
        assert!((s.frequencies()[0] - 20.0).abs() < 1e-3 && (s.frequencies()[255] - 20000.0).abs() < 0.5);
        let s = StreamingSpectrogram::new(&StreamingParams::new(16000.0, 2048)).unwrap();
        assert!((s.frequencies()[255] - 8000.0).abs() < 0.5);
    }

    #[test]
    fn a_full_scale_sine_reads_about_0_db_on_every_axis_at_every_frequency() {
        let sr = 48000.0;
        for scale in [FreqScale::Log, FreqScale::Mel, FreqScale::Linear] {
            let p = StreamingParams { scale, ..StreamingParams::new(sr, 4096) };
            let mut s = StreamingSpectrogram::new(&p).unwrap();
            for f in [50.0, 100.0, 440.0, 1000.0, 5000.0, 15000.0] {
                s.reset();
                s.push(&sine(f, sr, 8192, 1.0));
                let (_, col) = s.pull(Some(1));
                let peak = col.iter().fold(f32::MIN, |m, &v| m.max(v));
                assert!(peak > -3.0 && peak < 2.0, "{scale:?} {f} Hz: {peak} dB");
            }
        }
    }
}
