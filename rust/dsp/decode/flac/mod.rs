//! FLAC frames (from symphonia's demuxers: native FLAC, FLAC in Ogg, Matroska or MP4) decoded
//! by a vendored, faster copy of symphonia's FLAC decoder, giving the same samples.
//!
//! # The vendored decoder
//!
//! [`frame`], [`subframe`] and the decoding in this file are symphonia-bundle-flac 0.6.1's
//! `src/frame.rs` and `src/decoder.rs` (Philip Deljanov and the Symphonia developers, MPL-2.0:
//! the licence's text is in this folder, `LICENSE`; the files taken keep their notice and
//! stay under it). Its demuxer is not vendored: the packets come from symphonia's reader, as
//! they did for symphonia's decoder. The changes, none of which changes a sample (the test
//! below compares every sample with symphonia's decoder):
//!
//! - Bits are read by [`bits::Bits`], a 64-bit cache over the packet refilled eight bytes at
//!   once, whose Rice decoder takes a residual's unary part by counting leading zeros and its
//!   low bits from the same cache with shifts by constants, three residuals for each refill
//!   where they fit (symphonia reads both parts through its generic bit reader, its state in
//!   memory); the ends of the data give symphonia's error.
//! - The linear predictor (and the fixed one, as a linear one) has a loop for each order up
//!   to 12 that keeps the last samples in registers (symphonia's, for a predictor of at most
//!   8, 12 or 32 coefficients, zero-padded, read them back from memory). It still sums in 64
//!   bits: 32-bit sums (libFLAC's, where they cannot overflow) were no faster on x86-64
//!   without SSE4.1, whose multiplies of 32-bit lanes LLVM emulates with shuffles.
//! - The output is interleaved `f32`, made as symphonia's `copy_to_slice_interleaved` makes it
//!   from its `i32` buffer (samples shifted to 32 bits, over 2^31), without the buffer.
//! - Frames of 32 bits per sample (whose side channel takes 33 bits, past what the 32-bit
//!   reader reads) go to symphonia's decoder, kept for that; MD5 verification (off by default
//!   in symphonia, and here) is left out.

#![forbid(unsafe_code)]

mod bits;
mod frame;
mod subframe;

use symphonia::core::codecs::audio::AudioDecoder;
use symphonia::core::errors::{decode_error, Error, Result};
use symphonia::core::io::BufReader;
use symphonia::core::packet::Packet;

use self::bits::Bits;
use self::frame::{read_frame_header, sync_frame, ChannelAssignment};
use self::subframe::read_subframe;

/// A FLAC stream being decoded.
pub(super) struct Flac {
    /// symphonia's decoder of the stream: made first, for the stream information it reads
    /// (and its errors), and decoding the frames of 32 bits per sample.
    symphonia: Box<dyn AudioDecoder>,
    rate: u32,
    bits_per_sample: Option<u32>,
    /// A plane of samples for each channel of the stream, as symphonia's buffer keeps them: a
    /// frame with fewer channels leaves the others' last samples, shifted again.
    planes: Vec<Vec<i32>>,
    /// The most samples of a frame (in a channel).
    capacity: usize,
}

impl Flac {
    /// The decoder of a stream, given symphonia's decoder made for it.
    pub(super) fn new(symphonia: Box<dyn AudioDecoder>) -> Result<Self> {
        let params = symphonia.codec_params();
        let capacity = params.max_frames_per_packet.unwrap_or(0) as usize;
        let (Some(rate), Some(channels)) = (params.sample_rate, params.channels.as_ref()) else {
            return decode_error("flac: missing stream information");
        };
        Ok(Flac {
            rate,
            bits_per_sample: params.bits_per_sample,
            planes: vec![vec![0; capacity]; channels.count()],
            capacity,
            symphonia,
        })
    }

    pub(super) fn channels(&self) -> usize {
        self.planes.len()
    }

    pub(super) fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// Decodes `packet`, appending its samples (interleaved) to `out`; returns their frames.
    pub(super) fn decode(&mut self, packet: &Packet, out: &mut Vec<f32>) -> Result<usize> {
        let at = out.len();
        let decoded = self.decode_inner(packet, out);
        if decoded.is_err() {
            out.truncate(at);
        }
        decoded
    }

    fn decode_inner(&mut self, packet: &Packet, out: &mut Vec<f32>) -> Result<usize> {
        let mut reader = BufReader::new(&packet.data);

        // Synchronize to a frame and get the synchronization code.
        let sync = sync_frame(&mut reader)?;
        let header = read_frame_header(&mut reader, sync)?;

        // The bits per sample of the frame header, else of the stream information.
        let Some(bits_per_sample) = header.bits_per_sample.or(self.bits_per_sample) else {
            return decode_error("flac: bits per sample not provided");
        };
        if bits_per_sample >= u32::BITS {
            let decoded = self.symphonia.decode(packet)?;
            let at = out.len();
            out.resize(at + decoded.samples_interleaved(), 0.0);
            decoded.copy_to_slice_interleaved(&mut out[at..]);
            return Ok(decoded.frames());
        }

        let n = header.block_num_samples as usize;
        if n > self.capacity {
            return decode_error("flac: allocation would overflow buffer");
        }

        // Sub-frames don't have any byte-aligned content, so use a bit reader.
        let mut bs = Bits::new(reader.read_buf_bytes_available_ref());
        let unexpected = || Error::DecodeError("flac: unexpected channel assignment");
        match header.channel_assignment {
            ChannelAssignment::Independant(channels) => {
                for i in 0..channels as usize {
                    let plane = self.planes.get_mut(i).ok_or_else(unexpected)?;
                    read_subframe(&mut bs, bits_per_sample, &mut plane[..n])?;
                }
            }
            // For Left/Side, Mid/Side, and Right/Side channel configurations, the Side
            // (Difference) channel requires an extra bit per sample.
            ChannelAssignment::LeftSide => {
                let (left, side) = pair(&mut self.planes, n).ok_or_else(unexpected)?;
                read_subframe(&mut bs, bits_per_sample, left)?;
                read_subframe(&mut bs, bits_per_sample + 1, side)?;
                for (s, l) in side.iter_mut().zip(left.iter()) {
                    *s = l.wrapping_sub(*s);
                }
            }
            ChannelAssignment::MidSide => {
                let (mid, side) = pair(&mut self.planes, n).ok_or_else(unexpected)?;
                read_subframe(&mut bs, bits_per_sample, mid)?;
                read_subframe(&mut bs, bits_per_sample + 1, side)?;
                // L = (2M + (S & 1) + S) / 2, R = (2M + (S & 1) - S) / 2 (symphonia's
                // derivation is in its decoder).
                for (m, s) in mid.iter_mut().zip(side.iter_mut()) {
                    let mid = m.wrapping_shl(1) | (*s & 1);
                    let side = *s;
                    *m = mid.wrapping_add(side) >> 1;
                    *s = mid.wrapping_sub(side) >> 1;
                }
            }
            ChannelAssignment::RightSide => {
                let (side, right) = pair(&mut self.planes, n).ok_or_else(unexpected)?;
                read_subframe(&mut bs, bits_per_sample + 1, side)?;
                read_subframe(&mut bs, bits_per_sample, right)?;
                for (s, r) in side.iter_mut().zip(right.iter()) {
                    *s = s.wrapping_add(*r);
                }
            }
        }
        self.interleave(n, 32 - bits_per_sample, out);
        Ok(n)
    }

    /// Shifts the first `n` samples of every plane to 32 bits (in place, as symphonia does)
    /// and appends them interleaved, as `f32` (symphonia's `(s as f64 / 2^31) as f32`: the
    /// same single rounding).
    fn interleave(&mut self, n: usize, shift: u32, out: &mut Vec<f32>) {
        const SCALE: f32 = 1.0 / 2_147_483_648.0;
        let at = out.len();
        let channels = self.planes.len();
        out.resize(at + n * channels, 0.0);
        let out = &mut out[at..];
        match &mut self.planes[..] {
            [mono] => {
                for (o, s) in out.iter_mut().zip(&mut mono[..n]) {
                    *s = s.wrapping_shl(shift);
                    *o = *s as f32 * SCALE;
                }
            }
            [left, right] => {
                for ((o, l), r) in out.chunks_exact_mut(2).zip(&mut left[..n]).zip(&mut right[..n]) {
                    *l = l.wrapping_shl(shift);
                    *r = r.wrapping_shl(shift);
                    o[0] = *l as f32 * SCALE;
                    o[1] = *r as f32 * SCALE;
                }
            }
            planes => {
                for (c, plane) in planes.iter_mut().enumerate() {
                    for (i, s) in plane[..n].iter_mut().enumerate() {
                        *s = s.wrapping_shl(shift);
                        out[i * channels + c] = *s as f32 * SCALE;
                    }
                }
            }
        }
    }
}

/// The first `n` samples of the first two planes.
fn pair(planes: &mut [Vec<i32>], n: usize) -> Option<(&mut [i32], &mut [i32])> {
    match planes {
        [a, b, ..] => Some((&mut a[..n], &mut b[..n])),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
