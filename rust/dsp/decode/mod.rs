//! Reading audio files into float samples, whole or block by block.
//!
//! The format is found from the content, never from the file name ([`probe`]): WAV files
//! hound reads take the fast path of [`wav`]; everything else (MP3, Ogg Vorbis, Opus, AAC,
//! AAC in MP4/M4A, FLAC, the WAV codecs hound lacks) goes to symphonia's demuxers
//! ([`symphonia`](self::symphonia)), and its packets to symphonia's decoders, but MP3's to
//! [`mp3`] and Opus's to libopus.
//!
//! A [`DecodeRequest`] tells the reader what the caller does with the samples: where it mixes
//! to mono, resamples to a lower rate or uses only low frequencies, the MP3 and Opus decoders
//! leave out what would be thrown away (mono in the subband domain, fewer subbands, synthesis
//! at a lower rate; Opus at the target rate). Offsets and durations still count at the file's
//! rate, and [`Audio`] says what the samples stand for there, so that what comes out after
//! resampling has the length a full decode would give.
//!
//! [`AudioReader`] delivers a file in blocks, so long files never sit in memory whole;
//! [`read`] collects every block.

mod flac;
mod mp3;
#[cfg(test)]
mod mutations;
#[cfg(feature = "opus")]
mod opus;
mod probe;
mod request;
mod source;
mod symphonia;
mod wav;

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

pub use probe::{sniff, Format};
pub use request::DecodeRequest;
pub use source::{Bytes, Input};

use super::error::{ensure_param, Error, Result};

/// Decoded audio: interleaved samples, `channels` per frame.
#[derive(Debug, Clone)]
pub struct Audio {
    /// Interleaved samples, full scale at ±1 (float files and lossy codecs may exceed it, as
    /// FFmpeg gives them: nothing is clipped).
    pub samples: Vec<f32>,
    /// Number of channels (at least 1).
    pub channels: usize,
    /// Sample rate in Hz (at least 1).
    pub sample_rate: u32,
    /// The file's rate, and the frames (at that rate) the samples stand for: `sample_rate`
    /// and `frames()`, unless the decoder delivered a lower rate ([`DecodeRequest`]). A
    /// signal resampled from them to `sr` has [`output_frames`](crate::dsp::resample::output_frames)`(source_frames,
    /// source_rate, sr)` frames, as from a full decode.
    pub source_rate: u32,
    pub source_frames: u64,
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

/// Appends the mean of the channels of each frame of interleaved `samples` to `out` (numpy's
/// `mean`: the sum, then divided; for stereo exactly `(l + r) * 0.5`, in a loop that vectorises).
pub fn mix_to_mono(samples: &[f32], channels: usize, out: &mut Vec<f32>) {
    match channels {
        1 => out.extend_from_slice(samples),
        2 => out.extend(samples.chunks_exact(2).map(|f| (f[0] + f[1]) * 0.5)),
        _ => {
            let scale = 1.0 / channels as f32;
            out.extend(samples.chunks_exact(channels).map(|f| f.iter().sum::<f32>() * scale));
        }
    }
}

/// Whether no sample is NaN or infinite. Blocks without an early exit inside, so that the test
/// vectorises (a plain `find` costs about a tenth of a whole mel spectrogram).
pub fn all_finite(samples: &[f32]) -> bool {
    let non_finite = |x: &f32| u32::from(x.to_bits() & 0x7fff_ffff >= 0x7f80_0000);
    !samples.chunks(4096).any(|block| block.iter().map(non_finite).fold(0, |a, b| a | b) != 0)
}

/// NaN or infinite samples are an error naming the file: they would poison every frame they
/// touch (librosa refuses them too).
pub fn check_finite(path: &Path, samples: &[f32]) -> Result<()> {
    // The bad sample is looked for only if there is one.
    if all_finite(samples) {
        return Ok(());
    }
    match samples.iter().find(|x| !x.is_finite()) {
        Some(bad) => {
            Err(Error::decode(path, format!("contains {} samples", if bad.is_nan() { "NaN" } else { "infinite" })))
        }
        None => Ok(()),
    }
}

/// File name suffixes of the formats read (used to pick files in folders; reading itself
/// looks at the content).
pub const EXTENSIONS: [&str; 15] = [
    ".wav", ".wave", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".m4b", ".mp4", ".aac", ".adts", ".webm",
    ".weba", ".mka",
];

/// Frames of `seconds` at `rate` Hz, truncated to whole frames, as librosa.load counts an
/// offset or duration (`int(offset * sr)`).
fn frames_at(seconds: f64, rate: u32) -> u64 {
    (seconds * f64::from(rate)) as u64
}

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

/// Seconds a read decodes past the last sample its caller keeps, so that the resampler's
/// filter (a few ms long) reaches every input sample the kept ones depend on: the kept samples
/// are then those of a whole-file read.
pub const RESAMPLER_MARGIN: f64 = 0.1;

impl ReadOptions {
    /// These options reading no further than the first `samples` samples at `sr` Hz (of the
    /// part they name) need: `duration` at most `samples / sr` and [`RESAMPLER_MARGIN`].
    pub fn keeping(self, samples: usize, sr: f64) -> Self {
        let needed = samples as f64 / sr + RESAMPLER_MARGIN;
        ReadOptions { duration: Some(self.duration.map_or(needed, |d| d.min(needed))), ..self }
    }

    /// These options within the part of a recording from `start` for `length` seconds (None: to
    /// its end), a segment: `offset` counted from `start`, and `duration` no longer than what
    /// is left of the part after `offset`.
    pub fn within(self, start: f64, length: Option<f64>) -> Self {
        let left = length.map(|l| (l - self.offset).max(0.0));
        let duration = match (left, self.duration) {
            (Some(l), Some(d)) => Some(l.min(d)),
            (l, d) => l.or(d),
        };
        ReadOptions { offset: start + self.offset, duration, ..self }
    }

    /// Offsets and durations that are not negative, a positive `max_duration` (`Error::Parameter`).
    pub fn validate(&self) -> Result<()> {
        ensure_param!(
            self.offset >= 0.0 && self.offset.is_finite(),
            "offset must be >= 0 seconds, got {}",
            self.offset
        );
        if let Some(d) = self.duration {
            ensure_param!(d >= 0.0 && !d.is_nan(), "duration must be >= 0 seconds, got {d}");
        }
        if let Some(d) = self.max_duration {
            ensure_param!(d > 0.0 && !d.is_nan(), "max_duration must be positive, got {d}");
        }
        Ok(())
    }
}

/// Bytes of the file's start read up front: enough for every signature and, in practice, for
/// a WAV file's fmt chunk.
const HEAD: usize = 4096;

/// Frames of a compressed file's declared length trusted when reserving memory (~100 s): its
/// header may claim anything (a fuzzed MP3 claimed 2^60 frames); a WAV file's count is bounded
/// by the file's size.
const TRUSTED_DECLARED_FRAMES: u64 = 1 << 22;

enum Source {
    Wav(wav::Wav),
    Symphonia(Box<symphonia::Symphonia>),
}

/// An audio file opened for reading block by block. Samples come interleaved, `channels`
/// per frame, as f32 with full scale at ±1 (not clipped: float files and lossy codecs may
/// exceed it).
pub struct AudioReader {
    path: PathBuf,
    format: Format,
    channels: usize,
    sample_rate: u32,
    /// The file's rate over `sample_rate` (1 unless the decoder delivers a lower rate).
    decimation: u32,
    /// The frames the container declares for the whole file (at the rate delivered), if it
    /// says; the file may hold fewer (truncated) or more.
    declared_frames: Option<u64>,
    source: Source,
    /// Frames decoded so far, including those skipped by the offset.
    decoded: u64,
    /// Frames still to skip (the offset) and to deliver (the duration).
    skip: u64,
    take: Option<u64>,
    /// The offset and the duration in frames at the file's rate.
    skip_full: u64,
    take_full: Option<u64>,
    max_frames: Option<u64>,
    max_duration: f64,
    done: bool,
}

impl AudioReader {
    /// Opens a file and reads its header (and, for compressed formats, its first packet).
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self> {
        Self::open_input(&Input::from(path), options, &DecodeRequest::ALL)
    }

    /// Opens `input` (a file or bytes) to read what `request` asks, and reads its header
    /// (and, for compressed formats, its first packet). The offset is found without decoding
    /// what lies before it where the format allows (see [`Self::seek_to_offset`]).
    pub fn open_input(input: &Input, options: &ReadOptions, request: &DecodeRequest) -> Result<Self> {
        let mut reader = Self::open_at_start(input, options, request)?;
        if reader.seek_to_offset()? {
            return Ok(reader);
        }
        // A seek that failed midway (a corrupt file): the file is read from its start.
        Self::open_at_start(input, options, request)
    }

    /// [`Self::open_input`] without the seek: what lies before the offset is decoded and dropped.
    fn open_at_start(input: &Input, options: &ReadOptions, request: &DecodeRequest) -> Result<Self> {
        options.validate()?;
        let path = input.name();
        let mut stream = input.open()?;
        let mut head = Vec::with_capacity(HEAD);
        (&mut stream.reader).take(HEAD as u64).read_to_end(&mut head).map_err(|e| Error::io(path, e))?;
        let known = sniff(&head);
        // hound reads RIFF WAVE only (not RF64).
        let offset = options.offset;
        let o = if known == Some(Format::Wav) && head.starts_with(b"RIFF") {
            match wav::open(path, head, stream) {
                Ok(w) => Opened {
                    source: Source::Wav(w.wav),
                    format: Format::Wav,
                    channels: w.channels,
                    sample_rate: w.sample_rate,
                    decimation: 1,
                    frames: Some(w.frames),
                },
                // hound reads PCM and float32 only; symphonia also reads A-law, mu-law, f64.
                Err(wav::WavError::NotForHound(e)) => {
                    symphonia::open(path, known, input.open()?, request, offset).map_err(|_| e)?.into()
                }
                Err(wav::WavError::Invalid(e)) => return Err(e),
            }
        } else {
            stream.reader.rewind().map_err(|e| Error::io(path, e))?;
            symphonia::open(path, known, stream, request, offset)?.into()
        };
        // The offset and duration count at the file's rate. Where the decoder keeps one
        // frame in `d`, it keeps those at the offset's phase (MP3): the first frame kept is
        // then the one at the offset, and the duration's last one is covered.
        let (d, full_rate) = (u64::from(o.decimation), o.sample_rate * o.decimation);
        let (skip_full, take_full) = (frames_at(offset, full_rate), options.duration.map(|s| frames_at(s, full_rate)));
        Ok(AudioReader {
            path: path.to_path_buf(),
            format: o.format,
            channels: o.channels,
            sample_rate: o.sample_rate,
            decimation: o.decimation,
            declared_frames: o.frames.map(|f| f.div_ceil(d)),
            source: o.source,
            decoded: 0,
            skip: skip_full / d,
            take: take_full.map(|t| t.div_ceil(d)),
            skip_full,
            take_full,
            max_frames: options.max_duration.map(|s| (s * f64::from(o.sample_rate)).ceil() as u64),
            max_duration: options.max_duration.unwrap_or(f64::INFINITY),
            done: false,
        })
    }

    /// Moves to the offset without decoding what lies before it, where the source can: a WAV
    /// file's samples lie at fixed places; a compressed stream is sought by its demuxer
    /// (symphonia's: MP3 by its frame headers, FLAC by its seek table or frame sync, Ogg by
    /// bisection on granule positions, MP4 by its sample tables) and decoded from a
    /// pre-roll before the offset, so that the samples are those of a decode from the start
    /// (see [`symphonia`](self::symphonia)). `false` where a seek failed midway and left the
    /// stream unusable.
    fn seek_to_offset(&mut self) -> Result<bool> {
        if self.skip == 0 {
            return Ok(true);
        }
        let skipped = match &mut self.source {
            Source::Wav(w) => w.skip(&self.path, self.skip, self.channels)?.unwrap_or(0),
            Source::Symphonia(s) => match s.seek(&self.path, self.skip) {
                symphonia::Seek::Done => self.skip,
                symphonia::Seek::NotUsed => 0,
                symphonia::Seek::Failed => return Ok(false),
            },
        };
        self.skip -= skipped;
        self.decoded += skipped;
        Ok(true)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The format found from the file's content.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Number of channels (at least 1).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Sample rate in Hz of the samples delivered (at least 1): the file's, or a lower one
    /// where the request let the decoder lower it.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The [`Audio`] of `samples` (`channels` per frame), all this reader delivered.
    fn audio(&self, samples: Vec<f32>, channels: usize) -> Audio {
        let frames = (samples.len() / channels) as u64;
        let source_frames = match &self.source {
            _ if self.decimation == 1 => frames,
            // Stopped by the duration: it is what the samples stand for.
            _ if self.take == Some(0) => self.take_full.unwrap_or(frames),
            Source::Symphonia(s) => {
                let total = s.full_frames().unwrap_or(frames * u64::from(self.decimation));
                total.saturating_sub(self.skip_full).min(self.take_full.unwrap_or(u64::MAX))
            }
            Source::Wav(_) => frames,
        };
        let source_rate = self.sample_rate * self.decimation;
        Audio { samples, channels, sample_rate: self.sample_rate, source_rate, source_frames }
    }

    /// Frames this reader will deliver at most, as far as the header tells.
    pub fn expected_frames(&self) -> Option<u64> {
        let left = self.declared_frames?.saturating_sub(self.skip + self.decoded);
        Some(self.take.map_or(left, |t| t.min(left)))
    }

    /// Reads everything left.
    pub fn read_all(mut self) -> Result<Audio> {
        let mut samples = Vec::with_capacity(self.frames_to_reserve() * self.channels);
        while self.read_block(&mut samples)? > 0 {}
        Ok(self.audio(samples, self.channels))
    }

    /// Reads everything left mixed to mono (the mean of the channels), a block at a time: the
    /// interleaved samples of the whole file are never held.
    pub fn read_all_mono(mut self) -> Result<Audio> {
        if self.channels == 1 {
            return self.read_all();
        }
        let mut samples = Vec::with_capacity(self.frames_to_reserve());
        let mut block = Vec::new();
        loop {
            block.clear();
            if self.read_block(&mut block)? == 0 {
                break;
            }
            mix_to_mono(&block, self.channels, &mut samples);
        }
        Ok(self.audio(samples, 1))
    }

    /// Frames worth reserving for the rest of the file: as many as the header declares, but a
    /// compressed file's declaration only up to ~100 s (see [`TRUSTED_DECLARED_FRAMES`]) and
    /// never more than `max_duration`.
    fn frames_to_reserve(&self) -> usize {
        let trusted = match &self.source {
            Source::Wav(w) if w.size_checked() => u64::MAX,
            _ => TRUSTED_DECLARED_FRAMES,
        };
        self.expected_frames().map_or(0, |f| f.min(trusted).min(self.max_frames.unwrap_or(u64::MAX)) as usize)
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
            let more = match &mut self.source {
                Source::Wav(w) => w.next_block(&self.path, self.channels, out)?,
                Source::Symphonia(s) => s.next_block(&self.path, self.channels, out)?,
            };
            let got = ((out.len() - start) / self.channels) as u64;
            out.truncate(start + got as usize * self.channels);
            self.decoded += got;
            if self.max_frames.is_some_and(|max| self.decoded > max) {
                out.truncate(start);
                return Err(Error::TooLong { path: self.path.display().to_string(), max_duration: self.max_duration });
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
}

/// An opened file, as the reader takes it (see [`symphonia::Opened`]).
struct Opened {
    source: Source,
    format: Format,
    channels: usize,
    sample_rate: u32,
    decimation: u32,
    frames: Option<u64>,
}

impl From<symphonia::Opened> for Opened {
    fn from(s: symphonia::Opened) -> Self {
        Opened {
            source: Source::Symphonia(s.stream),
            format: s.format,
            channels: s.channels,
            sample_rate: s.sample_rate,
            decimation: s.decimation,
            frames: s.frames,
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

#[cfg(test)]
mod tests;
