//! Decides which JPEG encoder the crate uses (see `rust/dsp/render.rs`).
//!
//! libjpeg-turbo (the `turbojpeg` crate, built from source with cmake) is used when it gets its
//! SIMD code. On x86 that code is assembly for NASM (or Yasm), found on the PATH or named by the
//! `ASM_NASM` variable, as libjpeg-turbo's own cmake build looks for it; without one, the C-only
//! libjpeg-turbo is slower than the pure Rust `jpeg-encoder`, so that one is used instead.
//! Elsewhere libjpeg-turbo is used as it builds (its Arm SIMD code is C intrinsics).

use std::process::Command;

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program).arg(arg).output().map(|o| o.status.success()).unwrap_or(false)
}

fn main() {
    println!("cargo::rerun-if-changed=rust/build.rs");
    println!("cargo::rerun-if-env-changed=ASM_NASM");
    println!("cargo::rustc-check-cfg=cfg(spectrust_libjpeg_turbo)");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let simd = if arch == "x86_64" || arch == "x86" {
        let nasm = std::env::var("ASM_NASM").unwrap_or_else(|_| "nasm".into());
        runs(&nasm, "-v") || runs("yasm", "--version")
    } else {
        true
    };
    if simd {
        println!("cargo::rustc-cfg=spectrust_libjpeg_turbo");
    } else {
        println!(
            "cargo::warning=NASM not found: JPEG images are encoded by jpeg-encoder instead of the \
             faster libjpeg-turbo (install nasm and rebuild for about 3x faster JPEG encoding)"
        );
    }
}
