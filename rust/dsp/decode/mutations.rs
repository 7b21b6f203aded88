//! Mutants of real files of every container the repository holds (bits flipped, runs of bytes
//! overwritten, cuts, holes, splices, repeats), read from memory as `spectrust.load` reads them
//! (from the start, and from offsets that are sought):
//! whatever the demuxers and codecs underneath say, a failure is a decode error (or an
//! unsupported format, too long, empty), never an I/O error of the operating system, an
//! internal error or a panic.

use std::path::Path;

use rayon::prelude::*;

use super::{Input, ReadOptions};
use crate::dsp::error::{guarded, Error};
use crate::dsp::pipeline::load_audio;

/// The clips mutated, each with the bytes at its start that mutations fall in: `None` for a
/// short file, mutated anywhere and read whole; a long one is read for [`SECONDS`] only, and
/// mutated in about the bytes those take and in its last [`TAIL`] bytes (where an MP4's index,
/// `moov`, is).
const CLIPS: [(&str, Option<usize>); 18] = [
    ("examples/music.aac", Some(6 << 10)),
    ("examples/music.m4a", Some(8 << 10)),
    ("examples/music.mp4", Some(8 << 10)),
    ("examples/music.mp3", Some(8 << 10)),
    ("examples/music.ogg", Some(6 << 10)),
    ("examples/music.flac", Some(64 << 10)),
    ("examples/bell.oga", None),
    ("examples/complete.oga", None),
    ("examples/music_mono8k_u8.wav", None),
    ("examples/music_mono22k_s16.wav", Some(20 << 10)),
    ("examples/music_mono44k_f32.wav", Some(64 << 10)),
    ("examples/music_stereo44k_s16.wav", Some(64 << 10)),
    ("examples/music_stereo44k_s24.wav", Some(64 << 10)),
    ("tests/data/music_alac.m4a", None),
    ("tests/data/music_opus.webm", None),
    ("tests/data/music_vorbis.webm", Some(5 << 10)),
    ("tests/data/speech_jfk.mp3", Some(6 << 10)),
    ("tests/data/speech_opus.ogg", None),
];

/// Mutants made of each clip.
const MUTANTS: usize = 40;
/// Seconds read of a long clip.
const SECONDS: f64 = 0.5;
/// Bytes at the start of a clip (its headers) that a quarter of its mutations fall in.
const HEADER: usize = 512;
/// Bytes at the end of a long clip that a quarter of its mutations fall in.
const TAIL: usize = 4 << 10;

/// A seeded xorshift64* generator: the same mutants on every run.
struct Rng(u64);

impl Rng {
    /// The next 64 random bits.
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// How a mutant differs from its clip.
#[derive(Debug, Clone, Copy)]
enum Mutation {
    /// 1 to 8 bits flipped.
    Flips,
    /// A run of 1 to 64 bytes overwritten with zeros, 0xFF or random bytes.
    Run,
    /// The file cut short.
    Cut,
    /// 1 to 1024 bytes taken out.
    Hole,
    /// 16 to 2048 bytes of another clip inserted.
    Splice,
    /// 1 to 1024 bytes repeated 1 to 3 times.
    Repeat,
}

const MUTATIONS: [Mutation; 6] =
    [Mutation::Flips, Mutation::Run, Mutation::Cut, Mutation::Hole, Mutation::Splice, Mutation::Repeat];

/// A position in `data` (`len` bytes, > 0) that a mutation of a clip with `head` hot bytes
/// falls at: a quarter of them in the first [`HEADER`] bytes.
fn position(rng: &mut Rng, len: usize, head: Option<usize>) -> usize {
    match (rng.below(4), head) {
        (0, _) => rng.below(HEADER.min(len)),
        (1, Some(_)) => len - TAIL.min(len) + rng.below(TAIL.min(len)),
        (_, Some(head)) => rng.below(head.min(len)),
        (_, None) => rng.below(len),
    }
}

/// `clip` mutated by `mutation` at positions `rng` picks; `other` is the clip a splice takes
/// its bytes from.
fn mutate(clip: &[u8], head: Option<usize>, other: &[u8], mutation: Mutation, rng: &mut Rng) -> Vec<u8> {
    let mut data = clip.to_vec();
    let at = position(rng, data.len(), head);
    match mutation {
        Mutation::Flips => {
            for _ in 0..1 + rng.below(8) {
                let at = position(rng, data.len(), head);
                data[at] ^= 1 << rng.below(8);
            }
        }
        Mutation::Run => {
            let (fill, end) = (rng.below(3), (at + 1 + rng.below(64)).min(data.len()));
            for byte in &mut data[at..end] {
                *byte = [0x00, 0xFF, rng.next() as u8][fill];
            }
        }
        Mutation::Cut => data.truncate(at.max(1)),
        Mutation::Hole => {
            data.drain(at..(at + 1 + rng.below(1024)).min(data.len()));
        }
        Mutation::Splice => {
            let from = rng.below(other.len());
            let chunk = &other[from..(from + 16 + rng.below(2048)).min(other.len())];
            data.splice(at..at, chunk.iter().copied());
        }
        Mutation::Repeat => {
            let end = (at + 1 + rng.below(1024)).min(data.len());
            let chunk = data[at..end].repeat(1 + rng.below(3));
            data.splice(end..end, chunk);
        }
    }
    data
}

#[test]
fn mutated_files_fail_with_decode_errors_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let clips: Vec<Vec<u8>> = CLIPS.iter().map(|(name, _)| std::fs::read(root.join(name)).unwrap()).collect();
    let failures: Vec<Vec<String>> = (0..CLIPS.len())
        .into_par_iter()
        .map(|c| {
            let (name, head) = CLIPS[c];
            let other = &clips[(c + 1) % clips.len()];
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (c as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
            let mut failed = Vec::new();
            for m in 0..MUTANTS {
                // Every other mutant read from an offset, found by seeking (past the pre-roll).
                let offset = if m % 2 == 1 { [0.7, 3.0, 9.0][m % 3] } else { 0.0 };
                let duration = head.map(|_| SECONDS);
                let read = ReadOptions { offset, duration, max_duration: Some(60.0) };
                let mutation = MUTATIONS[m % MUTATIONS.len()];
                let data = mutate(&clips[c], head, other, mutation, &mut rng);
                let input = Input::bytes(data, Some(name));
                // As `load` reads by default (mono, resampled to 22050 Hz), at the file's rate in
                // stereo and in mono, and resampled to 16 kHz.
                let (sr, mono) = [(Some(22_050), true), (None, false), (None, true), (Some(16_000), true)][m % 4];
                match guarded(|| load_audio(&input, sr, mono, &read)) {
                    Ok(_)
                    | Err(
                        Error::Decode { .. } | Error::Unsupported { .. } | Error::TooLong { .. } | Error::Empty { .. },
                    ) => {}
                    Err(e) => failed.push(format!("{name} mutant {m} ({mutation:?}): {e:?}")),
                }
            }
            failed
        })
        .collect();
    let counts: Vec<String> = CLIPS
        .iter()
        .zip(&failures)
        .filter(|(_, f)| !f.is_empty())
        .map(|((name, _), f)| format!("{name}: {}/{MUTANTS}", f.len()))
        .collect();
    let all: Vec<&String> = failures.iter().flatten().collect();
    assert!(
        all.is_empty(),
        "{} mutants failed otherwise than with a decode error ({}):\n{:#?}",
        all.len(),
        counts.join(", "),
        all
    );
}
