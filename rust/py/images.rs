//! The image API's engine: a `Renderer` holds checked parameters and a planned pipeline, and
//! renders files (or a file's frames) with the GIL released. Conversion only.

use std::path::PathBuf;

use pyo3::prelude::*;

use super::args::{fit_opt, input, ImageArgs, MelArgs, SourceArgs};
use super::{check, err_value};
use crate::dsp::error::guarded;
use crate::dsp::image::ImageParams;
use crate::dsp::pipeline::Pipeline;
use crate::dsp::pool::{pool, run_parallel};

/// Renders audio files as spectrogram images with fixed settings, checked when it is made
/// (`spectrust.Spectrogram` keeps one).
#[pyclass(module = "spectrust._core", frozen)]
pub struct Renderer {
    pipeline: Pipeline,
    image: ImageParams,
}

#[pymethods]
impl Renderer {
    #[new]
    #[pyo3(signature = (*, mel, image, source))]
    fn new(mel: MelArgs, image: ImageArgs, source: SourceArgs) -> PyResult<Self> {
        // The rate is each file's (or `source.sr`): the pipeline sets it.
        let params = check(mel.params(0.0))?;
        let image = check(image.params())?;
        Ok(Renderer { pipeline: check(source.pipeline(params))?, image })
    }

    /// Renders `(input, output)` pairs (an input is a path or bytes, see `args::input`); per
    /// job, the input's format name ("mp3", ...) or the exception instance for it (its message
    /// is the one-line error).
    #[pyo3(signature = (jobs, *, workers))]
    fn render_files<'py>(
        &self,
        py: Python<'py>,
        jobs: Vec<(Bound<'py, PyAny>, PathBuf)>,
        workers: Option<i64>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let workers = check(fit_opt("workers", workers))?;
        let jobs = jobs.into_iter().map(|(i, o)| Ok((input(&i)?, o))).collect::<PyResult<Vec<_>>>()?;
        let (pipeline, image) = (&self.pipeline, &self.image);
        let results =
            check(py.detach(|| {
                run_parallel(workers, &jobs, |(input, output)| pipeline.render_file(input, output, image))
            }))?;
        Ok(results
            .into_iter()
            .map(|r| match r {
                Ok(format) => format.name().into_pyobject(py).expect("a str").into_any(),
                Err(e) => err_value(py, e),
            })
            .collect())
    }

    /// Renders `input` as a frame sequence in `out_dir`: `[(path, start_s, end_s), ...]`.
    #[pyo3(signature = (input, out_dir, *, frame_duration, suffix, workers))]
    fn render_frames(
        &self,
        py: Python<'_>,
        input: &Bound<'_, PyAny>,
        out_dir: PathBuf,
        frame_duration: f64,
        suffix: String,
        workers: Option<i64>,
    ) -> PyResult<Vec<(String, f64, f64)>> {
        let workers = check(fit_opt("workers", workers))?;
        let input = super::args::input(input)?;
        let (pipeline, image) = (&self.pipeline, &self.image);
        let frames = check(py.detach(|| {
            pool(workers)?
                .install(|| guarded(|| pipeline.render_frames(&input, &out_dir, image, frame_duration, &suffix)))
        }))?;
        Ok(frames.into_iter().map(|f| (f.path.to_string_lossy().into_owned(), f.start, f.end)).collect())
    }
}
