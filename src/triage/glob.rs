//! Path globs for ignore entries: `*` and `?` within one path segment, `**` for any
//! number of segments. A pattern also matches everything under what it names, so
//! `services/api` ignores the lockfiles in that folder as `services/api/**` would.
//!
//! Small and local rather than a glob crate: locations are already `/`-separated and
//! relative, and these three wildcards are all an ignore entry needs.

/// Whether `path` (`/`-separated) is matched by `pattern`, or lies under a folder it matches.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = segments(pattern).collect();
    let path: Vec<&str> = segments(path).collect();
    let mut under = pattern.clone();
    under.push("**");
    match_segments(&pattern, &path) || match_segments(&under, &path)
}

/// The segments of a path, without empty ones and a leading `./`.
fn segments(s: &str) -> impl Iterator<Item = &str> {
    s.split('/').filter(|seg| !seg.is_empty() && *seg != ".")
}

fn match_segments(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| match_segments(rest, &path[skip..])),
        Some((first, rest)) => path
            .split_first()
            .is_some_and(|(segment, more)| match_segment(first, segment) && match_segments(rest, more)),
    }
}

/// `*` and `?` within one segment, by the usual backtrack-to-the-last-star walk
/// (linear in practice, never exponential).
fn match_segment(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((star_pi, star_ti)) = star {
            pi = star_pi + 1;
            ti = star_ti + 1;
            star = Some((star_pi, star_ti + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn double_star_spans_folders_and_single_star_does_not() {
        assert!(matches("services/api/**", "services/api/Cargo.lock"));
        assert!(matches("services/api/**", "services/api/deep/er/package-lock.json"));
        assert!(!matches("services/api/**", "services/apix/Cargo.lock"));
        assert!(matches("**/Cargo.lock", "Cargo.lock"));
        assert!(matches("**/Cargo.lock", "a/b/Cargo.lock"));
        assert!(matches("services/*/Cargo.lock", "services/web/Cargo.lock"));
        assert!(!matches("services/*/Cargo.lock", "services/web/x/Cargo.lock"));
        assert!(matches("requirements-*.txt", "requirements-dev.txt"));
        assert!(matches("go.?od", "go.mod"));
        assert!(!matches("*.lock", "Cargo.lock.bak"));
    }

    #[test]
    fn a_folder_or_file_name_matches_what_is_under_it() {
        assert!(matches("services/api", "services/api/Cargo.lock"));
        assert!(matches("./Cargo.lock", "Cargo.lock"));
        assert!(!matches("services/api", "services/api2/Cargo.lock"));
        assert!(!matches("Cargo.lock", "sub/Cargo.lock"));
    }
}
