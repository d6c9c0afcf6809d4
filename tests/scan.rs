//! `customs scan` end to end against the real OSV data in `../shared/osv`.
//!
//! Expected ids were cross-checked independently: the Rust ones against cargo-audit on
//! the same lockfile with the RustSec database of the same day, the PyPI ones against
//! the `packaging` library's PEP 440 ordering applied to the same records.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::*;
use serde_json::Value;

fn scan(args: &[&str], cwd: &Path, cache: &Path) -> std::process::Output {
    let shared_osv = shared().join("osv");
    let mut full = vec!["--cache-dir", cache.to_str().unwrap(), "scan", "--db", shared_osv.to_str().unwrap()];
    full.extend_from_slice(args);
    run(&full, cwd)
}

/// `path name@version` → sorted finding ids (informational ones marked).
fn ids_by_package(doc: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in doc["findings"].as_array().unwrap() {
        let p = &f["package"];
        let key = format!(
            "{} {}@{}",
            p["location"]["path"].as_str().unwrap(),
            p["name"].as_str().unwrap(),
            p["version"].as_str().unwrap()
        );
        let mut id = f["id"].as_str().unwrap().to_string();
        if f["kind"] != "vulnerability" {
            id = format!("{id} ({})", f["kind"].as_str().unwrap());
        }
        out.entry(key).or_default().push(id);
    }
    out.values_mut().for_each(|v| v.sort());
    out
}

/// One cache for every test of this file: the mirror is compiled once per build of
/// the test binary's data (the cache key follows the files' sizes and times).
fn shared_cache() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("scan-test-cache")
}

fn expect(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect())).collect()
}

#[test]
fn cargo_lock_findings_match_cargo_audit() {
    let out = scan(&["fixtures/scan/rust", "-f", "json"], &crate_dir(), &shared_cache());
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = stdout_json(&out);
    assert_eq!(
        ids_by_package(&doc),
        expect(&[
            ("Cargo.lock hyper@0.14.9", &["RUSTSEC-2021-0078", "RUSTSEC-2021-0079", "RUSTSEC-2022-0022 (unsound)"]),
            (
                "Cargo.lock smallvec@0.6.9",
                &["RUSTSEC-2018-0018 (unsound)", "RUSTSEC-2019-0009", "RUSTSEC-2019-0012", "RUSTSEC-2021-0003"]
            ),
            ("Cargo.lock time@0.1.45", &["RUSTSEC-2020-0071"]),
        ])
    );
    let smallvec = doc["findings"].as_array().unwrap().iter().find(|f| f["id"] == "RUSTSEC-2019-0009").unwrap();
    assert_eq!(smallvec["aliases"], serde_json::json!(["CVE-2019-15551", "GHSA-mm7v-vpv8-xfc3"]));
    assert_eq!(smallvec["fixed_versions"], serde_json::json!(["0.6.10"]));
    assert_eq!(smallvec["severity"]["rating"], "critical");
    assert_eq!(smallvec["severity"]["score"], 9.8);
    assert_eq!(smallvec["package"]["purl"], "pkg:cargo/smallvec@0.6.9");
    assert_eq!(smallvec["package"]["location"], serde_json::json!({"path": "Cargo.lock", "line": 29}));
    assert_eq!(smallvec["summary"], "Double-free and use-after-free in SmallVec::grow()");
    assert_eq!(doc["summary"]["vulnerabilities"], 6);
    assert_eq!(doc["summary"]["informational"], 2);
}

#[test]
fn requirements_findings_match_pep440_ordering() {
    let doc = stdout_json(&scan(&["fixtures/scan/python", "-f", "json"], &crate_dir(), &shared_cache()));
    assert_eq!(
        ids_by_package(&doc),
        expect(&[
            ("requirements.txt jinja2@2.10", &["PYSEC-2019-217", "PYSEC-2021-66"]),
            ("requirements.txt pyyaml@5.3", &["PYSEC-2020-96", "PYSEC-2021-142"]),
            ("requirements.txt requests@2.19.0", &["PYSEC-2018-28", "PYSEC-2023-74"]),
            (
                "requirements.txt urllib3@1.24.1",
                &[
                    "PYSEC-2019-132",
                    "PYSEC-2019-133",
                    "PYSEC-2020-148",
                    "PYSEC-2021-108",
                    "PYSEC-2023-192",
                    "PYSEC-2023-207",
                    "PYSEC-2023-212"
                ]
            ),
        ])
    );
}

#[test]
fn go_mod_findings_include_modules_and_the_toolchain() {
    let doc = stdout_json(&scan(&["fixtures/scan/go", "-f", "json"], &crate_dir(), &shared_cache()));
    let ids = ids_by_package(&doc);
    assert_eq!(ids["go.mod github.com/gin-gonic/gin@1.6.0"], ["GO-2021-0052", "GO-2023-1737"]);
    assert_eq!(ids["go.mod golang.org/x/text@0.3.5"], ["GO-2021-0113", "GO-2022-1059", "GO-2026-5970"]);
    let stdlib = &ids["go.mod stdlib@1.22.5"];
    assert_eq!(stdlib.len(), 58, "{stdlib:?}");
    assert!(stdlib.contains(&"GO-2024-3105".to_string()) && stdlib.contains(&"GO-2026-6218".to_string()));
    // yaml.v3 3.0.0 is fixed for GO-2022-0603 (fixed in 3.0.0): no finding.
    assert!(!ids.keys().any(|k| k.contains("yaml")), "{ids:?}");
}

#[test]
fn fail_on_threshold_decides_the_exit_code() {
    let code = |threshold: &str| {
        scan(&["fixtures/scan/rust", "-f", "json", "--fail-on", threshold], &crate_dir(), &shared_cache()).status.code()
    };
    assert_eq!(code("any"), Some(1));
    assert_eq!(code("critical"), Some(1), "smallvec has critical findings");
    let clean = tempfile::tempdir().unwrap();
    fs::write(
        clean.path().join("Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"time\"\nversion = \"0.1.45\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    let code_at = |threshold: &str| scan(&[".", "--fail-on", threshold], clean.path(), &shared_cache()).status.code();
    assert_eq!(code_at("medium"), Some(1), "RUSTSEC-2020-0071 is medium");
    assert_eq!(code_at("high"), Some(0));
    let bad = scan(&[".", "--fail-on", "severe"], clean.path(), &shared_cache());
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown severity \"severe\""));
}

#[test]
fn a_clean_project_exits_zero_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("requirements.txt"), "markupsafe==2.1.5\n").unwrap();
    let out = scan(&["."], dir.path(), &shared_cache());
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(table.trim(), "customs: 0 vulnerabilities in 1 package");
}

#[test]
fn table_groups_by_file_with_fixes_and_lines() {
    let out = scan(&["fixtures/scan/rust"], &crate_dir(), &shared_cache());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(!table.contains('\x1b'), "no colour when not a terminal");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "Cargo.lock");
    assert!(lines[1].starts_with("  CRITICAL RUSTSEC-2021-0079    hyper 0.14.9  fixed in 0.14.10  line 17"), "{table}");
    assert!(table.contains("unsound  RUSTSEC-2018-0018"), "{table}");
    assert!(
        table
            .ends_with("customs: 6 vulnerabilities in 5 packages (4 critical, 2 medium); 2 informational advisories\n"),
        "{table}"
    );
}

#[test]
fn local_advisories_are_merged_and_aliases_join_findings() {
    let advisories = tempfile::tempdir().unwrap();
    // An organisation's advisory for the same vulnerability as RUSTSEC-2020-0071,
    // linked through the shared CVE: one finding, not two.
    fs::write(
        advisories.path().join("ORG-1.json"),
        r#"{"id":"ORG-1","modified":"2026-01-01T00:00:00Z","aliases":["CVE-2020-26235"],
           "summary":"our note","affected":[{"package":{"ecosystem":"crates.io","name":"time"},
           "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.2.23"}]}]}]}"#,
    )
    .unwrap();
    fs::write(
        advisories.path().join("ORG-2.json"),
        r#"{"id":"ORG-2","modified":"2026-01-01T00:00:00Z","summary":"internal only",
           "affected":[{"package":{"ecosystem":"crates.io","name":"serde"},"versions":["1.0.200"]}]}"#,
    )
    .unwrap();
    fs::write(advisories.path().join("broken.json"), "{\"id\": \"ORG-3\"").unwrap();
    let adv = advisories.path().to_str().unwrap();
    let out = scan(&["fixtures/scan/rust", "-f", "json", "--advisories", adv], &crate_dir(), &shared_cache());
    let doc = stdout_json(&out);
    let ids = ids_by_package(&doc);
    // Both ids are the ecosystem's own kind; the newest record (ORG-1, modified
    // 2026-01-01, over RUSTSEC-2020-0071's 2024-06-05) names the finding.
    assert_eq!(ids["Cargo.lock time@0.1.45"], ["ORG-1"]);
    assert_eq!(ids["Cargo.lock serde@1.0.200"], ["ORG-2"]);
    let time = doc["findings"].as_array().unwrap().iter().find(|f| f["id"] == "ORG-1").unwrap();
    assert_eq!(time["advisories"], serde_json::json!(["ORG-1", "RUSTSEC-2020-0071"]));
    assert_eq!(time["aliases"], serde_json::json!(["CVE-2020-26235", "GHSA-wcg3-cvx6-7396", "RUSTSEC-2020-0071"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.json") && stderr.contains("skipped"), "{stderr}");
}

#[test]
fn a_missing_database_is_an_error_that_says_what_to_do() {
    let cache = tempfile::tempdir().unwrap();
    let out =
        run(&["--cache-dir", cache.path().to_str().unwrap(), "scan", "fixtures/scan/rust", "--offline"], &crate_dir());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("run `customs db update`"), "{stderr}");
}

#[test]
fn a_db_path_that_is_not_advisories_is_an_error() {
    let out = run(
        &["--cache-dir", shared_cache().to_str().unwrap(), "scan", "fixtures/scan/rust", "--db", "Cargo.toml"],
        &crate_dir(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Cargo.toml: neither an OSV JSON file"));
}

#[test]
fn the_compiled_database_is_cached_by_source_and_rebuilt_when_it_changes() {
    let cache = tempfile::tempdir().unwrap();
    let osv = tempfile::tempdir().unwrap();
    let record = |id: &str| {
        format!(
            r#"{{"id":"{id}","modified":"2026-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"crates.io","name":"time"}},"versions":["0.1.45"]}}]}}"#
        )
    };
    fs::write(osv.path().join("A-1.json"), record("A-1")).unwrap();
    let scan = || {
        let args = ["--cache-dir", cache.path().to_str().unwrap(), "scan", "--db", osv.path().to_str().unwrap()];
        let out = run(&[&args[..], &["fixtures/scan/rust", "-f", "json"]].concat(), &crate_dir());
        let ids: Vec<String> = stdout_json(&out)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        let mut compiled: Vec<_> = fs::read_dir(cache.path().join("db/by-source"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "db"))
            .collect();
        compiled.sort();
        (ids, compiled)
    };
    let (ids, first) = scan();
    assert_eq!(ids, ["A-1"]);
    let built = fs::metadata(&first[0]).unwrap().modified().unwrap();
    let (_, again) = scan();
    assert_eq!(again, first);
    assert_eq!(fs::metadata(&first[0]).unwrap().modified().unwrap(), built, "reused, not rebuilt");
    fs::write(osv.path().join("B-1.json"), record("B-1")).unwrap();
    let (ids, after) = scan();
    assert_eq!(ids, ["A-1", "B-1"]);
    assert_eq!(after.len(), 2, "a changed source gets its own compiled database");
}

/// Ids per `ecosystem name@version` for a scan of an SBOM.
fn sbom_ids(file: &str) -> BTreeMap<String, Vec<String>> {
    let out = scan(&["--sbom", file, "-f", "json"], &crate_dir(), &shared_cache());
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = stdout_json(&out);
    assert_eq!(doc["errors"], serde_json::json!([]));
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in doc["findings"].as_array().unwrap() {
        let p = &f["package"];
        let key = format!(
            "{} {}@{}",
            p["ecosystem"].as_str().unwrap(),
            p["name"].as_str().unwrap(),
            p["version"].as_str().unwrap()
        );
        ids.entry(key).or_default().push(f["id"].as_str().unwrap().to_string());
    }
    ids.values_mut().for_each(|v| v.sort());
    ids
}

// The Debian and AlmaLinux expectations were cross-checked with `dpkg --compare-versions`
// and librpm's rpmvercmp over the same records.
#[test]
fn debian_sbom_matches_source_packages_of_its_release() {
    assert_eq!(
        sbom_ids("fixtures/scan/sbom/debian-12.cdx.json"),
        expect(&[
            ("Debian:12 glibc@2.36-9+deb12u1", &["DSA-5514-1", "DSA-5611-1", "DSA-5673-1", "DSA-5678-1"]),
            ("Debian:12 openssl@3.0.9-1", &["DSA-5532-1", "DSA-5764-1"]),
        ])
    );
}

#[test]
fn alpine_sbom_matches_its_release() {
    let ids = sbom_ids("fixtures/scan/sbom/alpine-3.18.cdx.json");
    assert_eq!(
        ids["Alpine:v3.18 busybox@1.36.0-r9"],
        [
            "ALPINE-CVE-2022-48174",
            "ALPINE-CVE-2023-42363",
            "ALPINE-CVE-2023-42364",
            "ALPINE-CVE-2023-42365",
            "ALPINE-CVE-2023-42366"
        ]
    );
    let openssl = &ids["Alpine:v3.18 openssl@3.1.0-r0"];
    assert_eq!(openssl.len(), 18, "{openssl:?}");
    assert_eq!(openssl[0], "ALPINE-CVE-2023-0464");
    assert!(!ids.keys().any(|k| k.contains("musl")), "musl 1.2.4-r2 has no open advisory in v3.18: {ids:?}");
}

#[test]
fn almalinux_sbom_matches_epoch_versions_and_rates_by_summary() {
    let ids = sbom_ids("fixtures/scan/sbom/almalinux-9.spdx.json");
    assert_eq!(
        ids,
        expect(&[
            (
                "AlmaLinux:9 glibc@2.34-60.el9",
                &[
                    "ALSA-2023:5453",
                    "ALSA-2024:3339",
                    "ALSA-2025:4244",
                    "ALSA-2025:8655",
                    "ALSA-2025:9877",
                    "ALSA-2026:20597",
                    "ALSA-2026:2786",
                    "ALSA-2026:33226",
                    "ALSA-2026:42952"
                ]
            ),
            (
                "AlmaLinux:9 openssl-libs@1:3.0.7-6.el9_2",
                &[
                    "ALSA-2023:3722",
                    "ALSA-2024:0310",
                    "ALSA-2024:2447",
                    "ALSA-2024:6783",
                    "ALSA-2024:9333",
                    "ALSA-2025:1330",
                    "ALSA-2025:21255",
                    "ALSA-2026:1473",
                    "ALSA-2026:19218",
                    "ALSA-2026:22312",
                    "ALSA-2026:25239"
                ]
            ),
        ])
    );
    let out =
        scan(&["--sbom", "fixtures/scan/sbom/almalinux-9.spdx.json", "-f", "json"], &crate_dir(), &shared_cache());
    let doc = stdout_json(&out);
    let alsa = doc["findings"].as_array().unwrap().iter().find(|f| f["id"] == "ALSA-2023:3722").unwrap();
    assert_eq!(alsa["severity"], serde_json::json!({"rating": "medium", "source": "summary"}));
    assert_eq!(alsa["fixed_versions"], serde_json::json!(["1:3.0.7-16.el9_2"]));
}

#[test]
fn composer_lock_matches_drupal_core_and_contrib_advisories() {
    let doc = stdout_json(&scan(&["fixtures/scan/php", "-f", "json"], &crate_dir(), &shared_cache()));
    let ids = ids_by_package(&doc);
    assert_eq!(ids["composer.lock drupal/webform@6.1.0"], ["DRUPAL-CONTRIB-2021-045"]);
    let core = &ids["composer.lock drupal/core@9.5.0"];
    assert_eq!(core.len(), 30, "{core:?}");
    assert_eq!((core[0].as_str(), core[29].as_str()), ("DRUPAL-CORE-2023-001", "DRUPAL-CORE-2026-012"));
    assert!(!ids.keys().any(|k| k.contains("symfony")));
}

#[test]
fn cyclonedx_vdr_lists_vulnerabilities_and_validates() {
    let out = scan(&["fixtures/scan/rust", "-f", "cyclonedx"], &crate_dir(), &shared_cache());
    assert_eq!(out.status.code(), Some(1));
    let bom = stdout_json(&out);
    assert_eq!(schema_errors("bom-1.6.schema.json", &bom), Vec::<String>::new());
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 8);
    let smallvec = vulns.iter().find(|v| v["id"] == "RUSTSEC-2019-0009").unwrap();
    assert_eq!(
        smallvec["affects"],
        serde_json::json!([{"ref": "pkg:cargo/smallvec@0.6.9", "versions": [{"version": "0.6.9", "status": "affected"}]}])
    );
    assert_eq!(smallvec["ratings"][0]["method"], "CVSSv3");
    assert_eq!(smallvec["ratings"][0]["score"], 9.8);
    assert_eq!(smallvec["recommendation"], "Upgrade to a fixed version: 0.6.10");
    assert_eq!(smallvec["references"][0], serde_json::json!({"id": "CVE-2019-15551", "source": {"name": "NVD"}}));
    // Every affected ref is a component of the same BOM.
    let refs: Vec<&str> =
        bom["components"].as_array().unwrap().iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
    for v in vulns {
        for a in v["affects"].as_array().unwrap() {
            assert!(refs.contains(&a["ref"].as_str().unwrap()));
        }
    }
}
