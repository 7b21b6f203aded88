//! Tests of the STFT (`super`).
use super::*;
use crate::dsp::error::Error;

#[test]
fn tail_frames_reflect_inside_librosas_tail_block() {
    // librosa.stft(np.arange(64.), n_fft=8, hop_length=16, window="boxcar",
    // pad_mode="reflect"): the last frame is np.pad(y[60:], (0, 4), "reflect")
    // = [60, 61, 62, 63, 62, 61, 60, 61], where padding the whole signal gives ... 59.
    let p = StftParams {
        hop_length: 16,
        window: Window::Boxcar,
        framing: Framing::Centered(PadMode::Reflect),
        ..StftParams::new(8)
    };
    let stft = Stft::<f32>::new(&p).unwrap();
    let y: Vec<f32> = (0..64).map(|i| i as f32).collect();
    let mut frame = vec![0.0; 8];
    stft.windowed(&y, 4, &mut frame, &mut Gaussian::new(0));
    assert_eq!(frame, [60., 61., 62., 63., 62., 61., 60., 61.]);
    stft.windowed(&y, 0, &mut frame, &mut Gaussian::new(0)); // the head pads as the whole signal
    assert_eq!(frame, [4., 3., 2., 1., 0., 1., 2., 3.]);
}

#[test]
fn kaldi_frames_are_mirrored_past_the_ends_and_zero_padded_after() {
    // Kaldi's ExtractWindow on 0..5, frames of 4 every 2, an FFT of 8: without snip_edges,
    // (5 + 1) / 2 = 3 frames starting 4 / 2 - 2 / 2 = 1 sample early, mirrored (-1 -> 0,
    // 5 -> 4, 6 -> 3); with it, the one frame wholly inside.
    let y: Vec<f32> = (0..5).map(|i| i as f32).collect();
    let kaldi = |snip_edges| {
        let p = StftParams {
            hop_length: 2,
            win_length: 4,
            window: Window::Boxcar,
            framing: Framing::Kaldi { snip_edges },
            ..StftParams::new(8)
        };
        Stft::<f64>::new(&p).unwrap()
    };
    let s = kaldi(false);
    assert_eq!(s.n_frames(5).unwrap(), 3);
    assert!(matches!(s.n_frames(3), Err(Error::Parameter(_))));
    let mut frame = vec![f64::NAN; 8];
    for (t, want) in [(0, [0., 0., 1., 2.]), (1, [1., 2., 3., 4.]), (2, [3., 4., 4., 3.])] {
        s.windowed(&y, t, &mut frame, &mut Gaussian::new(0));
        assert_eq!(frame, [want, [0.0; 4]].concat(), "frame {t}");
    }
    let s = kaldi(true);
    assert_eq!((s.n_frames(5).unwrap(), s.n_frames(4).unwrap(), s.n_frames(3).unwrap()), (1, 1, 0));
    s.windowed(&y, 0, &mut frame, &mut Gaussian::new(0));
    assert_eq!(frame, [0., 1., 2., 3., 0., 0., 0., 0.]);
}

#[test]
fn float64_spectra_match_float32_ones() {
    let y: Vec<f32> = (0..4000).map(|i| (i as f32 * 0.031).sin() + 0.3 * (i as f32 * 0.57).cos()).collect();
    let p = StftParams { window: Window::Hamming, ..StftParams::new(400) };
    let (single, double) = (Stft::<f32>::new(&p).unwrap(), Stft::<f64>::new(&p).unwrap());
    let mut want = vec![];
    single.power_spectra(&y, 2.0, 0..10, &mut single.scratch(), |_, s| want.extend_from_slice(s));
    let mut got = vec![];
    double.power_spectra(&y, 2.0, 0..10, &mut double.scratch(), |_, s| got.extend_from_slice(s));
    let peak = want.iter().fold(0.0f32, |m, &v| m.max(v));
    for (g, w) in got.iter().zip(&want) {
        assert!((g - f64::from(*w)).abs() < 1e-5 * f64::from(peak), "{g} vs {w}");
    }
}

#[test]
fn frame_counts_follow_librosa() {
    let s = Stft::<f32>::new(&StftParams::new(2048)).unwrap();
    assert_eq!(s.n_frames(22050).unwrap(), 1 + 22050 / 512);
    assert_eq!(s.n_frames(0).unwrap(), 1);
    let odd = Stft::<f32>::new(&StftParams::new(15)).unwrap();
    assert!(matches!(odd.n_frames(0), Err(Error::Parameter(_))));
    assert_eq!(odd.n_frames(1).unwrap(), 1);
    let mut p = StftParams::new(2048);
    p.framing = Framing::Uncentered;
    let s = Stft::<f32>::new(&p).unwrap();
    assert_eq!(s.n_frames(2048 + 1023).unwrap(), 2);
    assert!(matches!(s.n_frames(100), Err(Error::Parameter(_))));
}

fn rectangular(n_fft: usize) -> Stft {
    Stft::new(&StftParams { window: Window::Boxcar, framing: Framing::Uncentered, ..StftParams::new(n_fft) }).unwrap()
}

#[test]
fn a_sine_peaks_in_its_bin() {
    let n_fft = 1024;
    let s = rectangular(n_fft);
    let k = 37.0;
    let y: Vec<f32> = (0..n_fft).map(|i| (2.0 * std::f32::consts::PI * k * i as f32 / n_fft as f32).cos()).collect();
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
        let s = Stft::<f32>::new(&StftParams { window, ..StftParams::new(n_fft) }).unwrap();
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
