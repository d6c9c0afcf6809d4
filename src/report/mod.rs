//! Reports: each output format is one module that only formats what it is given.

use sha2::{Digest, Sha256};

pub mod cyclonedx;
pub mod escape;
pub mod json;
pub mod markdown;
pub mod registry;
pub mod sarif;
pub mod spdx;
pub mod table;

/// The tool name reports give.
pub const TOOL_NAME: &str = "customs";
/// The version reports give: the crate's.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The formats a scan is reported in; defined beside the scan's other settings, so that
/// `customs.yaml` names them without depending on the reports.
pub use crate::scan::Format;

/// One package whose version some advisories could not be compared with: whether
/// they apply is unknown, which every report shows rather than leaving it out.
pub struct NotCompared<'a> {
    /// The package, as found.
    pub package: &'a crate::model::Package,
    /// The advisory ids, in the order matching reported them.
    pub advisories: Vec<&'a str>,
    /// The first reason given (usually the same for all: the version does not parse).
    pub reason: &'a str,
}

/// `result.uncomparable` grouped by package (file, line, ecosystem, name, version).
pub fn not_compared(result: &crate::scan::ScanResult) -> Vec<NotCompared<'_>> {
    let mut groups: Vec<NotCompared<'_>> = Vec::new();
    let mut index = std::collections::BTreeMap::new();
    for u in &result.uncomparable {
        let at = *index.entry(u.package.sort_key()).or_insert_with(|| {
            groups.push(NotCompared { package: &u.package, advisories: Vec::new(), reason: &u.reason });
            groups.len() - 1
        });
        groups[at].advisories.push(&u.advisory);
    }
    groups.sort_by(|a, b| a.package.sort_key().cmp(&b.package.sort_key()));
    groups
}

/// The first few advisory ids and how many more: `A, B, C and 83 more`.
pub fn some_ids(ids: &[&str], shown: usize) -> String {
    let mut text = ids.iter().take(shown).copied().collect::<Vec<_>>().join(", ");
    if ids.len() > shown {
        text.push_str(&format!(" and {} more", ids.len() - shown));
    }
    text
}

/// `1 package`, `2 packages`: every count a report prints goes through here.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The binary package a distribution package was installed as, for the package
/// databases that file a binary under its source (dpkg's `Source:`, apk's origin:
/// `Package::name` is the source, the purl names the binary). `None` for every other
/// package, whose name is the one installed.
pub fn binary_name(package: &crate::model::Package) -> Option<&str> {
    matches!(package.purl.ty.as_str(), "deb" | "apk" | "rpm").then_some(package.purl.name.as_str())
}

/// One row of a report people read: a finding, and when the same advisory hits
/// several binary packages built from one source package at one version (Debian's
/// `e2fsprogs` is installed as `libext2fs2`, `libcom-err2`, `logsave`…), all of them.
pub struct Row<'a> {
    /// The first of the row's findings: id, severity, fix and summary are the same for all.
    pub finding: &'a crate::matching::Finding,
    /// The binary packages, sorted and without repeats (`libc6` amd64 and i386 are one
    /// name); empty when the package is not a distribution's or is installed under its
    /// own name only.
    pub binaries: Vec<&'a str>,
    /// How many findings the row stands for (one per binary package).
    pub findings: usize,
}

impl Row<'_> {
    /// The declaration's line, when the row is one declaration (several binaries sit
    /// on several lines of the package database).
    pub fn line(&self) -> Option<u32> {
        if self.findings == 1 {
            self.finding.package.location.line
        } else {
            None
        }
    }
}

/// `findings` as rows, in the order given: findings of one advisory for one source
/// package, version and file (suppressed or not alike) become one row. The advisory and
/// its fix are the source package's (one upload fixes every binary), so one row per
/// source is what needs doing; the binaries are listed, as they are what `apt`, `apk`
/// and Trivy's tables name.
pub fn rows<'a>(findings: impl IntoIterator<Item = &'a crate::matching::Finding>) -> Vec<Row<'a>> {
    let mut rows: Vec<Row<'a>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for f in findings {
        let Some(binary) = binary_name(&f.package) else {
            rows.push(Row { finding: f, binaries: Vec::new(), findings: 1 });
            continue;
        };
        let p = &f.package;
        let key = (&p.location.path, &f.id, &p.ecosystem, &p.name, &p.version, f.suppression.is_some());
        let at = *index.entry(key).or_insert_with(|| {
            rows.push(Row { finding: f, binaries: Vec::new(), findings: 0 });
            rows.len() - 1
        });
        rows[at].findings += 1;
        rows[at].binaries.push(binary);
    }
    for row in &mut rows {
        row.binaries.sort_unstable();
        row.binaries.dedup();
        if row.binaries == [row.finding.package.name.as_str()] {
            row.binaries.clear();
        }
    }
    rows
}

/// The time stamped into documents (moved to [`crate::time`], which databases use too).
pub use crate::time::timestamp;

/// A UUID derived from content, so the same inventory yields the same document id.
/// Shaped as an RFC 9562 version 8 (custom) UUID.
pub fn content_uuid(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let mut b: [u8; 16] = hasher.finalize()[..16].try_into().expect("sha256 is 32 bytes");
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The purl of a scanned image (`pkg:oci/debian@sha256:…?repository_url=…&tag=…`).
pub fn image_purl(image: &crate::model::ImageSubject) -> crate::purl::Purl {
    // `registry/repo[:tag][@digest]`, or `oci-archive:path:tag` for local sources.
    let reference = image.reference.as_str();
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let (repository, tag) = match without_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (without_digest, None),
    };
    let name = repository.rsplit(['/', ':']).next().unwrap_or(repository);
    let arch = image.platform.split('/').nth(1).unwrap_or_default();
    let mut purl = crate::purl::Purl::new("oci", None, name, Some(&image.manifest_digest))
        .with_qualifier("repository_url", repository)
        .with_qualifier("arch", arch);
    if let Some(tag) = tag {
        purl = purl.with_qualifier("tag", tag);
    }
    purl
}

/// The name of what was scanned, for document titles: the last path component.
pub fn target_name(root: &str) -> String {
    let trimmed = root.trim_end_matches('/');
    match trimmed.rsplit('/').next() {
        Some(last) if !last.is_empty() && last != "." && last != ".." => last.to_string(),
        _ => std::env::current_dir()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "scan".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_uuid_is_stable_and_versioned() {
        let a = content_uuid(&["x", "y"]);
        assert_eq!(a, content_uuid(&["x", "y"]));
        assert_ne!(a, content_uuid(&["xy"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
    }

    #[test]
    fn image_purls() {
        let image = crate::model::ImageSubject {
            reference: "docker.io/library/debian:12".into(),
            manifest_digest: "sha256:abc".into(),
            platform: "linux/amd64".into(),
            os: None,
            ecosystem: None,
            layers: vec![],
            base_name: None,
            base_digest: None,
        };
        assert_eq!(
            image_purl(&image).to_string(),
            "pkg:oci/debian@sha256:abc?arch=amd64&repository_url=docker.io/library/debian&tag=12"
        );
        let local = crate::model::ImageSubject { reference: "oci-archive:/tmp/x.tar:bookworm".into(), ..image };
        assert_eq!(
            image_purl(&local).to_string(),
            "pkg:oci/x.tar@sha256:abc?arch=amd64&repository_url=oci-archive:/tmp/x.tar&tag=bookworm"
        );
    }

    #[test]
    fn target_names() {
        assert_eq!(target_name("a/b/proj/"), "proj");
        assert_eq!(target_name("Cargo.lock"), "Cargo.lock");
    }
}
