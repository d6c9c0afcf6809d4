//! Incremental `customs db update` against a real server on 127.0.0.1 that serves a
//! mirror in osv.dev's layout (`all.zip`, `modified_id.csv`, `<ID>.json`) from memory and
//! records every request: what is fetched after a few records changed, that the result
//! answers like a full update, and the fallbacks to the whole zip.

mod common;
mod support_http;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use customs::advisory::db::Database;
use serde_json::Value;
use support_http::{Reply, TestServer};

const ECOSYSTEM: &str = "Packagist";

/// One mirror's files by URL path; the test changes them between updates.
type Files = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// The records of the shared Packagist zip (591), by id.
fn shared_records() -> BTreeMap<String, Value> {
    let path = common::shared().join("osv").join(ECOSYSTEM).join("all.zip");
    let mut archive = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    let mut records = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        let record: Value = serde_json::from_str(&text).unwrap();
        records.insert(record["id"].as_str().unwrap().to_string(), record);
    }
    records
}

/// Publishes `records` as osv.dev does: the zip, the list newest first, each record alone.
fn publish(files: &Files, records: &BTreeMap<String, Value>, with_list: bool) {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut map = HashMap::new();
    let mut lines = Vec::new();
    for (id, record) in records {
        let bytes = serde_json::to_vec(record).unwrap();
        zip.start_file(format!("{id}.json"), zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(&bytes).unwrap();
        map.insert(format!("/{ECOSYSTEM}/{id}.json"), bytes);
        lines.push((record["modified"].as_str().unwrap().to_string(), id.clone()));
    }
    lines.sort_by(|a, b| b.cmp(a));
    map.insert(format!("/{ECOSYSTEM}/all.zip"), zip.finish().unwrap().into_inner());
    if with_list {
        let csv: String = lines.iter().map(|(time, id)| format!("{time},{id}\n")).collect();
        map.insert(format!("/{ECOSYSTEM}/modified_id.csv"), csv.into_bytes());
    }
    *files.lock().unwrap() = map;
}

fn serve(files: &Files) -> TestServer {
    let files = files.clone();
    TestServer::start(move |req, _| match files.lock().unwrap().get(&req.path) {
        Some(body) => Reply::status(200).with_body(body),
        None => Reply::status(404),
    })
}

fn customs() -> Command {
    let mut cmd = common::customs();
    for var in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `db update` for Packagist; exit code and stderr.
fn update(cache: &Path, mirror: &str) -> (i32, String) {
    let out = customs()
        .arg("--cache-dir")
        .arg(cache)
        .args(["db", "update", "--mirror", mirror, "--ecosystem", ECOSYSTEM])
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The paths requested since `from`, sorted.
fn requests_since(server: &TestServer, from: usize) -> Vec<String> {
    let mut paths: Vec<String> = server.seen()[from..].iter().map(|r| r.path.clone()).collect();
    paths.sort();
    paths
}

fn db_path(cache: &Path) -> PathBuf {
    cache.join("db").join("customs.db")
}

/// Everything a scan can ask a database, whatever the order of its records: the
/// counts, and under each key the postings with the records they point to.
fn answers(path: &Path) -> (usize, BTreeMap<String, usize>, String, BTreeMap<String, Vec<String>>) {
    let db = Database::open(path).unwrap();
    let mut keys = BTreeMap::new();
    db.visit_postings(|key, postings| {
        let mut resolved: Vec<String> = postings
            .into_iter()
            .map(|mut p| {
                let record = db.record(p.record).unwrap();
                p.record = 0;
                format!("{p:?} {record:?}")
            })
            .collect();
        resolved.sort();
        keys.insert(key.to_string(), resolved);
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    let h = &db.header;
    (h.records, h.records_per_ecosystem.clone(), h.newest_modified.clone(), keys)
}

#[test]
fn a_few_changed_records_are_fetched_alone_and_answer_like_a_full_update() {
    let files: Files = Arc::default();
    let mut records = shared_records();
    assert_eq!(records.len(), 591);
    publish(&files, &records, true);
    let server = serve(&files);
    let cache = tempfile::tempdir().unwrap();

    // Nothing installed: the whole zip, and no list.
    let (code, stderr) = update(cache.path(), &server.url());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(requests_since(&server, 0), [format!("/{ECOSYSTEM}/all.zip")]);

    // 1% of the records change (new time, new content), one vanishes, one is new.
    let ids: Vec<String> = records.keys().cloned().collect();
    let changed: Vec<String> = ids.iter().step_by(100).cloned().collect();
    assert_eq!(changed.len(), 6);
    for id in &changed {
        let record = records.get_mut(id).unwrap();
        record["modified"] = "2026-12-01T00:00:00Z".into();
        record["summary"] = format!("changed summary of {id}").into();
    }
    let removed = ids[50].clone();
    let removed_package = records[&removed]["affected"][0]["package"]["name"].clone();
    records.remove(&removed);
    let mut new_record = records[&ids[1]].clone();
    new_record["id"] = "TEST-INCR-0001".into();
    new_record["modified"] = "2026-12-02T00:00:00Z".into();
    records.insert("TEST-INCR-0001".into(), new_record);
    publish(&files, &records, true);

    let before = server.seen().len();
    let (code, stderr) = update(cache.path(), &server.url());
    assert_eq!(code, 0, "{stderr}");
    let mut expected: Vec<String> = changed.iter().map(|id| format!("/{ECOSYSTEM}/{id}.json")).collect();
    expected.push(format!("/{ECOSYSTEM}/TEST-INCR-0001.json"));
    expected.push(format!("/{ECOSYSTEM}/modified_id.csv"));
    expected.sort();
    assert_eq!(requests_since(&server, before), expected);
    assert!(stderr.contains("incremental: 7 records fetched, 1 removed"), "{stderr}");

    // A full update from the changed mirror gives the same answers.
    let full = tempfile::tempdir().unwrap();
    let (code, stderr) = update(full.path(), &server.url());
    assert_eq!(code, 0, "{stderr}");
    let (patched, whole) = (answers(&db_path(cache.path())), answers(&db_path(full.path())));
    assert_eq!(patched.0, 591);
    assert_eq!(patched.2, "2026-12-02T00:00:00Z");
    assert_eq!(patched, whole);
    let changed_summary = format!("changed summary of {}", changed[0]);
    assert!(patched.3.values().flatten().any(|p| p.contains(&changed_summary)));
    assert!(!patched.3.values().flatten().any(|p| p.contains(&format!("id: \"{removed}\""))), "{removed_package}");

    // Nothing changed since: only the list is asked for.
    let before = server.seen().len();
    let (code, stderr) = update(cache.path(), &server.url());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(requests_since(&server, before), [format!("/{ECOSYSTEM}/modified_id.csv")]);
    assert!(stderr.contains("database unchanged"), "{stderr}");

    // The records' times are remembered beside the patched zip (the fetched ones too):
    // one more change fetches that record alone, and still answers like a full update.
    let stamps = cache.path().join("osv").join(ECOSYSTEM).join("all.stamps");
    assert!(fs::read_to_string(&stamps).unwrap().contains("2026-12-02T00:00:00Z\tTEST-INCR-0001\n"));
    records.get_mut("TEST-INCR-0001").unwrap()["modified"] = "2026-12-03T00:00:00Z".into();
    publish(&files, &records, true);
    let before = server.seen().len();
    let (code, stderr) = update(cache.path(), &server.url());
    assert_eq!(code, 0, "{stderr}");
    let mut expected = [format!("/{ECOSYSTEM}/TEST-INCR-0001.json"), format!("/{ECOSYSTEM}/modified_id.csv")];
    expected.sort();
    assert_eq!(requests_since(&server, before), expected);
    let again = tempfile::tempdir().unwrap();
    let (code, stderr) = update(again.path(), &server.url());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(answers(&db_path(cache.path())), answers(&db_path(again.path())));
}

#[test]
fn a_mirror_without_the_list_or_with_many_changes_sends_the_whole_zip() {
    let files: Files = Arc::default();
    let mut records = shared_records();
    publish(&files, &records, false);
    let server = serve(&files);
    let cache = tempfile::tempdir().unwrap();
    assert_eq!(update(cache.path(), &server.url()).0, 0);

    let before = server.seen().len();
    let (code, stderr) = update(cache.path(), &server.url());
    assert_eq!(code, 0, "{stderr}");
    let (zip, list) = (format!("/{ECOSYSTEM}/all.zip"), format!("/{ECOSYSTEM}/modified_id.csv"));
    assert_eq!(requests_since(&server, before), [zip.clone(), list.clone()]);
    assert!(stderr.contains("no modified_id.csv on the mirror; fetched all.zip"), "{stderr}");

    // 20% changed: one request for the zip beats 118.
    for record in records.values_mut().step_by(5) {
        record["modified"] = "2026-12-01T00:00:00Z".into();
    }
    publish(&files, &records, true);
    let before = server.seen().len();
    let (code, stderr) = update(cache.path(), &server.url());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(requests_since(&server, before), [zip, list]);
    assert!(stderr.contains("119 of 591 records changed; fetched all.zip"), "{stderr}");
}

#[test]
fn a_list_naming_a_path_is_refused_naming_the_line_and_the_previous_copy_stays() {
    let files: Files = Arc::default();
    let records = shared_records();
    publish(&files, &records, true);
    let server = serve(&files);
    let cache = tempfile::tempdir().unwrap();
    assert_eq!(update(cache.path(), &server.url()).0, 0);
    let installed = fs::read(cache.path().join("osv").join(ECOSYSTEM).join("all.zip")).unwrap();

    let list_path = format!("/{ECOSYSTEM}/modified_id.csv");
    {
        let mut map = files.lock().unwrap();
        let list = String::from_utf8(map[&list_path].clone()).unwrap();
        let mut lines: Vec<&str> = list.lines().collect();
        lines.insert(2, "2026-12-03T00:00:00Z,../../../etc/passwd");
        map.insert(list_path.clone(), (lines.join("\n") + "\n").into_bytes());
    }
    let before = server.seen().len();
    let (code, stderr) = update(cache.path(), &server.url());
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}{list_path}: line 3: not a record id (only letters, digits and -_.:+ are allowed; no path separators): \"2026-12-03T00:00:00Z,../../../etc/passwd\"; keeping the previous copy",
            server.url()
        )),
        "{stderr}"
    );
    assert_eq!(requests_since(&server, before), [list_path]);
    assert_eq!(fs::read(cache.path().join("osv").join(ECOSYSTEM).join("all.zip")).unwrap(), installed);
}
