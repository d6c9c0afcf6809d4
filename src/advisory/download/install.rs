//! What an update writes: the partial download (`all.zip.partial`, removed unless
//! committed), its verification as an OSV zip, and its atomic installation over
//! `all.zip`. Kept apart from the transfer logic so that each stays readable.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;

use super::{Failure, Meta, Target, MAX_RECORD_SIZE, MAX_ZIP_SIZE};

/// `all.zip.partial` while it is being written; removed when dropped uncommitted.
pub(super) struct Partial {
    pub(super) path: PathBuf,
    pub(super) file: File,
    committed: bool,
}

impl Partial {
    pub(super) fn create(target: &Target) -> Result<Partial, Failure> {
        let failure = Failure::write(&target.dir);
        if fs::symlink_metadata(&target.dir).is_ok_and(|m| m.file_type().is_symlink()) {
            // Following it could write anywhere.
            return Err(failure(io::Error::other("is a symbolic link")));
        }
        fs::create_dir_all(&target.dir).map_err(failure)?;
        let _ = fs::remove_file(&target.partial);
        // create_new: never opens (and truncates) whatever a planted symlink points at.
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target.partial)
            .map_err(Failure::write(&target.partial))?;
        Ok(Partial { path: target.partial.clone(), file, committed: false })
    }

    /// Renames the checked file over `all.zip`, then records its validators. The old
    /// validators go first: a crash in between then costs one full download, never a
    /// `304 Not Modified` answered for a file we do not have.
    pub(super) fn commit(mut self, target: &Target, meta: &Meta) -> Result<(), Failure> {
        match fs::remove_file(&target.meta) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(Failure::write(&target.meta)(e)),
            _ => {}
        }
        fs::rename(&self.path, &target.zip).map_err(Failure::write(&target.zip))?;
        self.committed = true;
        sync_dir(&target.dir);
        meta.write(target).map_err(Failure::write(&target.meta))
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Whether two files hold the same bytes (false if either cannot be read).
pub(super) fn same_content(a: &Path, b: &Path) -> bool {
    let (Ok(a), Ok(b)) = (File::open(a), File::open(b)) else { return false };
    if a.metadata().map(|m| m.len()).ok() != b.metadata().map(|m| m.len()).ok() {
        return false;
    }
    let (mut a, mut b) = (BufReader::with_capacity(1 << 16, a), BufReader::with_capacity(1 << 16, b));
    loop {
        let (Ok(chunk_a), Ok(chunk_b)) = (a.fill_buf(), b.fill_buf()) else { return false };
        let n = chunk_a.len().min(chunk_b.len());
        if n == 0 {
            return chunk_a.len() == chunk_b.len();
        }
        if chunk_a[..n] != chunk_b[..n] {
            return false;
        }
        a.consume(n);
        b.consume(n);
    }
}

/// Makes a rename durable (Unix); elsewhere renames are flushed with the file system.
pub(super) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Appends `body` to `file`, counting bytes in `received` (which may start above zero
/// for a resumed transfer) and moving the progress bar.
pub(super) fn copy_body(
    mut body: impl Read,
    file: &mut File,
    bar: &ProgressBar,
    path: &Path,
    received: &mut u64,
) -> Result<(), Failure> {
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = match body.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(Failure::Read { error, received: *received }),
        };
        if *received + n as u64 > MAX_ZIP_SIZE {
            return Err(Failure::TooLarge);
        }
        file.write_all(&buffer[..n]).map_err(Failure::write(path))?;
        *received += n as u64;
        bar.inc(n as u64);
    }
}

/// Checks that a file is what osv.dev publishes: a zip of `<ID>.json` entries, each
/// inflating to its recorded CRC. Catches truncation that no length told us about,
/// corruption, and error pages served with status 200; a bad file is never installed
/// (it would then be "unchanged" on every later update).
pub(super) fn verify_zip(path: &Path) -> Result<usize, Failure> {
    let invalid = |what: String| Failure::Invalid(what);
    let file = File::open(path).map_err(Failure::write(path))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| invalid(e.to_string()))?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| invalid(e.to_string()))?;
        let name = entry.name().map_err(|e| invalid(e.to_string()))?.into_owned();
        if entry.is_dir() {
            continue;
        }
        if !entry.is_file() || !name.ends_with(".json") {
            return Err(invalid(format!("unexpected entry {name:?} (expected only <ID>.json records)")));
        }
        // Oversized records are skipped later anyway; do not inflate a possible bomb here.
        if entry.size() <= MAX_RECORD_SIZE {
            io::copy(&mut entry, &mut io::sink()).map_err(|e| invalid(format!("{name}: {e}")))?;
        }
    }
    Ok(archive.len())
}
