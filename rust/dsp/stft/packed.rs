//! The power spectrum of one real frame of even length `n` by a complex FFT of `n / 2` points:
//! the even samples as the real parts, the odd ones as the imaginary parts, then the split
//! into the two halves' spectra and their combination, written as plain loops over separate
//! real and imaginary parts that the compiler vectorises. The same arithmetic as realfft's
//! (whose combination pass, a loop over interleaved complex numbers, costs as much as half the
//! FFT), to float rounding: Kaldi's frames (float64) take this path.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::Fft;

use super::Real;

/// A planned real FFT of `n` points (even) that gives power spectra.
pub(super) struct PackedPower<T: Real> {
    half: Arc<dyn Fft<T>>,
    /// `exp(-2 pi i k / n)` for `k` in `0..n / 2`, real and imaginary parts.
    cos: Vec<T>,
    sin: Vec<T>,
}

/// Work buffers of [`PackedPower::power`], per thread.
pub(super) struct PackedScratch<T: Real> {
    fft: Vec<Complex<T>>,
}

impl<T: Real> PackedPower<T> {
    /// `n` even, at least 2.
    pub(super) fn new(n: usize) -> Self {
        assert!(n >= 2 && n.is_multiple_of(2), "a packed real FFT needs an even length");
        let m = n / 2;
        let angle = |k: usize| -2.0 * std::f64::consts::PI * k as f64 / n as f64;
        PackedPower {
            half: T::complex_plan(m),
            cos: (0..m).map(|k| T::of_f64(angle(k).cos())).collect(),
            sin: (0..m).map(|k| T::of_f64(angle(k).sin())).collect(),
        }
    }

    pub(super) fn scratch(&self) -> PackedScratch<T> {
        PackedScratch { fft: vec![Complex::default(); self.half.get_inplace_scratch_len()] }
    }

    /// `|X[k]|^2` of the real `frame` (`n` values, transformed in place: its values are lost)
    /// into `out` (`n / 2 + 1` values).
    #[inline(always)]
    pub(super) fn power(&self, frame: &mut [T], scratch: &mut PackedScratch<T>, out: &mut [T]) {
        let m = self.cos.len();
        assert!(frame.len() == 2 * m && out.len() > m, "a frame of n values, n / 2 + 1 out");
        // SAFETY: `Complex<T>` is `#[repr(C)]` `{ re: T, im: T }`: the frame's 2m values are m
        // complex numbers, the even samples their real parts and the odd ones their imaginary
        // parts, borrowed (mutably, once) for as long as `frame` is.
        let z = unsafe { std::slice::from_raw_parts_mut(frame.as_mut_ptr().cast::<Complex<T>>(), m) };
        self.half.process_with_scratch(z, &mut scratch.fft);
        // X[k] = E + W^k O with the even half E = (a + b) / 2 and the odd half O = (a - b) / 2i,
        // a = Z[k], b = conj Z[m - k] (Z[m] is Z[0]): 2 X[k] from the sums, its square over 4
        // (powers of two: the same numbers as halving first).
        let quarter = T::of_f64(0.25);
        let z0 = z[0];
        out[0] = (z0.re + z0.im) * (z0.re + z0.im);
        out[m] = (z0.re - z0.im) * (z0.re - z0.im);
        let pairs = z[1..].iter().zip(z[1..].iter().rev());
        for (((o, (a, b)), &c), &s) in out[1..m].iter_mut().zip(pairs).zip(&self.cos[1..]).zip(&self.sin[1..]) {
            let (er, ei) = (a.re + b.re, a.im - b.im);
            let (or, oi) = (a.im + b.im, b.re - a.re);
            let (xr, xi) = (er + c * or - s * oi, ei + c * oi + s * or);
            *o = quarter * (xr * xr + xi * xi);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_spectra_are_realffts() {
        for n in [2usize, 4, 6, 10, 400, 512] {
            let frame: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin() * 1000.0 + (i % 7) as f64).collect();
            let packed = PackedPower::<f64>::new(n);
            let mut out = vec![0.0; n / 2 + 1];
            packed.power(&mut frame.clone(), &mut packed.scratch(), &mut out);
            let rfft = f64::real_plan(n);
            let (mut input, mut bins) = (frame.clone(), rfft.make_output_vec());
            rfft.process(&mut input, &mut bins).unwrap();
            let peak = bins.iter().map(|c| c.norm_sqr()).fold(0.0, f64::max);
            for (k, (got, want)) in out.iter().zip(&bins).enumerate() {
                assert!((got - want.norm_sqr()).abs() <= 1e-12 * peak, "n {n} bin {k}: {got} {}", want.norm_sqr());
            }
        }
    }
}
