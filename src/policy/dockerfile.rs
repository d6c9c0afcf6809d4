//! A Dockerfile parser that follows BuildKit's reading of the syntax, so the policy rules
//! see the instructions `docker build` would run and the base images it would pull.
//!
//! What it understands: parser directives (`# escape=`, `# syntax=`, `# check=`), line
//! continuations with the escape character (`\`, or a backtick for Windows images),
//! comments (also between continued lines), heredocs (`RUN <<EOF … EOF`, `<<-EOF`, quoted
//! delimiters, several per instruction), exec (JSON) versus shell form, case-insensitive
//! keywords, leading `--flags`, global `ARG`s (before the first `FROM`) substituted into
//! `FROM` the way BuildKit does (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:+alt}`, `${VAR+alt}`), multi-stage aliases and `scratch`.
//!
//! It is bounded: the input is capped at [`MAX_DOCKERFILE_BYTES`], and nested variable
//! defaults are expanded at most [`MAX_EXPANSION_DEPTH`] levels deep.

use std::collections::HashMap;
use std::ops::Range;

use crate::image::reference::RegistryRef;

#[cfg(test)]
mod tests;

/// Larger Dockerfiles are refused (real ones are a few KiB).
pub const MAX_DOCKERFILE_BYTES: usize = 1 << 20;
/// How deeply `${A:-${B:-…}}` defaults may nest.
pub const MAX_EXPANSION_DEPTH: usize = 8;

/// Every instruction keyword BuildKit accepts.
const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];
/// Instructions whose leading `--name[=value]` words are flags.
const FLAGGED: &[&str] = &["ADD", "COPY", "FROM", "HEALTHCHECK", "RUN"];
/// Instructions that may take the exec (JSON array) form.
const JSON_FORM: &[&str] = &["ADD", "CMD", "COPY", "ENTRYPOINT", "RUN", "SHELL", "VOLUME"];
/// Instructions that may carry heredocs.
const HEREDOC: &[&str] = &["ADD", "COPY", "RUN"];

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq)]
pub struct Dockerfile {
    /// The escape character: `\` unless a `# escape=` directive says `` ` ``.
    pub escape: char,
    /// Parser directives at the top of the file, keys lowercased (`syntax`, `escape`, `check`).
    pub directives: Vec<(String, String)>,
    /// ARGs declared before the first FROM, with their values after substitution and
    /// build-arg overrides (`None`: declared without a value).
    pub global_args: Vec<(String, Option<String>)>,
    /// Every instruction, in file order.
    pub instructions: Vec<Instruction>,
    /// The build stages, in file order.
    pub stages: Vec<Stage>,
}

/// One instruction, continuation lines joined.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// Uppercased: `RUN`, `FROM`.
    pub keyword: String,
    /// The raw text after the keyword and its flags, continuations joined (escape character
    /// and newline removed), no variable substitution, no unquoting.
    pub args: String,
    /// Leading `--name[=value]` flags (`--platform`, `--from`, `--chown`, `--mount`, `--checksum`…).
    pub flags: Vec<Flag>,
    /// The exec form's arguments when `args` is a JSON array of strings.
    pub exec: Option<Vec<String>>,
    /// Heredoc bodies, in the order their markers appear.
    pub heredocs: Vec<Heredoc>,
    /// 1-based line of the keyword.
    pub line: u32,
    /// 1-based last line, continuations and heredoc bodies included.
    pub end_line: u32,
    /// Index into [`Dockerfile::stages`]; `None` for global ARGs.
    pub stage: Option<usize>,
}

/// A `--name[=value]` flag of an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Without the dashes, lowercased: `platform`, `from`.
    pub name: String,
    /// The value after `=`; `None` for a bare flag.
    pub value: Option<String>,
}

/// `<<EOF … EOF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The word that ends the body.
    pub delimiter: String,
    /// The lines between marker and delimiter, each ending in `\n` (leading tabs removed for `<<-`).
    pub body: String,
    /// 1-based line of the body's first line.
    pub line: u32,
    /// `false` when the delimiter is quoted (`<<"EOF"`): the body is taken literally.
    pub expand: bool,
}

/// A build stage: a FROM and the instructions up to the next one.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// The image or stage the FROM names.
    pub from: FromImage,
    /// `AS name`, lowercased (stage names are case-insensitive).
    pub alias: Option<String>,
    /// `--platform=` as written.
    pub platform: Option<String>,
    /// Line of the FROM.
    pub line: u32,
    /// The stage's instructions in [`Dockerfile::instructions`], its FROM first.
    pub instructions: Range<usize>,
}

/// What a FROM builds on.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, Clone, PartialEq)]
pub enum FromImage {
    /// An image from a registry. `parsed` is `None` when the reference does not follow the
    /// distribution grammar (docker would refuse it too).
    Image { reference: String, parsed: Option<RegistryRef> },
    /// An earlier stage, by its (lowercased) alias.
    Stage(String),
    /// `scratch`: the empty image.
    Scratch,
    /// The reference as written, when it uses a variable that has no value.
    Unresolved(String),
}

/// Why a Dockerfile could not be parsed; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ParseError {
    /// The line the error is on.
    pub line: u32,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// What is wrong with a Dockerfile.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// The file is over the size limit.
    #[error("the Dockerfile is {size} bytes, more than the {max}-byte limit")]
    TooLarge { size: usize, max: usize },
    /// An `escape` directive other than `\` or `` ` ``.
    #[error("invalid escape directive {0:?}: it must be \\ or `")]
    BadEscape(String),
    /// A keyword that is no Dockerfile instruction.
    #[error("unknown instruction {0:?}")]
    UnknownInstruction(String),
    /// A heredoc whose delimiter never comes.
    #[error("heredoc <<{0} is never terminated")]
    UnterminatedHeredoc(String),
    /// An exec form that is not a JSON array of strings.
    #[error("{keyword}: not a JSON array of strings ({reason})")]
    BadJson { keyword: String, reason: String },
    /// An instruction other than ARG before the first FROM.
    #[error("{0} before the first FROM (only ARG may come before it)")]
    InstructionBeforeFrom(String),
    /// The file has no FROM.
    #[error("no FROM instruction")]
    MissingFrom,
    /// A FROM that cannot be read.
    #[error("FROM: {0}")]
    BadFrom(String),
}

impl ParseError {
    fn new(line: u32, kind: ParseErrorKind) -> Self {
        ParseError { line, kind }
    }
}

impl Dockerfile {
    /// Parses a Dockerfile with no build-arg overrides.
    pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
        Dockerfile::parse_with_build_args(text, &[])
    }

    /// Parses a Dockerfile; `build_args` (`--build-arg NAME=value`) override the defaults of
    /// the global ARGs they name, as BuildKit applies them to FROM.
    pub fn parse_with_build_args(text: &str, build_args: &[(&str, &str)]) -> Result<Dockerfile, ParseError> {
        if text.len() > MAX_DOCKERFILE_BYTES {
            let kind = ParseErrorKind::TooLarge { size: text.len(), max: MAX_DOCKERFILE_BYTES };
            return Err(ParseError::new(1, kind));
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<&str> = text.lines().collect();
        let (directives, escape, first) = read_directives(&lines)?;
        let instructions = read_instructions(&lines, first, escape)?;
        let mut dockerfile =
            Dockerfile { escape, directives, global_args: Vec::new(), instructions, stages: Vec::new() };
        dockerfile.build_stages(build_args, lines.len())?;
        Ok(dockerfile)
    }

    /// The instructions of stage `index`, its FROM first.
    pub fn stage_instructions(&self, index: usize) -> &[Instruction] {
        self.stages.get(index).map_or(&[], |s| &self.instructions[s.instructions.clone()])
    }

    /// The stage an alias names (the latest one declared with it).
    pub fn stage_by_alias(&self, alias: &str) -> Option<usize> {
        self.stages.iter().rposition(|s| s.alias.as_deref() == Some(alias))
    }

    /// Splits instructions into stages, resolving global ARGs into each FROM.
    fn build_stages(&mut self, build_args: &[(&str, &str)], line_count: usize) -> Result<(), ParseError> {
        let mut globals: HashMap<String, Option<String>> = HashMap::new();
        for index in 0..self.instructions.len() {
            let ins = &self.instructions[index];
            match (ins.keyword.as_str(), self.stages.is_empty()) {
                ("FROM", _) => {
                    let stage = self.parse_from(ins, &globals, index)?;
                    if let Some(last) = self.stages.last_mut() {
                        last.instructions.end = index;
                    }
                    self.stages.push(stage);
                }
                ("ARG", true) => {
                    for (name, value) in arg_declarations(&ins.args, self.escape) {
                        let value = match build_args.iter().find(|(n, _)| *n == name) {
                            Some((_, v)) => Some(v.to_string()),
                            None => value.map(|v| expand(&v, &globals, self.escape).text),
                        };
                        globals.insert(name.clone(), value.clone());
                        self.global_args.push((name, value));
                    }
                }
                (keyword, true) => {
                    return Err(ParseError::new(ins.line, ParseErrorKind::InstructionBeforeFrom(keyword.to_string())));
                }
                _ => {}
            }
            if !self.stages.is_empty() {
                self.instructions[index].stage = Some(self.stages.len() - 1);
            }
        }
        let count = self.instructions.len();
        match self.stages.last_mut() {
            Some(last) => last.instructions.end = count,
            None => return Err(ParseError::new(line_count.max(1) as u32, ParseErrorKind::MissingFrom)),
        }
        Ok(())
    }

    /// `FROM [--platform=…] image [AS name]`.
    fn parse_from(
        &self,
        ins: &Instruction,
        globals: &HashMap<String, Option<String>>,
        index: usize,
    ) -> Result<Stage, ParseError> {
        let bad = |why: &str| ParseError::new(ins.line, ParseErrorKind::BadFrom(why.to_string()));
        let words: Vec<&str> = ins.args.split_whitespace().collect();
        let (image, alias) = match words.as_slice() {
            [image] => (*image, None),
            [image, kw, name] if kw.eq_ignore_ascii_case("as") => (*image, Some(name.to_ascii_lowercase())),
            [] => return Err(bad("an image is required")),
            _ => return Err(bad("expected `FROM image [AS name]`")),
        };
        let expanded = expand(image, globals, self.escape);
        let from = if expanded.unresolved || expanded.text.is_empty() {
            FromImage::Unresolved(image.to_string())
        } else if expanded.text.eq_ignore_ascii_case("scratch") {
            FromImage::Scratch
        } else if let Some(stage) = self.stage_alias(&expanded.text.to_ascii_lowercase()) {
            FromImage::Stage(stage)
        } else {
            let parsed = RegistryRef::parse(&expanded.text).ok();
            FromImage::Image { reference: expanded.text, parsed }
        };
        let platform = ins.flag("platform").map(str::to_string);
        Ok(Stage { from, alias, platform, line: ins.line, instructions: index..index + 1 })
    }

    fn stage_alias(&self, name: &str) -> Option<String> {
        self.stages.iter().filter_map(|s| s.alias.as_ref()).find(|a| *a == name).cloned()
    }
}

impl Instruction {
    /// The value of flag `--name` (`Some("")` for a bare `--name`).
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().find(|f| f.name == name).map(|f| f.value.as_deref().unwrap_or(""))
    }

    /// Whether the instruction has flag `--name`.
    pub fn has_flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f.name == name)
    }
}

/// Parser directives, the escape character and the index of the first line after them.
type Directives = (Vec<(String, String)>, char, usize);

/// Reads the parser directives at the top of the file.
fn read_directives(lines: &[&str]) -> Result<Directives, ParseError> {
    let mut directives = Vec::new();
    let mut escape = '\\';
    for (index, line) in lines.iter().enumerate() {
        let Some((key, value)) = directive(line) else {
            return Ok((directives, escape, index));
        };
        if key == "escape" {
            escape = match value.as_str() {
                "\\" => '\\',
                "`" => '`',
                _ => return Err(ParseError::new(index as u32 + 1, ParseErrorKind::BadEscape(value))),
            };
        }
        directives.push((key, value));
    }
    Ok((directives, escape, lines.len()))
}

/// `# key=value` for the directives BuildKit knows; anything else ends the directives.
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim().strip_prefix('#')?;
    let (key, value) = rest.split_once('=')?;
    let key = key.trim().to_ascii_lowercase();
    let value = value.trim();
    let known = matches!(key.as_str(), "escape" | "syntax" | "check");
    (known && !value.is_empty()).then(|| (key, value.to_string()))
}

fn is_blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// Strips a trailing escape character (and the whitespace after it): `(content, continues)`.
fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(content) => (content, true),
        None => (line, false),
    }
}

/// Reads the instructions from line index `start` on.
fn read_instructions(lines: &[&str], start: usize, escape: char) -> Result<Vec<Instruction>, ParseError> {
    let mut instructions = Vec::new();
    let mut index = start;
    while index < lines.len() {
        if is_blank_or_comment(lines[index]) {
            index += 1;
            continue;
        }
        let first = index;
        let logical = join_continuation(lines, &mut index, escape);
        let mut ins = instruction(&logical, first as u32 + 1, escape)?;
        for (delimiter, strip_tabs, expand) in heredoc_markers(&ins.keyword, &ins.args) {
            let heredoc = read_heredoc(lines, &mut index, delimiter, strip_tabs, expand)
                .map_err(|d| ParseError::new(ins.line, ParseErrorKind::UnterminatedHeredoc(d)))?;
            ins.heredocs.push(heredoc);
        }
        ins.end_line = index as u32;
        instructions.push(ins);
    }
    Ok(instructions)
}

/// Joins a logical line from `*index` on, skipping comment and blank lines between
/// continued lines (as BuildKit does); leaves `*index` after the last line used.
fn join_continuation(lines: &[&str], index: &mut usize, escape: char) -> String {
    let mut logical = String::new();
    while *index < lines.len() {
        let (content, continues) = strip_continuation(lines[*index], escape);
        *index += 1;
        logical.push_str(content);
        if !continues {
            break;
        }
        while *index < lines.len() && is_blank_or_comment(lines[*index]) {
            *index += 1;
        }
    }
    logical
}

/// Splits a logical line into keyword, flags and arguments, and reads the exec form.
fn instruction(logical: &str, line: u32, escape: char) -> Result<Instruction, ParseError> {
    let logical = logical.trim();
    let (word, rest) = logical.split_once(char::is_whitespace).unwrap_or((logical, ""));
    let keyword = word.to_ascii_uppercase();
    if !KEYWORDS.contains(&keyword.as_str()) {
        return Err(ParseError::new(line, ParseErrorKind::UnknownInstruction(word.to_string())));
    }
    let mut rest = rest.trim_start();
    let mut flags = Vec::new();
    if FLAGGED.contains(&keyword.as_str()) {
        while let Some(flag) = rest.strip_prefix("--") {
            let (word, after) = flag.split_once(char::is_whitespace).unwrap_or((flag, ""));
            let (name, value) = match word.split_once('=') {
                Some((name, value)) => (name, Some(unquote(value, escape))),
                None => (word, None),
            };
            flags.push(Flag { name: name.to_ascii_lowercase(), value });
            rest = after.trim_start();
        }
    }
    let exec = exec_form(&keyword, rest)
        .map_err(|reason| ParseError::new(line, ParseErrorKind::BadJson { keyword: keyword.clone(), reason }))?;
    let args = rest.to_string();
    Ok(Instruction { keyword, args, flags, exec, heredocs: Vec::new(), line, end_line: line, stage: None })
}

/// The exec form's arguments. Like BuildKit, text that is not a JSON array of strings is
/// the shell form, except for SHELL (which must be JSON) and text starting with `["`,
/// which can only be a broken array.
fn exec_form(keyword: &str, args: &str) -> Result<Option<Vec<String>>, String> {
    if !JSON_FORM.contains(&keyword) {
        return Ok(None);
    }
    let args = args.trim();
    let must = keyword == "SHELL" || args.strip_prefix('[').is_some_and(|r| r.trim_start().starts_with('"'));
    if !args.starts_with('[') && !must {
        return Ok(None);
    }
    match serde_json::from_str::<Vec<String>>(args) {
        Ok(words) => Ok(Some(words)),
        Err(e) if must => Err(e.to_string()),
        Err(_) => Ok(None),
    }
}

/// Heredoc markers in an instruction's arguments: `(delimiter, strip tabs, expand)`.
fn heredoc_markers(keyword: &str, args: &str) -> Vec<(String, bool, bool)> {
    if !HEREDOC.contains(&keyword) {
        return Vec::new();
    }
    let bytes = args.as_bytes();
    let mut markers = Vec::new();
    let mut quote = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if bytes[i..].starts_with(b"<<") && (i == 0 || bytes[i - 1] != b'<') => {
                if let Some((marker, len)) = heredoc_marker(&args[i + 2..]) {
                    markers.push(marker);
                    i += 2 + len;
                    continue;
                }
            }
            None => {}
        }
        i += 1;
    }
    markers
}

/// Parses `[-]["']WORD["']` after `<<`; returns the marker and the length read.
fn heredoc_marker(s: &str) -> Option<((String, bool, bool), usize)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let strip_tabs = bytes.first() == Some(&b'-');
    if strip_tabs {
        i += 1;
    }
    let quote = bytes.get(i).copied().filter(|b| *b == b'"' || *b == b'\'');
    if quote.is_some() {
        i += 1;
    }
    let start = i;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
        i += 1;
    }
    if i == start || bytes[start].is_ascii_digit() {
        return None;
    }
    let word = s[start..i].to_string();
    if let Some(q) = quote {
        if bytes.get(i) != Some(&q) {
            return None;
        }
        i += 1;
    }
    Some(((word, strip_tabs, quote.is_none()), i))
}

/// Reads a heredoc body from `*index` up to its delimiter; `Err(delimiter)` at end of file.
fn read_heredoc(
    lines: &[&str],
    index: &mut usize,
    delimiter: String,
    strip_tabs: bool,
    expand: bool,
) -> Result<Heredoc, String> {
    let line = *index as u32 + 1;
    let mut body = String::new();
    while *index < lines.len() {
        let raw = lines[*index];
        *index += 1;
        let text = if strip_tabs { raw.trim_start_matches('\t') } else { raw };
        if text == delimiter {
            return Ok(Heredoc { delimiter, body, line, expand });
        }
        body.push_str(text);
        body.push('\n');
    }
    Err(delimiter)
}

/// `ARG A B=1 C="x y"`: names and (unquoted, unexpanded) default values.
fn arg_declarations(args: &str, escape: char) -> Vec<(String, Option<String>)> {
    raw_words(args, escape)
        .into_iter()
        .map(|word| match word.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (word, None),
        })
        .collect()
}

/// Splits on unquoted whitespace, keeping quotes and escapes (for later expansion).
pub fn raw_words(s: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, quote) {
            (c, _) if c == escape => {
                word.push(c);
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            (c, Some(q)) if c == q => {
                word.push(c);
                quote = None;
            }
            ('"' | '\'', None) => {
                word.push(c);
                quote = Some(c);
            }
            (c, None) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (c, _) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Shell-like words with quotes and escapes removed, variables left as written.
pub fn words(s: &str, escape: char) -> Vec<String> {
    raw_words(s, escape).iter().map(|w| unquote(w, escape)).collect()
}

/// Removes quotes and escapes from one word.
pub fn unquote(word: &str, escape: char) -> String {
    let mut out = String::new();
    let mut quote = None;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match (c, quote) {
            ('\'', Some('\'')) => quote = None,
            (c, Some('\'')) => out.push(c),
            (c, _) if c == escape => out.extend(chars.next()),
            ('"', Some(_)) => quote = None,
            ('"' | '\'', None) => quote = Some(c),
            (c, _) => out.push(c),
        }
    }
    out
}

/// The result of substituting variables into a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    /// The word after substitution.
    pub text: String,
    /// A variable without a value was used (not covered by a default).
    pub unresolved: bool,
}

/// Substitutes `vars` into `word` (BuildKit's subset: `$V`, `${V}`, `${V:-d}`, `${V-d}`,
/// `${V:+a}`, `${V+a}`, `${V:?m}`, `${V?m}`) and removes quotes; single quotes and the
/// escape character keep text literal. A variable maps to `None` when declared without value.
pub fn expand(word: &str, vars: &HashMap<String, Option<String>>, escape: char) -> Expanded {
    let mut expander = Expander { vars, escape, unresolved: false };
    let text = expander.expand(word, 0);
    Expanded { text, unresolved: expander.unresolved }
}

struct Expander<'a> {
    vars: &'a HashMap<String, Option<String>>,
    escape: char,
    unresolved: bool,
}

impl Expander<'_> {
    fn expand(&mut self, word: &str, depth: usize) -> String {
        if depth > MAX_EXPANSION_DEPTH {
            self.unresolved = true;
            return String::new();
        }
        let mut out = String::new();
        let mut single = false;
        let mut double = false;
        let mut i = 0;
        while let Some(c) = word[i..].chars().next() {
            i += c.len_utf8();
            match c {
                '\'' if !double => single = !single,
                _ if single => out.push(c),
                '"' => double = !double,
                c if c == self.escape => {
                    if let Some(next) = word[i..].chars().next() {
                        out.push(next);
                        i += next.len_utf8();
                    }
                }
                '$' => i += self.variable(&word[i..], depth, &mut out),
                c => out.push(c),
            }
        }
        out
    }

    /// Expands the variable after a `$` into `out`; returns the bytes consumed.
    fn variable(&mut self, s: &str, depth: usize, out: &mut String) -> usize {
        if let Some(braced) = s.strip_prefix('{') {
            let Some(close) = matching_brace(braced) else {
                out.push('$');
                return 0;
            };
            out.push_str(&self.braced(&braced[..close], depth));
            return close + 2;
        }
        let len = name_len(s);
        if len == 0 {
            out.push('$');
            return 0;
        }
        out.push_str(&self.lookup(&s[..len]).unwrap_or_else(|| {
            self.unresolved = true;
            String::new()
        }));
        len
    }

    /// `NAME`, `NAME:-word`, `NAME-word`, `NAME:+word`, `NAME+word`, `NAME:?word`, `NAME?word`.
    fn braced(&mut self, inner: &str, depth: usize) -> String {
        let len = name_len(inner);
        let value = self.lookup(&inner[..len]);
        let rest = &inner[len..];
        let (colon, rest) = match rest.strip_prefix(':') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let set = value.as_ref().is_some_and(|v| !colon || !v.is_empty());
        let op = rest.chars().next();
        let operand = rest.get(1..).unwrap_or("");
        match (op, set) {
            (Some('-'), false) => self.expand(operand, depth + 1),
            (Some('+'), true) => self.expand(operand, depth + 1),
            (Some('+'), false) => String::new(),
            (Some('-' | '?'), true) | (None, true) => value.unwrap_or_default(),
            _ => {
                self.unresolved = true;
                String::new()
            }
        }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned().flatten()
    }
}

/// Length of a variable name at the start of `s`.
fn name_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    if bytes.first().is_none_or(|b| b.is_ascii_digit()) {
        return 0;
    }
    bytes.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count()
}

/// Index of the `}` closing a `${` whose content starts `s`, nested `${…}` skipped.
fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}
