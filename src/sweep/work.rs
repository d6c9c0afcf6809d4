//! One sweep shared by many workers through one store (PostgreSQL; SQLite works for
//! workers on one machine): `customs registry plan` lists the registry and records the
//! run's work items, any number of `customs registry work` processes claim and read
//! them, and `customs registry finalize` matches, compares, reports and notifies once
//! every item is done — the same report `customs registry scan` writes, made from the
//! same per-repository code ([`super::run`]).
//!
//! An item is one repository, or a chunk of at most `tags_per_item` of its selected
//! tags: a repository with thousands of tags becomes many items, so it does not leave
//! one worker reading while the others wait. The plan lists each repository's tags to
//! cut the chunks (one request per repository); only `--tags recent:N`, which needs the
//! images' creation times to choose, leaves each repository whole to its worker.
//!
//! A worker holds a lease on each item it reads and renews it while it works; a worker
//! that dies stops renewing, and once the lease has run out another worker claims the
//! item and reads it again (every write is idempotent). Workers wait for leased items
//! to finish or come free, and exit when every item is done or given up.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::layers::InFlight;
use super::outcome::{Failure, FailureReason, ImageSource, RunKind, RunReport};
use super::run::{self, Context, Progress, Reached, RepositoryOutcome, SweepOptions, Swept};
use super::select::{RepoFilter, TagSelection};
use super::shard::Shard;
use super::store::{ItemStatus, RunId, Store};
use crate::image::analyze;
use crate::image::source::Platform;
use crate::inventory::walk::Inventory;
use crate::scan::{ImageOptions, Scanner};

/// Tags per work item unless `--tags-per-item` says otherwise.
pub const DEFAULT_TAGS_PER_ITEM: usize = 16;

/// What `plan` records for the workers and for `finalize`: the selection, and what
/// the registry listed.
#[derive(Debug, Serialize, Deserialize)]
struct Plan {
    registry: String,
    include: Vec<String>,
    exclude: Vec<String>,
    /// `--tags`, as [`TagSelection::spec`] spells it.
    tags: String,
    platforms: Option<Vec<String>>,
    shard: Option<Shard>,
    /// How many repositories the catalog (or list) gave.
    listed: usize,
    /// The catalog, when it was read: repositories gone from it are reported gone.
    catalog: Option<BTreeSet<String>>,
    /// The repositories to read, in report order.
    selected: Vec<String>,
    /// Each repository's listed tags, when the plan listed them.
    listed_tags: BTreeMap<String, BTreeSet<String>>,
    /// What choosing tags had to say, by repository.
    notes: BTreeMap<String, Vec<String>>,
    /// Requests the plan made.
    requests: u64,
    started: String,
}

impl Plan {
    fn sweep_options(&self, concurrency: usize, requests_per_second: Option<f64>) -> anyhow::Result<SweepOptions> {
        let tags: TagSelection =
            self.tags.parse().map_err(|e: String| anyhow::anyhow!("the plan's tag selection: {e}"))?;
        let platforms = self
            .platforms
            .as_ref()
            .map(|list| list.iter().map(|p| Platform::parse(p).map_err(anyhow::Error::msg)).collect())
            .transpose()?;
        Ok(SweepOptions {
            registry: self.registry.clone(),
            repositories: RepoFilter { include: self.include.clone(), exclude: self.exclude.clone() },
            repository_list: None,
            tags,
            platforms,
            concurrency,
            requests_per_second,
            catalog_page_size: None,
            resume: false,
            shard: self.shard,
        })
    }
}

/// One platform image an item reached; its inventory stays in the store.
#[derive(Debug, Serialize, Deserialize)]
struct ReachedImage {
    repository: String,
    tags: Vec<String>,
    top_digest: String,
    digest: String,
    platform: String,
    source: ImageSource,
    first_seen: String,
}

/// What one item gave, as the store keeps it until `finalize`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ItemOutcome {
    images: Vec<ReachedImage>,
    failures: Vec<Failure>,
    notes: Vec<String>,
    /// For an item of a whole repository: the tags the worker listed.
    listed_tags: Option<BTreeSet<String>>,
    layers_read: usize,
    layers_from_store: usize,
    bytes_read: u64,
    requests: u64,
}

impl ItemOutcome {
    fn of(outcome: RepositoryOutcome, requests: u64) -> ItemOutcome {
        ItemOutcome {
            images: outcome
                .images
                .into_iter()
                .map(|r| ReachedImage {
                    repository: r.repository,
                    tags: r.tags,
                    top_digest: r.top_digest,
                    digest: r.digest,
                    platform: r.platform,
                    source: r.source,
                    first_seen: r.first_seen,
                })
                .collect(),
            failures: outcome.failures,
            notes: outcome.notes,
            listed_tags: outcome.listed_tags,
            layers_read: outcome.layers_read,
            layers_from_store: outcome.layers_from_store,
            bytes_read: outcome.bytes_read,
            requests,
        }
    }
}

/// What `customs registry plan` was asked.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// The selection and the registry, as `registry scan` takes them (`concurrency`
    /// bounds how many tag lists are read at once).
    pub sweep: SweepOptions,
    /// The most tags one item reads.
    pub tags_per_item: usize,
}

/// A recorded plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The new run.
    pub run: RunId,
    /// How many items it was split into.
    pub items: usize,
    /// How many repositories it reads.
    pub repositories: usize,
}

/// `customs registry plan`: lists the registry, splits the selected repositories into
/// work items and records them under a new run.
pub fn plan(image_options: &ImageOptions, store: &Store, options: &PlanOptions) -> anyhow::Result<Planned> {
    let sweep = &options.sweep;
    let client = run::registry_client(image_options, sweep, sweep.requests_per_second)?;
    let discovered = run::discover_selected(&client, sweep)?;
    let started = run::now();
    let per_item = options.tags_per_item.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(sweep.concurrency.max(1))
        .build()
        .context("cannot start the plan's threads")?;
    // Per repository: its listed tags (when listed) and the items it becomes.
    type Split = (Option<BTreeSet<String>>, Option<String>, Vec<Option<Vec<String>>>);
    let splits: Vec<Split> = pool.install(|| {
        discovered
            .selected
            .par_iter()
            .map(|repository| {
                if sweep.tags.needs_created() {
                    return (None, None, vec![None]);
                }
                match client.tags(repository) {
                    Ok(tags) => {
                        let picked = sweep.tags.pick(repository, &tags, &|_| None);
                        let chunks = picked.tags.chunks(per_item).map(|c| Some(c.to_vec())).collect();
                        (Some(tags.into_iter().collect()), picked.note, chunks)
                    }
                    // Left whole to its worker, which lists it again and records a failure.
                    Err(_) => (None, None, vec![None]),
                }
            })
            .collect()
    });
    let mut listed_tags = BTreeMap::new();
    let mut notes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut items: Vec<(String, Option<Vec<String>>)> = Vec::new();
    for (repository, (listed, note, chunks)) in discovered.selected.iter().zip(splits) {
        if let Some(listed) = listed {
            listed_tags.insert(repository.clone(), listed);
        }
        if let Some(note) = note {
            notes.entry(repository.clone()).or_default().push(note);
        }
        items.extend(chunks.into_iter().map(|chunk| (repository.clone(), chunk)));
    }
    // The biggest items first: the long ones start early and the short ones fill in.
    let size = |tags: &Option<Vec<String>>| tags.as_ref().map_or(usize::MAX, Vec::len);
    items.sort_by_key(|(_, tags)| std::cmp::Reverse(size(tags)));
    let plan = Plan {
        registry: sweep.registry.clone(),
        include: sweep.repositories.include.clone(),
        exclude: sweep.repositories.exclude.clone(),
        tags: sweep.tags.spec(),
        platforms: sweep.platforms.as_ref().map(|p| p.iter().map(ToString::to_string).collect()),
        shard: sweep.shard,
        listed: discovered.listed.len(),
        catalog: discovered.catalog,
        selected: discovered.selected,
        listed_tags,
        notes,
        requests: client.stats().requests,
        started: started.clone(),
    };
    let json = serde_json::to_vec(&plan).context("cannot serialise the plan")?;
    // The advisory database is finalize's: recorded when it matches.
    let run = store.begin_run(&sweep.registry, RunKind::Scan, "", &started)?;
    store.record_run_sharding(run, sweep.shard, &sweep.selection())?;
    store.record_plan(run, &json, &items)?;
    Ok(Planned { run, items: items.len(), repositories: plan.selected.len() })
}

/// What `customs registry work` was asked.
#[derive(Debug, Clone)]
pub struct WorkOptions {
    /// The run to work on.
    pub run: RunId,
    /// This worker's name in leases (`host:pid` unless given).
    pub worker: String,
    /// How long a claim lasts without renewal.
    pub lease: Duration,
    /// Items read at once by this worker.
    pub concurrency: usize,
    /// The most requests a second to the registry, over this worker's threads.
    pub requests_per_second: Option<f64>,
    /// Claims of one item before it is given up.
    pub max_attempts: i64,
    /// A static share (`--shard I/N`): only the items of repositories whose name hashes
    /// to I, as `registry scan --shard` shares them; `None`: any item.
    pub shard: Option<Shard>,
}

/// What one worker did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Worked {
    /// Items this worker finished.
    pub items: usize,
}

fn epoch_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The plan of `run`, or an error that says what to do.
fn load_plan(store: &Store, run: RunId) -> anyhow::Result<Plan> {
    let json = store.plan(run)?.with_context(|| {
        format!(
            "the store {} has no planned run {run}; `customs registry plan` prints the id of a new one",
            store.name()
        )
    })?;
    serde_json::from_slice(&json).with_context(|| {
        format!("the store {}: the plan of run {run} was written by another customs version", store.name())
    })
}

/// `customs registry work`: claims and reads items of `run` until every item is done
/// or given up; waits while other workers hold the rest.
pub fn work(
    image_options: &ImageOptions,
    store: &Arc<Store>,
    options: &WorkOptions,
    progress: &dyn Progress,
) -> anyhow::Result<Worked> {
    let plan = load_plan(store, options.run)?;
    if store.run(options.run)?.is_some_and(|r| r.finished.is_some()) {
        return Ok(Worked::default());
    }
    store.commit_without_waiting()?;
    let threads = options.concurrency.max(1);
    let per_thread = options.requests_per_second.map(|r| r / threads as f64);
    let sweep = plan.sweep_options(threads, per_thread)?;
    let analysers = analyze::analysers_key();
    let in_flight = Arc::new(InFlight::default());
    let held: Mutex<BTreeSet<i64>> = Mutex::new(BTreeSet::new());
    let stop = AtomicBool::new(false);
    let lease = options.lease.as_secs().max(1) as i64;
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        // Renews every held lease at a third of its length.
        let renewer = scope.spawn(|| {
            let every = Duration::from_millis((lease as u64 * 1000 / 3).max(200));
            let mut slept = Duration::ZERO;
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                slept += Duration::from_millis(100);
                if slept < every {
                    continue;
                }
                slept = Duration::ZERO;
                let items: Vec<i64> = held.lock().unwrap_or_else(|p| p.into_inner()).iter().copied().collect();
                for item in items {
                    // A renewal that fails leaves the claim to run out: the item is read
                    // again by someone, never lost.
                    let _ = store.renew_lease(options.run, item, &options.worker, epoch_seconds() + lease);
                }
            }
        });
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    let client = run::registry_client(image_options, &sweep, sweep.requests_per_second)?;
                    let context = Context {
                        client: &client,
                        store,
                        options: &sweep,
                        analysers: &analysers,
                        run: options.run,
                        image_options,
                        in_flight: in_flight.clone(),
                    };
                    loop {
                        if stop.load(Ordering::Relaxed) {
                            return Ok(());
                        }
                        let claimed = store.claim_item_of(
                            options.run,
                            options.shard,
                            &options.worker,
                            epoch_seconds(),
                            lease,
                            options.max_attempts,
                        )?;
                        let Some(item) = claimed else {
                            let ours = held.lock().unwrap_or_else(|p| p.into_inner()).len() as i64;
                            // The rest are this worker's own items, read by its other threads.
                            if store.unfinished_items(options.run, options.shard)? > ours {
                                // Held by others: wait for them to finish or for their leases to run out.
                                std::thread::sleep(Duration::from_secs(1));
                                continue;
                            }
                            return Ok(());
                        };
                        held.lock().unwrap_or_else(|p| p.into_inner()).insert(item.item);
                        let before = client.stats().requests;
                        let outcome = match &item.tags {
                            Some(tags) => context.chosen_tags(&item.repository, tags, progress),
                            None => context.repository(&item.repository, progress),
                        };
                        let requests = client.stats().requests.saturating_sub(before);
                        let json = serde_json::to_vec(&ItemOutcome::of(outcome, requests))
                            .context("cannot serialise an item's outcome")?;
                        let finished = store.finish_item(options.run, item.item, &json, &run::now());
                        held.lock().unwrap_or_else(|p| p.into_inner()).remove(&item.item);
                        if let Err(e) = finished {
                            let _ = store.release_item(options.run, item.item, &options.worker);
                            return Err(e.into());
                        }
                        progress.repository_done(&item.repository);
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let mut result = Ok(());
        for worker in workers {
            let outcome = worker.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a worker thread panicked")));
            if outcome.is_err() {
                // The others stop after their current item.
                stop.store(true, Ordering::Relaxed);
                if result.is_ok() {
                    result = outcome;
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        let _ = renewer.join();
        result
    })?;
    Ok(Worked { items: done.load(Ordering::Relaxed) })
}

/// How a run's items stand, for `customs registry status` and `finalize`.
#[derive(Debug, Clone)]
pub struct RunStatus {
    /// The run.
    pub run: RunId,
    /// Its registry.
    pub registry: String,
    /// When `finalize` finished it.
    pub finished: Option<String>,
    /// Every item.
    pub items: Vec<ItemStatus>,
    /// The time the leases were compared with (seconds since 1970).
    pub now: i64,
}

impl RunStatus {
    /// Items done.
    pub fn done(&self) -> usize {
        self.items.iter().filter(|i| i.state == "done").count()
    }
    /// Items given up.
    pub fn failed(&self) -> usize {
        self.items.iter().filter(|i| i.state == "failed").count()
    }
    /// Items a worker holds a live lease on.
    pub fn leased(&self) -> Vec<&ItemStatus> {
        self.items.iter().filter(|i| self.is_leased(i)).collect()
    }
    /// Items waiting for a worker (never claimed, or their lease ran out).
    pub fn pending(&self) -> usize {
        self.items.iter().filter(|i| i.state == "pending").count() - self.leased().len()
    }

    /// Whether a worker holds a live lease on `item`.
    fn is_leased(&self, item: &ItemStatus) -> bool {
        item.state == "pending" && item.lease_until.is_some_and(|until| until >= self.now)
    }

    /// What `registry status -f json` prints: the counts, and every item with the state
    /// a person would give it (`leased` while a live lease is held, `pending` again once
    /// it ran out) — a stable shape for scripts that wait on a run.
    pub fn summary(&self) -> StatusSummary {
        let items = self
            .items
            .iter()
            .map(|item| {
                let leased = self.is_leased(item);
                ItemSummary {
                    item: item.item,
                    repository: item.repository.clone(),
                    tags: item.tags,
                    state: if leased { "leased" } else { item.state.as_str() }.to_string(),
                    attempts: item.attempts,
                    leased_by: item.leased_by.clone().filter(|_| leased),
                    leased_for_seconds: item.leased_since.filter(|_| leased).map(|since| self.now - since),
                    lease_ends_in_seconds: item.lease_until.filter(|_| leased).map(|until| until - self.now),
                }
            })
            .collect();
        StatusSummary {
            run: self.run,
            registry: self.registry.clone(),
            finalized: self.finished.clone(),
            counts: StatusCounts {
                items: self.items.len(),
                done: self.done(),
                failed: self.failed(),
                leased: self.leased().len(),
                pending: self.pending(),
            },
            items,
        }
    }
}

/// A run's state as `registry status -f json` prints it ([`RunStatus::summary`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusSummary {
    /// The run.
    pub run: RunId,
    /// Its registry.
    pub registry: String,
    /// When `finalize` finished it (RFC 3339), or `null`.
    pub finalized: Option<String>,
    /// How many items are in each state.
    pub counts: StatusCounts,
    /// Every item, in item order.
    pub items: Vec<ItemSummary>,
}

/// Items per state; `items` is their sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    /// All of the run's items.
    pub items: usize,
    /// Read.
    pub done: usize,
    /// Given up after `--max-attempts`: their tags are failures in the report.
    pub failed: usize,
    /// Held by a worker now.
    pub leased: usize,
    /// Waiting for a worker.
    pub pending: usize,
}

/// One item of [`StatusSummary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemSummary {
    /// Its number in the run.
    pub item: i64,
    /// The repository it reads.
    pub repository: String,
    /// How many tags it reads (`null`: as the run's `--tags` selects them).
    pub tags: Option<usize>,
    /// `pending`, `leased`, `done` or `failed`.
    pub state: String,
    /// How many times a worker claimed it.
    pub attempts: i64,
    /// The worker holding it (while `leased`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leased_by: Option<String>,
    /// For how long it has held it (while `leased`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leased_for_seconds: Option<i64>,
    /// When the lease runs out unless renewed (while `leased`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_ends_in_seconds: Option<i64>,
}

/// `customs registry status`: the run's items.
pub fn status(store: &Store, run: RunId) -> anyhow::Result<RunStatus> {
    let row = store.run(run)?.with_context(|| format!("the store {} has no run {run}", store.name()))?;
    load_plan(store, run)?;
    Ok(RunStatus {
        run,
        registry: row.registry,
        finished: row.finished,
        items: store.items(run)?,
        now: epoch_seconds(),
    })
}

/// `customs registry finalize`: once every item of `run` is done or given up, the
/// run's report — matched, compared with the previous finished run, recorded — as
/// `registry scan` makes it. Refuses while items are pending or leased.
pub fn finalize(scanner: &Scanner, store: &Arc<Store>, run: RunId) -> anyhow::Result<RunReport> {
    let state = status(store, run)?;
    if state.finished.is_some() {
        anyhow::bail!(
            "run {run} in {} is already finalized; `customs registry report --store … --run {run}` renders it again",
            store.name()
        );
    }
    let leased = state.leased();
    let pending = state.pending();
    if pending > 0 || !leased.is_empty() {
        let holders: BTreeSet<&str> = leased.iter().filter_map(|i| i.leased_by.as_deref()).collect();
        let holders = if holders.is_empty() {
            String::new()
        } else {
            format!(" (by {})", holders.into_iter().collect::<Vec<_>>().join(", "))
        };
        anyhow::bail!(
            "run {run} is not finished: {} of {} items are still pending and {} leased{holders}; run `customs registry work --store … --run {run}` until none is left, then finalize",
            pending,
            state.items.len(),
            leased.len()
        );
    }
    let plan = load_plan(store, run)?;
    let options = plan.sweep_options(1, None)?;
    let analysers = analyze::analysers_key();
    let outcomes_by_item: BTreeMap<i64, ItemOutcome> = store
        .item_outcomes(run)?
        .into_iter()
        .map(|(item, json)| {
            serde_json::from_slice(&json)
                .map(|outcome| (item, outcome))
                .with_context(|| format!("the store {}: item {item} of run {run} is unreadable", store.name()))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut by_repository: BTreeMap<&str, RepositoryOutcome> = BTreeMap::new();
    let mut requests = plan.requests;
    let mut warnings = Vec::new();
    for item in &state.items {
        let outcome = by_repository.entry(item.repository.as_str()).or_default();
        if item.state == "failed" {
            let message = format!(
                "{}: {} stopped while reading it (killed, out of memory, or cut off from the store); given up",
                item.repository,
                crate::report::plural(item.attempts.max(0) as usize, "worker", "workers")
            );
            let tags = store.item_tags(run, item.item)?;
            match tags {
                Some(tags) => outcome.failures.extend(tags.into_iter().map(|tag| Failure {
                    repository: item.repository.clone(),
                    tag: Some(tag),
                    reason: FailureReason::Invalid,
                    message: message.clone(),
                })),
                None => outcome.failures.push(Failure {
                    repository: item.repository.clone(),
                    tag: None,
                    reason: FailureReason::Invalid,
                    message,
                }),
            }
            continue;
        }
        let Some(done) = outcomes_by_item.get(&item.item) else { continue };
        requests += done.requests;
        outcome.layers_read += done.layers_read;
        outcome.layers_from_store += done.layers_from_store;
        outcome.bytes_read += done.bytes_read;
        outcome.failures.extend(done.failures.iter().cloned());
        outcome.notes.extend(done.notes.iter().cloned());
        if let Some(listed) = &done.listed_tags {
            outcome.listed_tags = Some(listed.clone());
        }
        for image in &done.images {
            let stored = store.image(&image.digest, &analysers)?;
            let inventory = stored.and_then(|s| serde_json::from_slice::<Inventory>(&s.inventory).ok());
            match inventory {
                Some(inventory) => outcome.images.push(Reached {
                    repository: image.repository.clone(),
                    tags: image.tags.clone(),
                    top_digest: image.top_digest.clone(),
                    digest: image.digest.clone(),
                    platform: image.platform.clone(),
                    source: image.source,
                    first_seen: image.first_seen.clone(),
                    inventory,
                }),
                None => warnings.push(format!(
                    "{}/{}@{}: a worker read it but its analysis is not in the store; run `registry scan` again",
                    plan.registry, image.repository, image.digest
                )),
            }
        }
    }
    let mut outcomes = Vec::new();
    for repository in &plan.selected {
        let mut outcome = by_repository.remove(repository.as_str()).unwrap_or_default();
        if let Some(listed) = plan.listed_tags.get(repository) {
            outcome.listed_tags = Some(listed.clone());
        }
        if let Some(notes) = plan.notes.get(repository) {
            outcome.notes.splice(0..0, notes.iter().cloned());
        }
        outcomes.push((repository.clone(), outcome));
    }
    store.set_run_database(run, &run::database_identity(scanner))?;
    let swept = Swept { listed: plan.listed, catalog: plan.catalog, outcomes, requests, started: plan.started };
    let mut report = run::conclude(scanner, store, &options, run, swept)?;
    if !warnings.is_empty() {
        report.warnings.extend(warnings);
        // Stored again with the warnings: `registry report` shows what finalize showed.
        run::finish(store, &mut report)?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(item: i64, state: &str, lease: Option<(&str, i64, i64)>, attempts: i64) -> ItemStatus {
        ItemStatus {
            item,
            repository: format!("team/app{item}"),
            tags: Some(4),
            state: state.into(),
            leased_by: lease.map(|(by, _, _)| by.to_string()),
            leased_since: lease.map(|(_, since, _)| since),
            lease_until: lease.map(|(_, _, until)| until),
            attempts,
        }
    }

    /// A live lease shows as `leased`, with who and for how long; a lease that ran out
    /// is `pending` again and says nothing of its former holder.
    #[test]
    fn the_summary_tells_live_leases_from_expired_ones() {
        let status = RunStatus {
            run: 7,
            registry: "registry.example.com".into(),
            finished: None,
            items: vec![
                item(1, "done", None, 1),
                item(2, "pending", Some(("w1", 990, 1010)), 1),
                item(3, "pending", Some(("dead", 900, 960)), 1),
                item(4, "pending", None, 0),
                item(5, "failed", None, 3),
            ],
            now: 1000,
        };
        let json = serde_json::to_value(status.summary()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "run": 7,
                "registry": "registry.example.com",
                "finalized": null,
                "counts": {"items": 5, "done": 1, "failed": 1, "leased": 1, "pending": 2},
                "items": [
                    {"item": 1, "repository": "team/app1", "tags": 4, "state": "done", "attempts": 1},
                    {"item": 2, "repository": "team/app2", "tags": 4, "state": "leased", "attempts": 1,
                     "leased_by": "w1", "leased_for_seconds": 10, "lease_ends_in_seconds": 10},
                    {"item": 3, "repository": "team/app3", "tags": 4, "state": "pending", "attempts": 1},
                    {"item": 4, "repository": "team/app4", "tags": 4, "state": "pending", "attempts": 0},
                    {"item": 5, "repository": "team/app5", "tags": 4, "state": "failed", "attempts": 3},
                ]
            })
        );
    }
}
