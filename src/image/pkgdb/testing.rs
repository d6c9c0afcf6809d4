//! What the package-database tests share: rows to compare, and a fixture scanned with
//! the OS its own release files name.

use crate::image::fs::{Context, ImageFs};
use crate::image::os;
use crate::image::os::tests::image_from_fixture;
use crate::inventory::Extracted;
use crate::model::Package;

/// `path:line|ecosystem|name|version|purl`, one per package.
pub fn rows(packages: &[Package]) -> Vec<String> {
    packages
        .iter()
        .map(|p| {
            let line = p.location.line.map_or("-".to_string(), |l| l.to_string());
            format!("{}:{line}|{}|{}|{}|{}", p.location.path, p.ecosystem, p.name, p.version, p.purl)
        })
        .collect()
}

/// `path:line|declaration|reason`, one per skipped record.
pub fn skipped_rows(out: &Extracted) -> Vec<String> {
    out.skipped
        .iter()
        .map(|s| format!("{}:{}|{}|{}", s.location.path, s.location.line.unwrap_or(0), s.declaration, s.reason))
        .collect()
}

/// Scans `fixtures/image/<fixture>` with `scan` and the OS its own release files say.
pub fn scan_fixture(fixture: &str, scan: fn(&ImageFs, &Context) -> Result<Extracted, String>) -> Extracted {
    let fs = image_from_fixture(fixture);
    let context = Context { os: os::detect(&fs) };
    scan(&fs, &context).unwrap()
}
