//! Writing a file so that it is either whole or absent: the bytes go to a temporary file in
//! the same folder, which is then renamed into place.

use std::io::Write;
use std::path::Path;

use crate::dsp::error::{Error, Result};

/// Creates the folder of `path` if missing; refuses a `path` that is a folder.
pub(super) fn prepare(path: &Path) -> Result<()> {
    let dir = folder(path);
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    if path.is_dir() {
        return Err(Error::encode(path, "is a directory"));
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file beside it, `.spectrust-<pid>-<random>.part`,
/// renamed into place. The process id in the name tells a rerun which temporary files a killed
/// run left (`spectrust._files.remove_stale_parts` removes those of dead processes).
pub(super) fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut builder = tempfile::Builder::new();
    let prefix = format!(".spectrust-{}-", std::process::id());
    builder.prefix(&prefix).suffix(".part");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Like a file made by open(2): 0666 less the umask, not tempfile's private 0600.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(folder(path)).map_err(|e| Error::io(path, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}
