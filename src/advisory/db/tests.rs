//! The compiler against a mirror written here (every record findable by every package
//! it lists, duplicates and invalid records handled as before) and against the real
//! data in `../shared/osv`; and the file it writes is the same whatever its memory limits.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;
use zip::write::SimpleFileOptions;

use super::*;

/// Limits small enough that every batch holds a few records and every few postings
/// spill a run: the paths a compile of osv.dev's full export takes.
const TINY: CompileLimits = CompileLimits { batch_bytes: 1000, batch_records: 3, run_bytes: 2000 };

fn write_zip(path: &Path, records: &[serde_json::Value]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (n, record) in records.iter().enumerate() {
        let name = record.get("id").and_then(|id| id.as_str()).map(str::to_string).unwrap_or(format!("bad-{n}"));
        writer.start_file(format!("{name}.json"), SimpleFileOptions::default()).unwrap();
        writer.write_all(&serde_json::to_vec(record).unwrap()).unwrap();
    }
    writer.finish().unwrap();
}

fn record(id: &str, modified: &str, summary: &str, affected: serde_json::Value) -> serde_json::Value {
    json!({"id": id, "modified": modified, "summary": summary, "aliases": [format!("CVE-{id}")], "affected": affected})
}

fn package(ecosystem: &str, name: &str, introduced: &str, fixed: &str) -> serde_json::Value {
    json!({"package": {"ecosystem": ecosystem, "name": name},
           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]}],
           "versions": [introduced]})
}

/// A mirror in osv.dev's layout with what a compile must get right: keys many records
/// share, names that normalise together, one record naming a package twice (two
/// releases), records that several zips carry in older and newer copies, a record
/// without packages, and invalid records. Returns the mirror and the records a
/// database of it must hold (the newest copy of each id).
fn fixture_mirror(root: &Path) -> (PathBuf, Vec<serde_json::Value>) {
    let mirror = root.join("mirror");
    let mut npm: Vec<_> = (0..40)
        .map(|i| {
            let affected = json!([package("npm", &format!("pkg-{}", i % 7), "0", &format!("1.{i}.0"))]);
            record(&format!("NPM-{i:02}"), &format!("2024-01-{:02}T00:00:00Z", 1 + i % 28), "npm", affected)
        })
        .collect();
    let pypi_names = ["Zope.Interface", "zope_interface", "zope-interface", "requests"];
    let mut pypi: Vec<_> = (0..12)
        .map(|i| {
            let affected = json!([package("PyPI", pypi_names[i % 4], "0", "2.0")]);
            record(&format!("PY-{i:02}"), "2024-02-01T00:00:00Z", "pypi", affected)
        })
        .collect();
    let debian = vec![
        record(
            "DSA-1",
            "2024-03-01T00:00:00Z",
            "two releases",
            json!([package("Debian:11", "openssl", "0", "1.1"), package("Debian:12", "openssl", "0", "3.0")]),
        ),
        record("NOPKG-1", "2024-03-02T00:00:00Z", "no package", json!([{"ranges": []}])),
        json!({"id": "BAD-1", "modified": "2024-01-01T00:00:00Z",
               "affected": [{"package": {"ecosystem": "Debian:12", "name": "x"},
                             "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1"}]}]}]}),
        json!({"summary": "no id, no modified"}),
    ];
    // Zips are read in path order: PyPI, then Debian, then npm (upper case sorts first).
    // DUP-OLD-LATER: newer copy read first, an older one later (ignored on arrival).
    // DUP-NEW-LATER: older copy read first, superseded by a newer one from a later zip.
    // DUP-TIE: same `modified` in both: the first read wins.
    let both = |eco: &str| json!([package(eco, "shared", "0", "9")]);
    pypi.push(record("DUP-OLD-LATER", "2024-06-01T00:00:00Z", "newest", both("PyPI")));
    npm.push(record("DUP-OLD-LATER", "2024-01-01T00:00:00Z", "older", both("npm")));
    pypi.push(record("DUP-NEW-LATER", "2024-01-01T00:00:00Z", "older", both("PyPI")));
    npm.push(record("DUP-NEW-LATER", "2024-07-01T00:00:00Z", "newest", both("npm")));
    pypi.push(record("DUP-TIE", "2024-05-01T00:00:00Z", "first", both("PyPI")));
    npm.push(record("DUP-TIE", "2024-05-01T00:00:00Z", "second", both("npm")));
    // DUP-MOVED: its older copy names a package the newer one does not.
    pypi.push(record("DUP-MOVED", "2024-01-01T00:00:00Z", "older", json!([package("PyPI", "only-old", "0", "1")])));
    npm.push(record("DUP-MOVED", "2024-02-01T00:00:00Z", "newest", json!([package("npm", "only-new", "0", "1")])));
    write_zip(&mirror.join("npm/all.zip"), &npm);
    write_zip(&mirror.join("PyPI/all.zip"), &pypi);
    write_zip(&mirror.join("Debian/all.zip"), &debian);

    let superseded = |r: &serde_json::Value| {
        matches!(
            (r["id"].as_str(), r["summary"].as_str()),
            (Some("DUP-OLD-LATER" | "DUP-NEW-LATER" | "DUP-MOVED"), Some("older"))
        ) || (r["id"] == "DUP-TIE" && r["summary"] == "second")
    };
    let valid = |r: &serde_json::Value| r["id"].is_string() && r["id"] != "BAD-1";
    let expected = npm.iter().chain(&pypi).chain(&debian).filter(|r| valid(r) && !superseded(r)).cloned().collect();
    (mirror, expected)
}

fn ids(postings: &[Posting]) -> Vec<&str> {
    postings.iter().map(|p| p.id.as_str()).collect()
}

#[test]
fn every_record_is_found_by_every_package_it_lists() {
    let dir = tempfile::tempdir().unwrap();
    let (mirror, expected) = fixture_mirror(dir.path());
    let dest = dir.path().join("db/customs.db");
    let header = compile_with(std::slice::from_ref(&mirror), &dest, TINY).unwrap();
    let db = Database::open(&dest).unwrap();
    assert_eq!(db.header, header);

    assert_eq!(header.records, expected.len());
    assert_eq!(header.records, 40 + 12 + 4 + 2);
    for want in &expected {
        let want: Record = serde_json::from_value(want.clone()).unwrap();
        for affected in &want.affected {
            let Some(package) = &affected.package else { continue };
            let postings = db.lookup(&package.ecosystem, &package.name).unwrap();
            let found: Vec<_> =
                postings.iter().filter(|p| p.id == want.id && p.ecosystem == package.ecosystem).collect();
            assert_eq!(found.len(), 1, "{} under {}/{}: {postings:?}", want.id, package.ecosystem, package.name);
            let posting = found[0];
            assert_eq!(posting.name, package.name);
            assert_eq!(posting.versions, affected.versions);
            let ranges: Vec<_> = affected.ranges.iter().map(|r| (r.kind, r.events.clone())).collect();
            assert_eq!(posting.ranges.iter().map(|r| (r.kind, r.events.clone())).collect::<Vec<_>>(), ranges);
            assert_eq!(db.record(posting.record).unwrap(), want, "{}", want.id);
        }
    }

    // Postings of a key come in id order; names meet under their canonical form.
    let npm0 = db.lookup("npm", "pkg-0").unwrap();
    assert_eq!(ids(&npm0), ["NPM-00", "NPM-07", "NPM-14", "NPM-21", "NPM-28", "NPM-35"]);
    let zope = db.lookup("PyPI", "ZOPE_interface").unwrap();
    assert_eq!(ids(&zope), ["PY-00", "PY-01", "PY-02", "PY-04", "PY-05", "PY-06", "PY-08", "PY-09", "PY-10"]);
    let openssl = db.lookup("Debian:12", "openssl").unwrap();
    assert_eq!(
        openssl.iter().map(|p| (p.id.as_str(), p.ecosystem.as_str())).collect::<Vec<_>>(),
        [("DSA-1", "Debian:11"), ("DSA-1", "Debian:12")]
    );
    // One posting per copy kept: the newest, or the first read of equally new ones.
    let summaries = |eco: &str| -> Vec<(String, String)> {
        let postings = db.lookup(eco, "shared").unwrap();
        postings.iter().map(|p| (p.id.clone(), db.record(p.record).unwrap().summary.unwrap())).collect()
    };
    let pair = |id: &str, summary: &str| (id.to_string(), summary.to_string());
    assert_eq!(summaries("PyPI"), [pair("DUP-OLD-LATER", "newest"), pair("DUP-TIE", "first")]);
    assert_eq!(summaries("npm"), [pair("DUP-NEW-LATER", "newest")]);
    assert!(db.lookup("Debian", "x").unwrap().is_empty(), "the invalid record is not indexed");

    // Every key, in order; none for a package only a superseded copy named.
    let mut keys = Vec::new();
    db.visit_postings(|key, postings| {
        keys.push((key.replace('\0', "/"), postings.len()));
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    let expected_keys: Vec<(String, usize)> = [
        ("Debian/openssl", 2),
        ("PyPI/requests", 3),
        ("PyPI/shared", 2),
        ("PyPI/zope-interface", 9),
        ("npm/only-new", 1),
        ("npm/pkg-0", 6),
        ("npm/pkg-1", 6),
        ("npm/pkg-2", 6),
        ("npm/pkg-3", 6),
        ("npm/pkg-4", 6),
        ("npm/pkg-5", 5),
        ("npm/pkg-6", 5),
        ("npm/shared", 1),
    ]
    .iter()
    .map(|(k, n)| (k.to_string(), *n))
    .collect();
    assert_eq!(keys, expected_keys);

    assert_eq!(
        header.records_per_ecosystem,
        BTreeMap::from([
            ("Debian:11".to_string(), 1),
            ("Debian:12".to_string(), 1),
            ("PyPI".to_string(), 14),
            ("npm".to_string(), 42),
        ])
    );
    assert_eq!(header.newest_modified, "2024-07-01T00:00:00Z");
    let invalid: Vec<_> = header.invalid.iter().map(|(id, _)| id.as_str()).collect();
    let debian_zip = mirror.join("Debian/all.zip").display().to_string();
    // Sorted by id: a path sorts before letters.
    assert_eq!(invalid, [format!("{debian_zip}:bad-3.json"), "BAD-1".to_string()]);
    assert_eq!(header.invalid[1].1, "a Ecosystem range without an \"introduced\" event");
    let sources: Vec<_> = header.sources.iter().map(|s| (s.path.rsplit('/').nth(1).unwrap(), s.records)).collect();
    assert_eq!(sources, [("Debian", 4), ("PyPI", 16), ("npm", 44)]);
}

/// The bytes after the header (index, postings, records) and the header without its
/// build time.
fn contents(path: &Path) -> (Header, Vec<u8>) {
    let db = Database::open(path).unwrap();
    let bytes = std::fs::read(path).unwrap();
    let body = 16 + u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    (Header { built_at: String::new(), ..db.header }, bytes[body..].to_vec())
}

#[test]
fn memory_limits_change_nothing_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mirror, _) = fixture_mirror(dir.path());
    compile_with(std::slice::from_ref(&mirror), &dir.path().join("tiny.db"), TINY).unwrap();
    compile(&[mirror], &dir.path().join("default.db")).unwrap();
    let (tiny, default) = (contents(&dir.path().join("tiny.db")), contents(&dir.path().join("default.db")));
    assert_eq!(tiny.0, default.0);
    assert!(tiny.1 == default.1, "index, postings or records differ");
}

#[test]
fn a_failed_compile_keeps_the_previous_database_and_no_scratch_files() {
    let dir = tempfile::tempdir().unwrap();
    let (mirror, _) = fixture_mirror(dir.path());
    let dest = dir.path().join("db/customs.db");
    let before = compile(std::slice::from_ref(&mirror), &dest).unwrap();
    let broken = dir.path().join("broken/all.zip");
    std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
    std::fs::write(&broken, b"PK\x03\x04 not really a zip").unwrap();

    let err = compile_with(&[mirror, broken.clone()], &dest, TINY).unwrap_err();
    assert!(matches!(err, DbError::Source(SourceError::Zip { .. })), "{err:?}");
    assert!(err.to_string().starts_with(&format!("{}: not a readable zip archive", broken.display())), "{err}");
    assert_eq!(Database::open(&dest).unwrap().header, before);
    let left: Vec<_> = std::fs::read_dir(dest.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["customs.db"]);
}

/// `../shared/osv`: the real records, read-only.
fn shared_osv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/osv")
}

#[test]
fn real_mirror_subset_compiles_the_same_with_spilled_runs() {
    let dir = tempfile::tempdir().unwrap();
    let sources: Vec<PathBuf> =
        ["crates.io", "PyPI", "Debian"].iter().map(|e| shared_osv().join(e).join("all.zip")).collect();
    let small = CompileLimits { batch_bytes: 256 << 10, batch_records: 8192, run_bytes: 1 << 20 };
    let header = compile_with(&sources, &dir.path().join("small.db"), small).unwrap();
    compile(&sources, &dir.path().join("default.db")).unwrap();
    let (small, default) = (contents(&dir.path().join("small.db")), contents(&dir.path().join("default.db")));
    assert_eq!(small.0, default.0);
    assert!(small.1 == default.1, "index, postings or records differ");

    let db = Database::open(&dir.path().join("small.db")).unwrap();
    assert_eq!(header.records_per_ecosystem["crates.io"], 1206);
    let smallvec = db.lookup("crates.io", "smallvec").unwrap();
    assert!(ids(&smallvec).contains(&"RUSTSEC-2019-0009"), "{:?}", ids(&smallvec));
    let record = db.record(smallvec.iter().find(|p| p.id == "RUSTSEC-2019-0009").unwrap().record).unwrap();
    assert_eq!(record.aliases, ["CVE-2019-15551", "GHSA-mm7v-vpv8-xfc3"]);
}
