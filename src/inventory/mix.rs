//! `mix.lock`, the lockfile of Elixir's Mix.
//!
//! The file is an Elixir map literal written by `Mix.Dep.Lock`: one entry per
//! dependency, keyed by the app name, whose value is a tuple that starts with the SCM.
//! A small term parser reads it (strings, atoms, lists, tuples, keyword lists, maps,
//! with a nesting limit), so the layout does not matter: one entry per line today,
//! `%{"a": …,\n  "b": …}` in Elixir ≤ 1.5, `"a" => …` or three-element tuples before.
//! Decisions:
//!
//! - `{:hex, :package, "version", …, "repo", …}` entries are Hex packages named by the
//!   package atom, not the map key: `{:my_json, hex: :jason}` locks as
//!   `"my_json": {:hex, :jason, …}` and the package on hex.pm is `jason`.
//! - The repo `"hexpm"` (or none, in old locks) is hex.pm. `"hexpm:acme"` is the private
//!   organization `acme` on hex.pm, the purl namespace. Any other repo is a self-hosted
//!   registry that mix.lock names but does not locate, so its name goes into a `repo`
//!   qualifier (mix's own term) rather than a made-up `repository_url`.
//! - `:git` entries pin a commit, not a version, and `:path` ones are local code: both
//!   are skipped, with the commit or path in the declaration.
//! - mix.lock does not say which dependencies `mix.exs` names or which are `only: :dev`,
//!   so relationship and dev stay unknown.

use std::path::Path;

use super::{text, ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, Package, Skipped};
use crate::purl::Purl;
use term::{Kind, Term};

pub struct MixLock;

/// The repo name of hex.pm in mix.lock.
const HEX_PM: &str = "hexpm";

impl Extractor for MixLock {
    fn id(&self) -> &'static str {
        "elixir/mix-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "mix.lock")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let content = input.text()?;
        let lines = text::LineIndex::new(content);
        let root = term::parse(content)
            .map_err(|e| input.error(Some(lines.line(e.offset)), format!("invalid mix.lock: {}", e.message)))?;
        let Some(root) = root else {
            return Ok(Extracted::default());
        };
        let Kind::Map(entries) = root.kind else {
            return Err(input.error(Some(lines.line(root.offset)), "mix.lock is not a map (%{…})"));
        };
        let mut out = Extracted::default();
        for (key, value) in &entries {
            let location = Location::new(input.path, Some(lines.line(key.offset)));
            let Some(app) = key.as_name() else {
                return Err(input.error(location.line, "lock key is not a string or an atom"));
            };
            read_entry(input, &mut out, app, value, location)?;
        }
        Ok(out)
    }
}

/// One `"app": {:scm, …}` entry.
fn read_entry(
    input: &Input<'_>,
    out: &mut Extracted,
    app: &str,
    value: &Term,
    location: Location,
) -> Result<(), ExtractError> {
    let Kind::Tuple(fields) = &value.kind else {
        return Err(input.error(location.line, format!("lock entry {app:?} is not a tuple")));
    };
    let field = |i: usize| fields.get(i).and_then(Term::as_str).unwrap_or("?");
    match fields.first().and_then(Term::as_atom) {
        Some("hex") => out.packages.push(hex_package(input, app, fields, location)?),
        Some("git") => out.skipped.push(Skipped {
            location,
            declaration: format!("{app} (git {} {})", field(1), field(2)),
            reason: "git dependency: mix.lock pins a commit, not a Hex version".into(),
        }),
        Some("path") => out.skipped.push(Skipped {
            location,
            declaration: format!("{app} (path {})", field(1)),
            reason: "local path dependency (not from a package registry)".into(),
        }),
        Some(scm) => out.skipped.push(Skipped {
            location,
            declaration: format!("{app} ({scm})"),
            reason: format!("{scm} dependency (not a Hex package)"),
        }),
        None => {
            return Err(
                input.error(location.line, format!("lock entry {app:?} does not start with its SCM (:hex, :git…)"))
            )
        }
    }
    Ok(())
}

/// `{:hex, :package, "version", "inner checksum", [managers], [deps], "repo", "outer checksum"}`;
/// locks written before Elixir 1.6 stop after the deps or even after the version.
fn hex_package(input: &Input<'_>, app: &str, fields: &[Term], location: Location) -> Result<Package, ExtractError> {
    let name = fields.get(1).and_then(Term::as_atom).filter(|n| !n.is_empty());
    let version = fields.get(2).and_then(Term::as_str).filter(|v| !v.is_empty());
    let (Some(name), Some(version)) = (name, version) else {
        return Err(input.error(location.line, format!("hex entry {app:?} has no package name and version")));
    };
    let repo = match fields.get(6) {
        None => HEX_PM,
        Some(repo) => repo
            .as_str()
            .ok_or_else(|| input.error(location.line, format!("hex entry {app:?} has a non-string repo")))?,
    };
    let mut package = Package::new(EcosystemKind::Hex, name, version, location);
    if let Some(organization) = repo.strip_prefix("hexpm:") {
        package.purl = Purl::new("hex", Some(organization), name, Some(version));
    } else if repo != HEX_PM {
        package.purl = package.purl.with_qualifier("repo", repo);
    }
    Ok(package)
}

/// A reader for the subset of Elixir term syntax lockfiles use.
mod term {
    /// Containers may nest this deep; mix.lock needs four levels.
    const MAX_DEPTH: usize = 32;

    /// One term and the byte offset where it starts (for line numbers).
    pub struct Term {
        pub offset: usize,
        pub kind: Kind,
    }

    /// Numbers and lists are checked but not kept: no lockfile field needs their contents.
    pub enum Kind {
        Str(String),
        Atom(String),
        Number,
        List,
        Tuple(Vec<Term>),
        Map(Vec<(Term, Term)>),
    }

    impl Term {
        pub fn as_str(&self) -> Option<&str> {
            match &self.kind {
                Kind::Str(s) => Some(s),
                _ => None,
            }
        }

        pub fn as_atom(&self) -> Option<&str> {
            match &self.kind {
                Kind::Atom(s) => Some(s),
                _ => None,
            }
        }

        /// A map key written as a string (`"app" =>`) or an atom (`"app":`, `app:`).
        pub fn as_name(&self) -> Option<&str> {
            self.as_str().or_else(|| self.as_atom())
        }
    }

    #[derive(Debug)]
    pub struct SyntaxError {
        pub offset: usize,
        pub message: String,
    }

    /// Parses a document holding one term; `None` when it holds only whitespace and comments.
    pub fn parse(text: &str) -> Result<Option<Term>, SyntaxError> {
        let mut parser = Parser { text, pos: 0, depth: 0 };
        parser.skip_trivia();
        if parser.peek().is_none() {
            return Ok(None);
        }
        let term = parser.term()?;
        parser.skip_trivia();
        if parser.peek().is_some() {
            return Err(parser.error("unexpected text after the term"));
        }
        Ok(Some(term))
    }

    /// What starts an element of a list or map: a term, or the key of a keyword pair
    /// (`hex: …`, `"app": …`), which is an atom.
    enum Element {
        Term(Term),
        KeywordKey(Term),
    }

    struct Parser<'a> {
        text: &'a str,
        /// Always on a char boundary: only ASCII bytes and whole chars are stepped over.
        pos: usize,
        depth: usize,
    }

    impl<'a> Parser<'a> {
        fn peek(&self) -> Option<u8> {
            self.text.as_bytes().get(self.pos).copied()
        }

        fn peek_at(&self, ahead: usize) -> Option<u8> {
            self.text.as_bytes().get(self.pos + ahead).copied()
        }

        fn error(&self, message: impl Into<String>) -> SyntaxError {
            SyntaxError { offset: self.pos, message: message.into() }
        }

        /// Skips whitespace and `#` comments.
        fn skip_trivia(&mut self) {
            while let Some(byte) = self.peek() {
                match byte {
                    b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                    b'#' => {
                        let rest = &self.text.as_bytes()[self.pos..];
                        self.pos += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                    }
                    _ => break,
                }
            }
        }

        fn term(&mut self) -> Result<Term, SyntaxError> {
            match self.element()? {
                Element::Term(term) => Ok(term),
                Element::KeywordKey(key) => {
                    Err(SyntaxError { offset: key.offset, message: "keyword key outside a list or map".into() })
                }
            }
        }

        fn element(&mut self) -> Result<Element, SyntaxError> {
            self.skip_trivia();
            let offset = self.pos;
            let term = |kind| Ok(Element::Term(Term { offset, kind }));
            match self.peek() {
                None => Err(self.error("unexpected end of file")),
                Some(b'%') if self.peek_at(1) == Some(b'{') => {
                    self.pos += 2;
                    self.enter()?;
                    let entries = self.map_entries()?;
                    self.depth -= 1;
                    term(Kind::Map(entries))
                }
                Some(open @ (b'{' | b'[')) => {
                    self.pos += 1;
                    self.enter()?;
                    let close = if open == b'{' { b'}' } else { b']' };
                    let items = self.sequence(close)?;
                    self.depth -= 1;
                    term(if open == b'{' { Kind::Tuple(items) } else { Kind::List })
                }
                Some(quote @ (b'"' | b'\'')) => {
                    let s = self.string(quote)?;
                    if self.at_keyword_colon() {
                        self.pos += 1;
                        return Ok(Element::KeywordKey(Term { offset, kind: Kind::Atom(s) }));
                    }
                    term(Kind::Str(s))
                }
                Some(b':') => {
                    self.pos += 1;
                    let name = self.atom_name()?;
                    term(Kind::Atom(name))
                }
                Some(byte) if is_identifier_start(byte) => {
                    let word = self.identifier();
                    if self.at_keyword_colon() {
                        self.pos += 1;
                        return Ok(Element::KeywordKey(Term { offset, kind: Kind::Atom(word.to_string()) }));
                    }
                    match word {
                        "true" | "false" | "nil" => term(Kind::Atom(word.to_string())),
                        _ => Err(SyntaxError { offset, message: format!("unexpected identifier {word:?}") }),
                    }
                }
                Some(byte) if byte.is_ascii_digit() || byte == b'-' => {
                    self.number()?;
                    term(Kind::Number)
                }
                Some(_) => Err(self.error("unexpected character")),
            }
        }

        fn enter(&mut self) -> Result<(), SyntaxError> {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error(format!("nested deeper than {MAX_DEPTH} levels")));
            }
            Ok(())
        }

        /// `key: ` — a colon right after a key, not the start of an atom (`::` or `:x`).
        fn at_keyword_colon(&self) -> bool {
            self.peek() == Some(b':') && self.peek_at(1).is_none_or(|b| b.is_ascii_whitespace())
        }

        /// The elements of a list or tuple up to `close`; keyword pairs become 2-tuples,
        /// as in Elixir (`[hex: :jason]` is `[{:hex, :jason}]`).
        fn sequence(&mut self, close: u8) -> Result<Vec<Term>, SyntaxError> {
            let mut items = Vec::new();
            loop {
                self.skip_trivia();
                if self.peek() == Some(close) {
                    self.pos += 1;
                    return Ok(items);
                }
                let item = match self.element()? {
                    Element::Term(term) => term,
                    Element::KeywordKey(key) => {
                        let offset = key.offset;
                        let value = self.term()?;
                        Term { offset, kind: Kind::Tuple(vec![key, value]) }
                    }
                };
                items.push(item);
                self.separator(close)?;
            }
        }

        /// The entries of a map up to `}`: `key => value` or `key: value`.
        fn map_entries(&mut self) -> Result<Vec<(Term, Term)>, SyntaxError> {
            let mut entries = Vec::new();
            loop {
                self.skip_trivia();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(entries);
                }
                let key = match self.element()? {
                    Element::KeywordKey(key) => key,
                    Element::Term(key) => {
                        self.skip_trivia();
                        if !(self.peek() == Some(b'=') && self.peek_at(1) == Some(b'>')) {
                            return Err(self.error("expected \"=>\" after a map key"));
                        }
                        self.pos += 2;
                        key
                    }
                };
                let value = self.term()?;
                entries.push((key, value));
                self.separator(b'}')?;
            }
        }

        /// After an element: a comma (trailing commas are allowed) or the closing bracket.
        fn separator(&mut self, close: u8) -> Result<(), SyntaxError> {
            self.skip_trivia();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    Ok(())
                }
                Some(byte) if byte == close => Ok(()),
                None => Err(self.error("unexpected end of file")),
                Some(_) => Err(self.error(format!("expected ',' or '{}'", close as char))),
            }
        }

        /// A double- or single-quoted string; `pos` is on the opening quote.
        fn string(&mut self, quote: u8) -> Result<String, SyntaxError> {
            let start = self.pos;
            let body = self.text.get(start + 1..).unwrap_or_default();
            let mut out = String::new();
            let mut chars = body.char_indices();
            while let Some((i, c)) = chars.next() {
                if c == char::from(quote) {
                    self.pos = start + 1 + i + 1;
                    return Ok(out);
                }
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some((_, escaped)) => out.push(unescape(escaped)),
                    None => break,
                }
            }
            Err(SyntaxError { offset: start, message: "unterminated string".into() })
        }

        /// The name after `:` in `:jason`, `:"Elixir.Jason"`, `:ok?`.
        fn atom_name(&mut self) -> Result<String, SyntaxError> {
            match self.peek() {
                Some(quote @ (b'"' | b'\'')) => self.string(quote),
                Some(byte) if is_identifier_start(byte) => Ok(self.identifier().to_string()),
                _ => Err(self.error("expected an atom name after ':'")),
            }
        }

        fn identifier(&mut self) -> &'a str {
            let start = self.pos;
            while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'@') {
                self.pos += 1;
            }
            if matches!(self.peek(), Some(b'?' | b'!')) {
                self.pos += 1;
            }
            &self.text[start..self.pos]
        }

        /// Steps over an integer or float (`1`, `-2`, `1_000`, `0x1F`, `1.5e3`).
        fn number(&mut self) -> Result<(), SyntaxError> {
            if self.peek() == Some(b'-') {
                self.pos += 1;
            }
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(self.error("expected a digit"));
            }
            while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
                self.pos += 1;
            }
            Ok(())
        }
    }

    fn is_identifier_start(byte: u8) -> bool {
        byte.is_ascii_alphabetic() || byte == b'_'
    }

    /// The character an escape stands for; unknown escapes stand for themselves (`\"`, `\#`).
    fn unescape(c: char) -> char {
        match c {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, skipped, summarize};

    #[test]
    fn phoenix_app_with_organizations_other_repos_renames_git_and_path() {
        let out = extract_fixture(&MixLock, "inventory/mix/phoenix-app/mix.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "Hex|acme_auth|2.1.0|pkg:hex/acme/acme_auth@2.1.0|2|",
                "Hex|castore|1.0.5|pkg:hex/castore@1.0.5|3|",
                "Hex|cowboy|2.10.0|pkg:hex/cowboy@2.10.0|4|",
                "Hex|cowlib|2.12.1|pkg:hex/cowlib@2.12.1|5|",
                "Hex|internal_metrics|0.4.2|pkg:hex/internal_metrics@0.4.2?repo=my_repo|7|",
                "Hex|jason|1.4.1|pkg:hex/jason@1.4.1|8|",
                "Hex|phoenix|1.7.10|pkg:hex/phoenix@1.7.10|10|",
                "Hex|plug|1.15.3|pkg:hex/plug@1.15.3|11|",
                "Hex|poison|3.1.0|pkg:hex/poison@3.1.0|12|",
                "Hex|telemetry|1.2.1|pkg:hex/telemetry@1.2.1|13|",
            ]
        );
        assert_eq!(
            skipped(&out),
            [
                "heroicons (git https://github.com/tailwindlabs/heroicons.git 88ab3a0d790e6a47404cba02800a6b25d2afae50)|6|\
                 git dependency: mix.lock pins a commit, not a Hex version",
                "local_helpers (path ../local_helpers)|9|local path dependency (not from a package registry)",
            ]
        );
        assert_eq!(out.skipped[0].location.path, "inventory/mix/phoenix-app/mix.lock");
    }

    #[test]
    fn elixir_1_4_lock_with_seven_element_tuples_and_the_first_entry_on_the_map_line() {
        let out = extract_fixture(&MixLock, "inventory/mix/elixir-1.4/mix.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "Hex|bunt|0.1.6|pkg:hex/bunt@0.1.6|1|",
                "Hex|certifi|0.7.0|pkg:hex/certifi@0.7.0|2|",
                "Hex|credo|0.5.3|pkg:hex/credo@0.5.3|3|",
                "Hex|hackney|1.6.5|pkg:hex/hackney@1.6.5|4|",
                "Hex|idna|1.2.0|pkg:hex/idna@1.2.0|6|",
                "Hex|metrics|1.0.1|pkg:hex/metrics@1.0.1|7|",
                "Hex|poison|3.1.0|pkg:hex/poison@3.1.0|8|",
            ]
        );
        assert_eq!(
            skipped(&out),
            ["httpoison (git https://github.com/edgurgel/httpoison.git 3d0b4e1f9c8a7b6d5e4f3a2b1c0d9e8f7a6b5c4d)|5|\
                 git dependency: mix.lock pins a commit, not a Hex version"]
        );
    }

    #[test]
    fn arrow_keys_atom_keys_three_element_tuples_comments_and_escapes() {
        let lock = "# written by hand\n%{\"cowboy\" => {:hex, :cowboy, \"1.0.0\"},\n  \
                    ranch: {:hex, :ranch, \"1.0.0\"}, # trailing comment\n  \
                    \"odd\\\"name\": {:hex, :\"odd_pkg\", \"0.1.0-rc.1\", \"abc\", [:mix], [], \"hexpm\"},\n  \
                    \"hg\\\"dep\": {:hg, \"https://example.com/repo\", \"rev\"},\n  \
                    \"shallow\": {:git, \"https://example.com/s.git\", \"abc\", [depth: 1, size: -2, n: 1_000.5]}\n}\n";
        let out = extract_str(&MixLock, "mix.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                "Hex|cowboy|1.0.0|pkg:hex/cowboy@1.0.0|2|",
                "Hex|ranch|1.0.0|pkg:hex/ranch@1.0.0|3|",
                "Hex|odd_pkg|0.1.0-rc.1|pkg:hex/odd_pkg@0.1.0-rc.1|4|",
            ]
        );
        assert_eq!(
            skipped(&out),
            [
                "hg\"dep (hg)|5|hg dependency (not a Hex package)",
                "shallow (git https://example.com/s.git abc)|6|git dependency: mix.lock pins a commit, not a Hex version",
            ]
        );
    }

    #[test]
    fn multi_line_entries_and_windows_line_endings_take_the_line_of_their_key() {
        let lock = "%{\r\n  \"jason\":\r\n    {:hex, :jason, \"1.4.1\", \"abc\",\r\n     [:mix], [], \"hexpm\", \"def\"},\r\n  \
                    \"plug\": {\n    :hex,\n    :plug,\n    \"1.15.3\"\n  }\n}\n";
        let out = extract_str(&MixLock, "mix.lock", lock).unwrap();
        assert_eq!(
            summarize(&out.packages),
            ["Hex|jason|1.4.1|pkg:hex/jason@1.4.1|2|", "Hex|plug|1.15.3|pkg:hex/plug@1.15.3|5|"]
        );
    }

    #[test]
    fn wants_only_the_canonical_name() {
        assert!(MixLock.wants(Path::new("apps/web/mix.lock")));
        assert!(!MixLock.wants(Path::new("mix.exs")));
        assert!(!MixLock.wants(Path::new("mix.lock.orig")));
    }

    #[test]
    fn empty_files_and_empty_maps_have_no_packages() {
        for lock in ["", "\n\n", "# nothing yet\n", "%{}\n", "%{\n}\n"] {
            assert_eq!(extract_str(&MixLock, "mix.lock", lock).unwrap(), Extracted::default(), "{lock:?}");
        }
    }

    #[test]
    fn truncated_files_are_errors_with_the_line() {
        let cut_in_entry = "%{\n  \"jason\": {:hex, :jason, \"1.4.1\", \"abc\", [:mix], [],\n";
        let err = extract_str(&MixLock, "mix.lock", cut_in_entry).unwrap_err();
        assert_eq!((err.path.as_str(), err.line), ("mix.lock", Some(3)));
        assert!(err.message.contains("unexpected end of file"), "{err}");

        let cut_in_string = "%{\n  \"jason\": {:hex, :jason, \"1.4.1\", \"ab\n";
        let err = extract_str(&MixLock, "mix.lock", cut_in_string).unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("unterminated string"), "{err}");
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let cases = [
            ("%{\n  \"a\" {:hex, :a, \"1.0.0\"}\n}", 2, "expected \"=>\""),
            ("%{\n  \"a\": {:hex, :a, \"1.0.0\"} \"b\"\n}", 2, "expected ',' or '}'"),
            ("%{\n  \"a\": {:hex, :a, \"1.0.0\" ; }\n}", 2, "expected ',' or '}'"),
            ("%{\n  \"a\": {:hex, :a, \"1.0.0\"}\n}\n%{}", 4, "unexpected text after the term"),
            ("%{\n  \"a\": {:hex, a, \"1.0.0\"}\n}", 2, "unexpected identifier \"a\""),
            ("%{\n  \"a\": {:hex, :, \"1.0.0\"}\n}", 2, "expected an atom name"),
            ("%{\n\n  \"a\": [x: :y, :z\n}", 4, "expected ',' or ']'"),
            ("x: 1", 1, "keyword key outside a list or map"),
            ("%{\n  \"a\": {:git, \"u\", \"c\", [depth: -x]}\n}", 2, "expected a digit"),
        ];
        for (lock, line, message) in cases {
            let err = extract_str(&MixLock, "mix.lock", lock).unwrap_err();
            assert_eq!(err.line, Some(line), "{lock:?}: {err}");
            assert!(err.message.contains(message), "{lock:?}: {err}");
        }
    }

    #[test]
    fn wrong_types_are_errors() {
        let cases = [
            ("[{:hex, :a, \"1.0.0\"}]", 1, "mix.lock is not a map"),
            ("%{\n  \"a\": [:hex, :a, \"1.0.0\"]\n}", 2, "lock entry \"a\" is not a tuple"),
            ("%{\n  \"a\": {\"hex\", :a, \"1.0.0\"}\n}", 2, "does not start with its SCM"),
            ("%{\n  \"a\": {:hex, \"a\", \"1.0.0\"}\n}", 2, "hex entry \"a\" has no package name and version"),
            ("%{\n  \"a\": {:hex, :a, :\"1.0.0\"}\n}", 2, "hex entry \"a\" has no package name and version"),
            ("%{\n  \"a\": {:hex, :a}\n}", 2, "hex entry \"a\" has no package name and version"),
            ("%{\n  \"a\": {:hex, :a, \"1.0.0\", \"x\", [], [], :hexpm}\n}", 2, "non-string repo"),
            ("%{\n  [1] => {:hex, :a, \"1.0.0\"}\n}", 2, "lock key is not a string or an atom"),
        ];
        for (lock, line, message) in cases {
            let err = extract_str(&MixLock, "mix.lock", lock).unwrap_err();
            assert_eq!(err.line, Some(line), "{lock:?}: {err}");
            assert!(err.message.contains(message), "{lock:?}: {err}");
        }
    }

    #[test]
    fn binary_junk_is_an_error() {
        let err = MixLock.extract(&Input::new(Path::new("mix.lock"), b"%{\n  \"a\": \xff\xfe\x00}")).unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("UTF-8"), "{err}");
        let err = extract_str(&MixLock, "mix.lock", "\u{0}\u{1}%{}").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("unexpected character"), "{err}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        for open in ["[", "{", "%{\"k\": "] {
            let lock = format!("%{{\"a\": {}", open.repeat(100_000));
            let err = extract_str(&MixLock, "mix.lock", &lock).unwrap_err();
            assert!(err.message.contains("nested deeper than 32 levels"), "{err}");
        }
        let nested_ok =
            format!("%{{\"a\": {{:hex, :a, \"1.0.0\", \"x\", [], [{}]}}}}", "[".repeat(29) + &"]".repeat(29));
        assert_eq!(extract_str(&MixLock, "mix.lock", &nested_ok).unwrap().packages.len(), 1);
    }

    #[test]
    fn a_large_lock_is_read_in_one_pass() {
        let mut lock = String::from("%{\n");
        for i in 0..20_000 {
            lock.push_str(&format!(
                "  \"pkg_{i}\": {{:hex, :pkg_{i}, \"1.0.{i}\", \"abc\", [:mix], [{{:dep, \"~> 1.0\", \
                 [hex: :dep, repo: \"hexpm\", optional: false]}}], \"hexpm\", \"def\"}},\n"
            ));
        }
        lock.push_str("}\n");
        let out = extract_str(&MixLock, "mix.lock", &lock).unwrap();
        assert_eq!(out.packages.len(), 20_000);
        assert_eq!(summarize(&out.packages[19_999..]), ["Hex|pkg_19999|1.0.19999|pkg:hex/pkg_19999@1.0.19999|20001|"]);
    }
}
