//! Triage end to end: the ignore file, OpenVEX, `--ignore-unfixed`, `--show-suppressed`
//! and `customs.yaml`, through the CLI against the OSV mirror in `../shared/osv`.
//!
//! The project is `fixtures/scan/rust/Cargo.lock` copied to `services/api/` of a fresh
//! folder (so no `.customs-ignore.yaml` or `customs.yaml` is picked up by accident).
//! Its findings (see tests/scan.rs): hyper 0.14.9 RUSTSEC-2021-0078 (CVE-2021-32715),
//! RUSTSEC-2021-0079, RUSTSEC-2022-0022 (unsound); smallvec 0.6.9 RUSTSEC-2019-0009
//! (CVE-2019-15551), RUSTSEC-2019-0012, RUSTSEC-2021-0003, RUSTSEC-2018-0018
//! (unsound); time 0.1.45 RUSTSEC-2020-0071 (medium). Six vulnerabilities.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

const ALL_VULNERABILITIES: [&str; 6] = [
    "RUSTSEC-2019-0009",
    "RUSTSEC-2019-0012",
    "RUSTSEC-2020-0071",
    "RUSTSEC-2021-0003",
    "RUSTSEC-2021-0078",
    "RUSTSEC-2021-0079",
];

/// The same cache as tests/scan.rs: the mirror is compiled once.
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("scan-test-cache")
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("services/api")).unwrap();
    fs::copy(fixtures().join("scan/rust/Cargo.lock"), dir.path().join("services/api/Cargo.lock")).unwrap();
    dir
}

fn triage_fixture(name: &str) -> String {
    fixtures().join("triage").join(name).to_str().unwrap().to_string()
}

/// `customs scan --db ../shared/osv ARGS` in `dir`.
fn scan(dir: &Path, args: &[&str]) -> Output {
    let osv = shared().join("osv");
    let cache = cache();
    let mut full = vec!["--cache-dir", cache.to_str().unwrap(), "scan", "--db", osv.to_str().unwrap()];
    full.extend_from_slice(args);
    run(&full, dir)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Sorted ids of the vulnerabilities in the report, suppressed ones marked `(kind)`.
fn vulnerabilities(doc: &Value) -> Vec<String> {
    let mut ids: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "vulnerability")
        .map(|f| match f["suppression"]["kind"].as_str() {
            Some(kind) => format!("{} ({kind})", f["id"].as_str().unwrap()),
            None => f["id"].as_str().unwrap().to_string(),
        })
        .collect();
    ids.sort();
    ids
}

fn finding<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["findings"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap_or_else(|| panic!("no {id}"))
}

fn without(ids: &[&str]) -> Vec<String> {
    ALL_VULNERABILITIES.iter().filter(|id| !ids.contains(id)).map(|id| id.to_string()).collect()
}

/// A day relative to today (UTC), as `YYYY-MM-DD`, computed apart from customs' calendar.
fn day(offset_days: i64) -> String {
    let then = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(offset_days * 24);
    then.to_string()[..10].to_string()
}

#[test]
fn ignore_entries_match_by_id_and_by_alias_and_hide_the_finding() {
    let dir = project();
    fs::write(
        dir.path().join(".customs-ignore.yaml"),
        "ignore:\n  - id: RUSTSEC-2021-0079\n    reason: we never parse chunked trailers\n  - id: cve-2019-15551\n    reason: grow() is unused\n",
    )
    .unwrap();
    let out = scan(dir.path(), &[".", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = stdout_json(&out);
    assert_eq!(vulnerabilities(&doc), without(&["RUSTSEC-2021-0079", "RUSTSEC-2019-0009"]));
    assert_eq!(doc["summary"]["suppressed"], 2);
    assert_eq!(doc["summary"]["vulnerabilities"], 4);
    assert_eq!(doc["summary"]["by_severity"], serde_json::json!({"critical": 2, "medium": 2}));
    assert!(!stderr(&out).contains("note:"), "both entries matched: {}", stderr(&out));
}

#[test]
fn package_and_path_narrow_an_entry_and_unmatched_entries_are_noted() {
    let dir = project();
    let ignore = "ignore:
  - id: RUSTSEC-2019-0012
    package: SmallVec            # crates.io names are case-sensitive: not smallvec
    reason: wrong package
  - id: RUSTSEC-2019-0012
    package: smallvec
    path: services/web/**
    reason: wrong path
  - id: RUSTSEC-2021-0003
    package: pkg:cargo/small
    reason: a purl prefix stops at a component boundary
  - id: RUSTSEC-2020-0071
    package: time
    path: services/api/**
    reason: only in the API, which never formats local times
  - id: RUSTSEC-2021-0003
    package: pkg:cargo/smallvec@0.6.9
    path: '**/Cargo.lock'
    reason: no untrusted input reaches insert_many
";
    fs::write(dir.path().join("triage.yaml"), ignore).unwrap();
    // Scanning the folder itself: locations are `Cargo.lock`, the entry's path is
    // matched as seen from the current directory (`services/api/Cargo.lock`).
    let out = scan(dir.path(), &["services/api", "-f", "json", "--ignore-file", "triage.yaml"]);
    let doc = stdout_json(&out);
    assert_eq!(vulnerabilities(&doc), without(&["RUSTSEC-2020-0071", "RUSTSEC-2021-0003"]));
    let err = stderr(&out);
    let notes: Vec<&str> = err.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(
        notes,
        [
            "note: triage.yaml: ignore[0] (RUSTSEC-2019-0012) matched no finding; it can be removed",
            "note: triage.yaml: ignore[1] (RUSTSEC-2019-0012) matched no finding; it can be removed",
            "note: triage.yaml: ignore[2] (RUSTSEC-2021-0003) matched no finding; it can be removed",
        ],
        "{err}"
    );
    // --quiet silences notes.
    let quiet = scan(dir.path(), &["-q", "services/api", "-f", "json", "--ignore-file", "triage.yaml"]);
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn an_expired_entry_stops_suppressing_and_warns_while_a_current_one_suppresses() {
    let dir = project();
    let (yesterday, today, tomorrow) = (day(-1), day(0), day(1));
    fs::write(
        dir.path().join(".customs-ignore.yaml"),
        format!(
            "ignore:
  - id: RUSTSEC-2021-0078
    reason: accepted until the hyper upgrade
    expires: {yesterday}
  - id: RUSTSEC-2021-0079
    reason: accepted until the hyper upgrade
    expires: {tomorrow}
  - id: RUSTSEC-2020-0071
    reason: accepted through today
    expires: '{today}'
"
        ),
    )
    .unwrap();
    let out = scan(dir.path(), &[".", "-f", "json", "--show-suppressed"]);
    let doc = stdout_json(&out);
    assert_eq!(
        vulnerabilities(&doc),
        [
            "RUSTSEC-2019-0009",
            "RUSTSEC-2019-0012",
            "RUSTSEC-2020-0071 (ignore)",
            "RUSTSEC-2021-0003",
            "RUSTSEC-2021-0078",
            "RUSTSEC-2021-0079 (ignore)"
        ]
    );
    assert_eq!(
        finding(&doc, "RUSTSEC-2021-0079")["suppression"],
        serde_json::json!({"kind": "ignore", "reason": "accepted until the hyper upgrade",
                           "expires": tomorrow, "source": ".customs-ignore.yaml"})
    );
    let warning = format!(
        ".customs-ignore.yaml: ignore[0] (RUSTSEC-2021-0078) expired on {yesterday} and no longer suppresses; review it and renew or remove it"
    );
    assert!(stderr(&out).contains(&format!("warning: {warning}")), "{}", stderr(&out));
    assert!(doc["warnings"].as_array().unwrap().contains(&Value::from(warning)));
    assert!(!stderr(&out).contains("note:"), "an expired entry warns instead: {}", stderr(&out));
}

#[test]
fn invalid_ignore_files_are_errors_naming_the_file_and_entry() {
    let dir = project();
    let cases = [
        (
            "ignore:\n  - id: RUSTSEC-2021-0078\n    reason: ok\n  - id: RUSTSEC-2021-0079\n",
            "ignore[1]: missing field `reason`",
        ),
        ("ignore:\n  - id: RUSTSEC-2021-0078\n    reason: '  '\n", "ignore[0]: reason must not be empty"),
        (
            "ignore:\n  - id: RUSTSEC-2021-0078\n    reason: ok\n    expires: 2027-02-30\n",
            "ignore[0]: expires: invalid date \"2027-02-30\": there is no such day",
        ),
        (
            "ignore:\n  - id: RUSTSEC-2021-0078\n    reason: ok\n    expires: 31/01/2027\n",
            "ignore[0]: expires: invalid date \"31/01/2027\": expected YYYY-MM-DD",
        ),
        (
            "ignore:\n  - id: RUSTSEC-2021-0078\n    reason: ok\n    expiry: 2027-01-31\n",
            "ignore[0]: unknown field `expiry`",
        ),
        ("ignores:\n  - id: RUSTSEC-2021-0078\n", "unknown field `ignores`"),
    ];
    for (i, (yaml, expected)) in cases.iter().enumerate() {
        let name = format!("bad-{i}.yaml");
        fs::write(dir.path().join(&name), yaml).unwrap();
        let out = scan(dir.path(), &[".", "--ignore-file", &name]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.starts_with(&format!("error: cannot read the ignore file: {name}:")), "{err}");
        assert!(err.contains(expected), "{name}: expected {expected:?} in {err}");
        assert!(out.stdout.is_empty(), "no report on a broken ignore file");
    }
    // The line where the offending entry starts is named.
    let out = scan(dir.path(), &[".", "--ignore-file", "bad-0.yaml"]);
    assert!(stderr(&out).contains("bad-0.yaml:4: "), "{}", stderr(&out));
    let missing = scan(dir.path(), &[".", "--ignore-file", "nope.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read nope.yaml"), "{}", stderr(&missing));
}

#[test]
fn vex_not_affected_suppresses_with_its_justification_and_affected_does_not() {
    let dir = project();
    let vex = triage_fixture("vex/not-affected.openvex.json");
    let out = scan(dir.path(), &[".", "-f", "json", "--vex", &vex, "--show-suppressed"]);
    let doc = stdout_json(&out);
    // RUSTSEC-2019-0009 through its CVE alias; RUSTSEC-2021-0079 is `affected`;
    // RUSTSEC-2020-0071 is `fixed` for time 0.1.44, not the 0.1.45 scanned.
    assert_eq!(
        vulnerabilities(&doc),
        [
            "RUSTSEC-2019-0009 (vex)",
            "RUSTSEC-2019-0012",
            "RUSTSEC-2020-0071",
            "RUSTSEC-2021-0003",
            "RUSTSEC-2021-0078",
            "RUSTSEC-2021-0079"
        ]
    );
    assert_eq!(
        finding(&doc, "RUSTSEC-2019-0009")["suppression"],
        serde_json::json!({"kind": "vex", "reason": "SmallVec::grow is never called with a smaller capacity",
                           "justification": "vulnerable_code_not_in_execute_path", "source": vex})
    );
    assert_eq!(doc["summary"]["suppressed"], 1);
    assert_eq!(doc["summary"]["vulnerabilities"], 5);

    // The table marks it and shows the justification.
    let table =
        String::from_utf8_lossy(&scan(dir.path(), &[".", "--vex", &vex, "--show-suppressed"]).stdout).into_owned();
    let at = table.find("RUSTSEC-2019-0009").unwrap();
    let marker = table[at..].lines().find(|l| l.contains("[suppressed]")).unwrap();
    assert_eq!(
        marker.trim(),
        format!(
            "[suppressed] vex: SmallVec::grow is never called with a smaller capacity (vulnerable_code_not_in_execute_path, {vex})"
        )
    );
    assert!(table.ends_with("customs: 5 vulnerabilities in 5 packages (3 critical, 2 medium); 2 informational advisories; 1 suppressed\n"), "{table}");
    // Without --show-suppressed the table leaves it out.
    let hidden = String::from_utf8_lossy(&scan(dir.path(), &[".", "--vex", &vex]).stdout).into_owned();
    assert!(!hidden.contains("RUSTSEC-2019-0009") && !hidden.contains("[suppressed]"), "{hidden}");
}

#[test]
fn the_latest_vex_statement_wins_and_image_products_cover_their_subcomponents() {
    let dir = project();
    let (first, image, revoked) = (
        triage_fixture("vex/not-affected.openvex.json"),
        triage_fixture("vex/image.openvex.json"),
        triage_fixture("vex/revoked.openvex.json"),
    );
    let ids = |vex: &[&str]| {
        let mut args = vec![".", "-f", "json", "--show-suppressed"];
        vex.iter().for_each(|v| args.extend(["--vex", v]));
        vulnerabilities(&stdout_json(&scan(dir.path(), &args)))
    };
    // The image's statement covers hyper through its subcomponent (no image scanned here).
    let expected = [
        "RUSTSEC-2019-0009",
        "RUSTSEC-2019-0012",
        "RUSTSEC-2020-0071",
        "RUSTSEC-2021-0003",
        "RUSTSEC-2021-0078 (vex)",
        "RUSTSEC-2021-0079",
    ];
    assert_eq!(ids(&[&image]), expected);
    // revoked.openvex.json is later for smallvec (under_investigation revokes the
    // not_affected), earlier for hyper (its statement's own timestamp), whatever order
    // the files come in.
    assert_eq!(ids(&[&first, &image, &revoked]), expected);
    assert_eq!(ids(&[&revoked, &image, &first]), expected);
    assert_eq!(ids(&[&first])[0], "RUSTSEC-2019-0009 (vex)", "suppressed before it was revoked");
}

#[test]
fn invalid_vex_documents_are_errors_naming_the_statement() {
    let dir = project();
    let statement = |body: &str| {
        format!(
            r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a",
               "timestamp": "2026-01-01T00:00:00Z", "version": 1,
               "statements": [{{"vulnerability": {{"name": "CVE-2019-15551"}},
                               "products": [{{"@id": "pkg:cargo/smallvec"}}], {body}}}]}}"#
        )
    };
    let cases = [
        (
            statement(r#""status": "not_affected""#),
            "statements[0]: a not_affected statement needs a justification or an impact_statement",
        ),
        (statement(r#""status": "wontfix""#), "statements[0]: unknown status \"wontfix\""),
        (
            statement(r#""status": "not_affected", "justification": "trust_me""#),
            "statements[0]: unknown justification \"trust_me\"",
        ),
        (statement(r#""status": "fixed", "timestamp": "yesterday""#), "statements[0]: invalid timestamp \"yesterday\""),
        (r#"{"bomFormat": "CycloneDX", "@context": "https://cyclonedx.org"}"#.to_string(), "not an OpenVEX document"),
        (
            "{\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n \"statements\": [\n}".to_string(),
            "bad-5.json:3: invalid JSON",
        ),
    ];
    for (i, (doc, expected)) in cases.iter().enumerate() {
        let name = format!("bad-{i}.json");
        fs::write(dir.path().join(&name), doc).unwrap();
        let out = scan(dir.path(), &[".", "--vex", &name]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.starts_with(&format!("error: cannot read --vex: {name}")), "{err}");
        assert!(err.contains(expected), "{name}: expected {expected:?} in {err}");
    }
}

#[test]
fn show_suppressed_marks_findings_in_sarif_and_sarif_stays_schema_valid() {
    let dir = project();
    fs::write(
        dir.path().join(".customs-ignore.yaml"),
        "ignore:\n  - id: RUSTSEC-2021-0079\n    reason: not reachable from our code\n    expires: 2099-12-31\n",
    )
    .unwrap();
    let vex = triage_fixture("vex/not-affected.openvex.json");
    let out = scan(dir.path(), &[".", "-f", "sarif", "--vex", &vex, "--show-suppressed"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = stdout_json(&out);
    assert_eq!(schema_errors("sarif-schema-2.1.0.json", &doc), Vec::<String>::new());
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 8, "all six vulnerabilities and two informational findings");
    let suppressions = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap()["suppressions"].clone();
    assert_eq!(suppressions("RUSTSEC-2021-0079")[0]["kind"], "external");
    assert_eq!(suppressions("RUSTSEC-2021-0079")[0]["status"], "accepted");
    assert_eq!(
        suppressions("RUSTSEC-2021-0079")[0]["justification"],
        "ignore: not reachable from our code (until 2099-12-31, .customs-ignore.yaml)"
    );
    assert_eq!(
        suppressions("RUSTSEC-2019-0009")[0]["properties"]["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert!(suppressions("RUSTSEC-2021-0078").is_null());
    assert_eq!(results.iter().filter(|r| r.get("suppressions").is_some()).count(), 2);

    // Without the flag the suppressed results are left out altogether.
    let hidden = stdout_json(&scan(dir.path(), &[".", "-f", "sarif", "--vex", &vex]));
    let ids: Vec<&str> =
        hidden["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 6);
    assert!(!ids.contains(&"RUSTSEC-2021-0079") && !ids.contains(&"RUSTSEC-2019-0009"), "{ids:?}");

    // Markdown marks them too.
    let md =
        String::from_utf8_lossy(&scan(dir.path(), &[".", "-f", "markdown", "--vex", &vex, "--show-suppressed"]).stdout)
            .into_owned();
    assert!(md.contains("| RUSTSEC-2021-0079 *(suppressed — ignore: not reachable from our code (until 2099-12-31, .customs-ignore.yaml))* |"), "{md}");
    assert!(
        md.contains("\nSuppressed (ignore file, VEX, unfixed), not counted above and never failing the build: 2.\n"),
        "{md}"
    );
}

#[test]
fn ignore_unfixed_suppresses_findings_without_a_fixed_version() {
    let dir = project();
    let advisories = triage_fixture("advisories");
    let base = [".", "-f", "json", "--advisories", advisories.as_str()];
    let plain = stdout_json(&scan(dir.path(), &base));
    let serde = finding(&plain, "TRIAGE-2026-0001");
    assert_eq!(serde["fixed_versions"], serde_json::json!([]));
    assert!(serde.get("suppression").is_none());

    let out = scan(dir.path(), &[&base[..], &["--ignore-unfixed", "--show-suppressed", "--fail-on", "low"]].concat());
    let doc = stdout_json(&out);
    assert_eq!(
        finding(&doc, "TRIAGE-2026-0001")["suppression"],
        serde_json::json!({"kind": "unfixed", "reason": "no fixed version is published", "source": "--ignore-unfixed"})
    );
    // Every other finding has a fix: only the one is suppressed.
    assert_eq!(doc["summary"]["suppressed"], 1);
    assert_eq!(doc["findings"].as_array().unwrap().iter().filter(|f| f.get("suppression").is_some()).count(), 1);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn exit_code_counts_only_unsuppressed_vulnerabilities() {
    let dir = project();
    let entries: String =
        ALL_VULNERABILITIES.iter().map(|id| format!("  - id: {id}\n    reason: accepted for the test\n")).collect();
    fs::write(dir.path().join("all.yaml"), format!("ignore:\n{entries}")).unwrap();
    // The two informational findings stay; they never fail a build.
    let out = scan(dir.path(), &[".", "--ignore-file", "all.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.ends_with("customs: 0 vulnerabilities in 5 packages; 2 informational advisories; 6 suppressed\n"),
        "{table}"
    );
    let shown = scan(dir.path(), &[".", "--ignore-file", "all.yaml", "--show-suppressed", "--fail-on", "critical"]);
    assert_eq!(shown.status.code(), Some(0), "shown, still suppressed");

    // Only time's medium finding left open: it fails `any` and `medium`, not `high`.
    let open_medium: String = ALL_VULNERABILITIES
        .iter()
        .filter(|id| **id != "RUSTSEC-2020-0071")
        .map(|id| format!("  - id: {id}\n    reason: accepted\n"))
        .collect();
    fs::write(dir.path().join("most.yaml"), format!("ignore:\n{open_medium}")).unwrap();
    let code =
        |fail_on: &str| scan(dir.path(), &[".", "--ignore-file", "most.yaml", "--fail-on", fail_on]).status.code();
    assert_eq!(code("any"), Some(1));
    assert_eq!(code("medium"), Some(1));
    assert_eq!(code("high"), Some(0));
}

#[test]
fn customs_yaml_supplies_settings_and_flags_win() {
    let dir = project();
    // Paths in customs.yaml stay inside its folder: the VEX document is the repository's.
    fs::copy(triage_fixture("vex/not-affected.openvex.json"), dir.path().join("not-affected.openvex.json")).unwrap();
    let vex = "not-affected.openvex.json";
    fs::create_dir_all(dir.path().join("ci")).unwrap();
    fs::write(dir.path().join("ci/accepted.yaml"), "ignore:\n  - id: RUSTSEC-2021-0079\n    reason: accepted\n")
        .unwrap();
    fs::write(
        dir.path().join("customs.yaml"),
        format!(
            "# customs settings for this repository
scan:
  fail-on: critical
  format: json
  ignore-file: ci/accepted.yaml
  vex: [{vex}]
  show-suppressed: true
  skip-dir: [legacy]
  max-db-age: 0
policy:
  base-images: {{require-digest: true}}   # read, checked only with --dockerfile or --image
"
        ),
    )
    .unwrap();
    // A skipped folder with a vulnerable lockfile proves skip-dir is read.
    fs::create_dir_all(dir.path().join("legacy")).unwrap();
    fs::copy(fixtures().join("scan/rust/Cargo.lock"), dir.path().join("legacy/Cargo.lock")).unwrap();

    let out = scan(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(1), "critical findings remain: {}", stderr(&out));
    assert!(!stderr(&out).contains("days old"), "max-db-age 0 never warns: {}", stderr(&out));
    let doc = stdout_json(&out);
    assert_eq!(doc["files"].as_array().unwrap().len(), 1, "legacy/ skipped: {}", doc["files"]);
    assert_eq!(
        vulnerabilities(&doc),
        [
            "RUSTSEC-2019-0009 (vex)",
            "RUSTSEC-2019-0012",
            "RUSTSEC-2020-0071",
            "RUSTSEC-2021-0003",
            "RUSTSEC-2021-0078",
            "RUSTSEC-2021-0079 (ignore)"
        ]
    );
    assert_eq!(finding(&doc, "RUSTSEC-2021-0079")["suppression"]["source"], "ci/accepted.yaml");

    // Flags win: the table, and suppressed findings hidden.
    let out = scan(dir.path(), &[".", "-f", "table", "--show-suppressed=false"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with("services/api/Cargo.lock\n"), "{table}");
    assert!(!table.contains("[suppressed]"), "{table}");
    // A stricter threshold from the file, a looser one from the flag.
    let all_but_time: String =
        without(&["RUSTSEC-2020-0071"]).iter().map(|id| format!("  - id: {id}\n    reason: r\n")).collect();
    fs::write(dir.path().join("ci/accepted.yaml"), format!("ignore:\n{all_but_time}")).unwrap();
    assert_eq!(scan(dir.path(), &["."]).status.code(), Some(0), "only time's medium is open; the file says critical");
    assert_eq!(scan(dir.path(), &[".", "--fail-on", "medium"]).status.code(), Some(1));

    // --config names another file, paths resolve from its folder.
    fs::write(dir.path().join("ci/customs.yaml"), "scan:\n  format: markdown\n  ignore-file: accepted.yaml\n").unwrap();
    let out = scan(dir.path(), &[".", "--config", "ci/customs.yaml"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("## customs scan"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("error"), "{}", stderr(&out));
}

#[test]
fn invalid_config_files_are_errors() {
    let dir = project();
    let cases = [
        ("scan:\n  fail-on: severe\n", "customs.yaml:2: invalid YAML: scan: fail-on: unknown severity \"severe\""),
        ("scan:\n  fail_on: high\n", "scan: unknown field `fail_on`"),
        (
            "scan:\n  format: xml\n",
            "scan: format: unknown format \"xml\": use table, json, sarif, markdown, cyclonedx or spdx",
        ),
        ("scans:\n  format: json\n", "unknown field `scans`"),
    ];
    for (yaml, expected) in cases {
        fs::write(dir.path().join("customs.yaml"), yaml).unwrap();
        let out = scan(dir.path(), &["."]);
        assert_eq!(out.status.code(), Some(2), "{yaml}");
        let err = stderr(&out);
        assert!(err.starts_with("error: cannot read the configuration file: customs.yaml:"), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in {err}");
    }
    let missing = scan(dir.path(), &[".", "--config", "missing.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    // A file of comments only is an empty configuration.
    fs::write(dir.path().join("customs.yaml"), "# nothing yet\n").unwrap();
    assert_eq!(scan(dir.path(), &["."]).status.code(), Some(1));
}
