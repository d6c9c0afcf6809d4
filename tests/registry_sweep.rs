//! `customs registry scan | rematch | report` end to end, against the registry lab
//! (`support_registry::lab`: 34 repositories of small synthetic images in a real
//! `docker-registry`) behind a counting proxy, so each test can assert what was reported
//! and exactly which requests it took.
//!
//! The `lab_*` tests check the lab and the proxy themselves, with plain HTTP and
//! `customs scan --image`. The others need the `customs registry` commands; until those
//! are merged they are `#[ignore]`d: run them with
//! `cargo test --test registry_sweep -- --include-ignored`.

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
