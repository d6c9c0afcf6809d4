//! Where advisory records come from on disk: a directory of `<ID>.json` files
//! (searched recursively), a zip of them, or a mirror in osv.dev's bucket layout
//! (`<Ecosystem>/all.zip`).

use std::fs;
use std::io::Read;
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
/// `*/all.zip`), or one `.json` file.
pub fn read(path: &Path) -> Result<(Vec<RawRecord>, Vec<SourceFile>), SourceError> {
    let meta = fs::metadata(path).map_err(io_error(path))?;
    let mut records = Vec::new();
    let mut files = Vec::new();
    if meta.is_dir() {
        for file in files_under(path)? {
            let before = records.len();
            if file.extension().is_some_and(|e| e == "zip") {
                read_zip(&file, &mut records)?;
            } else {
                read_json_file(&file, &mut records)?;
            }
            files.push(SourceFile { path: file.display().to_string(), records: records.len() - before });
        }
    } else if path.extension().is_some_and(|e| e == "zip") {
        read_zip(path, &mut records)?;
        files.push(SourceFile { path: path.display().to_string(), records: records.len() });
    } else if path.extension().is_some_and(|e| e == "json") {
        read_json_file(path, &mut records)?;
        files.push(SourceFile { path: path.display().to_string(), records: 1 });
    } else {
        return Err(SourceError::Unrecognised { path: path.display().to_string() });
    }
    Ok((records, files))
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

fn read_json_file(path: &Path, out: &mut Vec<RawRecord>) -> Result<(), SourceError> {
    let file = open_regular(path).map_err(io_error(path))?;
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_SIZE + 1).read_to_end(&mut bytes).map_err(io_error(path))?;
    out.push(RawRecord { origin: path.display().to_string(), bytes });
    Ok(())
}

fn read_zip(path: &Path, out: &mut Vec<RawRecord>) -> Result<(), SourceError> {
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
        let mut bytes = Vec::with_capacity(entry.size().min(MAX_RECORD_SIZE) as usize);
        // The declared size can lie; never inflate past the cap.
        entry.take(MAX_RECORD_SIZE + 1).read_to_end(&mut bytes).map_err(io_error(path))?;
        out.push(RawRecord { origin, bytes });
    }
    Ok(())
}
