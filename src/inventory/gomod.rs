//! `go.mod`, the Go module file. Go has no separate lockfile: since Go 1.17 (module graph
//! pruning) go.mod lists every module that provides a package to the build, each at the
//! exact version the build selects.
//!
//! The file is read with the grammar of golang.org/x/mod/modfile: a lexer that works line by
//! line (strings and comments cannot span lines), then statements and `verb ( … )` blocks.
//! Decisions:
//!
//! - Every `require` is a package; `// indirect` makes it transitive, the rest are direct.
//!   Versions lose their `v` (the OSV Go convention); the purl keeps it.
//! - `replace old [v] => new v` swaps a required module for its replacement. The package
//!   reported is the replacement module at its version, located at the `replace` line: that
//!   line decides what gets built and is where a fix is made. A versioned replace wins over
//!   an unversioned one for the same module, as in the go command. `old => ./dir` makes the
//!   module local source: skipped. A replace of a module this file does not require is
//!   skipped as well: it only applies if the module is somewhere in the build graph, which
//!   go.mod alone cannot tell.
//! - `exclude` names versions that must not be used. Since Go 1.16 a require of exactly an
//!   excluded version is ignored, so it is skipped; other versions of the module stay.
//! - A require whose version is not a semantic version (`master`, `latest`: queries the go
//!   command resolves when it next rewrites the file) is skipped; no version is invented.
//! - The Go standard library is the package `stdlib`: at the `toolchain` version when there
//!   is one (the toolchain *is* the standard library that builds the module), else at the
//!   `go` version, which is the minimum the module accepts. Both are converted the way the
//!   Go vulnerability database converts Go tags: `1.21` → `1.21.0`, `1.21rc1` →
//!   `1.21.0-rc.1`. Before Go 1.21 the first release of a line was tagged `go1.N` (1.N.0);
//!   since Go 1.21 `go 1.21` is a language version that 1.21.0 is the first release of; so
//!   `1.N` means 1.N.0 either way. `toolchain default` falls back to the `go` line.
//! - `module` is the project itself: skipped. `retract`, `godebug`, `tool`, `ignore` and
//!   directives unknown to us (newer Go releases add some) are ignored, as the go command's
//!   lax parser does for dependencies.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, Package, Relationship, Skipped};

pub struct GoMod;

impl Extractor for GoMod {
    fn id(&self) -> &'static str {
        "go/gomod"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "go.mod")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let text = input.text()?;
        let to_extract_error = |e: SyntaxError| input.error(Some(e.line), e.message);
        let directives = parse(text).map_err(to_extract_error)?;
        let file = ModFile::from_directives(&directives).map_err(to_extract_error)?;
        Ok(file.inventory(input.path))
    }
}

/// A problem at one line of the file.
#[derive(Debug)]
struct SyntaxError {
    line: u32,
    message: String,
}

fn syntax_error<T>(line: u32, message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError { line, message: message.into() })
}

// ---------------------------------------------------------------------------------------
// Lexer and statement parser
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A run of printable characters (module paths, versions, `=>`).
    Word,
    /// `"…"` or `` `…` ``; `value` holds the unquoted text.
    Quoted,
    /// One of `( ) [ ] { } ,`.
    Punct,
}

#[derive(Debug)]
struct Token<'a> {
    kind: Kind,
    /// The text as written, quotes included.
    raw: &'a str,
    value: Cow<'a, str>,
}

impl Token<'_> {
    fn is_punct(&self, punct: &str) -> bool {
        self.kind == Kind::Punct && self.raw == punct
    }
}

/// The tokens of one physical line and its `//` comment, if any.
struct LexedLine<'a> {
    tokens: Vec<Token<'a>>,
    comment: Option<&'a str>,
}

/// Characters that end an identifier; everything else printable continues it (quotes too:
/// `a"b` is one word, which is then refused as an unquoted string containing a quote).
fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | ',')
}

fn lex_line(line: &str, number: u32) -> Result<LexedLine<'_>, SyntaxError> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(c) = line[i..].chars().next() {
        let rest = &line[i..];
        match c {
            ' ' | '\t' | '\r' => i += 1,
            '/' if rest.starts_with("//") => return Ok(LexedLine { tokens, comment: Some(&rest[2..]) }),
            '/' if rest.starts_with("/*") => {
                return syntax_error(number, "mod files must use // comments (not /* */ comments)")
            }
            '(' | ')' | '[' | ']' | '{' | '}' | ',' => {
                tokens.push(Token { kind: Kind::Punct, raw: &rest[..1], value: Cow::Borrowed(&rest[..1]) });
                i += 1;
            }
            '"' | '`' => {
                let token = lex_string(rest, number)?;
                i += token.raw.len();
                tokens.push(token);
            }
            c if is_word_char(c) => {
                let len = word_len(rest, number)?;
                tokens.push(Token { kind: Kind::Word, raw: &rest[..len], value: Cow::Borrowed(&rest[..len]) });
                i += len;
            }
            c => return syntax_error(number, format!("unexpected input character {c:?}")),
        }
    }
    Ok(LexedLine { tokens, comment: None })
}

/// The length of the word at the start of `rest`; a `//` ends it (a comment follows).
fn word_len(rest: &str, number: u32) -> Result<usize, SyntaxError> {
    for (i, c) in rest.char_indices() {
        if !is_word_char(c) || rest[i..].starts_with("//") {
            return Ok(i);
        }
        if rest[i..].starts_with("/*") {
            return syntax_error(number, "mod files must use // comments (not /* */ comments)");
        }
    }
    Ok(rest.len())
}

/// A quoted string at the start of `rest`: `"…"` with Go escapes, or raw `` `…` ``.
fn lex_string(rest: &str, number: u32) -> Result<Token<'_>, SyntaxError> {
    let bytes = rest.as_bytes();
    let quote = bytes[0];
    let mut j = 1;
    loop {
        match bytes.get(j) {
            None => return syntax_error(number, "unterminated quoted string"),
            Some(b'\\') if quote == b'"' => j += 2,
            Some(&b) if b == quote => break,
            Some(_) => j += 1,
        }
    }
    // `j` is at the closing quote, an ASCII byte, so these slices are on char boundaries.
    let raw = &rest[..=j];
    let inner = &rest[1..j];
    let value = if quote == b'`' {
        Cow::Borrowed(inner)
    } else {
        Cow::Owned(
            unquote(inner)
                .ok_or_else(|| SyntaxError { line: number, message: format!("invalid quoted string {raw}") })?,
        )
    };
    Ok(Token { kind: Kind::Quoted, raw, value })
}

/// Resolves the escapes of a Go double-quoted string (`strconv.Unquote` rules).
fn unquote(inner: &str) -> Option<String> {
    let mut out = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let simple = |b: u8| Some(vec![b]);
        let escaped = match chars.next()? {
            'a' => simple(0x07),
            'b' => simple(0x08),
            'f' => simple(0x0c),
            'n' => simple(b'\n'),
            'r' => simple(b'\r'),
            't' => simple(b'\t'),
            'v' => simple(0x0b),
            '\\' => simple(b'\\'),
            '"' => simple(b'"'),
            'x' => u8::from_str_radix(&take(&mut chars, 2)?, 16).ok().map(|b| vec![b]),
            d @ '0'..='7' => {
                let digits = format!("{d}{}", take(&mut chars, 2)?);
                u8::from_str_radix(&digits, 8).ok().map(|b| vec![b])
            }
            'u' => code_point(&take(&mut chars, 4)?),
            'U' => code_point(&take(&mut chars, 8)?),
            _ => None,
        };
        out.extend(escaped?);
    }
    String::from_utf8(out).ok()
}

fn take(chars: &mut std::str::Chars<'_>, n: usize) -> Option<String> {
    let s: String = chars.take(n).collect();
    (s.chars().count() == n).then_some(s)
}

fn code_point(hex: &str) -> Option<Vec<u8>> {
    let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    Some(c.to_string().into_bytes())
}

/// One directive: `require a v1` on its own, or one line inside `require ( … )`.
#[derive(Debug)]
struct Directive<'a> {
    verb: &'a str,
    args: Vec<Token<'a>>,
    line: u32,
    /// The trailing `//` comment, without the slashes.
    comment: Option<&'a str>,
}

/// Splits the file into directives, expanding blocks. A block opens with `verb (` at the end
/// of a line and closes with a `)` alone on its line; blocks do not nest.
fn parse(text: &str) -> Result<Vec<Directive<'_>>, SyntaxError> {
    let mut directives = Vec::new();
    // The verb and first line of the open block.
    let mut block: Option<(&str, u32)> = None;
    for (index, line) in text.split('\n').enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let LexedLine { tokens, comment } = lex_line(line, number)?;
        let Some(first) = tokens.first() else { continue };
        if let Some((verb, _)) = block {
            if first.is_punct(")") {
                if tokens.len() > 1 {
                    return syntax_error(number, "syntax error (expected newline after closing paren)");
                }
                block = None;
            } else {
                directives.push(Directive { verb, args: tokens, line: number, comment });
            }
            continue;
        }
        if first.kind != Kind::Word {
            return syntax_error(number, format!("syntax error (unexpected {})", first.raw));
        }
        let verb = first.raw;
        let args = &tokens[1..];
        match args {
            [open] if open.is_punct("(") => block = Some((verb, number)),
            [open, close] if open.is_punct("(") && close.is_punct(")") => {}
            [.., open] if open.is_punct("(") => {
                let header: Vec<&str> = tokens.iter().map(|t| t.raw).collect();
                return syntax_error(number, format!("unknown block type: {}", header.join(" ")));
            }
            _ => {
                let args = tokens.into_iter().skip(1).collect();
                directives.push(Directive { verb, args, line: number, comment });
            }
        }
    }
    if let Some((verb, line)) = block {
        return syntax_error(line, format!("unterminated {verb} block (no closing parenthesis)"));
    }
    Ok(directives)
}

// ---------------------------------------------------------------------------------------
// Directives → module file
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
struct Require<'a> {
    path: Cow<'a, str>,
    /// As written, e.g. `v1.2.3` or `master`.
    version: Cow<'a, str>,
    line: u32,
    indirect: bool,
}

#[derive(Debug)]
struct Replace<'a> {
    old_path: Cow<'a, str>,
    /// Canonical version (no `v`); `None` replaces every version.
    old_version: Option<String>,
    target: Target<'a>,
    line: u32,
    declaration: String,
}

#[derive(Debug)]
enum Target<'a> {
    Module { path: Cow<'a, str>, version: String },
    Directory(Cow<'a, str>),
}

/// The Go version a directive names, already in OSV form.
#[derive(Debug)]
struct GoRelease {
    version: String,
    line: u32,
}

#[derive(Debug, Default)]
struct ModFile<'a> {
    module: Option<(Cow<'a, str>, u32)>,
    go: Option<GoRelease>,
    toolchain: Option<GoRelease>,
    requires: Vec<Require<'a>>,
    replaces: Vec<Replace<'a>>,
    /// (module path, canonical version) pairs, with the line of the exclude.
    excludes: HashMap<(Cow<'a, str>, String), u32>,
}

impl<'a> ModFile<'a> {
    fn from_directives(directives: &'a [Directive<'a>]) -> Result<Self, SyntaxError> {
        let mut file = ModFile::default();
        for d in directives {
            match d.verb {
                "module" => file.module = Some((single_string(d, "module module/path")?, d.line)),
                "go" => file.set_go(d)?,
                "toolchain" => file.set_toolchain(d)?,
                "require" => file.requires.push(parse_require(d)?),
                "exclude" => {
                    let (path, version) = parse_exclude(d)?;
                    file.excludes.entry((path, version)).or_insert(d.line);
                }
                "replace" => file.replaces.push(parse_replace(d)?),
                _ => {}
            }
        }
        Ok(file)
    }

    fn set_go(&mut self, d: &Directive<'_>) -> Result<(), SyntaxError> {
        if self.go.is_some() {
            return syntax_error(d.line, "repeated go statement");
        }
        let version = single_string(d, "go 1.23")?;
        let Some(osv) = go_release_version(&version) else {
            return syntax_error(d.line, format!("invalid go version '{version}': must match format 1.23"));
        };
        self.go = Some(GoRelease { version: osv, line: d.line });
        Ok(())
    }

    fn set_toolchain(&mut self, d: &Directive<'_>) -> Result<(), SyntaxError> {
        if self.toolchain.is_some() {
            return syntax_error(d.line, "repeated toolchain statement");
        }
        let name = single_string(d, "toolchain go1.23.0")?;
        if name == "default" {
            return Ok(());
        }
        // Toolchain names are `go1.21.3`, optionally with a custom suffix (`go1.21.3-corp`).
        let release = name.strip_prefix("go").map(|v| v.split(['-', '+']).next().unwrap_or(v));
        let Some(osv) = release.and_then(go_release_version) else {
            return syntax_error(
                d.line,
                format!("invalid toolchain version '{name}': must match format go1.23.0 or default"),
            );
        };
        self.toolchain = Some(GoRelease { version: osv, line: d.line });
        Ok(())
    }

    fn inventory(&self, path: &Path) -> Extracted {
        let mut out = Extracted::default();
        let at = |line: u32| Location::new(path, Some(line));
        if let Some((module, line)) = &self.module {
            out.skipped.push(Skipped {
                location: at(*line),
                declaration: format!("module {module}"),
                reason: "the module itself, not a dependency".into(),
            });
        }
        if let Some(go) = self.toolchain.as_ref().or(self.go.as_ref()) {
            out.packages.push(
                Package::new(EcosystemKind::Go, "stdlib", &go.version, at(go.line))
                    .with_relationship(Relationship::Direct),
            );
        }
        let replacements = self.replacement_index();
        let mut used_replaces = HashSet::new();
        for require in &self.requires {
            self.resolve(require, &replacements, &mut used_replaces, &mut out, path);
        }
        for (index, replace) in self.replaces.iter().enumerate() {
            if !used_replaces.contains(&index) {
                out.skipped.push(Skipped {
                    location: at(replace.line),
                    declaration: replace.declaration.clone(),
                    reason: "replaces a module this go.mod does not require; it applies only if the module \
                             is elsewhere in the build graph"
                        .into(),
                });
            }
        }
        out.packages.sort_by_key(|p| p.location.line);
        out.skipped.sort_by_key(|s| s.location.line);
        out
    }

    /// Turns one require into a package or a skipped entry, following replace and exclude.
    fn resolve(
        &self,
        require: &Require<'_>,
        replacements: &ReplacementIndex<'_>,
        used_replaces: &mut HashSet<usize>,
        out: &mut Extracted,
        path: &Path,
    ) {
        let at = |line: u32| Location::new(path, Some(line));
        let declaration = format!("{} {}", require.path, require.version);
        let Some(version) = canonical_module_version(&require.version) else {
            out.skipped.push(Skipped {
                location: at(require.line),
                declaration,
                reason: "not a module version (a query the go command resolves when it next updates go.mod)".into(),
            });
            return;
        };
        if let Some(exclude_line) = self.excludes.get(&(require.path.clone(), version.clone())) {
            out.skipped.push(Skipped {
                location: at(require.line),
                declaration,
                reason: format!("this version is excluded (line {exclude_line}), so the go command ignores it"),
            });
            return;
        }
        let relationship = if require.indirect { Relationship::Transitive } else { Relationship::Direct };
        // A replace naming this version wins over one naming every version.
        let index = replacements
            .get(&(require.path.as_ref(), Some(version.as_str())))
            .or_else(|| replacements.get(&(require.path.as_ref(), None)));
        let Some(&index) = index else {
            out.packages.push(
                Package::new(EcosystemKind::Go, require.path.as_ref(), version, at(require.line))
                    .with_relationship(relationship),
            );
            return;
        };
        used_replaces.insert(index);
        let replace = &self.replaces[index];
        match &replace.target {
            Target::Module { path: new_path, version: new_version } => out.packages.push(
                Package::new(EcosystemKind::Go, new_path.as_ref(), new_version, at(replace.line))
                    .with_relationship(relationship),
            ),
            Target::Directory(dir) => out.skipped.push(Skipped {
                location: at(replace.line),
                declaration: format!("{declaration} => {dir}"),
                reason: "replaced by a local directory".into(),
            }),
        }
    }

    /// The replaces by (old path, old version or `None` for every version). If the same
    /// module is replaced twice, the last replace written counts.
    fn replacement_index(&self) -> ReplacementIndex<'_> {
        self.replaces
            .iter()
            .enumerate()
            .map(|(index, r)| ((r.old_path.as_ref(), r.old_version.as_deref()), index))
            .collect()
    }
}

/// Index into [`ModFile::replaces`] by old module path and version.
type ReplacementIndex<'r> = HashMap<(&'r str, Option<&'r str>), usize>;

/// The string value of an argument that must be a plain or quoted string.
fn string_arg<'a>(token: &'a Token<'a>, line: u32) -> Result<Cow<'a, str>, SyntaxError> {
    match token.kind {
        Kind::Punct => syntax_error(line, format!("syntax error (unexpected {})", token.raw)),
        Kind::Word if token.raw.contains(['"', '\'', '`']) => {
            syntax_error(line, format!("unquoted string cannot contain quote: {}", token.raw))
        }
        _ => Ok(token.value.clone()),
    }
}

/// The one argument of `module`, `go` or `toolchain`.
fn single_string<'a>(d: &'a Directive<'a>, usage: &str) -> Result<Cow<'a, str>, SyntaxError> {
    match d.args.as_slice() {
        [arg] => string_arg(arg, d.line),
        _ => syntax_error(d.line, format!("usage: {usage}")),
    }
}

fn parse_require<'a>(d: &'a Directive<'a>) -> Result<Require<'a>, SyntaxError> {
    let [path, version] = d.args.as_slice() else {
        return syntax_error(d.line, "usage: require module/path v1.2.3");
    };
    Ok(Require {
        path: string_arg(path, d.line)?,
        version: string_arg(version, d.line)?,
        line: d.line,
        indirect: d.comment.is_some_and(is_indirect),
    })
}

/// `// indirect`, or `// indirect; other notes`, as the go command writes and reads it.
fn is_indirect(comment: &str) -> bool {
    let mut fields = comment.split_whitespace();
    matches!((fields.next(), fields.next()), (Some("indirect"), None) | (Some("indirect;"), Some(_)))
}

fn parse_exclude<'a>(d: &'a Directive<'a>) -> Result<(Cow<'a, str>, String), SyntaxError> {
    let [path, version] = d.args.as_slice() else {
        return syntax_error(d.line, "usage: exclude module/path v1.2.3");
    };
    let path = string_arg(path, d.line)?;
    let version = versioned(&path, string_arg(version, d.line)?, d.line)?;
    Ok((path, version))
}

/// `old [v] => new v` or `old [v] => ./dir`.
fn parse_replace<'a>(d: &'a Directive<'a>) -> Result<Replace<'a>, SyntaxError> {
    let usage =
        || syntax_error(d.line, "usage: replace module/path [v1.2.3] => other/module v1.4 (or => ../local/directory)");
    let args = d.args.as_slice();
    let is_arrow = |t: &Token<'_>| t.kind == Kind::Word && t.raw == "=>";
    let (old, old_version, new) = match args {
        [old, arrow, new @ ..] if is_arrow(arrow) => (old, None, new),
        [old, version, arrow, new @ ..] if is_arrow(arrow) => (old, Some(version), new),
        _ => return usage(),
    };
    let old_path = string_arg(old, d.line)?;
    let old_version = match old_version {
        Some(v) => Some(versioned(&old_path, string_arg(v, d.line)?, d.line)?),
        None => None,
    };
    let target = match new {
        [dir] => {
            let dir = string_arg(dir, d.line)?;
            if !is_directory_path(&dir) {
                return syntax_error(
                    d.line,
                    "replacement module without version must be directory path (rooted or starting with ./ or ../)",
                );
            }
            Target::Directory(dir)
        }
        [path, version] => {
            let path = string_arg(path, d.line)?;
            if is_directory_path(&path) {
                return syntax_error(d.line, format!("replacement module directory path {path:?} cannot have version"));
            }
            let version = versioned(&path, string_arg(version, d.line)?, d.line)?;
            Target::Module { path, version }
        }
        _ => return usage(),
    };
    let declaration = d.args.iter().map(|t| t.raw).collect::<Vec<_>>().join(" ");
    Ok(Replace { old_path, old_version, target, line: d.line, declaration })
}

/// The canonical form of a version that must be exact (in exclude and replace).
fn versioned(path: &str, version: Cow<'_, str>, line: u32) -> Result<String, SyntaxError> {
    canonical_module_version(&version).map_or_else(
        || syntax_error(line, format!("{path}: invalid version {version:?}: must be of the form v1.2.3")),
        Ok,
    )
}

/// Paths the go command reads as directories rather than module paths (Unix and Windows
/// spellings, since go.mod files move between systems).
fn is_directory_path(path: &str) -> bool {
    let b = path.as_bytes();
    ["./", "../", "/", ".\\", "..\\", "\\"].iter().any(|p| path.starts_with(p))
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

// ---------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------

/// A Go module version in canonical semver form without its `v` (OSV Go convention):
/// shorthand `v1.2` becomes `1.2.0` and build metadata is dropped except `+incompatible`,
/// as golang.org/x/mod/module.CanonicalVersion does. `None` if it is not semver.
fn canonical_module_version(version: &str) -> Option<String> {
    let rest = version.strip_prefix('v')?;
    let (rest, build) = match rest.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (rest, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 || !parts.iter().all(|p| is_numeric_identifier(p)) {
        return None;
    }
    // Shorthand versions (`v1`, `v1.2`) cannot carry a prerelease or build suffix.
    if parts.len() < 3 && (pre.is_some() || build.is_some()) {
        return None;
    }
    if !pre.is_none_or(|p| p.split('.').all(is_prerelease_identifier)) {
        return None;
    }
    if !build.is_none_or(|b| b.split('.').all(|id| !id.is_empty() && is_alphanumeric_or_hyphen(id))) {
        return None;
    }
    let mut out = parts.join(".");
    for _ in parts.len()..3 {
        out.push_str(".0");
    }
    if let Some(pre) = pre {
        out.push('-');
        out.push_str(pre);
    }
    if build == Some("incompatible") {
        out.push_str("+incompatible");
    }
    Some(out)
}

fn is_numeric_identifier(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

fn is_prerelease_identifier(s: &str) -> bool {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return is_numeric_identifier(s);
    }
    is_alphanumeric_or_hyphen(s)
}

fn is_alphanumeric_or_hyphen(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A Go release as written in a `go` line or after `go` in a toolchain name (`1.21`,
/// `1.21.3`, `1.21rc1`), in the form the Go vulnerability database uses (`1.21.0`,
/// `1.21.3`, `1.21.0-rc.1`). `None` unless it matches the go command's own pattern
/// `^[1-9][0-9]*\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$`.
fn go_release_version(release: &str) -> Option<String> {
    let numeric_end = release.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(release.len());
    let (numbers, pre) = release.split_at(numeric_end);
    let parts: Vec<&str> = numbers.split('.').collect();
    if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| is_numeric_identifier(p)) || parts[0] == "0" {
        return None;
    }
    let mut out = parts.join(".");
    if parts.len() == 2 {
        out.push_str(".0");
    }
    if !pre.is_empty() {
        let digits_at = pre.find(|c: char| c.is_ascii_digit())?;
        let (label, number) = pre.split_at(digits_at);
        let label_ok = !label.is_empty() && label.bytes().all(|b| b.is_ascii_lowercase());
        if !label_ok || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push_str(&format!("-{label}.{number}"));
    }
    Some(out)
}

#[cfg(test)]
mod tests;
