//! Decibels: `librosa.power_to_db`.

use num_traits::Float;

use super::error::{ensure_param, Result};

/// `10 log10(max(amin, S)) - 10 log10(max(amin, ref))`, then clipped to `max - top_db` when
/// `top_db` is given; in place. Same arithmetic as librosa.
pub fn power_to_db<T: Float>(s: &mut [T], ref_value: f64, amin: f64, top_db: Option<f64>) -> Result<()> {
    ensure_param!(amin > 0.0, "amin must be strictly positive, got {amin}");
    if let Some(t) = top_db {
        ensure_param!(t >= 0.0, "top_db must be non-negative, got {t}");
    }
    let ten = T::from(10.0).unwrap();
    let amin_t = T::from(amin).unwrap();
    let offset = T::from(10.0 * amin.max(ref_value.abs()).log10()).unwrap();
    let mut max = T::neg_infinity();
    for x in s.iter_mut() {
        *x = ten * amin_t.max(*x).log10() - offset;
        max = max.max(*x);
    }
    if let Some(t) = top_db {
        let floor = max - T::from(t).unwrap();
        s.iter_mut().for_each(|x| *x = x.max(floor));
    }
    Ok(())
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
}
