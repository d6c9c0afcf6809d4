//! Paths named by `customs.yaml` stay inside the configuration file's folder.
//!
//! The file usually comes with the repository being scanned, and so from whoever
//! wrote the pull request: `scan: {output: ../../home/user/.bashrc}` must not make
//! customs write there, nor `db: /etc` choose the advisory data, nor `vex:` or a
//! signature key be read from elsewhere on the machine. Every path the file names is
//! therefore relative, free of control characters, does not climb out with `..`, and
//! does not leave the folder through a symlink. The person running customs can still
//! name any path with the matching flag (`-o`, `--db`, …): flags are theirs, the file
//! is the repository's.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// Where a path came from, for the message: the configuration file and the key.
pub struct Origin<'a> {
    /// The configuration file that names the path.
    pub file: &'a Path,
    /// `scan: output`, `policy: signatures[0]: keys`.
    pub key: &'a str,
    /// What the person running customs can do instead (`-o/--output`).
    pub instead: &'a str,
}

/// Checks that `value`, as written under `origin.key`, names a path inside `base` (the
/// configuration file's folder) and returns it joined to `base`. The error says which
/// file, key and path, and what to do instead.
pub fn contain(origin: &Origin<'_>, base: &Path, value: &Path) -> anyhow::Result<PathBuf> {
    let text = value.to_string_lossy();
    let refuse = |why: String| {
        anyhow::anyhow!(
            "{}: {}: \"{}\" {why}; a configuration file may only name paths inside its own folder ({}): it comes \
             with the repository and must not make customs write or read elsewhere; {}",
            crate::model::display_path(origin.file),
            origin.key,
            crate::visible::visible(&text),
            shown_folder(base),
            origin.instead,
        )
    };
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(refuse(format!("contains the control character U+{:04X}", c as u32)));
    }
    if value.as_os_str().is_empty() {
        return Err(refuse("is empty".into()));
    }
    if value.has_root() || value.components().any(|c| matches!(c, Component::Prefix(_))) {
        return Err(refuse("is an absolute path".into()));
    }
    if climbs_out(value) {
        return Err(refuse("leaves the configuration file's folder with `..`".into()));
    }
    let joined = if base.as_os_str().is_empty() { value.to_path_buf() } else { base.join(value) };
    if let Some(why) = symlink_escape(base, &joined) {
        return Err(refuse(why));
    }
    Ok(joined)
}

/// Whether `..` components take a relative path above its starting folder at any point.
fn climbs_out(path: &Path) -> bool {
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            },
            Component::Normal(_) => depth += 1,
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    false
}

/// Why `joined` leaves `base` once symlinks are resolved, if it does: the deepest part
/// of the path that exists (the file itself, or the folder it would be written in) is
/// resolved and must stay below the resolved `base`. What does not exist yet cannot be
/// a symlink.
fn symlink_escape(base: &Path, joined: &Path) -> Option<String> {
    let base = if base.as_os_str().is_empty() { Path::new(".") } else { base };
    let Ok(real_base) = fs::canonicalize(base) else {
        return Some("cannot be checked: the configuration file's folder cannot be resolved".into());
    };
    let mut existing = joined;
    while fs::symlink_metadata(existing).is_err() {
        match existing.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
            _ => return None,
        }
    }
    match fs::canonicalize(existing) {
        Ok(real) if real.starts_with(&real_base) => None,
        Ok(real) => Some(format!("leaves the configuration file's folder through a symlink (to {})", real.display())),
        Err(_) => Some(format!("cannot be resolved: {} is a symlink that leads nowhere", existing.display())),
    }
}

fn shown_folder(base: &Path) -> String {
    if base.as_os_str().is_empty() {
        ".".into()
    } else {
        crate::model::display_path(base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(base: &Path, value: &str) -> Result<PathBuf, String> {
        let origin = Origin { file: Path::new("repo/customs.yaml"), key: "scan: output", instead: "use -o" };
        contain(&origin, base, Path::new(value)).map_err(|e| e.to_string())
    }

    #[test]
    fn relative_paths_inside_are_joined_to_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("reports")).unwrap();
        assert_eq!(check(dir.path(), "reports/out.json").unwrap(), dir.path().join("reports/out.json"));
        assert_eq!(check(dir.path(), "a/../b/./new.json").unwrap(), dir.path().join("a/../b/./new.json"));
    }

    #[test]
    fn escapes_are_refused_with_the_file_key_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let err = check(dir.path(), "../../home/user/.bashrc").unwrap_err();
        assert!(
            err.starts_with(
                "repo/customs.yaml: scan: output: \"../../home/user/.bashrc\" leaves the configuration file's folder \
                 with `..`;"
            ),
            "{err}"
        );
        assert!(err.ends_with("; use -o"), "{err}");
        assert!(check(dir.path(), "a/../../x").unwrap_err().contains("folder with `..`"));
        assert!(check(dir.path(), "/etc/passwd").unwrap_err().contains("\"/etc/passwd\" is an absolute path"));
        let err = check(dir.path(), "x\n. ~/evil").unwrap_err();
        assert!(err.contains("\"x\\n. ~/evil\" contains the control character U+000A;"), "{err}");
        assert!(check(dir.path(), "").unwrap_err().contains("is empty"));
    }

    #[test]
    fn symlinks_out_of_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("nope"), dir.path().join("dangling")).unwrap();
        let err = check(dir.path(), "out/report.json").unwrap_err();
        assert!(err.contains("leaves the configuration file's folder through a symlink (to "), "{err}");
        assert!(check(dir.path(), "dangling").unwrap_err().contains("is a symlink that leads nowhere"));
        std::os::unix::fs::symlink(dir.path().join("reports"), dir.path().join("inside")).unwrap();
        fs::create_dir(dir.path().join("reports")).unwrap();
        assert!(check(dir.path(), "inside/report.json").is_ok());
    }
}
