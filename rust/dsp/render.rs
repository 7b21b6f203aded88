//! Spectrogram images: dB matrix -> colour -> resized RGB -> JPEG/PNG, written atomically.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::colormap_data::{INFERNO, MAGMA, VIRIDIS};
use super::db::power_to_db;
use super::error::{ensure_param, Error, Result};
use super::spectrogram::Matrix;

/// Colour maps. `Spectrust` is the original spectrust gradient: black, blue, cyan, yellow,
/// red, linearly interpolated in RGB at 0, 1/4, 1/2, 3/4 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    Spectrust,
    Magma,
    Inferno,
    Viridis,
    Gray,
    GrayR,
}

impl Colormap {
    pub const NAMES: [&'static str; 6] = ["spectrust", "magma", "inferno", "viridis", "gray", "gray_r"];

    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "spectrust" => Colormap::Spectrust,
            "magma" => Colormap::Magma,
            "inferno" => Colormap::Inferno,
            "viridis" => Colormap::Viridis,
            "gray" | "grey" => Colormap::Gray,
            "gray_r" | "grey_r" => Colormap::GrayR,
            other => {
                return Err(Error::Parameter(format!(
                    "unknown colormap {other:?}; expected one of {}",
                    Self::NAMES.join(", ")
                )))
            }
        })
    }

    /// The colour of `v` in [0, 1], each channel in [0, 1] (matplotlib's lookup for tables).
    pub fn color(self, v: f32) -> [f32; 3] {
        let v = v.clamp(0.0, 1.0);
        let table = |t: &[[f32; 3]; 256]| t[((v * 256.0) as usize).min(255)];
        match self {
            Colormap::Spectrust => {
                const STOPS: [[f32; 3]; 5] = [[0., 0., 0.], [0., 0., 1.], [0., 1., 1.], [1., 1., 0.], [1., 0., 0.]];
                let x = v * 4.0;
                let i = (x as usize).min(3);
                let f = x - i as f32;
                let (a, b) = (STOPS[i], STOPS[i + 1]);
                [0, 1, 2].map(|c| a[c] + (b[c] - a[c]) * f)
            }
            Colormap::Magma => table(&MAGMA),
            Colormap::Inferno => table(&INFERNO),
            Colormap::Viridis => table(&VIRIDIS),
            Colormap::Gray => [v; 3],
            Colormap::GrayR => [1.0 - v; 3],
        }
    }
}

/// Output image format, chosen from the output file's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
}

impl ImageFormat {
    /// `.jpg`/`.jpeg` -> JPEG, `.png` -> PNG (any case); anything else is an error.
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jpg" | "jpeg") => Ok(ImageFormat::Jpeg),
            Some("png") => Ok(ImageFormat::Png),
            _ => Err(Error::Parameter(format!(
                "{}: unsupported output format (the name must end in .jpg, .jpeg or .png)",
                path.display()
            ))),
        }
    }
}

/// How a spectrogram becomes an image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageParams {
    pub width: u32,
    pub height: u32,
    pub colormap: Colormap,
    /// Channel scales 0..255 (the original's r, g, b): a channel is `(scale * map) as u8`.
    pub rgb: [f32; 3],
    /// Dynamic range in dB shown from the darkest to the brightest colour.
    pub top_db: f64,
    /// JPEG quality 1..100.
    pub quality: u8,
    /// The noise filter of the seed script: levels below this percentile (0..100) of all the
    /// levels of the spectrogram are drawn in the lowest colour. `None`: off.
    pub noise_percentile: Option<f64>,
}

impl ImageParams {
    pub fn validate(&self) -> Result<()> {
        ensure_param!(
            (1..=65535).contains(&self.width) && (1..=65535).contains(&self.height),
            "width and height must be between 1 and 65535 pixels, got {}x{}",
            self.width,
            self.height
        );
        ensure_param!(
            self.rgb.iter().all(|c| (0.0..=255.0).contains(c)),
            "r, g and b must be between 0 and 255, got {:?}",
            self.rgb
        );
        ensure_param!(self.top_db > 0.0 && self.top_db.is_finite(), "top_db must be positive, got {}", self.top_db);
        ensure_param!((1..=100).contains(&self.quality), "quality must be between 1 and 100, got {}", self.quality);
        if let Some(q) = self.noise_percentile {
            ensure_param!((0.0..=100.0).contains(&q), "noise_percentile must be between 0 and 100, got {q}");
        }
        Ok(())
    }

    /// 1024-entry RGB lookup table for values in [0, 1], with the r/g/b scales applied.
    fn lut(&self) -> Vec<[u8; 3]> {
        (0..1024)
            .map(|i| {
                let c = self.colormap.color(i as f32 / 1023.0);
                [0, 1, 2].map(|k| (self.rgb[k] * c[k]) as u8)
            })
            .collect()
    }
}

/// Interpolation weights from `n_in` samples to `n_out` (a triangle filter, widened when
/// shrinking so that every input sample contributes: an area average).
struct Taps {
    start: Vec<usize>,
    weights: Vec<Vec<f32>>,
}

impl Taps {
    fn new(n_in: usize, n_out: usize) -> Self {
        let scale = n_in as f64 / n_out as f64;
        let radius = scale.max(1.0);
        let (mut start, mut weights) = (Vec::with_capacity(n_out), Vec::with_capacity(n_out));
        for i in 0..n_out {
            let centre = (i as f64 + 0.5) * scale - 0.5;
            let lo = ((centre - radius).ceil().max(0.0)) as usize;
            let hi = ((centre + radius).floor() as usize).min(n_in - 1);
            let mut w: Vec<f64> = (lo..=hi).map(|j| (1.0 - (j as f64 - centre).abs() / radius).max(0.0)).collect();
            let sum: f64 = w.iter().sum();
            if sum > 0.0 {
                w.iter_mut().for_each(|x| *x /= sum);
            } else {
                w = vec![1.0; 1];
            }
            start.push(lo.min(n_in - 1));
            weights.push(w.into_iter().map(|x| x as f32).collect());
        }
        Taps { start, weights }
    }

    /// `out[x] = sum_k w[i][k] * rows[start + k][x]`: output line `i` from input lines of
    /// `width` values (a loop over contiguous memory, which the compiler vectorises).
    fn line(&self, input: &[f32], width: usize, i: usize, out: &mut [f32]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        for (k, &w) in self.weights[i].iter().enumerate() {
            let row = &input[(self.start[i] + k) * width..(self.start[i] + k + 1) * width];
            out.iter_mut().zip(row).for_each(|(o, &v)| *o += w * v);
        }
    }
}

/// Turns a power mel spectrogram (`rows` = mel bands, low first; `cols` = frames) into RGB
/// pixels, `width x height`, time left to right and low frequencies at the bottom. Values are
/// `power_to_db(S, ref=max, top_db)` mapped linearly from `-top_db..0` onto the colour map; a
/// silent input (no value above `amin`) is drawn entirely in the lowest colour.
pub fn render_rgb(spec: &Matrix, p: &ImageParams) -> Result<Vec<u8>> {
    render_rgb_ref(spec, p, None)
}

/// [`render_rgb`] with the 0 dB reference given (`None`: the maximum of `spec`), so that the
/// frames of a sequence, each a part of one spectrogram, share one colour scale.
pub fn render_rgb_ref(spec: &Matrix, p: &ImageParams, reference: Option<f32>) -> Result<Vec<u8>> {
    p.validate()?;
    ensure_param!(spec.rows > 0 && spec.cols > 0, "empty spectrogram");
    let amin = 1e-10;
    let max = reference.unwrap_or_else(|| spec.data.iter().cloned().fold(0.0f32, f32::max));
    let mut level = spec.data.clone();
    if f64::from(max) > amin {
        power_to_db(&mut level, f64::from(max), amin, Some(p.top_db))?;
        if let Some(q) = p.noise_percentile {
            let floor = percentile(&level, q);
            level.iter_mut().filter(|v| **v < floor).for_each(|v| *v = -p.top_db as f32);
        }
        let (scale, top) = (1.0 / p.top_db as f32, p.top_db as f32);
        level.iter_mut().for_each(|v| *v = (*v + top) * scale);
    } else {
        level.iter_mut().for_each(|v| *v = 0.0);
    }
    let (w, h) = (p.width as usize, p.height as usize);
    // Resize time first (rows x w), then frequency (h x w), a line at a time. Transposing
    // makes time resizing a line operation too.
    let mut by_frame = vec![0.0f32; level.len()];
    for (r, row) in level.chunks_exact(spec.cols).enumerate() {
        for (t, &v) in row.iter().enumerate() {
            by_frame[t * spec.rows + r] = v;
        }
    }
    let time = Taps::new(spec.cols, w);
    let mut column = vec![0.0f32; spec.rows];
    let mut narrow = vec![0.0f32; spec.rows * w];
    for x in 0..w {
        time.line(&by_frame, spec.rows, x, &mut column);
        for (r, &v) in column.iter().enumerate() {
            narrow[r * w + x] = v;
        }
    }
    let freq = Taps::new(spec.rows, h);
    let lut = p.lut();
    let mut line = vec![0.0f32; w];
    let mut rgb = vec![0u8; w * h * 3];
    for (y, pixels) in rgb.chunks_exact_mut(w * 3).enumerate() {
        // Image row 0 is the top: the highest frequencies.
        freq.line(&narrow, w, h - 1 - y, &mut line);
        for (px, &v) in pixels.chunks_exact_mut(3).zip(&line) {
            px.copy_from_slice(&lut[((v * 1023.0 + 0.5) as usize).min(1023)]);
        }
    }
    Ok(rgb)
}

/// The `q`-th percentile (0..100) of `values`, interpolated linearly between the two nearest
/// ranks as `numpy.percentile` does.
fn percentile(values: &[f32], q: f64) -> f32 {
    let mut v = values.to_vec();
    let rank = q / 100.0 * (v.len() - 1) as f64;
    let (lo, frac) = (rank.floor() as usize, (rank - rank.floor()) as f32);
    let (_, &mut a, rest) = v.select_nth_unstable_by(lo, f32::total_cmp);
    if frac == 0.0 || rest.is_empty() {
        return a;
    }
    let b = rest.iter().cloned().fold(f32::INFINITY, f32::min);
    a + (b - a) * frac
}

/// Encodes RGB pixels in the format given by `path`'s suffix and writes them there through a
/// temporary file in the same folder, renamed into place: a failure never leaves a partial
/// image. The folder is created if missing.
pub fn write_image(path: &Path, rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<()> {
    let format = ImageFormat::from_path(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    if path.is_dir() {
        return Err(Error::encode(path, "is a directory"));
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".spectrust-").suffix(".part");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Like a file made by open(2): 0666 less the umask, not tempfile's private 0600.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(dir).map_err(|e| Error::io(path, e))?;
    {
        let mut out = BufWriter::with_capacity(1 << 16, tmp.as_file());
        match format {
            ImageFormat::Jpeg => {
                let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
                // 4:2:0 chroma subsampling at every quality, as libjpeg and Pillow do.
                enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
                enc.encode(rgb, width as u16, height as u16, jpeg_encoder::ColorType::Rgb)
                    .map_err(|e| Error::encode(path, e.to_string()))?;
            }
            ImageFormat::Png => {
                use image::ImageEncoder;
                image::codecs::png::PngEncoder::new(&mut out)
                    .write_image(rgb, width, height, image::ExtendedColorType::Rgb8)
                    .map_err(|e| Error::encode(path, e.to_string()))?;
            }
        }
        out.flush().map_err(|e| Error::io(path, e))?;
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> ImageParams {
        ImageParams { width: 40, height: 30, colormap: Colormap::Gray, rgb: [255.0; 3], top_db: 80.0, quality: 90, noise_percentile: None }
    }

    #[test]
    fn spectrust_gradient_stops() {
        let c = Colormap::Spectrust;
        assert_eq!(c.color(0.0), [0.0, 0.0, 0.0]);
        assert_eq!(c.color(0.25), [0.0, 0.0, 1.0]);
        assert_eq!(c.color(0.5), [0.0, 1.0, 1.0]);
        assert_eq!(c.color(0.75), [1.0, 1.0, 0.0]);
        assert_eq!(c.color(1.0), [1.0, 0.0, 0.0]);
        assert_eq!(c.color(0.125), [0.0, 0.0, 0.5]);
    }

    #[test]
    fn low_frequencies_at_the_bottom_and_rgb_scales() {
        // Energy only in the lowest band.
        let mut data = vec![0.0; 8 * 10];
        data[..10].iter_mut().for_each(|v| *v = 1.0);
        let m = Matrix { rows: 8, cols: 10, data };
        let p = ImageParams { rgb: [255.0, 100.0, 0.0], ..params() };
        let rgb = render_rgb(&m, &p).unwrap();
        let px = |x: usize, y: usize| &rgb[(y * 40 + x) * 3..(y * 40 + x) * 3 + 3];
        assert_eq!(px(20, 29), &[255, 100, 0]);
        assert_eq!(px(20, 0), &[0, 0, 0]);
    }

    #[test]
    fn percentiles_follow_numpy_and_the_noise_filter_floors_quiet_bins() {
        let v: Vec<f32> = vec![5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 100.0), 5.0);
        assert_eq!(percentile(&v, 50.0), 3.0);
        assert_eq!(percentile(&v, 75.0), 4.0);
        assert!((percentile(&v, 10.0) - 1.4).abs() < 1e-6);
        // Four levels, 1e-4 .. 1 (-40 .. 0 dB): with the 50th percentile as the noise floor
        // the two quiet ones become black.
        let m = Matrix { rows: 4, cols: 1, data: vec![1e-4, 1e-3, 1e-1, 1.0] };
        let p = ImageParams { width: 1, height: 4, noise_percentile: Some(50.0), ..params() };
        let rgb = render_rgb(&m, &p).unwrap();
        let column: Vec<u8> = rgb.chunks(3).map(|px| px[0]).collect();
        assert_eq!(&column[2..], &[0, 0], "{column:?}"); // the bottom rows: the quietest bands
        assert!(column[0] == 255 && column[1] > 100, "{column:?}");
        assert!(ImageParams { noise_percentile: Some(101.0), ..params() }.validate().is_err());
    }

    #[test]
    fn silence_is_the_lowest_colour() {
        let m = Matrix { rows: 4, cols: 4, data: vec![0.0; 16] };
        let rgb = render_rgb(&m, &params()).unwrap();
        assert!(rgb.iter().all(|&b| b == 0));
    }

    #[test]
    fn writes_by_suffix_and_leaves_nothing_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let rgb = vec![128u8; 40 * 30 * 3];
        for (name, magic) in [("a.png", &b"\x89PNG"[..]), ("b.JPG", &b"\xff\xd8\xff"[..]), ("sub/c.jpeg", &b"\xff\xd8\xff"[..])] {
            let p = dir.path().join(name);
            write_image(&p, &rgb, 40, 30, 90).unwrap();
            assert!(std::fs::read(&p).unwrap().starts_with(magic), "{name}");
        }
        let bad = dir.path().join("d.gif");
        assert!(matches!(write_image(&bad, &rgb, 40, 30, 90), Err(Error::Parameter(_))));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }
}
