//! The lockfile extractors, run on lockfiles found inside an image (an application's
//! `package-lock.json`, `Gemfile.lock`, `go.mod`…), with the same results as a
//! directory scan, located at their path in the image.

use std::path::Path;

use super::fs::{Collector, Context, ImageFs};
use crate::inventory::{extractors_for, Extracted, FileSource, Input};
use crate::model::Package;

pub struct Lockfiles;

/// Folders whose lockfiles belong to installed dependencies, not to the image's
/// applications (their packages are found by the installed-package collectors).
const DEPENDENCY_DIRS: &[&str] = &["node_modules/", "site-packages/", "dist-packages/", "vendor/"];

impl Collector for Lockfiles {
    fn id(&self) -> &'static str {
        "lockfiles"
    }

    fn wants(&self, path: &str) -> bool {
        !DEPENDENCY_DIRS.iter().any(|d| path.contains(d)) && extractors_for(Path::new(path)).next().is_some()
    }

    fn collect(&self, fs: &ImageFs, context: &Context) -> Result<Vec<Package>, String> {
        self.collect_all(fs, context).map(|extracted| extracted.packages)
    }

    /// The packages, and the declarations passed over (an include that cannot be
    /// read, a range instead of a version), so the report lists them as a directory
    /// scan would.
    fn collect_all(&self, fs: &ImageFs, _context: &Context) -> Result<Extracted, String> {
        let files = ImageFiles(fs);
        let mut packages = Vec::new();
        let mut skipped = Vec::new();
        let mut errors = Vec::new();
        for (path, layer, content) in fs.files().filter(|(p, _, _)| self.wants(p)) {
            let shown = format!("/{path}");
            for extractor in extractors_for(Path::new(path)) {
                let input = Input { path: Path::new(&shown), content, files: &files };
                match extractor.extract(&input) {
                    Ok(extracted) => {
                        packages.extend(extracted.packages.into_iter().map(|mut p| {
                            p.location.layer = Some(layer.to_string());
                            p
                        }));
                        skipped.extend(extracted.skipped);
                    }
                    Err(e) => errors.push(e.to_string()),
                }
            }
        }
        if errors.is_empty() {
            Ok(Extracted { packages, skipped })
        } else {
            Err(errors.join("; "))
        }
    }
}

/// Other files of the image, for formats that include files (`-r other.txt`).
struct ImageFiles<'a>(&'a ImageFs);

impl FileSource for ImageFiles<'_> {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let normalized = super::fs::normalize(&path.to_string_lossy())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::PermissionDenied, e))?;
        // A path too long, or with too many symlinks, is refused by name.
        self.0
            .try_read(&normalized)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?
            .map(|(_, bytes)| bytes.to_vec())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not kept from the image layers"))
    }
}
