//! Spectrogram images: dB matrix -> colour -> resized RGB -> JPEG/PNG, written atomically.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::colormap_data::{INFERNO, MAGMA, VIRIDIS};
use super::db::db_f32;
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

/// Entries of the colour lookup table (levels are rounded to 1 / (LUT_SIZE - 1)).
const LUT_SIZE: usize = 1024;

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

    /// Lookup table of the colours of the levels `i / (LUT_SIZE - 1)`, with the r/g/b scales
    /// applied, each as `0x00BBGGRR` (its little-endian bytes are R, G, B, 0).
    fn lut(&self) -> [u32; LUT_SIZE] {
        std::array::from_fn(|i| {
            let c = self.colormap.color(i as f32 / (LUT_SIZE - 1) as f32);
            u32::from_le_bytes([0, 1, 2, 3].map(|k| if k < 3 { (self.rgb[k] * c[k]) as u8 } else { 0 }))
        })
    }
}

/// Interpolation weights from `n_in` samples to `n_out` (a triangle filter, widened when
/// shrinking so that every input sample contributes: an area average).
struct Taps {
    /// First input sample of output `i`.
    start: Vec<usize>,
    /// Weights of output `i`: `weights[offset[i]..offset[i + 1]]`.
    offset: Vec<usize>,
    weights: Vec<f32>,
}

impl Taps {
    fn new(n_in: usize, n_out: usize) -> Self {
        let scale = n_in as f64 / n_out as f64;
        let radius = scale.max(1.0);
        let (mut start, mut offset, mut weights) = (Vec::with_capacity(n_out), vec![0], Vec::new());
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
            weights.extend(w.into_iter().map(|x| x as f32));
            offset.push(weights.len());
        }
        Taps { start, offset, weights }
    }

    fn weights(&self, i: usize) -> &[f32] {
        &self.weights[self.offset[i]..self.offset[i + 1]]
    }

    /// `out[i] = sum_k w[i][k] * input[start[i] + k]` for every output `i`: one line resized.
    #[inline(always)]
    fn resample(&self, input: &[f32], out: &mut [f32]) {
        for (i, o) in out.iter_mut().enumerate() {
            let x = &input[self.start[i]..];
            *o = self.weights(i).iter().zip(x).map(|(w, v)| w * v).sum();
        }
    }

    /// `out[x] = sum_k w[i][k] * rows[start[i] + k][x]`: output line `i` from input lines of
    /// `width` values (a loop over contiguous memory, which the compiler vectorises).
    #[inline(always)]
    fn line(&self, input: &[f32], width: usize, i: usize, out: &mut [f32]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        for (k, &w) in self.weights(i).iter().enumerate() {
            let row = &input[(self.start[i] + k) * width..(self.start[i] + k + 1) * width];
            out.iter_mut().zip(row).for_each(|(o, &v)| *o += w * v);
        }
    }
}

/// The largest value of `x` (0 if none is positive), eight lanes at a time.
#[inline(always)]
fn max_value(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = x.chunks_exact(8);
    let tail = chunks.remainder().iter().fold(0.0f32, |m, &v| m.max(v));
    for c in chunks {
        for k in 0..8 {
            acc[k] = acc[k].max(c[k]);
        }
    }
    acc.iter().fold(tail, |m, &v| m.max(v))
}

/// Levels of a power spectrogram for the colour map: `power_to_db(S, ref, amin=1e-10, top_db)`
/// (`ref`: `reference`, else the maximum of `S`), levels below the `noise_percentile`-th
/// percentile set to `-top_db` if asked, then `-top_db..0` mapped linearly onto `0..1` (below
/// 0 when the maximum is under the reference). All 0 when `ref` is not above `amin`.
#[inline(always)]
fn levels(power: &[f32], top_db: f32, reference: Option<f32>, noise_percentile: Option<f64>, level: &mut Vec<f32>) {
    const AMIN: f32 = 1e-10;
    let max = max_value(power);
    let reference = reference.map_or(max, f32::abs);
    level.resize(power.len(), 0.0);
    if !(reference > AMIN) {
        level.iter_mut().for_each(|l| *l = 0.0);
        return;
    }
    let offset = db_f32(reference.min(f32::MAX));
    // Like librosa, the floor is `top_db` under the loudest value (0 dB when ref is the max).
    let floor = db_f32(max.clamp(AMIN, f32::MAX)) - offset - top_db;
    let scale = 1.0 / top_db;
    // NaN is dropped by `max` (it keeps the other operand): it reads as silence.
    // (Plain loops: `collect` would not be inlined into the AVX2 build.)
    for (l, &v) in level.iter_mut().zip(power) {
        *l = (db_f32(v.max(AMIN).min(f32::MAX)) - offset).max(floor);
    }
    let noise = noise_percentile.map_or(f32::NEG_INFINITY, |q| percentile(level, q));
    for l in level.iter_mut() {
        *l = (if *l < noise { -top_db } else { *l } + top_db) * scale;
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
    let mut buffers = Buffers::default();
    draw(spec, p, reference, &mut buffers)?;
    Ok(buffers.rgb)
}

/// [`render_rgb_ref`] then [`write_image`] to `path`, with this thread's buffers: pixels and
/// encoder output are kept from one image to the next, as fresh multi-megabyte buffers for
/// every image cost about as much in page faults as colouring the pixels.
pub fn render_to_file(spec: &Matrix, p: &ImageParams, reference: Option<f32>, path: &Path) -> Result<()> {
    use std::cell::RefCell;
    thread_local! {
        static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::default());
    }
    ImageFormat::from_path(path)?;
    BUFFERS.with_borrow_mut(|b| {
        draw(spec, p, reference, b)?;
        let written = write_image_with(path, &b.rgb, p.width, p.height, p.quality, &mut b.encoded);
        if b.rgb.len() > KEEP_BUFFERS_UP_TO {
            *b = Buffers::default();
        }
        written
    })
}

/// Per-image buffers larger than this (bytes of pixels) are not kept for the next image.
const KEEP_BUFFERS_UP_TO: usize = 64 << 20;

/// Work buffers of [`draw`] and [`write_image_with`].
#[derive(Default)]
struct Buffers {
    level: Vec<f32>,
    narrow: Vec<f32>,
    line: Vec<f32>,
    index: Vec<usize>,
    rgb: Vec<u8>,
    encoded: Vec<u8>,
}

/// The pixels of [`render_rgb_ref`] into `b.rgb`.
fn draw(spec: &Matrix, p: &ImageParams, reference: Option<f32>, b: &mut Buffers) -> Result<()> {
    p.validate()?;
    ensure_param!(spec.rows > 0 && spec.cols > 0, "empty spectrogram");
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        unsafe { pixels_avx2(spec, p, reference, b) };
        return Ok(());
    }
    pixels(spec, p, reference, b);
    Ok(())
}

/// [`pixels`] compiled for AVX2: the same operations in the same order, on 8 lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn pixels_avx2(spec: &Matrix, p: &ImageParams, reference: Option<f32>, b: &mut Buffers) {
    pixels(spec, p, reference, b)
}

/// The RGB pixels of [`render_rgb_ref`] into `b.rgb`, for checked parameters. Every buffer
/// is overwritten whole, so none needs clearing.
#[inline(always)]
fn pixels(spec: &Matrix, p: &ImageParams, reference: Option<f32>, b: &mut Buffers) {
    levels(&spec.data, p.top_db as f32, reference, p.noise_percentile, &mut b.level);
    let (w, h) = (p.width as usize, p.height as usize);
    // Resize time first, each mel band a line (rows x w), then frequency, a pixel row at a time.
    let time = Taps::new(spec.cols, w);
    b.narrow.resize(spec.rows * w, 0.0);
    for (band, out) in b.level.chunks_exact(spec.cols).zip(b.narrow.chunks_exact_mut(w)) {
        time.resample(band, out);
    }
    let freq = Taps::new(spec.rows, h);
    let lut = p.lut();
    b.line.resize(w, 0.0);
    b.index.resize(w, 0);
    b.rgb.resize(w * h * 3, 0);
    let (line, index) = (&mut b.line, &mut b.index);
    for (y, pixels) in b.rgb.chunks_exact_mut(w * 3).enumerate() {
        // Image row 0 is the top: the highest frequencies.
        freq.line(&b.narrow, w, h - 1 - y, line);
        for (i, &v) in index.iter_mut().zip(line.iter()) {
            // Levels are in [0, 1] up to rounding (the weights sum to 1), but clamp anyway;
            // `max` also turns NaN into 0.
            let x = (v * (LUT_SIZE - 1) as f32 + 0.5).max(0.0).min((LUT_SIZE - 1) as f32);
            // SAFETY: x is finite and in [0, LUT_SIZE - 1], so it fits an i32.
            *i = unsafe { x.to_int_unchecked::<i32>() } as usize;
        }
        // Four pixels (12 bytes) at a time from the 0x00BBGGRR table entries.
        let mut quads = pixels.chunks_exact_mut(12);
        let mut idx = index.chunks_exact(4);
        for (out, i) in (&mut quads).zip(&mut idx) {
            let [a, b, c, d] = [0, 1, 2, 3].map(|k| u64::from(lut[i[k] % LUT_SIZE]));
            out[..8].copy_from_slice(&(a | b << 24 | c << 48).to_le_bytes());
            out[8..].copy_from_slice(&((c >> 16 | d << 8) as u32).to_le_bytes());
        }
        for (px, &i) in quads.into_remainder().chunks_exact_mut(3).zip(idx.remainder()) {
            px.copy_from_slice(&lut[i % LUT_SIZE].to_le_bytes()[..3]);
        }
    }
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

/// A baseline JPEG of `width x height` RGB pixels: 4:2:0 chroma subsampling and libjpeg's
/// quality scale (what Pillow writes). Encoded by libjpeg-turbo when it was built with its SIMD
/// code, else by the pure Rust jpeg-encoder (see rust/build.rs).
pub fn encode_jpeg(rgb: &[u8], width: u32, height: u32, quality: u8) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    encode_jpeg_into(rgb, width, height, quality, &mut out)?;
    Ok(out)
}

/// [`encode_jpeg`] into `out` (replacing its contents, reusing its memory).
fn encode_jpeg_into(rgb: &[u8], width: u32, height: u32, quality: u8, out: &mut Vec<u8>) -> std::result::Result<(), String> {
    if cfg!(spectrust_libjpeg_turbo) {
        encode_jpeg_turbo(rgb, width, height, quality, out)
    } else {
        encode_jpeg_rust(rgb, width, height, quality, out)
    }
}

/// [`encode_jpeg_into`] by libjpeg-turbo, with one compressor per thread, straight into `out`
/// grown to libjpeg-turbo's worst-case size.
fn encode_jpeg_turbo(rgb: &[u8], width: u32, height: u32, quality: u8, out: &mut Vec<u8>) -> std::result::Result<(), String> {
    use std::cell::RefCell;
    thread_local! {
        static COMPRESSOR: RefCell<Option<turbojpeg::Compressor>> = const { RefCell::new(None) };
    }
    let (w, h) = (width as usize, height as usize);
    if rgb.len() != w * h * 3 {
        return Err(format!("{} bytes of pixels for a {width}x{height} RGB image", rgb.len()));
    }
    let image = turbojpeg::Image { pixels: rgb, width: w, pitch: w * 3, height: h, format: turbojpeg::PixelFormat::RGB };
    COMPRESSOR.with_borrow_mut(|slot| {
        let c = match slot {
            Some(c) => c,
            None => slot.insert(turbojpeg::Compressor::new().map_err(|e| e.to_string())?),
        };
        c.set_quality(i32::from(quality)).map_err(|e| e.to_string())?;
        c.set_subsamp(turbojpeg::Subsamp::Sub2x2).map_err(|e| e.to_string())?;
        out.resize(c.buf_len(w, h).map_err(|e| e.to_string())?, 0);
        let n = c.compress_to_slice(image, out).map_err(|e| e.to_string())?;
        out.truncate(n);
        Ok(())
    })
}

/// [`encode_jpeg_into`] by jpeg-encoder, chroma averaged over each 2x2 block as libjpeg does.
fn encode_jpeg_rust(rgb: &[u8], width: u32, height: u32, quality: u8, out: &mut Vec<u8>) -> std::result::Result<(), String> {
    let (w, h) = u16::try_from(width).ok().zip(u16::try_from(height).ok()).ok_or("image larger than 65535 pixels")?;
    out.clear();
    let mut enc = jpeg_encoder::Encoder::new(&mut *out, quality);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
    enc.encode(rgb, w, h, jpeg_encoder::ColorType::Rgb).map_err(|e| e.to_string())
}

/// Encodes RGB pixels in the format given by `path`'s suffix and writes them there through a
/// temporary file in the same folder, renamed into place: a failure never leaves a partial
/// image. The folder is created if missing.
pub fn write_image(path: &Path, rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<()> {
    write_image_with(path, rgb, width, height, quality, &mut Vec::new())
}

/// [`write_image`] with `encoded` as the buffer for the encoded JPEG.
fn write_image_with(path: &Path, rgb: &[u8], width: u32, height: u32, quality: u8, encoded: &mut Vec<u8>) -> Result<()> {
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
    match format {
        ImageFormat::Jpeg => {
            encode_jpeg_into(rgb, width, height, quality, encoded).map_err(|e| Error::encode(path, e))?;
            tmp.as_file().write_all(encoded).map_err(|e| Error::io(path, e))?;
        }
        ImageFormat::Png => {
            use image::ImageEncoder;
            let mut out = BufWriter::with_capacity(1 << 16, tmp.as_file());
            image::codecs::png::PngEncoder::new(&mut out)
                .write_image(rgb, width, height, image::ExtendedColorType::Rgb8)
                .map_err(|e| Error::encode(path, e.to_string()))?;
            out.flush().map_err(|e| Error::io(path, e))?;
        }
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

    /// The SOF marker of a JPEG: (baseline?, width, height, [(id, h, v)] per component).
    fn jpeg_frame(jpeg: &[u8]) -> (bool, u16, u16, Vec<(u8, u8, u8)>) {
        assert!(jpeg.starts_with(b"\xff\xd8") && jpeg.ends_with(b"\xff\xd9"));
        let mut i = 2;
        loop {
            let (marker, len) = (jpeg[i + 1], usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]])));
            if (0xc0..=0xc2).contains(&marker) {
                let seg = &jpeg[i + 4..i + 2 + len];
                let comps = seg[6..].chunks_exact(3).map(|c| (c[0], c[1] >> 4, c[1] & 15)).collect();
                return (marker == 0xc0, u16::from_be_bytes([seg[3], seg[4]]), u16::from_be_bytes([seg[1], seg[2]]), comps);
            }
            i += 2 + len;
        }
    }

    #[test]
    fn both_jpeg_encoders_write_baseline_420_of_the_exact_size() {
        let (w, h) = (37u32, 23u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
        let (mut turbo, mut rust) = (vec![1; 5], vec![2; 7]);
        encode_jpeg_turbo(&rgb, w, h, 90, &mut turbo).unwrap();
        encode_jpeg_rust(&rgb, w, h, 90, &mut rust).unwrap();
        for jpeg in [turbo, rust, encode_jpeg(&rgb, w, h, 1).unwrap()] {
            let (baseline, jw, jh, comps) = jpeg_frame(&jpeg);
            assert!(baseline);
            assert_eq!((jw, jh), (37, 23));
            let sampling: Vec<_> = comps.iter().map(|c| (c.1, c.2)).collect();
            assert_eq!(sampling, vec![(2, 2), (1, 1), (1, 1)]);
        }
        assert!(encode_jpeg_turbo(&rgb[1..], w, h, 90, &mut Vec::new()).is_err());
    }

    #[test]
    fn render_to_file_with_kept_buffers_writes_what_render_and_write_do() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<f32> = (0..8 * 10).map(|i| ((i * 37 % 101) as f32 / 10.0).powi(3)).collect();
        let m = Matrix { rows: 8, cols: 10, data };
        for (i, (w, h, noise)) in [(40, 30, None), (7, 5, Some(30.0)), (40, 30, None), (41, 29, None)].into_iter().enumerate() {
            let p = ImageParams { width: w, height: h, colormap: Colormap::Magma, noise_percentile: noise, ..params() };
            for name in ["a.jpg", "a.png"] {
                let (got, want) = (dir.path().join(format!("{i}{name}")), dir.path().join(format!("want{i}{name}")));
                render_to_file(&m, &p, Some(20.0), &got).unwrap();
                write_image(&want, &render_rgb_ref(&m, &p, Some(20.0)).unwrap(), w, h, p.quality).unwrap();
                assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(&want).unwrap(), "{i} {name}");
            }
        }
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
