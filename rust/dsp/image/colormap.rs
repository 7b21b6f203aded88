//! Colour maps: the original spectrust gradient, matplotlib's magma, inferno and viridis
//! (tables in `colormap_data.rs`), and grey scales.

use super::colormap_data::{INFERNO, MAGMA, VIRIDIS};
use crate::dsp::error::{Error, Result};

/// Colour maps. `Spectrust` is the original spectrust gradient: black, blue, cyan, yellow,
/// red, linearly interpolated in RGB at 0, 1/4, 1/2, 3/4 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    Spectrust,
    Magma,
    Inferno,
    Viridis,
    Gray,
    GrayR,
}

impl Colormap {
    pub const NAMES: [&'static str; 6] = ["spectrust", "magma", "inferno", "viridis", "gray", "gray_r"];

    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "spectrust" => Colormap::Spectrust,
            "magma" => Colormap::Magma,
            "inferno" => Colormap::Inferno,
            "viridis" => Colormap::Viridis,
            "gray" | "grey" => Colormap::Gray,
            "gray_r" | "grey_r" => Colormap::GrayR,
            other => {
                return Err(Error::Parameter(format!(
                    "unknown colormap {other:?}; expected one of {}",
                    Self::NAMES.join(", ")
                )))
            }
        })
    }

    /// The colour of `v` in [0, 1], each channel in [0, 1] (matplotlib's lookup for tables).
    pub fn color(self, v: f32) -> [f32; 3] {
        let v = v.clamp(0.0, 1.0);
        let table = |t: &[[f32; 3]; 256]| t[((v * 256.0) as usize).min(255)];
        match self {
            Colormap::Spectrust => {
                const STOPS: [[f32; 3]; 5] = [[0., 0., 0.], [0., 0., 1.], [0., 1., 1.], [1., 1., 0.], [1., 0., 0.]];
                let x = v * 4.0;
                let i = (x as usize).min(3);
                let f = x - i as f32;
                let (a, b) = (STOPS[i], STOPS[i + 1]);
                [0, 1, 2].map(|c| a[c] + (b[c] - a[c]) * f)
            }
            Colormap::Magma => table(&MAGMA),
            Colormap::Inferno => table(&INFERNO),
            Colormap::Viridis => table(&VIRIDIS),
            Colormap::Gray => [v; 3],
            Colormap::GrayR => [1.0 - v; 3],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spectrust_gradient_stops() {
        let c = Colormap::Spectrust;
        assert_eq!(c.color(0.0), [0.0, 0.0, 0.0]);
        assert_eq!(c.color(0.25), [0.0, 0.0, 1.0]);
        assert_eq!(c.color(0.5), [0.0, 1.0, 1.0]);
        assert_eq!(c.color(0.75), [1.0, 1.0, 0.0]);
        assert_eq!(c.color(1.0), [1.0, 0.0, 0.0]);
        assert_eq!(c.color(0.125), [0.0, 0.0, 0.5]);
    }
}
