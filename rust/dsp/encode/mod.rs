//! Encoding RGB pixels as JPEG ([`jpeg`]) or PNG and writing them atomically ([`atomic`]):
//! the format follows the output file's suffix.

mod atomic;
pub mod jpeg;

use std::path::Path;

use super::error::{Error, Result};

/// Output image format, chosen from the output file's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
}

impl ImageFormat {
    /// The suffixes (without the dot, lower case) of the formats written.
    pub const SUFFIXES: [&'static str; 3] = ["jpg", "jpeg", "png"];

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

/// Encodes `width x height` RGB pixels in `format` into `out` (replacing its contents, reusing
/// its memory).
pub fn encode(
    format: ImageFormat,
    rgb: &[u8],
    width: u32,
    height: u32,
    quality: u8,
    out: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    match format {
        ImageFormat::Jpeg => jpeg::encode_into(rgb, width, height, quality, out),
        ImageFormat::Png => {
            use image::ImageEncoder;
            out.clear();
            image::codecs::png::PngEncoder::new(&mut *out)
                .write_image(rgb, width, height, image::ExtendedColorType::Rgb8)
                .map_err(|e| e.to_string())
        }
    }
}

/// Encodes RGB pixels in the format given by `path`'s suffix and writes them there through a
/// temporary file in the same folder, renamed into place: a failure never leaves a partial
/// image. The folder is created if missing.
pub fn write_image(path: &Path, rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<()> {
    write_image_with(path, rgb, width, height, quality, &mut Vec::new())
}

/// [`write_image`] with `encoded` as the buffer for the encoded image (kept by callers that
/// write many).
pub fn write_image_with(
    path: &Path,
    rgb: &[u8],
    width: u32,
    height: u32,
    quality: u8,
    encoded: &mut Vec<u8>,
) -> Result<()> {
    let format = ImageFormat::from_path(path)?;
    atomic::prepare(path)?;
    encode(format, rgb, width, height, quality, encoded).map_err(|e| Error::encode(path, e))?;
    atomic::write(path, encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_by_suffix_and_leaves_nothing_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let rgb = vec![128u8; 40 * 30 * 3];
        for (name, magic) in
            [("a.png", &b"\x89PNG"[..]), ("b.JPG", &b"\xff\xd8\xff"[..]), ("sub/c.jpeg", &b"\xff\xd8\xff"[..])]
        {
            let p = dir.path().join(name);
            write_image(&p, &rgb, 40, 30, 90).unwrap();
            assert!(std::fs::read(&p).unwrap().starts_with(magic), "{name}");
        }
        let bad = dir.path().join("d.gif");
        assert!(matches!(write_image(&bad, &rgb, 40, 30, 90), Err(Error::Parameter(_))));
        // Pixels that do not fill the image: an encoding error, and no file.
        assert!(matches!(write_image(&dir.path().join("e.jpg"), &rgb[1..], 40, 30, 90), Err(Error::Encode { .. })));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }
}
