// Symphonia
// Copyright (c) 2019-2026 The Project Symphonia Developers.
//
// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at https://mozilla.org/MPL/2.0/.

//! Subframes: symphonia-bundle-flac's `src/decoder.rs` from `read_subframe` on, reading from
//! [`Bits`], the predictors unrolled for each order.

use symphonia::core::errors::{decode_error, unsupported_error, Result};

use super::bits::Bits;

#[inline(always)]
fn sign_extend(value: u32, width: u32) -> i32 {
    (value.wrapping_shl(32 - width) as i32).wrapping_shr(32 - width)
}

/// Decodes a subframe of `frame_bps` bits per sample into `buf`.
pub(super) fn read_subframe(bs: &mut Bits<'_>, frame_bps: u32, buf: &mut [i32]) -> Result<()> {
    // First sub-frame bit must always 0.
    if bs.read_bool()? {
        return decode_error("flac: subframe padding is not 0");
    }

    // Next 6 bits designate the sub-frame type.
    let subframe_type_enc = bs.read(6)?;
    enum SubFrameType {
        Constant,
        Verbatim,
        FixedLinear(u32),
        Linear(u32),
    }
    let subframe_type = match subframe_type_enc {
        0x00 => SubFrameType::Constant,
        0x01 => SubFrameType::Verbatim,
        0x08..=0x0f => {
            let order = subframe_type_enc & 0x07;
            // The Fixed Predictor only supports orders between 0 and 4.
            if order > 4 {
                return decode_error("flac: fixed predictor orders of greater than 4 are invalid");
            }
            SubFrameType::FixedLinear(order)
        }
        0x20..=0x3f => SubFrameType::Linear((subframe_type_enc & 0x1f) + 1),
        _ => {
            return decode_error("flac: subframe type set to reserved value");
        }
    };

    // Wasted ("dropped") low bits, unary coded.
    let dropped_bps = if bs.read_bool()? { bs.read_unary_zeros()? + 1 } else { 0 };
    if dropped_bps > frame_bps {
        return decode_error("flac: dropped bits per sample is greater than the frame bits per sample");
    }
    let bps = frame_bps - dropped_bps;

    match subframe_type {
        SubFrameType::Constant => {
            let const_sample = sign_extend(bs.read(bps)?, bps);
            buf.fill(const_sample);
        }
        SubFrameType::Verbatim => decode_verbatim(bs, bps, buf)?,
        SubFrameType::FixedLinear(order) => decode_fixed_linear(bs, bps, order, buf)?,
        SubFrameType::Linear(order) => decode_linear(bs, bps, order, buf)?,
    };

    // Shift the samples to account for the dropped bits.
    if dropped_bps > 0 {
        for sample in buf.iter_mut() {
            *sample = sample.wrapping_shl(dropped_bps);
        }
    }
    Ok(())
}

fn decode_verbatim(bs: &mut Bits<'_>, bps: u32, buf: &mut [i32]) -> Result<()> {
    for sample in buf.iter_mut() {
        *sample = sign_extend(bs.read(bps)?, bps);
    }
    Ok(())
}

fn decode_fixed_linear(bs: &mut Bits<'_>, bps: u32, order: u32, buf: &mut [i32]) -> Result<()> {
    if order as usize > buf.len() {
        return decode_error("flac: fixed predictor order is greater than the block size");
    }
    // The first `order` samples are encoded verbatim to warm-up the LPC decoder.
    decode_verbatim(bs, bps, &mut buf[..order as usize])?;
    decode_residual(bs, order, buf)?;
    fixed_predict(order, buf);
    Ok(())
}

fn decode_linear(bs: &mut Bits<'_>, bps: u32, order: u32, buf: &mut [i32]) -> Result<()> {
    if order as usize > buf.len() {
        return decode_error("flac: predictor order is greater than the block size");
    }
    let order = order as usize;

    // The first `order` samples are encoded verbatim to warm-up the LPC decoder.
    decode_verbatim(bs, bps, &mut buf[..order])?;

    // Quantized linear predictor (QLP) coefficients precision in bits (1-16).
    let qlp_precision = bs.read(4)? + 1;
    if qlp_precision > 15 {
        return decode_error("flac: qlp precision set to reserved value");
    }

    // QLP coefficients bit shift [-16, 15].
    let qlp_coeff_shift = sign_extend(bs.read(5)?, 5);
    if qlp_coeff_shift < 0 {
        return unsupported_error("flac: lpc shifts less than 0 are not supported");
    }
    let shift = qlp_coeff_shift as u32;

    // The coefficients, oldest sample's first: coeffs[k] multiplies buf[i - order + k].
    let mut qlp_coeffs = [0i32; 32];
    for c in qlp_coeffs[..order].iter_mut().rev() {
        *c = sign_extend(bs.read(qlp_precision)?, qlp_precision);
    }
    let coeffs = &qlp_coeffs[..order];

    decode_residual(bs, order as u32, buf)?;

    lpc_predict(coeffs, shift, buf);
    Ok(())
}

fn decode_residual(bs: &mut Bits<'_>, n_prelude_samples: u32, buf: &mut [i32]) -> Result<()> {
    // Rice (4-bit parameter) or Rice2 (5-bit parameter).
    let param_bit_width = match bs.read(2)? {
        0x0 => 4,
        0x1 => 5,
        _ => {
            return decode_error("flac: residual method set to reserved value");
        }
    };

    // Read the partition order: 2^order partitions.
    let order = bs.read(4)?;
    let n_partitions = 1usize << order;
    let n_partition_samples = buf.len() >> order;

    // The first partition holds n_prelude_samples (the predictor's order) fewer samples.
    if n_prelude_samples as usize > n_partition_samples {
        return decode_error("flac: residual partition too small for given predictor order");
    }

    // Ensure that the sum of all partition lengths equal the block size.
    if n_partitions * n_partition_samples != buf.len() {
        return decode_error("flac: block size is not same as encoded residual");
    }

    decode_rice_partition(bs, param_bit_width, &mut buf[n_prelude_samples as usize..n_partition_samples])?;
    for buf_chunk in buf[n_partition_samples..].chunks_mut(n_partition_samples) {
        decode_rice_partition(bs, param_bit_width, buf_chunk)?;
    }
    Ok(())
}

fn decode_rice_partition(bs: &mut Bits<'_>, param_bit_width: u32, buf: &mut [i32]) -> Result<()> {
    let rice_param = bs.read(param_bit_width)?;

    // A parameter of all ones escapes to binary coded residuals.
    if rice_param < (1 << param_bit_width) - 1 {
        bs.read_rice(rice_param, buf)?;
    } else {
        let residual_bits = bs.read(5)?;
        for sample in buf.iter_mut() {
            *sample = sign_extend(bs.read(residual_bits)?, residual_bits);
        }
    }
    Ok(())
}

/// The fixed predictors: linear predictors of fixed coefficients and no shift.
fn fixed_predict(order: u32, buf: &mut [i32]) {
    match order {
        1 => lpc_window::<1>(&[1], 0, buf),
        2 => lpc_window::<2>(&[-1, 2], 0, buf),
        3 => lpc_window::<3>(&[1, -3, 3], 0, buf),
        4 => lpc_window::<4>(&[-1, 4, -6, 4], 0, buf),
        // Order 0 predicts 0.
        _ => (),
    }
}

/// The linear prediction, summed in 64 bits as symphonia sums it (no sum overflows: 32
/// products of 32 by 15 bits), a loop for each order up to 12 (subset streams) that keeps
/// the last samples in registers.
fn lpc_predict(coeffs: &[i32], shift: u32, buf: &mut [i32]) {
    macro_rules! orders {
        ($($n:literal)*) => {
            match coeffs.len() {
                $($n => lpc_window::<$n>(coeffs.try_into().expect("order"), shift, buf),)*
                _ => lpc_any(coeffs, shift, buf),
            }
        };
    }
    orders!(1 2 3 4 5 6 7 8 9 10 11 12)
}

/// Predicts `buf[N..]` (residuals) from the `N` samples before each; `buf[..N]` are the
/// warm-up samples.
#[inline(always)]
fn lpc_window<const N: usize>(coeffs: &[i32; N], shift: u32, buf: &mut [i32]) {
    let Some((warm_up, rest)) = buf.split_first_chunk_mut::<N>() else { return };
    // In 64 bits, extended once.
    let coeffs: [i64; N] = std::array::from_fn(|k| i64::from(coeffs[k]));
    let mut history: [i64; N] = std::array::from_fn(|k| i64::from(warm_up[k]));
    for s in rest.iter_mut() {
        let mut sum = 0i64;
        for k in 0..N {
            sum += coeffs[k] * history[k];
        }
        let v = s.wrapping_add((sum >> shift) as i32);
        *s = v;
        // Whole, not shifted in place (`copy_within`), so that it stays in registers.
        history = std::array::from_fn(|k| if k + 1 < N { history[k + 1] } else { i64::from(v) });
    }
}

/// Symphonia's prediction (of any order).
fn lpc_any(coeffs: &[i32], shift: u32, buf: &mut [i32]) {
    let order = coeffs.len();
    for i in order..buf.len() {
        let sum: i64 = coeffs.iter().zip(&buf[i - order..i]).map(|(&c, &s)| i64::from(c) * i64::from(s)).sum();
        buf[i] = buf[i].wrapping_add((sum >> shift) as i32);
    }
}
