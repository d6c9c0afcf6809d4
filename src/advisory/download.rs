//! `customs db update`: bringing a local copy of an OSV mirror up to date.
//!
//! The mirror is in osv.dev's bucket layout, one `<Ecosystem>/all.zip` per ecosystem.
//! Each file is fetched on its own, so one bad ecosystem never costs the others:
//!
//! * **Only what changed is transferred.** HTTP mirrors get conditional requests
//!   (`If-None-Match` / `If-Modified-Since` from the validators saved beside the file in
//!   `all.zip.meta.json`); local mirrors are compared by size and modification time.
//! * **A file is replaced whole or not at all.** Bytes go to `all.zip.partial`, which is
//!   checked (complete length, a readable zip of `*.json` records with good CRCs),
//!   flushed to disk, then renamed over `all.zip`. Anything that goes wrong leaves the
//!   previous `all.zip` and its validators as they were.
//! * **Transient failures are retried** (connection resets, timeouts, stalls, truncated
//!   bodies, HTTP 429 and 5xx) with exponential backoff and jitter, honouring
//!   `Retry-After` up to a cap per file. A mirror that cannot be reached at all — its
//!   host name does not resolve, or its port refuses connections — is not: waiting would
//!   not change that, and offline every ecosystem would spend half a minute learning it.
//! * **A broken transfer resumes where it stopped**: the next attempt asks for the rest
//!   (`Range` with `If-Range` naming the version being assembled) and accepts only a
//!   `206` that continues it exactly; a `200` or anything inconsistent starts over.
//! * **Every download ends**: `timeout` bounds a connection attempt and each silence (a
//!   silent connection is abandoned and retried), and each file, retries and resumes
//!   included, has an overall deadline from a minimum throughput ([`crate::deadline`]):
//!   a server trickling one byte at a time is given up on, a large file arriving at a
//!   reasonable rate never is.
//!
//! Up to [`MAX_PARALLEL`] ecosystems are fetched at once: most of a download's time is
//! spent waiting for the network, and the biggest files (Debian, Ubuntu…) then overlap
//! with the many small ones.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::blocking::{Client, Response};
use reqwest::header;
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};

use super::source::MAX_RECORD_SIZE;
use crate::deadline::{Deadline, TransferLimits};
use crate::model::Package;
use crate::retry;

pub mod incremental;
mod install;
mod net;

use install::*;
use net::*;

/// osv.dev's public bucket.
pub const DEFAULT_MIRROR: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Most ecosystems fetched at once: enough to hide round trips and keep a big file from
/// holding up the small ones, few enough to stay polite to a mirror.
pub const MAX_PARALLEL: usize = 4;

/// The first retry waits about this long; each further one twice as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// No ecosystem's `all.zip` comes near this (osv.dev's largest are a few hundred MiB);
/// a server streaming without end must not fill the disk.
const MAX_ZIP_SIZE: u64 = 4 << 30;

/// What `customs db update` fetches, from where, and how patiently.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// `https://…`, `http://…` (allowed: it is the user's explicit choice), `file://…` or a path.
    pub mirror: String,
    /// OSV ecosystem folder names (`PyPI`, `Debian`…).
    pub ecosystems: Vec<String>,
    /// Draw a progress bar (only when stderr is a terminal).
    pub progress: bool,
    /// How long a connection attempt, or a download that receives nothing, may last
    /// before it is abandoned (and retried). Zero means no limit.
    pub timeout: Duration,
    /// Further attempts after a transient failure (so `retries + 1` in all).
    pub retries: u32,
    /// Longest wait for a connection (and TLS handshake). Zero means `timeout`.
    pub connect_timeout: Duration,
    /// Each file's overall deadline and its cap on `Retry-After` waits.
    pub transfer: TransferLimits,
}

/// What happened to one ecosystem's `all.zip`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// A new copy was downloaded and installed.
    Updated {
        /// Bytes received.
        bytes: u64,
    },
    /// The mirror's copy is the one already installed (`304` or same validators).
    Unchanged,
    /// The mirror has no such ecosystem (`404`/`410`).
    NotOnMirror,
    /// It could not be fetched; the installed copy, if any, stays.
    Failed {
        /// Why, naming the URL (credentials removed).
        reason: String,
    },
    /// No connection could be made: the host name does not resolve, or nothing accepts
    /// connections on its port. Not retried; `reason` names the host, not the file, so
    /// every ecosystem of a mirror that is out of reach fails with the same text.
    Unreachable {
        /// Why, naming the host.
        reason: String,
    },
}

impl Outcome {
    /// Why the ecosystem could not be brought up to date, if it could not.
    pub fn failure(&self) -> Option<&str> {
        match self {
            Outcome::Failed { reason } | Outcome::Unreachable { reason } => Some(reason),
            Outcome::Updated { .. } | Outcome::Unchanged | Outcome::NotOnMirror => None,
        }
    }
}

/// Ecosystems that failed for the same reason, to be reported once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureGroup {
    /// The failure shared by these ecosystems.
    pub reason: String,
    /// In the order they were given.
    pub ecosystems: Vec<String>,
    /// The mirror could not be reached at all ([`Outcome::Unreachable`]).
    pub unreachable: bool,
}

/// The failed ecosystems of an update, grouped by identical reason (first failure
/// first): an unreachable mirror is one line, not one per ecosystem.
pub fn failure_groups(statuses: &[EcosystemStatus]) -> Vec<FailureGroup> {
    let mut groups: Vec<FailureGroup> = Vec::new();
    for status in statuses {
        let Some(reason) = status.outcome.failure() else { continue };
        match groups.iter_mut().find(|g| g.reason == reason) {
            Some(group) => group.ecosystems.push(status.ecosystem.clone()),
            None => groups.push(FailureGroup {
                reason: reason.to_string(),
                ecosystems: vec![status.ecosystem.clone()],
                unreachable: matches!(status.outcome, Outcome::Unreachable { .. }),
            }),
        }
    }
    groups
}

/// One ecosystem's result of an update, as `db update` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcosystemStatus {
    /// The OSV ecosystem folder (`PyPI`, `Debian`).
    pub ecosystem: String,
    /// What happened to it.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// How it happened, when worth saying: an incremental update's counts, or why the
    /// whole `all.zip` was fetched instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Problems that stop the whole update before any ecosystem is fetched; failures of
/// single ecosystems are reported as [`Outcome::Failed`] instead.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// Anything else that stops the update; the text says what.
    #[error("{0}")]
    Other(String),
    /// The mirror is neither HTTP(S), `file://` nor a directory.
    #[error("unsupported mirror {mirror}: {reason} (expected https://…, http://…, file:///DIR or a directory)")]
    UnsupportedMirror { mirror: String, reason: String },
    /// A local mirror folder that cannot be used.
    #[error("mirror {path}: {reason}")]
    MirrorDirectory { path: String, reason: String },
    /// An ecosystem name that would leave the download folder or is not one.
    #[error("invalid ecosystem {name:?}: {reason}")]
    InvalidEcosystem { name: String, reason: &'static str },
    /// The HTTP client (TLS roots, proxy settings) could not be built.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// Brings `<dest>/<Ecosystem>/all.zip` up to date from the mirror for every ecosystem
/// of `options` (up to [`MAX_PARALLEL`] at once); a failure leaves that ecosystem's
/// previous file in place. Statuses come back in the order the ecosystems were given,
/// duplicates removed.
pub fn fetch_mirror(options: &UpdateOptions, dest: &Path) -> Result<Vec<EcosystemStatus>, DownloadError> {
    let mirror = Mirror::parse(&options.mirror)?;
    let ecosystems = checked_ecosystems(&options.ecosystems)?;
    let fetcher = Fetcher::new(mirror, options, dest)?;
    remove_stale_partials(dest);
    let outcomes = run_bounded(&ecosystems, MAX_PARALLEL, |ecosystem| fetcher.fetch(ecosystem));
    Ok(ecosystems
        .into_iter()
        .zip(outcomes)
        .map(|(ecosystem, (outcome, note))| EcosystemStatus { ecosystem, outcome, note })
        .collect())
}

/// The `<Ecosystem>/all.zip` files currently in `dest`, sorted: what a database is
/// built from (the folder also holds their `.meta.json` validators, which are not records).
pub fn installed_zips(dest: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dest) else { return Vec::new() };
    let mut zips: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path().join("all.zip"))
        .filter(|p| p.is_file())
        .collect();
    zips.sort();
    zips
}

/// `mirror` fit for printing: any `user:password@` is removed from a URL.
pub fn redact(mirror: &str) -> String {
    let Some(scheme_end) = mirror.find("://").map(|i| i + 3) else { return mirror.to_string() };
    let rest = &mirror[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &mirror[..scheme_end], &rest[at + 1..]),
        None => mirror.to_string(),
    }
}

/// Where the files come from.
enum Mirror {
    Http(Url),
    Local(PathBuf),
}

impl Mirror {
    fn parse(text: &str) -> Result<Mirror, DownloadError> {
        let unsupported = |reason: String| DownloadError::UnsupportedMirror { mirror: redact(text), reason };
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let url = Url::parse(text).map_err(|e| unsupported(e.to_string()))?;
            return Ok(Mirror::Http(url));
        }
        let path = if lower.starts_with("file:") {
            let url = Url::parse(text).map_err(|e| unsupported(e.to_string()))?;
            url.to_file_path().map_err(|()| unsupported("not a local absolute path".into()))?
        } else if has_scheme(text) {
            return Err(unsupported("unknown scheme".into()));
        } else {
            PathBuf::from(text)
        };
        let directory_error =
            |reason: String| DownloadError::MirrorDirectory { path: path.display().to_string(), reason };
        match fs::metadata(&path) {
            // Canonical, so `../osv` and `file:///…/osv` are recognised as the same source.
            Ok(meta) if meta.is_dir() => Ok(Mirror::Local(fs::canonicalize(&path).unwrap_or(path))),
            Ok(_) => Err(directory_error("not a directory".into())),
            Err(e) => Err(directory_error(e.to_string())),
        }
    }
}

/// `scheme://…`: a URL customs cannot fetch must not be mistaken for a relative path.
fn has_scheme(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// The mirror folders an inventory needs: the OSV base ecosystem of each package
/// (`Debian` for `Debian:12`), once each, sorted. What `db update --for PATH` fetches
/// instead of every ecosystem.
pub fn ecosystems_for(packages: &[Package]) -> Vec<String> {
    let names: std::collections::BTreeSet<&str> = packages.iter().map(|p| p.ecosystem.kind.osv_name()).collect();
    names.into_iter().map(str::to_string).collect()
}

/// The ecosystems to fetch, without duplicates (two workers on one file would race).
/// Each name becomes a folder under `dest`, so anything that could step outside it
/// (`..`, separators, drive prefixes) is refused.
fn checked_ecosystems(names: &[String]) -> Result<Vec<String>, DownloadError> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let invalid = |reason| DownloadError::InvalidEcosystem { name: name.clone(), reason };
        if name.is_empty() || name == "." || name == ".." {
            return Err(invalid("not a folder name"));
        }
        if name.contains(['/', '\\']) || name.chars().any(char::is_control) {
            return Err(invalid("separators and control characters are not allowed"));
        }
        if name.contains(':') {
            return Err(invalid("use the base ecosystem (`Debian`, not `Debian:12`)"));
        }
        // Case-insensitive: on macOS and Windows `pypi` and `PyPI` are one folder.
        if !out.iter().any(|seen| seen.eq_ignore_ascii_case(name)) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

/// Removes `all.zip.partial` (and half-written validators) left by a process that was
/// killed mid-download. Only run under the update lock, so none of them is live.
fn remove_stale_partials(dest: &Path) {
    let Ok(entries) = fs::read_dir(dest) else { return };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = fs::remove_file(entry.path().join(PARTIAL_NAME));
            let _ = fs::remove_file(entry.path().join(META_TMP_NAME));
        }
    }
}

/// Runs `work` on every item with at most `jobs` threads; results in the items' order.
fn run_bounded<T: Send>(items: &[String], jobs: usize, work: impl Fn(&str) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let result = work(item);
                results.lock().expect("no worker panics while holding the lock")[i] = Some(result);
            });
        }
    });
    results.into_inner().expect("workers finished").into_iter().map(|r| r.expect("every item was run")).collect()
}

const ZIP_NAME: &str = "all.zip";
const PARTIAL_NAME: &str = "all.zip.partial";
const META_NAME: &str = "all.zip.meta.json";
const META_TMP_NAME: &str = "all.zip.meta.json.tmp";

/// The files of one ecosystem under `dest`.
struct Target {
    dir: PathBuf,
    zip: PathBuf,
    partial: PathBuf,
    meta: PathBuf,
}

impl Target {
    fn new(dest: &Path, ecosystem: &str) -> Target {
        let dir = dest.join(ecosystem);
        Target { zip: dir.join(ZIP_NAME), partial: dir.join(PARTIAL_NAME), meta: dir.join(META_NAME), dir }
    }
}

/// What is remembered about an installed `all.zip`, to ask the mirror only for changes.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Meta {
    /// The URL or path it came from (credentials removed): validators from one mirror
    /// mean nothing to another, and an older file elsewhere must not count as unchanged.
    source: String,
    /// Size of the installed `all.zip`: a file changed behind our back is fetched again.
    size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    /// Local mirrors: the source file's modification time, in nanoseconds since 1970.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_mtime_ns: Option<u64>,
    /// When it was installed (seconds since 1970), for people reading the file.
    #[serde(default)]
    fetched_at: u64,
}

impl Meta {
    /// The saved validators, if they describe the `all.zip` in place and came from `source`.
    fn previous(target: &Target, source: &str) -> Option<Meta> {
        let meta: Meta = serde_json::from_slice(&fs::read(&target.meta).ok()?).ok()?;
        let installed = fs::metadata(&target.zip).ok()?;
        (meta.source == source && installed.len() == meta.size).then_some(meta)
    }

    /// Written beside the zip through a temporary file, so it is never half there.
    fn write(&self, target: &Target) -> io::Result<()> {
        let tmp = target.dir.join(META_TMP_NAME);
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        fs::write(&tmp, json)?;
        fs::rename(&tmp, &target.meta)
    }
}

/// One attempt's result: finished, worth another try, or hopeless.
enum Step {
    Done(Outcome),
    /// `after`: how long to wait first (backoff when `None`); `asked_by_server` when it is
    /// the server's `Retry-After`, which is capped per file.
    Retry {
        cause: String,
        after: Option<Duration>,
        asked_by_server: bool,
    },
    Fail(String),
    /// No connection at all (see [`Outcome::Unreachable`]): not retried.
    Unreachable(String),
}

impl Step {
    fn retry(cause: String) -> Step {
        Step::Retry { cause, after: None, asked_by_server: false }
    }

    /// A 429 or 5xx: retried, after the server's `Retry-After` if it gave one.
    fn server_retry(status: StatusCode, response: &Response) -> Step {
        let after = retry::retry_after(response.headers());
        Step::Retry { cause: describe_status(status), after, asked_by_server: after.is_some() }
    }
}

/// A mirror ready to be read from.
enum Origin {
    Http { base: Url, client: Client },
    Local(PathBuf),
}

/// Everything the workers share.
struct Fetcher<'a> {
    origin: Origin,
    options: &'a UpdateOptions,
    dest: &'a Path,
    progress: Progress,
}

impl<'a> Fetcher<'a> {
    fn new(mirror: Mirror, options: &'a UpdateOptions, dest: &'a Path) -> Result<Fetcher<'a>, DownloadError> {
        let origin = match mirror {
            Mirror::Http(base) => Origin::Http { base, client: http_client(options.timeout, options.connect_timeout)? },
            Mirror::Local(root) => Origin::Local(root),
        };
        Ok(Fetcher { origin, options, dest, progress: Progress::new(options.progress) })
    }

    /// Brings one ecosystem up to date, with a note on how when worth saying. Over HTTP
    /// an installed copy is first patched from the mirror's list of changed records
    /// ([`incremental`]); the whole `all.zip` is fetched when that cannot be done. Local
    /// mirrors are copied whole: a local file costs no transfer.
    fn fetch(&self, ecosystem: &str) -> (Outcome, Option<String>) {
        let target = Target::new(self.dest, ecosystem);
        match &self.origin {
            Origin::Http { base, client } => {
                let url = ecosystem_url(base, ecosystem);
                let shown = redact(url.as_str());
                match incremental::update(client, base, ecosystem, &target, &shown, self.options) {
                    incremental::Incremental::Done(outcome, note) => (outcome, note),
                    incremental::Incremental::WholeZip(note) => (self.fetch_http(client, &url, &target), note),
                }
            }
            Origin::Local(root) => (self.fetch_local(&root.join(ecosystem).join(ZIP_NAME), &target), None),
        }
    }

    /// Fetches one URL, retrying transient failures with backoff. A transfer that broke
    /// off is continued where it stopped (see [`Transfer`]).
    fn fetch_http(&self, client: &Client, url: &Url, target: &Target) -> Outcome {
        let shown = redact(url.as_str());
        let previous = Meta::previous(target, &shown);
        let attempts = self.options.retries.saturating_add(1);
        let mut transfer = None;
        let mut attempt = 1;
        let deadline = Deadline::start(self.options.transfer, None);
        let received = |transfer: &Option<Transfer>| transfer.as_ref().map_or(0, |t| t.received);
        let too_slow = |received: u64| Outcome::Failed { reason: format!("{shown}: {}", deadline.passed(received)) };
        loop {
            let step = self.attempt_http(client, url, &shown, target, previous.as_ref(), &mut transfer, &deadline);
            match step {
                Step::Done(outcome) => return outcome,
                Step::Fail(cause) => return Outcome::Failed { reason: format!("{shown}: {cause}") },
                Step::Unreachable(reason) => return Outcome::Unreachable { reason },
                // Cut short by the deadline: nothing more is tried.
                Step::Retry { .. } if deadline.expired(received(&transfer)) => return too_slow(received(&transfer)),
                Step::Retry { cause, .. } if attempt >= attempts => {
                    let tries = if attempts == 1 { "1 attempt".to_string() } else { format!("{attempts} attempts") };
                    return Outcome::Failed { reason: format!("{shown}: {cause} (gave up after {tries})") };
                }
                Step::Retry { cause, after: Some(asked), asked_by_server: true } => {
                    if let Err(refused) = deadline.obey_retry_after(asked) {
                        return Outcome::Failed { reason: format!("{shown}: {cause}; {refused}") };
                    }
                }
                Step::Retry { after, .. } => {
                    let delay = after.unwrap_or_else(|| retry::backoff(FIRST_BACKOFF, attempt));
                    if deadline.sleep_before_retry(delay, received(&transfer)).is_err() {
                        return too_slow(received(&transfer));
                    }
                }
            }
            attempt += 1;
        }
    }

    #[allow(clippy::too_many_arguments)] // one attempt's whole state, passed down once
    fn attempt_http(
        &self,
        client: &Client,
        url: &Url,
        shown: &str,
        target: &Target,
        previous: Option<&Meta>,
        transfer: &mut Option<Transfer>,
        deadline: &Deadline,
    ) -> Step {
        // Continue a broken transfer only when the version it holds can be named: without
        // `If-Range` the rest could come from a newer file.
        let resume = transfer.as_ref().and_then(Transfer::resume_request);
        if resume.is_none() {
            *transfer = None;
        }
        let mut request = client.get(url.clone());
        match &resume {
            // The conditional validators describe the installed file, not this transfer:
            // they are not mixed into a resumed request.
            Some((from, validator)) => {
                request = request.header(header::RANGE, format!("bytes={from}-")).header(header::IF_RANGE, validator);
            }
            None => {
                if let Some(meta) = previous {
                    if let Some(etag) = &meta.etag {
                        request = request.header(header::IF_NONE_MATCH, etag);
                    }
                    if let Some(date) = &meta.last_modified {
                        request = request.header(header::IF_MODIFIED_SINCE, date);
                    }
                }
            }
        }
        let received = transfer.as_ref().map_or(0, |t| t.received);
        // Near the deadline the whole request (headers and body) gets only what is left.
        if let Some(limit) = deadline.request_timeout(received, self.options.timeout) {
            request = request.timeout(limit);
        }
        let response = match request.send() {
            Ok(response) => response,
            Err(e) => return request_failure(e, self.options.timeout, url),
        };
        let status = response.status();
        match status {
            // A fresh copy: the server ignored the range, or the file changed.
            StatusCode::OK => {
                *transfer = None;
                if let Some(length) = response.content_length() {
                    deadline.learn_size(length);
                }
                self.start_transfer(response, shown, target, transfer, deadline)
            }
            StatusCode::PARTIAL_CONTENT if resume.is_some() => {
                let Some(current) = transfer.as_mut() else { unreachable!("resume implies a transfer") };
                match current.accept(&response) {
                    Ok(()) => self.receive(response, target, transfer, deadline),
                    Err(problem) => {
                        *transfer = None;
                        Step::Retry {
                            cause: format!("unusable partial response ({problem}); starting over"),
                            after: Some(Duration::ZERO),
                            asked_by_server: false,
                        }
                    }
                }
            }
            StatusCode::RANGE_NOT_SATISFIABLE if resume.is_some() => {
                *transfer = None;
                Step::Retry {
                    cause: format!("{}; starting over", describe_status(status)),
                    after: Some(Duration::ZERO),
                    asked_by_server: false,
                }
            }
            StatusCode::NOT_MODIFIED if previous.is_some() && resume.is_none() => Step::Done(Outcome::Unchanged),
            StatusCode::NOT_FOUND | StatusCode::GONE => Step::Done(Outcome::NotOnMirror),
            s if retry::is_retryable(s) => Step::server_retry(s, &response),
            s => Step::Fail(format!("unexpected {}", describe_status(s))),
        }
    }

    /// Begins a transfer from a 200 response, into a new `all.zip.partial`.
    fn start_transfer(
        &self,
        response: Response,
        shown: &str,
        target: &Target,
        transfer: &mut Option<Transfer>,
        deadline: &Deadline,
    ) -> Step {
        let total = response.content_length();
        if let Some(n) = total.filter(|&n| n > MAX_ZIP_SIZE) {
            return Step::Fail(format!("refusing a {n} byte file (limit {MAX_ZIP_SIZE})"));
        }
        let meta = Meta {
            source: shown.to_string(),
            etag: header_text(response.headers(), header::ETAG),
            last_modified: header_text(response.headers(), header::LAST_MODIFIED),
            ..Meta::default()
        };
        match Partial::create(target) {
            Ok(partial) => *transfer = Some(Transfer { partial, received: 0, total, meta }),
            Err(e) => return Step::Fail(e.to_string()),
        }
        self.receive(response, target, transfer, deadline)
    }

    /// Streams a response body onto the end of the transfer and, once it is complete,
    /// installs it. A body that breaks off keeps what arrived, for the next attempt.
    fn receive(
        &self,
        response: Response,
        target: &Target,
        transfer: &mut Option<Transfer>,
        deadline: &Deadline,
    ) -> Step {
        let Some(current) = transfer.as_mut() else { unreachable!("receive needs a transfer") };
        let (total, timeout) = (current.total, self.options.timeout);
        let bar = self.progress.bar(target, total);
        bar.set_position(current.received);
        let body = crate::deadline::Watched { inner: response, deadline, received: current.received };
        let copied = copy_body(body, &mut current.partial.file, &bar, &current.partial.path, &mut current.received);
        bar.finish_and_clear();
        let received = current.received;
        match copied {
            Ok(()) => {}
            Err(Failure::Read { error, received }) => {
                return Step::retry(body_failure(&error, received, total, timeout));
            }
            Err(other) => {
                *transfer = None;
                return Step::Fail(other.to_string());
            }
        }
        match total {
            Some(expected) if received < expected => {
                return Step::retry(format!("connection closed after {received} of {expected} bytes"));
            }
            Some(expected) if received > expected => {
                *transfer = None;
                return Step::retry(format!("received {received} of {expected} bytes; starting over"));
            }
            _ => {}
        }
        let Some(Transfer { partial, meta, .. }) = transfer.take() else { unreachable!("checked above") };
        match self.finish(partial, received, meta, target) {
            Ok(outcome) => Step::Done(outcome),
            Err(e) => Step::Fail(e.to_string()),
        }
    }

    /// Copies a file from a local mirror when its size or modification time changed
    /// (and, copied, it turns out to differ from the installed one).
    fn fetch_local(&self, source: &Path, target: &Target) -> Outcome {
        let shown = source.display().to_string();
        let failed = |cause: String| Outcome::Failed { reason: format!("{shown}: {cause}") };
        let stat = match fs::metadata(source) {
            Ok(stat) if stat.is_file() => stat,
            Ok(_) => return failed("not a file".into()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Outcome::NotOnMirror,
            Err(e) => return failed(e.to_string()),
        };
        let mtime = stat.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        let mtime_ns = mtime.map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        if let Some(previous) = Meta::previous(target, &shown) {
            if previous.size == stat.len() && mtime_ns.is_some() && previous.source_mtime_ns == mtime_ns {
                return Outcome::Unchanged;
            }
        }
        let file = match File::open(source) {
            Ok(file) => file,
            Err(e) => return failed(e.to_string()),
        };
        let meta = Meta { source: shown.clone(), source_mtime_ns: mtime_ns, ..Meta::default() };
        self.install(file, Some(stat.len()), meta, target).unwrap_or_else(|e| failed(e.to_string()))
    }

    /// Writes `body` to `all.zip.partial`, checks it, and renames it over `all.zip`. On
    /// any failure the partial file is removed and the installed `all.zip` and its
    /// validators are untouched.
    fn install(&self, body: impl Read, expected: Option<u64>, meta: Meta, target: &Target) -> Result<Outcome, Failure> {
        let mut partial = Partial::create(target)?;
        let bar = self.progress.bar(target, expected);
        let mut received = 0;
        let copied = copy_body(body, &mut partial.file, &bar, &partial.path, &mut received);
        bar.finish_and_clear();
        copied?;
        if let Some(expected) = expected.filter(|&n| n != received) {
            return Err(Failure::Short { received, expected });
        }
        self.finish(partial, received, meta, target)
    }

    /// Checks a complete `all.zip.partial` and renames it over `all.zip`. A file
    /// identical to the installed one is reported as unchanged and not renamed in (its
    /// age tells `db update` the database is current): that is what a mirror without
    /// validators, or a `touch`ed local file, sends.
    fn finish(&self, partial: Partial, received: u64, mut meta: Meta, target: &Target) -> Result<Outcome, Failure> {
        meta.size = received;
        meta.fetched_at = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        if same_content(&partial.path, &target.zip) {
            // Already verified when it was installed; only the validators may be new.
            meta.write(target).map_err(Failure::write(&target.meta))?;
            return Ok(Outcome::Unchanged);
        }
        partial.file.sync_all().map_err(Failure::write(&partial.path))?;
        verify_zip(&partial.path)?;
        partial.commit(target, &meta)?;
        Ok(Outcome::Updated { bytes: received })
    }
}

/// An HTTP download in progress: `all.zip.partial` holds its first `received` bytes,
/// and it survives a failed attempt so the next one can ask for the rest only.
struct Transfer {
    partial: Partial,
    received: u64,
    /// The whole file's length, from the response that started the transfer.
    total: Option<u64>,
    /// That response's validators: what the file is installed with, and what names
    /// the version being assembled in `If-Range`.
    meta: Meta,
}

impl Transfer {
    /// `(offset, If-Range value)` when the rest can be asked for: some bytes arrived and
    /// the version has a strong validator (a weak ETag is not allowed in `If-Range`; a
    /// `Last-Modified` date is the fallback).
    fn resume_request(&self) -> Option<(u64, String)> {
        if self.received == 0 {
            return None;
        }
        let strong_etag = self.meta.etag.clone().filter(|e| !e.starts_with("W/"));
        Some((self.received, strong_etag.or_else(|| self.meta.last_modified.clone())?))
    }

    /// Whether a `206 Partial Content` continues exactly this transfer: it starts where
    /// the bytes stopped, runs to the end, and belongs to a file of the same length and
    /// ETag. Anything else is refused (the caller starts over) rather than stitched.
    fn accept(&mut self, response: &Response) -> Result<(), String> {
        let headers = response.headers();
        let text = header_text(headers, header::CONTENT_RANGE).unwrap_or_default();
        let (first, last, total) = parse_content_range(&text).ok_or_else(|| format!("Content-Range {text:?}"))?;
        if first != self.received {
            return Err(format!("it starts at byte {first}, not {}", self.received));
        }
        if let (Some(known), Some(total)) = (self.total, total) {
            if known != total {
                return Err(format!("the file is now {total} bytes, not {known}"));
            }
        }
        let total = self.total.or(total);
        if total.is_some_and(|total| last + 1 != total) {
            return Err(format!("it ends at byte {last}, not at the end of the file"));
        }
        if response.content_length().is_some_and(|n| n != last - first + 1) {
            return Err(format!("its Content-Length does not match Content-Range {text:?}"));
        }
        if let (Some(ours), Some(theirs)) = (&self.meta.etag, header_text(headers, header::ETAG)) {
            if *ours != theirs {
                return Err(format!("ETag {theirs}, not {ours}"));
            }
        }
        if total.is_some_and(|n| n > MAX_ZIP_SIZE) {
            return Err(format!("a {} byte file is over the limit", total.unwrap_or_default()));
        }
        self.total = total;
        Ok(())
    }
}

/// `bytes FIRST-LAST/TOTAL` (TOTAL may be `*`): the range a 206 carries.
fn parse_content_range(text: &str) -> Option<(u64, u64, Option<u64>)> {
    let (unit, rest) = text.trim().split_once(' ')?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    let (range, total) = rest.trim().split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let (first, last): (u64, u64) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    let total = match total.trim() {
        "*" => None,
        n => Some(n.parse::<u64>().ok()?),
    };
    (first <= last && total.is_none_or(|n| last < n)).then_some((first, last, total))
}

/// Why a transfer or an installation failed.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// The source broke off: worth retrying.
    #[error("read error after {received} bytes: {error}")]
    Read { error: io::Error, received: u64 },
    #[error("received {received} of {expected} bytes")]
    Short { received: u64, expected: u64 },
    #[error("received more than {MAX_ZIP_SIZE} bytes; giving up")]
    TooLarge,
    #[error("downloaded file is not a valid OSV zip: {0}")]
    Invalid(String),
    #[error("cannot write {path}: {error}")]
    Write { path: String, error: io::Error },
}

impl Failure {
    fn write(path: &Path) -> impl FnOnce(io::Error) -> Failure + '_ {
        move |error| Failure::Write { path: path.display().to_string(), error }
    }
}

#[cfg(test)]
mod tests;
