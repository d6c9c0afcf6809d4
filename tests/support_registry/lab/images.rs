//! The lab's images, built in memory: small gzip layers (a Debian-like and an
//! Alpine-like base with their package databases, application layers with a
//! `requirements.txt` or `package-lock.json`), OCI configs, manifests and indexes, and
//! the OSV advisories that make some of their packages vulnerable.
//!
//! Every image knows its packages, and every advisory lists the lab versions it affects,
//! so a test knows the findings each image must have without a matcher of its own; the
//! lab's self-test checks those claims with `customs scan --image`.

use std::collections::BTreeSet;
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use customs::image::digest::Digest;
use serde_json::{json, Value};

use super::super::{OCI_CONFIG, OCI_INDEX, OCI_LAYER_GZIP, OCI_MANIFEST};

pub const DEBIAN_12: &str = "Debian:12";
pub const ALPINE_3_19: &str = "Alpine:v3.19";
pub const PYPI: &str = "PyPI";
pub const NPM: &str = "npm";

/// A package as a finding names it: the ecosystem as OSV spells it (with the release for
/// OS packages), the name (the source package's for dpkg, the origin for apk), the version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pkg {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
}

fn pkg(ecosystem: &str, name: &str, version: &str) -> Pkg {
    Pkg { ecosystem: ecosystem.into(), name: name.into(), version: version.into() }
}

/// One gzip-compressed tar layer and the packages its files declare.
#[derive(Debug)]
pub struct Layer {
    /// The compressed blob, as pushed.
    pub bytes: Vec<u8>,
    pub digest: String,
    /// The digest of the uncompressed tar (the config's `rootfs.diff_ids`).
    pub diff_id: String,
    pub packages: Vec<Pkg>,
}

impl Layer {
    /// A layer of regular files (mode 0644, time 0: the same files give the same digest).
    pub fn new(files: &[(&str, Vec<u8>)], packages: Vec<Pkg>) -> Layer {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0);
            header.set_cksum();
            tar.append_data(&mut header, path, content.as_slice()).unwrap();
        }
        let tar = tar.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let bytes = gz.finish().unwrap();
        let digest = Digest::sha256_of(&bytes).to_string();
        let diff_id = Digest::sha256_of(&tar).to_string();
        Layer { bytes, digest, diff_id, packages }
    }

    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
}

/// The Debian 12 base: os-release and a dpkg status file for `arch` (`amd64`, `arm64`;
/// the architecture is written in the stanzas, so each makes its own layer).
/// `openssl` is at a version x_LAB-DEB-0001 affects; `tar` at one x_LAB-DEB-0002 does not.
pub fn debian_base(arch: &str) -> Layer {
    let os_release = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
                      VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";
    // (binary, source, version)
    let stanzas = [
        ("base-files", None, "12.4+deb12u5"),
        ("libssl3", Some("openssl"), "3.0.11-1~deb12u2"),
        ("tar", None, "1.34+dfsg-1.2"),
        ("zlib1g", Some("zlib"), "1:1.2.13.dfsg-1"),
    ];
    let mut status = String::new();
    let mut packages = Vec::new();
    for (binary, source, version) in stanzas {
        status.push_str(&format!(
            "Package: {binary}\nStatus: install ok installed\nPriority: optional\nArchitecture: {arch}\n"
        ));
        if let Some(source) = source {
            status.push_str(&format!("Source: {source}\n"));
        }
        status.push_str(&format!("Version: {version}\nDescription: {binary} for the registry lab\n\n"));
        packages.push(pkg(DEBIAN_12, source.unwrap_or(binary), version));
    }
    Layer::new(
        &[("etc/os-release", os_release.as_bytes().to_vec()), ("var/lib/dpkg/status", status.into_bytes())],
        packages,
    )
}

/// The Alpine 3.19 base: os-release and an apk database. `busybox` is at a version
/// x_LAB-APK-0001 affects; `musl` at one x_LAB-APK-0002 does not.
pub fn alpine_base() -> Layer {
    let os_release =
        "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n".to_string();
    // (package, origin, version)
    let records =
        [("musl", "musl", "1.2.4-r2"), ("busybox", "busybox", "1.36.1-r15"), ("libcrypto3", "openssl", "3.1.4-r5")];
    let mut installed = String::new();
    let mut packages = Vec::new();
    for (name, origin, version) in records {
        installed.push_str(&format!("P:{name}\nV:{version}\nA:x86_64\no:{origin}\nT:{name} for the registry lab\n\n"));
        packages.push(pkg(ALPINE_3_19, origin, version));
    }
    Layer::new(
        &[("etc/os-release", os_release.into_bytes()), ("lib/apk/db/installed", installed.into_bytes())],
        packages,
    )
}

/// An application layer with `app/requirements.txt` pinning `requirements` (PyPI).
pub fn python_app(app: &str, requirements: &[(String, String)]) -> Layer {
    let mut text = format!("# {app}\n");
    for (name, version) in requirements {
        text.push_str(&format!("{name}=={version}\n"));
    }
    let packages = requirements.iter().map(|(n, v)| pkg(PYPI, n, v)).collect();
    Layer::new(&[("app/requirements.txt", text.into_bytes()), ("app/NAME", app.as_bytes().to_vec())], packages)
}

/// An application layer with an npm v3 `app/package-lock.json` of `dependencies`.
pub fn npm_app(app: &str, dependencies: &[(String, String)]) -> Layer {
    let mut packages_json = serde_json::Map::new();
    let direct: serde_json::Map<String, Value> =
        dependencies.iter().map(|(n, v)| (n.clone(), Value::String(v.clone()))).collect();
    packages_json.insert("".into(), json!({"name": app, "version": "1.0.0", "dependencies": direct}));
    for (name, version) in dependencies {
        packages_json.insert(
            format!("node_modules/{name}"),
            json!({"version": version, "resolved": format!("https://registry.npmjs.org/{name}/-/{name}-{version}.tgz")}),
        );
    }
    let lock =
        json!({"name": app, "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": packages_json});
    let packages = dependencies.iter().map(|(n, v)| pkg(NPM, n, v)).collect();
    Layer::new(&[("app/package-lock.json", serde_json::to_vec_pretty(&lock).unwrap())], packages)
}

/// A layer with one file (`app/VERSION`) and no packages: what makes an image new.
pub fn marker_layer(text: &str) -> Layer {
    Layer::new(&[("app/VERSION", format!("{text}\n").into_bytes())], Vec::new())
}

/// A single-platform OCI image.
#[derive(Debug)]
pub struct Image {
    /// `linux/amd64`
    pub platform: String,
    pub layers: Vec<Arc<Layer>>,
    pub config: Vec<u8>,
    pub config_digest: String,
    pub manifest: Vec<u8>,
    pub digest: String,
}

impl Image {
    /// A linux image for `architecture` of `layers`, bottom first; `label` makes its
    /// config (and so its digest) its own.
    pub fn new(architecture: &str, layers: Vec<Arc<Layer>>, label: &str) -> Image {
        let diff_ids: Vec<&str> = layers.iter().map(|l| l.diff_id.as_str()).collect();
        let config = serde_json::to_vec(&json!({
            "architecture": architecture,
            "os": "linux",
            "created": "2024-05-01T00:00:00Z",
            "config": {"Labels": {"org.example.lab": label}},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }))
        .unwrap();
        let config_digest = Digest::sha256_of(&config).to_string();
        let descriptors: Vec<Value> =
            layers.iter().map(|l| json!({"mediaType": OCI_LAYER_GZIP, "digest": l.digest, "size": l.size()})).collect();
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
            "layers": descriptors,
        }))
        .unwrap();
        let digest = Digest::sha256_of(&manifest).to_string();
        Image { platform: format!("linux/{architecture}"), layers, config, config_digest, manifest, digest }
    }

    pub fn packages(&self) -> Vec<Pkg> {
        self.layers.iter().flat_map(|l| l.packages.iter().cloned()).collect()
    }
}

/// A multi-platform OCI index over `images`.
#[derive(Debug)]
pub struct Index {
    pub bytes: Vec<u8>,
    pub digest: String,
    pub images: Vec<Image>,
}

impl Index {
    pub fn new(images: Vec<Image>) -> Index {
        let manifests: Vec<Value> = images
            .iter()
            .map(|image| {
                let (os, architecture) = image.platform.split_once('/').unwrap();
                json!({"mediaType": OCI_MANIFEST, "digest": image.digest, "size": image.manifest.len(),
                       "platform": {"os": os, "architecture": architecture}})
            })
            .collect();
        let bytes =
            serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})).unwrap();
        let digest = Digest::sha256_of(&bytes).to_string();
        Index { bytes, digest, images }
    }
}

/// One advisory of the lab: an OSV record affecting `package` before `fixed`, and the
/// versions present in the lab that it affects (the lab's claim, checked by its self-test).
#[derive(Debug, Clone, Copy)]
pub struct Advisory {
    pub id: &'static str,
    pub ecosystem: &'static str,
    pub package: &'static str,
    pub fixed: &'static str,
    pub affects: &'static [&'static str],
    pub cvss: &'static str,
}

const HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"; // 7.5
const MEDIUM: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"; // 5.3
const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"; // 9.8
const LOW: &str = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"; // 3.1

/// What `write_advisories` writes.
pub const ADVISORIES: &[Advisory] = &[
    Advisory {
        id: "x_LAB-DEB-0001",
        ecosystem: DEBIAN_12,
        package: "openssl",
        fixed: "3.0.13-1~deb12u1",
        affects: &["3.0.11-1~deb12u2"],
        cvss: HIGH,
    },
    Advisory {
        id: "x_LAB-DEB-0002",
        ecosystem: DEBIAN_12,
        package: "tar",
        fixed: "1.30+dfsg-1",
        affects: &[],
        cvss: HIGH,
    },
    Advisory {
        id: "x_LAB-APK-0001",
        ecosystem: ALPINE_3_19,
        package: "busybox",
        fixed: "1.36.1-r16",
        affects: &["1.36.1-r15"],
        cvss: MEDIUM,
    },
    Advisory {
        id: "x_LAB-APK-0002",
        ecosystem: ALPINE_3_19,
        package: "musl",
        fixed: "1.2.4-r1",
        affects: &[],
        cvss: HIGH,
    },
    Advisory {
        id: "x_LAB-PY-0001",
        ecosystem: PYPI,
        package: "lab-common",
        fixed: "1.0.1",
        affects: &["1.0.0"],
        cvss: CRITICAL,
    },
    Advisory {
        id: "x_LAB-PY-0002",
        ecosystem: PYPI,
        package: "lab-legacy",
        fixed: "2.0.0",
        affects: &["1.5.0"],
        cvss: MEDIUM,
    },
    Advisory {
        id: "x_LAB-NPM-0001",
        ecosystem: NPM,
        package: "lab-npm-common",
        fixed: "1.2.1",
        affects: &["1.1.0", "1.2.0"],
        cvss: LOW,
    },
];

/// What `extra_advisory` writes: one more record, for a package some images already
/// hold (`lab-rare`).
pub const EXTRA_ADVISORY: Advisory = Advisory {
    id: "x_LAB-PY-0099",
    ecosystem: PYPI,
    package: "lab-rare",
    fixed: "1.0.1",
    affects: &["1.0.0"],
    cvss: HIGH,
};

impl Advisory {
    /// The OSV record (schema 1.6).
    pub fn osv(&self) -> Value {
        let range_type = if self.ecosystem == NPM { "SEMVER" } else { "ECOSYSTEM" };
        json!({
            "schema_version": "1.6.0",
            "id": self.id,
            "modified": "2024-05-01T00:00:00Z",
            "published": "2024-05-01T00:00:00Z",
            "summary": format!("{} before {} in the registry lab", self.package, self.fixed),
            "details": "A made-up advisory for the registry sweep's tests.",
            "severity": [{"type": "CVSS_V3", "score": self.cvss}],
            "affected": [{
                "package": {"ecosystem": self.ecosystem, "name": self.package},
                "ranges": [{"type": range_type, "events": [{"introduced": "0"}, {"fixed": self.fixed}]}],
            }],
            "references": [{"type": "WEB", "url": format!("https://example.com/advisories/{}", self.id)}],
        })
    }

    pub fn write(&self, dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(format!("{}.json", self.id));
        std::fs::write(path, serde_json::to_vec_pretty(&self.osv()).unwrap()).unwrap();
    }

    pub fn affects(&self, package: &Pkg) -> bool {
        package.ecosystem == self.ecosystem
            && package.name == self.package
            && self.affects.contains(&package.version.as_str())
    }
}

/// Writes every record of [`ADVISORIES`] into `dir` (one file each).
pub fn write_advisories(dir: &Path) {
    for advisory in ADVISORIES {
        advisory.write(dir);
    }
}

/// A finding as the tests compare them: advisory id and the package it names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FindingKey {
    pub id: String,
    pub ecosystem: String,
    pub name: String,
    pub version: String,
}

impl FindingKey {
    /// From a finding of customs' JSON (`{"id", "package": {"ecosystem", "name", "version"}}`).
    pub fn from_json(finding: &Value) -> FindingKey {
        let text = |v: &Value| v.as_str().unwrap_or_else(|| panic!("not a string in finding {finding}")).to_string();
        let package = &finding["package"];
        FindingKey {
            id: text(&finding["id"]),
            ecosystem: text(&package["ecosystem"]),
            name: text(&package["name"]),
            version: text(&package["version"]),
        }
    }

    pub fn new(advisory: &Advisory, package: &Pkg) -> FindingKey {
        FindingKey {
            id: advisory.id.into(),
            ecosystem: package.ecosystem.clone(),
            name: package.name.clone(),
            version: package.version.clone(),
        }
    }
}

impl fmt::Display for FindingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}@{}", self.id, self.ecosystem, self.name, self.version)
    }
}

/// The findings `packages` have under `advisories`.
pub fn findings_of(packages: &[Pkg], advisories: &[Advisory]) -> BTreeSet<FindingKey> {
    let mut found = BTreeSet::new();
    for advisory in advisories {
        for package in packages.iter().filter(|p| advisory.affects(p)) {
            found.insert(FindingKey::new(advisory, package));
        }
    }
    found
}
