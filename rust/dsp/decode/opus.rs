//! Opus packets (from symphonia's Ogg and Matroska/WebM demuxers) decoded by libopus, at
//! 48 kHz as the format intends, or at a lower rate libopus decodes at (8, 12, 16 or 24 kHz)
//! where the caller resamples to it or below ([`DecodeRequest::opus_rate`]), and a stereo
//! stream straight to mono (libopus's own downmix, the mean of the channels) where the caller
//! mixes to mono. The stream's identification header, `OpusHead` (RFC 7845; the track's extra
//! data in Ogg, its CodecPrivate in WebM), gives the channels, the channel mapping and the
//! pre-skip: the encoder's priming samples, dropped from the start as FFmpeg and opusdec drop
//! them. Samples the demuxer marks as trimmed (the end of an Ogg stream past its last granule
//! position) are dropped too. Both are counted at 48 kHz, and scaled to the rate decoded.

use std::path::Path;

use symphonia::core::packet::Packet;

use super::request::DecodeRequest;
use crate::dsp::error::{Error, Result};

/// Opus's own rate: pre-skip, trims and durations are counted at it.
const OPUS_RATE: u32 = 48_000;
/// The longest Opus packet: 120 ms at 48 kHz.
const MAX_FRAME: usize = 5760;

enum Decoder {
    /// Channel mapping family 0: one stream, mono or stereo.
    Simple(opus::Decoder),
    /// Families 1 and 255: several streams mapped onto the channels.
    Multi(opus::MSDecoder),
}

/// An Opus stream being decoded.
pub(super) struct Opus {
    decoder: Decoder,
    /// The channels decoded (1 where a stereo stream is decoded to mono).
    channels: usize,
    /// The rate decoded at, and 48 kHz over it (1, 2, 3, 4 or 6).
    rate: u32,
    decimation: usize,
    /// Samples (per channel, at 48 kHz) of the pre-skip still to drop.
    skip: usize,
    pcm: Vec<f32>,
    /// Frames at 48 kHz of the samples delivered so far.
    full_frames: u64,
}

impl Opus {
    /// A decoder for the stream whose `OpusHead` is `head`, decoding what `request` asks.
    pub(super) fn new(path: &Path, head: Option<&[u8]>, request: &DecodeRequest) -> Result<Self> {
        let corrupt = |what: &str| Error::decode(path, format!("Opus header: {what}"));
        let head = head.ok_or_else(|| corrupt("missing"))?;
        if head.len() < 19 || &head[..8] != b"OpusHead" {
            return Err(corrupt("not an OpusHead"));
        }
        let channels = usize::from(head[9]);
        let skip = usize::from(u16::from_le_bytes([head[10], head[11]]));
        let family = head[18];
        let failed = |e: opus::Error| Error::decode(path, format!("Opus decoder: {e}"));
        let rate = request.opus_rate();
        let mut decoded = channels;
        let decoder = match (family, channels) {
            (0, 1 | 2) => {
                decoded = if request.mono { 1 } else { channels };
                let layout = if decoded == 1 { opus::Channels::Mono } else { opus::Channels::Stereo };
                Decoder::Simple(opus::Decoder::new(rate, layout).map_err(failed)?)
            }
            (0, _) => return Err(corrupt(&format!("{channels} channels in mapping family 0"))),
            (_, 1..=255) => {
                // Stream count, coupled count, then one mapping byte per channel.
                let table = head.get(19..21 + channels).ok_or_else(|| corrupt("short channel mapping table"))?;
                Decoder::Multi(opus::MSDecoder::new(rate, table[0], table[1], &table[2..]).map_err(failed)?)
            }
            _ => return Err(corrupt("0 channels")),
        };
        let decimation = (OPUS_RATE / rate) as usize;
        let pcm = vec![0.0; MAX_FRAME / decimation * decoded];
        Ok(Opus { decoder, channels: decoded, rate, decimation, skip, pcm, full_frames: 0 })
    }

    /// The channels delivered.
    pub(super) fn channels(&self) -> usize {
        self.channels
    }

    /// The rate delivered.
    pub(super) fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// 48 kHz over the rate delivered.
    pub(super) fn decimation(&self) -> u32 {
        self.decimation as u32
    }

    /// Frames at 48 kHz that the samples delivered so far stand for.
    pub(super) fn full_frames(&self) -> u64 {
        self.full_frames
    }

    /// Starts again after the demuxer has moved (a seek): the next packet is decoded from a
    /// fresh state, without the pre-skip; the samples delivered so far stand for `full_frames`
    /// frames at 48 kHz.
    pub(super) fn restart(&mut self, full_frames: u64) -> std::result::Result<(), String> {
        match &mut self.decoder {
            Decoder::Simple(d) => d.reset_state(),
            Decoder::Multi(d) => d.reset_state(),
        }
        .map_err(|e| e.to_string())?;
        (self.skip, self.full_frames) = (0, full_frames);
        Ok(())
    }

    /// Decodes `packet`, appending its interleaved samples (less the pre-skip and the trims)
    /// to `out`; the timestamp (at 48 kHz) of the first, or an error for a corrupt packet.
    pub(super) fn decode(&mut self, packet: &Packet, out: &mut Vec<f32>) -> std::result::Result<i64, String> {
        let frames = match &mut self.decoder {
            Decoder::Simple(d) => d.decode_float(&packet.data, &mut self.pcm, false),
            Decoder::Multi(d) => d.decode_float(&packet.data, &mut self.pcm, false),
        }
        .map_err(|e| e.to_string())?;
        // Counted at 48 kHz, then taken to the rate decoded (sample n there is n * d at 48 kHz).
        let (d, full) = (self.decimation, frames * self.decimation);
        let (trimmed_start, trimmed_end) = (packet.trim_start.get() as usize, packet.trim_end.get() as usize);
        let trim_start = (trimmed_start + self.skip).min(full);
        self.skip -= self.skip.min(full.saturating_sub(trimmed_start));
        let end = full.saturating_sub(trimmed_end).max(trim_start);
        self.full_frames += (end - trim_start) as u64;
        let (first, last) = (trim_start.div_ceil(d), end.div_ceil(d));
        out.extend_from_slice(&self.pcm[first * self.channels..last * self.channels]);
        Ok(packet.pts.get() + (first * d) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use symphonia::core::units::{Duration, Timestamp};

    /// An `OpusHead` for mapping family 0.
    fn head(channels: u8, pre_skip: u16) -> Vec<u8> {
        let mut h = b"OpusHead".to_vec();
        h.push(1); // version
        h.push(channels);
        h.extend_from_slice(&pre_skip.to_le_bytes());
        h.extend_from_slice(&48_000u32.to_le_bytes());
        h.extend_from_slice(&[0, 0, 0]); // output gain, mapping family
        h
    }

    #[test]
    fn bad_headers_are_errors_naming_the_file() {
        let path = Path::new("voice.ogg");
        for (bad, reason) in [
            (None, "missing"),
            (Some(b"OpusTags-and-more-bytes".to_vec()), "not an OpusHead"),
            (Some(head(3, 0)), "3 channels in mapping family 0"),
        ] {
            let message = Opus::new(path, bad.as_deref(), &DecodeRequest::ALL).err().unwrap().to_string();
            assert!(message.contains("voice.ogg") && message.contains(reason), "{message}");
        }
    }

    #[test]
    fn pre_skip_and_trims_are_dropped_across_packets() {
        // Three 20 ms packets of a 440 Hz tone; a pre-skip longer than one packet.
        let mut encoder = opus::Encoder::new(OPUS_RATE, opus::Channels::Mono, opus::Application::Audio).unwrap();
        let tone: Vec<f32> =
            (0..2880).map(|n| (n as f32 * 440.0 / 48_000.0 * std::f32::consts::TAU).sin() * 0.5).collect();
        let mut opus = Opus::new(Path::new("tone.opus"), Some(&head(1, 1500)), &DecodeRequest::ALL).unwrap();
        assert_eq!(opus.channels(), 1);
        let mut out = Vec::new();
        for (i, frame) in tone.chunks(960).enumerate() {
            let data = encoder.encode_vec_float(frame, 4000).unwrap();
            let mut packet = Packet::new(0, Timestamp::new(i as i64 * 960), Duration::new(960), data);
            if i == 2 {
                packet.trim_end = Duration::new(100);
            }
            opus.decode(&packet, &mut out).unwrap();
        }
        assert_eq!(out.len(), 2880 - 1500 - 100);
        // What is left is the tone (past the codec's start-up), not silence.
        let rms = (out[500..].iter().map(|x| x * x).sum::<f32>() / (out.len() - 500) as f32).sqrt();
        assert!((rms - 0.5 / 2f32.sqrt()).abs() < 0.1, "{rms}");
        // A corrupt packet is an error, not a panic.
        let junk = Packet::new(0, Timestamp::new(2880), Duration::new(960), vec![0xff; 3]);
        assert!(opus.decode(&junk, &mut out).is_err());
    }
}
