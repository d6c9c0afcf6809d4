//! `--notify URL`: after a run, one JSON summary POSTed to a webhook, signed with
//! HMAC-SHA256 when a secret is set (`CUSTOMS_NOTIFY_SECRET`, read by the CLI), so the
//! receiver can tell it came from this sweep.
//!
//! The body says what changed, not everything: the run, its coverage and counts, and
//! the new vulnerabilities (at most [`MAX_NEW`], most severe first). Delivery is one
//! attempt: the sweep records a failed delivery in its store and retries it on the
//! next run.
//!
//! A webhook URL is a credential (Slack's and Teams' carry their secret in the path), so
//! the body only goes where the URL says: over HTTPS (plain HTTP only to this machine's
//! loopback), never following a redirect (which could take the body elsewhere), and no
//! error message shows more of the URL than scheme, host and port.

use std::io::Read as _;
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;
use serde::Serialize;

use super::outcome::{Coverage, ImageReport, RunKind, RunReport, RunSummary};
use super::store::{Store, StoreError};
use crate::error_text::{error_chain, root_cause};
use crate::matching::Finding;
use crate::report::registry::{severity_rank, severity_word};
use crate::time::timestamp;

/// The `schema` of a webhook notification's JSON body.
pub const SCHEMA: &str = "customs-registry-notification/1";
/// The header carrying `sha256=<hex>`, GitHub's webhook convention with our name.
pub const SIGNATURE_HEADER: &str = "X-Customs-Signature-256";
/// New findings listed in one notification; the rest are counted in `truncated`.
pub const MAX_NEW: usize = 1000;
/// Tags listed per finding; the rest are counted in `more_tags`.
const MAX_TAGS: usize = 10;
/// The most of the receiver's answer read (and thrown away).
const MAX_ANSWER: u64 = 64 * 1024;

#[derive(Serialize)]
struct Notification<'a> {
    schema: &'static str,
    run: i64,
    kind: RunKind,
    registry: &'a str,
    started: &'a str,
    finished: &'a str,
    compared_with: Option<i64>,
    partial: bool,
    coverage: &'a Coverage,
    summary: &'a RunSummary,
    failures: usize,
    new: Vec<NewFinding<'a>>,
    /// New findings left out after the first [`MAX_NEW`].
    truncated: usize,
}

#[derive(Serialize)]
struct NewFinding<'a> {
    /// `host/repository@digest` of the platform image.
    image: String,
    repository: &'a str,
    tags: &'a [String],
    #[serde(skip_serializing_if = "is_zero")]
    more_tags: usize,
    platform: &'a str,
    id: &'a str,
    aliases: &'a [String],
    package: &'a str,
    version: &'a str,
    ecosystem: String,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    fixed_versions: &'a [String],
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Queues this run's summary for `url`, then delivers every delivery still pending
/// (earlier runs' failed ones first), each with the HMAC signature under `secret`.
/// A failed delivery stays in the store for the next run; what failed comes back as
/// warnings.
pub fn notify(store: &Store, report: &RunReport, url: &str, secret: Option<&[u8]>) -> Result<Vec<String>, StoreError> {
    store.queue_notification(report.run.id, url, &summary_body(report))?;
    let mut warnings = Vec::new();
    for pending in store.pending_notifications()? {
        let outcome = deliver(&pending.url, &pending.body, secret, DELIVERY_TIMEOUT);
        store.notification_attempted(pending.id, outcome.as_ref().map(|_| ()).map_err(String::as_str), &timestamp())?;
        if let Err(e) = outcome {
            warnings.push(format!(
                "notification of run {} not delivered ({e}); it is kept and retried on the next run",
                pending.run
            ));
        }
    }
    Ok(warnings)
}

/// How long one delivery may take, connection included.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// The notification: one JSON object (schema `customs-registry-notification/1`, see
/// docs/json-format.md).
pub fn summary_body(report: &RunReport) -> Vec<u8> {
    let mut new: Vec<(&ImageReport, &Finding)> =
        report.images.iter().flat_map(|image| image.new_findings().map(move |f| (image, f))).collect();
    // Most severe first (stable: images keep the report's order), so a cut keeps what matters.
    new.sort_by_key(|(_, f)| std::cmp::Reverse(severity_rank(f)));
    let truncated = new.len().saturating_sub(MAX_NEW);
    let new = new.into_iter().take(MAX_NEW).map(|(image, f)| new_finding(image, f)).collect();
    let notification = Notification {
        schema: SCHEMA,
        run: report.run.id,
        kind: report.run.kind,
        registry: &report.run.registry,
        started: &report.run.started,
        finished: &report.run.finished,
        compared_with: report.run.compared_with,
        partial: crate::report::registry::is_partial(report),
        coverage: &report.coverage,
        summary: &report.summary,
        failures: report.failures.len(),
        new,
        truncated,
    };
    serde_json::to_vec(&notification).expect("notifications serialise")
}

fn new_finding<'a>(image: &'a ImageReport, f: &'a Finding) -> NewFinding<'a> {
    let shown = image.tags.len().min(MAX_TAGS);
    NewFinding {
        image: format!("{}@{}", image.repository, image.digest),
        repository: &image.repository,
        tags: &image.tags[..shown],
        more_tags: image.tags.len() - shown,
        platform: &image.platform,
        id: &f.id,
        aliases: &f.aliases,
        package: &f.package.name,
        version: &f.package.version,
        ecosystem: f.package.ecosystem.to_string(),
        severity: severity_word(f),
        score: f.severity.as_ref().and_then(|s| s.score),
        fixed_versions: &f.fixed_versions,
    }
}

/// `sha256=<hex of HMAC-SHA256(secret, body)>`, for [`SIGNATURE_HEADER`].
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// POSTs `body` (as `application/json`) to `url`, signed when `secret` is given. One
/// attempt; an error names the endpoint (scheme, host, port) and what went wrong: a
/// refused URL, no connection, no answer within `timeout`, an answer other than 2xx.
pub fn deliver(url: &str, body: &[u8], secret: Option<&[u8]>, timeout: Duration) -> Result<(), String> {
    let (url, loopback) = webhook_url(url)?;
    let endpoint = endpoint(&url);
    // reqwest is built without a default crypto provider; a second install is refused harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let limit = (!timeout.is_zero()).then_some(timeout);
    let client = Client::builder()
        .user_agent(concat!("customs/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(limit)
        .timeout(limit)
        .redirect(reqwest::redirect::Policy::none())
        .https_only(!loopback)
        .build()
        .map_err(|e| format!("cannot set up HTTPS for the notification: {}", error_chain(&e)))?;
    let mut request = client.post(url).header(CONTENT_TYPE, "application/json").body(body.to_vec());
    if let Some(secret) = secret {
        request = request.header(SIGNATURE_HEADER, signature(secret, body));
    }
    let response = request.send().map_err(|e| {
        let e = e.without_url();
        let why = if e.is_timeout() {
            format!("no answer within {} s", timeout.as_secs_f64())
        } else if e.is_connect() {
            format!("cannot connect: {}", root_cause(&e))
        } else {
            error_chain(&e)
        };
        format!("cannot deliver the notification to {endpoint}: {why}")
    })?;
    let status = response.status();
    // The answer is not used; reading a little of it lets the exchange end cleanly.
    let _ = response.take(MAX_ANSWER).read_to_end(&mut Vec::new());
    if status.is_success() {
        Ok(())
    } else if status.is_redirection() {
        Err(format!(
            "the notification endpoint {endpoint} answered {status} (a redirect): customs does not follow redirects with the notification; give --notify the final URL"
        ))
    } else {
        Err(format!("the notification endpoint {endpoint} answered {status}; the notification was not accepted"))
    }
}

/// The parsed URL and whether its host is this machine's loopback (where plain HTTP is
/// allowed). The messages never repeat the URL: its path may be the webhook's secret.
fn webhook_url(text: &str) -> Result<(Url, bool), String> {
    let url = Url::parse(text.trim())
        .map_err(|e| format!("--notify: not a URL ({e}); give an https:// URL of the webhook"))?;
    let Some(host) = url.host_str() else {
        return Err("--notify: the URL names no host; give an https:// URL of the webhook".to_string());
    };
    // The URL parser has normalised the host (`0x7f.1` is `127.0.0.1`, IPv6 in brackets).
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback =
        bare.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok((url, loopback)),
        "http" if loopback => Ok((url, loopback)),
        "http" => Err(format!(
            "--notify: refusing to send the notification over plain http to {}: use https (http is allowed only to 127.0.0.1, ::1 or localhost)",
            endpoint(&url)
        )),
        scheme => Err(format!(
            "--notify: unsupported URL scheme {:?}; give an https:// URL of the webhook",
            crate::visible::visible(scheme)
        )),
    }
}

/// `scheme://host[:port]`: the part of a webhook URL that is safe to show.
fn endpoint(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

#[cfg(test)]
mod tests;
