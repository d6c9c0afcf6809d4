//! `customs registry scan --shard I/N` and `customs registry merge` end to end, against
//! the registry lab (`support_registry::lab`, a real `docker-registry`): three shards
//! swept into three stores and merged report what one process sweeping the whole lab
//! reports; the shards' shares are disjoint and cover every repository; a second night
//! with failing repositories merges to what one process reports too (failures, stale
//! images, comparison with the night before); mistakes (a shard out of range, shards
//! of two registries, a missing shard) are named.

mod common;
mod support_registry;

use std::collections::BTreeSet;
use std::path::Path;

use customs::sweep::shard::shard_of;
use serde_json::Value;
use support_registry::fake_catalog::{FakeCatalog, Fault};
use support_registry::lab::sweep::*;
use support_registry::lab::*;

/// A sweeper of the lab writing to `store` (one advisory folder and cache for all, so
/// every run matches against the same database).
fn with_store(sweeper: &Sweeper, store: &Path) -> Sweeper {
    Sweeper {
        dir: sweeper.dir.clone(),
        cache: sweeper.cache.clone(),
        store: store.to_path_buf(),
        db: sweeper.db.clone(),
        registry: sweeper.registry.clone(),
    }
}

fn merge(sweeper: &Sweeper, merged: &Path, shards: &[&Path], extra: &[&str]) -> Swept {
    let mut args = vec!["registry", "merge", "--store", merged.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend(shards.iter().map(|s| s.to_str().unwrap()));
    Swept::run(sweeper.command(&args))
}

/// The repositories a report's images and failures name.
fn repositories_of(doc: &Value) -> BTreeSet<String> {
    let mut repositories: BTreeSet<String> = reported_images(doc).into_iter().map(|i| i.repo).collect();
    repositories.extend(reported_failures(doc).into_iter().map(|f| f.repo));
    repositories
}

/// What a run spends, which N processes spend differently from one (each lists the
/// catalog, and reads base layers its store lacks): `(requests, layers downloaded,
/// layers from store, bytes downloaded)`. Removed from the report by [`normalised`].
fn spent(doc: &Value) -> [u64; 4] {
    ["requests", "layers_downloaded", "layers_from_store", "bytes_downloaded"].map(|field| coverage(doc, field))
}

/// The report with what must differ between two runs taken out: the run's id and
/// timestamps, each image's `first_seen` (when its store first saw it), and what the
/// run spent ([`spent`], compared on its own). Nothing else is touched.
fn normalised(doc: &Value) -> Value {
    let mut doc = doc.clone();
    for field in ["id", "started", "finished"] {
        doc["run"][field] = Value::Null;
    }
    for field in ["requests", "layers_downloaded", "layers_from_store", "bytes_downloaded"] {
        doc["coverage"][field] = Value::Null;
    }
    for image in doc["images"].as_array_mut().unwrap() {
        image["first_seen"] = Value::Null;
    }
    doc
}

/// The merged report equals the single process's; a difference is shown where it is.
#[track_caller]
fn assert_same(merged: &Value, single: &Value) {
    if let Some(difference) = common::first_difference(merged, single, "") {
        panic!("the merged report differs from one process's at {difference}");
    }
}

#[test]
fn three_shards_merged_report_what_one_process_sweeping_the_registry_reports() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &lab.host());
    let flags = ["--tags", "all", "--concurrency", "2"];

    let single = with_store(&sweeper, &dir.path().join("single.db")).scan(&flags);
    single.expect_code(1);
    let single = single.json();
    assert_eq!(reported_keys(&single), lab.expected_images(&lab.all_tags()));

    let every: BTreeSet<String> = lab.repositories().into_iter().collect();
    let paths: Vec<_> = (0..3).map(|i| dir.path().join(format!("shard-{i}.db"))).collect();
    let mut shares: Vec<BTreeSet<String>> = Vec::new();
    let mut shard_spent = [0u64; 4];
    for (index, path) in paths.iter().enumerate() {
        let shard = format!("{index}/3");
        let swept = with_store(&sweeper, path).scan(&[&flags[..], &["--shard", &shard]].concat());
        swept.expect_code(1);
        let doc = swept.json();
        assert_eq!(doc["run"]["shard"], serde_json::json!({"index": index, "count": 3}), "{shard}");
        let share = repositories_of(&doc);
        let hashed: BTreeSet<String> = every.iter().filter(|r| shard_of(r, 3) == index as u32).cloned().collect();
        assert_eq!(share, hashed, "shard {shard} sweeps exactly the repositories hashing to it");
        assert_eq!(coverage(&doc, "repositories"), hashed.len() as u64, "{shard}");
        assert_eq!(coverage(&doc, "repositories_listed"), 34, "{shard}: the whole catalog was listed");
        let expected: Vec<ExpectedImage> =
            lab.expected_images(&lab.all_tags()).into_iter().filter(|i| hashed.contains(&i.repo)).collect();
        assert_eq!(reported_keys(&doc), expected, "{shard}");
        for (total, value) in shard_spent.iter_mut().zip(spent(&doc)) {
            *total += value;
        }
        shares.push(share);
    }
    // Disjoint, and together every repository of the lab.
    for (i, a) in shares.iter().enumerate() {
        assert!(!a.is_empty(), "shard {i} of 3 has repositories of the lab's 34");
        for b in &shares[i + 1..] {
            assert!(a.is_disjoint(b), "{a:?} and {b:?} overlap");
        }
    }
    assert_eq!(shares.iter().flatten().cloned().collect::<BTreeSet<_>>(), every);

    let merged = dir.path().join("merged.db");
    let merging = merge(&sweeper, &merged, &paths.iter().map(|p| p.as_path()).collect::<Vec<_>>(), &[]);
    merging.expect_code(0);
    assert!(merging.stderr().contains("into run 1 of"), "{}", merging.stderr());
    let report = with_store(&sweeper, &merged).report(&["-f", "json"]);
    report.expect_code(1);
    let report = report.json();
    assert_same(&normalised(&report), &normalised(&single));
    // What the shards spent, summed (more requests than one process: each lists the catalog).
    assert_eq!(spent(&report), shard_spent);
    assert!(spent(&report)[0] > spent(&single)[0]);
    assert_eq!(report["run"]["id"], 1);
    assert!(report["run"].get("shard").is_none() && report["run"].get("missing_shards").is_none(), "{}", report["run"]);

    // The merged store holds every inventory: a rematch needs no registry at all.
    let images = reported_keys(&report);
    drop(lab);
    let rematched = with_store(&sweeper, &merged).rematch(&[]);
    rematched.expect_code(1);
    let rematched = rematched.json();
    assert_eq!(rematched["run"]["kind"], "rematch");
    assert_eq!(rematched["run"]["compared_with"], 1);
    assert_eq!(rematched["run"]["partial"], false);
    assert!(rematched["run"].get("missing_shards").is_none(), "{}", rematched["run"]);
    assert_eq!(reported_keys(&rematched), images);
    assert_eq!(rematched["warnings"], serde_json::json!([]));
    for image in reported_images(&rematched) {
        assert!(image.findings.iter().all(|(_, change)| change == "unchanged"), "{}: {:?}", image.repo, image.findings);
        assert!(image.fixed.is_empty(), "{}", image.repo);
    }
    assert_eq!(summary(&rematched, "unchanged"), summary(&single, "new"));
}

#[test]
fn shard_mistakes_are_refused_or_reported_by_name() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &lab.host());
    let store = |name: &str| dir.path().join(name);

    // Out of range, and malformed: exit 2 before any request.
    let out = with_store(&sweeper, &store("x.db")).scan(&["--shard", "3/3"]);
    out.expect_code(2);
    assert_eq!(
        out.stderr().trim_end(),
        "error: --shard 3/3: the index counts from 0 and must be below the count (0/3 to 2/3)"
    );
    let mut command = sweeper.command(&sweeper.scan_args(&["--shard-count", "3"]));
    command.env("JOB_COMPLETION_INDEX", "7");
    let out = Swept::run(command);
    out.expect_code(2);
    assert_eq!(
        out.stderr().trim_end(),
        "error: JOB_COMPLETION_INDEX=\"7\" with --shard-count 3: the index must be a whole number from 0 to 2"
    );

    // The index from the Indexed Job's variable, as --shard 1/2 would take it.
    let flags = ["--repo", "team-a/*"];
    let first = with_store(&sweeper, &store("a-1.db"));
    let mut command = first.command(&first.scan_args(&[&flags[..], &["--shard-count", "2"]].concat()));
    command.env("JOB_COMPLETION_INDEX", "1");
    let from_variable = Swept::run(command);
    from_variable.expect_code(1);
    assert_eq!(from_variable.json()["run"]["shard"], serde_json::json!({"index": 1, "count": 2}));

    // The same registry by two names is two registries to a merge.
    let other_name = lab.host().replace("127.0.0.1", "localhost");
    let other = Sweeper { registry: other_name.clone(), ..with_store(&sweeper, &store("b-0.db")) };
    other.scan(&[&flags[..], &["--shard", "0/2"]].concat()).expect_code(1);
    let out = merge(&sweeper, &store("m.db"), &[&store("a-1.db"), &store("b-0.db")], &[]);
    out.expect_code(2);
    assert_eq!(
        out.stderr().trim_end(),
        format!(
            "error: {} swept {} but {} swept {other_name}: merge only the shards of one sweep",
            store("a-1.db").display(),
            lab.host(),
            store("b-0.db").display()
        )
    );
    let out = merge(&sweeper, &store("m.db"), &[&store("a-1.db"), &store("nothing.db")], &[]);
    out.expect_code(2);
    assert!(out.stderr().contains(&format!("the shard store {} does not exist", store("nothing.db").display())));
    assert!(!store("nothing.db").exists());

    // Shard 0 of 2 missing: merged, and every report says the run is incomplete.
    merge(&sweeper, &store("m.db"), &[&store("a-1.db")], &[]).expect_code(0);
    let merged = with_store(&sweeper, &store("m.db"));
    let doc = merged.report(&["-f", "json"]).json();
    assert_eq!(doc["run"]["partial"], true);
    assert_eq!(doc["run"]["missing_shards"], serde_json::json!({"of": 2, "indices": [0]}));
    assert!(
        doc["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "incomplete run: shard 0 of 2 is missing; its repositories are not in this report"),
        "{}",
        doc["warnings"]
    );
    let table = merged.report(&[]);
    assert!(table.stdout().contains("incomplete: 1 shard (0) of 2 missing, not swept"), "{}", table.stdout());
    let markdown = merged.report(&["-f", "markdown"]);
    assert!(markdown.stdout().contains("incomplete: 1 shard (0) of 2 missing"), "{}", markdown.stdout());
    // A rematch of the incomplete run is as incomplete.
    let rematched = merged.rematch(&[]);
    rematched.expect_code(1);
    let rematched = rematched.json();
    assert_eq!(rematched["run"]["kind"], "rematch");
    assert_eq!(
        (rematched["run"]["partial"].clone(), rematched["run"]["missing_shards"].clone()),
        (true.into(), doc["run"]["missing_shards"].clone())
    );
}

/// Short deadlines: the failing repositories fail fast.
const QUICK: [&str; 6] = ["--transfer-timeout", "2", "--connect-timeout", "2", "--max-retry-after", "2"];

#[test]
fn a_second_night_with_failures_merges_to_what_one_process_reports() {
    // Of 3 shards: 0 holds ok/five and ok/four, 1 none (an empty share), 2 the rest.
    let names = ["ok/five", "ok/four", "ok/one", "ok/six", "ok/three", "ok/two"];
    let shares: Vec<Vec<&str>> =
        (0..3).map(|i| names.iter().copied().filter(|n| shard_of(n, 3) == i).collect()).collect();
    assert_eq!(shares, [vec!["ok/five", "ok/four"], vec![], vec!["ok/one", "ok/six", "ok/three", "ok/two"]]);
    let repos: Vec<(&str, Flavour)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, if i % 2 == 0 { Flavour::Alpine } else { Flavour::Debian }))
        .collect();
    let catalog = FakeCatalog::start(&repos);
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &catalog.host());
    let single = with_store(&sweeper, &dir.path().join("single.db"));
    let paths: Vec<_> = (0..3).map(|i| dir.path().join(format!("shard-{i}.db"))).collect();
    let merged = with_store(&sweeper, &dir.path().join("merged.db"));

    // One night: one process, then three shards merged. Returns both reports.
    let night = |expected_code: i32| -> (Value, Value) {
        let one = single.scan(&QUICK);
        one.expect_code(expected_code);
        for (index, path) in paths.iter().enumerate() {
            let shard = format!("{index}/3");
            let swept = with_store(&sweeper, path).scan(&[&QUICK[..], &["--shard", &shard]].concat());
            // The empty share is recorded as an empty run and exits 0.
            swept.expect_code(if index == 1 { 0 } else { expected_code });
            if index == 1 {
                assert_eq!(coverage(&swept.json(), "repositories"), 0);
                assert!(swept.stderr().contains("no repository falls in this shard"), "{}", swept.stderr());
            }
        }
        let shards: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
        merge(&sweeper, &merged.store, &shards, &[]).expect_code(0);
        let report = merged.report(&["-f", "json"]);
        report.expect_code(expected_code);
        (one.json(), report.json())
    };

    let (one, report) = night(1);
    assert_same(&normalised(&report), &normalised(&one));
    assert_eq!(one["run"]["partial"], false);

    catalog.set_fault("ok/two", Some(Fault::Unauthorized));
    catalog.set_fault("ok/five", Some(Fault::Unauthorized));
    let (one, report) = night(1);
    assert_same(&normalised(&report), &normalised(&one));
    // What the comparison shows: both nights' second runs, the failures and stale images.
    assert_eq!((report["run"]["compared_with"].clone(), one["run"]["compared_with"].clone()), (1.into(), 1.into()));
    assert_eq!(report["run"]["partial"], true);
    let failed: Vec<(String, String)> = reported_failures(&report).into_iter().map(|f| (f.repo, f.reason)).collect();
    assert_eq!(
        failed,
        [("ok/five".to_string(), "unauthorized".to_string()), ("ok/two".to_string(), "unauthorized".to_string())]
    );
    let stale: Vec<String> =
        reported_images(&report).into_iter().filter(|i| i.source == "stale").map(|i| i.repo).collect();
    assert_eq!(stale, ["ok/five", "ok/two"]);
    assert_eq!(coverage(&report, "repositories_failed"), 2);
    assert_eq!(summary(&report, "new") + summary(&report, "fixed"), 0);
}
