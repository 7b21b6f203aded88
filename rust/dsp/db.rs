//! Decibels: `librosa.power_to_db`.

use num_traits::Float;

use super::error::{ensure_param, Result};

/// `10 log10(max(amin, S)) - 10 log10(max(amin, ref_value))`, then clipped to `max - top_db` when
/// `top_db` is given; in place. Same arithmetic as librosa.
pub fn power_to_db<T: Float>(s: &mut [T], ref_value: f64, amin: f64, top_db: Option<f64>) -> Result<()> {
    ensure_param!(amin > 0.0, "amin must be strictly positive, got {amin}");
    if let Some(t) = top_db {
        ensure_param!(t >= 0.0, "top_db must be non-negative, got {t}");
        // librosa's log_spec.max() raises numpy's ValueError here.
        ensure_param!(!s.is_empty(), "top_db={t} needs a non-empty S: an empty array has no maximum");
    }
    let ten = T::from(10.0).unwrap();
    let amin_t = T::from(amin).unwrap();
    // numpy's maximum(amin, ref) is NaN for a NaN reference (ref=np.max of S holding NaN). The
    // reference is taken as given: librosa takes the magnitude of a number, not of what a
    // callable returns (the caller's part).
    let reference = if ref_value.is_nan() { f64::NAN } else { amin.max(ref_value) };
    let offset = T::from(10.0 * reference.log10()).unwrap();
    // NaN propagates as numpy's maximum propagates it: a NaN bin stays NaN, and with top_db the
    // maximum is NaN, so every bin is (librosa's power_to_db).
    let mut max = T::neg_infinity();
    let mut nan = false;
    for x in s.iter_mut() {
        if !x.is_nan() {
            *x = ten * amin_t.max(*x).log10() - offset;
        }
        // (An infinite S over an infinite reference, ref=np.max, is NaN too.)
        if x.is_nan() {
            nan = true;
        } else {
            max = max.max(*x);
        }
    }
    if let Some(t) = top_db {
        if nan {
            s.iter_mut().for_each(|x| *x = T::nan());
        } else {
            let floor = max - T::from(t).unwrap();
            s.iter_mut().for_each(|x| *x = x.max(floor));
        }
    }
    Ok(())
}

/// `10 log10(x)` for a positive normal `x` (at least `f32::MIN_POSITIVE`, finite), within
/// about 1e-5 dB of the libm value, branch-free so that loops over it vectorise. The image path
/// uses it; `power_to_db` keeps libm's `log10` for the array API.
#[inline(always)]
pub fn db_f32(x: f32) -> f32 {
    use std::f32::consts::{LN_10, LN_2};
    // x = 2^e * m with m in [sqrt(1/2), sqrt(2)): e from the exponent bits, m by taking e back out.
    let bits = x.to_bits() as i32;
    let e = bits.wrapping_sub(0x3f35_04f3) >> 23;
    let m = f32::from_bits(bits.wrapping_sub(e << 23) as u32);
    // ln m = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172: the series to t^9 is exact in f32.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let ln_m = 2.0 * t * (1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0)))));
    (e as f32 * LN_2 + ln_m) * (10.0 / LN_10)
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
}
