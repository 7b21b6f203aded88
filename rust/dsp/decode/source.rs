//! Where audio comes from: a file, or the bytes of one in memory, read the same way.

use std::fs::File;
use std::io::{Cursor, ErrorKind, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::dsp::error::{Error, Result};

/// An audio file to read: a path, or its bytes (an upload, a record of a dataset, a file
/// object read into memory, ...) with the name errors give them.
#[derive(Debug, Clone)]
pub enum Input {
    Path(PathBuf),
    Bytes { data: Bytes, name: PathBuf },
}

/// The bytes of a file in memory, shared without a copy: owned here, or held where they lie by
/// their owner (a Python `bytes` object).
#[derive(Clone)]
pub struct Bytes(Arc<dyn AsRef<[u8]> + Send + Sync>);

impl Bytes {
    /// The bytes `owner` holds, read where they lie for as long as it lives.
    pub fn held(owner: impl AsRef<[u8]> + Send + Sync + 'static) -> Self {
        Bytes(Arc::new(owner))
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        (*self.0).as_ref()
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.as_ref().len())
    }
}

impl<T: Into<Arc<[u8]>>> From<T> for Bytes {
    fn from(data: T) -> Self {
        let data: Arc<[u8]> = data.into();
        Bytes(Arc::new(data))
    }
}

impl From<&Path> for Input {
    fn from(path: &Path) -> Self {
        Input::Path(path.to_path_buf())
    }
}

/// What a reader reads from: a file or a cursor over bytes.
pub(super) trait ReadSeek: Read + Seek + Send + Sync {}
impl<T: Read + Seek + Send + Sync> ReadSeek for T {}

/// An opened input and its length in bytes.
pub(super) struct Stream {
    pub reader: Box<dyn ReadSeek>,
    pub len: u64,
}

/// The name of bytes that come without one.
pub const BYTES_NAME: &str = "<bytes>";

impl Input {
    /// Bytes in memory, named `name` in errors (`<bytes>` when `None`).
    pub fn bytes(data: impl Into<Bytes>, name: Option<&str>) -> Self {
        Input::Bytes { data: data.into(), name: PathBuf::from(name.unwrap_or(BYTES_NAME)) }
    }

    /// The name errors give the input: its path, or the name of its bytes.
    pub fn name(&self) -> &Path {
        match self {
            Input::Path(path) => path,
            Input::Bytes { name, .. } => name,
        }
    }

    /// Opens the input for reading, turning the usual failures into one-line errors.
    pub(super) fn open(&self) -> Result<Stream> {
        let (reader, len): (Box<dyn ReadSeek>, u64) = match self {
            Input::Path(path) => {
                let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
                if meta.is_dir() {
                    return Err(Error::decode(path, "is a directory, not an audio file"));
                }
                if !meta.is_file() {
                    // A FIFO or a device would block or never end.
                    return Err(Error::decode(path, "not a regular file"));
                }
                (Box::new(File::open(path).map_err(|e| Error::io(path, e))?), meta.len())
            }
            Input::Bytes { data, .. } => (Box::new(Cursor::new(data.clone())), data.as_ref().len() as u64),
        };
        if len == 0 {
            return Err(Error::decode(self.name(), "empty file"));
        }
        Ok(Stream { reader, len })
    }
}

/// Whether the reader of a [`Media`] has failed (the operating system refused a read or a
/// seek), shared with whoever maps symphonia's errors: its demuxers and codecs also make up
/// I/O errors of their own on corrupt data (a bit reader past the end of a packet, ...), which
/// are decode errors, not I/O errors of the file.
#[derive(Debug, Clone, Default)]
pub(super) struct ReaderFailed(Arc<AtomicBool>);

impl ReaderFailed {
    /// Whether the reader has failed.
    pub(super) fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Records `err`, returned by the reader, unless it is `Interrupted` (retried) or, for a
    /// `seek`, `InvalidInput` (a position before the start, which a corrupt offset asked for).
    fn record(&self, err: &std::io::Error, seek: bool) {
        if err.kind() != ErrorKind::Interrupted && !(seek && err.kind() == ErrorKind::InvalidInput) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// symphonia reads any seekable stream of known length; the failures of its reader are
/// recorded in `failed`.
pub(super) struct Media {
    pub stream: Stream,
    pub failed: ReaderFailed,
}

impl Read for Media {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stream.reader.read(buf).inspect_err(|e| self.failed.record(e, false))
    }
}

impl Seek for Media {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.stream.reader.seek(pos).inspect_err(|e| self.failed.record(e, true))
    }
}

impl ::symphonia::core::io::MediaSource for Media {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.stream.len)
    }
}
