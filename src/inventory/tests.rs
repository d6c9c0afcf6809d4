//! The format table ([`FORMAT_HELP`]) must stay in step with the extractors: every
//! name it prints in "looked for …" is one the walk reads, by that extractor only.

use std::path::Path;

use super::*;

/// A name of the table as a file a person would have: `*` filled in.
fn example(name: &str) -> String {
    name.replace('*', "-dev")
}

#[test]
fn format_help_has_one_entry_per_extractor_in_order() {
    let ids: Vec<&str> = EXTRACTORS.iter().map(|e| e.id()).collect();
    let helped: Vec<&str> = FORMAT_HELP.iter().map(|h| h.extractor).collect();
    assert_eq!(helped, ids);
}

#[test]
fn every_listed_name_is_read_by_its_extractor_alone() {
    for help in FORMAT_HELP {
        for name in help.names {
            for file in [example(name), format!("sub/dir/{}", example(name))] {
                let wanting: Vec<&str> = extractors_for(Path::new(&file)).map(|e| e.id()).collect();
                assert_eq!(wanting, [help.extractor], "{file}");
            }
        }
    }
}

#[test]
fn lockfile_names_lists_the_common_ones_first() {
    let names: Vec<&str> = lockfile_names().collect();
    assert_eq!(names[..4], ["Cargo.lock", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock"]);
    assert_eq!(names.len(), 25);
    assert_eq!(
        format_help("javascript/package-lock").unwrap().remedy,
        "regenerate it with npm install --package-lock-only"
    );
    assert_eq!(format_help("no/such"), None);
}
