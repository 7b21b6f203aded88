//! Levels of a power spectrogram for the colour map: dB relative to a reference, floored
//! `top_db` under the loudest value, the optional noise filter, then mapped onto 0..1.

use crate::dsp::db::db_f32;

/// The largest value of `x` (0 if none is positive), eight lanes at a time.
#[inline(always)]
fn max_value(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = x.chunks_exact(8);
    let tail = chunks.remainder().iter().fold(0.0f32, |m, &v| m.max(v));
    for c in chunks {
        for k in 0..8 {
            acc[k] = acc[k].max(c[k]);
        }
    }
    acc.iter().fold(tail, |m, &v| m.max(v))
}

/// Levels of a power spectrogram for the colour map: `power_to_db(S, ref, amin=1e-10, top_db)`
/// (`ref`: `reference`, else the maximum of `S`), levels below the `noise_percentile`-th
/// percentile set to `-top_db` if asked, then `-top_db..0` mapped linearly onto `0..1` (below
/// 0 when the maximum is under the reference). All 0 when `ref` is not above `amin`.
#[inline(always)]
pub(super) fn levels(
    power: &[f32],
    top_db: f32,
    reference: Option<f32>,
    noise_percentile: Option<f64>,
    level: &mut Vec<f32>,
) {
    const AMIN: f32 = 1e-10;
    let max = max_value(power);
    let reference = reference.map_or(max, f32::abs);
    level.resize(power.len(), 0.0);
    #[allow(clippy::neg_cmp_op_on_partial_ord)] // a NaN reference too
    if !(reference > AMIN) {
        level.iter_mut().for_each(|l| *l = 0.0);
        return;
    }
    let offset = db_f32(reference.min(f32::MAX));
    // Like librosa, the floor is `top_db` under the loudest value (0 dB when ref is the max).
    let floor = db_f32(max.clamp(AMIN, f32::MAX)) - offset - top_db;
    let scale = 1.0 / top_db;
    // NaN is dropped by `max` (it keeps the other operand): it reads as silence (`clamp`
    // would keep it). Plain loops: `collect` would not be inlined into the AVX2 build.
    #[allow(clippy::manual_clamp)]
    for (l, &v) in level.iter_mut().zip(power) {
        *l = (db_f32(v.max(AMIN).min(f32::MAX)) - offset).max(floor);
    }
    let noise = noise_percentile.map_or(f32::NEG_INFINITY, |q| percentile(level, q));
    for l in level.iter_mut() {
        *l = (if *l < noise { -top_db } else { *l } + top_db) * scale;
    }
}

/// The `q`-th percentile (0..100) of `values`, interpolated linearly between the two nearest
/// ranks as `numpy.percentile` does.
fn percentile(values: &[f32], q: f64) -> f32 {
    let mut v = values.to_vec();
    let rank = q / 100.0 * (v.len() - 1) as f64;
    let (lo, frac) = (rank.floor() as usize, (rank - rank.floor()) as f32);
    let (_, &mut a, rest) = v.select_nth_unstable_by(lo, f32::total_cmp);
    if frac == 0.0 || rest.is_empty() {
        return a;
    }
    let b = rest.iter().cloned().fold(f32::INFINITY, f32::min);
    a + (b - a) * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_follow_numpy() {
        let v: Vec<f32> = vec![5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 100.0), 5.0);
        assert_eq!(percentile(&v, 50.0), 3.0);
        assert_eq!(percentile(&v, 75.0), 4.0);
        assert!((percentile(&v, 10.0) - 1.4).abs() < 1e-6);
    }
}
