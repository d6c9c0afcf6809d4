//! The network side of downloads: the HTTP client, how failures read, when to retry,
//! and the progress bars.

use std::io;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use reqwest::blocking::Client;
use reqwest::header::{self, HeaderMap};
use reqwest::Url;

use crate::error_text::{error_chain, root_cause, rustls_error};

use super::{DownloadError, Step, Target, ZIP_NAME};

/// The HTTP client. `timeout` bounds the wait for the response headers and for each
/// read of the body (reqwest's blocking client applies it per call), `connect` the
/// wait for a connection (`timeout` when zero); the whole transfer is bounded by its
/// [`crate::deadline::Deadline`].
pub(super) fn http_client(timeout: Duration, connect: Duration) -> Result<Client, DownloadError> {
    // reqwest is built without a default crypto provider; a second install is refused harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let connect = if connect.is_zero() { timeout } else { connect };
    let timeout = (!timeout.is_zero()).then_some(timeout);
    let connect = (!connect.is_zero()).then_some(connect);
    Client::builder()
        .user_agent(concat!("customs/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .connect_timeout(connect)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let downgrade =
                attempt.url().scheme() == "http" && attempt.previous().last().is_some_and(|u| u.scheme() == "https");
            if downgrade {
                attempt.error("refusing to follow a redirect from https to http")
            } else if attempt.previous().len() > 10 {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        }))
        .build()
        .map_err(|e| DownloadError::Client(error_chain(&e)))
}

/// `<mirror>/<ecosystem>/all.zip`, the ecosystem percent-encoded as one path segment
/// (`Rocky%20Linux`).
pub(super) fn ecosystem_url(base: &Url, ecosystem: &str) -> Url {
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend([ecosystem, ZIP_NAME]);
    }
    url
}

/// Classifies an error before any response arrived: TLS, redirect and request-building
/// problems will not fix themselves, and neither will a host name that does not resolve
/// or a port that refuses connections (the usual signs of no network, or a mistyped
/// mirror); everything else (reset, timed out) may.
pub(super) fn request_failure(error: reqwest::Error, timeout: Duration, url: &Url) -> Step {
    let error = error.without_url();
    if error.is_timeout() {
        return Step::retry(format!("no response within {}", seconds(timeout)));
    }
    if let Some(reason) = unreachable(&error, url) {
        return Step::Unreachable(reason);
    }
    let cause =
        if error.is_connect() { format!("cannot connect: {}", root_cause(&error)) } else { error_chain(&error) };
    if error.is_builder() || error.is_redirect() || is_tls_failure(&error) {
        Step::Fail(cause)
    } else {
        Step::retry(cause)
    }
}

/// `dns error for HOST: …` or `connection refused by HOST:PORT` when `error` is one of
/// those: the same text for every file of the mirror.
pub(super) fn unreachable(error: &(dyn std::error::Error + 'static), url: &Url) -> Option<String> {
    let host = url.host_str().unwrap_or_default();
    let mut dns = false;
    let mut current = Some(error);
    while let Some(e) = current {
        // hyper's connector names a failed lookup `dns error` (its error type is private).
        dns |= e.to_string() == "dns error";
        let mut inner = Some(e);
        while let Some(layer) = inner {
            if layer.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::ConnectionRefused) {
                let port = url.port_or_known_default().map(|p| format!(":{p}")).unwrap_or_default();
                return Some(format!("connection refused by {host}{port}"));
            }
            inner = layer
                .downcast_ref::<io::Error>()
                .and_then(io::Error::get_ref)
                .map(|e| e as &(dyn std::error::Error + 'static));
        }
        current = e.source();
    }
    dns.then(|| format!("dns error for {host}: {}", root_cause(error)))
}

/// Describes a body that broke off.
pub(super) fn body_failure(error: &io::Error, received: u64, expected: Option<u64>, timeout: Duration) -> String {
    let timed_out =
        error.get_ref().and_then(|e| e.downcast_ref::<reqwest::Error>()).is_some_and(reqwest::Error::is_timeout);
    let of = expected.map(|n| format!(" of {n}")).unwrap_or_default();
    if timed_out {
        format!("download stalled: nothing received for {} (after {received}{of} bytes)", seconds(timeout))
    } else {
        format!("connection broke off after {received}{of} bytes: {}", root_cause(error))
    }
}

pub(super) fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Whether the certificate or handshake was refused: retrying cannot help.
pub(super) fn is_tls_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    rustls_error(error).is_some()
}

pub(super) use crate::retry::describe_status;

pub(super) fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}

/// Progress bars, one per file being transferred, drawn only when asked for.
pub(super) struct Progress(Option<MultiProgress>);

impl Progress {
    pub(super) fn new(enabled: bool) -> Progress {
        Progress(enabled.then(MultiProgress::new))
    }

    pub(super) fn bar(&self, target: &Target, length: Option<u64>) -> ProgressBar {
        let Some(multi) = &self.0 else { return ProgressBar::hidden() };
        let name = target.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let template = match length {
            Some(_) => "{prefix:>12} [{bar:30}] {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12} {eta}",
            None => "{prefix:>12} {spinner} {bytes:>10} {bytes_per_sec:>12}",
        };
        let style = ProgressStyle::with_template(template).expect("valid template").progress_chars("=> ");
        let bar = multi.add(ProgressBar::new(length.unwrap_or(0)).with_style(style).with_prefix(name));
        if length.is_none() {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        bar
    }
}
