//! Error messages that say what happened. reqwest, hyper and rustls nest errors several
//! deep (and `io::Error::source()` skips the error it wraps), so the useful sentence is
//! rarely the outermost: these walk the chain for it. Shared by the registry client and
//! the database download.

use std::io;

/// The rustls error behind a failed request, if TLS is what failed.
pub fn rustls_error<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    let mut current = Some(error);
    while let Some(e) = current {
        // io::Error::source() skips the error it wraps (hyper nests io::Errors two deep
        // around rustls's), so look inside each one explicitly.
        let mut inner = e;
        loop {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
            match inner.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
                Some(wrapped) => inner = wrapped,
                None => break,
            }
        }
        current = e.source();
    }
    None
}

/// The innermost error, usually the one that says what happened (`Connection refused`).
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    match current.downcast_ref::<io::Error>().and_then(|io| io.get_ref()).and_then(|inner| inner.source()) {
        Some(inner) if !text.contains(&inner.to_string()) => format!("{text}: {inner}"),
        _ => text,
    }
}

/// Every message of an error chain, repeated ones skipped.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}
