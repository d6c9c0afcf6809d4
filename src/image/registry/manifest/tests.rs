use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/image/registry").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn platform(s: &str) -> Platform {
    Platform::parse(s).unwrap()
}

fn index(name: &str) -> Vec<Descriptor> {
    match parse(&fixture(name), Some(OCI_INDEX)).unwrap() {
        Manifest::Index(entries) => entries,
        other => panic!("not an index: {other:?}"),
    }
}

#[test]
fn reads_an_oci_manifest_without_media_type_by_its_content_type() {
    // What umoci writes and distribution serves: no mediaType in the body.
    let Manifest::Image(image) = parse(&fixture("oci-manifest.json"), Some(OCI_MANIFEST)).unwrap() else {
        panic!("not an image manifest")
    };
    assert_eq!(
        image.config.digest.to_string(),
        "sha256:88256b30a688c19db944d44fdbcbfbd2274a5e06dc16ac8adc40bcf233e9090f"
    );
    assert_eq!(image.config.size, 560);
    assert_eq!(image.layers.len(), 1);
    assert_eq!(image.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
    assert_eq!(image.layers[0].size, 51122763);
    // Without any header the shape decides.
    assert!(matches!(parse(&fixture("oci-manifest.json"), None), Ok(Manifest::Image(_))));
    assert!(matches!(
        parse(&fixture("oci-manifest.json"), Some("application/json; charset=utf-8")),
        Ok(Manifest::Image(_))
    ));
}

#[test]
fn reads_docker_manifest_lists() {
    let bytes = fixture("docker-manifest-list.json");
    let Manifest::Index(entries) = parse(&bytes, Some(DOCKER_LIST)).unwrap() else { panic!("not an index") };
    assert_eq!(entries.len(), 3);
    // The body's own mediaType is enough.
    assert!(matches!(parse(&bytes, None), Ok(Manifest::Index(_))));
    assert_eq!(
        parse(&bytes, Some(OCI_MANIFEST)).unwrap_err(),
        format!("the registry sent it as {OCI_MANIFEST}, but it says it is {DOCKER_LIST}")
    );
}

#[test]
fn schema1_is_refused_whichever_way_it_comes() {
    let bytes = fixture("docker-schema1.json");
    for content_type in [Some(DOCKER_SCHEMA1_SIGNED), Some("application/json"), None] {
        assert_eq!(parse(&bytes, content_type).unwrap_err(), schema1_message(), "{content_type:?}");
    }
    assert_eq!(parse(b"{}", Some(DOCKER_SCHEMA1)).unwrap_err(), schema1_message());
}

#[test]
fn malformed_manifests_are_refused_with_reasons() {
    let err = |bytes: &[u8], ct: Option<&str>| parse(bytes, ct).unwrap_err();
    assert_eq!(err(b"{}", None), "neither an image manifest nor an index (no config, no manifests)");
    assert_eq!(err(br#"{"schemaVersion":3,"manifests":[]}"#, None), "unsupported manifest schemaVersion 3");
    assert_eq!(
        err(br#"{"schemaVersion":2}"#, Some(OCI_INDEX)),
        format!("an index ({OCI_INDEX}) without \"manifests\"")
    );
    assert_eq!(
        err(br#"{"mediaType":"application/vnd.oci.artifact.manifest.v1+json"}"#, None),
        "unsupported manifest type \"application/vnd.oci.artifact.manifest.v1+json\" (not a container image)"
    );
    assert!(err(b"<html>", None).starts_with("not a manifest ("));
    let bad_digest = br#"{"config":{"digest":"md5:abc","size":1},"layers":[]}"#;
    assert!(err(bad_digest, None).contains("unsupported digest algorithm"), "{}", err(bad_digest, None));
    let negative =
        br#"{"config":{"digest":"sha256:88256b30a688c19db944d44fdbcbfbd2274a5e06dc16ac8adc40bcf233e9090f","size":-1}}"#;
    assert!(err(negative, None).starts_with("not a manifest ("));
}

#[test]
fn artifact_configs_are_not_images() {
    let mut config = match parse(&fixture("oci-manifest.json"), None).unwrap() {
        Manifest::Image(image) => image.config,
        _ => unreachable!(),
    };
    assert_eq!(check_config_media_type(&config), Ok(()));
    config.media_type = "application/vnd.cncf.helm.config.v1+json".into();
    assert_eq!(
        check_config_media_type(&config).unwrap_err(),
        "not a container image: its config is \"application/vnd.cncf.helm.config.v1+json\" (an OCI artifact?)"
    );
}

#[test]
fn selects_platforms_like_containerd() {
    let entries = index("oci-index.json");
    let digest_for = |p: &str| select_platform(&entries, &platform(p)).map(|d| d.digest.hex[..4].to_string());
    assert_eq!(digest_for("linux/amd64").unwrap(), "aaaa");
    assert_eq!(digest_for("linux/arm64").unwrap(), "bbbb");
    assert_eq!(digest_for("linux/arm64/v8").unwrap(), "bbbb");
    assert_eq!(digest_for("linux/arm").unwrap(), "cccc", "arm means arm/v7");
    assert_eq!(digest_for("linux/arm/v7").unwrap(), "cccc");
    assert_eq!(digest_for("linux/arm/v6").unwrap(), "dddd");
    assert_eq!(digest_for("Linux/x86_64").unwrap(), "aaaa");
    assert_eq!(
        digest_for("linux/s390x").unwrap_err(),
        "no image for linux/s390x; the index has linux/amd64, linux/arm64/v8, linux/arm/v7, linux/arm/v6, windows/amd64"
    );
    assert_eq!(
        digest_for("linux/arm/v5").unwrap_err(),
        "no image for linux/arm/v5; the index has linux/amd64, linux/arm64/v8, linux/arm/v7, linux/arm/v6, windows/amd64"
    );
    assert_eq!(
        select_platform(&[], &platform("linux/amd64")).unwrap_err(),
        "no image for linux/amd64: the index lists no platforms"
    );
}

#[test]
fn arm64_without_variant_matches_an_entry_without_one() {
    let mut entries = index("oci-index.json");
    for entry in &mut entries {
        if let Some(p) = entry.platform.as_mut().filter(|p| p.architecture == "arm64") {
            p.variant = None;
        }
    }
    assert_eq!(select_platform(&entries, &platform("linux/arm64/v8")).unwrap().digest.hex[..4], *"bbbb");
    assert_eq!(select_platform(&entries, &platform("linux/arm64")).unwrap().digest.hex[..4], *"bbbb");
}

#[test]
fn reads_config_layers_labels_and_platform() {
    let config = parse_config(&fixture("config.json")).unwrap();
    assert_eq!(config.platform(), Some(platform("linux/arm64/v8")));
    assert_eq!(config.diff_ids.len(), 2);
    assert_eq!(
        config.labels.get("org.opencontainers.image.source").map(String::as_str),
        Some("https://example.com/app")
    );
    let err = |bytes: &[u8]| parse_config(bytes).unwrap_err();
    assert_eq!(err(br#"{"os":"linux"}"#), "not an image config (no rootfs)");
    assert_eq!(err(br#"{"rootfs":{"type":"other","diff_ids":[]}}"#), "rootfs type \"other\" (expected \"layers\")");
    let unlabelled = parse_config(br#"{"rootfs":{"type":"layers","diff_ids":[]},"config":{"Labels":null}}"#).unwrap();
    assert_eq!((unlabelled.platform(), unlabelled.labels.len()), (None, 0));
}
