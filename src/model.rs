//! The data that flows through the pipeline: plain values, no I/O.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::purl::Purl;

/// A package ecosystem, spelled exactly as OSV spells it.
///
/// OS ecosystems carry the release after a colon (`Debian:12`, `Alpine:v3.18`); the
/// release is kept verbatim in `release` so that matching can compare it with the
/// `affected[].package.ecosystem` of an advisory.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Ecosystem {
    /// The base ecosystem.
    pub kind: EcosystemKind,
    /// The OS release after the colon (`12` of `Debian:12`), kept as OSV spells it.
    pub release: Option<String>,
}

macro_rules! ecosystems {
    ($($variant:ident => $osv:literal { purl: $purl_type:literal, name: $shape:expr $(, read_back: $read_back:literal)? }),* $(,)?) => {
        /// The base ecosystems customs knows, with their OSV names.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EcosystemKind { $(#[doc = concat!("OSV's `", $osv, "` ecosystem (purl type `", $purl_type, "`).")] $variant),* }

        impl EcosystemKind {
            /// Every ecosystem, in the table's order.
            pub const ALL: &'static [EcosystemKind] = &[$(EcosystemKind::$variant),*];

            /// The name OSV uses (the part before any `:`).
            pub fn osv_name(self) -> &'static str {
                match self { $(EcosystemKind::$variant => $osv),* }
            }

            /// The ecosystem an OSV name (without release) stands for.
            pub fn from_osv_name(name: &str) -> Option<Self> {
                match name { $($osv => Some(EcosystemKind::$variant),)* _ => None }
            }

            /// The package URL type its packages are written with.
            pub fn purl_type(self) -> &'static str {
                match self { $(EcosystemKind::$variant => $purl_type),* }
            }

            /// How a package's name sits in a purl of [`Self::purl_type`].
            pub fn purl_name(self) -> PurlName {
                use PurlName::*;
                match self { $(EcosystemKind::$variant => $shape),* }
            }

            /// Whether a purl of its type read from a document (an SBOM) means this
            /// ecosystem. Not when the type is another's (GHC packages are written as
            /// `hackage`, which reads back as Hackage) or tells no ecosystem (`generic`).
            pub fn purl_reads_back(self) -> bool {
                match self { $(EcosystemKind::$variant => true $(&& $read_back)?),* }
            }
        }
    };
}

/// Where a package's OSV name goes in a purl: all in the name, or split between
/// namespace and name the way each purl type says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PurlName {
    /// The whole name is the purl's name (`pkg:cargo/serde`).
    Name,
    /// `@scope/name`: the scope (with its `@`) is the namespace (`pkg:npm/%40babel/core`).
    Scoped,
    /// A path: up to the last `/` is the namespace (Go module paths, Composer
    /// `vendor/name`, Swift package URLs).
    Path,
    /// Maven `group:artifact`: the group is the namespace, and a purl without one
    /// names no Maven package.
    GroupArtifact,
    /// An OS package: the namespace is the distribution, and these are the ids it goes
    /// by in purl namespaces, `distro` qualifiers and SBOM operating-system components;
    /// the first is the one written.
    Distro(&'static [&'static str]),
}

ecosystems! {
    CratesIo => "crates.io" { purl: "cargo", name: Name },
    Npm => "npm" { purl: "npm", name: Scoped },
    PyPI => "PyPI" { purl: "pypi", name: Name },
    Go => "Go" { purl: "golang", name: Path },
    RubyGems => "RubyGems" { purl: "gem", name: Name },
    Packagist => "Packagist" { purl: "composer", name: Path },
    Maven => "Maven" { purl: "maven", name: GroupArtifact },
    NuGet => "NuGet" { purl: "nuget", name: Name },
    Pub => "Pub" { purl: "pub", name: Name },
    Hex => "Hex" { purl: "hex", name: Name },
    ConanCenter => "ConanCenter" { purl: "conan", name: Name },
    Cran => "CRAN" { purl: "cran", name: Name },
    Hackage => "Hackage" { purl: "hackage", name: Name },
    Ghc => "GHC" { purl: "hackage", name: Name, read_back: false },
    Julia => "Julia" { purl: "julia", name: Name },
    Opam => "opam" { purl: "opam", name: Name },
    SwiftUrl => "SwiftURL" { purl: "swift", name: Path },
    Debian => "Debian" { purl: "deb", name: Distro(&["debian"]) },
    Ubuntu => "Ubuntu" { purl: "deb", name: Distro(&["ubuntu"]) },
    Alpine => "Alpine" { purl: "apk", name: Distro(&["alpine"]) },
    AlmaLinux => "AlmaLinux" { purl: "rpm", name: Distro(&["almalinux", "alma"]) },
    RockyLinux => "Rocky Linux" { purl: "rpm", name: Distro(&["rocky", "rockylinux", "rocky-linux"]) },
    RedHat => "Red Hat" { purl: "rpm", name: Distro(&["redhat", "rhel"]) },
    Suse => "SUSE" { purl: "rpm", name: Distro(&["suse", "sles"]) },
    OpenSuse => "openSUSE" {
        purl: "rpm",
        name: Distro(&["opensuse", "opensuse-leap", "opensuse.leap", "opensuse-tumbleweed", "opensuse.tumbleweed"])
    },
    Wolfi => "Wolfi" { purl: "apk", name: Distro(&["wolfi"]) },
    Chainguard => "Chainguard" { purl: "apk", name: Distro(&["chainguard"]) },
    Bitnami => "Bitnami" { purl: "bitnami", name: Name },
    Git => "GIT" { purl: "generic", name: Name, read_back: false },
    OssFuzz => "OSS-Fuzz" { purl: "generic", name: Name, read_back: false },
}

impl EcosystemKind {
    /// The ecosystem a purl type read from a document stands for. For OS package
    /// types (`deb`, `apk`, `rpm`) this is the first of their distributions: the
    /// namespace tells which one ([`EcosystemKind::from_distro_id`]).
    pub fn from_purl_type(purl_type: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|kind| kind.purl_type() == purl_type && kind.purl_reads_back())
    }

    /// The OS ecosystem a distribution id names (`debian`, `rhel`, `opensuse-leap`),
    /// case and surrounding space ignored.
    pub fn from_distro_id(id: &str) -> Option<Self> {
        let id = id.trim().to_ascii_lowercase();
        Self::ALL.iter().copied().find(|kind| match kind.purl_name() {
            PurlName::Distro(ids) => ids.contains(&id.as_str()),
            _ => false,
        })
    }
}

impl EcosystemKind {
    /// The canonical form of a package name, used as the key for matching.
    ///
    /// Only the rules the ecosystem itself applies: PEP 503 for PyPI, case folding where
    /// the registry is case-insensitive. Display keeps the declared spelling.
    pub fn normalize_name(self, name: &str) -> String {
        match self {
            EcosystemKind::PyPI => pep503_normalize(name),
            EcosystemKind::NuGet | EcosystemKind::Packagist | EcosystemKind::Hackage | EcosystemKind::Pub => {
                name.to_ascii_lowercase()
            }
            _ => name.to_string(),
        }
    }
}

/// PEP 503: lowercase, and every run of `-`, `_` and `.` becomes a single `-`.
pub fn pep503_normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    out
}

impl Ecosystem {
    /// An ecosystem without a release.
    pub const fn new(kind: EcosystemKind) -> Self {
        Ecosystem { kind, release: None }
    }

    /// An OS ecosystem at a release, spelled as OSV spells it (`Debian:12`).
    pub fn with_release(kind: EcosystemKind, release: impl Into<String>) -> Self {
        Ecosystem { kind, release: Some(release.into()) }
    }
}

impl From<EcosystemKind> for Ecosystem {
    fn from(kind: EcosystemKind) -> Self {
        Ecosystem::new(kind)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.osv_name())?;
        if let Some(release) = &self.release {
            write!(f, ":{release}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Ecosystem {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (base, release) = match s.split_once(':') {
            Some((base, release)) => (base, Some(release.to_string())),
            None => (s, None),
        };
        let kind = EcosystemKind::from_osv_name(base).ok_or_else(|| format!("unknown ecosystem {s:?}"))?;
        Ok(Ecosystem { kind, release })
    }
}

impl From<Ecosystem> for String {
    fn from(e: Ecosystem) -> String {
        e.to_string()
    }
}

impl TryFrom<String> for Ecosystem {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Where a package was declared: a file relative to the scan root, the 1-based line of
/// its declaration, and for images the layer that introduced the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// Path relative to the scan root, with `/` separators.
    pub path: String,
    /// The 1-based line of the declaration, when the format has lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The digest of the image layer the file came from, for packages found in images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

impl Location {
    /// A place in a file (path shown relative, `/`-separated), outside any image.
    pub fn new(path: &Path, line: Option<u32>) -> Self {
        Location { path: display_path(path), line, layer: None }
    }
}

/// A path as shown to users and written into reports: `/`-separated, no leading `./`.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// How a package entered the project, as far as the lockfile says. Ordered from most
/// to least informative, so merging two sightings keeps the better one (`min`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relationship {
    /// Named by the project's own manifest.
    Direct,
    /// Pulled in by another package.
    Transitive,
    /// The format does not say.
    #[default]
    Unknown,
}

impl Relationship {
    /// Whether the format did not say (reports then leave the field out).
    pub fn is_unknown(&self) -> bool {
        *self == Relationship::Unknown
    }
}

/// One package at one exact version, found in one place.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Package {
    /// The ecosystem and, for OS packages, its release.
    pub ecosystem: Ecosystem,
    /// The name as declared (Maven `group:artifact`, npm `@scope/name`). Matching uses
    /// [`Package::match_name`].
    pub name: String,
    /// The exact version, as the ecosystem spells it.
    pub version: String,
    /// The package URL reports and SBOMs give it.
    pub purl: Purl,
    /// Where it was declared.
    pub location: Location,
    /// Whether the project asks for it itself.
    #[serde(default, skip_serializing_if = "Relationship::is_unknown")]
    pub relationship: Relationship,
    /// Only needed for development or tests.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// Optional (npm `optional`, Python extras, …).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// The name the project installs this package under when it differs from the real
    /// one: an npm alias (`"foo": "npm:bar@1.2.3"` is package `bar`, alias `foo`).
    /// Matching and purls use the real name; the alias is kept for people and SBOMs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

impl Package {
    /// The name in the ecosystem's canonical form, the key advisories are looked up by.
    pub fn match_name(&self) -> String {
        self.ecosystem.kind.normalize_name(&self.name)
    }

    /// The order reports use: by file, line, ecosystem, name, version.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (&self.location, &self.ecosystem, &self.name, &self.version)
    }
}

/// Why `version` cannot be the version of a package, if it cannot: it holds a control
/// or whitespace character (Unicode whitespace included, such as U+00A0). No ecosystem
/// writes versions with them, and left in place such a version compares with nothing,
/// so every advisory for the package would silently be uncomparable (issue: `9.5.0` and
/// a no-break space hid 86 advisories). Every extractor's packages pass through here
/// (see [`crate::inventory::Extracted::take_malformed`]).
pub fn malformed_version(version: &str) -> Option<String> {
    let bad = version.chars().find(|&c| c == ' ' || crate::visible::is_hidden(c))?;
    Some(format!("contains U+{:04X}, a control, whitespace or invisible character", bad as u32))
}

/// A container image that was scanned: what reports say about the subject itself
/// (the SBOM's main component, SARIF's logical locations).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSubject {
    /// The reference as normalised (`docker.io/library/debian:12`, `oci-archive:img.tar:tag`).
    pub reference: String,
    /// `sha256:…` of the image manifest.
    pub manifest_digest: String,
    /// `linux/amd64`.
    pub platform: String,
    /// The distribution's own name (`Debian GNU/Linux 12 (bookworm)`), when detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// The OSV ecosystem of the distribution release (`Debian:12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<Ecosystem>,
    /// Layer digests, bottom first.
    pub layers: Vec<String>,
    /// The manifest's `org.opencontainers.image.base.name` annotation, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_name: Option<String>,
    /// The manifest's `org.opencontainers.image.base.digest` annotation, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_digest: Option<String>,
}

/// Why a finding is suppressed (set by [`crate::triage`]: ignore file, VEX,
/// `--ignore-unfixed`); reports show it with `--show-suppressed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// What suppressed it.
    pub kind: SuppressionKind,
    /// Why, as the ignore entry or VEX statement says.
    pub reason: String,
    /// VEX's justification (`vulnerable_code_not_in_execute_path`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The ignore entry's last day (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The ignore or VEX file, or `--ignore-unfixed`.
    pub source: String,
}

/// What suppressed a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionKind {
    /// An entry of the ignore file.
    Ignore,
    /// A VEX statement (not affected, or fixed).
    Vex,
    /// `--ignore-unfixed`: no fixed version exists.
    Unfixed,
}

impl Suppression {
    /// One line for people: `ignore: not reachable (until 2027-01-31, .customs-ignore.yaml)`.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            SuppressionKind::Ignore => "ignore",
            SuppressionKind::Vex => "vex",
            SuppressionKind::Unfixed => "unfixed",
        };
        // One line whatever the file held (YAML block scalars, VEX prose): tables stay tables.
        let reason = self.reason.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut text = format!("{kind}: {reason}");
        let mut details: Vec<String> = self.justification.iter().cloned().collect();
        details.extend(self.expires.iter().map(|e| format!("until {e}")));
        details.push(self.source.clone());
        text.push_str(&format!(" ({})", details.join(", ")));
        text
    }
}

/// What one of the project's own packages is to the project. Spelled in reports as
/// `root`, `workspace-member`, `path` or `link` (CycloneDX property `customs:own`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OwnKind {
    /// The project the lockfile belongs to (npm's `""` entry, yarn's `workspace:.`).
    Root,
    /// A member of the project's workspace (a Cargo member, an npm/pnpm/yarn/bun
    /// workspace).
    WorkspaceMember,
    /// A package the project takes from a folder of its own (`file:`, Bundler `PATH`,
    /// a Cargo path dependency, a Composer path repository).
    Path,
    /// A symlink to a folder of the project (pnpm `link:`, yarn `link:`/`portal:`).
    Link,
}

impl OwnKind {
    /// The spelling reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnKind::Root => "root",
            OwnKind::WorkspaceMember => "workspace-member",
            OwnKind::Path => "path",
            OwnKind::Link => "link",
        }
    }
}

/// A package that is the project's own code: listed in SBOMs, never matched against
/// registry advisories. It lives in its own list ([`crate::inventory::Extracted::own`],
/// `Inventory::own`) rather than among the packages, so no matcher can reach it by
/// accident: a local crate named `smallvec` is not crates.io's `smallvec`, and only
/// proof that it is the very package published (a registry source or checksum in the
/// lockfile) could make it one, which these entries by definition lack.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OwnPackage {
    /// Why it is the project's own (root, workspace member, path, link).
    pub kind: OwnKind,
    /// Name, version (empty when the lockfile records none), purl and where declared.
    #[serde(flatten)]
    pub package: Package,
}

impl OwnPackage {
    /// An own package; `version` is `None` when the lockfile does not record one, and
    /// then the purl carries no version either.
    pub fn new(
        kind: OwnKind,
        ecosystem: EcosystemKind,
        name: impl Into<String>,
        version: Option<&str>,
        location: Location,
    ) -> OwnPackage {
        let version = version.map(str::trim).unwrap_or_default();
        let mut package = Package::new(ecosystem, name, version, location);
        if version.is_empty() {
            package.purl.version = None;
        }
        OwnPackage { kind, package }
    }

    /// The order reports use, as for packages.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (self.package.sort_key(), self.kind)
    }
}

/// A declaration the extractor saw but could not turn into an exact package, such as an
/// unpinned requirement. Reported so that nothing is silently invented or dropped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Where it was declared.
    pub location: Location,
    /// What was declared, as written.
    pub declaration: String,
    /// Why it is not a package customs can match.
    pub reason: String,
}

impl Package {
    /// A package with the purl its ecosystem's purl type prescribes (see
    /// [`default_purl`]); extractors that know more (qualifiers) replace it.
    pub fn new(
        kind: EcosystemKind,
        name: impl Into<String>,
        version: impl Into<String>,
        location: Location,
    ) -> Package {
        let name = name.into();
        let version = version.into();
        let purl = default_purl(kind, &name, &version);
        Package {
            ecosystem: Ecosystem::new(kind),
            name,
            version,
            purl,
            location,
            relationship: Relationship::Unknown,
            dev: false,
            optional: false,
            alias: None,
        }
    }

    /// Records the name this package is installed under, when it is not its own.
    pub fn with_alias(mut self, alias: Option<&str>) -> Package {
        self.alias = alias.filter(|a| *a != self.name).map(str::to_string);
        self
    }

    /// The same package with this relationship.
    pub fn with_relationship(mut self, relationship: Relationship) -> Package {
        self.relationship = relationship;
        self
    }

    /// The same package, marked as needed only for development.
    pub fn with_dev(mut self, dev: bool) -> Package {
        self.dev = dev;
        self
    }

    /// The same package, marked as optional.
    pub fn with_optional(mut self, optional: bool) -> Package {
        self.optional = optional;
        self
    }
}

/// The purl of a package of an ecosystem, its name split into namespace and name as
/// [`EcosystemKind::purl_name`] says (npm scopes, Maven `group:artifact`, Go module
/// paths, Composer `vendor/name`, OS packages under their distribution). Go versions
/// carry their `v` in the purl only.
pub fn default_purl(kind: EcosystemKind, name: &str, version: &str) -> Purl {
    let split_last_slash = || match name.rsplit_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, name),
    };
    let (namespace, short_name) = match kind.purl_name() {
        PurlName::Name => (None, name),
        PurlName::Scoped | PurlName::Path => split_last_slash(),
        PurlName::GroupArtifact => match name.split_once(':') {
            Some((group, artifact)) => (Some(group), artifact),
            None => (None, name),
        },
        PurlName::Distro(ids) => (ids.first().copied(), name),
    };
    let version = match kind {
        EcosystemKind::Go if !version.is_empty() && !version.starts_with('v') => format!("v{version}"),
        _ => version.to_string(),
    };
    Purl::new(kind.purl_type(), namespace, short_name, Some(&version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_with_control_or_whitespace_characters_are_malformed() {
        assert_eq!(malformed_version("9.5.0"), None);
        assert_eq!(malformed_version("1.0.0-rc.1+build.5"), None);
        let nbsp = malformed_version("9.5.0\u{a0}").unwrap();
        assert_eq!(nbsp, "contains U+00A0, a control, whitespace or invisible character");
        for bad in
            ["1.0 ", " 1.0", "1.0\n", "1.0\t", "1\u{1b}[2J", "1.0\u{200b}", "1.0\u{3000}", "\u{feff}1.0", "1.0\u{202e}"]
        {
            assert!(malformed_version(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn pep503() {
        assert_eq!(pep503_normalize("Foo__Bar.-baz"), "foo-bar-baz");
        assert_eq!(pep503_normalize("zope.interface"), "zope-interface");
    }

    #[test]
    fn ecosystem_round_trips_with_release() {
        let e: Ecosystem = "Debian:12".parse().unwrap();
        assert_eq!(e, Ecosystem::with_release(EcosystemKind::Debian, "12"));
        assert_eq!(e.to_string(), "Debian:12");
        assert_eq!("Rocky Linux:9".parse::<Ecosystem>().unwrap().kind, EcosystemKind::RockyLinux);
        assert!("Nope".parse::<Ecosystem>().is_err());
    }

    #[test]
    fn default_purls() {
        let p = |k, n, v| default_purl(k, n, v).to_string();
        assert_eq!(p(EcosystemKind::Go, "github.com/Foo/bar", "1.2.3"), "pkg:golang/github.com/foo/bar@v1.2.3");
        assert_eq!(
            p(EcosystemKind::Maven, "org.apache:commons-lang3", "3.1"),
            "pkg:maven/org.apache/commons-lang3@3.1"
        );
        assert_eq!(p(EcosystemKind::Npm, "@babel/core", "7.0.0"), "pkg:npm/%40babel/core@7.0.0");
        assert_eq!(p(EcosystemKind::Packagist, "Symfony/Console", "5.0.0"), "pkg:composer/symfony/console@5.0.0");
        assert_eq!(p(EcosystemKind::PyPI, "Django_Filter", "2.0"), "pkg:pypi/django-filter@2.0");
        assert_eq!(p(EcosystemKind::CratesIo, "serde", "1.0.0"), "pkg:cargo/serde@1.0.0");
        assert_eq!(p(EcosystemKind::Go, "stdlib", ""), "pkg:golang/stdlib");
        assert_eq!(p(EcosystemKind::Go, "golang.org/x/net", "v0.1.0"), "pkg:golang/golang.org/x/net@v0.1.0");
        assert_eq!(p(EcosystemKind::Maven, "no-group", "1"), "pkg:maven/no-group@1");
        assert_eq!(p(EcosystemKind::Ghc, "ghc", "9.4.7"), "pkg:hackage/ghc@9.4.7");
        assert_eq!(p(EcosystemKind::Git, "openssl", "3.0.0"), "pkg:generic/openssl@3.0.0");
        assert_eq!(
            p(EcosystemKind::SwiftUrl, "github.com/apple/swift-nio", "2.0.0"),
            "pkg:swift/github.com/apple/swift-nio@2.0.0"
        );
    }

    #[test]
    fn os_packages_are_written_under_their_distribution() {
        let written: Vec<String> = EcosystemKind::ALL
            .iter()
            .filter(|kind| matches!(kind.purl_name(), PurlName::Distro(_)))
            .map(|&kind| default_purl(kind, "openssl", "3.0.7").to_string())
            .collect();
        assert_eq!(
            written,
            [
                "pkg:deb/debian/openssl@3.0.7",
                "pkg:deb/ubuntu/openssl@3.0.7",
                "pkg:apk/alpine/openssl@3.0.7",
                "pkg:rpm/almalinux/openssl@3.0.7",
                "pkg:rpm/rocky/openssl@3.0.7",
                "pkg:rpm/redhat/openssl@3.0.7",
                "pkg:rpm/suse/openssl@3.0.7",
                "pkg:rpm/opensuse/openssl@3.0.7",
                "pkg:apk/wolfi/openssl@3.0.7",
                "pkg:apk/chainguard/openssl@3.0.7",
            ]
        );
    }

    #[test]
    fn purl_types_read_back_as_the_ecosystem_that_wrote_them() {
        for &kind in EcosystemKind::ALL {
            let ty = kind.purl_type();
            assert_eq!(default_purl(kind, "name", "1.0").ty, ty, "{kind:?}");
            let read_back = match kind.purl_name() {
                // The type says OS package; the namespace written says which distribution.
                PurlName::Distro(ids) => {
                    assert_eq!(EcosystemKind::from_purl_type(ty).map(EcosystemKind::purl_type), Some(ty));
                    EcosystemKind::from_distro_id(ids[0])
                }
                _ => EcosystemKind::from_purl_type(ty),
            };
            if kind.purl_reads_back() {
                assert_eq!(read_back, Some(kind), "{ty}");
            } else {
                assert_ne!(read_back, Some(kind), "{ty}");
            }
        }
        assert_eq!(EcosystemKind::from_purl_type("hackage"), Some(EcosystemKind::Hackage));
        assert_eq!(EcosystemKind::from_purl_type("generic"), None);
        assert_eq!(EcosystemKind::from_purl_type("Cargo"), None, "purl types are compared as parsed (lowercase)");
    }

    #[test]
    fn distribution_ids_are_lowercase_and_name_one_ecosystem_each() {
        let mut seen = std::collections::HashSet::new();
        for &kind in EcosystemKind::ALL {
            if let PurlName::Distro(ids) = kind.purl_name() {
                assert!(!ids.is_empty(), "{kind:?}");
                for id in ids {
                    assert_eq!(*id, id.to_ascii_lowercase());
                    assert!(seen.insert(*id), "{id} twice");
                }
            }
        }
        assert_eq!(EcosystemKind::from_distro_id(" RHEL "), Some(EcosystemKind::RedHat));
        assert_eq!(EcosystemKind::from_distro_id("opensuse.tumbleweed"), Some(EcosystemKind::OpenSuse));
        assert_eq!(EcosystemKind::from_distro_id("centos"), None);
    }
}
