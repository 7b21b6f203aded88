//! Resizing a level matrix to the image's pixels: separable interpolation along time, then
//! frequency.

/// Interpolation weights from `n_in` samples to `n_out` (a triangle filter, widened when
/// shrinking so that every input sample contributes: an area average).
pub(super) struct Taps {
    /// First input sample of output `i`.
    start: Vec<usize>,
    /// Weights of output `i`: `weights[offset[i]..offset[i + 1]]`.
    offset: Vec<usize>,
    weights: Vec<f32>,
}

impl Taps {
    pub(super) fn new(n_in: usize, n_out: usize) -> Self {
        let scale = n_in as f64 / n_out as f64;
        let radius = scale.max(1.0);
        let (mut start, mut offset, mut weights) = (Vec::with_capacity(n_out), vec![0], Vec::new());
        for i in 0..n_out {
            let centre = (i as f64 + 0.5) * scale - 0.5;
            let lo = ((centre - radius).ceil().max(0.0)) as usize;
            let hi = ((centre + radius).floor() as usize).min(n_in - 1);
            let mut w: Vec<f64> = (lo..=hi).map(|j| (1.0 - (j as f64 - centre).abs() / radius).max(0.0)).collect();
            let sum: f64 = w.iter().sum();
            if sum > 0.0 {
                w.iter_mut().for_each(|x| *x /= sum);
            } else {
                w = vec![1.0; 1];
            }
            start.push(lo.min(n_in - 1));
            weights.extend(w.into_iter().map(|x| x as f32));
            offset.push(weights.len());
        }
        Taps { start, offset, weights }
    }

    fn weights(&self, i: usize) -> &[f32] {
        &self.weights[self.offset[i]..self.offset[i + 1]]
    }

    /// `out[i] = sum_k w[i][k] * input[start[i] + k]` for every output `i`: one line resized.
    #[inline(always)]
    pub(super) fn resample(&self, input: &[f32], out: &mut [f32]) {
        for (i, o) in out.iter_mut().enumerate() {
            let x = &input[self.start[i]..];
            *o = self.weights(i).iter().zip(x).map(|(w, v)| w * v).sum();
        }
    }

    /// `out[x] = sum_k w[i][k] * rows[start[i] + k][x]`: output line `i` from input lines of
    /// `width` values (a loop over contiguous memory, which the compiler vectorises).
    #[inline(always)]
    pub(super) fn line(&self, input: &[f32], width: usize, i: usize, out: &mut [f32]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        for (k, &w) in self.weights(i).iter().enumerate() {
            let row = &input[(self.start[i] + k) * width..(self.start[i] + k + 1) * width];
            out.iter_mut().zip(row).for_each(|(o, &v)| *o += w * v);
        }
    }
}
