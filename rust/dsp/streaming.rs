//! Streaming STFT: push samples in blocks of any size, pull dB columns as frames complete.
//!
//! Frames are those of an uncentred STFT of everything pushed so far (librosa's
//! `center=False`): column `t` analyses samples `t * hop_length .. t * hop_length + n_fft`.
//! Pushing a signal in one block or in many gives the same columns. Levels are in dB re full
//! scale: power is normalised by the window so that a full-scale sine at a bin centre reads
//! 0 dB, and clipped below at [`DB_FLOOR`].

use super::db;
use super::error::{ensure_param, Result};
use super::stft::{PadMode, Scratch, Stft, StftParams, Window};

/// The lowest level a column holds, in dB re full scale.
pub const DB_FLOOR: f32 = -120.0;

/// Settings of a [`StreamingSpectrogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct StreamingParams {
    /// Sample rate of the pushed signal, in Hz.
    pub sample_rate: f64,
    pub n_fft: usize,
    pub hop_length: usize,
    pub win_length: usize,
    pub window: Window,
}

impl StreamingParams {
    /// A Hann window of `n_fft` and a hop of `n_fft / 4`.
    pub fn new(sample_rate: f64, n_fft: usize) -> Self {
        StreamingParams { sample_rate, n_fft, hop_length: (n_fft / 4).max(1), win_length: n_fft, window: Window::Hann }
    }
}

/// A streaming spectrogram: [`push`](Self::push) samples, [`pull`](Self::pull) columns.
pub struct StreamingSpectrogram {
    stft: Stft,
    scratch: Scratch,
    sample_rate: f64,
    /// Pushed samples not yet consumed by a complete frame.
    pending: Vec<f32>,
    /// Samples still to drop before the next frame starts (only when `hop_length > n_fft`).
    skip: usize,
    /// `(sum(window) / 2)^2`: the power of a full-scale sine at a bin centre.
    full_scale: f64,
    frequencies: Vec<f32>,
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
            center: false,
            pad_mode: PadMode::Constant,
        };
        let stft = Stft::new(&stft_params)?;
        let window_sum: f64 = p.window.values(p.win_length)?.iter().map(|&w| w as f64).sum();
        ensure_param!(window_sum > 0.0, "the window must have a positive sum, got {window_sum}");
        let n_bins = stft.n_bins();
        let frequencies = (0..n_bins).map(|k| (k as f64 * p.sample_rate / p.n_fft as f64) as f32).collect();
        Ok(StreamingSpectrogram {
            scratch: stft.scratch(),
            stft,
            sample_rate: p.sample_rate,
            pending: Vec::with_capacity(2 * p.n_fft),
            skip: 0,
            full_scale: (window_sum / 2.0).powi(2),
            frequencies,
            columns: Vec::new(),
            produced: 0,
        })
    }

    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    pub fn n_fft(&self) -> usize {
        self.stft.n_fft()
    }

    pub fn hop_length(&self) -> usize {
        self.stft.hop_length()
    }

    /// Values per column.
    pub fn n_bins(&self) -> usize {
        self.frequencies.len()
    }

    /// Centre frequency in Hz of each value of a column, ascending.
    pub fn frequencies(&self) -> &[f32] {
        &self.frequencies
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
        let dropped = self.skip.min(samples.len());
        self.skip -= dropped;
        self.pending.extend_from_slice(&samples[dropped..]);
        let (n_fft, hop) = (self.stft.n_fft(), self.stft.hop_length());
        if self.pending.len() >= n_fft {
            let n = 1 + (self.pending.len() - n_fft) / hop;
            let n_bins = self.frequencies.len();
            let start = self.columns.len();
            self.columns.resize(start + n * n_bins, 0.0);
            let out = &mut self.columns[start..];
            self.stft.power_spectra(&self.pending, 2.0, 0..n, &mut self.scratch, |t, power| {
                out[t * n_bins..(t + 1) * n_bins].copy_from_slice(power);
            });
            // Levels re full scale, floored at DB_FLOOR; the parameters are valid constants.
            let amin = self.full_scale * 10f64.powf(DB_FLOOR as f64 / 10.0);
            db::power_to_db(out, self.full_scale, amin, None).expect("valid dB parameters");
            let consumed = n * hop;
            if consumed <= self.pending.len() {
                self.pending.drain(..consumed);
            } else {
                self.skip = consumed - self.pending.len();
                self.pending.clear();
            }
            self.produced += n as u64;
        }
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
        self.pending.clear();
        self.columns.clear();
        self.skip = 0;
        self.produced = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let mut p = StreamingParams::new(16000.0, n_fft);
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
        let mut p = StreamingParams::new(8000.0, 256);
        p.window = Window::Hamming;
        p.hop_length = 100;
        let got = all_columns(&p, &y, &[777]);
        let stft = Stft::new(&StftParams {
            n_fft: 256,
            hop_length: 100,
            win_length: 256,
            window: Window::Hamming,
            center: false,
            pad_mode: PadMode::Constant,
        })
        .unwrap();
        let sum: f64 = Window::Hamming.values(256).unwrap().iter().map(|&w| w as f64).sum();
        let mut want = vec![];
        stft.power_spectra(&y, 2.0, 0..stft.n_frames(y.len()).unwrap(), &mut stft.scratch(), |_, p| {
            want.extend(p.iter().map(|&v| (10.0 * (v as f64 / (sum / 2.0).powi(2)).max(1e-12).log10()) as f32))
        });
        assert_eq!(got.len(), want.len());
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn a_full_scale_sine_reads_0_db_in_its_bin() {
        let (sr, n_fft) = (48000.0, 4096);
        let mut s = StreamingSpectrogram::new(&StreamingParams::new(sr, n_fft)).unwrap();
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
        let mut s = StreamingSpectrogram::new(&StreamingParams::new(44100.0, 1024)).unwrap();
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
        ] {
            assert!(matches!(StreamingSpectrogram::new(&p), Err(crate::dsp::Error::Parameter(_))), "{p:?}");
        }
    }
}
