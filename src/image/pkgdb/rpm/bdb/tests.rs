use proptest::prelude::*;

use super::super::header::build::package;
use super::super::header::RpmPackage;
use super::super::testing::bdb;
use super::*;

const PAGE: usize = 512;

/// `id name` for each record, or the error.
fn read(file: &[u8]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    read_blobs(file, &mut |id, blob| {
        out.push(format!("{id} {}", RpmPackage::from_blob(blob).map_err(|e| e.0)?.name));
        Ok(())
    })?;
    Ok(out)
}

fn err(file: &[u8]) -> String {
    read(file).unwrap_err()
}

/// A small header inline, a large one (filler in the license) over three overflow pages.
fn two_records() -> (Vec<u8>, Vec<u8>) {
    let small = package("bash", None, "5.1.8", "6.el9");
    let license = "x".repeat(1100);
    let large = super::super::header::build::header(
        &[
            (1000, super::super::header::build::Value::Str("glibc")),
            (1001, super::super::header::build::Value::Str("2.34")),
            (1002, super::super::header::build::Value::Str("100.el9")),
            (1014, super::super::header::build::Value::Str(&license)),
        ],
        true,
    );
    (small, large)
}

fn database(swapped: bool) -> Vec<u8> {
    let (small, large) = two_records();
    bdb(&[(0, &[9, 0, 0, 0]), (3, &small), (7, &large)], PAGE, swapped)
}

fn page(file: &mut [u8], n: usize) -> &mut [u8] {
    &mut file[n * PAGE..(n + 1) * PAGE]
}

#[test]
fn reads_inline_and_overflow_values_in_both_byte_orders_and_skips_record_zero() {
    let (_, large) = two_records();
    assert!(large.len() > 2 * (PAGE - 26), "the large header spans three overflow pages");
    assert_eq!(read(&database(false)).unwrap(), ["3 bash", "7 glibc"]);
    assert_eq!(read(&database(true)).unwrap(), ["3 bash", "7 glibc"]);
}

#[test]
fn files_that_are_not_hash_databases() {
    assert_eq!(err(b""), "0 bytes, shorter than a Berkeley DB metadata page");
    assert_eq!(err(&[0; 600]), "not a Berkeley DB hash database (magic 0x00000000)");
    let mut btree = database(false);
    btree[12..16].copy_from_slice(&0x0005_3162u32.to_be_bytes());
    assert_eq!(err(&btree), "a Berkeley DB btree, not a hash database");
    let mut file = database(false);
    file[16] = 7;
    assert_eq!(err(&file), "unsupported Berkeley DB hash version 7");
    let mut file = database(false);
    file[20..24].copy_from_slice(&1000u32.to_le_bytes());
    assert_eq!(err(&file), "invalid page size 1000");
    let mut file = database(false);
    file[24] = 1;
    assert_eq!(err(&file), "the database is encrypted");
    let mut file = database(false);
    file[72..76].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(err(&file), "4294967296 buckets but only 5 pages");
}

#[test]
fn looping_and_dangling_chains_are_errors() {
    // Overflow pages 2 → 3 → 4; page 4 leads back to 3.
    let mut file = database(false);
    page(&mut file, 4)[16..20].copy_from_slice(&3u32.to_le_bytes());
    page(&mut file, 4)[22..24].copy_from_slice(&10u16.to_le_bytes());
    assert_eq!(err(&file), "package 7's overflow chain leads to page 3 a second time (a loop)");

    // A chain that ends before the value does.
    let mut file = database(false);
    page(&mut file, 3)[16..20].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(err(&file), "package 7's overflow chain leads to page 0, outside the file's pages 1 to 4");

    // An overflow page that holds nothing would never end the value.
    let mut file = database(false);
    page(&mut file, 3)[22..24].copy_from_slice(&0u16.to_le_bytes());
    assert_eq!(err(&file), "package 7: overflow page 3 holds 0 bytes, 486 expected at most");

    // A bucket page that leads back to itself.
    let mut file = database(false);
    page(&mut file, 1)[16..20].copy_from_slice(&1u32.to_le_bytes());
    assert_eq!(err(&file), "bucket 0 leads to page 1 a second time (a loop)");

    // A bucket on a page past the end.
    let mut file = database(false);
    file[96..100].copy_from_slice(&40u32.to_le_bytes());
    assert_eq!(err(&file), "bucket 0 leads to page 40, outside the file's pages 1 to 4");
}

#[test]
fn inconsistent_pages_are_errors() {
    let mut file = database(false);
    page(&mut file, 1)[8..12].copy_from_slice(&9u32.to_le_bytes());
    assert_eq!(err(&file), "page 1 says it is page 9");

    let mut file = database(false);
    page(&mut file, 2)[25] = 13;
    assert_eq!(err(&file), "package 7: page 2 is of type 13, not an overflow page");

    let mut file = database(false);
    page(&mut file, 1)[25] = 5;
    assert_eq!(err(&file), "page 1 of bucket 0 is of type 5, not a hash page");

    let mut file = database(false);
    page(&mut file, 1)[26..28].copy_from_slice(&3u16.to_le_bytes());
    assert_eq!(err(&file), "page 1 item 0 spans bytes 3..512, outside its page");

    let mut file = database(false);
    page(&mut file, 1)[20..22].copy_from_slice(&5u16.to_le_bytes());
    assert_eq!(err(&file), "page 1 has 5 items, not key/value pairs");

    let mut file = database(false);
    page(&mut file, 1)[20..22].copy_from_slice(&400u16.to_le_bytes());
    assert_eq!(err(&file), "page 1 claims 400 items, more than fit");

    // Item 3 is record 3's inline value: make it a duplicate set.
    let mut file = database(false);
    let at = u16::from_le_bytes([file[PAGE + 32], file[PAGE + 33]]) as usize;
    page(&mut file, 1)[at] = 2;
    assert_eq!(err(&file), "package 3: unsupported item type 2 of 129 bytes");

    // The large value's length beyond what the file holds.
    let mut file = database(false);
    let at = u16::from_le_bytes([file[PAGE + 36], file[PAGE + 37]]) as usize;
    page(&mut file, 1)[at + 8..at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(err(&file), "package 7: an overflow value of 4294967295 bytes");
}

#[test]
fn every_truncation_is_an_error() {
    let file = database(false);
    for end in 0..file.len() {
        assert!(read(&file[..end]).is_err(), "prefix of {end} bytes");
    }
}

proptest! {
    #[test]
    fn corrupted_databases_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut file = database(false);
        for (at, byte) in flips {
            let at = at % file.len();
            file[at] = byte;
        }
        let _ = read(&file);
    }
}
