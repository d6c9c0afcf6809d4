//! The notification's body and signature, and its delivery to a real HTTP receiver on
//! 127.0.0.1 that records what it was sent and answers as each test tells it.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpListener;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::advisory::cvss::Rating;
use crate::report::registry::tests::{complete_report, digest, finding, image, sample_report};
use crate::sweep::outcome::{Change, ImageSource};

const TIMEOUT: Duration = Duration::from_secs(10);

/// One request as the receiver read it.
struct Received {
    head: String,
    body: Vec<u8>,
}

impl Received {
    fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or_default()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// A receiver for one request on 127.0.0.1 that answers `answer` (a whole HTTP response).
fn receiver(answer: String) -> (u16, JoinHandle<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut data = Vec::new();
        let mut buffer = [0u8; 8192];
        let head_end = loop {
            let n = stream.read(&mut buffer).unwrap();
            assert!(n > 0, "the request ended before its headers");
            data.extend_from_slice(&buffer[..n]);
            if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
        };
        let head = String::from_utf8(data[..head_end].to_vec()).unwrap();
        let received = Received { head, body: Vec::new() };
        let length: usize = received.header("content-length").map(|v| v.parse().unwrap()).unwrap_or(0);
        while data.len() < head_end + length {
            let n = stream.read(&mut buffer).unwrap();
            assert!(n > 0, "the body ended early");
            data.extend_from_slice(&buffer[..n]);
        }
        stream.write_all(answer.as_bytes()).unwrap();
        Received { body: data[head_end..head_end + length].to_vec(), ..received }
    });
    (port, handle)
}

fn answer(status: &str, extra: &str) -> String {
    format!("HTTP/1.1 {status}\r\n{extra}Content-Length: 2\r\nConnection: close\r\n\r\nok")
}

/// A listener that must never be connected to; `connections` says whether it was.
fn untouched() -> (u16, TcpListener) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    (listener.local_addr().unwrap().port(), listener)
}

fn connections(listener: &TcpListener) -> usize {
    let mut n = 0;
    loop {
        match listener.accept() {
            Ok(_) => n += 1,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return n,
            Err(e) => panic!("accept: {e}"),
        }
    }
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn the_body_sums_up_the_run_with_its_new_vulnerabilities() {
    let body: Value = serde_json::from_slice(&summary_body(&sample_report())).unwrap();
    assert_eq!(body["schema"], "customs-registry-notification/1");
    assert_eq!(body["run"], 42);
    assert_eq!(body["kind"], "scan");
    assert_eq!(body["registry"], "reg.example:5000");
    assert_eq!(body["started"], "2024-05-01T10:00:00Z");
    assert_eq!(body["finished"], "2024-05-01T10:05:00Z");
    assert_eq!(body["compared_with"], 41);
    assert_eq!(body["partial"], true);
    assert_eq!(body["failures"], 2);
    assert_eq!(body["coverage"]["images"], 5);
    assert_eq!(body["summary"]["new"], 4);
    assert_eq!(body["truncated"], 0);
    let new = body["new"].as_array().unwrap();
    let listed: Vec<(&str, &str)> =
        new.iter().map(|n| (n["id"].as_str().unwrap(), n["platform"].as_str().unwrap())).collect();
    // Worst first; unrated counts with high; the unmaintained advisory and the
    // unchanged and stale findings are not new vulnerabilities.
    assert_eq!(
        listed,
        [
            ("CVE-2024-0001", "linux/amd64"),
            ("CVE-2024-0001", "linux/arm64"),
            ("CVE-2022-0003", "linux/amd64"),
            ("CVE-2024-0004|`", "linux/amd64\x1b[0m"),
        ]
    );
    assert_eq!(
        new[0],
        serde_json::json!({
            "image": format!("reg.example:5000/app@{}", digest('a')),
            "repository": "reg.example:5000/app",
            "tags": ["1.0", "latest"],
            "platform": "linux/amd64",
            "id": "CVE-2024-0001",
            "aliases": [],
            "package": "openssl",
            "version": "3.0.1",
            "ecosystem": "Debian:12",
            "severity": "critical",
            "fixed_versions": ["3.0.2"],
        })
    );
    assert_eq!(new[2]["severity"], "unknown");
}

#[test]
fn the_body_lists_at_most_a_thousand_new_findings() {
    let mut report = complete_report();
    let many: Vec<(crate::matching::Finding, Change)> = (0..1005)
        .map(|i| (finding(&format!("CVE-2024-{i:05}"), "lib", "1", Some(Rating::Low), &[]), Change::New))
        .collect();
    let tags: Vec<String> = (0..15).map(|i| format!("t{i}")).collect();
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    report.images.push(image("reg.example:5000/big", &tags, digest('f'), "linux/amd64", many, ImageSource::Analysed));
    let body: Value = serde_json::from_slice(&summary_body(&report)).unwrap();
    let new = body["new"].as_array().unwrap();
    assert_eq!(new.len(), MAX_NEW);
    assert_eq!(body["truncated"], 1005 + 4 - MAX_NEW);
    assert_eq!(new[0]["severity"], "critical", "the cut keeps the worst");
    let big = new.iter().find(|n| n["repository"] == "reg.example:5000/big").unwrap();
    assert_eq!(big["tags"].as_array().unwrap().len(), 10);
    assert_eq!(big["more_tags"], 5);
}

#[test]
fn signatures_are_hmac_sha256_in_hex() {
    // RFC 4231, test case 2.
    assert_eq!(
        signature(b"Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn delivery_posts_the_signed_summary() {
    let (port, handle) = receiver(answer("200 OK", ""));
    let body = summary_body(&sample_report());
    let url = format!("http://127.0.0.1:{port}/hook?token=t");
    assert_eq!(deliver(&url, &body, Some(b"s3cret"), TIMEOUT), Ok(()));
    let received = handle.join().unwrap();
    assert_eq!(received.request_line(), "POST /hook?token=t HTTP/1.1");
    assert_eq!(received.header("content-type"), Some("application/json"));
    assert_eq!(received.body, body);
    let signed = received.header(SIGNATURE_HEADER).expect("a signature header");
    let mac = hex(signed.strip_prefix("sha256=").unwrap());
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"s3cret");
    assert!(ring::hmac::verify(&key, &received.body, &mac).is_ok(), "the signature verifies with the secret");
    assert!(ring::hmac::verify(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"other"), &received.body, &mac).is_err());

    // Without a secret, no signature.
    let (port, handle) = receiver(answer("204 No Content", ""));
    assert_eq!(deliver(&format!("http://localhost:{port}/"), b"{}", None, TIMEOUT), Ok(()));
    let received = handle.join().unwrap();
    assert_eq!(received.header(SIGNATURE_HEADER), None);
    assert_eq!(received.body, b"{}");
}

#[test]
fn a_refusal_is_an_error_naming_the_status() {
    let (port, handle) = receiver(answer("500 Internal Server Error", ""));
    let error = deliver(&format!("http://127.0.0.1:{port}/secret-path"), b"{}", None, TIMEOUT).unwrap_err();
    assert_eq!(
        error,
        format!("the notification endpoint http://127.0.0.1:{port} answered 500 Internal Server Error; the notification was not accepted")
    );
    handle.join().unwrap();
}

#[test]
fn no_connection_is_an_error() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let error = deliver(&format!("http://127.0.0.1:{port}/secret-path"), b"{}", None, TIMEOUT).unwrap_err();
    let start = format!("cannot deliver the notification to http://127.0.0.1:{port}: cannot connect: ");
    assert!(error.starts_with(&start), "{error}");
    assert!(!error.contains("secret-path"), "the path of a webhook URL may be its secret: {error}");
}

#[test]
fn redirects_are_not_followed() {
    let (elsewhere, listener) = untouched();
    let location = format!("Location: http://127.0.0.1:{elsewhere}/leak\r\n");
    let (port, handle) = receiver(answer("302 Found", &location));
    let error = deliver(&format!("http://127.0.0.1:{port}/hook"), b"{\"x\":1}", Some(b"k"), TIMEOUT).unwrap_err();
    assert_eq!(
        error,
        format!("the notification endpoint http://127.0.0.1:{port} answered 302 Found (a redirect): customs does not follow redirects with the notification; give --notify the final URL")
    );
    handle.join().unwrap();
    assert_eq!(connections(&listener), 0, "the Location was not requested");
}

#[test]
fn plain_http_goes_only_to_loopback() {
    // Linux connects 0.0.0.0 to this machine: a listener on 127.0.0.1 would see the
    // request if the URL were not refused before connecting.
    let (port, listener) = untouched();
    let reachable = std::net::TcpStream::connect(("0.0.0.0", port)).is_ok();
    let seen = connections(&listener);
    if reachable {
        assert_eq!(seen, 1, "the probe connection arrived");
    }
    let error = deliver(&format!("http://0.0.0.0:{port}/hook"), b"{}", None, TIMEOUT).unwrap_err();
    assert_eq!(
        error,
        format!("--notify: refusing to send the notification over plain http to http://0.0.0.0:{port}: use https (http is allowed only to 127.0.0.1, ::1 or localhost)")
    );
    assert_eq!(connections(&listener), 0, "nothing was sent");
    assert!(deliver("http://hooks.example.com/services/T0/B0/XYZ", b"{}", None, TIMEOUT)
        .unwrap_err()
        .starts_with("--notify: refusing to send the notification over plain http to http://hooks.example.com: "));
    assert_eq!(
        deliver("ftp://127.0.0.1/x", b"{}", None, TIMEOUT).unwrap_err(),
        "--notify: unsupported URL scheme \"ftp\"; give an https:// URL of the webhook"
    );
    assert!(deliver("not a url", b"{}", None, TIMEOUT).unwrap_err().starts_with("--notify: not a URL ("));
    // IPv6 loopback is loopback.
    assert_eq!(webhook_url("http://[::1]:9/x").map(|(_, loopback)| loopback), Ok(true));
    assert_eq!(webhook_url("https://example.com/x").map(|(_, loopback)| loopback), Ok(false));
}
