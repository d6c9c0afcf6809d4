//! The lockfile extractors, run on lockfiles found inside an image (an application's
//! `package-lock.json`, `Gemfile.lock`, `go.mod`…), with the same results as a
//! directory scan, located at their path in the image.

use std::path::Path;

use super::fs::{Collected, Collector, Context, ImageFs};
use crate::inventory::walk::ScannedFile;
use crate::inventory::{extractors_for, FileSource, Input};
use crate::model::Package;

/// Runs the lockfile extractors on lockfiles found in the image.
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
        self.collect_all(fs, context).map(|collected| collected.packages)
    }

    /// Every lockfile on its own, as a directory scan reads them: its packages, the
    /// declarations passed over (an include that cannot be read, a range instead of a
    /// version), and, for a file that cannot be read, an error with its path in the
    /// image and line. One malformed lockfile never hides another's packages.
    fn collect_all(&self, fs: &ImageFs, _context: &Context) -> Result<Collected, String> {
        let files = ImageFiles(fs);
        let mut out = Collected::default();
        for (path, layer, content) in fs.files().filter(|(p, _, _)| self.wants(p)) {
            let shown = format!("/{path}");
            for extractor in extractors_for(Path::new(path)) {
                let input = Input { path: Path::new(&shown), content, files: &files };
                match extractor.extract(&input) {
                    Ok(extracted) => {
                        out.files.push(ScannedFile {
                            path: shown.clone(),
                            extractor: extractor.id().into(),
                            packages: extracted.packages.len(),
                        });
                        out.packages.extend(extracted.packages.into_iter().map(|mut p| {
                            p.location.layer = Some(layer.to_string());
                            p
                        }));
                        out.skipped.extend(extracted.skipped);
                        out.own.extend(extracted.own.into_iter().map(|mut o| {
                            o.package.location.layer = Some(layer.to_string());
                            o
                        }));
                    }
                    Err(e) => out.errors.push(e),
                }
            }
        }
        Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::fs::tests::layer;

    const CARGO_LOCK: &str = "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"0.6.9\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

    #[test]
    fn a_malformed_lockfile_hides_no_other_lockfile() {
        let fs = ImageFs::merge(&[layer(
            "sha256:aa",
            &[
                ("srv/api/Cargo.lock", CARGO_LOCK),
                ("srv/web/package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": [oops\n}"),
                ("srv/tools/requirements.txt", "urllib3==1.26.4\nrequests>=2\n"),
            ],
        )]);
        let out = Lockfiles.collect_all(&fs, &Context::default()).unwrap();
        let packages: Vec<_> = out.packages.iter().map(|p| (p.name.as_str(), p.location.path.as_str())).collect();
        assert_eq!(packages, [("smallvec", "/srv/api/Cargo.lock"), ("urllib3", "/srv/tools/requirements.txt")]);
        assert!(out.packages.iter().all(|p| p.location.layer.as_deref() == Some("sha256:aa")));
        assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
        assert_eq!((out.errors[0].path.as_str(), out.errors[0].line), ("/srv/web/package-lock.json", Some(3)));
        assert_eq!(out.skipped.len(), 1, "the range is listed as passed over");
        assert_eq!(out.skipped[0].location.path, "/srv/tools/requirements.txt");
        let files: Vec<_> = out.files.iter().map(|f| (f.path.as_str(), f.packages)).collect();
        assert_eq!(files, [("/srv/api/Cargo.lock", 1), ("/srv/tools/requirements.txt", 1)]);
    }
}
