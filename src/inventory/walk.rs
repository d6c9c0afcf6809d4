//! Finding the files to read: a parallel directory walk (or a single file), then the
//! extractors over every file in parallel.
//!
//! The walk never follows a symlink out of the scan root, skips VCS and dependency
//! install folders by default, and turns every unreadable or malformed file into an
//! [`ExtractError`] while the rest of the tree is still scanned.
//!
//! Nothing passes silently ([`read_path`]): a folder without a single lockfile, a named
//! file customs cannot read and an SBOM without components are errors
//! ([`NothingToScan`]); an empty lockfile is an [`ExtractError`] like a malformed one.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use ignore::{WalkBuilder, WalkState};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::sbom::{self, SbomKind};
use super::text::MAX_FILE_SIZE;
use super::{
    extractors_for, format_help, lockfile_names, regular, ExtractError, Extracted, Extractor, FileSource, Input,
};
use crate::model::{display_path, ImageSubject, OwnPackage, Package, Skipped};

#[cfg(test)]
mod tests;

/// Folders never descended into unless the user scans them directly: version control
/// metadata and the install folders of package managers, whose contents are the
/// packages a lockfile beside them already lists.
pub const DEFAULT_SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "bower_components",
    "jspm_packages",
    ".venv",
    "__pypackages__",
    "site-packages",
    ".tox",
    ".nox",
    "vendor",
    ".bundle",
];

/// How a directory is walked: folders skipped, empty results accepted.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// More folders to skip: a bare name skips every folder of that name; a name with
    /// a `/` skips that path relative to the root.
    pub skip_dirs: Vec<String>,
    /// Do not skip [`DEFAULT_SKIP_DIRS`].
    pub no_default_skips: bool,
    /// Accept a folder without a lockfile, or an SBOM without components, as an empty
    /// inventory (with a note) instead of refusing it ([`NothingToScan`]): for CI
    /// templates run on every repository, some of which have nothing to scan.
    pub allow_empty: bool,
}

/// One file an extractor read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedFile {
    /// The file, relative to the scan root.
    pub path: String,
    /// The extractor's or image collector's id; owned only when read back from JSON.
    pub extractor: Cow<'static, str>,
    /// How many packages it yielded.
    pub packages: usize,
}

/// Everything a scan of one root found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// The root as the user named it.
    pub root: String,
    /// When the target was a container image: which one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSubject>,
    /// Every exact registry package found.
    pub packages: Vec<Package>,
    /// The project's own packages: in SBOMs, never matched (see [`OwnPackage`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub own: Vec<OwnPackage>,
    /// Declarations that are not exact registry packages, with the reason.
    pub skipped: Vec<Skipped>,
    /// Each file read, with its extractor.
    pub files: Vec<ScannedFile>,
    /// Files that could not be read; a scan with any exits 2.
    pub errors: Vec<ExtractError>,
    /// Things passed over on purpose that the user may want to know (symlinks that
    /// leave the root, unreadable folders).
    pub warnings: Vec<String>,
    /// How the target was read, when the user did not say (a file read as an SBOM, an
    /// empty folder accepted); printed for the person running customs, never part of a
    /// report.
    #[serde(skip)]
    pub notes: Vec<String>,
}

impl Inventory {
    /// Adds one file's results, keeping the scan's order stable.
    fn absorb(&mut self, path: &Path, extractor: &'static str, result: Result<Extracted, ExtractError>) {
        match result {
            Ok(mut extracted) => {
                self.errors.extend(extracted.take_malformed());
                self.files.push(ScannedFile {
                    path: display_path(path),
                    extractor: Cow::Borrowed(extractor),
                    packages: extracted.packages.len(),
                });
                self.packages.extend(extracted.packages);
                self.own.extend(extracted.own);
                self.skipped.extend(extracted.skipped);
            }
            Err(e) => self.errors.push(e),
        }
    }

    fn sort(&mut self) {
        self.packages.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        // A file included by two others (requirements-dev.txt and requirements.txt both
        // `-r common.txt`) yields its packages twice: one declaration is one package.
        self.packages.dedup_by(|later, kept| {
            let same = later.sort_key() == kept.sort_key();
            if same {
                kept.dev &= later.dev;
                kept.optional &= later.optional;
                kept.relationship = kept.relationship.min(later.relationship);
            }
            same
        });
        self.own.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.own.dedup();
        self.skipped.dedup();
        self.skipped.sort_by(|a, b| a.location.cmp(&b.location));
        self.files.sort_by(|a, b| (&a.path, &a.extractor).cmp(&(&b.path, &b.extractor)));
        self.errors.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        self.warnings.sort();
    }
}

/// Scans a directory tree or a single file.
///
/// Locations are relative to `root` for a directory, and the path as given for a file.
/// Fails only when `root` itself cannot be read; every other problem is collected.
pub fn scan(root: &Path, options: &WalkOptions) -> io::Result<Inventory> {
    let meta = fs::metadata(root)?;
    let mut inventory = Inventory { root: display_path(root), ..Inventory::default() };
    let (candidates, files) = if meta.is_dir() {
        let boundary = fs::canonicalize(root)?;
        let candidates = find_candidates(root, &boundary, options, &mut inventory.warnings);
        (candidates, RootFiles { base: root.to_path_buf(), boundary, refused: Mutex::default() })
    } else {
        let parent = root.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let boundary = fs::canonicalize(parent)?;
        // A lone file keeps the path the user typed; reads stay within its folder.
        (vec![root.to_path_buf()], RootFiles { base: PathBuf::new(), boundary, refused: Mutex::default() })
    };

    let files = &files;
    let results: Vec<_> = candidates
        .par_iter()
        .flat_map_iter(|rel| {
            let content = files.read_file(rel);
            extractors_for(rel).map(move |extractor| {
                let result = match &content {
                    Ok(bytes) if is_blank(bytes) => Err(empty_file(rel, bytes, extractor)),
                    Ok(bytes) => extractor.extract(&Input { path: rel, content: bytes, files }),
                    Err(e) => Err(ExtractError::new(rel, None, format!("cannot read file: {e}"))),
                };
                (rel, extractor.id(), result)
            })
        })
        .collect();
    for (rel, id, result) in results {
        inventory.absorb(rel, id, result);
    }
    inventory.warnings.extend(files.refused.lock().unwrap().drain(..));
    if !meta.is_dir() && inventory.files.is_empty() && inventory.errors.is_empty() {
        inventory.warnings.push(format!("{}: not a file format customs reads", display_path(root)));
    }
    inventory.sort();
    Ok(inventory)
}

/// Whether a file holds nothing but whitespace (after a UTF-8 byte order mark).
fn is_blank(content: &[u8]) -> bool {
    content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content).iter().all(u8::is_ascii_whitespace)
}

/// The error for a lockfile with nothing in it: every format lists packages, so an empty
/// one is a broken or unfinished file, never a project without dependencies.
fn empty_file(path: &Path, content: &[u8], extractor: &dyn Extractor) -> ExtractError {
    let empty = if content.is_empty() { "empty file" } else { "empty file (only whitespace)" };
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let remedy = format_help(extractor.id()).map_or("regenerate it", |help| help.remedy);
    ExtractError::new(
        path,
        None,
        format!("{empty}: a {name} lists the packages to check, and this one lists none; {remedy}"),
    )
}

/// Why a target gave customs nothing to check. Each would otherwise be a scan that
/// passes with "0 vulnerabilities in 0 packages" while nothing was looked at.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NothingToScan {
    /// A folder in which the walk found no file any extractor reads.
    #[error(
        "no lockfile found under {root} (looked for {}; install folders such as node_modules and vendor are \
         skipped unless --no-default-skips){}; pass --allow-empty to accept this",
        looked_for(),
        passed_over_tail(.passed_over)
    )]
    NoLockfile {
        /// The folder scanned.
        root: String,
        /// What the walk passed over (symlinks leaving the folder…): perhaps the lockfile.
        passed_over: Vec<String>,
    },
    /// A file named as a target that is neither a lockfile by its name nor an SBOM by
    /// its content.
    #[error("{path}: not a file format customs reads: {}", unknown_file_hint(*.form))]
    UnknownFile {
        /// The file named.
        path: String,
        /// What the file looks like when it is an SBOM in a form customs does not read.
        form: Option<&'static str>,
    },
    /// An SBOM that lists no component besides its own subject.
    #[error(
        "{path}: the {kind} SBOM lists no components, so nothing would be checked; pass --allow-empty to accept this"
    )]
    EmptySbom { path: String, kind: SbomKind },
}

fn unknown_file_hint(form: Option<&str>) -> String {
    match form {
        Some(form) => form.to_string(),
        None => {
            format!("name a lockfile ({}) or the folder holding one, or a CycloneDX or SPDX JSON SBOM", looked_for())
        }
    }
}

fn looked_for() -> String {
    lockfile_names().collect::<Vec<_>>().join(", ")
}

/// At most five of the walk's warnings, as the tail of [`NothingToScan::NoLockfile`].
fn passed_over_tail(warnings: &[String]) -> String {
    const SHOWN: usize = 5;
    if warnings.is_empty() {
        return String::new();
    }
    let more = warnings.len().saturating_sub(SHOWN);
    let shown = warnings.iter().take(SHOWN).map(|w| crate::visible::visible(w)).collect::<Vec<_>>().join("; ");
    let more = if more > 0 { format!("; and {more} more") } else { String::new() };
    format!("; passed over: {shown}{more}")
}

/// Reads one path named as a target, as `customs scan PATH` and `customs sbom PATH` do.
///
/// A folder is walked ([`scan`]); a file whose name an extractor knows is read by it;
/// any other file is read as an SBOM when its content is a CycloneDX or SPDX JSON
/// document (with a note saying so), and refused otherwise. A folder without a single
/// lockfile and an SBOM without components are refused unless `options.allow_empty`
/// (then noted). Only the folder is walked: SBOMs inside it are never guessed at.
pub fn read_path(path: &Path, options: &WalkOptions) -> anyhow::Result<Inventory> {
    let cannot_scan = || format!("cannot scan {}", path.display());
    let is_dir = fs::metadata(path).with_context(cannot_scan)?.is_dir();
    if !is_dir && extractors_for(path).next().is_none() {
        let content = read_capped(path).with_context(cannot_scan)?;
        let Some(kind) = sbom::sniff(&content) else {
            let form = sbom::unread_form(&content);
            return Err(NothingToScan::UnknownFile { path: shown(path), form }.into());
        };
        let mut inventory = sbom_inventory(path, &content, options.allow_empty)?;
        inventory.notes.insert(0, format!("reading {} as {} SBOM", display_path(path), kind.with_article()));
        return Ok(inventory);
    }
    let mut inventory = scan(path, options).with_context(cannot_scan)?;
    if is_dir && inventory.files.is_empty() && inventory.errors.is_empty() {
        if !options.allow_empty {
            let passed_over = std::mem::take(&mut inventory.warnings);
            return Err(NothingToScan::NoLockfile { root: shown(path), passed_over }.into());
        }
        inventory.notes.push(format!(
            "no lockfile found under {}; accepted (allow-empty): nothing there was checked",
            display_path(path)
        ));
    }
    Ok(inventory)
}

/// A path for an error message, which is printed as it is: hidden characters written out.
fn shown(path: &Path) -> String {
    crate::visible::visible(&display_path(path)).into_owned()
}

/// Reads a file given as an SBOM (`customs scan --sbom FILE`): a malformed SBOM is an
/// inventory error, one without components is refused unless `allow_empty`.
pub fn read_sbom_file(path: &Path, allow_empty: bool) -> anyhow::Result<Inventory> {
    let content = read_capped(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(sbom_inventory(path, &content, allow_empty)?)
}

fn sbom_inventory(path: &Path, content: &[u8], allow_empty: bool) -> Result<Inventory, NothingToScan> {
    let mut inventory = Inventory { root: display_path(path), ..Inventory::default() };
    let mut extracted = match sbom::read_sbom(&Input::new(path, content)) {
        Ok(extracted) => extracted,
        Err(e) => {
            inventory.errors.push(e);
            return Ok(inventory);
        }
    };
    inventory.errors = extracted.take_malformed();
    // read_sbom succeeded, so the document is one of the two kinds.
    let kind = sbom::sniff(content).unwrap_or(SbomKind::CycloneDx);
    let lists_nothing =
        extracted.packages.is_empty() && inventory.errors.is_empty() && extracted.skipped.iter().all(sbom::is_subject);
    if lists_nothing {
        if !allow_empty {
            return Err(NothingToScan::EmptySbom { path: shown(path), kind });
        }
        inventory.notes.push(format!(
            "{}: the SBOM lists no components; accepted (allow-empty): nothing was checked",
            display_path(path)
        ));
    }
    inventory.files.push(ScannedFile {
        path: display_path(path),
        extractor: Cow::Borrowed(kind.extractor_id()),
        packages: extracted.packages.len(),
    });
    inventory.packages = extracted.packages;
    inventory.own = extracted.own;
    inventory.skipped = extracted.skipped;
    Ok(inventory)
}

/// Walks the tree in parallel and returns the paths (relative to the root's parent
/// path as given) that some extractor wants.
fn find_candidates(root: &Path, boundary: &Path, options: &WalkOptions, warnings: &mut Vec<String>) -> Vec<PathBuf> {
    let skip_names: HashSet<String> = options
        .skip_dirs
        .iter()
        .filter(|s| !s.contains('/'))
        .cloned()
        .chain(
            (!options.no_default_skips).then(|| DEFAULT_SKIP_DIRS.iter().map(|s| s.to_string())).into_iter().flatten(),
        )
        .collect();
    let skip_paths: HashSet<PathBuf> =
        options.skip_dirs.iter().filter(|s| s.contains('/')).map(|s| root.join(s.trim_matches('/'))).collect();

    let found = Arc::new(Mutex::new(Vec::new()));
    let notes = Mutex::new(Vec::new());
    let root_owned = root.to_path_buf();
    let found_in_filter = Arc::clone(&found);
    let mut builder = WalkBuilder::new(root);
    builder.standard_filters(false).hidden(false).follow_links(false).threads(rayon::current_num_threads());
    builder.filter_entry(move |entry| {
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        if !is_dir || entry.depth() == 0 {
            return true;
        }
        let name = entry.file_name().to_string_lossy();
        let skip = skip_names.contains(name.as_ref()) || skip_paths.contains(entry.path());
        // npm's hidden lockfile describes what is installed; read it when the
        // project's own lockfile is absent, though node_modules itself is skipped.
        if skip && name == "node_modules" {
            push_hidden_npm_lockfile(entry.path(), &found_in_filter);
        }
        !skip
    });
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    notes.lock().unwrap().push(format!("cannot read: {e}"));
                    return WalkState::Continue;
                }
            };
            let path = entry.path();
            let Some(file_type) = entry.file_type() else { return WalkState::Continue };
            if file_type.is_dir() {
                return WalkState::Continue;
            }
            if extractors_for(path).next().is_none() {
                return WalkState::Continue;
            }
            if file_type.is_symlink() {
                let note = match fs::canonicalize(path) {
                    Ok(target) if target.starts_with(boundary) => match fs::metadata(&target) {
                        Ok(meta) if meta.is_file() => None,
                        Ok(meta) => Some(format!(
                            "symlink to {}, not a regular file; skipped",
                            regular::describe(meta.file_type())
                        )),
                        Err(_) => Some("symlink leads nowhere; not followed".to_string()),
                    },
                    _ => Some("symlink leads outside the scan root or nowhere; not followed".to_string()),
                };
                if let Some(note) = note {
                    notes.lock().unwrap().push(format!("{}: {note}", display_path(path)));
                    return WalkState::Continue;
                }
            } else if !file_type.is_file() {
                // A FIFO would block the read forever, a device never end: never opened.
                notes.lock().unwrap().push(format!(
                    "{}: {}, not a regular file; skipped",
                    display_path(path),
                    regular::describe(file_type)
                ));
                return WalkState::Continue;
            }
            found.lock().unwrap().push(path.to_path_buf());
            WalkState::Continue
        })
    });
    warnings.extend(notes.into_inner().unwrap());
    let mut found = std::mem::take(&mut *found.lock().unwrap());
    found.sort();
    found.dedup();
    // Report paths relative to the root.
    found.into_iter().map(|p| p.strip_prefix(&root_owned).map(Path::to_path_buf).unwrap_or(p)).collect()
}

fn push_hidden_npm_lockfile(node_modules: &Path, found: &Mutex<Vec<PathBuf>>) {
    let hidden = node_modules.join(".package-lock.json");
    let project = node_modules.parent().unwrap_or(Path::new("."));
    let has_own_lockfile = ["package-lock.json", "npm-shrinkwrap.json"].iter().any(|name| project.join(name).is_file());
    let is_regular = fs::symlink_metadata(&hidden).is_ok_and(|m| m.is_file());
    if is_regular && !has_own_lockfile {
        found.lock().unwrap().push(hidden);
    }
}

/// Files of the scanned tree, read by path relative to the root, never outside it.
pub struct RootFiles {
    /// What relative paths are joined to.
    base: PathBuf,
    /// Canonical folder no read may leave.
    boundary: PathBuf,
    /// Files an extractor asked for (`composer.json`, a `-r` include) that were not
    /// regular files and so never opened, as warnings.
    refused: Mutex<Vec<String>>,
}

impl RootFiles {
    /// File access confined to `root` (symlinks that leave it are refused).
    pub fn new(root: &Path) -> io::Result<Self> {
        Ok(RootFiles { base: root.to_path_buf(), boundary: fs::canonicalize(root)?, refused: Mutex::default() })
    }

    /// Reads a file of the tree; the caller reports a failure itself.
    fn read_file(&self, rel: &Path) -> io::Result<Vec<u8>> {
        if rel.components().any(|c| matches!(c, Component::Prefix(_))) {
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, "path outside the scan root"));
        }
        let full = self.base.join(rel);
        let real = fs::canonicalize(&full)?;
        if !real.starts_with(&self.boundary) {
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, "path leads outside the scan root"));
        }
        read_capped(&real)
    }
}

impl FileSource for RootFiles {
    /// A file an extractor looks up beside the one it reads; many ignore a failure (a
    /// missing `composer.json` is normal), so a file that is not regular is also noted.
    fn read(&self, rel: &Path) -> io::Result<Vec<u8>> {
        let result = self.read_file(rel);
        if let Err(e) = &result {
            if regular::is_not_regular(e) {
                self.refused.lock().unwrap().push(format!("{}: {e}; skipped", display_path(rel)));
            }
        }
        result
    }
}

/// Reads a regular file of at most [`MAX_FILE_SIZE`] bytes.
/// Anything else (a FIFO, a device) is refused before it is opened (see [`regular`]).
pub fn read_capped(path: &Path) -> io::Result<Vec<u8>> {
    let file = regular::open_regular(path)?;
    let meta = file.metadata()?;
    if meta.len() > MAX_FILE_SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("file is {} MiB, over the {} MiB limit", meta.len() >> 20, MAX_FILE_SIZE >> 20),
        ));
    }
    let mut content = Vec::with_capacity(meta.len() as usize);
    // The size can change between stat and read; never read past the cap.
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut content)?;
    if content.len() as u64 > MAX_FILE_SIZE {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "file grew past the size limit while read"));
    }
    Ok(content)
}
