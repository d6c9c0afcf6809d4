//! The project's own packages (workspace members, local folders, links) end to end:
//! every SBOM format lists them, marked, and a scan never matches them against
//! registry advisories, even when one is named and versioned like a vulnerable package.
//!
//! Fixtures under `fixtures/own/`: each workspace has a member named like a vulnerable
//! registry package (a crate `smallvec` 0.6.9, an npm `lodash` 4.17.20) beside a real
//! registry package that is vulnerable, so both halves of the rule are checked at once.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("own-packages-cache")
}

fn sbom(dir: &str, format: &str) -> Value {
    let out = run(&["sbom", &format!("fixtures/own/{dir}"), "-f", format], &crate_dir());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    stdout_json(&out)
}

fn scan(db: &Path, args: &[&str]) -> Output {
    let cache = cache();
    let mut full = vec!["--cache-dir", cache.to_str().unwrap(), "scan", "--db", db.to_str().unwrap()];
    full.extend_from_slice(&["--max-db-age", "0", "-f", "json"]);
    full.extend_from_slice(args);
    run(&full, &crate_dir())
}

/// `name@version id` for every finding, sorted.
fn findings(out: &Output) -> Vec<String> {
    let doc = stdout_json(out);
    let mut found: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}@{} {}", f["package"]["name"].as_str().unwrap(), f["package"]["version"], f["id"]))
        .map(|s| s.replace('"', ""))
        .collect();
    found.sort();
    found
}

/// `name@version customs:own` for each CycloneDX component (`-` when not own).
fn components(bom: &Value) -> Vec<String> {
    bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let own = c["properties"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == "customs:own")
                .map_or("-".to_string(), |p| p["value"].as_str().unwrap().to_string());
            let name = match c["group"].as_str() {
                Some(group) => format!("{group}/{}", c["name"].as_str().unwrap()),
                None => c["name"].as_str().unwrap().to_string(),
            };
            format!("{name}@{} {own} {}", c["version"].as_str().unwrap_or(""), c["bom-ref"].as_str().unwrap())
        })
        .collect()
}

/// `name@version comment` for each SPDX package but the document's root.
fn spdx_packages(doc: &Value) -> Vec<String> {
    doc["packages"].as_array().unwrap()[1..]
        .iter()
        .map(|p| {
            format!(
                "{}@{} {}",
                p["name"].as_str().unwrap(),
                p["versionInfo"].as_str().unwrap_or(""),
                p["comment"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

/// `../shared/schemas` holds no SPDX 2.3 document schema (its `spdx.schema.json` is
/// CycloneDX's license list), so the fields SPDX 2.3 requires of a package are checked
/// here, and every package is contained by the root.
fn spdx_is_well_formed(doc: &Value) {
    let packages = doc["packages"].as_array().unwrap();
    for p in packages {
        for field in ["SPDXID", "name", "downloadLocation"] {
            assert!(p[field].is_string(), "{field} missing in {p}");
        }
        assert!(p["comment"].is_null() || p["comment"].is_string(), "{p}");
    }
    let contained = doc["relationships"].as_array().unwrap().iter().filter(|r| r["relationshipType"] == "CONTAINS");
    assert_eq!(contained.count(), packages.len() - 1);
}

const MEMBER_COMMENT: &str = "customs:own workspace-member: the project's own package, not a registry package; \
                              not matched against advisories";

#[test]
fn cargo_workspace_members_are_listed_marked_and_never_matched() {
    let bom = sbom("cargo", "cyclonedx");
    assert_eq!(schema_errors("bom-1.6.schema.json", &bom), Vec::<String>::new());
    assert_eq!(
        components(&bom),
        ["smallvec@1.6.0 - pkg:cargo/smallvec@1.6.0", "smallvec@0.6.9 workspace-member own:pkg:cargo/smallvec@0.6.9",]
    );
    // The root package named by Cargo.toml is the BOM's subject.
    let subject = &bom["metadata"]["component"];
    assert_eq!(
        (&subject["name"], &subject["version"], &subject["purl"]),
        (&Value::from("app"), &Value::from("0.1.0"), &Value::from("pkg:cargo/app@0.1.0"))
    );

    let spdx = sbom("cargo", "spdx");
    spdx_is_well_formed(&spdx);
    assert_eq!(spdx_packages(&spdx), ["smallvec@1.6.0 -".to_string(), format!("smallvec@0.6.9 {MEMBER_COMMENT}")]);
    assert_eq!(spdx["packages"][0]["name"], "app");

    let json = sbom("cargo", "json");
    let own: Vec<String> = json["own"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| format!("{} {}@{} line {}", o["kind"], o["name"], o["version"], o["location"]["line"]))
        .collect();
    assert_eq!(own, [r#""root" "app"@"0.1.0" line 6"#, r#""workspace-member" "smallvec"@"0.6.9" line 14"#]);
    assert_eq!(json["packages"].as_array().unwrap().len(), 1, "only the registry smallvec is a package");
    assert_eq!(json["skipped"], serde_json::json!([]));

    // RustSec: crates.io smallvec 0.6.9 has four (RUSTSEC-2018-0018, -2019-0009, -2019-0012,
    // -2021-0003, checked by hand with a registry source);
    // the workspace crate of that name and version gets none, the registry 1.6.0 its own.
    let out = scan(&shared().join("osv/crates.io"), &["fixtures/own/cargo"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(findings(&out), ["smallvec@1.6.0 RUSTSEC-2021-0003"]);
}

#[test]
fn npm_workspace_members_are_listed_marked_and_never_matched_and_aliases_kept() {
    let bom = sbom("npm", "cyclonedx");
    assert_eq!(schema_errors("bom-1.6.schema.json", &bom), Vec::<String>::new());
    assert_eq!(
        components(&bom),
        [
            "minimist@1.2.5 - pkg:npm/minimist@1.2.5",
            "ms@2.0.0 - pkg:npm/ms@2.0.0",
            "lodash@4.17.20 workspace-member own:pkg:npm/lodash@4.17.20",
        ]
    );
    assert_eq!(bom["metadata"]["component"]["name"], "acme");
    assert_eq!(bom["metadata"]["component"]["version"], "2.0.0");
    let ms = &bom["components"][1];
    assert!(
        ms["properties"].as_array().unwrap().contains(&serde_json::json!({"name": "customs:alias", "value": "old-ms"})),
        "{ms}"
    );

    let spdx = sbom("npm", "spdx");
    spdx_is_well_formed(&spdx);
    assert_eq!(
        spdx_packages(&spdx),
        ["minimist@1.2.5 -".to_string(), "ms@2.0.0 -".into(), format!("lodash@4.17.20 {MEMBER_COMMENT}")]
    );

    let json = sbom("npm", "json");
    let ms = json["packages"].as_array().unwrap().iter().find(|p| p["name"] == "ms").unwrap();
    assert_eq!(ms["alias"], "old-ms");

    let out = scan(&fixtures().join("own/osv"), &["fixtures/own/npm"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    // OWN-LODASH-1 affects npm lodash 4.17.20: the workspace member of that name is not it.
    assert_eq!(findings(&out), ["minimist@1.2.5 OWN-MINIMIST-1", "ms@2.0.0 OWN-MS-1"]);
}

#[test]
fn pnpm_workspace_importers_are_listed_marked_and_never_matched() {
    let bom = sbom("pnpm", "cyclonedx");
    assert_eq!(schema_errors("bom-1.6.schema.json", &bom), Vec::<String>::new());
    assert_eq!(
        components(&bom),
        ["minimist@1.2.5 - pkg:npm/minimist@1.2.5", "lodash@4.17.20 workspace-member own:pkg:npm/lodash@4.17.20",]
    );
    assert_eq!(bom["metadata"]["component"]["name"], "acme-pnpm");

    let spdx = sbom("pnpm", "spdx");
    spdx_is_well_formed(&spdx);

    let out = scan(&fixtures().join("own/osv"), &["fixtures/own/pnpm"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(findings(&out), ["minimist@1.2.5 OWN-MINIMIST-1"]);
}

#[test]
fn customs_own_sbom_scanned_again_still_leaves_own_packages_unmatched() {
    let bom = sbom("npm", "cyclonedx");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.json");
    std::fs::write(&file, serde_json::to_vec(&bom).unwrap()).unwrap();
    let out = scan(&fixtures().join("own/osv"), &["--sbom", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(findings(&out), ["minimist@1.2.5 OWN-MINIMIST-1", "ms@2.0.0 OWN-MS-1"]);
}
