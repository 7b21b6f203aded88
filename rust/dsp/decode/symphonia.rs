//! Everything that is not a WAV file hound reads goes to symphonia's demuxers: MP3, Ogg
//! Vorbis, AAC (ADTS), AAC in MP4/M4A, FLAC, Opus, and the WAV codecs hound lacks. Encoder
//! delay and padding are removed where the file records them (gapless MP3/MP4). The packets
//! are decoded by symphonia, but MP3 by [`mp3`](super::mp3) and Opus by libopus, which decode
//! only what the [`DecodeRequest`] asks for. symphonia on hostile input may panic (e.g. a rate
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

use super::mp3::{Frame, Mp3};
use super::probe::Format;
use super::request::DecodeRequest;
use super::source::{Media, ReaderFailed, Stream};
use crate::dsp::error::{catch_panic, Error, Result};

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

/// The decoder of a track: symphonia's, ours for MP3, or libopus for Opus (which symphonia
/// lacks).
enum Codec {
    Symphonia(Box<dyn AudioDecoder>),
    Mp3(Box<Mp3>),
    #[cfg(feature = "opus")]
    Opus(super::opus::Opus),
}

impl Codec {
    /// The file's rate over the rate delivered.
    fn decimation(&self) -> u32 {
        match self {
            Codec::Symphonia(_) => 1,
            Codec::Mp3(mp3) => mp3.decimation(),
            #[cfg(feature = "opus")]
            Codec::Opus(opus) => opus.decimation(),
        }
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
            Codec::Mp3(Box::new(Mp3::new(request, rate, super::frames_at(offset, rate))))
        }
        #[cfg(feature = "opus")]
        well_known::CODEC_ID_OPUS => Codec::Opus(super::opus::Opus::new(path, params.extra_data.as_deref(), request)?),
        _ => Codec::Symphonia(
            ::symphonia::default::get_codecs().make_audio_decoder(&params, &AudioDecoderOptions::default()).map_err(
                |e| match e {
                    SymError::Unsupported(_) => {
                        Error::unsupported(path, format!("{} audio cannot be decoded", codec_name(params.codec)))
                    }
                    other => symphonia_error(path, other, false),
                },
            )?,
        ),
    };
    let mut s = Symphonia { format, decoder, track: id, codec: params.codec, pending: Vec::new(), failed };
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
    let decimation = s.decoder.decimation();
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
            Some((c, _)) if c != channels => {
                Err(Error::decode(path, format!("the channel count changes from {channels} to {c} mid-stream")))
            }
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
    fn finish(&mut self, out: &mut Vec<f32>) -> Option<(usize, u32)> {
        if let Codec::Mp3(mp3) = &mut self.decoder {
            if let Some(Frame::Decoded { channels }) = mp3.finish(out) {
                return Some((channels, mp3.sample_rate()));
            }
        }
        None
    }

    /// Decodes packets until one yields audio (appended to `out`); returns its (channels,
    /// rate), or `None` at the end of the stream.
    fn decode_next(&mut self, path: &Path, out: &mut Vec<f32>) -> Result<Option<(usize, u32)>> {
        let mut bad = 0;
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(self.finish(out)),
                Err(SymError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => return Ok(self.finish(out)),
                // A chained stream (a new Ogg logical stream): the first one is the file.
                Err(SymError::ResetRequired) => return Ok(self.finish(out)),
                Err(e) => return Err(symphonia_error(path, e, self.failed.get())),
            };
            if packet.track_id != self.track {
                continue;
            }
            let decoder = match &mut self.decoder {
                Codec::Symphonia(decoder) => decoder,
                Codec::Mp3(mp3) => match mp3.push(&packet, out) {
                    Some(Frame::Decoded { channels }) => return Ok(Some((channels, mp3.sample_rate()))),
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
                    Ok(()) => return Ok(Some((opus.channels(), opus.sample_rate()))),
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
                    let at = out.len();
                    out.resize(at + decoded.samples_interleaved(), 0.0);
                    decoded.copy_to_slice_interleaved(&mut out[at..]);
                    return Ok(Some((decoded.spec().channels().count(), decoded.spec().rate())));
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
mod tests {
    use std::io::{Cursor, Read, Seek, SeekFrom};

    use super::*;

    /// A stream on which symphonia panics, as it may on hostile input.
    struct Hostile;

    impl Read for Hostile {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            panic!("index out of bounds: the len is 31 but the index is 128")
        }
    }

    impl Seek for Hostile {
        fn seek(&mut self, _: SeekFrom) -> std::io::Result<u64> {
            Ok(0)
        }
    }

    #[test]
    fn a_panic_inside_symphonia_is_a_decode_error_naming_the_file() {
        let stream = Stream { reader: Box::new(Hostile), len: 4096 };
        let err =
            open(Path::new("voice.m4a"), Some(Format::M4a), stream, &DecodeRequest::ALL, 0.0).err().expect("an error");
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "voice.m4a: cannot decode: corrupt stream (index out of bounds: the len is 31 but the index is 128)"
        );
    }

    /// A file whose reads fail (as a failing disk's do) past its first `ok` bytes.
    struct Failing {
        data: Cursor<Vec<u8>>,
        ok: u64,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.data.position() >= self.ok {
                return Err(std::io::Error::from_raw_os_error(5)); // EIO
            }
            self.data.read(buf)
        }
    }

    impl Seek for Failing {
        fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
            self.data.seek(pos)
        }
    }

    #[test]
    fn a_reader_that_fails_is_an_io_error() {
        // The M4A's index is at its end: the probe fails; the MP3 fails between packets.
        for (name, format, ok) in [("music.m4a", Format::M4a, 4096), ("music.mp3", Format::Mp3, 64 << 10)] {
            let data = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)).unwrap();
            let stream = Stream { len: data.len() as u64, reader: Box::new(Failing { data: Cursor::new(data), ok }) };
            let path = Path::new(name);
            let read = open(path, Some(format), stream, &DecodeRequest::ALL, 0.0).and_then(|o| {
                let (mut s, mut out) = (o.stream, Vec::new());
                while s.next_block(path, o.channels, &mut out)? {}
                Ok(())
            });
            let err = read.expect_err("an error");
            assert!(matches!(err, Error::Io { .. }), "{name}: {err:?}");
        }
    }
}
