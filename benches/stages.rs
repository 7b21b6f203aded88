//! Where the time of one file goes inside the Rust core, stage by stage, on one thread.
//!
//!     cargo run --release --example stages [-- FILE.wav [REPEAT]]
//!
//! Default file: benches/data/music22k/clip_000.wav (make_data.py; under SPECTRUST_BENCH_DATA
//! when that is set). Each stage is timed best of
//! REPEAT (default 50) with the settings of bench_batch: n_fft 2048, hop 512, 128 mels, an
//! 800x600 image in the default colour map, JPEG quality 90. Last, the live view's work per
//! 1024-sample block at 48 kHz (n_fft 4096, hop 512, 256 log bands: the page's settings) on
//! 20 s of a 1 kHz tone in noise, best of 5.
//!
//! Add `$(python3 scripts/build_backend.py)` (the features pip builds here: `--features
//! opus,libjpeg-turbo` where cmake and NASM are) to time the JPEG encoder users get.

use std::path::{Path, PathBuf};
use std::time::Instant;

use spectrust::dsp::encode::jpeg::encode_jpeg;
use spectrust::dsp::encode::write_image;
use spectrust::dsp::filterbank::{MelNorm, MelParams};
use spectrust::dsp::image::{render_rgb, Colormap, ImageParams};
use spectrust::dsp::info::build_info;
use spectrust::dsp::live::{StreamingParams, StreamingSpectrogram};
use spectrust::dsp::pipeline::{load_audio, render_to_file};
use spectrust::dsp::resample::resample;
use spectrust::dsp::spectrogram::{MelSpecParams, MelSpectrogram};
use spectrust::dsp::stft::StftParams;

/// Best wall time of `repeat` calls of `f`, in milliseconds, and the last result.
fn best<T>(repeat: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let (mut best, mut last) = (f64::INFINITY, None);
    for _ in 0..repeat {
        let t = Instant::now();
        last = Some(f());
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    (best, last.expect("repeat >= 1"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // make_data.py's folder: benches/data, or SPECTRUST_BENCH_DATA.
    let data = std::env::var_os("SPECTRUST_BENCH_DATA").map_or_else(|| root.join("benches/data"), PathBuf::from);
    let input = args.next().map_or_else(|| data.join("music22k/clip_000.wav"), PathBuf::from);
    let repeat: usize = args.next().map_or(50, |s| s.parse().expect("REPEAT is a number"));
    let out = tempfile::tempdir().expect("temporary folder");
    let (jpg, png) = (out.path().join("one.jpg"), out.path().join("one.png"));

    let (t_decode, audio) =
        best(repeat, || load_audio(&input.as_path().into(), None, true, &Default::default()).expect("readable audio"));
    let params = MelSpecParams {
        stft: StftParams::new(2048),
        power: 2.0,
        mel: MelParams {
            sr: f64::from(audio.sample_rate),
            n_fft: 2048,
            n_mels: 128,
            fmin: 0.0,
            fmax: None,
            htk: false,
            norm: MelNorm::Slaney,
        },
    };
    let mel = MelSpectrogram::new(&params).expect("valid parameters");
    let (t_mel, spec) = best(repeat, || mel.compute(&audio.samples, None).expect("a spectrogram"));
    let image = ImageParams {
        width: 800,
        height: 600,
        colormap: Colormap::Spectrust,
        rgb: [255.0; 3],
        top_db: 80.0,
        quality: 90,
        noise_percentile: None,
    };
    let (t_render, rgb) = best(repeat, || render_rgb(&spec, &image).expect("pixels"));
    let (t_jpeg, jpeg) = best(repeat, || encode_jpeg(&rgb, 800, 600, 90).expect("a JPEG"));
    let (t_jpeg_file, _) = best(repeat, || write_image(&jpg, &rgb, 800, 600, 90).expect("written"));
    let (t_png_file, _) = best(repeat, || write_image(&png, &rgb, 800, 600, 90).expect("written"));
    let (t_image, _) = best(repeat, || render_to_file(&spec, &image, None, &jpg).expect("written"));
    let music44k = root.join("examples/music_stereo44k_s16.wav");
    let y44 = load_audio(&music44k.as_path().into(), None, true, &Default::default()).expect("the 44.1 kHz clip");
    let (t_resample, y16) = best(repeat, || resample(&y44.samples, 1, 44100, 16000).expect("resampled"));
    let live = StreamingParams { hop_length: 512, ..StreamingParams::new(48000.0, 4096) };
    let mut noise = 0x2545_f491_4f6c_dd1du64;
    let tone: Vec<f32> = (0..48000 * 20)
        .map(|i| {
            noise ^= noise << 13;
            noise ^= noise >> 7;
            noise ^= noise << 17;
            0.5 * (i as f32 * 2.0 * std::f32::consts::PI * 1000.0 / 48000.0).sin()
                + (noise >> 40) as f32 / (1u64 << 26) as f32
        })
        .collect();
    let (t_live, _) = best(5, || {
        let mut s = StreamingSpectrogram::new(&live).expect("valid parameters");
        tone.chunks(1024).map(|block| s.push(block) + s.pull(None).0).sum::<usize>()
    });
    let t_block = t_live * 1e3 / tone.chunks(1024).len() as f64;

    println!(
        "{} ({} samples at {} Hz), best of {repeat}, one thread:",
        input.display(),
        audio.samples.len(),
        audio.sample_rate
    );
    println!("  build: {:?}", build_info());
    println!("  decode (load_audio, mono)             {t_decode:7.3} ms");
    println!("  STFT + mel ({} x {})               {t_mel:7.3} ms", spec.rows, spec.cols);
    println!("  dB + resize + colour (render_rgb)     {t_render:7.3} ms");
    println!("  JPEG encode 800x600 q90 ({} KB)      {t_jpeg:7.3} ms", jpeg.len() / 1024);
    println!("  JPEG encode + write (write_image)     {t_jpeg_file:7.3} ms");
    println!("  PNG encode + write (write_image)      {t_png_file:7.3} ms");
    println!("  render + JPEG + write (render_to_file){t_image:7.3} ms");
    println!("  decode + STFT + mel + render_to_file  {:7.3} ms", t_decode + t_mel + t_image);
    println!("  resample 15 s mono 44.1 -> 16 kHz ({} out) {t_resample:7.3} ms", y16.len());
    println!("  live view, one 1024-sample block       {t_block:7.2} us (push + pull, 48 kHz, n_fft 4096)");
}
