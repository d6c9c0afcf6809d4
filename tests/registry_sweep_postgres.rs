//! The sweep's store on a real PostgreSQL server (`support_postgres`), against the
//! registry lab (`support_registry::lab`, a real `docker-registry`): `registry scan
//! --store postgres://…` reports what the SQLite store reports, a second night as
//! cheaply; workers starting at once migrate a fresh database once; `registry plan`,
//! three `registry work` processes (one killed mid-item) and `registry finalize` report
//! what one `registry scan` process reports; three workers read each layer once between
//! them; a worker renews its lease through a long item; an item that outlived its
//! attempts is reported as failures; a server that goes away mid-run is named (never
//! with its password) and `work` resumes once it is back; TLS is required and checked.

mod common;
mod support_postgres;
mod support_registry;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use customs::sweep::store::Store;
use serde_json::{json, Value};
use support_postgres::Postgres;
use support_registry::lab::sweep::*;
use support_registry::lab::*;

/// A sweeper of the lab writing to `store` (a file or a URL), sharing the advisories
/// and cache of `sweeper`.
fn with_store(sweeper: &Sweeper, store: &str) -> Sweeper {
    Sweeper {
        dir: sweeper.dir.clone(),
        cache: sweeper.cache.clone(),
        store: PathBuf::from(store),
        db: sweeper.db.clone(),
        registry: sweeper.registry.clone(),
    }
}

/// What a run spends: `(requests, layers downloaded, layers from store, bytes downloaded)`.
fn spent(doc: &Value) -> [u64; 4] {
    ["requests", "layers_downloaded", "layers_from_store", "bytes_downloaded"].map(|field| coverage(doc, field))
}

/// The report without what two runs of the same sweep must differ in: the run's id
/// and times, and each image's `first_seen` (when its store first saw it).
fn normalised(doc: &Value) -> Value {
    let mut doc = doc.clone();
    for field in ["id", "started", "finished"] {
        doc["run"][field] = Value::Null;
    }
    for image in doc["images"].as_array_mut().unwrap() {
        image["first_seen"] = Value::Null;
    }
    doc
}

/// [`normalised`], also without what a run spent and whether each image was analysed
/// in this run or taken from the store: a killed worker's item is read again, and
/// what the dead worker had stored is then taken from the store.
fn normalised_work(doc: &Value) -> Value {
    let mut doc = normalised(doc);
    for field in [
        "requests",
        "layers_downloaded",
        "layers_from_store",
        "bytes_downloaded",
        "images_analysed",
        "images_from_store",
    ] {
        doc["coverage"][field] = Value::Null;
    }
    for image in doc["images"].as_array_mut().unwrap() {
        image["source"] = Value::Null;
    }
    doc
}

#[track_caller]
fn assert_same(what: &str, a: &Value, b: &Value) {
    if let Some(difference) = common::first_difference(a, b, "") {
        panic!("{what}: the reports differ at {difference}");
    }
}

const FLAGS: [&str; 4] = ["--tags", "all", "--concurrency", "2"];

#[test]
fn a_postgres_store_reports_what_an_sqlite_store_reports_and_an_unchanged_night_is_as_cheap() {
    let lab = Lab::start();
    let postgres = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &lab.host());
    let sqlite = with_store(&sweeper, dir.path().join("store.db").to_str().unwrap());
    let server = with_store(&sweeper, &postgres.url());

    let on_sqlite = sqlite.scan(&FLAGS);
    on_sqlite.expect_code(1);
    let on_postgres = server.scan(&FLAGS);
    on_postgres.expect_code(1);
    let (first_sqlite, first_postgres) = (on_sqlite.json(), on_postgres.json());
    assert_eq!(reported_keys(&first_postgres), lab.expected_images(&lab.all_tags()));
    assert_same("first night", &normalised(&first_postgres), &normalised(&first_sqlite));
    assert_eq!(spent(&first_postgres), spent(&first_sqlite), "the same requests and layers");
    assert_eq!(coverage(&first_postgres, "layers_downloaded"), lab.distinct_layers().len() as u64);

    // The second night: nothing changed in the registry; one HEAD per tag, no layer.
    let (second_sqlite, second_postgres) = (sqlite.scan(&FLAGS), server.scan(&FLAGS));
    second_sqlite.expect_code(1);
    second_postgres.expect_code(1);
    let (second_sqlite, second_postgres) = (second_sqlite.json(), second_postgres.json());
    assert_same("second night", &normalised(&second_postgres), &normalised(&second_sqlite));
    assert_eq!(spent(&second_postgres), spent(&second_sqlite));
    assert_eq!(coverage(&second_postgres, "layers_downloaded"), 0);
    assert_eq!(coverage(&second_postgres, "images_from_store"), lab.platform_images().len() as u64);
    assert_eq!(second_postgres["run"]["compared_with"], first_postgres["run"]["id"]);

    // `registry report` renders the stored run again, from the environment variable.
    let mut report = server.command(&["registry", "report", "-f", "json"]);
    report.env("CUSTOMS_STORE", postgres.url());
    let rendered = Swept::run(report);
    rendered.expect_code(1);
    assert_eq!(rendered.json(), second_postgres);

    // `registry rematch` from each store: the same report, no registry traffic.
    let (rematch_sqlite, rematch_postgres) = (sqlite.rematch(&[]), server.rematch(&[]));
    rematch_sqlite.expect_code(1);
    rematch_postgres.expect_code(1);
    let (rematch_sqlite, rematch_postgres) = (rematch_sqlite.json(), rematch_postgres.json());
    assert_same("rematch", &normalised(&rematch_postgres), &normalised(&rematch_sqlite));
    assert_eq!(coverage(&rematch_postgres, "requests"), 0);
}

#[test]
fn plan_work_and_finalize_also_work_on_an_sqlite_store() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &lab.host());
    let single = with_store(&sweeper, dir.path().join("single.db").to_str().unwrap()).scan(&FLAGS);
    single.expect_code(1);
    let store = dir.path().join("shared.db");
    let store = store.to_str().unwrap();
    let run = plan(&sweeper, store, &[]);
    let workers: Vec<Child> = ["one", "two"].iter().map(|name| spawn_worker(&sweeper, store, &run, name)).collect();
    for worker in workers {
        let out = worker.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let finalized = finalize(&sweeper, store, &run);
    finalized.expect_code(1);
    assert_same("on SQLite", &normalised_work(&finalized.json()), &normalised_work(&single.json()));
}

#[test]
fn workers_opening_a_fresh_database_at_once_apply_the_schema_once() {
    let postgres = Postgres::start();
    let url = postgres.url();
    let opened: Vec<Result<(), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            (0..6).map(|_| scope.spawn(|| Store::open_location(&url).map(drop).map_err(|e| e.to_string()))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(opened, vec![Ok(()); 6]);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let versions: Vec<i64> =
        client.query("SELECT version FROM schema_version", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, vec![3], "one schema_version row, at the newest migration");
    let tables: i64 = client
        .query_one("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'", &[])
        .unwrap()
        .get(0);
    assert_eq!(tables, 16, "every table once");
}

#[test]
fn workers_claiming_at_once_take_every_item_exactly_once() {
    let postgres = Postgres::start();
    let store = Store::open_location(&postgres.url()).unwrap();
    let run = store.begin_run("r.example", customs::sweep::outcome::RunKind::Scan, "", "t").unwrap();
    let items: Vec<(String, Option<Vec<String>>)> = (0..40).map(|i| (format!("repo-{i:02}"), None)).collect();
    store.record_plan(run, b"{}", &items).unwrap();
    let url = postgres.url();
    let claimed: Vec<Vec<i64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|worker| {
                let url = url.clone();
                scope.spawn(move || {
                    let store = Store::open_location(&url).unwrap();
                    let mut mine = Vec::new();
                    while let Some(item) = store.claim_item(run, &format!("w{worker}"), 1_000, 60, 3).unwrap() {
                        mine.push(item.item);
                        store.finish_item(run, item.item, b"{}", "t").unwrap();
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<i64> = claimed.iter().flatten().copied().collect();
    all.sort();
    assert_eq!(all, (0..40).collect::<Vec<i64>>(), "each item claimed once: {claimed:?}");
    // An expired lease is claimable again; a live one is not.
    let run = store.begin_run("r.example", customs::sweep::outcome::RunKind::Scan, "", "t").unwrap();
    store.record_plan(run, b"{}", &[("only".to_string(), Some(vec!["1".to_string()]))]).unwrap();
    let first = store.claim_item(run, "a", 1_000, 10, 3).unwrap().unwrap();
    assert_eq!((first.item, first.attempts, first.tags), (0, 1, Some(vec!["1".to_string()])));
    assert_eq!(store.claim_item(run, "b", 1_005, 10, 3).unwrap(), None, "leased until 1010");
    assert!(store.renew_lease(run, 0, "a", 1_020).unwrap());
    assert_eq!(store.claim_item(run, "b", 1_015, 10, 3).unwrap(), None, "renewed until 1020");
    let again = store.claim_item(run, "b", 1_021, 10, 3).unwrap().unwrap();
    assert_eq!((again.item, again.attempts), (0, 2));
    assert!(!store.renew_lease(run, 0, "a", 1_040).unwrap(), "a lost its lease to b");

    // Static shares (`work --shard I/N`): each takes the repositories hashing to it.
    let run = store.begin_run("r.example", customs::sweep::outcome::RunKind::Scan, "", "t").unwrap();
    store.record_plan(run, b"{}", &items).unwrap();
    for index in 0..4 {
        let shard = customs::sweep::shard::Shard::new(index, 4).unwrap();
        let mut mine = Vec::new();
        while let Some(item) = store.claim_item_of(run, Some(shard), "s", 1_000, 60, 3).unwrap() {
            mine.push(item.repository);
        }
        let expected: Vec<String> = items.iter().map(|(r, _)| r.clone()).filter(|r| shard.selects(r)).collect();
        assert_eq!(mine, expected, "shard {shard}");
    }
}

/// `customs registry ARGS…` against the lab, with the store given by `CUSTOMS_STORE`.
fn registry_command(sweeper: &Sweeper, store: &str, args: &[&str]) -> Command {
    let mut full = vec!["registry"];
    full.extend_from_slice(args);
    let mut command = sweeper.command(&full);
    command.env("CUSTOMS_STORE", store);
    command
}

fn plan(sweeper: &Sweeper, store: &str, extra: &[&str]) -> String {
    let mut args = vec!["plan", &sweeper.registry, "--insecure-registry", &sweeper.registry, "--tags", "all"];
    args.extend_from_slice(extra);
    let planned = Swept::run(registry_command(sweeper, store, &args));
    planned.expect_code(0);
    let run = planned.stdout();
    assert!(run.trim().parse::<i64>().is_ok(), "plan prints the run id alone: {run:?}");
    run.trim().to_string()
}

fn spawn_worker(sweeper: &Sweeper, store: &str, run: &str, name: &str) -> Child {
    let args = [
        "work",
        "--run",
        run,
        "--worker",
        name,
        "--lease",
        "3s",
        "--concurrency",
        "1",
        "--insecure-registry",
        &sweeper.registry,
    ];
    registry_command(sweeper, store, &args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

fn status(sweeper: &Sweeper, store: &str, run: &str) -> String {
    let out = Swept::run(registry_command(sweeper, store, &["status", "--run", run]));
    out.expect_code(0);
    out.stdout()
}

fn status_json(sweeper: &Sweeper, store: &str, run: &str) -> Value {
    let out = Swept::run(registry_command(sweeper, store, &["status", "--run", run, "-f", "json"]));
    out.expect_code(0);
    out.json()
}

/// Waits until `status` shows an item leased by `worker`.
fn wait_for_lease(sweeper: &Sweeper, store: &str, run: &str, worker: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let shown = status(sweeper, store, run);
        if shown.contains(&format!("leased by {worker} ")) {
            return shown;
        }
        assert!(Instant::now() < deadline, "{worker} never held a lease:\n{shown}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn finalize(sweeper: &Sweeper, store: &str, run: &str) -> Swept {
    let db = sweeper.db.to_str().unwrap();
    Swept::run(registry_command(sweeper, store, &["finalize", "--run", run, "--db", db, "-f", "json"]))
}

#[test]
fn three_workers_one_killed_mid_item_and_finalize_report_what_one_scan_reports() {
    let lab = Lab::start();
    let postgres = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &lab.host());
    let single = with_store(&sweeper, dir.path().join("single.db").to_str().unwrap()).scan(&FLAGS);
    single.expect_code(1);
    let single = single.json();

    let url = postgres.url();
    let run = plan(&sweeper, &url, &["--tags-per-item", "4"]);
    let before = status(&sweeper, &url, &run);
    // Each repository's tags in chunks of 4: the big one's 55 make 14 items.
    let items: usize = lab.repositories().iter().map(|r| lab.tags_of(r).len().div_ceil(4)).sum();
    assert!(items >= 34 + 13, "{items}");
    assert_eq!(
        before,
        format!("run {run} of {}: {items} items: 0 done, 0 failed, 0 leased, {items} pending\n", lab.host())
    );
    let planned = status_json(&sweeper, &url, &run);
    assert_eq!(planned["run"].as_i64().unwrap().to_string(), run);
    assert_eq!(planned["registry"], lab.host());
    assert_eq!(planned["finalized"], Value::Null);
    assert_eq!(planned["counts"], json!({"items": items, "done": 0, "failed": 0, "leased": 0, "pending": items}));
    let planned_items = planned["items"].as_array().unwrap();
    assert_eq!(planned_items.len(), items);
    for (n, item) in planned_items.iter().enumerate() {
        assert_eq!(item["item"], n as i64);
        assert_eq!((&item["state"], &item["attempts"]), (&json!("pending"), &json!(0)), "{item}");
        assert!(item["tags"].as_u64().is_some_and(|t| (1..=4).contains(&t)), "{item}");
    }
    let early = finalize(&sweeper, &url, &run);
    early.expect_code(2);
    assert!(
        early
            .stderr()
            .contains(&format!("run {run} is not finished: {items} of {items} items are still pending and 0 leased")),
        "{}",
        early.stderr()
    );

    // The first worker is killed while it holds an item.
    let mut doomed = spawn_worker(&sweeper, &url, &run, "doomed");
    let shown = wait_for_lease(&sweeper, &url, &run, "doomed");
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    let held: Vec<&str> = shown.lines().filter(|l| l.contains("leased by doomed ")).collect();
    assert_eq!(held.len(), 1, "{shown}");

    // Two more at once: they read everything else, and the dead worker's item once its lease runs out.
    let workers: Vec<Child> = ["one", "two"].iter().map(|name| spawn_worker(&sweeper, &url, &run, name)).collect();
    let mut finished = Vec::new();
    for worker in workers {
        let out = worker.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        finished.push(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    assert!(finished.iter().all(|e| e.contains("none is left to claim")), "{finished:?}");
    let after = status(&sweeper, &url, &run);
    assert_eq!(
        after,
        format!("run {run} of {}: {items} items: {items} done, 0 failed, 0 leased, 0 pending\n", lab.host())
    );

    let finalized = finalize(&sweeper, &url, &run);
    finalized.expect_code(1);
    let report = finalized.json();
    assert_eq!(report["run"]["id"].as_i64().unwrap().to_string(), run);
    let closed = status_json(&sweeper, &url, &run);
    assert_eq!(closed["finalized"], report["run"]["finished"]);
    assert!(closed["finalized"].is_string(), "{closed}");
    assert_eq!(closed["counts"], json!({"items": items, "done": items, "failed": 0, "leased": 0, "pending": 0}));
    assert!(closed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["state"] == "done" && i["attempts"].as_i64() >= Some(1)));
    assert_same("plan, work, finalize", &normalised_work(&report), &normalised_work(&single));
    // Each layer analysed once in the store, whoever read it.
    let store = Store::open_location(&url).unwrap();
    assert_eq!(store.layer_count().unwrap(), lab.distinct_layers().len() as i64);
    // A finished run cannot be finalized twice.
    let again = finalize(&sweeper, &url, &run);
    again.expect_code(2);
    assert!(again.stderr().contains("already finalized"), "{}", again.stderr());
}

#[test]
fn three_workers_at_once_read_each_layer_once_between_them() {
    let lab = Lab::start();
    let postgres = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &lab.host());
    let url = postgres.url();
    // One tag an item: every image that shares a base layer is its own item, read by
    // whichever worker is free, so the workers meet on the base layers.
    let run = plan(&sweeper, &url, &["--tags-per-item", "1"]);
    let workers: Vec<Child> =
        ["one", "two", "three"].iter().map(|name| spawn_worker(&sweeper, &url, &run, name)).collect();
    for worker in workers {
        let out = worker.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let finalized = finalize(&sweeper, &url, &run);
    finalized.expect_code(1);
    let report = finalized.json();
    assert_eq!(reported_keys(&report), lab.expected_images(&lab.all_tags()));
    assert_eq!(
        coverage(&report, "layers_downloaded"),
        lab.distinct_layers().len() as u64,
        "each distinct layer downloaded by one worker only"
    );
    assert_eq!(coverage(&report, "images_analysed"), lab.platform_images().len() as u64);
}

#[test]
fn a_server_gone_mid_run_is_named_without_its_password_and_work_resumes_once_it_is_back() {
    let lab = Lab::start();
    let postgres = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &lab.host());
    let single = with_store(&sweeper, dir.path().join("single.db").to_str().unwrap()).scan(&FLAGS);
    single.expect_code(1);
    let single = single.json();

    let url = postgres.url_with_password("hunter2-secret");
    let run = plan(&sweeper, &url, &["--tags-per-item", "2"]);
    let worker = spawn_worker(&sweeper, &url, &run, "cut-off");
    wait_for_lease(&sweeper, &url, &run, "cut-off");
    postgres.stop();
    let out = worker.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let named = format!("the sweep store postgres://customs@127.0.0.1:{}/postgres", postgres.port);
    assert!(stderr.contains(&named), "the error names the store: {stderr}");
    assert!(!stderr.contains("hunter2"), "never the password: {stderr}");

    // Back again: one worker finishes the run, the cut-off item once its lease has run out.
    postgres.start_again();
    let resumed = Swept::run(registry_command(
        &sweeper,
        &url,
        &["work", "--run", &run, "--lease", "3s", "--insecure-registry", &sweeper.registry],
    ));
    resumed.expect_code(0);
    let finalized = finalize(&sweeper, &url, &run);
    finalized.expect_code(1);
    assert_same("resumed after the server came back", &normalised_work(&finalized.json()), &normalised_work(&single));
}

#[test]
fn an_item_that_outlived_its_attempts_is_given_up_and_reported_as_failures_of_its_tags() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &lab.host());
    let store = dir.path().join("shared.db");
    let store = store.to_str().unwrap();
    let run = plan(&sweeper, store, &["--tags-per-item", "8"]);
    // A worker claimed the first item (the big repository's first 8 tags) and died
    // long ago; with --max-attempts 1 that claim was its last.
    let shared = Store::open_location(store).unwrap();
    let run_id: i64 = run.parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let dead = shared.claim_item(run_id, "ghost", now - 100, 10, 1).unwrap().unwrap();
    assert_eq!((dead.item, dead.repository.as_str()), (0, BIG_REPO));
    let lost: Vec<String> = dead.tags.clone().unwrap();
    assert_eq!(lost.len(), 8);
    drop(shared);

    let worked = Swept::run(registry_command(
        &sweeper,
        store,
        &["work", "--run", &run, "--max-attempts", "1", "--insecure-registry", &sweeper.registry],
    ));
    worked.expect_code(0);
    let shown = status(&sweeper, store, &run);
    assert!(shown.contains(" done, 1 failed, 0 leased, 0 pending\n"), "{shown}");
    assert!(shown.contains(&format!("  item 0 ({BIG_REPO}): given up after 1 attempt\n")), "{shown}");

    let finalized = finalize(&sweeper, store, &run);
    finalized.expect_code(1);
    let report = finalized.json();
    assert_eq!(report["run"]["partial"], true);
    let failures = reported_failures(&report);
    assert_eq!(failures.iter().map(|f| f.tag.clone().unwrap()).collect::<Vec<_>>(), lost);
    for failure in &failures {
        assert_eq!((failure.repo.as_str(), failure.reason.as_str()), (BIG_REPO, "invalid"));
        assert_eq!(
            failure.message,
            format!("{BIG_REPO}: 1 worker stopped while reading it (killed, out of memory, or cut off from the store); given up")
        );
    }
    // Every other tag was read.
    let expected: Vec<ExpectedImage> = lab
        .expected_images(&lab.all_tags())
        .into_iter()
        .filter(|i| !(i.repo == BIG_REPO && i.tags.iter().all(|t| lost.contains(t))))
        .collect();
    assert_eq!(reported_keys(&report), expected);
}

#[test]
fn a_worker_renews_its_lease_while_an_item_takes_longer_than_the_lease() {
    let lab = Lab::start();
    let proxy = support_registry::counting_proxy::CountingProxy::start(&lab.host());
    let postgres = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &proxy.host());
    let url = postgres.url();
    let repository = "team-a/api";
    let run = plan(&sweeper, &url, &["--repo", repository]);
    // Every blob takes 2.5 s: the one item takes several times the 2 s lease.
    proxy.set_blob_delay(Duration::from_millis(2500));
    let lease = |name: &str| {
        let args = ["work", "--run", &run, "--worker", name, "--lease", "2s", "--concurrency", "1"];
        let mut command = registry_command(&sweeper, &url, &args);
        command.args(["--insecure-registry", &sweeper.registry]).stdout(Stdio::piped()).stderr(Stdio::piped());
        command.spawn().unwrap()
    };
    let holder = lease("holder");
    wait_for_lease(&sweeper, &url, &run, "holder");
    // A second worker waits for the holder rather than take its item.
    let waiter = lease("waiter");
    for worker in [holder, waiter] {
        let out = worker.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let store = Store::open_location(&url).unwrap();
    let items = store.items(run.parse().unwrap()).unwrap();
    let claims: Vec<(&str, i64)> = items.iter().map(|i| (i.state.as_str(), i.attempts)).collect();
    assert_eq!(claims, vec![("done", 1)], "claimed once, never taken over");
    let blobs = proxy.count("GET", &format!("/v2/{repository}/blobs/"));
    let expected: BTreeSet<String> = lab
        .tags_of(repository)
        .iter()
        .flat_map(|tag| lab.images_of_tag(repository, tag))
        .flat_map(|image| image.layers.iter().map(|(digest, _)| digest.clone()).chain([image.config_digest.clone()]))
        .collect();
    assert_eq!(blobs, expected.len(), "each config and layer read once");
}

/// A CA and a certificate for 127.0.0.1 it signed: `(CA PEM, server chain PEM, server key PEM)`.
fn certificates() -> (String, String, String) {
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(rcgen::DnType::CommonName, "customs test CA");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let issuer = rcgen::CertifiedIssuer::self_signed(ca, ca_key).unwrap();
    let mut server = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    server.distinguished_name.push(rcgen::DnType::CommonName, "127.0.0.1");
    let server_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let certificate = server.signed_by(&server_key, &issuer).unwrap();
    (issuer.pem(), certificate.pem(), server_key.serialize_pem())
}

/// How many connections to the server use TLS, asked over a plain connection.
fn tls_connections(postgres: &Postgres) -> i64 {
    let mut client = postgres::Client::connect(&postgres.url(), postgres::NoTls).unwrap();
    client.query_one("SELECT COUNT(*) FROM pg_stat_ssl WHERE ssl", &[]).unwrap().get(0)
}

#[test]
fn tls_is_required_unless_the_url_says_otherwise_and_the_server_is_checked_against_its_ca() {
    let (ca, certificate, key) = certificates();
    let postgres = Postgres::start_with_tls(&certificate, &key);
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();
    let base = format!("postgres://customs:pw-not-shown@127.0.0.1:{}/postgres", postgres.port);

    // No sslmode: TLS, with the server's certificate checked against sslrootcert.
    let store = Store::open_location(&format!("{base}?sslrootcert={}", ca_file.display())).unwrap();
    assert_eq!(tls_connections(&postgres), 1, "the store's connection is the one over TLS");
    drop(store);

    // Without the CA, the server's certificate is not trusted: refused, and said so.
    let error = Store::open_location(&base).err().unwrap().to_string();
    let named = format!("the sweep store postgres://customs@127.0.0.1:{}/postgres: cannot connect", postgres.port);
    assert!(error.starts_with(&named), "{error}");
    assert!(error.contains("invalid peer certificate"), "{error}");
    assert!(error.ends_with("give its CA as ?sslrootcert=FILE)"), "{error}");
    assert!(!error.contains("pw-not-shown"), "{error}");

    // A server without TLS is refused unless the URL says sslmode=disable.
    let plain = Postgres::start();
    let plain_base = format!("postgres://customs@127.0.0.1:{}/postgres", plain.port);
    let error = Store::open_location(&plain_base).err().unwrap().to_string();
    assert!(
        error.ends_with("server does not support TLS (TLS is required unless the URL says sslmode=disable)"),
        "{error}"
    );
    assert!(Store::open_location(&format!("{plain_base}?sslmode=disable")).is_ok());
    assert!(Store::open_location(&format!("{plain_base}?sslmode=prefer")).is_ok(), "prefer falls back to plain");
}
