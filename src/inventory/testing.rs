//! Test helpers shared by the extractor tests: run an extractor on a fixture and
//! render packages as one compact line each, so a test states the exact expected list.

use std::path::{Path, PathBuf};

use super::{ExtractError, Extracted, Extractor, FileSource, Input};
use crate::model::{Package, Relationship};

/// The fixtures folder of the crate.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Reads other fixture files relative to `fixtures/`, the way a directory scan reads
/// files relative to its root.
pub struct FixtureFiles;

impl FileSource for FixtureFiles {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(fixtures().join(path))
    }
}

/// The text of `fixtures/<rel>`.
pub fn fixture_text(rel: &str) -> String {
    std::fs::read_to_string(fixtures().join(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// Runs `extractor` on a prefix of `content` ending at every third character boundary:
/// truncated files must give an error or a result, never a panic.
pub fn extract_every_prefix(extractor: &dyn Extractor, name: &str, content: &str) {
    for end in (0..content.len()).filter(|&end| content.is_char_boundary(end)).step_by(3) {
        let _ = extract_str(extractor, name, &content[..end]);
    }
}

/// Runs `extractor` on `fixtures/<rel>`; the location path is `rel`.
pub fn extract_fixture(extractor: &dyn Extractor, rel: &str) -> Result<Extracted, ExtractError> {
    let content = std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"));
    let path = Path::new(rel);
    assert!(extractor.wants(path), "{} does not want {rel}", extractor.id());
    extractor.extract(&Input { path, content: &content, files: &FixtureFiles })
}

/// Runs `extractor` on an in-memory file named `name`.
pub fn extract_str(extractor: &dyn Extractor, name: &str, content: &str) -> Result<Extracted, ExtractError> {
    extractor.extract(&Input::new(Path::new(name), content.as_bytes()))
}

/// `ecosystem|name|version|purl|line|flags`, e.g.
/// `npm|@babel/core|7.0.0|pkg:npm/%40babel/core@7.0.0|12|direct,dev`.
/// Flags: `direct`/`transitive` when known, then `dev`, `optional`.
pub fn summarize(packages: &[Package]) -> Vec<String> {
    packages
        .iter()
        .map(|p| {
            let mut flags = Vec::new();
            match p.relationship {
                Relationship::Direct => flags.push("direct"),
                Relationship::Transitive => flags.push("transitive"),
                Relationship::Unknown => {}
            }
            if p.dev {
                flags.push("dev");
            }
            if p.optional {
                flags.push("optional");
            }
            let line = line(p.location.line);
            format!("{}|{}|{}|{}|{}|{}", p.ecosystem, p.name, p.version, p.purl, line, flags.join(","))
        })
        .collect()
}

/// `declaration|line|reason` for each skipped declaration, `-` standing for no line.
pub fn skipped(out: &Extracted) -> Vec<String> {
    out.skipped.iter().map(|s| format!("{}|{}|{}", s.declaration, line(s.location.line), s.reason)).collect()
}

/// `line|declaration|reason`, for the tests that read skipped declarations by line.
pub fn skipped_line_first(out: &Extracted) -> Vec<String> {
    out.skipped.iter().map(|s| format!("{}|{}|{}", line(s.location.line), s.declaration, s.reason)).collect()
}

/// A line number, or `-` for none.
fn line(line: Option<u32>) -> String {
    line.map_or_else(|| "-".into(), |l| l.to_string())
}

/// `kind|name|version|purl|line` for each own package, `-` standing for no line.
pub fn own(out: &Extracted) -> Vec<String> {
    out.own
        .iter()
        .map(|o| {
            let p = &o.package;
            format!("{}|{}|{}|{}|{}", o.kind.as_str(), p.name, p.version, p.purl, line(p.location.line))
        })
        .collect()
}
