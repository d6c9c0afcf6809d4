//! `customs registry scan | rematch | report` end to end, against the registry lab
//! (`support_registry::lab`: 34 repositories of small synthetic images in a real
//! `docker-registry`) behind a counting proxy, so each test can assert what was reported
//! and exactly which requests it took.
//!
//! The `lab_*` tests check the lab and the proxy themselves, with plain HTTP and
//! `customs scan --image`; the others run the `customs registry` commands.

mod common;
mod support_registry;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::*;
use customs::image::digest::Digest;
use serde_json::Value;
use support_registry::counting_proxy::{CountingProxy, Route};
use support_registry::lab::sweep::*;
use support_registry::lab::*;
use support_registry::{OCI_INDEX, OCI_MANIFEST};

/// The lab and a proxy in front of its registry.
fn lab_behind_proxy() -> (Lab, CountingProxy) {
    let lab = Lab::start();
    let proxy = CountingProxy::start(&lab.host());
    (lab, proxy)
}

fn json_of(response: reqwest::blocking::Response) -> Value {
    serde_json::from_slice(&response.bytes().unwrap()).unwrap()
}

fn http() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Every page of the catalog at `n` per page, following `Link`; returns the names and
/// every `Link` value seen.
fn read_catalog(client: &reqwest::blocking::Client, base: &str, n: usize) -> (Vec<String>, Vec<String>) {
    let mut next = Some(format!("/v2/_catalog?n={n}"));
    let (mut names, mut links) = (Vec::new(), Vec::new());
    while let Some(path) = next.take() {
        let response = client.get(format!("{base}{path}")).send().unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        if let Some(link) = response.headers().get("link") {
            let link = link.to_str().unwrap().to_string();
            let target = link.trim_start_matches('<').split('>').next().unwrap().to_string();
            next = Some(target.strip_prefix(base).map(String::from).unwrap_or(target));
            links.push(link);
        }
        let page = json_of(response);
        names.extend(page["repositories"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()));
    }
    (names, links)
}

#[test]
fn lab_pushes_what_it_says_and_the_proxy_counts_every_request() {
    let (mut lab, proxy) = lab_behind_proxy();
    let base = format!("http://{}", proxy.host());
    let client = http();

    // What the lab holds.
    assert_eq!(lab.repositories().len(), 34);
    assert_eq!(lab.tags().len(), 108);
    assert_eq!(lab.platform_images().len(), 97);
    assert_eq!(lab.distinct_layers().len(), 100);
    assert_eq!(lab.tags_of(BIG_REPO).len(), 55);
    assert!(!lab.tags_of(BIG_REPO).contains(&"latest".to_string()));
    assert_eq!(newest_semver(&lab.tags_of(BIG_REPO), 3), ["2.10.1", "2.10.0", "2.9.0"]);
    assert_eq!(lab.tags_of(BIG_REPO).iter().filter(|t| parse_semver(t).is_some()).count(), 35);
    assert!(lab.distinct_layers().iter().all(|d| lab.layer_size(d) < 4096), "layers stay tiny");

    // The catalog, 5 per page: 34 names in 7 pages, each Link relative.
    let (names, links) = read_catalog(&client, &base, 5);
    assert_eq!(names, lab.repositories());
    assert_eq!(links.len(), 6);
    assert!(links.iter().all(|l| l.starts_with("</v2/_catalog?")), "{links:?}");
    assert_eq!(proxy.count("GET", "/v2/_catalog"), 7);

    // Every tag list and every tag's digest.
    for repo in lab.repositories() {
        let list = json_of(client.get(format!("{base}/v2/{repo}/tags/list")).send().unwrap());
        let mut tags: Vec<String> =
            list["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect();
        tags.sort();
        assert_eq!(tags, lab.tags_of(&repo), "{repo}");
    }
    let accept = format!("{OCI_MANIFEST}, {OCI_INDEX}");
    for tag in lab.tags() {
        let response = client
            .head(format!("{base}/v2/{}/manifests/{}", tag.repo, tag.tag))
            .header("accept", &accept)
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{tag:?}");
        assert_eq!(response.headers()["docker-content-digest"].to_str().unwrap(), tag.digest, "{tag:?}");
        let media_type = if tag.repo == MULTI_REPO { OCI_INDEX } else { OCI_MANIFEST };
        assert_eq!(response.headers()["content-type"].to_str().unwrap(), media_type, "{tag:?}");
    }
    assert_eq!(proxy.manifest_heads().len(), 108);
    assert_eq!(proxy.count("GET", "/v2/") - proxy.count("GET", "/v2/_catalog"), 34, "34 tag lists");

    // The multi-platform tag: two platforms that share no layer.
    let index = json_of(
        client.get(format!("{base}/v2/{MULTI_REPO}/manifests/latest")).header("accept", OCI_INDEX).send().unwrap(),
    );
    let platforms: Vec<&LabImage> = lab.images_of_tag(MULTI_REPO, "latest");
    assert_eq!(platforms.iter().map(|i| i.platform.as_str()).collect::<Vec<_>>(), ["linux/amd64", "linux/arm64"]);
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2);
    let layers_of = |i: &LabImage| i.layers.iter().map(|(d, _)| d.clone()).collect::<BTreeSet<_>>();
    assert!(layers_of(platforms[0]).is_disjoint(&layers_of(platforms[1])));

    // Each layer through the proxy, verified; the proxy lists exactly those blob GETs.
    proxy.reset();
    let mut fetched = Vec::new();
    for digest in lab.distinct_layers() {
        let image = lab.platform_images().iter().find(|i| i.layers.iter().any(|(d, _)| *d == digest)).unwrap();
        let bytes = client.get(format!("{base}/v2/{}/blobs/{digest}", image.repo)).send().unwrap().bytes().unwrap();
        assert_eq!(Digest::sha256_of(&bytes).to_string(), digest);
        assert_eq!(bytes.len() as u64, lab.layer_size(&digest));
        fetched.push(digest);
    }
    assert_eq!(proxy.blob_gets(), fetched);
    assert!(proxy.requests().iter().all(|r| r.status == 200));
    assert!(proxy.connections() * 10 < 7 + 34 + 108 + 1 + 100, "keep-alive: {} connections", proxy.connections());

    // An upload through the proxy: the registry's Location points back at the proxy.
    let started = client.post(format!("{base}/v2/lab-probe/blobs/uploads/")).send().unwrap();
    assert_eq!(started.status().as_u16(), 202);
    let location = started.headers()["location"].to_str().unwrap();
    assert!(location.starts_with('/') || location.starts_with(&format!("{base}/")), "{location}");

    // A new tag: the repository's base and one new layer.
    let before = lab.distinct_layers();
    let new = lab.push_new_tag("team-b/svc-03", "2.0.0");
    let after = lab.distinct_layers();
    assert_eq!(after.difference(&before).cloned().collect::<Vec<_>>(), [new.layers[1].0.clone()]);
    assert!(before.contains(&new.layers[0].0));
    let response =
        client.head(format!("{base}/v2/team-b/svc-03/manifests/2.0.0")).header("accept", &accept).send().unwrap();
    assert_eq!(response.headers()["docker-content-digest"].to_str().unwrap(), new.digest);

    // Down: answered 503 by the proxy, recorded, the registry not asked.
    proxy.reset();
    proxy.set_down(true);
    assert_eq!(http().get(format!("{base}/v2/")).send().unwrap().status().as_u16(), 503);
    assert_eq!(proxy.requests().len(), 1);
    assert_eq!((proxy.requests()[0].path.as_str(), proxy.requests()[0].status), ("/v2/", 503));
    proxy.set_down(false);
    assert_eq!(http().get(format!("{base}/v2/")).send().unwrap().status().as_u16(), 200);
    proxy.reset();
    assert!(proxy.requests().is_empty());
}

#[test]
fn lab_advisories_are_valid_osv_and_match_what_the_lab_claims() {
    let (lab, proxy) = lab_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let (db, extra) = (dir.path().join("db"), dir.path().join("extra"));
    lab.write_advisories(&db);
    assert_eq!(lab.extra_advisory(&extra), EXTRA_ADVISORY.id);
    for file in std::fs::read_dir(&db).unwrap().chain(std::fs::read_dir(&extra).unwrap()) {
        let record: Value = serde_json::from_slice(&std::fs::read(file.unwrap().path()).unwrap()).unwrap();
        assert_eq!(schema_errors("osv-schema.json", &record), Vec::<String>::new(), "{}", record["id"]);
    }

    // Images of every kind, scanned one by one through the proxy with `scan --image`.
    let pick = |repo: &str, tag: &str, platform: &str| {
        lab.images_of_tag(repo, tag).into_iter().find(|i| i.platform == platform).unwrap().clone()
    };
    let images = [
        pick("team-a/api", "latest", "linux/amd64"), // Debian + PyPI, holds lab-rare
        pick("team-b/svc-01", "latest", "linux/amd64"), // Alpine + npm
        pick("team-b/svc-01", "0.9.0", "linux/amd64"), // older npm
        pick(MULTI_REPO, "latest", "linux/arm64"),   // arm64 of the index
    ];
    let cache = dir.path().join("cache");
    let mut kinds = BTreeSet::new();
    for image in &images {
        let reference = format!("{}/{}@{}", proxy.host(), image.repo, image.digest);
        let out = customs()
            .args(["--cache-dir", cache.to_str().unwrap(), "scan", "--image", &reference])
            .args(["--insecure-registry", &proxy.host(), "--db", db.to_str().unwrap()])
            .args(["--advisories", extra.to_str().unwrap(), "-f", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{reference}: {}", String::from_utf8_lossy(&out.stderr));
        let doc = stdout_json(&out);
        let found: BTreeSet<FindingKey> =
            doc["findings"].as_array().unwrap().iter().map(FindingKey::from_json).collect();
        assert_eq!(found, lab.expected_findings(image, true), "{reference}");
        kinds.extend(found.iter().map(|f| f.id.clone()));
    }
    let every: BTreeSet<String> =
        ["x_LAB-DEB-0001", "x_LAB-APK-0001", "x_LAB-PY-0001", "x_LAB-PY-0002", "x_LAB-NPM-0001", "x_LAB-PY-0099"]
            .map(String::from)
            .into();
    assert_eq!(kinds, every, "each advisory that affects the lab was seen once at least");
}

/// An upstream that answers `/chunked` with a chunked body (and a trailer) and anything
/// else with a body that ends when it closes the connection.
fn odd_framing_upstream() -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let path = line.split_whitespace().nth(1).unwrap_or_default().to_string();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                if path == "/chunked" {
                    let body = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                                5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n";
                    stream.write_all(body.as_bytes()).unwrap();
                } else {
                    stream.write_all(b"HTTP/1.1 200 OK\r\n\r\nuntil the end").unwrap();
                    break;
                }
            }
        }
    });
    port
}

#[test]
fn lab_proxy_relays_chunked_and_close_delimited_bodies() {
    let port = odd_framing_upstream();
    let proxy = CountingProxy::start(&format!("127.0.0.1:{port}"));
    let client = http();
    for _ in 0..2 {
        let body = client.get(format!("http://{}/chunked", proxy.host())).send().unwrap().text().unwrap();
        assert_eq!(body, "hello, world");
    }
    let body = client.get(format!("http://{}/closing", proxy.host())).send().unwrap().text().unwrap();
    assert_eq!(body, "until the end");
    assert_eq!(
        proxy.requests().iter().map(|r| (r.path.as_str(), r.status)).collect::<Vec<_>>(),
        [("/chunked", 200), ("/chunked", 200), ("/closing", 200)]
    );
    assert_eq!(proxy.connections(), 1, "the chunked answers kept the connection");
}

// ---------------------------------------------------------------------------------
// End to end through `customs registry …` (ignored until the commands are merged).
// ---------------------------------------------------------------------------------

/// How many times each item occurs.
fn tally<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeMap<T, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item).or_insert(0) += 1;
    }
    counts
}

/// The digest a manifest request named: itself, or the one its tag points at.
fn manifest_digest(lab: &Lab, repo: &str, reference: &str) -> String {
    if reference.starts_with("sha256:") {
        return reference.to_string();
    }
    let tag = lab.tags().iter().find(|t| t.repo == repo && t.tag == reference);
    tag.unwrap_or_else(|| panic!("a manifest GET of {repo}:{reference}, not a lab tag")).digest.clone()
}

fn run_id(doc: &Value) -> i64 {
    doc["run"]["id"].as_i64().unwrap_or_else(|| panic!("run.id in {}", doc["run"]))
}

/// Every image's findings are the lab's, each with `change`, from `source`, nothing fixed.
fn assert_images_as_lab_says(lab: &Lab, doc: &Value, source: &str, change: &str) {
    for image in reported_images(doc) {
        let what = format!("{}@{}", image.repo, image.digest);
        assert_eq!(image.keys(), lab.expected_findings(lab.image(&image.repo, &image.digest), false), "{what}");
        assert!(image.findings.iter().all(|(_, c)| c == change), "{what}: {:?}", image.findings);
        assert_eq!(image.source, source, "{what}");
        assert!(image.fixed.is_empty(), "{what}: {:?}", image.fixed);
    }
}

fn total_findings(doc: &Value) -> u64 {
    reported_images(doc).iter().map(|i| i.findings.len() as u64).sum()
}

fn assert_nothing_moved_or_failed(doc: &Value) {
    for list in ["moved_tags", "disappeared", "failures"] {
        assert_eq!(doc[list], serde_json::json!([]), "{list}");
    }
    assert_eq!(doc["run"]["partial"], false);
}

#[test]
fn a_first_sweep_reads_each_layer_once_and_an_unchanged_registry_costs_only_tag_lookups() {
    let (lab, proxy) = lab_behind_proxy();
    // A slow network: downloads cost what they cost in real life.
    proxy.set_blob_delay(Duration::from_millis(40));
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &proxy.host());
    let flags = ["--tags", "all", "--concurrency", "4"];

    let first = sweeper.scan(&flags);
    first.expect_code(1);
    let doc = first.json();
    let expected = lab.expected_images(&lab.all_tags());
    assert_eq!(expected.len(), 97);
    assert_eq!(reported_keys(&doc), expected);
    assert_eq!(doc["run"]["kind"], "scan");
    assert_eq!(doc["run"]["registry"], proxy.host());
    assert_eq!(doc["run"]["compared_with"], Value::Null);
    assert_nothing_moved_or_failed(&doc);
    assert_images_as_lab_says(&lab, &doc, "analysed", "new");

    let layers = lab.distinct_layers();
    let bytes: u64 = layers.iter().map(|d| lab.layer_size(d)).sum();
    let requests = proxy.requests();
    for (field, value) in [
        ("repositories_listed", 34),
        ("repositories", 34),
        ("repositories_failed", 0),
        ("tags", 108),
        ("images", 97),
        ("images_analysed", 97),
        ("images_from_store", 0),
        ("images_stale", 0),
        ("layers_downloaded", layers.len() as u64),
        ("bytes_downloaded", bytes),
        ("requests", requests.len() as u64),
    ] {
        assert_eq!(coverage(&doc, field), value, "coverage.{field}");
    }
    let vulnerabilities = total_findings(&doc);
    assert!(vulnerabilities > 97, "{vulnerabilities}");
    for (field, value) in
        [("vulnerabilities", vulnerabilities), ("new", vulnerabilities), ("unchanged", 0), ("fixed", 0), ("stale", 0)]
    {
        assert_eq!(summary(&doc, field), value, "summary.{field}");
    }

    // Each layer and each config once; each manifest (image or index) once.
    let configs = lab.platform_images().iter().map(|i| i.config_digest.clone());
    let once: BTreeMap<String, usize> = layers.iter().cloned().chain(configs).map(|d| (d, 1)).collect();
    assert_eq!(tally(proxy.blob_gets()), once);
    let manifests = lab
        .platform_images()
        .iter()
        .map(|i| i.digest.clone())
        .chain(lab.tags().iter().filter(|t| t.repo == MULTI_REPO).map(|t| t.digest.clone()));
    let manifests_once: BTreeMap<String, usize> = manifests.map(|d| (d, 1)).collect();
    let fetched = proxy.manifest_gets().into_iter().map(|(repo, reference)| manifest_digest(&lab, &repo, &reference));
    assert_eq!(tally(fetched), manifests_once);

    // Nothing changed: tags looked up, nothing downloaded, everything from the store.
    proxy.reset();
    let second = sweeper.scan(&flags);
    second.expect_code(1);
    let again = second.json();
    assert_eq!(reported_keys(&again), expected);
    assert_eq!(again["run"]["compared_with"], run_id(&doc));
    assert_ne!(run_id(&again), run_id(&doc));
    assert_nothing_moved_or_failed(&again);
    assert_images_as_lab_says(&lab, &again, "store", "unchanged");
    assert_eq!(proxy.blob_gets(), Vec::<String>::new());
    assert_eq!(proxy.manifest_gets(), Vec::<(String, String)>::new());
    let mut heads = proxy.manifest_heads();
    heads.sort();
    let mut tags = lab.all_tags();
    tags.sort();
    assert_eq!(heads, tags, "one HEAD per tag");
    let requests = proxy.requests();
    assert_eq!(requests.iter().filter(|r| matches!(Route::of(&r.path), Route::Tags(_))).count(), 34);
    for request in &requests {
        let route = Route::of(&request.path);
        let allowed = match route {
            Route::Ping | Route::Catalog | Route::Tags(_) => request.method == "GET",
            Route::Manifest(..) => request.method == "HEAD",
            _ => false,
        };
        assert!(allowed, "{request:?}");
    }
    for (field, value) in [
        ("images", 97),
        ("images_analysed", 0),
        ("images_from_store", 97),
        ("layers_downloaded", 0),
        ("bytes_downloaded", 0),
        ("requests", requests.len() as u64),
    ] {
        assert_eq!(coverage(&again, field), value, "coverage.{field}");
    }
    for (field, value) in
        [("vulnerabilities", vulnerabilities), ("new", 0), ("unchanged", vulnerabilities), ("fixed", 0)]
    {
        assert_eq!(summary(&again, field), value, "summary.{field}");
    }
    assert!(second.took * 3 < first.took, "second run {:?}, first {:?}", second.took, first.took);
}

#[test]
fn a_new_tag_costs_only_its_new_layer() {
    let (mut lab, proxy) = lab_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &proxy.host());
    sweeper.scan(&["--tags", "all"]).expect_code(1);

    let new = lab.push_new_tag("team-b/svc-03", "2.0.0");
    proxy.reset();
    let second = sweeper.scan(&["--tags", "all"]);
    second.expect_code(1);
    let doc = second.json();
    assert_eq!(reported_keys(&doc), lab.expected_images(&lab.all_tags()));
    assert_nothing_moved_or_failed(&doc);

    let (base, top) = (&new.layers[0], &new.layers[1]);
    let mut expected_blobs = vec![top.0.clone(), new.config_digest.clone()];
    expected_blobs.sort();
    let mut blobs = proxy.blob_gets();
    blobs.sort();
    assert_eq!(blobs, expected_blobs, "the base layer {} is known", base.0);
    let fetched: Vec<String> =
        proxy.manifest_gets().into_iter().map(|(repo, reference)| manifest_digest(&lab, &repo, &reference)).collect();
    assert_eq!(fetched, vec![new.digest.clone()]);
    for (field, value) in [
        ("images", 98),
        ("images_analysed", 1),
        ("images_from_store", 97),
        ("layers_downloaded", 1),
        ("bytes_downloaded", top.1),
    ] {
        assert_eq!(coverage(&doc, field), value, "coverage.{field}");
    }

    let expected_new = lab.expected_findings(&new, false);
    assert!(!expected_new.is_empty());
    for image in reported_images(&doc) {
        if image.digest == new.digest {
            assert_eq!((image.source.as_str(), image.tags.clone()), ("analysed", vec!["2.0.0".to_string()]));
            assert_eq!(image.keys(), expected_new);
            assert_eq!(image.with_change("new"), expected_new);
        } else {
            assert_eq!(image.source, "store", "{}@{}", image.repo, image.digest);
            assert!(image.findings.iter().all(|(_, c)| c == "unchanged"), "{}@{}", image.repo, image.digest);
        }
    }
    assert_eq!(summary(&doc, "new"), expected_new.len() as u64);
}

#[test]
fn a_paginated_catalog_is_read_to_its_last_page() {
    let (lab, proxy) = lab_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &proxy.host());
    // docker-registry pages only when asked (`n`); customs is asked to ask for 5.
    let mut command = sweeper.command(&sweeper.scan_args(&[]));
    command.env("CUSTOMS_CATALOG_PAGE_SIZE", "5");
    let run = Swept::run(command);
    run.expect_code(1);
    let doc = run.json();

    let pages: Vec<String> =
        proxy.requests().into_iter().filter(|r| Route::of(&r.path) == Route::Catalog).map(|r| r.path).collect();
    assert_eq!(pages.len(), 7, "34 repositories, 5 a page: {pages:?}");
    assert!(pages.iter().all(|p| p.contains("n=5")), "{pages:?}");
    assert_eq!(coverage(&doc, "repositories_listed"), 34);
    assert_eq!(coverage(&doc, "repositories"), 34);
    let repos: BTreeSet<String> = reported_images(&doc).into_iter().map(|i| i.repo).collect();
    assert_eq!(repos, lab.repositories().into_iter().collect());
    assert_eq!(reported_keys(&doc), lab.expected_images(&lab.default_tags()));
}

#[test]
fn rematch_with_one_more_advisory_marks_exactly_its_finding_new_without_asking_the_registry() {
    let (lab, proxy) = lab_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &proxy.host());
    let first = sweeper.scan(&[]);
    first.expect_code(1);
    let first = first.json();

    let extra = dir.path().join("extra");
    let id = lab.extra_advisory(&extra);
    proxy.set_down(true);
    proxy.reset();
    let connections = proxy.connections();
    let rematch = sweeper.rematch(&["--registry", &proxy.host(), "--advisories", extra.to_str().unwrap()]);
    rematch.expect_code(1);
    let doc = rematch.json();
    assert_eq!(proxy.requests(), Vec::new(), "no request may reach the registry");
    assert_eq!(proxy.connections(), connections, "not even a connection");

    assert_eq!(doc["run"]["kind"], "rematch");
    assert_eq!(doc["run"]["compared_with"], run_id(&first));
    assert_eq!(coverage(&doc, "requests"), 0);
    assert_eq!(reported_keys(&doc), reported_keys(&first));
    let mut holding = 0;
    for image in reported_images(&doc) {
        let lab_image = lab.image(&image.repo, &image.digest);
        let what = format!("{}@{}", image.repo, image.digest);
        let with_extra = lab.expected_findings(lab_image, true);
        let before = lab.expected_findings(lab_image, false);
        let added: BTreeSet<FindingKey> = with_extra.difference(&before).cloned().collect();
        assert!(added.iter().all(|f| f.id == id), "{what}");
        assert_eq!(image.keys(), with_extra, "{what}");
        assert_eq!(image.with_change("new"), added, "{what}");
        assert_eq!(image.with_change("unchanged"), before, "{what}");
        assert_eq!(image.source, "store", "{what}");
        assert!(image.fixed.is_empty(), "{what}");
        holding += added.len();
    }
    let images = reported_images(&doc).len();
    assert!(holding >= 2 && holding < images, "{holding} of {images} images hold lab-rare");
    assert_eq!(summary(&doc, "new"), holding as u64);
}

#[test]
fn report_renders_a_stored_run_again_as_json_and_as_sarif() {
    let (_lab, proxy) = lab_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &proxy.host());
    let first = sweeper.scan(&[]);
    first.expect_code(1);
    let doc = first.json();
    let id = run_id(&doc).to_string();

    let json = sweeper.report(&["--run", &id, "-f", "json"]);
    assert!(matches!(json.code(), Some(0 | 1)), "{}", json.stderr());
    assert_eq!(json.json(), doc);

    let sarif = sweeper.report(&["--run", &id, "-f", "sarif"]);
    assert!(matches!(sarif.code(), Some(0 | 1)), "{}", sarif.stderr());
    let sarif = sarif.json();
    assert_eq!(schema_errors("sarif-schema-2.1.0.json", &sarif), Vec::<String>::new());
    // Without -o, one document: the sweep's own run (coverage, failures; no results),
    // then one run per image.
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), reported_images(&doc).len() + 1, "the sweep's run and one per image");
    assert_eq!(runs[0]["results"].as_array().unwrap().len(), 0);
    let results: usize = runs.iter().map(|r| r["results"].as_array().unwrap().len()).sum();
    assert_eq!(results as u64, total_findings(&doc));
}

#[test]
fn each_image_has_the_findings_scan_image_gives_it() {
    let (lab, proxy) = lab_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &proxy.host());
    let run = sweeper.scan(&[]);
    run.expect_code(1);
    let images = reported_images(&run.json());
    let pick = |repo: &str, platform: &str| {
        images.iter().find(|i| i.repo == repo && i.platform == platform).unwrap_or_else(|| panic!("{repo} {platform}"))
    };
    let chosen =
        [pick("team-a/api", "linux/amd64"), pick("team-b/svc-01", "linux/amd64"), pick(MULTI_REPO, "linux/arm64")];
    let cache = dir.path().join("scan-cache");
    for image in chosen {
        let reference = format!("{}/{}@{}", proxy.host(), image.repo, image.digest);
        let out = customs()
            .args(["--cache-dir", cache.to_str().unwrap(), "scan", "--image", &reference])
            .args(["--insecure-registry", &proxy.host(), "--db", sweeper.db.to_str().unwrap(), "-f", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{reference}: {}", String::from_utf8_lossy(&out.stderr));
        let scanned: BTreeSet<FindingKey> =
            stdout_json(&out)["findings"].as_array().unwrap().iter().map(FindingKey::from_json).collect();
        assert_eq!(image.keys(), scanned, "{reference}");
        assert_eq!(scanned, lab.expected_findings(lab.image(&image.repo, &image.digest), false), "{reference}");
    }
}

#[test]
fn tags_and_repositories_select_exactly_what_they_say() {
    let (lab, proxy) = lab_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let sweep = |name: &str, flags: &[&str]| {
        let sweeper = Sweeper::new(&dir.path().join(name), &proxy.host());
        let run = sweeper.scan(flags);
        run.expect_code(1);
        run.json()
    };
    let team_a: Vec<String> = lab.repositories().into_iter().filter(|r| r.starts_with("team-a/")).collect();
    assert_eq!(team_a.len(), 5);

    // The three newest semver tags of each repository (team-a's have fewer).
    let doc = sweep("semver", &["--tags", "semver:3", "--repo", BIG_REPO, "--repo", "team-a/*"]);
    let selected: Vec<(String, String)> = std::iter::once(BIG_REPO.to_string())
        .chain(team_a.iter().cloned())
        .flat_map(|repo| newest_semver(&lab.tags_of(&repo), 3).into_iter().map(move |tag| (repo.clone(), tag)))
        .collect();
    assert!(
        selected.contains(&(BIG_REPO.into(), "2.10.1".into())) && selected.contains(&(BIG_REPO.into(), "2.9.0".into()))
    );
    assert_eq!(reported_keys(&doc), lab.expected_images(&selected));
    assert_eq!(coverage(&doc, "tags"), selected.len() as u64);
    assert_eq!(coverage(&doc, "repositories"), 6);

    // Every tag that matches, in every repository.
    let doc = sweep("regex", &["--tags", r"regex:^1\."]);
    let pattern = regex::Regex::new(r"^1\.").unwrap();
    let selected: Vec<(String, String)> = lab.all_tags().into_iter().filter(|(_, tag)| pattern.is_match(tag)).collect();
    assert_eq!(selected.iter().filter(|(repo, _)| repo == BIG_REPO).count(), 22);
    assert_eq!(reported_keys(&doc), lab.expected_images(&selected));
    assert_eq!(coverage(&doc, "tags"), selected.len() as u64);

    // Globs over repository names.
    let doc = sweep("globs", &["--repo", "team-a/*", "--exclude", "team-a/old*"]);
    let selected: Vec<(String, String)> =
        ["team-a/api", "team-a/web", "team-a/worker"].iter().map(|r| (r.to_string(), "latest".to_string())).collect();
    assert_eq!(reported_keys(&doc), lab.expected_images(&selected));
    assert_eq!(coverage(&doc, "repositories_listed"), 34);
    assert_eq!(coverage(&doc, "repositories"), 3);
}

#[test]
fn a_repository_without_latest_falls_back_to_its_newest_semver_tag_and_says_so() {
    let (lab, proxy) = lab_behind_proxy();
    let dir = tempfile::tempdir().unwrap();
    let sweeper = Sweeper::new(dir.path(), &proxy.host());
    let run = sweeper.scan(&["--repo", BIG_REPO]);
    run.expect_code(1);
    let doc = run.json();
    let selected = [(BIG_REPO.to_string(), BIG_NEWEST_SEMVER.to_string())];
    assert_eq!(reported_keys(&doc), lab.expected_images(&selected));
    assert_eq!(coverage(&doc, "tags"), 1);
    let stderr = run.stderr();
    assert!(stderr.contains(BIG_REPO) && stderr.contains("latest") && stderr.contains(BIG_NEWEST_SEMVER), "{stderr}");
    let warnings: Vec<&str> = doc["warnings"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(
        warnings.iter().any(|w| w.contains(BIG_REPO) && w.contains("latest") && w.contains(BIG_NEWEST_SEMVER)),
        "{warnings:?}"
    );
    assert_eq!(doc["run"]["partial"], false);
}
