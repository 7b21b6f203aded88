//! Reading audio files into float samples.
//!
//! WAV (PCM 8/16/24/32-bit integer, IEEE float32, WAVE_FORMAT_EXTENSIBLE, any channel count)
//! is read with `hound`. Integer samples are scaled to [-1, 1) exactly as libsndfile (and so
//! `soundfile` and librosa) do: `x / 2^(bits-1)`, unsigned 8-bit first centred on 0.

use std::fs::File;
use std::io::{BufReader, Cursor, ErrorKind, Read};
use std::path::Path;

use super::error::{Error, Result};

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
        if self.channels == 1 {
            return self.samples.clone();
        }
        let scale = 1.0 / self.channels as f32;
        self.samples.chunks_exact(self.channels).map(|f| f.iter().sum::<f32>() * scale).collect()
    }

    /// The channels one after another (shape `(channels, frames)` in row-major order).
    pub fn deinterleaved(&self) -> Vec<f32> {
        let (c, n) = (self.channels, self.frames());
        let mut out = vec![0.0; c * n];
        for (i, frame) in self.samples.chunks_exact(c).enumerate() {
            for (ch, &s) in frame.iter().enumerate() {
                out[ch * n + i] = s;
            }
        }
        out
    }
}

/// Opens `path` for reading, turning the usual failures into one-line errors.
fn open(path: &Path) -> Result<File> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::decode(path, "is a directory, not an audio file"));
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

/// Reads every sample of a WAV file. A file whose data ends early (a truncated download, or a
/// data chunk whose size field lies) yields the samples that are there, as libsndfile does.
pub fn read_wav(path: &Path) -> Result<Audio> {
    let mut file = open(path)?;
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    // The first 4 KB are read once: hound parses them (followed by the rest of the file) and
    // `container_bytes` walks their RIFF chunks.
    let mut head = Vec::with_capacity(HEAD);
    (&mut file).take(HEAD as u64).read_to_end(&mut head).map_err(|e| Error::io(path, e))?;
    let reader = hound::WavReader::new(BufReader::with_capacity(1 << 16, Cursor::new(&head[..]).chain(file)))
        .map_err(|e| hound_error(path, e))?;
    let spec = reader.spec();
    if spec.channels == 0 {
        return Err(Error::decode(path, "WAV header declares 0 channels"));
    }
    if spec.sample_rate == 0 {
        return Err(Error::decode(path, "WAV header declares a sample rate of 0 Hz"));
    }
    let channels = usize::from(spec.channels);
    let declared = u64::from(reader.len());
    let mut samples = match container_bytes(&head, channels) {
        // The common layouts: convert the raw data chunk directly (hound's per-sample reads
        // cost ~10 ns a sample, 10x this).
        Some(width) if u32::from(spec.bits_per_sample) == 8 * width as u32 => {
            let mut raw = Vec::new();
            reader.into_inner().take(declared * width as u64).read_to_end(&mut raw).map_err(|e| Error::io(path, e))?;
            convert(&raw, width, spec.sample_format).ok_or_else(|| unsupported_format(path, spec))?
        }
        _ => read_with_hound(path, reader, declared.min(file_len))?,
    };
    samples.truncate(samples.len() - samples.len() % channels);
    Ok(Audio { samples, channels, sample_rate: spec.sample_rate })
}

fn unsupported_format(path: &Path, spec: hound::WavSpec) -> Error {
    let kind = if spec.sample_format == hound::SampleFormat::Float { "float" } else { "integer" };
    Error::unsupported(path, format!("{}-bit {kind} WAV (PCM 8/16/24/32-bit or float32 only)", spec.bits_per_sample))
}

/// Bytes of the file's start read up front; the fmt chunk is always within them in practice.
const HEAD: usize = 4096;

/// Bytes per sample in the data chunk (`block_align / channels` of the fmt chunk), found by
/// walking the RIFF chunks in `head` once hound has accepted the header.
fn container_bytes(head: &[u8], channels: usize) -> Option<usize> {
    let mut at = 12;
    while at + 8 <= head.len() {
        let size = u32::from_le_bytes(head[at + 4..at + 8].try_into().ok()?) as usize;
        if &head[at..at + 4] == b"fmt " {
            let align = usize::from(u16::from_le_bytes(head.get(at + 20..at + 22)?.try_into().ok()?));
            return (align % channels == 0).then_some(align / channels);
        }
        at += 8 + size + size % 2;
    }
    None
}

/// Raw little-endian samples of `width` bytes to f32, scaled as libsndfile does.
fn convert(raw: &[u8], width: usize, format: hound::SampleFormat) -> Option<Vec<f32>> {
    let chunks = raw.chunks_exact(width);
    Some(match (format, width) {
        (hound::SampleFormat::Int, 1) => chunks.map(|b| (f32::from(b[0]) - 128.0) / 128.0).collect(),
        (hound::SampleFormat::Int, 2) => chunks.map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0).collect(),
        (hound::SampleFormat::Int, 3) => chunks
            .map(|b| (f64::from(i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) / 8_388_608.0) as f32)
            .collect(),
        (hound::SampleFormat::Int, 4) => chunks
            .map(|b| (f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])) / 2_147_483_648.0) as f32)
            .collect(),
        (hound::SampleFormat::Float, 4) => chunks.map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        _ => return None,
    })
}

/// The general path: hound's sample iterator (e.g. 24-bit samples in 32-bit containers).
fn read_with_hound<R: Read>(path: &Path, reader: hound::WavReader<R>, capacity: u64) -> Result<Vec<f32>> {
    let spec = reader.spec();
    let mut samples = Vec::with_capacity(capacity as usize);
    let status = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => collect(reader.into_samples::<f32>(), &mut samples, |x| x),
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f64;
            collect(reader.into_samples::<i32>(), &mut samples, |x| (f64::from(x) * scale) as f32)
        }
        _ => return Err(unsupported_format(path, spec)),
    };
    match status {
        Ok(()) => {}
        // hound reports data that stops mid-sample as an `Other` error ("Failed to read
        // enough bytes"), and data that stops between samples as `UnexpectedEof`.
        Err(hound::Error::IoError(e)) if matches!(e.kind(), ErrorKind::UnexpectedEof | ErrorKind::Other) => {}
        Err(hound::Error::IoError(e)) => return Err(Error::io(path, e)),
        Err(e) => return Err(hound_error(path, e)),
    }
    Ok(samples)
}

fn collect<S, I>(iter: I, out: &mut Vec<f32>, convert: impl Fn(S) -> f32) -> std::result::Result<(), hound::Error>
where
    I: Iterator<Item = std::result::Result<S, hound::Error>>,
{
    for s in iter {
        out.push(convert(s?));
    }
    Ok(())
}

/// Reads an audio file (the format is found from its content).
pub fn read(path: &Path) -> Result<Audio> {
    read_wav(path)
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
            assert_eq!(a.deinterleaved(), vec![a.samples[0], a.samples[2], a.samples[1], a.samples[3]]);
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
