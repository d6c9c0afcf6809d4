//! What can go wrong talking to a registry, and how to say it: the failure kinds
//! that become [`ImageError`]s, and messages drawn from HTTP statuses, registry error
//! bodies, broken transfers and TLS errors (which hide two io::Errors deep).

use std::io::{self, Read};
use std::time::Duration;

use reqwest::blocking::Response;
use reqwest::StatusCode;

use super::NetworkSettings;
use crate::error_text::root_cause;
use crate::image::source::ImageError;

/// Registry error bodies are small; more is not read.
const MAX_ERROR_BODY: u64 = 1 << 20;

/// Why a request failed, before the image's name is put in front.
#[derive(Debug)]
pub(crate) enum Failure {
    NotFound(String),
    Auth(String),
    /// No answer: connection, TLS, a stall, a deadline.
    Network(String),
    /// The server kept answering this status (429, 5xx) through the retries, or
    /// answered one customs has no use for.
    Status(u16, String),
    Invalid(String),
}

impl Failure {
    pub(crate) fn message(&self) -> &str {
        match self {
            Failure::NotFound(m) | Failure::Auth(m) | Failure::Network(m) | Failure::Invalid(m) => m,
            Failure::Status(_, m) => m,
        }
    }

    pub(crate) fn into_image_error(self, reference: String) -> ImageError {
        match self {
            Failure::NotFound(message) => ImageError::NotFound { reference, message },
            Failure::Auth(message) => ImageError::Auth { reference, message },
            Failure::Network(message) => ImageError::Network { reference, message, status: None },
            Failure::Status(status, message) => ImageError::Network { reference, message, status: Some(status) },
            Failure::Invalid(message) => ImageError::Invalid { reference, message },
        }
    }

    pub(crate) fn map(self, f: impl FnOnce(String) -> String) -> Failure {
        match self {
            Failure::NotFound(m) => Failure::NotFound(f(m)),
            Failure::Auth(m) => Failure::Auth(f(m)),
            Failure::Network(m) => Failure::Network(f(m)),
            Failure::Status(s, m) => Failure::Status(s, f(m)),
            Failure::Invalid(m) => Failure::Invalid(f(m)),
        }
    }
}

pub(crate) use crate::retry::describe_status;

/// The `errors` of a registry's JSON error body (`MANIFEST_UNKNOWN: manifest unknown`),
/// short and printable; anything else the body holds is not repeated.
pub(crate) fn registry_errors(response: Response) -> Option<String> {
    let mut bytes = Vec::new();
    response.take(MAX_ERROR_BODY).read_to_end(&mut bytes).ok()?;
    error_body_text(&bytes)
}

/// A final answer that is not a success, its error body read (for callers that tell
/// refusals apart, such as the catalog).
pub(crate) struct Refusal {
    pub status: StatusCode,
    /// The first error code of the body (`UNAUTHORIZED`, `UNSUPPORTED`…), cleaned.
    pub code: Option<String>,
    /// [`error_body_text`] of the body.
    pub detail: Option<String>,
}

impl Refusal {
    pub(crate) fn read(response: Response) -> Refusal {
        let status = response.status();
        let mut bytes = Vec::new();
        let _ = response.take(MAX_ERROR_BODY).read_to_end(&mut bytes);
        let code = error_entries(&bytes).into_iter().map(|(code, _)| code).find(|code| !code.is_empty());
        Refusal { status, code, detail: error_body_text(&bytes) }
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(serde::Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The first few `(code, message)` of an error body, printable and short.
fn error_entries(bytes: &[u8]) -> Vec<(String, String)> {
    let Ok(body) = serde_json::from_slice::<ErrorBody>(bytes) else { return Vec::new() };
    let clean = |s: &str| -> String { s.chars().filter(|c| !c.is_control()).take(200).collect() };
    body.errors.iter().take(3).map(|e| (clean(&e.code), clean(&e.message))).collect()
}

/// [`registry_errors`] of a body already read (at most [`MAX_ERROR_BODY`] bytes).
pub(crate) fn error_body_text(bytes: &[u8]) -> Option<String> {
    let parts: Vec<String> = error_entries(bytes)
        .into_iter()
        .map(|(code, message)| match (code.is_empty(), message.is_empty()) {
            (false, false) => format!("{code}: {message}"),
            (false, true) => code,
            _ => message,
        })
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

pub(crate) fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Describes a body that broke off after `received` bytes.
pub(crate) fn body_failure(error: &io::Error, received: u64, network: &NetworkSettings) -> String {
    let timed_out =
        error.get_ref().and_then(|e| e.downcast_ref::<reqwest::Error>()).is_some_and(reqwest::Error::is_timeout);
    if timed_out || error.kind() == io::ErrorKind::TimedOut {
        format!("download stalled: nothing received for {} (after {received} bytes)", seconds(network.stall_timeout))
    } else {
        format!("connection broke off after {received} bytes: {}", root_cause(error))
    }
}
