//! `customs registry merge`: the newest runs of N shard stores (`registry scan --shard
//! I/N`) combined into one run of another store, whose report is the report one process
//! sweeping the whole registry would have written: the same images, findings, failures
//! and counts.
//!
//! What a merge does with imperfect inputs (docs/registry.md, "Splitting a sweep"):
//! - Shards of different sweeps (another registry, shard count, selection or customs
//!   version) are refused, naming both stores: their union is no sweep at all.
//! - An image two shards both report (a shard given twice) is kept once: it is the same
//!   digest analysed the same way. When one index is given twice, the run that
//!   finished last is taken and the report says which was left out.
//! - Missing shards are merged around: the run lists their indices and is partial, and
//!   every report says the run is incomplete.
//! - A shard whose run was interrupted (never finished) is refused unless
//!   `allow_incomplete`; then it counts as missing.
//! - Shards matched against different advisory databases are merged with a warning:
//!   `registry rematch` on the merged store matches every image against one.
//!
//! Each shard's store keeps its own history, so "new" and "fixed" are each shard's
//! comparison with its own previous run; the merged run's `compared_with` names the
//! previous run in the merged store, when the shards were compared with anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::outcome::{Coverage, ImageSource, MissingShards, RunInfo, RunKind, RunReport};
use super::run::summarise;
use super::shard::Shard;
use super::store::{MergedRunRow, RunId, RunSharding, Store};

/// What `customs registry merge` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// The shard stores, as given.
    pub shards: Vec<PathBuf>,
    /// Merge shards whose run was interrupted as missing instead of refusing.
    pub allow_incomplete: bool,
}

/// One shard store's newest run, read and checked.
struct ShardRun {
    path: PathBuf,
    store: Store,
    run: RunId,
    registry: String,
    finished: Option<String>,
    sharding: RunSharding,
    shard: Shard,
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Opens a shard's store and reads its newest scan run; refuses what is no shard.
fn read_shard(path: &Path, merged: Option<&Path>) -> anyhow::Result<ShardRun> {
    let name = shown(path);
    // Opening creates a store: a mistyped name must not become an empty shard.
    if !path.is_file() {
        anyhow::bail!("the shard store {name} does not exist; give the files the `registry scan --shard I/N --store FILE` jobs wrote");
    }
    if merged.is_some_and(|m| same_file(m, path)) {
        anyhow::bail!("{name} is the merged store itself; give the shard stores and another --store");
    }
    // Read only: the shards are inputs, left as the jobs wrote them.
    let store = Store::open_read_only(path)?;
    let run =
        store.newest_scan_run()?.with_context(|| format!("the shard store {name} holds no `registry scan` run"))?;
    let sharding =
        store.run_sharding(run.id)?.with_context(|| format!("the shard store {name} lost run {}", run.id))?;
    let Some(shard) = sharding.shard else {
        anyhow::bail!(
            "{name}: its newest run ({}) swept {} without --shard; `registry merge` combines the runs of `registry scan --shard I/N`",
            run.id,
            run.registry
        );
    };
    Ok(ShardRun {
        path: path.to_path_buf(),
        store,
        run: run.id,
        registry: run.registry,
        finished: run.finished,
        sharding,
        shard,
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Refuses shards that are not of one sweep, naming both stores.
fn check_same_sweep(first: &ShardRun, other: &ShardRun) -> anyhow::Result<()> {
    let (a, b) = (shown(&first.path), shown(&other.path));
    let what = "merge only the shards of one sweep";
    if first.registry != other.registry {
        anyhow::bail!("{a} swept {} but {b} swept {}: {what}", first.registry, other.registry);
    }
    if first.shard.count != other.shard.count {
        anyhow::bail!("{a} is shard {} but {b} is shard {}: the shard counts differ; {what}", first.shard, other.shard);
    }
    if first.sharding.selection != other.sharding.selection {
        anyhow::bail!(
            "{a} and {b} selected different repositories or tags ({} / {}): {what}",
            first.sharding.selection.as_deref().unwrap_or("unknown"),
            other.sharding.selection.as_deref().unwrap_or("unknown")
        );
    }
    if first.sharding.customs_version != other.sharding.customs_version {
        anyhow::bail!(
            "{a} was written by customs {} but {b} by customs {}: sweep every shard with one version",
            first.sharding.customs_version,
            other.sharding.customs_version
        );
    }
    Ok(())
}

/// `customs registry merge --store MERGED SHARD…`: the shards' newest runs as one
/// finished run of `store`; returns its report (also stored, for `registry report`).
pub fn merge(store: &Store, options: &MergeOptions) -> anyhow::Result<RunReport> {
    if options.shards.is_empty() {
        anyhow::bail!("no shard stores to merge: give the files the `registry scan --shard I/N` jobs wrote");
    }
    let mut warnings = Vec::new();
    let mut runs: Vec<ShardRun> = Vec::new();
    for path in &options.shards {
        let shard = read_shard(path, store.file())?;
        if let Some(first) = runs.first() {
            check_same_sweep(first, &shard)?;
        }
        runs.push(shard);
    }
    let count = runs[0].shard.count;
    let registry = runs[0].registry.clone();
    // Interrupted runs: refused, or left out as missing.
    let mut finished = Vec::new();
    for run in runs {
        if run.finished.is_some() {
            finished.push(run);
            continue;
        }
        if !options.allow_incomplete {
            anyhow::bail!(
                "{}: the run of shard {} ({}) was interrupted and never finished; finish it (`customs registry scan {} --shard {} --store {} --resume` and the sweep's other flags) or merge without it (--allow-incomplete)",
                shown(&run.path),
                run.shard,
                run.run,
                run.registry,
                run.shard,
                shown(&run.path)
            );
        }
        warnings.push(format!(
            "shard {} ({}): its run {} was interrupted; left out of the merge (--allow-incomplete)",
            run.shard,
            shown(&run.path),
            run.run
        ));
    }
    // One run per index: the one that finished last.
    let mut by_index: BTreeMap<u32, ShardRun> = BTreeMap::new();
    for run in finished {
        match by_index.remove(&run.shard.index) {
            Some(kept) => {
                let (newer, older) = if run.finished >= kept.finished { (run, kept) } else { (kept, run) };
                warnings.push(format!(
                    "shard {} given twice ({} and {}); the run that finished last ({}) is merged",
                    newer.shard,
                    shown(&older.path),
                    shown(&newer.path),
                    shown(&newer.path)
                ));
                by_index.insert(newer.shard.index, newer);
            }
            None => {
                by_index.insert(run.shard.index, run);
            }
        }
    }
    let missing: Vec<u32> = (0..count).filter(|i| !by_index.contains_key(i)).collect();
    if by_index.is_empty() {
        anyhow::bail!("none of the {} shard stores holds a finished run; nothing to merge", options.shards.len());
    }
    let shards: Vec<ShardRun> = by_index.into_values().collect();
    let mut reports = Vec::new();
    for shard in &shards {
        let json = shard.store.run_report(shard.run)?.with_context(|| {
            format!(
                "{}: the finished run {} has no stored report; sweep the shard again",
                shown(&shard.path),
                shard.run
            )
        })?;
        let report: RunReport = serde_json::from_slice(&json).with_context(|| {
            format!(
                "{}: run {} was written by another customs version; sweep the shard again",
                shown(&shard.path),
                shard.run
            )
        })?;
        reports.push(report);
    }
    let first = &shards[0];
    for shard in &shards[1..] {
        if shard.sharding.database != first.sharding.database {
            warnings.push(format!(
                "shards {} and {} were matched against different advisory databases; `customs registry rematch` on the merged store matches every image against one",
                first.shard, shard.shard
            ));
        }
    }
    if !missing.is_empty() {
        warnings.push(format!(
            "incomplete run: shard{} {} of {count} {} missing; {} repositories are not in this report",
            if missing.len() == 1 { "" } else { "s" },
            missing.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
            if missing.len() == 1 { "is" } else { "are" },
            if missing.len() == 1 { "its" } else { "their" }
        ));
    }
    let compared = reports.iter().any(|r| r.run.compared_with.is_some());
    let compared_with = if compared { store.latest_finished_run(Some(&registry))? } else { None };
    let mut reports = reports.into_iter();
    let Some(first_report) = reports.next() else {
        anyhow::bail!("none of the {} shard stores holds a finished run; nothing to merge", options.shards.len());
    };
    let mut merged = combine(first_report, reports, warnings);
    merged.run.compared_with = compared_with;
    merged.run.missing_shards = (!missing.is_empty()).then(|| MissingShards { of: count, indices: missing.clone() });
    merged.run.partial |= !missing.is_empty();
    let row = MergedRunRow {
        registry,
        started: merged.run.started.clone(),
        finished: merged.run.finished.clone(),
        database: first.sharding.database.clone(),
        partial: merged.run.partial,
        count,
        selection: first.sharding.selection.clone().unwrap_or_default(),
        missing,
    };
    let sources: Vec<(&Store, RunId)> = shards.iter().map(|s| (&s.store, s.run)).collect();
    let id = store.record_merged_run(&row, &sources, |id| {
        merged.run.id = id;
        serde_json::to_vec(&merged).map_err(|e| format!("cannot serialise the merged report: {e}"))
    })?;
    merged.run.id = id;
    Ok(merged)
}

/// The shards' reports as one: images once each, in the order one process lists them;
/// counts recomputed over the whole; what the shards spent, summed.
fn combine(first: RunReport, reports: impl Iterator<Item = RunReport>, merge_warnings: Vec<String>) -> RunReport {
    let mut merged = first;
    merged.run.shard = None;
    for report in reports {
        let (run, coverage) = (&report.run, &report.coverage);
        merged.run.started = merged.run.started.min(run.started.clone());
        merged.run.finished = merged.run.finished.max(run.finished.clone());
        merged.run.partial |= run.partial;
        let total = &mut merged.coverage;
        total.repositories_listed = total.repositories_listed.max(coverage.repositories_listed);
        total.repositories += coverage.repositories;
        total.repositories_failed += coverage.repositories_failed;
        total.layers_downloaded += coverage.layers_downloaded;
        total.layers_from_store += coverage.layers_from_store;
        total.bytes_downloaded += coverage.bytes_downloaded;
        total.requests += coverage.requests;
        merged.images.extend(report.images);
        merged.moved_tags.extend(report.moved_tags);
        merged.disappeared.extend(report.disappeared);
        merged.failures.extend(report.failures);
        merged.warnings.extend(report.warnings);
    }
    let mut seen = BTreeSet::new();
    merged.images.retain(|image| seen.insert((image.repository.clone(), image.digest.clone())));
    merged.images.sort_by(|a, b| (&a.repository, &a.tags, &a.platform).cmp(&(&b.repository, &b.tags, &b.platform)));
    merged.moved_tags.sort_by(|a, b| (&a.repository, &a.tag).cmp(&(&b.repository, &b.tag)));
    merged.disappeared.sort_by(|a, b| (&a.repository, &a.tag).cmp(&(&b.repository, &b.tag)));
    // Stable: each repository's failures keep the order its shard found them in.
    merged.failures.sort_by(|a, b| a.repository.cmp(&b.repository));
    let mut seen = BTreeSet::new();
    merged.warnings.retain(|w| seen.insert(w.clone()));
    merged.warnings.extend(merge_warnings);
    let images = &merged.images;
    let count = |source: ImageSource| images.iter().filter(|i| i.source == source).count();
    merged.coverage = Coverage {
        tags: images.iter().flat_map(|i| i.tags.iter().map(move |t| (&i.repository, t))).collect::<BTreeSet<_>>().len(),
        images: images.len(),
        images_analysed: count(ImageSource::Analysed),
        images_from_store: count(ImageSource::Store),
        images_stale: count(ImageSource::Stale),
        ..merged.coverage
    };
    merged.summary = summarise(&merged.images);
    merged.run = RunInfo { kind: RunKind::Scan, ..merged.run };
    merged
}

#[cfg(test)]
mod tests;
