//! Registries for the registry client's tests: CNCF distribution (`docker-registry`)
//! on 127.0.0.1 (plain HTTP, TLS with a CA made by `openssl` for the test, TLS with
//! htpasswd Basic auth), images pushed with `skopeo` or the blob upload API, and
//! [`fake::FakeRegistry`], a scripted HTTP server for what a real registry will not do
//! on demand (bearer tokens, failures, stalls).
#![allow(dead_code)]

pub mod counting_proxy;
pub mod fake;
pub mod fake_catalog;
pub mod lab;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use customs::image::digest::Digest;

use crate::common::tools;
use tempfile::TempDir;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// `../shared/images/debian-bookworm.oci.tar` and what its README says about it.
pub fn debian_archive() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    [crate_dir.join("../shared"), crate_dir.join("../../shared")]
        .into_iter()
        .find(|dir| dir.is_dir())
        .expect("../shared is missing: the tests read images from it")
        .join("images/debian-bookworm.oci.tar")
}
/// An OCI layout `dir/layout` holding the shared Debian image as `bookworm` and, tagged
/// `tag`, bookworm plus one layer (`layer_tar`, uncompressed), added by umoci the way
/// an image build adds one: no base annotation.
pub fn debian_plus_layer(dir: &Path, tag: &str, layer_tar: &[u8]) -> PathBuf {
    let run = |program: &str, args: &[&str]| {
        tools::run(program, args);
    };
    let layout = dir.join("layout");
    let bookworm = format!("{}:bookworm", layout.display());
    if !layout.join("index.json").exists() {
        let source = format!("oci-archive:{}:bookworm", debian_archive().display());
        run("skopeo", &["copy", "-q", &source, &format!("oci:{bookworm}")]);
    }
    let layer = dir.join(format!("{tag}-layer.tar"));
    std::fs::write(&layer, layer_tar).unwrap();
    run("umoci", &["raw", "add-layer", "--image", &bookworm, "--tag", tag, layer.to_str().unwrap()]);
    layout
}

/// A tar with one small file.
pub fn layer_tar(name: &str, content: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    builder.append_data(&mut header, name, content).unwrap();
    builder.into_inner().unwrap()
}

pub const DEBIAN_MANIFEST: &str = "sha256:c6491d915028ac76ad7f528562ad372dc09d20e486d12fa2e301c21aed300d18";
pub const DEBIAN_CONFIG: &str = "sha256:88256b30a688c19db944d44fdbcbfbd2274a5e06dc16ac8adc40bcf233e9090f";
pub const DEBIAN_LAYER: &str = "sha256:aa8237be577c09ba4fd7ecea7e09cedc81f1a8eeaf38d69cb95d70f743b8875c";
pub const DEBIAN_LAYER_SIZE: u64 = 51_122_763;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Http,
    Tls,
    /// TLS and htpasswd Basic auth for [`USER`] / [`PASSWORD`].
    TlsAuth,
}

pub const USER: &str = "customs";
pub const PASSWORD: &str = "s3cret-Pa55word";

/// A running `docker-registry`, killed (and its storage deleted) when dropped.
pub struct Registry {
    pub port: u16,
    pub kind: Kind,
    dir: TempDir,
    child: Child,
}

impl Registry {
    pub fn start(kind: Kind) -> Registry {
        let dir = tempfile::tempdir().expect("temp dir");
        if kind != Kind::Http {
            make_certificates(dir.path());
        }
        if kind == Kind::TlsAuth {
            let out = tools::output(Command::new("htpasswd").args(["-Bbn", USER, PASSWORD]));
            assert!(out.status.success(), "htpasswd: {}", String::from_utf8_lossy(&out.stderr));
            std::fs::write(dir.path().join("htpasswd"), out.stdout).unwrap();
        }
        // The port is free when chosen but may be taken before the registry binds it.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let config = dir.path().join("config.yml");
            std::fs::write(&config, registry_config(dir.path(), port, kind)).unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let mut child = tools::spawn(
                Command::new("docker-registry")
                    .arg("serve")
                    .arg(&config)
                    .stdin(Stdio::null())
                    .stdout(log.try_clone().unwrap())
                    .stderr(log),
            );
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // exited: most likely the port was taken; try another
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Registry { port, kind, dir, child };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("docker-registry did not start: {}", self_log(dir.path()));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("docker-registry did not start on any port: {}", self_log(dir.path()));
    }

    /// `127.0.0.1:PORT`
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn ca_cert(&self) -> PathBuf {
        self.dir.path().join("certs.d/ca.crt")
    }

    /// A scratch directory that lives as long as the registry.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    /// Where the registry keeps a blob on disk.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        self.dir.path().join("data/docker/registry/v2/blobs/sha256").join(&hex[..2]).join(hex).join("data")
    }

    fn skopeo_flags(&self, prefix: &str) -> Vec<String> {
        let mut flags = Vec::new();
        match self.kind {
            Kind::Http => flags.push(format!("--{prefix}tls-verify=false")),
            Kind::Tls | Kind::TlsAuth => {
                flags.push(format!("--{prefix}cert-dir={}", self.dir.path().join("certs.d").display()))
            }
        }
        if self.kind == Kind::TlsAuth {
            flags.push(format!("--{prefix}creds={USER}:{PASSWORD}"));
        }
        flags
    }

    /// Pushes the shared Debian image as `repo:tag` with skopeo.
    pub fn push_debian(&self, repo_tag: &str) {
        let tmp = self.scratch("skopeo-tmp");
        let out = tools::output(
            Command::new("skopeo")
                .args(["--insecure-policy", "copy", "--quiet"])
                .arg(format!("--tmpdir={}", tmp.display()))
                .args(self.skopeo_flags("dest-"))
                .arg(format!("oci-archive:{}:bookworm", debian_archive().display()))
                .arg(format!("docker://{}/{repo_tag}", self.host()))
                .env("REGISTRY_AUTH_FILE", tmp.join("auth.json")),
        );
        assert!(out.status.success(), "skopeo copy failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// The manifest digest skopeo reports for `repo:tag`.
    pub fn skopeo_digest(&self, repo_tag: &str) -> String {
        let out = tools::output(
            Command::new("skopeo")
                .args(["--insecure-policy", "inspect", "--format", "{{.Digest}}"])
                .args(self.skopeo_flags(""))
                .arg(format!("docker://{}/{repo_tag}", self.host()))
                .env("REGISTRY_AUTH_FILE", self.scratch("skopeo-tmp").join("auth.json")),
        );
        assert!(out.status.success(), "skopeo inspect failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn url(&self, path: &str) -> String {
        let scheme = if self.kind == Kind::Http { "http" } else { "https" };
        format!("{scheme}://{}{path}", self.host())
    }

    /// A client for pushing: trusts the test CA, logs in when the registry wants it.
    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::blocking::RequestBuilder {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none());
        if self.kind != Kind::Http {
            let pem = std::fs::read(self.ca_cert()).unwrap();
            builder = builder.tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).unwrap());
        }
        let request = builder.build().unwrap().request(method, url);
        if self.kind == Kind::TlsAuth {
            request.basic_auth(USER, Some(PASSWORD))
        } else {
            request
        }
    }

    /// Uploads a blob (monolithic upload: POST, then PUT with the digest).
    pub fn upload_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = Digest::sha256_of(bytes).to_string();
        let start =
            self.request(reqwest::Method::POST, &self.url(&format!("/v2/{repo}/blobs/uploads/"))).send().unwrap();
        assert_eq!(start.status().as_u16(), 202, "upload start: {:?}", start.text());
        let location = start.headers()["location"].to_str().unwrap().to_string();
        let mut url = reqwest::Url::parse(&self.url("/")).unwrap().join(&location).unwrap();
        url.query_pairs_mut().append_pair("digest", &digest);
        let done = self.request(reqwest::Method::PUT, url.as_str()).body(bytes.to_vec()).send().unwrap();
        assert_eq!(done.status().as_u16(), 201, "upload: {:?}", done.text());
        digest
    }

    /// PUTs a manifest or index; returns its digest.
    pub fn put_manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) -> String {
        let url = self.url(&format!("/v2/{repo}/manifests/{reference}"));
        let response = self
            .request(reqwest::Method::PUT, &url)
            .header("content-type", media_type)
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "manifest PUT: {:?}", response.text());
        Digest::sha256_of(bytes).to_string()
    }

    /// PUTs a cosign signature manifest at `sha256-<hex>.sig` of `repo`, as `cosign sign`
    /// stores it: one simple-signing layer per `(payload, annotations)` (the signature,
    /// and for keyless the certificate, chain and Rekor bundle, are annotations).
    /// Returns the tag.
    pub fn put_cosign_signatures(
        &self,
        repo: &str,
        image_digest: &str,
        layers: &[(&[u8], serde_json::Value)],
    ) -> String {
        let config = b"{}";
        let config_digest = self.upload_blob(repo, config);
        let layers: Vec<serde_json::Value> = layers
            .iter()
            .map(|(payload, annotations)| {
                serde_json::json!({
                    "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                    "digest": self.upload_blob(repo, payload),
                    "size": payload.len(),
                    "annotations": annotations,
                })
            })
            .collect();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
            "layers": layers,
        }))
        .unwrap();
        let tag = format!("{}.sig", image_digest.replacen(':', "-", 1));
        self.put_manifest(repo, &tag, OCI_MANIFEST, &manifest);
        tag
    }

    /// Pushes a one-layer image for `architecture` (`arm64/v8` style) as `repo:tag`.
    pub fn push_tiny(&self, repo: &str, tag: &str, platform: &str) -> TinyImage {
        let image = TinyImage::new(platform);
        self.upload_blob(repo, &image.config);
        self.upload_blob(repo, &image.layer);
        let digest = self.put_manifest(repo, tag, OCI_MANIFEST, &image.manifest);
        assert_eq!(digest, image.manifest_digest);
        image
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn self_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("registry.log")).unwrap_or_default()
}

fn registry_config(dir: &Path, port: u16, kind: Kind) -> String {
    let mut config = format!(
        "version: 0.1\n\
         log:\n  level: error\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n\
         health:\n  storagedriver:\n    enabled: false\n\
         http:\n  addr: 127.0.0.1:{port}\n",
        data = dir.join("data").display()
    );
    if kind != Kind::Http {
        config.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            dir.join("server.crt").display(),
            dir.join("server.key").display()
        ));
    }
    if kind == Kind::TlsAuth {
        config.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: customs-test\n    path: {}\n",
            dir.join("htpasswd").display()
        ));
    }
    config
}

/// A CA (`certs.d/ca.crt`, where skopeo's `--cert-dir` looks) and a server certificate
/// for 127.0.0.1 signed by it.
fn make_certificates(dir: &Path) {
    std::fs::create_dir_all(dir.join("certs.d")).unwrap();
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    let steps = [
        format!(
            "req -x509 {key} -days 2 -subj /CN=customs-test-CA -keyout ca.key -out certs.d/ca.crt \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
        ),
        format!("req {key} -subj /CN=127.0.0.1 -keyout server.key -out server.csr"),
        "x509 -req -in server.csr -CA certs.d/ca.crt -CAkey ca.key -CAcreateserial -days 2 -out server.crt \
         -extfile server.ext"
            .to_string(),
    ];
    for step in steps {
        let args: Vec<&str> = step.split_whitespace().collect();
        let out = tools::output(Command::new("openssl").args(&args).current_dir(dir));
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// An OCI 1.1 artifact manifest (a signature bundle, an SBOM) with one layer of
/// `artifact_type`, referring to the image `subject` = (digest, manifest size).
pub fn artifact_manifest(artifact_type: &str, layer: (&str, usize), subject: (&str, usize)) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            // sha256 of `{}`, the empty descriptor's content.
            "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            "size": 2,
        },
        "layers": [{"mediaType": artifact_type, "digest": layer.0, "size": layer.1}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject.0, "size": subject.1},
    }))
    .unwrap()
}

/// The index a referrers list (or its fallback tag) is: `(digest, size, artifact type)`.
pub fn referrers_index(entries: &[(String, usize, &str)]) -> Vec<u8> {
    let manifests: Vec<_> = entries
        .iter()
        .map(|(digest, size, kind)| {
            serde_json::json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": size, "artifactType": kind})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}))
        .unwrap()
}

/// A one-layer image built in memory: a gzip tar with one file, its config and manifest.
pub struct TinyImage {
    pub layer: Vec<u8>,
    pub layer_digest: String,
    pub diff_id: String,
    pub config: Vec<u8>,
    pub config_digest: String,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
}

impl TinyImage {
    /// `platform` is `arch` or `arch/variant` (the OS is linux).
    pub fn new(platform: &str) -> TinyImage {
        let (architecture, variant) = match platform.split_once('/') {
            Some((a, v)) => (a, Some(v)),
            None => (platform, None),
        };
        let mut tar = tar::Builder::new(Vec::new());
        let content = format!("tiny image for {platform}\n");
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "etc/tiny-release", content.as_bytes()).unwrap();
        let tar = tar.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let layer = gz.finish().unwrap();
        let diff_id = Digest::sha256_of(&tar).to_string();
        let mut config = serde_json::json!({
            "architecture": architecture,
            "os": "linux",
            "config": {"Labels": {"org.example.tiny": platform}},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        });
        if let Some(variant) = variant {
            config["variant"] = variant.into();
        }
        let config = serde_json::to_vec(&config).unwrap();
        let layer_digest = Digest::sha256_of(&layer).to_string();
        let config_digest = Digest::sha256_of(&config).to_string();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": layer_digest, "size": layer.len()}],
            "annotations": {"org.opencontainers.image.title": "tiny"},
        }))
        .unwrap();
        let manifest_digest = Digest::sha256_of(&manifest).to_string();
        TinyImage { layer, layer_digest, diff_id, config, config_digest, manifest, manifest_digest }
    }
}
