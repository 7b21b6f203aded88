//! Fuzzes the decode path with arbitrary file contents: whatever the bytes, reading them
//! (WAV through hound, everything else through symphonia's probe; MP3 frames through the
//! vendored minimp3, whole and reduced) must return audio or an error; never panic past
//! `catch_panic`, hang, or allocate without bound.
//!
//! cargo +nightly fuzz run decode --fuzz-dir rust/fuzz -- -max_total_time=600 -rss_limit_mb=1024
//! (on a stable toolchain: RUSTC_BOOTSTRAP=1 cargo fuzz run ...)
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use spectrust::dsp::decode::{read_with, AudioReader, DecodeRequest, Input, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::Builder::new().tempfile_in("/dev/shm").or_else(|_| tempfile::NamedTempFile::new()).unwrap();
    file.write_all(data).unwrap();
    file.flush().unwrap();
    // A decoded-duration cap as the server uses: a tiny file may claim hours.
    let options = ReadOptions { max_duration: Some(60.0), ..Default::default() };
    if let Ok(audio) = read_with(file.path(), &options) {
        assert!(audio.channels >= 1 && audio.sample_rate >= 1);
        assert_eq!(audio.samples.len() % audio.channels, 0);
    }
    // What the feature pipelines ask: mono at 16 kHz (MP3: mono in the subband domain, half the
    // subbands, synthesis at half the rate; Opus at 16 kHz), from an offset, and mono at 8 kHz.
    let input = Input::bytes(data.to_vec(), None);
    for (sr, offset) in [(16000, 0.0), (16000, 0.013), (8000, 0.0)] {
        let options = ReadOptions { offset, max_duration: Some(60.0), ..Default::default() };
        let request = DecodeRequest::new(true, Some(sr), None);
        if let Ok(audio) = AudioReader::open_input(&input, &options, &request).and_then(|r| r.read_all_mono()) {
            assert!(audio.channels == 1 && audio.sample_rate >= 1);
            assert!(audio.source_rate >= audio.sample_rate);
        }
    }
});
