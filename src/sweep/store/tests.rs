use super::*;
use crate::sweep::outcome::{Failure, FailureReason};

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nested/store.sqlite")).unwrap();
    (dir, store)
}

fn finding(advisory: &str, package: &str, version: &str) -> RecordedFinding {
    RecordedFinding {
        key: FindingKey {
            advisory: advisory.into(),
            ecosystem: "Debian:12".into(),
            package: package.into(),
            path: "/var/lib/dpkg/status".into(),
        },
        version: version.into(),
        severity: Some("high".into()),
    }
}

#[test]
fn opening_twice_keeps_the_data_and_migrates_once() {
    let (dir, store) = open();
    let run = store.begin_run("r.example", RunKind::Scan, "db-1", "2026-12-01T00:00:00Z").unwrap();
    drop(store);
    let store = Store::open(&dir.path().join("nested/store.sqlite")).unwrap();
    assert_eq!(store.run(run).unwrap().unwrap().registry, "r.example");
    let version: i64 =
        store.sqlite().unwrap().query_row("SELECT version FROM schema_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, schema::MIGRATIONS.len() as i64);
}

#[test]
fn a_store_of_schema_1_gains_the_shard_columns_and_keeps_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let connection = Connection::open(&path).unwrap();
        connection.execute_batch(schema::MIGRATIONS[0]).unwrap();
        connection
            .execute_batch(
                "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);",
            )
            .unwrap();
        connection
            .execute(
                "INSERT INTO runs (registry, kind, started, customs_version, database) VALUES ('r.example', 'scan', 't', 'v', 'db')",
                [],
            )
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let version: i64 =
        store.sqlite().unwrap().query_row("SELECT version FROM schema_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, schema::MIGRATIONS.len() as i64);
    let sharding = store.run_sharding(1).unwrap().unwrap();
    assert_eq!((sharding.shard, sharding.count, sharding.selection, sharding.missing), (None, None, None, vec![]));
    let shard = crate::sweep::shard::Shard::new(1, 4).unwrap();
    store.record_run_sharding(1, Some(shard), "repo=[]").unwrap();
    let sharding = store.run_sharding(1).unwrap().unwrap();
    assert_eq!(
        (sharding.shard, sharding.count, sharding.selection.as_deref()),
        (Some(shard), Some(4), Some("repo=[]"))
    );
}

#[test]
fn a_store_opened_to_read_is_never_written_and_must_be_of_this_schema() {
    let (dir, store) = open();
    store.begin_run("r.example", RunKind::Scan, "db-1", "2026-12-01T00:00:00Z").unwrap();
    drop(store);
    let path = dir.path().join("nested/store.sqlite");
    let before = std::fs::read(&path).unwrap();
    let read = Store::open_read_only(&path).unwrap();
    assert_eq!(read.newest_scan_run().unwrap().unwrap().registry, "r.example");
    assert!(read.begin_run("r.example", RunKind::Scan, "db-2", "t").is_err(), "a read-only store takes no run");
    drop(read);
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // A store of schema 1 is refused as it is, not migrated.
    let old = dir.path().join("old.sqlite");
    {
        let connection = Connection::open(&old).unwrap();
        connection.execute_batch(schema::MIGRATIONS[0]).unwrap();
        connection
            .execute_batch(
                "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);",
            )
            .unwrap();
    }
    let before = std::fs::read(&old).unwrap();
    let error = Store::open_read_only(&old).err().unwrap().to_string();
    assert!(error.contains("schema version 1, written by an older customs"), "{error}");
    assert_eq!(std::fs::read(&old).unwrap(), before, "the old store was not migrated");

    // Not a store at all.
    let other = dir.path().join("other.sqlite");
    Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
    let error = Store::open_read_only(&other).err().unwrap().to_string();
    assert!(error.contains("not a sweep store"), "{error}");
}

#[test]
fn a_store_from_a_newer_customs_is_refused() {
    let (dir, store) = open();
    store.sqlite().unwrap().execute("UPDATE schema_version SET version = 99", []).unwrap();
    drop(store);
    let error = Store::open(&dir.path().join("nested/store.sqlite")).err().unwrap().to_string();
    assert!(error.contains("schema version 99, newer than this customs knows (3)"), "{error}");
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    std::fs::write(&path, b"this is not SQLite, just text long enough to have a header page........").unwrap();
    let error = Store::open(&path).err().unwrap().to_string();
    assert!(error.starts_with(&format!("the sweep store {}", path.display())), "{error}");
}

#[test]
fn runs_begin_finish_and_chain() {
    let (_dir, store) = open();
    let first = store.begin_run("r", RunKind::Scan, "db", "t1").unwrap();
    assert_eq!(store.unfinished_run("r", RunKind::Scan).unwrap(), Some(first));
    assert_eq!(store.unfinished_run("other", RunKind::Scan).unwrap(), None);
    store.finish_run(first, br#"{"run":1}"#, false, "t2").unwrap();
    store.finish_run(first, br#"{"run":1}"#, false, "t2").unwrap();
    assert_eq!(store.unfinished_run("r", RunKind::Scan).unwrap(), None);
    assert_eq!(store.run_report(first).unwrap().unwrap(), br#"{"run":1}"#);

    let interrupted = store.begin_run("r", RunKind::Scan, "db", "t3").unwrap();
    let second = store.begin_run("r", RunKind::Rematch, "db", "t4").unwrap();
    store.finish_run(second, b"{}", true, "t5").unwrap();
    // A run interrupted before a later one finished is not resumable any more.
    assert_eq!(store.unfinished_run("r", RunKind::Scan).unwrap(), None);
    assert_eq!(store.previous_finished_run("r", second).unwrap(), Some(first));
    assert_eq!(store.previous_finished_run("r", first).unwrap(), None);
    assert_eq!(store.latest_finished_run(Some("r")).unwrap(), Some(second));
    assert_eq!(store.latest_finished_run(Some("x")).unwrap(), None);
    assert!(store.run(second).unwrap().unwrap().partial);
    assert_eq!(store.run_report(interrupted).unwrap(), None);
    assert_eq!(store.runs().unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), vec![second, interrupted, first]);

    // A planned run waits for its workers and `finalize`: `scan --resume` leaves it alone.
    let planned = store.begin_run("r", RunKind::Scan, "", "t6").unwrap();
    store.record_plan(planned, b"{}", &[("app".to_string(), None)]).unwrap();
    assert_eq!(store.unfinished_run("r", RunKind::Scan).unwrap(), None);
    let interrupted = store.begin_run("r", RunKind::Scan, "db", "t7").unwrap();
    assert_eq!(store.unfinished_run("r", RunKind::Scan).unwrap(), Some(interrupted));
}

#[test]
fn images_layers_and_the_package_index() {
    let (_dir, store) = open();
    assert!(store.image("sha256:a", "k1").unwrap().is_none());
    let packages = vec![
        ("Debian:12".to_string(), "zlib1g".to_string(), "1:1.2.13".to_string()),
        ("PyPI".to_string(), "django".to_string(), "4.2.0".to_string()),
    ];
    store.record_image("sha256:a", "k1", "linux/amd64", &["sha256:l1".into()], b"{\"a\":1}", &packages, "t1").unwrap();
    store.record_image("sha256:a", "k1", "linux/amd64", &["sha256:l1".into()], b"{\"a\":1}", &packages, "t2").unwrap();
    store.record_image("sha256:b", "k1", "linux/arm64", &[], b"{}", &packages[1..], "t3").unwrap();
    let stored = store.image("sha256:a", "k1").unwrap().unwrap();
    assert_eq!((stored.inventory.as_slice(), stored.first_seen.as_str()), (&b"{\"a\":1}"[..], "t1"));
    assert!(store.image("sha256:a", "k2").unwrap().is_none(), "other analysers: not analysed");
    // Analysed again by new analysers: first seen stays.
    store.record_image("sha256:a", "k2", "linux/amd64", &[], b"{}", &[], "t9").unwrap();
    assert_eq!(store.image("sha256:a", "k2").unwrap().unwrap().first_seen, "t1");
    assert_eq!(store.images_with_package("PyPI", "django", None).unwrap(), vec!["sha256:b"]);
    assert_eq!(store.images_with_package("Debian:12", "zlib1g", Some("1:1.2.13")).unwrap(), Vec::<String>::new());

    assert_eq!(store.layer("k"), None);
    store.put_layer("k", "sha256:l1", b"layer bytes", "t1");
    store.put_layer("k", "sha256:l1", b"layer bytes", "t1");
    assert_eq!(store.layer("k").unwrap(), b"layer bytes");
    assert_eq!(store.layer_count().unwrap(), 1);
    store.sqlite().unwrap().execute("UPDATE layers SET data = x'00010203'", []).unwrap();
    assert_eq!(store.layer("k"), None, "a damaged layer entry is a miss");
}

#[test]
fn manifests_tags_and_seen_images() {
    let (_dir, store) = open();
    assert_eq!(store.manifest("r", "app", "sha256:i").unwrap(), None);
    let images = vec![
        PlatformImage { platform: "linux/amd64".into(), digest: "sha256:x".into() },
        PlatformImage { platform: "linux/arm64".into(), digest: "sha256:y".into() },
    ];
    store.record_manifest("r", "app", "sha256:i", &images).unwrap();
    store.record_manifest("r", "app", "sha256:i", &images).unwrap();
    assert_eq!(store.manifest("r", "app", "sha256:i").unwrap().unwrap(), images);
    assert_eq!(store.manifest("r", "other", "sha256:i").unwrap(), None);
    // A creation time is kept on its own: it says nothing of the manifest's platforms.
    assert_eq!(store.manifest_created("r", "app", "sha256:j").unwrap(), None);
    store.record_created("r", "app", "sha256:j", "2026-01-01T00:00:00Z").unwrap();
    store.record_created("r", "app", "sha256:j", "2026-01-02T00:00:00Z").unwrap();
    assert_eq!(store.manifest_created("r", "app", "sha256:j").unwrap().as_deref(), Some("2026-01-02T00:00:00Z"));
    assert_eq!(store.manifest("r", "app", "sha256:j").unwrap(), None);

    let run = store.begin_run("r", RunKind::Scan, "db", "t1").unwrap();
    store.record_tag("r", run, "app", "latest", "sha256:i", "t1").unwrap();
    store.record_tag("r", run, "app", "latest", "sha256:i", "t1").unwrap();
    let count: i64 = store.sqlite().unwrap().query_row("SELECT COUNT(*) FROM tags", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 1);
    for image in &images {
        let seen = SeenImage {
            repository: "app".into(),
            tag: "latest".into(),
            top_digest: "sha256:i".into(),
            image_digest: image.digest.clone(),
            platform: image.platform.clone(),
        };
        store.record_seen(run, &seen).unwrap();
        store.record_seen(run, &seen).unwrap();
    }
    let seen = store.seen(run).unwrap();
    assert_eq!(seen.iter().map(|s| s.image_digest.as_str()).collect::<Vec<_>>(), vec!["sha256:x", "sha256:y"]);
}

#[test]
fn findings_are_replaced_per_run_and_first_seen_is_kept() {
    let (_dir, store) = open();
    let one = store.begin_run("r", RunKind::Scan, "db", "t1").unwrap();
    let found = vec![finding("DSA-1", "zlib1g", "1"), finding("DSA-2", "openssl", "3")];
    store.record_findings("r", one, "app", "sha256:x", "linux/amd64", &found, "t1").unwrap();
    store.record_findings("r", one, "app", "sha256:x", "linux/amd64", &found[..1], "t1").unwrap();
    assert_eq!(store.findings(one, "app", "sha256:x").unwrap(), found[..1].to_vec());
    let two = store.begin_run("r", RunKind::Scan, "db", "t2").unwrap();
    store.record_findings("r", two, "app", "sha256:x", "linux/amd64", &found[..1], "t2").unwrap();
    assert_eq!(store.finding_first_seen("r", "app", &found[0].key).unwrap().as_deref(), Some("t1"));
    assert_eq!(store.finding_first_seen("r", "other", &found[0].key).unwrap(), None);
    assert_eq!(store.findings(two, "app", "sha256:y").unwrap(), vec![]);
}

#[test]
fn failures_policy_and_notifications() {
    let (_dir, store) = open();
    let run = store.begin_run("r", RunKind::Scan, "db", "t1").unwrap();
    let failure =
        Failure { repository: "app".into(), tag: None, reason: FailureReason::Unauthorized, message: "401".into() };
    store.record_failure(run, &failure).unwrap();
    store.record_failure(run, &failure).unwrap();
    store.record_policy(run, "app", "sha256:x", &[("CUSTOMS-SIG-001".into(), "unsigned".into())]).unwrap();
    store.record_policy(run, "app", "sha256:x", &[("CUSTOMS-SIG-001".into(), "unsigned".into())]).unwrap();
    let count = |table: &str| -> i64 {
        store.sqlite().unwrap().query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).unwrap()
    };
    assert_eq!((count("failures"), count("policy_verdicts")), (1, 1));

    let id = store.queue_notification(run, "http://127.0.0.1:1/hook", b"{}").unwrap();
    store.notification_attempted(id, Err("connection refused"), "t2").unwrap();
    let pending = store.pending_notifications().unwrap();
    assert_eq!((pending.len(), pending[0].attempts, pending[0].body.as_slice()), (1, 1, &b"{}"[..]));
    store.notification_attempted(id, Ok(()), "t3").unwrap();
    assert!(store.pending_notifications().unwrap().is_empty());
}

#[test]
fn work_items_are_claimed_under_leases_and_given_up_after_the_last_attempt() {
    let (_dir, store) = open();
    let run = store.begin_run("r", RunKind::Scan, "", "t").unwrap();
    let tags = Some(vec!["1.0".to_string(), "1.1".to_string()]);
    store
        .record_plan(run, br#"{"plan":1}"#, &[("big".to_string(), tags.clone()), ("small".to_string(), None)])
        .unwrap();
    assert_eq!(store.plan(run).unwrap().unwrap(), br#"{"plan":1}"#);
    assert_eq!(store.item_tags(run, 0).unwrap(), tags);
    assert_eq!(store.item_tags(run, 1).unwrap(), None);

    let first = store.claim_item(run, "a", 100, 10, 2).unwrap().unwrap();
    assert_eq!((first.item, first.repository.as_str(), first.tags, first.attempts), (0, "big", tags.clone(), 1));
    let second = store.claim_item(run, "b", 100, 10, 2).unwrap().unwrap();
    assert_eq!((second.item, second.attempts), (1, 1));
    assert_eq!(store.claim_item(run, "c", 105, 10, 2).unwrap(), None, "both leased until 110");
    store.finish_item(run, 1, b"{\"done\":1}", "t").unwrap();
    // `a` died: its item is claimed again once the lease ran out, then given up.
    let again = store.claim_item(run, "c", 111, 10, 2).unwrap().unwrap();
    assert_eq!((again.item, again.attempts), (0, 2));
    assert!(!store.renew_lease(run, 0, "a", 200).unwrap(), "a's lease is c's now");
    assert_eq!(store.unfinished_items(run, None).unwrap(), 1);
    assert_eq!(store.claim_item(run, "d", 122, 10, 2).unwrap(), None);
    assert_eq!(store.unfinished_items(run, None).unwrap(), 0);
    let items = store.items(run).unwrap();
    let states: Vec<(&str, i64, Option<usize>)> =
        items.iter().map(|i| (i.state.as_str(), i.attempts, i.tags)).collect();
    assert_eq!(states, vec![("failed", 2, Some(2)), ("done", 1, None)]);
    assert_eq!(store.item_outcomes(run).unwrap(), vec![(1, b"{\"done\":1}".to_vec())]);
    // A late finish of a given-up item changes nothing.
    store.finish_item(run, 0, b"{}", "t").unwrap();
    assert_eq!(store.items(run).unwrap()[0].state, "failed");
}

#[test]
fn a_shard_of_workers_claims_exactly_the_items_whose_repository_hashes_to_it() {
    let (_dir, store) = open();
    let run = store.begin_run("r", RunKind::Scan, "", "t").unwrap();
    let names: Vec<String> = (0..60).map(|i| format!("team/svc-{i}")).collect();
    // Names whose hash has the top bit set are stored as negative integers: both kinds are here.
    let negative = names.iter().filter(|n| crate::sweep::shard::name_hash(n) > i64::MAX as u64).count();
    assert!(negative > 0 && negative < names.len(), "{negative}");
    let items: Vec<(String, Option<Vec<String>>)> = names.iter().map(|n| (n.clone(), None)).collect();
    store.record_plan(run, b"{}", &items).unwrap();
    for index in 0..3 {
        let shard = crate::sweep::shard::Shard::new(index, 3).unwrap();
        let expected: Vec<String> = names.iter().filter(|n| shard.selects(n)).cloned().collect();
        assert_eq!(store.unfinished_items(run, Some(shard)).unwrap(), expected.len() as i64);
        let mut claimed = Vec::new();
        while let Some(item) = store.claim_item_of(run, Some(shard), "w", 100, 10, 3).unwrap() {
            claimed.push(item.repository);
        }
        assert_eq!(claimed, expected, "shard {shard}");
        assert_eq!(store.unfinished_items(run, Some(shard)).unwrap(), expected.len() as i64, "leased, not done");
    }
    assert_eq!(store.claim_item(run, "w", 100, 10, 3).unwrap(), None, "every item is leased");
}

#[test]
fn an_image_with_many_packages_is_indexed_in_chunks_each_package_once() {
    let (_dir, store) = open();
    // 150 rows (chunks of 64, 64, 16, 4 and 2), of which 20 repeat an earlier package.
    let packages: Vec<(String, String, String)> =
        (0..150).map(|i| ("npm".to_string(), format!("p{}", i % 130), "1.0".to_string())).collect();
    store.record_image("sha256:a", "v1", "linux/amd64", &[], b"{}", &packages, "t").unwrap();
    for i in [0, 63, 64, 127, 128, 129] {
        assert_eq!(store.images_with_package("npm", &format!("p{i}"), Some("1.0")).unwrap(), ["sha256:a"], "p{i}");
    }
    let count = |store: &Store| -> i64 {
        store.sqlite().unwrap().query_row("SELECT COUNT(*) FROM image_packages", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(count(&store), 130);
    // Written again with fewer packages: the index holds those alone.
    store.record_image("sha256:a", "v1", "linux/amd64", &[], b"{}", &packages[..3], "t").unwrap();
    assert_eq!(count(&store), 3);
    assert!(store.images_with_package("npm", "p100", None).unwrap().is_empty());
}
