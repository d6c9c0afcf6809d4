//! [`FakeCatalog`]: the scripted registry ([`FakeRegistry`]) serving a few repositories
//! of lab images (a catalog, tag lists, manifests, blobs), where any repository can be
//! made to fail one way at any time (401, 429 with Retry-After, 500, a corrupt or stalled
//! layer) and the catalog can be refused: what the sweep's fault tests need and a real
//! registry will not do on demand. Also [`Hook`], a receiver for `--notify`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::counting_proxy::Route;
use super::fake::{FakeRegistry, Reply, Request};
use super::lab::{alpine_base, debian_base, lab_image, npm_app, python_app, Flavour, Image, LabImage};

/// How one repository misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every request about it: 401 `UNAUTHORIZED` with a Basic challenge.
    Unauthorized,
    /// Every request about it: 429 `TOOMANYREQUESTS`, `Retry-After: 1`.
    RateLimited,
    /// Every request about it: 500 `UNKNOWN`.
    ServerError,
    /// Its own (top) layer is served with its bytes changed: the digest does not match.
    CorruptLayer,
    /// Its own (top) layer: headers for the whole body, then nothing.
    StalledLayer,
}

/// How the catalog answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogMode {
    /// Lists the repositories (paginated by `n` and `last`, with a relative `Link`).
    Listed,
    /// 401 `UNAUTHORIZED` (the catalog needs rights the user lacks).
    Unauthorized,
    /// 404 `UNSUPPORTED` (a registry without a catalog).
    Unsupported,
}

#[derive(Default)]
struct Content {
    /// repo → tag → manifest digest
    tags: BTreeMap<String, BTreeMap<String, String>>,
    manifests: HashMap<String, Vec<u8>>,
    blobs: HashMap<String, Vec<u8>>,
    /// repo → the digest of its own top layer
    top_layers: HashMap<String, String>,
}

struct State {
    faults: HashMap<String, Fault>,
    catalog: CatalogMode,
}

/// The scripted registry; every repository has one tag, `latest`.
pub struct FakeCatalog {
    pub server: FakeRegistry,
    /// What each repository's `latest` is.
    pub images: BTreeMap<String, LabImage>,
    state: Arc<Mutex<State>>,
}

/// The image of a fake repository: the flavour's base plus an application layer of its
/// own (the same packages as the lab's ordinary repositories).
fn image_for(repo: &str, flavour: Flavour) -> Image {
    let slug = repo.replace('/', "-");
    let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
    match flavour {
        Flavour::Debian => {
            let requirements = [pair("lab-common", "1.0.0"), pair(&format!("lab-{slug}"), "1.0.0")];
            Image::new("amd64", vec![Arc::new(debian_base("amd64")), Arc::new(python_app(repo, &requirements))], repo)
        }
        Flavour::Alpine => {
            let dependencies = [pair("lab-npm-common", "1.2.0"), pair(&format!("lab-npm-{slug}"), "1.0.0")];
            Image::new("amd64", vec![Arc::new(alpine_base()), Arc::new(npm_app(repo, &dependencies))], repo)
        }
    }
}

fn error_body(code: &str, message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"errors": [{"code": code, "message": message, "detail": null}]})).unwrap()
}

fn json_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::status(status).with_header("Content-Type", "application/json").with_body(&error_body(code, message))
}

fn unauthorized() -> Reply {
    json_error(401, "UNAUTHORIZED", "authentication required")
        .with_header("WWW-Authenticate", r#"Basic realm="fake-catalog""#)
}

/// A body, or for HEAD its headers only.
fn served(request: &Request, content_type: &str, body: &[u8], digest: &str) -> Reply {
    let headers = vec![
        ("Content-Type".to_string(), content_type.to_string()),
        ("Docker-Content-Digest".to_string(), digest.to_string()),
    ];
    if request.method == "HEAD" {
        Reply::Truncated { status: 200, declared: body.len(), headers, body: Vec::new() }
    } else {
        Reply::status(200).with_headers(&headers).with_body(body)
    }
}

fn query_value(target: &str, name: &str) -> Option<String> {
    let query = target.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned())
    })
}

fn catalog(request: &Request, content: &Content, mode: CatalogMode) -> Reply {
    match mode {
        CatalogMode::Unauthorized => return unauthorized(),
        CatalogMode::Unsupported => return json_error(404, "UNSUPPORTED", "The operation is unsupported."),
        CatalogMode::Listed => {}
    }
    let last = query_value(&request.path, "last");
    let names: Vec<&String> = content.tags.keys().filter(|name| last.as_ref().is_none_or(|l| *name > l)).collect();
    let page_size = query_value(&request.path, "n").and_then(|n| n.parse().ok()).unwrap_or(usize::MAX);
    let page: Vec<&String> = names.iter().take(page_size).copied().collect();
    let mut reply =
        Reply::ok("application/json", &serde_json::to_vec(&serde_json::json!({"repositories": page})).unwrap());
    if names.len() > page.len() {
        let link = format!("</v2/_catalog?last={}&n={page_size}>; rel=\"next\"", page.last().unwrap());
        reply = reply.with_header("Link", &link);
    }
    reply
}

fn serve(request: &Request, content: &Content, state: &Mutex<State>) -> Reply {
    let route = Route::of(&request.path);
    let (faults, mode) = {
        let state = state.lock().unwrap();
        (state.faults.clone(), state.catalog)
    };
    let repo = match &route {
        Route::Ping => return Reply::ok("application/json", b"{}"),
        Route::Catalog => return catalog(request, content, mode),
        Route::Tags(repo) | Route::Manifest(repo, _) | Route::Blob(repo, _) => repo.clone(),
        Route::Upload(_) | Route::Other => return json_error(404, "UNSUPPORTED", "not in this fake"),
    };
    let Some(tags) = content.tags.get(&repo) else {
        return json_error(404, "NAME_UNKNOWN", "repository name not known to registry");
    };
    let fault = faults.get(&repo).copied();
    match fault {
        Some(Fault::Unauthorized) => return unauthorized(),
        Some(Fault::RateLimited) => {
            return json_error(429, "TOOMANYREQUESTS", "too many requests").with_header("Retry-After", "1")
        }
        Some(Fault::ServerError) => return json_error(500, "UNKNOWN", "unknown error"),
        _ => {}
    }
    match route {
        Route::Tags(_) => {
            let body = serde_json::json!({"name": repo, "tags": tags.keys().collect::<Vec<_>>()});
            Reply::ok("application/json", &serde_json::to_vec(&body).unwrap())
        }
        Route::Manifest(_, reference) => {
            let digest = tags.get(&reference).cloned().unwrap_or(reference);
            match content.manifests.get(&digest) {
                Some(manifest) => served(request, super::OCI_MANIFEST, manifest, &digest),
                None => json_error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
            }
        }
        Route::Blob(_, digest) => {
            let Some(blob) = content.blobs.get(&digest) else {
                return json_error(404, "BLOB_UNKNOWN", "blob unknown to registry");
            };
            let own_top = content.top_layers.get(&repo) == Some(&digest);
            match fault {
                Some(Fault::CorruptLayer) if own_top && request.method == "GET" => {
                    let mut corrupt = blob.clone();
                    let middle = corrupt.len() / 2;
                    corrupt[middle] ^= 0xff;
                    Reply::ok("application/octet-stream", &corrupt)
                }
                Some(Fault::StalledLayer) if own_top && request.method == "GET" => {
                    Reply::Stall { declared: blob.len() }
                }
                _ => served(request, "application/octet-stream", blob, &digest),
            }
        }
        _ => unreachable!("routes answered above"),
    }
}

impl FakeCatalog {
    /// Serves one `latest` image per repository in `repos`, all healthy.
    pub fn start(repos: &[(&str, Flavour)]) -> FakeCatalog {
        let mut served = Content::default();
        let mut images = BTreeMap::new();
        for (repo, flavour) in repos {
            let image = image_for(repo, *flavour);
            served.blobs.insert(image.config_digest.clone(), image.config.clone());
            for layer in &image.layers {
                served.blobs.insert(layer.digest.clone(), layer.bytes.clone());
            }
            served.top_layers.insert(repo.to_string(), image.layers.last().unwrap().digest.clone());
            served.manifests.insert(image.digest.clone(), image.manifest.clone());
            served.tags.entry(repo.to_string()).or_default().insert("latest".into(), image.digest.clone());
            images.insert(repo.to_string(), lab_image(repo, &image, None));
        }
        let state = Arc::new(Mutex::new(State { faults: HashMap::new(), catalog: CatalogMode::Listed }));
        let shared = state.clone();
        let server = FakeRegistry::start(move |request, _| serve(request, &served, &shared));
        FakeCatalog { server, images, state }
    }

    /// `127.0.0.1:PORT`
    pub fn host(&self) -> String {
        self.server.host()
    }

    /// Makes `repo` fail from now on (`None`: heals it).
    pub fn set_fault(&self, repo: &str, fault: Option<Fault>) {
        let mut state = self.state.lock().unwrap();
        match fault {
            Some(fault) => state.faults.insert(repo.to_string(), fault),
            None => state.faults.remove(repo),
        };
    }

    pub fn set_catalog(&self, mode: CatalogMode) {
        self.state.lock().unwrap().catalog = mode;
    }

    /// Requests whose route is the catalog, so far.
    pub fn catalog_requests(&self) -> usize {
        self.server.seen().iter().filter(|r| Route::of(&r.path) == Route::Catalog).count()
    }
}

/// A `--notify` receiver at `/hook`: answers 204 while up (and keeps what it got),
/// 503 while down.
pub struct Hook {
    pub server: FakeRegistry,
    up: Arc<AtomicBool>,
    delivered: Arc<Mutex<Vec<Request>>>,
}

impl Hook {
    pub fn start() -> Hook {
        let up = Arc::new(AtomicBool::new(true));
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let (is_up, kept) = (up.clone(), delivered.clone());
        let server = FakeRegistry::start(move |request, _| {
            if is_up.load(Ordering::SeqCst) {
                kept.lock().unwrap().push(request.clone());
                Reply::status(204)
            } else {
                Reply::status(503)
            }
        });
        Hook { server, up, delivered }
    }

    /// `http://127.0.0.1:PORT/hook`
    pub fn url(&self) -> String {
        format!("{}/hook", self.server.url())
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    /// The requests answered 204, in order.
    pub fn delivered(&self) -> Vec<Request> {
        self.delivered.lock().unwrap().clone()
    }

    /// Every request, answered or refused.
    pub fn attempts(&self) -> Vec<Request> {
        self.server.seen()
    }
}

/// `sha256=<hex of HMAC-SHA256(secret, body)>`: what `X-Customs-Signature-256` must say.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}
