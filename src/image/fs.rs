//! The image's file system as analysers see it: the files they asked for, from all
//! layers stacked with the OCI whiteout rules, with symlinks resolved inside the image.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Package;

/// Normalises a path inside an image: no leading `/` or `./`, no `.` segments, no
/// empty segments. `..` is refused (a layer that uses it is hostile).
pub fn normalize(path: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(format!("{path:?} climbs out of the image root")),
            s => parts.push(s),
        }
    }
    Ok(parts.join("/"))
}

/// What one layer contributed, as far as the analysers care. Serializable so it can
/// be cached by layer digest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFiles {
    /// The layer's blob digest.
    pub digest: String,
    /// Files a collector wants: path → content.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Results of inline analysers (binaries, jars) by the file's path.
    pub found: BTreeMap<String, Vec<Package>>,
    /// Paths removed by `.wh.<name>` entries (the removed path, not the marker).
    pub whiteouts: Vec<String>,
    /// Directories whose lower-layer contents are hidden (`.wh..wh..opq`).
    pub opaque_dirs: Vec<String>,
    /// Symlinks: path → target as written.
    pub symlinks: BTreeMap<String, String>,
    /// Files over an analyser's size cap, noted so reports can say what was not read.
    pub oversized: Vec<String>,
    /// Inline analyser failures (`layer …: /path: analyser: error`): they never fail
    /// the layer, and are cached with it so a second scan reports them too.
    #[serde(default)]
    pub analyzer_errors: Vec<String>,
}

/// The merged view: the newest version of each kept file and which layer it came from.
#[derive(Debug, Default)]
pub struct ImageFs {
    files: BTreeMap<String, (String, Vec<u8>)>,
    found: BTreeMap<String, (String, Vec<Package>)>,
    symlinks: BTreeMap<String, String>,
    pub oversized: Vec<String>,
    pub analyzer_errors: Vec<String>,
}

/// How many symlinks a lookup follows before giving up (loops).
const MAX_SYMLINK_HOPS: usize = 40;

impl ImageFs {
    /// Stacks layers bottom-up: a whiteout removes a path and everything under it from
    /// lower layers; an opaque directory hides everything lower layers put under it
    /// (not what its own layer adds); a later file replaces an earlier one.
    pub fn merge(layers: &[LayerFiles]) -> ImageFs {
        let mut fs = ImageFs::default();
        for layer in layers {
            for dir in &layer.opaque_dirs {
                fs.remove_under(dir, false);
            }
            for path in &layer.whiteouts {
                fs.remove_under(path, true);
            }
            for (path, target) in &layer.symlinks {
                fs.files.remove(path);
                fs.found.remove(path);
                fs.symlinks.insert(path.clone(), target.clone());
            }
            for (path, content) in &layer.files {
                fs.symlinks.remove(path);
                fs.files.insert(path.clone(), (layer.digest.clone(), content.clone()));
            }
            for (path, packages) in &layer.found {
                fs.symlinks.remove(path);
                fs.found.insert(path.clone(), (layer.digest.clone(), packages.clone()));
            }
            fs.oversized.extend(layer.oversized.iter().cloned());
            fs.analyzer_errors.extend(layer.analyzer_errors.iter().cloned());
        }
        fs
    }

    fn remove_under(&mut self, path: &str, including_self: bool) {
        let prefix = if path.is_empty() { String::new() } else { format!("{path}/") };
        let doomed = |p: &String| p.starts_with(&prefix) || (including_self && p == path);
        self.files.retain(|p, _| !doomed(p));
        self.found.retain(|p, _| !doomed(p));
        self.symlinks.retain(|p, _| !doomed(p));
    }

    /// Resolves symlinks in every component of `path`, never leaving the image root
    /// (an absolute target restarts at the image root; `..` stops at it).
    pub fn resolve(&self, path: &str) -> Option<String> {
        let mut pending: Vec<String> =
            path.split('/').filter(|s| !s.is_empty() && *s != ".").map(str::to_string).collect();
        pending.reverse();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(segment) = pending.pop() {
            if segment == ".." {
                resolved.pop();
                continue;
            }
            resolved.push(segment);
            let current = resolved.join("/");
            if let Some(target) = self.symlinks.get(&current) {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return None;
                }
                resolved.pop();
                if target.starts_with('/') {
                    resolved.clear();
                }
                pending.extend(target.split('/').filter(|s| !s.is_empty() && *s != ".").map(str::to_string).rev());
            }
        }
        Some(resolved.join("/"))
    }

    /// A kept file's content and layer, following symlinks.
    pub fn read(&self, path: &str) -> Option<(&str, &[u8])> {
        let real = self.resolve(path)?;
        self.files.get(&real).map(|(layer, bytes)| (layer.as_str(), bytes.as_slice()))
    }

    /// Every kept file (not symlinks), in path order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &str, &[u8])> {
        self.files.iter().map(|(p, (layer, bytes))| (p.as_str(), layer.as_str(), bytes.as_slice()))
    }

    /// Every inline analyser result still present in the final image.
    pub fn found(&self) -> impl Iterator<Item = (&str, &str, &[Package])> {
        self.found.iter().map(|(p, (layer, packages))| (p.as_str(), layer.as_str(), packages.as_slice()))
    }
}

/// What a collector is told about the image besides its files.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The detected distribution, when there is one.
    pub os: Option<super::os::OsRelease>,
}

/// Reads kept files of the merged image into packages (dpkg status, apk installed,
/// rpmdb, Python metadata, package.json, lockfiles).
pub trait Collector: Send + Sync {
    fn id(&self) -> &'static str;
    /// Whether a file at this (normalised) path must be kept while layers stream by.
    fn wants(&self, path: &str) -> bool;
    /// Reads the packages from the merged view. Locations are paths inside the image
    /// (with the layer of the file that declared them).
    fn collect(&self, fs: &ImageFs, context: &Context) -> Result<Vec<Package>, String>;

    /// The packages and the declarations passed over (with their reasons); collectors
    /// that skip entries override this so reports can list them.
    fn collect_all(&self, fs: &ImageFs, context: &Context) -> Result<crate::inventory::Extracted, String> {
        self.collect(fs, context).map(|packages| crate::inventory::Extracted { packages, skipped: Vec::new() })
    }
}

/// Analyses a file while its layer streams by (binaries, jars), keeping only results.
pub trait InlineAnalyzer: Send + Sync {
    fn id(&self) -> &'static str;
    /// Decides from path, mode and size alone; the size cap is the analyser's own.
    fn wants(&self, path: &str, mode: u32, size: u64) -> bool;
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Package>, String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(digest: &str, files: &[(&str, &str)]) -> LayerFiles {
        LayerFiles {
            digest: digest.into(),
            files: files.iter().map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())).collect(),
            ..LayerFiles::default()
        }
    }

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize("/./etc//os-release").unwrap(), "etc/os-release");
        assert_eq!(normalize("/").unwrap(), "");
        assert!(normalize("a/../../etc/passwd").is_err());
    }

    #[test]
    fn whiteouts_and_opaque_dirs_follow_the_oci_rules() {
        let base = layer("l1", &[("a/x", "1"), ("a/sub/y", "1"), ("b/z", "1"), ("keep", "1")]);
        let mut second = layer("l2", &[("a/new", "2")]);
        second.opaque_dirs.push("a".into());
        second.whiteouts.push("b".into());
        let fs = ImageFs::merge(&[base, second]);
        let paths: Vec<&str> = fs.files().map(|(p, _, _)| p).collect();
        assert_eq!(paths, ["a/new", "keep"]);
        assert_eq!(fs.read("a/new").unwrap().0, "l2");
    }

    #[test]
    fn a_later_layer_replaces_a_file_and_a_symlink() {
        let base = layer("l1", &[("etc/os-release", "old")]);
        let top = layer("l2", &[("etc/os-release", "new")]);
        assert_eq!(ImageFs::merge(&[base, top]).read("etc/os-release").unwrap(), ("l2", &b"new"[..]));
    }

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let mut l = layer("l1", &[("usr/lib/os-release", "ID=debian")]);
        l.symlinks.insert("etc/os-release".into(), "../usr/lib/os-release".into());
        l.symlinks.insert("escape".into(), "../../../../usr/lib/os-release".into());
        l.symlinks.insert("abs".into(), "/usr/lib/os-release".into());
        l.symlinks.insert("loop1".into(), "loop2".into());
        l.symlinks.insert("loop2".into(), "loop1".into());
        let fs = ImageFs::merge(&[l]);
        assert_eq!(fs.read("etc/os-release").unwrap().1, b"ID=debian");
        assert_eq!(fs.read("escape").unwrap().1, b"ID=debian", "`..` stops at the image root");
        assert_eq!(fs.read("abs").unwrap().1, b"ID=debian");
        assert!(fs.read("loop1").is_none());
    }
}
