//! `customs sbom`: the inventory of a directory, lockfile or SBOM (converted) as an SBOM.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use customs::inventory::walk::{self, Inventory, WalkOptions};
use customs::report;
use customs::report::registry::plural;

#[derive(Args, Debug)]
pub struct SbomArgs {
    /// Directory to walk, a single lockfile, or a CycloneDX or SPDX JSON SBOM to convert.
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

    /// Accept a folder without any lockfile (or an SBOM without components) as nothing
    /// to scan, with a note, instead of failing with exit 2: for CI templates run on
    /// every repository.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub allow_empty: Option<bool>,
}

impl WalkArgs {
    pub fn options(&self) -> WalkOptions {
        WalkOptions {
            skip_dirs: self.skip_dir.clone(),
            no_default_skips: self.no_default_skips,
            allow_empty: self.allow_empty.unwrap_or(false),
        }
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
        None => walk::read_path(&args.path, &args.walk.options())?,
    };
    let rendered = match args.format {
        SbomFormat::Cyclonedx => report::cyclonedx::render(&inventory),
        SbomFormat::Spdx => report::spdx::render(&inventory),
        SbomFormat::Json => report::json::render(&inventory),
    };
    super::write_output(args.output.as_deref(), &rendered)?;
    Ok(print_diagnostics(&inventory, quiet, true))
}

/// Prints errors (always), warnings and notes (unless quiet) and the inventory's summary
/// line (when asked) to stderr, and returns the exit code: 2 when any file could not be
/// read.
pub fn print_diagnostics(inventory: &Inventory, quiet: bool, summary: bool) -> u8 {
    // Messages name input paths: shown with control characters written out.
    for e in &inventory.errors {
        super::log::error(customs::report::escape::visible(&e.to_string()));
    }
    if !quiet {
        for w in &inventory.warnings {
            super::log::warn(customs::report::escape::visible(w));
        }
        for note in &inventory.notes {
            super::log::note(customs::report::escape::visible(note));
        }
    }
    if !quiet && summary {
        super::log::info(summary_line(inventory));
    }
    if inventory.errors.is_empty() {
        super::exit::CLEAN
    } else {
        super::exit::ERROR
    }
}

/// `3 packages in 2 files; 1 declaration skipped (not exact registry versions); 1 file
/// failed`: files failed counts files, not their errors.
fn summary_line(inventory: &Inventory) -> String {
    let failed: BTreeSet<&str> = inventory.errors.iter().map(|e| e.path.as_str()).collect();
    format!(
        "{} in {}; {} skipped (not exact registry versions){}",
        plural(inventory.packages.len(), "package", "packages"),
        plural(inventory.files.len(), "file", "files"),
        plural(inventory.skipped.len(), "declaration", "declarations"),
        if failed.is_empty() { String::new() } else { format!("; {} failed", plural(failed.len(), "file", "files")) }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use customs::inventory::walk::ScannedFile;
    use customs::inventory::ExtractError;

    fn error(path: &str, line: u32) -> ExtractError {
        ExtractError { path: path.into(), line: Some(line), message: "bad".into() }
    }

    #[test]
    fn the_summary_line_counts_in_singular_and_plural_and_failed_files_once() {
        let file = ScannedFile { path: "Cargo.lock".into(), extractor: "rust/cargo-lock".into(), packages: 0 };
        let mut inventory = Inventory { files: vec![file], ..Inventory::default() };
        assert_eq!(
            summary_line(&inventory),
            "0 packages in 1 file; 0 declarations skipped (not exact registry versions)"
        );
        inventory.errors = vec![error("a/package-lock.json", 3), error("a/package-lock.json", 9)];
        assert_eq!(
            summary_line(&inventory),
            "0 packages in 1 file; 0 declarations skipped (not exact registry versions); 1 file failed"
        );
        inventory.errors.push(error("b/yarn.lock", 1));
        inventory.files.push(inventory.files[0].clone());
        assert_eq!(
            summary_line(&inventory),
            "0 packages in 2 files; 0 declarations skipped (not exact registry versions); 2 files failed"
        );
    }
}
