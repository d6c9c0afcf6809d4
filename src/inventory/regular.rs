//! Opening only regular files.
//!
//! Opening a FIFO for reading blocks until something writes to it, so a repository
//! with `mkfifo composer.json` (or a FIFO as a `requirements.txt` `-r` target) would
//! stop a scan forever; a character device such as `/dev/zero` never ends. The type is
//! therefore checked before opening (following symlinks, as the open would), the file
//! is opened with `O_NONBLOCK` so a FIFO swapped in between cannot block, and the type
//! is checked again on the open file descriptor before a single byte is read.

use std::fs::{self, File, FileType, Metadata};
use std::io;
use std::path::Path;

/// Opens `path` for reading if, and only if, it is a regular file (or a symlink to
/// one). Anything else is an [`io::ErrorKind::InvalidInput`] error that says what the
/// path is (`a FIFO (named pipe), not a regular file`).
pub fn open_regular(path: &Path) -> io::Result<File> {
    check(&fs::metadata(path)?)?;
    let file = open_nonblocking(path)?;
    check(&file.metadata()?)?;
    Ok(file)
}

/// Whether an error came from [`open_regular`] refusing a file that is not regular.
pub fn is_not_regular(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::InvalidInput && error.to_string().ends_with(NOT_REGULAR)
}

const NOT_REGULAR: &str = "not a regular file";

fn check(meta: &Metadata) -> io::Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{}, {NOT_REGULAR}", describe(meta.file_type()))))
}

/// What a file that is not regular is, in words (`a FIFO (named pipe)`).
pub fn describe(ty: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ty.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ty.is_socket() {
            return "a socket";
        }
        if ty.is_char_device() {
            return "a character device";
        }
        if ty.is_block_device() {
            return "a block device";
        }
    }
    if ty.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // On a regular file O_NONBLOCK changes nothing; on a FIFO it makes open return
    // at once instead of waiting for a writer.
    fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn regular_files_open_and_fifos_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("composer.lock");
        fs::write(&file, "{}").unwrap();
        let mut content = String::new();
        open_regular(&file).unwrap().read_to_string(&mut content).unwrap();
        assert_eq!(content, "{}");

        let fifo = dir.path().join("composer.json");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let err = open_regular(&fifo).unwrap_err();
        assert_eq!(err.to_string(), "a FIFO (named pipe), not a regular file");
        assert!(is_not_regular(&err));
        std::os::unix::fs::symlink(&fifo, dir.path().join("link.json")).unwrap();
        assert!(is_not_regular(&open_regular(&dir.path().join("link.json")).unwrap_err()));
        assert_eq!(open_regular(dir.path()).unwrap_err().to_string(), "a directory, not a regular file");
        assert_eq!(
            open_regular(Path::new("/dev/null")).unwrap_err().to_string(),
            "a character device, not a regular file"
        );
    }
}
