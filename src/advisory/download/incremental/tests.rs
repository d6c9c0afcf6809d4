use super::*;

fn time(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[test]
fn the_list_is_read_newest_first_with_duplicates_keeping_the_newer_time() {
    let text = b"2024-05-02T10:00:00.123456Z,GHSA-aaaa-bbbb-cccc\r\n\n2024-05-01T00:00:00Z,ALSA-2024:1234\n2023-01-01T00:00:00Z,GHSA-aaaa-bbbb-cccc\n";
    let ids = parse_modified_ids(text, "m/PyPI/modified_id.csv").unwrap();
    let expected: ModifiedIds = [
        ("ALSA-2024:1234".to_string(), time("2024-05-01T00:00:00Z")),
        ("GHSA-aaaa-bbbb-cccc".to_string(), time("2024-05-02T10:00:00.123456Z")),
    ]
    .into();
    assert_eq!(ids, expected);
}

#[test]
fn ids_that_could_leave_a_folder_and_bad_times_are_refused_naming_the_line() {
    let shown = "http://m/PyPI/modified_id.csv";
    let cases: [(&[u8], &str); 6] = [
        (
            b"2024-05-01T00:00:00Z,A-1\n2024-05-01T00:00:00Z,../../etc/passwd\n",
            "http://m/PyPI/modified_id.csv: line 2: not a record id (only letters, digits and -_.:+ are allowed; no path separators): \"2024-05-01T00:00:00Z,../../etc/passwd\"",
        ),
        (b"2024-05-01T00:00:00Z,a\\b\n", "line 1: not a record id"),
        (b"2024-05-01T00:00:00Z,.hidden\n", "line 1: not a record id"),
        (b"2024-05-01T00:00:00Z,\n", "line 1: the id is empty or too long"),
        (b"yesterday,A-1\n", "line 1: not an RFC 3339 time"),
        (b"A-1\n", "line 1: expected `<modified>,<id>`"),
    ];
    for (text, expected) in cases {
        let error = parse_modified_ids(text, shown).unwrap_err();
        assert!(error.starts_with(shown) && error.contains(expected), "{error}");
    }
    assert!(parse_modified_ids(b"\xff", shown).unwrap_err().contains("not UTF-8"));
}

#[test]
fn the_plan_fetches_new_and_changed_records_and_removes_vanished_ones() {
    let listed: ModifiedIds = [
        ("A".to_string(), time("2024-01-01T00:00:00Z")),
        ("B".to_string(), time("2024-02-01T00:00:00Z")),
        ("C".to_string(), time("2024-03-01T00:00:00Z")),
        ("D".to_string(), time("2024-03-01T00:00:00Z")),
    ]
    .into();
    let installed: BTreeMap<String, Option<Timestamp>> = [
        ("A".to_string(), Some(time("2024-01-01T00:00:00Z"))),
        ("B".to_string(), Some(time("2024-01-15T00:00:00Z"))),
        ("D".to_string(), None),
        ("E".to_string(), Some(time("2023-01-01T00:00:00Z"))),
    ]
    .into();
    let plan = plan(&listed, &installed);
    assert_eq!(plan.fetch, ["B", "C", "D"]);
    assert_eq!(plan.remove, BTreeSet::from(["E".to_string()]));
}

#[test]
fn many_changes_are_fetched_as_the_whole_zip() {
    assert!(worth_it(10, 100));
    assert!(!worth_it(11, 100));
    assert!(!worth_it(1, 5));
    assert!(worth_it(MAX_CHANGED_RECORDS, 1_000_000));
    assert!(!worth_it(MAX_CHANGED_RECORDS + 1, 1_000_000));
}

#[test]
fn a_file_that_does_not_start_like_a_list_is_not_taken_for_one() {
    assert!(looks_like_a_list(b"\n2024-05-01T00:00:00Z,A-1\n"));
    assert!(looks_like_a_list(b"2024-05-01T00:00:00Z,../x\n"), "a list with a bad id is refused, not ignored");
    for text in [&b""[..], b"\n\n", b"<html>,</html>", b"PK\x03\x04\xff\xfe", b"id,modified\n"] {
        assert!(!looks_like_a_list(text), "{text:?}");
    }
}

/// Writes `<dest>/Eco/all.zip` holding these records (and a folder entry, which no
/// record is), returning its target.
fn installed_zip(dest: &std::path::Path, records: &[&str]) -> Target {
    let target = Target::new(dest, "Eco");
    std::fs::create_dir_all(&target.dir).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&target.zip).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    writer.add_directory("sub/", options).unwrap();
    for (i, record) in records.iter().enumerate() {
        writer.start_file(format!("{i}.json"), options).unwrap();
        writer.write_all(record.as_bytes()).unwrap();
    }
    writer.finish().unwrap();
    target
}

#[test]
fn the_stamps_stand_for_the_zip_they_were_written_for_and_no_other() {
    let dest = tempfile::tempdir().unwrap();
    let records = [r#"{"id":"A-1","modified":"2024-01-01T00:00:00Z"}"#, r#"{"id":"B-2"}"#, "not json"];
    let target = installed_zip(dest.path(), &records);
    let expected = vec![
        Installed { id: None, modified: None },
        Installed { id: Some("A-1".into()), modified: Some(time("2024-01-01T00:00:00Z")) },
        Installed { id: Some("B-2".into()), modified: None },
        Installed { id: None, modified: None },
    ];
    assert_eq!(read_installed(&target).unwrap(), expected);
    let stamps_path = target.dir.join(stamps::STAMPS_NAME);
    let written = std::fs::read_to_string(&stamps_path).unwrap();
    assert_eq!(written.lines().skip(1).collect::<Vec<_>>(), ["-\t-", "2024-01-01T00:00:00Z\tA-1", "-\tB-2", "-\t-"]);

    // The next read takes the stamps, not the records: a stamp changed by hand shows.
    std::fs::write(&stamps_path, written.replace("2024-01-01T00:00:00Z\tA-1", "2025-05-05T00:00:00Z\tA-1")).unwrap();
    assert_eq!(read_installed(&target).unwrap()[1].modified, Some(time("2025-05-05T00:00:00Z")));

    // Stamps that do not parse, or do not count the zip's entries, are not taken.
    std::fs::write(&stamps_path, written.replace("2024-01-01T00:00:00Z\tA-1", "yesterday\tA-1")).unwrap();
    assert_eq!(read_installed(&target).unwrap(), expected);
    let short: String = written.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(&stamps_path, short).unwrap();
    assert_eq!(read_installed(&target).unwrap(), expected);

    // Another zip renamed in (as every update installs one) is read again.
    std::fs::write(&stamps_path, written.replace("2024-01-01T00:00:00Z\tA-1", "2025-05-05T00:00:00Z\tA-1")).unwrap();
    let other = tempfile::tempdir().unwrap();
    let replacement = installed_zip(other.path(), &records);
    std::fs::rename(&replacement.zip, &target.zip).unwrap();
    assert_eq!(read_installed(&target).unwrap(), expected);
}

#[test]
fn ids_that_would_break_a_line_are_not_remembered() {
    let dest = tempfile::tempdir().unwrap();
    let target = installed_zip(dest.path(), &[r#"{"id":"A\t1"}"#, r#"{"id":"B-2"}"#]);
    assert_eq!(read_installed(&target).unwrap()[1].id.as_deref(), Some("A\t1"));
    assert!(!target.dir.join(stamps::STAMPS_NAME).exists());
    let dash = installed_zip(dest.path(), &[r#"{"id":"-"}"#]);
    assert_eq!(read_installed(&dash).unwrap()[1].id.as_deref(), Some("-"));
    assert!(!dash.dir.join(stamps::STAMPS_NAME).exists());
}
