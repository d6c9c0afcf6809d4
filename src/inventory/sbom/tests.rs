use std::path::Path;

use super::*;
use crate::inventory::testing::{fixtures, summarize};
use crate::inventory::walk::Inventory;
use crate::report;

fn read(rel: &str) -> Result<Extracted, ExtractError> {
    let content = std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"));
    read_sbom(&Input::new(Path::new(rel), &content))
}

fn read_str(content: &str) -> Result<Extracted, ExtractError> {
    read_sbom(&Input::new(Path::new("bom.json"), content.as_bytes()))
}

/// `line | declaration | reason`
fn skipped(out: &Extracted) -> Vec<String> {
    out.skipped
        .iter()
        .map(|s| {
            let line = s.location.line.map(|l| l.to_string()).unwrap_or_else(|| "-".into());
            format!("{line} | {} | {}", s.declaration, s.reason)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

#[test]
fn customs_cyclonedx_1_6_reads_back_with_flags() {
    let out = read("sbom/customs-cdx-1.6.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "crates.io|cfg-if|1.0.0|pkg:cargo/cfg-if@1.0.0|30|",
            "crates.io|private-crate|0.3.1|pkg:cargo/private-crate@0.3.1?repository_url=https://crates.example.com/index|51|direct",
            "crates.io|smallvec|1.6.0|pkg:cargo/smallvec@1.6.0|76|direct",
            "crates.io|time|0.1.45|pkg:cargo/time@0.1.45?vcs_url=https://github.com/time-rs/time%3Frev%3Dabc%23abcdef0123456789|101|direct",
            // The purl was lowercased by purl normalisation; the component name keeps the case.
            "Go|github.com/BurntSushi/toml|0.3.1|pkg:golang/github.com/burntsushi/toml@v0.3.1|126|direct",
            "Go|github.com/coreos/etcd|3.3.27+incompatible|pkg:golang/github.com/coreos/etcd@v3.3.27%2Bincompatible|151|",
            "Go|github.com/gogo/protobuf|1.3.2|pkg:golang/github.com/gogo/protobuf@v1.3.2|172|",
            "Go|google.golang.org/grpc|1.26.0|pkg:golang/google.golang.org/grpc@v1.26.0|193|direct",
            "Go|stdlib|1.16.0|pkg:golang/stdlib@v1.16.0|218|direct",
            "Maven|com.diffplug.spotless:spotless-plugin-gradle|6.23.3|pkg:maven/com.diffplug.spotless/spotless-plugin-gradle@6.23.3|244|",
            "Maven|com.github.ben-manes:gradle-versions-plugin|0.50.0|pkg:maven/com.github.ben-manes/gradle-versions-plugin@0.50.0|266|",
            "Maven|com.google.guava:guava|32.1.3-jre|pkg:maven/com.google.guava/guava@32.1.3-jre|288|",
            "Maven|org.jetbrains.kotlin:kotlin-gradle-plugin|1.9.20|pkg:maven/org.jetbrains.kotlin/kotlin-gradle-plugin@1.9.20|310|",
            "npm|@ungap/promise-all-settled|1.1.2|pkg:npm/%40ungap/promise-all-settled@1.1.2|332|dev",
            "npm|debug|2.6.9|pkg:npm/debug@2.6.9|357|",
            "npm|debug|4.3.1|pkg:npm/debug@4.3.1|378|dev",
            "npm|express|4.17.1|pkg:npm/express@4.17.1|403|direct",
            "npm|fsevents|2.3.2|pkg:npm/fsevents@2.3.2|428|direct,optional",
            "npm|mocha|8.3.2|pkg:npm/mocha@8.3.2|457|direct,dev",
            "npm|ms|2.0.0|pkg:npm/ms@2.0.0|486|",
            "npm|ms|2.1.1|pkg:npm/ms@2.1.1|507|",
            "npm|ms|2.1.2|pkg:npm/ms@2.1.2|528|dev",
            "npm|ms|2.1.3|pkg:npm/ms@2.1.3|553|dev",
            "npm|pad-left|2.1.0|pkg:npm/pad-left@2.1.0|578|direct",
            "npm|send|0.17.1|pkg:npm/send@0.17.1|603|",
        ]
    );
    // The subject (`root`, no purl) is not a package and not worth a skip entry.
    assert_eq!(out.skipped, []);
    assert!(out.packages.iter().all(|p| p.location.path == "sbom/customs-cdx-1.6.json"));
}

#[test]
fn syft_debian_image_uses_source_packages_and_release() {
    let out = read("sbom/syft-debian-cdx-1.5.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Debian:12|base-files|12.4+deb12u5|pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12|34|",
            // No distro qualifier: the release of the document's operating-system component.
            "Debian:12|ca-certificates|20230311|pkg:deb/debian/ca-certificates@20230311?arch=all|69|",
            "Debian:12|glibc|2.36-9+deb12u4|pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc|104|",
            // `upstream=gcc-12@12.2.0-14` names the source version too.
            "Debian:12|gcc-12|12.2.0-14|pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12%4012.2.0-14|143|",
            // Source from the syft:metadata:source property alone.
            "Debian:12|gnutls28|3.7.9-2+deb12u2|pkg:deb/debian/libgnutls30@3.7.9-2%2Bdeb12u2?arch=amd64&distro=debian-12|186|",
            // A binNMU: the source version has no +b1.
            "Debian:12|libidn2|2.3.3-1|pkg:deb/debian/libidn2-0@2.3.3-1%2Bb1?arch=amd64&distro=debian-12|225|",
            // libssl3 is listed twice (line 416 too): one package.
            "Debian:12|openssl|3.0.11-1~deb12u2|pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl|268|",
            "Debian:12|openssl|3.0.11-1~deb12u2|pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12|307|",
            "Debian:12|tzdata|2024a-0+deb12u1|pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=bookworm|342|",
            "Debian:12|zlib|1:1.2.13.dfsg-1|pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib|377|",
            "Go|github.com/Masterminds/semver/v3|3.2.1|pkg:golang/github.com/masterminds/semver/v3@v3.2.1|470|",
            "Go|stdlib|1.21.6|pkg:golang/stdlib@1.21.6|488|",
        ]
    );
    assert_eq!(
        skipped(&out),
        [
            "453 | pkg:golang/github.com/acme/tool@%28devel%29 | Go version \"(devel)\" is not a module version",
            "502 | pkg:generic/python@3.11.2 | purl type \"generic\" has no OSV ecosystem that customs matches",
        ]
    );
}

#[test]
fn trivy_alpine_image_uses_origin_packages() {
    let out = read("sbom/trivy-alpine-cdx-1.5.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Alpine:v3.18|alpine-baselayout|3.4.3-r1|pkg:apk/alpine/alpine-baselayout-data@3.4.3-r1?arch=x86_64&distro=3.18.4|62|",
            "Alpine:v3.18|busybox|1.36.1-r2|pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64&distro=3.18.4|107|",
            "Alpine:v3.18|openssl|3.1.4-r1|pkg:apk/alpine/libcrypto3@3.1.4-r1?arch=x86_64&distro=3.18.4|152|",
            "Alpine:v3.18|musl|1.2.4-r2|pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4|197|",
            "Alpine:v3.18|busybox|1.36.1-r2|pkg:apk/alpine/ssl_client@1.36.1-r2?arch=x86_64&distro=3.18.4|242|",
            "npm|@babel/core|7.23.0|pkg:npm/%40babel/core@7.23.0|303|",
            // Found in two places (bom-refs differ, purls do not): one package.
            "npm|lodash|4.17.21|pkg:npm/lodash@4.17.21|324|",
        ]
    );
    assert_eq!(
        skipped(&out),
        [
            "23 | pkg:oci/alpine@sha256%3A48d9183eb12a05c99bcc0bf44a003607b8e941e1d4f41f9ad12bdcc4b5672f86?arch=amd64&repository_url=index.docker.io%2Flibrary%2Falpine | the subject of the SBOM (the project or image itself), not a dependency",
            "283 | app/package-lock.json | no package URL (purl) to tell its ecosystem",
        ]
    );
}

#[test]
fn syft_almalinux_rpms_with_epochs() {
    let out = read("sbom/syft-almalinux-cdx-1.4.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "AlmaLinux:9|bash|5.1.8-6.el9_1|pkg:rpm/almalinux/bash@5.1.8-6.el9_1?arch=x86_64&distro=almalinux-9.3&upstream=bash-5.1.8-6.el9_1.src.rpm|31|",
            // epoch=1 qualifier → 1:version; rpm keeps the binary name.
            "AlmaLinux:9|openssl-libs|1:3.0.7-24.el9|pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=almalinux-9.3&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm|54|",
            // An epoch written in the version.
            "AlmaLinux:9|perl-libs|4:5.32.1-480.el9|pkg:rpm/almalinux/perl-libs@4:5.32.1-480.el9?arch=x86_64&distro=almalinux-9.3&upstream=perl-5.32.1-480.el9.src.rpm|77|",
            // epoch=0 is no epoch.
            "AlmaLinux:9|tzdata|2023c-1.el9|pkg:rpm/almalinux/tzdata@2023c-1.el9?arch=noarch&distro=almalinux-9.3&epoch=0&upstream=tzdata-2023c-1.el9.src.rpm|100|",
            "AlmaLinux:9|libgcc|11.4.1-2.1.el9.alma|pkg:rpm/almalinux/libgcc@11.4.1-2.1.el9.alma?arch=x86_64&distro=almalinux-9&upstream=gcc-11.4.1-2.1.el9.alma.src.rpm|123|",
        ]
    );
    assert_eq!(
        skipped(&out),
        ["146 | pkg:rpm/almalinux/gpg-pubkey?distro=almalinux-9.3 | package URL without a version"]
    );
}

#[test]
fn nested_components_subject_and_dependency_flags() {
    let out = read("sbom/nested-cdx-1.2.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            // Nested in metadata.component: part of the subject, still a package.
            "Maven|com.acme:shop-core|1.0.0|pkg:maven/com.acme/shop-core@1.0.0?type=jar|29|",
            // The subject dependsOn spring-boot and junit: direct.
            "Maven|org.springframework.boot:spring-boot|3.1.0|pkg:maven/org.springframework.boot/spring-boot@3.1.0?type=jar|42|direct",
            "Maven|org.yaml:snakeyaml|1.33|pkg:maven/org.yaml/snakeyaml@1.33?type=jar|50|",
            "Maven|com.fasterxml.jackson.core:jackson-databind|2.15.0|pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.0?type=jar|58|",
            // scope excluded → dev, scope optional → optional.
            "Maven|junit:junit|4.13.2|pkg:maven/junit/junit@4.13.2?type=jar|77|direct,dev",
            "Maven|com.google.guava:guava|32.1.3-jre|pkg:maven/com.google.guava/guava@32.1.3-jre?type=jar|86|optional",
        ]
    );
    assert_eq!(
        skipped(&out),
        [
            "21 | pkg:maven/com.acme/shop@1.0.0?type=jar | the subject of the SBOM (the project or image itself), not a dependency",
            "63 | vendored-lib 0.1 | no package URL (purl) to tell its ecosystem",
            "93 | pkg:maven/tools@1.8 | Maven package URL without a group (namespace)",
            "100 | pkg:maven/org.example/snapshot | package URL without a version",
            "107 | maven/org.example/bad@1 | invalid package URL: does not start with \"pkg:\"",
            "114 | pkg:github/left-pad/left-pad@1.3.0 | purl type \"github\" has no OSV ecosystem that customs matches",
        ]
    );
}

#[test]
fn trivy_spdx_2_3_debian_image() {
    let out = read("sbom/trivy-debian-spdx-2.3.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            // Source packages from `sourceInfo: built package from: NAME VERSION`.
            "Debian:12|glibc|2.36-9+deb12u4|pkg:deb/debian/libc-bin@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5|52|",
            "Debian:12|openssl|3.0.11-1~deb12u2|pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5|79|",
            "Debian:12|shadow|1:4.13+dfsg1-1|pkg:deb/debian/login@4.13%2Bdfsg1-1%2Bb1?arch=amd64&distro=debian-12.5&epoch=1|106|",
            "Debian:12|zlib|1:1.2.13.dfsg-1|pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.5&epoch=1|133|",
            "PyPI|Django|4.2.1|pkg:pypi/django@4.2.1|167|",
            "PyPI|requests|2.31.0|pkg:pypi/requests@2.31.0|193|",
        ]
    );
    assert_eq!(
        skipped(&out),
        [
            "25 | pkg:oci/debian@sha256%3A2c6e6a0b4f1d8e9c7b5a3f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c?arch=amd64&repository_url=index.docker.io%2Flibrary%2Fdebian | the subject of the SBOM (the project or image itself), not a dependency",
            "148 | Python | no package URL (purl) to tell its ecosystem",
        ]
    );
}

#[test]
fn spdx_2_2_with_package_manager_underscore_category() {
    let out = read("sbom/syft-ubuntu-spdx-2.2.json").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "Ubuntu:22.04:LTS|bash|5.1-6ubuntu1.1|pkg:deb/ubuntu/bash@5.1-6ubuntu1.1?arch=amd64&distro=ubuntu-22.04|40|",
            // distro=jammy (a codename).
            "Ubuntu:22.04:LTS|gcc-12|12.3.0-1ubuntu1~22.04|pkg:deb/ubuntu/libgcc-s1@12.3.0-1ubuntu1~22.04?arch=amd64&distro=jammy&upstream=gcc-12|57|",
            "Ubuntu:22.04:LTS|openssl|3.0.2-0ubuntu1.15|pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04&upstream=openssl|79|",
            // Category PACKAGE-MANAGER in the same document; the epoch is in the version.
            "Ubuntu:22.04:LTS|shadow|1:4.8.1-2ubuntu2.2|pkg:deb/ubuntu/login@1:4.8.1-2ubuntu2.2?arch=amd64&distro=ubuntu-22.04&upstream=shadow|96|",
            "Go|github.com/Masterminds/semver|1.5.0|pkg:golang/github.com/masterminds/semver@v1.5.0|113|",
        ]
    );
    // The described root has no purl (silent); `six` only has a purl of category OTHER.
    assert_eq!(skipped(&out), ["123 | six 1.16.0 | no package URL (purl) to tell its ecosystem"]);
}

// ---------------------------------------------------------------------------------------
// Round trips through customs' own writers
// ---------------------------------------------------------------------------------------

fn sample_inventory() -> Inventory {
    use EcosystemKind::*;
    let at = |line| Location::new(Path::new("app/lock"), Some(line));
    let os = |kind, release: &str, name: &str, version: &str, purl: &str| {
        let mut p = Package::new(kind, name, version, at(1));
        p.ecosystem = Ecosystem::with_release(kind, release);
        p.purl = Purl::parse(purl).unwrap();
        p
    };
    let packages = vec![
        Package::new(CratesIo, "serde", "1.0.200", at(3)).with_relationship(Relationship::Direct),
        Package::new(Npm, "@babel/core", "7.23.0", at(4)).with_dev(true),
        Package::new(Npm, "JSONStream", "1.3.5", at(5)).with_optional(true),
        Package::new(PyPI, "Django", "4.2.1", at(6)),
        Package::new(Go, "github.com/Azure/azure-sdk-for-go", "68.0.0+incompatible", at(7)),
        Package::new(Go, "stdlib", "1.22.1", at(8)),
        Package::new(RubyGems, "rails", "7.1.3", at(9)),
        Package::new(Packagist, "symfony/console", "6.4.1", at(10)),
        Package::new(Maven, "org.apache.logging.log4j:log4j-core", "2.14.1", at(11)),
        Package::new(NuGet, "Newtonsoft.Json", "13.0.3", at(12)),
        Package::new(Pub, "http", "1.2.0", at(13)),
        Package::new(Hex, "plug", "1.15.3", at(14)),
        Package::new(ConanCenter, "zlib", "1.3.1", at(15)),
        Package::new(Cran, "jsonlite", "1.8.8", at(16)),
        Package::new(Hackage, "aeson", "2.2.1.0", at(17)),
        Package::new(SwiftUrl, "github.com/apple/swift-nio", "2.62.0", at(18)),
        os(
            Debian,
            "12",
            "openssl",
            "3.0.11-1~deb12u2",
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl",
        ),
        os(Ubuntu, "22.04:LTS", "bash", "5.1-6ubuntu1.1", "pkg:deb/ubuntu/bash@5.1-6ubuntu1.1?distro=ubuntu-22.04"),
        os(
            Alpine,
            "v3.19",
            "openssl",
            "3.1.4-r5",
            "pkg:apk/alpine/libcrypto3@3.1.4-r5?distro=alpine-3.19.1&upstream=openssl",
        ),
        os(
            AlmaLinux,
            "9",
            "openssl-libs",
            "1:3.0.7-24.el9",
            "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?distro=almalinux-9.3&epoch=1",
        ),
        os(RockyLinux, "8", "curl", "7.61.1-33.el8", "pkg:rpm/rocky/curl@7.61.1-33.el8?distro=rocky-8.9"),
    ];
    Inventory { root: "app".into(), packages, ..Inventory::default() }
}

fn identity(p: &Package) -> String {
    format!("{}|{}|{}|{}|{:?}|{}|{}", p.ecosystem, p.name, p.version, p.purl, p.relationship, p.dev, p.optional)
}

#[test]
fn round_trips_customs_cyclonedx() {
    let inventory = sample_inventory();
    let document = report::cyclonedx::render(&inventory);
    let out = read_str(&document).unwrap();
    assert_eq!(out.skipped, []);
    let mut expected: Vec<String> = inventory.packages.iter().map(identity).collect();
    let mut got: Vec<String> = out.packages.iter().map(identity).collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    // Every package points at the line of its purl in the document.
    for p in &out.packages {
        let line = document.lines().nth(p.location.line.unwrap() as usize - 1).unwrap();
        assert_eq!(line.trim(), format!("\"purl\": \"{}\",", p.purl), "{p:?}");
    }
}

#[test]
fn round_trips_customs_spdx() {
    let inventory = sample_inventory();
    let document = report::spdx::render(&inventory);
    let out = read_str(&document).unwrap();
    // The described root package has no purl: it is the subject, silently.
    assert_eq!(out.skipped, []);
    // SPDX carries no flags.
    let plain = |p: &Package| format!("{}|{}|{}|{}", p.ecosystem, p.name, p.version, p.purl);
    let mut expected: Vec<String> = inventory.packages.iter().map(plain).collect();
    let mut got: Vec<String> = out.packages.iter().map(plain).collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
}
