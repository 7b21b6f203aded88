//! Seeking: the demuxer moves to a pre-roll before the sample sought, the decoder starts
//! again there, and what it gives before that sample is dropped.

use std::path::Path;

use ::symphonia::core::codecs::audio::{well_known, AudioCodecId};
use ::symphonia::core::formats::{SeekMode, SeekTo};
use ::symphonia::core::units::Timestamp;

use super::{decoder_panic, symphonia_error, Symphonia};
use crate::dsp::error::{catch_panic, Error, Result};

/// What a seek did.
pub(in crate::dsp::decode) enum Seek {
    /// The samples from the one sought on are pending.
    Done,
    /// Not tried (the stream is not sought, or what lies before is too short to pay): nothing
    /// changed.
    NotUsed,
    /// The demuxer moved but failed: the stream is unusable.
    Failed,
}

/// Samples (at the file's rate) decoded before a sample sought, and thrown away, so that the
/// decoder's state is that of a decode from the start: none for FLAC's and ALAC's independent
/// frames; for MP3 two frames (the frame before the one sought holds the overlap of its
/// IMDCT and the synthesis filter bank's history; symphonia's seek adds the frames that hold
/// their bit reservoir); for Vorbis two of its longest blocks (the first packet after a reset
/// gives no samples, the next only the overlap of the two); for AAC four frames (one holds
/// the overlap); for Opus 80 ms, RFC 7845 §4.6's pre-roll (its decoder state converges, the
/// samples after it are within 0.05 dB on a mel spectrogram). Other codecs are decoded from
/// the start.
pub(super) fn preroll(codec: AudioCodecId) -> Option<i64> {
    match codec {
        well_known::CODEC_ID_FLAC | well_known::CODEC_ID_ALAC => Some(0),
        well_known::CODEC_ID_MP3 => Some(2 * 1152),
        well_known::CODEC_ID_VORBIS => Some(2 * 8192),
        well_known::CODEC_ID_AAC => Some(4 * 1024),
        well_known::CODEC_ID_OPUS => Some(3840),
        _ => None,
    }
}

/// Samples (at the file's rate) a seek must leave out to be used: fewer are decoded.
const SEEK_GAIN: i64 = 8192;

impl Symphonia {
    /// Moves to the sample `skip` samples (at the rate delivered) after the first, decoding
    /// only the [`preroll`] before it: the samples from it on are then pending, as if all
    /// before them had been decoded and dropped.
    pub(in crate::dsp::decode) fn seek(&mut self, path: &Path, skip: u64) -> Seek {
        match catch_panic(|| self.seek_inner(path, skip), decoder_panic(path)) {
            Ok(true) => Seek::Done,
            Ok(false) => Seek::NotUsed,
            Err(_) => Seek::Failed,
        }
    }

    fn seek_inner(&mut self, path: &Path, skip: u64) -> Result<bool> {
        let d = i64::from(self.decoder.decimation());
        let target = (skip as i64).checked_mul(d).and_then(|s| s.checked_add(self.first));
        let (Some(preroll), Some(target)) = (self.preroll, target) else { return Ok(false) };
        let from = target - preroll;
        // Decoding what lies between costs no more than moving for a packet or two.
        if from <= self.end + SEEK_GAIN {
            return Ok(false);
        }
        let at = match self.clock {
            Some(_) => self.demux_to(path, from)?,
            None => {
                let to = SeekTo::Timestamp { ts: Timestamp::new(from), track_id: self.track };
                self.format.seek(SeekMode::Accurate, to).map_err(|e| symphonia_error(path, e, false))?.actual_ts.get()
            }
        };
        self.pending.clear();
        self.decoder.restart(at, self.first, target).map_err(|e| Error::decode(path, e))?;
        let mut block = Vec::new();
        loop {
            block.clear();
            let Some(b) = self.decode_next(path, &mut block)? else { return Ok(true) };
            let frames = (block.len() / b.channels) as i64;
            // The block's samples are `d` apart from `first`: the one sought is one of them,
            // or the seek did not land where its timestamps say.
            let (before, phase) = ((target - b.first).div_euclid(d), (target - b.first).rem_euclid(d));
            if before < 0 || phase != 0 {
                return Err(Error::decode(path, "a seek landed off its timestamps"));
            }
            if before < frames {
                block.drain(..before as usize * b.channels);
                self.pending = block;
                self.end = b.first + frames * d;
                return Ok(true);
            }
        }
    }

    /// Reads the packets before the one holding timestamp `from` (Opus counted by their
    /// tables of contents, see `clock`) without decoding them; that one is held for the
    /// decoder. Its timestamp, or the end's.
    fn demux_to(&mut self, path: &Path, from: i64) -> Result<i64> {
        let mut clock = self.clock.unwrap_or(0);
        while let Some(packet) = self.next_packet(path)? {
            let samples = super::opus_samples(&packet);
            if clock + samples > from {
                self.held = Some(packet);
                break;
            }
            clock += samples;
        }
        self.clock = Some(clock);
        Ok(clock)
    }
}
