//! Sample-rate conversion by a rational ratio, in the frequency domain.
//!
//! The input is cut into overlapping blocks of `n_in = p * a` samples (`sr_in / sr_out = p / q`
//! in lowest terms). Each block's spectrum, up to the lower of the two Nyquist frequencies, is
//! multiplied by the anti-aliasing filter's and taken back to the time domain by an inverse FFT
//! of `n_out = q * a` points, which samples the filtered block at the output rate
//! (overlap-save: the outputs near a block's edges, which the circular convolution wraps, are
//! dropped, and blocks advance by `p * b` inputs, `q * b` outputs). Blocks go two at a time,
//! block `2k` as the real part and block `2k + 1` as the imaginary part of one complex signal:
//! the filter's spectrum is real and even (a zero-phase kernel), so the filtered pair stays
//! `filtered(2k) + i filtered(2k + 1)`, and one complex FFT each way does the work of two real
//! ones, without their packing and unpacking passes.
//!
//! The filter is a zero-phase Kaiser-windowed sinc, so outputs keep the input's timing
//! exactly: output `m` is the band-limited input at time `m * sr_in / sr_out` input samples. Its
//! response follows soxr's "HQ" recipe (librosa's default `res_type`): flat (0.01 dB) to 91 %
//! of the lower Nyquist frequency, -6 dB at 95.7 %, and 130 dB down from 99.9 % on, so
//! nothing aliases. Blocks sit at fixed positions of the whole signal: a
//! signal pushed in blocks of any sizes gives the same output as in one call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use realfft::RealFftPlanner;
use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

use super::error::{ensure_param, Error, Result};

/// The filter's -6 dB point, as a fraction of the lower of the two Nyquist frequencies.
const CUTOFF: f64 = 0.957;
/// The width of the transition band (from the end of the pass band to the start of the stop
/// band), as a fraction of the lower Nyquist frequency: the stop band starts at 0.999.
const TRANSITION: f64 = 0.084;
/// The stop band's attenuation in dB (the Kaiser window's design target). With the two above,
/// the response is within 0.11 dB of soxr HQ's from 93 % to 98 % of the Nyquist frequency
/// (-0.06 dB at 93 %, -2.8 at 95 %, -17.8 at 97 %, -34 at 98 %, -62 at 99 %).
const ATTENUATION_DB: f64 = 130.0;
/// Input samples a block has at least. Blocks are `p * a` inputs with `a` a power of two, so
/// that the FFT sizes have the ratio's factors and twos only (for 22.05 or 44.1 to 16 kHz:
/// 7056 and 5120 points; blocks of 8820 inputs, or of about 8192, were slower).
const BLOCK_TARGET: usize = 4096;

/// The number of frames `frames` input frames resample to: librosa's count,
/// `ceil(frames * (sr_out / sr_in))` in float64 arithmetic (which is one more than the exact
/// ceiling when the product rounds up past a whole number, as 11025 * (48000 / 44100) does).
pub fn output_frames(frames: u64, sr_in: u32, sr_out: u32) -> u64 {
    (frames as f64 * (f64::from(sr_out) / f64::from(sr_in))).ceil() as u64
}

/// The frames that carry the signal: soxr's own count, `round(frames * sr_out / sr_in)`.
/// librosa pads soxr's output with zeros to [`output_frames`], so the (at most one) frame past
/// these is zero here too.
pub fn signal_frames(frames: u64, sr_in: u32, sr_out: u32) -> u64 {
    (frames as f64 * f64::from(sr_out) / f64::from(sr_in) + 0.5) as u64
}

/// Resamples mono `samples` from `sr_in` to `sr_out` Hz into `out`, which holds
/// [`output_frames`] frames (a slot of a batch's output), as [`resample`] gives them.
pub fn resample_into(samples: &[f32], sr_in: u32, sr_out: u32, out: &mut [f32]) -> Result<()> {
    ensure_param!(sr_in > 0 && sr_out > 0, "sample rates must be positive, got {sr_in} and {sr_out}");
    if sr_in == sr_out || samples.is_empty() {
        ensure_param!(out.len() == samples.len(), "{} outputs for {}", out.len(), samples.len());
        out.copy_from_slice(samples);
        return Ok(());
    }
    StreamResampler::new(1, sr_in, sr_out)?.mono_into(samples, out)
}

/// Resamples interleaved `samples` (`channels` per frame) from `sr_in` to `sr_out` Hz. The
/// output has [`output_frames`] frames, aligned with the input (no delay), those past
/// [`signal_frames`] zero.
pub fn resample(samples: &[f32], channels: usize, sr_in: u32, sr_out: u32) -> Result<Vec<f32>> {
    ensure_param!(sr_in > 0 && sr_out > 0, "sample rates must be positive, got {sr_in} and {sr_out}");
    if sr_in == sr_out || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let mut stream = StreamResampler::new(channels, sr_in, sr_out)?;
    if channels == 1 {
        return stream.mono(samples);
    }
    let frames = (samples.len() / channels) as u64;
    let mut out = Vec::with_capacity(output_frames(frames, sr_in, sr_out) as usize * channels);
    // A block's worth at a time, so that the windows stay in the cache.
    for part in samples.chunks(stream.plan.step_in * channels) {
        stream.push(part, &mut out);
    }
    stream.finish(&mut out);
    Ok(out)
}

/// A planned conversion between two rates: block sizes, FFTs and the filter's spectrum,
/// shared by every resampler of that pair of rates.
struct Plan {
    /// FFT sizes: a block's inputs and its outputs.
    n_in: usize,
    n_out: usize,
    /// Inputs a block advances by, and the outputs it gives.
    step_in: usize,
    step_out: usize,
    /// Inputs before the first output a block gives (the overlap), and the outputs they cover.
    lead_in: usize,
    lead_out: usize,
    /// The filter's spectrum on the bins kept (up to the lower Nyquist frequency), scaled by
    /// `1 / n_in` (the FFTs are unnormalised); real, and the same at `-k` as at `k`.
    filter: Vec<f32>,
    forward: Arc<dyn Fft<f32>>,
    inverse: Arc<dyn Fft<f32>>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The modified Bessel function of the first kind, order 0 (its power series).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
    while term > 1e-17 * sum {
        term *= (x / (2.0 * k)).powi(2);
        sum += term;
        k += 1.0;
    }
    sum
}

impl Plan {
    fn new(sr_in: u32, sr_out: u32) -> Result<Self> {
        let g = gcd(u64::from(sr_in), u64::from(sr_out));
        let (p, q) = ((u64::from(sr_in) / g) as usize, (u64::from(sr_out) / g) as usize);
        // The filter, designed at the input rate: cutoff and transition relative to the lower
        // Nyquist frequency, in cycles per input sample.
        let nyquist = 0.5 * f64::from(sr_in.min(sr_out)) / f64::from(sr_in);
        let (cutoff, width) = (CUTOFF * nyquist, TRANSITION * nyquist);
        let beta = 0.1102 * (ATTENUATION_DB - 8.7);
        let half = ((ATTENUATION_DB - 7.95) / (2.285 * 2.0 * std::f64::consts::PI * width) / 2.0).ceil() as usize;
        // Blocks: `lead` whole output periods (p inputs each) cover the filter's half length
        // on either side of the `b = a - 2 lead` periods a block gives (at least half of it).
        let lead = half.div_ceil(p).max(1);
        let a = (4 * lead).max(BLOCK_TARGET.div_ceil(p)).next_power_of_two();
        let (n_in, n_out) = (p * a, q * a);
        ensure_param!(
            n_in <= 1 << 26 && n_out <= 1 << 26,
            "cannot resample {sr_in} Hz to {sr_out} Hz: the ratio {p}/{q} needs blocks of {n_in} samples"
        );
        // The zero-phase kernel, placed circularly (tap n at n, tap -n at n_in - n), and its
        // spectrum, in f64.
        let mut kernel = vec![0.0f64; n_in];
        for n in 0..=half {
            let x = n as f64;
            let ideal = if n == 0 {
                2.0 * cutoff
            } else {
                (2.0 * std::f64::consts::PI * cutoff * x).sin() / (std::f64::consts::PI * x)
            };
            let window = bessel_i0(beta * (1.0 - (x / half as f64).powi(2)).max(0.0).sqrt()) / bessel_i0(beta);
            kernel[n] = ideal * window;
            if n > 0 {
                kernel[n_in - n] = kernel[n];
            }
        }
        let dc: f64 = kernel.iter().sum();
        let mut planner64 = RealFftPlanner::<f64>::new();
        let fft64 = planner64.plan_fft_forward(n_in);
        let mut spectrum = fft64.make_output_vec();
        fft64.process(&mut kernel, &mut spectrum).map_err(|e| Error::Internal(format!("filter design: {e}")))?;
        let kept = n_in.min(n_out) / 2 + 1;
        let filter = spectrum[..kept].iter().map(|h| (h.re / dc / n_in as f64) as f32).collect();
        let (forward, inverse) = {
            let mut planner = planner().lock().unwrap_or_else(|e| e.into_inner());
            (planner.plan_fft_forward(n_in), planner.plan_fft_inverse(n_out))
        };
        let b = a - 2 * lead;
        Ok(Plan {
            n_in,
            n_out,
            step_in: p * b,
            step_out: q * b,
            lead_in: p * lead,
            lead_out: q * lead,
            filter,
            forward,
            inverse,
        })
    }

    /// The plan for a pair of rates, made once and shared.
    fn shared(sr_in: u32, sr_out: u32) -> Result<Arc<Plan>> {
        type Plans = Mutex<HashMap<(u32, u32), Arc<Plan>>>;
        static PLANS: OnceLock<Plans> = OnceLock::new();
        let plans = PLANS.get_or_init(Default::default);
        if let Some(plan) = plans.lock().unwrap_or_else(|e| e.into_inner()).get(&(sr_in, sr_out)) {
            return Ok(plan.clone());
        }
        let plan = Arc::new(Plan::new(sr_in, sr_out)?);
        plans.lock().unwrap_or_else(|e| e.into_inner()).insert((sr_in, sr_out), plan.clone());
        Ok(plan)
    }
}

/// The FFT planner of the resamplers (it keeps one plan per size).
fn planner() -> &'static Mutex<FftPlanner<f32>> {
    static PLANNER: OnceLock<Mutex<FftPlanner<f32>>> = OnceLock::new();
    PLANNER.get_or_init(|| Mutex::new(FftPlanner::new()))
}

/// Sets the real (`imag == false`) or imaginary parts of `buf` to `y[at..at + buf.len()]`, zero
/// where that lies outside `y`.
fn fill_part(buf: &mut [Complex32], y: &[f32], at: isize, imag: bool) {
    let from = at.clamp(0, y.len() as isize) as usize;
    let to = (at + buf.len() as isize).clamp(from as isize, y.len() as isize) as usize;
    // (Where `y` ends before `at`, nothing of it: `from == to`, any offset.)
    let offset = if to > from { (from as isize - at) as usize } else { 0 };
    let set = |c: &mut Complex32, v: f32| if imag { c.im = v } else { c.re = v };
    buf[..offset].iter_mut().for_each(|c| set(c, 0.0));
    for (c, &v) in buf[offset..offset + (to - from)].iter_mut().zip(&y[from..to]) {
        set(c, v);
    }
    buf[offset + (to - from)..].iter_mut().for_each(|c| set(c, 0.0));
}

/// A resampler fed block by block: the same output as [`resample`] on the whole signal, with
/// memory bounded by a block per channel whatever the length.
pub struct StreamResampler {
    plan: Arc<Plan>,
    rates: (u32, u32),
    channels: usize,
    /// Per channel, the input from the current block's first sample on (it starts `lead_in`
    /// samples before the signal: zeros); blocks start at `start`, which moves on by a step a
    /// block (the samples before it are dropped once a push is done, not at every block).
    windows: Vec<Vec<f32>>,
    start: usize,
    /// Two blocks as one complex signal, then its spectrum.
    pair: Vec<Complex32>,
    /// The filtered spectrum at the output rate, then the two blocks' outputs.
    filtered: Vec<Complex32>,
    scratch: Vec<Complex32>,
    frames_in: u64,
    frames_out: u64,
}

impl StreamResampler {
    pub fn new(channels: usize, sr_in: u32, sr_out: u32) -> Result<Self> {
        ensure_param!(sr_in > 0 && sr_out > 0, "sample rates must be positive, got {sr_in} and {sr_out}");
        ensure_param!(channels > 0, "need at least one channel");
        let plan = Plan::shared(sr_in, sr_out)?;
        let scratch_len = plan.forward.get_inplace_scratch_len().max(plan.inverse.get_inplace_scratch_len());
        Ok(StreamResampler {
            rates: (sr_in, sr_out),
            channels,
            windows: vec![vec![0.0; plan.lead_in]; channels],
            start: 0,
            pair: vec![Complex32::default(); plan.n_in],
            filtered: vec![Complex32::default(); plan.n_out],
            scratch: vec![Complex32::default(); scratch_len],
            frames_in: 0,
            frames_out: 0,
            plan,
        })
    }

    /// Resamples interleaved `samples`, appending what is ready to `out`.
    pub fn push(&mut self, samples: &[f32], out: &mut Vec<f32>) {
        let c = self.channels;
        self.frames_in += (samples.len() / c) as u64;
        if c == 1 {
            self.windows[0].extend_from_slice(samples);
        } else {
            for (ch, window) in self.windows.iter_mut().enumerate() {
                window.extend(samples.chunks_exact(c).map(|frame| frame[ch]));
            }
        }
        while self.windows[0].len() - self.start >= self.plan.step_in + self.plan.n_in {
            self.blocks(out);
        }
        for window in &mut self.windows {
            window.drain(..self.start);
        }
        self.start = 0;
    }

    /// Flushes the rest: the output then holds [`output_frames`] frames in all, those past
    /// [`signal_frames`] zero.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let expected = output_frames(self.frames_in, self.rates.0, self.rates.1);
        let (start, first) = (out.len(), self.frames_out);
        while self.frames_out < expected {
            for window in &mut self.windows {
                window.resize((self.start + self.plan.step_in + self.plan.n_in).max(window.len()), 0.0);
            }
            self.blocks(out);
        }
        let extra = ((self.frames_out - expected) as usize * self.channels).min(out.len() - start);
        out.truncate(out.len() - extra);
        self.frames_out = expected;
        // (Frames that need inputs past the end all come out here, never from `push`.)
        let signal = signal_frames(self.frames_in, self.rates.0, self.rates.1).clamp(first, expected);
        let zero_from = (start + (signal - first) as usize * self.channels).min(out.len());
        out[zero_from..].fill(0.0);
    }

    /// Resamples the two blocks at `start` of every window and moves `start` on by two steps.
    fn blocks(&mut self, out: &mut Vec<f32>) {
        let (c, step, step_in) = (self.channels, self.plan.step_out, self.plan.step_in);
        let at = out.len();
        out.resize(at + 2 * step * c, 0.0);
        for ch in 0..c {
            let window = &self.windows[ch][self.start..];
            fill_part(&mut self.pair, window, 0, false);
            fill_part(&mut self.pair, &window[step_in..], 0, true);
            let outputs = self.transform();
            let frames = out[at..].chunks_exact_mut(c);
            for (frame, v) in frames.zip(outputs.iter().map(|v| v.re).chain(outputs.iter().map(|v| v.im))) {
                frame[ch] = v;
            }
        }
        self.start += 2 * step_in;
        self.frames_out += 2 * step as u64;
    }

    /// A whole mono signal at once, its blocks read straight from `y` (zeros beyond its ends)
    /// rather than through the window: what `push` and `finish` give, one copy fewer.
    fn mono(self, y: &[f32]) -> Result<Vec<f32>> {
        let mut out = vec![0.0; output_frames(y.len() as u64, self.rates.0, self.rates.1) as usize];
        self.mono_into(y, &mut out)?;
        Ok(out)
    }

    /// [`Self::mono`] into `out`, which holds [`output_frames`] of `y` (a slot of a batch's
    /// output): each block's outputs go straight there.
    fn mono_into(mut self, y: &[f32], out: &mut [f32]) -> Result<()> {
        let expected = output_frames(y.len() as u64, self.rates.0, self.rates.1) as usize;
        ensure_param!(out.len() == expected, "{} outputs for {expected}", out.len());
        let step = self.plan.step_in as isize;
        // The first block starts `lead_in` samples before the signal.
        let (mut at, mut written) = (-(self.plan.lead_in as isize), 0);
        while written < expected {
            fill_part(&mut self.pair, y, at, false);
            fill_part(&mut self.pair, y, at + step, true);
            let outputs = self.transform();
            for part in [false, true] {
                let n = outputs.len().min(expected - written);
                let values = outputs[..n].iter().map(|v| if part { v.im } else { v.re });
                out[written..written + n].iter_mut().zip(values).for_each(|(o, v)| *o = v);
                written += n;
            }
            at += 2 * step;
        }
        out[(signal_frames(y.len() as u64, self.rates.0, self.rates.1) as usize).min(expected)..].fill(0.0);
        Ok(())
    }

    /// The outputs of the two blocks in `pair` (which the FFT overwrites), as the real and
    /// imaginary parts: FFT, filter, inverse FFT at the output rate, less the overlap.
    fn transform(&mut self) -> &[Complex32] {
        let plan = &*self.plan;
        let (n_in, n_out) = (plan.n_in, plan.n_out);
        plan.forward.process_with_scratch(&mut self.pair, &mut self.scratch);
        let (z, w, h) = (&self.pair, &mut self.filtered, &plan.filter);
        let kept = h.len();
        w.fill(Complex32::default());
        // Bins 0..kept and their negatives, -1..-kept (a real input's spectrum is conjugate
        // symmetric, so the two halves of the pair stay apart).
        for ((w, z), &h) in w[..kept].iter_mut().zip(&z[..kept]).zip(h) {
            *w = z * h;
        }
        for ((w, z), &h) in w[n_out - kept + 1..].iter_mut().rev().zip(z[n_in - kept + 1..].iter().rev()).zip(&h[1..]) {
            *w = z * h;
        }
        if n_out < n_in && n_out.is_multiple_of(2) {
            // The output's Nyquist bin, where the two meet: what a real inverse FFT takes of
            // each block's (their spectra's real parts at that frequency).
            let k = n_out / 2;
            w[k] = (z[k] + z[n_in - k]) * (0.5 * h[k]);
        }
        plan.inverse.process_with_scratch(&mut self.filtered, &mut self.scratch);
        &self.filtered[plan.lead_out..plan.lead_out + plan.step_out]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The level in dB (re amplitude 1) and phase of the `freq` Hz component of `y` at `sr` Hz
    /// over `range`, by a least-squares fit of a sine and a cosine.
    fn tone(y: &[f32], sr: f64, freq: f64, range: std::ops::Range<usize>) -> (f64, f64) {
        let w = |i: usize| 2.0 * std::f64::consts::PI * freq * i as f64 / sr;
        let n = range.len() as f64;
        let a: f64 = range.clone().map(|i| y[i] as f64 * w(i).sin()).sum::<f64>() * 2.0 / n;
        let b: f64 = range.map(|i| y[i] as f64 * w(i).cos()).sum::<f64>() * 2.0 / n;
        (20.0 * (a * a + b * b).sqrt().log10(), b.atan2(a))
    }

    fn sine(freq: f64, sr: u32, n: usize) -> Vec<f32> {
        (0..n).map(|i| (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(sr)).sin() as f32).collect()
    }

    #[test]
    fn a_tone_keeps_its_frequency_and_level() {
        let (sr_in, sr_out) = (44100u32, 16000u32);
        let f = 1000.0;
        let y = resample(&sine(f, sr_in, sr_in as usize), 1, sr_in, sr_out).unwrap();
        assert_eq!(y.len(), sr_out as usize);
        // Away from the edges, y is a pure 1 kHz tone of amplitude 1.
        let w = |i: usize| 2.0 * std::f64::consts::PI * f * i as f64 / sr_out as f64;
        let range = 2000..14000;
        let n = range.len() as f64;
        let a: f64 = range.clone().map(|i| y[i] as f64 * w(i).sin()).sum::<f64>() * 2.0 / n;
        let b: f64 = range.clone().map(|i| y[i] as f64 * w(i).cos()).sum::<f64>() * 2.0 / n;
        assert!(((a * a + b * b).sqrt() - 1.0).abs() < 1e-3, "amplitude {a} {b}");
        let residual = range.map(|i| (y[i] as f64 - a * w(i).sin() - b * w(i).cos()).abs()).fold(0.0, f64::max);
        assert!(residual < 1e-3, "max residual {residual}");
    }

    #[test]
    fn stereo_channels_stay_apart() {
        let x: Vec<f32> = (0..8000).flat_map(|_| [0.5, -0.25]).collect();
        let y = resample(&x, 2, 8000, 22050).unwrap();
        assert_eq!(y.len(), 2 * 22050);
        assert!((y[2 * 11000] - 0.5).abs() < 1e-3 && (y[2 * 11000 + 1] + 0.25).abs() < 1e-3);
    }

    #[test]
    fn blocks_of_any_size_give_what_one_call_gives() {
        // (50_002 samples: each output count here rounds down, so the last frame is padding.)
        let x: Vec<f32> = (0..50_002).map(|i| ((i as f32 * 0.013).sin() + (i as f32 * 0.4).cos()) * 0.5).collect();
        for (sr_in, sr_out) in [(44100, 16000), (16000, 44100), (48000, 16000)] {
            let whole = resample(&x, 1, sr_in, sr_out).unwrap();
            assert_eq!(whole.len() as u64, output_frames(x.len() as u64, sr_in, sr_out));
            // soxr's count of frames, then librosa's zero padding.
            let signal = signal_frames(x.len() as u64, sr_in, sr_out) as usize;
            assert_eq!(signal, whole.len() - 1);
            assert!(whole[signal - 1] != 0.0 && whole[signal] == 0.0);
            let stereo: Vec<f32> = x.iter().flat_map(|&v| [v, -v]).collect();
            let both = resample(&stereo, 2, sr_in, sr_out).unwrap();
            assert!(both.chunks_exact(2).zip(&whole).all(|(f, &v)| f[0] == v && f[1] == -v));
            for block in [1000, 8192, 8193, 50_000] {
                let mut s = StreamResampler::new(1, sr_in, sr_out).unwrap();
                let mut out = Vec::new();
                for b in x.chunks(block) {
                    s.push(b, &mut out);
                }
                s.finish(&mut out);
                assert_eq!(out, whole, "{sr_in} -> {sr_out} in blocks of {block}");
            }
        }
    }

    #[test]
    fn the_pass_band_is_flat_and_the_stop_band_over_100_db_down() {
        let (sr_in, sr_out) = (44100u32, 16000u32);
        let nyquist = f64::from(sr_out) / 2.0;
        let n = sr_in as usize * 2;
        for frac in [0.05, 0.3, 0.6, 0.875, 0.9] {
            let y = resample(&sine(frac * nyquist, sr_in, n), 1, sr_in, sr_out).unwrap();
            let (level, _) = tone(&y, f64::from(sr_out), frac * nyquist, 4000..28000);
            assert!(level.abs() < 0.01, "{frac} of Nyquist: {level} dB");
        }
        for frac in [1.0, 1.02, 1.1, 1.5, 2.5] {
            let y = resample(&sine(frac * nyquist, sr_in, n), 1, sr_in, sr_out).unwrap();
            let peak = y[4000..28000].iter().fold(0.0f32, |m, &v| m.max(v.abs()));
            assert!(20.0 * f64::from(peak).log10() < -100.0, "{frac} of Nyquist leaves {peak}");
        }
    }

    #[test]
    fn outputs_keep_the_inputs_timing() {
        // A 1 kHz tone resampled and a 1 kHz tone made at the output rate have one phase.
        for (sr_in, sr_out) in [(44100u32, 16000u32), (22050, 16000), (16000, 48000)] {
            let y = resample(&sine(1000.0, sr_in, sr_in as usize), 1, sr_in, sr_out).unwrap();
            let (_, phase) = tone(&y, f64::from(sr_out), 1000.0, 2000..(sr_out as usize - 2000));
            let samples = phase / (2.0 * std::f64::consts::PI) * f64::from(sr_out) / 1000.0;
            assert!(samples.abs() < 0.01, "{sr_in} -> {sr_out}: {samples} samples early");
        }
    }

    #[test]
    fn plans_fit_odd_ratios() {
        for (sr_in, sr_out) in [(44101, 16000), (8000, 44100), (384000, 8000), (11025, 11024)] {
            let y = resample(&sine(440.0, sr_in, 20_000), 1, sr_in, sr_out).unwrap();
            assert_eq!(y.len() as u64, output_frames(20_000, sr_in, sr_out));
        }
        assert!(matches!(resample(&[0.0; 10], 1, 0, 16000), Err(Error::Parameter(_))));
    }
}
