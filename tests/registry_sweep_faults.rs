//! `customs registry scan` when things go wrong: repositories that answer 401, 429 or
//! 500, a layer that does not match its digest or stalls, a catalog that cannot be
//! listed, a repository that fails after a good run, a notification receiver that is
//! down, a run killed half way. Served by `support_registry::fake_catalog` (scripted)
//! or by the lab behind the counting proxy.
//!
//! `fake_catalog_*` checks the scripted registry itself (plain HTTP and `customs scan
//! --image`); the others run the `customs registry` commands.

mod common;
mod support_registry;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{customs, stdout_json};
use serde_json::Value;
use support_registry::counting_proxy::CountingProxy;
use support_registry::fake_catalog::{signature, CatalogMode, FakeCatalog, Fault, Hook};
use support_registry::lab::sweep::*;
use support_registry::lab::*;

/// Failures show up within seconds.
const QUICK: [&str; 6] = ["--transfer-timeout", "2", "--connect-timeout", "2", "--max-retry-after", "2"];

const SECRET: &str = "lab-notify-s3cret";

/// The findings each image of `catalog` must have.
fn expected_findings(catalog: &FakeCatalog, repo: &str) -> BTreeSet<FindingKey> {
    findings_of(&catalog.images[repo].packages, ADVISORIES)
}

/// What a report lists for `repos` of `catalog` (one `latest` image each).
fn expected_images(catalog: &FakeCatalog, repos: &[&str]) -> Vec<ExpectedImage> {
    let mut images: Vec<ExpectedImage> = repos
        .iter()
        .map(|repo| {
            let image = &catalog.images[*repo];
            ExpectedImage {
                repo: repo.to_string(),
                tags: vec!["latest".into()],
                digest: image.digest.clone(),
                index_digest: None,
                platform: image.platform.clone(),
            }
        })
        .collect();
    images.sort();
    images
}

fn failure_reasons(doc: &Value) -> BTreeSet<(String, String)> {
    reported_failures(doc).into_iter().map(|f| (f.repo, f.reason)).collect()
}

fn http_get(url: &str) -> (u16, Option<String>, Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::blocking::get(url).unwrap();
    let status = response.status().as_u16();
    let link = response.headers().get("link").map(|l| l.to_str().unwrap().to_string());
    (status, link, serde_json::from_slice(&response.bytes().unwrap()).unwrap())
}

#[test]
fn fake_catalog_serves_and_fails_as_scripted() {
    let repos = [
        ("faults/corrupt", Flavour::Debian),
        ("faults/rate-limited", Flavour::Debian),
        ("faults/stalled", Flavour::Debian),
        ("faults/unauthorized", Flavour::Debian),
        ("ok/one", Flavour::Alpine),
    ];
    let catalog = FakeCatalog::start(&repos);
    let base = catalog.server.url();

    // The catalog, two a page, with a relative Link; then refused both ways.
    let (status, link, page) = http_get(&format!("{base}/v2/_catalog?n=2"));
    assert_eq!(
        (status, page["repositories"].clone()),
        (200, serde_json::json!(["faults/corrupt", "faults/rate-limited"]))
    );
    assert_eq!(link.as_deref(), Some("</v2/_catalog?last=faults/rate-limited&n=2>; rel=\"next\""));
    let (_, _, last) = http_get(&format!("{base}/v2/_catalog?last=faults/unauthorized&n=2"));
    assert_eq!(last["repositories"], serde_json::json!(["ok/one"]));
    assert_eq!(http_get(&format!("{base}/v2/_catalog")).2["repositories"].as_array().unwrap().len(), 5);
    catalog.set_catalog(CatalogMode::Unauthorized);
    let (status, _, body) = http_get(&format!("{base}/v2/_catalog"));
    assert_eq!((status, body["errors"][0]["code"].clone()), (401, Value::from("UNAUTHORIZED")));
    catalog.set_catalog(CatalogMode::Unsupported);
    let (status, _, body) = http_get(&format!("{base}/v2/_catalog"));
    assert_eq!((status, body["errors"][0]["code"].clone()), (404, Value::from("UNSUPPORTED")));
    assert_eq!(catalog.catalog_requests(), 5);
    let (status, _, tags) = http_get(&format!("{base}/v2/ok/one/tags/list"));
    assert_eq!((status, tags["tags"].clone()), (200, serde_json::json!(["latest"])));

    // Through customs' own registry client: the healthy image, then each fault.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    write_advisories(&db);
    let scan = |repo: &str| {
        let started = Instant::now();
        let out = customs()
            .args(["--cache-dir", dir.path().join("cache").to_str().unwrap(), "scan", "--no-layer-cache"])
            .args(["--image", &format!("{}/{repo}:latest", catalog.host()), "--insecure-registry", &catalog.host()])
            .args(["--db", db.to_str().unwrap(), "-f", "json"])
            .args(QUICK)
            .env("DOCKER_CONFIG", dir.path())
            .output()
            .unwrap();
        (out, started.elapsed())
    };
    let (out, _) = scan("ok/one");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let found: BTreeSet<FindingKey> =
        stdout_json(&out)["findings"].as_array().unwrap().iter().map(FindingKey::from_json).collect();
    assert_eq!(found, expected_findings(&catalog, "ok/one"));
    assert!(!found.is_empty());

    let top_layer = |repo: &str| catalog.images[repo].layers.last().unwrap().0.clone();
    catalog.set_fault("faults/corrupt", Some(Fault::CorruptLayer));
    catalog.set_fault("faults/rate-limited", Some(Fault::RateLimited));
    catalog.set_fault("faults/stalled", Some(Fault::StalledLayer));
    catalog.set_fault("faults/unauthorized", Some(Fault::Unauthorized));
    for (repo, says) in [
        ("faults/corrupt", top_layer("faults/corrupt")),
        ("faults/rate-limited", "429".to_string()),
        ("faults/stalled", "too slow".to_string()),
        ("faults/unauthorized", "authentication failed".to_string()),
    ] {
        let (out, took) = scan(repo);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{repo}: {stderr}");
        assert!(stderr.contains(&says), "{repo}: {stderr}");
        assert!(took < Duration::from_secs(20), "{repo}: took {took:?}");
    }
    catalog.set_fault("faults/unauthorized", None);
    assert_eq!(scan("faults/unauthorized").0.status.code(), Some(1), "healed");
    catalog.set_fault("faults/corrupt", Some(Fault::ServerError));
    let (status, _, body) = http_get(&format!("{base}/v2/faults/corrupt/tags/list"));
    assert_eq!((status, body["errors"][0]["code"].clone()), (500, Value::from("UNKNOWN")));

    // The notification signature is HMAC-SHA256 (RFC 4231, test case 2).
    assert_eq!(
        signature("Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let hook = Hook::start();
    let post = |body: &str| reqwest::blocking::Client::new().post(hook.url()).body(body.to_string()).send().unwrap();
    assert_eq!(post("{}").status().as_u16(), 204);
    hook.set_up(false);
    assert_eq!(post("{\"n\":2}").status().as_u16(), 503);
    assert_eq!((hook.delivered().len(), hook.attempts().len()), (1, 2));
    assert_eq!(hook.delivered()[0].body, b"{}");
}

#[test]
fn each_failing_repository_is_reported_with_its_reason_and_the_others_complete() {
    let healthy = ["ok/one", "ok/three", "ok/two"];
    let failing = [
        ("faults/corrupt", Fault::CorruptLayer, "invalid"),
        ("faults/rate-limited", Fault::RateLimited, "rate-limited"),
        ("faults/server-error", Fault::ServerError, "server-error"),
        ("faults/stalled", Fault::StalledLayer, "network"),
        ("faults/unauthorized", Fault::Unauthorized, "unauthorized"),
    ];
    // Healthy repositories are Alpine + npm (medium and low findings at most).
    let mut repos: Vec<(&str, Flavour)> = healthy.iter().map(|r| (*r, Flavour::Alpine)).collect();
    repos.extend(failing.iter().map(|(r, _, _)| (*r, Flavour::Debian)));
    let catalog = FakeCatalog::start(&repos);
    for (repo, fault, _) in failing {
        catalog.set_fault(repo, Some(fault));
    }
    let dir = tempfile::tempdir().unwrap();

    let sweeper = Sweeper::new(&dir.path().join("json"), &catalog.host());
    let started = Instant::now();
    let run = sweeper.scan(&QUICK);
    assert!(started.elapsed() < Duration::from_secs(40), "took {:?}", started.elapsed());
    run.expect_code(1);
    let doc = run.json();
    let expected: BTreeSet<(String, String)> =
        failing.iter().map(|(repo, _, reason)| (repo.to_string(), reason.to_string())).collect();
    assert_eq!(failure_reasons(&doc), expected);
    assert_eq!(reported_failures(&doc).len(), failing.len(), "{:?}", reported_failures(&doc));
    assert!(reported_failures(&doc).iter().all(|f| !f.message.is_empty()));
    assert_eq!(reported_keys(&doc), expected_images(&catalog, &healthy));
    for image in reported_images(&doc) {
        assert_eq!(image.keys(), expected_findings(&catalog, &image.repo), "{}", image.repo);
    }
    assert_eq!(doc["run"]["partial"], true);
    for (field, value) in [("repositories_listed", 8), ("repositories", 8), ("repositories_failed", 3), ("images", 3)] {
        assert_eq!(coverage(&doc, field), value, "coverage.{field}");
    }
    assert!(run.stderr().contains("partial"), "{}", run.stderr());

    // The exit code follows the findings only: none is high, so --fail-on high passes,
    // and the Markdown report says the run is partial too.
    let sweeper = Sweeper::new(&dir.path().join("markdown"), &catalog.host());
    let mut flags = vec!["--fail-on", "high"];
    flags.extend(QUICK);
    let mut args = sweeper.scan_args(&flags);
    let format = args.iter().position(|a| *a == "json").unwrap();
    args[format] = "markdown";
    let run = Swept::run(sweeper.command(&args));
    run.expect_code(0);
    assert!(run.stdout().contains("partial"), "{}", run.stdout());
}

#[test]
fn a_catalog_that_cannot_be_listed_needs_repos_from_and_then_works() {
    for mode in [CatalogMode::Unauthorized, CatalogMode::Unsupported] {
        let catalog = FakeCatalog::start(&[("ok/one", Flavour::Alpine), ("ok/two", Flavour::Debian)]);
        catalog.set_catalog(mode);
        let dir = tempfile::tempdir().unwrap();
        let sweeper = Sweeper::new(dir.path(), &catalog.host());

        let refused = sweeper.scan(&QUICK);
        refused.expect_code(2);
        let stderr = refused.stderr();
        assert!(stderr.contains("--repo") && stderr.contains("--repos-from"), "{mode:?}: {stderr}");
        assert!(catalog.catalog_requests() >= 1);

        let list = dir.path().join("repos.txt");
        std::fs::write(&list, "ok/one\nok/two\n").unwrap();
        let asked = catalog.catalog_requests();
        let mut flags = vec!["--repos-from", list.to_str().unwrap()];
        flags.extend(QUICK);
        let run = sweeper.scan(&flags);
        run.expect_code(1);
        let doc = run.json();
        assert_eq!(catalog.catalog_requests(), asked, "{mode:?}: the catalog is not asked again");
        assert_eq!(reported_keys(&doc), expected_images(&catalog, &["ok/one", "ok/two"]));
        assert_eq!(coverage(&doc, "repositories_listed"), 2);
        assert_eq!(doc["run"]["partial"], false);
        assert_eq!(doc["failures"], serde_json::json!([]));
    }
}

#[test]
fn a_repository_failing_after_a_good_run_is_stale_and_never_fixed() {
    let repos = [("ok/one", Flavour::Alpine), ("ok/three", Flavour::Alpine), ("ok/two", Flavour::Debian)];
    let catalog = FakeCatalog::start(&repos);
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &catalog.host());
    let first = sweeper.scan(&QUICK);
    first.expect_code(1);
    let first = first.json();
    let all = expected_images(&catalog, &["ok/one", "ok/three", "ok/two"]);
    assert_eq!(reported_keys(&first), all);

    catalog.set_fault("ok/two", Some(Fault::Unauthorized));
    let second = sweeper.scan(&QUICK);
    second.expect_code(1);
    let doc = second.json();
    assert_eq!(reported_keys(&doc), all, "the failing repository's image is carried forward");
    let stale = expected_findings(&catalog, "ok/two");
    assert!(!stale.is_empty());
    for image in reported_images(&doc) {
        assert!(image.fixed.is_empty(), "{}: {:?}", image.repo, image.fixed);
        assert_eq!(image.keys(), expected_findings(&catalog, &image.repo), "{}", image.repo);
        let (source, change) = if image.repo == "ok/two" { ("stale", "stale") } else { ("store", "unchanged") };
        assert_eq!(image.source, source, "{}", image.repo);
        assert!(image.findings.iter().all(|(_, c)| c == change), "{}: {:?}", image.repo, image.findings);
    }
    assert_eq!(failure_reasons(&doc), BTreeSet::from([("ok/two".to_string(), "unauthorized".to_string())]));
    assert_eq!(doc["run"]["partial"], true);
    assert_eq!(doc["disappeared"], serde_json::json!([]));
    assert_eq!(summary(&doc, "fixed"), 0);
    assert_eq!(summary(&doc, "new"), 0);
    assert_eq!(summary(&doc, "stale"), stale.len() as u64);
    assert_eq!(coverage(&doc, "images_stale"), 1);
    assert_eq!(coverage(&doc, "repositories_failed"), 1);
}

/// Checks one delivery: a POST of JSON to `/hook`, signed with [`SECRET`], naming
/// every `(repository, advisory)` of `new`. Returns the body.
fn assert_signed_delivery(delivery: &support_registry::fake::Request, new: &BTreeSet<(String, String)>) -> Value {
    assert_eq!((delivery.method.as_str(), delivery.path.as_str()), ("POST", "/hook"));
    assert!(delivery.header("content-type").is_some_and(|t| t.contains("json")), "{:?}", delivery.headers);
    assert_eq!(delivery.header("x-customs-signature-256"), Some(signature(SECRET, &delivery.body).as_str()));
    assert_ne!(signature("another secret", &delivery.body), signature(SECRET, &delivery.body));
    let body: Value = serde_json::from_slice(&delivery.body).expect("the notification is JSON");
    let text = body.to_string();
    for (repo, id) in new {
        assert!(text.contains(repo.as_str()) && text.contains(id.as_str()), "{repo} {id} in {text}");
    }
    body
}

/// `(repository, advisory)` of every new finding of a report.
fn new_findings(doc: &Value) -> BTreeSet<(String, String)> {
    reported_images(doc)
        .into_iter()
        .flat_map(|image| image.with_change("new").into_iter().map(move |f| (image.repo.clone(), f.id)))
        .collect()
}

fn notifying_scan(sweeper: &Sweeper, hook: &Hook) -> Swept {
    let mut flags = vec!["--notify".to_string(), hook.url()];
    flags.extend(QUICK.map(String::from));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut command = sweeper.command(&sweeper.scan_args(&flags));
    command.env("CUSTOMS_NOTIFY_SECRET", SECRET);
    Swept::run(command)
}

#[test]
fn new_findings_are_notified_with_a_signature_that_verifies() {
    let catalog = FakeCatalog::start(&[("ok/one", Flavour::Alpine), ("ok/two", Flavour::Debian)]);
    let hook = Hook::start();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &catalog.host());
    let run = notifying_scan(&sweeper, &hook);
    run.expect_code(1);
    let new = new_findings(&run.json());
    assert_eq!(new.len(), expected_findings(&catalog, "ok/one").len() + expected_findings(&catalog, "ok/two").len());
    let deliveries = hook.delivered();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_signed_delivery(&deliveries[0], &new);
}

#[test]
fn a_notification_the_receiver_refused_is_delivered_by_the_next_run() {
    let catalog = FakeCatalog::start(&[("ok/one", Flavour::Alpine), ("ok/two", Flavour::Debian)]);
    let hook = Hook::start();
    hook.set_up(false);
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &catalog.host());

    let first = notifying_scan(&sweeper, &hook);
    first.expect_code(1);
    let new = new_findings(&first.json());
    assert!(!new.is_empty());
    assert!(!hook.attempts().is_empty(), "the first run tried");
    assert!(hook.delivered().is_empty());
    assert!(first.stderr().contains(&hook.server.host()), "a warning names the receiver: {}", first.stderr());

    hook.set_up(true);
    let second = notifying_scan(&sweeper, &hook);
    second.expect_code(1);
    assert_eq!(new_findings(&second.json()), BTreeSet::new(), "nothing new in the second run");
    let kept: Vec<_> = hook
        .delivered()
        .into_iter()
        .filter(|d| {
            let text = String::from_utf8_lossy(&d.body).into_owned();
            new.iter().all(|(repo, id)| text.contains(repo.as_str()) && text.contains(id.as_str()))
        })
        .collect();
    assert_eq!(kept.len(), 1, "the kept notification, once: {:?}", hook.delivered());
    assert_signed_delivery(&kept[0], &new);
}

#[test]
fn a_run_killed_half_way_resumes_to_what_a_clean_run_reports() {
    let lab = Lab::start();
    let proxy = CountingProxy::start(&lab.host());
    proxy.set_blob_delay(Duration::from_millis(100));
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--tags", "all", "--concurrency", "2"];
    let sweeper = Sweeper::new(&dir.path().join("killed"), &proxy.host());
    let mut child = sweeper
        .command(&sweeper.scan_args(&flags))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("customs starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    while proxy.blob_gets().len() < 20 {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it was killed");
        assert!(Instant::now() < deadline, "no blob GETs after 2 minutes");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before_kill = proxy.blob_gets().len();
    let all_blobs = lab.distinct_layers().len() + lab.platform_images().len();
    assert!(before_kill < all_blobs / 2, "killed half way: {before_kill} of {all_blobs} blobs");

    proxy.set_blob_delay(Duration::ZERO);
    proxy.reset();
    let resumed = sweeper.scan(&[&flags[..], &["--resume"]].concat());
    resumed.expect_code(1);
    let resumed = resumed.json();
    assert!(proxy.blob_gets().len() < all_blobs, "what the killed run finished is not read again");

    let clean = Sweeper::new(&dir.path().join("clean"), &proxy.host());
    let clean = clean.scan(&flags);
    clean.expect_code(1);
    let clean = clean.json();

    assert_eq!(reported_keys(&resumed), reported_keys(&clean));
    assert_eq!(reported_keys(&clean), lab.expected_images(&lab.all_tags()));
    // (repository, digest, findings with their change), sorted.
    let findings = |doc: &Value| {
        let mut images = reported_images(doc)
            .into_iter()
            .map(|i| {
                let mut findings = i.findings.clone();
                findings.sort();
                (i.repo, i.digest, findings)
            })
            .collect::<Vec<_>>();
        images.sort();
        images
    };
    assert_eq!(findings(&resumed), findings(&clean));
    assert_eq!(resumed["run"]["partial"], false);
    assert_eq!(resumed["failures"], serde_json::json!([]));
    assert_eq!(coverage(&resumed, "images"), 97);
}
