//! `customs scan --image` and `customs sbom --image` end to end: the real Debian image
//! plus an application layer the test adds with umoci, read from every source kind
//! (OCI layout, OCI archive, docker-archive, a local registry over HTTP and over TLS
//! with basic auth), matched against `../shared/osv`.

mod common;
mod support_registry;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;
use support_registry::{debian_archive, Kind, Registry, PASSWORD, USER};

fn tool(program: &str, args: &[&str]) {
    common::tools::run(program, args);
}

/// A layer with an application (a vulnerable Cargo.lock), a Python package, a
/// distroless-style dpkg entry for an old openssl, and a whiteout of
/// `/etc/os-release` (the distribution must still be found through usr/lib).
fn app_layer() -> Vec<u8> {
    let cargo_lock = std::fs::read(fixtures().join("scan/rust/Cargo.lock")).unwrap();
    let files: [(&str, &[u8]); 5] = [
        ("app/Cargo.lock", &cargo_lock),
        (
            "usr/lib/python3/dist-packages/PyYAML-5.3.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n\nbody\n",
        ),
        (
            "var/lib/dpkg/status.d/libssl3",
            b"Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.9-1\n",
        ),
        ("var/lib/dpkg/status.d/broken", b"Package: broken\nStatus: install ok installed\n"),
        ("etc/.wh.os-release", b""),
    ];
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, content).unwrap();
    }
    builder.into_inner().unwrap()
}

/// An OCI layout holding `bookworm` (the shared image) and `app` (plus the app layer).
fn app_layout(dir: &Path) -> PathBuf {
    support_registry::debian_plus_layer(dir, "app", &app_layer())
}

fn scan_image(image: &str, extra: &[&str], cache: &Path) -> std::process::Output {
    let osv = shared().join("osv");
    let mut args =
        vec!["--cache-dir", cache.to_str().unwrap(), "scan", "--db", osv.to_str().unwrap(), "--image", image];
    args.extend_from_slice(extra);
    run(&args, &crate_dir())
}

/// `advisory package@version path` for every finding.
fn findings(doc: &Value) -> BTreeSet<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["package"];
            format!(
                "{} {}@{} {}",
                f["id"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["location"]["path"].as_str().unwrap()
            )
        })
        .collect()
}

fn expected_findings() -> BTreeSet<String> {
    [
        "DSA-5532-1 openssl@3.0.9-1 /var/lib/dpkg/status.d/libssl3",
        "DSA-5764-1 openssl@3.0.9-1 /var/lib/dpkg/status.d/libssl3",
        "PYSEC-2020-96 PyYAML@5.3 /usr/lib/python3/dist-packages/PyYAML-5.3.dist-info/METADATA",
        "PYSEC-2021-142 PyYAML@5.3 /usr/lib/python3/dist-packages/PyYAML-5.3.dist-info/METADATA",
        "RUSTSEC-2018-0018 smallvec@0.6.9 /app/Cargo.lock",
        "RUSTSEC-2019-0009 smallvec@0.6.9 /app/Cargo.lock",
        "RUSTSEC-2019-0012 smallvec@0.6.9 /app/Cargo.lock",
        "RUSTSEC-2021-0003 smallvec@0.6.9 /app/Cargo.lock",
        "RUSTSEC-2020-0071 time@0.1.45 /app/Cargo.lock",
        "RUSTSEC-2021-0078 hyper@0.14.9 /app/Cargo.lock",
        "RUSTSEC-2021-0079 hyper@0.14.9 /app/Cargo.lock",
        "RUSTSEC-2022-0022 hyper@0.14.9 /app/Cargo.lock",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

#[test]
fn an_oci_layout_scan_finds_os_and_language_packages_with_their_layer() {
    let dir = tempfile::tempdir().unwrap();
    let layout = app_layout(dir.path());
    let image = format!("oci:{}:app", layout.display());
    let out = scan_image(&image, &["-f", "json"], &dir.path().join("cache"));
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = stdout_json(&out);
    assert_eq!(findings(&doc), expected_findings());

    assert_eq!(doc["image"]["ecosystem"], "Debian:12", "found through usr/lib/os-release after the whiteout");
    let layers = doc["image"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0], support_registry::DEBIAN_LAYER);
    let packages = doc["packages"].as_array().unwrap();
    // 88 dpkg packages of the base, the distroless libssl3, PyYAML, 5 crates.
    assert_eq!(packages.len(), 88 + 1 + 1 + 5);
    for p in packages {
        let expected_layer = if p["location"]["path"] == "/var/lib/dpkg/status" { &layers[0] } else { &layers[1] };
        assert_eq!(&p["location"]["layer"], expected_layer, "{p}");
    }
    let skipped: Vec<String> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{}:{}", s["location"]["path"].as_str().unwrap(), s["location"]["line"]))
        .collect();
    // The dpkg stanza without a version is reported, not dropped.
    assert_eq!(skipped, ["/var/lib/dpkg/status.d/broken:1"], "reported, not dropped");
    // The lockfile's own (local) crate is the image's own package, as a directory scan lists it
    // (a member: the image holds no Cargo.toml that would say it is the root).
    let own: Vec<String> = doc["own"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| format!("{} {}:{}", o["kind"], o["location"]["path"].as_str().unwrap(), o["location"]["line"]))
        .collect();
    assert_eq!(own, [r#""workspace-member" /app/Cargo.lock:6"#]);
    let libssl = packages.iter().find(|p| p["location"]["path"] == "/var/lib/dpkg/status.d/libssl3").unwrap();
    assert_eq!(libssl["purl"], "pkg:deb/debian/libssl3@3.0.9-1?arch=amd64&distro=debian-12&upstream=openssl");

    // The per-layer cache now holds both layers; a second scan gives the same answer.
    let cached = std::fs::read_dir(dir.path().join("cache/layers")).unwrap().count();
    assert_eq!(cached, 2);
    let again = stdout_json(&scan_image(&image, &["-f", "json"], &dir.path().join("cache")));
    assert_eq!(findings(&again), expected_findings());
}

#[test]
fn every_archive_form_lists_the_same_packages() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let count = |image: String| {
        let doc = stdout_json(&run(
            &["--cache-dir", cache.to_str().unwrap(), "sbom", "--image", &image, "-f", "json"],
            &crate_dir(),
        ));
        assert_eq!(doc["errors"], serde_json::json!([]), "{image}");
        doc["packages"].as_array().unwrap().len()
    };
    assert_eq!(count(format!("oci-archive:{}:bookworm", debian_archive().display())), 88);
    let docker = dir.path().join("debian.docker.tar");
    tool(
        "skopeo",
        &[
            "copy",
            "-q",
            &format!("oci-archive:{}:bookworm", debian_archive().display()),
            &format!("docker-archive:{}:test/debian:bookworm", docker.display()),
        ],
    );
    assert_eq!(count(format!("docker-archive:{}", docker.display())), 88);
    let layout = app_layout(dir.path());
    assert_eq!(count(format!("oci:{}:bookworm", layout.display())), 88);
    assert_eq!(count(format!("oci:{}:app", layout.display())), 95);
}

fn push(registry: &Registry, layout: &Path, repo_tag: &str) {
    let mut args = vec!["--insecure-policy".to_string(), "copy".into(), "-q".into()];
    match registry.kind {
        Kind::Http => args.push("--dest-tls-verify=false".into()),
        _ => args.push(format!("--dest-cert-dir={}", registry.ca_cert().parent().unwrap().display())),
    }
    if registry.kind == Kind::TlsAuth {
        args.push(format!("--dest-creds={USER}:{PASSWORD}"));
    }
    args.push(format!("oci:{}:app", layout.display()));
    args.push(format!("docker://{}/{repo_tag}", registry.host()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    tool("skopeo", &refs);
}

#[test]
fn a_registry_over_http_needs_insecure_registry_and_then_gives_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let layout = app_layout(dir.path());
    let registry = Registry::start(Kind::Http);
    push(&registry, &layout, "test/app:1");
    let image = format!("{}/test/app:1", registry.host());
    let cache = dir.path().join("cache");

    let refused = scan_image(&image, &["-f", "json"], &cache);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--insecure-registry"), "{stderr}");

    let out = scan_image(&image, &["-f", "json", "--insecure-registry", &registry.host()], &cache);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(findings(&stdout_json(&out)), expected_findings());

    let offline = scan_image(&image, &["--offline"], &cache);
    assert_eq!(offline.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&offline.stderr).contains("--offline"));
}

#[test]
fn a_tls_registry_with_basic_auth_needs_its_ca_and_the_right_password() {
    let dir = tempfile::tempdir().unwrap();
    let layout = app_layout(dir.path());
    let registry = Registry::start(Kind::TlsAuth);
    push(&registry, &layout, "test/app:1");
    let image = format!("{}/test/app:1", registry.host());
    let ca = registry.ca_cert();
    let osv = shared().join("osv");
    let cache = dir.path().join("cache");
    let scan = |password: &str, with_ca: bool| {
        let mut cmd = customs();
        cmd.args([
            "--cache-dir",
            cache.to_str().unwrap(),
            "scan",
            "--db",
            osv.to_str().unwrap(),
            "--image",
            &image,
            "-f",
            "json",
        ]);
        if with_ca {
            cmd.arg("--ca-cert").arg(&ca);
        }
        cmd.env("CUSTOMS_REGISTRY_USERNAME", USER).env("CUSTOMS_REGISTRY_PASSWORD", password);
        cmd.env("DOCKER_CONFIG", dir.path().join("no-docker-config"));
        cmd.output().unwrap()
    };
    let untrusted = scan(PASSWORD, false);
    assert_eq!(untrusted.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&untrusted.stderr).contains("--ca-cert"),
        "{}",
        String::from_utf8_lossy(&untrusted.stderr)
    );

    let wrong = scan("not-the-password", true);
    assert_eq!(wrong.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(!stderr.contains("not-the-password"), "credentials never appear in errors: {stderr}");

    let ok = scan(PASSWORD, true);
    assert_eq!(ok.status.code(), Some(1), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(findings(&stdout_json(&ok)), expected_findings());
}

#[test]
fn the_image_sbom_names_the_image_as_its_subject() {
    let dir = tempfile::tempdir().unwrap();
    let archive = format!("oci-archive:{}:bookworm", debian_archive().display());
    let out = run(&["--cache-dir", dir.path().to_str().unwrap(), "sbom", "--image", &archive], &crate_dir());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let bom = stdout_json(&out);
    assert_eq!(schema_errors("bom-1.6.schema.json", &bom), Vec::<String>::new());
    let subject = &bom["metadata"]["component"];
    assert_eq!(subject["type"], "container");
    assert_eq!(subject["version"], support_registry::DEBIAN_MANIFEST);
    assert!(subject["purl"].as_str().unwrap().starts_with("pkg:oci/debian-bookworm.oci.tar@sha256:c6491d91"));
    let bash = bom["components"].as_array().unwrap().iter().find(|c| c["name"] == "bash").unwrap();
    assert_eq!(bash["purl"], "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12");
}

#[test]
fn a_hostile_layer_is_refused_with_its_digest_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    let content = b"pwned";
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    // `append_data` refuses `..`; write the name into the header directly.
    header.as_gnu_mut().unwrap().name[..20].copy_from_slice(b"../../etc/cron.d/x\0\0");
    header.set_cksum();
    builder.append(&header, &content[..]).unwrap();
    let layout = support_registry::debian_plus_layer(dir.path(), "evil", &builder.into_inner().unwrap());
    let layout_s = layout.to_str().unwrap();

    let out = scan_image(&format!("oci:{layout_s}:evil"), &[], &dir.path().join("cache"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("escapes the image root") && stderr.contains("sha256:"), "{stderr}");
    assert!(!Path::new("/etc/cron.d/x").exists());
}

/// A layer with one harmless file: an image that is only its base plus this has no
/// findings, so the base-image policy alone decides the exit code.
fn plain_layer() -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(6);
    header.set_mode(0o644);
    builder.append_data(&mut header, "srv/hello.txt", &b"hello\n"[..]).unwrap();
    builder.into_inner().unwrap()
}

/// An OCI layout holding `bookworm` (the shared image) and `plain` (bookworm plus a
/// harmless layer, no base annotation), and a second layout with only the tiny image.
fn ancestry_layouts(dir: &Path) -> (PathBuf, PathBuf) {
    let layout = support_registry::debian_plus_layer(dir, "plain", &plain_layer());

    let tiny = support_registry::TinyImage::new("amd64");
    let tiny_layout = dir.join("tiny");
    let blobs = tiny_layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for (digest, bytes) in [
        (&tiny.layer_digest, &tiny.layer),
        (&tiny.config_digest, &tiny.config),
        (&tiny.manifest_digest, &tiny.manifest),
    ] {
        std::fs::write(blobs.join(digest.strip_prefix("sha256:").unwrap()), bytes).unwrap();
    }
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": tiny.manifest_digest,
        "size": tiny.manifest.len(),
        "annotations": {"org.opencontainers.image.ref.name": "tiny"},
    }]});
    std::fs::write(tiny_layout.join("index.json"), index.to_string()).unwrap();
    std::fs::write(tiny_layout.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    (layout, tiny_layout)
}

#[test]
fn an_image_without_base_annotations_is_checked_by_layer_ancestry() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, tiny) = ancestry_layouts(dir.path());
    let image = format!("oci:{}:plain", layout.display());
    let config = dir.path().join("customs.yaml");
    let scan = |allowed: &[String]| {
        // The file names its local images relative to its own folder, as it must.
        let root = format!("{}/", dir.path().display());
        let list: String = allowed.iter().map(|a| format!("      - {:?}\n", a.replace(&root, ""))).collect();
        std::fs::write(&config, format!("policy:\n  base-images:\n    allowed:\n{list}")).unwrap();
        scan_image(&image, &["-f", "json", "--config", config.to_str().unwrap()], &dir.path().join("cache"))
    };
    let bookworm = format!("oci:{}:bookworm", layout.display());
    let tiny = format!("oci:{}:tiny", tiny.display());

    let out = scan(&[tiny.clone(), bookworm.clone(), "gcr.io/distroless/*".to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(&format!("built on {bookworm} (1 of 2 layers)")), "{stderr}");
    let doc = stdout_json(&out);
    assert!(doc["policy"].as_array().is_none_or(Vec::is_empty), "{}", doc["policy"]);

    let missing = format!("oci:{}:nope", layout.display());
    let out = scan(&[tiny.clone(), missing.clone()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&missing) && stderr.contains("could not be read"), "{stderr}");
    let doc = stdout_json(&out);
    let policy = doc["policy"].as_array().unwrap();
    assert_eq!(policy.len(), 1, "{policy:?}");
    assert_eq!(policy[0]["rule"], "CUSTOMS-BASE-001");
    assert_eq!(policy[0]["location"]["path"], doc["image"]["reference"]);
    let message = policy[0]["message"].as_str().unwrap();
    assert!(message.contains(&format!("matches none of the allowed base images (checked: {tiny})")), "{message}");

    // Only an unreadable base: nothing was checked, so not allowed.
    let out = scan(&[missing]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = stdout_json(&out);
    assert!(doc["policy"][0]["message"].as_str().unwrap().contains("no allowed base image could be checked"));
}

/// An OCI layout with one image (`tag`) of one gzip layer holding `files`.
fn one_layer_layout(dir: &Path, tag: &str, files: &[(&str, &[u8])]) -> PathBuf {
    use std::io::Write;
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, path, *content).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    let layer = gz.finish().unwrap();
    let digest = |bytes: &[u8]| customs::image::digest::Digest::sha256_of(bytes).to_string();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [digest(&tar)]},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(&layer), "size": layer.len()}],
    }))
    .unwrap();
    let layout = dir.join("layout");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for bytes in [&layer, &config, &manifest] {
        std::fs::write(blobs.join(digest(bytes).strip_prefix("sha256:").unwrap()), bytes).unwrap();
    }
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(&manifest), "size": manifest.len(),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }]});
    std::fs::write(layout.join("index.json"), index.to_string()).unwrap();
    std::fs::write(layout.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    layout
}

/// A file an analyser cannot read is a warning on every scan: the per-layer cache
/// keeps the failure with the layer, so the second (cached) scan says it too.
#[test]
fn analyser_failures_are_reported_again_from_the_layer_cache() {
    let dir = tempfile::tempdir().unwrap();
    let layout = one_layer_layout(dir.path(), "app", &[("opt/app/broken.jar", b"this is not a zip archive")]);
    let image = format!("oci:{}:app", layout.display());
    let cache = dir.path().join("cache");
    let warnings = |out: &std::process::Output| -> Vec<String> {
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_string()).collect()
    };
    let first = warnings(&scan_image(&image, &["-f", "json"], &cache));
    assert!(first.iter().any(|w| w.contains("/opt/app/broken.jar") && w.contains("java")), "{first:?}");
    let cached = warnings(&scan_image(&image, &["-f", "json"], &cache));
    assert_eq!(first, cached);
}
