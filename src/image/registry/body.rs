//! A layer download that survives broken connections: when the stream breaks off, the
//! rest is asked for with a range request (or, from a server that ignores ranges, the
//! whole blob again with the part already read skipped). [`crate::image::digest::Verified`]
//! on top still checks every byte. The whole download, resumes included, is held to
//! one [`Deadline`] from the layer's size.

use std::io::{self, Read};

use reqwest::blocking::Response;
use reqwest::header;
use reqwest::StatusCode;

use super::client::Transport;
use super::failure::{body_failure, Failure};
use crate::deadline::Deadline;
use crate::retry;

pub(crate) struct ResumingBody<'a> {
    transport: &'a Transport,
    path: String,
    /// The token scope the blob is read with (`repository:<repo>:pull`).
    scope: String,
    /// `layer sha256:…`, for the transport's messages.
    what: String,
    /// The image, put in front of errors (they surface as `io::Error`s).
    reference: String,
    response: Option<Response>,
    received: u64,
    failures: u32,
    deadline: Deadline,
}

impl<'a> ResumingBody<'a> {
    /// Sends the first request, so that a missing blob or refused access is an error
    /// of `open_layer`, not of the first read.
    pub(crate) fn open(
        transport: &'a Transport,
        path: String,
        scope: String,
        what: String,
        reference: String,
        size: u64,
    ) -> Result<ResumingBody<'a>, Failure> {
        let deadline = Deadline::start(transport.network().transfer, Some(size));
        let response = transport.get(&path, "*/*", None, &scope, &what, &deadline)?;
        Ok(ResumingBody {
            transport,
            path,
            scope,
            what,
            reference,
            response: Some(response),
            received: 0,
            failures: 0,
            deadline,
        })
    }

    /// The error of a download past its deadline.
    fn too_slow(&self) -> io::Error {
        let failure = self.transport.too_slow(&self.what, self.transport.host(), &self.deadline, self.received);
        self.error(failure)
    }

    /// The stream's error: the registry's failure, named after the image, kept whole
    /// inside the `io::Error` so its kind survives the layer reader.
    fn error(&self, failure: Failure) -> io::Error {
        failure.into_image_error(self.reference.clone()).into_io()
    }

    /// Asks for the bytes from `received` on.
    fn resume(&mut self) -> io::Result<Response> {
        let mut response = self
            .transport
            .get(&self.path, "*/*", Some(self.received), &self.scope, &self.what, &self.deadline)
            .map_err(|f| self.error(f))?;
        match response.status() {
            StatusCode::PARTIAL_CONTENT => {
                let range = response.headers().get(header::CONTENT_RANGE).and_then(|v| v.to_str().ok());
                let start = range.and_then(|r| r.strip_prefix("bytes ")?.split('-').next()?.trim().parse::<u64>().ok());
                if start != Some(self.received) {
                    return Err(self.error(Failure::Invalid(format!(
                        "{}: asked to resume at byte {}, the registry sent range {range:?}",
                        self.what, self.received
                    ))));
                }
            }
            _ => {
                // The server ignored the range: skip what was already read.
                let skipped = io::copy(&mut (&mut response).take(self.received), &mut io::sink())?;
                self.transport.count_blob_bytes(skipped);
                if skipped != self.received {
                    return Err(self.error(Failure::Invalid(format!(
                        "{}: the blob is shorter than the {} bytes already read",
                        self.what, self.received
                    ))));
                }
            }
        }
        Ok(response)
    }
}

impl Read for ResumingBody<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.deadline.expired(self.received) {
                return Err(self.too_slow());
            }
            let response = match self.response.as_mut() {
                Some(response) => response,
                None => {
                    let response = self.resume()?;
                    self.response.insert(response)
                }
            };
            match response.read(buf) {
                Ok(n) => {
                    self.received += n as u64;
                    self.transport.count_blob_bytes(n as u64);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) if self.deadline.expired(self.received) => return Err(self.too_slow()),
                Err(error) => {
                    self.response = None;
                    let network = self.transport.network();
                    let cause = body_failure(&error, self.received, network);
                    if self.failures >= network.retries {
                        let attempts = self.failures + 1;
                        let message = format!("{}: {cause} (gave up after {attempts} attempts)", self.what);
                        return Err(self.error(Failure::Network(message)));
                    }
                    self.failures += 1;
                    self.transport.count_retry();
                    if self
                        .deadline
                        .sleep_before_retry(retry::backoff(network.first_backoff, self.failures), self.received)
                        .is_err()
                    {
                        return Err(self.too_slow());
                    }
                }
            }
        }
    }
}
