//! Entry points for the coverage-guided fuzz targets in `fuzz/`.
//!
//! customs parses what other people wrote (lockfiles, SBOMs, image layers, registry
//! answers, signatures), so every parser is fuzzed. Many parsers are `pub(crate)` and
//! should stay so; this module, compiled only with the `fuzzing` feature, gives each
//! fuzz target one function taking raw bytes, so the targets stay one line each and
//! the crate's public API does not grow. Parsers that read a path or a file system are
//! driven through their inner function on bytes where one exists, else through a
//! temporary file or an in-memory [`ImageFs`].
//!
//! The module is also compiled for the crate's own tests, which replay every input
//! under `fuzz/regressions/<target>/` and `fuzz/seeds/<target>/` through its target, so
//! a fixed finding stays fixed in a plain `cargo test`.
//!
//! Every function here must return normally for every input: a panic, an abort, a
//! timeout or an out-of-memory is a finding. Where a parser promises more than "no
//! crash" (versions form a total order, a purl prints back to itself), the function
//! asserts that too.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::image::fs::{Context, ImageFs, LayerFiles};
use crate::image::layers::{read_layer, MemoryBudget, Selector};
use crate::image::source::LayerRef;
use crate::image::{analyze, lang, os, pkgdb};
use crate::inventory::{extractor_by_id, FileSource, Input};
use crate::version::Scheme;

/// A fuzz target's entry point: any bytes, and it must return.
pub type Target = fn(&[u8]);

/// Every target: its name (the file under `fuzz/fuzz_targets/`) and its entry point.
/// The consistency test below checks the list against the files.
pub const TARGETS: &[(&str, Target)] = &[
    ("lock_cargo", lock_cargo),
    ("lock_npm", lock_npm),
    ("lock_yarn", lock_yarn),
    ("lock_pnpm", lock_pnpm),
    ("lock_bun", lock_bun),
    ("lock_requirements", lock_requirements),
    ("lock_poetry", lock_poetry),
    ("lock_pipfile", lock_pipfile),
    ("lock_uv", lock_uv),
    ("lock_pdm", lock_pdm),
    ("lock_pylock", lock_pylock),
    ("lock_gomod", lock_gomod),
    ("lock_gemfile", lock_gemfile),
    ("lock_composer", lock_composer),
    ("lock_pom", lock_pom),
    ("lock_gradle", lock_gradle),
    ("lock_nuget", lock_nuget),
    ("lock_pubspec", lock_pubspec),
    ("lock_mix", lock_mix),
    ("lock_conan", lock_conan),
    ("lock_renv", lock_renv),
    ("sbom", sbom),
    ("vex", vex),
    ("config", config),
    ("ignore_file", ignore_file),
    ("foreign_ignore", foreign_ignore),
    ("dockerfile", dockerfile),
    ("osv", osv),
    ("advisory_db", advisory_db),
    ("advisory_modified_ids", advisory_modified_ids),
    ("version_semver", version_semver),
    ("version_pub", version_pub),
    ("version_go", version_go),
    ("version_pep440", version_pep440),
    ("version_maven", version_maven),
    ("version_rubygems", version_rubygems),
    ("version_nuget", version_nuget),
    ("version_composer", version_composer),
    ("version_cran", version_cran),
    ("version_hackage", version_hackage),
    ("version_dpkg", version_dpkg),
    ("version_rpm", version_rpm),
    ("version_apk", version_apk),
    ("cvss", cvss),
    ("purl", purl),
    ("image_reference", image_reference),
    ("image_archive", image_archive),
    ("image_layers", image_layers),
    ("os_release", os_release),
    ("dpkg_status", dpkg_status),
    ("apk_installed", apk_installed),
    ("rpm_header", rpm_header),
    ("rpm_bdb", rpm_bdb),
    ("rpm_ndb", rpm_ndb),
    ("rpm_sqlite", rpm_sqlite),
    ("python_metadata", python_metadata),
    ("node_package_json", node_package_json),
    ("java_archive", java_archive),
    ("go_binary", go_binary),
    ("cargo_auditable", cargo_auditable),
    ("registry_manifest", registry_manifest),
    ("registry_config", registry_config),
    ("registry_token", registry_token),
    ("registry_challenge", registry_challenge),
    ("registry_error", registry_error),
    ("registry_pages", registry_pages),
    ("sigstore_bundle", sigstore_bundle),
    ("simple_signing", simple_signing),
    ("public_key", public_key),
    ("trust_root", trust_root),
];

/// The entry point of the target named `name`, if there is one. The multiplexing
/// binary `fuzz/every_target.rs` picks its target this way, so one instrumented build
/// serves every target (CI builds one binary instead of one per target).
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, target)| *target)
}

// ---- lockfiles: each extractor on the bytes, under the file name it wants ----

/// A file source whose every file is the fuzz input itself, so formats that include
/// other files (`requirements.txt -r other.txt`) meet their own input again: include
/// loops and deep include chains get exercised.
struct SameBytes<'a>(&'a [u8]);

impl FileSource for SameBytes<'_> {
    fn read(&self, _path: &Path) -> std::io::Result<Vec<u8>> {
        Ok(self.0.to_vec())
    }
}

fn extract(id: &str, file_name: &str, data: &[u8]) {
    let extractor = extractor_by_id(id).unwrap_or_else(|| panic!("no extractor {id}"));
    let path = Path::new(file_name);
    assert!(extractor.wants(path), "{id} does not want {file_name}");
    let files = SameBytes(data);
    let input = Input { path, content: data, files: &files };
    let _ = extractor.extract(&input);
}

macro_rules! lockfile_targets {
    ($($name:ident => $id:literal, $file:literal;)*) => {
        $(
            #[doc = concat!("`", $id, "` on a file named `", $file, "`.")]
            pub fn $name(data: &[u8]) {
                extract($id, $file, data);
            }
        )*
    };
}

lockfile_targets! {
    lock_cargo => "rust/cargo-lock", "Cargo.lock";
    lock_npm => "javascript/package-lock", "package-lock.json";
    lock_yarn => "javascript/yarn-lock", "yarn.lock";
    lock_pnpm => "javascript/pnpm-lock", "pnpm-lock.yaml";
    lock_bun => "javascript/bun-lock", "bun.lock";
    lock_requirements => "python/requirements", "requirements.txt";
    lock_poetry => "python/poetry-lock", "poetry.lock";
    lock_pipfile => "python/pipfile-lock", "Pipfile.lock";
    lock_uv => "python/uv-lock", "uv.lock";
    lock_pdm => "python/pdm-lock", "pdm.lock";
    lock_pylock => "python/pylock", "pylock.toml";
    lock_gomod => "go/gomod", "go.mod";
    lock_gemfile => "ruby/gemfile-lock", "Gemfile.lock";
    lock_composer => "php/composer-lock", "composer.lock";
    lock_pom => "java/pom-xml", "pom.xml";
    lock_gradle => "java/gradle-lockfile", "gradle.lockfile";
    lock_nuget => "dotnet/packages-lock", "packages.lock.json";
    lock_pubspec => "dart/pubspec-lock", "pubspec.lock";
    lock_mix => "elixir/mix-lock", "mix.lock";
    lock_conan => "cpp/conan-lock", "conan.lock";
    lock_renv => "r/renv-lock", "renv.lock";
}

// ---- documents the user or the repository hands customs ----

/// CycloneDX or SPDX JSON input.
pub fn sbom(data: &[u8]) {
    let _ = crate::inventory::sbom::read_sbom(&Input::new(Path::new("sbom.json"), data));
}

/// A file in a per-process scratch folder holding `data`, for parsers that only take
/// a path. The folder is reused across inputs (one write per input, no new folders).
fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("customs-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("cannot create the fuzz scratch folder");
        dir
    });
    let path = dir.join(name);
    std::fs::write(&path, data).expect("cannot write the fuzz scratch file");
    path
}

/// An OpenVEX document.
pub fn vex(data: &[u8]) {
    let _ = crate::triage::vex::load(&scratch_file("doc.openvex.json", data));
}

/// `customs.yaml`, with its policy section, then its `scan:` paths and signature rules
/// as a scan resolves them. Asserts the file's promise: every path it names that is
/// accepted lies inside its own folder.
pub fn config(data: &[u8]) {
    let file = scratch_file("customs.yaml", data);
    let Ok(Some(config)) = crate::config::Config::load(Some(&file)) else { return };
    let folder = file.parent().expect("a scratch file has a folder");
    let settings = config.settings();
    let single = [settings.ignore_file, settings.db, settings.output].into_iter().flatten().flatten();
    let lists = [settings.vex, settings.advisories].into_iter().flatten().flatten().flatten();
    for path in single.chain(lists) {
        assert!(stays_inside(folder, &path), "customs.yaml named {} outside {}", path.display(), folder.display());
    }
    let _ = config.signature_rules();
}

/// Whether `path` is `folder` or below it, without `..` climbing above `folder` on the way.
fn stays_inside(folder: &Path, path: &Path) -> bool {
    use std::path::Component;
    let Ok(rest) = path.strip_prefix(folder) else { return false };
    let mut depth = 0usize;
    rest.components().all(|c| match c {
        Component::Normal(_) => {
            depth += 1;
            true
        }
        Component::CurDir => true,
        Component::ParentDir => depth.checked_sub(1).map(|d| depth = d).is_some(),
        Component::RootDir | Component::Prefix(_) => false,
    })
}

/// The ignore file (`.customs-ignore.yaml`).
pub fn ignore_file(data: &[u8]) {
    let _ = crate::triage::ignore::IgnoreFile::load(&scratch_file("customs-ignore.yaml", data));
}

/// Other scanners' ignore files, read when a repository has no `.customs-ignore.yaml`:
/// the same bytes as a `.trivyignore` and as an `osv-scanner.toml`.
pub fn foreign_ignore(data: &[u8]) {
    use crate::triage::foreign;
    let _ = foreign::trivyignore(&scratch_file(foreign::TRIVY_FILE, data));
    let _ = foreign::osv_scanner(&scratch_file(foreign::OSV_SCANNER_FILE, data));
}

/// A Dockerfile, then the rules and the base-image checks that read what it parsed.
pub fn dockerfile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = crate::policy::dockerfile::Dockerfile::parse(text) else { return };
    let _ = crate::policy::rules::check(&parsed, Path::new("Dockerfile"));
    for stage in 0..parsed.stages.len() {
        let _ = parsed.stage_instructions(stage);
    }
}

// ---- advisory data ----

/// One OSV record: parsed, validated, its severities read and every range evaluated at
/// each version the record itself names.
pub fn osv(data: &[u8]) {
    use crate::advisory::osv::{RangeKind, Record};
    let Ok(record) = Record::from_json(data) else { return };
    if record.validate().is_err() {
        return;
    }
    for severity in record.severity.iter().chain(record.affected.iter().flat_map(|a| a.severity.iter())) {
        let _ = crate::advisory::cvss::parse(&severity.score);
    }
    for affected in &record.affected {
        let Some(package) = &affected.package else { continue };
        let Ok(ecosystem) = package.ecosystem.parse::<crate::model::Ecosystem>() else { continue };
        let Some(scheme) = Scheme::for_ecosystem(&ecosystem) else { continue };
        for range in affected.ranges.iter().filter(|r| r.kind != RangeKind::Git) {
            let versions = range.events.iter().map(|e| e.version()).chain(affected.versions.iter().map(String::as_str));
            for version in versions {
                if let Ok(parsed) = scheme.parse(version) {
                    let _ = crate::matching::range::evaluate(scheme, &parsed, &range.events);
                }
            }
        }
    }
    let _ = crate::matching::finding::severity_of(&[&record]);
}

/// A compiled advisory database (`--db FILE`; a repository's `customs.yaml` may name
/// one inside the repository, so its bytes are the repository's): opened, every
/// index key's postings decoded, and packages at the postings' own versions matched
/// as a scan matches them, which inflates the records they point to. Postings in a
/// hostile file were never validated by `db compile`.
pub fn advisory_db(data: &[u8]) {
    use crate::advisory::db::Database;
    use crate::matching::{match_package, Advisories};
    use crate::model::{Ecosystem, Location, Package};
    /// Enough packages to reach every section; few enough to keep an input quick.
    const MAX_PACKAGES: usize = 64;
    let Ok(db) = Database::open(&scratch_file("advisories.db", data)) else { return };
    let mut packages = Vec::new();
    let _ = db.visit_postings(|_, postings| {
        for posting in postings {
            let Ok(ecosystem) = posting.ecosystem.parse::<Ecosystem>() else { continue };
            let events = posting.ranges.iter().flat_map(|r| r.events.iter().map(|e| e.version()));
            for version in events.chain(posting.versions.iter().map(String::as_str)).take(2) {
                let mut package =
                    Package::new(ecosystem.kind, &posting.name, version, Location::new(Path::new("fuzz"), None));
                package.ecosystem = ecosystem.clone();
                packages.push(package);
            }
        }
        if packages.len() < MAX_PACKAGES {
            std::ops::ControlFlow::Continue(())
        } else {
            std::ops::ControlFlow::Break(())
        }
    });
    packages.truncate(MAX_PACKAGES);
    let advisories = Advisories { db: Some(db), local: Default::default() };
    for package in &packages {
        let _ = match_package(package, &advisories);
    }
}

/// A mirror's `modified_id.csv`. Its ids become URL path segments and zip entry names,
/// so whatever parses must be a plain id: no separator, no leading dot.
pub fn advisory_modified_ids(data: &[u8]) {
    use crate::advisory::download::incremental::{looks_like_a_list, parse_modified_ids, plan};
    let _ = looks_like_a_list(data);
    let Ok(listed) = parse_modified_ids(data, "fuzz/modified_id.csv") else { return };
    for id in listed.keys() {
        assert!(!id.is_empty() && !id.starts_with('.'), "{id:?} parsed as an id");
        assert!(!id.contains(['/', '\\', '\0']), "{id:?} parsed as an id");
    }
    // Installed: every other listed record, at its listed time.
    let installed = listed.iter().step_by(2).map(|(id, time)| (id.clone(), Some(*time))).collect();
    let planned = plan(&listed, &installed);
    assert!(planned.remove.is_empty(), "an installed id the list names was removed");
    assert_eq!(planned.fetch.len(), listed.len() - installed.len());
}

/// Versions of one scheme must form a total order: for three versions parsed from
/// the input (split at NUL), comparing is reflexive, antisymmetric and transitive.
fn total_order(scheme: Scheme, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed: Vec<_> = text.splitn(3, '\0').filter_map(|s| scheme.parse(s).ok()).collect();
    for a in &parsed {
        assert_eq!(a.cmp(a), Ordering::Equal, "{scheme:?}: {a:?} is not equal to itself");
        for b in &parsed {
            assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{scheme:?}: {a:?} and {b:?} are not antisymmetric");
            assert_eq!(a == b, a.cmp(b) == Ordering::Equal, "{scheme:?}: == and cmp disagree on {a:?}, {b:?}");
            for c in &parsed {
                if a <= b && b <= c {
                    assert!(a <= c, "{scheme:?}: {a:?} <= {b:?} <= {c:?} but not {a:?} <= {c:?}");
                }
            }
        }
    }
}

macro_rules! version_targets {
    ($($name:ident => $scheme:ident;)*) => {
        $(
            #[doc = concat!("Total order of ", stringify!($scheme), " versions.")]
            pub fn $name(data: &[u8]) {
                total_order(Scheme::$scheme, data);
            }
        )*
    };
}

version_targets! {
    version_semver => SemVer;
    version_pub => Pub;
    version_go => Go;
    version_pep440 => Pep440;
    version_maven => Maven;
    version_rubygems => RubyGems;
    version_nuget => NuGet;
    version_composer => Composer;
    version_cran => Cran;
    version_hackage => Hackage;
    version_dpkg => Dpkg;
    version_rpm => Rpm;
    version_apk => Apk;
}

/// A CVSS vector (v2, v3.x, v4): a parsed vector prints back to a vector that parses
/// to the same metrics and score.
pub fn cvss(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = crate::advisory::cvss::parse(text) else { return };
    let score = parsed.base_score();
    assert!((0.0..=10.0).contains(&score), "{text:?}: base score {score} out of range");
    let _ = parsed.bte_score();
    let _ = parsed.rating();
    let printed = parsed.vector();
    let again = crate::advisory::cvss::parse(&printed)
        .unwrap_or_else(|e| panic!("{text:?} prints as {printed:?}, which does not parse: {e}"));
    assert_eq!(again.vector(), printed, "{text:?}: printing is not stable");
}

/// A purl: whatever parses prints to a purl that parses back to the same value.
pub fn purl(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = crate::purl::Purl::parse(text) else { return };
    let printed = parsed.to_string();
    let again = crate::purl::Purl::parse(&printed)
        .unwrap_or_else(|e| panic!("{text:?} prints as {printed:?}, which does not parse: {e}"));
    assert_eq!(again, parsed, "{text:?} prints as {printed:?}, which parses to something else");
}

/// Image references as typed on the command line or written in `customs.yaml`.
pub fn image_reference(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = crate::image::reference::ImageRef::parse_with(text, &|_| false);
    let _ = crate::image::reference::RegistryRef::parse(text);
    let _ = crate::image::reference::ArchiveImage::parse(text);
    let _ = crate::policy::base_image::Pattern::parse(text);
    let _ = crate::image::digest::Digest::parse(text);
}

/// An image archive as `docker save` (docker-archive) or an OCI layout in a tar
/// (oci-archive) writes it: the index, manifests and config are resolved and every
/// layer the manifest names is read, as a scan of `--image docker-archive:…` would.
pub fn image_archive(data: &[u8]) {
    use crate::image::reference::ImageRef;
    use crate::image::source::Platform;
    let path = scratch_file("image.tar", data);
    for reference in [format!("docker-archive:{}", path.display()), format!("oci-archive:{}", path.display())] {
        let Ok(parsed) = ImageRef::parse(&reference) else { continue };
        let Some(Ok(source)) = crate::image::archive::open(&parsed, Platform::linux_amd64()) else { continue };
        let Ok(resolved) = source.resolve() else { continue };
        let collectors = analyze::collectors();
        let inline = analyze::inline_analyzers();
        let selector = fuzz_selector(&collectors, &inline);
        for layer in resolved.layers.iter().take(8) {
            if let Ok(blob) = source.open_layer(layer) {
                let _ = read_layer(blob, layer, &selector);
            }
        }
    }
}

// ---- images: layers, file system, package databases, binaries ----

/// Separates the layers of one `image_layers` input (in the fuzz dictionary).
pub const LAYER_SEPARATOR: &[u8] = b"\0CUSTOMS-LAYER\0";

/// The byte caps one fuzz input runs under: the defaults are sized for real images
/// (GiBs), far past the fuzzer's 512 MiB memory limit.
fn fuzz_selector<'a>(
    collectors: &'a [&'a dyn crate::image::fs::Collector],
    inline: &'a [&'a dyn crate::image::fs::InlineAnalyzer],
) -> Selector<'a> {
    let mut selector = Selector::new(collectors, inline);
    selector.max_file_size = 16 << 20;
    selector.budget = MemoryBudget::new(32 << 20);
    selector.max_layer_bytes = 64 << 20;
    selector
}

/// A whole image: the input is one or more layer blobs (plain, gzip or zstd tar)
/// joined by [`LAYER_SEPARATOR`]; each is read with every collector and inline
/// analyser, the layers are merged with the whiteout rules, the OS is detected and
/// every collector reads the merged view.
pub fn image_layers(data: &[u8]) {
    let collectors = analyze::collectors();
    let mut wanted = collectors.clone();
    wanted.push(&OsReleaseFiles);
    let inline = analyze::inline_analyzers();
    let selector = fuzz_selector(&wanted, &inline);
    let mut layers = Vec::new();
    for blob in split(data, LAYER_SEPARATOR).into_iter().take(8) {
        let layer = LayerRef {
            digest: crate::image::digest::Digest::sha256_of(blob),
            media_type: "application/vnd.oci.image.layer.v1.tar".into(),
            size: blob.len() as u64,
        };
        match read_layer(blob, &layer, &selector) {
            Ok(files) => layers.push(files),
            Err(_) => return,
        }
    }
    let fs = ImageFs::merge(&layers);
    let context = Context { os: os::detect(&fs) };
    for collector in &collectors {
        let _ = collector.collect_all(&fs, &context);
    }
}

/// Keeps the OS release files while a layer streams by, as the image analysis does.
struct OsReleaseFiles;

impl crate::image::fs::Collector for OsReleaseFiles {
    fn id(&self) -> &'static str {
        "os-release"
    }
    fn wants(&self, path: &str) -> bool {
        os::wants(path)
    }
    fn collect(&self, _: &ImageFs, _: &Context) -> Result<Vec<crate::model::Package>, String> {
        Ok(Vec::new())
    }
}

fn split<'a>(data: &'a [u8], separator: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(separator.len()).position(|w| w == separator) {
        parts.push(&rest[..at]);
        rest = &rest[at + separator.len()..];
    }
    parts.push(rest);
    parts
}

/// An image file system of one layer holding `files`.
fn image_with(files: &[(&str, &[u8])]) -> ImageFs {
    let layer = LayerFiles {
        digest: "sha256:fuzz".into(),
        files: files.iter().map(|(path, bytes)| (path.to_string(), bytes.to_vec())).collect::<BTreeMap<_, _>>(),
        ..LayerFiles::default()
    };
    ImageFs::merge(&[layer])
}

/// `/etc/os-release` (and the release files detection falls back to).
pub fn os_release(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = os::parse_os_release(text);
    }
    for path in ["etc/os-release", "etc/debian_version", "etc/alpine-release", "etc/redhat-release"] {
        let _ = os::detect(&image_with(&[(path, data)]));
    }
}

/// dpkg's `status` file and a distroless `status.d` stanza file.
pub fn dpkg_status(data: &[u8]) {
    let context = Context::default();
    let _ = pkgdb::dpkg::scan(&image_with(&[("var/lib/dpkg/status", data)]), &context);
    let _ = pkgdb::dpkg::scan(&image_with(&[("var/lib/dpkg/status.d/pkg", data)]), &context);
}

/// apk's `installed` database.
pub fn apk_installed(data: &[u8]) {
    let _ = pkgdb::apk::scan(&image_with(&[("lib/apk/db/installed", data)]), &Context::default());
}

/// One rpm header blob, as every rpm database stores them.
pub fn rpm_header(data: &[u8]) {
    if let Ok(package) = pkgdb::rpm::RpmPackage::from_blob(data) {
        let _ = package.evr();
    }
}

/// rpm's Berkeley DB `Packages`.
pub fn rpm_bdb(data: &[u8]) {
    let _ = pkgdb::rpm::read_installed(pkgdb::rpm::Format::BerkeleyDb, data, None);
}

/// rpm's ndb `Packages.db`.
pub fn rpm_ndb(data: &[u8]) {
    let _ = pkgdb::rpm::read_installed(pkgdb::rpm::Format::Ndb, data, None);
}

/// rpm's `rpmdb.sqlite` (SQLite itself included: the file is the image's).
pub fn rpm_sqlite(data: &[u8]) {
    let _ = pkgdb::rpm::read_installed(pkgdb::rpm::Format::Sqlite, data, None);
}

/// Python package metadata in `site-packages` (`METADATA`, `PKG-INFO`).
pub fn python_metadata(data: &[u8]) {
    let fs = image_with(&[
        ("usr/lib/python3/site-packages/pkg-1.0.dist-info/METADATA", data),
        ("usr/lib/python3/site-packages/pkg-1.0.egg-info/PKG-INFO", data),
    ]);
    let _ = crate::image::fs::Collector::collect_all(&lang::python::PythonPackages, &fs, &Context::default());
}

/// An installed npm package's `package.json` under `node_modules`.
pub fn node_package_json(data: &[u8]) {
    let fs = image_with(&[("app/node_modules/pkg/package.json", data)]);
    let _ = crate::image::fs::Collector::collect_all(&lang::node::NodeModules, &fs, &Context::default());
}

fn inline(analyzer: &dyn crate::image::fs::InlineAnalyzer, path: &str, data: &[u8]) {
    if analyzer.wants(path, 0o755, data.len() as u64) {
        let _ = analyzer.analyze(path, data);
    }
}

/// A jar/war/ear (zip, nested jars, `pom.properties`, manifests).
pub fn java_archive(data: &[u8]) {
    inline(&lang::java::JavaArchives, "app/lib/app.jar", data);
}

/// A Go binary's build information (ELF, Mach-O, PE).
pub fn go_binary(data: &[u8]) {
    inline(&lang::gobin::GoBinaries, "usr/local/bin/app", data);
}

/// A cargo-auditable binary's embedded dependency list.
pub fn cargo_auditable(data: &[u8]) {
    inline(&lang::cargo_auditable::AuditableBinaries, "usr/local/bin/app", data);
}

// ---- what a registry answers ----

/// Manifests and indexes, under each content type a registry may send, and the
/// platform choice among an index's entries.
pub fn registry_manifest(data: &[u8]) {
    crate::image::registry::fuzz_hooks::manifest(data);
}

/// An image config blob.
pub fn registry_config(data: &[u8]) {
    crate::image::registry::fuzz_hooks::config(data);
}

/// A token server's answer.
pub fn registry_token(data: &[u8]) {
    crate::image::registry::fuzz_hooks::token(data, Instant::now());
}

/// A registry's JSON error body (`{"errors":[{"code":…,"message":…}]}`), which ends
/// up in messages: nothing of it may carry a control character there.
pub fn registry_error(data: &[u8]) {
    crate::image::registry::fuzz_hooks::error_body(data);
}

/// A `WWW-Authenticate` header.
pub fn registry_challenge(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        crate::image::registry::fuzz_hooks::challenge(text);
    }
}

/// A page of the catalog or of a tag list as a sweep reads it: the first line is the
/// `Link` header, the rest the JSON body. Both lists take it as their first page
/// (`http://127.0.0.1:5000/v2/…?n=100`); a next page followed must stay on that
/// registry and path and never repeat a page, and errors must not carry control
/// characters.
pub fn registry_pages(data: &[u8]) {
    crate::image::registry::fuzz_hooks::list_pages(data);
}

// ---- signatures ----

/// A Sigstore bundle (cosign v3 referrers) and the in-toto statement inside it.
pub fn sigstore_bundle(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        crate::policy::signature::bundle::fuzz_bundle(text);
    }
}

/// A cosign simple-signing layer: payload, certificate annotations and Rekor bundle,
/// split at NUL.
pub fn simple_signing(data: &[u8]) {
    let mut parts = data.splitn(4, |&b| b == 0);
    let payload = parts.next().unwrap_or_default();
    let text = |part: Option<&[u8]>| part.and_then(|p| std::str::from_utf8(p).ok()).unwrap_or_default().to_string();
    let (certificate, chain, rekor) = (text(parts.next()), text(parts.next()), text(parts.next()));
    crate::policy::signature::simple_signing::fuzz_layer(payload, &certificate, &chain, &rekor);
}

/// Public keys, PEM and DER.
pub fn public_key(data: &[u8]) {
    use crate::policy::signature::PublicKey;
    if let Ok(key) = PublicKey::from_spki_der(data) {
        let _ = key.fingerprint();
        let _ = key.verify(b"message", data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(key) = PublicKey::from_pem(text) {
            let _ = key.verify(b"message", data);
        }
    }
}

/// A Sigstore trust root (`trusted_root.json`).
pub fn trust_root(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::policy::signature::TrustRoot::from_json(text, "trusted_root.json");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each entry of [`TARGETS`] has its target file, and each target file an entry.
    #[test]
    fn every_target_has_a_fuzz_target_file() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        files.sort();
        let mut names: Vec<String> = TARGETS.iter().map(|(name, _)| name.to_string()).collect();
        names.sort();
        assert_eq!(files, names);
    }

    /// Every input that once made a target fail, and every hand-written seed, runs
    /// through its target again (`fuzz/run.sh` replays them too, instrumented).
    #[test]
    fn regressions_and_seeds_pass() {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        let mut replayed = 0;
        for (name, target) in TARGETS {
            for kind in ["regressions", "seeds"] {
                let Ok(entries) = std::fs::read_dir(fuzz.join(kind).join(name)) else { continue };
                for entry in entries {
                    let path = entry.unwrap().path();
                    let input = std::fs::read(&path).unwrap();
                    let outcome = std::panic::catch_unwind(|| target(&input));
                    assert!(outcome.is_ok(), "{name} fails on {}", path.display());
                    replayed += 1;
                }
            }
        }
        assert!(replayed > 0, "no regression or seed input under {}", fuzz.display());
    }

    /// The compiled-database seed is a database this customs reads and matches with,
    /// so the fuzzer starts from valid sections rather than from "bad magic". When the
    /// format changes this fails: rebuild the seed as docs/fuzzing.md says.
    #[test]
    fn the_advisory_db_seed_is_current() {
        use crate::advisory::db::Database;
        use crate::matching::{match_package, Advisories};
        use crate::model::{EcosystemKind, Location, Package};
        let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/advisory_db/four-records.db");
        let db = Database::open(&seed).expect("rebuild fuzz/seeds/advisory_db/four-records.db (docs/fuzzing.md)");
        assert_eq!(db.header.records, 4);
        let advisories = Advisories { db: Some(db), local: Default::default() };
        let package = Package::new(EcosystemKind::Npm, "left-pad", "1.2.0", Location::new(Path::new("x"), None));
        let matched = match_package(&package, &advisories).unwrap();
        let ids: Vec<&str> = matched.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["SEED-1"]);
    }

    /// The config target's check can tell a path inside the folder from one that leaves.
    #[test]
    fn stays_inside_tells_escapes_apart() {
        let folder = Path::new("/scratch/repo");
        for inside in ["/scratch/repo", "/scratch/repo/a", "/scratch/repo/a/../b", "/scratch/repo/./a"] {
            assert!(stays_inside(folder, Path::new(inside)), "{inside}");
        }
        for outside in ["/scratch/other", "/scratch/repo/../other", "/scratch/repo/a/../../b", "/scratch"] {
            assert!(!stays_inside(folder, Path::new(outside)), "{outside}");
        }
    }

    /// Every target takes empty and arbitrary input without panicking.
    #[test]
    fn every_target_accepts_trivial_input() {
        for (name, target) in TARGETS {
            for input in [&b""[..], b"\0", b"\xff\xfe garbage {[", LAYER_SEPARATOR] {
                let outcome = std::panic::catch_unwind(|| target(input));
                assert!(outcome.is_ok(), "{name} panicked on {input:?}");
            }
        }
    }
}
