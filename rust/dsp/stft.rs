//! Short-time Fourier transform, framed and padded exactly as librosa 0.11's `stft`.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

use super::error::{ensure_param, Error, Result};

/// Analysis window (scipy's `get_window(name, win_length, fftbins=True)`, i.e. periodic).
#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    Hann,
    Hamming,
    Blackman,
    /// Rectangular (`"boxcar"`, `"ones"`, `"rectangular"`).
    Boxcar,
    /// Explicit window values, `win_length` of them.
    Custom(Vec<f32>),
}

impl Window {
    /// Parses scipy's window names.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "hann" | "hanning" => Window::Hann,
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

    /// The `len` periodic window values (computed in f64, stored as f32 like librosa).
    pub fn values(&self, len: usize) -> Result<Vec<f32>> {
        let cosine = |a: &[f64]| -> Vec<f32> {
            (0..len)
                .map(|n| {
                    let x = 2.0 * std::f64::consts::PI * n as f64 / len as f64;
                    a.iter().enumerate().map(|(k, &ak)| if k % 2 == 0 { ak } else { -ak } * (k as f64 * x).cos()).sum::<f64>() as f32
                })
                .collect()
        };
        Ok(match self {
            Window::Hann => cosine(&[0.5, 0.5]),
            Window::Hamming => cosine(&[0.54, 0.46]),
            Window::Blackman => cosine(&[0.42, 0.5, 0.08]),
            Window::Boxcar => vec![1.0; len],
            Window::Custom(v) => {
                ensure_param!(v.len() == len, "window has {} values, expected win_length={len}", v.len());
                v.clone()
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
}

impl PadMode {
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "constant" => PadMode::Constant,
            "reflect" => PadMode::Reflect,
            "edge" => PadMode::Edge,
            "symmetric" => PadMode::Symmetric,
            other => {
                return Err(Error::Parameter(format!(
                    "unsupported pad_mode {other:?}; expected constant, reflect, edge or symmetric"
                )))
            }
        })
    }

    /// The sample at index `i` (which may be outside `0..y.len()`) of the extended signal.
    fn sample(self, y: &[f32], i: isize) -> f32 {
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
        }
    }
}

/// STFT parameters, with librosa's names and meanings.
#[derive(Debug, Clone, PartialEq)]
pub struct StftParams {
    pub n_fft: usize,
    pub hop_length: usize,
    /// Window length; the window is zero-padded on both sides to `n_fft`.
    pub win_length: usize,
    pub window: Window,
    /// Pad by `n_fft / 2` on both sides so that frame `t` is centred on sample `t * hop_length`.
    pub center: bool,
    pub pad_mode: PadMode,
}

impl StftParams {
    /// librosa's defaults for a given `n_fft`: hop `n_fft / 4`, Hann window of `n_fft`, centred,
    /// zero padding.
    pub fn new(n_fft: usize) -> Self {
        StftParams { n_fft, hop_length: n_fft / 4, win_length: n_fft, window: Window::Hann, center: true, pad_mode: PadMode::Constant }
    }
}

/// Forward complex FFT plans, shared by every thread (the planner caches its twiddles).
fn plan(n_fft: usize) -> Arc<dyn Fft<f32>> {
    static PLANS: OnceLock<Mutex<(FftPlanner<f32>, HashMap<usize, Arc<dyn Fft<f32>>>)>> = OnceLock::new();
    let mut guard = PLANS.get_or_init(|| Mutex::new((FftPlanner::new(), HashMap::new()))).lock().unwrap_or_else(|e| e.into_inner());
    let (planner, cache) = &mut *guard;
    cache.entry(n_fft).or_insert_with(|| planner.plan_fft_forward(n_fft)).clone()
}

/// A planned STFT: window, FFT plan and framing.
///
/// Frames are transformed two at a time by one complex FFT of `n_fft` points, the first frame
/// as the real part and the second as the imaginary part: with `Z = FFT(a + i b)`,
/// `A[k] = (Z[k] + conj Z[n-k]) / 2` and `B[k] = (Z[k] - conj Z[n-k]) / 2i`. That costs about
/// the same as one real FFT of each frame without the real FFT's twiddle pass. A frame's values
/// then depend on its partner through float rounding (relative 1e-7 of the louder frame), so
/// [`Stft::power_spectra`], for streams, transforms each frame alone (a zero partner).
pub struct Stft {
    n_fft: usize,
    hop_length: usize,
    center: bool,
    pad_mode: PadMode,
    window: Vec<f32>,
    fft: Arc<dyn Fft<f32>>,
}

/// Per-thread buffers for [`Stft::power_spectra`].
pub struct Scratch {
    frames: [Vec<f32>; 2],
    buffer: Vec<Complex32>,
    fft: Vec<Complex32>,
    power: [Vec<f32>; 2],
    /// [`BLOCK`] frames of `n_bins` values (plus one spare frame for an odd count).
    spectra: Vec<f32>,
}

impl Stft {
    pub fn new(p: &StftParams) -> Result<Self> {
        ensure_param!(p.n_fft >= 2, "n_fft must be at least 2, got {}", p.n_fft);
        ensure_param!(p.hop_length >= 1, "hop_length must be positive, got {}", p.hop_length);
        ensure_param!(
            (1..=p.n_fft).contains(&p.win_length),
            "win_length must be between 1 and n_fft={}, got {}",
            p.n_fft,
            p.win_length
        );
        let values = p.window.values(p.win_length)?;
        let mut window = vec![0.0; p.n_fft];
        let left = (p.n_fft - p.win_length) / 2;
        window[left..left + p.win_length].copy_from_slice(&values);
        Ok(Stft { n_fft: p.n_fft, hop_length: p.hop_length, center: p.center, pad_mode: p.pad_mode, window, fft: plan(p.n_fft) })
    }

    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    pub fn hop_length(&self) -> usize {
        self.hop_length
    }

    /// Number of frequency bins, `1 + n_fft / 2`.
    pub fn n_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Number of frames for a signal of `n` samples (librosa's count), or an error when the
    /// signal cannot be framed with these settings.
    pub fn n_frames(&self, n: usize) -> Result<usize> {
        if self.center {
            ensure_param!(
                n > 0 || self.pad_mode == PadMode::Constant,
                "pad_mode={:?} needs a non-empty signal",
                self.pad_mode
            );
            Ok(1 + (n + 2 * (self.n_fft / 2) - self.n_fft) / self.hop_length)
        } else {
            ensure_param!(
                n >= self.n_fft,
                "n_fft={} is too large for uncentered analysis of a signal of length={n}",
                self.n_fft
            );
            Ok(1 + (n - self.n_fft) / self.hop_length)
        }
    }

    pub fn scratch(&self) -> Scratch {
        let n = self.n_fft;
        Scratch {
            frames: [vec![0.0; n], vec![0.0; n]],
            buffer: vec![Complex32::default(); n],
            fft: vec![Complex32::default(); self.fft.get_inplace_scratch_len()],
            power: [vec![0.0; self.n_bins()], vec![0.0; self.n_bins()]],
            spectra: vec![0.0; (BLOCK + 1) * self.n_bins()],
        }
    }

    /// Frame `t` of `y`, windowed, into `frame`.
    #[inline(always)]
    fn windowed(&self, y: &[f32], t: usize, frame: &mut [f32]) {
        match self.interior(y, t) {
            Some(s) => {
                for ((f, &x), &w) in frame.iter_mut().zip(s).zip(&self.window) {
                    *f = x * w;
                }
            }
            None => {
                let start = self.start(t);
                for (j, (f, &w)) in frame.iter_mut().zip(&self.window).enumerate() {
                    *f = self.pad_mode.sample(y, start + j as isize) * w;
                }
            }
        }
    }

    /// First sample of frame `t` (negative when it starts in the padding).
    #[inline(always)]
    fn start(&self, t: usize) -> isize {
        (t * self.hop_length) as isize - if self.center { (self.n_fft / 2) as isize } else { 0 }
    }

    /// The samples of frame `t` when it lies entirely inside `y`.
    #[inline(always)]
    fn interior<'a>(&self, y: &'a [f32], t: usize) -> Option<&'a [f32]> {
        let start = usize::try_from(self.start(t)).ok()?;
        y.get(start..start + self.n_fft)
    }

    /// `|X|^power` of frame `t` into `pa` and, when `pair`, of frame `t + 1` into `pb`
    /// (`n_bins` values each), by one complex FFT (see [`Stft`]).
    #[inline(always)]
    fn transform_pair(&self, y: &[f32], t: usize, pair: bool, power: f32, scratch: &mut Scratch, pa: &mut [f32], pb: &mut [f32]) {
        let n = self.n_fft;
        let n_bins = self.n_bins();
        let Scratch { frames: [a, b], buffer, fft, .. } = scratch;
        match (self.interior(y, t), self.interior(y, t + 1).filter(|_| pair)) {
            (Some(sa), Some(sb)) => {
                for (((z, &xa), &xb), &w) in buffer.iter_mut().zip(sa).zip(sb).zip(&self.window) {
                    *z = Complex32::new(xa * w, xb * w);
                }
            }
            _ => {
                self.windowed(y, t, a);
                if pair {
                    self.windowed(y, t + 1, b);
                } else {
                    b.iter_mut().for_each(|v| *v = 0.0);
                }
                for ((z, &re), &im) in buffer.iter_mut().zip(a.iter()).zip(b.iter()) {
                    *z = Complex32::new(re, im);
                }
            }
        }
        self.fft.process_with_scratch(buffer, fft);
        // Bin 0 pairs with itself, bin k with n - k.
        let z0 = buffer[0];
        (pa[0], pb[0]) = (z0.re * z0.re, z0.im * z0.im);
        let rev = buffer[n + 1 - n_bins..].iter().rev();
        for (((z, r), oa), ob) in buffer[1..n_bins].iter().zip(rev).zip(&mut pa[1..]).zip(&mut pb[1..]) {
            let (ar, ai) = (z.re + r.re, z.im - r.im);
            let (br, bi) = (z.im + r.im, r.re - z.re);
            *oa = 0.25 * (ar * ar + ai * ai);
            *ob = 0.25 * (br * br + bi * bi);
        }
        for p in [&mut pa[..n_bins], &mut pb[..n_bins]] {
            if power == 1.0 {
                p.iter_mut().for_each(|v| *v = v.sqrt());
            } else if power != 2.0 {
                p.iter_mut().for_each(|v| *v = v.sqrt().powf(power));
            }
        }
    }

    /// Calls `sink(t, |X_t|^power)` for each frame `t` in `frames`, in order. Each frame is
    /// transformed on its own (with a zero partner, see [`Stft`]), so a frame's values do not
    /// depend on which frames are asked for with it: streams fed in blocks of any size get
    /// the same numbers. Whole signals are faster through [`Stft::power_block`].
    pub fn power_spectra(&self, y: &[f32], power: f32, frames: Range<usize>, scratch: &mut Scratch, mut sink: impl FnMut(usize, &[f32])) {
        let [mut pa, mut pb] = std::mem::take(&mut scratch.power);
        for t in frames {
            self.transform_pair(y, t, false, power, scratch, &mut pa, &mut pb);
            sink(t, &pa);
        }
        scratch.power = [pa, pb];
    }

    /// `|X|^power` of the frames `t0 .. t0 + count` (`count <= BLOCK`) laid out bin-major:
    /// `block[k][f]` is bin `k` of frame `t0 + f` (`n_bins` rows; columns from `count` on are
    /// left as they were). Frames are paired from `t0` (`t0`, `t0 + 1`), so start blocks at the
    /// same frames to get the same numbers; they match [`Stft::power_spectra`]'s up to float
    /// rounding.
    #[inline(always)]
    pub fn power_block(&self, y: &[f32], power: f32, t0: usize, count: usize, scratch: &mut Scratch, block: &mut [[f32; BLOCK]]) {
        let n_bins = self.n_bins();
        assert!(count <= BLOCK && block.len() >= n_bins, "block too small");
        // Frame-major first (frame f at spectra[f * n_bins..]), then transposed BLOCK x BLOCK
        // tiles at a time, which the compiler does in registers.
        let mut spectra = std::mem::take(&mut scratch.spectra);
        for f in (0..count).step_by(2) {
            let (pa, pb) = spectra[f * n_bins..].split_at_mut(n_bins);
            self.transform_pair(y, t0 + f, f + 1 < count, power, scratch, pa, pb);
        }
        let tiles = n_bins / BLOCK * BLOCK;
        for (k0, rows) in (0..tiles).step_by(BLOCK).zip(block.chunks_exact_mut(BLOCK)) {
            let src: [&[f32]; BLOCK] = std::array::from_fn(|f| &spectra[f * n_bins + k0..][..BLOCK]);
            for (k, row) in rows.iter_mut().enumerate() {
                for (f, v) in row.iter_mut().enumerate() {
                    *v = src[f][k];
                }
            }
        }
        for (k, row) in block.iter_mut().enumerate().take(n_bins).skip(tiles) {
            *row = std::array::from_fn(|f| spectra[f * n_bins + k]);
        }
        scratch.spectra = spectra;
    }
}

/// Frames per block of [`Stft::power_block`].
pub const BLOCK: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_counts_follow_librosa() {
        let s = Stft::new(&StftParams::new(2048)).unwrap();
        assert_eq!(s.n_frames(22050).unwrap(), 1 + 22050 / 512);
        assert_eq!(s.n_frames(0).unwrap(), 1);
        let mut p = StftParams::new(2048);
        p.center = false;
        let s = Stft::new(&p).unwrap();
        assert_eq!(s.n_frames(2048 + 1023).unwrap(), 2);
        assert!(matches!(s.n_frames(100), Err(Error::Parameter(_))));
    }

    #[test]
    fn padding_matches_numpy() {
        let y = [1.0, 2.0, 3.0];
        let got = |m: PadMode| (-4..7).map(|i| m.sample(&y, i)).collect::<Vec<_>>();
        // np.pad([1,2,3], 4, mode=...)
        assert_eq!(got(PadMode::Reflect), vec![1., 2., 3., 2., 1., 2., 3., 2., 1., 2., 3.]);
        assert_eq!(got(PadMode::Symmetric), vec![3., 3., 2., 1., 1., 2., 3., 3., 2., 1., 1.]);
        assert_eq!(got(PadMode::Edge), vec![1., 1., 1., 1., 1., 2., 3., 3., 3., 3., 3.]);
        assert_eq!(got(PadMode::Constant), vec![0., 0., 0., 0., 1., 2., 3., 0., 0., 0., 0.]);
    }

    #[test]
    fn a_sine_peaks_in_its_bin_and_parseval_holds() {
        let n_fft = 1024;
        let mut p = StftParams::new(n_fft);
        p.window = Window::Boxcar;
        p.center = false;
        let s = Stft::new(&p).unwrap();
        let k = 37.0;
        let y: Vec<f32> = (0..n_fft).map(|i| (2.0 * std::f32::consts::PI * k * i as f32 / n_fft as f32).cos()).collect();
        let mut scratch = s.scratch();
        let mut spec = vec![];
        s.power_spectra(&y, 1.0, 0..1, &mut scratch, |_, p| spec = p.to_vec());
        let peak = spec.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert_eq!(peak, 37);
        assert!((spec[37] - n_fft as f32 / 2.0).abs() < 1e-2);
    }

    #[test]
    fn periodic_hann() {
        let w = Window::Hann.values(4).unwrap();
        let want = [0.0, 0.5, 1.0, 0.5];
        for (a, b) in w.iter().zip(want) {
            assert!((a - b).abs() < 1e-7);
        }
    }
}
