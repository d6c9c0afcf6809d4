//! The first step of a scan: a [`Target`] read into an inventory, with the names the
//! reports use for what was scanned.

use std::path::PathBuf;

use super::image::is_registry;
use super::{ScanOptions, Target};
use crate::inventory::walk::{self, Inventory, WalkOptions};
use crate::model::display_path;

/// Reads `target`: the targets as reports name them, and the inventory. A target that
/// cannot be read at all is an error, and so is one with nothing to scan
/// ([`walk::NothingToScan`]) unless the walk options allow it; unreadable files inside
/// it are collected in the inventory's errors.
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
        Target::Sbom(file) => Ok((vec![display_path(file)], walk::read_sbom_file(file, options.walk.allow_empty)?)),
        Target::Paths(paths) if paths.is_empty() => anyhow::bail!("nothing to scan: no paths given"),
        Target::Paths(paths) => from_paths(paths, &options.walk, options.dockerfile.is_some()),
    }
}

/// Scans every path ([`walk::read_path`]: each must have something to scan, unless a
/// Dockerfile is checked too, which is something); with several, locations are
/// prefixed by their path so they stay distinct.
fn from_paths(paths: &[PathBuf], options: &WalkOptions, dockerfile: bool) -> anyhow::Result<(Vec<String>, Inventory)> {
    let targets: Vec<String> = paths.iter().map(|p| display_path(p)).collect();
    let mut merged = Inventory { root: targets.join(", "), ..Inventory::default() };
    for path in paths {
        let mut inventory = match walk::read_path(path, options) {
            Err(e) if dockerfile && matches!(e.downcast_ref(), Some(walk::NothingToScan::NoLockfile { .. })) => {
                let note = format!("no lockfile found under {}: only the Dockerfile was checked", display_path(path));
                Inventory { notes: vec![note], ..Inventory::default() }
            }
            other => other?,
        };
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
        merged.notes.extend(inventory.notes);
    }
    Ok((targets, merged))
}
