//! The first step of a scan: a [`Target`] read into an inventory, with the names the
//! reports use for what was scanned.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::image::is_registry;
use super::{ScanOptions, Target};
use crate::inventory::walk::{self, read_capped, Inventory, WalkOptions};
use crate::inventory::{sbom, Input};
use crate::model::display_path;

/// Reads `target`: the targets as reports name them, and the inventory. Only a target
/// that cannot be read at all is an error; unreadable files inside it are collected in
/// the inventory's errors.
pub(super) fn read(target: &Target, options: &ScanOptions) -> anyhow::Result<(Vec<String>, Inventory)> {
    match target {
        Target::Image(reference) => {
            if options.offline && is_registry(reference) {
                anyhow::bail!(
                    "--offline: {reference} is in a registry; scan a docker-archive:, oci-archive: or oci: copy instead"
                );
            }
            Ok((vec![reference.clone()], options.image.inventory(reference, &options.cache_dir)?))
        }
        Target::Sbom(file) => Ok((vec![display_path(file)], from_sbom(file)?)),
        Target::Paths(paths) if paths.is_empty() => anyhow::bail!("nothing to scan: no paths given"),
        Target::Paths(paths) => from_paths(paths, &options.walk),
    }
}

/// Scans every path; with several, locations are prefixed by their path so they
/// stay distinct.
fn from_paths(paths: &[PathBuf], options: &WalkOptions) -> anyhow::Result<(Vec<String>, Inventory)> {
    let targets: Vec<String> = paths.iter().map(|p| display_path(p)).collect();
    let mut merged = Inventory { root: targets.join(", "), ..Inventory::default() };
    for path in paths {
        let mut inventory = walk::scan(path, options).with_context(|| format!("cannot scan {}", path.display()))?;
        if paths.len() > 1 && path.is_dir() {
            let prefix = display_path(path);
            let join = |p: &mut String| *p = format!("{}/{p}", prefix.trim_end_matches('/'));
            inventory.packages.iter_mut().for_each(|p| join(&mut p.location.path));
            inventory.own.iter_mut().for_each(|o| join(&mut o.package.location.path));
            inventory.skipped.iter_mut().for_each(|s| join(&mut s.location.path));
            inventory.files.iter_mut().for_each(|f| join(&mut f.path));
            inventory.errors.iter_mut().for_each(|e| join(&mut e.path));
        }
        merged.packages.extend(inventory.packages);
        merged.own.extend(inventory.own);
        merged.skipped.extend(inventory.skipped);
        merged.files.extend(inventory.files);
        merged.errors.extend(inventory.errors);
        merged.warnings.extend(inventory.warnings);
    }
    Ok((targets, merged))
}

/// The packages of a CycloneDX or SPDX JSON SBOM; a malformed SBOM is an inventory
/// error, a missing one an error.
fn from_sbom(file: &Path) -> anyhow::Result<Inventory> {
    let content = read_capped(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut inventory = Inventory { root: display_path(file), ..Inventory::default() };
    match sbom::read_sbom(&Input::new(file, &content)) {
        Ok(mut extracted) => {
            inventory.errors = extracted.take_malformed();
            inventory.packages = extracted.packages;
            inventory.own = extracted.own;
            inventory.skipped = extracted.skipped;
        }
        Err(e) => inventory.errors.push(e),
    }
    Ok(inventory)
}
