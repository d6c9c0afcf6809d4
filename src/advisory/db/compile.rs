//! Compiling OSV sources into the database file in bounded memory, whatever their size
//! (osv.dev's full export is ten times `../shared/osv` and growing).
//!
//! One pass over the sources: a reader thread inflates records in batches of a few MiB;
//! each batch is parsed, validated and compressed in parallel; then, in source order,
//! each record's compressed JSON is appended to a scratch file, its postings go to one
//! external sort ([`super::runs`]) and a line naming its id, `modified` time and
//! ecosystems to another. In memory stay only the batches, the unsorted tails of the
//! two sorts and five bytes per record. At the end the second sort says which copy of
//! each id is kept (several zips can carry one record), the sorted postings stream into
//! the fst and the postings section, and the file is assembled from the scratch files in
//! a build folder beside `dest`, then renamed over it.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rayon::prelude::*;
use serde::Serialize;

use super::runs::{Entry, Runs};
use super::{index_key, DbError, Header, FORMAT_VERSION, MAGIC};
use crate::advisory::osv::{Event, InvalidRecord, RangeKind, Record};
use crate::advisory::source::{self, RawRecord, SourceFile, MAX_RECORD_SIZE};

/// How much a compile holds at once; with the defaults a compile of 466,000 records
/// peaks near 100 MiB (`docs/benchmarks.md`). Smaller limits only cost time (tests use tiny ones to cross
/// every boundary).
#[derive(Debug, Clone, Copy)]
pub struct CompileLimits {
    /// Raw JSON read ahead per batch (two batches wait while one is parsed).
    pub batch_bytes: usize,
    /// Records per batch at most, however small they are.
    pub batch_records: usize,
    /// Postings gathered in memory before a sorted run is written out; the sort of
    /// record copies gets a quarter of this.
    pub run_bytes: usize,
}

impl Default for CompileLimits {
    fn default() -> Self {
        CompileLimits { batch_bytes: 4 << 20, batch_records: 8192, run_bytes: 32 << 20 }
    }
}

/// Compiles every record under `sources` (zips, folders, mirrors, JSON files; see
/// [`source::visit`]) into a database at `dest`. The file is built in a folder beside
/// `dest` and renamed into place: readers see the old database or the new one, never
/// half, and a failed compile leaves the old one as it was.
pub fn compile(sources: &[PathBuf], dest: &Path) -> Result<Header, DbError> {
    compile_with(sources, dest, CompileLimits::default())
}

/// [`compile`] with explicit memory limits.
pub fn compile_with(sources: &[PathBuf], dest: &Path, limits: CompileLimits) -> Result<Header, DbError> {
    let work = BuildDir::create(dest)?;
    let (batches, incoming) = mpsc::sync_channel(2);
    let (read, built) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| read_batches(sources, batches, limits));
        let built = Builder::new(&work.path, limits).and_then(|builder| builder.consume(incoming));
        (reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), built)
    });
    // A source that failed mid-way leaves a partial build: it must not be installed.
    let files = read?;
    built?.finish(files, &work.path, dest)
}

/// Reads the sources in order and sends their records in batches; stops when the
/// builder has given up (the channel is closed).
fn read_batches(
    sources: &[PathBuf],
    batches: mpsc::SyncSender<Vec<RawRecord>>,
    limits: CompileLimits,
) -> Result<Vec<SourceFile>, source::SourceError> {
    let mut files = Vec::new();
    let mut batch = Vec::new();
    let mut bytes = 0;
    let mut hung_up = false;
    for path in sources {
        files.extend(source::visit(path, |record| {
            bytes += record.bytes.len();
            batch.push(record);
            if bytes >= limits.batch_bytes || batch.len() >= limits.batch_records {
                bytes = 0;
                if batches.send(std::mem::take(&mut batch)).is_err() {
                    hung_up = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        })?);
        if hung_up {
            return Ok(files);
        }
    }
    if !batch.is_empty() {
        let _ = batches.send(batch);
    }
    Ok(files)
}

/// A scratch folder beside the destination (same file system, so the finished file
/// can be renamed into place), removed with everything in it when dropped.
struct BuildDir {
    path: PathBuf,
}

impl BuildDir {
    fn create(dest: &Path) -> Result<BuildDir, DbError> {
        let path = dest.with_extension(format!("build.{}", std::process::id()));
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(io_at(parent))?;
        }
        // Left behind by a killed process that had our id.
        let _ = fs::remove_dir_all(&path);
        remove_abandoned_build_dirs(dest);
        fs::create_dir(&path).map_err(io_at(&path))?;
        Ok(BuildDir { path })
    }
}

/// Removes the scratch folders of compiles killed before they could clean up (an OOM
/// kill, a cancelled CI job): `<dest stem>.build.<pid>` beside the destination whose
/// process no longer runs. Each holds up to the size of the database, and a pod that
/// is killed every night would otherwise fill its volume. A folder whose process is
/// alive (another compile in progress) or whose liveness cannot be told is left alone.
fn remove_abandoned_build_dirs(dest: &Path) {
    let prefix = match dest.with_extension("build.").file_name().and_then(|n| n.to_str()) {
        Some(prefix) => prefix.to_owned(),
        None => return,
    };
    let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(&prefix)).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && process_is_gone(pid) && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether no process with this id exists (signal 0 probes without sending anything).
#[cfg(unix)]
fn process_is_gone(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    // SAFETY: kill with signal 0 only checks that the process exists and may be signalled.
    let result = unsafe { libc::kill(pid, 0) };
    result == -1 && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_is_gone(_pid: u32) -> bool {
    false
}

impl Drop for BuildDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

fn io_at(path: &Path) -> impl Fn(io::Error) -> DbError + '_ {
    move |source| DbError::Io { path: path.display().to_string(), source }
}

fn run_error((path, source): (PathBuf, io::Error)) -> DbError {
    DbError::Io { path: path.display().to_string(), source }
}

/// What a record contributes, computed in parallel with the rest of its batch.
struct Prepared {
    id: String,
    modified: String,
    /// The original JSON, zstd-compressed.
    blob: Vec<u8>,
    /// The ecosystems its packages name, each once, in order of appearance.
    ecosystems: Vec<String>,
    /// (index key, posting without its record offset), one per affected package.
    postings: Vec<(String, Vec<u8>)>,
}

/// A posting as [`super::Posting`] serialises, minus its leading record offset: postcard
/// writes a struct as its fields in order, so the offset followed by these bytes is
/// exactly a serialised `Posting` (a test holds this to postcard's own output).
#[derive(Serialize)]
struct PostingTail<'a> {
    id: &'a str,
    ecosystem: &'a str,
    name: &'a str,
    ranges: Vec<RangeTail<'a>>,
    versions: &'a [String],
}

#[derive(Serialize)]
struct RangeTail<'a> {
    kind: RangeKind,
    events: &'a [Event],
}

fn prepare(raw: RawRecord) -> Result<Prepared, InvalidRecord> {
    if raw.bytes.len() as u64 > MAX_RECORD_SIZE {
        return Err(InvalidRecord { id: raw.origin, reason: "record larger than 16 MiB".into() });
    }
    let record = Record::from_json(&raw.bytes).map_err(|mut e| {
        if e.id == "(unknown id)" {
            e.id = raw.origin.clone();
        }
        e
    })?;
    let mut ecosystems: Vec<String> = Vec::new();
    let mut postings = Vec::new();
    for affected in &record.affected {
        let Some(package) = &affected.package else { continue };
        if !ecosystems.contains(&package.ecosystem) {
            ecosystems.push(package.ecosystem.clone());
        }
        let tail = PostingTail {
            id: &record.id,
            ecosystem: &package.ecosystem,
            name: &package.name,
            ranges: affected.ranges.iter().map(|r| RangeTail { kind: r.kind, events: &r.events }).collect(),
            versions: &affected.versions,
        };
        let tail = postcard::to_allocvec(&tail).expect("postcard serialises into memory");
        postings.push((index_key(&package.ecosystem, &package.name), tail));
    }
    let blob = zstd::bulk::compress(&raw.bytes, 3).expect("zstd compresses in memory");
    Ok(Prepared { id: record.id, modified: record.modified, blob, ecosystems, postings })
}

/// The state of a compile between batches: the scratch file of compressed records,
/// and two external sorts: the postings, and one line per record copy that says which
/// copy of each id is kept. Nothing in memory grows with the number of records but
/// five bytes per record (its compressed length, then whether it is kept).
struct Builder {
    records_path: PathBuf,
    records: BufWriter<File>,
    /// Compressed length of every copy written, by copy number.
    lengths: Vec<u32>,
    invalid: Vec<(String, String)>,
    postings: Runs,
    /// Per copy: key = id, tail = (`modified`, ecosystems); sorted by id, then copy.
    copies: Runs,
}

impl Builder {
    fn new(dir: &Path, limits: CompileLimits) -> Result<Builder, DbError> {
        let records_path = dir.join("records");
        let records = BufWriter::with_capacity(1 << 20, File::create(&records_path).map_err(io_at(&records_path))?);
        let runs = |name: &str, budget| -> Result<Runs, DbError> {
            let runs_dir = dir.join(name);
            fs::create_dir(&runs_dir).map_err(io_at(&runs_dir))?;
            Ok(Runs::new(&runs_dir, budget))
        };
        Ok(Builder {
            records_path,
            records,
            lengths: Vec::new(),
            invalid: Vec::new(),
            postings: runs("postings-runs", limits.run_bytes)?,
            copies: runs("copies-runs", limits.run_bytes / 4)?,
        })
    }

    /// Takes batches until the reader is done (or has failed: the caller checks).
    fn consume(mut self, incoming: mpsc::Receiver<Vec<RawRecord>>) -> Result<Builder, DbError> {
        for batch in incoming {
            let prepared: Vec<_> = batch.into_par_iter().map(prepare).collect();
            for record in prepared {
                match record {
                    Ok(record) => self.add(record)?,
                    Err(e) => self.invalid.push((e.id, e.reason)),
                }
            }
        }
        Ok(self)
    }

    fn add(&mut self, record: Prepared) -> Result<(), DbError> {
        let too_many = || DbError::Io {
            path: self.records_path.display().to_string(),
            source: io::Error::other("more than 4 billion records"),
        };
        let copy = u32::try_from(self.lengths.len()).map_err(|_| too_many())?;
        let length = u32::try_from(record.blob.len()).map_err(|_| too_many())?;
        let write = |out: &mut BufWriter<File>| {
            out.write_all(&length.to_le_bytes())?;
            out.write_all(&record.blob)
        };
        write(&mut self.records).map_err(io_at(&self.records_path))?;
        self.lengths.push(length);
        for (place, (key, tail)) in record.postings.into_iter().enumerate() {
            let entry = Entry { key, id: record.id.clone(), copy, place: place as u32, tail };
            self.postings.push(entry).map_err(run_error)?;
        }
        let tail = postcard::to_allocvec(&(&record.modified, &record.ecosystems)).expect("serialises into memory");
        let entry = Entry { key: record.id, id: String::new(), copy, place: 0, tail };
        self.copies.push(entry).map_err(run_error)
    }

    /// Writes the index and postings, then the database file, and renames it to `dest`.
    fn finish(self, sources: Vec<SourceFile>, dir: &Path, dest: &Path) -> Result<Header, DbError> {
        let Builder { records_path, records, lengths, mut invalid, postings, copies } = self;
        records.into_inner().map_err(|e| e.into_error()).map_err(io_at(&records_path))?;
        let kept = kept_copies(copies, lengths.len())?;

        // Where each kept copy lands in the records section; `None` for superseded copies.
        let mut offsets = Vec::with_capacity(lengths.len());
        let mut records_len = 0u64;
        for (&length, &is_kept) in lengths.iter().zip(&kept.keep) {
            offsets.push(is_kept.then_some(records_len));
            if is_kept {
                records_len += 4 + u64::from(length);
            }
        }

        let index_path = dir.join("index");
        let postings_path = dir.join("postings");
        let postings_len = write_index(postings, &offsets, &index_path, &postings_path)?;
        let index_len = fs::metadata(&index_path).map_err(io_at(&index_path))?.len();

        invalid.sort();
        let header = Header {
            format: FORMAT_VERSION,
            built_at: crate::time::timestamp(),
            sources,
            records_per_ecosystem: kept.per_ecosystem,
            records: kept.records,
            newest_modified: kept.newest,
            invalid,
            // Section offsets are relative to the end of the header, so the header
            // can be serialised once with its final values.
            index: (0, index_len),
            postings: (index_len, postings_len),
            records_section: (index_len + postings_len, records_len),
        };
        let out_path = dir.join("database");
        let assemble = || -> io::Result<()> {
            let header_json = serde_json::to_vec(&header).map_err(io::Error::other)?;
            let header_len = u32::try_from(header_json.len()).map_err(|_| io::Error::other("header over 4 GiB"))?;
            let mut out = BufWriter::with_capacity(1 << 20, File::create(&out_path)?);
            out.write_all(MAGIC)?;
            out.write_all(&FORMAT_VERSION.to_le_bytes())?;
            out.write_all(&header_len.to_le_bytes())?;
            out.write_all(&header_json)?;
            io::copy(&mut File::open(&index_path)?, &mut out)?;
            io::copy(&mut File::open(&postings_path)?, &mut out)?;
            copy_kept_records(&records_path, &lengths, &kept.keep, &mut out)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        };
        assemble().map_err(io_at(&out_path))?;
        fs::rename(&out_path, dest).map_err(io_at(dest))?;
        Ok(header)
    }
}

/// Which copy of each record is kept, and what the header says about the kept ones.
struct KeptCopies {
    /// By copy number.
    keep: Vec<bool>,
    records: usize,
    per_ecosystem: BTreeMap<String, usize>,
    newest: String,
}

/// Goes through the copies by id (then in the order they were read) and keeps, of each
/// id, the newest copy; of equally new ones the first read.
fn kept_copies(copies: Runs, count: usize) -> Result<KeptCopies, DbError> {
    let mut kept =
        KeptCopies { keep: vec![false; count], records: 0, per_ecosystem: BTreeMap::new(), newest: String::new() };
    let mut settle = |best: Option<(String, u32, String, Vec<String>)>| {
        let Some((_, copy, modified, ecosystems)) = best else { return };
        kept.keep[copy as usize] = true;
        kept.records += 1;
        for ecosystem in ecosystems {
            *kept.per_ecosystem.entry(ecosystem).or_default() += 1;
        }
        if modified > kept.newest {
            kept.newest = modified;
        }
    };
    let mut merge = copies.into_sorted().map_err(run_error)?;
    let mut best: Option<(String, u32, String, Vec<String>)> = None;
    while let Some(entry) = merge.next_entry().map_err(run_error)? {
        let (modified, ecosystems): (String, Vec<String>) = postcard::from_bytes(&entry.tail)
            .map_err(|e| DbError::Io { path: "record copies".into(), source: io::Error::other(e) })?;
        match &best {
            Some((id, _, newest, _)) if *id == entry.key => {
                if modified > *newest {
                    best = Some((entry.key, entry.copy, modified, ecosystems));
                }
            }
            _ => settle(best.replace((entry.key, entry.copy, modified, ecosystems))),
        }
    }
    settle(best);
    Ok(kept)
}

/// Merges the sorted postings into the fst (`index_path`) and the postings section
/// (`postings_path`), dropping postings of superseded copies; returns the section's length.
fn write_index(runs: Runs, offsets: &[Option<u64>], index_path: &Path, postings_path: &Path) -> Result<u64, DbError> {
    let index_file = File::create(index_path).map_err(io_at(index_path))?;
    let mut index = fst::MapBuilder::new(BufWriter::with_capacity(1 << 16, index_file))
        .map_err(|e| io_at(index_path)(io::Error::other(e)))?;
    let mut postings = BufWriter::with_capacity(1 << 20, File::create(postings_path).map_err(io_at(postings_path))?);
    let mut postings_len = 0u64;
    let mut merge = runs.into_sorted().map_err(run_error)?;
    // The postings of the key being gathered: count, and each one serialised.
    let mut key = String::new();
    let mut count = 0u64;
    let mut body = Vec::new();
    let mut flush = |key: &str, count: &mut u64, body: &mut Vec<u8>| -> io::Result<()> {
        if *count == 0 {
            return Ok(());
        }
        index.insert(key.as_bytes(), postings_len).map_err(io::Error::other)?;
        let mut blob = Vec::with_capacity(body.len() + 10);
        push_varint(&mut blob, *count);
        blob.extend_from_slice(body);
        let len = u32::try_from(blob.len()).map_err(|_| io::Error::other(format!("postings of {key:?} over 4 GiB")))?;
        postings.write_all(&len.to_le_bytes())?;
        postings.write_all(&blob)?;
        postings_len += 4 + u64::from(len);
        *count = 0;
        body.clear();
        Ok(())
    };
    while let Some(entry) = merge.next_entry().map_err(run_error)? {
        let Some(offset) = offsets[entry.copy as usize] else { continue };
        if entry.key != key {
            flush(&key, &mut count, &mut body).map_err(io_at(postings_path))?;
            key = entry.key;
        }
        push_varint(&mut body, offset);
        body.extend_from_slice(&entry.tail);
        count += 1;
    }
    flush(&key, &mut count, &mut body).map_err(io_at(postings_path))?;
    let index = index.into_inner().map_err(|e| io_at(index_path)(io::Error::other(e)))?;
    index.into_inner().map_err(|e| e.into_error()).map_err(io_at(index_path))?;
    postings.into_inner().map_err(|e| e.into_error()).map_err(io_at(postings_path))?;
    Ok(postings_len)
}

/// postcard's unsigned integer encoding (LEB128), used for lengths and `u64` fields.
fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Copies the records section: the kept copies from the scratch file, in order.
fn copy_kept_records(path: &Path, lengths: &[u32], keep: &[bool], out: &mut impl Write) -> io::Result<()> {
    let mut input = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut buffer = Vec::new();
    for (&length, &kept) in lengths.iter().zip(keep) {
        buffer.resize(4 + length as usize, 0);
        input.read_exact(&mut buffer)?;
        if kept {
            out.write_all(&buffer)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::db::{CompactRange, Posting};

    #[test]
    fn scratch_folders_of_dead_compiles_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("advisories.db");
        let mut child = std::process::Command::new("true").spawn().expect("`true` runs");
        let dead = child.id();
        child.wait().unwrap();
        let abandoned = dir.path().join(format!("advisories.build.{dead}"));
        fs::create_dir_all(abandoned.join("runs")).unwrap();
        fs::write(abandoned.join("runs/0"), b"half a database").unwrap();
        // pid 1 always runs; another database's scratch folder and a file are not ours.
        let live = dir.path().join("advisories.build.1");
        let other = dir.path().join(format!("other.build.{dead}"));
        let not_a_pid = dir.path().join("advisories.build.old");
        for kept in [&live, &other, &not_a_pid] {
            fs::create_dir(kept).unwrap();
        }
        let empty = dir.path().join("empty.json");
        fs::write(&empty, b"{}").unwrap();
        let _ = compile(&[empty], &dest);
        assert!(!abandoned.exists(), "the dead compile's folder is gone");
        assert!(live.exists() && other.exists() && not_a_pid.exists());
        let own = dest.with_extension(format!("build.{}", std::process::id()));
        assert!(!own.exists(), "this compile cleaned up after itself");
    }

    #[test]
    fn offset_and_tail_make_the_postings_postcard_writes() {
        let events = vec![Event::Introduced("0".into()), Event::Fixed("1.2.3".into())];
        let versions = vec!["1.0".to_string(), "1.1".to_string()];
        let postings: Vec<Posting> = [(3u64, "A-1", "Debian:12"), (300, "B-2", "Debian:11"), (u64::MAX, "C-3", "npm")]
            .iter()
            .map(|&(record, id, ecosystem)| Posting {
                record,
                id: id.into(),
                ecosystem: ecosystem.into(),
                name: "openssl".into(),
                ranges: vec![
                    CompactRange { kind: RangeKind::Ecosystem, events: events.clone() },
                    CompactRange { kind: RangeKind::Git, events: vec![] },
                ],
                versions: if id == "B-2" { vec![] } else { versions.clone() },
            })
            .collect();
        let mut ours = Vec::new();
        push_varint(&mut ours, postings.len() as u64);
        for p in &postings {
            push_varint(&mut ours, p.record);
            let ranges = p.ranges.iter().map(|r| RangeTail { kind: r.kind, events: &r.events }).collect();
            let tail = PostingTail { id: &p.id, ecosystem: &p.ecosystem, name: &p.name, ranges, versions: &p.versions };
            ours.extend(postcard::to_allocvec(&tail).unwrap());
        }
        assert_eq!(ours, postcard::to_allocvec(&postings).unwrap());
        assert_eq!(postcard::from_bytes::<Vec<Posting>>(&ours).unwrap(), postings);
    }
}
