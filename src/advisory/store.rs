//! Where databases live: the cache directory, the default database that
//! `customs db update` maintains, and databases compiled on demand from `--db PATH`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use super::db::{self, Database, DbError};
use super::source::SourceError;

/// `--cache-dir`, else `$XDG_CACHE_HOME/customs`, else `~/.cache/customs`.
pub fn cache_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
    }
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("customs");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache/customs"),
        None => std::env::temp_dir().join("customs-cache"),
    }
}

/// The database `customs db update` writes and scans use by default.
pub fn default_db_path(cache: &Path) -> PathBuf {
    cache.join("db/customs.db")
}

/// The downloaded mirror (`<Ecosystem>/all.zip` files) the default database is built from.
pub fn mirror_dir(cache: &Path) -> PathBuf {
    cache.join("osv")
}

/// Why the advisory database cannot be opened or built.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The compiled database is unreadable.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The OSV records it would be built from are unreadable.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// There is no database in the cache folder yet.
    #[error("no advisory database in {0}: run `customs db update` (or pass --db PATH to a mirror, zip or folder of OSV records)")]
    Missing(PathBuf),
}

/// Opens what `--db PATH` names: a compiled database file as is; a folder, zip or
/// mirror of OSV JSON compiled once and cached under a key derived from the sources'
/// paths, sizes and modification times (so an unchanged mirror is never recompiled).
pub fn open_db_arg(path: &Path, cache: &Path) -> Result<Database, StoreError> {
    if path.is_file() && is_compiled(path) {
        return Ok(Database::open(path)?);
    }
    let key = fingerprint(path)?;
    let compiled = cache.join("db/by-source").join(format!("{key}.db"));
    if let Ok(db) = Database::open(&compiled) {
        return Ok(db);
    }
    // Parallel scans of one source wait for a single compile instead of each doing it.
    let dir = compiled.parent().expect("has a parent");
    let io = |source| SourceError::Io { path: dir.display().to_string(), source };
    fs::create_dir_all(dir).map_err(io)?;
    let lock = fs::File::create(compiled.with_extension("lock")).map_err(io)?;
    lock.lock().map_err(io)?;
    if let Ok(db) = Database::open(&compiled) {
        return Ok(db);
    }
    db::compile(&[path.to_path_buf()], &compiled)?;
    Ok(Database::open(&compiled)?)
}

/// Opens the default database.
pub fn open_default(cache: &Path) -> Result<Database, StoreError> {
    let path = default_db_path(cache);
    if !path.exists() {
        return Err(StoreError::Missing(path));
    }
    Ok(Database::open(&path)?)
}

/// Whether `path` is a compiled customs database (a file that starts with its magic),
/// rather than OSV records to compile.
/// A FIFO or device is not (and is never opened blocking: a repository's `customs.yaml`
/// names paths too).
pub fn is_compiled(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 8];
    crate::inventory::regular::open_regular(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok()
        && &magic == b"CUSTOMDB"
}

/// A stable key for the current contents of a source: every file's relative path,
/// size and modification time, plus the database format.
fn fingerprint(path: &Path) -> Result<String, StoreError> {
    let io = |source| SourceError::Io { path: path.display().to_string(), source };
    let root = fs::canonicalize(path).map_err(io)?;
    let mut hasher = Sha256::new();
    hasher.update(db::FORMAT_VERSION.to_le_bytes());
    hasher.update(root.to_string_lossy().as_bytes());
    let mut stack = vec![root.clone()];
    let mut entries = Vec::new();
    while let Some(p) = stack.pop() {
        let meta = fs::metadata(&p).map_err(io)?;
        if meta.is_dir() {
            for entry in fs::read_dir(&p).map_err(io)? {
                stack.push(entry.map_err(io)?.path());
            }
        } else {
            let mtime = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).unwrap_or_default();
            entries.push((p.strip_prefix(&root).unwrap_or(&p).to_path_buf(), meta.len(), mtime.as_nanos()));
        }
    }
    entries.sort();
    for (rel, len, mtime) in entries {
        hasher.update(rel.to_string_lossy().as_bytes());
        hasher.update(len.to_le_bytes());
        hasher.update(mtime.to_le_bytes());
    }
    Ok(hasher.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect())
}
