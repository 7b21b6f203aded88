//! MP3 frames (MPEG-1, 2 and 2.5 Layer III, from symphonia's demuxer, which finds the frames,
//! skips ID3 and APE tags and reads the Xing/LAME header's encoder delay and padding) decoded
//! by a vendored copy of nanomp3-core, changed to decode only what the caller uses.
//!
//! # The vendored decoder
//!
//! [`minimp3`] is `nanomp3-core` 0.2.0's `src/minimp3.rs` (with `src/minimp3/tables.rs` and
//! `lanes.rs`): a safe, bit-exact Rust port of minimp3 by Robert B. Langer, MIT OR
//! Apache-2.0 (the texts are in this folder, LICENSE-MIT and LICENSE-APACHE; spectrust takes
//! it under MIT). minimp3 itself is by lieff, CC0. nanomp3-core has no hook for decoding less
//! than everything, so it is vendored, with these changes:
//!
//! - [`minimp3::Reduction`]: the channels mixed to mono in the subband domain (one polyphase
//!   synthesis instead of two; in mid/side frames the side channel not decoded at all, the
//!   mean of L = M + S and R = M - S being M, nor its scalefactors read unless the frame's
//!   second granule takes them over), only the lowest subbands decoded (the Huffman
//!   data of the others skipped, no requantisation, antialiasing or IMDCT for them), and the
//!   synthesis at 1/2 or 1/4 of the rate (mpg123's 2:1 and 4:1 synthesis: the windowing of
//!   the dropped samples skipped). With [`Reduction::FULL`] the output is nanomp3's, bit for
//!   bit: the reduced paths are new functions beside minimp3's (`l3_decode_reduced`,
//!   `mp3d_synth_granule_reduced`), and minimp3's own gained only a limit on the subbands
//!   (32 for minimp3's path).
//! - Output is `f32` only (nanomp3's `Sample` trait, its integer formats and its minimp3
//!   compatibility switch, which only touched `i16`, are gone); Layer I and II frames are
//!   refused (nanomp3's `layer12` feature left out); its four lanes (`lanes.rs`) are
//!   `wide::f32x4` on x86_64 (the crate nanomp3 takes its SIMD from, here for every x86_64 build:
//!   LLVM kept the portable array of four, which stays on other targets, in memory and
//!   shuffled it, 12 % slower overall), each operation the lane-wise scalar one, so the output
//!   is the same; `l3_side_info` gives a frame's block types ([`minimp3::l3_block_types`]).
//! - The synthesis's DCT-II: the last two of 18 columns (time slots) of one or two granules in
//!   one four-lane pass instead of two one-lane passes, and the 16 subbands above a reduced
//!   decode's 16 or fewer not read (`mp3d_dct_ii`); the decimated synthesis's sample
//!   positions by masks and shifts (it divided).
//! - Huffman decoding, the same values from the same bits: a 64-bit look-ahead cache refilled
//!   eight bytes at a time without a loop (minimp3's: 32 bits, a byte at a time), and the
//!   first 10 bits of a big-values code read by one lookup (`first_lookups`, made once from
//!   minimp3's codebooks by minimp3's own walk, which still reads the longer codes), and a
//!   pair's two sign bits (without linbits) read from one look at the cache, or with its code
//!   in one lookup where code and signs fit in those 10 bits and neither value is an escape
//!   (`signed_lookups`); a count1 quad, code and signs, in one lookup of 10 bits
//!   (`count1_lookups`, made by minimp3's steps); the side info's and scalefactors' fields
//!   read from eight bytes at once (`Bs::get_bits`), and the scalefactors' powers of two
//!   from a table (`l3_ldexp_q2`).
//! - nanomp3's reader (tags, gapless trimming, seeking) is not used: symphonia's demuxer does
//!   that, as it did for symphonia's own decoder.
//!
//! The tests of nanomp3-core that concern what is kept are in `tests` below, on this
//! project's clips (its test file, a march recorded by the US Marine Band, is not in the
//! crate).

#![forbid(unsafe_code)]

mod minimp3;

use symphonia::core::packet::Packet;

use self::minimp3::{FrameInfo, Mp3Dec, Next, Reduction, Status};
use super::request::DecodeRequest;

/// Samples of one frame at most: 1152 per channel, two channels.
const MAX_SAMPLES_PER_FRAME: usize = 1152 * 2;

/// A packet read ahead: it is decoded once the next is seen, whose block types tell how the
/// channels may be mixed (see `l3_decode_reduced`).
struct Held {
    data: Box<[u8]>,
    /// The timestamp of the frame's first sample (negative in the encoder delay).
    pts: i64,
    /// The frame's length, and the samples the demuxer trims from its start and end (encoder
    /// delay and padding), at the file's rate.
    dur: u64,
    trim_start: u64,
    trim_end: u64,
}

/// An MP3 stream being decoded.
pub(super) struct Mp3 {
    dec: Box<Mp3Dec>,
    reduction: Reduction,
    /// The file's rate.
    rate: u32,
    /// A timestamp (at the file's rate) of a sample to keep: where the rate is lowered, the
    /// samples kept are those `decimation` apart from it (the reader's offset, so that the
    /// first sample it keeps is the one at the offset).
    target: i64,
    /// Whether the phase of the decimation has been chosen (at the first frame with a sample
    /// that is not trimmed).
    phased: bool,
    held: Option<Held>,
    pcm: Vec<f32>,
    /// Frames at the file's rate of the samples delivered so far (trims left out).
    full_frames: u64,
}

impl Mp3 {
    /// A decoder for a stream at `rate` Hz (the first frame's, from its header) that keeps
    /// the sample at timestamp `target`, decoding what `request` asks.
    pub(super) fn new(request: &DecodeRequest, rate: u32, target: i64) -> Self {
        let (mono, bands, decimation) = request.mp3(rate);
        Self::with(Reduction { mono, bands, decimation, phase: 0 }, rate, target)
    }

    fn with(reduction: Reduction, rate: u32, target: i64) -> Self {
        Mp3 {
            dec: Box::new(Mp3Dec::new()),
            reduction,
            rate,
            target,
            phased: false,
            held: None,
            pcm: vec![0.0; MAX_SAMPLES_PER_FRAME],
            full_frames: 0,
        }
    }

    /// The file's rate over the rate delivered: 1, 2 or 4.
    pub(super) fn decimation(&self) -> u32 {
        self.reduction.decimation as u32
    }

    /// The rate delivered.
    pub(super) fn sample_rate(&self) -> u32 {
        self.rate / self.decimation()
    }

    /// Frames at the file's rate that the samples delivered so far stand for.
    pub(super) fn full_frames(&self) -> u64 {
        self.full_frames
    }

    /// Starts again after the demuxer has moved (a seek): the next frame is decoded from a
    /// fresh state, keeping the sample at timestamp `target`; the samples delivered so far
    /// stand for `full_frames` frames at the file's rate.
    pub(super) fn restart(&mut self, target: i64, full_frames: u64) {
        *self.dec = Mp3Dec::new();
        (self.target, self.full_frames, self.phased, self.held) = (target, full_frames, false, None);
    }

    /// Takes `packet` and decodes the one before it (if any), appending its samples
    /// (interleaved, less the trims) to `out`: `None` where none was held.
    pub(super) fn push(&mut self, packet: &Packet, out: &mut Vec<f32>) -> Option<Frame> {
        let next = Held {
            data: packet.data.clone(),
            pts: packet.pts.get(),
            dur: packet.dur.get(),
            trim_start: packet.trim_start.get(),
            trim_end: packet.trim_end.get(),
        };
        let after = minimp3::l3_block_types(&next.data).map_or(Next::Unknown, Next::Granule);
        self.held.replace(next).map(|held| self.decode(held, after, out))
    }

    /// Decodes the packet held back, at the end of the stream.
    pub(super) fn finish(&mut self, out: &mut Vec<f32>) -> Option<Frame> {
        let held = self.held.take()?;
        Some(self.decode(held, Next::End, out))
    }

    fn decode(&mut self, held: Held, next: Next, out: &mut Vec<f32>) -> Frame {
        let d = self.reduction.decimation as u64;
        let kept = held.dur.saturating_sub(held.trim_end);
        if !self.phased && held.trim_start < kept {
            // The frame's sample n is at timestamp `pts + n`: those kept are `d` apart from the
            // target.
            self.reduction.phase = (self.target - held.pts).rem_euclid(d as i64) as usize;
            self.phased = true;
        }
        let mut info = FrameInfo::default();
        let got = minimp3::mp3dec_decode_frame(
            &mut self.dec,
            &held.data,
            Some(&mut self.pcm),
            &mut info,
            &self.reduction,
            next,
        );
        let channels = if self.reduction.mono { 1 } else { usize::from(info.channels) };
        let frames = match info.status {
            Status::Decoded => got,
            // The first frames after a cut: their bit reservoir is not there. Silence keeps
            // the time line (the frame still counts, as in symphonia).
            Status::ReservoirUnavailable => {
                let frames = held.dur as usize / d as usize;
                self.pcm[..frames * channels].fill(0.0);
                frames
            }
            // A Layer I or II header inside a Layer III stream (symphonia's demuxer gives MP1
            // and MP2 files to symphonia's decoders): junk the demuxer synced to.
            Status::UnsupportedLayer | Status::Corrupt | Status::NoFrame | Status::HeaderOnly => return Frame::Corrupt,
        };
        // The frame's samples at the file's rate are n = phase + d m; those in
        // [trim_start, dur - trim_end) are kept.
        let phase = self.reduction.phase as u64;
        let first = |n: u64| n.saturating_sub(phase).div_ceil(d);
        let (start, end) = (first(held.trim_start).min(frames as u64), first(kept).min(frames as u64));
        if start < end {
            out.extend_from_slice(&self.pcm[start as usize * channels..end as usize * channels]);
        }
        self.full_frames += kept.saturating_sub(held.trim_start);
        Frame::Decoded { channels, first: held.pts + (phase + start * d) as i64 }
    }
}

/// What became of a frame.
pub(super) enum Frame {
    /// Decoded to `channels` channels (its samples appended, the first at timestamp `first`).
    Decoded { channels: usize, first: i64 },
    /// Corrupt: skipped, as players do.
    Corrupt,
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::path::Path;

    use symphonia::core::codecs::audio::AudioDecoderOptions;
    use symphonia::core::formats::probe::Hint;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;

    use super::*;

    fn examples(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
    }

    /// The packets of an MP3 file, from symphonia's demuxer.
    fn packets(path: &Path) -> (Vec<Packet>, u32) {
        let mss = MediaSourceStream::new(Box::new(File::open(path).unwrap()), Default::default());
        let mut format = symphonia::default::get_probe()
            .probe(&Hint::new(), mss, FormatOptions::default(), MetadataOptions::default())
            .unwrap();
        let rate = format.tracks()[0].codec_params.as_ref().unwrap().audio().unwrap().sample_rate.unwrap();
        let mut out = Vec::new();
        while let Ok(Some(p)) = format.next_packet() {
            out.push(p);
        }
        (out, rate)
    }

    /// `path` decoded with `reduction`, keeping the sample at timestamp `skip`: (samples, channels).
    fn decode(path: &Path, reduction: Reduction, skip: i64) -> (Vec<f32>, usize) {
        let (packets, rate) = packets(path);
        decode_packets(&packets, rate, reduction, skip)
    }

    fn decode_packets(packets: &[Packet], rate: u32, reduction: Reduction, skip: i64) -> (Vec<f32>, usize) {
        let mut mp3 = Mp3::with(reduction, rate, skip);
        let (mut out, mut channels) = (Vec::new(), 0);
        for p in packets {
            if let Some(Frame::Decoded { channels: c, .. }) = mp3.push(p, &mut out) {
                channels = c;
            }
        }
        mp3.finish(&mut out);
        (out, channels)
    }

    /// `path` decoded by symphonia's own MP3 decoder (what spectrust used before), trims
    /// applied: (samples, channels).
    fn symphonia_decode(path: &Path) -> (Vec<f32>, usize) {
        let mss = MediaSourceStream::new(Box::new(File::open(path).unwrap()), Default::default());
        let mut format = symphonia::default::get_probe()
            .probe(&Hint::new(), mss, FormatOptions::default(), MetadataOptions::default())
            .unwrap();
        let params = format.tracks()[0].codec_params.as_ref().unwrap().audio().unwrap().clone();
        let mut decoder =
            symphonia::default::get_codecs().make_audio_decoder(&params, &AudioDecoderOptions::default()).unwrap();
        let (mut out, mut channels) = (Vec::new(), 0);
        while let Ok(Some(p)) = format.next_packet() {
            let decoded = decoder.decode(&p).unwrap();
            channels = decoded.spec().channels().count();
            let at = out.len();
            out.resize(at + decoded.samples_interleaved(), 0.0);
            decoded.copy_to_slice_interleaved(&mut out[at..]);
        }
        (out, channels)
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    fn mean_of_channels(stereo: &[f32]) -> Vec<f32> {
        stereo.chunks_exact(2).map(|f| (f[0] + f[1]) * 0.5).collect()
    }

    const FILES: [&str; 2] = ["examples/music.mp3", "tests/data/speech_jfk.mp3"];

    #[test]
    fn a_full_decode_is_symphonias_within_1e6() {
        for name in FILES {
            let path = examples(name);
            let (ours, channels) = decode(&path, Reduction::FULL, 0);
            let (theirs, their_channels) = symphonia_decode(&path);
            assert_eq!(channels, their_channels);
            assert!(max_diff(&ours, &theirs) < 1e-6, "{name}: {}", max_diff(&ours, &theirs));
        }
    }

    #[test]
    fn mono_in_the_subband_domain_is_the_mean_of_the_channels() {
        let path = examples("examples/music.mp3");
        let (stereo, channels) = decode(&path, Reduction::FULL, 0);
        assert_eq!(channels, 2);
        let (mono, channels) = decode(&path, Reduction { mono: true, ..Reduction::FULL }, 0);
        assert_eq!(channels, 1);
        let want = mean_of_channels(&stereo);
        assert!(max_diff(&mono, &want) < 1e-5, "{}", max_diff(&mono, &want));
        // A mono file mixes to itself.
        let path = examples("tests/data/speech_jfk.mp3");
        let (full, _) = decode(&path, Reduction::FULL, 0);
        assert_eq!(decode(&path, Reduction { mono: true, ..Reduction::FULL }, 0).0, full);
    }

    /// Writes `value` into `n` bits of `data` from bit `at` (most significant first).
    fn set_bits(data: &mut [u8], at: usize, n: usize, value: u32) {
        for i in 0..n {
            let (byte, bit) = ((at + i) / 8, 7 - (at + i) % 8);
            let one = (value >> (n - 1 - i)) & 1 == 1;
            data[byte] = (data[byte] & !(1 << bit)) | (u8::from(one) << bit);
        }
    }

    #[test]
    fn mono_is_exact_where_the_channels_block_types_differ() {
        // LAME gives both channels the same block types; other encoders need not. Here the
        // second channel of granule 0 of every 7th frame is made a start, short or stop block
        // (the side info's 22 bits after the window switching flag are then read differently:
        // the values change, but they stay a valid bitstream).
        let path = examples("examples/music.mp3");
        let (mut packets, rate) = packets(&path);
        for (i, p) in packets.iter_mut().enumerate().filter(|(i, _)| i % 7 == 3) {
            let mut data = p.data.to_vec();
            let side = 8 * (4 + if data[1] & 1 == 0 { 2 } else { 0 });
            // MPEG-1 stereo: 20 bits, then 59 per granule and channel; the flag after 33.
            let flag = side + 20 + 59 + 33;
            set_bits(&mut data, flag, 1, 1);
            set_bits(&mut data, flag + 1, 3, [0b010, 0b100, 0b110][i % 3]); // type 1, 2, 3; not mixed
            p.data = data.into_boxed_slice();
        }
        let (stereo, _) = decode_packets(&packets, rate, Reduction::FULL, 0);
        let want = mean_of_channels(&stereo);
        for bands in [32, 14] {
            let mono = Reduction { mono: true, bands, ..Reduction::FULL };
            let (got, channels) = decode_packets(&packets, rate, mono, 0);
            assert_eq!(channels, 1);
            if bands == 32 {
                assert!(max_diff(&got, &want) < 1e-5, "{}", max_diff(&got, &want));
            }
            // Band-limited, in stereo and in mono: the same mean.
            let (limited, _) = decode_packets(&packets, rate, Reduction { mono: false, ..mono }, 0);
            let want = mean_of_channels(&limited);
            assert!(max_diff(&got, &want) < 1e-5, "{bands}: {}", max_diff(&got, &want));
        }
    }

    #[test]
    fn decimation_keeps_every_other_sample_of_the_band_limited_signal() {
        let path = examples("examples/music.mp3");
        for mono in [false, true] {
            let limited = Reduction { mono, bands: 16, ..Reduction::FULL };
            let (full_rate, channels) = decode(&path, limited, 0);
            for (d, bands) in [(2, 16), (4, 8)] {
                let limited = Reduction { bands, ..limited };
                let (full_rate, _) =
                    if bands == 16 { (full_rate.clone(), channels) } else { decode(&path, limited, 0) };
                let frames = full_rate.len() / channels;
                for skip in 0..d as i64 {
                    let (half, c) = decode(&path, Reduction { decimation: d, ..limited }, skip);
                    assert_eq!(c, channels);
                    // The first sample kept is the one at the reader's skip; every d-th from there.
                    let want: Vec<f32> = (skip as usize..frames)
                        .step_by(d)
                        .flat_map(|f| full_rate[f * channels..(f + 1) * channels].to_vec())
                        .collect();
                    let got = &half[(skip as usize / d) * channels..];
                    assert_eq!(got.len(), want.len(), "mono {mono} d {d} skip {skip}");
                    assert_eq!(got, &want[..], "mono {mono} d {d} skip {skip}");
                }
            }
        }
    }
}
