use std::path::Path;

use super::distro::release_of;
use super::resolve::with_epoch;
use super::*;
use crate::inventory::testing::{fixtures, summarize};
use crate::inventory::walk::Inventory;
use crate::model::Ecosystem;
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

/// A CycloneDX 1.6 document with these components (JSON objects), for short tests.
fn cdx(components: &[&str]) -> String {
    format!(
        "{{\n\"bomFormat\": \"CycloneDX\",\n\"specVersion\": \"1.6\",\n\"components\": [\n{}\n]\n}}\n",
        components.join(",\n")
    )
}

/// A library component with just a purl.
fn purl(purl: &str) -> String {
    format!("{{\"type\": \"library\", \"name\": \"x\", \"purl\": \"{purl}\"}}")
}

/// `ecosystem|name|version` of every package of a one-purl-per-line document.
fn resolved(purls: &[&str]) -> Vec<String> {
    let components: Vec<String> = purls.iter().map(|p| purl(p)).collect();
    let out = read_str(&cdx(&components.iter().map(String::as_str).collect::<Vec<_>>())).unwrap();
    let mut lines: Vec<String> =
        out.packages.iter().map(|p| format!("{}|{}|{}", p.ecosystem, p.name, p.version)).collect();
    lines.extend(out.skipped.iter().map(|s| format!("skipped {}: {}", s.declaration, s.reason)));
    lines
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

// ---------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------

#[test]
fn language_purl_types_map_to_osv_ecosystems() {
    assert_eq!(
        resolved(&[
            "pkg:cargo/serde@1.0.200",
            "pkg:npm/%40angular/core@17.0.0",
            "pkg:npm/@types/node@20.1.0",
            "pkg:npm/types/node@20.1.1",
            "pkg:npm/JSONStream@1.3.5",
            "pkg:pypi/Django_Filter@23.5",
            "pkg:golang/github.com/Azure/azure-sdk-for-go@v68.0.0%2Bincompatible",
            "pkg:golang/golang.org/x/net@v0.17.0#http2",
            "pkg:golang/stdlib@go1.22.1",
            "pkg:golang/stdlib@v1.21.0",
            "pkg:gem/rails@7.1.3?platform=ruby",
            "pkg:composer/symfony/console@v6.4.1",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
            "pkg:nuget/Newtonsoft.Json@13.0.3",
            "pkg:pub/http@1.2.0",
            "pkg:hex/plug@1.15.3",
            "pkg:conan/zlib@1.3.1?user=acme&channel=stable",
            "pkg:cran/jsonlite@1.8.8",
            "pkg:hackage/aeson@2.2.1.0",
            "pkg:swift/github.com/apple/swift-nio@2.62.0",
            "pkg:bitnami/redis@7.2.4-0?arch=arm64&distro=debian-12",
            "pkg:julia/Flux@0.14.0?uuid=587475ba-b771-5e3f-ad9e-33799f191a9c",
            "pkg:opam/lwt@5.7.0",
            "pkg:docker/library/alpine@3.19",
            "pkg:cocoapods/AFNetworking@4.0.1",
        ]),
        [
            "crates.io|serde|1.0.200",
            "npm|@angular/core|17.0.0",
            "npm|@types/node|20.1.0",
            "npm|@types/node|20.1.1",
            "npm|JSONStream|1.3.5",
            "PyPI|Django_Filter|23.5",
            "Go|github.com/Azure/azure-sdk-for-go|68.0.0+incompatible",
            "Go|golang.org/x/net|0.17.0",
            "Go|stdlib|1.22.1",
            "Go|stdlib|1.21.0",
            "RubyGems|rails|7.1.3",
            "Packagist|symfony/console|v6.4.1",
            "Maven|org.apache.logging.log4j:log4j-core|2.14.1",
            "NuGet|Newtonsoft.Json|13.0.3",
            "Pub|http|1.2.0",
            "Hex|plug|1.15.3",
            "ConanCenter|zlib|1.3.1",
            "CRAN|jsonlite|1.8.8",
            "Hackage|aeson|2.2.1.0",
            "SwiftURL|github.com/apple/swift-nio|2.62.0",
            "Bitnami|redis|7.2.4-0",
            "Julia|Flux|0.14.0",
            "opam|lwt|5.7.0",
            "skipped pkg:docker/library/alpine@3.19: purl type \"docker\" has no OSV ecosystem that customs matches",
            "skipped pkg:cocoapods/AFNetworking@4.0.1: purl type \"cocoapods\" has no OSV ecosystem that customs matches",
        ]
    );
}

#[test]
fn os_purl_namespaces_map_to_osv_ecosystems() {
    assert_eq!(
        resolved(&[
            "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12",
            "pkg:deb/ubuntu/curl@8.2.1-1ubuntu3.3?distro=ubuntu-23.10",
            "pkg:deb/raspbian/curl@7.88.1-10%2Brpi1?distro=raspbian-12",
            "pkg:deb/curl@7.88.1-10",
            "pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64&distro=3.18.4",
            "pkg:apk/wolfi/glibc@2.39-r1?arch=x86_64&distro=wolfi-20230201",
            "pkg:apk/chainguard/glibc@2.39-r2?arch=x86_64",
            "pkg:apk/postmarketos/busybox@1.36.1-r3",
            "pkg:rpm/almalinux/openssl@3.0.7-24.el9?arch=x86_64&epoch=1&distro=almalinux-9.3",
            "pkg:rpm/alma/openssl@3.0.7-25.el9?arch=x86_64&distro=alma-9.3",
            "pkg:rpm/rocky/openssl@3.0.7-24.el9?epoch=1&distro=rocky-9.3",
            "pkg:rpm/rocky-linux/openssl@3.0.7-26.el9?distro=rocky-linux-9.3",
            "pkg:rpm/redhat/openssl@3.0.7-24.el9?epoch=1&distro=rhel-9.3",
            "pkg:rpm/rhel/openssl@3.0.7-27.el9?distro=rhel-9.3",
            "pkg:rpm/sles/openssl-3@3.0.8-150500.5.14.1?distro=sles-15.5",
            "pkg:rpm/opensuse/openssl-3@3.1.4-1.1?distro=opensuse-tumbleweed-20240101",
            "pkg:rpm/opensuse-leap/openssl-3@3.0.8-150500.5.14.1?distro=opensuse-leap-15.5",
            "pkg:rpm/centos/openssl@1.0.2k-26.el7_9?distro=centos-7",
            "pkg:rpm/fedora/openssl@3.1.1-4.fc39?distro=fedora-39",
            // An rpm namespace that is a deb distribution.
            "pkg:rpm/debian/openssl@3.0.11-1",
        ]),
        [
            "Debian:12|curl|7.88.1-10+deb12u5",
            "Ubuntu:23.10|curl|8.2.1-1ubuntu3.3",
            "Alpine:v3.18|busybox|1.36.1-r2",
            "Wolfi|glibc|2.39-r1",
            "Chainguard|glibc|2.39-r2",
            "AlmaLinux:9|openssl|1:3.0.7-24.el9",
            "AlmaLinux:9|openssl|3.0.7-25.el9",
            "Rocky Linux:9|openssl|1:3.0.7-24.el9",
            "Rocky Linux:9|openssl|3.0.7-26.el9",
            "Red Hat|openssl|1:3.0.7-24.el9",
            "Red Hat|openssl|3.0.7-27.el9",
            "SUSE|openssl-3|3.0.8-150500.5.14.1",
            "openSUSE|openssl-3|3.1.4-1.1",
            "openSUSE|openssl-3|3.0.8-150500.5.14.1",
            "skipped pkg:deb/raspbian/curl@7.88.1-10%2Brpi1?distro=raspbian-12: deb packages of \"raspbian\" have no OSV ecosystem that customs matches",
            "skipped pkg:deb/curl@7.88.1-10: deb package URL without a distribution (namespace)",
            "skipped pkg:apk/postmarketos/busybox@1.36.1-r3: apk packages of \"postmarketos\" have no OSV ecosystem that customs matches",
            "skipped pkg:rpm/centos/openssl@1.0.2k-26.el7_9?distro=centos-7: rpm packages of \"centos\" have no OSV ecosystem that customs matches",
            "skipped pkg:rpm/fedora/openssl@3.1.1-4.fc39?distro=fedora-39: rpm packages of \"fedora\" have no OSV ecosystem that customs matches",
            "skipped pkg:rpm/debian/openssl@3.0.11-1: rpm packages of \"debian\" have no OSV ecosystem that customs matches",
        ]
    );
}

#[test]
fn distro_qualifiers_to_osv_releases() {
    use EcosystemKind::*;
    let cases: &[(EcosystemKind, &str, Option<&str>)] = &[
        (Debian, "debian-12", Some("12")),
        (Debian, "debian-12.5", Some("12")),
        (Debian, "12", Some("12")),
        (Debian, "bookworm", Some("12")),
        (Debian, "debian-bookworm", Some("12")),
        (Debian, "Debian-11", Some("11")),
        (Debian, "bullseye", Some("11")),
        (Debian, "buster", Some("10")),
        (Debian, "stretch", Some("9")),
        (Debian, "jessie", Some("8")),
        (Debian, "wheezy", Some("7")),
        (Debian, "debian-7.11", Some("7")),
        (Debian, "trixie", Some("13")),
        (Debian, "forky", Some("14")),
        (Debian, "squeeze", Some("6.0")),
        (Debian, "debian-6.0.10", Some("6.0")),
        (Debian, "debian-6", Some("6.0")),
        (Debian, "lenny", Some("5.0")),
        (Debian, "etch", Some("4.0")),
        (Debian, "sarge", Some("3.1")),
        (Debian, "debian-3.1", Some("3.1")),
        (Debian, "woody", Some("3.0")),
        (Debian, "potato", Some("2.2")),
        (Debian, "buzz", Some("1.1")),
        (Debian, "sid", None),
        (Debian, "ubuntu-22.04", None),
        (Debian, "", None),
        (Ubuntu, "ubuntu-22.04", Some("22.04:LTS")),
        (Ubuntu, "22.04", Some("22.04:LTS")),
        (Ubuntu, "ubuntu-22.04.3", Some("22.04:LTS")),
        (Ubuntu, "jammy", Some("22.04:LTS")),
        (Ubuntu, "ubuntu-jammy", Some("22.04:LTS")),
        (Ubuntu, "noble", Some("24.04:LTS")),
        (Ubuntu, "ubuntu-20.04", Some("20.04:LTS")),
        (Ubuntu, "focal", Some("20.04:LTS")),
        (Ubuntu, "bionic", Some("18.04:LTS")),
        (Ubuntu, "xenial", Some("16.04:LTS")),
        (Ubuntu, "trusty", Some("14.04:LTS")),
        (Ubuntu, "ubuntu-23.10", Some("23.10")),
        (Ubuntu, "mantic", Some("23.10")),
        (Ubuntu, "ubuntu-23.04", Some("23.04")),
        (Ubuntu, "lunar", Some("23.04")),
        (Ubuntu, "ubuntu-22.10", Some("22.10")),
        (Ubuntu, "ubuntu-24.10", Some("24.10")),
        (Ubuntu, "dapper", Some("6.06:LTS")),
        (Ubuntu, "ubuntu-22", None),
        (Ubuntu, "debian-12", None),
        (Alpine, "3.18.4", Some("v3.18")),
        (Alpine, "alpine-3.18.4", Some("v3.18")),
        (Alpine, "v3.18", Some("v3.18")),
        (Alpine, "alpine-v3.18", Some("v3.18")),
        (Alpine, "3.9.6", Some("v3.9")),
        (Alpine, "3.21.0_alpha20240807", Some("v3.21")),
        (Alpine, "3", None),
        (Alpine, "edge", None),
        (AlmaLinux, "almalinux-9.3", Some("9")),
        (AlmaLinux, "alma-8.9", Some("8")),
        (AlmaLinux, "9", Some("9")),
        (AlmaLinux, "rocky-9.3", None),
        (RockyLinux, "rocky-9.3", Some("9")),
        (RockyLinux, "rocky-linux-8.9", Some("8")),
        (RedHat, "rhel-9.3", None),
        (Suse, "sles-15.5", None),
        (OpenSuse, "opensuse-leap-15.5", None),
        (Wolfi, "wolfi-20230201", None),
    ];
    for (kind, distro, expected) in cases {
        assert_eq!(release_of(*kind, distro).as_deref(), *expected, "{kind:?} {distro:?}");
    }
}

#[test]
fn epochs() {
    assert_eq!(with_epoch("3.0.7-24.el9", Some("1")), "1:3.0.7-24.el9");
    assert_eq!(with_epoch("3.0.7-24.el9", Some("0")), "3.0.7-24.el9");
    assert_eq!(with_epoch("3.0.7-24.el9", Some("00")), "3.0.7-24.el9");
    assert_eq!(with_epoch("3.0.7-24.el9", Some("")), "3.0.7-24.el9");
    assert_eq!(with_epoch("3.0.7-24.el9", Some("x")), "3.0.7-24.el9");
    assert_eq!(with_epoch("3.0.7-24.el9", None), "3.0.7-24.el9");
    // The version's own epoch wins; an explicit 0: is dropped.
    assert_eq!(with_epoch("2:3.0.7-24.el9", Some("1")), "2:3.0.7-24.el9");
    assert_eq!(with_epoch("0:3.0.7-24.el9", None), "3.0.7-24.el9");
    assert_eq!(with_epoch("0:3.0.7-24.el9", Some("1")), "1:3.0.7-24.el9");
    assert_eq!(
        resolved(&[
            "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?distro=debian-12&epoch=1",
            "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-2?distro=debian-12&epoch=1",
            "pkg:apk/alpine/zlib@1.3.1-r0?distro=3.19.1&epoch=1",
        ]),
        ["Debian:12|zlib1g|1:1.2.13.dfsg-1", "Debian:12|zlib1g|1:1.2.13.dfsg-2", "Alpine:v3.19|zlib|1.3.1-r0"]
    );
}

#[test]
fn source_package_precedence() {
    let component = |purl: &str, properties: &[(&str, &str)]| {
        let properties: Vec<String> =
            properties.iter().map(|(k, v)| format!("{{\"name\": \"{k}\", \"value\": \"{v}\"}}")).collect();
        format!(
            "{{\"type\": \"library\", \"name\": \"x\", \"purl\": \"{purl}\", \"properties\": [{}]}}",
            properties.join(", ")
        )
    };
    let doc = cdx(&[
        // Trivy: name, epoch, version and release assembled.
        &component(
            "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04&epoch=2",
            &[
                ("aquasecurity:trivy:SrcName", "openssl"),
                ("aquasecurity:trivy:SrcVersion", "3.0.2"),
                ("aquasecurity:trivy:SrcRelease", "0ubuntu1.15"),
                ("aquasecurity:trivy:SrcEpoch", "2"),
            ],
        ),
        // Trivy with epoch 0 and no release (Alpine).
        &component(
            "pkg:apk/alpine/libssl3@3.1.4-r5?distro=3.19.1",
            &[
                ("aquasecurity:trivy:SrcName", "openssl"),
                ("aquasecurity:trivy:SrcVersion", "3.1.4-r5"),
                ("aquasecurity:trivy:SrcEpoch", "0"),
            ],
        ),
        // The upstream qualifier names the source; the property with the same name adds its version.
        &component(
            "pkg:deb/debian/libidn2-0@2.3.3-1%2Bb1?distro=debian-12&upstream=libidn2",
            &[("syft:metadata:source", "libidn2"), ("syft:metadata:sourceVersion", "2.3.3-1")],
        ),
        // A property naming another source does not override the qualifier.
        &component(
            "pkg:deb/debian/libfoo1@1.0-1?distro=debian-12&upstream=foo",
            &[("syft:metadata:source", "bar"), ("syft:metadata:sourceVersion", "9.9-9")],
        ),
        // Syft's apk origin.
        &component(
            "pkg:apk/alpine/libcrypto3@3.1.4-r5?distro=alpine-3.19.1",
            &[("syft:metadata:originPackage", "openssl")],
        ),
        // rpm keeps the binary name whatever the document says.
        &component(
            "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?distro=almalinux-9.3&upstream=openssl-3.0.7-24.el9.src.rpm",
            &[("aquasecurity:trivy:SrcName", "openssl"), ("aquasecurity:trivy:SrcVersion", "3.0.7")],
        ),
        // Empty values are no source.
        &component("pkg:deb/debian/curl@7.88.1-10?distro=debian-12&upstream=", &[("aquasecurity:trivy:SrcName", "")]),
    ]);
    let out = read_str(&doc).unwrap();
    let got: Vec<String> = out.packages.iter().map(|p| format!("{}|{}|{}", p.ecosystem, p.name, p.version)).collect();
    assert_eq!(
        got,
        [
            "Ubuntu:22.04:LTS|openssl|2:3.0.2-0ubuntu1.15",
            "Alpine:v3.19|openssl|3.1.4-r5",
            "Debian:12|libidn2|2.3.3-1",
            "Debian:12|foo|1.0-1",
            "Alpine:v3.19|openssl|3.1.4-r5",
            "AlmaLinux:9|openssl-libs|3.0.7-24.el9",
            "Debian:12|curl|7.88.1-10",
        ]
    );
    // The binary purl is kept.
    assert_eq!(out.packages[0].purl.name, "libssl3");
}

#[test]
fn os_component_release_applies_only_when_unambiguous() {
    let os = |name: &str, version: &str| {
        format!("{{\"type\": \"operating-system\", \"name\": \"{name}\", \"version\": \"{version}\"}}")
    };
    let one = read_str(&cdx(&[&os("ubuntu", "22.04"), &purl("pkg:deb/ubuntu/bash@5.1-6ubuntu1.1")])).unwrap();
    assert_eq!(one.packages[0].ecosystem.to_string(), "Ubuntu:22.04:LTS");
    // Two releases of one distribution: the package's release stays unknown.
    let two =
        read_str(&cdx(&[&os("debian", "11"), &os("debian", "12"), &purl("pkg:deb/debian/bash@5.2.15-2")])).unwrap();
    assert_eq!(two.packages[0].ecosystem.to_string(), "Debian");
    // Another distribution's component does not apply; neither does it to a distro qualifier.
    let other = read_str(&cdx(&[
        &os("alpine", "3.19.1"),
        &purl("pkg:deb/debian/bash@5.2.15-2"),
        &purl("pkg:apk/alpine/bash@5.2.21-r0?distro=3.18.5"),
    ]))
    .unwrap();
    assert_eq!(other.packages[0].ecosystem.to_string(), "Debian");
    assert_eq!(other.packages[1].ecosystem.to_string(), "Alpine:v3.18");
    assert_eq!(other.skipped, []);
}

#[test]
fn duplicate_purls_merge_flags() {
    let component = |scope: &str, props: &str| {
        format!(
            "{{\"type\": \"library\", \"name\": \"ms\", \"scope\": \"{scope}\", \"purl\": \"pkg:npm/ms@2.1.3\", \"properties\": [{props}]}}"
        )
    };
    let direct = "{\"name\": \"customs:direct\", \"value\": \"true\"}";
    // Direct anywhere is direct; dev only when dev everywhere.
    let out = read_str(&cdx(&[&component("excluded", ""), &component("required", direct)])).unwrap();
    assert_eq!(summarize(&out.packages), ["npm|ms|2.1.3|pkg:npm/ms@2.1.3|5|direct"]);
    let out = read_str(&cdx(&[&component("excluded", ""), &component("excluded", "")])).unwrap();
    assert_eq!(summarize(&out.packages), ["npm|ms|2.1.3|pkg:npm/ms@2.1.3|5|dev"]);
    // Different spellings of one purl are one package; so are repeated bad purls one skip.
    let out = read_str(&cdx(&[
        &purl("pkg:npm/left-pad@1.3.0"),
        &purl("pkg:NPM/Left-Pad@1.3.0"),
        &purl("npm/left-pad"),
        &purl("npm/left-pad"),
    ]))
    .unwrap();
    assert_eq!(summarize(&out.packages), ["npm|left-pad|1.3.0|pkg:npm/left-pad@1.3.0|5|"]);
    assert_eq!(skipped(&out), ["7 | npm/left-pad | invalid package URL: does not start with \"pkg:\""]);
}

#[test]
fn lines_of_escaped_and_repeated_purls() {
    let doc = "{\n  \"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\",\n  \"dependencies\": [{\"ref\": \"pkg:npm/a@1.0.0\"}],\n  \"components\": [\n    {\"name\": \"a\", \"bom-ref\": \"pkg:npm/a@1.0.0\",\n     \"purl\"\n       :\n       \"pkg:npm\\/a@1.0.0\"},\n    {\"name\": \"b\", \"purl\": \"pkg:npm/\\u0040scope/b@2.0.0\"},\n    {\"name\": \"c\", \"bom-ref\": \"c-ref\"}\n  ]\n}\n";
    let out = read_str(doc).unwrap();
    assert_eq!(
        summarize(&out.packages),
        ["npm|a|1.0.0|pkg:npm/a@1.0.0|8|", "npm|@scope/b|2.0.0|pkg:npm/%40scope/b@2.0.0|9|"]
    );
    assert_eq!(skipped(&out), ["10 | c | no package URL (purl) to tell its ecosystem"]);
}

#[test]
fn subject_with_purl_and_spdx_documents_describing_several_packages() {
    let spdx = |describes: &str| {
        format!(
            r#"{{
  "spdxVersion": "SPDX-2.3",
  "documentDescribes": [{describes}],
  "packages": [
    {{"SPDXID": "SPDXRef-a", "name": "a", "externalRefs": [{{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/a@1.0.0"}}]}},
    {{"SPDXID": "SPDXRef-b", "name": "b", "externalRefs": [{{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/b@2.0.0"}}]}}
  ]
}}"#
        )
    };
    let one = read_str(&spdx("\"SPDXRef-a\"")).unwrap();
    assert_eq!(summarize(&one.packages), ["npm|b|2.0.0|pkg:npm/b@2.0.0|6|"]);
    assert_eq!(
        skipped(&one),
        ["5 | pkg:npm/a@1.0.0 | the subject of the SBOM (the project or image itself), not a dependency"]
    );
    let both = read_str(&spdx("\"SPDXRef-a\", \"SPDXRef-b\"")).unwrap();
    assert_eq!(summarize(&both.packages), ["npm|a|1.0.0|pkg:npm/a@1.0.0|5|", "npm|b|2.0.0|pkg:npm/b@2.0.0|6|"]);
    assert_eq!(both.skipped, []);
    // DESCRIBED_BY says the same from the other side.
    let by = spdx("").replace(
        "\"packages\"",
        "\"relationships\": [{\"spdxElementId\": \"SPDXRef-b\", \"relationshipType\": \"DESCRIBED_BY\", \"relatedSpdxElement\": \"SPDXRef-DOCUMENT\"}],\n  \"packages\"",
    );
    let by = read_str(&by).unwrap();
    assert_eq!(summarize(&by.packages), ["npm|a|1.0.0|pkg:npm/a@1.0.0|6|"]);
    assert_eq!(skipped(&by).len(), 1);
}

#[test]
fn empty_documents_have_no_packages() {
    assert_eq!(read_str(r#"{"bomFormat": "CycloneDX", "specVersion": "1.4"}"#).unwrap(), Extracted::default());
    assert_eq!(
        read_str(r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": null, "metadata": {}}"#).unwrap(),
        Extracted::default()
    );
    assert_eq!(read_str(r#"{"spdxVersion": "SPDX-2.3", "packages": []}"#).unwrap(), Extracted::default());
    // A UTF-8 byte order mark is fine.
    let with_bom = "\u{feff}{\"spdxVersion\": \"SPDX-2.2\"}";
    assert_eq!(read_str(with_bom).unwrap(), Extracted::default());
}

// ---------------------------------------------------------------------------------------
// Errors and hostile input
// ---------------------------------------------------------------------------------------

#[test]
fn not_an_sbom_names_the_file() {
    for doc in [
        r#"{"name": "app", "dependencies": {"left-pad": "1.3.0"}}"#,
        r#"[{"bomFormat": "CycloneDX"}]"#,
        r#""CycloneDX""#,
        r#"{"bomFormat": "SWID", "specVersion": "1.5"}"#,
        r#"{"bomFormat": 7}"#,
        r#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}"#,
    ] {
        let err = read_str(doc).unwrap_err();
        assert_eq!(err.path, "bom.json");
        assert!(err.message.starts_with("not a CycloneDX or SPDX JSON document"), "{doc}: {}", err.message);
        assert!(err.to_string().starts_with("bom.json: not a CycloneDX or SPDX JSON document"), "{err}");
    }
}

#[test]
fn unsupported_versions() {
    let err = read_str("{\n\"bomFormat\": \"CycloneDX\",\n\"specVersion\": \"1.1\"\n}").unwrap_err();
    assert_eq!(err.line, Some(3));
    assert_eq!(err.message, "CycloneDX specVersion \"1.1\" is not supported (1.2 to 1.6 are)");
    let err = read_str(r#"{"bomFormat": "CycloneDX", "specVersion": 2}"#).unwrap_err();
    assert_eq!(err.message, "CycloneDX specVersion \"2\" is not supported (1.2 to 1.6 are)");
    let err = read_str("{\n\"bomFormat\": \"CycloneDX\"}").unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(2), "CycloneDX document without a specVersion"));
    let err = read_str("{\"spdxVersion\": \"SPDX-3.0\"}").unwrap_err();
    assert_eq!(err.message, "SPDX version \"SPDX-3.0\" is not supported (SPDX-2.2 and SPDX-2.3 JSON are)");
    let err = read_str("{\"spdxVersion\": 2.3}").unwrap_err();
    assert_eq!(err.message, "SPDX version 2.3 is not supported (SPDX-2.2 and SPDX-2.3 JSON are)");
}

#[test]
fn syntax_errors_name_the_line() {
    let err = read_str("{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.6\",\n  \"components\": [\n    {\"purl\": }\n  ]\n}").unwrap_err();
    assert_eq!(err.line, Some(5));
    assert!(err.message.starts_with("invalid JSON: expected value"), "{}", err.message);
    assert!(!err.message.contains("at line"), "{}", err.message);
    let err = read_str("").unwrap_err();
    assert!(err.message.starts_with("invalid JSON: EOF"), "{}", err.message);
    let err = read_str("{\"spdxVersion\": \"SPDX-2.3\"} trailing").unwrap_err();
    assert!(err.message.starts_with("invalid JSON: trailing characters"), "{}", err.message);
    let err = read_sbom(&Input::new(Path::new("bom.json"), b"{\n\"bomFormat\": \"Cyclone\xff\"}")).unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (Some(2), "not valid UTF-8 text"));
}

#[test]
fn wrong_types_name_the_line() {
    let err = read_str(
        "{\n\"bomFormat\": \"CycloneDX\",\n\"specVersion\": \"1.6\",\n\"components\": {\"purl\": \"pkg:npm/a@1\"}\n}",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(4));
    assert!(
        err.message.starts_with("invalid CycloneDX document: invalid type: map, expected a sequence"),
        "{}",
        err.message
    );
    let err = read_str("{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\",\n\"components\": [\n{\"purl\": 42}]}")
        .unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("invalid type: integer `42`, expected a string"), "{}", err.message);
    let err = read_str(
        "{\"spdxVersion\": \"SPDX-2.3\",\n\"packages\": [{\"externalRefs\": [\n{\"referenceLocator\": []}]}]}",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.message.starts_with("invalid SPDX document: invalid type: sequence"), "{}", err.message);
    // Fields customs does not read may hold anything.
    let ok = read_str("{\"spdxVersion\": \"SPDX-2.3\", \"creationInfo\": 5, \"packages\": [{\"checksums\": \"x\", \"externalRefs\": []}]}");
    assert_eq!(skipped(&ok.unwrap()), ["- | (unnamed) | no package URL (purl) to tell its ecosystem"]);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    // Components nested past serde_json's recursion limit.
    let depth = 300;
    let mut doc = String::from("{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"components\": [\n");
    for i in 0..depth {
        doc.push_str(&format!("{{\"purl\": \"pkg:npm/p{i}@1.0.0\", \"components\": [\n"));
    }
    doc.push_str(&"]}".repeat(depth));
    doc.push_str("]}");
    let err = read_str(&doc).unwrap_err();
    assert!(err.message.contains("recursion limit exceeded"), "{}", err.message);
    assert!(err.line.is_some_and(|l| l > 1 && l <= depth as u32 + 1), "{err:?}");

    // Nesting that serde_json allows is read, all the way down, without recursion.
    let depth = 60;
    let mut doc = String::from("{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"components\": [\n");
    for i in 0..depth {
        doc.push_str(&format!("{{\"purl\": \"pkg:npm/p{i}@1.0.0\", \"components\": [\n"));
    }
    doc.push_str(&"]}".repeat(depth));
    doc.push_str("]}");
    let out = read_str(&doc).unwrap();
    assert_eq!(out.packages.len(), depth);
    assert_eq!(out.packages[depth - 1].name, format!("p{}", depth - 1));
    assert_eq!(out.packages[depth - 1].location.line, Some(depth as u32 + 1));

    // Deep nesting in a field customs skips: no stack is used to skip it.
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let doc = format!(
        "{{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"annotations\": {deep}, \"components\": []}}"
    );
    assert_eq!(read_str(&doc).unwrap(), Extracted::default());
    // ... unless it is where the format goes.
    let doc = format!("{{\"bomFormat\": {deep}}}");
    assert!(read_str(&doc).unwrap_err().message.contains("recursion limit exceeded"));
}

#[test]
fn many_components_are_read_in_linear_time() {
    let n = 50_000;
    let components: Vec<String> = (0..n)
        .map(|i| format!("{{\"type\": \"library\", \"bom-ref\": \"r{i}\", \"name\": \"p{i}\", \"purl\": \"pkg:npm/p{i}@1.0.{i}\"}}"))
        .collect();
    let doc = cdx(&components.iter().map(String::as_str).collect::<Vec<_>>());
    let started = std::time::Instant::now();
    let out = read_str(&doc).unwrap();
    assert_eq!(out.packages.len(), n);
    assert_eq!(out.packages[n - 1].location.line, Some(n as u32 + 4));
    // Generous: a quadratic search would take minutes.
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
}

#[test]
fn garbage_purls_never_panic() {
    for junk in [
        "pkg:",
        "pkg:/",
        "pkg:npm",
        "pkg:npm/",
        "pkg:npm/@",
        "pkg:npm/a@",
        "pkg:deb/debian/x@1?distro=",
        "pkg:deb/debian/x@1?distro=-",
        "pkg:apk/alpine/x@1?distro=v.",
        "pkg:rpm/alma/x@1?epoch=99999999999999999999999",
        "pkg:golang/@v1",
        "pkg:maven/@1",
        "pkg:%FF%FE/x@1",
        "pkg:npm/%E2%82@1",
        "pkg:deb/ubuntu/x@1?distro=ubuntu-99999999999999999999.04",
    ] {
        let out = read_str(&cdx(&[&purl(junk)])).unwrap();
        assert_eq!(out.packages.len() + out.skipped.len(), 1, "{junk}: {out:?}");
    }
}
