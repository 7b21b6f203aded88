//! JPEG: baseline, 4:2:0 chroma subsampling and libjpeg's quality scale (what Pillow writes).
//!
//! Built with the `libjpeg-turbo` feature (pip turns it on where NASM is installed, see
//! `scripts/build_backend.py`), images are encoded by libjpeg-turbo with its SIMD code, built
//! from source and linked statically; otherwise by the pure Rust jpeg-encoder, about 3x
//! slower. [`encoder`] and [`simd_in_use`] say which this build has.

/// The encoder of this build: its name and version (set by `rust/build.rs`).
pub fn encoder() -> &'static str {
    env!("SPECTRUST_JPEG_ENCODER")
}

/// Whether the encoder's SIMD code is compiled in and runs on this CPU: libjpeg-turbo's
/// (which `JSIMD_FORCENONE=1` in the environment switches off), or jpeg-encoder's AVX2 code.
pub fn simd_in_use() -> bool {
    #[cfg(feature = "libjpeg-turbo")]
    {
        turbo::simd_in_use()
    }
    #[cfg(all(not(feature = "libjpeg-turbo"), target_arch = "x86_64"))]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(all(not(feature = "libjpeg-turbo"), not(target_arch = "x86_64")))]
    {
        false
    }
}

/// A JPEG of `width x height` RGB pixels.
pub fn encode_jpeg(rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    encode_into(rgb, width, height, quality, &mut out)?;
    Ok(out)
}

/// [`encode_jpeg`] into `out` (replacing its contents, reusing its memory).
pub(super) fn encode_into(rgb: &[u8], width: u32, height: u32, quality: u8, out: &mut Vec<u8>) -> Result<(), String> {
    #[cfg(feature = "libjpeg-turbo")]
    {
        turbo::encode(rgb, width, height, quality, out)
    }
    #[cfg(not(feature = "libjpeg-turbo"))]
    {
        encode_rust(rgb, width, height, quality, out)
    }
}

/// libjpeg-turbo, with one compressor per thread, straight into `out` grown to its worst-case
/// size.
#[cfg(feature = "libjpeg-turbo")]
mod turbo {
    use std::cell::RefCell;

    extern "C" {
        /// libjpeg-turbo's own test of whether its SIMD RGB to YCbCr conversion (the first
        /// stage of encoding RGB) runs on this CPU; it reads `JSIMD_FORCENONE` once per thread.
        /// In the static library, as every build of ours has SIMD (turbojpeg-sys' `require-simd`).
        fn jsimd_can_rgb_ycc() -> std::ffi::c_int;
    }

    pub(super) fn simd_in_use() -> bool {
        // SAFETY: no arguments; it only reads the CPU's features and the environment.
        unsafe { jsimd_can_rgb_ycc() != 0 }
    }

    pub(super) fn encode(rgb: &[u8], width: u32, height: u32, quality: u8, out: &mut Vec<u8>) -> Result<(), String> {
        thread_local! {
            static COMPRESSOR: RefCell<Option<turbojpeg::Compressor>> = const { RefCell::new(None) };
        }
        let (w, h) = (width as usize, height as usize);
        if rgb.len() != w * h * 3 {
            return Err(format!("{} bytes of pixels for a {width}x{height} RGB image", rgb.len()));
        }
        let image =
            turbojpeg::Image { pixels: rgb, width: w, pitch: w * 3, height: h, format: turbojpeg::PixelFormat::RGB };
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
}

/// jpeg-encoder, chroma averaged over each 2x2 block as libjpeg does.
#[cfg_attr(feature = "libjpeg-turbo", allow(dead_code))]
fn encode_rust(rgb: &[u8], width: u32, height: u32, quality: u8, out: &mut Vec<u8>) -> Result<(), String> {
    let (w, h) = u16::try_from(width).ok().zip(u16::try_from(height).ok()).ok_or("image larger than 65535 pixels")?;
    out.clear();
    let mut enc = jpeg_encoder::Encoder::new(&mut *out, quality);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
    enc.encode(rgb, w, h, jpeg_encoder::ColorType::Rgb).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SOF marker of a JPEG: (baseline?, width, height, [(id, h, v)] per component).
    fn jpeg_frame(jpeg: &[u8]) -> (bool, u16, u16, Vec<(u8, u8, u8)>) {
        assert!(jpeg.starts_with(b"\xff\xd8") && jpeg.ends_with(b"\xff\xd9"));
        let mut i = 2;
        loop {
            let (marker, len) = (jpeg[i + 1], usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]])));
            if (0xc0..=0xc2).contains(&marker) {
                let seg = &jpeg[i + 4..i + 2 + len];
                let comps = seg[6..].chunks_exact(3).map(|c| (c[0], c[1] >> 4, c[1] & 15)).collect();
                return (
                    marker == 0xc0,
                    u16::from_be_bytes([seg[3], seg[4]]),
                    u16::from_be_bytes([seg[1], seg[2]]),
                    comps,
                );
            }
            i += 2 + len;
        }
    }

    #[test]
    fn both_jpeg_encoders_write_baseline_420_of_the_exact_size() {
        let (w, h) = (37u32, 23u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
        let mut rust = vec![2; 7];
        encode_rust(&rgb, w, h, 90, &mut rust).unwrap();
        #[cfg_attr(not(feature = "libjpeg-turbo"), allow(unused_mut))]
        let mut jpegs = vec![rust, encode_jpeg(&rgb, w, h, 1).unwrap()];
        #[cfg(feature = "libjpeg-turbo")]
        {
            let mut turbo = vec![1; 5];
            turbo::encode(&rgb, w, h, 90, &mut turbo).unwrap();
            jpegs.push(turbo);
            assert!(turbo::encode(&rgb[1..], w, h, 90, &mut Vec::new()).is_err());
        }
        for jpeg in jpegs {
            let (baseline, jw, jh, comps) = jpeg_frame(&jpeg);
            assert!(baseline);
            assert_eq!((jw, jh), (37, 23));
            let sampling: Vec<_> = comps.iter().map(|c| (c.1, c.2)).collect();
            assert_eq!(sampling, vec![(2, 2), (1, 1), (1, 1)]);
        }
    }

    #[test]
    fn the_build_names_its_encoder() {
        let name = encoder();
        let want = if cfg!(feature = "libjpeg-turbo") { "libjpeg-turbo " } else { "jpeg-encoder " };
        assert!(name.starts_with(want) && name[want.len()..].starts_with(|c: char| c.is_ascii_digit()), "{name}");
    }
}
