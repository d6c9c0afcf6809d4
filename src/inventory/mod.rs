//! Inventory: from files to exact packages.
//!
//! Every lockfile format is one module with one [`Extractor`]; [`EXTRACTORS`] lists
//! them all. The same extractors serve a directory walk ([`walk`]) and files found in
//! container image layers.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::{Location, OwnPackage, Package, Relationship, Skipped};

pub mod regular;
pub mod sbom;
pub mod text;
pub mod walk;

mod bun;
mod cargo;
mod composer;
mod conan;
mod gemfile;
mod gomod;
mod gradle;
mod js;
mod json_lines;
mod mix;
mod npm;
mod nuget;
mod pdm;
mod pipfile;
mod pnpm;
mod poetry;
mod pom;
mod pubspec;
mod pylock;
mod python;
mod renv;
mod requirements;
mod uv;
mod yarn;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

/// Reads one file format and lists the packages it declares.
pub trait Extractor: Send + Sync {
    /// Stable id, e.g. `"npm/package-lock"`; shown in reports and errors.
    fn id(&self) -> &'static str;
    /// Decides from the path alone whether this extractor reads the file. Called for
    /// every file of a tree or an image layer, so it must be cheap.
    fn wants(&self, path: &Path) -> bool;
    /// Parses one file. `input.path` is where it was found, for locations and errors.
    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError>;
}

/// Every extractor customs has, in a fixed order.
pub static EXTRACTORS: &[&dyn Extractor] = &[
    &cargo::CargoLock,
    &npm::PackageLock,
    &yarn::YarnLock,
    &pnpm::PnpmLock,
    &bun::BunLock,
    &requirements::Requirements,
    &poetry::PoetryLock,
    &pipfile::PipfileLock,
    &uv::UvLock,
    &pdm::PdmLock,
    &pylock::PyLock,
    &gomod::GoMod,
    &gemfile::GemfileLock,
    &composer::ComposerLock,
    &pom::PomXml,
    &gradle::GradleLockfile,
    &nuget::PackagesLockJson,
    &pubspec::PubspecLock,
    &mix::MixLock,
    &conan::ConanLock,
    &renv::RenvLock,
];

/// What a person needs to know about one format when customs has nothing from it:
/// the file names its extractor reads and how such a file is made again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatHelp {
    /// The extractor's id ([`Extractor::id`]).
    pub extractor: &'static str,
    /// The file names it reads, as a person would look for them (`*` for any text).
    pub names: &'static [&'static str],
    /// What to do about an empty one: how to write the file again.
    pub remedy: &'static str,
}

/// One entry per extractor of [`EXTRACTORS`], in the same order (a test holds them in
/// step with `wants`).
pub static FORMAT_HELP: &[FormatHelp] = &[
    help("rust/cargo-lock", &["Cargo.lock"], "regenerate it with cargo generate-lockfile"),
    help(
        "javascript/package-lock",
        &["package-lock.json", "npm-shrinkwrap.json"],
        "regenerate it with npm install --package-lock-only",
    ),
    help("javascript/yarn-lock", &["yarn.lock"], "regenerate it with yarn install"),
    help("javascript/pnpm-lock", &["pnpm-lock.yaml"], "regenerate it with pnpm install --lockfile-only"),
    help("javascript/bun-lock", &["bun.lock"], "regenerate it with bun install --lockfile-only"),
    help("python/requirements", &["requirements*.txt"], "regenerate it with pip freeze or pip-compile, or delete it"),
    help("python/poetry-lock", &["poetry.lock"], "regenerate it with poetry lock"),
    help("python/pipfile-lock", &["Pipfile.lock"], "regenerate it with pipenv lock"),
    help("python/uv-lock", &["uv.lock"], "regenerate it with uv lock"),
    help("python/pdm-lock", &["pdm.lock"], "regenerate it with pdm lock"),
    help(
        "python/pylock",
        &["pylock.toml", "pylock.*.toml"],
        "regenerate it with pip lock or uv export --format pylock.toml",
    ),
    help("go/gomod", &["go.mod"], "regenerate it with go mod init and go mod tidy"),
    help("ruby/gemfile-lock", &["Gemfile.lock", "gems.locked"], "regenerate it with bundle lock"),
    help("php/composer-lock", &["composer.lock"], "regenerate it with composer update --lock"),
    help("java/pom-xml", &["pom.xml"], "restore it from version control"),
    help(
        "java/gradle-lockfile",
        &["gradle.lockfile", "buildscript-gradle.lockfile"],
        "regenerate it with gradle dependencies --write-locks",
    ),
    help("dotnet/packages-lock", &["packages.lock.json"], "regenerate it with dotnet restore --use-lock-file"),
    help("dart/pubspec-lock", &["pubspec.lock"], "regenerate it with dart pub get (or flutter pub get)"),
    help("elixir/mix-lock", &["mix.lock"], "regenerate it with mix deps.get"),
    help("cpp/conan-lock", &["conan.lock"], "regenerate it with conan lock create"),
    help("r/renv-lock", &["renv.lock"], "regenerate it with renv::snapshot() in R"),
];

const fn help(extractor: &'static str, names: &'static [&'static str], remedy: &'static str) -> FormatHelp {
    FormatHelp { extractor, names, remedy }
}

/// Every file name a directory walk reads, for messages saying what customs looked for.
pub fn lockfile_names() -> impl Iterator<Item = &'static str> {
    FORMAT_HELP.iter().flat_map(|help| help.names.iter().copied())
}

/// The help for the extractor with this id.
pub fn format_help(extractor: &str) -> Option<&'static FormatHelp> {
    FORMAT_HELP.iter().find(|help| help.extractor == extractor)
}

/// The extractors that want this path.
pub fn extractors_for(path: &Path) -> impl Iterator<Item = &'static dyn Extractor> + '_ {
    EXTRACTORS.iter().copied().filter(move |e| e.wants(path))
}

/// Finds an extractor by its id.
pub fn extractor_by_id(id: &str) -> Option<&'static dyn Extractor> {
    EXTRACTORS.iter().copied().find(|e| e.id() == id)
}

/// A package's relationship to the project from whether the project asks for it itself,
/// when that is known. Without the project's own dependencies nothing is transitive: a
/// package not seen as direct could still be one the project asks for.
fn relationship(is_direct: Option<bool>) -> Relationship {
    match is_direct {
        None => Relationship::Unknown,
        Some(true) => Relationship::Direct,
        Some(false) => Relationship::Transitive,
    }
}

/// Read access to the other files of the scanned tree, for formats that include files
/// (`requirements.txt -r other.txt`). Paths are relative to the scan root;
/// implementations refuse anything that would leave it.
pub trait FileSource: Sync {
    /// The file at `path` (relative to the scan root), or why it cannot be read.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
}

/// A [`FileSource`] with no files, for extracting a lone buffer.
pub struct NoFiles;

impl FileSource for NoFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        Err(io::Error::new(io::ErrorKind::NotFound, format!("{} is not available here", path.display())))
    }
}

/// One file handed to an extractor.
pub struct Input<'a> {
    /// Path relative to the scan root (what reports show).
    pub path: &'a Path,
    /// The file's bytes.
    pub content: &'a [u8],
    /// The other files of the tree, for formats that include them.
    pub files: &'a dyn FileSource,
}

impl<'a> Input<'a> {
    /// A file with no other files to include from (a file named on its own, tests).
    pub fn new(path: &'a Path, content: &'a [u8]) -> Self {
        Input { path, content, files: &NoFiles }
    }

    /// The content as UTF-8 text (a leading BOM removed), or an error naming the first
    /// invalid byte's line.
    pub fn text(&self) -> Result<&'a str, ExtractError> {
        text::utf8(self.path, self.content)
    }

    /// An error about this file.
    pub fn error(&self, line: Option<u32>, message: impl Into<String>) -> ExtractError {
        ExtractError::new(self.path, line, message)
    }
}

/// What one file yielded.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Extracted {
    /// The exact registry packages the file locks.
    pub packages: Vec<Package>,
    /// Declarations that were seen but are not exact packages (unpinned, URLs…).
    pub skipped: Vec<Skipped>,
    /// The project's own packages (workspace members, local folders, links): listed in
    /// SBOMs, kept apart from `packages` so that advisory matching never sees them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub own: Vec<OwnPackage>,
}

impl Extracted {
    /// Takes out the packages whose version is malformed ([`crate::model::malformed_version`])
    /// and returns an error for each, naming its file and line, like any malformed entry:
    /// the rest of the file is still scanned, and the scan exits 2. Every format passes
    /// through here (the tree walk, SBOMs), so no extractor checks on its own.
    pub fn take_malformed(&mut self) -> Vec<ExtractError> {
        let mut errors = Vec::new();
        self.packages.retain(|p| match crate::model::malformed_version(&p.version) {
            None => true,
            Some(why) => {
                errors.push(ExtractError {
                    path: p.location.path.clone(),
                    line: p.location.line,
                    message: format!(
                        "{} version \"{}\" {why}: malformed, so it cannot be compared with any advisory; \
                         correct the version in the file",
                        crate::visible::visible(&p.name),
                        crate::visible::visible(&p.version),
                    ),
                });
                false
            }
        });
        errors
    }

    /// Records a declaration that is not an exact package, and why.
    fn skip(&mut self, location: Location, declaration: impl Into<String>, reason: impl Into<String>) {
        self.skipped.push(Skipped { location, declaration: declaration.into(), reason: reason.into() });
    }
}

/// A file that could not be read as its format. Carries the file and, where known,
/// the 1-based line, so the user can go straight to the problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}{}: {message}", .path, .line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ExtractError {
    /// The file, as reports show it.
    pub path: String,
    /// The 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What is wrong, and what to do about it.
    pub message: String,
}

impl ExtractError {
    /// An error about `path` (at `line`, when known).
    pub fn new(path: &Path, line: Option<u32>, message: impl Into<String>) -> Self {
        ExtractError { path: crate::model::display_path(path), line, message: message.into() }
    }
}
