//! Analysis windows (scipy's periodic `get_window`, Kaldi's symmetric windows) and the padding
//! modes of a centred STFT (numpy's `np.pad`).

use super::Real;
use crate::dsp::error::{ensure_param, Error, Result};

/// Analysis window: scipy's `get_window(name, win_length, fftbins=True)` (periodic), explicit
/// values, or one of Kaldi's (symmetric).
#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    Hann,
    Hamming,
    Blackman,
    /// Rectangular (`"boxcar"`, `"ones"`, `"rectangular"`).
    Boxcar,
    /// Explicit window values, `win_length` of them.
    Custom(Vec<f32>),
    /// Kaldi's window of the frame's length (`blackman_coeff` for its Blackman window).
    Kaldi {
        window: KaldiWindow,
        blackman_coeff: f64,
    },
}

/// Kaldi's frame windows (`feature-window.cc`), symmetric, of the frame's length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KaldiWindow {
    /// The Hann window to the power 0.85 (Kaldi's default).
    Povey,
    Hanning,
    Hamming,
    Rectangular,
    /// `c - 0.5 cos(a n) + (0.5 - c) cos(2 a n)`, `a = 2 pi / (N - 1)`, `c = blackman_coeff`.
    Blackman,
}

impl KaldiWindow {
    /// The window named as torchaudio and Kaldi name it (`window_type`).
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "povey" => KaldiWindow::Povey,
            "hanning" => KaldiWindow::Hanning,
            "hamming" => KaldiWindow::Hamming,
            "rectangular" => KaldiWindow::Rectangular,
            "blackman" => KaldiWindow::Blackman,
            _ => {
                return Err(Error::Parameter(format!(
                    "invalid window_type {name:?}; expected 'povey', 'hanning', 'hamming', 'rectangular' or 'blackman'"
                )))
            }
        })
    }

    /// The `n` window values (`blackman_coeff` for the Blackman window), in float64.
    fn values(self, n: usize, blackman_coeff: f64) -> Vec<f64> {
        let a = 2.0 * std::f64::consts::PI / (n as f64 - 1.0);
        (0..n)
            .map(|i| {
                let i = i as f64;
                let hann = 0.5 - 0.5 * (a * i).cos();
                match self {
                    KaldiWindow::Povey => hann.powf(0.85),
                    KaldiWindow::Hanning => hann,
                    KaldiWindow::Hamming => 0.54 - 0.46 * (a * i).cos(),
                    KaldiWindow::Rectangular => 1.0,
                    KaldiWindow::Blackman => {
                        blackman_coeff - 0.5 * (a * i).cos() + (0.5 - blackman_coeff) * (2.0 * a * i).cos()
                    }
                }
            })
            .collect()
    }
}

impl Window {
    /// The names computed here (scipy's, with its aliases); others go through scipy.
    pub const NAMES: [&'static str; 7] = ["hann", "hamming", "blackman", "boxcar", "ones", "rectangular", "rect"];

    /// Parses scipy's window names.
    pub fn from_name(name: &str) -> Result<Self> {
        // Exactly scipy's names (case-sensitive; scipy 1.13+ has no "hanning").
        Ok(match name {
            "hann" => Window::Hann,
            "hamming" => Window::Hamming,
            "blackman" => Window::Blackman,
            "boxcar" | "ones" | "rectangular" | "rect" => Window::Boxcar,
            other => {
                return Err(Error::Parameter(format!(
                    "unknown window {other:?}; expected hann, hamming, blackman, boxcar or an array"
                )))
            }
        })
    }

    /// The `len` window values, computed in f64 and stored as `T` (f32 as librosa).
    pub fn values<T: Real>(&self, len: usize) -> Result<Vec<T>> {
        let cosine = |a: &[f64]| -> Vec<T> {
            if len == 1 {
                // scipy's windows of one sample are [1.] whatever the name (`_len_guards`).
                return vec![T::one()];
            }
            (0..len)
                .map(|n| {
                    let x = 2.0 * std::f64::consts::PI * n as f64 / len as f64;
                    a.iter()
                        .enumerate()
                        .map(|(k, &ak)| if k % 2 == 0 { ak } else { -ak } * (k as f64 * x).cos())
                        .sum::<f64>()
                })
                .map(T::of_f64)
                .collect()
        };
        Ok(match self {
            Window::Hann => cosine(&[0.5, 0.5]),
            Window::Hamming => cosine(&[0.54, 0.46]),
            Window::Blackman => cosine(&[0.42, 0.5, 0.08]),
            Window::Boxcar => vec![T::one(); len],
            Window::Custom(v) => {
                ensure_param!(v.len() == len, "window has {} values, expected win_length={len}", v.len());
                v.iter().map(|&w| T::of_f32(w)).collect()
            }
            Window::Kaldi { window, blackman_coeff } => {
                window.values(len, *blackman_coeff).into_iter().map(T::of_f64).collect()
            }
        })
    }
}

/// How the signal is extended past its ends when `center` is true (numpy's `np.pad` modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadMode {
    Constant,
    Reflect,
    Edge,
    Symmetric,
    /// numpy's `linear_ramp` (to 0 at the outer end of the padding).
    LinearRamp,
}

impl PadMode {
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            // numpy's "empty" leaves the padding undefined: zeros are one such padding.
            "constant" | "empty" => PadMode::Constant,
            "reflect" => PadMode::Reflect,
            "edge" => PadMode::Edge,
            "symmetric" => PadMode::Symmetric,
            "linear_ramp" => PadMode::LinearRamp,
            other => {
                // librosa.stft refuses wrap, maximum, mean, median and minimum too.
                return Err(Error::Parameter(format!(
                    "unsupported pad_mode {other:?}; expected constant, edge, linear_ramp, reflect, symmetric or \
                     empty (librosa.stft's)"
                )));
            }
        })
    }

    /// The sample at index `i` (which may be outside `0..y.len()`) of the signal extended by
    /// `pad` samples on each side (`n_fft / 2`, as librosa pads its head and tail blocks).
    pub(super) fn sample(self, y: &[f32], i: isize, pad: isize) -> f32 {
        let n = y.len() as isize;
        if (0..n).contains(&i) {
            return y[i as usize];
        }
        match self {
            PadMode::Constant => 0.0,
            PadMode::Edge => y[i.clamp(0, n - 1) as usize],
            PadMode::Reflect if n == 1 => y[0],
            PadMode::Reflect => {
                let period = 2 * (n - 1);
                let j = i.rem_euclid(period);
                y[(if j >= n { period - j } else { j }) as usize]
            }
            PadMode::Symmetric => {
                let j = i.rem_euclid(2 * n);
                y[(if j >= n { 2 * n - 1 - j } else { j }) as usize]
            }
            PadMode::LinearRamp => {
                // np.linspace(0, edge, pad, endpoint=False) towards the signal on each side.
                let (edge, distance) = if i < 0 { (y[0], -i) } else { (y[(n - 1) as usize], i - (n - 1)) };
                if distance >= pad {
                    0.0
                } else {
                    (f64::from(edge) * (pad - distance) as f64 / pad as f64) as f32
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_matches_numpy() {
        let y = [1.0, 2.0, 3.0];
        let got = |m: PadMode| (-4..7).map(|i| m.sample(&y, i, 4)).collect::<Vec<_>>();
        // np.pad([1,2,3], 4, mode=...)
        assert_eq!(got(PadMode::Reflect), vec![1., 2., 3., 2., 1., 2., 3., 2., 1., 2., 3.]);
        assert_eq!(got(PadMode::Symmetric), vec![3., 3., 2., 1., 1., 2., 3., 3., 2., 1., 1.]);
        assert_eq!(got(PadMode::Edge), vec![1., 1., 1., 1., 1., 2., 3., 3., 3., 3., 3.]);
        assert_eq!(got(PadMode::Constant), vec![0., 0., 0., 0., 1., 2., 3., 0., 0., 0., 0.]);
        assert_eq!(got(PadMode::LinearRamp), vec![0., 0.25, 0.5, 0.75, 1., 2., 3., 2.25, 1.5, 0.75, 0.]);
    }

    #[test]
    fn a_window_of_one_sample_is_one_as_scipys() {
        for w in [Window::Hann, Window::Hamming, Window::Blackman, Window::Boxcar] {
            assert_eq!(w.values::<f32>(1).unwrap(), vec![1.0]);
        }
    }

    #[test]
    fn periodic_hann() {
        let w = Window::Hann.values::<f32>(4).unwrap();
        let want = [0.0, 0.5, 1.0, 0.5];
        for (a, b) in w.iter().zip(want) {
            assert!((a - b).abs() < 1e-7);
        }
    }
}
