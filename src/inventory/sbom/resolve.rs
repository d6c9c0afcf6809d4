//! purl → OSV ecosystem, name and version: the purl type picks the ecosystem from
//! the table in [`crate::model`], the namespace rules join the name back as OSV spells
//! it, and OS packages get their release and source package (see the module doc of
//! [`super`]).

use percent_encoding::percent_decode_str;

use super::distro::release_of;
use super::{non_empty, Declared, OsReleases};
use crate::model::{Ecosystem, EcosystemKind, PurlName};
use crate::purl::Purl;

/// The namespace and name of a purl as written: percent-decoded, case kept.
/// (`Purl::parse` applies each type's case folding.)
fn written_name(purl: &str) -> (Option<String>, String) {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let rest = purl.strip_prefix("pkg:").unwrap_or(purl).trim_start_matches('/');
    let rest = rest.split('#').next().unwrap_or_default();
    let rest = rest.split('?').next().unwrap_or_default();
    let rest = rest.split_once('/').map_or("", |(_, rest)| rest).trim_end_matches('/');
    let path = match rest.rfind('@') {
        Some(at) if !rest[at..].contains('/') => &rest[..at],
        _ => rest,
    };
    match path.rfind('/') {
        Some(slash) => {
            let segments: Vec<String> = path[..slash].split('/').filter(|s| !s.is_empty()).map(decode).collect();
            let namespace = (!segments.is_empty()).then(|| segments.join("/"));
            (namespace, decode(&path[slash + 1..]))
        }
        None => (None, decode(path)),
    }
}

pub(super) fn resolve(
    purl: &Purl,
    written: &str,
    d: &Declared<'_>,
    os: &OsReleases,
) -> Result<(Ecosystem, String, String), String> {
    let Some(version) = purl.version.as_deref().filter(|v| !v.trim().is_empty()) else {
        return Err("package URL without a version".into());
    };
    let (namespace, name) = written_name(written);
    let joined = |separator: &str| match &namespace {
        Some(namespace) => format!("{namespace}{separator}{name}"),
        None => name.clone(),
    };
    let ty = purl.ty.as_str();
    let Some(kind) = EcosystemKind::from_purl_type(ty) else {
        return Err(format!("purl type \"{ty}\" has no OSV ecosystem that customs matches"));
    };
    let name = match kind.purl_name() {
        PurlName::Name => name,
        PurlName::Scoped => match &namespace {
            Some(scope) if scope.starts_with('@') => format!("{scope}/{name}"),
            Some(scope) => format!("@{scope}/{name}"),
            None => name,
        },
        PurlName::Path => joined("/"),
        PurlName::GroupArtifact if namespace.is_none() => {
            return Err(format!("{} package URL without a group (namespace)", kind.osv_name()));
        }
        PurlName::GroupArtifact => joined(":"),
        PurlName::Distro(_) => return os_package(purl, name, version, d, os),
    };
    let version = match kind {
        EcosystemKind::Go => go_version(&name, version)?,
        _ => version.to_string(),
    };
    // The document's own spelling, when it only differs in case.
    let name = d.names.iter().find(|n| n.eq_ignore_ascii_case(&name)).cloned().unwrap_or(name);
    Ok((Ecosystem::new(kind), name, version))
}

/// OSV spells Go versions without the `v` (and the toolchain without `go`).
fn go_version(module: &str, version: &str) -> Result<String, String> {
    let mut v = version.strip_prefix('v').unwrap_or(version);
    if module == "stdlib" {
        v = v.strip_prefix("go").unwrap_or(v);
    }
    if !v.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("Go version {version:?} is not a module version"));
    }
    Ok(v.to_string())
}

fn os_package(
    purl: &Purl,
    name: String,
    version: &str,
    d: &Declared<'_>,
    os: &OsReleases,
) -> Result<(Ecosystem, String, String), String> {
    let ty = purl.ty.as_str();
    let Some(namespace) = purl.namespace.as_deref() else {
        return Err(format!("{ty} package URL without a distribution (namespace)"));
    };
    let Some(kind) = EcosystemKind::from_distro_id(namespace).filter(|&k| k.purl_type() == ty) else {
        return Err(format!("{ty} packages of {namespace:?} have no OSV ecosystem that customs matches"));
    };
    let release = match purl.qualifiers.get("distro") {
        Some(distro) => release_of(kind, distro),
        None => os.get(kind).and_then(|distro| release_of(kind, distro)),
    };
    let ecosystem = match release {
        Some(release) => Ecosystem::with_release(kind, release),
        None => Ecosystem::new(kind),
    };
    let version = match ty {
        "apk" => version.to_string(),
        _ => with_epoch(version, purl.qualifiers.get("epoch").map(String::as_str)),
    };
    if ty == "rpm" {
        return Ok((ecosystem, name, version));
    }

    // Debian, Ubuntu and Alpine advisories name source packages.
    let upstream = purl.qualifiers.get("upstream").and_then(|u| {
        let (name, version) = match u.split_once('@') {
            Some((name, version)) => (name.trim(), non_empty(Some(version.trim()))),
            None => (u.trim(), None),
        };
        (!name.is_empty()).then_some((name, version))
    });
    let from_document = d.source.as_ref().map(|(name, version)| (name.as_str(), non_empty(version.as_deref())));
    let source = match (upstream, from_document) {
        (Some((name, None)), Some((doc_name, doc_version))) if doc_name == name => Some((name, doc_version)),
        (Some(upstream), _) => Some(upstream),
        (None, from_document) => from_document,
    };
    Ok(match source {
        Some((source_name, Some(source_version))) => {
            (ecosystem, source_name.to_string(), with_epoch(source_version.trim(), None))
        }
        Some((source_name, None)) => (ecosystem, source_name.to_string(), version),
        None => (ecosystem, name, version),
    })
}

/// `epoch:version` for a non-zero epoch qualifier, unless the version has an epoch
/// already; an explicit `0:` is dropped (epoch 0 is no epoch).
pub(super) fn with_epoch(version: &str, epoch: Option<&str>) -> String {
    let version = version.strip_prefix("0:").unwrap_or(version);
    match epoch.and_then(|e| e.trim().parse::<u64>().ok()) {
        Some(epoch) if epoch > 0 && !version.contains(':') => format!("{epoch}:{version}"),
        _ => version.to_string(),
    }
}
