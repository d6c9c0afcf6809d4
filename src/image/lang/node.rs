//! npm packages installed in an image: the `package.json` of every package directly
//! inside a `node_modules` folder.
//!
//! Which files: `…/node_modules/<name>/package.json` and
//! `…/node_modules/@scope/<name>/package.json`, at any depth, so nested installs
//! (`node_modules/a/node_modules/b`), pnpm's store (`node_modules/.pnpm/x@1/node_modules/x`)
//! and the global folders (`usr/local/lib/node_modules`, `usr/lib/node_modules`) are read.
//! A `package.json` deeper inside a package (`node_modules/x/test/fixtures/package.json`)
//! describes no installed package and is not read; nor are dot-folders such as
//! `node_modules/.bin`.
//!
//! Decisions:
//! - The `name` and `version` fields are the package, as npm itself reads them; the
//!   folder name is not checked against `name` (aliases install `npm:x@1` under another
//!   folder name, and the code is still `x`).
//! - `"private": true` packages are never published, so no advisory can be about them:
//!   skipped. So are files with no name or version, and files that are not a JSON object.
//! - Files over [`MAX_PACKAGE_JSON`] are not parsed (no real manifest comes close).
//! - The line is that of the `name` value (the line of `"name"` in any real manifest);
//!   unknown when the name is written with escapes.
//!
//! A file that cannot be read is skipped rather than failing the whole image: a
//! [`Collector`] has no channel for per-file warnings (yet).

use std::borrow::Cow;

use serde::Deserialize;

use super::super::fs::{Collector, Context, ImageFs};
use crate::inventory::text::line_of;
use crate::model::{EcosystemKind, Location, Package};

/// Reads installed npm packages (`node_modules/*/package.json`).
pub struct NodeModules;

/// The largest `package.json` parsed.
pub const MAX_PACKAGE_JSON: usize = 4 * 1024 * 1024;

impl Collector for NodeModules {
    fn id(&self) -> &'static str {
        "javascript/node-modules"
    }

    fn wants(&self, path: &str) -> bool {
        is_installed_manifest(path)
    }

    fn collect(&self, fs: &ImageFs, _context: &Context) -> Result<Vec<Package>, String> {
        let mut packages = Vec::new();
        for (path, layer, content) in fs.files() {
            if !is_installed_manifest(path) {
                continue;
            }
            let Some(manifest) = read_manifest(content) else {
                continue;
            };
            let location = Location { path: format!("/{path}"), line: manifest.line, layer: Some(layer.to_string()) };
            packages.push(Package::new(EcosystemKind::Npm, manifest.name, manifest.version, location));
        }
        Ok(packages)
    }
}

/// Whether a normalised path is the manifest of a package installed in `node_modules`.
fn is_installed_manifest(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    let is_name = |s: &str| !s.is_empty() && !s.starts_with('.') && !s.starts_with('@');
    match segments.as_slice() {
        [.., "node_modules", scope, name, "package.json"] if scope.len() > 1 && scope.starts_with('@') => is_name(name),
        [.., "node_modules", name, "package.json"] => is_name(name),
        _ => false,
    }
}

/// The package a manifest declares.
#[derive(Debug, PartialEq, Eq)]
struct Manifest {
    name: String,
    version: String,
    line: Option<u32>,
}

#[derive(Deserialize)]
struct RawManifest<'a> {
    #[serde(borrow)]
    name: Option<LentStr<'a>>,
    version: Option<String>,
    #[serde(default)]
    private: serde_json::Value,
}

/// Reads a `package.json`; `None` when it is too big, not JSON, private, or lacks a
/// name or a version.
fn read_manifest(content: &[u8]) -> Option<Manifest> {
    if content.len() > MAX_PACKAGE_JSON {
        return None;
    }
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let text = std::str::from_utf8(content).ok()?;
    if !text.trim_start().starts_with('{') {
        return None; // serde would read a struct from an array too
    }
    let raw: RawManifest = serde_json::from_str(text).ok()?;
    // npm treats any truthy `private` as private; these two are the ones written in practice.
    if matches!(&raw.private, serde_json::Value::Bool(true)) || raw.private.as_str() == Some("true") {
        return None;
    }
    let name = raw.name.map(|n| n.0).filter(|n| !n.trim().is_empty())?;
    let version = raw.version.filter(|v| !v.trim().is_empty())?;
    // serde_json lends an unescaped string straight from the text: its address is its offset.
    let line = match &name {
        Cow::Borrowed(value) => {
            (value.as_ptr() as usize).checked_sub(text.as_ptr() as usize).map(|offset| line_of(content, offset))
        }
        Cow::Owned(_) => None,
    };
    Some(Manifest { name: name.trim().to_string(), version: version.trim().to_string(), line })
}

/// A JSON string, borrowed from the document when it has no escapes (serde_json lends
/// those), so its address tells where it was written.
struct LentStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for LentStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Cow<'de, str>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: serde::de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(value))
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(value.to_string()))
            }
        }
        deserializer.deserialize_str(Visitor).map(LentStr)
    }
}

#[cfg(test)]
mod tests;
