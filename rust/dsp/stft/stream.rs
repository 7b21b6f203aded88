//! The frames of a signal fed block by block (the live view, long files).

use super::{Framing, PadMode, Scratch, Stft, StftParams};
use crate::dsp::error::{ensure_param, Error, Result};

/// Frames of a signal fed block by block, as `Stft` would cut the whole signal (centred
/// frames padded with zeros, librosa's `pad_mode="constant"`).
pub struct FrameStream {
    stft: Stft,
    scratch: Scratch,
    power: f32,
    /// Samples from the start of the next frame on.
    buf: Vec<f32>,
    /// Samples still to drop before the next frame starts (when `hop_length > n_fft`).
    skip: usize,
    centre_pad: usize,
}

impl FrameStream {
    pub fn new(params: &StftParams, power: f32) -> Result<Self> {
        let centre_pad = match params.framing {
            Framing::Centered(PadMode::Constant) => params.n_fft / 2,
            Framing::Uncentered => 0,
            other => {
                return Err(Error::Parameter(format!(
                    "streaming analysis frames as librosa, padding with zeros only (pad_mode='constant'), got \
                     {other:?}"
                )))
            }
        };
        ensure_param!(params.conditioning.is_none(), "streaming analysis takes no per-frame conditioning");
        let stft = Stft::new(&StftParams { framing: Framing::Uncentered, ..params.clone() })?;
        Ok(FrameStream { scratch: stft.scratch(), stft, power, buf: vec![0.0; centre_pad], skip: 0, centre_pad })
    }

    pub fn n_bins(&self) -> usize {
        self.stft.n_bins()
    }

    /// Adds samples; calls `sink(|X_t|^power)` for every frame now complete.
    pub fn push(&mut self, samples: &[f32], mut sink: impl FnMut(&[f32])) {
        let dropped = self.skip.min(samples.len());
        self.skip -= dropped;
        self.buf.extend_from_slice(&samples[dropped..]);
        let (n_fft, hop) = (self.stft.n_fft(), self.stft.hop_length());
        if self.buf.len() < n_fft {
            return;
        }
        let frames = 1 + (self.buf.len() - n_fft) / hop;
        self.stft.power_spectra(&self.buf, self.power, 0..frames, &mut self.scratch, |_, spectrum| sink(spectrum));
        let consumed = frames * hop;
        if consumed <= self.buf.len() {
            self.buf.drain(..consumed);
        } else {
            self.skip = consumed - self.buf.len();
            self.buf.clear();
        }
    }

    /// Forgets every sample pushed: the next push starts a new signal.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.buf.resize(self.centre_pad, 0.0);
        self.skip = 0;
    }

    /// Ends the signal (adding the closing padding) and emits the last frames.
    pub fn finish(&mut self, sink: impl FnMut(&[f32])) {
        let pad = vec![0.0; self.centre_pad];
        self.push(&pad, sink);
        self.buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_fed_in_blocks_are_the_whole_signal_frames() {
        let y: Vec<f32> = (0..20_000).map(|i| (i as f32 * 0.05).sin() * (i as f32 * 0.0007).cos()).collect();
        let params = StftParams::new(512);
        let stft = Stft::<f32>::new(&params).unwrap();
        let mut whole = Vec::new();
        stft.power_spectra(&y, 2.0, 0..stft.n_frames(y.len()).unwrap(), &mut stft.scratch(), |_, s| {
            whole.extend_from_slice(s)
        });
        for block in [1, 100, 128, 511, 4096, 20_000] {
            let mut fs = FrameStream::new(&params, 2.0).unwrap();
            let mut got = Vec::new();
            for b in y.chunks(block) {
                fs.push(b, |s| got.extend_from_slice(s));
            }
            fs.finish(|s| got.extend_from_slice(s));
            assert_eq!(got.len(), whole.len(), "block {block}");
            let diff = got.iter().zip(&whole).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(diff < 1e-3, "block {block}: {diff}");
        }
    }
}
