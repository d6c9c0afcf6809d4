//! SARIF for GitHub code scanning: schema-valid, every result located at the line
//! that declares the package, fingerprints that survive moved lines.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use serde_json::Value;

fn cache() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("sarif-test-cache")
}

fn sarif(dir: &Path, extra: &[&str]) -> Value {
    let osv = shared().join("osv");
    let cache = cache();
    let mut args = vec!["--cache-dir", cache.to_str().unwrap(), "scan", "--db", osv.to_str().unwrap(), "-f", "sarif"];
    args.extend_from_slice(extra);
    let out = run(&args, dir);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    stdout_json(&out)
}

/// A repository with known-vulnerable pins in three ecosystems.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("rust/Cargo.lock", "Cargo.lock"),
        ("python/requirements.txt", "requirements.txt"),
        ("go/go.mod", "svc/go.mod"),
    ] {
        let to = dir.path().join(to);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(fixtures().join("scan").join(from), to).unwrap();
    }
    dir
}

/// (ruleId, uri, line, fingerprint) for every result.
fn located(doc: &Value) -> Vec<(String, String, u64, String)> {
    let mut out: Vec<_> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                loc["region"]["startLine"].as_u64().unwrap(),
                r["partialFingerprints"]["customsFinding/v1"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn sarif_is_schema_valid_and_points_at_the_declaring_lines() {
    let repo = repository();
    let doc = sarif(repo.path(), &["."]);
    assert_eq!(schema_errors("sarif-schema-2.1.0.json", &doc), Vec::<String>::new());
    let results = located(&doc);
    assert_eq!(results.len(), 6 + 2 + 13 + 63, "Rust 6 + 2 informational, PyPI 13, Go 63");
    let smallvec = results.iter().find(|r| r.0 == "RUSTSEC-2019-0009").unwrap();
    assert_eq!((smallvec.1.as_str(), smallvec.2), ("Cargo.lock", 29));
    let urllib3 = results.iter().find(|r| r.0 == "PYSEC-2023-192").unwrap();
    assert_eq!((urllib3.1.as_str(), urllib3.2), ("requirements.txt", 6));
    let gin = results.iter().find(|r| r.0 == "GO-2021-0052").unwrap();
    assert_eq!((gin.1.as_str(), gin.2), ("svc/go.mod", 8));

    // Rules: unique ids, each with a numeric security-severity GitHub can rank.
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "rule ids are unique");
    for rule in rules {
        let severity: f64 = rule["properties"]["security-severity"].as_str().unwrap().parse().unwrap();
        assert!((0.0..=10.0).contains(&severity));
    }
    let rustsec = rules.iter().find(|r| r["id"] == "RUSTSEC-2019-0009").unwrap();
    assert_eq!(rustsec["properties"]["security-severity"], "9.8");
    assert!(rustsec["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("| smallvec | crates.io | 0.6.9 | 0.6.10 | Cargo.lock:29 |"));
    assert_eq!(doc["runs"][0]["automationDetails"]["id"], "customs/fs:./");
}

#[test]
fn fingerprints_stay_the_same_when_lines_move_and_other_packages_change() {
    let repo = repository();
    let before = located(&sarif(repo.path(), &["."]));
    // Move every line down and add an unrelated pinned package.
    let req = repo.path().join("requirements.txt");
    let text = fs::read_to_string(&req).unwrap();
    fs::write(&req, format!("# moved\n# down\nsix==1.16.0\n{text}")).unwrap();
    let lock = repo.path().join("Cargo.lock");
    let text = fs::read_to_string(&lock).unwrap().replacen("version = 3\n", "version = 3\n\n\n", 1);
    fs::write(&lock, text).unwrap();
    let after = located(&sarif(repo.path(), &["."]));

    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!((&b.0, &b.1, &b.3), (&a.0, &a.1, &a.3), "same rule, file and fingerprint");
    }
    let moved = |r: &[(String, String, u64, String)], id: &str| r.iter().find(|x| x.0 == id).unwrap().2;
    assert_eq!(moved(&after, "PYSEC-2023-192"), moved(&before, "PYSEC-2023-192") + 3);
    assert_eq!(moved(&after, "RUSTSEC-2019-0009"), moved(&before, "RUSTSEC-2019-0009") + 2);
}

#[test]
fn each_target_gets_its_own_category() {
    let repo = repository();
    let a = sarif(repo.path(), &["svc"]);
    let b = sarif(repo.path(), &["Cargo.lock"]);
    assert_eq!(a["runs"][0]["automationDetails"]["id"], "customs/fs:svc/");
    assert_eq!(b["runs"][0]["automationDetails"]["id"], "customs/fs:Cargo.lock/");
    // A folder target keeps repository-relative paths.
    assert_eq!(located(&a)[0].1, "svc/go.mod");
    let custom = sarif(repo.path(), &["svc", "--sarif-category", "backend"]);
    assert_eq!(custom["runs"][0]["automationDetails"]["id"], "backend/");
}

#[test]
fn the_schema_check_itself_rejects_a_broken_log() {
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "R"}]}]});
    assert!(!schema_errors("sarif-schema-2.1.0.json", &broken).is_empty(), "a result without a message is invalid");
}

/// A monorepo: `.git` at the top, the project in `services/api`.
fn monorepo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    let api = dir.path().join("services/api");
    fs::create_dir_all(&api).unwrap();
    fs::copy(fixtures().join("scan/python/requirements.txt"), api.join("requirements.txt")).unwrap();
    fs::copy(fixtures().join("scan/rust/Cargo.lock"), api.join("Cargo.lock")).unwrap();
    dir
}

/// The distinct (uri, uriBaseId) of the results' locations.
fn artifact_locations(doc: &Value) -> Vec<(String, Option<String>)> {
    let mut out: Vec<_> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let artifact = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            (artifact["uri"].as_str().unwrap().to_string(), artifact["uriBaseId"].as_str().map(str::to_string))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn srcroot(doc: &Value) -> String {
    doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap().to_string()
}

#[test]
fn from_a_subdirectory_paths_are_relative_to_the_repository_root() {
    let repo = monorepo();
    let top = fs::canonicalize(repo.path()).unwrap();
    let doc = sarif(&top.join("services/api"), &["."]);
    assert_eq!(schema_errors("sarif-schema-2.1.0.json", &doc), Vec::<String>::new());
    let root = Some("%SRCROOT%".to_string());
    assert_eq!(
        artifact_locations(&doc),
        [("services/api/Cargo.lock".to_string(), root.clone()), ("services/api/requirements.txt".to_string(), root)]
    );
    assert_eq!(srcroot(&doc), format!("file://{}/", top.display()));
}

#[test]
fn absolute_targets_inside_the_repository_are_relative_and_outside_are_file_uris() {
    let repo = monorepo();
    let top = fs::canonicalize(repo.path()).unwrap();
    let api = top.join("services/api");
    // `customs scan "$GITHUB_WORKSPACE/services/api"` from the top.
    let inside = sarif(&top, &[api.to_str().unwrap()]);
    assert_eq!(schema_errors("sarif-schema-2.1.0.json", &inside), Vec::<String>::new());
    let root = Some("%SRCROOT%".to_string());
    assert_eq!(
        artifact_locations(&inside),
        [("services/api/Cargo.lock".to_string(), root.clone()), ("services/api/requirements.txt".to_string(), root)]
    );

    // A lockfile outside the repository has no place in it: an absolute file URI.
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = fs::canonicalize(elsewhere.path()).unwrap().join("Cargo.lock");
    fs::copy(api.join("Cargo.lock"), &outside).unwrap();
    let doc = sarif(&api, &[outside.to_str().unwrap()]);
    assert_eq!(schema_errors("sarif-schema-2.1.0.json", &doc), Vec::<String>::new());
    assert_eq!(artifact_locations(&doc), [(format!("file://{}", outside.display()), None)]);
}
