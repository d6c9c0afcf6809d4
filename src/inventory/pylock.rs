//! `pylock.toml` and `pylock.<name>.toml`, the standard Python lock file of PEP 751
//! (lock-version 1.0), written by uv, PDM, pip and Poetry's exporter.
//!
//! Every `[[packages]]` entry is a package that *may* be installed. An entry without a
//! `version` is a source tree (the spec forbids a version there) and is skipped, as is
//! every `directory` entry and every `archive` that only has a local `path`: they are
//! the project's own code or files on disk, not releases an advisory can name. A `vcs`
//! entry with a version is kept, pinned by `vcs_url` to its commit; an `archive` with a
//! URL is kept with its `download_url`; wheels and sdists from an index other than PyPI
//! get a `repository_url`, so a private package never matches its PyPI namesake. Wheels
//! and sdists are built releases of a named version, so they are kept even when the lock
//! records them by a local `path` (a mirror or find-links directory).
//!
//! Dev and optional come from `marker`: a multi-use lock (PDM's export) selects packages
//! with `'dev' in dependency_groups` and `'socks' in extras`. A package the default
//! install (no extras, the `default-groups`) cannot select is dev when some dependency
//! group selects it, else optional when some extra does. Environment markers
//! (`sys_platform`…) are unknowable here and count as "may hold", so a package is only
//! flagged when the groups/extras alone rule it out of the default install; a marker that
//! does not parse flags nothing. The lock records no root, so direct/transitive is unknown.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::python::{self, is_local_url, pypi_package, Origin};
use super::{text, ExtractError, Extracted, Extractor, Input};
use crate::model::{pep503_normalize, Location, Skipped};

use marker::{Marker, Scenario, Selection};

pub struct PyLock;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Lockfile {
    lock_version: Option<Spanned<String>>,
    #[serde(default)]
    default_groups: Vec<String>,
    #[serde(default)]
    packages: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: Spanned<String>,
    version: Option<String>,
    marker: Option<String>,
    index: Option<String>,
    vcs: Option<Vcs>,
    directory: Option<Directory>,
    archive: Option<Archive>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Vcs {
    #[serde(rename = "type")]
    kind: String,
    url: Option<String>,
    path: Option<String>,
    commit_id: Option<String>,
}

#[derive(Deserialize)]
struct Directory {
    path: String,
}

#[derive(Deserialize)]
struct Archive {
    url: Option<String>,
    path: Option<String>,
}

impl Extractor for PyLock {
    fn id(&self) -> &'static str {
        "python/pylock"
    }

    /// `pylock.toml`, or `pylock.<name>.toml` where the name has no dot (the spec's
    /// `^pylock\.([^.]+\.)?toml$`).
    fn wants(&self, path: &Path) -> bool {
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            return false;
        };
        match file_name.strip_prefix("pylock.").and_then(|rest| rest.strip_suffix("toml")) {
            Some("") => true,
            Some(named) => named.strip_suffix('.').is_some_and(|name| !name.is_empty() && !name.contains('.')),
            None => false,
        }
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        let lock: Lockfile = text::toml(input.path, content)?;
        let lines = text::LineIndex::new(content);
        check_lock_version(input, &lock, &lines)?;
        let default_groups: Vec<String> = lock.default_groups.iter().map(|g| pep503_normalize(g)).collect();

        let mut out = Extracted::default();
        for entry in &lock.packages {
            let name = entry.name.get_ref();
            let location = Location::new(input.path, Some(lines.line(entry.name.span().start)));
            if name.is_empty() {
                return Err(input.error(location.line, "package without a name"));
            }
            match classify(entry) {
                Err(reason) => out.skipped.push(Skipped { location, declaration: declaration(entry), reason }),
                Ok((version, origin)) => {
                    let (dev, optional) = selection_flags(entry.marker.as_deref(), &default_groups);
                    let package = pypi_package(name, version, location, origin).with_dev(dev).with_optional(optional);
                    out.packages.push(package);
                }
            }
        }
        Ok(out)
    }
}

/// The spec says tools MUST refuse a major version they do not know. A file with no keys
/// at all is an empty lock, not an error, as for every other lockfile format.
fn check_lock_version(input: &Input<'_>, lock: &Lockfile, lines: &text::LineIndex) -> Result<(), ExtractError> {
    let Some(version) = &lock.lock_version else {
        if lock.packages.is_empty() {
            return Ok(());
        }
        return Err(input.error(None, "missing `lock-version`"));
    };
    if version.get_ref().split('.').next() != Some("1") {
        let line = lines.line(version.span().start);
        return Err(input.error(Some(line), format!("unsupported lock-version {:?}", version.get_ref())));
    }
    Ok(())
}

/// The exact version and origin of a package, or why it is not one.
fn classify(entry: &LockedPackage) -> Result<(&str, Origin<'_>), String> {
    if let Some(directory) = &entry.directory {
        return Err(format!("local directory {:?}", directory.path));
    }
    let Some(version) = entry.version.as_deref().filter(|v| !v.is_empty()) else {
        return Err("no version: a source tree, whose version the lock cannot guarantee".into());
    };
    if let Some(vcs) = &entry.vcs {
        return match &vcs.url {
            Some(url) => Ok((version, Origin::Vcs { vcs: &vcs.kind, url, commit: vcs.commit_id.as_deref() })),
            None => Err(format!("local {} checkout {:?}", vcs.kind, vcs.path.as_deref().unwrap_or_default())),
        };
    }
    if let Some(archive) = &entry.archive {
        return match archive.url.as_deref().filter(|url| !is_local_url(url)) {
            Some(url) => Ok((version, Origin::Archive(url))),
            None => Err(format!(
                "local archive {:?}",
                archive.path.as_deref().or(archive.url.as_deref()).unwrap_or_default()
            )),
        };
    }
    Ok((version, entry.index.as_deref().map_or(Origin::Unstated, Origin::Index)))
}

fn declaration(entry: &LockedPackage) -> String {
    python::declaration(entry.name.get_ref(), entry.version.as_deref())
}

/// `(dev, optional)` from a package's marker; see the module documentation.
fn selection_flags(marker: Option<&str>, default_groups: &[String]) -> (bool, bool) {
    let Some(marker) = marker.and_then(Marker::parse) else {
        return (false, false);
    };
    let no_extras = || Selection::Exactly(&[]);
    let defaults = || Selection::Exactly(default_groups);
    if marker.may_hold(&Scenario { extras: no_extras(), groups: defaults() }) {
        (false, false)
    } else if marker.may_hold(&Scenario { extras: no_extras(), groups: Selection::Any }) {
        (true, false)
    } else if marker.may_hold(&Scenario { extras: Selection::Any, groups: defaults() }) {
        (false, true)
    } else {
        (true, true)
    }
}

/// Just enough of PEP 508 environment markers to evaluate the `extras` and
/// `dependency_groups` tests PEP 751 added, in three-valued logic: every other
/// comparison is "maybe", since the target environment is unknown.
mod marker {
    use crate::model::pep503_normalize;

    /// Parentheses nest no deeper than this; deeper markers are treated as unparsable
    /// rather than risking the stack.
    const MAX_DEPTH: usize = 32;

    /// The extras or dependency groups an install selects.
    pub(super) enum Selection<'a> {
        /// Exactly these (normalised names).
        Exactly(&'a [String]),
        /// Whatever the user asks for.
        Any,
    }

    pub(super) struct Scenario<'a> {
        pub extras: Selection<'a>,
        pub groups: Selection<'a>,
    }

    pub(super) struct Marker(Expr);

    enum Expr {
        Or(Vec<Expr>),
        And(Vec<Expr>),
        /// `'name' [not] in extras|dependency_groups`, or the older `extra == 'name'`.
        Selects {
            set: Set,
            name: String,
            negated: bool,
        },
        /// Anything about the environment: unknown here.
        Environment,
    }

    #[derive(Clone, Copy)]
    enum Set {
        Extras,
        Groups,
    }

    /// Ordered so that `or` is the maximum and `and` the minimum.
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Truth {
        No,
        Maybe,
        Yes,
    }

    impl Marker {
        pub(super) fn parse(text: &str) -> Option<Marker> {
            let mut parser = Parser { tokens: tokenize(text)?, at: 0 };
            let expr = parser.or(0)?;
            (parser.at == parser.tokens.len()).then_some(Marker(expr))
        }

        /// Whether the package can be selected in this scenario.
        pub(super) fn may_hold(&self, scenario: &Scenario<'_>) -> bool {
            self.0.eval(scenario) != Truth::No
        }
    }

    impl Expr {
        fn eval(&self, scenario: &Scenario<'_>) -> Truth {
            match self {
                Expr::Or(items) => items.iter().map(|e| e.eval(scenario)).max().unwrap_or(Truth::No),
                Expr::And(items) => items.iter().map(|e| e.eval(scenario)).min().unwrap_or(Truth::Yes),
                Expr::Environment => Truth::Maybe,
                Expr::Selects { set, name, negated } => {
                    let selection = match set {
                        Set::Extras => &scenario.extras,
                        Set::Groups => &scenario.groups,
                    };
                    match selection {
                        Selection::Any => Truth::Maybe,
                        Selection::Exactly(names) if names.contains(name) != *negated => Truth::Yes,
                        Selection::Exactly(_) => Truth::No,
                    }
                }
            }
        }
    }

    #[derive(PartialEq, Eq)]
    enum Token {
        Quoted(String),
        Word(String),
        Operator(String),
        Open,
        Close,
    }

    fn tokenize(text: &str) -> Option<Vec<Token>> {
        let mut tokens = Vec::new();
        let mut chars = text.char_indices().peekable();
        while let Some(&(start, c)) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if c == '(' || c == ')' {
                chars.next();
                tokens.push(if c == '(' { Token::Open } else { Token::Close });
            } else if c == '\'' || c == '"' {
                chars.next();
                let body_start = start + 1;
                let end = chars.by_ref().find(|&(_, q)| q == c)?.0;
                tokens.push(Token::Quoted(text[body_start..end].to_string()));
            } else if "=!<>~".contains(c) {
                let mut end = start;
                while let Some(&(i, o)) = chars.peek().filter(|(_, o)| "=!<>~".contains(*o)) {
                    end = i + o.len_utf8();
                    chars.next();
                }
                tokens.push(Token::Operator(text[start..end].to_string()));
            } else if c.is_alphanumeric() || c == '_' || c == '.' {
                let mut end = start;
                while let Some(&(i, w)) = chars.peek().filter(|(_, w)| w.is_alphanumeric() || *w == '_' || *w == '.') {
                    end = i + w.len_utf8();
                    chars.next();
                }
                tokens.push(Token::Word(text[start..end].to_string()));
            } else {
                return None;
            }
        }
        Some(tokens)
    }

    struct Parser {
        tokens: Vec<Token>,
        at: usize,
    }

    impl Parser {
        fn or(&mut self, depth: usize) -> Option<Expr> {
            let mut items = vec![self.and(depth)?];
            while self.eat_word("or") {
                items.push(self.and(depth)?);
            }
            Some(if items.len() == 1 { items.remove(0) } else { Expr::Or(items) })
        }

        fn and(&mut self, depth: usize) -> Option<Expr> {
            let mut items = vec![self.atom(depth)?];
            while self.eat_word("and") {
                items.push(self.atom(depth)?);
            }
            Some(if items.len() == 1 { items.remove(0) } else { Expr::And(items) })
        }

        fn atom(&mut self, depth: usize) -> Option<Expr> {
            if self.tokens.get(self.at) == Some(&Token::Open) {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.at += 1;
                let inner = self.or(depth + 1)?;
                if self.tokens.get(self.at) != Some(&Token::Close) {
                    return None;
                }
                self.at += 1;
                return Some(inner);
            }
            let left = self.value()?;
            let operator = self.operator()?;
            let right = self.value()?;
            Some(comparison(left, &operator, right))
        }

        fn value(&mut self) -> Option<Value> {
            let value = match self.tokens.get(self.at)? {
                Token::Quoted(s) => Value::Literal(s.clone()),
                Token::Word(w) if !matches!(w.as_str(), "and" | "or" | "in" | "not") => Value::Variable(w.clone()),
                _ => return None,
            };
            self.at += 1;
            Some(value)
        }

        fn operator(&mut self) -> Option<String> {
            if let Some(Token::Operator(op)) = self.tokens.get(self.at) {
                self.at += 1;
                return Some(op.clone());
            }
            if self.eat_word("in") {
                return Some("in".into());
            }
            (self.eat_word("not") && self.eat_word("in")).then(|| "not in".into())
        }

        fn eat_word(&mut self, word: &str) -> bool {
            let found = matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w == word);
            if found {
                self.at += 1;
            }
            found
        }
    }

    enum Value {
        Literal(String),
        Variable(String),
    }

    fn comparison(left: Value, operator: &str, right: Value) -> Expr {
        let selects = |set, name: &str, negated| Expr::Selects { set, name: pep503_normalize(name), negated };
        match (left, operator, right) {
            (Value::Literal(name), "in" | "not in", Value::Variable(var)) => match var.as_str() {
                "extras" => selects(Set::Extras, &name, operator == "not in"),
                "dependency_groups" => selects(Set::Groups, &name, operator == "not in"),
                _ => Expr::Environment,
            },
            (Value::Variable(var), "==" | "!=", Value::Literal(name))
            | (Value::Literal(name), "==" | "!=", Value::Variable(var))
                if var == "extra" =>
            {
                selects(Set::Extras, &name, operator == "!=")
            }
            _ => Expr::Environment,
        }
    }
}

#[cfg(test)]
mod tests;
