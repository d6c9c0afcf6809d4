use super::*;
use crate::advisory::osv::Record;
use crate::model::{Ecosystem, EcosystemKind, Location, Package};

fn advisories(records: &[&str]) -> Advisories {
    let mut local = MemoryIndex::default();
    for r in records {
        local.add(Record::from_json(r.as_bytes()).unwrap());
    }
    Advisories { db: None, local }
}

fn package(ecosystem: &str, name: &str, version: &str) -> Package {
    let eco: Ecosystem = ecosystem.parse().unwrap();
    let mut p = Package::new(eco.kind, name, version, Location::default());
    p.ecosystem = eco;
    p
}

fn ids(report: &MatchReport) -> Vec<&str> {
    report.findings.iter().map(|f| f.id.as_str()).collect()
}

const DSA: &str = r#"{"id":"DSA-1","modified":"2024-01-01T00:00:00Z","affected":[
  {"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}]},
  {"package":{"ecosystem":"Debian:11","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1.1w-0+deb11u1"}]}]}]}"#;

#[test]
fn os_advisories_match_only_their_release() {
    let adv = advisories(&[DSA]);
    let bookworm = package("Debian:12", "openssl", "3.0.11-1~deb12u1");
    let report = match_packages(&[bookworm], &adv).unwrap();
    assert_eq!(ids(&report), ["DSA-1"]);
    assert_eq!(report.findings[0].fixed_versions, ["3.0.11-1~deb12u2"]);
    // The same version on Debian 11 is past bullseye's fix; on Debian 10 nothing applies.
    assert!(match_packages(&[package("Debian:11", "openssl", "3.0.11-1~deb12u1")], &adv).unwrap().findings.is_empty());
    assert!(match_packages(&[package("Debian:10", "openssl", "1.0.0")], &adv).unwrap().findings.is_empty());
    // A Debian package without a known release matches no release-specific advisory.
    assert!(match_packages(&[package("Debian", "openssl", "1.0.0")], &adv).unwrap().findings.is_empty());
    // dpkg ordering: the tilde version is before the fix.
    assert!(match_packages(&[package("Debian:12", "openssl", "3.0.11-1~deb12u2")], &adv).unwrap().findings.is_empty());
}

#[test]
fn pypi_names_match_after_pep503_normalisation() {
    let adv = advisories(&[
        r#"{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Zope.Interface"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.0"}]}]}]}"#,
    ]);
    let report = match_packages(&[package("PyPI", "zope_interface", "4.7.post1")], &adv).unwrap();
    assert_eq!(ids(&report), ["PYSEC-1"]);
}

#[test]
fn withdrawn_advisories_are_ignored() {
    let adv = advisories(&[
        r#"{"id":"W-1","modified":"2024-01-01T00:00:00Z","withdrawn":"2024-02-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"versions":["1.0.0"]}]}"#,
    ]);
    assert!(match_packages(&[package("npm", "a", "1.0.0")], &adv).unwrap().findings.is_empty());
}

#[test]
fn unparsable_versions_are_reported_not_dropped() {
    let adv = advisories(&[
        r#"{"id":"U-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}"#,
    ]);
    let report = match_packages(&[package("npm", "a", "not-a-version")], &adv).unwrap();
    assert!(report.findings.is_empty());
    assert_eq!(report.uncomparable.len(), 1);
    assert_eq!(report.uncomparable[0].advisory, "U-1");
    assert!(report.uncomparable[0].reason.contains("not-a-version"), "{}", report.uncomparable[0].reason);
}

#[test]
fn ecosystems_without_version_rules_are_uncomparable() {
    let adv = advisories(&[
        r#"{"id":"C-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"ConanCenter","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2.12"}]}]}]}"#,
    ]);
    let report = match_packages(&[package("ConanCenter", "zlib", "1.2.11")], &adv).unwrap();
    assert_eq!(report.uncomparable[0].reason, "customs has no version rules for ConanCenter");
}

#[test]
fn git_only_ranges_are_counted_and_an_explicit_version_list_still_matches() {
    let adv = advisories(&[
        r#"{"id":"G-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"b"},"ranges":[{"type":"GIT","repo":"https://x","events":[{"introduced":"0"},{"fixed":"abc"}]}]}]}"#,
        r#"{"id":"G-2","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"b"},"ranges":[{"type":"GIT","repo":"https://x","events":[{"introduced":"0"}]}],"versions":["1.0"]}]}"#,
    ]);
    let report = match_packages(&[package("PyPI", "b", "1.0.0")], &adv).unwrap();
    assert_eq!(ids(&report), ["G-2"], "1.0.0 equals the listed 1.0 under PEP 440");
    assert_eq!(report.git_only, 1);
}

#[test]
fn no_ranges_and_no_versions_means_every_version() {
    let adv = advisories(&[
        r#"{"id":"M-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"evil"}}]}"#,
    ]);
    assert_eq!(ids(&match_packages(&[package("npm", "evil", "9.9.9")], &adv).unwrap()), ["M-1"]);
}

#[test]
fn aliases_and_upstream_merge_records_into_one_finding() {
    let adv = advisories(&[
        r#"{"id":"GHSA-aaaa","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-1"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],"affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.5.0"}]}]}]}"#,
        r#"{"id":"NPM-9","modified":"2024-03-01T00:00:00Z","upstream":["CVE-2024-1"],"affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.4.2"}]}]}]}"#,
        r#"{"id":"OTHER-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"versions":["1.2.0"]}]}"#,
    ]);
    let report = match_packages(&[package("npm", "a", "1.2.0")], &adv).unwrap();
    assert_eq!(ids(&report), ["NPM-9", "OTHER-1"]);
    let merged = &report.findings[0];
    assert_eq!(merged.aliases, ["CVE-2024-1", "GHSA-aaaa"]);
    assert_eq!(merged.advisories, ["GHSA-aaaa", "NPM-9"]);
    assert_eq!(merged.fixed_versions, ["1.4.2", "1.5.0"]);
    assert_eq!(merged.modified, "2024-03-01T00:00:00Z");
    let severity = merged.severity.as_ref().unwrap();
    assert_eq!((severity.score, severity.source.as_str()), (Some(7.5), "CVSS_V3"));
}

#[test]
fn ecosystem_severity_words_are_used_when_there_is_no_vector() {
    let adv = advisories(&[
        r#"{"id":"ALSA-1","modified":"2024-01-01T00:00:00Z","database_specific":{"severity":"Important"},"affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-25.el9"}]}]}]}"#,
    ]);
    let report = match_packages(&[package("AlmaLinux:9", "openssl", "1:3.0.7-24.el9")], &adv).unwrap();
    let severity = report.findings[0].severity.as_ref().unwrap();
    assert_eq!(severity.rating, crate::advisory::cvss::Rating::High);
    assert_eq!(severity.score, None);
}

#[test]
fn drupal_contrib_advisories_match_only_drupal_packages() {
    let adv = advisories(&[
        r#"{"id":"DRUPAL-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Packagist:https://packages.drupal.org/8","name":"drupal/webform"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"6.2.2"}]}]}]}"#,
    ]);
    assert_eq!(ids(&match_packages(&[package("Packagist", "drupal/webform", "6.2.0")], &adv).unwrap()), ["DRUPAL-1"]);
    let _ = EcosystemKind::Packagist;
}

#[test]
fn a_listed_version_still_gets_the_fix_from_the_ranges() {
    let adv = advisories(&[
        r#"{"id":"L-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0.0"},{"fixed":"2.0.6"},{"introduced":"0"},{"fixed":"1.26.17"}]}],
        "versions":["1.24.1","2.0.0"]}]}"#,
    ]);
    let report = match_packages(&[package("PyPI", "urllib3", "1.24.1")], &adv).unwrap();
    assert_eq!(report.findings[0].fixed_versions, ["1.26.17"]);
}

#[test]
fn the_newest_record_names_a_merged_finding() {
    let adv = advisories(&[
        r#"{"id":"RUSTSEC-2025-0000","modified":"2025-09-11T12:10:54Z","aliases":["CVE-2025-59047"],"affected":[{"package":{"ecosystem":"crates.io","name":"m"},"versions":["0.1.0"]}]}"#,
        r#"{"id":"RUSTSEC-2025-0065","modified":"2025-09-11T12:21:52Z","aliases":["CVE-2025-59047"],"affected":[{"package":{"ecosystem":"crates.io","name":"m"},"versions":["0.1.0"]}]}"#,
    ]);
    let report = match_packages(&[package("crates.io", "m", "0.1.0")], &adv).unwrap();
    assert_eq!(ids(&report), ["RUSTSEC-2025-0065"]);
    assert_eq!(report.findings[0].aliases, ["CVE-2025-59047", "RUSTSEC-2025-0000"]);
}

#[test]
fn matches_moved_to_another_declaration_equal_matching_that_declaration() {
    let adv = advisories(&[
        DSA,
        r#"{"id":"ODD-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"not a version"}]}]}]}"#,
    ]);
    let mut here = package("Debian:12", "openssl", "3.0.11-1~deb12u1");
    here.location = Location { path: "var/lib/dpkg/status".into(), line: Some(7), layer: Some("sha256:a".into()) };
    let mut there = here.clone();
    there.location = Location { path: "other/status".into(), line: Some(99), layer: Some("sha256:b".into()) };
    there.relationship = crate::model::Relationship::Direct;
    let matched_here = match_package(&here, &adv).unwrap();
    assert_eq!(matched_here.findings.len(), 1);
    assert_eq!(matched_here.uncomparable.len(), 1, "{:?}", matched_here.uncomparable);
    let moved = matched_here.relocated(&there);
    assert_eq!(moved, match_package(&there, &adv).unwrap());
    assert_eq!(moved.findings[0].package.location.path, "other/status");
    assert_eq!(moved.uncomparable[0].package, there);
    assert_eq!(MatchReport::collect([moved]).findings, match_packages(&[there], &adv).unwrap().findings);
}

#[test]
fn pub_ranges_order_build_metadata_as_pub_does() {
    // OSV writes Pub's ranges as SEMVER; pub counts build metadata, SemVer ignores it.
    let adv = advisories(&[
        r#"{"id":"P-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Pub","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0+2"}]}]}]}"#,
    ]);
    let ids_for = |version| ids(&match_packages(&[package("Pub", "a", version)], &adv).unwrap()).join(",");
    assert_eq!(ids_for("1.0.0+1"), "P-1");
    assert_eq!(ids_for("1.0.0"), "P-1");
    assert_eq!(ids_for("1.0.0+2"), "");
    assert_eq!(ids_for("1.0.0+10"), "");
}
