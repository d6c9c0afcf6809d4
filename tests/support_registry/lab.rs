//! [`Lab`]: a registry full of small synthetic images for the registry sweep's tests
//! (`customs registry scan | rematch | report`), pushed with the blob upload API into a
//! running `docker-registry`, and everything the tests need to know about them: which
//! tags point where, which layers exist, which findings each image must have.
//!
//! The lab holds 34 repositories:
//! - 32 ordinary ones (`team-a/*`, `team-b/svc-NN`, `team-c/job-NN`, `library/*`), each
//!   a shared base layer (Debian-like or Alpine-like) plus an application layer of its
//!   own (`requirements.txt` on Debian, `package-lock.json` on Alpine), tagged `latest`,
//!   some also `1.0.0` (the same image) or `0.9.0` (an older image);
//! - [`MULTI_REPO`], whose `latest` and `1.0.0` are an OCI index for linux/amd64 and
//!   linux/arm64 (different layers);
//! - [`BIG_REPO`], 55 tags (35 semver, 20 not, no `latest`), one image each.
//!
//! Layers are a few hundred bytes, so the whole lab is pushed in a few seconds.

pub mod images;
pub mod sweep;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use customs::image::digest::Digest;

pub use images::*;

use super::{Kind, Registry, OCI_INDEX, OCI_MANIFEST};

/// The repository whose tags are a multi-platform index.
pub const MULTI_REPO: &str = "multi/app";
/// The repository with 55 tags and no `latest`.
pub const BIG_REPO: &str = "big/versions";
/// The newest semver tag of [`BIG_REPO`] (2.10.1 > 2.9.0, though not as text).
pub const BIG_NEWEST_SEMVER: &str = "2.10.1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Debian,
    Alpine,
}

/// A tag as pushed: the digest is the manifest's, or the index's for [`MULTI_REPO`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PushedTag {
    pub repo: String,
    pub tag: String,
    pub digest: String,
}

/// One platform image of one repository.
#[derive(Debug, Clone)]
pub struct LabImage {
    pub repo: String,
    pub digest: String,
    /// The index it belongs to, for [`MULTI_REPO`].
    pub index_digest: Option<String>,
    /// `linux/amd64`
    pub platform: String,
    pub config_digest: String,
    /// `(digest, compressed size)`, bottom first.
    pub layers: Vec<(String, u64)>,
    pub packages: Vec<Pkg>,
}

/// A platform image as a sweep report must list it, for the tags a run selected.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedImage {
    pub repo: String,
    /// Sorted.
    pub tags: Vec<String>,
    pub digest: String,
    pub index_digest: Option<String>,
    pub platform: String,
}

pub struct Lab {
    pub registry: Registry,
    pusher: Pusher,
    flavours: BTreeMap<String, Flavour>,
    tags: Vec<PushedTag>,
    images: Vec<LabImage>,
    debian: Arc<Layer>,
    alpine: Arc<Layer>,
    /// `(repo, digest)` of blobs uploaded or planned.
    uploaded: BTreeSet<(String, String)>,
    /// What is still to push, per repository, in order.
    pending: BTreeMap<String, Vec<Push>>,
}

/// The ordinary repositories, in the order their index decides their content.
pub fn ordinary_repos() -> Vec<String> {
    let mut repos: Vec<String> =
        ["team-a/api", "team-a/web", "team-a/worker", "team-a/old-api", "team-a/old-web"].map(String::from).to_vec();
    repos.extend((1..=12).map(|n| format!("team-b/svc-{n:02}")));
    repos.extend((1..=12).map(|n| format!("team-c/job-{n:02}")));
    repos.extend(["library/base-debian", "library/base-alpine", "library/tools"].map(String::from));
    repos
}

/// The tags of [`BIG_REPO`]: 35 semver (`1.0.0`…`2.10.1`), 20 other.
pub fn big_repo_tags() -> Vec<String> {
    let mut tags = Vec::new();
    for (major, minor) in [(1, 0), (1, 1), (2, 0)] {
        tags.extend((0..10).map(|patch| format!("{major}.{minor}.{patch}")));
    }
    tags.extend(["1.9.0", "1.10.0", "2.9.0", "2.10.0", "2.10.1"].map(String::from));
    tags.extend((1..=12).map(|n| format!("nightly-{n:02}")));
    tags.extend(["main", "dev", "stable", "edge", "sha-0a1b2c3", "20240101", "20240102", "build-99"].map(String::from));
    tags
}

fn pair(name: &str, version: &str) -> (String, String) {
    (name.to_string(), version.to_string())
}

impl Lab {
    /// A plain-HTTP `docker-registry` with the whole lab pushed.
    pub fn start() -> Lab {
        Lab::build(Registry::start(Kind::Http))
    }

    /// Pushes the lab into `registry` (a plain-HTTP one).
    pub fn build(registry: Registry) -> Lab {
        assert!(registry.kind == Kind::Http, "the lab pushes over plain HTTP");
        let mut lab = Lab {
            pusher: Pusher::new(&registry.host()),
            registry,
            flavours: BTreeMap::new(),
            tags: Vec::new(),
            images: Vec::new(),
            debian: Arc::new(debian_base("amd64")),
            alpine: Arc::new(alpine_base()),
            uploaded: BTreeSet::new(),
            pending: BTreeMap::new(),
        };
        for (i, repo) in ordinary_repos().iter().enumerate() {
            lab.push_ordinary(i, repo);
        }
        lab.push_multi();
        lab.push_big();
        lab.flush();
        lab
    }

    fn push_ordinary(&mut self, i: usize, repo: &str) {
        let flavour = match repo {
            "library/base-debian" => Flavour::Debian,
            "library/base-alpine" => Flavour::Alpine,
            _ if i.is_multiple_of(2) => Flavour::Debian,
            _ => Flavour::Alpine,
        };
        self.flavours.insert(repo.to_string(), flavour);
        let slug = repo.replace('/', "-");
        let (base, app, old_app) = match flavour {
            Flavour::Debian => {
                let mut requirements = vec![
                    pair("lab-common", "1.0.0"),
                    pair("lab-legacy", "2.0.0"),
                    pair(&format!("lab-{slug}"), &format!("1.{i}.0")),
                ];
                if i.is_multiple_of(6) {
                    requirements.push(pair("lab-rare", "1.0.0"));
                }
                let old = [pair("lab-common", "1.0.0"), pair("lab-legacy", "1.5.0")];
                (self.debian.clone(), python_app(repo, &requirements), python_app(&format!("{repo} 0.9"), &old))
            }
            Flavour::Alpine => {
                let dependencies =
                    [pair("lab-npm-common", "1.2.0"), pair(&format!("lab-npm-{slug}"), &format!("2.{i}.0"))];
                let old = [pair("lab-npm-common", "1.1.0")];
                (self.alpine.clone(), npm_app(repo, &dependencies), npm_app(&format!("{repo}-0.9"), &old))
            }
        };
        let latest = Image::new("amd64", vec![base.clone(), Arc::new(app)], &format!("{repo}:latest"));
        let mut tags = vec!["latest"];
        if i.is_multiple_of(3) {
            tags.push("1.0.0");
        }
        self.push_image(repo, &tags, &latest);
        if i % 4 == 1 {
            let old = Image::new("amd64", vec![base, Arc::new(old_app)], &format!("{repo}:0.9.0"));
            self.push_image(repo, &["0.9.0"], &old);
        }
    }

    fn push_multi(&mut self) {
        self.flavours.insert(MULTI_REPO.to_string(), Flavour::Debian);
        let requirements = [pair("lab-common", "1.0.0"), pair("lab-rare", "1.0.0")];
        let amd64 = Image::new(
            "amd64",
            vec![self.debian.clone(), Arc::new(python_app("multi amd64", &requirements))],
            "multi/app amd64",
        );
        let arm64 = Image::new(
            "arm64",
            vec![Arc::new(debian_base("arm64")), Arc::new(python_app("multi arm64", &[pair("lab-legacy", "1.5.0")]))],
            "multi/app arm64",
        );
        let index = Index::new(vec![amd64, arm64]);
        for image in &index.images {
            self.plan_blobs(MULTI_REPO, image);
            self.plan(MULTI_REPO, Push::Manifest(image.digest.clone(), OCI_MANIFEST, image.manifest.clone()));
            self.images.push(lab_image(MULTI_REPO, image, Some(&index.digest)));
        }
        for tag in ["latest", "1.0.0"] {
            self.plan(MULTI_REPO, Push::Manifest(tag.into(), OCI_INDEX, index.bytes.clone()));
            self.tags.push(PushedTag { repo: MULTI_REPO.into(), tag: tag.into(), digest: index.digest.clone() });
        }
    }

    fn push_big(&mut self) {
        self.flavours.insert(BIG_REPO.to_string(), Flavour::Alpine);
        for tag in big_repo_tags() {
            let marker = Arc::new(marker_layer(&format!("{BIG_REPO}:{tag}")));
            let image = Image::new("amd64", vec![self.alpine.clone(), marker], &format!("{BIG_REPO}:{tag}"));
            self.push_image(BIG_REPO, &[&tag], &image);
        }
    }

    fn plan(&mut self, repo: &str, push: Push) {
        self.pending.entry(repo.to_string()).or_default().push(push);
    }

    /// Plans the uploads of the config and layers `repo` does not have yet.
    fn plan_blobs(&mut self, repo: &str, image: &Image) {
        let blobs = std::iter::once((image.config_digest.clone(), &image.config))
            .chain(image.layers.iter().map(|l| (l.digest.clone(), &l.bytes)));
        for (digest, bytes) in blobs {
            if self.uploaded.insert((repo.to_string(), digest.clone())) {
                self.pending.entry(repo.to_string()).or_default().push(Push::Blob(digest, bytes.clone()));
            }
        }
    }

    /// Plans `image` as `repo:tag` for every tag.
    fn push_image(&mut self, repo: &str, tags: &[&str], image: &Image) {
        self.plan_blobs(repo, image);
        for tag in tags {
            self.plan(repo, Push::Manifest(tag.to_string(), OCI_MANIFEST, image.manifest.clone()));
            self.tags.push(PushedTag { repo: repo.into(), tag: tag.to_string(), digest: image.digest.clone() });
        }
        self.images.push(lab_image(repo, image, None));
    }

    /// Pushes everything planned: repositories in parallel (the registry spends its
    /// time syncing files, so this is several times faster), each in order.
    fn flush(&mut self) {
        let queue = Mutex::new(std::mem::take(&mut self.pending).into_iter().collect::<Vec<_>>());
        let pusher = &self.pusher;
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| loop {
                    let Some((repo, pushes)) = queue.lock().unwrap().pop() else { return };
                    for push in pushes {
                        match push {
                            Push::Blob(digest, bytes) => assert_eq!(pusher.upload_blob(&repo, &bytes), digest),
                            Push::Manifest(reference, media_type, bytes) => {
                                pusher.put_manifest(&repo, &reference, media_type, &bytes);
                            }
                        }
                    }
                });
            }
        });
    }

    /// Pushes `repo:tag`, a new image: the repository's base plus one new layer.
    pub fn push_new_tag(&mut self, repo: &str, tag: &str) -> LabImage {
        let flavour = *self.flavours.get(repo).unwrap_or_else(|| panic!("{repo} is not a lab repository"));
        let base = match flavour {
            Flavour::Debian => self.debian.clone(),
            Flavour::Alpine => self.alpine.clone(),
        };
        let marker = Arc::new(marker_layer(&format!("{repo}:{tag} (new)")));
        let image = Image::new("amd64", vec![base, marker], &format!("{repo}:{tag} (new)"));
        self.tags.retain(|t| !(t.repo == repo && t.tag == tag));
        self.push_image(repo, &[tag], &image);
        self.flush();
        self.images.last().unwrap().clone()
    }

    /// `127.0.0.1:PORT` of the registry itself.
    pub fn host(&self) -> String {
        self.registry.host()
    }

    /// Every repository, sorted.
    pub fn repositories(&self) -> Vec<String> {
        self.flavours.keys().cloned().collect()
    }

    pub fn tags(&self) -> &[PushedTag] {
        &self.tags
    }

    /// The tags of `repo`, sorted.
    pub fn tags_of(&self, repo: &str) -> Vec<String> {
        let tags: BTreeSet<&str> = self.tags.iter().filter(|t| t.repo == repo).map(|t| t.tag.as_str()).collect();
        tags.into_iter().map(String::from).collect()
    }

    /// `(repo, tag, digest)` of every tag pushed.
    pub fn images(&self) -> Vec<(String, String, String)> {
        self.tags.iter().map(|t| (t.repo.clone(), t.tag.clone(), t.digest.clone())).collect()
    }

    /// Every platform image of every repository.
    pub fn platform_images(&self) -> &[LabImage] {
        &self.images
    }

    /// The platform image `digest` of `repo`.
    pub fn image(&self, repo: &str, digest: &str) -> &LabImage {
        self.images
            .iter()
            .find(|i| i.repo == repo && i.digest == digest)
            .unwrap_or_else(|| panic!("no lab image {repo}@{digest}"))
    }

    /// The platform images `repo:tag` reaches.
    pub fn images_of_tag(&self, repo: &str, tag: &str) -> Vec<&LabImage> {
        let pushed = self.tags.iter().find(|t| t.repo == repo && t.tag == tag).expect("a pushed tag");
        self.images
            .iter()
            .filter(|i| {
                i.repo == repo && (i.digest == pushed.digest || i.index_digest.as_deref() == Some(&pushed.digest))
            })
            .collect()
    }

    /// The digests of every layer blob pushed (configs not included).
    pub fn distinct_layers(&self) -> BTreeSet<String> {
        self.images.iter().flat_map(|i| i.layers.iter().map(|(d, _)| d.clone())).collect()
    }

    /// The compressed size of a layer.
    pub fn layer_size(&self, digest: &str) -> u64 {
        self.images.iter().flat_map(|i| &i.layers).find(|(d, _)| d == digest).map(|(_, s)| *s).expect("a lab layer")
    }

    /// Writes the lab's OSV advisories ([`ADVISORIES`]) into `dir`.
    pub fn write_advisories(&self, dir: &Path) {
        write_advisories(dir);
    }

    /// Writes [`EXTRA_ADVISORY`] into `dir`; returns its id.
    pub fn extra_advisory(&self, dir: &Path) -> &'static str {
        EXTRA_ADVISORY.write(dir);
        EXTRA_ADVISORY.id
    }

    /// What a report lists for the `selected` tags: one entry per platform image per
    /// repository, with the selected tags that reach it.
    pub fn expected_images(&self, selected: &[(String, String)]) -> Vec<ExpectedImage> {
        let mut by_image: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for (repo, tag) in selected {
            for image in self.images_of_tag(repo, tag) {
                by_image.entry((repo.clone(), image.digest.clone())).or_default().insert(tag.clone());
            }
        }
        let mut expected: Vec<ExpectedImage> = by_image
            .into_iter()
            .map(|((repo, digest), tags)| {
                let image = self.image(&repo, &digest);
                ExpectedImage {
                    repo,
                    tags: tags.into_iter().collect(),
                    digest,
                    index_digest: image.index_digest.clone(),
                    platform: image.platform.clone(),
                }
            })
            .collect();
        expected.sort();
        expected
    }

    /// Every `(repo, tag)` pushed.
    pub fn all_tags(&self) -> Vec<(String, String)> {
        self.tags.iter().map(|t| (t.repo.clone(), t.tag.clone())).collect()
    }

    /// What the default `--tags latest` selects: `latest` where there is one, else the
    /// newest semver tag.
    pub fn default_tags(&self) -> Vec<(String, String)> {
        self.repositories()
            .into_iter()
            .map(|repo| {
                let tag = if self.tags_of(&repo).iter().any(|t| t == "latest") {
                    "latest".to_string()
                } else {
                    newest_semver(&self.tags_of(&repo), 1).pop().expect("a semver tag")
                };
                (repo, tag)
            })
            .collect()
    }

    /// The findings `image` must have under [`ADVISORIES`] (and [`EXTRA_ADVISORY`] too
    /// when `with_extra`).
    pub fn expected_findings(&self, image: &LabImage, with_extra: bool) -> BTreeSet<FindingKey> {
        let mut advisories = ADVISORIES.to_vec();
        if with_extra {
            advisories.push(EXTRA_ADVISORY);
        }
        findings_of(&image.packages, &advisories)
    }
}

/// One step of pushing a repository.
enum Push {
    /// `(digest, bytes)`
    Blob(String, Vec<u8>),
    /// `(tag or digest, media type, bytes)`
    Manifest(String, &'static str, Vec<u8>),
}

/// Pushes over one keep-alive client (a client per request, as the registry helpers
/// make them, costs tens of milliseconds each: too slow for hundreds of blobs).
struct Pusher {
    client: reqwest::blocking::Client,
    base: String,
}

impl Pusher {
    fn new(host: &str) -> Pusher {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Pusher { client, base: format!("http://{host}") }
    }

    /// A monolithic upload (POST, then PUT with the digest); returns the digest.
    fn upload_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = Digest::sha256_of(bytes).to_string();
        let start = self.client.post(format!("{}/v2/{repo}/blobs/uploads/", self.base)).send().unwrap();
        assert_eq!(start.status().as_u16(), 202, "upload start: {:?}", start.text());
        let location = start.headers()["location"].to_str().unwrap().to_string();
        let mut url = reqwest::Url::parse(&self.base).unwrap().join(&location).unwrap();
        url.query_pairs_mut().append_pair("digest", &digest);
        let done = self.client.put(url).body(bytes.to_vec()).send().unwrap();
        assert_eq!(done.status().as_u16(), 201, "upload: {:?}", done.text());
        digest
    }

    /// PUTs a manifest or index; returns its digest.
    fn put_manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) -> String {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let response = self.client.put(url).header("content-type", media_type).body(bytes.to_vec()).send().unwrap();
        assert_eq!(response.status().as_u16(), 201, "manifest PUT: {:?}", response.text());
        Digest::sha256_of(bytes).to_string()
    }
}

/// The lab's record of `image` pushed into `repo`.
pub fn lab_image(repo: &str, image: &Image, index_digest: Option<&str>) -> LabImage {
    LabImage {
        repo: repo.to_string(),
        digest: image.digest.clone(),
        index_digest: index_digest.map(String::from),
        platform: image.platform.clone(),
        config_digest: image.config_digest.clone(),
        layers: image.layers.iter().map(|l| (l.digest.clone(), l.size())).collect(),
        packages: image.packages(),
    }
}

/// `MAJOR.MINOR.PATCH`, digits only (no `v`, no pre-release): what the tests call semver.
pub fn parse_semver(tag: &str) -> Option<(u64, u64, u64)> {
    let mut parts = tag.split('.');
    let mut number = || -> Option<u64> {
        let part = parts.next()?;
        (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())).then(|| part.parse().ok()).flatten()
    };
    let version = (number()?, number()?, number()?);
    parts.next().is_none().then_some(version)
}

/// The `n` newest semver tags of `tags`, newest first.
pub fn newest_semver(tags: &[String], n: usize) -> Vec<String> {
    let mut semver: Vec<(_, &String)> = tags.iter().filter_map(|t| parse_semver(t).map(|v| (v, t))).collect();
    semver.sort();
    semver.into_iter().rev().take(n).map(|(_, t)| t.clone()).collect()
}
