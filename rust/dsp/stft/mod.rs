//! Short-time Fourier transform: frames cut and padded as librosa 0.11's `stft` or as Kaldi's
//! `ExtractWindow`, in float32 or float64.
//!
//! Whole signals go through [`Stft::power_block`], two frames per complex FFT; single frames
//! (streams: the live view and long files, see [`FrameStream`]; Kaldi's frames, with the steps
//! of [`Conditioning`] before their window) through [`Stft::frame_spectra`], one real FFT each
//! (realfft).

mod conditioning;
mod packed;
mod params;
mod stream;
mod window;

use std::ops::Range;
use std::sync::Arc;

use realfft::RealToComplex;
use rustfft::num_complex::Complex;
use rustfft::Fft;

use conditioning::{energy, Gaussian};
pub use conditioning::{stream_seed, Conditioning, Energy};
use packed::{PackedPower, PackedScratch};
pub use params::{check_n_fft, Framing, Real, StftParams, MAX_N_FFT};
pub use stream::FrameStream;
pub use window::{KaldiWindow, PadMode, Window};

use super::error::{ensure_param, Result};

/// A planned STFT: window, FFT plans and framing, computing in `T` (f32 or f64).
///
/// Whole signals ([`Stft::power_block`]) are transformed two frames at a time by one complex
/// FFT of `n_fft` points, the first frame as the real part and the second as the imaginary
/// part: with `Z = FFT(a + i b)`, `A[k] = (Z[k] + conj Z[n-k]) / 2` and
/// `B[k] = (Z[k] - conj Z[n-k]) / 2i`. That costs about the same as one real FFT of each frame
/// without the real FFT's twiddle pass. A frame's values then depend on its partner through
/// float rounding (relative 1e-7 of the louder frame in f32), so [`Stft::frame_spectra`], for
/// streams and for frames with their own steps, transforms each frame alone by a real FFT: a
/// frame's numbers never depend on the blocks a stream came in.
pub struct Stft<T: Real = f32> {
    n_fft: usize,
    hop_length: usize,
    framing: Framing,
    /// Samples a frame takes from the signal: `n_fft`, or `win_length` with Kaldi's framing.
    frame_len: usize,
    /// Where frame 0 starts before sample 0.
    offset: isize,
    /// How samples past the signal's ends are made (Kaldi's mirror is numpy's `symmetric`).
    pad_mode: PadMode,
    /// `frame_len` values.
    window: Vec<T>,
    conditioning: Conditioning,
    fft: Arc<dyn Fft<T>>,
    rfft: Arc<dyn RealToComplex<T>>,
    /// Kaldi's frames' real FFT (see [`packed`]); other frames go through realfft's.
    packed: Option<PackedPower<T>>,
}

/// Work buffers of one thread for [`Stft::power_block`] and [`Stft::frame_spectra`], made by
/// [`Stft::scratch`] and owned by the caller.
pub struct Scratch<T: Real = f32> {
    frames: [Vec<T>; 2],
    buffer: Vec<Complex<T>>,
    fft: Vec<Complex<T>>,
    /// [`BLOCK`] frames of `n_bins` values (plus one spare frame for an odd count).
    spectra: Vec<T>,
    /// One frame's real FFT: its bins, its scratch and the frame's `|X|^power`.
    bins: Vec<Complex<T>>,
    rfft: Vec<Complex<T>>,
    power: Vec<T>,
    packed: Option<PackedScratch<T>>,
}

impl<T: Real> Stft<T> {
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
        let (frame_len, window, offset, pad_mode) = match p.framing {
            Framing::Kaldi { snip_edges } => {
                let offset = if snip_edges { 0 } else { (p.win_length / 2) as isize - (p.hop_length / 2) as isize };
                (p.win_length, values, offset, PadMode::Symmetric)
            }
            Framing::Centered(_) | Framing::Uncentered => {
                let mut window = vec![T::zero(); p.n_fft];
                let left = (p.n_fft - p.win_length) / 2;
                window[left..left + p.win_length].copy_from_slice(&values);
                match p.framing {
                    Framing::Centered(mode) => (p.n_fft, window, (p.n_fft / 2) as isize, mode),
                    _ => (p.n_fft, window, 0, PadMode::Constant),
                }
            }
        };
        Ok(Stft {
            n_fft: p.n_fft,
            hop_length: p.hop_length,
            framing: p.framing,
            frame_len,
            offset,
            pad_mode,
            window,
            conditioning: p.conditioning.clone(),
            fft: T::complex_plan(p.n_fft),
            rfft: T::real_plan(p.n_fft),
            packed: matches!(p.framing, Framing::Kaldi { .. } if p.n_fft.is_multiple_of(2))
                .then(|| PackedPower::new(p.n_fft)),
        })
    }

    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    pub fn hop_length(&self) -> usize {
        self.hop_length
    }

    /// Samples a frame takes from the signal: `n_fft`, or `win_length` with [`Framing::Kaldi`].
    pub fn frame_length(&self) -> usize {
        self.frame_len
    }

    /// Number of frequency bins, `1 + n_fft / 2`.
    pub fn n_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Number of frames for a signal of `n` samples (librosa's or Kaldi's count), or an error
    /// when the signal cannot be framed with these settings.
    pub fn n_frames(&self, n: usize) -> Result<usize> {
        let hop = self.hop_length;
        match self.framing {
            Framing::Centered(pad_mode) => {
                ensure_param!(n > 0 || pad_mode == PadMode::Constant, "pad_mode={pad_mode:?} needs a non-empty signal");
                // An odd n_fft pads an empty signal to n_fft - 1 samples: too short, as in librosa.
                let padded = n + 2 * (self.n_fft / 2);
                ensure_param!(
                    padded >= self.n_fft,
                    "input is too short (n={padded} once padded) for frame_length={}",
                    self.n_fft
                );
                Ok(1 + (padded - self.n_fft) / hop)
            }
            Framing::Uncentered => {
                ensure_param!(
                    n >= self.n_fft,
                    "n_fft={} is too large for uncentered analysis of a signal of length={n}",
                    self.n_fft
                );
                Ok(1 + (n - self.n_fft) / hop)
            }
            Framing::Kaldi { snip_edges: true } => Ok(n.checked_sub(self.frame_len).map_or(0, |rest| 1 + rest / hop)),
            Framing::Kaldi { snip_edges: false } => {
                // Kaldi frames any signal; torchaudio refuses one shorter than a frame.
                ensure_param!(
                    n >= self.frame_len,
                    "a signal of {n} samples is shorter than a frame ({} samples): give snip_edges=True for no \
                     frames",
                    self.frame_len
                );
                Ok((n + hop / 2) / hop)
            }
        }
    }

    pub fn scratch(&self) -> Scratch<T> {
        let n = self.n_fft;
        Scratch {
            frames: [vec![T::zero(); n], vec![T::zero(); n]],
            buffer: vec![Complex::default(); n],
            fft: vec![Complex::default(); self.fft.get_inplace_scratch_len()],
            spectra: vec![T::zero(); (BLOCK + 1) * self.n_bins()],
            bins: self.rfft.make_output_vec(),
            rfft: self.rfft.make_scratch_vec(),
            power: vec![T::zero(); self.n_bins()],
            packed: self.packed.as_ref().map(PackedPower::scratch),
        }
    }

    /// Frame `t` of `y` into `frame` (`n_fft` values): its samples, the conditioning steps, the
    /// window, zeros after it. Returns the frame's energy where the conditioning takes it.
    #[inline(always)]
    fn windowed(&self, y: &[f32], t: usize, frame: &mut [T], noise: &mut Gaussian) -> T {
        let (x, rest) = frame.split_at_mut(self.frame_len);
        rest.fill(T::zero());
        let raw = match self.interior(y, t) {
            Some(s) if self.conditioning.dither == 0.0 => self.conditioning.windowed(s, &self.window, x),
            interior => {
                match interior {
                    Some(s) => x.iter_mut().zip(s).for_each(|(f, &v)| *f = T::of_f32(v)),
                    None => self.padded(y, t, x),
                }
                let raw = self.conditioning.before_window(x, noise);
                x.iter_mut().zip(&self.window).for_each(|(f, &w)| *f = *f * w);
                raw
            }
        };
        if self.conditioning.energy == Energy::Windowed {
            energy(frame)
        } else {
            raw
        }
    }

    /// The samples of frame `t`, which reaches into the padding, into `x`: those inside the
    /// signal copied, the others made by the pad mode.
    fn padded(&self, y: &[f32], t: usize, x: &mut [T]) {
        let (source, offset) = self.padded_source(y, t);
        let start = self.start(t) - offset;
        let half = (self.n_fft / 2) as isize;
        let len = x.len() as isize;
        // x[j] is source[start + j]: inside it for j in lo..hi.
        let lo = (-start).clamp(0, len);
        let hi = (source.len() as isize - start).clamp(lo, len);
        let (before, rest) = x.split_at_mut(lo as usize);
        let (inside, after) = rest.split_at_mut((hi - lo) as usize);
        inside.iter_mut().zip(&source[(start + lo) as usize..]).for_each(|(f, &v)| *f = T::of_f32(v));
        for (j, f) in (0..lo).chain(hi..len).zip(before.iter_mut().chain(after)) {
            *f = T::of_f32(self.pad_mode.sample(source, start + j, half));
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
        let centered = matches!(self.framing, Framing::Centered(_));
        let split = centered && tail_k > start_k && s + self.n_fft as isize <= n + half;
        if split && t as isize >= tail_k {
            (&y[s as usize..], s)
        } else {
            (y, 0)
        }
    }

    /// First sample of frame `t` (negative when it starts in the padding).
    #[inline(always)]
    fn start(&self, t: usize) -> isize {
        (t * self.hop_length) as isize - self.offset
    }

    /// The samples of frame `t` when it lies entirely inside `y`.
    #[inline(always)]
    fn interior<'a>(&self, y: &'a [f32], t: usize) -> Option<&'a [f32]> {
        let start = usize::try_from(self.start(t)).ok()?;
        y.get(start..start + self.frame_len)
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
        power: T,
        scratch: &mut Scratch<T>,
        pa: &mut [T],
        pb: &mut [T],
    ) {
        let n = self.n_fft;
        let n_bins = self.n_bins();
        let Scratch { frames: [a, b], buffer, fft, .. } = scratch;
        match (self.interior(y, t), self.interior(y, t + 1).filter(|_| pair)) {
            (Some(sa), Some(sb)) => {
                for (((z, &xa), &xb), &w) in buffer.iter_mut().zip(sa).zip(sb).zip(&self.window) {
                    *z = Complex::new(T::of_f32(xa) * w, T::of_f32(xb) * w);
                }
            }
            _ => {
                let mut no_noise = Gaussian::new(0);
                self.windowed(y, t, a, &mut no_noise);
                if pair {
                    self.windowed(y, t + 1, b, &mut no_noise);
                } else {
                    b.fill(T::zero());
                }
                for ((z, &re), &im) in buffer.iter_mut().zip(a.iter()).zip(b.iter()) {
                    *z = Complex::new(re, im);
                }
            }
        }
        self.fft.process_with_scratch(buffer, fft);
        // Bin 0 pairs with itself, bin k with n - k.
        let z0 = buffer[0];
        (pa[0], pb[0]) = (z0.re * z0.re, z0.im * z0.im);
        let quarter = T::of_f64(0.25);
        let rev = buffer[n + 1 - n_bins..].iter().rev();
        for (((z, r), oa), ob) in buffer[1..n_bins].iter().zip(rev).zip(&mut pa[1..]).zip(&mut pb[1..]) {
            let (ar, ai) = (z.re + r.re, z.im - r.im);
            let (br, bi) = (z.im + r.im, r.re - z.re);
            *oa = quarter * (ar * ar + ai * ai);
            *ob = quarter * (br * br + bi * bi);
        }
        raise_to(&mut pa[..n_bins], power);
        raise_to(&mut pb[..n_bins], power);
    }

    /// Calls `sink(t, |X_t|^power)` for each frame `t` in `frames`, in order, each frame
    /// transformed alone by a real FFT: [`Stft::frame_spectra`] without the energy.
    pub fn power_spectra(
        &self,
        y: &[f32],
        power: T,
        frames: Range<usize>,
        scratch: &mut Scratch<T>,
        mut sink: impl FnMut(usize, &[T]),
    ) {
        self.frame_spectra(y, power, frames, 0, scratch, |t, spectrum, _| sink(t, spectrum));
    }

    /// Calls `sink(t, |X_t|^power, energy)` for each frame `t` in `frames`, in order, each
    /// frame through its conditioning steps (the dither's noise seeded by `seed` at the first of
    /// `frames`) and transformed alone by a real FFT (see [`Stft`]): a frame's values do not
    /// depend on which frames are asked for with it, so streams fed in blocks of any size get
    /// the same numbers. `energy` is the frame's where [`Conditioning::energy`] takes it, else 0.
    /// Whole signals without conditioning are faster through [`Stft::power_block`].
    #[inline(always)]
    pub fn frame_spectra(
        &self,
        y: &[f32],
        power: T,
        frames: Range<usize>,
        seed: u64,
        scratch: &mut Scratch<T>,
        mut sink: impl FnMut(usize, &[T], T),
    ) {
        let mut noise = Gaussian::new(seed);
        let Scratch { frames: [frame, _], bins, rfft, power: out, packed, .. } = scratch;
        for t in frames {
            let energy = self.windowed(y, t, frame, &mut noise);
            match (&self.packed, packed.as_mut()) {
                (Some(plan), Some(packed)) => plan.power(frame, packed, out),
                _ => {
                    self.rfft.process_with_scratch(frame, bins, rfft).expect("buffers sized by Stft::scratch");
                    for (o, z) in out.iter_mut().zip(bins.iter()) {
                        *o = z.re * z.re + z.im * z.im;
                    }
                }
            }
            raise_to(out, power);
            sink(t, out, energy);
        }
    }

    /// `|X|^power` of the frames `t0 .. t0 + count` (`count <= BLOCK`) laid out bin-major:
    /// `block[k][f]` is bin `k` of frame `t0 + f` (`n_bins` rows; columns from `count` on are
    /// left as they were). Frames are paired from `t0` (`t0`, `t0 + 1`), so start blocks at the
    /// same frames to get the same numbers; they match [`Stft::power_spectra`]'s up to float
    /// rounding. librosa's framings only, without conditioning (those frames go through
    /// [`Stft::frame_spectra`]).
    #[inline(always)]
    pub fn power_block(
        &self,
        y: &[f32],
        power: T,
        t0: usize,
        count: usize,
        scratch: &mut Scratch<T>,
        block: &mut [[T; BLOCK]],
    ) {
        let n_bins = self.n_bins();
        assert!(count <= BLOCK && block.len() >= n_bins, "block too small");
        assert!(
            self.frame_len == self.n_fft && self.conditioning.is_none(),
            "frames with their own steps go through frame_spectra"
        );
        // Frame-major first (frame f at spectra[f * n_bins..]), then transposed BLOCK x BLOCK
        // tiles at a time, which the compiler does in registers.
        let mut spectra = std::mem::take(&mut scratch.spectra);
        for f in (0..count).step_by(2) {
            let (pa, pb) = spectra[f * n_bins..].split_at_mut(n_bins);
            self.transform_pair(y, t0 + f, f + 1 < count, power, scratch, pa, pb);
        }
        let tiles = n_bins / BLOCK * BLOCK;
        for (k0, rows) in (0..tiles).step_by(BLOCK).zip(block.chunks_exact_mut(BLOCK)) {
            let src: [&[T]; BLOCK] = std::array::from_fn(|f| &spectra[f * n_bins + k0..][..BLOCK]);
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

/// `sum_i f(a[i], b[i])` (in `T`) with eight independent partial sums, which the compiler
/// turns into SIMD (a single running sum has to stay scalar to keep its rounding order, one
/// add's latency per value).
#[inline(always)]
pub(crate) fn sum8<A: Copy, B: Copy, T: Real>(a: &[A], b: &[B], f: impl Fn(A, B) -> T) -> T {
    let mut acc = [T::zero(); 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a8.remainder().iter().zip(b8.remainder()).fold(T::zero(), |s, (&x, &y)| s + f(x, y));
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            acc[i] = acc[i] + f(x[i], y[i]);
        }
    }
    acc.iter().fold(T::zero(), |s, &v| s + v) + tail
}

/// Frames per block of [`Stft::power_block`].
pub const BLOCK: usize = 8;

/// Power spectra `|X|^2` to `|X|^power`, in place.
#[inline(always)]
fn raise_to<T: Real>(p: &mut [T], power: T) {
    if power == T::one() {
        p.iter_mut().for_each(|v| *v = v.sqrt());
    } else if power != T::of_f64(2.0) {
        p.iter_mut().for_each(|v| *v = v.sqrt().powf(power));
    }
}

#[cfg(test)]
mod tests;
