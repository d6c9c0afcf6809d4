//! Incremental updates: fetching only the records that changed since the installed
//! `all.zip`, instead of the whole file again.
//!
//! osv.dev publishes beside each `all.zip` a `modified_id.csv` (lines `<RFC 3339 time>,<ID>`)
//! and every record on its own as `<ID>.json`. The installed zip is its own state: the
//! `id` and `modified` of each record in it are compared with the list (read from the
//! zip, or from [`stamps`] that provably describe that very file), so there is no
//! second file that could disagree with it after a crash. Records that are new or whose
//! time differs are fetched; records the list no longer names are dropped; the others
//! are copied from the installed zip without being inflated. The result is written to
//! `all.zip.partial`, checked like a download, and renamed over `all.zip`: a failure at
//! any point leaves the installed zip, which a later update compares again.
//!
//! Everything from the mirror is hostile: the list is capped in size and lines, each id
//! must be a plain name (it becomes a URL path segment and a zip entry name), each time
//! must parse, and each fetched record must be small, JSON, and carry the id it was
//! fetched as. Too many changes and the whole zip is cheaper: one request beats thousands.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use jiff::Timestamp;
use reqwest::blocking::Client;
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use super::{
    describe_status, redact, request_failure, retry, run_bounded, same_content, verify_zip, Failure, Meta, Outcome,
    Partial, Step, Target, UpdateOptions, FIRST_BACKOFF, MAX_PARALLEL, MAX_RECORD_SIZE,
};
use crate::deadline::{Deadline, Watched};

mod stamps;

/// The list of records beside each `all.zip`.
pub(super) const INDEX_NAME: &str = "modified_id.csv";
/// osv.dev's largest ecosystems list a few hundred thousand records (about 60 bytes a line).
pub const MAX_INDEX_SIZE: u64 = 64 << 20;
/// Longer ids are not ids (osv.dev's longest are a few dozen characters).
const MAX_ID_LEN: usize = 200;
/// More changed records than this and the whole zip is fetched instead.
pub const MAX_CHANGED_RECORDS: usize = 2000;
/// Nor when more than this share (in percent) of the records changed.
pub const MAX_CHANGED_PERCENT: usize = 10;
/// Fetched records held at once before the zip is rewritten.
const MAX_FETCHED_BYTES: u64 = 256 << 20;

/// What an incremental attempt came to.
pub(super) enum Incremental {
    /// The ecosystem is up to date (or the attempt failed for good), with what to say.
    Done(Outcome, Option<String>),
    /// The whole `all.zip` is to be fetched instead, for this reason (`None`: nothing to
    /// patch, no note needed).
    WholeZip(Option<String>),
}

/// The list as the mirror publishes it: id → modification time.
pub type ModifiedIds = BTreeMap<String, Timestamp>;

/// Parses `modified_id.csv`. `shown` names the file in errors, with the line number:
/// an id that could leave a folder or a URL path (`../x`), a time that is not RFC 3339,
/// or a line without a comma refuses the whole list.
pub fn parse_modified_ids(text: &[u8], shown: &str) -> Result<ModifiedIds, String> {
    let text = std::str::from_utf8(text).map_err(|e| format!("{shown}: not UTF-8 text ({e})"))?;
    let mut ids = ModifiedIds::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why: String| {
            let mut quoted: String = line.chars().take(80).collect();
            if quoted.len() < line.len() {
                quoted.push('…');
            }
            format!("{shown}: line {}: {why}: {quoted:?}", n + 1)
        };
        let Some((time, id)) = line.split_once(',') else { return Err(bad("expected `<modified>,<id>`".into())) };
        let time: Timestamp = time.trim().parse().map_err(|e| bad(format!("not an RFC 3339 time ({e})")))?;
        let id = id.trim();
        check_id(id).map_err(|why| bad(why.into()))?;
        // A listed twice: the newer time wins (either way the record is compared).
        let slot = ids.entry(id.to_string()).or_insert(time);
        *slot = (*slot).max(time);
    }
    Ok(ids)
}

/// Whether the file starts like a list (`<RFC 3339 time>,…`). One that does is then held
/// to every line; one that does not is taken for a mirror that publishes none.
pub fn looks_like_a_list(text: &[u8]) -> bool {
    let first = text.split(|&b| b == b'\n').find(|line| !line.trim_ascii().is_empty());
    let Some(Ok(first)) = first.map(std::str::from_utf8) else { return false };
    first.split_once(',').is_some_and(|(time, _)| time.trim().parse::<Timestamp>().is_ok())
}

/// An id becomes a URL path segment and a zip entry name: letters, digits and
/// `-_.:+` only, not starting with a dot.
fn check_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err("the id is empty or too long");
    }
    if id.starts_with('.') || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:+".contains(c)) {
        return Err("not a record id (only letters, digits and -_.:+ are allowed; no path separators)");
    }
    Ok(())
}

/// The part of a record the comparison needs.
#[derive(Deserialize)]
struct Stamp {
    id: String,
    #[serde(default)]
    modified: Option<String>,
}

/// One entry of the installed zip: its record's id and time (`None` when unreadable).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Installed {
    id: Option<String>,
    modified: Option<Timestamp>,
}

/// Reads the id and time of every record of the installed zip, in entry order: from
/// the [`stamps`] when they describe this zip, else from the records themselves (and
/// the stamps are written for next time).
fn read_installed(target: &Target) -> Result<Vec<Installed>, String> {
    let shown = target.zip.display();
    let file = File::open(&target.zip).map_err(|e| format!("{shown}: {e}"))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| format!("{shown}: {e}"))?;
    if let Some(remembered) = stamps::load(&target.zip, archive.len()) {
        return Ok(remembered);
    }
    let out = read_records(&mut archive, &shown.to_string())?;
    stamps::save(&target.zip, &out);
    Ok(out)
}

/// The id and time of every record of `archive`, inflating and parsing each.
fn read_records(archive: &mut zip::ZipArchive<BufReader<File>>, shown: &str) -> Result<Vec<Installed>, String> {
    let mut out = Vec::with_capacity(archive.len());
    let mut bytes = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| format!("{shown}: {e}"))?;
        bytes.clear();
        let stamp = if entry.is_file() {
            entry.take(MAX_RECORD_SIZE + 1).read_to_end(&mut bytes).map_err(|e| format!("{shown}: {e}"))?;
            serde_json::from_slice::<Stamp>(&bytes).ok()
        } else {
            None
        };
        out.push(match stamp {
            Some(s) => Installed { modified: s.modified.and_then(|m| m.parse().ok()), id: Some(s.id) },
            None => Installed { id: None, modified: None },
        });
    }
    Ok(out)
}

/// What the list asks of the installed zip.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    /// Ids to fetch: new, or with another time than the installed copy.
    pub fetch: Vec<String>,
    /// Installed ids the list no longer names.
    pub remove: BTreeSet<String>,
}

/// Compares the list with the installed records (id and time; `None` for a record
/// without a readable time, which is always fetched again).
pub fn plan(listed: &ModifiedIds, installed: &BTreeMap<String, Option<Timestamp>>) -> Plan {
    let fetch = listed
        .iter()
        .filter(|(id, time)| installed.get(*id).is_none_or(|have| have.as_ref() != Some(time)))
        .map(|(id, _)| id.clone())
        .collect();
    let remove = installed.keys().filter(|id| !listed.contains_key(*id)).cloned().collect();
    Plan { fetch, remove }
}

/// Whether fetching `changes` of `total` records one by one beats the whole zip.
pub fn worth_it(changes: usize, total: usize) -> bool {
    changes <= MAX_CHANGED_RECORDS && changes * 100 <= total * MAX_CHANGED_PERCENT
}

/// A small file from the mirror, whole, or `None` when the mirror has no such file.
fn get_small(client: &Client, url: &Url, cap: u64, options: &UpdateOptions) -> Result<Option<Vec<u8>>, String> {
    let shown = redact(url.as_str());
    let deadline = Deadline::start(options.transfer, None);
    let attempts = options.retries.saturating_add(1);
    let mut attempt = 1;
    loop {
        let mut request = client.get(url.clone());
        if let Some(limit) = deadline.request_timeout(0, options.timeout) {
            request = request.timeout(limit);
        }
        let cause = match request.send() {
            Ok(response) => match response.status() {
                StatusCode::OK => {
                    if response.content_length().is_some_and(|n| n > cap) {
                        return Err(format!("{shown}: over the {cap} byte limit"));
                    }
                    let mut body = Vec::new();
                    let watched = Watched { inner: response, deadline: &deadline, received: 0 };
                    match watched.take(cap + 1).read_to_end(&mut body) {
                        Ok(_) if body.len() as u64 > cap => return Err(format!("{shown}: over the {cap} byte limit")),
                        Ok(_) => return Ok(Some(body)),
                        Err(e) => format!("connection broke off: {e}"),
                    }
                }
                StatusCode::NOT_FOUND | StatusCode::GONE => return Ok(None),
                s if retry::is_retryable(s) => describe_status(s),
                s => return Err(format!("{shown}: unexpected {}", describe_status(s))),
            },
            Err(e) => match request_failure(e, options.timeout, url) {
                Step::Retry { cause, .. } => cause,
                Step::Fail(cause) | Step::Unreachable(cause) => return Err(format!("{shown}: {cause}")),
                Step::Done(_) => return Err(format!("{shown}: the request failed")),
            },
        };
        if attempt >= attempts || deadline.expired(0) {
            return Err(format!("{shown}: {cause} (gave up after {attempt} attempts)"));
        }
        if deadline.sleep_before_retry(retry::backoff(FIRST_BACKOFF, attempt), 0).is_err() {
            return Err(format!("{shown}: {}", deadline.passed(0)));
        }
        attempt += 1;
    }
}

/// `<mirror>/<Ecosystem>/<name>`, both percent-encoded as path segments.
fn file_url(base: &Url, ecosystem: &str, name: &str) -> Url {
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend([ecosystem, name]);
    }
    url
}

/// Brings the installed `all.zip` up to date from `modified_id.csv` and `<ID>.json`
/// files, or says why the whole zip must be fetched instead. `zip_shown` is the zip's
/// URL as the validators record it.
pub(super) fn update(
    client: &Client,
    base: &Url,
    ecosystem: &str,
    target: &Target,
    zip_shown: &str,
    options: &UpdateOptions,
) -> Incremental {
    // Nothing installed from this mirror: nothing to patch.
    if Meta::previous(target, zip_shown).is_none() {
        return Incremental::WholeZip(None);
    }
    let list_url = file_url(base, ecosystem, INDEX_NAME);
    let list_shown = redact(list_url.as_str());
    let failed = |reason: String| Incremental::Done(Outcome::Failed { reason }, None);
    let list = match get_small(client, &list_url, MAX_INDEX_SIZE, options) {
        Ok(Some(list)) => list,
        Ok(None) => return Incremental::WholeZip(Some(format!("no {INDEX_NAME} on the mirror; fetched all.zip"))),
        Err(reason) => return failed(reason),
    };
    // A catch-all server's page or an empty file is no list: an empty list would
    // remove every record.
    if !looks_like_a_list(&list) {
        return Incremental::WholeZip(Some(format!(
            "{INDEX_NAME} on the mirror is not a list of records; fetched all.zip"
        )));
    }
    let listed = match parse_modified_ids(&list, &list_shown) {
        Ok(listed) => listed,
        Err(reason) => return failed(reason),
    };
    let installed = match read_installed(target) {
        Ok(installed) => installed,
        Err(why) => {
            return Incremental::WholeZip(Some(format!("the installed copy is unreadable ({why}); fetched all.zip")))
        }
    };
    let stamps: BTreeMap<String, Option<Timestamp>> =
        installed.iter().filter_map(|e| Some((e.id.clone()?, e.modified))).collect();
    let plan = plan(&listed, &stamps);
    let unreadable = installed.iter().filter(|e| e.id.is_none()).count();
    if plan.fetch.is_empty() && plan.remove.is_empty() && unreadable == 0 {
        return Incremental::Done(Outcome::Unchanged, None);
    }
    if !worth_it(plan.fetch.len(), listed.len()) {
        return Incremental::WholeZip(Some(format!(
            "{} of {} records changed; fetched all.zip",
            plan.fetch.len(),
            listed.len()
        )));
    }
    let budget = AtomicU64::new(MAX_FETCHED_BYTES);
    let fetched =
        run_bounded(&plan.fetch, MAX_PARALLEL, |id| fetch_record(client, base, ecosystem, id, &budget, options));
    let mut records = Vec::with_capacity(fetched.len());
    for result in fetched {
        match result {
            Ok(record) => records.push(record),
            Err(reason) => return failed(reason),
        }
    }
    let record_bytes: u64 = records.iter().map(|(_, b)| b.len() as u64).sum();
    let replaced: BTreeSet<&str> = plan.fetch.iter().map(String::as_str).collect();
    match rewrite(target, &installed, &replaced, &plan.remove, &records, zip_shown) {
        Ok(()) => {
            let note = format!("incremental: {} records fetched, {} removed", records.len(), plan.remove.len());
            Incremental::Done(Outcome::Updated { bytes: list.len() as u64 + record_bytes }, Some(note))
        }
        Err(e) => failed(format!("{}: {e}", target.zip.display())),
    }
}

/// Fetches `<ID>.json` and checks that it is the record asked for.
fn fetch_record(
    client: &Client,
    base: &Url,
    ecosystem: &str,
    id: &str,
    budget: &AtomicU64,
    options: &UpdateOptions,
) -> Result<(String, Vec<u8>), String> {
    let url = file_url(base, ecosystem, &format!("{id}.json"));
    let shown = redact(url.as_str());
    let body = get_small(client, &url, MAX_RECORD_SIZE, options)?
        .ok_or_else(|| format!("{shown}: not on the mirror, though {INDEX_NAME} lists it"))?;
    let size = body.len() as u64;
    if budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(size)).is_err() {
        return Err(format!("{shown}: the changed records pass {MAX_FETCHED_BYTES} bytes in all"));
    }
    let stamp: Stamp = serde_json::from_slice(&body).map_err(|e| format!("{shown}: not an OSV record ({e})"))?;
    if stamp.id != id {
        return Err(format!("{shown}: the record's id is {:?}, not {id:?}", stamp.id));
    }
    Ok((id.to_string(), body))
}

/// Writes the new zip beside the installed one (kept records copied raw, fetched ones
/// added), checks it, and renames it over `all.zip`.
fn rewrite(
    target: &Target,
    installed: &[Installed],
    replaced: &BTreeSet<&str>,
    removed: &BTreeSet<String>,
    fetched: &[(String, Vec<u8>)],
    zip_shown: &str,
) -> Result<(), Failure> {
    let invalid = |e: zip::result::ZipError| Failure::Invalid(e.to_string());
    let partial = Partial::create(target)?;
    let file = partial.file.try_clone().map_err(Failure::write(&partial.path))?;
    let mut writer = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let source = File::open(&target.zip).map_err(Failure::write(&target.zip))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(source)).map_err(invalid)?;
    // What the new zip holds, entry by entry, for its stamps.
    let mut written = Vec::with_capacity(installed.len() + fetched.len());
    for (i, entry) in installed.iter().enumerate() {
        // Unreadable entries are not kept: whatever they were, the list now decides.
        let Some(id) = &entry.id else { continue };
        if replaced.contains(id.as_str()) || removed.contains(id) {
            continue;
        }
        writer.raw_copy_file(archive.by_index_raw(i).map_err(invalid)?).map_err(invalid)?;
        written.push(entry.clone());
    }
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (id, bytes) in fetched {
        writer.start_file(format!("{id}.json"), options).map_err(invalid)?;
        writer.write_all(bytes).map_err(Failure::write(&partial.path))?;
        let modified = serde_json::from_slice::<Stamp>(bytes).ok().and_then(|s| s.modified?.parse().ok());
        written.push(Installed { id: Some(id.clone()), modified });
    }
    let mut buffered = writer.finish().map_err(invalid)?;
    buffered.flush().map_err(Failure::write(&partial.path))?;
    let size = partial.file.metadata().map_err(Failure::write(&partial.path))?.len();
    partial.file.sync_all().map_err(Failure::write(&partial.path))?;
    verify_zip(&partial.path)?;
    if same_content(&partial.path, &target.zip) {
        return Ok(());
    }
    // No validators: they would describe the mirror's all.zip, not this one.
    let meta = Meta {
        source: zip_shown.to_string(),
        size,
        fetched_at: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default(),
        ..Meta::default()
    };
    partial.commit(target, &meta)?;
    stamps::save(&target.zip, &written);
    Ok(())
}

#[cfg(test)]
mod tests;
