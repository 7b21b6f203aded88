//! Reading audio files into float samples, whole or block by block.
//!
//! The format is found from the content, never from the file name:
//! - WAV (PCM 8/16/24/32-bit integer, IEEE float32, WAVE_FORMAT_EXTENSIBLE, any channel count)
//!   is read with `hound`, its data chunk converted directly. Integer samples are scaled to
//!   [-1, 1) exactly as libsndfile (and so `soundfile` and librosa) do: `x / 2^(bits-1)`,
//!   unsigned 8-bit first centred on 0.
//! - Everything else goes to `symphonia`'s probe: MP3, Ogg Vorbis, AAC (ADTS), AAC in MP4/M4A,
//!   FLAC, and the WAV codecs hound lacks (A-law, mu-law, 64-bit float, ...). Encoder delay
//!   and padding are removed where the file records them (gapless MP3/MP4).
//!
//! [`AudioReader`] delivers a file in blocks, so long files never sit in memory whole;
//! [`read`] collects every block.

use std::fs::File;
use std::io::{BufReader, Cursor, ErrorKind, Read};
use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CodecType, Decoder, DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::error::{catch_panic, ensure_param, Error, Result};

/// Decoded audio: interleaved samples, `channels` per frame.
#[derive(Debug, Clone)]
pub struct Audio {
    /// Interleaved samples in [-1, 1] (float input may exceed that range).
    pub samples: Vec<f32>,
    /// Number of channels (at least 1).
    pub channels: usize,
    /// Sample rate in Hz (at least 1).
    pub sample_rate: u32,
}

impl Audio {
    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels
    }

    /// The mean of the channels, one sample per frame (librosa's `to_mono`).
    pub fn to_mono(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.frames());
        mix_to_mono(&self.samples, self.channels, &mut out);
        out
    }
}

/// Appends the mean of the channels of each frame of interleaved `samples` to `out`.
pub fn mix_to_mono(samples: &[f32], channels: usize, out: &mut Vec<f32>) {
    if channels == 1 {
        out.extend_from_slice(samples);
    } else {
        let scale = 1.0 / channels as f32;
        out.extend(samples.chunks_exact(channels).map(|f| f.iter().sum::<f32>() * scale));
    }
}

/// File name suffixes of the formats read (used to pick files in folders; reading itself
/// looks at the content).
pub const EXTENSIONS: [&str; 10] = [".wav", ".wave", ".mp3", ".ogg", ".oga", ".flac", ".m4a", ".mp4", ".aac", ".adts"];

/// How much of a file to read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReadOptions {
    /// Start reading this many seconds into the file.
    pub offset: f64,
    /// Read at most this many seconds (`None`: to the end).
    pub duration: Option<f64>,
    /// Refuse files that decode to more than this many seconds (`None`: no limit); a guard
    /// against decompression bombs. Decoding stops as soon as the limit is passed.
    pub max_duration: Option<f64>,
}

impl ReadOptions {
    fn validate(&self) -> Result<()> {
        ensure_param!(self.offset >= 0.0 && self.offset.is_finite(), "offset must be >= 0 seconds, got {}", self.offset);
        if let Some(d) = self.duration {
            ensure_param!(d >= 0.0 && !d.is_nan(), "duration must be >= 0 seconds, got {d}");
        }
        if let Some(d) = self.max_duration {
            ensure_param!(d > 0.0 && !d.is_nan(), "max_duration must be positive, got {d}");
        }
        Ok(())
    }
}

/// Frames per block that [`AudioReader`] decodes from a WAV file.
const BLOCK_FRAMES: usize = 1 << 16;

/// Bytes of the file's start read up front; the fmt chunk is always within them in practice.
const HEAD: usize = 4096;

/// A WAV file positioned at its data chunk (the head already read, then the rest of the file).
type WavData = BufReader<std::io::Chain<Cursor<Vec<u8>>, File>>;

enum Source {
    /// Raw little-endian samples of `width` bytes, converted directly (hound's per-sample
    /// reads cost ~10 ns a sample, 10x this); `remaining` bytes of the data chunk are left.
    Pcm { data: WavData, width: usize, format: hound::SampleFormat, remaining: u64, raw: Vec<u8> },
    /// hound's sample iterator, for the rarer layouts (e.g. 24-bit samples in 32-bit words).
    Hound(hound::WavReader<WavData>),
    /// Every other format.
    Symphonia(Box<Symphonia>),
}

/// An audio file opened for reading block by block. Samples come interleaved, `channels`
/// per frame, as f32 in [-1, 1] (float input may exceed that).
pub struct AudioReader {
    path: PathBuf,
    channels: usize,
    sample_rate: u32,
    declared_frames: Option<u64>,
    source: Source,
    /// Frames decoded so far, including those skipped by the offset.
    decoded: u64,
    /// Frames still to skip (the offset) and to deliver (the duration).
    skip: u64,
    take: Option<u64>,
    max_frames: Option<u64>,
    max_duration: f64,
    done: bool,
}

impl AudioReader {
    /// Opens `path` and reads its header (and, for compressed formats, its first packet).
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self> {
        options.validate()?;
        let mut file = open(path)?;
        let mut head = Vec::with_capacity(HEAD);
        (&mut file).take(HEAD as u64).read_to_end(&mut head).map_err(|e| Error::io(path, e))?;
        let (source, channels, sample_rate, declared_frames) = if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WAVE") {
            let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
            match open_wav(path, head, file, file_len) {
                Ok(opened) => opened,
                // hound reads PCM and float32 only; symphonia also reads A-law, mu-law, f64.
                Err(WavError::NotForHound(e)) => open_symphonia(path, b"RIFF", open(path)?).map_err(|_| e)?,
                Err(WavError::Invalid(e)) => return Err(e),
            }
        } else {
            let mut file = file;
            std::io::Seek::rewind(&mut file).map_err(|e| Error::io(path, e))?;
            open_symphonia(path, &head, file)?
        };
        let rate = f64::from(sample_rate);
        // Truncated to whole frames, as librosa.load does (`int(offset * sr)`).
        let frames = |s: f64| (s * rate) as u64;
        Ok(AudioReader {
            path: path.to_path_buf(),
            channels,
            sample_rate,
            declared_frames,
            source,
            decoded: 0,
            skip: frames(options.offset),
            take: options.duration.map(frames),
            max_frames: options.max_duration.map(|d| (d * rate).ceil() as u64),
            max_duration: options.max_duration.unwrap_or(f64::INFINITY),
            done: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of channels (at least 1).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Sample rate in Hz (at least 1).
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The number of frames the container declares for the whole file, if it says; the file
    /// may hold fewer (truncated) or more.
    pub fn declared_frames(&self) -> Option<u64> {
        self.declared_frames
    }

    /// Frames this reader will deliver at most, as far as the header tells.
    pub fn expected_frames(&self) -> Option<u64> {
        let left = self.declared_frames?.saturating_sub(self.skip + self.decoded);
        Some(self.take.map_or(left, |t| t.min(left)))
    }

    /// Reads everything left.
    pub fn read_all(mut self) -> Result<Audio> {
        let mut samples = Vec::new();
        if let Some(frames) = self.expected_frames() {
            // A WAV's count is bounded by the file's size (see open_wav); a compressed file's
            // header may claim anything (a fuzzed MP3 claimed 2^60 frames), so its count is
            // only trusted up to ~100 s of audio and max_duration, and the vector grows
            // from there.
            let trusted = if matches!(self.source, Source::Pcm { .. }) { u64::MAX } else { 1 << 22 };
            let frames = frames.min(trusted).min(self.max_frames.unwrap_or(u64::MAX));
            samples.reserve_exact(frames as usize * self.channels);
        }
        while self.read_block(&mut samples)? > 0 {}
        Ok(Audio { samples, channels: self.channels, sample_rate: self.sample_rate })
    }

    /// Appends the next block of interleaved samples to `out` and returns the number of frames
    /// appended; 0 means the end of the file (or of `duration`).
    pub fn read_block(&mut self, out: &mut Vec<f32>) -> Result<usize> {
        while !self.done {
            if self.take == Some(0) {
                self.done = true;
                break;
            }
            let start = out.len();
            let more = self.next_block(out)?;
            let got = ((out.len() - start) / self.channels) as u64;
            out.truncate(start + got as usize * self.channels);
            self.decoded += got;
            if let Some(max) = self.max_frames {
                if self.decoded > max {
                    out.truncate(start);
                    return Err(Error::decode(
                        &self.path,
                        format!("longer than max_duration = {} s (raise max_duration to read it)", self.max_duration),
                    ));
                }
            }
            let skipped = self.skip.min(got);
            self.skip -= skipped;
            out.drain(start..start + skipped as usize * self.channels);
            let mut kept = got - skipped;
            if let Some(take) = self.take.as_mut() {
                kept = kept.min(*take);
                *take -= kept;
                out.truncate(start + kept as usize * self.channels);
            }
            self.done = !more;
            if kept > 0 {
                return Ok(kept as usize);
            }
        }
        Ok(0)
    }

    /// Decodes the next block into `out` (possibly nothing); false once the file is exhausted.
    fn next_block(&mut self, out: &mut Vec<f32>) -> Result<bool> {
        let channels = self.channels;
        match &mut self.source {
            Source::Pcm { data, width, format, remaining, raw } => {
                let want = ((BLOCK_FRAMES * channels * *width) as u64).min(*remaining);
                raw.clear();
                data.take(want).read_to_end(raw).map_err(|e| Error::io(&self.path, e))?;
                // A file that ends early (a truncated download, or a data size that lies)
                // yields the samples that are there, as libsndfile does.
                *remaining = if (raw.len() as u64) < want { 0 } else { *remaining - want };
                let whole = raw.len() - raw.len() % (*width * channels);
                convert(&raw[..whole], *width, *format, out).ok_or_else(|| unsupported_width(&self.path, *width, *format))?;
                Ok(*remaining > 0)
            }
            Source::Hound(reader) => {
                let spec = reader.spec();
                let n = BLOCK_FRAMES * channels;
                let status = match (spec.sample_format, spec.bits_per_sample) {
                    (hound::SampleFormat::Float, 32) => collect(reader.samples::<f32>().take(n), out, |x| x),
                    (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
                        let scale = 1.0 / (1u64 << (bits - 1)) as f64;
                        collect(reader.samples::<i32>().take(n), out, |x| (f64::from(x) * scale) as f32)
                    }
                    _ => return Err(unsupported_width(&self.path, usize::from(spec.bits_per_sample) / 8, spec.sample_format)),
                };
                match status {
                    Ok(count) => Ok(count == n),
                    // hound reports data that stops mid-sample as an `Other` error ("Failed to
                    // read enough bytes"), and data that stops between samples as `UnexpectedEof`.
                    Err(hound::Error::IoError(e)) if matches!(e.kind(), ErrorKind::UnexpectedEof | ErrorKind::Other) => Ok(false),
                    Err(e) => Err(hound_error(&self.path, e)),
                }
            }
            Source::Symphonia(s) => {
                let path = &self.path;
                catch_panic(|| s.next_block(path, channels, out), decoder_panic(path))
            }
        }
    }
}

/// Reads a whole file (or the part `options` selects).
pub fn read_with(path: &Path, options: &ReadOptions) -> Result<Audio> {
    AudioReader::open(path, options)?.read_all()
}

/// Reads every sample of an audio file (the format is found from its content).
pub fn read(path: &Path) -> Result<Audio> {
    read_with(path, &ReadOptions::default())
}

/// Opens `path` for reading, turning the usual failures into one-line errors.
fn open(path: &Path) -> Result<File> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::decode(path, "is a directory, not an audio file"));
    }
    if !meta.is_file() {
        // A FIFO or a device would block or never end.
        return Err(Error::decode(path, "not a regular file"));
    }
    if meta.len() == 0 {
        return Err(Error::decode(path, "empty file"));
    }
    File::open(path).map_err(|e| Error::io(path, e))
}

fn hound_error(path: &Path, err: hound::Error) -> Error {
    match err {
        hound::Error::IoError(e) if matches!(e.kind(), ErrorKind::UnexpectedEof | ErrorKind::Other) => {
            Error::decode(path, "truncated WAV header")
        }
        hound::Error::IoError(e) => Error::io(path, e),
        hound::Error::FormatError(msg) => Error::decode(path, format!("not a valid WAV file ({msg})")),
        hound::Error::Unsupported => {
            Error::unsupported(path, "WAV sample format not supported (PCM 8/16/24/32-bit or float32 only)")
        }
        other => Error::decode(path, other.to_string()),
    }
}

type Opened = (Source, usize, u32, Option<u64>);

/// Why hound did not open a WAV file.
enum WavError {
    /// A layout or codec hound does not read (or a header it rejects): symphonia may.
    NotForHound(Error),
    /// A broken file (truncated header, 0 channels, ...): nobody can read it.
    Invalid(Error),
}

/// hound validates the header (its first 4 KB already read into `head`).
fn open_wav(path: &Path, head: Vec<u8>, file: File, file_len: u64) -> std::result::Result<Opened, WavError> {
    let width = container_bytes(&head);
    let reader = hound::WavReader::new(BufReader::with_capacity(1 << 16, Cursor::new(head).chain(file))).map_err(|e| {
        let retry = matches!(e, hound::Error::Unsupported | hound::Error::FormatError(_));
        let e = hound_error(path, e);
        if retry { WavError::NotForHound(e) } else { WavError::Invalid(e) }
    })?;
    let spec = reader.spec();
    if spec.channels == 0 {
        return Err(WavError::Invalid(Error::decode(path, "WAV header declares 0 channels")));
    }
    if spec.sample_rate == 0 {
        return Err(WavError::Invalid(Error::decode(path, "WAV header declares a sample rate of 0 Hz")));
    }
    let channels = usize::from(spec.channels);
    let declared = u64::from(reader.duration());
    Ok(match width.filter(|w| w % channels == 0).map(|w| w / channels) {
        Some(width) if u32::from(spec.bits_per_sample) == 8 * width as u32 && (1..=4).contains(&width) => {
            // Never more than the file holds, whatever the header says.
            let frames = declared.min(file_len / (width * channels) as u64);
            let source = Source::Pcm {
                data: reader.into_inner(),
                width,
                format: spec.sample_format,
                remaining: frames * (width * channels) as u64,
                raw: Vec::new(),
            };
            (source, channels, spec.sample_rate, Some(frames))
        }
        _ => (Source::Hound(reader), channels, spec.sample_rate, Some(declared.min(file_len / 2))),
    })
}

fn unsupported_width(path: &Path, width: usize, format: hound::SampleFormat) -> Error {
    let kind = if format == hound::SampleFormat::Float { "float" } else { "integer" };
    Error::unsupported(path, format!("{}-bit {kind} WAV (PCM 8/16/24/32-bit or float32 only)", width * 8))
}

/// The `block_align` of the fmt chunk (bytes per frame), found by walking the RIFF chunks in
/// `head`.
fn container_bytes(head: &[u8]) -> Option<usize> {
    let mut at = 12;
    while at + 8 <= head.len() {
        let size = u32::from_le_bytes(head[at + 4..at + 8].try_into().ok()?) as usize;
        if &head[at..at + 4] == b"fmt " {
            return Some(usize::from(u16::from_le_bytes(head.get(at + 20..at + 22)?.try_into().ok()?)));
        }
        at = at.checked_add(8 + size + size % 2)?;
    }
    None
}

/// Raw little-endian samples of `width` bytes to f32, scaled as libsndfile does, appended to
/// `out`; `None` for a width we do not read.
fn convert(raw: &[u8], width: usize, format: hound::SampleFormat, out: &mut Vec<f32>) -> Option<()> {
    let chunks = raw.chunks_exact(width);
    match (format, width) {
        (hound::SampleFormat::Int, 1) => out.extend(chunks.map(|b| (f32::from(b[0]) - 128.0) / 128.0)),
        (hound::SampleFormat::Int, 2) => out.extend(chunks.map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)),
        (hound::SampleFormat::Int, 3) => {
            out.extend(chunks.map(|b| (f64::from(i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) / 8_388_608.0) as f32))
        }
        (hound::SampleFormat::Int, 4) => {
            out.extend(chunks.map(|b| (f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])) / 2_147_483_648.0) as f32))
        }
        (hound::SampleFormat::Float, 4) => out.extend(chunks.map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
        _ => return None,
    }
    Some(())
}

/// Appends converted samples to `out`; the number read, or the first error.
fn collect<S, I>(iter: I, out: &mut Vec<f32>, convert: impl Fn(S) -> f32) -> std::result::Result<usize, hound::Error>
where
    I: Iterator<Item = std::result::Result<S, hound::Error>>,
{
    let mut n = 0;
    for s in iter {
        out.push(convert(s?));
        n += 1;
    }
    Ok(n)
}

/// A file read by symphonia: its demuxer, the decoder of its first audio track, and the
/// samples of the packet decoded while opening.
struct Symphonia {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track: u32,
    codec: CodecType,
    buffer: Option<SampleBuffer<f32>>,
    pending: Vec<f32>,
}

/// Consecutive undecodable packets after which a file is given up as corrupt.
const MAX_BAD_PACKETS: usize = 100;

/// symphonia on hostile input may panic (e.g. a rate of 0 in a header): that is a corrupt
/// file, not a crash.
fn decoder_panic(path: &Path) -> impl FnOnce(String) -> Error + '_ {
    move |msg| Error::decode(path, format!("corrupt stream ({msg})"))
}

fn open_symphonia(path: &Path, head: &[u8], file: File) -> Result<Opened> {
    catch_panic(|| open_symphonia_inner(path, head, file), decoder_panic(path))
}

/// Whether `head` starts with the signature of a container or stream we read (only used to
/// word errors: a cut-off MP3 is corrupt, random bytes are not audio).
fn looks_like_audio(head: &[u8]) -> bool {
    let at = |i: usize, magic: &[u8]| head.get(i..i + magic.len()) == Some(magic);
    at(0, b"ID3")
        || at(0, b"fLaC")
        || at(0, b"OggS")
        || at(0, b"RIFF")
        || at(4, b"ftyp")
        || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0)
}

fn open_symphonia_inner(path: &Path, head: &[u8], file: File) -> Result<Opened> {
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let options = FormatOptions { enable_gapless: true, ..Default::default() };
    let probed = symphonia::default::get_probe()
        .format(&Hint::new(), stream, &options, &MetadataOptions::default())
        .map_err(|e| match e {
            // A file that starts like a container we read but whose header is cut short or
            // broken is a corrupt file; anything else the probe did not recognise (it scans
            // the whole file for a marker and fails at its end) is not audio we read.
            SymError::IoError(e) if e.kind() != ErrorKind::UnexpectedEof => Error::io(path, e),
            other if looks_like_audio(head) => symphonia_error(path, other),
            _ => Error::unsupported(path, "not a recognised audio format"),
        })?;
    let format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| Error::decode(path, "no audio track"))?;
    let (id, params) = (track.id, track.codec_params.clone());
    let decoder = symphonia::default::get_codecs().make(&params, &DecoderOptions::default()).map_err(|e| match e {
        SymError::Unsupported(_) => Error::unsupported(path, format!("{} audio cannot be decoded", codec_name(params.codec))),
        other => symphonia_error(path, other),
    })?;
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
    ensure_audio(path, channels, rate)?;
    s.pending = first;
    let declared = params.n_frames.filter(|_| params.sample_rate == Some(rate));
    Ok((Source::Symphonia(Box::new(s)), channels, rate, declared))
}

fn ensure_audio(path: &Path, channels: usize, rate: u32) -> Result<()> {
    if channels == 0 {
        return Err(Error::decode(path, "0 channels"));
    }
    if rate == 0 {
        return Err(Error::decode(path, "a sample rate of 0 Hz"));
    }
    Ok(())
}

impl Symphonia {
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
            match self.decoder.decode(&packet) {
                Ok(decoded) => {
                    let spec = *decoded.spec();
                    let needed = decoded.capacity() as u64;
                    if self.buffer.as_ref().map_or(true, |b| (b.capacity() as u64) < needed * spec.channels.count() as u64) {
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

    fn next_block(&mut self, path: &Path, channels: usize, out: &mut Vec<f32>) -> Result<bool> {
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
    use symphonia::core::codecs::*;
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
        .or_else(|| symphonia::default::get_codecs().get_codec(codec).map(|d| d.short_name.to_string()))
        .unwrap_or_else(|| format!("codec {codec}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, spec: hound::WavSpec, samples: &[i32]) {
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for &s in samples {
            match spec.bits_per_sample {
                8 => w.write_sample(s as i8).unwrap(),
                16 => w.write_sample(s as i16).unwrap(),
                _ => w.write_sample(s).unwrap(),
            }
        }
        w.finalize().unwrap();
    }

    #[test]
    fn integer_scaling_matches_libsndfile() {
        let dir = tempfile::tempdir().unwrap();
        for bits in [8u16, 16, 24, 32] {
            let p = dir.path().join(format!("t{bits}.wav"));
            let spec = hound::WavSpec { channels: 2, sample_rate: 8000, bits_per_sample: bits, sample_format: hound::SampleFormat::Int };
            let full = 1i64 << (bits - 1);
            write_wav(&p, spec, &[(-full) as i32, (full / 2) as i32, 0, (full - 1) as i32]);
            let a = read(&p).unwrap();
            assert_eq!((a.channels, a.sample_rate, a.frames()), (2, 8000, 2));
            assert_eq!(a.samples[0], -1.0);
            assert_eq!(a.samples[1], 0.5);
            assert_eq!(a.to_mono(), vec![-0.25, (a.samples[3]) / 2.0]);
        }
    }

    #[test]
    fn bad_files_give_one_line_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.wav");
        assert!(matches!(read(&missing), Err(Error::NotFound { .. })));
        let empty = dir.path().join("empty.wav");
        std::fs::write(&empty, b"").unwrap();
        assert!(read(&empty).unwrap_err().to_string().contains("empty file"));
        let text = dir.path().join("text.wav");
        std::fs::write(&text, b"hello, this is not audio at all").unwrap();
        let msg = read(&text).unwrap_err().to_string();
        assert!(msg.starts_with(&text.display().to_string()) && !msg.contains('\n'), "{msg}");
        let folder = dir.path().join("x.wav");
        std::fs::create_dir(&folder).unwrap();
        assert!(read(&folder).unwrap_err().to_string().contains("directory"));
    }

    #[test]
    fn truncated_data_keeps_what_is_there_and_lying_sizes_do_not_allocate() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.wav");
        let spec = hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        write_wav(&p, spec, &(0..1000).collect::<Vec<_>>());
        let mut bytes = std::fs::read(&p).unwrap();
        // Claim a 4 GB data chunk, then cut the file mid-sample.
        let data = bytes.windows(4).position(|w| w == b"data").unwrap();
        bytes[data + 4..data + 8].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
        bytes.truncate(bytes.len() - 501);
        std::fs::write(&p, &bytes).unwrap();
        let a = read(&p).unwrap();
        assert_eq!(a.frames(), 749);
        assert!(a.samples.capacity() < 10_000);
        // A header cut short is an error.
        std::fs::write(&p, &bytes[..30]).unwrap();
        assert!(matches!(read(&p), Err(Error::Decode { .. })));
    }
}
