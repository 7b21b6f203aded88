//! Everything that is not a WAV file hound reads goes to symphonia: MP3, Ogg Vorbis, AAC
//! (ADTS), AAC in MP4/M4A, FLAC, and the WAV codecs hound lacks. Encoder delay and padding
//! are removed where the file records them (gapless MP3/MP4). symphonia on hostile input may
//! panic (e.g. a rate of 0 in a header): that is a corrupt file, not a crash.

use std::io::ErrorKind;
use std::path::Path;

use ::symphonia::core::audio::SampleBuffer;
use ::symphonia::core::codecs::{CodecType, Decoder, DecoderOptions, CODEC_TYPE_NULL};
use ::symphonia::core::errors::Error as SymError;
use ::symphonia::core::formats::{FormatOptions, FormatReader};
use ::symphonia::core::io::MediaSourceStream;
use ::symphonia::core::meta::MetadataOptions;
use ::symphonia::core::probe::Hint;

use super::probe::Format;
use super::source::{Media, Stream};
use crate::dsp::error::{catch_panic, Error, Result};

/// A file read by symphonia: its demuxer, the decoder of its first audio track, and the
/// samples of the packet decoded while opening.
pub(super) struct Symphonia {
    format: Box<dyn FormatReader>,
    decoder: Codec,
    track: u32,
    codec: CodecType,
    buffer: Option<SampleBuffer<f32>>,
    pending: Vec<f32>,
}

/// An opened file: its stream, channels, rate, the frames its header declares (if it does,
/// at the rate decoded) and its format (`known`, else guessed from the codec).
pub(super) struct Opened {
    pub stream: Box<Symphonia>,
    pub channels: usize,
    pub sample_rate: u32,
    pub frames: Option<u64>,
    pub format: Format,
}

/// The decoder of a track: symphonia's, or libopus for Opus (which symphonia 0.5 lacks).
enum Codec {
    Symphonia(Box<dyn Decoder>),
    #[cfg(feature = "opus")]
    Opus(super::opus::Opus),
}

/// Consecutive undecodable packets after which a file is given up as corrupt.
const MAX_BAD_PACKETS: usize = 100;

fn decoder_panic(path: &Path) -> impl FnOnce(String) -> Error + '_ {
    move |msg| Error::decode(path, format!("corrupt stream ({msg})"))
}

/// Opens `stream` (whose first bytes are of `known` format, if any; `path` names it) and
/// decodes up to its first audio.
pub(super) fn open(path: &Path, known: Option<Format>, stream: Stream) -> Result<Opened> {
    catch_panic(|| open_inner(path, known, stream), decoder_panic(path))
}

fn open_inner(path: &Path, known: Option<Format>, stream: Stream) -> Result<Opened> {
    let stream = MediaSourceStream::new(Box::new(Media(stream)), Default::default());
    let options = FormatOptions { enable_gapless: true, ..Default::default() };
    let probed = ::symphonia::default::get_probe()
        .format(&Hint::new(), stream, &options, &MetadataOptions::default())
        .map_err(|e| match e {
            // A file that starts like a container we read but whose header is cut short or
            // broken is a corrupt file; anything else the probe did not recognise (it scans
            // the whole file for a marker and fails at its end) is not audio we read.
            SymError::IoError(e) if e.kind() != ErrorKind::UnexpectedEof => Error::io(path, e),
            other if known.is_some() => symphonia_error(path, other),
            _ => Error::unsupported(path, "not a recognised audio format"),
        })?;
    let format = probed.format;
    // A container whose tracks are all in codecs symphonia cannot even name (AC-3, DTS, ... in
    // Matroska or MP4; its Matroska reader leaves them out altogether).
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| Error::unsupported(path, "no audio track in a codec that is decoded (AC-3? DTS?)"))?;
    let (id, params) = (track.id, track.codec_params.clone());
    let decoder = match params.codec {
        #[cfg(feature = "opus")]
        ::symphonia::core::codecs::CODEC_TYPE_OPUS => {
            Codec::Opus(super::opus::Opus::new(path, params.extra_data.as_deref())?)
        }
        _ => Codec::Symphonia(::symphonia::default::get_codecs().make(&params, &DecoderOptions::default()).map_err(
            |e| match e {
                SymError::Unsupported(_) => {
                    Error::unsupported(path, format!("{} audio cannot be decoded", codec_name(params.codec)))
                }
                other => symphonia_error(path, other),
            },
        )?),
    };
    let mut s = Symphonia { format, decoder, track: id, codec: params.codec, buffer: None, pending: Vec::new() };
    // Decode up to the first audio to learn the real channel count and rate (a header may
    // omit them, and HE-AAC doubles the rate it declares).
    let mut first = Vec::new();
    let (channels, rate) = loop {
        match s.decode_next(path, &mut first)? {
            Some(spec) if !first.is_empty() => break spec,
            Some(_) => continue,
            None => return Err(Error::decode(path, "no audio could be decoded")),
        }
    };
    if channels == 0 {
        return Err(Error::decode(path, "0 channels"));
    }
    if rate == 0 {
        return Err(Error::decode(path, "a sample rate of 0 Hz"));
    }
    s.pending = first;
    Ok(Opened {
        channels,
        sample_rate: rate,
        frames: params.n_frames.filter(|_| params.sample_rate == Some(rate)),
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
            Some((c, _)) if c != channels => {
                Err(Error::decode(path, format!("the channel count changes from {channels} to {c} mid-stream")))
            }
            Some(_) => Ok(true),
            None => Ok(false),
        }
    }

    /// Decodes packets until one yields audio (appended to `out`); returns its (channels,
    /// rate), or `None` at the end of the stream.
    fn decode_next(&mut self, path: &Path, out: &mut Vec<f32>) -> Result<Option<(usize, u32)>> {
        let mut bad = 0;
        loop {
            let packet = match self.format.next_packet() {
                Ok(p) => p,
                Err(SymError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => return Ok(None),
                // A chained stream (a new Ogg logical stream): the first one is the file.
                Err(SymError::ResetRequired) => return Ok(None),
                Err(e) => return Err(symphonia_error(path, e)),
            };
            if packet.track_id() != self.track {
                continue;
            }
            let decoder = match &mut self.decoder {
                Codec::Symphonia(decoder) => decoder,
                #[cfg(feature = "opus")]
                Codec::Opus(opus) => match opus.decode(&packet, out) {
                    Ok(()) => return Ok(Some((opus.channels(), super::opus::SAMPLE_RATE))),
                    // A corrupt packet is skipped, as below.
                    Err(_) if bad < MAX_BAD_PACKETS => {
                        bad += 1;
                        continue;
                    }
                    Err(e) => return Err(Error::decode(path, format!("corrupt Opus stream ({e})"))),
                },
            };
            match decoder.decode(&packet) {
                Ok(decoded) => {
                    let spec = *decoded.spec();
                    let needed = decoded.capacity() as u64;
                    if self
                        .buffer
                        .as_ref()
                        .is_none_or(|b| (b.capacity() as u64) < needed * spec.channels.count() as u64)
                    {
                        self.buffer = Some(SampleBuffer::new(needed, spec));
                    }
                    let buffer = self.buffer.as_mut().expect("just made");
                    buffer.copy_interleaved_ref(decoded);
                    out.extend_from_slice(buffer.samples());
                    return Ok(Some((spec.channels.count(), spec.rate)));
                }
                // A corrupt packet is skipped, as players do; a run of them ends the file.
                Err(SymError::DecodeError(_)) if bad < MAX_BAD_PACKETS => bad += 1,
                Err(SymError::Unsupported(what)) => {
                    return Err(Error::unsupported(path, format!("{} audio: {what}", codec_name(self.codec))))
                }
                Err(e) => return Err(symphonia_error(path, e)),
            }
        }
    }
}

fn symphonia_error(path: &Path, err: SymError) -> Error {
    match err {
        SymError::IoError(e) if e.kind() == ErrorKind::UnexpectedEof => Error::decode(path, "truncated file"),
        SymError::IoError(e) => Error::io(path, e),
        SymError::Unsupported(what) => Error::unsupported(path, what.to_string()),
        other => Error::decode(path, other.to_string()),
    }
}

/// A readable name for a codec symphonia knows of but may not decode.
fn codec_name(codec: CodecType) -> String {
    use ::symphonia::core::codecs::*;
    let known = [
        (CODEC_TYPE_OPUS, "Opus"),
        (CODEC_TYPE_SPEEX, "Speex"),
        (CODEC_TYPE_AAC, "AAC"),
        (CODEC_TYPE_ALAC, "ALAC"),
        (CODEC_TYPE_WMA, "WMA"),
        (CODEC_TYPE_EAC3, "E-AC-3"),
        (CODEC_TYPE_AC4, "AC-4"),
        (CODEC_TYPE_DCA, "DTS"),
        (CODEC_TYPE_MP1, "MPEG-1 Layer I"),
        (CODEC_TYPE_MP2, "MPEG-1 Layer II"),
        (CODEC_TYPE_MP3, "MP3"),
        (CODEC_TYPE_VORBIS, "Vorbis"),
        (CODEC_TYPE_FLAC, "FLAC"),
        (CODEC_TYPE_WAVPACK, "WavPack"),
        (CODEC_TYPE_MONKEYS_AUDIO, "Monkey's Audio"),
        (CODEC_TYPE_TTA, "TTA"),
        (CODEC_TYPE_MUSEPACK, "Musepack"),
        (CODEC_TYPE_ATRAC1, "ATRAC1"),
        (CODEC_TYPE_ATRAC3, "ATRAC3"),
        (CODEC_TYPE_ATRAC3PLUS, "ATRAC3plus"),
        (CODEC_TYPE_ATRAC9, "ATRAC9"),
    ];
    known
        .iter()
        .find(|(c, _)| *c == codec)
        .map(|(_, n)| n.to_string())
        .or_else(|| ::symphonia::default::get_codecs().get_codec(codec).map(|d| d.short_name.to_string()))
        .unwrap_or_else(|| format!("codec {codec}"))
}
