//! [`CountingProxy`]: a plain-HTTP forwarding proxy on 127.0.0.1 in front of a test
//! registry, so a test can say exactly which requests customs sent (and how many) while
//! a real registry answers them, and can make the registry "go down" on demand.
//!
//! It forwards each request as it came (request line, headers, body; the Host header too,
//! so the registry builds any absolute `Location`/`Link` URL with the proxy's address)
//! and streams the answer back unchanged, over keep-alive connections on both sides.
//! Every request is recorded as `(method, path and query, status)`.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request as the proxy saw it, with the status it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    /// The request target: path and query (`/v2/_catalog?n=10`).
    pub path: String,
    pub status: u16,
}

/// What a registry API path is about (the Distribution spec's routes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/v2/`
    Ping,
    /// `/v2/_catalog`
    Catalog,
    /// `/v2/<name>/tags/list`
    Tags(String),
    /// `/v2/<name>/manifests/<reference>`
    Manifest(String, String),
    /// `/v2/<name>/blobs/<digest>`
    Blob(String, String),
    /// `/v2/<name>/blobs/uploads/…`
    Upload(String),
    Other,
}

impl Route {
    /// The route of a request target (the query is ignored).
    pub fn of(target: &str) -> Route {
        let path = target.split_once('?').map_or(target, |(path, _)| path);
        if path == "/v2/" || path == "/v2" {
            return Route::Ping;
        }
        let Some(rest) = path.strip_prefix("/v2/") else { return Route::Other };
        if rest == "_catalog" {
            return Route::Catalog;
        }
        if let Some(name) = rest.strip_suffix("/tags/list") {
            return Route::Tags(name.to_string());
        }
        if let Some((name, _)) = rest.split_once("/blobs/uploads") {
            return Route::Upload(name.to_string());
        }
        if let Some((name, reference)) = rest.rsplit_once("/manifests/") {
            return Route::Manifest(name.to_string(), reference.to_string());
        }
        if let Some((name, digest)) = rest.rsplit_once("/blobs/") {
            return Route::Blob(name.to_string(), digest.to_string());
        }
        Route::Other
    }
}

struct Shared {
    upstream: String,
    log: Mutex<Vec<Seen>>,
    down: AtomicBool,
    blob_delay: Mutex<Duration>,
    stop: AtomicBool,
    /// Both ends of every open connection, by connection number, to hang them up when
    /// the proxy is dropped.
    streams: Mutex<HashMap<usize, Vec<TcpStream>>>,
    connections: AtomicUsize,
}

/// The proxy; it stops, and hangs up every connection, when dropped.
pub struct CountingProxy {
    pub port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl CountingProxy {
    /// A proxy forwarding to `upstream` (`127.0.0.1:PORT`, plain HTTP).
    pub fn start(upstream: &str) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            upstream: upstream.to_string(),
            log: Mutex::new(Vec::new()),
            down: AtomicBool::new(false),
            blob_delay: Mutex::new(Duration::ZERO),
            stop: AtomicBool::new(false),
            streams: Mutex::new(HashMap::new()),
            connections: AtomicUsize::new(0),
        });
        let accepting = shared.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let id = accepting.connections.fetch_add(1, Ordering::SeqCst);
                if let Ok(clone) = stream.try_clone() {
                    accepting.streams.lock().unwrap().entry(id).or_default().push(clone);
                }
                let shared = accepting.clone();
                std::thread::spawn(move || {
                    let _ = serve_client(stream, &shared, id);
                    shared.streams.lock().unwrap().remove(&id);
                });
            }
        });
        CountingProxy { port, shared, thread: Some(thread) }
    }

    /// `127.0.0.1:PORT` of the proxy: what customs is pointed at.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Forgets the requests seen so far.
    pub fn reset(&self) {
        self.shared.log.lock().unwrap().clear();
    }

    /// Every request since the last [`reset`](Self::reset), in the order answered.
    pub fn requests(&self) -> Vec<Seen> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Requests with `method` whose path starts with `path_prefix`.
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.requests().iter().filter(|r| r.method == method && r.path.starts_with(path_prefix)).count()
    }

    /// The routes of the requests with `method`, in order.
    fn routes(&self, method: &str) -> Vec<Route> {
        self.requests().iter().filter(|r| r.method == method).map(|r| Route::of(&r.path)).collect()
    }

    /// The digests of every blob GET (layers and configs, not uploads), in order.
    pub fn blob_gets(&self) -> Vec<String> {
        self.routes("GET")
            .into_iter()
            .filter_map(|route| match route {
                Route::Blob(_, digest) => Some(digest),
                _ => None,
            })
            .collect()
    }

    /// `(repository, reference)` of every manifest GET, in order.
    pub fn manifest_gets(&self) -> Vec<(String, String)> {
        self.manifests("GET")
    }

    /// `(repository, reference)` of every manifest HEAD, in order.
    pub fn manifest_heads(&self) -> Vec<(String, String)> {
        self.manifests("HEAD")
    }

    fn manifests(&self, method: &str) -> Vec<(String, String)> {
        self.routes(method)
            .into_iter()
            .filter_map(|route| match route {
                Route::Manifest(name, reference) => Some((name, reference)),
                _ => None,
            })
            .collect()
    }

    /// While `down`, every request is answered `503 Service Unavailable` and its
    /// connection closed, without reaching the registry (it is still recorded).
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// Holds every blob GET this long before forwarding it: a slow network, so a run
    /// spends its time where a real one does (and can be interrupted mid-way).
    pub fn set_blob_delay(&self, delay: Duration) {
        *self.shared.blob_delay.lock().unwrap() = delay;
    }

    /// TCP connections accepted since the start (keep-alive makes this far fewer than
    /// the requests).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wakes the accept loop
        for stream in self.shared.streams.lock().unwrap().drain().flat_map(|(_, streams)| streams) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A request or response head: the first line and the header lines, as received.
struct Head {
    first_line: String,
    /// `(name, value)` as sent; compare names case-insensitively.
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.header(name).is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.first_line);
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        out.into_bytes()
    }
}

/// Heads over 64 KiB are not HTTP the tests send.
const MAX_HEAD: usize = 64 * 1024;

/// Reads a head; `None` at a clean end of the connection.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut first_line = String::new();
    if reader.read_line(&mut first_line)? == 0 {
        return Ok(None);
    }
    let mut total = first_line.len();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed inside a head"));
        }
        total += line.len();
        if total > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too large"));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) =
            line.split_once(':').ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad header line"))?;
        headers.push((name.to_string(), value.trim_start().to_string()));
    }
    Ok(Some(Head { first_line: first_line.trim_end_matches(['\r', '\n']).to_string(), headers }))
}

/// How a message's body ends.
enum Framing {
    None,
    Length(u64),
    Chunked,
    /// A response without a length: until the server closes.
    UntilClose,
}

fn framing(head: &Head, is_response: bool) -> io::Result<Framing> {
    if head.has_token("transfer-encoding", "chunked") {
        return Ok(Framing::Chunked);
    }
    match head.header("content-length") {
        Some(length) => length
            .parse()
            .map(Framing::Length)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length")),
        None if is_response => Ok(Framing::UntilClose),
        None => Ok(Framing::None),
    }
}

/// Copies one body from `from` to `to` as framed (chunk lines included, unchanged).
fn relay_body(from: &mut impl BufRead, to: &mut impl Write, framing: Framing) -> io::Result<()> {
    match framing {
        Framing::None => Ok(()),
        Framing::Length(length) => {
            let copied = io::copy(&mut from.take(length), to)?;
            if copied < length {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "body shorter than its Content-Length"));
            }
            Ok(())
        }
        Framing::UntilClose => io::copy(from, to).map(|_| ()),
        Framing::Chunked => loop {
            let mut line = String::new();
            if from.read_line(&mut line)? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "chunked body cut short"));
            }
            to.write_all(line.as_bytes())?;
            let size_text = line.trim_end().split(';').next().unwrap_or_default().trim();
            let size = u64::from_str_radix(size_text, 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    let mut trailer = String::new();
                    if from.read_line(&mut trailer)? == 0 {
                        return Ok(());
                    }
                    to.write_all(trailer.as_bytes())?;
                    if trailer.trim_end().is_empty() {
                        return Ok(());
                    }
                }
            }
            // The chunk and its CRLF.
            let copied = io::copy(&mut from.take(size + 2), to)?;
            if copied < size + 2 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "chunk cut short"));
            }
        },
    }
}

struct Upstream {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

fn connect(shared: &Shared, id: usize) -> io::Result<Upstream> {
    let stream = TcpStream::connect(&shared.upstream)?;
    stream.set_nodelay(true)?;
    if let Ok(clone) = stream.try_clone() {
        shared.streams.lock().unwrap().entry(id).or_default().push(clone);
    }
    Ok(Upstream { reader: BufReader::new(stream.try_clone()?), writer: stream })
}

/// Serves one client connection: request after request, until either side closes.
fn serve_client(client: TcpStream, shared: &Shared, id: usize) -> io::Result<()> {
    client.set_nodelay(true)?;
    // customs tries TLS first on an --insecure-registry; 0x16 opens a TLS handshake:
    // hang up at once, as a plain-HTTP registry does, so it falls back to HTTP.
    let mut first = [0u8; 1];
    if client.peek(&mut first)? == 0 || first[0] == 0x16 {
        return client.shutdown(Shutdown::Both);
    }
    let mut from_client = BufReader::new(client.try_clone()?);
    let mut to_client = client;
    let mut upstream: Option<Upstream> = None;
    loop {
        let Some(request) = read_head(&mut from_client)? else { return Ok(()) };
        let mut parts = request.first_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let mut body = Vec::new();
        relay_body(&mut from_client, &mut body, framing(&request, false)?)?;

        if shared.down.load(Ordering::SeqCst) {
            shared.log.lock().unwrap().push(Seen { method, path: target, status: 503 });
            let refusal = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            to_client.write_all(refusal.as_bytes())?;
            return to_client.shutdown(Shutdown::Both);
        }
        if method == "GET" && matches!(Route::of(&target), Route::Blob(..)) {
            let delay = *shared.blob_delay.lock().unwrap();
            if !delay.is_zero() {
                std::thread::sleep(delay);
            }
        }

        let (mut up, response) = forward(&mut upstream, shared, id, &request, &body)?;
        let status: u16 = response.first_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        shared.log.lock().unwrap().push(Seen { method: method.clone(), path: target, status });
        to_client.write_all(&response.bytes())?;
        let no_body = method == "HEAD" || status / 100 == 1 || status == 204 || status == 304;
        let response_framing = if no_body { Framing::None } else { framing(&response, true)? };
        let until_close = matches!(response_framing, Framing::UntilClose);
        relay_body(&mut up.reader, &mut to_client, response_framing)?;
        to_client.flush()?;
        if until_close || response.has_token("connection", "close") || request.has_token("connection", "close") {
            let _ = up.writer.shutdown(Shutdown::Both);
            return to_client.shutdown(Shutdown::Both);
        }
        upstream = Some(up);
    }
}

/// Sends the request upstream (on the kept connection, or a new one when that one was
/// closed by the registry meanwhile) and reads the answer's head.
fn forward(
    upstream: &mut Option<Upstream>,
    shared: &Shared,
    id: usize,
    request: &Head,
    body: &[u8],
) -> io::Result<(Upstream, Head)> {
    let mut bytes = request.bytes();
    bytes.extend_from_slice(body);
    if let Some(mut up) = upstream.take() {
        if up.writer.write_all(&bytes).is_ok() {
            if let Ok(Some(head)) = read_head(&mut up.reader) {
                return Ok((up, head));
            }
        }
    }
    let mut up = connect(shared, id)?;
    up.writer.write_all(&bytes)?;
    let head = read_head(&mut up.reader)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "the registry closed without answering"))?;
    Ok((up, head))
}
