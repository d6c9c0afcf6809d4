//! pip requirements files (`requirements.txt`, `requirements-dev.txt`, …), read the way
//! pip reads them, including the files they pull in with `-r` and `-c`.
//!
//! Only a requirement pinned to one exact version (`==1.2.3` or `===1.2.3`) is a
//! package. Anything else (ranges, `==1.2.*`, no version, URLs, local paths, `-e`,
//! `${VAR}`) is reported as skipped with the reason, so nothing is invented and nothing
//! is silently dropped. Decisions:
//!
//! - Lines are joined and comments stripped exactly as pip does: a trailing `\` joins the
//!   next line (the package keeps the line where it starts), `#` starts a comment at the
//!   start of a line or after whitespace (so `…#egg=x` in a URL is not a comment).
//! - `a>=1,==1.5`: the single exact pin decides the version, since the other specifiers
//!   can only make it uninstallable, not change it. Two different exact pins are skipped.
//! - Markers (`; python_version < "3.8"`) and extras do not drop the package: the file
//!   declares it, and on some interpreter it is installed.
//! - `-r`/`-c` paths are resolved against the including file's directory and read
//!   through [`FileSource`]. Pins in constraints files are reported too (as osv-scanner
//!   does): they are exact versions the project allows and usually installs. Includes
//!   that are URLs, absolute, leave the scan root, form a cycle, nest deeper than
//!   [`MAX_INCLUDE_DEPTH`], come after [`MAX_INCLUDED_FILES`] files were included or
//!   cannot be read are skipped with the reason: pip would fail,
//!   but a scanner should keep going and say so. A file reached twice (two files both
//!   including `base.txt`) is read once; its packages are already reported.
//! - Backslashes in include paths are read as separators, so files written on Windows
//!   resolve the same way on every platform.
//! - Direct or transitive comes from pip-compile / `uv pip compile` annotations:
//!   `# via -r requirements.in` or `# via app (pyproject.toml)` is direct,
//!   `# via django` transitive; without annotations it is unknown. Nothing is guessed
//!   from file names (`requirements-dev.txt` is not marked dev).
//! - A line pip would reject is skipped with that reason rather than failing the whole
//!   file; only text that is not text (invalid UTF-8, control bytes) is an error.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::{text, ExtractError, Extracted, Extractor, FileSource, Input};
use crate::model::{display_path, EcosystemKind, Location, Package, Relationship};

pub struct Requirements;

/// How deep `-r`/`-c` chains may go. Real projects use two or three levels; the limit
/// only stops pathological trees.
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// How many files one requirements file may pull in, all levels together. Distinct
/// paths can name one file (`a -> .` symlinked directories), so without it two
/// includes per level would read 2^31 files within the depth limit.
pub const MAX_INCLUDED_FILES: usize = 256;

const NOT_PINNED: &str = "not pinned to an exact version";
const CONFLICTING_PINS: &str = "pinned to several different exact versions";
const INVALID: &str = "not a valid requirement (pip would reject this line)";
const URL: &str = "URL or VCS reference, not a registry version";
const DIRECT_URL: &str = "direct URL reference (name @ url), not a registry version";
const LOCAL_PATH: &str = "local path, not a registry version";
const LOCAL_ARCHIVE: &str = "local archive file, not a registry version";
const EDITABLE: &str = "editable install (local path or VCS checkout), not a registry version";
const ENV_VAR: &str = "uses an environment variable customs does not expand, so the version is unknowable";

impl Extractor for Requirements {
    fn id(&self) -> &'static str {
        "python/requirements"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("requirements") && n.ends_with(".txt"))
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        let mut reader =
            Reader { files: input.files, out: Extracted::default(), open: Vec::new(), seen: HashSet::new() };
        let key = normalize(input.path).unwrap_or_else(|| input.path.to_path_buf());
        reader.seen.insert(key.clone());
        reader.open.push(key);
        reader.read_file(input.path, content, 0)?;
        Ok(reader.out)
    }
}

/// State of one extraction: the root file and every file it includes.
struct Reader<'a> {
    files: &'a dyn FileSource,
    out: Extracted,
    /// The chain of files being read right now, to recognise include cycles.
    open: Vec<PathBuf>,
    /// Every file read so far, so a file reached twice is read once.
    seen: HashSet<PathBuf>,
}

/// What an options line asks for.
enum LineOption {
    Include {
        constraint: bool,
        target: String,
    },
    Editable,
    /// `-r`, `-c` or `-e` as the last word, with nothing to act on.
    MissingValue,
}

impl Reader<'_> {
    fn read_file(&mut self, path: &Path, content: &str, depth: usize) -> Result<(), ExtractError> {
        reject_binary(path, content)?;
        let mut via = ViaAnnotations::default();
        for line in LogicalLines::new(content) {
            let (body, comment) = split_comment(&line.text);
            let body = body.trim();
            let location = Location::new(path, Some(line.number));
            if body.is_empty() {
                match comment {
                    Some(comment) => via.comment_line(comment, &mut self.out.packages),
                    None => via.follow(None),
                }
                continue;
            }
            let (requirement, options) = split_requirement_and_options(body);
            if requirement.is_empty() {
                via.follow(None);
                self.options_line(path, location, body, options, depth)?;
                continue;
            }
            match exact_pin(requirement) {
                Ok((name, version)) => {
                    via.follow(Some(self.out.packages.len()));
                    self.out.packages.push(Package::new(EcosystemKind::PyPI, name, version, location));
                }
                Err(reason) => {
                    via.follow(None);
                    self.out.skip(location, requirement, reason);
                }
            }
            if let Some(comment) = comment {
                via.inline_comment(comment, &mut self.out.packages);
            }
        }
        Ok(())
    }

    /// A line of options only (`-r base.txt`, `--index-url …`, `-e .`). Options pip
    /// uses for downloading are irrelevant to the inventory and ignored.
    fn options_line(
        &mut self,
        path: &Path,
        location: Location,
        line: &str,
        options: &str,
        depth: usize,
    ) -> Result<(), ExtractError> {
        for option in parse_options(options) {
            match option {
                LineOption::Include { constraint, target } => {
                    self.include(path, location.clone(), line, constraint, &target, depth)?
                }
                LineOption::Editable => self.out.skip(location.clone(), line, EDITABLE),
                LineOption::MissingValue => self.out.skip(location.clone(), line, "option without a value"),
            }
        }
        Ok(())
    }

    fn include(
        &mut self,
        including: &Path,
        location: Location,
        line: &str,
        constraint: bool,
        target: &str,
        depth: usize,
    ) -> Result<(), ExtractError> {
        let what = if constraint { "constraints file" } else { "included file" };
        let resolved = match resolve_include(including, target) {
            Ok(resolved) => resolved,
            Err(problem) => {
                self.out.skip(location, line, format!("{what} {problem}"));
                return Ok(());
            }
        };
        if self.open.contains(&resolved) {
            let reason = format!("include cycle: {} is already being read", display_path(&resolved));
            self.out.skip(location, line, reason);
            return Ok(());
        }
        if self.seen.contains(&resolved) {
            return Ok(());
        }
        if depth + 1 >= MAX_INCLUDE_DEPTH {
            self.out.skip(location, line, format!("includes nested deeper than {MAX_INCLUDE_DEPTH} files; not read"));
            return Ok(());
        }
        // `seen` holds the root file too.
        if self.seen.len() > MAX_INCLUDED_FILES {
            let reason = format!("more than {MAX_INCLUDED_FILES} files included in all; not read");
            self.out.skip(location, line, reason);
            return Ok(());
        }
        self.seen.insert(resolved.clone());
        let bytes = match read_limited(self.files, &resolved) {
            Ok(bytes) => bytes,
            Err(problem) => {
                self.out.skip(location, line, format!("{what} {problem}"));
                return Ok(());
            }
        };
        let content = text::utf8(&resolved, &bytes)?;
        self.open.push(resolved.clone());
        let result = self.read_file(&resolved, content, depth + 1);
        self.open.pop();
        result
    }
}

/// Control bytes mean this is not a text file, whatever its name: an error, not a
/// file of garbage "requirements".
fn reject_binary(path: &Path, content: &str) -> Result<(), ExtractError> {
    let binary = content.bytes().position(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f);
    match binary {
        Some(offset) => Err(ExtractError::new(
            path,
            Some(text::line_of(content.as_bytes(), offset)),
            "binary content (control bytes), not a requirements file",
        )),
        None => Ok(()),
    }
}

/// One line as pip sees it: physical lines joined by trailing backslashes, numbered by
/// the line where it starts.
struct LogicalLine<'a> {
    number: u32,
    text: Cow<'a, str>,
}

/// pip's `join_lines`: a line ending in `\` continues on the next one (the backslash is
/// dropped, nothing is inserted); a comment line ends a continuation and is never one.
struct LogicalLines<'a> {
    lines: std::iter::Enumerate<std::str::Lines<'a>>,
}

impl<'a> LogicalLines<'a> {
    fn new(text: &'a str) -> Self {
        LogicalLines { lines: text.lines().enumerate() }
    }
}

impl<'a> Iterator for LogicalLines<'a> {
    type Item = LogicalLine<'a>;

    fn next(&mut self) -> Option<LogicalLine<'a>> {
        let mut joined: Option<(u32, String)> = None;
        for (index, line) in self.lines.by_ref() {
            let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let is_comment = line.trim_start().starts_with('#');
            if line.ends_with('\\') && !is_comment {
                let piece = line.trim_matches('\\');
                match &mut joined {
                    Some((_, text)) => text.push_str(piece),
                    None => joined = Some((number, piece.to_string())),
                }
                continue;
            }
            return Some(match joined {
                Some((start, mut text)) => {
                    // pip puts a space before a comment line so it is still seen as one.
                    if is_comment {
                        text.push(' ');
                    }
                    text.push_str(line);
                    LogicalLine { number: start, text: Cow::Owned(text) }
                }
                None => LogicalLine { number, text: Cow::Borrowed(line) },
            });
        }
        joined.map(|(start, text)| LogicalLine { number: start, text: Cow::Owned(text) })
    }
}

/// Splits off a comment: `#` at the start of the line or after whitespace, as pip's
/// `(^|\s+)#.*$`. Returns the text before it and the comment after the `#`.
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let mut previous_is_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && previous_is_space {
            return (&line[..i], Some(&line[i + 1..]));
        }
        previous_is_space = c.is_whitespace();
    }
    (line, None)
}

/// pip's `break_args_options`: the words before the first one starting with `-` are the
/// requirement, the rest are options (`--hash=…` for a requirement, `-r x` on their own).
fn split_requirement_and_options(line: &str) -> (&str, &str) {
    let mut previous_is_space = true;
    for (i, c) in line.char_indices() {
        if c == '-' && previous_is_space {
            return (line[..i].trim_end(), &line[i..]);
        }
        previous_is_space = c.is_whitespace();
    }
    (line, "")
}

/// The options pip accepts on a line of their own that matter here; every other option
/// (`-i`, `--extra-index-url`, `-f`, `--pre`, `--trusted-host`, `--no-binary`…) only
/// changes where pip downloads from.
fn parse_options(options: &str) -> Vec<LineOption> {
    let words = shell_words(options);
    let mut found = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let Some((kind, attached)) = option_with_value(&word) else { continue };
        let value = match attached {
            Some(value) => Some(value),
            None => words.next(),
        };
        found.push(match (kind, value) {
            (_, None) => LineOption::MissingValue,
            (OptionKind::Editable, Some(_)) => LineOption::Editable,
            (OptionKind::Requirement, Some(target)) => LineOption::Include { constraint: false, target },
            (OptionKind::Constraint, Some(target)) => LineOption::Include { constraint: true, target },
        });
    }
    found
}

#[derive(Clone, Copy)]
enum OptionKind {
    Requirement,
    Constraint,
    Editable,
}

/// Recognises `-r x`, `-rx`, `--requirement x`, `--requirement=x` (and the same for
/// `-c` and `-e`); returns the value when it is attached to the option.
fn option_with_value(word: &str) -> Option<(OptionKind, Option<String>)> {
    const LONG: [(&str, OptionKind); 3] = [
        ("--requirement", OptionKind::Requirement),
        ("--constraint", OptionKind::Constraint),
        ("--editable", OptionKind::Editable),
    ];
    const SHORT: [(&str, OptionKind); 3] =
        [("-r", OptionKind::Requirement), ("-c", OptionKind::Constraint), ("-e", OptionKind::Editable)];
    for (long, kind) in LONG {
        if word == long {
            return Some((kind, None));
        }
        if let Some(value) = word.strip_prefix(long).and_then(|rest| rest.strip_prefix('=')) {
            return Some((kind, Some(value.to_string())));
        }
    }
    if word.starts_with("--") {
        return None;
    }
    for (short, kind) in SHORT {
        if let Some(rest) = word.strip_prefix(short) {
            return Some((kind, (!rest.is_empty()).then(|| rest.to_string())));
        }
    }
    None
}

/// Splits an options string into words the way pip's `shlex.split` does for the cases
/// that occur: whitespace-separated, with single or double quotes around paths.
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.get_or_insert_with(String::new).push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                current.get_or_insert_with(String::new);
            }
            None if c.is_whitespace() => words.extend(current.take()),
            None => current.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(current);
    words
}

/// The name and exact version of a requirement, or why it has none.
fn exact_pin(requirement: &str) -> Result<(&str, &str), &'static str> {
    if is_url(requirement) {
        return Err(URL);
    }
    let (name, rest) = split_name(requirement);
    let after_extras = skip_extras(rest.trim_start()).ok_or(INVALID)?;
    if !name.is_empty() && after_extras.starts_with('@') {
        return Err(DIRECT_URL);
    }
    let without_markers = requirement.split(';').next().unwrap_or_default().trim();
    if is_archive(without_markers) {
        return Err(LOCAL_ARCHIVE);
    }
    if looks_like_path(without_markers) {
        return Err(LOCAL_PATH);
    }
    if requirement.contains("${") {
        return Err(ENV_VAR);
    }
    if !is_valid_name(name) {
        return Err(INVALID);
    }
    let specifiers = after_extras.split(';').next().unwrap_or_default().trim();
    let specifiers = match specifiers.strip_prefix('(') {
        Some(inner) => inner.strip_suffix(')').ok_or(INVALID)?.trim(),
        None => specifiers,
    };
    exact_version(specifiers).map(|version| (name, version))
}

/// The leading run of characters a distribution name may contain, and the rest.
fn split_name(requirement: &str) -> (&str, &str) {
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(requirement.len());
    requirement.split_at(end)
}

/// PEP 508 names start and end with a letter or digit.
fn is_valid_name(name: &str) -> bool {
    let alnum_edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    alnum_edge(name.chars().next()) && alnum_edge(name.chars().last())
}

/// Skips `[extra, other]`; `None` when the bracket is never closed.
fn skip_extras(rest: &str) -> Option<&str> {
    match rest.strip_prefix('[') {
        Some(inside) => inside.find(']').map(|end| inside[end + 1..].trim_start()),
        None => Some(rest),
    }
}

/// The one version that `==`/`===` specifiers pin, if there is exactly one.
fn exact_version(specifiers: &str) -> Result<&str, &'static str> {
    if specifiers.is_empty() {
        return Err(NOT_PINNED);
    }
    let mut pinned: Option<&str> = None;
    for specifier in specifiers.split(',') {
        let (operator, version) = split_operator(specifier.trim()).ok_or(INVALID)?;
        let version = version.trim();
        if version.is_empty() || version.contains(char::is_whitespace) {
            return Err(INVALID);
        }
        let exact = match operator {
            "===" => true,
            "==" => !is_wildcard(version)?,
            _ => false,
        };
        if !exact {
            continue;
        }
        if pinned.is_some_and(|p| p != version) {
            return Err(CONFLICTING_PINS);
        }
        pinned = Some(version);
    }
    pinned.ok_or(NOT_PINNED)
}

/// PEP 440 comparison operators, longest first so `===` is not read as `==`.
fn split_operator(specifier: &str) -> Option<(&str, &str)> {
    const OPERATORS: [&str; 8] = ["===", "==", "!=", "~=", "<=", ">=", "<", ">"];
    OPERATORS.iter().find_map(|op| specifier.strip_prefix(op).map(|version| (*op, version)))
}

/// `==1.2.*` matches a series, not one version. Also rejects a `*` anywhere else, which
/// pip refuses.
fn is_wildcard(version: &str) -> Result<bool, &'static str> {
    let (release, wildcard) = match version.strip_suffix(".*") {
        Some(release) => (release, true),
        None => (version, false),
    };
    let valid = release.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '!'));
    if valid {
        Ok(wildcard)
    } else {
        Err(INVALID)
    }
}

/// pip's `is_url`: a scheme pip can fetch from, including VCS schemes (`git+https:`).
fn is_url(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else { return false };
    let scheme = scheme.to_ascii_lowercase();
    let vcs = ["git", "hg", "svn", "bzr"];
    matches!(scheme.as_str(), "http" | "https" | "file" | "ftp")
        || vcs.iter().any(|v| scheme == *v || scheme.strip_prefix(v).is_some_and(|rest| rest.starts_with('+')))
}

/// pip's `is_archive_file`: what pip installs as a downloaded distribution file.
fn is_archive(s: &str) -> bool {
    const EXTENSIONS: [&str; 11] =
        [".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar.lz", ".tlz"];
    let lower = s.to_ascii_lowercase();
    EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
}

/// pip's `_looks_like_path`: a separator anywhere or a leading dot.
fn looks_like_path(s: &str) -> bool {
    s.starts_with('.') || s.starts_with('~') || s.contains('/') || s.contains('\\')
}

/// Where an include points, relative to the scan root, or why it is not read.
fn resolve_include(including: &Path, target: &str) -> Result<PathBuf, &'static str> {
    if is_url(target) {
        return Err("is a URL; remote files are not fetched");
    }
    if target.contains("${") {
        return Err("path uses an environment variable customs does not expand; not read");
    }
    let target = target.replace('\\', "/");
    if is_absolute(&target) {
        return Err("has an absolute path; only the scanned tree is read");
    }
    let base = including.parent().unwrap_or(Path::new(""));
    normalize(&base.join(target)).ok_or("is outside the scan root; not read")
}

/// `/etc/x`, `C:/x`: never under the scan root, whatever the platform.
fn is_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with('/') || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
}

/// Resolves `.` and `..` without touching the file system; `None` if `..` climbs
/// above where the path starts (the scan root).
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                depth = depth.checked_sub(1)?;
                out.pop();
            }
            Component::Normal(part) => {
                depth += 1;
                out.push(part);
            }
            Component::RootDir | Component::Prefix(_) => out.push(component),
        }
    }
    Some(out)
}

/// Reads an included file, refusing what no requirements file could be.
fn read_limited(files: &dyn FileSource, path: &Path) -> Result<Vec<u8>, String> {
    match files.read(path) {
        Ok(bytes) if bytes.len() as u64 > text::MAX_FILE_SIZE => Err("is too large to read".into()),
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err("not found".into()),
        // A FIFO or device: say what it is (it was never opened, so nothing blocked).
        Err(e) if crate::inventory::regular::is_not_regular(&e) => Err(format!("is {e}")),
        // Refused by the file source (a path over an image's length limit): say why.
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => Err(format!("could not be read: {e}")),
        Err(e) => Err(format!("could not be read: {}", e.kind())),
    }
}

/// Direct or transitive from pip-compile's `# via` annotations, which follow the
/// requirement they describe, in either style:
///
/// ```text
/// django==4.2.7             # via -r requirements.in            (line style)
/// asgiref==3.7.2
///     # via django                                               (split style, one source)
/// requests==2.31.0
///     # via
///     #   -r requirements.in                                     (split style, several)
///     #   django-anymail
/// ```
#[derive(Default)]
struct ViaAnnotations {
    /// Index in the packages of the requirement the next `# via` describes.
    target: Option<usize>,
    /// Inside a multi-line `# via` list.
    listing: bool,
}

impl ViaAnnotations {
    /// A new requirement (or a line that is none) was read.
    fn follow(&mut self, package: Option<usize>) {
        self.target = package;
        self.listing = false;
    }

    /// A comment after the requirement on its own line.
    fn inline_comment(&mut self, comment: &str, packages: &mut [Package]) {
        if let Some(sources) = strip_via(comment.trim()) {
            self.apply(sources.split(','), packages);
        }
    }

    /// A comment line: starts, continues or ends a `# via` annotation.
    fn comment_line(&mut self, comment: &str, packages: &mut [Package]) {
        let trimmed = comment.trim();
        if let Some(sources) = strip_via(trimmed) {
            self.listing = sources.is_empty();
            self.apply(sources.split(','), packages);
        } else if self.listing && comment.starts_with(char::is_whitespace) && !trimmed.is_empty() {
            self.apply(std::iter::once(trimmed), packages);
        } else {
            self.follow(None);
        }
    }

    fn apply<'a>(&self, sources: impl Iterator<Item = &'a str>, packages: &mut [Package]) {
        let Some(package) = self.target.and_then(|i| packages.get_mut(i)) else { return };
        for source in sources {
            package.relationship = match (package.relationship, via_relationship(source.trim())) {
                (Relationship::Direct, _) | (_, Relationship::Direct) => Relationship::Direct,
                (Relationship::Transitive, _) | (_, Relationship::Transitive) => Relationship::Transitive,
                _ => Relationship::Unknown,
            };
        }
    }
}

/// `via x, y` → `x, y`; `via` alone → empty. Anything else is not an annotation.
fn strip_via(comment: &str) -> Option<&str> {
    let rest = comment.strip_prefix("via")?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim())
}

/// One source of a `# via` annotation: a requirements file (`-r requirements.in`) or
/// the project itself (`app (pyproject.toml)`, `app (setup.py)`) means the project
/// asked for it; a package name means something else pulled it in; a constraints file
/// (`-c constraints.txt`) only limits the version and says neither.
fn via_relationship(source: &str) -> Relationship {
    if source.starts_with("-r ") || source.starts_with("--requirement") {
        Relationship::Direct
    } else if source.starts_with("-c ") || source.starts_with("--constraint") || source.is_empty() {
        Relationship::Unknown
    } else if source.ends_with(')') && source.contains(" (") {
        Relationship::Direct
    } else {
        Relationship::Transitive
    }
}

#[cfg(test)]
mod tests;
