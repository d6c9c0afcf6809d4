//! `Gemfile.lock` and `gems.locked`, Bundler's lockfile (all versions up to the `CHECKSUMS`
//! section of Bundler 2.5).
//!
//! The file is a list of sections with a header at column 0. Source sections (`GEM`, `GIT`,
//! `PATH`, `PLUGIN SOURCE`) carry `  key: value` options and a `  specs:` list where each
//! line indented by exactly four spaces is one locked gem, `name (version[-platform])`, and
//! six-space lines are that gem's dependency constraints (not packages). Decisions:
//!
//! - Gems from `GEM` sources are packages. A registry other than rubygems.org becomes the
//!   purl's `repository_url` (when the section names a single remote).
//! - Gems from `GIT` sources are packages too: Bundler locks them by name and version like
//!   registry gems, and advisories about that gem apply to its source at that version. The
//!   purl records where they came from: `vcs_url=git+<remote>@<revision>`.
//! - Gems from `PATH` (local directories, usually the project's own engines, or with
//!   `remote: .` the gems of the project itself, as in Rails) are the project's own
//!   packages: listed apart as local paths, never matched, since their code is not the
//!   published gem of that name. `PLUGIN SOURCE` gems (arbitrary plugin-defined
//!   sources) are skipped.
//! - A platform-specific gem (`nokogiri (1.16.2-x86_64-linux)`) is version `1.16.2` with
//!   the purl qualifier `platform=x86_64-linux`. A gem locked for several platforms is one
//!   package per spec line (as osv-scanner does): each is a different artifact, and the
//!   lines tell the user which platforms are affected.
//! - Names listed under `DEPENDENCIES` (the Gemfile's own gems; `!` marks a non-default
//!   source) are direct, the others transitive; without that section it is unknown. The
//!   lockfile does not record Gemfile groups, so nothing is marked dev.
//! - `PLATFORMS`, `CHECKSUMS`, `RUBY VERSION` and `BUNDLED WITH` describe the environment,
//!   not packages. A merge-conflict marker is an error, as in Bundler. An empty file is no
//!   packages (Bundler treats an empty lockfile as absent); a non-empty file without any
//!   Bundler section is an error rather than a silent empty result.

use std::collections::HashSet;
use std::path::Path;

use super::{relationship, ExtractError, Extracted, Extractor, Input};
use crate::model::{EcosystemKind, Location, OwnKind, OwnPackage, Package, Skipped};

pub struct GemfileLock;

impl Extractor for GemfileLock {
    fn id(&self) -> &'static str {
        "ruby/gemfile-lock"
    }

    fn wants(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "Gemfile.lock" || n == "gems.locked")
    }

    fn extract(&self, input: &Input<'_>) -> Result<Extracted, ExtractError> {
        let text = input.text()?;
        let lock = parse(text).map_err(|(line, message)| input.error(Some(line), message))?;
        Ok(lock.inventory(input.path))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SourceKind {
    Gem,
    Git,
    Path,
    Plugin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    /// The index of the source in [`Lockfile::sources`].
    Source(usize),
    Dependencies,
    /// `PLATFORMS`, `CHECKSUMS`, `RUBY VERSION`, `BUNDLED WITH` and unknown sections.
    Other,
}

#[derive(Debug)]
struct Source<'a> {
    kind: SourceKind,
    remotes: Vec<&'a str>,
    revision: Option<&'a str>,
    plugin_type: Option<&'a str>,
    /// Whether the `  specs:` line has been seen.
    in_specs: bool,
}

#[derive(Debug)]
struct Spec<'a> {
    name: &'a str,
    version: &'a str,
    platform: Option<&'a str>,
    source: usize,
    line: u32,
}

#[derive(Debug, Default)]
struct Lockfile<'a> {
    sources: Vec<Source<'a>>,
    specs: Vec<Spec<'a>>,
    /// `None` when there is no `DEPENDENCIES` section.
    direct: Option<HashSet<&'a str>>,
}

type ParseError = (u32, String);

fn parse(text: &str) -> Result<Lockfile<'_>, ParseError> {
    let mut lock = Lockfile::default();
    let mut section = None;
    let mut saw_content = false;
    for (index, raw_line) in text.split('\n').enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        if line.trim().is_empty() {
            continue;
        }
        saw_content = true;
        if ["<<<<<<<", "=======", ">>>>>>>"].iter().any(|m| line.starts_with(m)) {
            return Err((number, "unresolved merge conflict; resolve it and run `bundle install`".into()));
        }
        // Bundler: a line starting with anything but whitespace is a section header.
        if !line.starts_with(char::is_whitespace) {
            section = Some(lock.open_section(line.trim_end()));
            continue;
        }
        match section {
            Some(Section::Source(index)) => lock.source_line(index, line, number)?,
            Some(Section::Dependencies) => {
                if let Some(name) = dependency_name(line) {
                    lock.direct.get_or_insert_with(HashSet::new).insert(name);
                }
            }
            Some(Section::Other) | None => {}
        }
    }
    if saw_content && lock.sources.is_empty() && lock.direct.is_none() {
        return Err((1, "not a Bundler lockfile: no GEM, GIT, PATH or DEPENDENCIES section".into()));
    }
    Ok(lock)
}

impl<'a> Lockfile<'a> {
    fn open_section(&mut self, header: &str) -> Section {
        let kind = match header {
            "GEM" => SourceKind::Gem,
            "GIT" => SourceKind::Git,
            "PATH" => SourceKind::Path,
            "PLUGIN SOURCE" => SourceKind::Plugin,
            "DEPENDENCIES" => {
                self.direct.get_or_insert_with(HashSet::new);
                return Section::Dependencies;
            }
            _ => return Section::Other,
        };
        self.sources.push(Source { kind, remotes: Vec::new(), revision: None, plugin_type: None, in_specs: false });
        Section::Source(self.sources.len() - 1)
    }

    /// One indented line of a source section: an option, `specs:`, a spec or a dependency.
    fn source_line(&mut self, index: usize, line: &'a str, number: u32) -> Result<(), ParseError> {
        let Some(source) = self.sources.get_mut(index) else { return Ok(()) };
        if line == "  specs:" {
            source.in_specs = true;
            return Ok(());
        }
        if let Some((key, value)) = option(line) {
            match key {
                "remote" => source.remotes.push(value),
                "revision" => source.revision = Some(value),
                "type" => source.plugin_type = Some(value),
                _ => {}
            }
            return Ok(());
        }
        // Only lines indented by exactly four spaces are locked gems.
        let Some(spec) = line.strip_prefix("    ").filter(|rest| !rest.starts_with(' ')) else {
            return Ok(());
        };
        if !source.in_specs {
            return Err((number, format!("gem {spec:?} outside a specs: list")));
        }
        let (name, version, platform) = parse_spec(spec).map_err(|message| (number, message))?;
        self.specs.push(Spec { name, version, platform, source: index, line: number });
        Ok(())
    }

    fn inventory(&self, path: &Path) -> Extracted {
        let mut out = Extracted::default();
        for spec in &self.specs {
            let location = Location::new(path, Some(spec.line));
            let Some(source) = self.sources.get(spec.source) else { continue };
            let declaration = match spec.platform {
                Some(platform) => format!("{} ({}-{platform})", spec.name, spec.version),
                None => format!("{} ({})", spec.name, spec.version),
            };
            let skip_reason = match source.kind {
                SourceKind::Path => {
                    let mut own = OwnPackage::new(
                        OwnKind::Path,
                        EcosystemKind::RubyGems,
                        spec.name,
                        Some(spec.version),
                        location,
                    );
                    if let Some(platform) = spec.platform {
                        own.package.purl = own.package.purl.with_qualifier("platform", platform);
                    }
                    out.own.push(own);
                    continue;
                }
                SourceKind::Plugin => {
                    Some(format!("gem from a Bundler plugin source ({})", source.plugin_type.unwrap_or("unknown type")))
                }
                SourceKind::Gem | SourceKind::Git => None,
            };
            if let Some(reason) = skip_reason {
                out.skipped.push(Skipped { location, declaration, reason });
                continue;
            }
            out.packages.push(self.package(spec, source, location));
        }
        out
    }

    fn package(&self, spec: &Spec<'_>, source: &Source<'_>, location: Location) -> Package {
        let relationship = relationship(self.direct.as_ref().map(|d| d.contains(spec.name)));
        let mut package =
            Package::new(EcosystemKind::RubyGems, spec.name, spec.version, location).with_relationship(relationship);
        if let Some(platform) = spec.platform {
            package.purl = package.purl.with_qualifier("platform", platform);
        }
        match (source.kind, source.remotes.as_slice()) {
            (SourceKind::Git, [remote, ..]) => {
                let vcs_url = match source.revision {
                    Some(revision) => format!("git+{remote}@{revision}"),
                    None => format!("git+{remote}"),
                };
                package.purl = package.purl.with_qualifier("vcs_url", vcs_url);
            }
            (SourceKind::Gem, [remote]) if !is_rubygems_org(remote) => {
                package.purl = package.purl.with_qualifier("repository_url", *remote);
            }
            _ => {}
        }
        package
    }
}

/// `  key: value`, Bundler's source option line (two spaces, a word, a colon).
fn option(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("  ")?;
    let (key, value) = rest.split_once(": ")?;
    (!key.is_empty() && key.bytes().all(|b| b.is_ascii_alphabetic())).then_some((key, value))
}

/// `name (version[-platform])` after the four spaces, split the way Bundler's lockfile
/// parser does: the version runs to the first `-`, the platform is the rest.
fn parse_spec(spec: &str) -> Result<(&str, &str, Option<&str>), String> {
    let (name, rest) = spec.split_once(" (").ok_or_else(|| format!("gem {spec:?} has no (version)"))?;
    let inside = rest
        .strip_suffix(")!")
        .or_else(|| rest.strip_suffix(')'))
        .ok_or_else(|| format!("gem {spec:?}: unterminated (version)"))?;
    let (version, platform) = match inside.split_once('-') {
        Some((version, platform)) => (version, Some(platform)),
        None => (inside, None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!("gem {spec:?}: invalid name"));
    }
    if !is_gem_version(version) {
        return Err(format!("gem {name}: invalid version {version:?}"));
    }
    if platform.is_some_and(|p| p.is_empty() || p.contains(char::is_whitespace)) {
        return Err(format!("gem {name}: invalid platform in {inside:?}"));
    }
    Ok((name, version, platform))
}

/// Gem::Version's release form: digits, then dot-separated alphanumeric segments
/// (`1.2.3`, `7.1.0.rc1`, `3.0.9.1`).
fn is_gem_version(version: &str) -> bool {
    let mut segments = version.split('.');
    let first_is_number = segments.next().is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    first_is_number && segments.all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The gem name of a `DEPENDENCIES` line: `  name`, `  name (>= 1)`, `  name!`.
fn dependency_name(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("  ").filter(|r| !r.starts_with(' '))?;
    let name = rest.split(" (").next().unwrap_or(rest).trim_end_matches('!');
    (!name.is_empty()).then_some(name)
}

fn is_rubygems_org(remote: &str) -> bool {
    let host = remote.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
    host == "rubygems.org" || host == "www.rubygems.org"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testing::{extract_fixture, extract_str, own, skipped_line_first, summarize};

    fn error_of(content: &str) -> ExtractError {
        extract_str(&GemfileLock, "Gemfile.lock", content).unwrap_err()
    }

    #[test]
    fn wants_both_lockfile_names() {
        assert!(GemfileLock.wants(Path::new("app/Gemfile.lock")));
        assert!(GemfileLock.wants(Path::new("gems.locked")));
        assert!(!GemfileLock.wants(Path::new("Gemfile")));
        assert!(!GemfileLock.wants(Path::new("gems.rb")));
    }

    #[test]
    fn bundler_2_5_with_git_path_platforms_and_checksums() {
        let out = extract_fixture(&GemfileLock, "inventory/gemfile/rails-app/Gemfile.lock").unwrap();
        let git = "vcs_url=git%2Bhttps://github.com/rails/rails.git%405f3c0ed8c5d0c5a6b1b3d4f0cb0f8b2e3e2f1a7c";
        assert_eq!(
            summarize(&out.packages),
            [
                format!("RubyGems|actionpack|7.1.3.2|pkg:gem/actionpack@7.1.3.2?{git}|6|direct"),
                format!("RubyGems|actionview|7.1.3.2|pkg:gem/actionview@7.1.3.2?{git}|10|transitive"),
                format!("RubyGems|activesupport|7.1.3.2|pkg:gem/activesupport@7.1.3.2?{git}|13|transitive"),
                "RubyGems|concurrent-ruby|1.2.3|pkg:gem/concurrent-ruby@1.2.3|26|transitive".into(),
                "RubyGems|erubi|1.12.0|pkg:gem/erubi@1.12.0|27|transitive".into(),
                "RubyGems|i18n|1.14.4|pkg:gem/i18n@1.14.4|28|transitive".into(),
                "RubyGems|mini_portile2|2.8.5|pkg:gem/mini_portile2@2.8.5|30|transitive".into(),
                "RubyGems|nokogiri|1.16.2|pkg:gem/nokogiri@1.16.2|31|direct".into(),
                "RubyGems|nokogiri|1.16.2|pkg:gem/nokogiri@1.16.2?platform=arm64-darwin|34|direct".into(),
                "RubyGems|nokogiri|1.16.2|pkg:gem/nokogiri@1.16.2?platform=x86_64-linux|36|direct".into(),
                "RubyGems|racc|1.7.3|pkg:gem/racc@1.7.3|38|transitive".into(),
                "RubyGems|rack|3.0.9.1|pkg:gem/rack@3.0.9.1|39|transitive".into(),
                "RubyGems|rspec-core|3.13.0|pkg:gem/rspec-core@3.13.0|40|direct".into(),
                "RubyGems|rspec-support|3.13.1|pkg:gem/rspec-support@3.13.1|42|transitive".into(),
            ]
        );
        assert!(out.skipped.is_empty());
        assert_eq!(own(&out), ["path|billing|0.1.0|pkg:gem/billing@0.1.0|20"]);
        assert_eq!(out.packages[0].location.path, "inventory/gemfile/rails-app/Gemfile.lock");
    }

    #[test]
    fn bundler_1_with_several_remotes_and_a_private_source() {
        let out = extract_fixture(&GemfileLock, "inventory/gemfile/legacy-multi-remote/Gemfile.lock").unwrap();
        assert_eq!(
            summarize(&out.packages),
            [
                // Two remotes in one section: which one served the gem is unknown.
                "RubyGems|acme-auth|2.3.1|pkg:gem/acme-auth@2.3.1|5|direct",
                "RubyGems|jwt|1.5.6|pkg:gem/jwt@1.5.6|7|transitive",
                "RubyGems|json|1.8.6|pkg:gem/json@1.8.6|8|transitive",
                "RubyGems|rake|10.5.0|pkg:gem/rake@10.5.0|9|direct",
                "RubyGems|acme-secrets|0.4.0|pkg:gem/acme-secrets@0.4.0?repository_url=https://gems.acme.example/private/|14|direct",
            ]
        );
        assert!(out.skipped.is_empty());
    }

    #[test]
    fn gems_locked_with_java_platform_plugin_source_and_crlf() {
        let out = extract_fixture(&GemfileLock, "inventory/gemfile/gems-locked/gems.locked").unwrap();
        let repo = "repository_url=https://rubygems.pkg.github.com/acme/";
        assert_eq!(
            summarize(&out.packages),
            [
                format!("RubyGems|jruby-openssl|0.14.2|pkg:gem/jruby-openssl@0.14.2?platform=java&{repo}|4|direct"),
                format!("RubyGems|puma|6.4.2|pkg:gem/puma@6.4.2?platform=java&{repo}|5|direct"),
                format!("RubyGems|nio4r|2.7.0|pkg:gem/nio4r@2.7.0?platform=java&{repo}|7|transitive"),
            ]
        );
        assert_eq!(skipped_line_first(&out), ["13|acme-hg-tools (1.0.0)|gem from a Bundler plugin source (mercurial)"]);
    }

    #[test]
    fn without_dependencies_section_relationship_is_unknown() {
        let out = extract_str(
            &GemfileLock,
            "Gemfile.lock",
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    rake (13.1.0)\n",
        )
        .unwrap();
        assert_eq!(summarize(&out.packages), ["RubyGems|rake|13.1.0|pkg:gem/rake@13.1.0|4|"]);
    }

    #[test]
    fn only_four_space_lines_in_specs_are_packages() {
        let content = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.0)\n      rack (>= 2)\n        \
                       deeper (1.0)\n\trake (13.0.0)\n  other: option\n\nDEPENDENCIES\n  rails\n    odd (1.0)\n";
        let out = extract_str(&GemfileLock, "Gemfile.lock", content).unwrap();
        assert_eq!(summarize(&out.packages), ["RubyGems|rails|7.1.0|pkg:gem/rails@7.1.0|4|direct"]);
    }

    #[test]
    fn unknown_sections_and_checksums_are_not_packages() {
        let content = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rake (13.1.0)\n\nFUTURE SECTION\n    \
                       notagem (1.0.0)\n\nCHECKSUMS\n  rake (13.1.0) sha256=abc\n\nRUBY VERSION\n   ruby 3.3.0p0\n";
        let out = extract_str(&GemfileLock, "Gemfile.lock", content).unwrap();
        assert_eq!(summarize(&out.packages), ["RubyGems|rake|13.1.0|pkg:gem/rake@13.1.0|4|"]);
    }

    #[test]
    fn malformed_spec_lines_name_their_line() {
        let cases: &[(&str, u32, &str)] = &[
            ("GEM\n  specs:\n    rails\n", 3, "has no (version)"),
            ("GEM\n  specs:\n    rails (7.1\n", 3, "unterminated (version)"),
            ("GEM\n  specs:\n    rails (seven)\n", 3, "invalid version \"seven\""),
            ("GEM\n  specs:\n    rails ()\n", 3, "invalid version \"\""),
            ("GEM\n  specs:\n    rails (1..2)\n", 3, "invalid version"),
            ("GEM\n  specs:\n    rails (1.0-)\n", 3, "invalid platform"),
            ("GEM\n  specs:\n    a b (1.0)\n", 3, "invalid name"),
            ("GEM\n  remote: https://rubygems.org/\n    rails (7.1.0)\n", 3, "outside a specs: list"),
            ("GEM\n  specs:\n<<<<<<< HEAD\n    rails (7.1.0)\n", 3, "merge conflict"),
            ("{\"packages\": []}\n", 1, "not a Bundler lockfile"),
            ("PLATFORMS\n  ruby\n", 1, "not a Bundler lockfile"),
        ];
        for (content, line, message) in cases {
            let err = error_of(content);
            assert_eq!(err.line, Some(*line), "{content:?}: {err}");
            assert!(err.message.contains(message), "{content:?}: {}", err.message);
        }
    }

    #[test]
    fn truncated_file_is_an_error_or_a_prefix() {
        // Cut inside a spec line: an error at that line.
        let err = error_of("GEM\n  remote: https://rubygems.org/\n  specs:\n    rake (13.1.0)\n    rack (3.0");
        assert_eq!(err.line, Some(5));
        // Cut between lines: what is there is read (there is no end marker to miss).
        let out = extract_str(
            &GemfileLock,
            "Gemfile.lock",
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    rake (13.1.0)\n",
        )
        .unwrap();
        assert_eq!(out.packages.len(), 1);
    }

    #[test]
    fn binary_junk_is_an_error() {
        let err =
            GemfileLock.extract(&Input::new(Path::new("Gemfile.lock"), b"GEM\n  specs:\n\xff\xfe\x00")).unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (Some(3), "not valid UTF-8 text"));
        let err = error_of("\u{0}\u{1}\u{2}garbage\n");
        assert!(err.message.contains("not a Bundler lockfile"), "{}", err.message);
    }

    #[test]
    fn empty_lockfile_has_no_packages() {
        assert_eq!(extract_str(&GemfileLock, "Gemfile.lock", "").unwrap(), Extracted::default());
        assert_eq!(extract_str(&GemfileLock, "Gemfile.lock", "\n  \r\n").unwrap(), Extracted::default());
    }

    #[test]
    fn gem_versions() {
        for good in ["1", "1.2.3", "7.1.0.rc1", "3.0.9.1", "0.0.1.pre"] {
            assert!(is_gem_version(good), "{good}");
        }
        for bad in ["", "v1.0", "1.", ".1", "1..2", "1.0 ", "a.1", "1.0_1"] {
            assert!(!is_gem_version(bad), "{bad}");
        }
    }
}
