//! Where advisory records come from on disk: a directory of `<ID>.json` files
//! (searched recursively), a zip of them, or a mirror in osv.dev's bucket layout
//! (`<Ecosystem>/all.zip`).

use std::fs;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::inventory::regular::open_regular;

/// One advisory file, not yet parsed.
pub struct RawRecord {
    /// Where it came from, for error messages: `Debian/all.zip:DSA-5561-1.json`.
    pub origin: String,
    /// The file's bytes, as read.
    pub bytes: Vec<u8>,
}

/// A file or folder that records were read from, with how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// The path as given.
    pub path: String,
    /// Records read from it.
    pub records: usize,
}

/// Why advisory files cannot be read.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// A zip archive that cannot be opened.
    #[error("{path}: not a readable zip archive: {source}")]
    Zip { path: String, source: zip::result::ZipError },
    /// A path that is no kind of advisory source.
    #[error("{path}: neither an OSV JSON file, a directory of them, a zip, nor a mirror")]
    Unrecognised { path: String },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SourceError + '_ {
    move |source| SourceError::Io { path: path.display().to_string(), source }
}

/// No advisory file is larger than this; a bigger zip entry is refused rather than
/// inflated (a zip bomb must not exhaust memory).
pub const MAX_RECORD_SIZE: u64 = 16 * 1024 * 1024;

/// Reads every record under `path`: a `.zip`, a directory (recursive `*.json` and
/// `*/all.zip`), or one `.json` file. Holds them all: for a few (local advisories);
/// a database compile streams them with [`visit`].
pub fn read(path: &Path) -> Result<(Vec<RawRecord>, Vec<SourceFile>), SourceError> {
    let mut records = Vec::new();
    let files = visit(path, |record| {
        records.push(record);
        ControlFlow::Continue(())
    })?;
    Ok((records, files))
}

/// Hands every record under `path` (as [`read`] finds them, in the same order) to
/// `each`, one at a time, so that memory holds one record, not the source. Stops
/// early when `each` breaks; the files returned are then those read so far.
pub fn visit(path: &Path, mut each: impl FnMut(RawRecord) -> ControlFlow<()>) -> Result<Vec<SourceFile>, SourceError> {
    let meta = fs::metadata(path).map_err(io_error(path))?;
    let mut files = Vec::new();
    let paths = if meta.is_dir() {
        files_under(path)?
    } else if path.extension().is_some_and(|e| e == "zip" || e == "json") {
        vec![path.to_path_buf()]
    } else {
        return Err(SourceError::Unrecognised { path: path.display().to_string() });
    };
    for file in paths {
        let mut records = 0;
        let mut counted = |record| {
            records += 1;
            each(record)
        };
        let flow = if file.extension().is_some_and(|e| e == "zip") {
            visit_zip(&file, &mut counted)?
        } else {
            visit_json_file(&file, &mut counted)?
        };
        files.push(SourceFile { path: file.display().to_string(), records });
        if flow.is_break() {
            break;
        }
    }
    Ok(files)
}

/// Every `.json` and `.zip` file below `dir`, sorted, without following symlinks.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).map_err(io_error(&d))? {
            let entry = entry.map_err(io_error(&d))?;
            let ty = entry.file_type().map_err(io_error(&d))?;
            let p = entry.path();
            if ty.is_dir() {
                pending.push(p);
            } else if ty.is_file() && is_advisory_file(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `.json` records and `.zip` archives, but not the `.meta.json` files `db update`
/// keeps beside each downloaded zip.
fn is_advisory_file(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    (name.ends_with(".json") && !name.ends_with(".meta.json")) || name.ends_with(".zip")
}

fn visit_json_file(
    path: &Path,
    each: &mut impl FnMut(RawRecord) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, SourceError> {
    let file = open_regular(path).map_err(io_error(path))?;
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_SIZE + 1).read_to_end(&mut bytes).map_err(io_error(path))?;
    Ok(each(RawRecord { origin: path.display().to_string(), bytes }))
}

fn visit_zip(path: &Path, each: &mut impl FnMut(RawRecord) -> ControlFlow<()>) -> Result<ControlFlow<()>, SourceError> {
    let zip_error = |source| SourceError::Zip { path: path.display().to_string(), source };
    let file = open_regular(path).map_err(io_error(path))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(zip_error)?;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?.into_owned();
        if !entry.is_file() || !name.ends_with(".json") {
            continue;
        }
        let origin = format!("{}:{name}", path.display());
        // The declared size can lie: it only sizes the first allocation, and the read
        // never inflates past the cap.
        let mut bytes = Vec::with_capacity(entry.size().min(1 << 20) as usize);
        entry.take(MAX_RECORD_SIZE + 1).read_to_end(&mut bytes).map_err(io_error(path))?;
        if each(RawRecord { origin, bytes }).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}
