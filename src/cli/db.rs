//! `customs db`: maintain and inspect the advisory database.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};

use customs::advisory::download::{self, Outcome, UpdateOptions};
use customs::advisory::{db, store};
pub use customs::time::age_days;

#[derive(Args, Debug)]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Download OSV data from osv.dev (or a mirror) and rebuild the local database.
    ///
    /// Each ecosystem's `all.zip` is fetched with a conditional request, so unchanged
    /// files are not downloaded again. The database is replaced atomically: a failed
    /// or interrupted update leaves the previous one in use.
    Update(Box<UpdateArgs>),
    /// Show the database's sources, record counts per ecosystem and age.
    Info(InfoArgs),
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// Where to download from: a URL in osv.dev's bucket layout (`<Ecosystem>/all.zip`),
    /// `file://DIR`, or a local directory.
    #[arg(long, value_name = "URL|PATH", default_value = download::DEFAULT_MIRROR)]
    pub mirror: String,

    /// Fetch only this ecosystem (repeatable; OSV spelling, e.g. `PyPI`, `Debian`).
    /// Default: every ecosystem customs can match.
    #[arg(long = "ecosystem", value_name = "ECOSYSTEM")]
    pub ecosystems: Vec<String>,

    /// Fetch only the ecosystems of the packages found in PATH (a project folder,
    /// lockfile or SBOM, read as `customs scan PATH` reads it). Ecosystems fetched
    /// earlier stay in the cache and in the database.
    #[arg(long = "for", value_name = "PATH", conflicts_with = "ecosystems")]
    pub for_path: Option<PathBuf>,

    /// Fetch only the ecosystems of the packages in this container image (any
    /// reference `customs scan --image` takes: a registry image, `oci:DIR`,
    /// `oci-archive:PATH`, `docker-archive:PATH`). The image is read as a scan reads it,
    /// with the layer cache and the registry flags below.
    #[arg(long = "image", value_name = "REF", conflicts_with_all = ["ecosystems", "for_path"])]
    pub image: Option<String>,

    /// The platform to read from a multi-platform --image.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value = "linux/amd64", requires = "image")]
    pub platform: String,

    /// Seconds before a stalled download is abandoned.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,

    /// How --image's registry is reached (and, for --transfer-timeout and the other
    /// network flags, the mirror too).
    #[command(flatten)]
    pub access: super::image::RegistryAccessArgs,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// Describe this database (or OSV directory, zip or mirror) instead of the default one.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The ecosystems `db update` fetches by default: every base ecosystem customs can
/// match that osv.dev publishes.
pub fn default_ecosystems() -> Vec<String> {
    use customs::model::EcosystemKind::*;
    [
        CratesIo,
        Npm,
        PyPI,
        Go,
        RubyGems,
        Packagist,
        Maven,
        NuGet,
        Pub,
        Hex,
        ConanCenter,
        Cran,
        Hackage,
        Ghc,
        SwiftUrl,
        Debian,
        Ubuntu,
        Alpine,
        AlmaLinux,
        RockyLinux,
        RedHat,
        Suse,
        OpenSuse,
        Wolfi,
        Chainguard,
        Bitnami,
    ]
    .iter()
    .map(|k| k.osv_name().to_string())
    .collect()
}

pub fn run(args: &DbArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    match &args.command {
        DbCommand::Update(update) => run_update(update, cache, quiet),
        DbCommand::Info(info) => run_info(info, cache),
    }
}

// `File::lock`/`try_lock` are std since Rust 1.89, above Cargo.toml's rust-version (1.85):
// that rust-version needs raising; until then this keeps clippy's MSRV check quiet here only.
fn run_update(args: &UpdateArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    let ecosystems = match (&args.for_path, &args.image) {
        (None, Some(reference)) => {
            let options = customs::scan::ImageOptions { platform: args.platform.clone(), ..args.access.options()? };
            let inventory = options
                .inventory(reference, cache)
                .with_context(|| format!("--image {reference}: cannot list the packages to fetch advisories for"))?;
            let ecosystems = download::ecosystems_for(&inventory.packages);
            if ecosystems.is_empty() {
                anyhow::bail!(
                    "--image {reference}: no packages found in the image, so no ecosystem to fetch; leave --image \
                     out to fetch every ecosystem"
                );
            }
            if !quiet {
                super::log::info(format!("fetching the ecosystems of {reference}: {}", ecosystems.join(", ")));
            }
            ecosystems
        }
        (Some(path), _) => {
            let inventory = customs::inventory::walk::read_path(path, &Default::default()).with_context(|| {
                format!("--for {}: cannot list the packages to fetch advisories for", path.display())
            })?;
            let ecosystems = download::ecosystems_for(&inventory.packages);
            if ecosystems.is_empty() {
                anyhow::bail!(
                    "--for {}: no packages found, so no ecosystem to fetch; point --for at a project with \
                     lockfiles, or leave it out to fetch every ecosystem",
                    path.display()
                );
            }
            if !quiet {
                super::log::info(format!("fetching the ecosystems of {}: {}", path.display(), ecosystems.join(", ")));
            }
            ecosystems
        }
        (None, None) if args.ecosystems.is_empty() => default_ecosystems(),
        (None, None) => args.ecosystems.clone(),
    };
    fs::create_dir_all(cache).with_context(|| format!("cannot create cache directory {}", cache.display()))?;
    // One update at a time per cache; readers are safe anyway (files are renamed in).
    let lock_path = cache.join("update.lock");
    let lock = fs::File::create(&lock_path).with_context(|| format!("cannot create {}", lock_path.display()))?;
    if lock.try_lock().is_err() {
        if !quiet {
            super::log::info(format!("another `customs db update` is running on {}; waiting for it", cache.display()));
        }
        lock.lock().context("cannot lock the cache")?;
    }

    let options = UpdateOptions {
        mirror: args.mirror.clone(),
        ecosystems,
        progress: !quiet && !super::log::is_json() && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        timeout: Duration::from_secs(args.timeout),
        retries: 4,
        connect_timeout: args.access.network.connect_timeout(),
        transfer: args.access.network.transfer_limits(),
    };
    let mirror = store::mirror_dir(cache);
    let statuses = download::fetch_mirror(&options, &mirror)?;
    for s in statuses.iter().filter(|_| !quiet) {
        let line = match &s.outcome {
            Outcome::Updated { bytes } => format!("updated ({:.1} MiB)", *bytes as f64 / 1048576.0),
            Outcome::Unchanged => "unchanged".into(),
            Outcome::NotOnMirror => "not on this mirror".into(),
            Outcome::Failed { .. } | Outcome::Unreachable { .. } => continue,
        };
        let line = match (&s.note, line.strip_suffix(')')) {
            (Some(note), Some(open)) => format!("{open}; {note})"),
            (Some(note), None) => format!("{line} ({note})"),
            (None, _) => line,
        };
        let text = format!("  {:<12} {line}", s.ecosystem);
        super::log::event(super::log::Level::Info, &line).text(text).field("ecosystem", s.ecosystem.as_str()).emit();
    }
    let groups = download::failure_groups(&statuses);
    for group in &groups {
        let line = failure_line(group, statuses.len(), |ecosystem| mirror.join(ecosystem).join("all.zip").is_file());
        // The table's alignment is for a terminal; a log line gets single spaces and the ecosystems as a field.
        let message = line.split_whitespace().collect::<Vec<_>>().join(" ");
        super::log::event(super::log::Level::Error, message)
            .text(line)
            .field("ecosystems", group.ecosystems.clone())
            .emit();
    }
    if groups.iter().any(|g| g.unreachable) {
        let hint = UNREACHABLE_HINT.strip_prefix("customs: ").unwrap_or(UNREACHABLE_HINT);
        super::log::event(super::log::Level::Info, hint).text(UNREACHABLE_HINT).emit();
    }
    // Only the `<Ecosystem>/all.zip` files: their `.meta.json` validators are not records.
    let zips = download::installed_zips(&mirror);
    if zips.is_empty() {
        anyhow::bail!("nothing was downloaded from {}", download::redact(&args.mirror));
    }
    let exit = if groups.is_empty() { super::exit::CLEAN } else { super::exit::ERROR };
    let db_path = store::default_db_path(cache);
    let changed = statuses.iter().any(|s| matches!(s.outcome, Outcome::Updated { .. }));
    if let Some(records) = current_database(&db_path, &zips).filter(|_| !changed) {
        if !quiet {
            super::log::info(format!("database unchanged ({records} advisories)"));
        }
        return Ok(exit);
    }
    let header = db::compile(&zips, &db_path)?;
    if !quiet {
        super::log::info(format!(
            "database has {} advisories (newest modified {}); {} invalid records skipped",
            header.records,
            header.newest_modified,
            header.invalid.len()
        ));
    }
    Ok(exit)
}

/// What to try when the mirror could not be reached at all.
const UNREACHABLE_HINT: &str = "customs: cannot reach the mirror. Behind a proxy, set HTTPS_PROXY (HTTP_PROXY for an \
     http:// mirror); to fetch from elsewhere, pass --mirror URL (or a folder in osv.dev's layout); without network, \
     scan with --db PATH, a folder of OSV records or a copy of a mirror (<Ecosystem>/all.zip)";

/// One line for ecosystems that failed the same way: as before for a single one
/// (`  CRAN         FAILED: …; keeping the previous copy`), else once for all of them.
/// `installed` says whether an ecosystem still has its previous copy.
fn failure_line(group: &download::FailureGroup, requested: usize, installed: impl Fn(&str) -> bool) -> String {
    let kept = group.ecosystems.iter().filter(|e| installed(e)).count();
    if let [ecosystem] = group.ecosystems.as_slice() {
        let previous = if kept == 1 { "keeping the previous copy" } else { "no previous copy" };
        return format!("  {ecosystem:<12} FAILED: {}; {previous}", group.reason);
    }
    let n = group.ecosystems.len();
    let which = if n == requested && n == 2 {
        "both ecosystems".to_string()
    } else if n == requested {
        format!("all {n} ecosystems")
    } else {
        format!("{n} ecosystems: {}", group.ecosystems.join(", "))
    };
    let previous = match kept {
        0 => "no previous copies".to_string(),
        k if k == n => "keeping the previous copies".to_string(),
        k => format!("keeping the previous copies of {k}"),
    };
    format!("  FAILED       {} ({which}); {previous}", group.reason)
}

/// The record count of the database at `path` if it was built from exactly `zips`,
/// after each was last written: then a warm update has nothing to rebuild.
fn current_database(path: &Path, zips: &[PathBuf]) -> Option<usize> {
    let built = fs::metadata(path).and_then(|m| m.modified()).ok()?;
    let older = |zip: &PathBuf| fs::metadata(zip).and_then(|m| m.modified()).is_ok_and(|t| t <= built);
    if !zips.iter().all(older) {
        return None;
    }
    let database = db::Database::open(path).ok()?;
    let mut sources: Vec<&str> = database.header.sources.iter().map(|s| s.path.as_str()).collect();
    sources.sort_unstable();
    let mut expected: Vec<String> = zips.iter().map(|z| z.display().to_string()).collect();
    expected.sort_unstable();
    (sources == expected).then_some(database.header.records)
}

fn run_info(args: &InfoArgs, cache: &Path) -> anyhow::Result<u8> {
    let (path, db) = match &args.db {
        Some(p) => (p.clone(), store::open_db_arg(p, cache)?),
        None => (store::default_db_path(cache), store::open_default(cache)?),
    };
    let h = &db.header;
    if args.json {
        let doc = serde_json::json!({
            "path": path.display().to_string(),
            "format": h.format,
            "built_at": h.built_at,
            "records": h.records,
            "newest_modified": h.newest_modified,
            "age_days": age_days(&h.newest_modified),
            "records_per_ecosystem": h.records_per_ecosystem,
            "sources": h.sources,
            "invalid": h.invalid.iter().map(|(id, reason)| serde_json::json!({"id": id, "reason": reason})).collect::<Vec<_>>(),
        });
        super::write_output(None, &format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        return Ok(super::exit::CLEAN);
    }
    let mut out = String::new();
    out.push_str(&format!("database:        {}\n", path.display()));
    out.push_str(&format!("built:           {}\n", h.built_at));
    out.push_str(&format!("newest modified: {}", h.newest_modified));
    if let Some(days) = age_days(&h.newest_modified) {
        out.push_str(&format!(" ({days} days ago)"));
    }
    out.push_str(&format!("\nadvisories:      {}\n", h.records));
    if !h.invalid.is_empty() {
        out.push_str(&format!("invalid records: {} (skipped; `customs db info --json` lists them)\n", h.invalid.len()));
    }
    out.push_str("sources:\n");
    for s in &h.sources {
        out.push_str(&format!("  {:>7}  {}\n", s.records, s.path));
    }
    out.push_str("records per ecosystem:\n");
    for (eco, n) in &h.records_per_ecosystem {
        out.push_str(&format!("  {n:>7}  {eco}\n"));
    }
    super::write_output(None, &out)?;
    Ok(super::exit::CLEAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use customs::advisory::download::FailureGroup;

    fn group(reason: &str, ecosystems: &[&str]) -> FailureGroup {
        FailureGroup {
            reason: reason.into(),
            ecosystems: ecosystems.iter().map(|e| e.to_string()).collect(),
            unreachable: true,
        }
    }

    #[test]
    fn one_line_per_cause_naming_the_ecosystems_it_cost() {
        let refused = "connection refused by 127.0.0.1:9";
        let kept = |e: &str| e == "npm";
        assert_eq!(
            failure_line(&group(refused, &["CRAN"]), 3, kept),
            "  CRAN         FAILED: connection refused by 127.0.0.1:9; no previous copy"
        );
        assert_eq!(
            failure_line(&group(refused, &["npm"]), 3, kept),
            "  npm          FAILED: connection refused by 127.0.0.1:9; keeping the previous copy"
        );
        assert_eq!(
            failure_line(&group(refused, &["CRAN", "PyPI"]), 3, kept),
            "  FAILED       connection refused by 127.0.0.1:9 (2 ecosystems: CRAN, PyPI); no previous copies"
        );
        assert_eq!(
            failure_line(&group(refused, &["CRAN", "npm", "PyPI"]), 3, kept),
            "  FAILED       connection refused by 127.0.0.1:9 (all 3 ecosystems); keeping the previous copies of 1"
        );
        assert_eq!(
            failure_line(&group(refused, &["CRAN", "npm"]), 2, |_| true),
            "  FAILED       connection refused by 127.0.0.1:9 (both ecosystems); keeping the previous copies"
        );
    }
}
