use super::*;

const HEX: &str = "c6491d915028ac76ad7f528562ad372dc09d20e486d12fa2e301c21aed300d18";

fn normalised(s: &str) -> String {
    ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}")).to_string()
}

fn registry(s: &str) -> RegistryRef {
    match ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}")) {
        ImageRef::Registry(r) => r,
        other => panic!("{s} parsed as {other:?}"),
    }
}

fn error(s: &str) -> String {
    match ImageRef::parse(s) {
        Ok(r) => panic!("{s} parsed as {r:?}"),
        Err(e) => e,
    }
}

#[test]
fn docker_hub_short_names_are_normalised() {
    assert_eq!(normalised("debian"), "docker.io/library/debian:latest");
    assert_eq!(normalised("debian:12"), "docker.io/library/debian:12");
    assert_eq!(normalised("user/app"), "docker.io/user/app:latest");
    assert_eq!(normalised("docker.io/debian"), "docker.io/library/debian:latest");
    assert_eq!(normalised("index.docker.io/user/app:1"), "docker.io/user/app:1");
    assert_eq!(normalised("index.docker.io/debian"), "docker.io/library/debian:latest");
    assert_eq!(normalised("docker://debian:12"), "docker.io/library/debian:12");
    assert_eq!(normalised("a/b/c/d"), "docker.io/a/b/c/d:latest");
}

#[test]
fn registry_parts_are_split_like_docker_does() {
    let r = registry("debian:bookworm-slim");
    assert_eq!(
        r,
        RegistryRef {
            registry: "docker.io".into(),
            repository: "library/debian".into(),
            tag: Some("bookworm-slim".into()),
            digest: None
        }
    );
    assert_eq!(r.api_host(), "registry-1.docker.io");
    assert_eq!(r.manifest_reference(), "bookworm-slim");

    let r = registry("localhost:5000/x");
    assert_eq!((r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()), ("localhost:5000", "x", Some("latest")));
    assert_eq!(r.api_host(), "localhost:5000");

    let r = registry("localhost/team/app:v1");
    assert_eq!((r.registry.as_str(), r.repository.as_str()), ("localhost", "team/app"));

    let r = registry("ghcr.io/org/app");
    assert_eq!((r.registry.as_str(), r.api_host(), r.repository.as_str()), ("ghcr.io", "ghcr.io", "org/app"));

    let r = registry("[::1]:5000/x:1.0");
    assert_eq!((r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()), ("[::1]:5000", "x", Some("1.0")));
    assert_eq!(registry("[fe80::1]/x").registry, "[fe80::1]");
    assert_eq!(registry("10.0.0.1:443/x").registry, "10.0.0.1:443");

    // A first component without '.', ':' or "localhost" is a Docker Hub namespace.
    assert_eq!(registry("myhost/x").registry, "docker.io");
    // Registry host names may use upper case (DNS is case-insensitive); repositories may not.
    assert_eq!(registry("Example.COM/x").registry, "Example.COM");
}

#[test]
fn a_digest_pins_the_image_and_wins_over_the_tag() {
    let r = registry(&format!("host:5000/a/b:tag@sha256:{HEX}"));
    assert_eq!(r.registry, "host:5000");
    assert_eq!(r.repository, "a/b");
    assert_eq!(r.tag.as_deref(), Some("tag"));
    assert_eq!(r.digest.as_ref().unwrap().hex, HEX);
    assert_eq!(r.manifest_reference(), format!("sha256:{HEX}"));
    assert_eq!(r.to_string(), format!("host:5000/a/b:tag@sha256:{HEX}"));

    // No tag is implied beside a digest.
    let r = registry(&format!("debian@sha256:{HEX}"));
    assert_eq!(r.tag, None);
    assert_eq!(r.to_string(), format!("docker.io/library/debian@sha256:{HEX}"));
}

#[test]
fn repository_path_components_follow_the_grammar() {
    for ok in ["a", "a0", "a.b", "a_b", "a__b", "a-b", "a---b", "a.b-c_d__e", "0/1/2"] {
        assert_eq!(registry(ok).repository.trim_start_matches("library/"), ok, "{ok}");
    }
    for bad in ["a..b", "a___b", "-a", "a-", ".a", "a.", "_a", "a_", "a/.b", "a-._b", "a.-b", "é"] {
        let e = error(bad);
        assert!(e.contains("is not a repository path component"), "{bad}: {e}");
    }
    assert_eq!(
        error("Debian"),
        r#""Debian" is not a valid image reference: repository names must be lowercase ("Debian")"#
    );
    assert_eq!(
        error("a//b"),
        r#""a//b" is not a valid image reference: the repository name has an empty path component"#
    );
    assert_eq!(error("ghcr.io/"), r#""ghcr.io/" is not a valid image reference: the repository name is empty"#);
    let long = format!("ghcr.io/{}", "a".repeat(250));
    assert!(error(&long).ends_with("the name is longer than 255 characters"), "{}", error(&long));
    assert!(ImageRef::parse(&format!("ghcr.io/{}", "a".repeat(247))).is_ok());
}

#[test]
fn tags_follow_the_grammar() {
    assert_eq!(registry("a:A_z.0-9").tag.as_deref(), Some("A_z.0-9"));
    assert_eq!(registry("a:_x").tag.as_deref(), Some("_x"));
    let max = "t".repeat(128);
    assert_eq!(registry(&format!("a:{max}")).tag.as_deref(), Some(max.as_str()));
    for bad in ["a:", "a:.x", "a:-x", "a:x+y", "a:x y"] {
        assert!(error(bad).contains("is not valid (letters, digits"), "{bad}: {}", error(bad));
    }
    assert!(error(&format!("a:{max}t")).contains("at most 128 characters"));
}

#[test]
fn registries_and_digests_are_validated() {
    assert_eq!(
        error("host:99999/x"),
        r#""host:99999/x" is not a valid image reference: registry "host:99999": "99999" is not a port number"#
    );
    assert!(error("host:/x").contains(r#""" is not a port number"#));
    assert!(error("-bad.io/x").contains(r#"registry "-bad.io" is not a host name"#));
    assert!(error("a_b.io/x").contains("is not a host name"));
    assert!(error("[::1/x").contains("unclosed '['"));
    assert!(error("[zz::1]:5000/x").contains(r#""zz::1" is not an IPv6 address"#));
    assert!(error("[::1]5000/x").contains("unexpected text after ']'"));
    assert!(error("debian@md5:abc").contains("unsupported digest algorithm"));
    assert!(error("debian@sha256:abc").contains("malformed sha256 digest"));
    assert!(error("https://ghcr.io/org/app").contains("without a URL scheme"));
    assert_eq!(error(""), "an image reference is empty");
}

#[test]
fn paths_that_fail_as_references_suggest_the_archive_forms() {
    let e = error("./images/Debian.tar");
    assert!(e.contains("docker-archive:./images/Debian.tar, oci-archive:./images/Debian.tar"), "{e}");
    // A name that is not path-like gets no such hint.
    assert!(!error("Debian").contains("docker-archive"));
}

#[test]
fn archive_references() {
    assert_eq!(
        ImageRef::parse("docker-archive:/nonexistent/x.tar").unwrap(),
        ImageRef::DockerArchive { path: "/nonexistent/x.tar".into(), image: None }
    );
    assert_eq!(
        ImageRef::parse("oci-archive:/tmp/x.tar:bookworm").unwrap(),
        ImageRef::OciArchive { path: "/tmp/x.tar".into(), tag: Some("bookworm".into()) }
    );
    assert_eq!(ImageRef::parse("oci-archive:x.tar").unwrap(), ImageRef::OciArchive { path: "x.tar".into(), tag: None });
    assert_eq!(ImageRef::parse("oci:dir").unwrap(), ImageRef::OciLayout { dir: "dir".into(), tag: None });
    assert_eq!(
        ImageRef::parse("oci:/a/b:c:v1").unwrap(),
        ImageRef::OciLayout { dir: "/a/b:c".into(), tag: Some("v1".into()) }
    );
    // What follows the last ':' has a '/': it is part of the path, not a tag.
    assert_eq!(ImageRef::parse("oci:./a:b/c").unwrap(), ImageRef::OciLayout { dir: "./a:b/c".into(), tag: None });
    assert_eq!(error("docker-archive:"), r#""docker-archive:": the archive path is missing (docker-archive:PATH)"#);
    assert_eq!(error("oci:"), r#""oci:": the path is missing"#);
    assert_eq!(error("oci::tag"), r#""oci::tag": the path is missing"#);
    assert_eq!(error("oci-archive:x.tar:"), r#""oci-archive:x.tar:": the tag after ':' is empty"#);
}

#[test]
fn display_round_trips() {
    for s in [
        "docker.io/library/debian:12",
        "ghcr.io/org/app@sha256:c6491d915028ac76ad7f528562ad372dc09d20e486d12fa2e301c21aed300d18",
        "[::1]:5000/x:1",
        "docker-archive:/nonexistent/x.tar",
        "docker-archive:/nonexistent/x.tar:docker.io/library/debian:12",
        "docker-archive:/nonexistent/x.tar:ghcr.io/org/app:1.0",
        "docker-archive:/nonexistent/x.tar:@0",
        "docker-archive:x.tar:@12",
        "oci-archive:/tmp/x.tar:bookworm",
        "oci-archive:x.tar",
        "oci:/srv/layout:v1",
        "oci:layout",
    ] {
        assert_eq!(normalised(s), s);
        assert_eq!(normalised(&normalised(s)), s);
    }
}

fn docker_archive(s: &str, existing: &[&str]) -> Result<ImageRef, String> {
    ImageRef::parse_with(s, &|path| existing.iter().any(|e| Path::new(e) == path))
}

fn archive(path: &str, image: Option<ArchiveImage>) -> ImageRef {
    ImageRef::DockerArchive { path: path.into(), image }
}

fn tagged(s: &str) -> Option<ArchiveImage> {
    Some(ArchiveImage::Reference(RegistryRef::parse(s).unwrap()))
}

#[test]
fn docker_archive_image_selectors() {
    let parse = |s: &str| docker_archive(s, &[]).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert_eq!(parse("docker-archive:x.tar"), archive("x.tar", None));
    // A reference after the first ':', normalised like any other.
    assert_eq!(parse("docker-archive:x.tar:debian:12"), archive("x.tar", tagged("docker.io/library/debian:12")));
    assert_eq!(parse("docker-archive:x.tar:debian"), archive("x.tar", tagged("docker.io/library/debian:latest")));
    assert_eq!(
        parse("docker-archive:/srv/x.tar:localhost:5000/team/app:v1"),
        archive("/srv/x.tar", tagged("localhost:5000/team/app:v1"))
    );
    assert_eq!(parse("docker-archive:x.tar:@0"), archive("x.tar", Some(ArchiveImage::Index(0))));
    assert_eq!(parse("docker-archive:./x.tar:@17"), archive("./x.tar", Some(ArchiveImage::Index(17))));
    assert_eq!(parse("docker-archive:x.tar:debian:12").to_string(), "docker-archive:x.tar:docker.io/library/debian:12");
}

#[test]
fn a_docker_archive_path_with_a_colon() {
    // The whole text names an existing file: it is the path, colons included.
    assert_eq!(docker_archive("docker-archive:a:b", &["a:b"]).unwrap(), archive("a:b", None));
    assert_eq!(docker_archive("docker-archive:/x/a:b:c", &["/x/a:b:c"]).unwrap(), archive("/x/a:b:c", None));
    // Otherwise the first ':' splits path from image, even when a longer prefix exists.
    assert_eq!(docker_archive("docker-archive:a:b", &["a"]).unwrap(), archive("a", tagged("b")));
    assert_eq!(docker_archive("docker-archive:a:b", &[]).unwrap(), archive("a", tagged("b")));
    assert_eq!(docker_archive("docker-archive:a:b:@1", &["a:b"]).unwrap_err(), error_text("a:b:@1"));
    // The real file system decides in ImageRef::parse.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("saved:v1.tar");
    std::fs::write(&file, b"").unwrap();
    let text = format!("docker-archive:{}", file.display());
    assert_eq!(ImageRef::parse(&text).unwrap(), ImageRef::DockerArchive { path: file.clone(), image: None });
    assert_eq!(ImageRef::parse(&text).unwrap().to_string(), text);
    // Once it is gone, the same text is image `v1.tar` of the archive `…/saved`.
    std::fs::remove_file(&file).unwrap();
    let before = file.to_str().unwrap().split_once(':').unwrap().0;
    assert_eq!(ImageRef::parse(&text).unwrap(), archive(before, tagged("v1.tar")));
}

/// `docker-archive:a:b:@1` with `a:b` not existing as a whole: path `a`, image `b:@1`.
fn error_text(rest: &str) -> String {
    let (_, image) = rest.split_once(':').unwrap();
    let whole = format!("docker-archive:{rest}");
    format!("{whole:?}: {}", ArchiveImage::parse(image).unwrap_err())
}

#[test]
fn docker_archive_selector_errors() {
    let error = |s: &str| match docker_archive(s, &[]) {
        Ok(r) => panic!("{s} parsed as {r:?}"),
        Err(e) => e,
    };
    assert_eq!(error("docker-archive:"), r#""docker-archive:": the archive path is missing (docker-archive:PATH)"#);
    assert_eq!(
        error("docker-archive::debian:12"),
        r#""docker-archive::debian:12": the archive path is missing (docker-archive:PATH[:name:tag|:@N])"#
    );
    assert_eq!(
        error("docker-archive:x.tar:"),
        r#""docker-archive:x.tar:": the image after ':' is empty (name:tag or @N)"#
    );
    for bad in ["@", "@x", "@-1", "@+1", "@1.0", "@ 1"] {
        assert_eq!(
            error(&format!("docker-archive:x.tar:{bad}")),
            format!("\"docker-archive:x.tar:{bad}\": {bad:?} is not an image index (@0 is the first image)")
        );
    }
    assert_eq!(
        error("docker-archive:x.tar:@99999999999999999999999"),
        r#""docker-archive:x.tar:@99999999999999999999999": "@99999999999999999999999" is not an image index"#
    );
    assert_eq!(
        error(&format!("docker-archive:x.tar:debian@sha256:{HEX}")),
        format!(
            "\"docker-archive:x.tar:debian@sha256:{HEX}\": \"debian@sha256:{HEX}\": an image in a docker archive is \
             named by name:tag, not by digest"
        )
    );
    assert_eq!(
        error("docker-archive:x.tar:Debian:12"),
        r#""docker-archive:x.tar:Debian:12": "Debian:12" is not a valid image reference: repository names must be lowercase ("Debian")"#
    );
}
