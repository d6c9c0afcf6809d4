//! Where SARIF locations are anchored.
//!
//! GitHub code scanning resolves a result's `artifactLocation.uri` against the root of
//! the repository, whatever folder the job ran in. customs knows its paths relative to
//! the current directory (as the user typed the targets), so a monorepo job with
//! `working-directory: services/api` would point GitHub at `requirements.txt` in the
//! repository root, and an absolute target (`customs scan "$GITHUB_WORKSPACE"`) would
//! give `/home/runner/…` without a scheme. Here every path becomes relative to the
//! repository root, marked `"uriBaseId": "%SRCROOT%"` (declared in the run's
//! `originalUriBaseIds`), and a file outside the repository gets an absolute `file://`
//! URI instead.

use std::path::{Component, Path, PathBuf};

use serde_json::{json, Value};

use crate::report::escape::uri_path;

/// The `uriBaseId` of paths relative to the repository root.
pub const SRCROOT: &str = "%SRCROOT%";

/// The repository root and the directory the scan's relative paths start from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRoot {
    /// Absolute: the repository's top level.
    pub root: PathBuf,
    /// Absolute: the current directory of the scan.
    pub cwd: PathBuf,
}

impl SourceRoot {
    /// The root for a scan run in `cwd`: the nearest folder at or above it that holds
    /// `.git` (a folder, or a file for worktrees and submodules); else
    /// `github_workspace` when `cwd` is inside it; else `cwd` itself.
    pub fn detect(cwd: &Path, github_workspace: Option<&Path>) -> SourceRoot {
        let cwd = normalize(cwd);
        let git_top = cwd.ancestors().find(|dir| dir.join(".git").exists()).map(Path::to_path_buf);
        let workspace = github_workspace
            .filter(|w| w.is_absolute())
            .map(|w| std::fs::canonicalize(w).unwrap_or_else(|_| normalize(w)))
            .filter(|w| cwd.starts_with(w));
        let root = git_top.or(workspace).unwrap_or_else(|| cwd.clone());
        SourceRoot { root, cwd }
    }

    /// [`detect`](Self::detect) for this process: its current directory and
    /// `$GITHUB_WORKSPACE`. `None` when the current directory cannot be read.
    pub fn of_process() -> Option<SourceRoot> {
        let cwd = std::env::current_dir().ok()?;
        let workspace = std::env::var_os("GITHUB_WORKSPACE").map(PathBuf::from);
        Some(SourceRoot::detect(&cwd, workspace.as_deref()))
    }

    /// An `artifactLocation` for `path` (relative to the current directory, or
    /// absolute): relative to the root with `uriBaseId`, or a `file://` URI when the
    /// file is outside the root.
    pub fn artifact_location(&self, path: &str) -> Value {
        let absolute = normalize(&self.cwd.join(path));
        match absolute.strip_prefix(&self.root) {
            Ok(relative) => json!({"uri": uri_path(&slashed(relative)), "uriBaseId": SRCROOT}),
            Err(_) => json!({"uri": file_uri(&absolute)}),
        }
    }

    /// The run's `originalUriBaseIds` entry that declares [`SRCROOT`].
    pub fn base_ids_entry(&self) -> Value {
        let mut uri = file_uri(&self.root);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        json!({"uri": uri, "description": {"text": "The root of the repository that was scanned."}})
    }
}

/// `file://` and the percent-encoded absolute path.
fn file_uri(absolute: &Path) -> String {
    format!("file://{}", uri_path(&slashed(absolute)))
}

/// The path with `/` between its parts, as URIs have them.
fn slashed(path: &Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        text.into_owned()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// `.` and `..` resolved by the text of the path alone: the files may be gone by the
/// time a report is rendered again, and a symlink in a target is where the user
/// pointed, not where GitHub looks.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(root: &str, cwd: &str) -> SourceRoot {
        SourceRoot { root: PathBuf::from(root), cwd: PathBuf::from(cwd) }
    }

    #[test]
    fn paths_from_a_subdirectory_are_relative_to_the_repository_root() {
        let r = root("/work/repo", "/work/repo/services/api");
        assert_eq!(
            r.artifact_location("requirements.txt"),
            json!({"uri": "services/api/requirements.txt", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            r.artifact_location("./lib/../Cargo.lock"),
            json!({"uri": "services/api/Cargo.lock", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            r.artifact_location("../web/package-lock.json"),
            json!({"uri": "services/web/package-lock.json", "uriBaseId": "%SRCROOT%"})
        );
    }

    #[test]
    fn absolute_paths_inside_are_relative_and_outside_are_file_uris() {
        let r = root("/home/runner/work/app/app", "/home/runner/work/app/app");
        assert_eq!(
            r.artifact_location("/home/runner/work/app/app/go.mod"),
            json!({"uri": "go.mod", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            r.artifact_location("/opt/vendor dir/Cargo.lock"),
            json!({"uri": "file:///opt/vendor%20dir/Cargo.lock"})
        );
        assert_eq!(r.artifact_location("../../other/x.lock"), json!({"uri": "file:///home/runner/work/other/x.lock"}));
        // A sibling whose name starts like the root is outside it.
        assert_eq!(
            r.artifact_location("/home/runner/work/app/app2/y"),
            json!({"uri": "file:///home/runner/work/app/app2/y"})
        );
    }

    #[test]
    fn the_base_id_is_the_roots_file_uri_with_a_trailing_slash() {
        assert_eq!(root("/r o/x", "/r o/x").base_ids_entry()["uri"], "file:///r%20o/x/");
        assert_eq!(root("/", "/").base_ids_entry()["uri"], "file:///");
    }

    #[test]
    fn detection_prefers_git_then_the_workspace_then_the_current_directory() {
        let dir = tempfile::tempdir().unwrap();
        let top = std::fs::canonicalize(dir.path()).unwrap();
        let sub = top.join("services/api");
        std::fs::create_dir_all(&sub).unwrap();
        // No .git: the workspace when the directory is inside it, else the directory.
        assert_eq!(SourceRoot::detect(&sub, Some(&top)).root, top);
        assert_eq!(SourceRoot::detect(&sub, Some(Path::new("/elsewhere"))).root, sub);
        assert_eq!(SourceRoot::detect(&sub, Some(Path::new("relative"))).root, sub);
        assert_eq!(SourceRoot::detect(&sub, None).root, sub);
        // A .git file (worktrees, submodules) marks the top level as a folder does.
        std::fs::write(top.join("services/.git"), "gitdir: /x\n").unwrap();
        assert_eq!(SourceRoot::detect(&sub, Some(&top)).root, top.join("services"));
        std::fs::create_dir(sub.join(".git")).unwrap();
        assert_eq!(SourceRoot::detect(&sub, None), SourceRoot { root: sub.clone(), cwd: sub });
    }
}
