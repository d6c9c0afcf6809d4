//! `customs db update` against real servers on 127.0.0.1: Python's http.server for the
//! happy and conditional paths, the scripted server of `support_http` for every failure
//! mode, and local-directory mirrors. Each test checks the result through
//! `customs db info --json`.

mod common;
mod support_http;

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use support_http::{Reply, Request, TestServer};

/// `../shared/osv`: the OSV data every test serves.
fn osv() -> PathBuf {
    common::shared().join("osv")
}

fn zip_bytes(ecosystem: &str) -> Vec<u8> {
    fs::read(osv().join(ecosystem).join("all.zip")).expect("shared zip readable")
}

/// The customs binary, never sent through a proxy the environment may name.
fn customs() -> Command {
    let mut cmd = common::customs();
    for var in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] {
        cmd.env_remove(var);
    }
    cmd
}

/// What one `db update` did.
struct Update {
    code: i32,
    stderr: String,
    took: Duration,
}

impl Update {
    /// The status line for `ecosystem` (`  CRAN         updated (0.0 MiB)`).
    fn line(&self, ecosystem: &str) -> &str {
        self.stderr
            .lines()
            .find(|l| l.split_whitespace().next() == Some(ecosystem))
            .unwrap_or_else(|| panic!("no status line for {ecosystem}:\n{}", self.stderr))
    }
}

fn update(cache: &Path, mirror: &str, ecosystems: &[&str], extra: &[&str]) -> Update {
    let mut cmd = customs();
    cmd.arg("--cache-dir").arg(cache).args(["db", "update", "--mirror", mirror]).args(extra);
    for e in ecosystems {
        cmd.args(["--ecosystem", e]);
    }
    let start = Instant::now();
    let out = cmd.output().expect("customs runs");
    Update {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
        took: start.elapsed(),
    }
}

/// `db info --json`'s records per ecosystem.
fn counts(cache: &Path) -> Value {
    let out: Output = customs().arg("--cache-dir").arg(cache).args(["db", "info", "--json"]).output().expect("runs");
    assert!(out.status.success(), "db info failed: {}", String::from_utf8_lossy(&out.stderr));
    common::stdout_json(&out)["records_per_ecosystem"].clone()
}

fn mirror_file(cache: &Path, ecosystem: &str, name: &str) -> PathBuf {
    cache.join("osv").join(ecosystem).join(name)
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path).and_then(|m| m.modified()).expect("file exists")
}

/// A port nothing listens on right now (bound, then released for the server to take).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_until_accepting(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server on port {port} did not start");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// `python3 -m http.server` serving a directory; killed when dropped.
struct PythonServer {
    child: Child,
    port: u16,
}

impl PythonServer {
    fn start(dir: &Path) -> PythonServer {
        let port = free_port();
        let child = common::tools::spawn(
            Command::new("python3")
                .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
                .arg(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let server = PythonServer { child, port };
        wait_until_accepting(port);
        server
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh cache holding CRAN (14 records) from a first, successful update.
fn cache_with_cran() -> tempfile::TempDir {
    let cache = tempfile::tempdir().unwrap();
    let result = update(cache.path(), osv().to_str().unwrap(), &["CRAN"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert_eq!(counts(cache.path())["CRAN"], 14);
    cache
}

#[test]
fn python_server_full_then_conditional() {
    let server = PythonServer::start(&osv());
    let cache = tempfile::tempdir().unwrap();
    let ecosystems = ["crates.io", "PyPI", "Packagist", "CRAN"];

    let first = update(cache.path(), &server.url(), &ecosystems, &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    for e in ecosystems {
        assert!(first.line(e).contains("updated"), "{}", first.stderr);
    }
    let before = counts(cache.path());
    assert_eq!(before["crates.io"], 1206);
    assert_eq!(before["PyPI"], 2668);
    assert_eq!(before["CRAN"], 14);
    let zip = mirror_file(cache.path(), "PyPI", "all.zip");
    assert_eq!(fs::read(&zip).unwrap(), zip_bytes("PyPI"));
    let meta: Value =
        serde_json::from_slice(&fs::read(mirror_file(cache.path(), "PyPI", "all.zip.meta.json")).unwrap())
            .expect("meta is JSON");
    assert!(meta["last_modified"].is_string(), "{meta}");
    let written = mtime(&zip);

    // http.server answers If-Modified-Since with 304: nothing is transferred again.
    let second = update(cache.path(), &server.url(), &ecosystems, &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    for e in ecosystems {
        assert!(second.line(e).contains("unchanged"), "{}", second.stderr);
    }
    assert!(second.stderr.contains("database unchanged"), "{}", second.stderr);
    assert_eq!(mtime(&zip), written);
    assert_eq!(counts(cache.path()), before);
}

#[test]
fn local_directory_mirror() {
    let cache = tempfile::tempdir().unwrap();
    let mirror = osv();
    let first = update(cache.path(), mirror.to_str().unwrap(), &["crates.io", "PyPI"], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let counts_now = counts(cache.path());
    assert_eq!(counts_now["crates.io"], 1206);
    assert_eq!(counts_now["PyPI"], 2668);

    let zip = mirror_file(cache.path(), "crates.io", "all.zip");
    let written = mtime(&zip);
    let second = update(cache.path(), mirror.to_str().unwrap(), &["crates.io", "PyPI"], &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.line("crates.io").contains("unchanged") && second.line("PyPI").contains("unchanged"));
    assert_eq!(mtime(&zip), written);
}

#[test]
fn file_url_mirror() {
    let cache = tempfile::tempdir().unwrap();
    let url = format!("file://{}", fs::canonicalize(osv()).unwrap().display());
    let result = update(cache.path(), &url, &["crates.io", "PyPI", "NotAnEcosystem"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.line("NotAnEcosystem").contains("not on this mirror"));
    let counts = counts(cache.path());
    assert_eq!(counts["crates.io"], 1206);
    assert_eq!(counts["PyPI"], 2668);
}

#[test]
fn local_mirror_copies_a_changed_file() {
    let mirror = tempfile::tempdir().unwrap();
    fs::create_dir(mirror.path().join("CRAN")).unwrap();
    let source = mirror.path().join("CRAN/all.zip");
    fs::write(&source, zip_bytes("CRAN")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mirror_arg = mirror.path().to_str().unwrap();
    assert_eq!(update(cache.path(), mirror_arg, &["CRAN"], &[]).code, 0);
    assert_eq!(counts(cache.path())["CRAN"], 14);
    let installed = mirror_file(cache.path(), "CRAN", "all.zip");
    let written = mtime(&installed);

    // Rewritten with the same bytes (a new mtime): compared, not installed again.
    std::thread::sleep(Duration::from_millis(20));
    fs::write(&source, zip_bytes("CRAN")).unwrap();
    let touched = update(cache.path(), mirror_arg, &["CRAN"], &[]);
    assert!(touched.line("CRAN").contains("unchanged"), "{}", touched.stderr);
    assert!(touched.stderr.contains("database unchanged"), "{}", touched.stderr);
    assert_eq!(mtime(&installed), written);

    // Same name, different content (and size): copied again.
    fs::write(&source, zip_bytes("GHC")).unwrap();
    let result = update(cache.path(), mirror_arg, &["CRAN"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.line("CRAN").contains("updated"), "{}", result.stderr);
    let counts = counts(cache.path());
    assert_eq!(counts["GHC"], 3);
    assert!(counts.get("CRAN").is_none(), "{counts}");
}

#[test]
fn truncated_body_keeps_the_previous_database() {
    let cache = cache_with_cran();
    let zip = mirror_file(cache.path(), "CRAN", "all.zip");
    let meta = fs::read(mirror_file(cache.path(), "CRAN", "all.zip.meta.json")).unwrap();
    let other = zip_bytes("crates.io");
    // No validator to name the version with: every attempt starts from byte 0.
    let server = TestServer::start(move |_, _| Reply::truncated(other.len(), &other[..other.len() / 2]));

    let result = update(cache.path(), &server.url(), &["CRAN"], &[]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    let line = result.line("CRAN");
    assert!(line.contains("FAILED") && line.contains(&format!("{}/CRAN/all.zip", server.url())), "{line}");
    assert!(line.contains("after 607624 of 1215249 bytes"), "{line}");
    assert_eq!(server.seen().len(), 5, "retried 4 times");
    assert!(server.seen().iter().all(|s| s.header("range").is_none()), "{:?}", server.seen());
    assert_eq!(fs::read(&zip).unwrap(), zip_bytes("CRAN"));
    assert_eq!(fs::read(mirror_file(cache.path(), "CRAN", "all.zip.meta.json")).unwrap(), meta);
    assert!(!mirror_file(cache.path(), "CRAN", "all.zip.partial").exists());
    assert_eq!(counts(cache.path())["CRAN"], 14);
}

#[test]
fn retries_503_then_succeeds() {
    let cran = zip_bytes("CRAN");
    let server =
        TestServer::start(move |_, n| if n < 2 { Reply::status(503) } else { Reply::status(200).with_body(&cran) });
    let cache = tempfile::tempdir().unwrap();
    let result = update(cache.path(), &server.url(), &["CRAN"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.line("CRAN").contains("updated"));
    assert_eq!(server.seen().len(), 3);
    assert_eq!(counts(cache.path())["CRAN"], 14);
}

#[test]
fn honours_retry_after_on_429() {
    let cran = zip_bytes("CRAN");
    let server = TestServer::start(move |_, n| match n {
        0 => Reply::status(429).with_header("Retry-After", "1"),
        _ => Reply::status(200).with_body(&cran),
    });
    let cache = tempfile::tempdir().unwrap();
    let result = update(cache.path(), &server.url(), &["CRAN"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let waited = seen[1].at - seen[0].at;
    assert!(waited >= Duration::from_millis(950), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
}

#[test]
fn missing_ecosystem_is_not_a_failure() {
    let (cran, ghc) = (zip_bytes("CRAN"), zip_bytes("GHC"));
    let server = TestServer::start(move |req, _| match req.path.as_str() {
        "/CRAN/all.zip" => Reply::status(200).with_body(&cran),
        "/GHC/all.zip" => Reply::status(200).with_body(&ghc),
        _ => Reply::status(404),
    });
    let cache = tempfile::tempdir().unwrap();
    let result = update(cache.path(), &server.url(), &["CRAN", "Packagist", "GHC", "Rocky Linux"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.line("Packagist").contains("not on this mirror"), "{}", result.stderr);
    assert!(result.line("Rocky").contains("not on this mirror"), "{}", result.stderr);
    assert!(server.seen().iter().any(|s| s.path == "/Rocky%20Linux/all.zip"), "{:?}", server.seen());
    let before = counts(cache.path());
    assert_eq!(before["CRAN"], 14);
    assert_eq!(before["GHC"], 3);

    // This server sends no validators, so everything comes again; identical bytes are
    // recognised and the database is not rebuilt.
    let again = update(cache.path(), &server.url(), &["CRAN", "Packagist", "GHC"], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.line("CRAN").contains("unchanged") && again.line("GHC").contains("unchanged"), "{}", again.stderr);
    assert!(again.stderr.contains("database unchanged"), "{}", again.stderr);
    assert_eq!(counts(cache.path()), before);
}

#[test]
fn corrupt_zip_is_rejected_without_retry() {
    let cache = cache_with_cran();
    let mut flipped = zip_bytes("crates.io");
    let middle = flipped.len() / 2;
    for b in &mut flipped[middle..middle + 64] {
        *b ^= 0x5a;
    }
    let html = b"<html><body>Service temporarily moved</body></html>".to_vec();
    let with_readme = {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        writer.start_file("README.txt", zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(b"not an advisory").unwrap();
        writer.finish().unwrap().into_inner()
    };
    for (what, body) in [("flipped bytes", flipped), ("an HTML page", html), ("a non-JSON entry", with_readme)] {
        let server = TestServer::start(move |_, _| Reply::status(200).with_body(&body));
        let result = update(cache.path(), &server.url(), &["CRAN"], &[]);
        assert_eq!(result.code, 2, "{what}: {}", result.stderr);
        assert!(result.line("CRAN").contains("not a valid OSV zip"), "{what}: {}", result.stderr);
        assert_eq!(server.seen().len(), 1, "{what}: a bad file is not fetched again");
        assert_eq!(fs::read(mirror_file(cache.path(), "CRAN", "all.zip")).unwrap(), zip_bytes("CRAN"), "{what}");
        assert!(!mirror_file(cache.path(), "CRAN", "all.zip.partial").exists(), "{what}");
        assert_eq!(counts(cache.path())["CRAN"], 14, "{what}");
    }
}

#[test]
fn stalled_download_times_out() {
    let server = TestServer::start(|_, _| Reply::Stall { declared: 1000 });
    let cache = tempfile::tempdir().unwrap();
    let result = update(cache.path(), &server.url(), &["CRAN"], &["--timeout", "2"]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.line("CRAN").contains("stalled"), "{}", result.stderr);
    // 5 attempts of 2 s plus at most 7.5 s of backoff.
    assert!(result.took < Duration::from_secs(30), "took {:?}", result.took);
    assert_eq!(server.seen().len(), 5);
}

#[test]
fn etag_is_sent_back_to_the_same_mirror_only() {
    let cran = zip_bytes("CRAN");
    let handler = move |req: &Request, _| match req.header("if-none-match") {
        Some("\"v1\"") => Reply::status(304),
        _ => Reply::status(200).with_header("ETag", "\"v1\"").with_body(&cran),
    };
    let (first_server, other_server) = (TestServer::start(handler.clone()), TestServer::start(handler));
    let cache = tempfile::tempdir().unwrap();
    assert_eq!(update(cache.path(), &first_server.url(), &["CRAN"], &[]).code, 0);
    let again = update(cache.path(), &first_server.url(), &["CRAN"], &[]);
    assert!(again.line("CRAN").contains("unchanged"), "{}", again.stderr);
    // (The second update first asks for `modified_id.csv`, which this server does not have.)
    assert_eq!(first_server.seen_under("/CRAN/all.zip")[1].header("if-none-match"), Some("\"v1\""));

    // Another mirror's validators mean nothing here: it is asked for the whole file
    // (which holds the same bytes, so nothing is replaced).
    let elsewhere = update(cache.path(), &other_server.url(), &["CRAN"], &[]);
    assert!(elsewhere.line("CRAN").contains("unchanged"), "{}", elsewhere.stderr);
    assert_eq!(other_server.seen()[0].header("if-none-match"), None);
    let meta = fs::read_to_string(mirror_file(cache.path(), "CRAN", "all.zip.meta.json")).unwrap();
    assert!(meta.contains(&other_server.url()), "{meta}");
}

#[test]
fn credentials_never_appear_in_messages() {
    let server = TestServer::start(|_, _| Reply::status(403));
    let cache = tempfile::tempdir().unwrap();
    let mirror = format!("http://alice:s3cret@127.0.0.1:{}", server.port);
    let result = update(cache.path(), &mirror, &["CRAN"], &[]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.line("CRAN").contains("HTTP 403"), "{}", result.stderr);
    assert!(result.stderr.contains(&format!("127.0.0.1:{}/CRAN/all.zip", server.port)), "{}", result.stderr);
    assert!(!result.stderr.contains("s3cret") && !result.stderr.contains("alice"), "{}", result.stderr);
    assert_eq!(server.seen().len(), 1, "403 is not retried");
    assert!(server.seen()[0].header("authorization").is_some_and(|v| v.starts_with("Basic ")));
}

#[test]
fn stale_partial_files_are_removed() {
    let cache = tempfile::tempdir().unwrap();
    for ecosystem in ["CRAN", "Debian"] {
        fs::create_dir_all(cache.path().join("osv").join(ecosystem)).unwrap();
        fs::write(mirror_file(cache.path(), ecosystem, "all.zip.partial"), b"left by a killed update").unwrap();
    }
    let result = update(cache.path(), osv().to_str().unwrap(), &["CRAN"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(!mirror_file(cache.path(), "CRAN", "all.zip.partial").exists());
    assert!(!mirror_file(cache.path(), "Debian", "all.zip.partial").exists());
    assert_eq!(counts(cache.path())["CRAN"], 14);
}

#[test]
fn ecosystem_names_cannot_leave_the_cache() {
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    for bad in ["../escape", "a/b", "Debian:12"] {
        let result = update(&cache, osv().to_str().unwrap(), &[bad], &[]);
        assert_eq!(result.code, 2, "{bad}: {}", result.stderr);
        assert!(result.stderr.contains("invalid ecosystem"), "{bad}: {}", result.stderr);
    }
    assert!(!root.path().join("escape").exists());
    assert!(!cache.join("osv").exists());
}

#[test]
fn concurrent_updates_share_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let spawn = || {
        customs()
            .arg("--cache-dir")
            .arg(cache.path())
            .args(["db", "update", "--mirror"])
            .arg(osv())
            .args(["--ecosystem", "crates.io", "--ecosystem", "PyPI"])
            .stderr(Stdio::piped())
            .spawn()
            .expect("customs runs")
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let counts = counts(cache.path());
    assert_eq!(counts["crates.io"], 1206);
    assert_eq!(counts["PyPI"], 2668);
}

const LAST_MODIFIED: &str = "Wed, 21 Oct 2026 07:28:00 GMT";

/// The first `cut` bytes of `body` in a 200 that promises all of it, then a hang-up.
fn broken(body: &[u8], cut: usize, headers: Vec<(String, String)>) -> Reply {
    Reply::truncated(body.len(), &body[..cut]).with_headers(&headers)
}

/// A 206 carrying `body[from..]`, announced as starting at `claimed`.
fn partial(body: &[u8], from: usize, claimed: usize, headers: Vec<(String, String)>) -> Reply {
    let mut headers = headers;
    headers
        .push(("Content-Range".into(), format!("bytes {claimed}-{}/{}", claimed + body.len() - from - 1, body.len())));
    Reply::Full { status: 206, headers, body: body[from..].to_vec() }
}

fn etag(tag: &str) -> Vec<(String, String)> {
    vec![("ETag".into(), format!("\"{tag}\""))]
}

/// The requests' `(range, if-range)` headers, in order.
fn ranges(server: &TestServer) -> Vec<(Option<String>, Option<String>)> {
    let header = |s: &Request, name: &str| s.header(name).map(String::from);
    server.seen().iter().map(|s| (header(s, "range"), header(s, "if-range"))).collect()
}

fn installed_meta(cache: &Path, ecosystem: &str) -> Value {
    serde_json::from_slice(&fs::read(mirror_file(cache, ecosystem, "all.zip.meta.json")).unwrap()).unwrap()
}

#[test]
fn resumes_a_broken_download_with_range() {
    let bytes = zip_bytes("crates.io");
    let cut = 400_000;
    let server = TestServer::start(move |req, n| match (n, req.header("if-range")) {
        (0, _) => broken(&bytes, cut, etag("v1")),
        (_, Some("\"v1\"")) => partial(&bytes, cut, cut, etag("v1")),
        _ => Reply::status(500),
    });
    let cache = tempfile::tempdir().unwrap();
    let result = update(cache.path(), &server.url(), &["crates.io"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.line("crates.io").contains("updated"), "{}", result.stderr);
    assert_eq!(
        ranges(&server),
        [(None, None), (Some(format!("bytes={cut}-")), Some("\"v1\"".into()))],
        "{:?}",
        server.seen()
    );
    assert_eq!(fs::read(mirror_file(cache.path(), "crates.io", "all.zip")).unwrap(), zip_bytes("crates.io"));
    assert!(!mirror_file(cache.path(), "crates.io", "all.zip.partial").exists());
    assert_eq!(installed_meta(cache.path(), "crates.io")["etag"], "\"v1\"");
    assert_eq!(counts(cache.path())["crates.io"], 1206);
}

#[test]
fn resume_ignored_by_the_server_downloads_everything_again() {
    // No ETag: If-Range carries Last-Modified. The server ignores Range and sends it all.
    let bytes = zip_bytes("crates.io");
    let cut = 300_000;
    let date = vec![("Last-Modified".to_string(), LAST_MODIFIED.to_string())];
    let server = TestServer::start(move |_, n| match n {
        0 => broken(&bytes, cut, date.clone()),
        _ => Reply::Full { status: 200, headers: date.clone(), body: bytes.clone() },
    });
    let cache = tempfile::tempdir().unwrap();
    let result = update(cache.path(), &server.url(), &["crates.io"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert_eq!(ranges(&server), [(None, None), (Some(format!("bytes={cut}-")), Some(LAST_MODIFIED.into()))]);
    assert_eq!(fs::read(mirror_file(cache.path(), "crates.io", "all.zip")).unwrap(), zip_bytes("crates.io"));
    assert_eq!(counts(cache.path())["crates.io"], 1206);
}

#[test]
fn inconsistent_partial_responses_start_over() {
    let bytes = zip_bytes("crates.io");
    let cut = 500_000;
    let len = bytes.len();
    // Each wrong 206 (start, total, ETag) is refused unread; the next request asks for the whole file.
    type Wrong = Box<dyn Fn(&[u8]) -> Reply + Send + Sync>;
    let cases: Vec<(&str, Wrong)> = vec![
        ("wrong start", Box::new(move |b: &[u8]| partial(b, cut - 10, cut - 10, etag("v1")))),
        (
            "wrong total",
            Box::new(move |b: &[u8]| {
                let headers = vec![
                    ("ETag".to_string(), "\"v1\"".to_string()),
                    ("Content-Range".to_string(), format!("bytes {cut}-{}/{}", len - 1, len + 5)),
                ];
                Reply::Full { status: 206, headers, body: b[cut..].to_vec() }
            }),
        ),
        ("other ETag", Box::new(move |b: &[u8]| partial(b, cut, cut, etag("v2")))),
    ];
    for (what, wrong) in cases {
        let bytes = bytes.clone();
        let server = TestServer::start(move |_, n| match n {
            0 => broken(&bytes, cut, etag("v1")),
            1 => wrong(&bytes),
            _ => Reply::Full { status: 200, headers: etag("v1"), body: bytes.clone() },
        });
        let cache = tempfile::tempdir().unwrap();
        let result = update(cache.path(), &server.url(), &["crates.io"], &[]);
        assert_eq!(result.code, 0, "{what}: {}", result.stderr);
        assert_eq!(
            ranges(&server),
            [(None, None), (Some(format!("bytes={cut}-")), Some("\"v1\"".into())), (None, None)],
            "{what}"
        );
        assert_eq!(
            fs::read(mirror_file(cache.path(), "crates.io", "all.zip")).unwrap(),
            zip_bytes("crates.io"),
            "{what}"
        );
        assert_eq!(counts(cache.path())["crates.io"], 1206, "{what}");
    }
}

#[test]
fn a_file_changed_between_attempts_is_fetched_whole() {
    // A first update installs CRAN with ETag v0; the update after it asks conditionally,
    // gets a broken v1, resumes with If-Range v1, and the server (now at v2) sends v2 whole.
    let (cran, crates, ghc) = (zip_bytes("CRAN"), zip_bytes("crates.io"), zip_bytes("GHC"));
    let cut = 200_000;
    let server = TestServer::start(move |req, n| match n {
        _ if req.path.ends_with("/modified_id.csv") => Reply::status(404),
        0 => Reply::Full { status: 200, headers: etag("v0"), body: cran.clone() },
        // 1 is the request for `modified_id.csv`.
        2 => broken(&crates, cut, etag("v1")),
        _ if req.header("if-none-match") == Some("\"v2\"") => Reply::status(304),
        // If-Range names v1, which is gone: the whole current file.
        _ => Reply::Full { status: 200, headers: etag("v2"), body: ghc.clone() },
    });
    let cache = tempfile::tempdir().unwrap();
    let first = update(cache.path(), &server.url(), &["CRAN"], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let result = update(cache.path(), &server.url(), &["CRAN"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.line("CRAN").contains("updated"), "{}", result.stderr);
    let seen = server.seen_under("/CRAN/all.zip");
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(server.seen()[1].path, "/CRAN/modified_id.csv");
    // The conditional validator and the resume validator are never mixed up.
    assert_eq!(seen[1].header("if-none-match"), Some("\"v0\""));
    assert_eq!((seen[1].header("range"), seen[1].header("if-range")), (None, None));
    assert_eq!(seen[2].header("range"), Some(format!("bytes={cut}-").as_str()));
    assert_eq!(seen[2].header("if-range"), Some("\"v1\""));
    assert_eq!(seen[2].header("if-none-match"), None);
    assert_eq!(fs::read(mirror_file(cache.path(), "CRAN", "all.zip")).unwrap(), zip_bytes("GHC"));
    assert_eq!(installed_meta(cache.path(), "CRAN")["etag"], "\"v2\"");
    let counts = counts(cache.path());
    assert_eq!(counts["GHC"], 3);
    assert!(counts.get("CRAN").is_none(), "{counts}");

    // And the new validator is what the next update sends: unchanged, nothing transferred.
    let again = update(cache.path(), &server.url(), &["CRAN"], &[]);
    assert!(again.line("CRAN").contains("unchanged"), "{}", again.stderr);
    let last = server.seen().pop().unwrap();
    assert_eq!((last.header("if-none-match"), last.header("range")), (Some("\"v2\""), None));
}

#[test]
fn a_stitched_file_that_is_not_a_valid_zip_is_never_installed() {
    // The 206 looks right (start, length, ETag) but carries other bytes: the zip check
    // before installation refuses the result, and the previous database stays.
    let cache = cache_with_cran();
    let bytes = zip_bytes("crates.io");
    let cut = 600_000;
    let mut other = bytes.clone();
    for b in &mut other[cut..cut + 4096] {
        *b ^= 0x5a;
    }
    let server = TestServer::start(move |_, n| match n {
        0 => broken(&bytes, cut, etag("v1")),
        _ => partial(&other, cut, cut, etag("v1")),
    });
    let result = update(cache.path(), &server.url(), &["CRAN"], &[]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.line("CRAN").contains("not a valid OSV zip"), "{}", result.stderr);
    assert_eq!(ranges(&server)[1], (Some(format!("bytes={cut}-")), Some("\"v1\"".into())));
    assert_eq!(fs::read(mirror_file(cache.path(), "CRAN", "all.zip")).unwrap(), zip_bytes("CRAN"));
    assert!(!mirror_file(cache.path(), "CRAN", "all.zip.partial").exists());
    assert_eq!(counts(cache.path())["CRAN"], 14);
}

/// What `db update` prints when the mirror cannot be reached at all, after the lines
/// for the failures themselves.
const UNREACHABLE_HINT: &str = "customs: cannot reach the mirror. Behind a proxy, set HTTPS_PROXY (HTTP_PROXY for an \
     http:// mirror); to fetch from elsewhere, pass --mirror URL (or a folder in osv.dev's layout); without network, \
     scan with --db PATH, a folder of OSV records or a copy of a mirror (<Ecosystem>/all.zip)";

#[test]
fn connection_refused_fails_at_once_with_one_line_and_what_to_do() {
    let port = free_port();
    let mirror = format!("http://127.0.0.1:{port}");
    let cache = tempfile::tempdir().unwrap();
    // Every default ecosystem: 26 near-identical failures become one line.
    let result = update(cache.path(), &mirror, &[], &[]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert_eq!(
        result.stderr,
        format!(
            "  FAILED       connection refused by 127.0.0.1:{port} (all 26 ecosystems); no previous copies\n\
             {UNREACHABLE_HINT}\nerror: nothing was downloaded from {mirror}\n"
        )
    );
    // No retries, no backoff: well under a second per ecosystem, even all 26 together.
    assert!(result.took < Duration::from_secs(3), "took {:?}", result.took);

    // With a previous copy: that ecosystem's own line, the database kept, still exit 2.
    let cache = cache_with_cran();
    let result = update(cache.path(), &mirror, &["CRAN"], &["--quiet"]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert_eq!(
        result.stderr,
        format!(
            "  CRAN         FAILED: connection refused by 127.0.0.1:{port}; keeping the previous copy\n\
             {UNREACHABLE_HINT}\n"
        )
    );
    assert_eq!(counts(cache.path())["CRAN"], 14);
}

#[test]
fn a_host_name_that_does_not_resolve_fails_at_once_with_one_line() {
    let cache = tempfile::tempdir().unwrap();
    let mirror = "http://nonexistent.invalid/";
    let start = Instant::now();
    let result = update(cache.path(), mirror, &["CRAN", "PyPI", "npm"], &[]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    let lines: Vec<&str> = result.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", result.stderr);
    // The resolver's own words differ between systems ("Name or service not known",
    // "Temporary failure in name resolution"); the rest is exact.
    let (head, tail) =
        ("  FAILED       dns error for nonexistent.invalid: ", " (all 3 ecosystems); no previous copies");
    assert!(lines[0].starts_with(head) && lines[0].ends_with(tail), "{}", lines[0]);
    assert!(lines[0].len() > head.len() + tail.len(), "the resolver's reason is given: {}", lines[0]);
    assert!(!lines[0].contains("gave up"), "not retried: {}", lines[0]);
    assert_eq!(lines[1], UNREACHABLE_HINT);
    assert_eq!(lines[2], format!("error: nothing was downloaded from {mirror}"));
    assert!(start.elapsed() < Duration::from_secs(3), "took {:?}", start.elapsed());
}

/// A project with a Rust and a Python lockfile, for `--for`.
fn rust_and_python_project() -> tempfile::TempDir {
    let project = tempfile::tempdir().unwrap();
    let cargo_lock = "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"0.6.9\"\n\
                      source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    fs::write(project.path().join("Cargo.lock"), cargo_lock).unwrap();
    fs::create_dir(project.path().join("tools")).unwrap();
    fs::write(project.path().join("tools/requirements.txt"), "requests==2.19.0\n").unwrap();
    project
}

#[test]
fn for_a_project_fetches_only_the_ecosystems_of_its_packages() {
    let (crates, pypi) = (zip_bytes("crates.io"), zip_bytes("PyPI"));
    let server = TestServer::start(move |req, _| match req.path.as_str() {
        "/crates.io/all.zip" => Reply::status(200).with_body(&crates),
        "/PyPI/all.zip" => Reply::status(200).with_body(&pypi),
        _ => Reply::status(404),
    });
    let project = rust_and_python_project();
    let project_arg = project.path().to_str().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let result = update(cache.path(), &server.url(), &[], &["--for", project_arg]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(
        result.stderr.contains(&format!("customs: fetching the ecosystems of {project_arg}: PyPI, crates.io\n")),
        "{}",
        result.stderr
    );
    let mut requested: Vec<String> = server.seen().iter().map(|r| r.path.clone()).collect();
    requested.sort();
    assert_eq!(requested, ["/PyPI/all.zip", "/crates.io/all.zip"]);
    let counts = counts(cache.path());
    assert_eq!(counts["crates.io"], 1206);
    let ecosystems: Vec<&str> = counts.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(ecosystems, ["PyPI", "crates.io"]);

    // --for and --ecosystem contradict each other.
    let both = update(cache.path(), &server.url(), &["npm"], &["--for", project_arg]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    assert!(both.stderr.contains("'--for <PATH>' cannot be used with '--ecosystem <ECOSYSTEM>'"), "{}", both.stderr);
    assert_eq!(server.seen().len(), 2, "nothing more was requested");
}

#[test]
fn for_an_image_fetches_only_the_ecosystems_of_its_packages() {
    let debian = zip_bytes("Debian");
    let server = TestServer::start(move |req, _| match req.path.as_str() {
        "/Debian/all.zip" => Reply::status(200).with_body(&debian),
        _ => Reply::status(404),
    });
    let image = format!("oci-archive:{}:bookworm", common::shared().join("images/debian-bookworm.oci.tar").display());
    let cache = tempfile::tempdir().unwrap();
    let result = update(cache.path(), &server.url(), &[], &["--image", &image]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(
        result.stderr.contains(&format!("customs: fetching the ecosystems of {image}: Debian\n")),
        "{}",
        result.stderr
    );
    let requested: Vec<String> = server.seen().iter().map(|r| r.path.clone()).collect();
    assert_eq!(requested, ["/Debian/all.zip"]);
    let counts = counts(cache.path());
    let releases: Vec<&str> = counts.as_object().unwrap().keys().map(String::as_str).collect();
    assert!(releases.contains(&"Debian:12"), "{releases:?}");
    assert!(releases.iter().all(|r| r.starts_with("Debian:")), "only Debian's records: {releases:?}");

    // --image contradicts --for and --ecosystem; --platform means nothing without it.
    let with_for = update(cache.path(), &server.url(), &[], &["--image", &image, "--for", "."]);
    assert_eq!(with_for.code, 2, "{}", with_for.stderr);
    assert!(with_for.stderr.contains("'--image <REF>' cannot be used with '--for <PATH>'"), "{}", with_for.stderr);
    let with_ecosystem = update(cache.path(), &server.url(), &["npm"], &["--image", &image]);
    assert_eq!(with_ecosystem.code, 2, "{}", with_ecosystem.stderr);
    let platform_alone = update(cache.path(), &server.url(), &[], &["--platform", "linux/arm64"]);
    assert_eq!(platform_alone.code, 2, "{}", platform_alone.stderr);
    assert!(platform_alone.stderr.contains("--image <REF>"), "{}", platform_alone.stderr);
    assert_eq!(server.seen().len(), 1, "nothing more was requested");
}

#[test]
fn for_an_image_that_cannot_be_read_fetches_nothing() {
    let server = TestServer::start(|_, _| Reply::status(404));
    let missing = tempfile::tempdir().unwrap();
    let image = format!("oci-archive:{}", missing.path().join("no-such.tar").display());
    let cache = tempfile::tempdir().unwrap();
    let result = update(cache.path(), &server.url(), &[], &["--image", &image]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    let expected = format!("--image {image}: cannot list the packages to fetch advisories for");
    assert!(result.stderr.contains(&expected), "{}", result.stderr);
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

#[test]
fn for_a_folder_without_packages_fetches_nothing() {
    let server = TestServer::start(|_, _| Reply::status(404));
    let empty = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let result = update(cache.path(), &server.url(), &[], &["--for", empty.path().to_str().unwrap()]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    let expected = format!("--for {}: cannot list the packages to fetch advisories for", empty.path().display());
    assert!(result.stderr.contains(&expected), "{}", result.stderr);
    assert!(result.stderr.contains("no lockfile found under"), "{}", result.stderr);
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}
