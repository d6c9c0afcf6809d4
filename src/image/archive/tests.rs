use std::collections::BTreeMap;
use std::io::Write;

use serde_json::json;

use super::*;
use crate::image::fs::{Collector, Context, ImageFs, LayerFiles};
use crate::image::layers::{read_layer, Selector};

/// The files of an image layout or archive, built in memory.
#[derive(Default, Clone)]
struct Files(BTreeMap<String, Vec<u8>>);

impl Files {
    fn put(&mut self, name: &str, bytes: impl Into<Vec<u8>>) {
        self.0.insert(name.to_string(), bytes.into());
    }

    /// Stores a blob; returns its descriptor.
    fn blob(&mut self, media_type: &str, bytes: &[u8]) -> serde_json::Value {
        let digest = Digest::sha256_of(bytes);
        self.put(&blob_name(&digest), bytes);
        json!({"mediaType": media_type, "digest": digest.to_string(), "size": bytes.len()})
    }

    fn json_blob(&mut self, media_type: &str, value: &serde_json::Value) -> serde_json::Value {
        self.blob(media_type, value.to_string().as_bytes())
    }

    fn write_dir(&self, dir: &Path) {
        for (name, bytes) in &self.0 {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
    }

    /// A tar of the files, names prefixed with `prefix` (`./` as `tar -C dir .` writes).
    fn tar(&self, prefix: &str) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, bytes) in &self.0 {
            // Written byte for byte: the tar crate's setters refuse absolute names.
            let name = format!("{prefix}{name}");
            let mut header = tar::Header::new_gnu();
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append(&header, bytes.as_slice()).unwrap();
        }
        builder.into_inner().unwrap()
    }
}

fn layer_tar(path: &str, content: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    builder.append_data(&mut header, path, content.as_bytes()).unwrap();
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn config(arch: &str, variant: Option<&str>, diff_ids: &[&[u8]]) -> serde_json::Value {
    let diff_ids: Vec<String> = diff_ids.iter().map(|d| Digest::sha256_of(d).to_string()).collect();
    let mut config = json!({
        "architecture": arch,
        "os": "linux",
        "config": {"Labels": {"org.example.arch": arch}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    if let Some(variant) = variant {
        config["variant"] = json!(variant);
    }
    config
}

/// A one-layer image for `arch`; returns the manifest descriptor.
fn image(files: &mut Files, arch: &str, variant: Option<&str>) -> serde_json::Value {
    let tar = layer_tar("etc/arch", arch);
    let layer = files.blob("application/vnd.oci.image.layer.v1.tar+gzip", &gzip(&tar));
    let config = files.json_blob("application/vnd.oci.image.config.v1+json", &config(arch, variant, &[&tar]));
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config,
        "layers": [layer],
        "annotations": {"org.opencontainers.image.base.name": format!("example/{arch}")},
    });
    let mut descriptor = files.json_blob(OCI_MANIFEST, &manifest);
    descriptor["platform"] = json!({"os": "linux", "architecture": arch});
    if let Some(variant) = variant {
        descriptor["platform"]["variant"] = json!(variant);
    }
    descriptor
}

fn layout(index_manifests: serde_json::Value, files: &mut Files) {
    files.put("oci-layout", r#"{"imageLayoutVersion": "1.0.0"}"#);
    files.put("index.json", json!({"schemaVersion": 2, "manifests": index_manifests}).to_string());
}

/// amd64, arm64/v8 and arm/v7 behind an index tagged `multi`, plus `single` (amd64).
fn multi_arch() -> Files {
    let mut files = Files::default();
    let amd64 = image(&mut files, "amd64", None);
    let arm64 = image(&mut files, "arm64", Some("v8"));
    let arm = image(&mut files, "arm", Some("v7"));
    let attestation = json!({
        "mediaType": OCI_MANIFEST, "digest": format!("sha256:{}", "0".repeat(64)), "size": 1,
        "platform": {"os": "unknown", "architecture": "unknown"},
    });
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [amd64, arm64, arm, attestation]});
    let mut index = files.json_blob(OCI_INDEX, &index);
    index["annotations"] = json!({REF_NAME: "multi"});
    let mut single = image(&mut files, "amd64", None);
    single["annotations"] = json!({REF_NAME: "docker.io/example/app:single"});
    single.as_object_mut().unwrap().remove("platform");
    layout(json!([index, single]), &mut files);
    files
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn with(files: &Files) -> Dir {
        let dir = Dir(tempfile::tempdir().unwrap());
        files.write_dir(dir.0.path());
        dir
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

fn platform(s: &str) -> Platform {
    Platform::parse(s).unwrap()
}

fn resolve_layout(dir: &Path, tag: Option<&str>, wanted: &str) -> Result<ResolvedImage, ImageError> {
    OciLayout::open(dir, tag.map(str::to_string), platform(wanted))?.resolve()
}

/// Reads the `etc/arch` file of every layer of the resolved image.
fn arch_files(source: &dyn ImageSource) -> Vec<String> {
    struct Arch;
    impl Collector for Arch {
        fn id(&self) -> &'static str {
            "test/arch"
        }
        fn wants(&self, path: &str) -> bool {
            path == "etc/arch"
        }
        fn collect(&self, _: &ImageFs, _: &Context) -> Result<Vec<crate::model::Package>, String> {
            Ok(Vec::new())
        }
    }
    let collectors: [&dyn Collector; 1] = [&Arch];
    let selector = Selector::new(&collectors, &[]);
    let image = source.resolve().unwrap();
    let layers: Vec<LayerFiles> = image
        .layers
        .iter()
        .map(|l| read_layer(source.open_layer(l).unwrap(), l, &selector).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let fs = ImageFs::merge(&layers);
    fs.files().map(|(p, _, c)| format!("{p}={}", String::from_utf8_lossy(c))).collect()
}

fn message<T>(result: Result<T, ImageError>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn layouts_choose_the_platform_from_an_index() {
    let files = multi_arch();
    let dir = Dir::with(&files);
    let at = |s: &str| format!("oci:{}:multi{s}", dir.path().display());

    let amd64 = resolve_layout(dir.path(), Some("multi"), "linux/amd64").unwrap();
    assert_eq!(amd64.reference, at(""));
    assert_eq!(amd64.platform, platform("linux/amd64"));
    assert_eq!(amd64.labels.get("org.example.arch").map(String::as_str), Some("amd64"));
    assert_eq!(amd64.annotations.get("org.opencontainers.image.base.name").map(String::as_str), Some("example/amd64"));
    assert_eq!(amd64.diff_ids, [Digest::sha256_of(&layer_tar("etc/arch", "amd64"))]);
    assert_eq!(amd64.layers.len(), 1);
    assert_eq!(amd64.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
    assert!(files.0.contains_key(&blob_name(&amd64.manifest_digest)));
    assert!(Digest::parse(&format!("sha256:{}", Digest::sha256_of(&amd64.config).hex)).is_ok());

    // arm64 with or without its default variant.
    for wanted in ["linux/arm64", "linux/arm64/v8"] {
        let arm64 = resolve_layout(dir.path(), Some("multi"), wanted).unwrap();
        assert_eq!(arm64.platform, platform("linux/arm64/v8"), "{wanted}");
    }
    let arm = OciLayout::open(dir.path(), Some("multi".into()), platform("linux/arm")).unwrap();
    assert_eq!(arm.resolve().unwrap().platform, platform("linux/arm/v7"));
    assert_eq!(arch_files(&arm), ["etc/arch=arm"]);

    assert_eq!(
        message(resolve_layout(dir.path(), Some("multi"), "linux/arm/v6")),
        format!(
            "{}: no manifest for linux/arm/v6 in image index {} (it has linux/amd64, linux/arm64/v8, linux/arm/v7)",
            at(""),
            tagged_digest(&files, "multi")
        )
    );
}

/// The digest index.json gives for `tag`.
fn tagged_digest(files: &Files, tag: &str) -> String {
    let index: serde_json::Value = serde_json::from_slice(&files.0["index.json"]).unwrap();
    let entry = index["manifests"].as_array().unwrap().iter().find(|m| m["annotations"][REF_NAME] == tag).unwrap();
    entry["digest"].as_str().unwrap().to_string()
}

#[test]
fn layouts_choose_the_image_by_tag() {
    let dir = Dir::with(&multi_arch());
    // A ref name that is a whole reference matches its tag.
    let single = resolve_layout(dir.path(), Some("single"), "linux/arm64").unwrap();
    assert_eq!(single.platform, platform("linux/amd64"), "a single-platform image is what it is");
    assert_eq!(
        message(resolve_layout(dir.path(), Some("nope"), "linux/amd64")),
        format!(
            "oci:{}:nope: no image tagged \"nope\" (tags: docker.io/example/app:single, multi)",
            dir.path().display()
        )
    );
    assert_eq!(
        message(resolve_layout(dir.path(), None, "linux/amd64")),
        format!(
            "oci:{}: the layout holds 2 images (tags: docker.io/example/app:single, multi): name one with :TAG",
            dir.path().display()
        )
    );
}

#[test]
fn an_untagged_layout_of_one_image_or_of_platforms() {
    let mut files = Files::default();
    let only = image(&mut files, "amd64", None);
    layout(json!([only]), &mut files);
    let dir = Dir::with(&files);
    assert_eq!(resolve_layout(dir.path(), None, "linux/amd64").unwrap().platform, platform("linux/amd64"));

    // index.json itself listing platform manifests, as some tools write it.
    let mut files = Files::default();
    let amd64 = image(&mut files, "amd64", None);
    let arm64 = image(&mut files, "arm64", None);
    layout(json!([amd64, arm64]), &mut files);
    let dir = Dir::with(&files);
    assert_eq!(resolve_layout(dir.path(), None, "linux/arm64").unwrap().platform, platform("linux/arm64"));
}

#[test]
fn oci_archives_are_read_in_place() {
    let files = multi_arch();
    let dir = Dir::with(&Files::default());
    for prefix in ["", "./", "/"] {
        let path = dir.file("image.tar", &files.tar(prefix));
        let archive = OciArchive::open(&path, Some("multi".into()), platform("linux/arm64")).unwrap();
        let image = archive.resolve().unwrap();
        assert_eq!(image.reference, format!("oci-archive:{}:multi", path.display()));
        assert_eq!(image.platform, platform("linux/arm64/v8"));
        assert_eq!(arch_files(&archive), ["etc/arch=arm64"], "{prefix:?}");
    }
}

#[test]
fn archive_entries_may_be_links_to_other_entries() {
    let mut files = Files::default();
    let only = image(&mut files, "amd64", None);
    layout(json!([only]), &mut files);
    let layer_name = files.0.keys().find(|n| files.0[*n].starts_with(&[0x1f, 0x8b])).unwrap().clone();
    let layer = files.0.remove(&layer_name).unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    for (name, bytes) in files.0.iter().chain([(&"stash/layer.gz".to_string(), &layer)]) {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        tar.append_data(&mut header, name, bytes.as_slice()).unwrap();
    }
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(EntryType::Symlink);
    header.set_size(0);
    tar.append_link(&mut header, &layer_name, "../../stash/layer.gz").unwrap();
    let dir = Dir::with(&Files::default());
    let path = dir.file("linked.tar", &tar.into_inner().unwrap());
    let archive = OciArchive::open(&path, None, Platform::linux_amd64()).unwrap();
    assert_eq!(arch_files(&archive), ["etc/arch=amd64"]);
}

#[test]
fn a_tampered_layer_fails_its_digest() {
    let mut files = Files::default();
    let only = image(&mut files, "amd64", None);
    layout(json!([only]), &mut files);
    let layer_name = files.0.keys().find(|n| files.0[*n].starts_with(&[0x1f, 0x8b])).unwrap().clone();
    let dir = Dir::with(&files);
    let mut tampered = std::fs::read(dir.path().join(&layer_name)).unwrap();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 1;
    std::fs::write(dir.path().join(&layer_name), &tampered).unwrap();
    let source = OciLayout::open(dir.path(), None, Platform::linux_amd64()).unwrap();
    let image = source.resolve().unwrap();
    let layer = &image.layers[0];
    let collectors: [&dyn Collector; 0] = [];
    let e = read_layer(source.open_layer(layer).unwrap(), layer, &Selector::new(&collectors, &[])).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "layer {0}: oci:{1}: digest mismatch: expected {0}, content hashes to {2}",
            layer.digest,
            dir.path().display(),
            Digest::sha256_of(&tampered).hex
        )
    );
}

#[test]
fn malformed_layouts_are_named_errors() {
    let good = {
        let mut files = Files::default();
        let only = image(&mut files, "amd64", None);
        layout(json!([only]), &mut files);
        files
    };
    let index: serde_json::Value = serde_json::from_slice(&good.0["index.json"]).unwrap();
    let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap().to_string();
    let manifest_name = manifest_digest.replace("sha256:", "blobs/sha256/");
    let error_of = |files: &Files| {
        let dir = Dir::with(files);
        message(resolve_layout(dir.path(), None, "linux/amd64")).replace(&dir.path().display().to_string(), "DIR")
    };

    let mut files = good.clone();
    files.0.remove("index.json");
    assert_eq!(error_of(&files), "oci:DIR: not an OCI image layout: index.json is missing");
    files.put("manifest.json", "[]");
    assert_eq!(
        error_of(&files),
        "oci:DIR: not an OCI image layout: index.json is missing (a docker save archive? use docker-archive:)"
    );

    let mut files = good.clone();
    files.put("index.json", "{not json");
    assert!(
        error_of(&files).starts_with("oci:DIR: index.json is malformed: key must be a string"),
        "{}",
        error_of(&files)
    );

    let mut files = good.clone();
    files.put("index.json", json!({"manifests": [{"digest": "sha256:../../../etc/passwd", "size": 1}]}).to_string());
    assert!(
        error_of(&files).contains("\"sha256:../../../etc/passwd\": malformed sha256 digest"),
        "{}",
        error_of(&files)
    );

    let mut files = good.clone();
    files.put("oci-layout", r#"{"imageLayoutVersion": "2.0.0"}"#);
    assert_eq!(error_of(&files), "oci:DIR: unsupported OCI layout version \"2.0.0\" (customs reads 1.x)");

    let mut files = good.clone();
    files.0.remove(&manifest_name);
    assert_eq!(error_of(&files), format!("oci:DIR: manifest blob {manifest_digest} is missing"));

    let mut files = good.clone();
    let mut altered = files.0[&manifest_name].clone();
    altered[0] = b' ';
    files.put(&manifest_name, altered);
    assert_eq!(
        error_of(&files),
        format!("oci:DIR: manifest {manifest_digest}: digest mismatch (the blob was altered)")
    );

    let mut files = good.clone();
    let size = files.0[&manifest_name].len();
    files.put(&manifest_name, [files.0[&manifest_name].clone(), b" ".to_vec()].concat());
    assert_eq!(
        error_of(&files),
        format!("oci:DIR: manifest {manifest_digest}: {} bytes, its descriptor says {size}", size + 1)
    );

    let mut files = good.clone();
    files.put("index.json", json!({"manifests": []}).to_string());
    assert_eq!(error_of(&files), "oci:DIR: index.json lists no image");

    let mut files = Files::default();
    let schema1 = files.json_blob("application/vnd.docker.distribution.manifest.v1+json", &json!({"schemaVersion": 1}));
    layout(json!([schema1]), &mut files);
    let digest = schema1["digest"].as_str().unwrap().to_string();
    assert_eq!(
        error_of(&files),
        format!("oci:DIR: manifest {digest}: unsupported media type \"application/vnd.docker.distribution.manifest.v1+json\"")
    );

    // An index that lists itself never ends.
    let mut files = Files::default();
    let mut inner = image(&mut files, "amd64", None);
    for _ in 0..6 {
        let index = json!({"mediaType": OCI_INDEX, "manifests": [inner]});
        inner = files.json_blob(OCI_INDEX, &index);
        inner["platform"] = json!({"os": "linux", "architecture": "amd64"});
    }
    layout(json!([inner]), &mut files);
    assert!(error_of(&files).contains("image indexes nested more than 4 deep"), "{}", error_of(&files));

    let dir = Dir::with(&Files::default());
    assert_eq!(
        message(resolve_layout(&dir.path().join("absent"), None, "linux/amd64")),
        format!("oci:{}/absent: no such directory", dir.path().display())
    );
}

#[test]
fn not_an_archive() {
    let dir = Dir::with(&Files::default());
    let path = dir.file("text.tar", &b"plain text, not a tar archive: it has no headers at all".repeat(20));
    let e = message(OciArchive::open(&path, None, Platform::linux_amd64()));
    assert!(e.starts_with(&format!("oci-archive:{}: not a tar archive: ", path.display())), "{e}");
    let missing = dir.path().join("missing.tar");
    assert_eq!(
        message(OciArchive::open(&missing, None, Platform::linux_amd64())),
        format!("oci-archive:{}: no such file", missing.display())
    );
    assert_eq!(
        message(DockerArchive::open(dir.path(), None)),
        format!("docker-archive:{}: not a file", dir.path().display())
    );
}

/// A `docker save` archive: a plain legacy layer, a symlinked duplicate, a gzip layer
/// under `blobs/sha256/`, a gzip layer under a legacy name (hashed on open).
fn docker_save(tweak: impl FnOnce(&mut serde_json::Value, &mut Files)) -> Files {
    let mut files = Files::default();
    let plain = layer_tar("etc/os-release", "ID=test\n");
    let second = layer_tar("etc/arch", "amd64");
    let third = layer_tar("etc/third", "3");
    let config = config("amd64", None, &[&plain, &second, &third]);
    let config_bytes = config.to_string();
    let config_name = format!("{}.json", Digest::sha256_of(config_bytes.as_bytes()).hex);
    files.put(&config_name, config_bytes);
    files.put("0123abcd/layer.tar", plain);
    let gz = gzip(&second);
    files.put(&blob_name(&Digest::sha256_of(&gz)), gz.clone());
    files.put("4567ef/layer.tar", gzip(&third));
    let mut manifest = json!([{
        "Config": config_name,
        "RepoTags": ["example/app:1"],
        "Layers": ["0123abcd/layer.tar", blob_name(&Digest::sha256_of(&gz)), "4567ef/layer.tar"],
    }]);
    tweak(&mut manifest, &mut files);
    files.put("manifest.json", manifest.to_string());
    files
}

#[test]
fn docker_archives() {
    let files = docker_save(|_, _| {});
    let dir = Dir::with(&Files::default());
    let path = dir.file("saved.tar", &files.tar(""));
    let archive = DockerArchive::open(&path, None).unwrap();
    let image = archive.resolve().unwrap();
    let config_name = files.0.keys().find(|n| n.ends_with(".json") && *n != "manifest.json").unwrap();
    assert_eq!(image.manifest_digest.hex, config_name.trim_end_matches(".json"));
    assert_eq!(image.reference, format!("docker-archive:{}", path.display()));
    assert_eq!(image.platform, platform("linux/amd64"));
    let plain = layer_tar("etc/os-release", "ID=test\n");
    let summary: Vec<(String, &str, u64)> =
        image.layers.iter().map(|l| (l.digest.to_string(), l.media_type.as_str(), l.size)).collect();
    assert_eq!(
        summary,
        [
            (Digest::sha256_of(&plain).to_string(), "application/vnd.docker.image.rootfs.diff.tar", plain.len() as u64),
            (
                Digest::sha256_of(&files.0[files.0.keys().find(|n| n.starts_with("blobs/")).unwrap()]).to_string(),
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                files.0[files.0.keys().find(|n| n.starts_with("blobs/")).unwrap()].len() as u64
            ),
            (
                Digest::sha256_of(&files.0["4567ef/layer.tar"]).to_string(),
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                files.0["4567ef/layer.tar"].len() as u64
            ),
        ]
    );
    assert_eq!(image.diff_ids[0], image.layers[0].digest, "an uncompressed layer's digest is its diff ID");
    assert_eq!(image.labels.get("org.example.arch").map(String::as_str), Some("amd64"));
    assert_eq!(arch_files(&archive), ["etc/arch=amd64"]);
    let unknown = LayerRef { digest: Digest::sha256_of(b"x"), media_type: OCI_LAYER.into(), size: 1 };
    assert_eq!(
        message(archive.open_layer(&unknown)),
        format!("docker-archive:{}: layer {} is not in the archive", path.display(), unknown.digest)
    );
}

#[test]
fn malformed_docker_archives_are_named_errors() {
    let dir = Dir::with(&Files::default());
    let error_of = |files: Files| {
        let path = dir.file("bad.tar", &files.tar(""));
        message(DockerArchive::open(&path, None)).replace(&path.display().to_string(), "TAR")
    };
    assert_eq!(
        error_of(docker_save(|m, _| m[0]["Layers"][1] = json!("../../etc/passwd"))),
        "docker-archive:TAR: manifest.json: layer path \"../../etc/passwd\" climbs out of the archive"
    );
    assert_eq!(
        error_of(docker_save(|m, _| m[0]["Config"] = json!("/../config.json"))),
        "docker-archive:TAR: manifest.json: config path \"/../config.json\" climbs out of the archive"
    );
    assert_eq!(
        error_of(docker_save(|m, _| m[0]["Layers"][0] = json!("missing/layer.tar"))),
        "docker-archive:TAR: manifest.json names layer \"missing/layer.tar\", which the archive does not contain"
    );
    assert_eq!(
        error_of(docker_save(|m, _| m[0]["Config"] = json!("absent.json"))),
        "docker-archive:TAR: manifest.json names config \"absent.json\", which the archive does not contain"
    );
    assert_eq!(
        error_of(docker_save(|m, _| m[0]["Layers"].as_array_mut().unwrap().truncate(2))),
        "docker-archive:TAR: manifest.json lists 2 layers but the config has 3 diff_ids"
    );
    assert_eq!(
        error_of(docker_save(|m, _| {
            let mut second = m[0].clone();
            second["RepoTags"] = json!(["example/other:2"]);
            m.as_array_mut().unwrap().push(second);
        })),
        "docker-archive:TAR: the archive holds 2 images; choose one with docker-archive:TAR:NAME:TAG or \
         docker-archive:TAR:@N (it has @0 example/app:1, @1 example/other:2)"
    );
    assert_eq!(error_of(docker_save(|m, _| *m = json!([]))), "docker-archive:TAR: manifest.json lists no image");
    assert!(error_of(docker_save(|m, _| *m = json!({"a": 1})))
        .starts_with("docker-archive:TAR: manifest.json is malformed: "));
    let mut oci = multi_arch();
    oci.0.remove("manifest.json");
    assert_eq!(
        error_of(oci),
        "docker-archive:TAR: not a docker archive: manifest.json is missing (an OCI archive? use oci-archive:)"
    );
}

#[test]
fn symlink_targets_are_joined_inside_the_archive() {
    assert_eq!(join_inside("a", "../b.tar").as_deref(), Some("b.tar"));
    assert_eq!(join_inside("a/b", "./c/../d").as_deref(), Some("a/b/d"));
    assert_eq!(join_inside("a", "/x/y").as_deref(), Some("x/y"));
    assert_eq!(join_inside("a", "../../etc/passwd"), None);
    assert_eq!(join_inside("", "../x"), None);
}

#[test]
fn archive_lookups_stop_at_link_loops() {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, target) in [("a", "b"), ("b", "a")] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(EntryType::Symlink);
        header.set_size(0);
        tar.append_link(&mut header, name, target).unwrap();
    }
    let dir = Dir::with(&Files::default());
    let path = dir.file("loop.tar", &tar.into_inner().unwrap());
    let index = TarIndex::build(&path, "test").unwrap();
    assert_eq!(index.lookup("a"), None);
    assert!(index.read("a", 10).unwrap().is_none());
}

#[test]
fn a_later_archive_entry_replaces_an_earlier_one() {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, content) in [("x", "first"), ("y", "target"), ("x", "second")] {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        tar.append_data(&mut header, name, content.as_bytes()).unwrap();
    }
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(EntryType::Symlink);
    header.set_size(0);
    tar.append_link(&mut header, "y", "x").unwrap();
    let dir = Dir::with(&Files::default());
    let path = dir.file("dup.tar", &tar.into_inner().unwrap());
    let index = TarIndex::build(&path, "test").unwrap();
    assert_eq!(index.read("x", 10).unwrap().unwrap(), b"second");
    assert_eq!(index.read("y", 10).unwrap().unwrap(), b"second");
    let e = message(index.read("x", 3));
    assert_eq!(e, "test: x is larger than 3 bytes");
}

#[test]
fn open_dispatches_on_the_reference_kind() {
    assert!(open(&ImageRef::parse("debian:12").unwrap(), Platform::linux_amd64()).is_none());
    let e = open(&ImageRef::parse("oci-archive:/nonexistent/x.tar").unwrap(), Platform::linux_amd64()).unwrap();
    assert_eq!(message(e.map(|_| ())), "oci-archive:/nonexistent/x.tar: no such file");
}

/// `docker save example/app:1 example/app:latest debian:12 <untagged>`: three images, each
/// of one uncompressed layer holding `/etc/arch` (amd64, arm64, s390x), each its own config.
fn docker_save_three() -> Files {
    let mut files = Files::default();
    let mut manifest = Vec::new();
    for (i, (arch, tags)) in [
        ("amd64", json!(["example/app:1", "example/app:latest"])),
        ("arm64", json!(["debian:12"])),
        ("s390x", json!(null)),
    ]
    .into_iter()
    .enumerate()
    {
        let layer = layer_tar("etc/arch", arch);
        let config = config(arch, None, &[&layer]);
        let config = config.to_string();
        let config_name = format!("{}.json", Digest::sha256_of(config.as_bytes()).hex);
        files.put(&config_name, config);
        files.put(&format!("layer{i}/layer.tar"), layer);
        manifest.push(json!({"Config": config_name, "RepoTags": tags, "Layers": [format!("layer{i}/layer.tar")]}));
    }
    files.put("manifest.json", json!(manifest).to_string());
    files
}

fn chosen(path: &Path, image: Option<ArchiveImage>) -> Result<DockerArchive, ImageError> {
    DockerArchive::open(path, image.as_ref())
}

fn by_tag(s: &str) -> Option<ArchiveImage> {
    Some(ArchiveImage::parse(s).unwrap())
}

#[test]
fn one_image_of_a_multi_image_docker_archive_is_chosen() {
    let files = docker_save_three();
    let dir = Dir::with(&Files::default());
    let path = dir.file("three.tar", &files.tar(""));
    let shown = path.display().to_string();
    let config_of = |arch: &str| {
        let config = config(arch, None, &[&layer_tar("etc/arch", arch)]).to_string();
        Digest::sha256_of(config.as_bytes())
    };

    for (selector, arch, reference) in [
        ("debian:12", "arm64", "docker.io/library/debian:12"),
        ("docker.io/library/debian:12", "arm64", "docker.io/library/debian:12"),
        ("index.docker.io/library/debian:12", "arm64", "docker.io/library/debian:12"),
        ("example/app:1", "amd64", "docker.io/example/app:1"),
        ("example/app", "amd64", "docker.io/example/app:latest"),
        ("@0", "amd64", "@0"),
        ("@1", "arm64", "@1"),
        ("@2", "s390x", "@2"),
    ] {
        let archive = chosen(&path, by_tag(selector)).unwrap_or_else(|e| panic!("{selector}: {e}"));
        let image = archive.resolve().unwrap();
        assert_eq!(image.reference, format!("docker-archive:{shown}:{reference}"), "{selector}");
        assert_eq!(image.manifest_digest, config_of(arch), "{selector}");
        assert_eq!(image.platform, platform(&format!("linux/{arch}")), "{selector}");
        assert_eq!(image.labels.get("org.example.arch").map(String::as_str), Some(arch), "{selector}");
        assert_eq!(image.layers.len(), 1);
        assert_eq!(image.layers[0].digest, Digest::sha256_of(&layer_tar("etc/arch", arch)));
        assert_eq!(arch_files(&archive), [format!("etc/arch={arch}")], "{selector}");
    }

    // The same, from what a user types.
    let typed = ImageRef::parse(&format!("docker-archive:{shown}:debian:12")).unwrap();
    let source = open(&typed, Platform::linux_amd64()).unwrap().unwrap();
    assert_eq!(source.resolve().unwrap().manifest_digest, config_of("arm64"));

    let has = "(it has @0 example/app:1 example/app:latest, @1 debian:12, @2 (untagged))";
    let error = |image: Option<ArchiveImage>| message(chosen(&path, image)).replace(&shown, "TAR");
    assert_eq!(
        error(None),
        format!(
            "docker-archive:TAR: the archive holds 3 images; choose one with docker-archive:TAR:NAME:TAG or \
             docker-archive:TAR:@N {has}"
        )
    );
    assert!(matches!(chosen(&path, None), Err(ImageError::Invalid { .. })));
    assert_eq!(
        error(by_tag("debian:13")),
        format!("docker-archive:TAR:docker.io/library/debian:13: no image tagged docker.io/library/debian:13 in the archive {has}")
    );
    assert!(matches!(chosen(&path, by_tag("debian:13")), Err(ImageError::NotFound { .. })));
    // A tag is never matched without its registry and namespace normalised the same way.
    assert!(error(by_tag("ghcr.io/library/debian:12")).contains("no image tagged ghcr.io/library/debian:12"));
    assert!(error(by_tag("app:1")).contains("no image tagged docker.io/library/app:1"));
    assert_eq!(error(by_tag("@3")), format!("docker-archive:TAR:@3: no image @3: the archive holds 3 images {has}"));
    assert!(matches!(chosen(&path, by_tag("@3")), Err(ImageError::NotFound { .. })));
}

#[test]
fn a_tag_on_two_images_of_a_docker_archive_is_refused() {
    let mut files = docker_save_three();
    let mut manifest: serde_json::Value = serde_json::from_slice(&files.0["manifest.json"]).unwrap();
    manifest[2]["RepoTags"] = json!(["docker.io/library/debian:12"]);
    files.put("manifest.json", manifest.to_string());
    let dir = Dir::with(&Files::default());
    let path = dir.file("dup.tar", &files.tar(""));
    assert_eq!(
        message(chosen(&path, by_tag("debian:12"))).replace(&path.display().to_string(), "TAR"),
        "docker-archive:TAR:docker.io/library/debian:12: 2 images are tagged docker.io/library/debian:12 (@1, @2); \
         choose one by its index (it has @0 example/app:1 example/app:latest, @1 debian:12, @2 \
         docker.io/library/debian:12)"
    );
    assert_eq!(arch_files(&chosen(&path, by_tag("@2")).unwrap()), ["etc/arch=s390x"]);
}

#[test]
fn the_only_image_of_a_docker_archive_must_match_its_selector() {
    let dir = Dir::with(&Files::default());
    let path = dir.file("one.tar", &docker_save(|_, _| {}).tar(""));
    let shown = path.display().to_string();
    for selector in [None, by_tag("example/app:1"), by_tag("docker.io/example/app:1"), by_tag("@0")] {
        let image = chosen(&path, selector.clone()).unwrap().resolve().unwrap();
        assert_eq!(image.labels.get("org.example.arch").map(String::as_str), Some("amd64"), "{selector:?}");
    }
    let error = |image: Option<ArchiveImage>| message(chosen(&path, image)).replace(&shown, "TAR");
    assert_eq!(
        error(by_tag("example/app:2")),
        "docker-archive:TAR:docker.io/example/app:2: no image tagged docker.io/example/app:2 in the archive (it has \
         @0 example/app:1)"
    );
    assert_eq!(
        error(by_tag("@1")),
        "docker-archive:TAR:@1: no image @1: the archive holds 1 image (it has @0 example/app:1)"
    );
}
