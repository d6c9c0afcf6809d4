//! A remembered copy of the `id` and `modified` of every record of an installed
//! `all.zip`, so that an incremental update does not inflate and parse every record of
//! the zip each time only to learn that nothing changed (half a second for 46,600
//! records, seconds at osv.dev's size).
//!
//! The zip stays the only state: the stamps are a cache of what reading it gives, and
//! are used only while they provably describe that very file — its size, modification
//! time, inode and entry count as they were when the stamps were written. Anything else
//! (a missing or unreadable file, another zip renamed in, a stamp that does not parse)
//! and the zip is read again, as without the cache. A crash between the zip's rename
//! and the stamps' write leaves stamps that describe the old file, which no longer
//! matches: they are ignored.

use std::fs;
use std::io::Write;
use std::path::Path;

use jiff::Timestamp;

use super::Installed;

/// Beside `all.zip`; not a `.json` or `.zip`, so no advisory reader takes it for data.
pub(super) const STAMPS_NAME: &str = "all.stamps";
const MAGIC: &str = "customs-stamps 1";
/// Stamps larger than this are not read (a real list is ~60 bytes a record).
const MAX_STAMPS_SIZE: u64 = 256 << 20;

/// What identifies one version of the zip: size, modification time (ns), inode
/// (unix), and its number of entries.
fn identity(zip: &Path, entries: usize) -> Option<String> {
    let meta = fs::metadata(zip).ok()?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
    #[cfg(unix)]
    let inode = {
        use std::os::unix::fs::MetadataExt;
        format!("{}:{}", meta.dev(), meta.ino())
    };
    #[cfg(not(unix))]
    let inode = "-";
    Some(format!("{MAGIC} {} {modified} {inode} {entries}", meta.len()))
}

/// The stamps of the zip's `entries` entries, in entry order, when the file beside it
/// describes this version of it.
pub(super) fn load(zip: &Path, entries: usize) -> Option<Vec<Installed>> {
    let path = zip.with_file_name(STAMPS_NAME);
    if fs::metadata(&path).ok()?.len() > MAX_STAMPS_SIZE {
        return None;
    }
    let text = fs::read_to_string(&path).ok()?;
    let mut lines = text.lines();
    if lines.next()? != identity(zip, entries)? {
        return None;
    }
    let mut out = Vec::with_capacity(entries);
    for line in lines {
        let (modified, id) = line.split_once('\t')?;
        out.push(Installed {
            modified: match modified {
                "-" => None,
                time => Some(time.parse::<Timestamp>().ok()?),
            },
            id: (id != "-").then(|| id.to_string()),
        });
    }
    (out.len() == entries).then_some(out)
}

/// Writes the stamps of the zip as it is now (best effort: without them the next
/// update reads the zip, as it did this time). Not written when an id could not be
/// told apart in a line of its own (a tab, a line break, or `-` itself).
pub(super) fn save(zip: &Path, installed: &[Installed]) {
    let writable = |id: &str| id != "-" && !id.chars().any(|c| c.is_control());
    if installed.iter().any(|e| e.id.as_deref().is_some_and(|id| !writable(id))) {
        remove(zip);
        return;
    }
    let Some(header) = identity(zip, installed.len()) else { return };
    let mut text = String::with_capacity(header.len() + installed.len() * 64);
    text.push_str(&header);
    text.push('\n');
    for entry in installed {
        match &entry.modified {
            Some(time) => text.push_str(&time.to_string()),
            None => text.push('-'),
        }
        text.push('\t');
        text.push_str(entry.id.as_deref().unwrap_or("-"));
        text.push('\n');
    }
    let path = zip.with_file_name(STAMPS_NAME);
    let partial = zip.with_file_name(format!("{STAMPS_NAME}.partial"));
    let written = fs::File::create(&partial).and_then(|mut f| f.write_all(text.as_bytes()));
    if written.is_err() || fs::rename(&partial, &path).is_err() {
        let _ = fs::remove_file(&partial);
    }
}

/// Forgets the stamps (the zip is about to be replaced by one they do not describe).
pub(super) fn remove(zip: &Path) {
    let _ = fs::remove_file(zip.with_file_name(STAMPS_NAME));
}
