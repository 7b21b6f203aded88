//! Names the JPEG encoder of this build for `spectrust.build_info()` (the `SPECTRUST_JPEG_ENCODER`
//! variable), and warns when it is not libjpeg-turbo.
//!
//! With the `libjpeg-turbo` feature, turbojpeg-sys builds libjpeg-turbo with `REQUIRE_SIMD`, so
//! the library is SIMD or the build fails; its `jconfig.h` gives the version and is checked for
//! `WITH_SIMD`. Without it, jpeg-encoder encodes (its version from Cargo.lock). With `opus`, it
//! names the crate whose libopus source is built (`SPECTRUST_OPUS_SOURCE`).

use std::env;
use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=rust/build.rs");
    println!("cargo::rerun-if-changed=Cargo.lock");
    let encoder = if env::var_os("CARGO_FEATURE_LIBJPEG_TURBO").is_some() {
        libjpeg_turbo()
    } else {
        if env::var("PROFILE").as_deref() == Ok("release") {
            println!(
                "cargo::warning=built without the libjpeg-turbo feature: JPEG images are encoded by jpeg-encoder, \
                 about 3x slower than libjpeg-turbo. pip turns the feature on where NASM is installed \
                 (apt-get install nasm, then rebuild); with maturin, add --features libjpeg-turbo"
            );
        }
        let version = locked_version("jpeg-encoder").unwrap_or_default();
        format!("jpeg-encoder {version}").trim().to_string()
    };
    println!("cargo::rustc-env=SPECTRUST_JPEG_ENCODER={encoder}");
    // The libopus source audiopus_sys bundles records no version of its own.
    if env::var_os("CARGO_FEATURE_OPUS").is_some() {
        let version = locked_version("audiopus_sys").unwrap_or_default();
        println!("cargo::rustc-env=SPECTRUST_OPUS_SOURCE=audiopus_sys {version}");
    }
}

/// "libjpeg-turbo VERSION", from the `jconfig.h` turbojpeg-sys installed (its include folders
/// come as `DEP_TURBOJPEG_INCLUDE`, comma-separated).
fn libjpeg_turbo() -> String {
    let include = env::var("DEP_TURBOJPEG_INCLUDE").expect("turbojpeg-sys names its include folder");
    let header = include
        .split(',')
        .map(|dir| Path::new(dir).join("jconfig.h"))
        .find_map(|p| std::fs::read_to_string(p).ok())
        .expect("libjpeg-turbo's jconfig.h in turbojpeg-sys' include folder");
    // `#define NAME VALUE`: the value of NAME.
    let define = |name: &str| {
        header.lines().find_map(|line| match line.split_whitespace().collect::<Vec<_>>()[..] {
            ["#define", n, value, ..] if n == name => Some(value.to_owned()),
            _ => None,
        })
    };
    assert!(define("WITH_SIMD").is_some(), "libjpeg-turbo was built without its SIMD code (jconfig.h: no WITH_SIMD)");
    let version = define("LIBJPEG_TURBO_VERSION").expect("LIBJPEG_TURBO_VERSION in jconfig.h");
    format!("libjpeg-turbo {version}")
}

/// The version of package `name` in Cargo.lock, if the lock file is there.
fn locked_version(name: &str) -> Option<String> {
    let lock = std::fs::read_to_string(Path::new(&env::var("CARGO_MANIFEST_DIR").ok()?).join("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    lines.find(|l| *l == format!("name = \"{name}\""))?;
    lines.next()?.strip_prefix("version = \"")?.strip_suffix('"').map(str::to_owned)
}
