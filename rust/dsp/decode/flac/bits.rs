// Symphonia
// Copyright (c) 2019-2026 The Project Symphonia Developers.
//
// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at https://mozilla.org/MPL/2.0/.

//! A most-significant-bit-first reader over a packet's bytes, giving the values and errors of
//! symphonia's `BitReaderLtr` (an end of the bits is `io::Error::other("unexpected end of
//! bitstream")`), but with a 64-bit cache refilled eight bytes at once and a Rice decoder
//! that reads a residual from the cache in one step.

use std::io;

fn end_of_bitstream<T>() -> io::Result<T> {
    Err(io::Error::other("unexpected end of bitstream"))
}

pub(super) struct Bits<'a> {
    buf: &'a [u8],
    /// The next byte of `buf` not yet counted in `n`.
    pos: usize,
    /// The next bits, most significant first: `n` are valid; those below are zero or the
    /// stream's bits that follow (from the bytes at `pos`).
    cache: u64,
    n: u32,
}

impl<'a> Bits<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Bits { buf, pos: 0, cache: 0, n: 0 }
    }

    /// Fills the cache to at least 56 bits, or to the end of the bytes.
    #[inline(always)]
    fn refill(&mut self) {
        if let Some(b) = self.buf.get(self.pos..self.pos + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(b);
            // n <= 63 always: the whole bytes that fit are counted, the rest of the word stays
            // below n (the same bits, OR-ed again by the next refill).
            self.cache |= u64::from_be_bytes(w) >> self.n;
            self.pos += ((63 - self.n) >> 3) as usize;
            self.n |= 56;
        } else {
            while self.n <= 56 && self.pos < self.buf.len() {
                self.cache |= u64::from(self.buf[self.pos]) << (56 - self.n);
                self.pos += 1;
                self.n += 8;
            }
        }
    }

    /// Reads `k` <= 32 bits.
    #[inline(always)]
    pub(super) fn read(&mut self, k: u32) -> io::Result<u32> {
        if self.n < k {
            self.refill();
            if self.n < k {
                return end_of_bitstream();
            }
        }
        let v = ((self.cache >> 32) >> (32 - k)) as u32;
        self.cache <<= k;
        self.n -= k;
        Ok(v)
    }

    #[inline(always)]
    pub(super) fn read_bool(&mut self) -> io::Result<bool> {
        Ok(self.read(1)? == 1)
    }

    /// Reads a count of zeros ended by a one.
    pub(super) fn read_unary_zeros(&mut self) -> io::Result<u32> {
        let mut q = 0u32;
        loop {
            let z = self.cache.leading_zeros();
            if z < self.n {
                self.cache <<= z + 1;
                self.n -= z + 1;
                return Ok(q + z);
            }
            q += self.n;
            self.cache = 0;
            self.n = 0;
            self.refill();
            if self.n == 0 {
                return end_of_bitstream();
            }
        }
    }

    /// Reads the Rice-coded residuals of one partition (parameter `param` < 31) into `out`:
    /// symphonia's `(q << param) | r`, zigzag-decoded. While eight bytes are left, a residual
    /// whose bits are all in the cache is read in one step, the state in registers; the others
    /// (a long unary part, the last bytes) by `read_unary_zeros` and `read`.
    pub(super) fn read_rice(&mut self, param: u32, out: &mut [i32]) -> io::Result<()> {
        let zigzag = |v: u32| ((v >> 1) as i32) ^ -((v & 1) as i32);
        let (top, rest, one) = (63 - param, param + 1, 1u64 << param);
        let buf = self.buf;
        let mut i = 0;
        while i < out.len() {
            let (mut cache, mut n, mut pos) = (self.cache, self.n, self.pos);
            // One residual from the cache, if all its bits are there: z zeros, a one and r,
            // (z << param) | r = (2^param + r) + (z << param) - 2^param (in u32, as symphonia's).
            macro_rules! residual {
                ($s:expr) => {{
                    let z = cache.leading_zeros();
                    if z + rest > n {
                        break;
                    }
                    cache <<= z;
                    let x = cache >> top;
                    cache <<= rest;
                    n -= z + rest;
                    *$s = zigzag((x + (u64::from(z) << param) - one) as u32);
                    i += 1;
                }};
            }
            while let (Some(s), Some(w)) = (out.get_mut(i), buf.get(pos..).and_then(|b| b.first_chunk::<8>())) {
                cache |= u64::from_be_bytes(*w) >> n;
                pos += ((63 - n) >> 3) as usize;
                n |= 56;
                residual!(s);
                // A second and a third from the same refill (at least 56 bits) where they fit.
                if let Some(s) = out.get_mut(i) {
                    residual!(s);
                }
                if let Some(s) = out.get_mut(i) {
                    residual!(s);
                }
            }
            (self.cache, self.n, self.pos) = (cache, n, pos);
            if let Some(s) = out.get_mut(i) {
                let q = self.read_unary_zeros()?;
                let r = self.read(param)?;
                *s = zigzag((q << param) | r);
                i += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use symphonia::core::io::{BitReaderLtr, ReadBitsLtr};

    #[test]
    fn reads_as_symphonia_does() {
        let bytes: Vec<u8> = (0..200u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let widths: Vec<u32> = (0..300u32).map(|i| (i * 7 + 3) % 33).collect();
        let (mut ours, mut theirs) = (Bits::new(&bytes), BitReaderLtr::new(&bytes));
        for (i, &k) in widths.iter().cycle().enumerate().take(1000) {
            let (a, b) = if i % 5 == 0 {
                (ours.read_unary_zeros(), theirs.read_unary_zeros())
            } else {
                (ours.read(k), theirs.read_bits_leq32(k))
            };
            match (a, b) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "read {i}"),
                (Err(_), Err(_)) => return,
                (a, b) => panic!("read {i}: {a:?} vs {b:?}"),
            }
        }
        panic!("the bits did not end");
    }

    #[test]
    fn rice_as_symphonia_reads_it() {
        // Bytes with runs of zeros (long unary parts) here and there.
        let bytes: Vec<u8> =
            (0..3000u32).map(|i| if i % 97 < 5 { 0 } else { (i.wrapping_mul(2654435761) >> 24) as u8 }).collect();
        for param in [0, 1, 2, 5, 9, 14, 20, 30] {
            let (mut ours, mut theirs) = (Bits::new(&bytes), BitReaderLtr::new(&bytes));
            loop {
                let mut got = [0i32; 37];
                let ok = ours.read_rice(param, &mut got).is_ok();
                let expected: Result<Vec<i32>, _> = (0..got.len())
                    .map(|_| {
                        let q = theirs.read_unary_zeros()?;
                        let v = (q << param) | theirs.read_bits_leq32(param)?;
                        Ok::<_, std::io::Error>(((v >> 1) as i32) ^ -((v & 1) as i32))
                    })
                    .collect();
                match expected {
                    Ok(expected) => assert!(ok && expected == got, "param {param}"),
                    Err(_) => {
                        assert!(!ok, "param {param}");
                        break;
                    }
                }
            }
        }
    }
}
