//! Reading input files. Every file the library or the command line reads by path goes through
//! here, so that no input can make a read hang or grow without bound: only regular files are
//! read (a FIFO would block forever, `/dev/zero` never ends), and never more than a limit.

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Why a file could not be read. It displays as the reason alone; callers name the file.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadError {
    /// The operating system refused (no such file, no permission, ...).
    Io(io::Error),
    /// A directory, FIFO, device or socket: what it is.
    NotRegular(&'static str),
    /// Past the limit. `size` is the size the file claims, when that already says so.
    TooLarge {
        /// The size the file claims, if it already says it is too large.
        size: Option<u64>,
        /// The limit, in bytes.
        limit: usize,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotRegular(what) => write!(f, "not a regular file ({what})"),
            ReadError::TooLarge { size, limit } => {
                match size {
                    Some(size) => write!(f, "{size} bytes, ")?,
                    None => write!(f, "more than {limit} bytes, ")?,
                }
                if limit % (1 << 20) == 0 {
                    write!(f, "larger than the {} MiB limit", limit >> 20)
                } else {
                    write!(f, "larger than the {limit}-byte limit")
                }
            }
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Reads a document file (a policy, account, context or suite file): at most
/// [`MAX_DOCUMENT_BYTES`](crate::MAX_DOCUMENT_BYTES).
pub fn read_document(path: &Path) -> Result<Vec<u8>, ReadError> {
    read_file(path, crate::MAX_DOCUMENT_BYTES)
}

/// Reads a whole regular file of at most `limit` bytes.
///
/// The limit holds whatever the file's size says: the read stops one byte past it, so neither a
/// file that grows while it is read nor a `/proc` file that claims to be empty gets past it.
pub fn read_file(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    let (file, meta) = open_regular(path)?;
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
    if meta.len() > limit_u64 {
        return Err(ReadError::TooLarge {
            size: Some(meta.len()),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit_u64.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(ReadError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

/// Opens a file for reading, refusing anything but a regular file (symbolic links are followed).
/// For inputs without a size limit (a batch of requests); anything else uses [`read_file`].
pub fn open_regular(path: &Path) -> Result<(File, Metadata), ReadError> {
    // Checked before opening, so that a device is never opened at all (opening some has effects
    // of its own, such as rewinding a tape).
    check_regular(&std::fs::metadata(path)?)?;
    // The path may be replaced by a FIFO between that check and the open, and opening a FIFO
    // for reading blocks until a writer comes. Where the flag is known, the file is opened
    // non-blocking — which changes nothing for reads of a regular file — and the opened handle
    // is checked again, so the race costs an error, not a hang. Elsewhere the race remains: a
    // hang needs someone who can replace the file at that instant.
    let mut options = OpenOptions::new();
    options.read(true);
    non_blocking(&mut options);
    let file = options.open(path)?;
    let meta = file.metadata()?;
    check_regular(&meta)?;
    Ok((file, meta))
}

/// Adds `O_NONBLOCK`, written out to spare a dependency on `libc` for one constant. Linux gives
/// it other values on some architectures (MIPS, SPARC, Alpha, PA-RISC), so only those listed
/// here, where it is 0o4000, use it; macOS and the BSDs agree on 0x4.
fn non_blocking(options: &mut OpenOptions) {
    #[cfg(all(
        target_os = "linux",
        any(
            target_arch = "x86",
            target_arch = "x86_64",
            target_arch = "arm",
            target_arch = "aarch64",
            target_arch = "riscv64",
            target_arch = "powerpc64",
            target_arch = "s390x"
        )
    ))]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, 0o4000);
    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly"
    ))]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, 0x4);
    // Unused where no flag is known.
    let _ = options;
}

fn check_regular(meta: &Metadata) -> Result<(), ReadError> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    if kind.is_dir() {
        return Err(ReadError::NotRegular("a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Err(ReadError::NotRegular("a FIFO"));
        }
        if kind.is_char_device() {
            return Err(ReadError::NotRegular("a character device"));
        }
        if kind.is_block_device() {
            return Err(ReadError::NotRegular("a block device"));
        }
        if kind.is_socket() {
            return Err(ReadError::NotRegular("a socket"));
        }
    }
    Err(ReadError::NotRegular("a special file"))
}

/// A document's text: UTF-8, with a byte-order mark at its start ignored.
pub fn decode_document(bytes: &[u8]) -> Result<&str, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| format!("not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ram-policy-source-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_limit_is_inclusive() {
        let dir = scratch("limit");
        let path = dir.join("doc.json");
        std::fs::write(&path, vec![b' '; 100]).unwrap();
        assert_eq!(read_file(&path, 100).unwrap().len(), 100);
        let e = read_file(&path, 99).unwrap_err();
        assert_eq!(e.to_string(), "100 bytes, larger than the 99-byte limit");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_directory_is_not_read() {
        let dir = scratch("dir");
        let e = read_file(&dir, 1 << 20).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a directory)");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn devices_are_not_read() {
        for device in ["/dev/zero", "/dev/urandom", "/dev/null"] {
            let e = read_file(Path::new(device), 1 << 20).unwrap_err();
            assert_eq!(e.to_string(), "not a regular file (a character device)", "{device}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_proc_file_claiming_no_size_is_still_bounded() {
        // `/proc/self/maps` says it is 0 bytes long and is not.
        let bytes = read_file(Path::new("/proc/self/maps"), 1 << 20).unwrap();
        assert!(!bytes.is_empty());
        let e = read_file(Path::new("/proc/self/maps"), 10).unwrap_err();
        assert_eq!(e.to_string(), "more than 10 bytes, larger than the 10-byte limit");
    }
}
