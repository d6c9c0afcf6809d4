//! `pubspec.lock`, the lockfile of Dart's `pub` (and so of Flutter).
//!
//! A YAML document whose `packages` map names every resolved package with its
//! `dependency` kind, `source` and `description`. Decisions:
//!
//! - `hosted` packages are Pub packages. A host other than pub.dev (or its old name
//!   pub.dartlang.org) goes into the purl as `repository_url`, as Cargo.lock does for
//!   alternate registries: the package is still matched, the report shows where it came from.
//! - `git` packages are kept, with `vcs_url=git+URL@resolved-ref` in the purl: the
//!   lockfile records the pubspec version at the locked commit, and a fork of a package
//!   usually carries that release's code (and its vulnerabilities).
//! - `sdk` packages (flutter, flutter_test, sky_engine…) come with the Flutter/Dart SDK
//!   and carry placeholder versions such as `0.0.0`; `path` packages are local code.
//!   Both are reported as skipped, never matched.
//! - `dependency: "direct main" | "direct dev" | "direct overridden"` are direct (dev for
//!   `direct dev`), `transitive` is transitive. Pub does not say whether a transitive
//!   package is reached only through dev dependencies, so those are not marked dev.
//!
//! The YAML parser does not report positions, so the line of each package key comes from
//! one pass over the text: the keys indented one level under the top-level `packages:`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_yaml_ng::Value;

use super::{text, ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, Package, Relationship, Skipped};

pub struct PubspecLock;

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    packages: Option<BTreeMap<String, LockedPackage>>,
}

#[derive(Deserialize)]
struct LockedPackage {
    dependency: Option<String>,
    /// A map for hosted, git and path packages; the SDK name (a string) for sdk ones.
    #[serde(default)]
    description: Value,
    source: String,
    version: String,
}

/// The hosts of the public registry; any other host is recorded in the purl.
const PUB_DEV_HOSTS: &[&str] = &["https://pub.dev", "https://pub.dartlang.org"];

impl Extractor for PubspecLock {
    fn id(&self) -> &'static str {
        "dart/pubspec-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "pubspec.lock")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        // An empty document (or one holding only comments) parses as no lockfile at all.
        let lock: Option<Lockfile> = text::yaml(input.path, content)?;
        let mut packages = lock.and_then(|l| l.packages).unwrap_or_default();

        let mut out = Extracted::default();
        for (name, line) in package_key_lines(content) {
            if let Some(package) = packages.remove(&name) {
                add_package(input, &mut out, &name, &package, Some(line));
            }
        }
        // Keys the line scan could not see (a flow-style `packages: {…}`) are still
        // reported, without a line rather than with a wrong one.
        for (name, package) in &packages {
            add_package(input, &mut out, name, package, None);
        }
        Ok(out)
    }
}

fn add_package(input: &Input<'_>, out: &mut Extracted, name: &str, package: &LockedPackage, line: Option<u32>) {
    let location = Location::new(input.path, line);
    let string_field = |key: &str| package.description.get(key).and_then(Value::as_str).unwrap_or_default();
    match package.source.as_str() {
        "hosted" => {
            let mut locked = new_package(name, package, location);
            let host = string_field("url").trim_end_matches('/');
            if !host.is_empty() && !PUB_DEV_HOSTS.contains(&host) {
                locked.purl = locked.purl.with_qualifier("repository_url", host);
            }
            out.packages.push(locked);
        }
        "git" => {
            let mut locked = new_package(name, package, location);
            let url = string_field("url");
            if !url.is_empty() {
                let url = if url.starts_with("git+") { url.to_string() } else { format!("git+{url}") };
                let vcs_url = match string_field("resolved-ref") {
                    "" => url,
                    commit => format!("{url}@{commit}"),
                };
                locked.purl = locked.purl.with_qualifier("vcs_url", vcs_url);
            }
            out.packages.push(locked);
        }
        "path" => out.skipped.push(Skipped {
            location,
            declaration: format!("{name} {} (path: {})", package.version, string_field("path")),
            reason: "local path dependency (not from a package registry)".into(),
        }),
        "sdk" => out.skipped.push(Skipped {
            location,
            declaration: format!("{name} {} (sdk: {})", package.version, package.description.as_str().unwrap_or("?")),
            reason: "bundled with the Flutter/Dart SDK (its version is a placeholder)".into(),
        }),
        other => out.skipped.push(Skipped {
            location,
            declaration: format!("{name} {} (source: {other})", package.version),
            reason: format!("unknown pub source {other:?}"),
        }),
    }
}

fn new_package(name: &str, package: &LockedPackage, location: Location) -> Package {
    let (relationship, dev) = match package.dependency.as_deref() {
        Some("direct main") | Some("direct overridden") => (Relationship::Direct, false),
        Some("direct dev") => (Relationship::Direct, true),
        Some("transitive") => (Relationship::Transitive, false),
        _ => (Relationship::Unknown, false),
    };
    Package::new(EcosystemKind::Pub, name, &package.version, location).with_relationship(relationship).with_dev(dev)
}

/// The keys of the top-level `packages:` map with their 1-based lines, in file order,
/// found in one pass: a package key is a line indented exactly as the first entry.
fn package_key_lines(content: &str) -> Vec<(String, u32)> {
    let mut keys = Vec::new();
    let mut in_packages = false;
    let mut entry_indent = None;
    for (index, line) in content.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent == 0 {
            in_packages = is_packages_header(trimmed);
            continue;
        }
        if !in_packages || *entry_indent.get_or_insert(indent) != indent {
            continue;
        }
        if let Some((key, _)) = trimmed.split_once(':') {
            let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
            keys.push((key.to_string(), index as u32 + 1));
        }
    }
    keys
}

/// `packages:`, possibly followed by spaces or a comment.
fn is_packages_header(line: &str) -> bool {
    line.strip_prefix("packages:").is_some_and(|rest| {
        let rest = rest.trim();
        rest.is_empty() || rest.starts_with('#')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, skipped, summarize};

    #[test]
    fn flutter_app_with_every_source_and_dependency_kind() {
        let out = extract_fixture(&PubspecLock, "inventory/pubspec/flutter-app/pubspec.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "Pub|async|2.11.0|pkg:pub/async@2.11.0|4|transitive",
                "Pub|collection|1.18.0|pkg:pub/collection@1.18.0|12|direct",
                "Pub|design_system|3.4.1|pkg:pub/design_system@3.4.1?repository_url=https://dart.cloudsmith.io/acme/private|20|direct",
                "Pub|flutter_lints|3.0.2|pkg:pub/flutter_lints@3.0.2|33|direct,dev",
                "Pub|flutter_markdown|0.6.18|pkg:pub/flutter_markdown@0.6.18?vcs_url=git%2Bhttps://github.com/flutter/packages.git%404ad5b4e1c2c8f7a1d3b6e9f0a2c4d6e8f0a1b3c5|41|direct",
                "Pub|http|1.2.1|pkg:pub/http@1.2.1|55|direct",
                "Pub|lints|3.0.0|pkg:pub/lints@3.0.0|63|transitive",
            ]
        );
        assert_eq!(
            skipped(&out),
            [
                "flutter 0.0.0 (sdk: flutter)|28|bundled with the Flutter/Dart SDK (its version is a placeholder)",
                "flutter_test 0.0.0 (sdk: flutter)|50|bundled with the Flutter/Dart SDK (its version is a placeholder)",
                "shared_models 0.1.0 (path: ../shared_models)|71|local path dependency (not from a package registry)",
                "sky_engine 0.0.99 (sdk: flutter)|78|bundled with the Flutter/Dart SDK (its version is a placeholder)",
            ]
        );
        assert!(out.skipped.iter().all(|s| s.location.path == "inventory/pubspec/flutter-app/pubspec.lock"));
    }

    #[test]
    fn dart2_lockfile_without_checksums_and_with_an_ssh_git_source() {
        let out = extract_fixture(&PubspecLock, "inventory/pubspec/dart2-legacy/pubspec.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "Pub|args|2.3.1|pkg:pub/args@2.3.1|4|direct",
                "Pub|path|1.8.2|pkg:pub/path@1.8.2|11|transitive",
                "Pub|test|1.21.4|pkg:pub/test@1.21.4|18|direct,dev",
                "Pub|yaml|3.1.1|pkg:pub/yaml@3.1.1?vcs_url=git%2Bgit%40github.com:dart-lang/yaml.git%402b7f1c3a9d8e4f5061728394a5b6c7d8e9f0a1b2|25|direct",
            ]
        );
        assert!(out.skipped.is_empty());
    }

    #[test]
    fn a_large_lock_is_read_in_one_pass() {
        let mut lock = String::from("packages:\n");
        for i in 0..10_000 {
            lock.push_str(&format!(
                "  pkg_{i}:\n    dependency: transitive\n    description:\n      name: pkg_{i}\n      \
                 url: \"https://pub.dev\"\n    source: hosted\n    version: \"1.0.{i}\"\n"
            ));
        }
        let out = extract_str(&PubspecLock, "pubspec.lock", &lock).unwrap();
        assert_eq!(out.packages.len(), 10_000);
        assert_eq!(
            summarize(&out.packages[9_999..]),
            ["Pub|pkg_9999|1.0.9999|pkg:pub/pkg_9999@1.0.9999|69995|transitive"]
        );
    }

    #[test]
    fn wants_only_the_canonical_name() {
        assert!(PubspecLock.wants(Path::new("app/pubspec.lock")));
        assert!(!PubspecLock.wants(Path::new("app/pubspec.yaml")));
        assert!(!PubspecLock.wants(Path::new("pubspec.lock.bak")));
    }

    #[test]
    fn flow_style_packages_are_kept_without_lines() {
        let lock = "packages: {b: {dependency: transitive, description: {name: b, url: \"https://pub.dev\"}, \
                    source: hosted, version: \"1.0.0\"}, a: {source: unknown, version: \"2.0.0\"}}\n";
        let out = extract_str(&PubspecLock, "pubspec.lock", lock).unwrap();
        assert_eq!(summarize(&out.packages), ["Pub|b|1.0.0|pkg:pub/b@1.0.0|-|transitive"]);
        assert_eq!(skipped(&out), ["a 2.0.0 (source: unknown)|-|unknown pub source \"unknown\""]);
    }

    #[test]
    fn quoted_keys_and_comments_between_entries() {
        let lock = "packages:\n  # a comment\n  \"meta\":\n    dependency: transitive\n    description:\n      \
                    name: meta\n      url: \"https://pub.dev\"\n    source: hosted\n    version: \"1.11.0\"\n\
                    sdks:\n  dart: \">=3.0.0 <4.0.0\"\n";
        let out = extract_str(&PubspecLock, "pubspec.lock", lock).unwrap();
        assert_eq!(summarize(&out.packages), ["Pub|meta|1.11.0|pkg:pub/meta@1.11.0|3|transitive"]);
    }

    #[test]
    fn windows_line_endings_and_a_commented_header() {
        let lock = "# Generated by pub\r\npackages:   # resolved\r\n  args:\r\n    dependency: \"direct main\"\r\n    \
                    description:\r\n      name: args\r\n      url: \"https://pub.dev\"\r\n    source: hosted\r\n    \
                    version: \"2.4.2\"\r\n";
        let out = extract_str(&PubspecLock, "pubspec.lock", lock).unwrap();
        assert_eq!(summarize(&out.packages), ["Pub|args|2.4.2|pkg:pub/args@2.4.2|3|direct"]);
    }

    #[test]
    fn empty_and_comment_only_files_have_no_packages() {
        for lock in ["", "\n", "# Generated by pub\n", "packages: {}\nsdks:\n  dart: \">=3.0.0\"\n", "sdks: {}\n"] {
            assert_eq!(extract_str(&PubspecLock, "pubspec.lock", lock).unwrap(), Extracted::default(), "{lock:?}");
        }
    }

    #[test]
    fn truncated_file_names_the_line() {
        let lock = "packages:\n  args:\n    dependency: \"direct main\"\n    description:\n      name: args\n      \
                    url: \"https://pub.dev\n";
        let err = extract_str(&PubspecLock, "pubspec.lock", lock).unwrap_err();
        assert_eq!(err.path, "pubspec.lock");
        assert!(err.line.is_some_and(|l| l >= 6), "{err}");
        assert!(err.message.starts_with("invalid YAML"), "{err}");
    }

    #[test]
    fn wrong_types_are_errors() {
        let version_as_list = "packages:\n  args:\n    source: hosted\n    version: [1, 2]\n";
        let err = extract_str(&PubspecLock, "pubspec.lock", version_as_list).unwrap_err();
        assert_eq!(err.line, Some(4), "{err}");
        let missing_version = "packages:\n  args:\n    source: hosted\n";
        let err = extract_str(&PubspecLock, "pubspec.lock", missing_version).unwrap_err();
        assert!(err.message.contains("missing field `version`"), "{err}");
        let packages_as_list = "packages:\n  - args\n";
        assert!(extract_str(&PubspecLock, "pubspec.lock", packages_as_list).is_err());
        assert!(extract_str(&PubspecLock, "pubspec.lock", "just a string\n").is_err());
    }

    #[test]
    fn binary_junk_is_an_error() {
        let err = PubspecLock
            .extract(&Input::new(Path::new("pubspec.lock"), b"packages:\n  a:\n    \xff\xfe\x00junk"))
            .unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(extract_str(&PubspecLock, "pubspec.lock", "\u{0}\u{1}\u{2}packages").is_err());
    }

    #[test]
    fn alias_bombs_fail_instead_of_exhausting_memory() {
        // Nine levels of nine aliases: 387 million strings if the parser expanded them.
        let mut bomb = String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
        for (prev, next) in
            ["a", "b", "c", "d", "e", "f", "g", "h"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            bomb.push_str(&format!(
                "{next}: &{next} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        let unused = format!("{bomb}packages: {{}}\n");
        assert_eq!(extract_str(&PubspecLock, "pubspec.lock", &unused).unwrap(), Extracted::default());
        let used = format!("{bomb}packages:\n  x:\n    description: *i\n    source: hosted\n    version: \"1.0.0\"\n");
        let err = extract_str(&PubspecLock, "pubspec.lock", &used).unwrap_err();
        assert!(err.message.contains("repetition limit"), "{err}");
    }
}
