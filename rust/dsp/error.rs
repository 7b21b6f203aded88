//! The one error type of the core, a variant per kind of failure. Every message is one line
//! and names the file (where there is one) and the reason; the binding layer maps each variant
//! to a Python exception.

use std::path::Path;

/// Errors of the DSP core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input file does not exist.
    #[error("{path}: no such file")]
    NotFound { path: String },
    /// An I/O error reading or writing `path` (permission denied, disk full, ...).
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid audio of a format we read (bad header, truncated, empty, ...).
    #[error("{path}: cannot decode: {reason}")]
    Decode { path: String, reason: String },
    /// The file is valid audio of a format or codec that is not supported.
    #[error("{path}: unsupported format: {reason}")]
    Unsupported { path: String, reason: String },
    /// The file decodes to more than `max_duration` seconds (decoding stopped there).
    #[error("{path}: longer than max_duration = {max_duration} s (raise max_duration to read it)")]
    TooLong { path: String, max_duration: f64 },
    /// The file is valid but holds no audio samples.
    #[error("{path}: contains no audio samples")]
    Empty { path: String },
    /// A parameter is out of range or inconsistent with another.
    #[error("{0}")]
    Parameter(String),
    /// Encoding or writing the output image failed for a reason other than I/O.
    #[error("{path}: cannot write image: {reason}")]
    Encode { path: String, reason: String },
    /// A failure of spectrust itself, not of its input: a caught panic, a thread pool that
    /// could not start, a resampler that refused its buffers.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand for results of the core.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn decode(path: &Path, reason: impl Into<String>) -> Self {
        Error::Decode { path: path.display().to_string(), reason: reason.into() }
    }

    pub(crate) fn unsupported(path: &Path, reason: impl Into<String>) -> Self {
        Error::Unsupported { path: path.display().to_string(), reason: reason.into() }
    }

    pub(crate) fn encode(path: &Path, reason: impl Into<String>) -> Self {
        Error::Encode { path: path.display().to_string(), reason: reason.into() }
    }

    pub(crate) fn empty(path: &Path) -> Self {
        Error::Empty { path: path.display().to_string() }
    }

    /// An I/O error on `path`; a missing file becomes [`Error::NotFound`].
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound { path: path.display().to_string() }
        } else {
            Error::Io { path: path.display().to_string(), source }
        }
    }
}

thread_local! {
    /// Set while `catch_panic` runs a closure on this thread: its panics become errors, so
    /// the panic hook keeps quiet about them.
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs (once) a panic hook that prints nothing for panics `catch_panic` turns into
/// errors (a corrupt file must give one line, not a backtrace on stderr) and defers to the
/// previous hook for every other panic.
fn quiet_caught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(|c| c.get()) {
                previous(info);
            }
        }));
    });
}

/// Calls `f`; a panic inside it becomes the error `on_panic(message)` instead of unwinding
/// further (a panic must never reach Python).
pub fn catch_panic<T>(f: impl FnOnce() -> Result<T>, on_panic: impl FnOnce(String) -> Error) -> Result<T> {
    quiet_caught_panics();
    let outer = CATCHING.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(outer));
    result.unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(on_panic(msg))
    })
}

/// Calls `f`, turning a panic into [`Error::Internal`] instead of unwinding further.
pub fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_panic(f, Error::Internal)
}

/// Returns `Err(Error::Parameter(..))` built with `format!` when `cond` is false (so a NaN
/// compared with anything fails the check).
macro_rules! ensure_param {
    ($cond:expr, $($fmt:tt)+) => {
        let holds: bool = $cond;
        if !holds {
            return Err($crate::dsp::error::Error::Parameter(format!($($fmt)+)));
        }
    };
}
pub(crate) use ensure_param;
