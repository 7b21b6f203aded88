//! The vendored decoder against symphonia's own, sample for sample (bit for bit), on FLAC
//! files of every kind the encoders make, intact and with bits flipped.

use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use symphonia::core::codecs::audio::{AudioDecoderOptions, CODEC_ID_NULL_AUDIO};
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use super::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// The file's FLAC packets and a decoder of symphonia's and of ours for them.
fn open(path: &Path) -> (Box<dyn FormatReader>, u32, Box<dyn AudioDecoder>, Flac) {
    let source = MediaSourceStream::new(Box::new(File::open(path).expect("file")), Default::default());
    let format = symphonia::default::get_probe()
        .probe(&Hint::new(), source, FormatOptions::default(), MetadataOptions::default())
        .expect("probe");
    let (track, params) = format
        .tracks()
        .iter()
        .find_map(|t| Some((t.id, t.codec_params.as_ref()?.audio()?.clone())))
        .expect("an audio track");
    assert_ne!(params.codec, CODEC_ID_NULL_AUDIO);
    let codecs = symphonia::default::get_codecs();
    let make = || codecs.make_audio_decoder(&params, &AudioDecoderOptions::default()).expect("decoder");
    (format, track, make(), Flac::new(make()).expect("ours"))
}

/// Decodes every packet of `path` by both decoders, `mutate` applied to each packet first;
/// asserts the same samples (bits) and the same outcome. Returns the samples and errors.
fn compare(path: &Path, mutate: &mut dyn FnMut(usize, &mut Vec<u8>)) -> (usize, usize) {
    let (mut format, track, mut theirs, mut ours) = open(path);
    let (mut samples, mut errors, mut out) = (0, 0, Vec::new());
    let mut i = 0;
    while let Ok(Some(mut packet)) = format.next_packet() {
        if packet.track_id != track {
            continue;
        }
        i += 1;
        let mut bytes = packet.data.to_vec();
        mutate(i, &mut bytes);
        packet.data = bytes.into_boxed_slice();
        let expected = catch_unwind(AssertUnwindSafe(|| {
            theirs.decode(&packet).map(|d| {
                let mut v = vec![0.0f32; d.samples_interleaved()];
                d.copy_to_slice_interleaved(&mut v);
                (v, d.spec().channels().count(), d.spec().rate())
            })
        }));
        // symphonia's own overflows (a debug build's panics) on corrupt data: not compared.
        let Ok(expected) = expected else { continue };
        out.clear();
        match (expected, ours.decode(&packet, &mut out)) {
            (Ok((v, channels, rate)), Ok(frames)) => {
                assert_eq!((ours.channels(), ours.sample_rate()), (channels, rate), "packet {i}");
                assert_eq!(frames * channels, v.len(), "packet {i}");
                let same = v.iter().zip(&out).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same && v.len() == out.len(), "{}: packet {i} differs", path.display());
                samples += v.len();
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "packet {i}");
                assert!(out.is_empty());
                errors += 1;
            }
            (a, b) => panic!("{}: packet {i}: {:?} vs {:?}", path.display(), a.map(|x| x.1), b),
        }
    }
    (samples, errors)
}

const FILES: [&str; 4] = [
    "examples/music.flac",
    "tests/data/flac_s16_l8.flac",
    "tests/data/flac_s24_mono_fs192.flac",
    "tests/data/flac_s16_l12.oga",
];

#[test]
fn the_samples_are_symphonias() {
    for name in FILES {
        let (samples, errors) = compare(&data(name), &mut |_, _| ());
        assert!(samples > 40_000 && errors == 0, "{name}: {samples} samples, {errors} errors");
    }
    // More files, made as tests/data/README.md says, where a folder of them is named.
    if let Some(dir) = std::env::var_os("SPECTRUST_FLAC_DIR") {
        for entry in std::fs::read_dir(dir).expect("folder") {
            let path = entry.expect("entry").path();
            let (samples, errors) = compare(&path, &mut |_, _| ());
            assert!(samples > 0 && errors == 0, "{}", path.display());
        }
    }
}

#[test]
fn corrupt_packets_give_symphonias_samples_or_errors() {
    for name in FILES {
        // A cheap generator (xorshift) picks a bit or a byte to spoil in each packet past the
        // header (whose CRC would refuse it): residuals, coefficients, orders, shifts.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (samples, errors) = compare(&data(name), &mut |i, bytes: &mut Vec<u8>| {
            let r = next();
            let len = bytes.len();
            match i % 4 {
                0 => (),
                1 if len > 16 => bytes[16 + (r as usize >> 8) % (len - 16)] ^= 1 << (r & 7),
                2 if len > 16 => bytes.truncate(16 + (r as usize >> 8) % (len - 16)),
                _ if len > 16 => bytes[16 + (r as usize >> 8) % (len - 16)] = r as u8,
                _ => (),
            }
        });
        assert!(samples > 0 && errors > 0, "{name}: {samples} samples, {errors} errors");
    }
}
