use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::inventory::walk::Inventory;
use crate::model::{ImageSubject, SuppressionKind};
use crate::policy::base_image::Pattern;
use crate::policy::signature::policy::ResolvedRule;
use crate::policy::signature::Requirement;
use crate::policy::BaseImagePolicy;
use crate::triage::TriageOptions;

const RECORDS: &[(&str, &str)] = &[
    (
        "TEST-HYPER-1",
        r#"{"id":"TEST-HYPER-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2099-0001"],"summary":"hyper test",
           "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
           "affected":[{"package":{"ecosystem":"crates.io","name":"hyper"},
                        "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.14.10"}]}]}]}"#,
    ),
    (
        "TEST-SERDE-1",
        r#"{"id":"TEST-SERDE-1","modified":"2024-01-02T00:00:00Z",
           "affected":[{"package":{"ecosystem":"crates.io","name":"serde"},"versions":["1.0.200"]}]}"#,
    ),
    (
        "TEST-SMALLVEC-1",
        r#"{"id":"TEST-SMALLVEC-1","modified":"2024-01-03T00:00:00Z",
           "affected":[{"package":{"ecosystem":"crates.io","name":"smallvec"},
                        "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.6.1"}]}]}]}"#,
    ),
    (
        "TEST-TIME-1",
        r#"{"id":"TEST-TIME-1","modified":"2024-01-04T00:00:00Z",
           "affected":[{"package":{"ecosystem":"crates.io","name":"time"},
                        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"not a version"}]}]}]}"#,
    ),
    (
        "TEST-PY-1",
        r#"{"id":"TEST-PY-1","modified":"2024-01-05T00:00:00Z",
           "affected":[{"package":{"ecosystem":"PyPI","name":"markupsafe"},
                        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.0"}]}]}]}"#,
    ),
];

/// A folder with advisories (`osv/`), an ignore file, a Rust project with a malformed
/// lockfile and a Dockerfile (`project/`), the same lockfile deeper (`other/nested/`),
/// a Python project (`python/`) and a cache.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("osv")).unwrap();
        for (id, record) in RECORDS {
            fs::write(root.join("osv").join(format!("{id}.json")), record).unwrap();
        }
        fs::write(root.join("ignore.yaml"), "ignore:\n  - id: TEST-SMALLVEC-1\n    reason: grow() is unused\n")
            .unwrap();
        let lock = fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scan/rust/Cargo.lock")).unwrap();
        for folder in ["project", "other/nested"] {
            fs::create_dir_all(root.join(folder)).unwrap();
            fs::write(root.join(folder).join("Cargo.lock"), &lock).unwrap();
        }
        fs::create_dir_all(root.join("project/bad")).unwrap();
        fs::write(root.join("project/bad/Cargo.lock"), "[[package]\nname = ").unwrap();
        fs::write(root.join("project/Dockerfile"), "FROM alpine:latest\nRUN curl -sSL https://example.com/i.sh | sh\n")
            .unwrap();
        fs::create_dir_all(root.join("python")).unwrap();
        fs::write(root.join("python/requirements.txt"), "markupsafe==2.1.5\n").unwrap();
        Fixture { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Every kind of outcome: triage (ignore file, unfixed), shown suppressed, a
    /// Dockerfile with a base-image policy.
    fn options(&self) -> ScanOptions {
        ScanOptions {
            db: Some(self.path("osv")),
            triage: TriageOptions {
                ignore_file: Some(self.path("ignore.yaml")),
                vex: Vec::new(),
                ignore_unfixed: true,
            },
            show_suppressed: true,
            dockerfile: Some(self.path("project/Dockerfile")),
            base_images: Some(BaseImagePolicy {
                require_digest: false,
                allowed: Some(vec![Pattern::parse("docker.io/library/debian:12*").unwrap()]),
            }),
            ..ScanOptions::new(self.path("cache"))
        }
    }
}

fn ids(result: &ScanResult) -> Vec<(&str, Option<SuppressionKind>)> {
    result.findings.iter().map(|f| (f.id.as_str(), f.suppression.as_ref().map(|s| s.kind))).collect()
}

#[test]
fn a_scanner_can_be_shared_between_threads() {
    fn assert_sync<T: Sync + Send>() {}
    assert_sync::<Scanner>();
}

#[test]
fn a_scan_reads_matches_triages_and_checks_the_dockerfile() {
    let fixture = Fixture::new();
    let scanner = Scanner::new(fixture.options()).unwrap();
    let result = scanner.scan(&Target::Paths(vec![fixture.path("project")])).unwrap();

    assert_eq!(
        ids(&result),
        [
            ("TEST-HYPER-1", None),
            ("TEST-SERDE-1", Some(SuppressionKind::Unfixed)),
            ("TEST-SMALLVEC-1", Some(SuppressionKind::Ignore)),
        ]
    );
    assert_eq!(result.findings[0].fixed_versions, ["0.14.10"]);
    assert_eq!(result.findings[0].package.location.path, "Cargo.lock");
    let summary = &result.summary;
    assert_eq!((summary.vulnerabilities, summary.suppressed, summary.uncomparable), (1, 2, 1));
    assert_eq!(summary.by_severity, [("critical".to_string(), 1)].into());
    assert_eq!(result.uncomparable[0].advisory, "TEST-TIME-1");
    assert_eq!(result.inventory.errors.len(), 1);
    assert_eq!(result.inventory.errors[0].path, "bad/Cargo.lock");
    let rules: Vec<&str> = result.policy.iter().map(|p| p.rule).collect();
    assert!(rules.contains(&"CUSTOMS-BASE-001"), "{rules:?}");
    assert!(rules.iter().any(|r| r.starts_with("CUSTOMS-DF-")), "{rules:?}");
    assert_eq!(summary.policy, result.policy.len());
    assert_eq!(result.database.as_ref().unwrap(), scanner.database());
    assert_eq!(scanner.database().records, RECORDS.len());
    assert!(result.notes.is_empty(), "the ignore entry matched: {:?}", result.notes);
    // Without --show-suppressed the suppressed findings are counted, not listed.
    let hidden = Scanner::new(ScanOptions { show_suppressed: false, ..fixture.options() }).unwrap();
    let result = hidden.scan(&Target::Paths(vec![fixture.path("project")])).unwrap();
    assert_eq!(ids(&result), [("TEST-HYPER-1", None)]);
    assert_eq!(result.summary.suppressed, 2);
}

#[test]
fn a_stored_result_reads_back_and_renders_the_same() {
    let fixture = Fixture::new();
    let scanner = Scanner::new(fixture.options()).unwrap();
    let result = scanner.scan(&Target::Paths(vec![fixture.path("project")])).unwrap();
    assert!(!result.policy.is_empty() && !result.inventory.errors.is_empty() && result.summary.suppressed > 0);
    assert!(!result.inventory.files.is_empty() && !result.uncomparable.is_empty());

    let json = serde_json::to_string_pretty(&result).unwrap();
    let back: ScanResult = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string_pretty(&back).unwrap(), json);
    assert_eq!(back, result);
    assert_eq!(crate::report::markdown::render(&back), crate::report::markdown::render(&result));
    assert_eq!(crate::report::json::render_scan(&back), crate::report::json::render_scan(&result));
}

#[test]
fn an_image_result_reads_back_too() {
    let image = subject("127.0.0.1:9/app:1");
    let inventory = Inventory { root: image.reference.clone(), image: Some(image), ..Inventory::default() };
    let fixture = Fixture::new();
    let offline = Scanner::new(ScanOptions { offline: true, ..image_policy(&fixture) }).unwrap();
    let result = offline.evaluate(vec!["127.0.0.1:9/app:1".into()], inventory).unwrap();
    assert_eq!(result.policy.len(), 2);
    let json = serde_json::to_string(&result).unwrap();
    let back: ScanResult = serde_json::from_str(&json).unwrap();
    assert_eq!(back, result);
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
}

#[test]
fn evaluate_many_equals_evaluating_each_inventory_alone() {
    let fixture = Fixture::new();
    let scanner = Scanner::new(fixture.options()).unwrap();
    let mut items: Vec<(Vec<String>, Inventory)> = ["project", "other", "python"]
        .into_iter()
        .map(|folder| scanner.read(&Target::Paths(vec![fixture.path(folder)])).unwrap())
        .collect();
    items.push((vec!["nothing".into()], Inventory::default()));
    // The same packages in several inventories, each at its own place.
    assert_eq!(items[1].1.packages.len(), items[0].1.packages.len());

    let alone: Vec<ScanResult> = items
        .iter()
        .map(|(targets, inventory)| scanner.evaluate(targets.clone(), inventory.clone()).unwrap())
        .collect();
    let many: Vec<ScanResult> = scanner.evaluate_many(items).into_iter().map(Result::unwrap).collect();
    assert_eq!(many, alone);
    assert_eq!(many[1].findings[0].package.location.path, "nested/Cargo.lock");
    assert_eq!(many[0].findings[0].package.location.path, "Cargo.lock");
    assert_eq!(ids(&many[2]), [("TEST-PY-1", None)]);
    assert!(many[3].findings.is_empty());
    // `scan` is `read` then `evaluate`.
    let scanned = scanner.scan(&Target::Paths(vec![fixture.path("project")])).unwrap();
    assert_eq!(scanned, alone[0]);
    assert!(scanner.evaluate_many(Vec::new()).is_empty());
}

#[test]
fn broken_triage_inputs_and_empty_databases_fail_when_the_scanner_is_made() {
    let fixture = Fixture::new();
    fs::write(fixture.path("broken.yaml"), "ignore:\n  - id: X\n").unwrap();
    let broken = ScanOptions {
        triage: TriageOptions { ignore_file: Some(fixture.path("broken.yaml")), ..TriageOptions::default() },
        ..fixture.options()
    };
    let err = format!("{:#}", Scanner::new(broken).err().unwrap());
    assert!(err.starts_with("cannot read the ignore file: "), "{err}");

    fs::create_dir(fixture.path("empty")).unwrap();
    let empty = ScanOptions { db: Some(fixture.path("empty")), ..fixture.options() };
    let err = Scanner::new(empty.clone()).err().unwrap().to_string();
    let shown = crate::model::display_path(&fixture.path("empty"));
    assert!(err.starts_with(&format!("{shown}: the advisory database has no records (0 files read)")), "{err}");
    let scanner = Scanner::new(ScanOptions { allow_empty_db: true, ..empty }).unwrap();
    let result = scanner.scan(&Target::Paths(vec![fixture.path("project")])).unwrap();
    assert!(result.findings.is_empty());
    assert_eq!(result.database.unwrap().records, 0);
    assert_eq!(scanner.scan(&Target::Paths(Vec::new())).err().unwrap().to_string(), "nothing to scan: no paths given");
}

fn subject(reference: &str) -> ImageSubject {
    ImageSubject {
        reference: reference.into(),
        manifest_digest: format!("sha256:{}", "a".repeat(64)),
        platform: "linux/amd64".into(),
        os: None,
        ecosystem: None,
        layers: vec![],
        base_name: None,
        base_digest: None,
    }
}

/// An allowlist that needs layer ancestry, and a signature rule for every image.
fn image_policy(fixture: &Fixture) -> ScanOptions {
    let requirement =
        Requirement { keys: vec![], identities: vec![], trusted_root: None, check_reference: false, ignore_sct: false };
    ScanOptions {
        db: Some(fixture.path("osv")),
        base_images: Some(BaseImagePolicy {
            require_digest: false,
            allowed: Some(vec![Pattern::parse("127.0.0.1:9/base:1").unwrap()]),
        }),
        signatures: vec![ResolvedRule { index: 0, images: vec![Pattern::parse("**").unwrap()], requirement }],
        ..ScanOptions::new(fixture.path("cache"))
    }
}

#[test]
fn offline_registries_are_refused_and_image_policies_fail_closed() {
    let fixture = Fixture::new();
    let scanner = Scanner::new(ScanOptions { offline: true, ..image_policy(&fixture) }).unwrap();
    let err = scanner.scan(&Target::Image("127.0.0.1:9/app:1".into())).err().unwrap().to_string();
    assert_eq!(
        err,
        "--offline: 127.0.0.1:9/app:1 is in a registry; scan a docker-archive:, oci-archive: or oci: copy instead"
    );
    // An inventory read earlier (a sweep's store), named by digest: nothing is asked,
    // and neither the base nor the signature can be confirmed.
    let pinned = format!("127.0.0.1:9/app@sha256:{}", "a".repeat(64));
    let inventory = Inventory { root: pinned.clone(), image: Some(subject(&pinned)), ..Inventory::default() };
    let result = scanner.evaluate(vec![pinned.clone()], inventory).unwrap();
    let found: Vec<(&str, &str)> = result.policy.iter().map(|p| (p.rule, p.message.as_str())).collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "CUSTOMS-BASE-001");
    assert!(found[0].1.ends_with("none of the allowed base images could be read (127.0.0.1:9/base:1)"), "{found:?}");
    let warnings = result.inventory.warnings.join("\n");
    assert!(warnings.contains("the scanned image: --offline: it is in a registry"), "{warnings}");
    assert_eq!(found[1].0, "CUSTOMS-SIG-001");
    assert!(found[1].1.contains("(registry error)") && found[1].1.contains("--offline"), "{}", found[1].1);
    assert_eq!(result.gating_findings(Threshold::AtLeast(crate::advisory::cvss::Rating::Critical)), 2);
}
