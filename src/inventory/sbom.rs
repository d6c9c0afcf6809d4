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

use std::collections::{HashMap, HashSet};

use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::text::{self, MAX_FILE_SIZE};
use super::{ExtractError, Extracted, Input};
use crate::model::{Ecosystem, EcosystemKind, Location, Package, Relationship, Skipped};
use crate::purl::Purl;

mod sniff;
#[cfg(test)]
mod tests;

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
        Format::CycloneDx => reader.cyclonedx(&parse::<cdx::Bom>(input, content, "CycloneDX")?),
        Format::Spdx => reader.spdx(&parse::<spdx::Document>(input, content, "SPDX")?),
    }
    Ok(reader.out)
}

// ---------------------------------------------------------------------------------------
// Detection and parsing
// ---------------------------------------------------------------------------------------

enum Format {
    CycloneDx,
    Spdx,
}

/// The top-level fields that tell the format; everything else is skipped unread.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "bomFormat")]
    bom_format: Option<Value>,
    #[serde(rename = "specVersion")]
    spec_version: Option<Value>,
    #[serde(rename = "spdxVersion")]
    spdx_version: Option<Value>,
}

fn detect(input: &Input<'_>, content: &str) -> Result<Format, ExtractError> {
    let probe: Probe = serde_json::from_str(content).map_err(|e| {
        if e.classify() == serde_json::error::Category::Data && !content.trim_start().starts_with('{') {
            input.error(None, NOT_AN_SBOM)
        } else {
            json_error(input, "invalid JSON", &e)
        }
    })?;
    let key_line = |key: &str| content.find(&format!("\"{key}\"")).map(|at| text::line_of(content.as_bytes(), at));
    if let Some(Value::String(format)) = &probe.bom_format {
        if format.eq_ignore_ascii_case("CycloneDX") {
            let version = match &probe.spec_version {
                Some(Value::String(s)) => s.trim().to_string(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return Err(input.error(key_line("bomFormat"), "CycloneDX document without a specVersion")),
            };
            if !CYCLONEDX_VERSIONS.contains(&version.as_str()) {
                let message = format!("CycloneDX specVersion {version:?} is not supported (1.2 to 1.6 are)");
                return Err(input.error(key_line("specVersion"), message));
            }
            return Ok(Format::CycloneDx);
        }
    }
    match &probe.spdx_version {
        Some(Value::String(version)) if SPDX_VERSIONS.contains(&version.trim()) => Ok(Format::Spdx),
        Some(version) => {
            let message = format!("SPDX version {version} is not supported (SPDX-2.2 and SPDX-2.3 JSON are)");
            Err(input.error(key_line("spdxVersion"), message))
        }
        None => Err(input.error(None, NOT_AN_SBOM)),
    }
}

/// Parses the document into the fields this module reads; a field of the wrong type
/// is an error naming its line.
fn parse<T: DeserializeOwned>(input: &Input<'_>, content: &str, format: &str) -> Result<T, ExtractError> {
    serde_json::from_str(content).map_err(|e| json_error(input, &format!("invalid {format} document"), &e))
}

fn json_error(input: &Input<'_>, what: &str, e: &serde_json::Error) -> ExtractError {
    let line = (e.line() > 0).then_some(e.line() as u32);
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => &message,
    };
    input.error(line, format!("{what}: {message}"))
}

mod cdx {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Bom {
        pub metadata: Option<Metadata>,
        pub components: Option<Vec<Component>>,
        pub dependencies: Option<Vec<Dependency>>,
    }

    #[derive(Deserialize)]
    pub struct Metadata {
        pub component: Option<Component>,
    }

    #[derive(Deserialize)]
    pub struct Component {
        #[serde(rename = "type")]
        pub ty: Option<String>,
        #[serde(rename = "bom-ref")]
        pub bom_ref: Option<String>,
        pub group: Option<String>,
        pub name: Option<String>,
        pub version: Option<String>,
        pub purl: Option<String>,
        pub scope: Option<String>,
        pub properties: Option<Vec<Property>>,
        pub components: Option<Vec<Component>>,
    }

    #[derive(Deserialize)]
    pub struct Property {
        pub name: Option<String>,
        pub value: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Dependency {
        #[serde(rename = "ref")]
        pub reference: Option<String>,
        #[serde(rename = "dependsOn")]
        pub depends_on: Option<Vec<String>>,
    }
}

mod spdx {
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Document {
        pub document_describes: Option<Vec<String>>,
        pub packages: Option<Vec<Package>>,
        pub relationships: Option<Vec<Relationship>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Package {
        #[serde(rename = "SPDXID")]
        pub spdx_id: Option<String>,
        pub name: Option<String>,
        pub version_info: Option<String>,
        pub primary_package_purpose: Option<String>,
        pub source_info: Option<String>,
        pub external_refs: Option<Vec<ExternalRef>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ExternalRef {
        pub reference_category: Option<String>,
        pub reference_type: Option<String>,
        pub reference_locator: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Relationship {
        pub spdx_element_id: Option<String>,
        pub relationship_type: Option<String>,
        pub related_spdx_element: Option<String>,
    }
}

// ---------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------

/// The first line of every purl value (`"purl"`, `"referenceLocator"`) and element id
/// (`"bom-ref"`, `"SPDXID"`) of the document, found in one pass over the text.
#[derive(Default)]
struct DocumentLines {
    purls: HashMap<String, u32>,
    ids: HashMap<String, u32>,
}

#[derive(Clone, Copy)]
enum Slot {
    Purl,
    Id,
}

impl DocumentLines {
    /// Scans valid JSON: each string is a key when a `:` follows it, else a value; a
    /// value string right after a purl or id key is recorded.
    fn index(content: &str) -> DocumentLines {
        let bytes = content.as_bytes();
        let mut lines = DocumentLines::default();
        let mut line = 1u32;
        let mut pending: Option<Slot> = None;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line += 1,
                b'{' | b'}' | b'[' | b']' | b',' => pending = None,
                b'"' => {
                    let start = i;
                    let mut escaped = false;
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        if bytes[i] == b'\\' {
                            escaped = true;
                            i += 1;
                        }
                        i += 1;
                    }
                    if i >= bytes.len() {
                        break;
                    }
                    // `start` and `i` are ASCII quotes, so the slice is on char boundaries.
                    let quoted = &content[start..=i];
                    let value = || -> Option<String> {
                        if escaped {
                            serde_json::from_str(quoted).ok()
                        } else {
                            Some(quoted[1..quoted.len() - 1].to_string())
                        }
                    };
                    let next = bytes[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
                    if next == Some(&b':') {
                        pending = match value().as_deref() {
                            Some("purl" | "referenceLocator") => Some(Slot::Purl),
                            Some("bom-ref" | "SPDXID") => Some(Slot::Id),
                            _ => None,
                        };
                    } else if let Some(slot) = pending.take() {
                        if let Some(value) = value() {
                            let map = match slot {
                                Slot::Purl => &mut lines.purls,
                                Slot::Id => &mut lines.ids,
                            };
                            map.entry(value).or_insert(line);
                        }
                    }
                }
                _ => {}
            }
            i += 1;
        }
        lines
    }

    fn purl(&self, purl: &str) -> Option<u32> {
        self.purls.get(purl).copied()
    }

    fn id(&self, id: Option<&str>) -> Option<u32> {
        id.and_then(|id| self.ids.get(id).copied())
    }
}

// ---------------------------------------------------------------------------------------
// Documents → packages
// ---------------------------------------------------------------------------------------

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
        let (Some(kind), Some(version)) = (name.and_then(distro_kind), version.map(str::trim)) else { return };
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

    fn cyclonedx(&mut self, bom: &cdx::Bom) {
        let subject = bom.metadata.as_ref().and_then(|m| m.component.as_ref());

        // Every component, parents before children, in document order.
        let mut order: Vec<&cdx::Component> = Vec::new();
        let mut stack: Vec<&cdx::Component> = subject
            .into_iter()
            .flat_map(|s| s.components.iter().flatten())
            .chain(bom.components.iter().flatten())
            .collect();
        stack.reverse();
        while let Some(component) = stack.pop() {
            order.push(component);
            stack.extend(component.components.iter().flatten().rev());
        }

        for c in order.iter().filter(|c| c.ty.as_deref() == Some("operating-system")) {
            self.os.record(c.name.as_deref(), c.version.as_deref());
        }
        let subject_ref = subject.and_then(|s| s.bom_ref.as_deref());
        let direct: HashSet<&str> = bom
            .dependencies
            .iter()
            .flatten()
            .filter(|d| subject_ref.is_some() && d.reference.as_deref() == subject_ref)
            .flat_map(|d| d.depends_on.iter().flatten().map(String::as_str))
            .collect();

        if let Some(purl) = subject.and_then(|s| non_empty(s.purl.as_deref())) {
            let line = self.lines.purl(purl).or_else(|| self.lines.id(subject.and_then(|s| s.bom_ref.as_deref())));
            self.skip(line, purl.trim(), SUBJECT);
        }

        for c in order {
            let id_line = self.lines.id(c.bom_ref.as_deref());
            let Some(purl) = non_empty(c.purl.as_deref()) else {
                if !matches!(c.ty.as_deref(), Some("operating-system" | "file")) {
                    self.skip(id_line, &component_declaration(c), "no package URL (purl) to tell its ecosystem");
                }
                continue;
            };
            let properties = c.properties.as_deref().unwrap_or_default();
            let property = |key: &str| -> Option<&str> {
                properties
                    .iter()
                    .find(|p| p.name.as_deref() == Some(key))
                    .and_then(|p| non_empty(p.value.as_deref()))
                    .map(str::trim)
            };
            if let Some(kind) = property("customs:own") {
                // customs' own SBOM marks the project's own packages: never matched.
                let reason = format!("the project's own package ({kind}), not a registry package");
                self.skip(id_line, &component_declaration(c), reason);
                continue;
            }
            let is_true = |key: &str| property(key).is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let is_direct = is_true("customs:direct") || c.bom_ref.as_deref().is_some_and(|r| direct.contains(r));
            let mut names = Vec::new();
            if let Some(name) = non_empty(c.name.as_deref()) {
                if let Some(group) = non_empty(c.group.as_deref()) {
                    names.push(format!("{group}/{name}"));
                    names.push(format!("{group}:{name}"));
                }
                names.push(name.to_string());
            }
            self.add(Declared {
                purl,
                names,
                source: cyclonedx_source(&property),
                relationship: if is_direct { Relationship::Direct } else { Relationship::Unknown },
                dev: is_true("customs:dev") || c.scope.as_deref() == Some("excluded"),
                optional: is_true("customs:optional") || c.scope.as_deref() == Some("optional"),
                id_line,
            });
        }
    }

    fn spdx(&mut self, doc: &spdx::Document) {
        let packages = doc.packages.as_deref().unwrap_or_default();
        let mut described: HashSet<&str> = doc.document_describes.iter().flatten().map(String::as_str).collect();
        for r in doc.relationships.iter().flatten() {
            let kind = r.relationship_type.as_deref().map(str::trim).unwrap_or_default();
            match (r.spdx_element_id.as_deref(), kind, r.related_spdx_element.as_deref()) {
                (Some("SPDXRef-DOCUMENT"), "DESCRIBES", Some(id))
                | (Some(id), "DESCRIBED_BY", Some("SPDXRef-DOCUMENT")) => {
                    described.insert(id);
                }
                _ => {}
            }
        }
        for p in packages.iter().filter(|p| spdx_is_os(p) && spdx_purls(p).is_empty()) {
            self.os.record(p.name.as_deref(), p.version_info.as_deref());
        }
        // One described package is the subject; tools that describe every package
        // they list describe several, and those are packages.
        let subject = match described.len() {
            1 => described.iter().next().copied(),
            _ => None,
        };
        for p in packages {
            let id_line = self.lines.id(p.spdx_id.as_deref());
            let refs = spdx_purls(p);
            if subject.is_some() && p.spdx_id.as_deref() == subject {
                for purl in refs {
                    let line = self.lines.purl(purl).or(id_line);
                    self.skip(line, purl.trim(), SUBJECT);
                }
                continue;
            }
            if refs.is_empty() {
                let is_subject = p.spdx_id.as_deref().is_some_and(|id| described.contains(id));
                if !spdx_is_os(p) && !is_subject {
                    let declaration = declaration(p.name.as_deref(), None, p.version_info.as_deref());
                    self.skip(id_line, &declaration, "no package URL (purl) to tell its ecosystem");
                }
                continue;
            }
            let names: Vec<String> = non_empty(p.name.as_deref()).map(str::to_string).into_iter().collect();
            let source = p.source_info.as_deref().and_then(spdx_source);
            for purl in refs {
                self.add(Declared {
                    purl,
                    names: names.clone(),
                    source: source.clone(),
                    relationship: Relationship::Unknown,
                    dev: false,
                    optional: false,
                    id_line,
                });
            }
        }
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

/// The purls of an SPDX package: `externalRefs` of type `purl` in the package-manager
/// category (`PACKAGE-MANAGER` in SPDX 2.3, `PACKAGE_MANAGER` in 2.2's examples).
fn spdx_purls(p: &spdx::Package) -> Vec<&str> {
    p.external_refs
        .iter()
        .flatten()
        .filter(|r| {
            let category = r.reference_category.as_deref().unwrap_or_default().trim();
            r.reference_type.as_deref().is_some_and(|t| t.trim().eq_ignore_ascii_case("purl"))
                && (category.eq_ignore_ascii_case("PACKAGE-MANAGER")
                    || category.eq_ignore_ascii_case("PACKAGE_MANAGER"))
        })
        .filter_map(|r| non_empty(r.reference_locator.as_deref()))
        .collect()
}

fn spdx_is_os(p: &spdx::Package) -> bool {
    p.primary_package_purpose
        .as_deref()
        .is_some_and(|purpose| purpose.trim().replace('_', "-").eq_ignore_ascii_case("OPERATING-SYSTEM"))
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

fn component_declaration(c: &cdx::Component) -> String {
    declaration(c.name.as_deref(), c.group.as_deref(), c.version.as_deref())
}

/// The source package Trivy or Syft recorded in a component's properties.
fn cyclonedx_source<'p>(property: &impl Fn(&str) -> Option<&'p str>) -> Option<(String, Option<String>)> {
    if let Some(name) = property("aquasecurity:trivy:SrcName") {
        let version = property("aquasecurity:trivy:SrcVersion").map(|v| {
            let epoch = property("aquasecurity:trivy:SrcEpoch").and_then(|e| e.parse::<u64>().ok()).filter(|&e| e > 0);
            let mut version = epoch.map(|e| format!("{e}:")).unwrap_or_default();
            version.push_str(v);
            if let Some(release) = property("aquasecurity:trivy:SrcRelease") {
                version.push('-');
                version.push_str(release);
            }
            version
        });
        return Some((name.to_string(), version));
    }
    let name = property("syft:metadata:source").or_else(|| property("syft:metadata:originPackage"))?;
    Some((name.to_string(), property("syft:metadata:sourceVersion").map(str::to_string)))
}

/// Trivy's SPDX `sourceInfo`: `built package from: NAME VERSION`.
fn spdx_source(info: &str) -> Option<(String, Option<String>)> {
    let mut words = info.trim().strip_prefix("built package from:")?.split_whitespace();
    let name = words.next()?;
    Some((name.to_string(), words.next().map(str::to_string)))
}

// ---------------------------------------------------------------------------------------
// purl → ecosystem, name, version
// ---------------------------------------------------------------------------------------

/// The namespace and name of a purl as written: percent-decoded, case kept.
/// (`Purl::parse` applies each type's case folding.)
fn written_name(purl: &str) -> (Option<String>, String) {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let rest = purl.strip_prefix("pkg:").unwrap_or(purl).trim_start_matches('/');
    let rest = rest.split('#').next().unwrap_or_default();
    let rest = rest.split('?').next().unwrap_or_default();
    let rest = rest.split_once('/').map_or("", |(_, rest)| rest).trim_end_matches('/');
    let path = match rest.rfind('@') {
        Some(at) if !rest[at..].contains('/') => &rest[..at],
        _ => rest,
    };
    match path.rfind('/') {
        Some(slash) => {
            let segments: Vec<String> = path[..slash].split('/').filter(|s| !s.is_empty()).map(decode).collect();
            let namespace = (!segments.is_empty()).then(|| segments.join("/"));
            (namespace, decode(&path[slash + 1..]))
        }
        None => (None, decode(path)),
    }
}

fn resolve(
    purl: &Purl,
    written: &str,
    d: &Declared<'_>,
    os: &OsReleases,
) -> Result<(Ecosystem, String, String), String> {
    use EcosystemKind::*;
    let Some(version) = purl.version.as_deref().filter(|v| !v.trim().is_empty()) else {
        return Err("package URL without a version".into());
    };
    let (namespace, name) = written_name(written);
    let joined = |separator: &str| match &namespace {
        Some(namespace) => format!("{namespace}{separator}{name}"),
        None => name.clone(),
    };
    let (kind, name, version) = match purl.ty.as_str() {
        "cargo" => (CratesIo, name.clone(), version.to_string()),
        "npm" => {
            let scoped = match &namespace {
                Some(scope) if scope.starts_with('@') => format!("{scope}/{name}"),
                Some(scope) => format!("@{scope}/{name}"),
                None => name.clone(),
            };
            (Npm, scoped, version.to_string())
        }
        "pypi" => (PyPI, name.clone(), version.to_string()),
        "golang" => {
            let module = joined("/");
            let version = go_version(&module, version)?;
            (Go, module, version)
        }
        "gem" => (RubyGems, name.clone(), version.to_string()),
        "composer" => (Packagist, joined("/"), version.to_string()),
        "maven" => {
            if namespace.is_none() {
                return Err("Maven package URL without a group (namespace)".into());
            }
            (Maven, joined(":"), version.to_string())
        }
        "nuget" => (NuGet, name.clone(), version.to_string()),
        "pub" => (Pub, name.clone(), version.to_string()),
        "hex" => (Hex, name.clone(), version.to_string()),
        "conan" => (ConanCenter, name.clone(), version.to_string()),
        "cran" => (Cran, name.clone(), version.to_string()),
        "hackage" => (Hackage, name.clone(), version.to_string()),
        "julia" => (Julia, name.clone(), version.to_string()),
        "opam" => (Opam, name.clone(), version.to_string()),
        "bitnami" => (Bitnami, name.clone(), version.to_string()),
        "swift" => (SwiftUrl, joined("/"), version.to_string()),
        "deb" | "apk" | "rpm" => return os_package(purl, name, version, d, os),
        other => return Err(format!("purl type \"{other}\" has no OSV ecosystem that customs matches")),
    };
    // The document's own spelling, when it only differs in case.
    let name = d.names.iter().find(|n| n.eq_ignore_ascii_case(&name)).cloned().unwrap_or(name);
    Ok((Ecosystem::new(kind), name, version))
}

/// OSV spells Go versions without the `v` (and the toolchain without `go`).
fn go_version(module: &str, version: &str) -> Result<String, String> {
    let mut v = version.strip_prefix('v').unwrap_or(version);
    if module == "stdlib" {
        v = v.strip_prefix("go").unwrap_or(v);
    }
    if !v.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("Go version {version:?} is not a module version"));
    }
    Ok(v.to_string())
}

fn os_package(
    purl: &Purl,
    name: String,
    version: &str,
    d: &Declared<'_>,
    os: &OsReleases,
) -> Result<(Ecosystem, String, String), String> {
    let ty = purl.ty.as_str();
    let Some(namespace) = purl.namespace.as_deref() else {
        return Err(format!("{ty} package URL without a distribution (namespace)"));
    };
    let Some(kind) = distro_kind(namespace).filter(|&k| package_type(k) == ty) else {
        return Err(format!("{ty} packages of {namespace:?} have no OSV ecosystem that customs matches"));
    };
    let release = match purl.qualifiers.get("distro") {
        Some(distro) => release_of(kind, distro),
        None => os.get(kind).and_then(|distro| release_of(kind, distro)),
    };
    let ecosystem = match release {
        Some(release) => Ecosystem::with_release(kind, release),
        None => Ecosystem::new(kind),
    };
    let version = match ty {
        "apk" => version.to_string(),
        _ => with_epoch(version, purl.qualifiers.get("epoch").map(String::as_str)),
    };
    if ty == "rpm" {
        return Ok((ecosystem, name, version));
    }

    // Debian, Ubuntu and Alpine advisories name source packages.
    let upstream = purl.qualifiers.get("upstream").and_then(|u| {
        let (name, version) = match u.split_once('@') {
            Some((name, version)) => (name.trim(), non_empty(Some(version.trim()))),
            None => (u.trim(), None),
        };
        (!name.is_empty()).then_some((name, version))
    });
    let from_document = d.source.as_ref().map(|(name, version)| (name.as_str(), non_empty(version.as_deref())));
    let source = match (upstream, from_document) {
        (Some((name, None)), Some((doc_name, doc_version))) if doc_name == name => Some((name, doc_version)),
        (Some(upstream), _) => Some(upstream),
        (None, from_document) => from_document,
    };
    Ok(match source {
        Some((source_name, Some(source_version))) => {
            (ecosystem, source_name.to_string(), with_epoch(source_version.trim(), None))
        }
        Some((source_name, None)) => (ecosystem, source_name.to_string(), version),
        None => (ecosystem, name, version),
    })
}

/// `epoch:version` for a non-zero epoch qualifier, unless the version has an epoch
/// already; an explicit `0:` is dropped (epoch 0 is no epoch).
fn with_epoch(version: &str, epoch: Option<&str>) -> String {
    let version = version.strip_prefix("0:").unwrap_or(version);
    match epoch.and_then(|e| e.trim().parse::<u64>().ok()) {
        Some(epoch) if epoch > 0 && !version.contains(':') => format!("{epoch}:{version}"),
        _ => version.to_string(),
    }
}

/// The OS ecosystem of a distribution id, as purl namespaces, `distro` qualifiers and
/// operating-system components spell it.
fn distro_kind(id: &str) -> Option<EcosystemKind> {
    use EcosystemKind::*;
    Some(match id.trim().to_ascii_lowercase().as_str() {
        "debian" => Debian,
        "ubuntu" => Ubuntu,
        "alpine" => Alpine,
        "wolfi" => Wolfi,
        "chainguard" => Chainguard,
        "almalinux" | "alma" => AlmaLinux,
        "rocky" | "rockylinux" | "rocky-linux" => RockyLinux,
        "redhat" | "rhel" => RedHat,
        "suse" | "sles" => Suse,
        "opensuse" | "opensuse-leap" | "opensuse.leap" | "opensuse-tumbleweed" | "opensuse.tumbleweed" => OpenSuse,
        _ => return None,
    })
}

/// The purl type of an OS ecosystem's packages.
fn package_type(kind: EcosystemKind) -> &'static str {
    use EcosystemKind::*;
    match kind {
        Debian | Ubuntu => "deb",
        Alpine | Wolfi | Chainguard => "apk",
        _ => "rpm",
    }
}

/// The release of `kind` a `distro` qualifier names, spelled as OSV spells it; `None`
/// when it cannot be told (or names another distribution).
fn release_of(kind: EcosystemKind, distro: &str) -> Option<String> {
    use EcosystemKind::*;
    let distro = distro.trim().to_ascii_lowercase();
    let (prefix, value) = distro.rsplit_once('-').unwrap_or(("", &distro));
    if !prefix.is_empty() && distro_kind(prefix) != Some(kind) {
        return None;
    }
    match kind {
        Debian => debian_release(value),
        Ubuntu => ubuntu_release(value),
        Alpine => {
            let (major, minor) = numeric(value.strip_prefix('v').unwrap_or(value))?;
            Some(format!("v{}.{}", number(major), number(minor?)))
        }
        AlmaLinux | RockyLinux => numeric(value).map(|(major, _)| number(major)),
        _ => None,
    }
}

/// Debian codenames and the release numbers OSV uses for them.
const DEBIAN_CODENAMES: &[(&str, &str)] = &[
    ("buzz", "1.1"),
    ("rex", "1.2"),
    ("bo", "1.3"),
    ("hamm", "2.0"),
    ("slink", "2.1"),
    ("potato", "2.2"),
    ("woody", "3.0"),
    ("sarge", "3.1"),
    ("etch", "4.0"),
    ("lenny", "5.0"),
    ("squeeze", "6.0"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
    ("duke", "15"),
];

/// Debian releases from 7 on are named by major version; older ones by `major.minor`.
fn debian_release(value: &str) -> Option<String> {
    if let Some((_, release)) = DEBIAN_CODENAMES.iter().find(|(codename, _)| *codename == value) {
        return Some(release.to_string());
    }
    let (major, minor) = numeric(value)?;
    let major: u32 = major.parse().ok()?;
    Some(if major >= 7 {
        major.to_string()
    } else {
        format!("{major}.{}", minor.map(number).as_deref().unwrap_or("0"))
    })
}

/// Ubuntu codenames and their versions.
const UBUNTU_CODENAMES: &[(&str, &str)] = &[
    ("warty", "4.10"),
    ("hoary", "5.04"),
    ("breezy", "5.10"),
    ("dapper", "6.06"),
    ("edgy", "6.10"),
    ("feisty", "7.04"),
    ("gutsy", "7.10"),
    ("hardy", "8.04"),
    ("intrepid", "8.10"),
    ("jaunty", "9.04"),
    ("karmic", "9.10"),
    ("lucid", "10.04"),
    ("maverick", "10.10"),
    ("natty", "11.04"),
    ("oneiric", "11.10"),
    ("precise", "12.04"),
    ("quantal", "12.10"),
    ("raring", "13.04"),
    ("saucy", "13.10"),
    ("trusty", "14.04"),
    ("utopic", "14.10"),
    ("vivid", "15.04"),
    ("wily", "15.10"),
    ("xenial", "16.04"),
    ("yakkety", "16.10"),
    ("zesty", "17.04"),
    ("artful", "17.10"),
    ("bionic", "18.04"),
    ("cosmic", "18.10"),
    ("disco", "19.04"),
    ("eoan", "19.10"),
    ("focal", "20.04"),
    ("groovy", "20.10"),
    ("hirsute", "21.04"),
    ("impish", "21.10"),
    ("jammy", "22.04"),
    ("kinetic", "22.10"),
    ("lunar", "23.04"),
    ("mantic", "23.10"),
    ("noble", "24.04"),
    ("oracular", "24.10"),
    ("plucky", "25.04"),
    ("questing", "25.10"),
];

/// `YY.MM`, with `:LTS` for long-term releases (even years' April, and 6.06), the way
/// OSV spells Ubuntu ecosystems (`Ubuntu:22.04:LTS`, `Ubuntu:23.10`).
fn ubuntu_release(value: &str) -> Option<String> {
    let value = UBUNTU_CODENAMES.iter().find(|(codename, _)| *codename == value).map_or(value, |(_, v)| *v);
    let (major, minor) = numeric(value)?;
    let minor = minor.filter(|m| m.len() == 2)?;
    let major = number(major);
    let lts = (minor == "04" && major.parse::<u32>().is_ok_and(|m| m % 2 == 0)) || (major == "6" && minor == "06");
    Some(if lts { format!("{major}.{minor}:LTS") } else { format!("{major}.{minor}") })
}

/// The leading `major[.minor]` digits of a version (`12.5` → (`12`, `5`), `3.21.0_alpha`
/// → (`3`, `21`)); `None` unless it starts with a number.
fn numeric(value: &str) -> Option<(&str, Option<&str>)> {
    let mut parts = value.split('.');
    let major = parts.next().filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))?;
    let minor = parts.next().map(|p| &p[..p.bytes().take_while(u8::is_ascii_digit).count()]).filter(|p| !p.is_empty());
    Some((major, minor))
}

/// A run of digits without leading zeros.
fn number(digits: &str) -> String {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}
