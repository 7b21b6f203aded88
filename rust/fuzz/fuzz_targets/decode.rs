//! Fuzzes the decode path with arbitrary file contents: whatever the bytes, reading them
//! (WAV through hound, everything else through symphonia's probe) must return audio or an
//! error; never panic past `catch_panic`, hang, or allocate without bound.
//!
//! cargo +nightly fuzz run decode --fuzz-dir rust/fuzz -- -max_total_time=600 -rss_limit_mb=1024
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use spectrust::dsp::decode::{read_with, ReadOptions};

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
});
