//! `customs scan`: find the packages, match them against advisories, report, gate.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::sbom::WalkArgs;
use crate::advisory::{local, store};
use crate::inventory::walk::{self, read_capped, Inventory};
use crate::inventory::{sbom, Input};
use crate::matching::{self, Advisories};
use crate::model::display_path;
use crate::report;
use crate::scan::{DatabaseSummary, ScanResult, Threshold};

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Directories or lockfiles to scan.
    #[arg(value_name = "PATH", default_value = ".", conflicts_with = "sbom")]
    pub paths: Vec<PathBuf>,

    /// Scan the packages of a CycloneDX or SPDX JSON SBOM instead of lockfiles.
    #[arg(long, value_name = "FILE")]
    pub sbom: Option<PathBuf>,

    /// Advisories to use instead of the default database: a database file, a folder
    /// of OSV JSON records, a zip of them, or a mirror in osv.dev's layout
    /// (`<Ecosystem>/all.zip`). Compiled on first use and cached.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// More OSV advisories to merge into this scan (an organisation's own). Repeatable.
    #[arg(long = "advisories", value_name = "DIR")]
    pub advisories: Vec<PathBuf>,

    /// Never touch the network. Scans never download anything by themselves; this
    /// states it, and turns a missing database into an error instead of a hint.
    #[arg(long)]
    pub offline: bool,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with 1 only for vulnerabilities at or above this severity: any, low,
    /// medium, high, critical. Vulnerabilities without a severity always count.
    #[arg(long, value_name = "SEVERITY", default_value = "any")]
    pub fail_on: Threshold,

    /// For images: the Dockerfile that built it, where SARIF results point.
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<String>,

    /// SARIF category (`automationDetails.id`); default: one per target.
    #[arg(long, value_name = "ID")]
    pub sarif_category: Option<String>,

    /// Warn when the newest advisory in the database is older than this many days
    /// (0: never warn).
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub max_db_age: u64,

    #[command(flatten)]
    pub walk: WalkArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanFormat {
    /// Findings grouped by file, for people.
    Table,
    /// customs' JSON: findings, packages, errors (see docs/json-format.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// A short Markdown summary for a pull-request comment or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// CycloneDX 1.6 with the vulnerabilities (a VDR).
    Cyclonedx,
    /// SPDX 2.3 JSON of the scanned packages.
    Spdx,
}

pub fn run(args: &ScanArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    let (targets, inventory) = match &args.sbom {
        Some(file) => (vec![display_path(file)], inventory_from_sbom(file)?),
        None => inventory_from_paths(&args.paths, &args.walk)?,
    };

    let (local, local_warnings) = local::load(&args.advisories).context("cannot read --advisories")?;
    let (db, db_path) = match &args.db {
        Some(path) => (store::open_db_arg(path, cache)?, display_path(path)),
        None => (store::open_default(cache)?, store::default_db_path(cache).display().to_string()),
    };
    let database = DatabaseSummary::new(db_path, &db.header, local.len());
    let advisories = Advisories { db: Some(db), local };
    let matches = matching::match_packages(&inventory.packages, &advisories)?;

    let mut result = ScanResult::new(targets, inventory, matches, Some(database));
    result.inventory.warnings.extend(local_warnings);
    if let Some(db) = &result.database {
        if let Some(age) = super::db::age_days(&db.newest_modified) {
            if args.max_db_age > 0 && age > args.max_db_age {
                result.inventory.warnings.push(format!(
                    "the advisory database's newest record is {age} days old (over --max-db-age {}); run `customs db update`",
                    args.max_db_age
                ));
            }
        }
    }

    let rendered = match args.format {
        ScanFormat::Json => report::json::render_scan(&result),
        ScanFormat::Sarif => report::sarif::render(
            &result,
            &report::sarif::SarifOptions { dockerfile: args.dockerfile.clone(), category: args.sarif_category.clone() },
        ),
        ScanFormat::Markdown => report::markdown::render(&result),
        ScanFormat::Cyclonedx => report::cyclonedx::render_scan(&result),
        ScanFormat::Spdx => report::spdx::render(&result.inventory),
        ScanFormat::Table => {
            let colour =
                args.output.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            report::table::render(&result, colour)
        }
    };
    super::write_output(args.output.as_deref(), &rendered)?;
    let read_code = super::sbom::print_diagnostics(&result.inventory, quiet, args.format == ScanFormat::Json);
    if read_code != super::exit::CLEAN {
        return Ok(read_code);
    }
    Ok(if result.gating_findings(args.fail_on) > 0 { super::exit::FINDINGS } else { super::exit::CLEAN })
}

/// Scans every path; with several, locations are prefixed by their path so they
/// stay distinct.
fn inventory_from_paths(paths: &[PathBuf], walk_args: &WalkArgs) -> anyhow::Result<(Vec<String>, Inventory)> {
    let options = walk_args.options();
    let targets: Vec<String> = paths.iter().map(|p| display_path(p)).collect();
    let mut merged = Inventory { root: targets.join(", "), ..Inventory::default() };
    for path in paths {
        let mut inventory = walk::scan(path, &options).with_context(|| format!("cannot scan {}", path.display()))?;
        if paths.len() > 1 && path.is_dir() {
            let prefix = display_path(path);
            let join = |p: &mut String| *p = format!("{}/{p}", prefix.trim_end_matches('/'));
            inventory.packages.iter_mut().for_each(|p| join(&mut p.location.path));
            inventory.skipped.iter_mut().for_each(|s| join(&mut s.location.path));
            inventory.files.iter_mut().for_each(|f| join(&mut f.path));
            inventory.errors.iter_mut().for_each(|e| join(&mut e.path));
        }
        merged.packages.extend(inventory.packages);
        merged.skipped.extend(inventory.skipped);
        merged.files.extend(inventory.files);
        merged.errors.extend(inventory.errors);
        merged.warnings.extend(inventory.warnings);
    }
    Ok((targets, merged))
}

fn inventory_from_sbom(file: &Path) -> anyhow::Result<Inventory> {
    let content = read_capped(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut inventory = Inventory { root: display_path(file), ..Inventory::default() };
    match sbom::read_sbom(&Input::new(file, &content)) {
        Ok(extracted) => {
            inventory.packages = extracted.packages;
            inventory.skipped = extracted.skipped;
        }
        Err(e) => inventory.errors.push(e),
    }
    Ok(inventory)
}
