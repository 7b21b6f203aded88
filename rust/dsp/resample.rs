//! Sample-rate conversion with rubato's synchronous FFT resampler (a fixed rational ratio,
//! Blackman-Harris anti-aliasing filter), delay-compensated by `process_all`.

use audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler, WindowFunction};

use super::error::{ensure_param, Error, Result};

/// Frames per chunk on the input side. One FFT per chunk (no sub-chunks) makes the
/// anti-aliasing filter long: its pass band then reaches ~99% of the lower Nyquist frequency
/// (rubato's default sub-chunking rolls off from ~85%, audibly duller than soxr's HQ).
const CHUNK: usize = 8192;

/// Resamples interleaved `samples` (`channels` per frame) from `sr_in` to `sr_out` Hz. The
/// output has `ceil(frames * sr_out / sr_in)` frames, aligned with the input (no delay).
pub fn resample(samples: &[f32], channels: usize, sr_in: u32, sr_out: u32) -> Result<Vec<f32>> {
    if sr_in == sr_out || samples.is_empty() {
        ensure_param!(sr_out > 0, "target sample rate must be positive, got {sr_out}");
        return Ok(samples.to_vec());
    }
    let mut stream = StreamResampler::new(channels, sr_in, sr_out)?;
    let mut out = Vec::with_capacity((samples.len() as f64 * stream.ratio) as usize + channels);
    stream.push(samples, &mut out)?;
    stream.finish(&mut out)?;
    Ok(out)
}

/// A resampler fed block by block: the same output as [`resample`] on the whole signal, with
/// memory bounded by two chunks whatever the length.
pub struct StreamResampler {
    inner: Fft<f32>,
    channels: usize,
    ratio: f64,
    /// Input not yet resampled (less than a chunk after each push).
    pending: Vec<f32>,
    /// Scratch output of one chunk.
    chunk_out: Vec<f32>,
    /// Output frames still to drop: the resampler's delay.
    to_trim: usize,
    frames_in: u64,
    frames_out: u64,
    rates: (u32, u32),
}

impl StreamResampler {
    pub fn new(channels: usize, sr_in: u32, sr_out: u32) -> Result<Self> {
        ensure_param!(sr_in > 0 && sr_out > 0, "sample rates must be positive, got {sr_in} and {sr_out}");
        ensure_param!(channels > 0, "need at least one channel");
        let inner = Fft::<f32>::new_custom(
            sr_in as usize,
            sr_out as usize,
            CHUNK,
            1,
            channels,
            WindowFunction::BlackmanHarris2,
            FixedSync::Input,
        )
        .map_err(|e| Error::Parameter(format!("cannot resample {sr_in} Hz to {sr_out} Hz: {e}")))?;
        Ok(StreamResampler {
            channels,
            ratio: f64::from(sr_out) / f64::from(sr_in),
            pending: Vec::new(),
            chunk_out: vec![0.0; inner.output_frames_max() * channels],
            to_trim: inner.output_delay(),
            frames_in: 0,
            frames_out: 0,
            rates: (sr_in, sr_out),
            inner,
        })
    }

    /// Resamples `frames` frames of `self.pending` (a whole chunk, or the last partial one
    /// when `partial` is set) and appends the output, less the delay, to `out`.
    fn run(&mut self, frames: usize, partial: Option<usize>, out: &mut Vec<f32>) -> Result<()> {
        let c = self.channels;
        let max_out = self.chunk_out.len() / c;
        let fail = |e: &dyn std::fmt::Display| failed(self.rates, e);
        let input = InterleavedSlice::new(&self.pending[..frames * c], c, frames).map_err(|e| fail(&e))?;
        let mut output = InterleavedSlice::new_mut(&mut self.chunk_out, c, max_out).map_err(|e| fail(&e))?;
        let indexing = Indexing { input_offset: 0, output_offset: 0, active_channels_mask: None, partial_len: partial };
        let (used, made) =
            self.inner.process_into_buffer(&input, &mut output, Some(&indexing)).map_err(|e| fail(&e))?;
        self.pending.drain(..used.min(frames) * c);
        let skip = self.to_trim.min(made);
        self.to_trim -= skip;
        out.extend_from_slice(&self.chunk_out[skip * c..made * c]);
        self.frames_out += (made - skip) as u64;
        Ok(())
    }

    /// Resamples interleaved `samples`, appending what is ready to `out`.
    pub fn push(&mut self, samples: &[f32], out: &mut Vec<f32>) -> Result<()> {
        self.frames_in += (samples.len() / self.channels) as u64;
        self.pending.extend_from_slice(samples);
        loop {
            let need = self.inner.input_frames_next();
            if self.pending.len() / self.channels <= need {
                return Ok(());
            }
            self.run(need, None, out)?;
        }
    }

    /// Flushes the rest: the output then holds `ceil(frames_in * sr_out / sr_in)` frames in all.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<()> {
        let expected = (self.ratio * self.frames_in as f64).ceil() as u64;
        let left = self.pending.len() / self.channels;
        if left > 0 {
            // The last (possibly whole) chunk, zero-padded by rubato.
            let need = self.inner.input_frames_next();
            self.pending.resize(need.max(left) * self.channels, 0.0);
            self.run(need.max(left), Some(left), out)?;
        }
        while self.frames_out < expected {
            let need = self.inner.input_frames_next();
            self.pending.clear();
            self.pending.resize(need * self.channels, 0.0);
            self.run(need, Some(0), out)?;
        }
        let extra = (self.frames_out - expected) as usize * self.channels;
        out.truncate(out.len() - extra.min(out.len()));
        self.frames_out = expected;
        Ok(())
    }
}

/// A failure while resampling: the buffers given to rubato are ours, so it is our bug.
fn failed((sr_in, sr_out): (u32, u32), e: &dyn std::fmt::Display) -> Error {
    Error::Internal(format!("cannot resample {sr_in} Hz to {sr_out} Hz: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_keeps_its_frequency_and_level() {
        let (sr_in, sr_out) = (44100u32, 16000u32);
        let f = 1000.0;
        let x: Vec<f32> =
            (0..sr_in).map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / sr_in as f64).sin() as f32).collect();
        let y = resample(&x, 1, sr_in, sr_out).unwrap();
        assert_eq!(y.len(), sr_out as usize);
        // Away from the edges, y is a pure 1 kHz tone of amplitude 1: fit a sin + b cos at
        // 1 kHz (rubato's filter delays by a fraction of a sample, so the phase is free).
        let w = |i: usize| 2.0 * std::f64::consts::PI * f * i as f64 / sr_out as f64;
        let range = 2000..14000;
        let n = range.len() as f64;
        let a: f64 = range.clone().map(|i| y[i] as f64 * w(i).sin()).sum::<f64>() * 2.0 / n;
        let b: f64 = range.clone().map(|i| y[i] as f64 * w(i).cos()).sum::<f64>() * 2.0 / n;
        assert!(((a * a + b * b).sqrt() - 1.0).abs() < 1e-3, "amplitude {a} {b}");
        let residual = range.map(|i| (y[i] as f64 - a * w(i).sin() - b * w(i).cos()).abs()).fold(0.0, f64::max);
        assert!(residual < 1e-3, "max residual {residual}");
    }

    #[test]
    fn stereo_channels_stay_apart() {
        let x: Vec<f32> = (0..8000).flat_map(|_| [0.5, -0.25]).collect();
        let y = resample(&x, 2, 8000, 22050).unwrap();
        assert_eq!(y.len(), 2 * 22050);
        assert!((y[2 * 11000] - 0.5).abs() < 1e-3 && (y[2 * 11000 + 1] + 0.25).abs() < 1e-3);
    }

    #[test]
    fn blocks_of_any_size_give_what_rubato_gives_for_the_whole_clip() {
        let x: Vec<f32> = (0..50_000).map(|i| ((i as f32 * 0.013).sin() + (i as f32 * 0.4).cos()) * 0.5).collect();
        let mut r =
            Fft::<f32>::new_custom(44100, 16000, CHUNK, 1, 1, WindowFunction::BlackmanHarris2, FixedSync::Input)
                .unwrap();
        let whole = r.process_all(&InterleavedSlice::new(&x, 1, x.len()).unwrap(), x.len(), None).unwrap().take_data();
        for block in [1000, 8192, 8193, 50_000] {
            let mut s = StreamResampler::new(1, 44100, 16000).unwrap();
            let mut out = Vec::new();
            for b in x.chunks(block) {
                s.push(b, &mut out).unwrap();
            }
            s.finish(&mut out).unwrap();
            assert_eq!(out.len(), whole.len(), "block {block}");
            let diff = out.iter().zip(&whole).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(diff < 1e-6, "block {block}: {diff}");
        }
    }
}
