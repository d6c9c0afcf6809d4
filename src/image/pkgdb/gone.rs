//! Package databases that a later layer deleted or emptied. Without them the image
//! reports no OS packages, which reads as "nothing vulnerable": the scan must say
//! which layer took the database away (its packages may well still be installed).

use std::collections::BTreeMap;

use super::{apk, dpkg, rpm};
use crate::image::fs::ImageFs;

/// Every file a collector reads as a package database.
fn databases() -> Vec<String> {
    let mut paths = vec![dpkg::STATUS.to_string()];
    paths.extend(apk::DATABASES.iter().map(|p| p.to_string()));
    for dir in rpm::DATABASE_DIRS {
        paths.extend(rpm::Format::ALL.iter().map(|f| format!("{dir}/{}", f.file_name())));
    }
    paths
}

/// Whether a non-directory entry at `path` would take a package database away: `path`
/// is a database file or one of the directories above one (`var`, `var/lib`,
/// `var/lib/dpkg`…). A layer records such an entry even when nothing reads it, so
/// that a plain file put where `var/lib/dpkg` was hides the lower layers' `status`
/// exactly as it does in the running container.
pub fn holds_database(path: &str) -> bool {
    let dirs = [dpkg::STATUS_DIR.trim_end_matches('/'), "var/lib/dpkg"]
        .into_iter()
        .chain(apk::DATABASES.iter().filter_map(|p| p.rsplit_once('/').map(|(dir, _)| dir)))
        .chain(rpm::DATABASE_DIRS);
    databases().iter().map(String::as_str).chain(dirs).any(|held| {
        held == path || (held.len() > path.len() && held.starts_with(path) && held.as_bytes()[path.len()] == b'/')
    })
}

/// One warning per package database deleted (by a whiteout, an opaque directory, a
/// symlink or file put in its place) or left empty, naming the layer that did it.
pub fn warnings(fs: &ImageFs) -> Vec<String> {
    let mut out = Vec::new();
    for path in databases() {
        if let Some(layer) = fs.deleted_by(&path) {
            out.push(format!(
                "/{path}, a package database, was deleted by layer {layer}: \
                 the packages it listed are not reported (they may still be installed)"
            ));
        } else if let Some((layer, bytes)) = fs.read(&path) {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                out.push(format!(
                    "/{path}, a package database, is empty in layer {layer}: no packages are reported from it"
                ));
            }
        }
    }
    // Distroless images keep one file per package under `status.d`.
    let dir = dpkg::STATUS_DIR.trim_end_matches('/');
    let mut by_layer: BTreeMap<&str, usize> = BTreeMap::new();
    for (path, layer) in fs.deleted_under(dir) {
        if fs.read(path).is_none() {
            *by_layer.entry(layer).or_default() += 1;
        }
    }
    for (layer, count) in by_layer {
        out.push(format!(
            "/{dir}: {count} package database file(s) deleted by layer {layer}: \
             the packages they listed are not reported (they may still be installed)"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::fs::tests::layer;

    #[test]
    fn databases_and_the_directories_above_them_hold_a_database() {
        for path in ["var", "var/lib", "var/lib/dpkg", "var/lib/dpkg/status", "var/lib/dpkg/status.d", "lib/apk/db"] {
            assert!(holds_database(path), "{path}");
        }
        for path in ["usr/lib/sysimage/rpm", "usr", "var/lib/rpm/rpmdb.sqlite"] {
            assert!(holds_database(path), "{path}");
        }
        for path in ["va", "var/li", "var/lib/dpkg-old", "var/lib/dpkg/info", "usr/bin/ls", "etc", ""] {
            assert!(!holds_database(path), "{path}");
        }
    }

    #[test]
    fn a_whiteout_an_opaque_dir_or_a_symlink_deleting_the_database_is_named() {
        let base = || layer("l1", &[("var/lib/dpkg/status", "Package: a\n"), ("var/lib/dpkg/status.d/b", "x")]);
        let mut whiteout = layer("l2", &[]);
        whiteout.whiteouts.push("var/lib/dpkg".into());
        let mut opaque = layer("l2", &[]);
        opaque.opaque_dirs.push("var/lib".into());
        let mut symlink = layer("l2", &[]);
        symlink.symlinks.insert("var/lib/dpkg".into(), "../../../../../tmp".into());
        for top in [whiteout, opaque, symlink] {
            assert_eq!(
                warnings(&ImageFs::merge([base(), top])),
                [
                    "/var/lib/dpkg/status, a package database, was deleted by layer l2: the packages it listed \
                     are not reported (they may still be installed)",
                    "/var/lib/dpkg/status.d: 1 package database file(s) deleted by layer l2: the packages they \
                     listed are not reported (they may still be installed)",
                ]
            );
        }
    }

    #[test]
    fn an_emptied_database_is_named_and_a_rewritten_one_is_not() {
        let base = layer("l1", &[("lib/apk/db/installed", "P:musl\nV:1\n")]);
        let emptied = layer("l2", &[("lib/apk/db/installed", "\n")]);
        assert_eq!(
            warnings(&ImageFs::merge([base.clone(), emptied])),
            ["/lib/apk/db/installed, a package database, is empty in layer l2: no packages are reported from it"]
        );
        let rewritten = layer("l2", &[("lib/apk/db/installed", "P:musl\nV:2\n")]);
        assert!(warnings(&ImageFs::merge([base, rewritten])).is_empty());
    }
}
