//! What each reduction of MP3 decoding is worth on its own, on one thread: the 100 MP3s of
//! make_data.py (44.1 kHz stereo, 128 kb/s) to mono 16 kHz samples, each way timed best of
//! REPEAT (default 3) over all the files.
//!
//!     cargo run --release --example decode_reductions [$(python3 scripts/build_backend.py)] [-- FOLDER [REPEAT]]
//!
//! Default folder: benches/data/music44k_mp3 (written by `python3 benches/run_all.py` or
//! `bench_speech.py`, 4 clips in their quick mode; under SPECTRUST_BENCH_DATA when that is
//! set). The
//! ways, each decoding, mixing to mono and resampling to 16 kHz:
//!
//! 1. symphonia's MP3 decoder (what spectrust used before), all channels at 44.1 kHz;
//! 2. the vendored minimp3 decoder, all channels at 44.1 kHz (`DecodeRequest::ALL`);
//! 3. plus mono in the subband domain;
//! 4. plus only the subbands up to 8 kHz and one more (still synthesised at 44.1 kHz);
//! 5. plus the synthesis at 22.05 kHz (`DecodeRequest::new(true, Some(16000), None)`, what
//!    `load(p, sr=16000)` and the 16 kHz feature pipelines ask).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use spectrust::dsp::decode::{AudioReader, DecodeRequest, Input};
use spectrust::dsp::resample::resample;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// Decoded by symphonia alone, as before: interleaved samples, channels, rate.
fn symphonia_decode(path: &Path) -> (Vec<f32>, usize, u32) {
    let mss = MediaSourceStream::new(Box::new(File::open(path).expect("a file")), Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(&Hint::new(), mss, FormatOptions::default(), MetadataOptions::default())
        .expect("an MP3 file");
    let params = format.tracks()[0].codec_params.as_ref().and_then(|p| p.audio()).expect("audio").clone();
    let mut decoder =
        symphonia::default::get_codecs().make_audio_decoder(&params, &AudioDecoderOptions::default()).expect("MP3");
    let (mut out, mut channels) = (Vec::new(), 1);
    while let Ok(Some(packet)) = format.next_packet() {
        let decoded = decoder.decode(&packet).expect("a frame");
        channels = decoded.spec().channels().count();
        let at = out.len();
        out.resize(at + decoded.samples_interleaved(), 0.0);
        decoded.copy_to_slice_interleaved(&mut out[at..]);
    }
    (out, channels, params.sample_rate.expect("a rate"))
}

/// Mono at 16 kHz from interleaved samples.
fn to_16k_mono(samples: &[f32], channels: usize, rate: u32) -> Vec<f32> {
    let mono: Vec<f32> = samples.chunks_exact(channels).map(|f| f.iter().sum::<f32>() / channels as f32).collect();
    resample(&mono, 1, rate, 16000).expect("resampled")
}

/// Read with `request`, then mono (if the decoder did not mix) and 16 kHz.
fn spectrust_decode(path: &Path, request: &DecodeRequest) -> Vec<f32> {
    let reader = AudioReader::open_input(&Input::from(path), &Default::default(), request).expect("readable");
    let audio = reader.read_all_mono().expect("decoded");
    to_16k_mono(&audio.samples, 1, audio.sample_rate)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = std::env::var_os("SPECTRUST_BENCH_DATA").map_or_else(|| root.join("benches/data"), PathBuf::from);
    let folder = args.next().map_or_else(|| data.join("music44k_mp3"), PathBuf::from);
    let repeat: usize = args.next().map_or(3, |s| s.parse().expect("REPEAT is a number"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e} (run python3 benches/make_data.py)", folder.display()))
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "mp3"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no MP3 files in {}", folder.display());

    let full = DecodeRequest::ALL;
    let mono = DecodeRequest { mono: true, ..full };
    let bands = DecodeRequest { max_frequency: Some(8000.0), ..mono };
    let half_rate = DecodeRequest::new(true, Some(16000), None);
    type Way<'a> = (&'a str, Box<dyn Fn(&Path) -> Vec<f32> + 'a>);
    let ways: Vec<Way> = vec![
        (
            "symphonia (before)",
            Box::new(|p: &Path| {
                let (s, c, r) = symphonia_decode(p);
                to_16k_mono(&s, c, r)
            }),
        ),
        ("minimp3, all channels", Box::new(move |p: &Path| spectrust_decode(p, &full))),
        ("+ mono in subbands", Box::new(move |p: &Path| spectrust_decode(p, &mono))),
        ("+ subbands to 8 kHz", Box::new(move |p: &Path| spectrust_decode(p, &bands))),
        ("+ synthesis at 22.05 kHz", Box::new(move |p: &Path| spectrust_decode(p, &half_rate))),
    ];
    println!("{} MP3 files in {}, to mono 16 kHz, one thread, best of {repeat}:", files.len(), folder.display());
    let mut first = None;
    for (name, way) in &ways {
        let mut best = f64::INFINITY;
        let mut samples = 0;
        for _ in 0..repeat {
            let t = Instant::now();
            samples = files.iter().map(|p| way(p).len()).sum::<usize>();
            best = best.min(t.elapsed().as_secs_f64());
        }
        let per_file = best / files.len() as f64 * 1e3;
        let base = *first.get_or_insert(per_file);
        println!("  {name:28} {per_file:6.2} ms a file  {:5.2}x  ({samples} samples)", base / per_file);
    }
}
