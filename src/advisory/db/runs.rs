//! The postings of a compile, sorted on disk: osv.dev's full export has more postings
//! than a small machine should hold, so they are gathered in bounded batches, each
//! sorted and written out as a run, and the runs are merged back in key order while
//! the index is written. Memory is one batch plus one buffered entry per run.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rayon::slice::ParallelSliceMut;

/// One posting on its way to the index, with what orders it: the index key, then the
/// advisory id (postings of a key are listed by id, as a reader of the database expects),
/// then the arrival order of the record copy and the posting's place in the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub key: String,
    pub id: String,
    /// Which copy of the record (several zips can carry one advisory).
    pub copy: u32,
    /// Place of the `affected` entry in its record.
    pub place: u32,
    /// The posting, serialised without its record offset (known only at the end).
    pub tail: Vec<u8>,
}

/// What entries are sorted by: key, id, copy, place.
type Order<'a> = (&'a [u8], &'a [u8], u32, u32);

impl Entry {
    fn order(&self) -> Order<'_> {
        (self.key.as_bytes(), self.id.as_bytes(), self.copy, self.place)
    }

    fn write(&self, out: &mut impl Write) -> io::Result<()> {
        for field in [self.key.as_bytes(), self.id.as_bytes(), &self.tail] {
            out.write_all(&(field.len() as u32).to_le_bytes())?;
            out.write_all(field)?;
        }
        out.write_all(&self.copy.to_le_bytes())?;
        out.write_all(&self.place.to_le_bytes())
    }

    /// The next entry of a run, or `None` at its end.
    fn read(input: &mut impl Read) -> io::Result<Option<Entry>> {
        let mut len = [0u8; 4];
        match input.read_exact(&mut len) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            other => other?,
        }
        let key = read_string(input, u32::from_le_bytes(len))?;
        input.read_exact(&mut len)?;
        let id = read_string(input, u32::from_le_bytes(len))?;
        input.read_exact(&mut len)?;
        let tail = read_bytes(input, u32::from_le_bytes(len))?;
        input.read_exact(&mut len)?;
        let copy = u32::from_le_bytes(len);
        input.read_exact(&mut len)?;
        let place = u32::from_le_bytes(len);
        Ok(Some(Entry { key, id, copy, place, tail }))
    }
}

/// The sort order of an entry as [`Entry::write`] laid it out at `at` in `arena`, and
/// where it ends. Only ever called on entries this module wrote.
fn order_at(arena: &[u8], at: usize) -> (Order<'_>, usize) {
    let u32_at = |at: usize| u32::from_le_bytes(arena[at..at + 4].try_into().expect("4 bytes"));
    let key_at = at + 4;
    let key_end = key_at + u32_at(at) as usize;
    let id_at = key_end + 4;
    let id_end = id_at + u32_at(key_end) as usize;
    let tail_end = id_end + 4 + u32_at(id_end) as usize;
    let order = (&arena[key_at..key_end], &arena[id_at..id_end], u32_at(tail_end), u32_at(tail_end + 4));
    (order, tail_end + 8)
}

fn read_bytes(input: &mut impl Read, len: u32) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input.take(len.into()).read_to_end(&mut bytes)?;
    if bytes.len() != len as usize {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(bytes)
}

fn read_string(input: &mut impl Read, len: u32) -> io::Result<String> {
    String::from_utf8(read_bytes(input, len)?).map_err(io::Error::other)
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order().cmp(&other.order())
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Gathers entries and spills them to sorted run files in `dir` whenever they pass
/// `budget` bytes. Pending entries are kept serialised, back to back, so that the
/// budget is what they really take (no allocation per field).
pub(super) struct Runs {
    dir: PathBuf,
    budget: usize,
    arena: Vec<u8>,
    /// Where each pending entry starts in `arena`.
    starts: Vec<usize>,
    files: Vec<PathBuf>,
}

impl Runs {
    pub fn new(dir: &Path, budget: usize) -> Runs {
        Runs { dir: dir.to_path_buf(), budget, arena: Vec::new(), starts: Vec::new(), files: Vec::new() }
    }

    pub fn push(&mut self, entry: Entry) -> Result<(), (PathBuf, io::Error)> {
        self.starts.push(self.arena.len());
        entry.write(&mut self.arena).expect("writing to memory does not fail");
        if self.arena.len() + self.starts.len() * size_of::<usize>() >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn sort(&mut self) {
        let arena = &self.arena;
        self.starts.par_sort_unstable_by(|&a, &b| order_at(arena, a).0.cmp(&order_at(arena, b).0));
    }

    fn spill(&mut self) -> Result<(), (PathBuf, io::Error)> {
        let path = self.dir.join(format!("run-{}", self.files.len()));
        self.sort();
        let write = || -> io::Result<()> {
            let mut out = BufWriter::with_capacity(1 << 16, File::create(&path)?);
            for &start in &self.starts {
                out.write_all(&self.arena[start..order_at(&self.arena, start).1])?;
            }
            out.flush()
        };
        write().map_err(|e| (path.clone(), e))?;
        self.files.push(path);
        self.arena.clear();
        self.starts.clear();
        Ok(())
    }

    /// Every entry pushed, in order. The last batch is sorted in memory, not written.
    pub fn into_sorted(mut self) -> Result<Merge, (PathBuf, io::Error)> {
        self.sort();
        let mut merge = Merge { heap: BinaryHeap::new(), runs: Vec::new() };
        for path in &self.files {
            let file = File::open(path).map_err(|e| (path.clone(), e))?;
            merge.runs.push(Source::File { path: path.clone(), reader: BufReader::with_capacity(1 << 16, file) });
        }
        merge.runs.push(Source::Memory { arena: self.arena, starts: self.starts.into_iter() });
        for run in 0..merge.runs.len() {
            merge.refill(run)?;
        }
        Ok(merge)
    }
}

enum Source {
    File { path: PathBuf, reader: BufReader<File> },
    Memory { arena: Vec<u8>, starts: std::vec::IntoIter<usize> },
}

/// A k-way merge of the runs: the smallest head first.
pub(super) struct Merge {
    heap: BinaryHeap<std::cmp::Reverse<(Entry, usize)>>,
    runs: Vec<Source>,
}

impl Merge {
    fn refill(&mut self, run: usize) -> Result<(), (PathBuf, io::Error)> {
        let next = match &mut self.runs[run] {
            Source::File { path, reader } => Entry::read(reader).map_err(|e| (path.clone(), e))?,
            Source::Memory { arena, starts } => match starts.next() {
                Some(start) => {
                    Entry::read(&mut &arena[start..]).map_err(|e| (PathBuf::from("(sorted in memory)"), e))?
                }
                None => None,
            },
        };
        if let Some(entry) = next {
            self.heap.push(std::cmp::Reverse((entry, run)));
        }
        Ok(())
    }

    /// The next entry in order, `None` when every run is exhausted.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, (PathBuf, io::Error)> {
        let Some(std::cmp::Reverse((entry, run))) = self.heap.pop() else { return Ok(None) };
        self.refill(run)?;
        Ok(Some(entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, id: &str, copy: u32, place: u32) -> Entry {
        Entry { key: key.into(), id: id.into(), copy, place, tail: format!("{key}/{id}/{copy}/{place}").into_bytes() }
    }

    #[test]
    fn merges_spilled_runs_back_in_key_id_copy_place_order() {
        let dir = tempfile::tempdir().unwrap();
        // A tiny budget: each entry takes 49 to 52 bytes, so every two make a run.
        let mut runs = Runs::new(dir.path(), 98);
        let pushed = [
            entry("npm\0b", "X-2", 4, 0),
            entry("npm\0a", "X-9", 3, 1),
            entry("npm\0ab", "X-1", 2, 0),
            entry("npm\0a", "X-9", 3, 0),
            entry("npm\0a", "X-10", 5, 0),
            entry("PyPI\0z", "P-1", 0, 0),
            entry("npm\0a", "X-9", 1, 0),
        ];
        for e in pushed.iter().cloned() {
            runs.push(e).unwrap();
        }
        assert_eq!(runs.files.len(), 3, "spilled three times, one entry left in memory");
        let mut merge = runs.into_sorted().unwrap();
        let mut got = Vec::new();
        while let Some(e) = merge.next_entry().unwrap() {
            got.push(e);
        }
        let mut expected = pushed.to_vec();
        expected.sort();
        assert_eq!(got, expected);
        let order: Vec<_> = got.iter().map(|e| (e.key.as_str(), e.id.as_str(), e.copy, e.place)).collect();
        assert_eq!(
            order,
            [
                ("PyPI\0z", "P-1", 0, 0),
                ("npm\0a", "X-10", 5, 0),
                ("npm\0a", "X-9", 1, 0),
                ("npm\0a", "X-9", 3, 0),
                ("npm\0a", "X-9", 3, 1),
                ("npm\0ab", "X-1", 2, 0),
                ("npm\0b", "X-2", 4, 0),
            ]
        );
    }

    #[test]
    fn a_truncated_run_is_an_error_not_a_short_list() {
        let dir = tempfile::tempdir().unwrap();
        let mut runs = Runs::new(dir.path(), 1);
        runs.push(entry("npm\0a", "X-1", 0, 0)).unwrap();
        let run = runs.files[0].clone();
        let len = std::fs::metadata(&run).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(&run).unwrap().set_len(len - 3).unwrap();
        let err = runs.into_sorted().err().expect("truncated run refused");
        assert_eq!(err.0, run);
        assert_eq!(err.1.kind(), io::ErrorKind::UnexpectedEof);
    }
}
