//! Decibels: `librosa.power_to_db`.

use num_traits::Float;
use rayon::prelude::*;

use super::error::{ensure_param, Result};

/// `10 log10(max(amin, S)) - 10 log10(max(amin, ref_value))`, then clipped to `max - top_db` when
/// `top_db` is given; in place. Same arithmetic as librosa.
pub fn power_to_db<T: Decibels>(s: &mut [T], ref_value: f64, amin: f64, top_db: Option<f64>) -> Result<()> {
    check(amin, top_db, s.is_empty())?;
    let peak = to_db(s, ref_value, amin);
    if let Some(t) = top_db {
        clip(s, peak, t);
    }
    Ok(())
}

/// Values of S a task takes in [`power_to_db_into`].
const CHUNK: usize = 1 << 16;

/// [`power_to_db`] of `src` into `dst` (the same length), in chunks across the current rayon
/// pool: the copy, the dB values and their peak in one pass, the clipping in a second.
/// `ref_value` `None` is the largest value of `src` (`ref=np.max`, NaN where `src` holds one),
/// found in a first pass.
pub fn power_to_db_into<T: Decibels>(
    src: &[T],
    dst: &mut [T],
    ref_value: Option<f64>,
    amin: f64,
    top_db: Option<f64>,
) -> Result<()> {
    check(amin, top_db, src.is_empty())?;
    ensure_param!(src.len() == dst.len(), "{} values into {}", src.len(), dst.len());
    let ref_value = match ref_value {
        Some(r) => r,
        None => src.par_chunks(CHUNK).map(largest).reduce(Peak::none, Peak::max).0.to_f64().unwrap_or(f64::NAN),
    };
    let peak = dst
        .par_chunks_mut(CHUNK)
        .zip(src.par_chunks(CHUNK))
        .map(|(d, s)| {
            d.copy_from_slice(s);
            to_db(d, ref_value, amin)
        })
        .reduce(Peak::none, Peak::max);
    if let Some(t) = top_db {
        dst.par_chunks_mut(CHUNK).for_each(|d| clip(d, peak, t));
    }
    Ok(())
}

/// The largest value of `s` (numpy's `max`, NaN where `s` holds one): `ref=np.max`.
pub fn max_value<T: Float>(s: &[T]) -> f64 {
    largest(s).0.to_f64().unwrap_or(f64::NAN)
}

/// The largest value of `s`, NaN where it holds one (numpy's `max`): eight running maxima and
/// NaN counts, which the compiler turns into SIMD (one running maximum stays scalar).
fn largest<T: Float>(s: &[T]) -> Peak<T> {
    let (mut max, mut nans) = ([T::neg_infinity(); 8], [0u32; 8]);
    let chunks = s.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..8 {
            nans[i] += u32::from(c[i].is_nan());
            max[i] = if c[i] > max[i] { c[i] } else { max[i] };
        }
    }
    let mut peak = max.iter().fold(T::neg_infinity(), |m, &x| if x > m { x } else { m });
    for &x in rest {
        nans[0] += u32::from(x.is_nan());
        peak = if x > peak { x } else { peak };
    }
    if nans.iter().any(|&n| n > 0) {
        Peak(T::nan())
    } else {
        Peak(peak)
    }
}

/// The checks of [`power_to_db`]'s parameters (`empty`: whether S is empty).
pub fn check(amin: f64, top_db: Option<f64>, empty: bool) -> Result<()> {
    ensure_param!(amin > 0.0, "amin must be strictly positive, got {amin}");
    if let Some(t) = top_db {
        ensure_param!(t >= 0.0, "top_db must be non-negative, got {t}");
        // librosa's log_spec.max() raises numpy's ValueError here.
        ensure_param!(!empty, "top_db={t} needs a non-empty S: an empty array has no maximum");
    }
    Ok(())
}

/// The largest dB value of a part of S, or NaN where the part holds one (numpy's maximum
/// propagates NaN): what [`clip`] takes. Combine parts' peaks with [`Peak::max`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peak<T>(pub T);

impl<T: Float> Peak<T> {
    /// The peak of nothing.
    pub fn none() -> Self {
        Peak(T::neg_infinity())
    }

    /// The peak of two parts.
    pub fn max(self, other: Self) -> Self {
        if self.0.is_nan() || other.0.is_nan() {
            Peak(T::nan())
        } else {
            Peak(self.0.max(other.0))
        }
    }
}

/// `10 log10(max(amin, S)) - 10 log10(max(amin, ref_value))` in place (the parameters
/// checked); returns the peak.
pub fn to_db<T: Decibels>(s: &mut [T], ref_value: f64, amin: f64) -> Peak<T> {
    // numpy's maximum(amin, ref) is NaN for a NaN reference (ref=np.max of S holding NaN). The
    // reference is taken as given: librosa takes the magnitude of a number, not of what a
    // callable returns (the caller's part).
    let reference = if ref_value.is_nan() { f64::NAN } else { amin.max(ref_value) };
    let offset = T::from(10.0 * reference.log10()).unwrap();
    T::to_db_values(s, T::from(amin).unwrap(), offset)
}

/// The floats [`power_to_db`] takes: `10 log10` of each value, float64 by libm's `log10`,
/// float32 by [`db_f32`] (within about 1e-5 dB of libm's, in a loop that vectorises; libm's
/// where `amin` is below the smallest normal float32).
pub trait Decibels: Float + Send + Sync {
    /// `10 log10(max(amin, x)) - offset` of every `x` of `s` in place, NaN left as it is
    /// (numpy's maximum propagates it, and with top_db the maximum is then NaN, so every bin
    /// is: librosa's power_to_db); returns the peak.
    fn to_db_values(s: &mut [Self], amin: Self, offset: Self) -> Peak<Self>;
}

impl Decibels for f64 {
    fn to_db_values(s: &mut [f64], amin: f64, offset: f64) -> Peak<f64> {
        to_db_libm(s, amin, offset)
    }
}

impl Decibels for f32 {
    fn to_db_values(s: &mut [f32], amin: f32, offset: f32) -> Peak<f32> {
        if amin < f32::MIN_POSITIVE {
            return to_db_libm(s, amin, offset);
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { to_db_f32_avx2(s, amin, offset) };
        }
        to_db_f32(s, amin, offset)
    }
}

/// [`to_db_f32`] compiled for AVX2: the same operations in the same order, on 8 lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn to_db_f32_avx2(s: &mut [f32], amin: f32, offset: f32) -> Peak<f32> {
    to_db_f32(s, amin, offset)
}

/// [`Decibels::to_db_values`] of float32 by [`db_f32`] (`amin` a normal float32).
#[inline(always)]
fn to_db_f32(s: &mut [f32], amin: f32, offset: f32) -> Peak<f32> {
    // Eight running peaks and NaN counts (see `largest`); +inf is +inf dB (less the offset: NaN
    // over an infinite reference, as numpy). The tail takes the same function, so that a
    // value's dB does not depend on where it falls in the slice.
    // Every value's dB computed, then the one that applies chosen: no branch, so that the loop
    // vectorises.
    let infinite = f32::INFINITY - offset;
    let db = |x: f32| {
        let finite = db_f32(amin.max(x)) - offset;
        let d = if x == f32::INFINITY { infinite } else { finite };
        if x.is_nan() {
            x
        } else {
            d
        }
    };
    let (mut peak, mut nans) = ([f32::NEG_INFINITY; 8], [0u32; 8]);
    let mut chunks = s.chunks_exact_mut(8);
    for c in &mut chunks {
        for i in 0..8 {
            let d = db(c[i]);
            nans[i] += u32::from(d.is_nan());
            peak[i] = if d > peak[i] { d } else { peak[i] };
            c[i] = d;
        }
    }
    for x in chunks.into_remainder() {
        let d = db(*x);
        nans[0] += u32::from(d.is_nan());
        peak[0] = if d > peak[0] { d } else { peak[0] };
        *x = d;
    }
    if nans.iter().any(|&n| n > 0) {
        Peak(f32::NAN)
    } else {
        Peak(peak.iter().fold(f32::NEG_INFINITY, |p, &x| p.max(x)))
    }
}

/// [`Decibels::to_db_values`] by libm's `log10`, a value at a time.
fn to_db_libm<T: Float>(s: &mut [T], amin: T, offset: T) -> Peak<T> {
    let ten = T::from(10.0).unwrap();
    let mut max = T::neg_infinity();
    let mut nan = false;
    for x in s.iter_mut() {
        if !x.is_nan() {
            *x = ten * amin.max(*x).log10() - offset;
        }
        // (An infinite S over an infinite reference, ref=np.max, is NaN too.)
        if x.is_nan() {
            nan = true;
        } else {
            max = max.max(*x);
        }
    }
    if nan {
        Peak(T::nan())
    } else {
        Peak(max)
    }
}

/// Clips dB values to `peak - top_db` (all NaN where the peak is: librosa's power_to_db).
pub fn clip<T: Float>(s: &mut [T], peak: Peak<T>, top_db: f64) {
    if peak.0.is_nan() {
        s.iter_mut().for_each(|x| *x = T::nan());
    } else {
        let floor = peak.0 - T::from(top_db).unwrap();
        s.iter_mut().for_each(|x| *x = x.max(floor));
    }
}

/// `10 log10(x)` for a positive normal `x` (at least `f32::MIN_POSITIVE`, finite), within
/// about 1e-5 dB of the libm value, branch-free so that loops over it vectorise: the image
/// path, the Whisper features and float32 `power_to_db` use it.
#[inline(always)]
pub fn db_f32(x: f32) -> f32 {
    ln_f32(x) * (10.0 / std::f32::consts::LN_10)
}

/// The natural logarithm of a positive normal `x` (as [`db_f32`]: within a few 1e-7 of libm's
/// relative to `max(1, |ln x|)`, branch-free): the Kaldi filterbank's logs.
#[inline(always)]
pub fn ln_f32(x: f32) -> f32 {
    use std::f32::consts::LN_2;
    // x = 2^e * m with m in [sqrt(1/2), sqrt(2)): e from the exponent bits, m by taking e back out.
    let bits = x.to_bits() as i32;
    let e = bits.wrapping_sub(0x3f35_04f3) >> 23;
    let m = f32::from_bits(bits.wrapping_sub(e << 23) as u32);
    // ln m = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172: the series to t^9 is exact in f32.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let ln_m = 2.0 * t * (1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0)))));
    e as f32 * LN_2 + ln_m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_librosa() {
        let mut s = vec![1.0f32, 0.1, 1e-12, 100.0];
        power_to_db(&mut s, 1.0, 1e-10, None).unwrap();
        assert_eq!(s, vec![0.0, -10.0, -100.0, 20.0]);
        let mut s = vec![1.0f64, 0.1, 1e-12, 100.0];
        power_to_db(&mut s, 100.0, 1e-10, Some(80.0)).unwrap();
        assert_eq!(s, vec![-20.0, -30.0, -80.0, 0.0]);
        assert!(power_to_db(&mut s, 1.0, 0.0, None).is_err());
    }

    #[test]
    fn db_f32_matches_libm() {
        let mut x = f32::MIN_POSITIVE;
        while x < 1e30 {
            for v in [x, x * 1.1, x * std::f32::consts::SQRT_2, x * 1.9] {
                let want = 10.0 * f64::from(v).log10();
                assert!(
                    (f64::from(db_f32(v)) - want).abs() < 2e-5 * want.abs().max(1.0),
                    "{v}: {} vs {want}",
                    db_f32(v)
                );
            }
            x *= 2.0;
        }
        assert_eq!(db_f32(1.0), 0.0);
    }

    #[test]
    fn a_value_takes_the_same_db_wherever_it_falls_in_the_slice() {
        let values: Vec<f32> = (0..29).map(|i| 0.37 * 1.7f32.powi(i - 14)).collect();
        let mut whole = values.clone();
        let peak = to_db(&mut whole, 1.0, 1e-10);
        for (i, &v) in values.iter().enumerate() {
            let mut one = [v];
            to_db(&mut one, 1.0, 1e-10);
            assert_eq!(one[0], whole[i], "value {i}");
            let mut shifted = values[i..].to_vec();
            to_db(&mut shifted, 1.0, 1e-10);
            assert_eq!(shifted[0], whole[i], "value {i} at the start");
        }
        assert_eq!(peak.0, whole.iter().fold(f32::NEG_INFINITY, |p, &x| p.max(x)));
        let mut with_nan = values.clone();
        with_nan[27] = f32::NAN;
        assert!(to_db(&mut with_nan, 1.0, 1e-10).0.is_nan());
    }
}
