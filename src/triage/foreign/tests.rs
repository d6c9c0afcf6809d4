use super::*;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn summary(file: &IgnoreFile) -> Vec<(String, String, Option<String>)> {
    file.entries.iter().map(|e| (e.id.clone(), e.reason.clone(), e.expires.map(|d| d.to_string()))).collect()
}

#[test]
fn trivyignore_lines_are_ids_with_an_optional_expiry_the_day_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        TRIVY_FILE,
        "# accepted\nCVE-2018-14618\n\n  GHSA-xxxx-yyyy-zzzz exp:2025-03-01  # until the upgrade\nCVE-1 later\n",
    );
    let (file, notes) = trivyignore(&path).unwrap();
    let source = display_path(&path);
    let reason = format!("listed in {source}");
    assert_eq!(
        summary(&file),
        [
            ("CVE-2018-14618".into(), reason.clone(), None),
            ("GHSA-xxxx-yyyy-zzzz".into(), reason.clone(), Some("2025-02-28".into())),
            ("CVE-1".into(), reason, None),
        ]
    );
    assert_eq!(file.describe(1), format!("{source}: line 4 (GHSA-xxxx-yyyy-zzzz)"));
    assert_eq!(
        notes,
        [
            format!("suppressing the ids in {source} (Trivy's ignore file; there is no .customs-ignore.yaml)"),
            format!("{source}: line 5: \"later\" is neither an id nor exp:YYYY-MM-DD (left out)"),
        ]
    );
    let bad = write(dir.path(), "bad", "CVE-1 exp:2025-02-30\n");
    assert_eq!(
        trivyignore(&bad).unwrap_err().to_string(),
        format!("{}: line 1: exp: invalid date \"2025-02-30\": there is no such day", display_path(&bad))
    );
}

#[test]
fn osv_scanner_ignored_vulns_are_read_and_package_overrides_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        OSV_SCANNER_FILE,
        r#"GoVersionOverride = "1.22"

[[IgnoredVulns]]
id = "GO-2022-0968"
ignoreUntil = 2022-11-09
reason = "No ssh servers are connected to or hosted in Go lang"

[[IgnoredVulns]]
id = "GO-2022-1059"
ignoreUntil = "2023-01-01T00:00:00Z"

[[IgnoredVulns]]
id = "PYSEC-1"

[[PackageOverrides]]
name = "lib"
ignore = true
"#,
    );
    let (file, notes) = osv_scanner(&path).unwrap();
    let source = display_path(&path);
    assert_eq!(
        summary(&file),
        [
            (
                "GO-2022-0968".into(),
                "No ssh servers are connected to or hosted in Go lang".into(),
                Some("2022-11-08".into())
            ),
            ("GO-2022-1059".into(), format!("listed in {source}"), Some("2022-12-31".into())),
            ("PYSEC-1".into(), format!("listed in {source}"), None),
        ]
    );
    assert_eq!(
        notes,
        [format!(
            "suppressing the [[IgnoredVulns]] of {source} (osv-scanner's configuration; there is no \
             .customs-ignore.yaml); not supported, so not applied: 1 [[PackageOverrides]], GoVersionOverride"
        )]
    );
    assert_eq!(file.describe(2), format!("{source}: IgnoredVulns[2] (PYSEC-1)"));
    let deep = write(dir.path(), "deep.toml", &format!("\nx = {}{}\n", "[".repeat(100_000), "]".repeat(100_000)));
    assert_eq!(
        osv_scanner(&deep).unwrap_err().to_string(),
        format!("{}:2: invalid TOML: cannot recurse further; max recursion depth met", display_path(&deep))
    );
    let bad = write(dir.path(), "bad.toml", "[[IgnoredVulns]]\nid = \"X\"\nignoreUntil = 5\n");
    assert_eq!(
        osv_scanner(&bad).unwrap_err().to_string(),
        format!("{}: IgnoredVulns[0] (X): ignoreUntil: expected a date (2024-12-31), not integer", display_path(&bad))
    );
}

#[test]
fn trivyignore_wins_over_osv_scanner_and_neither_is_no_file() {
    let dir = tempfile::tempdir().unwrap();
    assert!(find(dir.path()).unwrap().is_none());
    write(dir.path(), OSV_SCANNER_FILE, "[[IgnoredVulns]]\nid = \"B\"\n");
    assert_eq!(find(dir.path()).unwrap().unwrap().0.entries[0].id, "B");
    write(dir.path(), TRIVY_FILE, "A\n");
    assert_eq!(find(dir.path()).unwrap().unwrap().0.entries[0].id, "A");
}
