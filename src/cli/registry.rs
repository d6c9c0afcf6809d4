//! `customs registry scan | rematch | report | merge | plan | work | finalize | status`:
//! flags onto [`customs::sweep`]'s options,
//! the run's report rendered and written, exit codes as `customs scan` has them.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use customs::config::Config;
use customs::report::registry::{RegistryFormat, RenderOptions};
use customs::scan::{Gate, ImageOptions, ScanOptions, Scanner, Threshold, Unrated};
use customs::sweep::merge::MergeOptions;
use customs::sweep::outcome::RunReport;
use customs::sweep::run::{self, SweepOptions};
use customs::sweep::select::{RepoFilter, TagSelection};
use customs::sweep::shard::Shard;
use customs::sweep::store::Store;

#[derive(Args, Debug)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub command: RegistryCommand,
}

#[derive(Subcommand, Debug)]
pub enum RegistryCommand {
    /// Sweep a registry: every repository's selected tags, analysed once per digest and
    /// remembered in the store; reports what is new, fixed or unchanged since the last run.
    Scan(Box<ScanArgs>),
    /// Match every image of the last run again against the current advisories, without
    /// any registry traffic.
    Rematch(RematchArgs),
    /// Render a stored run again (the newest, or --run ID).
    Report(ReportArgs),
    /// Combine the newest runs of shard stores (`registry scan --shard I/N`) into one run
    /// of --store, reported as if one process had swept the whole registry.
    Merge(MergeArgs),
    /// List the registry and record a new run's work items in the store (PostgreSQL,
    /// shared by the workers); prints the run id alone on stdout.
    Plan(Box<PlanArgs>),
    /// Claim and read items of a planned run until none is left (run any number at once).
    Work(Box<WorkArgs>),
    /// Once every item of a planned run is done: match, compare, report and notify, as
    /// `registry scan` does at its end.
    Finalize(Box<FinalizeArgs>),
    /// How a planned run's items stand: done, failed, leased (by whom, how long), pending.
    Status(StatusArgs),
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// The most tags one work item reads: a repository with more selected tags becomes
    /// several items, read by several workers.
    #[arg(long, value_name = "N", default_value_t = customs::sweep::work::DEFAULT_TAGS_PER_ITEM)]
    pub tags_per_item: usize,
    #[command(flatten)]
    pub access: super::image::RegistryAccessArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Args, Debug)]
pub struct WorkArgs {
    /// The run `registry plan` printed.
    #[arg(long, value_name = "ID", required = true)]
    pub run: i64,
    /// This worker's name in leases and `registry status` [default: HOST:PID].
    #[arg(long, value_name = "NAME", env = "CUSTOMS_WORKER")]
    pub worker: Option<String>,
    /// How long a claimed item stays this worker's without renewal (renewed every
    /// third of it while the worker reads): a worker that dies gives its items back
    /// after this long. Seconds, or `30s`, `5m`.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_lease)]
    pub lease: Duration,
    /// Items read at once by this worker.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// At most this many requests per second to the registry from this worker.
    #[arg(long, value_name = "R")]
    pub rps: Option<f64>,
    /// Claims of one item (workers that died reading it) before it is given up and
    /// reported as a failure.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_attempts: i64,
    /// Take only the items of shard I of N: the repositories whose name hashes to I
    /// (as `registry scan --shard` shares them), for a static matrix of workers.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// The shard count N, the index taken from $JOB_COMPLETION_INDEX (Kubernetes Indexed
    /// Jobs). --shard wins when both are given.
    #[arg(long, value_name = "N")]
    pub shard_count: Option<u32>,
    #[command(flatten)]
    pub access: super::image::RegistryAccessArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Args, Debug)]
pub struct FinalizeArgs {
    /// The run `registry plan` printed.
    #[arg(long, value_name = "ID", required = true)]
    pub run: i64,
    /// POST a JSON summary of the run to URL, as `registry scan --notify` does.
    #[arg(long, value_name = "URL")]
    pub notify: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub database: super::scan::AdvisoryArgs,
    #[command(flatten)]
    pub report: OutputArgs,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The run `registry plan` printed.
    #[arg(long, value_name = "ID", required = true)]
    pub run: i64,
    /// `text` for people; `json` (counts and every item's state) for scripts.
    #[arg(short = 'f', long, value_enum, default_value_t)]
    pub format: StatusFormat,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// How `registry status` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StatusFormat {
    /// A line of counts, then the leased and given-up items.
    #[default]
    Text,
    /// One JSON object: run, registry, finalized, counts, items.
    Json,
}

/// `--lease`: whole seconds, or a number and `s`/`m`/`h`.
fn parse_lease(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("{text:?}: give seconds, or a number and s, m or h (`30s`, `5m`)")),
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 && n <= 86_400 / scale => Ok(Duration::from_secs(n * scale)),
        _ => Err(format!("{text:?}: give a lease from 1s to 24h (`30s`, `5m`)")),
    }
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The store to write the merged run to (created when missing).
    #[arg(long, value_name = "PATH", required = true)]
    pub store: PathBuf,
    /// Merge shards whose run was interrupted as missing shards instead of refusing.
    #[arg(long)]
    pub allow_incomplete: bool,
    /// The shard stores, one per shard index.
    #[arg(value_name = "SHARD_STORE", required = true)]
    pub shards: Vec<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// The sweep's store: an SQLite file, or a PostgreSQL server
    /// (`postgres://USER@HOST[:PORT]/DB[?sslmode=require]`; TLS unless `sslmode=disable`).
    /// $CUSTOMS_STORE keeps a password out of the process list
    /// [default: <cache dir>/registry/store.sqlite].
    #[arg(long, value_name = "PATH|URL", env = "CUSTOMS_STORE", hide_env_values = true)]
    pub store: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format: table, json, sarif or markdown [default: table].
    #[arg(long, short, value_name = "FORMAT")]
    pub format: Option<RegistryFormat>,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Fail (exit 1, or --exit-code) for vulnerabilities at or above this severity
    /// (any, low, medium, high, critical) or at exactly the listed ones (`HIGH,CRITICAL`,
    /// `unknown`) in any image, and for unmet policy [default: any].
    #[arg(long, value_name = "SEVERITY[,…]")]
    pub fail_on: Option<Threshold>,
    /// Whether findings without a severity trip --fail-on: fail (the safe default) or
    /// ignore (still reported).
    #[arg(long, value_enum, value_name = "fail|ignore")]
    pub unrated: Option<Unrated>,
    /// The exit code when the gate trips [default: 1]; 0 never fails on findings.
    /// Errors exit 2 whatever this says.
    #[arg(long, value_name = "CODE")]
    pub exit_code: Option<u8>,
    /// Gate only on findings that are new since the previous run.
    #[arg(long)]
    pub fail_on_new: bool,
    /// List only what changed since the previous run (new and fixed findings, moved
    /// and disappeared tags, failures).
    #[arg(long)]
    pub since_last: bool,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Continue the last interrupted run instead of starting a new one.
    #[arg(long)]
    pub resume: bool,
    /// POST a JSON summary of the run to URL, signed with HMAC-SHA256 of the body
    /// (secret: $CUSTOMS_NOTIFY_SECRET) in X-Customs-Signature-256. A failed delivery is
    /// kept and tried again on the next run.
    #[arg(long, value_name = "URL")]
    pub notify: Option<String>,
    #[command(flatten)]
    pub access: super::image::RegistryAccessArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub database: super::scan::AdvisoryArgs,
    #[command(flatten)]
    pub report: OutputArgs,
}

/// What a sweep reads: the registry, its repositories and tags (`registry scan` and
/// `registry plan`).
#[derive(Args, Debug)]
pub struct SelectionArgs {
    /// The registry: `host[:port]` (`registry.example.com`, `localhost:5000`).
    #[arg(value_name = "REGISTRY")]
    pub registry: String,
    /// Only repositories matching this glob (`team-a/*`, `**/api`). Repeatable. With
    /// plain names (no `*`/`?`), a registry that refuses its catalog is swept by name.
    #[arg(long = "repo", value_name = "GLOB")]
    pub repos: Vec<String>,
    /// Leave out repositories matching this glob. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Read the repository names from FILE (one per line, `#` comments; `-` for stdin)
    /// instead of the catalog, for registries that refuse it.
    #[arg(long, value_name = "FILE")]
    pub repos_from: Option<PathBuf>,
    /// Which tags: latest (falling back to the newest semver tag), all, recent:N,
    /// semver:N or regex:RE.
    #[arg(long, value_name = "SELECTION", default_value = "latest")]
    pub tags: TagSelection,
    /// Platforms of multi-platform images to scan, comma-separated
    /// (`linux/amd64,linux/arm64`) [default: every platform].
    #[arg(long, value_name = "OS/ARCH[,…]", value_delimiter = ',')]
    pub platform: Vec<String>,
    /// Repositories read at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// At most this many requests per second to the registry.
    #[arg(long, value_name = "R")]
    pub rps: Option<f64>,
    /// Catalog page size (`n`) [default: the registry's].
    #[arg(long, value_name = "N", env = "CUSTOMS_CATALOG_PAGE_SIZE")]
    pub catalog_page_size: Option<u32>,
    /// Sweep only shard I of N: the repositories whose name hashes to I (SHA-256, mod
    /// N), after --repo/--exclude/--repos-from. Use one --store per shard and combine
    /// them with `registry merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// The shard count N, the index taken from $JOB_COMPLETION_INDEX (Kubernetes Indexed
    /// Jobs). --shard wins when both are given.
    #[arg(long, value_name = "N")]
    pub shard_count: Option<u32>,
}

#[derive(Args, Debug)]
pub struct RematchArgs {
    /// Rematch the last run of this registry [default: the newest run in the store].
    #[arg(long, value_name = "REGISTRY")]
    pub registry: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub database: super::scan::AdvisoryArgs,
    #[command(flatten)]
    pub report: OutputArgs,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The run to render [default: the newest finished run].
    #[arg(long, value_name = "ID")]
    pub run: Option<i64>,
    /// The newest run of this registry.
    #[arg(long, value_name = "REGISTRY", conflicts_with = "run")]
    pub registry: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub report: OutputArgs,
}

pub fn run(args: &RegistryArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    match &args.command {
        RegistryCommand::Scan(args) => scan(args, cache, quiet),
        RegistryCommand::Rematch(args) => rematch(args, cache, quiet),
        RegistryCommand::Report(args) => report(args, cache, quiet),
        RegistryCommand::Merge(args) => merge(args, quiet),
        RegistryCommand::Plan(args) => plan(args, cache, quiet),
        RegistryCommand::Work(args) => work(args, cache, quiet),
        RegistryCommand::Finalize(args) => finalize(args, cache, quiet),
        RegistryCommand::Status(args) => status(args, cache),
    }
}

fn open_store(args: &StoreArgs, cache: &Path) -> anyhow::Result<Arc<Store>> {
    let store = match args.store.as_deref().filter(|s| !s.is_empty()) {
        Some(location) => Store::open_location(location)?,
        None => Store::open(&Store::default_path(cache))?,
    };
    Ok(Arc::new(store))
}

/// The sweep's options from the selection flags; `password_stdin` when --password-stdin
/// already reads stdin.
fn sweep_options(args: &SelectionArgs, password_stdin: bool, resume: bool) -> anyhow::Result<SweepOptions> {
    let registry = args.registry.trim_end_matches('/').to_string();
    if registry.is_empty() || registry.contains(['/', '@']) {
        anyhow::bail!(
            "{:?} is not a registry: give host[:port] (`localhost:5000`, `registry.example.com`)",
            args.registry
        );
    }
    let platforms = args
        .platform
        .iter()
        .map(|p| customs::image::source::Platform::parse(p).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if password_stdin && args.repos_from.as_deref() == Some(Path::new("-")) {
        anyhow::bail!("--password-stdin and --repos-from - both read stdin: give the repository list as a file");
    }
    let variable = std::env::var(customs::sweep::shard::INDEX_VARIABLE).ok();
    let shard = Shard::choose(args.shard.as_deref(), args.shard_count, variable.as_deref())?;
    Ok(SweepOptions {
        registry,
        repositories: RepoFilter { include: args.repos.clone(), exclude: args.exclude.clone() },
        repository_list: args.repos_from.as_deref().map(read_repository_list).transpose()?,
        tags: args.tags.clone(),
        platforms: (!platforms.is_empty()).then_some(platforms),
        concurrency: args.concurrency.max(1),
        requests_per_second: args.rps,
        catalog_page_size: args.catalog_page_size,
        resume,
        shard,
    })
}

fn scan(args: &ScanArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    let options = sweep_options(&args.selection, args.access.login.password_stdin, args.resume)?;
    let image = args.access.options()?;
    let (scanner, fail_on) = scanner(&args.database, cache, image, Purpose::Scan)?;
    let store = open_store(&args.store, cache)?;
    let progress = progress_display(quiet);
    let report = run::scan_registry(&scanner, &store, &options, progress.as_ref())?;
    drop(progress);
    notify(&store, &report, args.notify.as_deref(), quiet)?;
    finish(&report, &args.report, fail_on, quiet)
}

/// `--notify URL`: queues the run's summary and delivers what is pending.
fn notify(store: &Store, report: &RunReport, url: Option<&str>, quiet: bool) -> anyhow::Result<()> {
    if let Some(url) = url {
        let secret = std::env::var("CUSTOMS_NOTIFY_SECRET").ok().filter(|s| !s.is_empty());
        let warnings = customs::sweep::notify::notify(store, report, url, secret.as_deref().map(str::as_bytes))?;
        if !quiet {
            warnings.iter().for_each(super::log::warn);
        }
    }
    Ok(())
}

fn plan(args: &PlanArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    let sweep = sweep_options(&args.selection, args.access.login.password_stdin, false)?;
    let image = args.access.options()?;
    let store = open_store(&args.store, cache)?;
    let options = customs::sweep::work::PlanOptions { sweep, tags_per_item: args.tags_per_item };
    let planned = customs::sweep::work::plan(&image, &store, &options)?;
    println!("{}", planned.run);
    if !quiet {
        let line = format!(
            "planned run {} of {}: {} in {}; start workers with `customs registry work --store … --run {}`",
            planned.run,
            store.name(),
            customs::report::registry::plural(planned.repositories, "repository", "repositories"),
            customs::report::registry::plural(planned.items, "work item", "work items"),
            planned.run
        );
        super::log::event(super::log::Level::Info, "planned")
            .text(line)
            .field("run", planned.run)
            .field("repositories", planned.repositories)
            .field("items", planned.items)
            .emit();
    }
    Ok(super::exit::CLEAN)
}

/// This worker's name: `--worker`, else `HOST:PID`.
fn worker_name(given: Option<&str>) -> String {
    if let Some(name) = given.filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_string());
    format!("{host}:{}", std::process::id())
}

fn work(args: &WorkArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    let variable = std::env::var(customs::sweep::shard::INDEX_VARIABLE).ok();
    let shard = Shard::choose(args.shard.as_deref(), args.shard_count, variable.as_deref())?;
    let image = args.access.options()?;
    let store = open_store(&args.store, cache)?;
    let options = customs::sweep::work::WorkOptions {
        shard,
        run: args.run,
        worker: worker_name(args.worker.as_deref()),
        lease: args.lease,
        concurrency: args.concurrency.max(1),
        requests_per_second: args.rps,
        max_attempts: args.max_attempts.max(1),
    };
    let progress = progress_display(quiet);
    let worked = customs::sweep::work::work(&image, &store, &options, progress.as_ref())?;
    drop(progress);
    if !quiet {
        let share = shard.map(|s| format!(" in shard {s}")).unwrap_or_default();
        let line = format!(
            "{} finished {} of run {}; none is left to claim{share}",
            options.worker,
            customs::report::registry::plural(worked.items, "work item", "work items"),
            args.run
        );
        super::log::event(super::log::Level::Info, "worker done")
            .text(line)
            .field("worker", options.worker.as_str())
            .field("run", args.run)
            .field("items", worked.items)
            .emit();
    }
    Ok(super::exit::CLEAN)
}

fn finalize(args: &FinalizeArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    let (scanner, fail_on) = scanner(&args.database, cache, ImageOptions::default(), Purpose::Scan)?;
    let store = open_store(&args.store, cache)?;
    let report = customs::sweep::work::finalize(&scanner, &store, args.run)?;
    notify(&store, &report, args.notify.as_deref(), quiet)?;
    finish(&report, &args.report, fail_on, quiet)
}

fn status(args: &StatusArgs, cache: &Path) -> anyhow::Result<u8> {
    let store = open_store(&args.store, cache)?;
    let summary = customs::sweep::work::status(&store, args.run)?.summary();
    if args.format == StatusFormat::Json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(super::exit::CLEAN);
    }
    // The text says what the JSON says: both come from the one summary.
    let counts = &summary.counts;
    let mut out = format!(
        "run {} of {}: {} items: {} done, {} failed, {} leased, {} pending{}\n",
        summary.run,
        customs::visible::visible(&summary.registry),
        counts.items,
        counts.done,
        counts.failed,
        counts.leased,
        counts.pending,
        if summary.finalized.is_some() { "; finalized" } else { "" }
    );
    for item in summary.items.iter().filter(|i| i.state == "leased") {
        let tags = item.tags.map(|n| format!(", {n} tags")).unwrap_or_default();
        out.push_str(&format!(
            "  item {} ({}{tags}): leased by {} for {}s, lease ends in {}s, attempt {}\n",
            item.item,
            customs::visible::visible(&item.repository),
            customs::visible::visible(item.leased_by.as_deref().unwrap_or("?")),
            item.leased_for_seconds.unwrap_or(0),
            item.lease_ends_in_seconds.unwrap_or(0),
            item.attempts
        ));
    }
    for item in summary.items.iter().filter(|i| i.state == "failed") {
        out.push_str(&format!(
            "  item {} ({}): given up after {}\n",
            item.item,
            customs::visible::visible(&item.repository),
            customs::report::plural(item.attempts.max(0) as usize, "attempt", "attempts")
        ));
    }
    print!("{out}");
    Ok(super::exit::CLEAN)
}

fn merge(args: &MergeArgs, quiet: bool) -> anyhow::Result<u8> {
    let store = Store::open(&args.store)?;
    let options = MergeOptions { shards: args.shards.clone(), allow_incomplete: args.allow_incomplete };
    let report = customs::sweep::merge::merge(&store, &options)?;
    if !quiet {
        for warning in &report.warnings {
            super::log::warn(customs::visible::visible(warning));
        }
        let line = format!(
            "merged {} into run {} of {}: {} images of {} repositories; `customs registry report --store {}` renders it",
            customs::report::registry::plural(args.shards.len(), "shard store", "shard stores"),
            report.run.id,
            args.store.display(),
            report.coverage.images,
            report.coverage.repositories,
            args.store.display()
        );
        super::log::event(super::log::Level::Info, &line).text(line).emit();
    }
    Ok(super::exit::CLEAN)
}

fn rematch(args: &RematchArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    let (scanner, fail_on) = scanner(&args.database, cache, ImageOptions::default(), Purpose::Rematch)?;
    let store = open_store(&args.store, cache)?;
    let report = run::rematch(&scanner, &store, args.registry.as_deref())?;
    finish(&report, &args.report, fail_on, quiet)
}

fn report(args: &ReportArgs, cache: &Path, quiet: bool) -> anyhow::Result<u8> {
    let store = open_store(&args.store, cache)?;
    let id = match args.run {
        Some(id) => id,
        None => store.latest_finished_run(args.registry.as_deref())?.with_context(|| {
            format!("the store {} holds no finished run; run `customs registry scan` first", store.name())
        })?,
    };
    let json = store.run_report(id)?.with_context(|| {
        format!(
            "the store {} has no finished run {id}; `customs registry report` lists only finished runs",
            store.name()
        )
    })?;
    let report: RunReport = serde_json::from_slice(&json)
        .with_context(|| format!("the store {}: run {id} was written by another customs version", store.name()))?;
    finish(&report, &args.report, GateSettings::default(), quiet)
}

/// The gate's settings from `customs.yaml`'s `scan:`, for what the flags leave unset.
#[derive(Debug, Clone, Copy, Default)]
struct GateSettings {
    fail_on: Option<Threshold>,
    unrated: Option<Unrated>,
    exit_code: Option<u8>,
}

/// What the scanner is for: a rematch never reaches a registry, so it checks no
/// policy (signatures and base images are checked by every `registry scan`).
#[derive(PartialEq, Eq)]
enum Purpose {
    Scan,
    Rematch,
}

/// The scan pipeline with the sweep's database, triage and policy options: flags,
/// then `customs.yaml` (`scan:` for what flags leave unset, `policy:` for signatures
/// and base images, checked on every image). Also the file's gate settings.
fn scanner(
    args: &super::scan::AdvisoryArgs,
    cache: &Path,
    image: ImageOptions,
    purpose: Purpose,
) -> anyhow::Result<(Scanner, GateSettings)> {
    let config = Config::load(args.config.as_deref())?;
    let mut settings = config.as_ref().map(Config::settings).unwrap_or_default();
    let args = args.with_settings(&mut settings)?;
    let policy = config.as_ref().filter(|_| purpose == Purpose::Scan);
    let options = ScanOptions { offline: purpose == Purpose::Rematch, image, ..args.scan_options(cache, policy)? };
    let gate = GateSettings { fail_on: settings.fail_on, unrated: settings.unrated, exit_code: settings.exit_code };
    Ok((Scanner::new(options)?, gate))
}

/// Renders and writes the report; the exit code from its findings.
fn finish(report: &RunReport, args: &OutputArgs, configured: GateSettings, quiet: bool) -> anyhow::Result<u8> {
    let format = args.format.unwrap_or(RegistryFormat::Table);
    let colour = args.output.is_none()
        && format == RegistryFormat::Table
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    write_report(report, format, args, colour, quiet)?;
    if !quiet {
        for warning in &report.warnings {
            super::log::warn(customs::visible::visible(warning));
        }
        super::log::sweep_failures(&report.failures);
        if report.run.partial {
            super::log::warn(format!(
                "partial run: {} failure(s); their images' earlier findings are carried forward as stale",
                report.failures.len()
            ));
        }
    }
    if report.images.is_empty() && report.run.shard.is_some() && report.coverage.repositories == 0 {
        if !quiet {
            super::log::note("no repository falls in this shard; an empty run is recorded for the merge");
        }
        return Ok(super::exit::CLEAN);
    }
    if report.images.is_empty() {
        super::log::error(format!("no image of {} could be scanned", customs::visible::visible(&report.run.registry)));
        return Ok(super::exit::ERROR);
    }
    let gate = Gate {
        threshold: args.fail_on.or(configured.fail_on).unwrap_or(Threshold::Any),
        unrated: args.unrated.or(configured.unrated).unwrap_or_default(),
    };
    let outcome = report.gate(gate, args.fail_on_new);
    Ok(super::gate_exit(&outcome, args.exit_code.or(configured.exit_code), quiet))
}

/// Writes the report. SARIF for more images than GitHub takes in one upload
/// ([`customs::report::registry::sarif::MAX_RUNS`] runs) goes to several files with `-o`:
/// `sweep.sarif`, `sweep-2.sarif`, …
fn write_report(
    report: &RunReport,
    format: RegistryFormat,
    args: &OutputArgs,
    colour: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    use customs::report::registry::sarif;
    if let (RegistryFormat::Sarif, Some(output)) = (format, &args.output) {
        let documents = sarif::render_documents(report, sarif::MAX_RUNS);
        if documents.len() > 1 {
            let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "customs".into());
            let extension = output.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
            for (i, document) in documents.iter().enumerate() {
                let path = match i {
                    0 => output.clone(),
                    _ => output.with_file_name(format!("{stem}-{}{extension}", i + 1)),
                };
                super::write_output(Some(&path), document)?;
            }
            if !quiet {
                super::log::note(format!(
                    "{} images: SARIF written as {} files of at most {} runs (GitHub's limit per upload), {} and {stem}-2{extension}…",
                    report.images.len(),
                    documents.len(),
                    sarif::MAX_RUNS,
                    output.display()
                ));
            }
            return Ok(());
        }
    }
    let rendered =
        customs::report::registry::render(report, format, &RenderOptions { colour, only_new: args.since_last });
    super::write_output(args.output.as_deref(), &rendered)
}

/// `--repos-from`: one repository per line, `#` comments and blank lines skipped.
fn read_repository_list(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text).context("cannot read --repos-from -")?;
        text
    } else {
        let bytes = customs::inventory::walk::read_capped(path)
            .with_context(|| format!("cannot read --repos-from {}", path.display()))?;
        String::from_utf8(bytes).with_context(|| format!("--repos-from {}: not UTF-8 text", path.display()))?
    };
    let names = customs::sweep::select::repository_list(&text);
    if names.is_empty() {
        anyhow::bail!("--repos-from {}: no repository names in it", path.display());
    }
    Ok(names)
}

/// Repositories, images and layers on a terminal; a log line per repository and image
/// with `--log-format json`; nothing on a pipe or with --quiet.
fn progress_display(quiet: bool) -> Box<dyn run::Progress> {
    if !quiet && super::log::is_json() {
        return Box::new(super::log::JsonProgress);
    }
    if quiet || !std::io::stderr().is_terminal() {
        return Box::new(run::Silent);
    }
    Box::new(Bar::new())
}

struct Bar {
    bar: indicatif::ProgressBar,
    images: std::sync::atomic::AtomicUsize,
    layers: std::sync::atomic::AtomicUsize,
    bytes: std::sync::atomic::AtomicU64,
}

impl Bar {
    fn new() -> Bar {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} repositories {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar { bar, images: 0.into(), layers: 0.into(), bytes: 0.into() }
    }

    fn message(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        self.bar.set_message(format!(
            "· images {} · layers {} · {}",
            self.images.load(Relaxed),
            self.layers.load(Relaxed),
            customs::image::layers::size_text(self.bytes.load(Relaxed))
        ));
    }
}

impl run::Progress for Bar {
    fn repositories(&self, total: usize) {
        self.bar.set_length(total as u64);
    }
    fn repository_done(&self, _repository: &str) {
        self.bar.inc(1);
    }
    fn image_done(&self, _reference: &str, _analysed: bool) {
        self.images.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.message();
    }
    fn layers(&self, read: usize, bytes: u64) {
        self.layers.fetch_add(read, std::sync::atomic::Ordering::Relaxed);
        self.bytes.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
        self.message();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_seconds_or_a_number_and_a_unit_within_a_day() {
        assert_eq!(parse_lease("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_lease("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_lease("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_lease("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_lease("0s"), Err("\"0s\": give a lease from 1s to 24h (`30s`, `5m`)".to_string()));
        assert_eq!(parse_lease("25h"), Err("\"25h\": give a lease from 1s to 24h (`30s`, `5m`)".to_string()));
        assert_eq!(parse_lease("5d"), Err("\"5d\": give seconds, or a number and s, m or h (`30s`, `5m`)".to_string()));
        assert!(parse_lease("").is_err());
    }

    #[test]
    fn a_worker_is_named_as_given_else_by_host_and_process() {
        assert_eq!(worker_name(Some("pod-7")), "pod-7");
        let named = worker_name(None);
        assert!(named.ends_with(&format!(":{}", std::process::id())), "{named}");
        assert_eq!(worker_name(Some("")), named);
    }
}
