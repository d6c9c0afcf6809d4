//! A scripted HTTP/1.1 server on 127.0.0.1 for the integration tests: one request per
//! connection, each on its own thread; a handler, given the request and how many came
//! before it, decides every answer, and the server records what it saw (and when).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When its head had been read.
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What the server answers.
pub enum Reply {
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Promises `Content-Length: declared`, sends `body` (shorter), then closes the connection.
    Truncated {
        status: u16,
        declared: usize,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A 200 with the headers of a `declared`-byte body, then nothing until the client leaves.
    Stall {
        declared: usize,
    },
    /// A 200 with the headers of a `declared`-byte body, then one byte (`{`) every
    /// `every`, until the body is complete or the client leaves: never a stall.
    Trickle {
        declared: usize,
        every: Duration,
    },
    /// No answer at all (not even headers) until the client leaves.
    Silent,
}

impl Reply {
    pub fn ok(content_type: &str, body: &[u8]) -> Reply {
        Reply::status(200).with_header("Content-Type", content_type).with_body(body)
    }

    pub fn status(status: u16) -> Reply {
        Reply::Full { status, headers: Vec::new(), body: Vec::new() }
    }

    /// A 200 that promises `declared` bytes and sends only `body`.
    pub fn truncated(declared: usize, body: &[u8]) -> Reply {
        Reply::Truncated { status: 200, declared, headers: Vec::new(), body: body.to_vec() }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Full { headers, .. } | Reply::Truncated { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }

    pub fn with_headers(mut self, more: &[(String, String)]) -> Reply {
        if let Reply::Full { headers, .. } | Reply::Truncated { headers, .. } = &mut self {
            headers.extend_from_slice(more);
        }
        self
    }

    pub fn with_body(mut self, new_body: &[u8]) -> Reply {
        if let Reply::Full { body, .. } = &mut self {
            *body = new_body.to_vec();
        }
        self
    }
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// The server; it stops (and wakes any stalled connection) when dropped.
pub struct TestServer {
    pub port: u16,
    seen: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// `handler` gets each request and its index (0 for the first the server read).
    pub fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (seen, stop, handler) = (seen2.clone(), stop2.clone(), handler.clone());
                std::thread::spawn(move || serve(stream, &seen, &stop, &*handler));
            }
        });
        TestServer { port, seen, stop, thread: Some(thread) }
    }

    /// `127.0.0.1:port`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// Every request so far, in the order they were read.
    pub fn seen(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests whose path starts with `prefix`.
    pub fn seen_under(&self, prefix: &str) -> Vec<Request> {
        self.seen().into_iter().filter(|r| r.path.starts_with(prefix)).collect()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wakes the accept loop
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(mut stream: TcpStream, seen: &Mutex<Vec<Request>>, stop: &AtomicBool, handler: &Handler) {
    // A TLS handshake or garbage is not a request: the connection is just closed.
    let Some(request) = read_request(&stream) else { return };
    let n = {
        let mut seen = seen.lock().unwrap();
        seen.push(request.clone());
        seen.len() - 1
    };
    let head = |status: u16, length: usize, extra: &[(String, String)]| {
        let mut head =
            format!("HTTP/1.1 {status} {}\r\nContent-Length: {length}\r\nConnection: close\r\n", reason(status));
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head + "\r\n"
    };
    match handler(&request, n) {
        Reply::Full { status, headers, body } => {
            let _ = stream.write_all(head(status, body.len(), &headers).as_bytes());
            let _ = stream.write_all(&body);
        }
        Reply::Truncated { status, declared, headers, body } => {
            let _ = stream.write_all(head(status, declared, &headers).as_bytes());
            let _ = stream.write_all(&body);
        }
        Reply::Stall { declared } => {
            let _ = stream.write_all(head(200, declared, &[]).as_bytes());
            let _ = stream.flush();
            wait_for_hang_up(&mut stream, stop);
        }
        Reply::Silent => wait_for_hang_up(&mut stream, stop),
        Reply::Trickle { declared, every } => {
            let _ = stream.write_all(head(200, declared, &[]).as_bytes());
            let deadline = Instant::now() + Duration::from_secs(60);
            for _ in 0..declared {
                if stop.load(Ordering::SeqCst) || Instant::now() > deadline || stream.write_all(b"{").is_err() {
                    break;
                }
                let _ = stream.flush();
                // Sleep in short steps, so the end of the test is noticed.
                let next = Instant::now() + every;
                while Instant::now() < next && !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10).min(every));
                }
            }
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

/// Says nothing until the client hangs up, the test ends, or a minute has passed.
fn wait_for_hang_up(stream: &mut TcpStream, stop: &AtomicBool) {
    stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut byte = [0u8; 1];
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        match stream.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    // 0x16 opens a TLS handshake (a client trying HTTPS first): hang up at once.
    let mut first = [0u8; 1];
    if stream.peek(&mut first).ok()? == 0 || first[0] == 0x16 {
        return None;
    }
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let at = Instant::now();
    let length: usize =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(Request { method, path, headers, body, at })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
