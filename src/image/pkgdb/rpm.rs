//! Installed rpm packages, from whichever database format the image's rpm uses:
//!
//! | file | format | used by |
//! |---|---|---|
//! | `rpmdb.sqlite` | SQLite ([`sqlite`]) | rpm ≥ 4.16: RHEL/AlmaLinux/Rocky 9, Fedora ≥ 33 |
//! | `Packages.db` | rpm's ndb ([`ndb`]) | SLES ≥ 15 SP3, openSUSE Leap ≥ 15.3, Tumbleweed |
//! | `Packages` | Berkeley DB hash ([`bdb`]) | RHEL/CentOS ≤ 8, Amazon Linux 2, older SUSE |
//!
//! in `/var/lib/rpm` or `/usr/lib/sysimage/rpm` (where Fedora and SUSE moved it; the
//! other path is then usually a symlink). All three store the same thing, one header
//! blob per package ([`header`]). An image has one live database; when more are
//! present (a conversion left the old one behind) the newest format wins, then the
//! newer directory.
//!
//! Each package is the binary rpm: AlmaLinux, Rocky Linux, Red Hat and SUSE
//! advisories list binary package names (`openssl-libs`, not `openssl`), and versions
//! as rpm compares them, `EPOCH:VERSION-RELEASE` with no epoch when it is 0. The
//! ecosystem is the detected distribution's (`AlmaLinux:9`); without one that customs
//! matches, the package keeps the ecosystem of its distribution family with no release
//! (`Red Hat` for Fedora, CentOS or an unknown OS), so it is listed but never matched
//! against another release's advisories. `gpg-pubkey` entries are imported signing
//! keys, not packages: they are skipped.

mod bdb;
mod header;
mod ndb;
mod sqlite;
#[cfg(test)]
mod testing;

pub use header::{HeaderError, RpmPackage};

use super::super::fs::{Collector, Context, ImageFs};
use super::super::os::OsRelease;
use crate::model::{Ecosystem, EcosystemKind, Location, Package};
use crate::purl::Purl;

/// Reads the rpm database (`rpmdb.sqlite`, `Packages.db`, `Packages`).
pub struct Rpm;

/// Called by each format's reader with every stored header blob and its record id
/// (`hnum`, header number or package index), which errors name.
type BlobVisitor<'a> = dyn FnMut(u64, &[u8]) -> Result<(), String> + 'a;

/// Where rpm keeps its database, the newer location first.
pub(crate) const DATABASE_DIRS: [&str; 2] = ["usr/lib/sysimage/rpm", "var/lib/rpm"];

/// SQLite's write-ahead log beside `rpmdb.sqlite`: transactions not yet checkpointed.
const SQLITE_WAL: &str = "rpmdb.sqlite-wal";

/// The size cap for keeping a database file while layers stream by: real databases
/// are 10–100 MB, a large desktop install a few hundred.
pub const MAX_DATABASE_SIZE: u64 = 512 << 20;

/// The three database formats, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `rpmdb.sqlite` (rpm 4.16 and later, Fedora and RHEL 9).
    Sqlite,
    /// `Packages.db`, SUSE's NDB format.
    Ndb,
    /// `Packages`, Berkeley DB hash (RHEL 8 and older).
    BerkeleyDb,
}

impl Format {
    /// Every format, in the order they are looked for.
    pub const ALL: [Format; 3] = [Format::Sqlite, Format::Ndb, Format::BerkeleyDb];

    /// The database's file name in `var/lib/rpm/` (or `usr/lib/sysimage/rpm/`).
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Sqlite => "rpmdb.sqlite",
            Format::Ndb => "Packages.db",
            Format::BerkeleyDb => "Packages",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Format::Sqlite => "SQLite",
            Format::Ndb => "ndb",
            Format::BerkeleyDb => "Berkeley DB",
        }
    }
}

impl Collector for Rpm {
    fn id(&self) -> &'static str {
        "os/rpm"
    }

    fn wants(&self, path: &str) -> bool {
        let Some((dir, file)) = path.rsplit_once('/') else { return false };
        DATABASE_DIRS.contains(&dir) && (file == SQLITE_WAL || Format::ALL.iter().any(|f| f.file_name() == file))
    }

    fn collect(&self, fs: &ImageFs, context: &Context) -> Result<Vec<Package>, String> {
        let Some(found) = find_database(fs) else { return Ok(Vec::new()) };
        let wal = match found.format {
            Format::Sqlite => fs.read(&format!("{}/{SQLITE_WAL}", found.dir)).map(|(_, bytes)| bytes),
            _ => None,
        };
        let installed = read_installed(found.format, found.bytes, wal).map_err(|e| {
            format!("rpm database /{} ({}, layer {}): {e}", found.path, found.format.describe(), found.layer)
        })?;
        let location = Location { path: format!("/{}", found.path), line: None, layer: Some(found.layer.to_string()) };
        let distro = Distro::new(context.os.as_ref());
        Ok(installed.iter().filter(|p| p.name != "gpg-pubkey").map(|p| distro.package(p, &location)).collect())
    }
}

struct Found<'a> {
    /// The database's real path (symlinks resolved), without a leading `/`.
    path: String,
    dir: String,
    format: Format,
    layer: &'a str,
    bytes: &'a [u8],
}

fn find_database(fs: &ImageFs) -> Option<Found<'_>> {
    Format::ALL.iter().find_map(|&format| {
        DATABASE_DIRS.iter().find_map(|dir| {
            let wanted = format!("{dir}/{}", format.file_name());
            let (layer, bytes) = fs.read(&wanted)?;
            let path = fs.resolve(&wanted).unwrap_or(wanted);
            let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir).to_string();
            Some(Found { path, dir, format, layer, bytes })
        })
    })
}

/// Every package a database lists (`gpg-pubkey` entries included), sorted by name,
/// version and architecture. `wal` is SQLite's write-ahead log, when there is one.
pub fn read_installed(format: Format, db: &[u8], wal: Option<&[u8]>) -> Result<Vec<RpmPackage>, String> {
    if db.len() as u64 > MAX_DATABASE_SIZE {
        return Err(format!("{} bytes, over the {MAX_DATABASE_SIZE}-byte cap", db.len()));
    }
    let mut packages = Vec::new();
    let mut visit = |id: u64, blob: &[u8]| -> Result<(), String> {
        packages.push(RpmPackage::from_blob(blob).map_err(|e| format!("package {id}: {e}"))?);
        Ok(())
    };
    match format {
        Format::Sqlite => sqlite::read_blobs(db, wal, &mut visit)?,
        Format::Ndb => ndb::read_blobs(db, &mut visit)?,
        Format::BerkeleyDb => bdb::read_blobs(db, &mut visit)?,
    }
    packages.sort_by(|a, b| (&a.name, a.evr(), &a.arch).cmp(&(&b.name, b.evr(), &b.arch)));
    Ok(packages)
}

/// What the distribution contributes to each package: ecosystem, purl namespace and
/// `distro` qualifier.
struct Distro {
    ecosystem: Ecosystem,
    namespace: Option<String>,
    qualifier: Option<String>,
}

impl Distro {
    fn new(os: Option<&OsRelease>) -> Distro {
        let Some(os) = os else {
            return Distro { ecosystem: Ecosystem::new(EcosystemKind::RedHat), namespace: None, qualifier: None };
        };
        let id = os.id.trim().to_ascii_lowercase();
        let ecosystem = match &os.ecosystem {
            Some(ecosystem) if rpm_family(&ecosystem.kind) => ecosystem.clone(),
            _ => Ecosystem::new(family_of(&id)),
        };
        let version = os.version_id.trim();
        let qualifier =
            (!id.is_empty()).then(|| if version.is_empty() { id.clone() } else { format!("{id}-{version}") });
        Distro { ecosystem, namespace: (!id.is_empty()).then(|| purl_namespace(&id).to_string()), qualifier }
    }

    fn package(&self, rpm: &RpmPackage, location: &Location) -> Package {
        let version = format!("{}-{}", rpm.version, rpm.release);
        let mut purl = Purl::new("rpm", self.namespace.as_deref(), &rpm.name, Some(&version))
            .with_qualifier("arch", rpm.arch.clone().unwrap_or_default())
            .with_qualifier("distro", self.qualifier.clone().unwrap_or_default())
            .with_qualifier("upstream", rpm.source_rpm.clone().unwrap_or_default());
        if let Some(epoch) = rpm.epoch.filter(|&e| e > 0) {
            purl = purl.with_qualifier("epoch", epoch.to_string());
        }
        let mut package = Package::new(self.ecosystem.kind, rpm.name.clone(), rpm.evr(), location.clone());
        package.ecosystem = self.ecosystem.clone();
        package.purl = purl;
        package
    }
}

fn rpm_family(kind: &EcosystemKind) -> bool {
    use EcosystemKind::*;
    matches!(kind, AlmaLinux | RockyLinux | RedHat | Suse | OpenSuse)
}

/// The ecosystem family of an os-release `ID` when the OS detection gave no rpm
/// ecosystem: SUSE's own, else Red Hat's (Fedora, CentOS and the rest descend from it).
fn family_of(id: &str) -> EcosystemKind {
    match id {
        "almalinux" => EcosystemKind::AlmaLinux,
        "rocky" => EcosystemKind::RockyLinux,
        id if id.starts_with("opensuse") => EcosystemKind::OpenSuse,
        id if id == "suse" || id.starts_with("sles") || id.starts_with("sle-") || id == "sled" => EcosystemKind::Suse,
        _ => EcosystemKind::RedHat,
    }
}

/// The purl namespace (the vendor) for an os-release `ID`, as the purl spec's rpm
/// examples and other scanners spell it.
fn purl_namespace(id: &str) -> &str {
    match id {
        "rhel" => "redhat",
        "ol" => "oracle",
        "amzn" => "amazon",
        id if id.starts_with("opensuse") => "opensuse",
        id if id.starts_with("sles") || id.starts_with("sle-") || id == "sled" => "suse",
        id => id,
    }
}

#[cfg(test)]
mod tests;
