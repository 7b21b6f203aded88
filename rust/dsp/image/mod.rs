//! Spectrogram images: a power matrix becomes levels (dB, [`levels`]), is resized to the
//! image ([`resize`]) and coloured ([`colormap`]) into RGB pixels. Encoding and writing the
//! pixels is [`encode`](super::encode)'s.

mod colormap;
mod colormap_data;
mod levels;
mod resize;

pub use colormap::Colormap;

use super::error::{ensure_param, Result};
use super::spectrogram::Matrix;
use levels::levels;
use resize::Taps;

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
    pub quality: u32,
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
    let mut canvas = Canvas::default();
    canvas.draw(spec, p, reference)?;
    Ok(canvas.rgb)
}

/// The work buffers of drawing one image and its pixels, kept from one image to the next by
/// whoever draws many (fresh multi-megabyte buffers for every image cost about as much in page
/// faults as colouring the pixels).
#[derive(Default)]
pub struct Canvas {
    level: Vec<f32>,
    narrow: Vec<f32>,
    line: Vec<f32>,
    index: Vec<usize>,
    rgb: Vec<u8>,
}

impl Canvas {
    /// Draws [`render_rgb_ref`]'s pixels and returns them (`width * height * 3` bytes, row
    /// after row from the top).
    pub fn draw(&mut self, spec: &Matrix, p: &ImageParams, reference: Option<f32>) -> Result<&[u8]> {
        p.validate()?;
        ensure_param!(spec.rows > 0 && spec.cols > 0, "empty spectrogram");
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            unsafe { self.pixels_avx2(spec, p, reference) };
            return Ok(&self.rgb);
        }
        self.pixels(spec, p, reference);
        Ok(&self.rgb)
    }

    /// The bytes of the pixel buffer (the size of the largest image drawn).
    pub fn capacity(&self) -> usize {
        self.rgb.capacity()
    }

    /// [`Self::pixels`] compiled for AVX2: the same operations in the same order, on 8 lanes.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn pixels_avx2(&mut self, spec: &Matrix, p: &ImageParams, reference: Option<f32>) {
        self.pixels(spec, p, reference)
    }

    /// The RGB pixels of [`render_rgb_ref`] into `self.rgb`, for checked parameters. Every
    /// buffer is overwritten whole, so none needs clearing.
    #[inline(always)]
    fn pixels(&mut self, spec: &Matrix, p: &ImageParams, reference: Option<f32>) {
        levels(&spec.data, p.top_db as f32, reference, p.noise_percentile, &mut self.level);
        let (w, h) = (p.width as usize, p.height as usize);
        // Resize time first, each mel band a line (rows x w), then frequency, a pixel row at a time.
        let time = Taps::new(spec.cols, w);
        self.narrow.resize(spec.rows * w, 0.0);
        for (band, out) in self.level.chunks_exact(spec.cols).zip(self.narrow.chunks_exact_mut(w)) {
            time.resample(band, out);
        }
        let freq = Taps::new(spec.rows, h);
        let lut = p.lut();
        self.line.resize(w, 0.0);
        self.index.resize(w, 0);
        self.rgb.resize(w * h * 3, 0);
        let (line, index, narrow) = (&mut self.line, &mut self.index, &self.narrow);
        for (y, pixels) in self.rgb.chunks_exact_mut(w * 3).enumerate() {
            // Image row 0 is the top: the highest frequencies.
            freq.line(narrow, w, h - 1 - y, line);
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
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small grey image's settings, for tests.
    pub(crate) fn params() -> ImageParams {
        ImageParams {
            width: 40,
            height: 30,
            colormap: Colormap::Gray,
            rgb: [255.0; 3],
            top_db: 80.0,
            quality: 90,
            noise_percentile: None,
        }
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
    fn the_noise_filter_floors_quiet_bins() {
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
}
