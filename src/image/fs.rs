//! The image's file system as analysers see it: the files they asked for, from all
//! layers stacked with the OCI whiteout rules, with symlinks resolved inside the image.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Bound;

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
    /// Wanted files that were not read (over a size cap, or not regular files), noted
    /// so reports can say what was not analysed.
    pub oversized: Vec<String>,
    /// Inline analyser failures (`layer …: /path: analyser: error`): they never fail
    /// the layer, and are cached with it so a second scan reports them too.
    #[serde(default)]
    pub analyzer_errors: Vec<String>,
    /// Wanted paths this layer replaced with something it did not keep (a file too
    /// large to read, a FIFO, a device): whatever lower layers had there is gone from
    /// the image, and must not be reported in its place.
    #[serde(default)]
    pub replaced: Vec<String>,
    /// What the reader skipped and why, each naming the layer and the path.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl LayerFiles {
    /// Bytes of kept content: what the layer holds in memory.
    pub fn kept_bytes(&self) -> u64 {
        self.files.values().map(|c| c.len() as u64).sum()
    }
}

impl<'a> From<&'a LayerFiles> for Cow<'a, LayerFiles> {
    fn from(layer: &'a LayerFiles) -> Self {
        Cow::Borrowed(layer)
    }
}

impl From<LayerFiles> for Cow<'_, LayerFiles> {
    fn from(layer: LayerFiles) -> Self {
        Cow::Owned(layer)
    }
}

/// The merged view: the newest version of each kept file and which layer it came from.
#[derive(Debug, Default)]
pub struct ImageFs {
    files: BTreeMap<String, (String, Vec<u8>)>,
    found: BTreeMap<String, (String, Vec<Package>)>,
    symlinks: BTreeMap<String, String>,
    /// Kept files a later layer deleted (whiteout, opaque directory, replaced by a
    /// symlink or another file): path → the digest of the layer that deleted it.
    deleted: BTreeMap<String, String>,
    /// Files kept that were over the size limit, and so not read.
    pub oversized: Vec<String>,
    /// Errors of the inline analysers (binaries, archives) that did not stop the analysis.
    pub analyzer_errors: Vec<String>,
    /// What a report should say about the image's files (symlinks not followed and the like).
    pub warnings: Vec<String>,
}

/// How many symlinks a lookup follows before giving up (loops), as Linux does.
pub const MAX_SYMLINK_HOPS: usize = 40;
/// The longest path (and symlink target) looked up, in bytes: Linux's `PATH_MAX`. No
/// program in the image can open a longer one, and it bounds the work of one lookup.
pub const MAX_PATH_BYTES: usize = 4096;

impl ImageFs {
    /// Stacks layers bottom-up: a whiteout removes a path and everything under it from
    /// lower layers; an opaque directory hides everything lower layers put under it
    /// (not what its own layer adds); a file or symlink replaces whatever lower layers
    /// had at its path, a directory's contents included.
    ///
    /// Owned layers are moved in, never copied (kept files are the bulk of an image
    /// analysis' memory); borrowed ones (tests) are cloned.
    pub fn merge<'a, L: Into<Cow<'a, LayerFiles>>>(layers: impl IntoIterator<Item = L>) -> ImageFs {
        let mut fs = ImageFs::default();
        for layer in layers {
            let LayerFiles {
                digest,
                files,
                found,
                whiteouts,
                opaque_dirs,
                symlinks,
                oversized,
                analyzer_errors,
                replaced,
                warnings,
            } = layer.into().into_owned();
            // Every removal applies to lower layers only, so all come before this
            // layer's own entries go in. Each is a range of the ordered maps: the cost
            // is what is removed, never a scan of everything (80,000 whiteouts over
            // 80,000 symlinks must not take 80,000² steps).
            for dir in &opaque_dirs {
                fs.remove_under(dir, false, &digest);
            }
            let replacing = whiteouts.iter().chain(&replaced).chain(symlinks.keys()).chain(files.keys());
            for path in replacing.chain(found.keys()) {
                fs.remove_under(path, true, &digest);
            }
            for (path, target) in symlinks {
                fs.symlinks.insert(path, target);
            }
            for (path, content) in files {
                fs.deleted.remove(&path);
                fs.files.insert(path, (digest.clone(), content));
            }
            for (path, packages) in found {
                fs.found.insert(path, (digest.clone(), packages));
            }
            fs.oversized.extend(oversized);
            fs.analyzer_errors.extend(analyzer_errors);
            fs.warnings.extend(warnings);
        }
        fs
    }

    /// Removes `path` (when `including_self`) and everything under it; kept files
    /// removed are remembered as deleted by `layer`.
    fn remove_under(&mut self, path: &str, including_self: bool, layer: &str) {
        for removed in remove_range(&mut self.files, path, including_self) {
            self.deleted.insert(removed, layer.to_string());
        }
        remove_range(&mut self.found, path, including_self);
        remove_range(&mut self.symlinks, path, including_self);
    }

    /// The layer that deleted a kept file of a lower layer, when the final image has
    /// no file at `path`.
    pub fn deleted_by(&self, path: &str) -> Option<&str> {
        self.deleted.get(path).map(String::as_str).filter(|_| self.read(path).is_none())
    }

    /// Kept files under `dir` that a later layer deleted: (path, deleting layer).
    pub fn deleted_under<'s>(&'s self, dir: &str) -> impl Iterator<Item = (&'s str, &'s str)> + 's {
        let prefix = format!("{dir}/");
        self.deleted
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(move |(p, _)| p.starts_with(&prefix))
            .map(|(p, layer)| (p.as_str(), layer.as_str()))
    }

    /// Resolves symlinks in every component of `path`, never leaving the image root
    /// (an absolute target restarts at the image root; `..` stops at it). `None` when
    /// [`Self::resolve_checked`] refuses the path.
    pub fn resolve(&self, path: &str) -> Option<String> {
        self.resolve_checked(path).ok()
    }

    /// [`Self::resolve`], saying why a path cannot be resolved: a loop (more than
    /// [`MAX_SYMLINK_HOPS`] symlinks), or a path or target longer than
    /// [`MAX_PATH_BYTES`]. The path is built in place, one segment at a time, so a
    /// lookup costs its length, never its length squared.
    pub fn resolve_checked(&self, path: &str) -> Result<String, String> {
        fn too_long(what: &str, len: usize) -> String {
            format!("{what} is {len} bytes, longer than the {MAX_PATH_BYTES}-byte limit for paths inside an image")
        }
        fn segments(path: &str) -> impl DoubleEndedIterator<Item = &str> {
            path.split('/').filter(|s| !s.is_empty() && *s != ".")
        }
        if path.len() > MAX_PATH_BYTES {
            return Err(too_long("the path", path.len()));
        }
        let mut pending: Vec<&str> = segments(path).rev().collect();
        let mut resolved = String::new();
        // `resolved`'s length before each of its segments, to drop them in place.
        let mut starts: Vec<usize> = Vec::new();
        let mut hops = 0;
        while let Some(segment) = pending.pop() {
            if segment == ".." {
                if let Some(start) = starts.pop() {
                    resolved.truncate(start);
                }
                continue;
            }
            starts.push(resolved.len());
            if !resolved.is_empty() {
                resolved.push('/');
            }
            resolved.push_str(segment);
            if resolved.len() > MAX_PATH_BYTES {
                return Err(too_long(&format!("/{path} resolved through symlinks"), resolved.len()));
            }
            if let Some(target) = self.symlinks.get(resolved.as_str()) {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(format!("/{path}: more than {MAX_SYMLINK_HOPS} symlinks (a loop?)"));
                }
                if target.len() > MAX_PATH_BYTES {
                    return Err(too_long(&format!("the target of symlink /{resolved}"), target.len()));
                }
                if let Some(start) = starts.pop() {
                    resolved.truncate(start);
                }
                if target.starts_with('/') {
                    resolved.clear();
                    starts.clear();
                }
                pending.extend(segments(target).rev());
            }
        }
        Ok(resolved)
    }

    /// A kept file's content and layer, following symlinks.
    pub fn read(&self, path: &str) -> Option<(&str, &[u8])> {
        self.try_read(path).ok().flatten()
    }

    /// [`Self::read`], with the reason a path could not be resolved.
    pub fn try_read(&self, path: &str) -> Result<Option<(&str, &[u8])>, String> {
        let real = self.resolve_checked(path)?;
        Ok(self.files.get(&real).map(|(layer, bytes)| (layer.as_str(), bytes.as_slice())))
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

/// Removes `path` (when `including_self`) and every key under `path/` from `map`;
/// returns the removed keys. The empty path is the image root: everything under it.
fn remove_range<V>(map: &mut BTreeMap<String, V>, path: &str, including_self: bool) -> Vec<String> {
    let mut doomed: Vec<String> = if path.is_empty() {
        map.keys().cloned().collect()
    } else {
        let prefix = format!("{path}/");
        map.range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(&prefix))
            .map(|(p, _)| p.clone())
            .collect()
    };
    if including_self && !path.is_empty() && map.contains_key(path) {
        doomed.push(path.to_string());
    }
    for key in &doomed {
        map.remove(key);
    }
    doomed
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
    /// The collector's extractor id, as reports name it (docs/formats.md).
    fn id(&self) -> &'static str;
    /// Whether a file at this (normalised) path must be kept while layers stream by.
    fn wants(&self, path: &str) -> bool;
    /// Reads the packages from the merged view. Locations are paths inside the image
    /// (with the layer of the file that declared them).
    fn collect(&self, fs: &ImageFs, context: &Context) -> Result<Vec<Package>, String>;

    /// The packages, the declarations passed over (with their reasons) and the files
    /// that could not be read; collectors that skip entries or read several files
    /// override this so reports can list them. `Err` only when the collector as a
    /// whole failed (its database cannot be read): one bad file among several is an
    /// error in [`Collected::errors`], and the other files' packages stay.
    fn collect_all(&self, fs: &ImageFs, context: &Context) -> Result<Collected, String> {
        self.collect(fs, context).map(|packages| Collected { packages, ..Collected::default() })
    }
}

/// What a [`Collector`] found: the shape a directory scan gives (`walk::scan`), so a
/// malformed file inside an image hides nothing else and is reported with its path
/// and line.
#[derive(Debug, Default)]
pub struct Collected {
    /// Packages found.
    pub packages: Vec<Package>,
    /// Declarations passed over, with their reasons.
    pub skipped: Vec<crate::model::Skipped>,
    /// The project's own packages found in lockfiles of the image (never matched).
    pub own: Vec<crate::model::OwnPackage>,
    /// Each file read, with its extractor and package count (empty: the collector
    /// read one database, named by its first package's location).
    pub files: Vec<crate::inventory::walk::ScannedFile>,
    /// Files that could not be read, each with its path in the image and line.
    pub errors: Vec<crate::inventory::ExtractError>,
}

impl From<crate::inventory::Extracted> for Collected {
    fn from(extracted: crate::inventory::Extracted) -> Collected {
        Collected {
            packages: extracted.packages,
            skipped: extracted.skipped,
            own: extracted.own,
            ..Collected::default()
        }
    }
}

/// Analyses a file while its layer streams by (binaries, jars), keeping only results.
pub trait InlineAnalyzer: Send + Sync {
    /// The analyser's id (docs/formats.md).
    fn id(&self) -> &'static str;
    /// Decides from path, mode and size alone; the size cap is the analyser's own.
    fn wants(&self, path: &str, mode: u32, size: u64) -> bool;
    /// The packages a file holds (a binary's build info, an archive's manifests).
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Package>, String>;
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A layer keeping `files` (path, text), for tests here and of the collectors.
    pub(crate) fn layer(digest: &str, files: &[(&str, &str)]) -> LayerFiles {
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

    #[test]
    fn a_file_or_symlink_replaces_a_lower_directory_and_its_contents() {
        let base = layer("l1", &[("var/lib/dpkg/status", "x"), ("var/lib/other", "y")]);
        let mut top = layer("l2", &[]);
        top.symlinks.insert("var/lib/dpkg".into(), "/nowhere".into());
        let fs = ImageFs::merge([base, top]);
        assert_eq!(fs.read("var/lib/dpkg/status"), None);
        assert_eq!(fs.deleted_by("var/lib/dpkg/status"), Some("l2"));
        assert_eq!(fs.deleted_by("var/lib/other"), None);
        assert_eq!(fs.read("var/lib/other").unwrap().1, b"y");
    }

    #[test]
    fn a_replaced_path_hides_the_lower_copy() {
        let base = layer("l1", &[("var/lib/dpkg/status", "old")]);
        let mut top = layer("l2", &[]);
        top.replaced.push("var/lib/dpkg/status".into());
        assert_eq!(ImageFs::merge([base, top]).read("var/lib/dpkg/status"), None);
    }

    #[test]
    fn many_whiteouts_over_many_symlinks_merge_in_linear_time() {
        let mut lower = layer("l1", &[]);
        let mut upper = layer("l2", &[]);
        for i in 0..80_000 {
            lower.symlinks.insert(format!("d/s{i}"), "t".into());
            upper.whiteouts.push(format!("d/s{i}"));
        }
        let start = std::time::Instant::now();
        let fs = ImageFs::merge([lower, upper]);
        assert!(fs.symlinks.is_empty());
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "{:?}", start.elapsed());
    }

    #[test]
    fn long_paths_and_long_targets_are_refused_by_name() {
        let mut l = layer("l1", &[("a", "1")]);
        l.symlinks.insert("long".into(), "x/".repeat(3000));
        let fs = ImageFs::merge([l]);
        let path = "a/".repeat(400_000);
        let start = std::time::Instant::now();
        assert_eq!(
            fs.try_read(&path).unwrap_err(),
            "the path is 800000 bytes, longer than the 4096-byte limit for paths inside an image"
        );
        assert_eq!(
            fs.try_read("long").unwrap_err(),
            "the target of symlink /long is 6000 bytes, longer than the 4096-byte limit for paths inside an image"
        );
        let dots = "./".repeat(2000) + "a";
        assert_eq!(fs.read(&dots).unwrap().1, b"1");
        assert!(start.elapsed() < std::time::Duration::from_secs(1), "{:?}", start.elapsed());
    }
}
