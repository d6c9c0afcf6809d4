//! Test support: rpm databases in all three formats.
//!
//! Real ones are made at test time by rpm itself from the specs in
//! `fixtures/image/rpm/` (`rpmbuild`, `rpm -i --justdb`, `rpm --import`): SQLite is
//! Debian's rpm backend. Its header blobs are then loaded into a Berkeley DB hash by
//! `db5.3_load` (a real Berkeley DB writer, Debian package `db5.3-util`; rpm's own
//! `bdb_ro` reader cross-checks the result), and into an ndb file by [`ndb`], which
//! follows rpm's `rpmpkg.c` (Debian's rpm is built without ndb). [`bdb`] writes
//! minimal hash databases by hand, for hostile variations.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub const LAYER: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/image/rpm")
}

/// A database rpm made, and the header blobs it holds (by `hnum`).
pub struct RealDatabase {
    pub sqlite: Vec<u8>,
    pub blobs: Vec<(u32, Vec<u8>)>,
}

/// rpm's database of the fixture packages, built once per test run.
pub fn real() -> &'static RealDatabase {
    static REAL: OnceLock<RealDatabase> = OnceLock::new();
    REAL.get_or_init(build_real)
}

fn run(command: &mut Command) -> String {
    let output = crate::testing_tools::output(command);
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn build_real() -> RealDatabase {
    let work = tempfile::tempdir().unwrap();
    let top = work.path().join("build");
    let db = work.path().join("db");
    let define = |name: &str, value: &Path| format!("{name} {}", value.display());
    for spec in ["hello.spec", "tzdata.spec", "zlib.spec"] {
        // x86_64 whatever the host (the packages hold no files): the expected lists name it.
        run(Command::new("rpmbuild")
            .args(["--quiet", "-bb", "--target", "x86_64", "--define"])
            .arg(define("_topdir", &top))
            .arg(fixtures().join(spec)));
    }
    let mut packages: Vec<PathBuf> = Vec::new();
    for arch in std::fs::read_dir(top.join("RPMS")).unwrap() {
        for rpm in std::fs::read_dir(arch.unwrap().path()).unwrap() {
            packages.push(rpm.unwrap().path());
        }
    }
    packages.sort();
    let rpm = || {
        let mut command = Command::new("rpm");
        command.arg("--define").arg(define("_dbpath", &db)).args(["--define", "_db_backend sqlite"]);
        command
    };
    run(rpm().arg("--initdb"));
    run(rpm().args(["-i", "--justdb", "--nodeps", "--noscripts", "--ignorearch", "--ignoreos"]).args(&packages));
    run(rpm().arg("--import").arg(fixtures().join("test-key.asc")));

    let sqlite = std::fs::read(db.join("rpmdb.sqlite")).unwrap();
    let connection = rusqlite::Connection::open(db.join("rpmdb.sqlite")).unwrap();
    let mut statement = connection.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum").unwrap();
    let blobs = statement
        .query_map([], |row| Ok((row.get::<_, u32>(0)?, row.get::<_, Vec<u8>>(1)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(blobs.len(), 5, "four packages and a key");
    RealDatabase { sqlite, blobs }
}

/// A Berkeley DB hash `Packages` written by `db5.3_load` the way rpm fills it: record 0
/// holds the next header number, every other key is a header number in the
/// database's byte order.
pub fn db_load(records: &[(u32, &[u8])], page_size: usize, big_endian: bool) -> Vec<u8> {
    let key = |n: u32| if big_endian { n.to_be_bytes() } else { n.to_le_bytes() };
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let next = records.iter().map(|(n, _)| n + 1).max().unwrap_or(1);
    let mut dump = format!(
        "VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize={page_size}\ndb_lorder={}\nHEADER=END\n",
        if big_endian { 4321 } else { 1234 }
    );
    dump.push_str(&format!(" {}\n {}\n", hex(&key(0)), hex(&key(next))));
    for (n, blob) in records {
        dump.push_str(&format!(" {}\n {}\n", hex(&key(*n)), hex(blob)));
    }
    dump.push_str("DATA=END\n");

    let work = tempfile::tempdir().unwrap();
    let (input, output) = (work.path().join("dump"), work.path().join("Packages"));
    std::fs::write(&input, dump).unwrap();
    // Debian names it db5.3_load; other systems ship Berkeley DB's plain db_load.
    let tool = ["db5.3_load", "db_load"]
        .into_iter()
        .find(|tool| crate::testing_tools::installed(Command::new(tool).arg("-V")))
        .unwrap_or("db5.3_load");
    run(Command::new(tool).arg("-f").arg(&input).arg(&output));
    std::fs::read(&output).unwrap()
}

/// What rpm's own read-only Berkeley DB reader lists from a `Packages` file:
/// `name epoch:version-release arch`, sorted.
pub fn rpm_bdb_ro_query(packages: &[u8]) -> Vec<String> {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("Packages"), packages).unwrap();
    let out = run(Command::new("rpm").arg("--define").arg(format!("_dbpath {}", work.path().display())).args([
        "--define",
        "_db_backend bdb_ro",
        "-qa",
        "--qf",
        "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\\n",
    ]));
    let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// rpm's adler32 (RFC 1950), over a blob's head, data and padding.
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + byte as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// An ndb `Packages.db` as rpm's `rpmpkgPut` writes it: one slot page, blobs appended
/// in the order given.
pub fn ndb(blobs: &[(u32, &[u8])]) -> Vec<u8> {
    const PAGE: usize = 4096;
    assert!(blobs.len() <= PAGE / 16 - 2, "one slot page");
    let mut file = vec![0u8; PAGE];
    let next = blobs.iter().map(|(n, _)| n + 1).max().unwrap_or(1);
    for (at, word) in [(0, u32::from_le_bytes(*b"RpmP")), (4, 0), (8, 1), (12, 1), (16, next)] {
        file[at..at + 4].copy_from_slice(&word.to_le_bytes());
    }
    for slot in 2..PAGE / 16 {
        file[slot * 16..slot * 16 + 4].copy_from_slice(b"Slot");
    }
    for (i, (package, blob)) in blobs.iter().enumerate() {
        let block_offset = file.len() / 16;
        let block_count = (16 + blob.len() + 12).div_ceil(16);
        let mut area = Vec::new();
        area.extend_from_slice(b"BlbS");
        area.extend_from_slice(&package.to_le_bytes());
        area.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        area.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        area.extend_from_slice(blob);
        area.resize(block_count * 16 - 12, 0);
        let checksum = adler32(&area);
        area.extend_from_slice(&checksum.to_le_bytes());
        area.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        area.extend_from_slice(b"BlbE");
        file.extend_from_slice(&area);
        let slot = (2 + i) * 16;
        for (at, word) in [(4, *package), (8, block_offset as u32), (12, block_count as u32)] {
            file[slot + at..slot + at + 4].copy_from_slice(&word.to_le_bytes());
        }
    }
    file
}

/// A minimal Berkeley DB hash database: metadata page, one bucket on page 1, values
/// over a third of a page on overflow pages after it. `swapped` writes big-endian.
pub fn bdb(records: &[(u32, &[u8])], page_size: usize, swapped: bool) -> Vec<u8> {
    let u16b = |n: u16| if swapped { n.to_be_bytes() } else { n.to_le_bytes() };
    let u32b = |n: u32| if swapped { n.to_be_bytes() } else { n.to_le_bytes() };
    let put32 = |page: &mut Vec<u8>, at: usize, n: u32| page[at..at + 4].copy_from_slice(&u32b(n));
    let mut pages: Vec<Vec<u8>> = vec![vec![0; page_size], vec![0; page_size]];
    let mut items: Vec<Vec<u8>> = Vec::new();
    for (key, value) in records {
        items.push([&[1u8][..], &u32b(*key)].concat());
        if value.len() < page_size / 3 {
            items.push([&[1u8][..], value].concat());
            continue;
        }
        let first = pages.len() as u32;
        let chunks: Vec<&[u8]> = value.chunks(page_size - 26).collect();
        for (j, chunk) in chunks.iter().enumerate() {
            let mut page = vec![0; page_size];
            let pgno = first + j as u32;
            put32(&mut page, 8, pgno);
            put32(&mut page, 16, if j + 1 == chunks.len() { 0 } else { pgno + 1 });
            page[22..24].copy_from_slice(&u16b(chunk.len() as u16));
            page[25] = 7;
            page[26..26 + chunk.len()].copy_from_slice(chunk);
            pages.push(page);
        }
        items.push([&[3u8, 0, 0, 0][..], &u32b(first), &u32b(value.len() as u32)].concat());
    }
    let hash = &mut pages[1];
    put32(hash, 8, 1);
    hash[20..22].copy_from_slice(&u16b(items.len() as u16));
    hash[25] = 13;
    let mut end = page_size;
    for (i, item) in items.iter().enumerate() {
        end -= item.len();
        assert!(end >= 26 + 2 * items.len(), "the records fit one hash page");
        hash[end..end + item.len()].copy_from_slice(item);
        hash[26 + 2 * i..28 + 2 * i].copy_from_slice(&u16b(end as u16));
    }
    hash[22..24].copy_from_slice(&u16b(end as u16));

    let last = pages.len() as u32 - 1;
    let meta = &mut pages[0];
    meta[12..16].copy_from_slice(&u32b(0x0006_1561));
    put32(meta, 16, 9);
    put32(meta, 20, page_size as u32);
    meta[25] = 8;
    put32(meta, 32, last);
    put32(meta, 96, 1); // spares[0]: bucket 0 is on page 0 + 1
    pages.concat()
}
