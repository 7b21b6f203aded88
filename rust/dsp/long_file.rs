//! Long files in bounded memory: decode a block, mix it to mono, resample it, cut it into
//! frames, and reduce the spectrogram's columns to a bounded number as they come. An hour of
//! 44.1 kHz stereo audio (635 MB as WAV) never sits in memory: at most a decode block, a
//! resampler chunk, one frame and `max_columns` columns do.

use super::decode::{check_finite, mix_to_mono, AudioReader};
use super::error::{ensure_param, Error, Result};
use super::filterbank::FilterBank;
use super::resample::StreamResampler;
use super::spectrogram::Matrix;
use super::stft::{FrameStream, StftParams};

/// Spectrogram columns reduced to at most `max_columns`: while there is room every frame is a
/// column; when full, neighbouring columns are merged in pairs (their mean power) and from
/// then on each column is the mean of twice as many frames.
pub struct ColumnPool {
    rows: usize,
    max_columns: usize,
    /// Frames per column.
    per_column: usize,
    /// Column-major: `columns.len() / rows` columns.
    columns: Vec<f32>,
    sum: Vec<f32>,
    summed: usize,
}

impl ColumnPool {
    pub fn new(rows: usize, max_columns: usize) -> Self {
        let max_columns = max_columns.max(2) & !1;
        ColumnPool { rows, max_columns, per_column: 1, columns: Vec::new(), sum: vec![0.0; rows], summed: 0 }
    }

    pub fn push(&mut self, column: &[f32]) {
        self.sum.iter_mut().zip(column).for_each(|(s, &v)| *s += v);
        self.summed += 1;
        if self.summed == self.per_column {
            self.flush();
        }
        if self.columns.len() == self.max_columns * self.rows {
            let (rows, half) = (self.rows, self.max_columns / 2);
            for i in 0..half {
                for r in 0..rows {
                    self.columns[i * rows + r] =
                        0.5 * (self.columns[2 * i * rows + r] + self.columns[(2 * i + 1) * rows + r]);
                }
            }
            self.columns.truncate(half * rows);
            self.per_column *= 2;
        }
    }

    fn flush(&mut self) {
        if self.summed > 0 {
            let scale = 1.0 / self.summed as f32;
            self.columns.extend(self.sum.iter().map(|s| s * scale));
            self.sum.iter_mut().for_each(|s| *s = 0.0);
            self.summed = 0;
        }
    }

    /// The `(rows, columns)` matrix (a last partial column is the mean of its frames).
    pub fn finish(mut self) -> Matrix {
        self.flush();
        let cols = self.columns.len() / self.rows;
        let mut data = vec![0.0; self.columns.len()];
        for (c, column) in self.columns.chunks_exact(self.rows).enumerate() {
            for (r, &v) in column.iter().enumerate() {
                data[r * cols + c] = v;
            }
        }
        Matrix { rows: self.rows, cols, data }
    }
}

/// The power spectrogram (rows from `bank`) of an open file, mixed to mono and resampled to `sr` (if given),
/// reduced to at most `max_columns` columns by [`ColumnPool`]. Rejects NaN and infinite
/// samples, like the whole-file path.
pub fn pooled_mel(
    reader: &mut AudioReader,
    sr: Option<u32>,
    stft: &StftParams,
    power: f32,
    bank: &FilterBank,
    max_columns: usize,
) -> Result<Matrix> {
    let channels = reader.channels();
    let mut resampler = match sr.filter(|&sr| sr != reader.sample_rate()) {
        Some(sr) => Some(StreamResampler::new(1, reader.sample_rate(), sr)?),
        None => None,
    };
    let mut frames = FrameStream::new(stft, power)?;
    let mut pool = ColumnPool::new(bank.n_filters(), max_columns);
    let mut column = vec![0.0; bank.n_filters()];
    let mut emit = |spectrum: &[f32]| {
        bank.apply(spectrum, &mut column);
        pool.push(&column);
    };
    let (mut block, mut mono, mut resampled) = (Vec::new(), Vec::new(), Vec::new());
    let mut total = 0usize;
    loop {
        block.clear();
        let got = reader.read_block(&mut block)?;
        mono.clear();
        mix_to_mono(&block, channels, &mut mono);
        check_finite(reader.path(), &mono)?;
        total += mono.len();
        let signal = match resampler.as_mut() {
            Some(r) => {
                resampled.clear();
                if got == 0 {
                    r.finish(&mut resampled);
                } else {
                    r.push(&mono, &mut resampled);
                }
                &resampled
            }
            None => &mono,
        };
        frames.push(signal, &mut emit);
        if got == 0 {
            break;
        }
    }
    if total == 0 {
        return Err(Error::empty(reader.path()));
    }
    frames.finish(&mut emit);
    let m = pool.finish();
    ensure_param!(m.cols > 0, "{}: shorter than one frame of n_fft={} samples", reader.path().display(), stft.n_fft);
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::filterbank::{MelNorm, MelParams};
    use crate::dsp::spectrogram::{MelSpecParams, MelSpectrogram};

    #[test]
    fn the_pool_keeps_every_column_until_full_then_averages_pairs() {
        let mut pool = ColumnPool::new(1, 4);
        for v in [1.0, 3.0, 5.0] {
            pool.push(&[v]);
        }
        assert_eq!(pool.columns, vec![1.0, 3.0, 5.0]);
        for v in [7.0, 10.0, 20.0, 2.0] {
            pool.push(&[v]);
        }
        // [1 3 5 7] -> [2 6], then [10 20] -> 15, then 2 waits for its partner.
        let m = pool.finish();
        assert_eq!(m.data, vec![2.0, 6.0, 15.0, 2.0]);
    }

    #[test]
    fn pooled_mel_of_a_short_file_is_the_mel_spectrogram() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        let y: Vec<f32> = (0..30_000).map(|i| (i as f32 * 0.3).sin() * 0.5).collect();
        for &s in &y {
            w.write_sample((s * 32767.0) as i16).unwrap();
            w.write_sample((s * 16000.0) as i16).unwrap();
        }
        w.finalize().unwrap();
        let params = MelSpecParams {
            stft: StftParams::new(1024),
            power: 2.0,
            mel: MelParams {
                sr: 8000.0,
                n_fft: 1024,
                n_mels: 40,
                fmin: 0.0,
                fmax: None,
                htk: false,
                norm: MelNorm::Slaney,
            },
        };
        let audio = crate::dsp::decode::read(&path).unwrap();
        let want = MelSpectrogram::new(&params).unwrap().compute(&audio.to_mono(), None).unwrap();
        let bank = FilterBank::mel(&params.mel).unwrap();
        let mut reader = AudioReader::open(&path, &Default::default()).unwrap();
        let got = pooled_mel(&mut reader, None, &params.stft, 2.0, &bank, 1000).unwrap();
        assert_eq!((got.rows, got.cols), (want.rows, want.cols));
        let scale = want.data.iter().cloned().fold(0.0, f32::max);
        let diff = got.data.iter().zip(&want.data).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(diff < 1e-5 * scale, "{diff} vs {scale}");
        // Pooled to at most 20 columns: each the mean of its frames.
        let mut reader = AudioReader::open(&path, &Default::default()).unwrap();
        let small = pooled_mel(&mut reader, None, &params.stft, 2.0, &bank, 20).unwrap();
        assert!(small.cols <= 20 && small.cols >= 10, "{}", small.cols);
    }
}
