//! Debian and Ubuntu packages: dpkg's database, `/var/lib/dpkg/status`, and the
//! per-package files distroless images keep in `/var/lib/dpkg/status.d/` instead.
//!
//! Both are deb822 stanzas (`Field: value` lines, indented continuation lines, a blank
//! line between packages). A package counts unless its `Status` says its files are
//! gone (`not-installed`, `config-files`): a half-installed or unpacked package still
//! has its code on disk, and that code is what advisories are about. Distroless
//! stanzas carry no `Status` at all: what is there is installed.
//!
//! How one binary package becomes one [`Package`]:
//! - `name` and `version` are the **source** package's (`Source: util-linux
//!   (2.38.1-5+deb12u3)` for `bsdutils` `1:2.38.1-5+deb12u3`; without `Source:` the
//!   binary's own), because Debian and Ubuntu advisories list source packages: that is
//!   the key matching needs;
//! - `purl` is the **binary** package's, as the purl spec and SBOMs want it:
//!   `pkg:deb/debian/bsdutils@1:2.38.1-5+deb12u3?arch=amd64&distro=debian-12&upstream=util-linux`
//!   (`upstream` only when the source name differs; the epoch stays in the version);
//! - `ecosystem` is `Debian:<release>` or `Ubuntu:<release>` from the detected OS, plain
//!   `Debian` when none was detected;
//! - `location` is the database file with a leading `/`, the line of the stanza's
//!   `Package:` field and the layer the file came from.
//!
//! So a binary package shows under its source name in a report, once per binary
//! (`libc6` amd64 and i386 are two packages named `glibc`), and its purl tells which
//! binary it is.
//!
//! The files come from the image, so they are hostile: a stanza without `Package` or
//! `Version`, with an unreadable `Status`, or with names and versions outside Debian
//! policy's characters (reports print them) is skipped with its line and reason
//! ([`scan`] returns those); a file over [`MAX_DATABASE_BYTES`] or with more than
//! [`MAX_STANZAS`] stanzas is an error naming it and its layer.

use super::super::fs::{Collected, Collector, Context, ImageFs};
use crate::inventory::Extracted;
use crate::model::{Ecosystem, EcosystemKind, Location, Package, Skipped};
use crate::purl::Purl;

/// Reads Debian's and Ubuntu's `var/lib/dpkg/status` and `status.d/`.
pub struct Dpkg;

pub(crate) const STATUS: &str = "var/lib/dpkg/status";
pub(crate) const STATUS_DIR: &str = "var/lib/dpkg/status.d/";

/// The largest database file read. A status file with every package of a big desktop
/// install is around 10 MiB; one larger than this is hostile.
pub const MAX_DATABASE_BYTES: usize = 64 * 1024 * 1024;

/// The most stanzas one database file may hold. Debian's whole archive has fewer binary
/// packages per architecture; a file with more is made to exhaust memory.
pub const MAX_STANZAS: usize = 100_000;

/// Whether a path is one of distroless's per-package stanza files (not the `.md5sums`
/// and `.list` files beside them).
fn is_status_d_file(path: &str) -> bool {
    path.strip_prefix(STATUS_DIR).is_some_and(|name| {
        !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums") && !name.ends_with(".list")
    })
}

impl Collector for Dpkg {
    fn id(&self) -> &'static str {
        "os/dpkg"
    }

    fn wants(&self, path: &str) -> bool {
        path == STATUS || is_status_d_file(path)
    }

    fn collect(&self, fs: &ImageFs, context: &Context) -> Result<Vec<Package>, String> {
        scan(fs, context).map(|extracted| extracted.packages)
    }

    fn collect_all(&self, fs: &ImageFs, context: &Context) -> Result<Collected, String> {
        scan(fs, context).map(Collected::from)
    }
}

/// Reads `status` and then every `status.d` file (in path order) into packages, and
/// the stanzas that could not be read into `skipped`. A file over
/// [`MAX_DATABASE_BYTES`] is an error naming it.
pub fn scan(fs: &ImageFs, context: &Context) -> Result<Extracted, String> {
    let flavour = Flavour::of(context);
    let mut out = Extracted::default();
    if let Some((layer, bytes)) = fs.read(STATUS) {
        read_database(bytes, &format!("/{STATUS}"), layer, &flavour, &mut out)?;
    }
    for (path, layer, bytes) in fs.files().filter(|(path, _, _)| is_status_d_file(path)) {
        read_database(bytes, &format!("/{path}"), layer, &flavour, &mut out)?;
    }
    Ok(out)
}

/// Debian or Ubuntu, and the purl's `distro` qualifier, from the detected OS.
struct Flavour {
    ecosystem: Ecosystem,
    /// `debian-12`, `ubuntu-22.04`: only when the release is known.
    distro: Option<String>,
}

impl Flavour {
    fn of(context: &Context) -> Flavour {
        if let Some(os) = &context.os {
            if let Some(ecosystem) = os.ecosystem.as_ref().filter(|e| is_dpkg_ecosystem(e.kind)) {
                let distro = ecosystem.release.as_ref().map(|_| format!("{}-{}", os.id, os.version_id));
                return Flavour { ecosystem: ecosystem.clone(), distro };
            }
        }
        Flavour { ecosystem: Ecosystem::new(EcosystemKind::Debian), distro: None }
    }

    fn namespace(&self) -> String {
        self.ecosystem.kind.osv_name().to_ascii_lowercase()
    }
}

fn is_dpkg_ecosystem(kind: EcosystemKind) -> bool {
    matches!(kind, EcosystemKind::Debian | EcosystemKind::Ubuntu)
}

/// The fields of one stanza customs uses, each with the 1-based line it is on.
#[derive(Default)]
struct Stanza<'a> {
    first_line: (u32, &'a str),
    package: Option<(u32, &'a str)>,
    version: Option<&'a str>,
    architecture: Option<&'a str>,
    source: Option<&'a str>,
    status: Option<&'a str>,
}

/// Splits deb822 text into stanzas, keeping only the fields above (the first
/// occurrence of each; continuation lines only extend fields customs ignores).
/// `None` when there are more than [`MAX_STANZAS`].
fn stanzas(text: &str) -> Option<Vec<Stanza<'_>>> {
    let blocks = super::blocks(text, MAX_STANZAS, |line| !(line.starts_with([' ', '\t']) || line.starts_with('#')))?;
    Some(blocks.into_iter().map(|lines| stanza(&lines)).collect())
}

/// One stanza's fields from its lines.
fn stanza<'a>(lines: &[(u32, &'a str)]) -> Stanza<'a> {
    let mut stanza = Stanza { first_line: lines[0], ..Stanza::default() };
    for &(number, line) in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        // Field names are case-insensitive (deb822).
        let is = |field: &str| name.eq_ignore_ascii_case(field);
        let slot = if is("Package") {
            stanza.package.get_or_insert((number, value));
            continue;
        } else if is("Version") {
            &mut stanza.version
        } else if is("Architecture") {
            &mut stanza.architecture
        } else if is("Source") {
            &mut stanza.source
        } else if is("Status") {
            &mut stanza.status
        } else {
            continue;
        };
        slot.get_or_insert(value);
    }
    stanza
}

/// Whether dpkg's status leaves the package's files on disk: every state but
/// `not-installed` and `config-files` (`want flag state`, e.g. `install ok installed`).
/// `None` when the field is not three words.
fn files_on_disk(status: &str) -> Option<bool> {
    let words: Vec<&str> = status.split_whitespace().collect();
    match words.as_slice() {
        [_want, _flag, state] => Some(!matches!(*state, "not-installed" | "config-files")),
        _ => None,
    }
}

/// `util-linux (2.38.1-5+deb12u3)` → (`util-linux`, `Some("2.38.1-5+deb12u3")`);
/// `glibc` → (`glibc`, `None`); anything else (`x 1.0`, `x ()`, a bad name) → `None`.
fn parse_source(value: &str) -> Option<(&str, Option<&str>)> {
    let (name, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if !is_package_name(name) {
        return None;
    }
    let rest = rest.trim();
    if rest.is_empty() {
        return Some((name, None));
    }
    let version = rest.strip_prefix('(')?.strip_suffix(')')?.trim();
    is_version(version).then_some((name, Some(version)))
}

/// Debian policy's package name characters (upper case tolerated). Names are printed
/// in reports as they are, so nothing else (spaces, control characters) gets through.
fn is_package_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Debian policy's version characters: `[epoch:]upstream[-revision]`.
fn is_version(version: &str) -> bool {
    !version.is_empty()
        && version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '~' | ':'))
}

/// One dpkg database file (`path` as shown, with its leading `/`) into `out`.
fn read_database(bytes: &[u8], path: &str, layer: &str, flavour: &Flavour, out: &mut Extracted) -> Result<(), String> {
    if bytes.len() > MAX_DATABASE_BYTES {
        return Err(format!(
            "{path} (layer {layer}): {} bytes, over the {} MiB limit for a dpkg database",
            bytes.len(),
            MAX_DATABASE_BYTES >> 20
        ));
    }
    let text = String::from_utf8_lossy(bytes);
    let stanzas = stanzas(&text)
        .ok_or_else(|| format!("{path} (layer {layer}): more than {MAX_STANZAS} stanzas in a dpkg database"))?;
    for stanza in stanzas {
        let location =
            |line: u32| Location { path: path.to_string(), line: Some(line), layer: Some(layer.to_string()) };
        // Declarations are shown in reports: control characters are escaped.
        let skip = |out: &mut Extracted, line: u32, declaration: &str, reason: String| {
            let declaration = declaration.escape_debug().to_string();
            out.skipped.push(Skipped { location: location(line), declaration, reason });
        };
        let Some((line, binary)) = stanza.package else {
            let (line, first) = stanza.first_line;
            skip(out, line, first, "stanza has no Package field".into());
            continue;
        };
        let declaration = format!("Package: {binary}");
        match stanza.status.map(files_on_disk) {
            None | Some(Some(true)) => {}
            Some(Some(false)) => continue,
            Some(None) => {
                let status = stanza.status.unwrap_or_default();
                skip(out, line, &declaration, format!("unreadable Status {status:?}"));
                continue;
            }
        }
        if !is_package_name(binary) {
            skip(out, line, &declaration, "malformed package name".into());
            continue;
        }
        let Some(version) = stanza.version.filter(|v| is_version(v)) else {
            let reason = if stanza.version.is_some() { "malformed Version" } else { "no Version field" };
            skip(out, line, &declaration, reason.into());
            continue;
        };
        let (source, source_version) = match stanza.source.filter(|s| !s.is_empty()).map(parse_source) {
            None => (binary, version),
            Some(Some((name, source_version))) => (name, source_version.unwrap_or(version)),
            Some(None) => {
                let source = stanza.source.unwrap_or_default();
                skip(out, line, &declaration, format!("malformed Source {source:?}"));
                continue;
            }
        };
        let mut purl = Purl::new("deb", Some(&flavour.namespace()), binary, Some(version))
            .with_qualifier("arch", stanza.architecture.unwrap_or_default());
        if let Some(distro) = &flavour.distro {
            purl = purl.with_qualifier("distro", distro.as_str());
        }
        if source != binary {
            purl = purl.with_qualifier("upstream", source);
        }
        let mut package = Package::new(flavour.ecosystem.kind, source, source_version, location(line));
        package.ecosystem = flavour.ecosystem.clone();
        package.purl = purl;
        out.packages.push(package);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
