//! Steps on a frame's samples before its window, as Kaldi takes them (`feature-window.cc`,
//! `ProcessWindow`): dither, the frame's mean removed, its energy, pre-emphasis. librosa takes
//! none of them ([`Conditioning::default`]).

use super::{sum8, Real};

/// Where a frame's energy (the sum of its squared samples) is taken, if anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Energy {
    None,
    /// After the dither and the mean's removal, before pre-emphasis and the window (Kaldi's
    /// `raw_energy`).
    Raw,
    /// Of the windowed frame, as the FFT sees it.
    Windowed,
}

/// The steps on each frame's samples before the window, in Kaldi's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Conditioning {
    /// Standard deviation of the Gaussian noise added to each sample (0: none).
    pub dither: f64,
    pub remove_dc_offset: bool,
    /// `x[i] - c x[i-1]`, and `x[0] - c x[0]` (0: none).
    pub preemphasis_coefficient: f64,
    pub energy: Energy,
}

impl Default for Conditioning {
    /// None of the steps.
    fn default() -> Self {
        Conditioning { dither: 0.0, remove_dc_offset: false, preemphasis_coefficient: 0.0, energy: Energy::None }
    }
}

impl Conditioning {
    /// Whether any step changes the samples or takes the energy.
    pub fn is_none(&self) -> bool {
        *self == Conditioning::default()
    }

    /// The steps before the window on `x` (a frame's samples); returns the raw energy (0 unless
    /// [`Energy::Raw`]).
    #[inline(always)]
    pub(super) fn before_window<T: Real>(&self, x: &mut [T], noise: &mut Gaussian) -> T {
        if self.dither > 0.0 {
            let d = self.dither;
            x.iter_mut().for_each(|v| *v = *v + T::of_f64(noise.next() * d));
        }
        if self.remove_dc_offset {
            let mean = sum8(x, x, |v, _| v) / T::of_f64(x.len() as f64);
            x.iter_mut().for_each(|v| *v = *v - mean);
        }
        let raw = if self.energy == Energy::Raw { energy(x) } else { T::zero() };
        if self.preemphasis_coefficient != 0.0 {
            let c = T::of_f64(self.preemphasis_coefficient);
            // Forward, carrying the sample before (a loop the compiler vectorises).
            let mut before = x.first().copied().unwrap_or_else(T::zero);
            for v in x.iter_mut() {
                let here = *v;
                *v = here - c * before;
                before = here;
            }
        }
        raw
    }
}

impl Conditioning {
    /// The steps but the dither on the samples `s` (taken as `T`), then the window `w`, into
    /// `x` in one pass: [`Conditioning::before_window`] without dither and the window, the same
    /// operations in the same order (so the same numbers), without a pass per step. Returns the
    /// raw energy (0 unless [`Energy::Raw`]).
    #[inline(always)]
    pub(super) fn windowed<T: Real>(&self, s: &[f32], w: &[T], x: &mut [T]) -> T {
        debug_assert!(self.dither == 0.0 && !s.is_empty());
        // x - 0 is x (and -0 stays -0): no mean is the same as none removed.
        let mean =
            if self.remove_dc_offset { sum8(s, s, |v, _| T::of_f32(v)) / T::of_f64(s.len() as f64) } else { T::zero() };
        let at = |v: f32| T::of_f32(v) - mean;
        let raw = if self.energy == Energy::Raw { sum8(s, s, |v, _| at(v) * at(v)) } else { T::zero() };
        if self.preemphasis_coefficient != 0.0 {
            let c = T::of_f64(self.preemphasis_coefficient);
            x[0] = (at(s[0]) - c * at(s[0])) * w[0];
            for (((o, &here), &before), &w) in x[1..].iter_mut().zip(&s[1..]).zip(s).zip(&w[1..]) {
                *o = (at(here) - c * at(before)) * w;
            }
        } else {
            x.iter_mut().zip(s).zip(w).for_each(|((o, &v), &w)| *o = at(v) * w);
        }
        raw
    }
}

/// The sum of the squares of `x`.
pub(super) fn energy<T: Real>(x: &[T]) -> T {
    sum8(x, x, |v, _| v * v)
}

/// Standard normal numbers (Box-Muller on splitmix64), for the dither: the same seed gives the
/// same noise.
pub(super) struct Gaussian {
    state: u64,
    spare: Option<f64>,
}

/// splitmix64's output function.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The dither seed of stream `stream` (a row of a batch) of `seed`: streams of one seed start
/// far apart in splitmix64's sequence, rather than a step apart.
pub fn stream_seed(seed: u64, stream: u64) -> u64 {
    mix(seed ^ mix(stream.wrapping_add(1)))
}

impl Gaussian {
    pub(super) fn new(seed: u64) -> Self {
        Gaussian { state: seed, spare: None }
    }

    fn uniform(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        // In (0, 1]: the logarithm below stays finite.
        ((mix(self.state) >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn next(&mut self) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        let (r, theta) = ((-2.0 * self.uniform().ln()).sqrt(), 2.0 * std::f64::consts::PI * self.uniform());
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaldis_steps_in_kaldis_order() {
        let c = Conditioning {
            remove_dc_offset: true,
            preemphasis_coefficient: 0.5,
            energy: Energy::Raw,
            ..Default::default()
        };
        let mut x = [1.0f64, 3.0, 5.0, 7.0];
        let raw = c.before_window(&mut x, &mut Gaussian::new(0));
        // Mean 4 removed: [-3, -1, 1, 3], energy 20; then x[i] - x[i-1] / 2, x[0] - x[0] / 2.
        assert_eq!(raw, 20.0);
        assert_eq!(x, [-1.5, 0.5, 1.5, 2.5]);
        let mut y = [1.0f32, 2.0];
        assert_eq!(Conditioning::default().before_window(&mut y, &mut Gaussian::new(0)), 0.0);
        assert_eq!(y, [1.0, 2.0]);
    }

    #[test]
    fn the_fused_pass_gives_the_steps_numbers() {
        let s: Vec<f32> = (0..37).map(|i| ((i * 7919) % 101) as f32 * 0.37 - 11.0).collect();
        let w: Vec<f64> = (0..37).map(|i| 0.5 - 0.5 * (i as f64 * 0.17).cos()).collect();
        for (dc, c, e) in [
            (true, 0.97, Energy::Raw),
            (false, 0.97, Energy::None),
            (true, 0.0, Energy::Raw),
            (false, 0.0, Energy::None),
        ] {
            let cond = Conditioning { remove_dc_offset: dc, preemphasis_coefficient: c, energy: e, dither: 0.0 };
            let mut want: Vec<f64> = s.iter().map(|&v| f64::from(v)).collect();
            let raw = cond.before_window(&mut want, &mut Gaussian::new(0));
            want.iter_mut().zip(&w).for_each(|(v, &w)| *v *= w);
            let mut got = vec![f64::NAN; s.len()];
            assert_eq!(cond.windowed(&s, &w, &mut got).to_bits(), raw.to_bits());
            assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "{dc} {c}");
        }
    }

    #[test]
    fn noise_repeats_with_its_seed_and_is_standard_normal() {
        let draw = |seed| {
            let mut g = Gaussian::new(seed);
            (0..20000).map(|_| g.next()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let v = draw(3);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "{mean} {var}");
    }
}
