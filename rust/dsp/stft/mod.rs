//! Short-time Fourier transform, framed and padded exactly as librosa 0.11's `stft`.
//!
//! Whole signals go through [`Stft::power_block`], two frames per complex FFT; single frames
//! (streams: the live view and long files, see [`FrameStream`]) through
//! [`Stft::power_spectra`], one real FFT each (realfft).

mod stream;
mod window;

use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use realfft::{RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

pub use stream::FrameStream;
pub use window::{PadMode, Window};

use super::error::{ensure_param, Result};

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
        StftParams {
            n_fft,
            hop_length: Self::default_hop(n_fft),
            win_length: n_fft,
            window: Window::Hann,
            center: true,
            pad_mode: PadMode::Constant,
        }
    }

    /// librosa's hop when none is given: a quarter of the window, `win_length // 4`.
    pub fn default_hop(win_length: usize) -> usize {
        win_length / 4
    }
}

/// Forward complex FFT plans of `n` points, shared by every thread (the planner keeps one plan
/// per size).
fn complex_plan(n: usize) -> Arc<dyn Fft<f32>> {
    static PLANNER: OnceLock<Mutex<FftPlanner<f32>>> = OnceLock::new();
    PLANNER.get_or_init(|| Mutex::new(FftPlanner::new())).lock().unwrap_or_else(|e| e.into_inner()).plan_fft_forward(n)
}

/// Forward real FFT plans of `n` points, shared by every thread (likewise cached).
pub(crate) fn real_plan(n: usize) -> Arc<dyn RealToComplex<f32>> {
    static PLANNER: OnceLock<Mutex<RealFftPlanner<f32>>> = OnceLock::new();
    PLANNER
        .get_or_init(|| Mutex::new(RealFftPlanner::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .plan_fft_forward(n)
}

/// A planned STFT: window, FFT plans and framing.
///
/// Whole signals ([`Stft::power_block`]) are transformed two frames at a time by one complex
/// FFT of `n_fft` points, the first frame as the real part and the second as the imaginary
/// part: with `Z = FFT(a + i b)`, `A[k] = (Z[k] + conj Z[n-k]) / 2` and
/// `B[k] = (Z[k] - conj Z[n-k]) / 2i`. That costs about the same as one real FFT of each frame
/// without the real FFT's twiddle pass. A frame's values then depend on its partner through
/// float rounding (relative 1e-7 of the louder frame), so [`Stft::power_spectra`], for
/// streams, transforms each frame alone by a real FFT: a frame's numbers never depend on the
/// blocks a stream came in.
pub struct Stft {
    n_fft: usize,
    hop_length: usize,
    center: bool,
    pad_mode: PadMode,
    window: Vec<f32>,
    fft: Arc<dyn Fft<f32>>,
    rfft: Arc<dyn RealToComplex<f32>>,
}

/// Work buffers of one thread for [`Stft::power_block`] and [`Stft::power_spectra`], made by
/// [`Stft::scratch`] and owned by the caller.
pub struct Scratch {
    frames: [Vec<f32>; 2],
    buffer: Vec<Complex32>,
    fft: Vec<Complex32>,
    /// [`BLOCK`] frames of `n_bins` values (plus one spare frame for an odd count).
    spectra: Vec<f32>,
    /// One frame's real FFT: its bins, its scratch and the frame's `|X|^power`.
    bins: Vec<Complex32>,
    rfft: Vec<Complex32>,
    power: Vec<f32>,
}

/// The largest FFT length taken (2^24 samples, 6.3 minutes at 44.1 kHz): longer ones would
/// need more memory than a process can count on, and an allocation that fails aborts the
/// process rather than raising.
pub const MAX_N_FFT: usize = 1 << 24;

/// `n_fft` between 2 and [`MAX_N_FFT`]: the one check of every stage that takes it.
pub fn check_n_fft(n_fft: usize) -> Result<()> {
    ensure_param!((2..=MAX_N_FFT).contains(&n_fft), "n_fft must be between 2 and 2**24 = {MAX_N_FFT}, got {n_fft}");
    Ok(())
}

impl Stft {
    pub fn new(p: &StftParams) -> Result<Self> {
        check_n_fft(p.n_fft)?;
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
        Ok(Stft {
            n_fft: p.n_fft,
            hop_length: p.hop_length,
            center: p.center,
            pad_mode: p.pad_mode,
            window,
            fft: complex_plan(p.n_fft),
            rfft: real_plan(p.n_fft),
        })
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
            // An odd n_fft pads an empty signal to n_fft - 1 samples: too short, as in librosa.
            let padded = n + 2 * (self.n_fft / 2);
            ensure_param!(
                padded >= self.n_fft,
                "input is too short (n={padded} once padded) for frame_length={}",
                self.n_fft
            );
            Ok(1 + (padded - self.n_fft) / self.hop_length)
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
            spectra: vec![0.0; (BLOCK + 1) * self.n_bins()],
            bins: self.rfft.make_output_vec(),
            rfft: self.rfft.make_scratch_vec(),
            power: vec![0.0; self.n_bins()],
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
                let (source, offset) = self.padded_source(y, t);
                let start = self.start(t) - offset;
                for (j, (f, &w)) in frame.iter_mut().zip(&self.window).enumerate() {
                    *f = self.pad_mode.sample(source, start + j as isize, (self.n_fft / 2) as isize) * w;
                }
            }
        }
    }

    /// The part of `y` that frame `t`, which reaches into the padding, is padded from, and
    /// where that part starts in `y`. As librosa.stft (0.11) does at `center=True`, when its
    /// head and tail frames do not overlap, the tail frames (from `tail_k` on) are cut from
    /// `np.pad(y[s:], (0, n_fft // 2))` with `s = tail_k * hop_length - n_fft // 2`, not from
    /// the padded whole: a reflection longer than that block bounces inside it. An odd result,
    /// kept because librosa is what users compare with. (The head block always holds the
    /// samples its reflection reaches, so it pads as the whole signal does.)
    fn padded_source<'a>(&self, y: &'a [f32], t: usize) -> (&'a [f32], isize) {
        let (n, hop, half) = (y.len() as isize, self.hop_length as isize, (self.n_fft / 2) as isize);
        let start_k = (half + hop - 1) / hop;
        let tail_k = (n + half - self.n_fft as isize).div_euclid(hop) + 1;
        let s = tail_k * hop - half;
        let split = self.center && tail_k > start_k && s + self.n_fft as isize <= n + half;
        if split && t as isize >= tail_k {
            (&y[s as usize..], s)
        } else {
            (y, 0)
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
    #[allow(clippy::too_many_arguments)]
    fn transform_pair(
        &self,
        y: &[f32],
        t: usize,
        pair: bool,
        power: f32,
        scratch: &mut Scratch,
        pa: &mut [f32],
        pb: &mut [f32],
    ) {
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
        raise_to(&mut pa[..n_bins], power);
        raise_to(&mut pb[..n_bins], power);
    }

    /// Calls `sink(t, |X_t|^power)` for each frame `t` in `frames`, in order, each frame
    /// transformed alone by a real FFT (see [`Stft`]): a frame's values do not depend on which
    /// frames are asked for with it, so streams fed in blocks of any size get the same numbers.
    /// Whole signals are faster through [`Stft::power_block`].
    pub fn power_spectra(
        &self,
        y: &[f32],
        power: f32,
        frames: Range<usize>,
        scratch: &mut Scratch,
        mut sink: impl FnMut(usize, &[f32]),
    ) {
        let Scratch { frames: [frame, _], bins, rfft, power: out, .. } = scratch;
        for t in frames {
            self.windowed(y, t, frame);
            self.rfft.process_with_scratch(frame, bins, rfft).expect("buffers sized by Stft::scratch");
            for (o, z) in out.iter_mut().zip(bins.iter()) {
                *o = z.re * z.re + z.im * z.im;
            }
            raise_to(out, power);
            sink(t, out);
        }
    }

    /// `|X|^power` of the frames `t0 .. t0 + count` (`count <= BLOCK`) laid out bin-major:
    /// `block[k][f]` is bin `k` of frame `t0 + f` (`n_bins` rows; columns from `count` on are
    /// left as they were). Frames are paired from `t0` (`t0`, `t0 + 1`), so start blocks at the
    /// same frames to get the same numbers; they match [`Stft::power_spectra`]'s up to float
    /// rounding.
    #[inline(always)]
    pub fn power_block(
        &self,
        y: &[f32],
        power: f32,
        t0: usize,
        count: usize,
        scratch: &mut Scratch,
        block: &mut [[f32; BLOCK]],
    ) {
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

/// Power spectra `|X|^2` to `|X|^power`, in place.
#[inline(always)]
fn raise_to(p: &mut [f32], power: f32) {
    if power == 1.0 {
        p.iter_mut().for_each(|v| *v = v.sqrt());
    } else if power != 2.0 {
        p.iter_mut().for_each(|v| *v = v.sqrt().powf(power));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::error::Error;

    #[test]
    fn tail_frames_reflect_inside_librosas_tail_block() {
        // librosa.stft(np.arange(64.), n_fft=8, hop_length=16, window="boxcar",
        // pad_mode="reflect"): the last frame is np.pad(y[60:], (0, 4), "reflect")
        // = [60, 61, 62, 63, 62, 61, 60, 61], where padding the whole signal gives ... 59.
        let p = StftParams { hop_length: 16, window: Window::Boxcar, pad_mode: PadMode::Reflect, ..StftParams::new(8) };
        let stft = Stft::new(&p).unwrap();
        let y: Vec<f32> = (0..64).map(|i| i as f32).collect();
        let mut frame = vec![0.0; 8];
        stft.windowed(&y, 4, &mut frame);
        assert_eq!(frame, [60., 61., 62., 63., 62., 61., 60., 61.]);
        stft.windowed(&y, 0, &mut frame); // the head pads as the whole signal
        assert_eq!(frame, [4., 3., 2., 1., 0., 1., 2., 3.]);
    }

    #[test]
    fn frame_counts_follow_librosa() {
        let s = Stft::new(&StftParams::new(2048)).unwrap();
        assert_eq!(s.n_frames(22050).unwrap(), 1 + 22050 / 512);
        assert_eq!(s.n_frames(0).unwrap(), 1);
        let odd = Stft::new(&StftParams::new(15)).unwrap();
        assert!(matches!(odd.n_frames(0), Err(Error::Parameter(_))));
        assert_eq!(odd.n_frames(1).unwrap(), 1);
        let mut p = StftParams::new(2048);
        p.center = false;
        let s = Stft::new(&p).unwrap();
        assert_eq!(s.n_frames(2048 + 1023).unwrap(), 2);
        assert!(matches!(s.n_frames(100), Err(Error::Parameter(_))));
    }

    fn rectangular(n_fft: usize) -> Stft {
        Stft::new(&StftParams { window: Window::Boxcar, center: false, ..StftParams::new(n_fft) }).unwrap()
    }

    #[test]
    fn a_sine_peaks_in_its_bin() {
        let n_fft = 1024;
        let s = rectangular(n_fft);
        let k = 37.0;
        let y: Vec<f32> =
            (0..n_fft).map(|i| (2.0 * std::f32::consts::PI * k * i as f32 / n_fft as f32).cos()).collect();
        let mut spec = vec![];
        s.power_spectra(&y, 1.0, 0..1, &mut s.scratch(), |_, p| spec = p.to_vec());
        let peak = spec.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert_eq!(peak, 37);
        assert!((spec[37] - n_fft as f32 / 2.0).abs() < 1e-2);
    }

    #[test]
    fn parseval_holds_for_single_frames_and_pairs() {
        // With a rectangular window, sum_k |X_k|^2 over all n_fft bins is n_fft * sum x^2; the
        // one-sided spectrum counts the bins other than 0 and n_fft / 2 twice.
        for n_fft in [512, 1000] {
            let s = rectangular(n_fft);
            let y: Vec<f32> =
                (0..2 * n_fft).map(|i| ((i * 7919 % 1013) as f32 / 1013.0 - 0.5) * (i as f32 * 0.01).sin()).collect();
            let energy =
                |t: usize| y[t * s.hop_length()..][..n_fft].iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>();
            let total = |p: &[f32]| {
                let twice = |k: usize| if k == 0 || 2 * k == n_fft { 1.0 } else { 2.0 };
                p.iter().enumerate().map(|(k, &v)| twice(k) * f64::from(v)).sum::<f64>()
            };
            let mut single = vec![];
            s.power_spectra(&y, 2.0, 0..2, &mut s.scratch(), |_, p| single.push(total(p)));
            let mut block = vec![[0.0f32; BLOCK]; s.n_bins()];
            s.power_block(&y, 2.0, 0, 2, &mut s.scratch(), &mut block);
            for t in 0..2 {
                let want = n_fft as f64 * energy(t);
                let paired = total(&block.iter().map(|row| row[t]).collect::<Vec<_>>());
                for got in [single[t], paired] {
                    assert!((got - want).abs() < 1e-4 * want, "n_fft {n_fft} frame {t}: {got} vs {want}");
                }
            }
        }
    }

    #[test]
    fn single_frames_match_paired_frames() {
        let y: Vec<f32> = (0..9000).map(|i| (i as f32 * 0.031).sin() + 0.3 * (i as f32 * 0.57).cos()).collect();
        for (n_fft, window) in [(2048, Window::Hann), (400, Window::Hamming), (255, Window::Blackman)] {
            let s = Stft::new(&StftParams { window, ..StftParams::new(n_fft) }).unwrap();
            let frames = s.n_frames(y.len()).unwrap();
            let mut scratch = s.scratch();
            let mut block = vec![[0.0f32; BLOCK]; s.n_bins()];
            for t0 in (0..frames).step_by(BLOCK) {
                let count = BLOCK.min(frames - t0);
                s.power_block(&y, 2.0, t0, count, &mut scratch, &mut block);
                s.power_spectra(&y, 2.0, t0..t0 + count, &mut s.scratch(), |t, p| {
                    let peak = p.iter().fold(0.0f32, |m, &v| m.max(v));
                    for (k, &v) in p.iter().enumerate() {
                        assert!((v - block[k][t - t0]).abs() <= 1e-5 * peak, "n_fft {n_fft} frame {t} bin {k}");
                    }
                });
            }
        }
    }
}
