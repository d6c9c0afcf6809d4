//! `customs sbom`: the inventory of a directory or lockfile as an SBOM.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::inventory::walk::{self, Inventory, WalkOptions};
use crate::report;

#[derive(Args, Debug)]
pub struct SbomArgs {
    /// Directory to walk, or a single lockfile.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t = SbomFormat::Cyclonedx)]
    pub format: SbomFormat,

    /// Write the SBOM to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub walk: WalkArgs,

    #[command(flatten)]
    pub image: super::image::ImageArgs,
}

/// Flags that decide which files a directory scan reads.
#[derive(Args, Debug, Clone)]
pub struct WalkArgs {
    /// Also skip folders with this name (or this path relative to the root, if it has a
    /// `/`). Repeatable. `.git`, `node_modules`, `vendor`, `.venv` and other install
    /// folders are skipped by default.
    #[arg(long, value_name = "DIR")]
    pub skip_dir: Vec<String>,

    /// Descend into the folders skipped by default too.
    #[arg(long)]
    pub no_default_skips: bool,
}

impl WalkArgs {
    pub fn options(&self) -> WalkOptions {
        WalkOptions { skip_dirs: self.skip_dir.clone(), no_default_skips: self.no_default_skips }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
    /// customs' own inventory JSON (packages, skipped declarations, errors).
    Json,
}

pub fn run(args: &SbomArgs, cache: &std::path::Path, quiet: bool) -> anyhow::Result<u8> {
    let inventory = match &args.image.image {
        Some(reference) => args.image.options()?.inventory(reference, cache)?,
        None => walk::scan(&args.path, &args.walk.options())
            .with_context(|| format!("cannot scan {}", args.path.display()))?,
    };
    let rendered = match args.format {
        SbomFormat::Cyclonedx => report::cyclonedx::render(&inventory),
        SbomFormat::Spdx => report::spdx::render(&inventory),
        SbomFormat::Json => report::json::render(&inventory),
    };
    super::write_output(args.output.as_deref(), &rendered)?;
    Ok(print_diagnostics(&inventory, quiet, true))
}

/// Prints errors (always), warnings (unless quiet) and the inventory's summary line
/// (when asked) to stderr, and returns the exit code: 2 when any file could not be read.
pub fn print_diagnostics(inventory: &Inventory, quiet: bool, summary: bool) -> u8 {
    // Messages name input paths: shown with control characters written out.
    for e in &inventory.errors {
        eprintln!("error: {}", crate::report::escape::visible(&e.to_string()));
    }
    if !quiet {
        for w in &inventory.warnings {
            eprintln!("warning: {}", crate::report::escape::visible(w));
        }
    }
    if !quiet && summary {
        eprintln!(
            "customs: {} packages in {} files; {} declarations skipped (not exact registry versions){}",
            inventory.packages.len(),
            inventory.files.len(),
            inventory.skipped.len(),
            if inventory.errors.is_empty() {
                String::new()
            } else {
                format!("; {} files failed", inventory.errors.len())
            }
        );
    }
    if inventory.errors.is_empty() {
        super::exit::CLEAN
    } else {
        super::exit::ERROR
    }
}
