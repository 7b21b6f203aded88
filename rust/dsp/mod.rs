//! The pure Rust core: no Python here.

pub mod batch;
mod colormap_data;
pub mod db;
pub mod decode;
pub mod error;
pub mod mel;
pub mod render;
pub mod resample;
pub mod scale;
pub mod spectrogram;
pub mod stft;
pub mod stream;
pub mod streaming;

pub use error::{Error, Result};
