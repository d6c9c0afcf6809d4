//! Local advisories: the project's own (`advisories/` in the source tree, compiled
//! into the binary) and an organisation's (`--advisories DIR`), merged into every scan.

use std::path::Path;

use super::db::MemoryIndex;
use super::osv::Record;
use super::source::{self, SourceError};

include!(concat!(env!("OUT_DIR"), "/bundled_advisories.rs"));

/// Loads the bundled advisories and every `--advisories` folder. Invalid records are
/// returned as warnings (by id), never fatal.
pub fn load(dirs: &[impl AsRef<Path>]) -> Result<(MemoryIndex, Vec<String>), SourceError> {
    let mut index = MemoryIndex::default();
    let mut warnings = Vec::new();
    for (name, json) in BUNDLED {
        match Record::from_json(json.as_bytes()) {
            Ok(record) => index.add(record),
            Err(e) => warnings.push(format!("bundled advisory {name}: {e}")),
        }
    }
    for dir in dirs {
        let (records, _) = source::read(dir.as_ref())?;
        for raw in records {
            match Record::from_json(&raw.bytes) {
                Ok(record) => index.add(record),
                Err(e) => warnings.push(format!("{}: {e}; skipped", raw.origin)),
            }
        }
    }
    Ok((index, warnings))
}

#[cfg(test)]
mod tests {
    #[test]
    fn bundled_advisories_are_valid() {
        let (index, warnings) = super::load(&[] as &[&str]).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(!index.is_empty());
        assert_eq!(index.lookup("npm", "customs-example-internal")[0].id, "CUSTOMS-2026-0001");
    }
}
