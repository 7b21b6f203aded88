//! The pure Rust core: no Python here. One module per stage of the data flow, in its order:
//!
//! decode -> resample -> stft -> filterbank -> spectrogram -> db -> image -> encode
//!
//! [`pipeline`] runs one whole file through the stages, [`pool`] runs many at once,
//! [`long_file`] reads long files in bounded memory and [`live`] turns pushed blocks into
//! columns; they call the stages and nothing calls them back. [`plans`] keeps planned stages
//! for later calls. [`error`] is the one error type; [`info`] says what this build and CPU give.

pub mod db;
pub mod decode;
pub mod encode;
pub mod error;
pub mod features;
pub mod filterbank;
pub mod image;
pub mod info;
pub mod live;
pub mod long_file;
pub mod pipeline;
pub mod plans;
pub mod pool;
pub mod resample;
pub mod spectrogram;
pub mod stft;

pub use error::{Error, Result};
