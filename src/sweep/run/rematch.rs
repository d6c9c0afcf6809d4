//! `customs registry rematch`: last night's images against today's advisories, with
//! no registry traffic — the stored inventories matched again and compared with the
//! run they came from.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context as _;

use super::{database_identity, evaluate, finish, merge_tags, now, Reached};
use crate::image::analyze;
use crate::inventory::walk::Inventory;
use crate::scan::Scanner;
use crate::sweep::outcome::{Coverage, ImageSource, MissingShards, RunKind, RunReport};
use crate::sweep::store::Store;

/// `customs registry rematch`: the images of the newest finished run of `registry`
/// (or of any registry), matched again against the scanner's current advisories and
/// compared with that run. No registry traffic.
pub fn rematch(scanner: &Scanner, store: &Arc<Store>, registry: Option<&str>) -> anyhow::Result<RunReport> {
    let Some(previous) = store.latest_finished_run(registry)? else {
        anyhow::bail!(
            "the store {} holds no finished run{}; run `customs registry scan` first",
            store.name(),
            registry.map(|r| format!(" of {r}")).unwrap_or_default()
        );
    };
    let previous_run = store.run(previous)?.context("the store lost a run it just listed")?;
    let registry = previous_run.registry;
    let started = now();
    let run = store.begin_run(&registry, RunKind::Rematch, &database_identity(scanner), &started)?;
    let previous_seen = store.seen(previous)?;
    let analysers = analyze::analysers_key();
    let mut reached = Vec::new();
    let mut warnings = Vec::new();
    for seen in &previous_seen {
        store.record_seen(run, seen)?;
        let stored = match store.image(&seen.image_digest, &analysers)? {
            Some(stored) => stored,
            None => {
                warnings.push(format!(
                    "{registry}/{}:{}: analysed by an older customs; run `customs registry scan` to analyse it again",
                    seen.repository, seen.tag
                ));
                continue;
            }
        };
        let inventory: Inventory = serde_json::from_slice(&stored.inventory)
            .with_context(|| format!("{}: the stored analysis of {} is unreadable", store.name(), seen.image_digest))?;
        reached.push(Reached {
            repository: seen.repository.clone(),
            tags: vec![seen.tag.clone()],
            top_digest: seen.top_digest.clone(),
            digest: seen.image_digest.clone(),
            platform: seen.platform.clone(),
            source: ImageSource::Store,
            first_seen: stored.first_seen,
            inventory,
        });
    }
    let repositories: BTreeSet<&str> = previous_seen.iter().map(|s| s.repository.as_str()).collect();
    let coverage = Coverage { repositories: repositories.len(), ..Coverage::default() };
    let mut report =
        evaluate(scanner, store, &registry, run, Some(previous), &previous_seen, merge_tags(reached), coverage)?;
    report.run.kind = RunKind::Rematch;
    report.run.started = started;
    report.warnings.extend(warnings);
    // A shard's or an incomplete merged run's images are still only part of the registry.
    store.copy_run_sharding(previous, run)?;
    if let Some(sharding) = store.run_sharding(previous)? {
        report.run.shard = sharding.shard;
        if let (false, Some(of)) = (sharding.missing.is_empty(), sharding.count) {
            report.run.missing_shards = Some(MissingShards { of, indices: sharding.missing });
        }
    }
    finish(store, &mut report)?;
    Ok(report)
}
