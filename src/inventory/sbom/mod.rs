//! SBOM input: CycloneDX JSON (spec 1.2 to 1.6) and SPDX JSON (2.2, 2.3) documents, as
//! customs, Syft, Trivy, cdxgen and others write them, read into the same inventory
//! the lockfile extractors produce.
//!
//! # What becomes a package
//!
//! Every package URL does: a CycloneDX component's `purl` (components nest in
//! `components[].components`, walked iteratively), an SPDX package's `externalRefs`
//! entry of type `purl` and category `PACKAGE-MANAGER` (or `PACKAGE_MANAGER`). The purl
//! is parsed and kept in canonical form; its line is where the document writes it. A
//! purl that appears twice is one package (flags merged as the CycloneDX writer
//! does: direct if direct anywhere, dev or optional only if so everywhere).
//!
//! Not packages: the subject of the document, CycloneDX `metadata.component` or the
//! package an SPDX document DESCRIBES (listed as skipped when it has a purl, since a
//! project must not be matched as its own dependency; silent without one). An SPDX
//! document that DESCRIBES several packages has no single subject: those with a purl
//! are packages (some tools describe every package they list). Nor are components
//! of type `operating-system` and `file` and SPDX packages of purpose
//! `OPERATING-SYSTEM` without purl (they name the distribution release, see below).
//! Every other entry without a purl, a purl that does not parse or has no version, and
//! a purl type with no OSV ecosystem customs matches is listed in `skipped`.
//!
//! # purl → OSV ecosystem
//!
//! | purl type | ecosystem | name |
//! |---|---|---|
//! | `cargo` | crates.io | name |
//! | `npm` | npm | `@scope/name` (namespace is the scope) |
//! | `pypi` | PyPI | name |
//! | `golang` | Go | `namespace/name`; version without its `v` (and `go` for `stdlib`) |
//! | `gem` | RubyGems | name |
//! | `composer` | Packagist | `vendor/name` |
//! | `maven` | Maven | `group:artifact` (a purl without group is skipped) |
//! | `nuget`, `pub`, `hex`, `cran`, `hackage`, `julia`, `opam`, `bitnami` | NuGet, Pub, Hex, CRAN, Hackage, Julia, opam, Bitnami | name |
//! | `conan` | ConanCenter | name |
//! | `swift` | SwiftURL | `namespace/name` |
//! | `deb` | `debian` → Debian:*release*, `ubuntu` → Ubuntu:*release* | source package (below) |
//! | `apk` | `alpine` → Alpine:v*X.Y*, `wolfi` → Wolfi, `chainguard` → Chainguard | source package (below) |
//! | `rpm` | `almalinux`/`alma` → AlmaLinux:*major*, `rocky`/`rocky-linux` → Rocky Linux:*major*, `redhat`/`rhel` → Red Hat, `suse`/`sles` → SUSE, `opensuse*` → openSUSE | binary package |
//!
//! Names are taken from the purl as written (percent-decoded, case kept: purl
//! normalisation lowercases Go module paths, which OSV spells with capitals); when
//! the document's own name for the component is the same but for case, its spelling
//! wins, so `github.com/BurntSushi/toml` survives a writer that lowercased the purl.
//!
//! # Distribution releases
//!
//! OSV names OS ecosystems per release, so the release must be spelled exactly as OSV
//! does. It comes from the `distro` qualifier (`debian-12`, `debian-12.5`, `bookworm`,
//! `ubuntu-22.04`, `jammy`, `alpine-3.18.4`, `3.18.4`, `v3.18`, `almalinux-9.3`):
//! Debian 7 and later by major (`12`), older ones as `major.minor` (`6.0`, `3.1`), every
//! codename from buzz to duke; Ubuntu as `YY.MM`, with `:LTS` for even-year `.04`
//! releases (and 6.06), codenames from warty on; Alpine as `vX.Y`; AlmaLinux and Rocky
//! Linux by major. A `distro` naming another distribution is ignored. Without a
//! `distro` qualifier the release of the document's single operating-system component
//! of that distribution is used (Syft and Trivy write one). Red Hat, SUSE and openSUSE
//! advisories name products and channels (`Red Hat:enterprise_linux:9::appstream`)
//! that a purl cannot tell: their release stays empty.
//!
//! An OS package whose release stays unknown is still a package (it is in the SBOM
//! and in reports), with an empty release: matching then finds no release-specific
//! advisory for it, never one of another release. It is not listed in `skipped`,
//! which is for declarations that are not packages at all.
//!
//! # Versions and source packages
//!
//! rpm and deb versions carry the `epoch` qualifier as `epoch:version` unless the
//! version already has one; epoch 0 is no epoch. Debian, Ubuntu and Alpine advisories
//! (and Wolfi's and Chainguard's) are keyed by *source* package (`openssl`, not
//! `libssl3`), so for `deb` and `apk` the package takes the source name, and the
//! source version when the document gives one, while its purl stays the binary's:
//! the finding names the source package advisories speak of and the purl the binary
//! that is installed. The source comes from the purl's `upstream` qualifier (`openssl`
//! or `gcc-12@12.2.0-14`), else from Trivy's `aquasecurity:trivy:SrcName` /
//! `SrcVersion` / `SrcRelease` / `SrcEpoch` or Syft's `syft:metadata:source` /
//! `sourceVersion` / `originPackage` properties, else from an SPDX `sourceInfo` of
//! the form `built package from: NAME VERSION`. rpm advisories (AlmaLinux, Rocky,
//! Red Hat, SUSE) list binary packages, so rpm keeps the binary name.
//!
//! # Flags
//!
//! customs' own properties (`customs:direct`, `customs:dev`, `customs:optional`) come
//! back as written; a CycloneDX component the subject `dependsOn` is direct; scope
//! `optional` is optional and `excluded` (test and build only) is dev.
//!
//! # Hostile input
//!
//! Files over [`MAX_FILE_SIZE`] are refused; syntax and shape errors name their line;
//! serde_json bounds nesting (128 levels), so deep documents fail instead of
//! exhausting the stack, and the component tree is walked without recursion.
//!
//! # Layout
//!
//! This file reads a document and merges what it declares; [`sniff`] tells an SBOM by
//! its content, `detect` its format, `lines` where its purls are, `cyclonedx` and
//! `spdx` each format's fields, `resolve` a purl's ecosystem, name and version, and
//! `distro` a distribution's release.

use std::collections::HashMap;

use super::text::MAX_FILE_SIZE;
use super::{ExtractError, Extracted, Input};
use crate::model::{EcosystemKind, Location, Package, Relationship, Skipped};
use crate::purl::Purl;

mod cyclonedx;
mod detect;
mod distro;
mod lines;
mod resolve;
mod sniff;
mod spdx;
#[cfg(test)]
mod tests;

use detect::{detect, parse, Format};
use lines::DocumentLines;
use resolve::resolve;

pub use sniff::{sniff, unread_form, SbomKind};

/// The CycloneDX spec versions read; 1.0 and 1.1 had no JSON form.
const CYCLONEDX_VERSIONS: &[&str] = &["1.2", "1.3", "1.4", "1.5", "1.6"];
const SPDX_VERSIONS: &[&str] = &["SPDX-2.2", "SPDX-2.3"];

const SUBJECT: &str = "the subject of the SBOM (the project or image itself), not a dependency";

/// Whether a skipped entry is the document's subject: an SBOM listing nothing else lists
/// no components.
pub fn is_subject(skipped: &Skipped) -> bool {
    skipped.reason == SUBJECT
}

const NOT_AN_SBOM: &str =
    "not a CycloneDX or SPDX JSON document (no top-level \"bomFormat\": \"CycloneDX\" or \"spdxVersion\")";

/// Reads a CycloneDX or SPDX JSON document into packages and skipped declarations.
pub fn read_sbom(input: &Input<'_>) -> Result<Extracted, ExtractError> {
    if input.content.len() as u64 > MAX_FILE_SIZE {
        let message = format!("file is {} MiB, over the {} MiB limit", input.content.len() >> 20, MAX_FILE_SIZE >> 20);
        return Err(input.error(None, message));
    }
    let content = input.text()?;
    let format = detect(input, content)?;
    let mut reader = Reader::new(input, DocumentLines::index(content));
    match format {
        Format::CycloneDx => reader.cyclonedx(&parse::<cyclonedx::Bom>(input, content, "CycloneDX")?),
        Format::Spdx => reader.spdx(&parse::<spdx::Document>(input, content, "SPDX")?),
    }
    Ok(reader.out)
}

/// One purl the document declares, with what the document says around it.
struct Declared<'d> {
    purl: &'d str,
    /// The document's own names for the component, to recover the case of a purl
    /// that was lowercased.
    names: Vec<String>,
    /// Source package name and version, from properties or `sourceInfo`.
    source: Option<(String, Option<String>)>,
    relationship: Relationship,
    dev: bool,
    optional: bool,
    /// The line of the element's id, for a purl whose own line is unknown.
    id_line: Option<u32>,
}

/// The releases the document's operating-system components name, per ecosystem.
#[derive(Default)]
struct OsReleases(HashMap<EcosystemKind, Vec<String>>);

impl OsReleases {
    fn record(&mut self, name: Option<&str>, version: Option<&str>) {
        let (Some(kind), Some(version)) = (name.and_then(EcosystemKind::from_distro_id), version.map(str::trim)) else {
            return;
        };
        if version.is_empty() {
            return;
        }
        let versions = self.0.entry(kind).or_default();
        if !versions.iter().any(|v| v == version) {
            versions.push(version.to_string());
        }
    }

    /// The release of `kind`, when the document names exactly one.
    fn get(&self, kind: EcosystemKind) -> Option<&str> {
        match self.0.get(&kind).map(Vec::as_slice) {
            Some([only]) => Some(only),
            _ => None,
        }
    }
}

struct Reader<'i, 'a> {
    input: &'i Input<'a>,
    lines: DocumentLines,
    out: Extracted,
    /// Canonical purl (or the text of one that does not parse) → index of its
    /// package, `None` when it was skipped.
    seen: HashMap<String, Option<usize>>,
    os: OsReleases,
}

impl<'i, 'a> Reader<'i, 'a> {
    fn new(input: &'i Input<'a>, lines: DocumentLines) -> Self {
        Reader { input, lines, out: Extracted::default(), seen: HashMap::new(), os: OsReleases::default() }
    }

    fn skip(&mut self, line: Option<u32>, declaration: &str, reason: impl Into<String>) {
        self.out.skipped.push(Skipped {
            location: Location::new(self.input.path, line),
            declaration: declaration.to_string(),
            reason: reason.into(),
        });
    }

    fn add(&mut self, d: Declared<'_>) {
        let line = self.lines.purl(d.purl).or(d.id_line);
        let written = d.purl.trim();
        let purl = match Purl::parse(written) {
            Ok(purl) => purl,
            Err(e) => {
                if self.seen.insert(written.to_string(), None).is_none() {
                    self.skip(line, written, format!("invalid package URL: {}", e.reason));
                }
                return;
            }
        };
        let canonical = purl.to_string();
        match self.seen.get(&canonical) {
            Some(Some(index)) => {
                let package = &mut self.out.packages[*index];
                package.relationship = package.relationship.min(d.relationship);
                package.dev &= d.dev;
                package.optional &= d.optional;
                return;
            }
            Some(None) => return,
            None => {}
        }
        match resolve(&purl, written, &d, &self.os) {
            Ok((ecosystem, name, version)) => {
                self.seen.insert(canonical, Some(self.out.packages.len()));
                self.out.packages.push(Package {
                    ecosystem,
                    name,
                    version,
                    purl,
                    location: Location::new(self.input.path, line),
                    relationship: d.relationship,
                    dev: d.dev,
                    optional: d.optional,
                    alias: None,
                });
            }
            Err(reason) => {
                self.seen.insert(canonical, None);
                self.skip(line, written, reason);
            }
        }
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

fn declaration(name: Option<&str>, group: Option<&str>, version: Option<&str>) -> String {
    let mut out = match (non_empty(group), non_empty(name)) {
        (Some(group), Some(name)) => format!("{group}/{name}"),
        (None, Some(name)) => name.to_string(),
        (_, None) => "(unnamed)".to_string(),
    };
    if let Some(version) = non_empty(version) {
        out.push(' ');
        out.push_str(version);
    }
    out
}
