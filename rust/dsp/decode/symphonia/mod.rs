//! Everything that is not a WAV file hound reads goes to symphonia's demuxers: MP3, Ogg
//! Vorbis, AAC (ADTS), AAC in MP4/M4A, FLAC, Opus, and the WAV codecs hound lacks. Encoder
//! delay and padding are removed where the file records them (gapless MP3/MP4). The packets
//! are decoded by symphonia, but FLAC by [`flac`](super::flac) (symphonia's decoder, made
//! faster), MP3 by [`mp3`](super::mp3) and Opus by libopus, which decode only what the
//! [`DecodeRequest`] asks for. symphonia on hostile input may panic (e.g. a rate
//! of 0 in a header): that is a corrupt file, not a crash.

use std::io::ErrorKind;
use std::path::Path;

use ::symphonia::core::codecs::audio::{
    well_known, AudioCodecId, AudioDecoder, AudioDecoderOptions, CODEC_ID_NULL_AUDIO,
};
use ::symphonia::core::errors::Error as SymError;
use ::symphonia::core::formats::probe::Hint;
use ::symphonia::core::formats::{FormatOptions, FormatReader};
use ::symphonia::core::io::MediaSourceStream;
use ::symphonia::core::meta::MetadataOptions;
use ::symphonia::core::packet::Packet;
use ::symphonia::core::units::Timestamp;

mod seek;

use super::flac::Flac;
use super::mp3::{Frame, Mp3};
use super::probe::Format;
use super::request::DecodeRequest;
use super::source::{Media, ReaderFailed, Stream};
use crate::dsp::error::{catch_panic, Error, Result};
use seek::preroll;
pub(super) use seek::Seek;

/// A file read by symphonia: its demuxer, the decoder of its first audio track, and the
/// samples of the packet decoded while opening.
pub(super) struct Symphonia {
    format: Box<dyn FormatReader>,
    decoder: Codec,
    track: u32,
    codec: AudioCodecId,
    pending: Vec<f32>,
    /// Whether the file's reader has failed: symphonia's I/O errors are then the file's.
    failed: ReaderFailed,
    /// The timestamp of the first sample delivered, and of the sample after those pending
    /// (at the file's rate).
    first: i64,
    end: i64,
    /// Timestamps decoded before a sample sought ([`preroll`]); `None` where the stream is
    /// not sought (its timestamps do not count samples, or its codec's state is not known to
    /// converge).
    preroll: Option<i64>,
    /// Opus in Matroska/WebM, whose timestamps are milliseconds (rounded, and shifted by the
    /// codec delay): the packets' timestamps are the samples (at 48 kHz) of the packets before
    /// them, counted from their tables of contents, and a seek demuxes up to the sample sought
    /// without decoding.
    clock: Option<i64>,
    /// A packet a seek read ahead: the next decoded.
    held: Option<Packet>,
}

/// A block of decoded samples: its channels, its rate and the timestamp of its first sample.
struct Block {
    channels: usize,
    rate: u32,
    first: i64,
}

/// An opened file: its stream, the channels and rate delivered, the file's rate over the
/// rate delivered (1 unless the request let the decoder lower it), the frames its header
/// declares (if it does, at the file's rate) and its format (`known`, else guessed from the
/// codec).
pub(super) struct Opened {
    pub stream: Box<Symphonia>,
    pub channels: usize,
    pub sample_rate: u32,
    pub decimation: u32,
    pub frames: Option<u64>,
    pub format: Format,
}

/// The decoder of a track: symphonia's, ours for FLAC and MP3, or libopus for Opus (which
/// symphonia lacks).
enum Codec {
    Symphonia(Box<dyn AudioDecoder>),
    Flac(Box<Flac>),
    Mp3(Box<Mp3>),
    #[cfg(feature = "opus")]
    Opus(super::opus::Opus),
}

impl Codec {
    /// The file's rate over the rate delivered.
    fn decimation(&self) -> u32 {
        match self {
            Codec::Symphonia(_) | Codec::Flac(_) => 1,
            Codec::Mp3(mp3) => mp3.decimation(),
            #[cfg(feature = "opus")]
            Codec::Opus(opus) => opus.decimation(),
        }
    }

    /// Starts again from a fresh state after the demuxer has moved to timestamp `at` (`first`
    /// that of the first sample delivered), to deliver the sample at `target`.
    fn restart(&mut self, at: i64, first: i64, target: i64) -> std::result::Result<(), String> {
        let full_frames = at.saturating_sub(first).max(0) as u64;
        match self {
            Codec::Symphonia(decoder) => decoder.reset(),
            Codec::Flac(_) => (),
            Codec::Mp3(mp3) => mp3.restart(target, full_frames),
            #[cfg(feature = "opus")]
            Codec::Opus(opus) => opus.restart(full_frames)?,
        }
        Ok(())
    }
}

/// Consecutive undecodable packets after which a file is given up as corrupt.
const MAX_BAD_PACKETS: usize = 100;

fn decoder_panic(path: &Path) -> impl FnOnce(String) -> Error + '_ {
    move |msg| Error::decode(path, format!("corrupt stream ({msg})"))
}

/// Opens `stream` (whose first bytes are of `known` format, if any; `path` names it) to decode
/// what `request` asks, for a reader that skips its first `offset` seconds, and decodes up to
/// its first audio.
pub(super) fn open(
    path: &Path,
    known: Option<Format>,
    stream: Stream,
    request: &DecodeRequest,
    offset: f64,
) -> Result<Opened> {
    catch_panic(|| open_inner(path, known, stream, request, offset), decoder_panic(path))
}

fn open_inner(
    path: &Path,
    known: Option<Format>,
    stream: Stream,
    request: &DecodeRequest,
    offset: f64,
) -> Result<Opened> {
    let failed = ReaderFailed::default();
    let stream = MediaSourceStream::new(Box::new(Media { stream, failed: failed.clone() }), Default::default());
    let format = ::symphonia::default::get_probe()
        .probe(&Hint::new(), stream, FormatOptions::default(), MetadataOptions::default())
        .map_err(|e| match e {
            // A file that starts like a container we read but whose header is cut short or
            // broken is a corrupt file; anything else the probe did not recognise (it scans
            // the whole file for a marker and fails at its end) is not audio we read.
            SymError::IoError(e) if failed.get() => Error::io(path, e),
            SymError::Unsupported(what) => match known {
                Some(format) => Error::decode(path, format!("cut short or corrupt {} file ({what})", format.name())),
                None => Error::unsupported(path, "not a recognised audio format"),
            },
            other if known.is_some() => symphonia_error(path, other, false),
            _ => Error::unsupported(path, "not a recognised audio format"),
        })?;
    // A container whose tracks are all in codecs symphonia cannot even name (AC-3, DTS, ... in
    // Matroska or MP4; its Matroska reader leaves them out altogether).
    let (id, params, declared) = format
        .tracks()
        .iter()
        .find_map(|t| {
            let audio = t.codec_params.as_ref()?.audio()?;
            (audio.codec != CODEC_ID_NULL_AUDIO).then(|| (t.id, audio.clone(), t.num_frames))
        })
        .ok_or_else(|| Error::unsupported(path, "no audio track in a codec that is decoded (AC-3? DTS?)"))?;
    let decoder = match params.codec {
        well_known::CODEC_ID_MP3 => {
            let rate =
                params.sample_rate.filter(|&r| r > 0).ok_or_else(|| Error::decode(path, "a sample rate of 0 Hz"))?;
            Codec::Mp3(Box::new(Mp3::new(request, rate, super::frames_at(offset, rate) as i64)))
        }
        #[cfg(feature = "opus")]
        well_known::CODEC_ID_OPUS => Codec::Opus(super::opus::Opus::new(path, params.extra_data.as_deref(), request)?),
        codec => {
            let decoder = ::symphonia::default::get_codecs()
                .make_audio_decoder(&params, &AudioDecoderOptions::default())
                .map_err(|e| match e {
                    SymError::Unsupported(_) => {
                        Error::unsupported(path, format!("{} audio cannot be decoded", codec_name(params.codec)))
                    }
                    other => symphonia_error(path, other, false),
                })?;
            match codec {
                well_known::CODEC_ID_FLAC => {
                    Codec::Flac(Box::new(Flac::new(decoder).map_err(|e| symphonia_error(path, e, false))?))
                }
                _ => Codec::Symphonia(decoder),
            }
        }
    };
    let time_base = format.tracks().iter().find(|t| t.id == id).and_then(|t| t.time_base);
    let mut s = Symphonia {
        format,
        decoder,
        track: id,
        codec: params.codec,
        pending: Vec::new(),
        failed,
        first: 0,
        end: 0,
        preroll: None,
        clock: None,
        held: None,
    };
    let opus_clock = time_base.is_none_or(|t| t.numer.get() != 1 || t.denom.get() != 48_000);
    if cfg!(feature = "opus") && params.codec == well_known::CODEC_ID_OPUS && opus_clock {
        s.clock = Some(0);
    }
    // Decode up to the first audio to learn the real channel count and rate (a header may
    // omit them, and HE-AAC doubles the rate it declares).
    let mut first = Vec::new();
    let block = loop {
        match s.decode_next(path, &mut first)? {
            Some(block) if !first.is_empty() => break block,
            Some(_) => continue,
            None => return Err(Error::decode(path, "no audio could be decoded")),
        }
    };
    let (channels, rate) = (block.channels, block.rate);
    if channels == 0 {
        return Err(Error::decode(path, "0 channels"));
    }
    if rate == 0 {
        return Err(Error::decode(path, "a sample rate of 0 Hz"));
    }
    let decimation = s.decoder.decimation();
    // Timestamps count samples where the time base is one sample at the file's rate.
    let full_rate = u64::from(rate) * u64::from(decimation);
    let counts_samples = time_base.is_some_and(|t| t.numer.get() == 1 && u64::from(t.denom.get()) == full_rate);
    s.preroll = preroll(params.codec).filter(|_| counts_samples || s.clock.is_some());
    s.first = block.first;
    s.end = block.first + (first.len() / channels.max(1) * decimation as usize) as i64;
    s.pending = first;
    Ok(Opened {
        channels,
        sample_rate: rate,
        decimation,
        frames: declared.filter(|_| params.sample_rate.map(u64::from) == Some(u64::from(rate) * u64::from(decimation))),
        format: known.unwrap_or_else(|| Format::of_codec(params.codec)),
        stream: Box::new(s),
    })
}

impl Symphonia {
    /// Appends the next decoded packet to `out`; false at the end of the stream.
    pub(super) fn next_block(&mut self, path: &Path, channels: usize, out: &mut Vec<f32>) -> Result<bool> {
        catch_panic(|| self.next_block_inner(path, channels, out), decoder_panic(path))
    }

    fn next_block_inner(&mut self, path: &Path, channels: usize, out: &mut Vec<f32>) -> Result<bool> {
        if !self.pending.is_empty() {
            out.append(&mut self.pending);
            return Ok(true);
        }
        match self.decode_next(path, out)? {
            Some(block) if block.channels != channels => Err(Error::decode(
                path,
                format!("the channel count changes from {channels} to {} mid-stream", block.channels),
            )),
            Some(_) => Ok(true),
            None => Ok(false),
        }
    }

    /// Frames at the file's rate that the samples delivered so far stand for, where the
    /// decoder delivers a lower rate (`None` otherwise: the frames delivered).
    pub(super) fn full_frames(&self) -> Option<u64> {
        match &self.decoder {
            Codec::Mp3(mp3) if mp3.decimation() > 1 => Some(mp3.full_frames()),
            #[cfg(feature = "opus")]
            Codec::Opus(opus) if opus.decimation() > 1 => Some(opus.full_frames()),
            _ => None,
        }
    }

    /// The end of the stream: the MP3 frame read ahead is decoded, if any.
    fn finish(&mut self, out: &mut Vec<f32>) -> Option<Block> {
        if let Codec::Mp3(mp3) = &mut self.decoder {
            if let Some(Frame::Decoded { channels, first }) = mp3.finish(out) {
                return Some(Block { channels, rate: mp3.sample_rate(), first });
            }
        }
        None
    }

    /// The next packet of the track, or `None` at the end of the stream.
    fn next_packet(&mut self, path: &Path) -> Result<Option<Packet>> {
        loop {
            return match self.format.next_packet() {
                Ok(Some(p)) if p.track_id != self.track => continue,
                Ok(p) => Ok(p),
                Err(SymError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => Ok(None),
                // A chained stream (a new Ogg logical stream): the first one is the file.
                Err(SymError::ResetRequired) => Ok(None),
                Err(e) => Err(symphonia_error(path, e, self.failed.get())),
            };
        }
    }

    /// Decodes packets until one yields audio (appended to `out`); returns its block, or
    /// `None` at the end of the stream.
    fn decode_next(&mut self, path: &Path, out: &mut Vec<f32>) -> Result<Option<Block>> {
        let mut bad = 0;
        loop {
            let mut packet = match self.held.take() {
                Some(p) => p,
                None => match self.next_packet(path)? {
                    Some(p) => p,
                    None => return Ok(self.finish(out)),
                },
            };
            if let Some(clock) = self.clock.as_mut() {
                packet.pts = Timestamp::new(*clock);
                *clock += opus_samples(&packet);
            }
            let decoded = match &mut self.decoder {
                Codec::Symphonia(decoder) => decoder.decode(&packet).map(|decoded| {
                    let at = out.len();
                    out.resize(at + decoded.samples_interleaved(), 0.0);
                    decoded.copy_to_slice_interleaved(&mut out[at..]);
                    let (channels, rate) = (decoded.spec().channels().count(), decoded.spec().rate());
                    (channels, rate, decoded.samples_interleaved() / channels.max(1))
                }),
                Codec::Flac(flac) => {
                    flac.decode(&packet, out).map(|frames| (flac.channels(), flac.sample_rate(), frames))
                }
                Codec::Mp3(mp3) => match mp3.push(&packet, out) {
                    Some(Frame::Decoded { channels, first }) => {
                        return Ok(Some(Block { channels, rate: mp3.sample_rate(), first }))
                    }
                    None => continue,
                    // A corrupt frame is skipped, as below.
                    Some(Frame::Corrupt) if bad < MAX_BAD_PACKETS => {
                        bad += 1;
                        continue;
                    }
                    Some(Frame::Corrupt) => return Err(Error::decode(path, "corrupt MP3 stream")),
                },
                #[cfg(feature = "opus")]
                Codec::Opus(opus) => match opus.decode(&packet, out) {
                    Ok(first) => return Ok(Some(Block { channels: opus.channels(), rate: opus.sample_rate(), first })),
                    // A corrupt packet is skipped, as below.
                    Err(_) if bad < MAX_BAD_PACKETS => {
                        bad += 1;
                        continue;
                    }
                    Err(e) => return Err(Error::decode(path, format!("corrupt Opus stream ({e})"))),
                },
            };
            match decoded {
                Ok((channels, rate, frames)) => {
                    return Ok(Some(Block { channels, rate, first: first_timestamp(&packet, frames) }));
                }
                // A corrupt packet is skipped, as players do; a run of them ends the file.
                Err(SymError::DecodeError(_)) if bad < MAX_BAD_PACKETS => bad += 1,
                Err(SymError::Unsupported(what)) => {
                    return Err(Error::unsupported(path, format!("{} audio: {what}", codec_name(self.codec))))
                }
                // The packet is in memory: its errors are never the reader's.
                Err(e) => return Err(symphonia_error(path, e, false)),
            }
        }
    }
}

/// The samples (at 48 kHz) of an Opus packet, from its table of contents (RFC 6716, 3.1); 0
/// for a packet that is not Opus (its decoder skips it, giving nothing).
#[cfg(feature = "opus")]
fn opus_samples(packet: &Packet) -> i64 {
    ::opus::packet::get_nb_samples(&packet.data, 48_000).map_or(0, |n| n as i64)
}

#[cfg(not(feature = "opus"))]
fn opus_samples(_: &Packet) -> i64 {
    0
}

/// The timestamp of the first of the `frames` samples symphonia's decoder gave for `packet`:
/// its start, or past its trimmed start where the decoder trimmed it (Vorbis does; AAC and
/// FLAC do not).
fn first_timestamp(packet: &Packet, frames: usize) -> i64 {
    let trimmed = (frames as u64) < packet.block_dur().get();
    packet.pts.get() + if trimmed { packet.trim_start.get() as i64 } else { 0 }
}

/// symphonia's `err` on `path`; an I/O error is the file's only where its reader failed
/// (`reader_failed`), and otherwise one symphonia made up on corrupt data.
fn symphonia_error(path: &Path, err: SymError, reader_failed: bool) -> Error {
    match err {
        SymError::IoError(e) if reader_failed => Error::io(path, e),
        SymError::IoError(e) if e.kind() == ErrorKind::UnexpectedEof => Error::decode(path, "truncated file"),
        SymError::IoError(e) => Error::decode(path, format!("corrupt stream ({e})")),
        SymError::Unsupported(what) => Error::unsupported(path, what.to_string()),
        other => Error::decode(path, other.to_string()),
    }
}

/// A readable name for a codec symphonia knows of but may not decode.
fn codec_name(codec: AudioCodecId) -> String {
    use well_known::*;
    let known = [
        (CODEC_ID_OPUS, "Opus"),
        (CODEC_ID_SPEEX, "Speex"),
        (CODEC_ID_AAC, "AAC"),
        (CODEC_ID_ALAC, "ALAC"),
        (CODEC_ID_WMA, "WMA"),
        (CODEC_ID_AC3, "AC-3"),
        (CODEC_ID_EAC3, "E-AC-3"),
        (CODEC_ID_AC4, "AC-4"),
        (CODEC_ID_DCA, "DTS"),
        (CODEC_ID_MP1, "MPEG-1 Layer I"),
        (CODEC_ID_MP2, "MPEG-1 Layer II"),
        (CODEC_ID_MP3, "MP3"),
        (CODEC_ID_VORBIS, "Vorbis"),
        (CODEC_ID_FLAC, "FLAC"),
        (CODEC_ID_WAVPACK, "WavPack"),
        (CODEC_ID_MONKEYS_AUDIO, "Monkey's Audio"),
        (CODEC_ID_TTA, "TTA"),
        (CODEC_ID_MUSEPACK, "Musepack"),
        (CODEC_ID_ATRAC1, "ATRAC1"),
        (CODEC_ID_ATRAC3, "ATRAC3"),
        (CODEC_ID_ATRAC3PLUS, "ATRAC3plus"),
        (CODEC_ID_ATRAC9, "ATRAC9"),
    ];
    known
        .iter()
        .find(|(c, _)| *c == codec)
        .map(|(_, n)| n.to_string())
        .or_else(|| {
            ::symphonia::default::get_codecs().get_audio_decoder(codec).map(|d| d.codec.info.short_name.to_string())
        })
        .unwrap_or_else(|| format!("codec {codec}"))
}

#[cfg(test)]
mod tests;
