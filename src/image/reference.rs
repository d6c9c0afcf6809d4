//! What the user names as the image to scan: a registry reference (`debian:12`,
//! `ghcr.io/org/app@sha256:…`) or an archive on disk (`docker-archive:`, `oci-archive:`,
//! `oci:`), parsed and normalised so reports, caches and errors all spell an image
//! the same way.
//!
//! Registry references follow the distribution reference grammar (the one `docker pull`
//! accepts), including Docker Hub's short names: `debian` is
//! `docker.io/library/debian:latest`.

use std::fmt;
use std::path::{Path, PathBuf};

use super::digest::Digest;

/// Docker Hub, as references name it after normalisation.
pub const DOCKER_HUB: &str = "docker.io";
/// Where Docker Hub's registry API actually answers.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";
/// The tag a reference without tag or digest means.
pub const DEFAULT_TAG: &str = "latest";

/// The distribution grammar's limits.
const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// An image to scan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImageRef {
    /// An image in a registry (`host/repo:tag@digest`).
    Registry(RegistryRef),
    /// A `docker save` tarball; `image` picks one of several images it holds.
    DockerArchive {
        /// The archive file.
        path: PathBuf,
        /// Which image of a multi-image archive, when given.
        image: Option<ArchiveImage>,
    },
    /// An OCI image layout packed in a tar; `tag` picks a manifest by its
    /// `org.opencontainers.image.ref.name` annotation.
    OciArchive {
        /// The archive file.
        path: PathBuf,
        /// The tag to pick from its index, when given.
        tag: Option<String>,
    },
    /// An OCI image layout directory.
    OciLayout {
        /// The OCI layout folder.
        dir: PathBuf,
        /// The tag to pick from its index, when given.
        tag: Option<String>,
    },
}

/// Which image of a multi-image `docker save` archive: `docker-archive:PATH:name:tag`
/// or `docker-archive:PATH:@N`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ArchiveImage {
    /// The image whose `RepoTags` hold this reference (compared normalised, so
    /// `debian:12` is `docker.io/library/debian:12`); never carries a digest.
    Reference(RegistryRef),
    /// The N-th image of `manifest.json`, counted from 0.
    Index(usize),
}

impl ArchiveImage {
    /// `name[:tag]` (the tag defaults to `latest`, as in containers-image) or `@N`.
    pub fn parse(s: &str) -> Result<ArchiveImage, String> {
        if let Some(index) = s.strip_prefix('@') {
            if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{s:?} is not an image index (@0 is the first image)"));
            }
            return index.parse().map(ArchiveImage::Index).map_err(|_| format!("{s:?} is not an image index"));
        }
        let reference = RegistryRef::parse(s)?;
        if reference.digest.is_some() {
            return Err(format!("{s:?}: an image in a docker archive is named by name:tag, not by digest"));
        }
        Ok(ArchiveImage::Reference(reference))
    }
}

impl fmt::Display for ArchiveImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArchiveImage::Reference(r) => r.fmt(f),
            ArchiveImage::Index(n) => write!(f, "@{n}"),
        }
    }
}

/// `registry/repository[:tag][@digest]`, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistryRef {
    /// `docker.io`, `ghcr.io`, `localhost:5000`, `[::1]:5000`.
    pub registry: String,
    /// `library/debian`, `org/team/app`.
    pub repository: String,
    /// `None` only when a digest pins the image.
    pub tag: Option<String>,
    /// When present, the digest is what is fetched; a tag beside it is informational.
    pub digest: Option<Digest>,
}

impl RegistryRef {
    /// The host (and port) that serves the registry API: Docker Hub's API lives at
    /// `registry-1.docker.io`, not at the `docker.io` references use.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// What goes after `/manifests/` in the API: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.clone(),
            (None, None) => DEFAULT_TAG.to_string(),
        }
    }

    /// Parses `[registry/]repository[:tag][@digest]` with Docker Hub's defaults.
    pub fn parse(s: &str) -> Result<RegistryRef, String> {
        let invalid = |why: &str| format!("{s:?} is not a valid image reference: {why}");
        if s.is_empty() {
            return Err("an image reference is empty".to_string());
        }
        if s.contains("://") {
            return Err(invalid("write it without a URL scheme (e.g. ghcr.io/org/app:1.0)"));
        }
        let (name_and_tag, digest) = match s.split_once('@') {
            Some((rest, digest)) => (rest, Some(Digest::parse(digest).map_err(|e| invalid(&e))?)),
            None => (s, None),
        };
        // A tag follows the last `:` after the last `/` (a `:` before it is a port).
        let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
            Some(i) => (&name_and_tag[..last_slash + i], Some(&name_and_tag[last_slash + i + 1..])),
            None => (name_and_tag, None),
        };
        if let Some(tag) = tag {
            validate_tag(tag).map_err(|e| invalid(&e))?;
        }
        let (registry, repository) = split_registry(name);
        validate_registry(registry).map_err(|e| invalid(&e))?;
        validate_repository(repository).map_err(|e| invalid(&e))?;
        if name.len() > MAX_NAME_LEN {
            return Err(invalid(&format!("the name is longer than {MAX_NAME_LEN} characters")));
        }

        let registry = if registry == "index.docker.io" { DOCKER_HUB } else { registry };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository.to_string()
        };
        let tag = match (tag, &digest) {
            (Some(tag), _) => Some(tag.to_string()),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_TAG.to_string()),
        };
        Ok(RegistryRef { registry: registry.to_string(), repository, tag, digest })
    }
}

/// Splits off the registry the way `docker` does: the first component is a registry
/// only if it looks like a host (has a `.` or a `:`, is `localhost`, or is an IPv6
/// literal); otherwise the whole name is a Docker Hub repository.
pub(crate) fn split_registry(name: &str) -> (&str, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" || first.starts_with('[') =>
        {
            (first, rest)
        }
        _ => (DOCKER_HUB, name),
    }
}

/// `host[:port]` where host is a DNS name, an IPv4 address or a bracketed IPv6 address.
fn validate_registry(registry: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        let (ip, after) = rest.split_once(']').ok_or_else(|| format!("registry {registry:?}: unclosed '['"))?;
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("registry {registry:?}: {ip:?} is not an IPv6 address"));
        }
        match after {
            "" => ("", None),
            _ => match after.strip_prefix(':') {
                Some(port) => ("", Some(port)),
                None => return Err(format!("registry {registry:?}: unexpected text after ']'")),
            },
        }
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (registry, None),
        }
    };
    if let Some(port) = port {
        if port.is_empty()
            || port.len() > 5
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().is_err()
        {
            return Err(format!("registry {registry:?}: {port:?} is not a port number"));
        }
    }
    if registry.starts_with('[') {
        return Ok(());
    }
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if host.is_empty() || !host.split('.').all(valid_label) {
        return Err(format!("registry {registry:?} is not a host name"));
    }
    Ok(())
}

/// Path components: lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`.
fn validate_repository(repository: &str) -> Result<(), String> {
    if repository.is_empty() {
        return Err("the repository name is empty".to_string());
    }
    for component in repository.split('/') {
        if component.is_empty() {
            return Err("the repository name has an empty path component".to_string());
        }
        if component.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("repository names must be lowercase ({component:?})"));
        }
        if !valid_path_component(component) {
            return Err(format!(
                "{component:?} is not a repository path component (lowercase letters and digits, \
                 separated by '.', '_', '__' or dashes)"
            ));
        }
    }
    Ok(())
}

fn valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !bytes.first().is_some_and(alnum) || !bytes.last().is_some_and(alnum) {
        return false;
    }
    // Every run of non-alphanumerics must be one separator.
    let mut rest = component;
    while let Some(start) = rest.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit())) {
        let run_len = rest[start..].find(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()).unwrap_or(0);
        let run = &rest[start..start + run_len];
        let separator = matches!(run, "." | "_" | "__") || (!run.is_empty() && run.bytes().all(|b| b == b'-'));
        if !separator {
            return false;
        }
        rest = &rest[start + run_len..];
    }
    true
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn validate_tag(tag: &str) -> Result<(), String> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let valid = tag.len() <= MAX_TAG_LEN
        && tag.bytes().next().is_some_and(word)
        && tag.bytes().all(|b| word(b) || b == b'.' || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "tag {tag:?} is not valid (letters, digits, '_', '.', '-'; not starting with '.' or '-'; at most \
             {MAX_TAG_LEN} characters)"
        ))
    }
}

impl ImageRef {
    /// Parses what a user typed: `docker-archive:PATH[:name:tag|:@N]`,
    /// `oci-archive:PATH[:tag]`, `oci:DIR[:tag]`, `[docker://]registry-reference`.
    ///
    /// A path may itself contain `:`, so `docker-archive:` text is read this way: when
    /// the whole text after `docker-archive:` names an existing file (or directory), it
    /// is the path and no image is chosen; otherwise it is split at its FIRST `:` (the
    /// rule of skopeo/containers-image), the path before and the image after. So
    /// `docker-archive:a:b` is the file `a:b` when that exists, else image `b` of the
    /// archive `a`; a path holding `:` cannot be combined with an image choice.
    /// [`ImageRef::parse_with`] takes the existence test as a parameter.
    pub fn parse(s: &str) -> Result<ImageRef, String> {
        ImageRef::parse_with(s, &|path| path.exists())
    }

    /// [`ImageRef::parse`], with `exists` deciding whether a `docker-archive:` text
    /// names a file as a whole; nothing else touches the file system.
    pub fn parse_with(s: &str, exists: &dyn Fn(&Path) -> bool) -> Result<ImageRef, String> {
        if let Some(rest) = s.strip_prefix("docker-archive:") {
            if rest.is_empty() {
                return Err(format!("{s:?}: the archive path is missing (docker-archive:PATH)"));
            }
            let (path, image) = match rest.split_once(':') {
                Some((path, image)) if !exists(Path::new(rest)) => (path, Some(image)),
                _ => (rest, None),
            };
            if path.is_empty() {
                return Err(format!("{s:?}: the archive path is missing (docker-archive:PATH[:name:tag|:@N])"));
            }
            let image = match image {
                None => None,
                Some("") => return Err(format!("{s:?}: the image after ':' is empty (name:tag or @N)")),
                Some(image) => Some(ArchiveImage::parse(image).map_err(|e| format!("{s:?}: {e}"))?),
            };
            return Ok(ImageRef::DockerArchive { path: PathBuf::from(path), image });
        }
        if let Some(rest) = s.strip_prefix("oci-archive:") {
            let (path, tag) = split_path_and_tag(s, rest)?;
            return Ok(ImageRef::OciArchive { path, tag });
        }
        if let Some(rest) = s.strip_prefix("oci:") {
            let (dir, tag) = split_path_and_tag(s, rest)?;
            return Ok(ImageRef::OciLayout { dir, tag });
        }
        let reference = s.strip_prefix("docker://").unwrap_or(s);
        match RegistryRef::parse(reference) {
            Ok(r) => Ok(ImageRef::Registry(r)),
            Err(e) if looks_like_a_file(reference) => Err(format!(
                "{e}; to scan an archive or directory, name its kind: docker-archive:{reference}, \
                 oci-archive:{reference} or oci:{reference}"
            )),
            Err(e) => Err(e),
        }
    }
}

fn looks_like_a_file(s: &str) -> bool {
    s.starts_with('/') || s.starts_with("./") || s.starts_with("../") || s.ends_with(".tar")
}

/// `PATH[:tag]`: the tag is what follows the LAST `:`, when it has no `/` (so
/// `oci:./a:b/c` is the directory `./a:b/c`).
fn split_path_and_tag(whole: &str, rest: &str) -> Result<(PathBuf, Option<String>), String> {
    let (path, tag) = match rest.rsplit_once(':') {
        Some((path, tag)) if !tag.contains('/') => (path, Some(tag)),
        _ => (rest, None),
    };
    if path.is_empty() {
        return Err(format!("{whole:?}: the path is missing"));
    }
    if tag == Some("") {
        return Err(format!("{whole:?}: the tag after ':' is empty"));
    }
    Ok((PathBuf::from(path), tag.map(str::to_string)))
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_tag = |f: &mut fmt::Formatter<'_>, kind: &str, path: &PathBuf, tag: &Option<String>| {
            write!(f, "{kind}:{}", path.display())?;
            match tag {
                Some(tag) => write!(f, ":{tag}"),
                None => Ok(()),
            }
        };
        match self {
            ImageRef::Registry(r) => r.fmt(f),
            ImageRef::DockerArchive { path, image } => {
                write!(f, "docker-archive:{}", path.display())?;
                match image {
                    Some(image) => write!(f, ":{image}"),
                    None => Ok(()),
                }
            }
            ImageRef::OciArchive { path, tag } => with_tag(f, "oci-archive", path, tag),
            ImageRef::OciLayout { dir, tag } => with_tag(f, "oci", dir, tag),
        }
    }
}

#[cfg(test)]
mod tests;
