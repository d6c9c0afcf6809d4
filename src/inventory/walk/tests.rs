//! The walk's refusals: empty lockfiles, folders without a lockfile, files customs
//! cannot read, SBOMs recognised by content and SBOMs without components.

use std::fs;
use std::path::Path;

use super::*;

fn refusal(result: anyhow::Result<Inventory>) -> NothingToScan {
    let error = result.expect_err("refused");
    error.downcast::<NothingToScan>().unwrap_or_else(|e| panic!("not a NothingToScan: {e:#}"))
}

const CARGO_LOCK: &str = "version = 3\n\n[[package]]\nname = \"time\"\nversion = \"0.1.45\"\n\
                          source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

const CDX: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {"component": {"type": "application", "name": "demo", "purl": "pkg:cargo/demo@1.0.0"}},
  "components": [{"type": "library", "name": "time", "version": "0.1.45", "purl": "pkg:cargo/time@0.1.45"}]}"#;

const CDX_SUBJECT_ONLY: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {"component": {"type": "application", "name": "demo", "purl": "pkg:cargo/demo@1.0.0"}}}"#;

#[test]
fn empty_and_blank_lockfiles_are_errors_naming_the_remedy_while_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("web")).unwrap();
    fs::create_dir_all(dir.path().join("svc")).unwrap();
    fs::write(dir.path().join("Cargo.lock"), CARGO_LOCK).unwrap();
    fs::write(dir.path().join("web/package-lock.json"), "").unwrap();
    fs::write(dir.path().join("svc/requirements.txt"), "\u{feff} \r\n\t\n").unwrap();
    let inventory = scan(dir.path(), &WalkOptions::default()).unwrap();
    let errors: Vec<String> = inventory.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "svc/requirements.txt: empty file (only whitespace): a requirements.txt lists the packages to check, and \
             this one lists none; regenerate it with pip freeze or pip-compile, or delete it",
            "web/package-lock.json: empty file: a package-lock.json lists the packages to check, and this one lists \
             none; regenerate it with npm install --package-lock-only",
        ]
    );
    assert_eq!(inventory.packages.len(), 1, "Cargo.lock is still read");
    assert_eq!(inventory.files.len(), 1, "an empty file is not a file read");
}

#[test]
fn a_lone_empty_lockfile_is_an_error_too() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    fs::write(&lock, "\n\n").unwrap();
    let inventory = read_path(&lock, &WalkOptions::default()).unwrap();
    assert_eq!(inventory.errors.len(), 1);
    assert_eq!(
        inventory.errors[0].message,
        "empty file (only whitespace): a Cargo.lock lists the packages to check, and this one lists none; \
         regenerate it with cargo generate-lockfile"
    );
}

#[test]
fn a_folder_without_a_lockfile_is_refused_naming_it_and_what_was_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("README.md"), "no lockfile here\n").unwrap();
    let refused = refusal(read_path(dir.path(), &WalkOptions::default()));
    assert_eq!(refused, NothingToScan::NoLockfile { root: display_path(dir.path()), passed_over: Vec::new() });
    let message = refused.to_string();
    assert!(
        message.starts_with(&format!(
            "no lockfile found under {} (looked for Cargo.lock, package-lock.json, npm-shrinkwrap.json, yarn.lock, ",
            display_path(dir.path())
        )),
        "{message}"
    );
    assert!(
        message.ends_with(
            "conan.lock, renv.lock; install folders such as node_modules and vendor are skipped unless \
             --no-default-skips); pass --allow-empty to accept this"
        ),
        "{message}"
    );
}

#[test]
fn a_lockfile_only_in_a_skipped_folder_or_behind_an_outside_symlink_is_nothing_to_scan() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("Cargo.lock"), CARGO_LOCK).unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("vendor/lib")).unwrap();
    fs::write(dir.path().join("vendor/lib/Cargo.lock"), CARGO_LOCK).unwrap();
    std::os::unix::fs::symlink(outside.path().join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    let refused = refusal(read_path(dir.path(), &WalkOptions::default()));
    let link = display_path(&dir.path().join("Cargo.lock"));
    assert_eq!(
        refused,
        NothingToScan::NoLockfile {
            root: display_path(dir.path()),
            passed_over: vec![format!("{link}: symlink leads outside the scan root or nowhere; not followed")],
        }
    );
    assert!(refused.to_string().contains(&format!("); passed over: {link}: symlink leads outside")), "{refused}");
    let unskipped = read_path(dir.path(), &WalkOptions { no_default_skips: true, ..WalkOptions::default() }).unwrap();
    assert_eq!(unskipped.packages.len(), 1);
}

#[test]
fn allow_empty_accepts_an_empty_folder_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let options = WalkOptions { allow_empty: true, ..WalkOptions::default() };
    let inventory = read_path(dir.path(), &options).unwrap();
    assert!(inventory.packages.is_empty() && inventory.errors.is_empty());
    assert_eq!(
        inventory.notes,
        [format!(
            "no lockfile found under {}; accepted (allow-empty): nothing there was checked",
            display_path(dir.path())
        )]
    );
}

#[test]
fn a_folder_whose_only_lockfile_fails_is_not_nothing_to_scan() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Cargo.lock"), "[[package]\n").unwrap();
    let inventory = read_path(dir.path(), &WalkOptions::default()).unwrap();
    assert_eq!(inventory.errors.len(), 1, "the file's own error, exit 2 already");
    assert!(inventory.notes.is_empty());
}

#[test]
fn a_named_file_with_sbom_content_is_read_as_one_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.cdx.json");
    fs::write(&file, CDX).unwrap();
    let inventory = read_path(&file, &WalkOptions::default()).unwrap();
    let names: Vec<&str> = inventory.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["time"]);
    let shown = display_path(&file);
    assert_eq!(inventory.notes, [format!("reading {shown} as a CycloneDX SBOM")]);
    assert_eq!(
        inventory.files,
        [ScannedFile { path: shown.clone(), extractor: Cow::Borrowed("sbom/cyclonedx"), packages: 1 }]
    );
    assert_eq!(inventory.root, shown);
}

#[test]
fn sboms_inside_a_walked_folder_are_never_guessed_at() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bom.cdx.json"), CDX).unwrap();
    assert!(matches!(refusal(read_path(dir.path(), &WalkOptions::default())), NothingToScan::NoLockfile { .. }));
}

#[test]
fn a_named_file_customs_cannot_read_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    fs::write(&notes, "hello\n").unwrap();
    let refused = refusal(read_path(&notes, &WalkOptions { allow_empty: true, ..WalkOptions::default() }));
    assert_eq!(refused, NothingToScan::UnknownFile { path: display_path(&notes), form: None });
    assert!(refused.to_string().contains(": not a file format customs reads: name a lockfile (Cargo.lock, "));
    assert!(refused.to_string().ends_with(", renv.lock) or the folder holding one, or a CycloneDX or SPDX JSON SBOM"));

    let xml = dir.path().join("bom.xml");
    fs::write(&xml, "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"/>\n").unwrap();
    assert_eq!(
        refusal(read_path(&xml, &WalkOptions::default())).to_string(),
        format!(
            "{}: not a file format customs reads: a CycloneDX XML document; customs reads CycloneDX as JSON: convert \
             it with `cyclonedx convert --input-file FILE --output-file FILE.json`",
            display_path(&xml)
        )
    );
}

#[test]
fn an_sbom_without_components_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.json");
    fs::write(&file, CDX_SUBJECT_ONLY).unwrap();
    let shown = display_path(&file);
    let refused = refusal(read_sbom_file(&file, false));
    assert_eq!(
        refused.to_string(),
        format!(
            "{shown}: the CycloneDX SBOM lists no components, so nothing would be checked; pass --allow-empty to \
             accept this"
        )
    );
    assert_eq!(refusal(read_path(&file, &WalkOptions::default())), refused);
    let accepted = read_sbom_file(&file, true).unwrap();
    assert_eq!(accepted.skipped.len(), 1, "the subject, listed as skipped");
    assert_eq!(
        accepted.notes,
        [format!("{shown}: the SBOM lists no components; accepted (allow-empty): nothing was checked")]
    );
}

#[test]
fn a_broken_sbom_is_an_inventory_error_not_nothing_to_scan() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.json");
    fs::write(&file, "{\"spdxVersion\": \"SPDX-2.3\", \"packages\": [\n").unwrap();
    let inventory = read_path(&file, &WalkOptions::default()).unwrap();
    assert_eq!(inventory.errors.len(), 1);
    assert_eq!(inventory.notes, [format!("reading {} as an SPDX SBOM", display_path(&file))]);
}

#[test]
fn a_missing_path_names_it() {
    let error = read_path(Path::new("/nonexistent/customs-test"), &WalkOptions::default()).unwrap_err();
    assert_eq!(format!("{error:#}"), "cannot scan /nonexistent/customs-test: No such file or directory (os error 2)");
}
