//! What this build and this CPU give: the JPEG encoder and whether its SIMD code runs, and the
//! CPU features the DSP kernels pick at run time.

use super::encode::jpeg;

/// How this build encodes and computes, as found at run time.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildInfo {
    /// The JPEG encoder and its version, e.g. "libjpeg-turbo 3.1.0" or "jpeg-encoder 0.7.1".
    pub jpeg_encoder: &'static str,
    /// Whether the encoder's SIMD code is compiled in and runs on this CPU.
    pub jpeg_simd: bool,
    /// The CPU features, among those the kernels choose between at run time, that this CPU
    /// has: AVX2 for spectrograms and images, AVX/FMA or SSE4.1 for rustfft (x86-64); NEON
    /// for rustfft (aarch64).
    pub cpu_features: Vec<&'static str>,
    /// The Opus decoder built in, if any (the `opus` feature): libopus's version string, or,
    /// for the source audiopus_sys bundles (which records no version), "libopus, as bundled by
    /// audiopus_sys 0.2.2".
    pub opus_decoder: Option<&'static str>,
    /// Whether this is an optimised (release) build.
    pub optimized: bool,
}

pub fn build_info() -> BuildInfo {
    BuildInfo {
        jpeg_encoder: jpeg::encoder(),
        jpeg_simd: jpeg::simd_in_use(),
        cpu_features: cpu_features(),
        #[cfg(feature = "opus")]
        opus_decoder: Some(opus_version()),
        #[cfg(not(feature = "opus"))]
        opus_decoder: None,
        optimized: !cfg!(debug_assertions),
    }
}

#[cfg(feature = "opus")]
fn opus_version() -> &'static str {
    match opus::version() {
        v if v.ends_with("unknown") => concat!("libopus, as bundled by ", env!("SPECTRUST_OPUS_SOURCE")),
        v => v,
    }
}

fn cpu_features() -> Vec<&'static str> {
    #[cfg(target_arch = "x86_64")]
    {
        let has = [
            ("sse4.1", std::is_x86_feature_detected!("sse4.1")),
            ("avx", std::is_x86_feature_detected!("avx")),
            ("fma", std::is_x86_feature_detected!("fma")),
            ("avx2", std::is_x86_feature_detected!("avx2")),
        ];
        has.iter().filter(|(_, yes)| *yes).map(|(name, _)| *name).collect()
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            vec!["neon"]
        } else {
            vec![]
        }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        vec![]
    }
}
