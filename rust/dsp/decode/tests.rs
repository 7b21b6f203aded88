//! Tests of reading: WAV scaling, bad files, offsets found by seeking.

use super::*;

fn write_wav(path: &Path, spec: hound::WavSpec, samples: &[i32]) {
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        match spec.bits_per_sample {
            8 => w.write_sample(s as i8).unwrap(),
            16 => w.write_sample(s as i16).unwrap(),
            _ => w.write_sample(s).unwrap(),
        }
    }
    w.finalize().unwrap();
}

#[test]
fn integer_scaling_matches_libsndfile() {
    let dir = tempfile::tempdir().unwrap();
    for bits in [8u16, 16, 24, 32] {
        let p = dir.path().join(format!("t{bits}.wav"));
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: bits,
            sample_format: hound::SampleFormat::Int,
        };
        let full = 1i64 << (bits - 1);
        write_wav(&p, spec, &[(-full) as i32, (full / 2) as i32, 0, (full - 1) as i32]);
        let a = read(&p).unwrap();
        assert_eq!((a.channels, a.sample_rate, a.frames()), (2, 8000, 2));
        assert_eq!(a.samples[0], -1.0);
        assert_eq!(a.samples[1], 0.5);
        assert_eq!(a.to_mono(), vec![-0.25, (a.samples[3]) / 2.0]);
    }
}

#[test]
fn bad_files_give_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.wav");
    assert!(matches!(read(&missing), Err(Error::NotFound { .. })));
    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    assert!(read(&empty).unwrap_err().to_string().contains("empty file"));
    let text = dir.path().join("text.wav");
    std::fs::write(&text, b"hello, this is not audio at all").unwrap();
    let msg = read(&text).unwrap_err().to_string();
    assert!(msg.starts_with(&text.display().to_string()) && !msg.contains('\n'), "{msg}");
    let folder = dir.path().join("x.wav");
    std::fs::create_dir(&folder).unwrap();
    assert!(read(&folder).unwrap_err().to_string().contains("directory"));
}

#[test]
fn truncated_data_keeps_what_is_there_and_lying_sizes_do_not_allocate() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.wav");
    let spec =
        hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    write_wav(&p, spec, &(0..1000).collect::<Vec<_>>());
    let mut bytes = std::fs::read(&p).unwrap();
    // Claim a 4 GB data chunk, then cut the file mid-sample.
    let data = bytes.windows(4).position(|w| w == b"data").unwrap();
    bytes[data + 4..data + 8].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    bytes.truncate(bytes.len() - 501);
    std::fs::write(&p, &bytes).unwrap();
    let a = read(&p).unwrap();
    assert_eq!(a.frames(), 749);
    assert!(a.samples.capacity() < 10_000);
    // A header cut short is an error.
    std::fs::write(&p, &bytes[..30]).unwrap();
    assert!(matches!(read(&p), Err(Error::Decode { .. })));
}

/// The clips sought in, and whether a seek gives exactly the samples of a decode from the
/// start (else they converge: Opus's decoder state after its pre-roll).
const SOUGHT: [(&str, bool); 10] = [
    ("examples/music_stereo44k_s16.wav", true),
    ("examples/music.flac", true),
    ("examples/music.mp3", true),
    ("tests/data/speech_jfk.mp3", true),
    ("examples/music.ogg", true),
    ("examples/music.m4a", false),
    ("examples/music.aac", false),
    ("tests/data/music_alac.m4a", true),
    ("tests/data/speech_opus.ogg", false),
    ("tests/data/music_opus.webm", false),
];

#[test]
fn a_sought_offset_gives_the_samples_of_a_decode_from_the_start() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let requests =
        [DecodeRequest::ALL, DecodeRequest::new(true, Some(16000), None), DecodeRequest::new(true, Some(22050), None)];
    // Opus needs libopus (the `opus` feature).
    for (name, exact) in SOUGHT.into_iter().filter(|(name, _)| cfg!(feature = "opus") || !name.contains("opus")) {
        let input = Input::from(root.join(name).as_path());
        for request in &requests {
            for offset in [0.3, 2.0, 5.31, 7.777, 9.5] {
                let options = ReadOptions { offset, duration: Some(1.5), max_duration: None };
                let sought = AudioReader::open_input(&input, &options, request).unwrap().read_all().unwrap();
                let through = AudioReader::open_at_start(&input, &options, request).unwrap().read_all().unwrap();
                let what = format!("{name} {request:?} offset {offset}");
                assert_eq!((sought.channels, sought.sample_rate), (through.channels, through.sample_rate), "{what}");
                assert_eq!(sought.samples.len(), through.samples.len(), "{what}");
                assert_eq!(sought.source_frames, through.source_frames, "{what}");
                let max = sought.samples.iter().zip(&through.samples).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
                let energy = through.samples.iter().map(|x| x * x).sum::<f32>();
                let noise = sought.samples.iter().zip(&through.samples).map(|(a, b)| (a - b) * (a - b)).sum::<f32>();
                println!("{what}: max {max:e} snr {:.1} dB", 10.0 * (energy / noise.max(1e-30)).log10());
                if exact {
                    assert!(max <= 1e-6, "{what}: {max}");
                }
            }
        }
    }
}

#[test]
fn options_within_a_segment_count_from_its_start_and_stop_at_its_end() {
    let read = |offset, duration| ReadOptions { offset, duration, max_duration: Some(60.0) };
    // The whole segment, then a part of it, then past its end.
    assert_eq!(read(0.0, None).within(12.5, Some(2.0)), read(12.5, Some(2.0)));
    assert_eq!(read(0.5, Some(1.0)).within(12.5, Some(2.0)), read(13.0, Some(1.0)));
    assert_eq!(read(0.5, Some(5.0)).within(12.5, Some(2.0)), read(13.0, Some(1.5)));
    assert_eq!(read(3.0, None).within(12.5, Some(2.0)), read(15.5, Some(0.0)));
    // A segment to the end of its recording.
    assert_eq!(read(1.0, Some(4.0)).within(7.0, None), read(8.0, Some(4.0)));
    assert_eq!(read(0.0, None).within(7.0, None), read(7.0, None));
}
