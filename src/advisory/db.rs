//! The compiled advisory database: one memory-mapped file shaped for the only query
//! a scan makes, "every affected range for (ecosystem, package name)".
//!
//! Layout (all integers little-endian):
//! ```text
//! "CUSTOMDB" | u32 format | u32 header length | header (JSON) |
//! index   : an fst map, key "<base ecosystem>\0<normalised name>" -> postings offset
//! postings: per key, u32 length + postcard Vec<Posting> (pre-parsed ranges)
//! records : per advisory, u32 length + zstd-compressed original OSV JSON
//! ```
//! Opening reads only the header; a lookup walks the fst and decodes one postings
//! blob; full records are inflated only for advisories that matched. Memory therefore
//! grows with what a scan matches, not with the size of the database (see
//! `docs/database.md` for the measurements behind this choice).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use memmap2::Mmap;
use serde::{Deserialize, Serialize};

use super::osv::{Event, RangeKind, Record};
use super::source::{SourceError, SourceFile, MAX_RECORD_SIZE};
use crate::model::EcosystemKind;

mod compile;
mod index;
mod runs;
#[cfg(test)]
mod tests;

pub use compile::{compile, compile_with, CompileLimits};

const MAGIC: &[u8; 8] = b"CUSTOMDB";
/// Bumped whenever the layout or the postings change meaning.
pub const FORMAT_VERSION: u32 = 1;

/// What `customs db info` shows, stored at the head of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The layout version the file was written with ([`FORMAT_VERSION`]).
    pub format: u32,
    /// When the database was compiled (RFC 3339).
    pub built_at: String,
    /// The files and folders the records were read from.
    pub sources: Vec<SourceFile>,
    /// Records per ecosystem as the advisories spell it (`Debian:12`, `PyPI`).
    pub records_per_ecosystem: BTreeMap<String, usize>,
    /// Records compiled in, all ecosystems together.
    pub records: usize,
    /// The latest `modified` time of any record: how fresh the advisories are.
    pub newest_modified: String,
    /// Records that failed validation, by id, with the reason.
    pub invalid: Vec<(String, String)>,
    index: (u64, u64),
    postings: (u64, u64),
    records_section: (u64, u64),
}

/// One advisory's claim about one package, pre-parsed for matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    /// Offset of the full record in the records section.
    pub record: u64,
    /// The advisory's id (`GHSA-…`, `RUSTSEC-…`).
    pub id: String,
    /// The ecosystem exactly as the advisory wrote it (`Debian:12`).
    pub ecosystem: String,
    /// The package name as the advisory wrote it.
    pub name: String,
    /// The affected ranges, events already parsed.
    pub ranges: Vec<CompactRange>,
    /// Versions the advisory lists as affected one by one.
    pub versions: Vec<String>,
}

/// One `affected[].ranges[]` entry of an advisory, kept for matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactRange {
    /// How the range's versions are ordered (ecosystem, semver, git).
    pub kind: RangeKind,
    /// Its introduced/fixed/last_affected/limit events, in order.
    pub events: Vec<Event>,
}

/// The index key of a package: base ecosystem and the ecosystem's canonical name.
pub fn index_key(ecosystem: &str, name: &str) -> String {
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    let normalized = match EcosystemKind::from_osv_name(base) {
        Some(kind) => kind.normalize_name(name),
        None => name.to_string(),
    };
    format!("{base}\0{normalized}")
}

/// Why a database file cannot be opened or written.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// The records to compile could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The file is not a database this version of customs reads.
    #[error("{path}: not a customs database (or written by an incompatible version): {reason}; run `customs db update` to rebuild it")]
    Format { path: String, reason: String },
}

/// A slice of the mapped file that the fst can own.
#[derive(Clone)]
struct Section {
    map: Arc<Mmap>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for Section {
    fn as_ref(&self) -> &[u8] {
        &self.map[self.start..self.end]
    }
}

/// An opened database. Cheap to open; lookups touch only the pages they need.
pub struct Database {
    /// What `customs db info` shows: sources, counts, freshness.
    pub header: Header,
    /// The file, as given, for messages.
    path: String,
    index: index::Index<Section>,
    postings: Section,
    records: Section,
}

impl Database {
    /// Opens and maps a compiled database, checking its magic, version and sections.
    pub fn open(path: &Path) -> Result<Database, DbError> {
        let format_error = |reason: &str| DbError::Format { path: path.display().to_string(), reason: reason.into() };
        let file = fs::File::open(path).map_err(|source| DbError::Io { path: path.display().to_string(), source })?;
        // SAFETY: the file is only ever replaced by rename, never written in place, so
        // the mapped bytes cannot change under us.
        let map = Arc::new(
            unsafe { Mmap::map(&file) }.map_err(|source| DbError::Io { path: path.display().to_string(), source })?,
        );
        if map.len() < 16 || &map[..8] != MAGIC {
            return Err(format_error("bad magic"));
        }
        let format = u32::from_le_bytes(map[8..12].try_into().expect("4 bytes"));
        if format != FORMAT_VERSION {
            return Err(format_error(&format!("format {format}, this customs reads {FORMAT_VERSION}")));
        }
        let header_len = u32::from_le_bytes(map[12..16].try_into().expect("4 bytes")) as usize;
        let body = 16usize
            .checked_add(header_len)
            .filter(|&b| b <= map.len())
            .ok_or_else(|| format_error("truncated header"))?;
        let header: Header =
            serde_json::from_slice(&map[16..body]).map_err(|e| format_error(&format!("bad header: {e}")))?;
        let section = |(start, len): (u64, u64)| -> Result<Section, DbError> {
            let start = body.checked_add(start as usize).ok_or_else(|| format_error("bad section"))?;
            let end = start
                .checked_add(len as usize)
                .filter(|&e| e <= map.len())
                .ok_or_else(|| format_error("truncated file"))?;
            Ok(Section { map: Arc::clone(&map), start, end })
        };
        let index = index::Index::new(section(header.index)?).map_err(|e| format_error(&format!("bad index: {e}")))?;
        let postings = section(header.postings)?;
        let records = section(header.records_section)?;
        Ok(Database { header, path: path.display().to_string(), index, postings, records })
    }

    /// Every posting for a package, across all releases of its ecosystem.
    pub fn lookup(&self, ecosystem: &str, name: &str) -> Result<Vec<Posting>, DbError> {
        self.lookup_key(&index_key(ecosystem, name))
    }

    /// Every posting under an index key as [`index_key`] spells it.
    pub fn lookup_key(&self, key: &str) -> Result<Vec<Posting>, DbError> {
        let Some(offset) = self.index.get(key).map_err(|()| self.corrupt("index"))? else { return Ok(Vec::new()) };
        let blob = length_prefixed(self.postings.as_ref(), offset).ok_or_else(|| self.corrupt("postings"))?;
        postcard::from_bytes(blob).map_err(|_| self.corrupt("postings"))
    }

    /// Every index key (`<base ecosystem>\0<canonical name>`) with its postings, in key
    /// order, until `each` breaks: for tools that list or compare whole databases, not
    /// for scans.
    pub fn visit_postings(&self, mut each: impl FnMut(&str, Vec<Posting>) -> ControlFlow<()>) -> Result<(), DbError> {
        let mut failure = None;
        let walked = self.index.visit(|key, offset| {
            let postings = std::str::from_utf8(key).map_err(|_| self.corrupt("index")).and_then(|key| {
                let blob = length_prefixed(self.postings.as_ref(), offset).ok_or_else(|| self.corrupt("postings"))?;
                Ok((key, postcard::from_bytes(blob).map_err(|_| self.corrupt("postings"))?))
            });
            match postings {
                Ok((key, postings)) => each(key, postings),
                Err(error) => {
                    failure = Some(error);
                    ControlFlow::Break(())
                }
            }
        });
        match (failure, walked) {
            (Some(error), _) => Err(error),
            (None, Err(())) => Err(self.corrupt("index")),
            (None, Ok(())) => Ok(()),
        }
    }

    /// The full record a posting points to.
    pub fn record(&self, offset: u64) -> Result<Record, DbError> {
        let blob = length_prefixed(self.records.as_ref(), offset).ok_or_else(|| self.corrupt("records"))?;
        let json = zstd::bulk::decompress(blob, MAX_RECORD_SIZE as usize).map_err(|_| self.corrupt("records"))?;
        Record::from_json(&json).map_err(|_| self.corrupt("records"))
    }

    fn corrupt(&self, what: &str) -> DbError {
        DbError::Format { path: self.path.clone(), reason: format!("corrupt {what} section") }
    }
}

fn length_prefixed(section: &[u8], offset: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let len = u32::from_le_bytes(section.get(start..start.checked_add(4)?)?.try_into().ok()?) as usize;
    section.get(start + 4..(start + 4).checked_add(len)?)
}

/// Advisories held in memory (local `advisories/` folders), queried like a database.
#[derive(Default)]
pub struct MemoryIndex {
    records: Vec<Record>,
    postings: HashMap<String, Vec<Posting>>,
}

impl MemoryIndex {
    /// Adds a record, to be indexed under every package it affects.
    pub fn add(&mut self, record: Record) {
        let at = self.records.len() as u64;
        for affected in &record.affected {
            let Some(package) = &affected.package else { continue };
            self.postings.entry(index_key(&package.ecosystem, &package.name)).or_default().push(Posting {
                record: at,
                id: record.id.clone(),
                ecosystem: package.ecosystem.clone(),
                name: package.name.clone(),
                ranges: affected
                    .ranges
                    .iter()
                    .map(|r| CompactRange { kind: r.kind, events: r.events.clone() })
                    .collect(),
                versions: affected.versions.clone(),
            });
        }
        self.records.push(record);
    }

    /// The postings for a package, by base ecosystem and the ecosystem's canonical name.
    pub fn lookup(&self, ecosystem: &str, name: &str) -> Vec<Posting> {
        self.postings.get(&index_key(ecosystem, name)).cloned().unwrap_or_default()
    }

    /// The full record at a posting's offset, when it can be read back.
    pub fn record(&self, at: u64) -> Option<&Record> {
        self.records.get(at as usize)
    }

    /// How many records the database holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the database holds no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}
