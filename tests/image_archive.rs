//! Image archives on real data: the shared Debian bookworm OCI archive, as is and
//! turned by `skopeo` into a docker-archive and an OCI layout, a layer with whiteouts
//! added by `umoci`, and a multi-platform layout written here (its platform choice
//! cross-checked with `skopeo`). Each test decompresses the 51 MB base layer at most
//! once.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use customs::image::archive::{DockerArchive, OciArchive, OciLayout};
use customs::image::digest::Digest;
use customs::image::fs::{Collector, Context, ImageFs, LayerFiles};
use customs::image::layers::{read_layer, Selector};
use customs::image::reference::ArchiveImage;
use customs::image::source::{ImageSource, LayerRef, Platform};
use customs::model::Package;
use serde_json::json;

const MANIFEST: &str = "sha256:c6491d915028ac76ad7f528562ad372dc09d20e486d12fa2e301c21aed300d18";
const CONFIG: &str = "sha256:88256b30a688c19db944d44fdbcbfbd2274a5e06dc16ac8adc40bcf233e9090f";
const BASE_LAYER: &str = "sha256:aa8237be577c09ba4fd7ecea7e09cedc81f1a8eeaf38d69cb95d70f743b8875c";
const BASE_LAYER_SIZE: u64 = 51_122_763;
const BASE_DIFF_ID: &str = "sha256:7916f415e42aab209350ff4374deb55c7fcddfaaeec1bdf8a2828fb93ed2104b";
const GZIP_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

fn debian_archive() -> PathBuf {
    common::shared().join("images/debian-bookworm.oci.tar")
}

fn digest(s: &str) -> Digest {
    Digest::parse(s).unwrap()
}

/// Runs a tool the tests (and CI) install; its failure fails the test.
fn tool(program: &str, args: &[&str]) -> String {
    common::tools::run(program, args)
}

/// Keeps the files the tests look at.
struct Keep(&'static [&'static str]);

impl Collector for Keep {
    fn id(&self) -> &'static str {
        "test/keep"
    }
    fn wants(&self, path: &str) -> bool {
        self.0.contains(&path)
    }
    fn collect(&self, _: &ImageFs, _: &Context) -> Result<Vec<Package>, String> {
        Ok(Vec::new())
    }
}

const KEPT: Keep = Keep(&[
    "var/lib/dpkg/status",
    "etc/os-release",
    "usr/lib/os-release",
    "usr/share/doc/bash/copyright",
    "usr/share/doc/customs/README",
    "etc/arch",
]);

fn read_layers(source: &dyn ImageSource, layers: &[LayerRef]) -> Vec<LayerFiles> {
    let collectors: [&dyn Collector; 1] = [&KEPT];
    let selector = Selector::new(&collectors, &[]);
    layers
        .iter()
        .map(|layer| {
            let blob = source.open_layer(layer).unwrap_or_else(|e| panic!("{e}"));
            read_layer(blob, layer, &selector).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

/// `name<TAB>version<TAB>architecture` of every installed package, as the shared TSV lists them.
fn dpkg_rows(status: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(status).unwrap();
    let mut rows: Vec<String> = text
        .split("\n\n")
        .filter(|stanza| stanza.lines().any(|l| l == "Status: install ok installed"))
        .map(|stanza| {
            let field = |name: &str| {
                stanza.lines().find_map(|l| l.strip_prefix(name).map(str::trim)).unwrap_or_default().to_string()
            };
            format!("{}\t{}\t{}", field("Package:"), field("Version:"), field("Architecture:"))
        })
        .collect();
    rows.sort();
    rows
}

fn expected_dpkg_rows() -> Vec<String> {
    let tsv = std::fs::read_to_string(common::shared().join("images/debian-bookworm.dpkg.tsv")).unwrap();
    let mut rows: Vec<String> = tsv.lines().map(str::to_string).collect();
    rows.sort();
    assert_eq!(rows.len(), 88);
    rows
}

/// The base image's kept files, as read through the merged view.
fn assert_debian(fs: &ImageFs) {
    let (layer, status) = fs.read("var/lib/dpkg/status").expect("dpkg status kept");
    assert_eq!(layer, BASE_LAYER);
    assert_eq!(dpkg_rows(status), expected_dpkg_rows());
    // /etc/os-release is a symlink to ../usr/lib/os-release.
    let os_release = String::from_utf8_lossy(fs.read("etc/os-release").expect("os-release").1).into_owned();
    assert!(os_release.contains("VERSION_ID=\"12\""), "{os_release}");
}

#[test]
fn the_shared_oci_archive_resolves_and_reads() {
    let path = debian_archive();
    let archive = OciArchive::open(&path, Some("bookworm".into()), Platform::linux_amd64()).unwrap();
    let image = archive.resolve().unwrap();
    assert_eq!(image.reference, format!("oci-archive:{}:bookworm", path.display()));
    assert_eq!(image.manifest_digest, digest(MANIFEST));
    assert_eq!(image.platform, Platform::linux_amd64());
    assert_eq!(
        image.layers,
        [LayerRef { digest: digest(BASE_LAYER), media_type: GZIP_LAYER.into(), size: BASE_LAYER_SIZE }]
    );
    assert_eq!(image.diff_ids, [digest(BASE_DIFF_ID)]);
    assert_eq!(Digest::sha256_of(&image.config), digest(CONFIG));
    assert!(image.labels.is_empty() && image.annotations.is_empty());

    let layers = read_layers(&archive, &image.layers);
    assert_eq!(layers[0].symlinks.get("etc/os-release").map(String::as_str), Some("../usr/lib/os-release"));
    assert_debian(&ImageFs::merge(&layers));

    // The only image needs no tag; a wrong tag is named.
    let untagged = OciArchive::open(&path, None, Platform::linux_amd64()).unwrap().resolve().unwrap();
    assert_eq!(untagged.manifest_digest, digest(MANIFEST));
    let error = OciArchive::open(&path, Some("trixie".into()), Platform::linux_amd64()).unwrap().resolve().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("oci-archive:{}:trixie: no image tagged \"trixie\" (tags: bookworm)", path.display())
    );
}

#[test]
fn a_docker_archive_made_by_skopeo() {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("debian.tar");
    tool(
        "skopeo",
        &[
            "copy",
            "-q",
            &format!("oci-archive:{}:bookworm", debian_archive().display()),
            &format!("docker-archive:{}:test/debian:bookworm", tar.display()),
        ],
    );
    let archive = DockerArchive::open(&tar, None).unwrap();
    let image = archive.resolve().unwrap();
    assert_eq!(image.reference, format!("docker-archive:{}", tar.display()));
    // No manifest in a docker archive: the config digest stands for it.
    assert_eq!(image.manifest_digest, digest(CONFIG));
    assert_eq!(image.platform, Platform::linux_amd64());
    assert_eq!(image.diff_ids, [digest(BASE_DIFF_ID)]);
    // skopeo stores the layer uncompressed: its digest is its diff ID.
    assert_eq!(image.layers.len(), 1);
    assert_eq!(image.layers[0].digest, digest(BASE_DIFF_ID));
    assert_eq!(image.layers[0].media_type, "application/vnd.docker.image.rootfs.diff.tar");
    assert_eq!(image.layers[0].size, 121_482_240);

    let layers = read_layers(&archive, &image.layers);
    let fs = ImageFs::merge(&layers);
    let (layer, status) = fs.read("var/lib/dpkg/status").unwrap();
    assert_eq!(layer, BASE_DIFF_ID);
    assert_eq!(dpkg_rows(status), expected_dpkg_rows());

    // skopeo's RepoTags entry, normalised, chooses the same image.
    let wanted = ArchiveImage::parse("docker.io/test/debian:bookworm").unwrap();
    let tagged = DockerArchive::open(&tar, Some(&wanted)).unwrap().resolve().unwrap();
    assert_eq!(tagged.reference, format!("docker-archive:{}:docker.io/test/debian:bookworm", tar.display()));
    assert_eq!(tagged.manifest_digest, digest(CONFIG));
}

/// An uncompressed layer: a file, a whiteout of the `/etc/os-release` symlink, and an
/// opaque `/usr/share/doc`.
fn whiteout_layer() -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in [
        ("usr/share/doc/.wh..wh..opq", ""),
        ("usr/share/doc/customs/README", "added by the test\n"),
        ("etc/.wh.os-release", ""),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, content.as_bytes()).unwrap();
    }
    builder.into_inner().unwrap()
}

#[test]
fn an_oci_layout_with_a_whiteout_layer_added_by_umoci() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    tool(
        "skopeo",
        &[
            "copy",
            "-q",
            &format!("oci-archive:{}:bookworm", debian_archive().display()),
            &format!("oci:{}:bookworm", layout.display()),
        ],
    );
    let layer_tar = dir.path().join("layer.tar");
    std::fs::write(&layer_tar, whiteout_layer()).unwrap();
    let image_arg = format!("{}:bookworm", layout.display());
    tool("umoci", &["raw", "add-layer", "--image", &image_arg, "--tag", "custom", &layer_tar.to_string_lossy()]);

    let base = OciLayout::open(&layout, Some("bookworm".into()), Platform::linux_amd64()).unwrap().resolve().unwrap();
    assert_eq!(base.manifest_digest, digest(MANIFEST), "skopeo keeps the manifest as it was");

    let source = OciLayout::open(&layout, Some("custom".into()), Platform::linux_amd64()).unwrap();
    let image = source.resolve().unwrap();
    assert_eq!(image.reference, format!("oci:{}:custom", layout.display()));
    assert_eq!(image.layers.len(), 2);
    assert_eq!(image.layers[0], base.layers[0]);
    assert_eq!(image.layers[1].media_type, GZIP_LAYER);
    assert_eq!(image.diff_ids, [digest(BASE_DIFF_ID), Digest::sha256_of(&whiteout_layer())]);
    assert_eq!(image.platform, Platform::linux_amd64());

    let layers = read_layers(&source, &image.layers);
    let top = &layers[1];
    assert_eq!(top.whiteouts, ["etc/os-release"]);
    assert_eq!(top.opaque_dirs, ["usr/share/doc"]);
    assert!(layers[0].files.contains_key("usr/share/doc/bash/copyright"));
    let fs = ImageFs::merge(&layers);
    let (layer, status) = fs.read("var/lib/dpkg/status").unwrap();
    assert_eq!((layer, dpkg_rows(status)), (BASE_LAYER, expected_dpkg_rows()));
    assert!(fs.read("etc/os-release").is_none(), "the whiteout removes the symlink");
    assert!(fs.read("usr/lib/os-release").is_some(), "its target stays");
    assert!(fs.read("usr/share/doc/bash/copyright").is_none(), "the opaque directory hides the lower layer");
    let (layer, readme) = fs.read("usr/share/doc/customs/README").unwrap();
    assert_eq!((layer, readme), (image.layers[1].digest.to_string().as_str(), &b"added by the test\n"[..]));

    // The added layer, tampered with on disk, fails its digest when read.
    let blob = layout.join("blobs/sha256").join(&image.layers[1].digest.hex);
    let mut bytes = std::fs::read(&blob).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&blob, &bytes).unwrap();
    let layer = &image.layers[1];
    let collectors: [&dyn Collector; 1] = [&KEPT];
    let error = read_layer(source.open_layer(layer).unwrap(), layer, &Selector::new(&collectors, &[])).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "layer {0}: oci:{1}:custom: digest mismatch: expected {0}, content hashes to {2}",
            layer.digest,
            layout.display(),
            Digest::sha256_of(&bytes).hex
        )
    );
}

/// Writes a layout whose tag `multi` is an index of a linux/amd64 and a linux/arm64
/// image, each with one gzip layer holding `/etc/arch`; returns manifest digests by arch.
fn write_multi_arch_layout(dir: &Path) -> BTreeMap<&'static str, Digest> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let digest = Digest::sha256_of(bytes);
        std::fs::write(blobs.join(&digest.hex), bytes).unwrap();
        json!({"digest": digest.to_string(), "size": bytes.len()})
    };
    let with_type = |mut descriptor: serde_json::Value, media_type: &str| {
        descriptor["mediaType"] = json!(media_type);
        descriptor
    };
    let mut manifests = Vec::new();
    let mut digests = BTreeMap::new();
    for arch in ["amd64", "arm64"] {
        let mut layer = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(arch.len() as u64);
        header.set_mode(0o644);
        layer.append_data(&mut header, "etc/arch", arch.as_bytes()).unwrap();
        let layer = layer.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&layer).unwrap();
        let gz = gz.finish().unwrap();
        let config = json!({
            "architecture": arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [Digest::sha256_of(&layer).to_string()]},
        });
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": with_type(put(config.to_string().as_bytes()), "application/vnd.oci.image.config.v1+json"),
            "layers": [with_type(put(&gz), GZIP_LAYER)],
        });
        let manifest = manifest.to_string();
        digests.insert(arch, Digest::sha256_of(manifest.as_bytes()));
        let mut descriptor = with_type(put(manifest.as_bytes()), "application/vnd.oci.image.manifest.v1+json");
        descriptor["platform"] = json!({"os": "linux", "architecture": arch});
        manifests.push(descriptor);
    }
    let index =
        json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
    let mut top = with_type(put(index.to_string().as_bytes()), "application/vnd.oci.image.index.v1+json");
    top["annotations"] = json!({"org.opencontainers.image.ref.name": "multi"});
    std::fs::write(dir.join("index.json"), json!({"schemaVersion": 2, "manifests": [top]}).to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    digests
}

#[test]
fn a_multi_platform_layout_and_its_archive() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("multi");
    let digests = write_multi_arch_layout(&layout);
    let archive_path = dir.path().join("multi.tar");
    let mut tar = tar::Builder::new(std::fs::File::create(&archive_path).unwrap());
    tar.append_dir_all(".", &layout).unwrap();
    tar.into_inner().unwrap().sync_all().unwrap();

    for arch in ["amd64", "arm64"] {
        let platform = Platform::parse(&format!("linux/{arch}")).unwrap();
        let sources: [Box<dyn ImageSource>; 2] = [
            Box::new(OciLayout::open(&layout, Some("multi".into()), platform.clone()).unwrap()),
            Box::new(OciArchive::open(&archive_path, Some("multi".into()), platform.clone()).unwrap()),
        ];
        // skopeo, choosing the same platform, finds the same config.
        let skopeo_config: serde_json::Value = serde_json::from_str(&tool(
            "skopeo",
            &["inspect", "--config", "--override-arch", arch, &format!("oci:{}:multi", layout.display())],
        ))
        .unwrap();
        for source in &sources {
            let image = source.resolve().unwrap();
            assert_eq!(image.manifest_digest, digests[arch]);
            assert_eq!(image.platform, platform);
            let ours: serde_json::Value = serde_json::from_slice(&image.config).unwrap();
            assert_eq!(ours["architecture"], skopeo_config["architecture"]);
            assert_eq!(ours["rootfs"], skopeo_config["rootfs"]);
            let fs = ImageFs::merge(read_layers(source.as_ref(), &image.layers));
            assert_eq!(fs.read("etc/arch").unwrap().1, arch.as_bytes());
        }
    }
    let error = OciLayout::open(&layout, Some("multi".into()), Platform::parse("linux/s390x").unwrap())
        .unwrap()
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!(
            "oci:{}:multi: no manifest for linux/s390x in image index sha256:",
            layout.display()
        )),
        "{error}"
    );
    assert!(error.ends_with("(it has linux/amd64, linux/arm64)"), "{error}");
}

/// A `docker save example/alpha:1 example/beta:2` archive written by hand (skopeo 1.9
/// cannot add an image to an existing docker-archive): two Debian 12 images, each of
/// one uncompressed layer with `/etc/os-release` and a dpkg status of one package.
fn write_two_image_docker_archive(path: &Path) {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut manifest = Vec::new();
    for (name, version, tag) in [("alpha", "1.0-1", "example/alpha:1"), ("beta", "2.0-1", "example/beta:2")] {
        let status =
            format!("Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n\n");
        let mut layer = tar::Builder::new(Vec::new());
        for (file, content) in
            [("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n".to_string()), ("var/lib/dpkg/status", status)]
        {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            layer.append_data(&mut header, file, content.as_bytes()).unwrap();
        }
        let layer = layer.into_inner().unwrap();
        let config = json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Labels": {"org.example.name": name}},
            "rootfs": {"type": "layers", "diff_ids": [Digest::sha256_of(&layer).to_string()]},
        })
        .to_string();
        let config_name = format!("{}.json", Digest::sha256_of(config.as_bytes()).hex);
        let layer_name = format!("{}/layer.tar", Digest::sha256_of(&layer).hex);
        manifest.push(json!({"Config": config_name, "RepoTags": [tag], "Layers": [layer_name]}));
        files.push((config_name, config.into_bytes()));
        files.push((layer_name, layer));
    }
    files.push(("manifest.json".into(), json!(manifest).to_string().into_bytes()));
    let mut tar = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, name, bytes.as_slice()).unwrap();
    }
    tar.into_inner().unwrap().sync_all().unwrap();
}

#[test]
fn sbom_of_one_image_of_a_multi_image_docker_archive() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("two.tar");
    write_two_image_docker_archive(&archive);
    let cache = dir.path().join("cache");
    let sbom = |image: &str| {
        common::run(&["--cache-dir", cache.to_str().unwrap(), "sbom", "--image", image], &common::crate_dir())
    };
    let debs = |out: &std::process::Output| {
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let bom = common::stdout_json(out);
        assert_eq!(common::schema_errors("bom-1.6.schema.json", &bom), Vec::<String>::new());
        let mut purls: Vec<String> = bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["purl"].as_str())
            .filter(|p| p.starts_with("pkg:deb/"))
            .map(str::to_string)
            .collect();
        purls.sort();
        purls
    };
    let shown = archive.display();
    assert_eq!(
        debs(&sbom(&format!("docker-archive:{shown}:example/beta:2"))),
        ["pkg:deb/debian/beta@2.0-1?arch=amd64&distro=debian-12"]
    );
    assert_eq!(
        debs(&sbom(&format!("docker-archive:{shown}:docker.io/example/alpha:1"))),
        ["pkg:deb/debian/alpha@1.0-1?arch=amd64&distro=debian-12"]
    );
    assert_eq!(
        debs(&sbom(&format!("docker-archive:{shown}:@1"))),
        ["pkg:deb/debian/beta@2.0-1?arch=amd64&distro=debian-12"]
    );

    // Without a choice, or with one the archive does not hold, nothing is scanned.
    for (image, expected) in [
        (
            format!("docker-archive:{shown}"),
            format!(
                "docker-archive:{shown}: the archive holds 2 images; choose one with docker-archive:{shown}:NAME:TAG or \
                 docker-archive:{shown}:@N (it has @0 example/alpha:1, @1 example/beta:2)"
            ),
        ),
        (
            format!("docker-archive:{shown}:example/beta:3"),
            format!(
                "docker-archive:{shown}:docker.io/example/beta:3: no image tagged docker.io/example/beta:3 in the \
                 archive (it has @0 example/alpha:1, @1 example/beta:2)"
            ),
        ),
    ] {
        let out = sbom(&image);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{image}");
        assert!(out.stdout.is_empty(), "{image}");
        assert!(stderr.contains(&expected), "{image}: {stderr}");
    }
}
