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
    Network(String),
    Invalid(String),
}

impl Failure {
    pub(crate) fn message(&self) -> &str {
        match self {
            Failure::NotFound(m) | Failure::Auth(m) | Failure::Network(m) | Failure::Invalid(m) => m,
        }
    }

    pub(crate) fn into_image_error(self, reference: String) -> ImageError {
        match self {
            Failure::NotFound(message) => ImageError::NotFound { reference, message },
            Failure::Auth(message) => ImageError::Auth { reference, message },
            Failure::Network(message) => ImageError::Network { reference, message },
            Failure::Invalid(message) => ImageError::Invalid { reference, message },
        }
    }

    pub(crate) fn map(self, f: impl FnOnce(String) -> String) -> Failure {
        match self {
            Failure::NotFound(m) => Failure::NotFound(f(m)),
            Failure::Auth(m) => Failure::Auth(f(m)),
            Failure::Network(m) => Failure::Network(f(m)),
            Failure::Invalid(m) => Failure::Invalid(f(m)),
        }
    }
}

pub(crate) fn describe_status(status: StatusCode) -> String {
    format!("HTTP {} {}", status.as_u16(), status.canonical_reason().unwrap_or(""))
}

/// The `errors` of a registry's JSON error body (`MANIFEST_UNKNOWN: manifest unknown`),
/// short and printable; anything else the body holds is not repeated.
pub(crate) fn registry_errors(response: Response) -> Option<String> {
    let mut bytes = Vec::new();
    response.take(MAX_ERROR_BODY).read_to_end(&mut bytes).ok()?;
    error_body_text(&bytes)
}

/// [`registry_errors`] of a body already read (at most [`MAX_ERROR_BODY`] bytes).
pub(crate) fn error_body_text(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let body: Body = serde_json::from_slice(bytes).ok()?;
    let clean = |s: &str| -> String { s.chars().filter(|c| !c.is_control()).take(200).collect() };
    let parts: Vec<String> = body
        .errors
        .iter()
        .take(3)
        .map(|e| match (e.code.is_empty(), e.message.is_empty()) {
            (false, false) => format!("{}: {}", clean(&e.code), clean(&e.message)),
            (false, true) => clean(&e.code),
            _ => clean(&e.message),
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
