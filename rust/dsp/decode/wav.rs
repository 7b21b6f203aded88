//! The WAV fast path: hound validates the header, then the data chunk's little-endian samples
//! are converted directly (hound's per-sample reads cost ~10 ns a sample, 10x this). Integer
//! samples are scaled to [-1, 1) exactly as libsndfile (and so `soundfile` and librosa) do:
//! `x / 2^(bits-1)`, unsigned 8-bit first centred on 0. Rarer layouts (24-bit samples in
//! 32-bit words) go through hound's sample iterator; codecs hound lacks (A-law, mu-law,
//! 64-bit float) are left to symphonia.

use std::io::{BufRead, BufReader, Chain, Cursor, ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;

use super::source::{ReadSeek, Stream};
use crate::dsp::error::{Error, Result};

/// Frames per block decoded from a WAV file.
const BLOCK_FRAMES: usize = 1 << 16;

/// A WAV file positioned at its data chunk (the head already read, then the rest of the file).
type WavData = BufReader<Chain<Cursor<Vec<u8>>, Box<dyn ReadSeek>>>;

/// An open WAV file: where its samples come from.
pub(super) enum Wav {
    /// Raw little-endian samples of `width` bytes; `remaining` bytes of the data chunk left.
    Pcm { data: WavData, width: usize, format: hound::SampleFormat, remaining: u64, raw: Vec<u8> },
    /// hound's sample iterator.
    Hound(hound::WavReader<WavData>),
}

/// An opened WAV file: its samples, channels, rate, and the frames its header declares (never
/// more than the file can hold).
pub(super) struct Opened {
    pub wav: Wav,
    pub channels: usize,
    pub sample_rate: u32,
    pub frames: u64,
}

/// Why hound did not open a WAV file.
pub(super) enum WavError {
    /// A layout or codec hound does not read (or a header it rejects): symphonia may.
    NotForHound(Error),
    /// A broken file (truncated header, 0 channels, ...): nobody can read it.
    Invalid(Error),
}

/// Opens the WAV file whose first bytes, `head`, are already read from `stream`; hound
/// validates the header.
pub(super) fn open(path: &Path, head: Vec<u8>, stream: Stream) -> std::result::Result<Opened, WavError> {
    let file_len = stream.len;
    let width = container_bytes(&head);
    let data = BufReader::with_capacity(1 << 16, Cursor::new(head).chain(stream.reader));
    let reader = hound::WavReader::new(data).map_err(|e| {
        let retry = matches!(e, hound::Error::Unsupported | hound::Error::FormatError(_));
        let e = hound_error(path, e);
        if retry {
            WavError::NotForHound(e)
        } else {
            WavError::Invalid(e)
        }
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
    let (wav, frames) = match width.filter(|w| w % channels == 0).map(|w| w / channels) {
        Some(width) if u32::from(spec.bits_per_sample) == 8 * width as u32 && (1..=4).contains(&width) => {
            // Never more than the file holds, whatever the header says.
            let frames = declared.min(file_len / (width * channels) as u64);
            let remaining = frames * (width * channels) as u64;
            (
                Wav::Pcm { data: reader.into_inner(), width, format: spec.sample_format, remaining, raw: Vec::new() },
                frames,
            )
        }
        _ => (Wav::Hound(reader), declared.min(file_len / 2)),
    };
    Ok(Opened { wav, channels, sample_rate: spec.sample_rate, frames })
}

impl Wav {
    /// Appends the next block of interleaved samples to `out` (possibly a partial frame, which
    /// the caller drops); false once the data is exhausted.
    pub(super) fn next_block(&mut self, path: &Path, channels: usize, out: &mut Vec<f32>) -> Result<bool> {
        match self {
            Wav::Pcm { data, width, format, remaining, raw } => {
                let want = ((BLOCK_FRAMES * channels * *width) as u64).min(*remaining);
                raw.clear();
                data.take(want).read_to_end(raw).map_err(|e| Error::io(path, e))?;
                // A file that ends early (a truncated download, or a data size that lies)
                // yields the samples that are there, as libsndfile does.
                *remaining = if (raw.len() as u64) < want { 0 } else { *remaining - want };
                let whole = raw.len() - raw.len() % (*width * channels);
                convert(&raw[..whole], *width, *format, out).ok_or_else(|| unsupported_width(path, *width, *format))?;
                Ok(*remaining > 0)
            }
            Wav::Hound(reader) => {
                let spec = reader.spec();
                let n = BLOCK_FRAMES * channels;
                let status = match (spec.sample_format, spec.bits_per_sample) {
                    (hound::SampleFormat::Float, 32) => collect(reader.samples::<f32>().take(n), out, |x| x),
                    (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
                        let scale = 1.0 / (1u64 << (bits - 1)) as f64;
                        collect(reader.samples::<i32>().take(n), out, |x| (f64::from(x) * scale) as f32)
                    }
                    _ => {
                        let width = usize::from(spec.bits_per_sample) / 8;
                        return Err(unsupported_width(path, width, spec.sample_format));
                    }
                };
                match status {
                    Ok(count) => Ok(count == n),
                    // hound reports data that stops mid-sample as an `Other` error ("Failed to
                    // read enough bytes"), and data that stops between samples as `UnexpectedEof`.
                    Err(hound::Error::IoError(e))
                        if matches!(e.kind(), ErrorKind::UnexpectedEof | ErrorKind::Other) =>
                    {
                        Ok(false)
                    }
                    Err(e) => Err(hound_error(path, e)),
                }
            }
        }
    }

    /// Moves past the next `frames` frames (at most those left) without reading them, where
    /// the samples lie at fixed places (the fast path): the frames moved past, or `None` for
    /// hound's iterator, which reads them.
    pub(super) fn skip(&mut self, path: &Path, frames: u64, channels: usize) -> Result<Option<u64>> {
        match self {
            Wav::Pcm { data, width, remaining, .. } => {
                let frame = (*width * channels) as u64;
                let frames = frames.min(*remaining / frame);
                skip_bytes(data, frames * frame).map_err(|e| Error::io(path, e))?;
                *remaining -= frames * frame;
                Ok(Some(frames))
            }
            Wav::Hound(_) => Ok(None),
        }
    }

    /// Whether the file's size bounds the declared frame count (the fast path checks it).
    pub(super) fn size_checked(&self) -> bool {
        matches!(self, Wav::Pcm { .. })
    }
}

/// Moves `data` `n` bytes on: through what it holds in memory (its buffer, the head read
/// first), then by a seek of the file.
fn skip_bytes(data: &mut WavData, n: u64) -> std::io::Result<()> {
    let buffered = data.buffer().len().min(usize::try_from(n).unwrap_or(usize::MAX));
    data.consume(buffered);
    let mut left = n - buffered as u64;
    if left == 0 {
        return Ok(());
    }
    // The buffer is empty: the reader under it may move.
    let (head, file) = data.get_mut().get_mut();
    let in_head = (head.get_ref().len() as u64).saturating_sub(head.position()).min(left);
    head.set_position(head.position() + in_head);
    left -= in_head;
    if left > 0 {
        file.seek(SeekFrom::Current(i64::try_from(left).unwrap_or(i64::MAX)))?;
    }
    Ok(())
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
        (hound::SampleFormat::Int, 2) => {
            out.extend(chunks.map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0))
        }
        (hound::SampleFormat::Int, 3) => {
            out.extend(chunks.map(|b| (f64::from(i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) / 8_388_608.0) as f32))
        }
        (hound::SampleFormat::Int, 4) => out
            .extend(chunks.map(|b| (f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])) / 2_147_483_648.0) as f32)),
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
