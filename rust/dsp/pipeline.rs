//! One whole file through the stages: decode, mono, resample, STFT, filter bank, and for
//! images levels, colour and encoding. Long files go to [`long_file`](super::long_file).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::decode::{check_finite, Audio, AudioReader, DecodeRequest, Format, Input, ReadOptions};
use super::encode::{write_image_with, ImageFormat};
use super::error::{ensure_param, Error, Result};
use super::filterbank::{FreqScale, MelParams, LOG_FMIN};
use super::image::{Canvas, ImageParams};
use super::long_file::pooled_mel;
use super::resample::{output_frames, resample};
use super::spectrogram::{Matrix, MelSpecParams, MelSpectrogram};

/// Reads (the part `read` selects of) `input`, mixed to mono as it is read if asked (resampling
/// is then cheaper too), and resamples it to `sr` Hz if given. The decoder is told so
/// ([`DecodeRequest`]): where it can, it mixes to mono and lowers the rate itself.
pub fn load_audio(input: &Input, sr: Option<u32>, mono: bool, read: &ReadOptions) -> Result<Audio> {
    let reader = AudioReader::open_input(input, read, &DecodeRequest::new(mono, sr, None))?;
    resampled(if mono { reader.read_all_mono()? } else { reader.read_all()? }, sr)
}

/// `audio` resampled to `sr` Hz, if given, with as many frames as from a full decode (see
/// [`Audio::source_frames`]).
fn resampled(mut audio: Audio, sr: Option<u32>) -> Result<Audio> {
    let Some(sr) = sr else { return Ok(audio) };
    if sr != audio.sample_rate {
        audio.samples = resample(&audio.samples, audio.channels, audio.sample_rate, sr)?;
    }
    if audio.source_rate != audio.sample_rate {
        // Decoded at a lower rate: the count differs from a full decode's by at most one.
        let frames = output_frames(audio.source_frames, audio.source_rate, sr);
        audio.samples.resize(frames as usize * audio.channels, 0.0);
    }
    audio.sample_rate = sr;
    audio.source_rate = sr;
    audio.source_frames = audio.frames() as u64;
    Ok(audio)
}

/// Files longer than this (or of unknown length) are rendered in a stream, in bounded memory.
const STREAM_ABOVE_SECONDS: u64 = 300;

/// Images are made from at most this many columns (or 4 per pixel, if more): longer files
/// have their frames averaged in groups (see [`ColumnPool`](super::long_file::ColumnPool)).
const MIN_IMAGE_COLUMNS: usize = 8192;

/// The rate parameters are checked at when files keep their own: the highest common one (Hz).
const CHECK_RATE: u32 = 384_000;

/// Mel spectrogram settings applied to files of any sample rate: one planned
/// [`MelSpectrogram`] per rate, built on first use and shared by all threads.
pub struct Pipeline {
    params: MelSpecParams,
    /// Resample every file to this rate (`None`: keep each file's own).
    sr: Option<u32>,
    /// How files are read (`max_duration` guards against decompression bombs). With a
    /// `duration`, every signal is then padded with zeros (or cut) to `int(duration * sr)`
    /// samples at the analysis rate: spectrograms of one rate have one shape, for training.
    read: ReadOptions,
    /// The frequency axis of the rows (mel: `params.mel`; log: `n_mels` bands from `fmin`, or
    /// [`LOG_FMIN`] if 0, to `fmax`; linear: the FFT bins between them).
    scale: FreqScale,
    /// The highest frequency used, for the decoder (see [`DecodeRequest`]): images draw only
    /// up to `fmax`, so what lies above it need not be decoded (`Some(fmax)`); features keep
    /// librosa's numbers exactly (`None`: up to the analysis rate's Nyquist frequency). A
    /// feature's edge frames would otherwise change: centred frames reflect the signal at its
    /// ends, which folds frequencies above `fmax` into the bands below it.
    decode_fmax: Option<f64>,
    planned: Mutex<HashMap<u64, Arc<MelSpectrogram>>>,
}

impl Pipeline {
    /// Mel spectrograms as features (librosa's numbers). `params.mel.sr` is ignored: files are
    /// analysed at `sr`, or at their own rate.
    pub fn new(params: MelSpecParams, sr: Option<u32>, read: ReadOptions) -> Result<Self> {
        Self::build(params, sr, read, FreqScale::Mel, false)
    }

    /// Spectrograms to draw, with rows on `scale`: the decoder may leave out what lies above
    /// `fmax`.
    pub fn for_images(params: MelSpecParams, sr: Option<u32>, read: ReadOptions, scale: FreqScale) -> Result<Self> {
        Self::build(params, sr, read, scale, true)
    }

    fn build(
        mut params: MelSpecParams,
        sr: Option<u32>,
        read: ReadOptions,
        scale: FreqScale,
        image: bool,
    ) -> Result<Self> {
        ensure_param!(sr != Some(0), "sr must be positive, got 0");
        if scale == FreqScale::Log && params.mel.fmin == 0.0 {
            params.mel.fmin = LOG_FMIN;
        }
        let decode_fmax = params.mel.fmax.filter(|_| image);
        let p = Pipeline { params, sr, read, scale, decode_fmax, planned: Mutex::new(HashMap::new()) };
        // Check the parameters once, up front: at `sr`, or when each file keeps its own rate at
        // the highest rate a file may have, so that only what depends on a file's rate (`fmin`
        // or `fmax` past its Nyquist frequency) is left to be that file's error.
        p.planned(sr.unwrap_or(CHECK_RATE))?;
        Ok(p)
    }

    /// [`Self::planned`] for `input`'s signal at `sr` Hz: a parameter that does not fit that
    /// rate is the input's error, naming it.
    fn planned_for(&self, input: &Path, sr: u32) -> Result<Arc<MelSpectrogram>> {
        self.planned(sr).map_err(|e| match e {
            Error::Parameter(m) => Error::Parameter(format!("{}: {m} (its sample rate is {sr} Hz)", input.display())),
            other => other,
        })
    }

    fn planned(&self, sr: u32) -> Result<Arc<MelSpectrogram>> {
        let key = u64::from(sr);
        if let Some(m) = self.planned.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(m.clone());
        }
        let p = &self.params;
        let axis = MelParams { sr: f64::from(sr), n_fft: p.stft.n_fft, ..p.mel.clone() };
        let m = MelSpectrogram::planned(&MelSpecParams { mel: axis, ..p.clone() }, self.scale)?;
        self.planned.lock().unwrap_or_else(|e| e.into_inner()).insert(key, m.clone());
        Ok(m)
    }

    /// What the pipeline uses of a file: mono, at its rate (up to `fmax` for images).
    fn request(&self) -> DecodeRequest {
        DecodeRequest::new(true, self.sr, self.decode_fmax)
    }

    /// The mono signal of `input` and its rate; NaN or infinite samples are an error.
    pub fn load_mono(&self, input: &Input) -> Result<(Vec<f32>, u32)> {
        self.mono(AudioReader::open_input(input, &self.read, &self.request())?)
    }

    /// The rest of `reader` mixed to mono, resampled to the pipeline's rate and checked for
    /// NaN and infinite samples: the signal and its rate.
    fn mono(&self, reader: AudioReader) -> Result<(Vec<f32>, u32)> {
        let path = reader.path().to_path_buf();
        let mut audio = resampled(reader.read_all_mono()?, self.sr)?;
        check_finite(&path, &audio.samples)?;
        if let Some(duration) = self.read.duration {
            audio.samples.resize((duration * f64::from(audio.sample_rate)) as usize, 0.0);
        }
        Ok((audio.samples, audio.sample_rate))
    }

    /// The shape every file's spectrogram has, `(rows, frames)`, where the pipeline gives them
    /// one: with a rate (`sr`) and a `duration` (every signal padded or cut to it).
    pub fn fixed_shape(&self) -> Result<Option<(usize, usize)>> {
        let (Some(sr), Some(duration)) = (self.sr, self.read.duration) else { return Ok(None) };
        let planned = self.planned(sr)?;
        let samples = (duration * f64::from(sr)) as usize;
        Ok(Some((planned.n_bands(), planned.stft().n_frames(samples)?)))
    }

    /// The rate every signal is analysed at (None: each file's own).
    pub fn sr(&self) -> Option<u32> {
        self.sr
    }

    /// The `(n_mels, frames)` power mel spectrogram of the signal `y` of `name` at `sr` Hz (a
    /// parameter that does not fit that rate is its error, naming it).
    pub fn mel_signal(&self, name: &Path, y: &[f32], sr: u32) -> Result<Matrix> {
        self.planned_for(name, sr)?.compute(y, None)
    }

    /// [`Self::mel_signal`] into `out`, a slot of [`Self::fixed_shape`]'s size.
    pub fn mel_signal_into(&self, name: &Path, y: &[f32], sr: u32, out: &mut [f32]) -> Result<()> {
        self.planned_for(name, sr)?.compute_into(y, None, out)
    }

    /// The spectrogram of `input` to draw `width` pixels wide (the whole spectrogram, or for a
    /// long file one reduced to a few columns per pixel while it is read) and its format.
    pub fn image_spectrogram(&self, input: &Input, width: u32) -> Result<(Matrix, Format)> {
        let mut reader = AudioReader::open_input(input, &self.read, &self.request())?;
        let (rate, format) = (reader.sample_rate(), reader.format());
        let spectrogram = self.planned_for(input.name(), self.sr.unwrap_or(rate))?;
        let long = reader.expected_frames().is_none_or(|n| n > STREAM_ABOVE_SECONDS * u64::from(rate));
        if long {
            let columns = MIN_IMAGE_COLUMNS.max(4 * width as usize);
            let spec =
                pooled_mel(&mut reader, self.sr, &self.params.stft, self.params.power, spectrogram.bank(), columns)?;
            return Ok((spec, format));
        }
        let (y, _) = self.mono(reader)?;
        if y.is_empty() {
            return Err(Error::empty(input.name()));
        }
        Ok((spectrogram.compute(&y, None)?, format))
    }

    /// Renders `input` (a file or its bytes) to the image `output` (format from its suffix);
    /// returns the input's format.
    pub fn render_file(&self, input: &Input, output: &Path, image: &ImageParams) -> Result<Format> {
        ImageFormat::from_path(output)?;
        let (spec, format) = self.image_spectrogram(input, image.width)?;
        render_to_file(&spec, image, None, output)?;
        Ok(format)
    }
}

/// One image of a frame sequence: its file and the time span it shows, in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameImage {
    pub path: PathBuf,
    pub start: f64,
    pub end: f64,
}

impl Pipeline {
    /// Renders `input` as a sequence of images `out_dir/frame_0000.png`, ... (the suffix of
    /// `format_suffix`), each showing `frame_duration` seconds of one spectrogram with one
    /// colour scale, for turning into video. Frames are rendered in parallel on the current
    /// rayon pool. On failure no frame of this call is left behind.
    pub fn render_frames(
        &self,
        input: &Input,
        out_dir: &Path,
        image: &ImageParams,
        frame_duration: f64,
        format_suffix: &str,
    ) -> Result<Vec<FrameImage>> {
        ensure_param!(
            frame_duration > 0.0 && frame_duration.is_finite(),
            "frame_duration must be positive seconds, got {frame_duration}"
        );
        ImageFormat::from_path(Path::new(&format!("frame.{format_suffix}")))?;
        let (y, sr) = self.load_mono(input)?;
        if y.is_empty() {
            return Err(Error::empty(input.name()));
        }
        let hop = self.params.stft.hop_length as f64;
        let per_frame = frame_duration * f64::from(sr) / hop;
        ensure_param!(
            per_frame >= 1.0,
            "frame_duration {frame_duration} s is shorter than one hop ({} s)",
            hop / f64::from(sr)
        );
        let spec = self.planned_for(input.name(), sr)?.compute(&y, None)?;
        let reference = spec.data.iter().cloned().fold(0.0f32, f32::max);
        let duration = y.len() as f64 / f64::from(sr);
        let count = (duration / frame_duration - 1e-9).ceil().max(1.0) as usize;
        std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
        let render = |k: usize| -> Result<FrameImage> {
            // Column t is centred on t * hop / sr seconds.
            let first = ((k as f64 * per_frame).ceil() as usize).min(spec.cols - 1);
            let end = (((k + 1) as f64 * per_frame).ceil() as usize).clamp(first + 1, spec.cols);
            let part = Matrix {
                rows: spec.rows,
                cols: end - first,
                data: (0..spec.rows).flat_map(|r| spec.row(r)[first..end].iter().cloned()).collect(),
            };
            let path = out_dir.join(format!("frame_{k:04}.{format_suffix}"));
            render_to_file(&part, image, Some(reference), &path)?;
            Ok(FrameImage {
                path,
                start: k as f64 * frame_duration,
                end: ((k + 1) as f64 * frame_duration).min(duration),
            })
        };
        let frames: Vec<Result<FrameImage>> = (0..count).into_par_iter().map(render).collect();
        if let Some(i) = frames.iter().position(|f| f.is_err()) {
            for f in frames.iter().flatten() {
                let _ = std::fs::remove_file(&f.path);
            }
            return Err(frames.into_iter().nth(i).expect("found above").expect_err("an error"));
        }
        Ok(frames.into_iter().flatten().collect())
    }
}

/// Draws `spec` as `p` asks (0 dB at `reference`, else at its maximum) and writes the image
/// to `path`, with this thread's kept canvas and encoder buffer: fresh multi-megabyte buffers
/// for every image cost about as much in page faults as colouring the pixels.
pub fn render_to_file(spec: &Matrix, p: &ImageParams, reference: Option<f32>, path: &Path) -> Result<()> {
    thread_local! {
        static BUFFERS: RefCell<(Canvas, Vec<u8>)> = RefCell::new(Default::default());
    }
    ImageFormat::from_path(path)?;
    BUFFERS.with_borrow_mut(|(canvas, encoded)| {
        let rgb = canvas.draw(spec, p, reference)?;
        let written = write_image_with(path, rgb, p.width, p.height, p.quality as u8, encoded); // validated: 1..=100
        if canvas.capacity() > KEEP_BUFFERS_UP_TO {
            (*canvas, *encoded) = Default::default();
        }
        written
    })
}

/// Per-image buffers larger than this (bytes of pixels) are not kept for the next image.
const KEEP_BUFFERS_UP_TO: usize = 64 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::encode::write_image;
    use crate::dsp::image::{render_rgb_ref, Colormap};

    #[test]
    fn render_to_file_with_kept_buffers_writes_what_render_and_write_do() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<f32> = (0..8 * 10).map(|i| ((i * 37 % 101) as f32 / 10.0).powi(3)).collect();
        let m = Matrix { rows: 8, cols: 10, data };
        let base = crate::dsp::image::tests::params();
        for (i, (w, h, noise)) in
            [(40, 30, None), (7, 5, Some(30.0)), (40, 30, None), (41, 29, None)].into_iter().enumerate()
        {
            let p =
                ImageParams { width: w, height: h, colormap: Colormap::Magma, noise_percentile: noise, ..base.clone() };
            for name in ["a.jpg", "a.png"] {
                let (got, want) = (dir.path().join(format!("{i}{name}")), dir.path().join(format!("want{i}{name}")));
                render_to_file(&m, &p, Some(20.0), &got).unwrap();
                write_image(&want, &render_rgb_ref(&m, &p, Some(20.0)).unwrap(), w, h, p.quality as u8).unwrap();
                assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(&want).unwrap(), "{i} {name}");
            }
        }
    }

    #[test]
    fn a_read_keeping_samples_gives_them_as_a_whole_read_does() {
        // music.mp3 (44.1 kHz stereo) and a 22.05 kHz WAV, resampled to 16 kHz: the kept
        // samples (and the resampler's margin read past them) are those of a read to the end.
        for name in ["examples/music.mp3", "examples/music_mono22k_s16.wav"] {
            let input = Input::Path(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name));
            for (offset, kept) in [(0.0, 16000), (1.3, 4001), (0.5, 160_000)] {
                let to_end = ReadOptions { offset, ..Default::default() };
                let whole = load_audio(&input, Some(16000), true, &to_end).unwrap().samples;
                let read = to_end.keeping(kept, 16000.0);
                assert!(read.duration.unwrap() < kept as f64 / 16000.0 + 0.11);
                let part = load_audio(&input, Some(16000), true, &read).unwrap().samples;
                assert!(part.len() < whole.len());
                let want = &whole[..kept];
                let err = part[..kept].iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
                assert!(err < 1e-6, "{name} offset {offset}: {err}");
            }
        }
    }
}
