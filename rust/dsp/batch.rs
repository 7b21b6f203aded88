//! Whole files through the pipeline, many at a time.
//!
//! Each file is one rayon task on a pool built for the call (so that a `fork()`ed child,
//! such as a PyTorch DataLoader worker, never inherits a dead global pool). A panic in one
//! file becomes that file's error; the others go on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::decode::{self, Audio, AudioReader, ReadOptions};
use super::scale::{FreqAxis, FreqScale};
use super::stream::pooled_mel;
use super::error::{catch_panic, ensure_param, Error, Result};
use super::resample::resample;
use super::render::{render_to_file, ImageFormat, ImageParams};
use super::spectrogram::{Matrix, MelSpecParams, MelSpectrogram};

/// Runs `f` on every item on `workers` threads (`None`: one per core) and returns the results
/// in order. A panic inside `f` is returned as that item's error.
pub fn run_parallel<I, T, F>(workers: Option<usize>, items: &[I], f: F) -> Result<Vec<Result<T>>>
where
    I: Sync,
    T: Send,
    F: Fn(&I) -> Result<T> + Sync,
{
    let pool = pool(workers)?;
    Ok(pool.install(|| items.par_iter().map(|item| guarded(|| f(item))).collect()))
}

/// A thread pool of `workers` threads (`None` or 0: one per core).
pub fn pool(workers: Option<usize>) -> Result<rayon::ThreadPool> {
    let n = workers.filter(|&n| n > 0).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("spectrust-{i}"))
        .build()
        .map_err(|e| Error::Parameter(format!("cannot start {n} worker threads: {e}")))
}

/// Calls `f`, turning a panic into an error instead of unwinding further.
pub fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_panic(f, |msg| Error::Parameter(format!("internal error: {msg}")))
}

/// Reads (the part `read` selects of) `path`, mixes it to mono if asked (before resampling,
/// which is then cheaper) and resamples it to `sr` Hz if given.
pub fn load_audio(path: &Path, sr: Option<u32>, mono: bool, read: &ReadOptions) -> Result<Audio> {
    prepare(decode::read_with(path, read)?, sr, mono)
}

/// Mixes `audio` to mono if asked, then resamples it to `sr` Hz if given.
fn prepare(mut audio: Audio, sr: Option<u32>, mono: bool) -> Result<Audio> {
    if mono && audio.channels > 1 {
        audio = Audio { samples: audio.to_mono(), channels: 1, sample_rate: audio.sample_rate };
    }
    if let Some(sr) = sr.filter(|&sr| sr != audio.sample_rate) {
        audio.samples = resample(&audio.samples, audio.channels, audio.sample_rate, sr)?;
        audio.sample_rate = sr;
    }
    Ok(audio)
}

/// Files longer than this (or of unknown length) are rendered in a stream, in bounded memory.
const STREAM_ABOVE_SECONDS: u64 = 300;

/// Images are made from at most this many columns (or 4 per pixel, if more): longer files
/// have their frames averaged in groups (see [`ColumnPool`](super::stream::ColumnPool)).
const MIN_IMAGE_COLUMNS: usize = 8192;

/// Mel spectrogram settings applied to files of any sample rate: one planned
/// [`MelSpectrogram`] per rate, built on first use and shared by all threads.
pub struct Pipeline {
    params: MelSpecParams,
    /// Resample every file to this rate (`None`: keep each file's own).
    sr: Option<u32>,
    /// How files are read (`max_duration` guards against decompression bombs).
    read: ReadOptions,
    /// The frequency axis of the rows (mel: `params.mel`; log: `n_mels` bands from `fmin` to
    /// `fmax`; linear: the FFT bins between them).
    scale: FreqScale,
    planned: Mutex<HashMap<u64, Arc<MelSpectrogram>>>,
}

impl Pipeline {
    /// `params.mel.sr` is ignored: files are analysed at `sr`, or at their own rate.
    pub fn new(params: MelSpecParams, sr: Option<u32>, read: ReadOptions) -> Result<Self> {
        Self::with_scale(params, sr, read, FreqScale::Mel)
    }

    /// A pipeline whose rows follow `scale` rather than the mel scale.
    pub fn with_scale(params: MelSpecParams, sr: Option<u32>, read: ReadOptions, scale: FreqScale) -> Result<Self> {
        ensure_param!(sr != Some(0), "sr must be positive, got 0");
        let p = Pipeline { params, sr, read, scale, planned: Mutex::new(HashMap::new()) };
        // Check the parameters once, up front.
        p.planned(sr.unwrap_or(22050))?;
        Ok(p)
    }

    fn planned(&self, sr: u32) -> Result<Arc<MelSpectrogram>> {
        let key = u64::from(sr);
        if let Some(m) = self.planned.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(m.clone());
        }
        let mut params = self.params.clone();
        params.mel.sr = f64::from(sr);
        let m = Arc::new(match self.scale {
            FreqScale::Mel => MelSpectrogram::new(&params)?,
            scale => {
                let p = &params.mel;
                let axis = FreqAxis::new(scale, p.sr, p.n_fft, p.n_mels, p.fmin, p.fmax)?;
                MelSpectrogram::with_bank(&params, axis.bank().clone())?
            }
        });
        self.planned.lock().unwrap_or_else(|e| e.into_inner()).insert(key, m.clone());
        Ok(m)
    }

    /// The mono signal of `path` and its rate. NaN or infinite samples are an error: they
    /// would poison every frame they touch (librosa refuses them too).
    pub fn load_mono(&self, path: &Path) -> Result<(Vec<f32>, u32)> {
        self.mono(path, decode::read_with(path, &self.read)?)
    }

    /// `audio` (read from `path`) mixed to mono, resampled to the pipeline's rate and checked
    /// for NaN and infinite samples: the signal and its rate.
    fn mono(&self, path: &Path, audio: Audio) -> Result<(Vec<f32>, u32)> {
        let audio = prepare(audio, self.sr, true)?;
        check_finite(path, &audio.samples)?;
        Ok((audio.samples, audio.sample_rate))
    }

    /// The `(n_mels, frames)` power mel spectrogram of the file at `path`.
    pub fn mel_file(&self, path: &Path) -> Result<Matrix> {
        let (y, sr) = self.load_mono(path)?;
        self.planned(sr)?.compute(&y, false)
    }

    /// The spectrogram of `path` to draw `width` pixels wide: the whole mel spectrogram, or
    /// for a long file one reduced to a few columns per pixel while it is read.
    pub fn image_spectrogram(&self, path: &Path, width: u32) -> Result<Matrix> {
        let mut reader = AudioReader::open(path, &self.read)?;
        let rate = reader.sample_rate();
        let spectrogram = self.planned(self.sr.unwrap_or(rate))?;
        let long = reader.expected_frames().map_or(true, |n| n > STREAM_ABOVE_SECONDS * u64::from(rate));
        if long {
            let columns = MIN_IMAGE_COLUMNS.max(4 * width as usize);
            return pooled_mel(&mut reader, self.sr, &self.params.stft, self.params.power, spectrogram.bank(), columns);
        }
        let (y, _) = self.mono(path, reader.read_all()?)?;
        ensure_param!(!y.is_empty(), "{}: contains no audio samples", path.display());
        spectrogram.compute(&y, false)
    }

    /// Renders the file at `input` to the image `output` (format from its suffix).
    pub fn render_file(&self, input: &Path, output: &Path, image: &ImageParams) -> Result<()> {
        ImageFormat::from_path(output)?;
        let spec = self.image_spectrogram(input, image.width)?;
        render_to_file(&spec, image, None, output)
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
    pub fn render_frames(&self, input: &Path, out_dir: &Path, image: &ImageParams, frame_duration: f64, format_suffix: &str) -> Result<Vec<FrameImage>> {
        ensure_param!(frame_duration > 0.0 && frame_duration.is_finite(), "frame_duration must be positive seconds, got {frame_duration}");
        ImageFormat::from_path(Path::new(&format!("frame.{format_suffix}")))?;
        let (y, sr) = self.load_mono(input)?;
        ensure_param!(!y.is_empty(), "{}: contains no audio samples", input.display());
        let hop = self.params.stft.hop_length as f64;
        let per_frame = frame_duration * f64::from(sr) / hop;
        ensure_param!(
            per_frame >= 1.0,
            "frame_duration {frame_duration} s is shorter than one hop ({} s)",
            hop / f64::from(sr)
        );
        let spec = self.planned(sr)?.compute(&y, false)?;
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
            Ok(FrameImage { path, start: k as f64 * frame_duration, end: ((k + 1) as f64 * frame_duration).min(duration) })
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

/// NaN or infinite samples are an error naming the file.
pub fn check_finite(path: &Path, samples: &[f32]) -> Result<()> {
    // Blocks without an early exit inside, so that the test vectorises (a plain `find` costs
    // about a tenth of a whole mel spectrogram); the bad sample is looked for only if any.
    let non_finite = |x: &f32| u32::from(x.to_bits() & 0x7fff_ffff >= 0x7f80_0000);
    if !samples.chunks(4096).any(|block| block.iter().map(non_finite).fold(0, |a, b| a | b) != 0) {
        return Ok(());
    }
    match samples.iter().find(|x| !x.is_finite()) {
        Some(bad) => Err(Error::decode(path, format!("contains {} samples", if bad.is_nan() { "NaN" } else { "infinite" }))),
        None => Ok(()),
    }
}
