//! Which repositories and tags a sweep reads: `--repo`/`--exclude` globs over the
//! catalog, and `--tags latest|all|recent:N|semver:N|regex:RE`.
//!
//! The default, `latest`, is what a nightly sweep of a registry wants: the image each
//! repository currently ships. A repository without a `latest` tag falls back to its
//! newest semver tag, and the report says so: silently skipping it would leave it
//! unscanned while the run looks complete.

use std::str::FromStr;

use crate::version::semver::Version;

/// `--repo GLOB` (any of them; none = every repository) minus `--exclude GLOB`.
/// Globs are the ignore file's: `*` and `?` within one path segment, `**` across
/// segments; a glob also matches the repositories under what it names.
#[derive(Debug, Clone, Default)]
pub struct RepoFilter {
    /// Globs of repositories to read; empty: all.
    pub include: Vec<String>,
    /// Globs of repositories to leave out, whatever `include` says.
    pub exclude: Vec<String>,
}

impl RepoFilter {
    /// Whether a repository is read: included (or no includes) and not excluded.
    pub fn selects(&self, repository: &str) -> bool {
        let included =
            self.include.is_empty() || self.include.iter().any(|g| crate::triage::glob::matches(g, repository));
        included && !self.exclude.iter().any(|g| crate::triage::glob::matches(g, repository))
    }
}

/// The repository names of a `--repos-from` file: one a line, `#` starts a comment,
/// blank lines and surrounding spaces ignored, each name once.
pub fn repository_list(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in text.lines().map(|l| l.split('#').next().unwrap_or_default().trim()).filter(|l| !l.is_empty()) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// `--tags`.
#[derive(Debug, Clone)]
pub enum TagSelection {
    /// `latest`, else the newest semver tag.
    Latest,
    /// Every tag.
    All,
    /// The N tags whose images were created last (by the image config's `created`).
    Recent(usize),
    /// The N highest semver tags (`1.2.3`, `v1.2`, `2`), pre-releases below releases.
    Semver(usize),
    /// Tags matching the expression (anchored).
    Regex(regex::Regex),
}

/// Longest `--tags regex:` pattern, and the compiled size it may take: the pattern is
/// the user's, but a mistyped one must not take the sweep's memory.
const MAX_REGEX_LEN: usize = 1024;
const MAX_REGEX_SIZE: usize = 1 << 20;

impl FromStr for TagSelection {
    type Err = String;

    fn from_str(s: &str) -> Result<TagSelection, String> {
        let count = |n: &str, what: &str| -> Result<usize, String> {
            match n.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("--tags {what}:N wants a whole number above 0, not {n:?}")),
            }
        };
        match s.split_once(':') {
            None if s == "latest" => Ok(TagSelection::Latest),
            None if s == "all" => Ok(TagSelection::All),
            Some(("recent", n)) => count(n, "recent").map(TagSelection::Recent),
            Some(("semver", n)) => count(n, "semver").map(TagSelection::Semver),
            Some(("regex", pattern)) if pattern.len() <= MAX_REGEX_LEN => regex::RegexBuilder::new(pattern)
                .size_limit(MAX_REGEX_SIZE)
                .build()
                .map(TagSelection::Regex)
                .map_err(|e| format!("--tags regex:{pattern}: {e}")),
            Some(("regex", _)) => Err(format!("--tags regex: the pattern is over {MAX_REGEX_LEN} characters")),
            _ => Err(format!("--tags {s:?}: use latest, all, recent:N, semver:N or regex:RE")),
        }
    }
}

/// What a selection picked from one repository's tags, and anything to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    /// The tags to read, in the order they are read.
    pub tags: Vec<String>,
    /// Something to tell the person running the sweep (why `latest` was not there, say).
    pub note: Option<String>,
}

impl TagSelection {
    /// The selection as `--tags` spells it; [`TagSelection::from_str`] reads it back.
    pub fn spec(&self) -> String {
        match self {
            TagSelection::Latest => "latest".to_string(),
            TagSelection::All => "all".to_string(),
            TagSelection::Recent(n) => format!("recent:{n}"),
            TagSelection::Semver(n) => format!("semver:{n}"),
            TagSelection::Regex(re) => format!("regex:{}", re.as_str()),
        }
    }

    /// Whether this selection needs each tag's creation time ([`TagSelection::Recent`]).
    pub fn needs_created(&self) -> bool {
        matches!(self, TagSelection::Recent(_))
    }

    /// Picks from `tags` (as the registry listed them). `created` gives a tag's image
    /// creation time (RFC 3339) for `recent:N`; tags without one sort last.
    pub fn pick(&self, repository: &str, tags: &[String], created: &dyn Fn(&str) -> Option<String>) -> Picked {
        let mut sorted: Vec<String> = tags.to_vec();
        sorted.sort();
        sorted.dedup();
        let plain = |tags: Vec<String>| Picked { tags, note: None };
        match self {
            TagSelection::All => plain(sorted),
            TagSelection::Regex(re) => plain(sorted.into_iter().filter(|t| re.is_match(t)).collect()),
            TagSelection::Semver(n) => plain(newest_semver(&sorted, *n)),
            TagSelection::Recent(n) => {
                let mut dated: Vec<(Option<String>, String)> = sorted.into_iter().map(|t| (created(&t), t)).collect();
                // Newest first; undated last; ties by name for a stable choice.
                dated.sort_by(|a, b| match (&a.0, &b.0) {
                    (Some(x), Some(y)) => y.cmp(x).then(a.1.cmp(&b.1)),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => a.1.cmp(&b.1),
                });
                plain(dated.into_iter().take(*n).map(|(_, t)| t).collect())
            }
            TagSelection::Latest if sorted.iter().any(|t| t == "latest") => plain(vec!["latest".to_string()]),
            TagSelection::Latest => match newest_release(&sorted) {
                Some(tag) => Picked {
                    note: Some(format!("{repository} has no `latest` tag: scanned its newest semver tag {tag}")),
                    tags: vec![tag],
                },
                None => Picked {
                    tags: Vec::new(),
                    note: Some(format!(
                        "{repository} has neither a `latest` nor a semver tag: nothing scanned there; choose tags with --tags all|regex:RE"
                    )),
                },
            },
        }
    }
}

/// The highest tag that reads as a release version (no `-pre-release`): what a
/// repository without `latest` most likely ships.
fn newest_release(tags: &[String]) -> Option<String> {
    let releases: Vec<String> = tags.iter().filter(|t| !t.contains('-')).cloned().collect();
    newest_semver(&releases, 1).pop()
}

/// The `n` highest tags that read as versions, highest first.
fn newest_semver(tags: &[String], n: usize) -> Vec<String> {
    let mut versions: Vec<(Version, &String)> = tags.iter().filter_map(|t| Some((tag_version(t)?, t))).collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    versions.into_iter().take(n).map(|(_, t)| t.clone()).collect()
}

/// A tag as a version: `1.2.3`, `v1.2.3`, `1.2.3-rc.1`, and `1.2` (images are often
/// tagged so), padded with a zero. A lone number is not a version here: date and build
/// tags (`20240101`, `1234`) would outrank every real release.
fn tag_version(tag: &str) -> Option<Version> {
    let bare = tag.strip_prefix('v').unwrap_or(tag);
    if !bare.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (core, rest) = match bare.find(['-', '+']) {
        Some(i) => bare.split_at(i),
        None => (bare, ""),
    };
    let parts = core.split('.').count();
    let padded = match parts {
        2 => format!("{core}.0{rest}"),
        3 => bare.to_string(),
        _ => return None,
    };
    padded.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_repository_list_file() {
        let text = "# team repositories\nteam/api\n\n  team/web  # the front end\nteam/api\n\r\n";
        assert_eq!(repository_list(text), vec!["team/api", "team/web"]);
        assert!(repository_list("# nothing\n\n").is_empty());
    }

    #[test]
    fn repositories_by_glob() {
        let filter =
            RepoFilter { include: vec!["team-a/*".into(), "base".into()], exclude: vec!["team-a/old*".into()] };
        let picked: Vec<&str> = ["team-a/api", "team-a/old-api", "team-b/api", "base", "base/debian", "other"]
            .into_iter()
            .filter(|r| filter.selects(r))
            .collect();
        assert_eq!(picked, vec!["team-a/api", "base", "base/debian"]);
        assert!(RepoFilter::default().selects("anything/at/all"));
    }

    #[test]
    fn latest_or_the_newest_semver_tag_saying_so() {
        let pick = |list: &[&str]| TagSelection::Latest.pick("app", &tags(list), &none);
        assert_eq!(pick(&["1.0", "latest", "2.0"]), Picked { tags: tags(&["latest"]), note: None });
        // Pre-releases and lone numbers (dates, builds) are passed over.
        let fallback = pick(&["1.9.0", "1.10.0", "v1.10.1-rc.1", "main", "20240101"]);
        assert_eq!(fallback.tags, tags(&["1.10.0"]));
        assert_eq!(fallback.note.as_deref(), Some("app has no `latest` tag: scanned its newest semver tag 1.10.0"));
        let nothing = pick(&["main", "dev"]);
        assert!(nothing.tags.is_empty());
        assert!(nothing.note.unwrap().contains("neither a `latest` nor a semver tag"));
    }

    #[test]
    fn semver_orders_versions_not_strings() {
        let list =
            tags(&["1.9.0", "1.10.0", "v1.10.1-rc.1", "1.10.1", "main", "latest", "1.2.3.4", "20240101", "1.11"]);
        let picked = TagSelection::Semver(3).pick("app", &list, &none);
        assert_eq!(picked.tags, tags(&["1.11", "1.10.1", "v1.10.1-rc.1"]));
    }

    #[test]
    fn recent_by_creation_time_undated_last() {
        let list = tags(&["a", "b", "c", "d"]);
        let created = |t: &str| match t {
            "a" => Some("2026-01-01T00:00:00Z".to_string()),
            "c" => Some("2026-03-01T00:00:00Z".to_string()),
            "d" => Some("2026-02-01T00:00:00Z".to_string()),
            _ => None,
        };
        assert_eq!(TagSelection::Recent(2).pick("app", &list, &created).tags, tags(&["c", "d"]));
        assert_eq!(TagSelection::Recent(9).pick("app", &list, &created).tags, tags(&["c", "d", "a", "b"]));
    }

    #[test]
    fn parsing_and_refusals() {
        let selection: TagSelection = "regex:^1\\.".parse().unwrap();
        assert_eq!(selection.pick("app", &tags(&["1.0", "11", "1.2", "latest"]), &none).tags, tags(&["1.0", "1.2"]));
        assert!(matches!("all".parse(), Ok(TagSelection::All)));
        assert!(matches!("semver:2".parse(), Ok(TagSelection::Semver(2))));
        for bad in ["recent:0", "semver:x", "newest", "regex:(", "latest:1"] {
            assert!(bad.parse::<TagSelection>().is_err(), "{bad}");
        }
        let long = format!("regex:{}", "a".repeat(2000));
        assert!(long.parse::<TagSelection>().unwrap_err().contains("over 1024"));
    }
}
