//! One sweep run, start to finish: discover repositories and tags, resolve each tag
//! with a HEAD, analyse only the digests the store has not analysed (and of those only
//! the layers it has not), match every image with the [`Scanner`], compare with the
//! previous run, record everything, and return the [`RunReport`].
//!
//! Failures stay where they happen: a repository whose tag list or image fails is a
//! [`Failure`] with its reason, its images of the previous run are carried forward as
//! stale, and every other repository completes. Only what makes the whole run
//! meaningless is an error: a registry that cannot be reached at all, or a catalog
//! that is refused or empty (never "0 images, all clean").

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::Context as _;
use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use super::compare;
use super::layers::{InFlight, StoreLayers};
use super::outcome::*;
use super::select::{RepoFilter, TagSelection};
use super::shard::Shard;
use super::store::{PlatformImage, RunId, SeenImage, Store};
use crate::image::analyze::{self, AnalyzeOptions};
use crate::image::digest::Digest;
use crate::image::registry::{CatalogError, CredentialScope, RegistryClient, RequestLimits, TopManifest};
use crate::image::source::{ImageError, ImageSource as _, Platform};
use crate::inventory::walk::Inventory;
use crate::scan::{ImageOptions, Scanner};

mod rematch;
pub use rematch::rematch;

/// What `customs registry scan` was asked to do, as plain values.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// `host[:port]`.
    pub registry: String,
    /// Which repositories are read (`--repo`/`--exclude-repo` globs).
    pub repositories: RepoFilter,
    /// `--repos-from`: the repositories to read instead of the catalog.
    pub repository_list: Option<Vec<String>>,
    /// Which tags of each repository are read (`--tags`).
    pub tags: TagSelection,
    /// `--platform`: which platforms of a multi-platform index; `None` = all.
    pub platforms: Option<Vec<Platform>>,
    /// Repositories read at once.
    pub concurrency: usize,
    /// The most requests a second to the registry (`--rps`); `None`: no limit.
    pub requests_per_second: Option<f64>,
    /// Catalog page size (`n`); `None` lets the registry choose.
    pub catalog_page_size: Option<u32>,
    /// Continue the newest interrupted run instead of starting a new one.
    pub resume: bool,
    /// `--shard I/N`: sweep only the repositories of this shard ([`super::shard`]).
    pub shard: Option<Shard>,
}

impl SweepOptions {
    /// What this sweep selects, shard aside, as one line: shards whose lines differ
    /// belong to different sweeps and are never merged. The `--repos-from` list is
    /// named by the SHA-256 of its sorted names, not spelled out: the same names in
    /// another order are the same selection.
    pub fn selection(&self) -> String {
        let list = match &self.repository_list {
            Some(names) => {
                let sorted: BTreeSet<&str> = names.iter().map(String::as_str).collect();
                format!("{:x}", Sha256::digest(sorted.into_iter().collect::<Vec<_>>().join("\n").as_bytes()))
            }
            None => "catalog".to_string(),
        };
        let platforms = match &self.platforms {
            Some(platforms) => platforms.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
            None => "all".to_string(),
        };
        format!(
            "repo={:?} exclude={:?} repos-from={list} tags={:?} platforms={platforms}",
            self.repositories.include, self.repositories.exclude, self.tags
        )
    }
}

/// What a sweep tells a progress display; every method may be called from several
/// threads.
pub trait Progress: Sync {
    /// The number of repositories to read, once known.
    fn repositories(&self, _total: usize) {}
    /// One repository is finished.
    fn repository_done(&self, _repository: &str) {}
    /// One image is finished; `analysed` when it was read rather than taken from the store.
    fn image_done(&self, _reference: &str, _analysed: bool) {}
    /// Layers read so far and their bytes.
    fn layers(&self, _read: usize, _bytes: u64) {}
}

/// No progress display (pipes, tests).
pub struct Silent;
impl Progress for Silent {}

/// One platform image this run reached, before matching.
pub(super) struct Reached {
    pub(super) repository: String,
    pub(super) tags: Vec<String>,
    pub(super) top_digest: String,
    pub(super) digest: String,
    pub(super) platform: String,
    pub(super) source: ImageSource,
    pub(super) first_seen: String,
    pub(super) inventory: Inventory,
}

/// What reading one repository (or some of its tags) gave.
#[derive(Default)]
pub(super) struct RepositoryOutcome {
    pub(super) images: Vec<Reached>,
    pub(super) failures: Vec<Failure>,
    pub(super) notes: Vec<String>,
    /// Every tag the registry listed (`None`: the tag list failed).
    pub(super) listed_tags: Option<BTreeSet<String>>,
    pub(super) layers_read: usize,
    pub(super) layers_from_store: usize,
    pub(super) bytes_read: u64,
}

pub(super) fn now() -> String {
    crate::report::timestamp()
}

/// The advisory database's identity, as runs record it.
pub(super) fn database_identity(scanner: &Scanner) -> String {
    let db = scanner.database();
    format!("{}|{}|{}|{}", db.path, db.records, db.newest_modified, db.local_advisories)
}

/// `customs registry scan`.
pub fn scan_registry(
    scanner: &Scanner,
    store: &Arc<Store>,
    options: &SweepOptions,
    progress: &dyn Progress,
) -> anyhow::Result<RunReport> {
    let registry = options.registry.as_str();
    let client = registry_client(scanner.image_options(), options, options.requests_per_second)?;
    let Discovered { listed, catalog, selected } = discover_selected(&client, options)?;
    // Begun once the registry answered: a registry that cannot be listed leaves no run.
    let started = now();
    let run = match options.resume.then(|| store.unfinished_run(registry, RunKind::Scan)).transpose()?.flatten() {
        Some(run) => run,
        None => store.begin_run(registry, RunKind::Scan, &database_identity(scanner), &started)?,
    };
    store.record_run_sharding(run, options.shard, &options.selection())?;
    progress.repositories(selected.len());
    let analysers = analyze::analysers_key();
    let in_flight = Arc::new(InFlight::default());
    let context = Context {
        client: &client,
        store,
        options,
        analysers: &analysers,
        run,
        image_options: scanner.image_options(),
        in_flight,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.concurrency.max(1))
        .build()
        .context("cannot start the sweep's threads")?;
    let outcomes: Vec<(String, RepositoryOutcome)> = pool.install(|| {
        selected
            .par_iter()
            .map(|repository| {
                let outcome = context.repository(repository, progress);
                progress.repository_done(repository);
                (repository.clone(), outcome)
            })
            .collect()
    });
    let swept = Swept { listed: listed.len(), catalog, outcomes, requests: client.stats().requests, started };
    conclude(scanner, store, options, run, swept)
}

/// A client for the sweep's registry, with the scanner's credentials and limits.
pub(super) fn registry_client(
    image_options: &ImageOptions,
    options: &SweepOptions,
    requests_per_second: Option<f64>,
) -> anyhow::Result<RegistryClient> {
    RegistryClient::new(
        &options.registry,
        image_options.registry_options(CredentialScope::CommandLine)?,
        image_options.network.clone(),
        RequestLimits { requests_per_second },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The repositories a sweep lists and selects.
pub(super) struct Discovered {
    /// What the catalog (or `--repos-from`, or `--repo NAME`) listed.
    pub(super) listed: Vec<String>,
    /// The catalog, when it was read.
    pub(super) catalog: Option<BTreeSet<String>>,
    /// The repositories to read: `--repo`/`--exclude` and the shard applied.
    pub(super) selected: Vec<String>,
}

/// Lists the registry and selects the repositories to read.
pub(super) fn discover_selected(client: &RegistryClient, options: &SweepOptions) -> anyhow::Result<Discovered> {
    let (listed, catalog) = discover(client, options)?;
    let chosen: Vec<String> = listed.iter().filter(|r| options.repositories.selects(r)).cloned().collect();
    if chosen.is_empty() {
        anyhow::bail!(
            "{}: none of the {} repositories listed matches --repo/--exclude; nothing to scan",
            options.registry,
            listed.len()
        );
    }
    // A shard's share may be empty (more shards than repositories): an empty run, not
    // an error, so that every shard of a matrix has a run to merge.
    let selected: Vec<String> = chosen.into_iter().filter(|r| options.shard.is_none_or(|s| s.selects(r))).collect();
    Ok(Discovered { listed, catalog, selected })
}

/// What a sweep read, before matching: one outcome per selected repository, in order.
pub(super) struct Swept {
    /// How many repositories were listed.
    pub(super) listed: usize,
    /// The catalog, when it was read.
    pub(super) catalog: Option<BTreeSet<String>>,
    pub(super) outcomes: Vec<(String, RepositoryOutcome)>,
    /// Requests made to the registry.
    pub(super) requests: u64,
    /// When the run began (RFC 3339).
    pub(super) started: String,
}

/// The end of a sweep, whoever read the repositories: carries forward what failed,
/// matches every image, compares with the previous run, records and finishes the run.
pub(super) fn conclude(
    scanner: &Scanner,
    store: &Store,
    options: &SweepOptions,
    run: RunId,
    swept: Swept,
) -> anyhow::Result<RunReport> {
    let registry = options.registry.as_str();
    let analysers = analyze::analysers_key();
    let Swept { listed, catalog, outcomes, requests, started } = swept;
    let previous = store.previous_finished_run(registry, run)?;
    let previous_seen = match previous {
        Some(p) => store.seen(p)?,
        None => Vec::new(),
    };
    let mut coverage = Coverage { repositories_listed: listed, repositories: outcomes.len(), ..Coverage::default() };
    let mut reached = Vec::new();
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    let mut listed_tags = BTreeMap::new();
    for (repository, outcome) in outcomes {
        coverage.layers_downloaded += outcome.layers_read;
        coverage.layers_from_store += outcome.layers_from_store;
        coverage.bytes_downloaded += outcome.bytes_read;
        match outcome.listed_tags {
            Some(tags) => {
                listed_tags.insert(repository.clone(), tags);
            }
            None => coverage.repositories_failed += 1,
        }
        // Carried forward: what the previous run saw of a failed repository or tag.
        let failed_tags: Vec<Option<String>> = outcome.failures.iter().map(|f| f.tag.clone()).collect();
        let stale = previous_seen.iter().filter(|s| {
            s.repository == repository && failed_tags.iter().any(|t| t.as_ref().is_none_or(|t| *t == s.tag))
        });
        for seen in stale {
            match store.image(&seen.image_digest, &analysers)? {
                Some(stored) => match serde_json::from_slice::<Inventory>(&stored.inventory) {
                    Ok(inventory) => reached.push(Reached {
                        repository: repository.clone(),
                        tags: vec![seen.tag.clone()],
                        top_digest: seen.top_digest.clone(),
                        digest: seen.image_digest.clone(),
                        platform: seen.platform.clone(),
                        source: ImageSource::Stale,
                        first_seen: stored.first_seen,
                        inventory,
                    }),
                    Err(e) => warnings.push(format!("{repository}@{}: the stored analysis is unreadable ({e}); not carried forward", seen.image_digest)),
                },
                None => warnings.push(format!(
                    "{repository}:{}: failed this run and its earlier analysis is not in the store; not carried forward",
                    seen.tag
                )),
            }
        }
        reached.extend(outcome.images);
        failures.extend(outcome.failures);
        warnings.extend(outcome.notes);
    }
    let gone: BTreeSet<String> = match &catalog {
        Some(catalog) => previous_seen
            .iter()
            .map(|s| s.repository.clone())
            .filter(|r| {
                options.repositories.selects(r) && options.shard.is_none_or(|s| s.selects(r)) && !catalog.contains(r)
            })
            .collect(),
        None => BTreeSet::new(),
    };
    for failure in &failures {
        store.record_failure(run, failure)?;
    }
    coverage.requests = requests;
    let mut report = evaluate(scanner, store, registry, run, previous, &previous_seen, merge_tags(reached), coverage)?;
    let current_seen = store.seen(run)?;
    let (moved, disappeared) = compare::moved_and_disappeared(&previous_seen, &current_seen, &listed_tags, &gone);
    report.moved_tags = moved;
    report.disappeared = disappeared;
    report.failures = failures;
    report.warnings.extend(warnings);
    report.run.started = started;
    report.run.shard = options.shard;
    finish(store, &mut report)?;
    Ok(report)
}

/// The repositories to read, and the catalog when it was read.
fn discover(
    client: &RegistryClient,
    options: &SweepOptions,
) -> anyhow::Result<(Vec<String>, Option<BTreeSet<String>>)> {
    if let Some(list) = &options.repository_list {
        return Ok((list.clone(), None));
    }
    let registry = &options.registry;
    let literal = !options.repositories.include.is_empty()
        && options.repositories.include.iter().all(|r| !r.contains(['*', '?']));
    match client.catalog(options.catalog_page_size) {
        Ok(names) if names.is_empty() && literal => Ok((options.repositories.include.clone(), None)),
        Ok(names) if names.is_empty() => anyhow::bail!(
            "{registry}: the catalog lists no repositories; if the registry hides them, name them with --repo NAME or --repos-from FILE"
        ),
        Ok(names) => {
            let catalog: BTreeSet<String> = names.iter().cloned().collect();
            Ok((names, Some(catalog)))
        }
        // A registry that refuses the catalog (GHCR, Docker Hub, Harbor without admin)
        // can still be swept by name.
        Err(CatalogError::Refused { .. }) if literal => Ok((options.repositories.include.clone(), None)),
        // The error names the registry already.
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// What reading a repository needs.
pub(super) struct Context<'a> {
    pub(super) client: &'a RegistryClient,
    pub(super) store: &'a Arc<Store>,
    pub(super) options: &'a SweepOptions,
    pub(super) analysers: &'a str,
    pub(super) run: RunId,
    pub(super) image_options: &'a ImageOptions,
    /// Layers being read right now: shared base layers are read once.
    pub(super) in_flight: Arc<InFlight>,
}

fn failure(repository: &str, tag: Option<&str>, error: &ImageError) -> Failure {
    Failure {
        repository: repository.to_string(),
        tag: tag.map(str::to_string),
        reason: error.reason(),
        message: error.to_string(),
    }
}

impl Context<'_> {
    fn registry(&self) -> &str {
        &self.options.registry
    }

    /// Lists, selects and reads one repository's tags. Never fails as a whole: what
    /// goes wrong is a [`Failure`] in the outcome.
    pub(super) fn repository(&self, repository: &str, progress: &dyn Progress) -> RepositoryOutcome {
        let mut outcome = RepositoryOutcome::default();
        let tags = match self.client.tags(repository) {
            Ok(tags) => tags,
            Err(e) => {
                outcome.failures.push(failure(repository, None, &e));
                return outcome;
            }
        };
        outcome.listed_tags = Some(tags.iter().cloned().collect());
        // HEAD every tag once; `recent:N` needs the digests before it can choose.
        let digests: RefCell<BTreeMap<String, Result<Option<Digest>, Failure>>> = RefCell::new(BTreeMap::new());
        let head = |tag: &str| -> Result<Option<Digest>, Failure> {
            if let Some(known) = digests.borrow().get(tag) {
                return known.clone();
            }
            let answer = self.client.head_manifest(repository, tag).map_err(|e| failure(repository, Some(tag), &e));
            digests.borrow_mut().insert(tag.to_string(), answer.clone());
            answer
        };
        let created = |tag: &str| -> Option<String> {
            let digest = head(tag).ok().flatten()?;
            self.created(repository, &digest)
        };
        let picked = self.options.tags.pick(repository, &tags, &created);
        outcome.notes.extend(picked.note);
        self.read_tags(repository, &picked.tags, &head, &mut outcome, progress);
        outcome
    }

    /// Reads chosen tags of a repository (a work item's share), with no tag listing:
    /// the outcome's `listed_tags` is left for the plan to give.
    pub(super) fn chosen_tags(&self, repository: &str, tags: &[String], progress: &dyn Progress) -> RepositoryOutcome {
        let mut outcome = RepositoryOutcome::default();
        let head =
            |tag: &str| self.client.head_manifest(repository, tag).map_err(|e| failure(repository, Some(tag), &e));
        self.read_tags(repository, tags, &head, &mut outcome, progress);
        outcome
    }

    /// HEADs each tag and reads the images it points to.
    fn read_tags(
        &self,
        repository: &str,
        tags: &[String],
        head: &dyn Fn(&str) -> Result<Option<Digest>, Failure>,
        outcome: &mut RepositoryOutcome,
        progress: &dyn Progress,
    ) {
        for tag in tags {
            match head(tag) {
                Ok(Some(digest)) => self.tag(repository, tag, &digest, outcome, progress),
                Ok(None) => outcome.failures.push(Failure {
                    repository: repository.to_string(),
                    tag: Some(tag.clone()),
                    reason: FailureReason::NotFound,
                    message: format!("{repository}:{tag}: listed, but the registry has no manifest for it"),
                }),
                Err(failed) => outcome.failures.push(failed),
            }
        }
    }

    /// When the image behind `digest` was created: from the store, else from its
    /// config (one manifest and config GET, remembered).
    fn created(&self, repository: &str, digest: &Digest) -> Option<String> {
        let key = digest.to_string();
        if let Ok(Some(created)) = self.store.manifest_created(self.registry(), repository, &key) {
            return Some(created);
        }
        let source = self.client.image(repository, digest).ok()?;
        let resolved = source.resolve().ok()?;
        let config: serde_json::Value = serde_json::from_slice(&resolved.config).ok()?;
        let created = config.get("created")?.as_str()?.to_string();
        // Only the creation time: the platform images behind `digest` (an index may
        // hold several) are recorded when the tag is read.
        let _ = self.store.record_created(self.registry(), repository, &key, &created);
        Some(created)
    }

    /// One `repo:tag` at `digest`: its platform images, each from the store or analysed.
    fn tag(
        &self,
        repository: &str,
        tag: &str,
        digest: &Digest,
        outcome: &mut RepositoryOutcome,
        progress: &dyn Progress,
    ) {
        let top = digest.to_string();
        let _ = self.store.record_tag(self.registry(), self.run, repository, tag, &top, &now());
        let platforms = match self.store.manifest(self.registry(), repository, &top) {
            Ok(Some(known)) => known,
            _ => match self.client.top_manifest(repository, digest) {
                // The platform of a single image is known once its config is read.
                Ok(TopManifest::Image) => vec![PlatformImage { platform: String::new(), digest: top.clone() }],
                Ok(TopManifest::Index(entries)) => entries
                    .into_iter()
                    .map(|(platform, digest)| PlatformImage {
                        platform: platform.to_string(),
                        digest: digest.to_string(),
                    })
                    .collect(),
                Err(e) => return outcome.failures.push(failure(repository, Some(tag), &e)),
            },
        };
        let is_index = platforms.len() > 1 || platforms.iter().any(|p| p.digest != top);
        let mut recorded = Vec::new();
        for image in platforms {
            if is_index && !self.wants_platform(&image.platform) {
                continue;
            }
            match self.platform_image(repository, &image, outcome, progress) {
                Ok(reached) => {
                    recorded.push(PlatformImage { platform: reached.platform.clone(), digest: reached.digest.clone() });
                    let seen = SeenImage {
                        repository: repository.to_string(),
                        tag: tag.to_string(),
                        top_digest: top.clone(),
                        image_digest: reached.digest.clone(),
                        platform: reached.platform.clone(),
                    };
                    let _ = self.store.record_seen(self.run, &seen);
                    outcome.images.push(Reached { tags: vec![tag.to_string()], top_digest: top.clone(), ..reached });
                }
                Err(e) => outcome.failures.push(failure(repository, Some(tag), &e)),
            }
        }
        if !recorded.is_empty() {
            let _ = self.store.record_manifest(self.registry(), repository, &top, &recorded);
        }
    }

    fn wants_platform(&self, platform: &str) -> bool {
        match &self.options.platforms {
            None => true,
            Some(wanted) => wanted.iter().any(|w| {
                let text = w.to_string();
                platform == text || (w.variant.is_none() && platform.starts_with(&format!("{text}/")))
            }),
        }
    }

    /// A platform image from the store, or analysed now (only its unknown layers read).
    fn platform_image(
        &self,
        repository: &str,
        image: &PlatformImage,
        outcome: &mut RepositoryOutcome,
        progress: &dyn Progress,
    ) -> Result<Reached, ImageError> {
        let reference = format!("{}/{repository}@{}", self.registry(), image.digest);
        let invalid = |message: String| ImageError::Invalid { reference: reference.clone(), message };
        if let Some(stored) = self.store.image(&image.digest, self.analysers).map_err(|e| invalid(e.to_string()))? {
            if let Ok(inventory) = serde_json::from_slice::<Inventory>(&stored.inventory) {
                progress.image_done(&reference, false);
                return Ok(Reached {
                    repository: repository.to_string(),
                    tags: Vec::new(),
                    top_digest: String::new(),
                    digest: image.digest.clone(),
                    platform: stored.platform,
                    source: ImageSource::Store,
                    first_seen: stored.first_seen,
                    inventory,
                });
            }
        }
        let digest = Digest::parse(&image.digest).map_err(|e| invalid(e.to_string()))?;
        let source = self.client.image(repository, &digest)?;
        let image_options = self.image_options;
        let analyze_options = AnalyzeOptions {
            layer_store: Some(Arc::new(StoreLayers::new(self.store.clone(), self.in_flight.clone()))),
            max_file_size: image_options.max_file_size,
            max_image_bytes: image_options.max_image_bytes,
            ..AnalyzeOptions::default()
        };
        let (inventory, stats) = analyze::analyze_counted(&source, &analyze_options)?;
        outcome.layers_read += stats.layers_read;
        outcome.layers_from_store += stats.layers_from_store;
        outcome.bytes_read += stats.bytes_read;
        progress.layers(stats.layers_read, stats.bytes_read);
        progress.image_done(&reference, true);
        let platform = inventory.image.as_ref().map(|i| i.platform.clone()).unwrap_or_else(|| image.platform.clone());
        let layers: Vec<String> = inventory.image.as_ref().map(|i| i.layers.clone()).unwrap_or_default();
        let packages: Vec<(String, String, String)> =
            inventory.packages.iter().map(|p| (p.ecosystem.to_string(), p.name.clone(), p.version.clone())).collect();
        let json = serde_json::to_vec(&inventory).map_err(|e| invalid(e.to_string()))?;
        let stamp = now();
        self.store
            .record_image(&image.digest, self.analysers, &platform, &layers, &json, &packages, &stamp)
            .map_err(|e| invalid(e.to_string()))?;
        let first_seen = self.store.image_first_seen(&image.digest).ok().flatten().unwrap_or(stamp);
        Ok(Reached {
            repository: repository.to_string(),
            tags: Vec::new(),
            top_digest: String::new(),
            digest: image.digest.clone(),
            platform,
            source: ImageSource::Analysed,
            first_seen,
            inventory,
        })
    }
}

/// One entry per repository and platform image, with every tag that reached it.
fn merge_tags(reached: Vec<Reached>) -> Vec<Reached> {
    let mut merged: BTreeMap<(String, String), Reached> = BTreeMap::new();
    for image in reached {
        match merged.get_mut(&(image.repository.clone(), image.digest.clone())) {
            Some(existing) => {
                existing.tags.extend(image.tags);
                existing.tags.sort();
                existing.tags.dedup();
                // Analysed in this run beats taken from the store beats carried forward.
                let rank = |s: ImageSource| match s {
                    ImageSource::Analysed => 0,
                    ImageSource::Store => 1,
                    ImageSource::Stale => 2,
                };
                if rank(image.source) < rank(existing.source) {
                    existing.source = image.source;
                }
            }
            None => {
                merged.insert((image.repository.clone(), image.digest.clone()), image);
            }
        }
    }
    let mut images: Vec<Reached> = merged.into_values().collect();
    images.sort_by(|a, b| (&a.repository, &a.tags, &a.platform).cmp(&(&b.repository, &b.tags, &b.platform)));
    images
}

/// Matches every image, compares with the previous run and records the results.
#[allow(clippy::too_many_arguments)]
fn evaluate(
    scanner: &Scanner,
    store: &Store,
    registry: &str,
    run: RunId,
    previous: Option<RunId>,
    previous_seen: &[SeenImage],
    images: Vec<Reached>,
    mut coverage: Coverage,
) -> anyhow::Result<RunReport> {
    let items: Vec<(Vec<String>, Inventory)> = images
        .iter()
        .map(|i| {
            let reference = format!("{registry}/{}@{}", i.repository, i.digest);
            (vec![reference], i.inventory.clone())
        })
        .collect();
    let results = scanner.evaluate_many(items);
    let mut reports = Vec::new();
    let mut warnings = Vec::new();
    let stamp = now();
    for (image, result) in images.into_iter().zip(results) {
        let result = match result {
            Ok(result) => result,
            Err(e) => {
                warnings.push(format!("{registry}/{}@{}: {e:#}", image.repository, image.digest));
                continue;
            }
        };
        let stale = image.source == ImageSource::Stale;
        let before = previous
            .and_then(|p| {
                compare::previous_image(previous_seen, &image.repository, &image.digest, &image.tags, &image.platform)
                    .map(|seen| (p, seen))
            })
            .map(|(p, seen)| store.findings(p, &image.repository, &seen.image_digest))
            .transpose()?;
        let (changes, fixed) = compare::changes(&result.findings, before.as_deref(), stale);
        let recorded: Vec<_> = result.findings.iter().map(compare::recorded).collect();
        store.record_findings(registry, run, &image.repository, &image.digest, &image.platform, &recorded, &stamp)?;
        let verdicts: Vec<(String, String)> =
            result.policy.iter().map(|p| (p.rule.to_string(), p.message.clone())).collect();
        store.record_policy(run, &image.repository, &image.digest, &verdicts)?;
        if stale {
            coverage.images_stale += 1;
            for tag in &image.tags {
                store.record_seen(
                    run,
                    &SeenImage {
                        repository: image.repository.clone(),
                        tag: tag.clone(),
                        top_digest: image.top_digest.clone(),
                        image_digest: image.digest.clone(),
                        platform: image.platform.clone(),
                    },
                )?;
            }
        }
        reports.push(ImageReport {
            repository: format!("{registry}/{}", image.repository),
            tags: image.tags,
            digest: image.digest.clone(),
            index_digest: (image.top_digest != image.digest && !image.top_digest.is_empty())
                .then_some(image.top_digest),
            platform: image.platform,
            source: image.source,
            first_seen: image.first_seen,
            result,
            changes,
            fixed,
        });
    }
    coverage.images = reports.len();
    let count = |source: ImageSource| reports.iter().filter(|r| r.source == source).count();
    coverage.images_analysed = count(ImageSource::Analysed);
    coverage.images_from_store = count(ImageSource::Store);
    // A multi-platform tag reaches several images: count `repo:tag` pairs once.
    coverage.tags =
        reports.iter().flat_map(|r| r.tags.iter().map(move |t| (&r.repository, t))).collect::<BTreeSet<_>>().len();
    let summary = summarise(&reports);
    Ok(RunReport {
        run: RunInfo {
            id: run,
            kind: RunKind::Scan,
            registry: registry.to_string(),
            started: String::new(),
            finished: String::new(),
            customs_version: env!("CARGO_PKG_VERSION").to_string(),
            database: Some(scanner.database().clone()),
            compared_with: previous,
            partial: false,
            shard: None,
            missing_shards: None,
        },
        coverage,
        summary,
        images: reports,
        moved_tags: Vec::new(),
        disappeared: Vec::new(),
        failures: Vec::new(),
        warnings,
    })
}

/// The run's counts over every image.
pub fn summarise(images: &[ImageReport]) -> RunSummary {
    let mut summary = RunSummary::default();
    let mut distinct = BTreeSet::new();
    for image in images {
        for (finding, change) in image.result.findings.iter().zip(&image.changes) {
            if finding.suppression.is_some() || !finding.kind.is_vulnerability() {
                continue;
            }
            summary.vulnerabilities += 1;
            distinct.insert(finding.id.clone());
            match change {
                Change::New => summary.new += 1,
                Change::Unchanged => summary.unchanged += 1,
                Change::Stale => summary.stale += 1,
            }
        }
        summary.fixed += image.fixed.len();
        summary.policy += image.result.policy.len();
    }
    summary.distinct_vulnerabilities = distinct.len();
    summary
}

/// Marks the run partial when anything failed, stamps it finished and stores it.
pub(super) fn finish(store: &Store, report: &mut RunReport) -> anyhow::Result<()> {
    report.run.partial =
        !report.failures.is_empty() || report.coverage.images_stale > 0 || report.run.missing_shards.is_some();
    report.run.finished = now();
    let json = serde_json::to_vec(&*report).context("cannot serialise the run report")?;
    store.finish_run(report.run.id, &json, report.run.partial, &report.run.finished)?;
    Ok(())
}
