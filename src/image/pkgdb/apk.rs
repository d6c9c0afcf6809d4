//! Alpine, Wolfi and Chainguard packages: apk's database, `/lib/apk/db/installed`
//! (`/usr/lib/apk/db/installed` on usr-merged systems).
//!
//! The database is one record per installed package, records separated by a blank
//! line, each line `<letter>:<value>`: `P` name, `V` version, `A` architecture, `o`
//! origin (the aport the package was built from); the file list (`F`, `R`, `a`, `Z`)
//! and the rest are not needed. Everything in it is installed.
//!
//! How one package becomes one [`Package`], as for dpkg:
//! - `name` is the **origin** (`openssl` for `libcrypto3`), falling back to `P`,
//!   because Alpine's secdb and OSV's Alpine, Wolfi and Chainguard advisories name
//!   origins; `version` is `V` (subpackages share their origin's version);
//! - `purl` is the installed package's:
//!   `pkg:apk/alpine/libcrypto3@3.1.3-r0?arch=x86_64&distro=3.18.4&upstream=openssl`
//!   (namespace `alpine`, `wolfi` or `chainguard`; `distro` is the full `VERSION_ID`;
//!   `upstream` only when the origin differs);
//! - `ecosystem` is the detected `Alpine:v3.18`, `Wolfi` or `Chainguard`, plain
//!   `Alpine` when no apk distribution was detected;
//! - `location` is the database file with a leading `/`, the line of the record's `P:`
//!   and the layer the file came from.
//!
//! A record without `P:` or `V:`, or with a name, version or origin outside apk's
//! characters (reports print them), is skipped with its line and reason ([`scan`]
//! returns those); a database over [`MAX_DATABASE_BYTES`] or with more than
//! [`MAX_RECORDS`] records is an error naming it and its layer.

use super::super::fs::{Collected, Collector, Context, ImageFs};
use crate::inventory::Extracted;
use crate::model::{Ecosystem, EcosystemKind, Location, Package, Skipped};
use crate::purl::Purl;

/// Reads Alpine's (and Wolfi's) `lib/apk/db/installed`.
pub struct Apk;

/// Where apk keeps its database, in the order they are tried: a usr-merged image links
/// `lib` to `usr/lib`, so the first usually finds the second's file too.
pub(crate) const DATABASES: [&str; 2] = ["lib/apk/db/installed", "usr/lib/apk/db/installed"];

/// The largest database read. Thousands of packages with their file lists make a few
/// MiB; anything over this is hostile.
pub const MAX_DATABASE_BYTES: usize = 64 * 1024 * 1024;

/// The most records a database may hold: Alpine's whole repository has fewer packages;
/// a file with more is made to exhaust memory.
pub const MAX_RECORDS: usize = 100_000;

impl Collector for Apk {
    fn id(&self) -> &'static str {
        "os/apk"
    }

    fn wants(&self, path: &str) -> bool {
        DATABASES.contains(&path)
    }

    fn collect(&self, fs: &ImageFs, context: &Context) -> Result<Vec<Package>, String> {
        scan(fs, context).map(|extracted| extracted.packages)
    }

    fn collect_all(&self, fs: &ImageFs, context: &Context) -> Result<Collected, String> {
        scan(fs, context).map(Collected::from)
    }
}

/// Reads the first database found into packages, and the records that could not be
/// read into `skipped`. A database over [`MAX_DATABASE_BYTES`] is an error naming it.
pub fn scan(fs: &ImageFs, context: &Context) -> Result<Extracted, String> {
    let mut out = Extracted::default();
    let Some((path, layer, bytes)) =
        DATABASES.iter().find_map(|path| fs.read(path).map(|(layer, bytes)| (path, layer, bytes)))
    else {
        return Ok(out);
    };
    let path = format!("/{path}");
    if bytes.len() > MAX_DATABASE_BYTES {
        return Err(format!(
            "{path} (layer {layer}): {} bytes, over the {} MiB limit for an apk database",
            bytes.len(),
            MAX_DATABASE_BYTES >> 20
        ));
    }
    let flavour = Flavour::of(context);
    let text = String::from_utf8_lossy(bytes);
    let records = records(&text)
        .ok_or_else(|| format!("{path} (layer {layer}): more than {MAX_RECORDS} records in an apk database"))?;
    for record in records {
        let location = |line: u32| Location { path: path.clone(), line: Some(line), layer: Some(layer.to_string()) };
        // Declarations are shown in reports: control characters are escaped.
        let mut skip = |line: u32, declaration: &str, reason: &str| {
            let declaration = declaration.escape_debug().to_string();
            out.skipped.push(Skipped { location: location(line), declaration, reason: reason.to_string() });
        };
        let Some((line, name)) = record.name else {
            let (line, first) = record.first_line;
            skip(line, first, "record has no P: (package name)");
            continue;
        };
        let declaration = format!("P:{name}");
        if !is_package_name(name) {
            skip(line, &declaration, "malformed package name");
            continue;
        }
        let Some(version) = record.version.filter(|v| is_version(v)) else {
            let reason = if record.version.is_some() { "malformed V: (version)" } else { "record has no V: (version)" };
            skip(line, &declaration, reason);
            continue;
        };
        let origin = match record.origin.filter(|o| !o.is_empty()) {
            None => name,
            Some(origin) if is_package_name(origin) => origin,
            Some(_) => {
                skip(line, &declaration, "malformed o: (origin)");
                continue;
            }
        };
        let mut purl = Purl::new("apk", Some(&flavour.namespace()), name, Some(version))
            .with_qualifier("arch", record.arch.unwrap_or_default());
        if let Some(distro) = &flavour.distro {
            purl = purl.with_qualifier("distro", distro.as_str());
        }
        if origin != name {
            purl = purl.with_qualifier("upstream", origin);
        }
        let mut package = Package::new(flavour.ecosystem.kind, origin, version, location(line));
        package.ecosystem = flavour.ecosystem.clone();
        package.purl = purl;
        out.packages.push(package);
    }
    Ok(out)
}

/// Alpine, Wolfi or Chainguard, and the purl's `distro` qualifier, from the detected OS.
struct Flavour {
    ecosystem: Ecosystem,
    /// The full `VERSION_ID` (`3.18.4`), when the OS is an apk distribution that has one.
    distro: Option<String>,
}

impl Flavour {
    fn of(context: &Context) -> Flavour {
        if let Some(os) = &context.os {
            if let Some(ecosystem) = os.ecosystem.as_ref().filter(|e| is_apk_ecosystem(e.kind)) {
                let distro = (!os.version_id.is_empty()).then(|| os.version_id.clone());
                return Flavour { ecosystem: ecosystem.clone(), distro };
            }
        }
        Flavour { ecosystem: Ecosystem::new(EcosystemKind::Alpine), distro: None }
    }

    fn namespace(&self) -> String {
        self.ecosystem.kind.osv_name().to_ascii_lowercase()
    }
}

/// apk package name characters. Names are printed in reports as they are, so nothing
/// else (spaces, control characters) gets through.
fn is_package_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_'))
}

/// apk version characters (`1.2.4-r2`, `2.0_p1-r0`, `1.0_git20230101-r1`).
fn is_version(version: &str) -> bool {
    !version.is_empty()
        && version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '~'))
}

fn is_apk_ecosystem(kind: EcosystemKind) -> bool {
    matches!(kind, EcosystemKind::Alpine | EcosystemKind::Wolfi | EcosystemKind::Chainguard)
}

/// The fields of one record customs uses; `name` with its 1-based line.
#[derive(Default)]
struct Record<'a> {
    first_line: (u32, &'a str),
    name: Option<(u32, &'a str)>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    origin: Option<&'a str>,
}

/// Splits the database into records (first occurrence of each field wins); `None`
/// when there are more than [`MAX_RECORDS`].
fn records(text: &str) -> Option<Vec<Record<'_>>> {
    let blocks = super::blocks(text, MAX_RECORDS, |_| true)?;
    Some(blocks.into_iter().map(|lines| record(&lines)).collect())
}

/// One record's fields from its lines.
fn record<'a>(lines: &[(u32, &'a str)]) -> Record<'a> {
    let mut record = Record { first_line: lines[0], ..Record::default() };
    for &(number, line) in lines {
        let mut chars = line.chars();
        let (Some(key), Some(':')) = (chars.next(), chars.next()) else { continue };
        let value = chars.as_str().trim();
        match key {
            'P' => {
                record.name.get_or_insert((number, value));
            }
            'V' => {
                record.version.get_or_insert(value);
            }
            'A' => {
                record.arch.get_or_insert(value);
            }
            'o' => {
                record.origin.get_or_insert(value);
            }
            _ => {}
        }
    }
    record
}

#[cfg(test)]
mod tests;
