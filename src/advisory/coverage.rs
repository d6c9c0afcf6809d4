//! Whether an advisory database can say anything about a scan.
//!
//! A scan against a database with no records reports "0 vulnerabilities" and passes
//! the gate, whatever the packages: a `--db` (or a repository's `db:`) pointing at an
//! empty folder, a `{}` file or a zip without records must not look like a clean
//! result. An empty database is therefore an error unless the person running customs
//! says it is meant (`--allow-empty-db`); a database without a record for any scanned
//! ecosystem is a warning that names both sides. The advisories compiled into customs
//! (`advisories/`) are merged into every scan and do not count here: they cover a
//! handful of packages, not an ecosystem.

use std::collections::BTreeSet;

use super::db::Header;
use crate::model::Package;

/// An error naming `source` when the database has no records at all.
pub fn refuse_empty(source: &str, header: &Header) -> anyhow::Result<()> {
    if header.records > 0 {
        return Ok(());
    }
    let invalid = match header.invalid.len() {
        0 => String::new(),
        n => format!(", {n} invalid record{} skipped", if n == 1 { "" } else { "s" }),
    };
    let files = header.sources.len();
    anyhow::bail!(
        "{source}: the advisory database has no records ({files} file{} read{invalid}): every package would pass \
         unchecked; point --db at a folder, zip or mirror of OSV records (or run `customs db update`), or pass \
         --allow-empty-db if an empty database is what you mean",
        if files == 1 { "" } else { "s" },
    )
}

/// A warning when the database holds records, but none for an ecosystem of `packages`:
/// then nothing was matched against it.
pub fn ecosystems_warning(source: &str, header: &Header, packages: &[Package]) -> Option<String> {
    let scanned: BTreeSet<&str> = packages.iter().map(|p| p.ecosystem.kind.osv_name()).collect();
    let mut in_db: BTreeSet<&str> = BTreeSet::new();
    for ecosystem in header.records_per_ecosystem.keys() {
        in_db.insert(ecosystem.split(':').next().unwrap_or(ecosystem));
    }
    if scanned.is_empty() || in_db.is_empty() || scanned.iter().any(|e| in_db.contains(e)) {
        return None;
    }
    let list = |set: &BTreeSet<&str>| set.iter().copied().collect::<Vec<_>>().join(", ");
    Some(format!(
        "{source}: the advisory database has no records for any scanned ecosystem (scanned: {}; the database has: \
         {}): no package was checked against it; point --db at advisories for these ecosystems",
        list(&scanned),
        list(&in_db),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EcosystemKind, Location};

    fn header(records: usize, ecosystems: &[&str]) -> Header {
        let mut header = Header::default();
        header.records = records;
        header.records_per_ecosystem = ecosystems.iter().map(|e| (e.to_string(), 1)).collect();
        header
    }

    #[test]
    fn an_empty_database_is_refused_with_its_source() {
        let mut empty = header(0, &[]);
        empty.invalid.push(("db/x.json".into(), "not an OSV record".into()));
        let err = refuse_empty("db", &empty).unwrap_err().to_string();
        assert!(err.starts_with("db: the advisory database has no records (0 files read, 1 invalid record skipped)"));
        assert!(err.ends_with("or pass --allow-empty-db if an empty database is what you mean"), "{err}");
        assert!(refuse_empty("db", &header(1, &["PyPI"])).is_ok());
    }

    #[test]
    fn a_database_for_other_ecosystems_is_named() {
        let drupal = Package::new(EcosystemKind::Packagist, "drupal/core", "9.5.0", Location::default());
        let debian = Package::new(EcosystemKind::Debian, "openssl", "3.0.0", Location::default());
        let warning =
            ecosystems_warning("db", &header(2, &["PyPI", "crates.io"]), std::slice::from_ref(&drupal)).unwrap();
        assert!(warning.contains("(scanned: Packagist; the database has: PyPI, crates.io)"), "{warning}");
        assert_eq!(ecosystems_warning("db", &header(1, &["Debian:12"]), std::slice::from_ref(&debian)), None);
        assert_eq!(ecosystems_warning("db", &header(2, &["Debian:12", "PyPI"]), &[drupal, debian]), None);
        assert_eq!(ecosystems_warning("db", &header(1, &["PyPI"]), &[]), None);
    }
}
