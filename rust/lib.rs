//! spectrust: fast mel spectrograms.
//!
//! `dsp` is the pure Rust core (decode, STFT, mel filterbank, dB, colour, encode, batch);
//! it knows nothing of Python. `py` holds the PyO3 bindings and is only built with the
//! `python` feature (which maturin enables).

pub mod dsp;

#[cfg(feature = "python")]
mod py;
