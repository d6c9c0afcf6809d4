//! `release/image.sh`: customs' own container image, assembled from the test run's
//! customs on the shared Debian image as the base (the release uses distroless's cc image;
//! no base can be downloaded here), pushed to a real `docker-registry` on 127.0.0.1, then
//! read back by customs itself: the OS packages of the base and customs' own crates,
//! the base-image annotation under a `customs.yaml` allowlist, the user, entrypoint and
//! labels, and `customs verify` after signing it the way `cosign sign --key` does.
//!
//! customs' crates come from the binary's cargo-auditable list (`.dep-v0`). The test
//! build is a plain `cargo build`, so unless it was built with `cargo auditable`, the test
//! adds that section to a copy of it (objcopy, as cargo-auditable's linker step leaves
//! it), listing the crates of Cargo.lock: what is checked is that the script puts a
//! binary in the image where customs finds it, not cargo-auditable itself.

mod common;
mod support_registry;
mod support_sigstore;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::{json, Value};
use support_registry::{debian_archive, Kind, Registry, DEBIAN_MANIFEST};
use support_sigstore::{cosign_key_signature, KeySigner};

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// 2023-11-14T22:13:20Z.
const EPOCH: &str = "1700000000";
const CREATED: &str = "2023-11-14T22:13:20Z";
const BASE_NAME: &str = "docker.io/library/debian:bookworm";
const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";
const SOURCE: &str = "https://github.com/OWNER/customs";

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// `release/image.sh ARGS…` with a fixed time, revision and source.
fn image_script(args: &[&str]) -> Output {
    let base = format!("oci-archive:{}:bookworm", debian_archive().display());
    tools::output(
        Command::new("bash")
            .arg(crate_dir().join("release/image.sh"))
            .args(["--base", &base, "--base-name", BASE_NAME, "--revision", REVISION, "--source", SOURCE])
            .args(args)
            .env("SOURCE_DATE_EPOCH", EPOCH),
    )
}

/// The crates of Cargo.lock other than customs, as `name@version`.
fn locked_crates() -> BTreeSet<String> {
    let lock: toml::Table = toml::from_str(&fs::read_to_string(crate_dir().join("Cargo.lock")).unwrap()).unwrap();
    lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p.get("source").is_some())
        .map(|p| format!("{}@{}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect()
}

/// The test run's customs, with a cargo-auditable list: the binary itself when it has
/// one, else a copy with `.dep-v0` listing Cargo.lock's crates. Also returns whether the
/// list was added here.
fn auditable_customs(dir: &Path) -> (PathBuf, bool) {
    let original = PathBuf::from(env!("CARGO_BIN_EXE_customs"));
    let bytes = fs::read(&original).unwrap();
    let has_list = {
        use object::{Object, ObjectSection};
        let file = object::File::parse(&*bytes).unwrap();
        let found = file.sections().any(|s| s.name() == Ok(".dep-v0"));
        found
    };
    if has_list {
        return (original, false);
    }
    let mut packages = vec![json!({"name": "customs", "version": VERSION, "source": "local", "root": true})];
    for entry in locked_crates() {
        let (name, version) = entry.split_once('@').unwrap();
        packages.push(json!({"name": name, "version": version, "source": "crates.io"}));
    }
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(&serde_json::to_vec(&json!({"packages": packages})).unwrap()).unwrap();
    let section = dir.join("dep-v0.zlib");
    fs::write(&section, zlib.finish().unwrap()).unwrap();
    let copy = dir.join("customs");
    let out = tools::output(
        Command::new("objcopy")
            .arg("--add-section")
            .arg(format!(".dep-v0={}", section.display()))
            .args(["--set-section-flags", ".dep-v0=noload,readonly"])
            .arg(&original)
            .arg(&copy),
    );
    assert!(out.status.success(), "objcopy: {}", text(&out));
    (copy, true)
}

/// A blob of the OCI layout `layout`, as JSON.
fn blob_json(layout: &Path, digest: &str) -> Value {
    let hex = digest.strip_prefix("sha256:").unwrap();
    serde_json::from_slice(&fs::read(layout.join("blobs/sha256").join(hex)).unwrap()).unwrap()
}

/// (path, mode, uid, gid) of every entry of a gzip layer, in order.
fn layer_entries(layer: &[u8]) -> Vec<(String, u32, u64, u64)> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(layer));
    tar.entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let header = entry.header().clone();
            entry.read_to_end(&mut Vec::new()).unwrap();
            (
                entry.path().unwrap().display().to_string(),
                header.mode().unwrap(),
                header.uid().unwrap(),
                header.gid().unwrap(),
            )
        })
        .collect()
}

fn expected_annotations() -> BTreeMap<String, String> {
    [
        ("org.opencontainers.image.title", "customs"),
        ("org.opencontainers.image.description", env!("CARGO_PKG_DESCRIPTION")),
        ("org.opencontainers.image.version", VERSION),
        ("org.opencontainers.image.revision", REVISION),
        ("org.opencontainers.image.created", CREATED),
        ("org.opencontainers.image.source", SOURCE),
        ("org.opencontainers.image.licenses", env!("CARGO_PKG_LICENSE")),
        ("org.opencontainers.image.base.name", BASE_NAME),
        ("org.opencontainers.image.base.digest", DEBIAN_MANIFEST),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn string_map(value: &Value) -> BTreeMap<String, String> {
    value.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect()
}

/// `name@version` of the packages of one ecosystem prefix in an inventory JSON.
fn packages(inventory: &Value, ecosystem_prefix: &str) -> BTreeSet<String> {
    inventory["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"].as_str().unwrap().starts_with(ecosystem_prefix))
        .map(|p| format!("{}@{}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect()
}

/// The package URLs of the packages of one ecosystem prefix in an inventory JSON.
fn purls(inventory: &Value, ecosystem_prefix: &str) -> BTreeSet<String> {
    inventory["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"].as_str().unwrap().starts_with(ecosystem_prefix))
        .map(|p| p["purl"].as_str().unwrap().to_string())
        .collect()
}

fn customs_with_cache(args: &[&str], dir: &Path) -> Output {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-image-cache");
    let mut all = vec!["--cache-dir", cache.to_str().unwrap()];
    all.extend_from_slice(args);
    run(&all, dir)
}

#[test]
fn the_image_is_reproducible_and_customs_scans_and_verifies_it() {
    let registry = Registry::start(Kind::Http);
    let host = registry.host();
    let work = registry.scratch("work");
    let (binary, list_added_here) = auditable_customs(&work);
    let platform = format!("linux/amd64={}", binary.display());
    let name = format!("customs-{VERSION}");

    // Built twice from the same inputs: the same bytes, so the same digest.
    let first = work.join("first");
    let second = work.join("second");
    let repo = "owner/customs";
    let push = format!("{host}/{repo}:{VERSION}");
    let out =
        image_script(&["--binary", &platform, "--out", first.to_str().unwrap(), "--push", &push, "--push-insecure"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let digest = fs::read_to_string(first.join(format!("{name}.oci.digest"))).unwrap().trim().to_string();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "release/image.sh: wrote {name}.oci, {name}.oci.tar and {name}.oci.digest in {} (index {digest}, 1 platform(s))\n\
             release/image.sh: pushed {push}@{digest}\n",
            first.display()
        )
    );
    let out = image_script(&["--binary", &platform, "--out", second.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for file in [format!("{name}.oci.tar"), format!("{name}.oci.digest")] {
        assert!(fs::read(first.join(&file)).unwrap() == fs::read(second.join(&file)).unwrap(), "{file} differs");
    }
    // Pushed with its digest kept.
    assert_eq!(registry.skopeo_digest(&format!("{repo}:{VERSION}")), digest);

    // The layout: its tag names the index; the index one linux/amd64 image.
    let layout = first.join(format!("{name}.oci"));
    let top = serde_json::from_slice::<Value>(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    assert_eq!(top["manifests"][0]["digest"], digest.as_str());
    assert_eq!(top["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], VERSION);
    let index = blob_json(&layout, &digest);
    assert_eq!(index["mediaType"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(string_map(&index["annotations"]), expected_annotations());
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["platform"], json!({"architecture": "amd64", "os": "linux"}));

    // The image: the base's layer, then one with /customs and the cache folder.
    let manifest = blob_json(&layout, entries[0]["digest"].as_str().unwrap());
    assert_eq!(string_map(&manifest["annotations"]), expected_annotations());
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0]["digest"], support_registry::DEBIAN_LAYER);
    let hex = layers[1]["digest"].as_str().unwrap().strip_prefix("sha256:").unwrap().to_string();
    let ours = fs::read(layout.join("blobs/sha256").join(hex)).unwrap();
    assert_eq!(
        layer_entries(&ours),
        [
            ("customs".to_string(), 0o755, 0, 0),
            ("var/".to_string(), 0o755, 0, 0),
            ("var/lib/".to_string(), 0o755, 0, 0),
            ("var/lib/customs/".to_string(), 0o755, 65532, 65532),
        ]
    );
    let config = blob_json(&layout, manifest["config"]["digest"].as_str().unwrap());
    assert_eq!(config["architecture"], "amd64");
    assert_eq!(config["created"], CREATED);
    let run_config = &config["config"];
    assert_eq!(run_config["User"], "65532:65532");
    assert_eq!(run_config["Entrypoint"], json!(["/customs"]));
    assert_eq!(run_config["Cmd"], Value::Null, "the base's shell command is not kept");
    assert_eq!(run_config["Volumes"], json!({"/var/lib/customs": {}}));
    assert!(
        run_config["Env"].as_array().unwrap().contains(&json!("CUSTOMS_CACHE_DIR=/var/lib/customs")),
        "{run_config}"
    );
    let mut labels = expected_annotations();
    labels.retain(|k, _| !k.contains(".base."));
    assert_eq!(string_map(&run_config["Labels"]), labels);

    // customs reads the pushed image: the base's Debian packages and its own crates.
    let image = format!("{host}/{repo}:{VERSION}");
    let project = registry.scratch("project");
    let base = customs_with_cache(
        &["sbom", "--image", &format!("oci-archive:{}:bookworm", debian_archive().display()), "-f", "json"],
        &project,
    );
    assert_eq!(base.status.code(), Some(0), "{}", text(&base));
    let debian = purls(&stdout_json(&base), "Debian");
    for needed in ["libc6", "libgcc-s1", "tzdata"] {
        let prefix = format!("pkg:deb/debian/{needed}@");
        assert!(debian.iter().any(|p| p.starts_with(&prefix)), "{needed} not listed: {debian:?}");
    }
    let sbom = customs_with_cache(&["sbom", "--image", &image, "--insecure-registry", &host, "-f", "json"], &project);
    assert_eq!(sbom.status.code(), Some(0), "{}", text(&sbom));
    let inventory = stdout_json(&sbom);
    assert_eq!(purls(&inventory, "Debian"), debian);
    // The oci-archive holds the same image.
    let archive = format!("oci-archive:{}:{VERSION}", first.join(format!("{name}.oci.tar")).display());
    let from_archive = customs_with_cache(&["sbom", "--image", &archive, "-f", "json"], &project);
    assert_eq!(from_archive.status.code(), Some(0), "{}", text(&from_archive));
    assert_eq!(stdout_json(&from_archive)["packages"], inventory["packages"]);
    let crates = packages(&inventory, "crates.io");
    if list_added_here {
        assert_eq!(crates, locked_crates());
    } else {
        assert!(crates.is_subset(&locked_crates()), "{:?}", crates.difference(&locked_crates()));
    }
    for needed in ["serde_json", "rustls", "flate2"] {
        assert!(crates.iter().any(|c| c.starts_with(&format!("{needed}@"))), "{needed} not listed: {crates:?}");
    }
    let locations: BTreeSet<&str> = inventory["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"] == "crates.io")
        .map(|p| p["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(locations, BTreeSet::from(["/customs"]));

    // The base-image policy reads the annotation: allowed when the allowlist names the
    // base (a digest required too: .base.digest has it), refused otherwise.
    let osv = shared().join("osv");
    let scan = |policy: &str| -> Output {
        fs::write(project.join("customs.yaml"), policy).unwrap();
        let args =
            ["scan", "--db", osv.to_str().unwrap(), "--image", &image, "--insecure-registry", &host, "-f", "json"];
        customs_with_cache(&args, &project)
    };
    let base_rules = |out: &Output| -> Vec<(String, String)> {
        let doc = stdout_json(out);
        doc["policy"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|p| (p["rule"].as_str().unwrap().to_string(), p["message"].as_str().unwrap().to_string()))
                    .filter(|(rule, _)| rule.starts_with("CUSTOMS-BASE-"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let allowed = scan(
        "policy:\n  base-images:\n    allowed: [\"docker.io/library/debian:bookworm\"]\n    require-digest: true\n",
    );
    assert_eq!(base_rules(&allowed), [], "{}", text(&allowed));
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed));
    assert_eq!(stdout_json(&allowed)["image"]["base_name"], BASE_NAME);
    let refused = scan("policy:\n  base-images:\n    allowed: [\"gcr.io/distroless/*\"]\n");
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let rules = base_rules(&refused);
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0].0, "CUSTOMS-BASE-001");
    assert!(
        rules[0].1.contains(&format!("base image {BASE_NAME} (org.opencontainers.image.base.name of")),
        "{}",
        rules[0].1
    );

    // Unsigned, then signed by digest the way `cosign sign --key` signs.
    let signer = KeySigner::new();
    let key = signer.write_public_key(&project.join("cosign.pub"));
    let verify = || {
        run(
            &["verify", &image, "--key", key.to_str().unwrap(), "--insecure-registry", &host, "--check-reference"],
            &project,
        )
    };
    let unsigned = verify();
    assert_eq!(unsigned.status.code(), Some(1), "{}", text(&unsigned));
    assert!(text(&unsigned).contains("no signature"), "{}", text(&unsigned));
    let (payload, annotations) = cosign_key_signature(&signer, &format!("{host}/{repo}"), &digest);
    registry.put_cosign_signatures(repo, &digest, &[(&payload, annotations)]);
    let verified = verify();
    assert_eq!(verified.status.code(), Some(0), "{}", text(&verified));
    assert!(text(&verified).contains("Verified OK") && text(&verified).contains(&digest), "{}", text(&verified));
}

#[test]
fn image_script_failures_say_what_is_wrong_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out_arg = out_dir.to_str().unwrap();
    let not_elf = dir.path().join("script");
    fs::write(&not_elf, "#!/bin/sh\necho customs\n").unwrap();
    // The base has no arm64 image to put an arm64 binary on.
    let arm64 = dir.path().join("arm64-customs");
    fs::write(&arm64, aarch64_elf_header()).unwrap();
    let customs = env!("CARGO_BIN_EXE_customs");

    let usage = "usage: release/image.sh --base REF --binary PLATFORM=PATH [--binary PLATFORM=PATH] [--base-name NAME] [--out DIR] [--revision SHA] [--source URL] [--push REF [--push-insecure]]\n";
    let binary = |platform: &str, path: &str| format!("{platform}={path}");
    for (args, code, message) in [
        (
            vec!["--out".to_string(), out_arg.to_string()],
            2,
            format!("release/image.sh: at least one --binary PLATFORM=PATH is required\n{usage}"),
        ),
        (
            vec!["--binary".to_string(), customs.to_string(), "--out".to_string(), out_arg.to_string()],
            2,
            format!("release/image.sh: --binary wants PLATFORM=PATH, not {customs}\n{usage}"),
        ),
        (
            vec!["--binary".to_string(), binary("linux/s390x", customs)],
            2,
            format!("release/image.sh: unknown platform linux/s390x (linux/amd64 or linux/arm64)\n{usage}"),
        ),
        (
            vec![
                "--binary".to_string(),
                binary("linux/amd64", "/nonexistent/customs"),
                "--out".to_string(),
                out_arg.to_string(),
            ],
            1,
            "release/image.sh: /nonexistent/customs: no such binary\n".to_string(),
        ),
        (
            vec![
                "--binary".to_string(),
                binary("linux/amd64", not_elf.to_str().unwrap()),
                "--out".to_string(),
                out_arg.to_string(),
            ],
            1,
            format!("release/image.sh: {} is not an ELF binary\n", not_elf.display()),
        ),
        (
            vec!["--binary".to_string(), binary("linux/arm64", customs), "--out".to_string(), out_arg.to_string()],
            1,
            format!("release/image.sh: {customs} is not a linux/arm64 binary (ELF machine 0x003e)\n"),
        ),
        (
            vec![
                "--binary".to_string(),
                binary("linux/arm64", arm64.to_str().unwrap()),
                "--out".to_string(),
                out_arg.to_string(),
            ],
            1,
            format!(
                "release/image.sh: oci-archive:{}:bookworm has no linux/arm64 image (it is linux/amd64)\n",
                debian_archive().display()
            ),
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = image_script(&args);
        assert_eq!(result.status.code(), Some(code), "{args:?}: {}", text(&result));
        assert_eq!(String::from_utf8_lossy(&result.stderr), message, "{args:?}");
    }
    assert!(!out_dir.exists(), "nothing written by a failed run");

    // Without --base: a usage error that says what the release uses.
    let no_base = tools::output(
        Command::new("bash")
            .arg(crate_dir().join("release/image.sh"))
            .args(["--binary", &binary("linux/amd64", customs)]),
    );
    assert_eq!(no_base.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&no_base.stderr),
        format!("release/image.sh: --base is required (the release uses docker://gcr.io/distroless/cc-debian12:nonroot)\n{usage}")
    );
}

/// A stand-in for an aarch64 binary: just an ELF header with e_machine 0xb7, all the
/// script reads of it.
fn aarch64_elf_header() -> Vec<u8> {
    let mut header = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    header.resize(64, 0);
    header[18] = 0xb7;
    header
}

/// Writes `bytes` as a blob of the OCI layout `layout`; returns its digest.
fn put_blob(layout: &Path, bytes: &[u8]) -> String {
    let digest = customs::image::digest::Digest::sha256_of(bytes).to_string();
    fs::write(layout.join("blobs/sha256").join(digest.strip_prefix("sha256:").unwrap()), bytes).unwrap();
    digest
}

/// Two platforms from a base that is a list, as distroless's is: each image of the
/// index is made from the base's image of its platform. Only the x86_64 customs can be
/// built here, so the arm64 "binary" is a stand-in: an ELF header for aarch64, all the
/// script checks; nothing runs it. The base list is the shared Debian image (amd64) and
/// a one-layer arm64/v8 image, in an OCI layout.
#[test]
fn a_two_platform_index_takes_each_image_from_the_base_list() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("base");
    let source = format!("oci-archive:{}:bookworm", debian_archive().display());
    tools::run("skopeo", &["--insecure-policy", "copy", "-q", &source, &format!("oci:{}:bookworm", layout.display())]);
    let top: Value = serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    let debian = top["manifests"][0].clone();
    let arm = support_registry::TinyImage::new("arm64/v8");
    for blob in [&arm.layer, &arm.config, &arm.manifest] {
        put_blob(&layout, blob);
    }
    let list = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": support_registry::OCI_INDEX,
        "manifests": [
            {"mediaType": debian["mediaType"], "digest": debian["digest"], "size": debian["size"],
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": support_registry::OCI_MANIFEST, "digest": arm.manifest_digest, "size": arm.manifest.len(),
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
        ],
    }))
    .unwrap();
    let list_digest = put_blob(&layout, &list);
    let mut top = top;
    top["manifests"].as_array_mut().unwrap().push(json!({
        "mediaType": support_registry::OCI_INDEX, "digest": list_digest, "size": list.len(),
        "annotations": {"org.opencontainers.image.ref.name": "multi"},
    }));
    fs::write(layout.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();

    let header = aarch64_elf_header();
    let stand_in = dir.path().join("arm64-customs");
    fs::write(&stand_in, &header).unwrap();
    let out_dir = dir.path().join("out");
    let out = tools::output(
        Command::new("bash")
            .arg(crate_dir().join("release/image.sh"))
            .args(["--base", &format!("oci:{}:multi", layout.display()), "--base-name", "example.test/base:multi"])
            .args(["--revision", REVISION, "--source", SOURCE, "--out", out_dir.to_str().unwrap()])
            .args(["--binary", &format!("linux/amd64={}", env!("CARGO_BIN_EXE_customs"))])
            .args(["--binary", &format!("linux/arm64={}", stand_in.display())])
            .env("SOURCE_DATE_EPOCH", EPOCH),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(", 2 platform(s))\n"), "{}", text(&out));

    let image = out_dir.join(format!("customs-{VERSION}.oci"));
    let digest = fs::read_to_string(out_dir.join(format!("customs-{VERSION}.oci.digest"))).unwrap();
    let index = blob_json(&image, digest.trim());
    assert_eq!(index["annotations"]["org.opencontainers.image.base.digest"], list_digest.as_str(), "the list's digest");
    let platforms: Vec<&Value> = index["manifests"].as_array().unwrap().iter().map(|m| &m["platform"]).collect();
    assert_eq!(
        platforms,
        [
            &json!({"architecture": "amd64", "os": "linux"}),
            &json!({"architecture": "arm64", "os": "linux", "variant": "v8"})
        ]
    );
    // Each image: its platform's base layer, then ours holding that platform's binary.
    let expected = [
        (support_registry::DEBIAN_LAYER.to_string(), fs::read(env!("CARGO_BIN_EXE_customs")).unwrap(), "amd64"),
        (arm.layer_digest.clone(), header, "arm64"),
    ];
    for (entry, (base_layer, binary, architecture)) in index["manifests"].as_array().unwrap().iter().zip(expected) {
        let manifest = blob_json(&image, entry["digest"].as_str().unwrap());
        let layers = manifest["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 2);
        assert_eq!(layers[0]["digest"], base_layer.as_str());
        let config = blob_json(&image, manifest["config"]["digest"].as_str().unwrap());
        assert_eq!(config["architecture"], architecture);
        assert_eq!(config["config"]["User"], "65532:65532");
        let hex = layers[1]["digest"].as_str().unwrap().strip_prefix("sha256:").unwrap().to_string();
        let gz = fs::read(image.join("blobs/sha256").join(hex)).unwrap();
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
        let mut first = tar.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(first.path().unwrap().to_str(), Some("customs"));
        let mut content = Vec::new();
        first.read_to_end(&mut content).unwrap();
        assert!(content == binary, "{architecture}: /customs is not the binary given for it");
    }
}
