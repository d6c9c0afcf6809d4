use proptest::prelude::*;

use super::super::header::build::package;
use super::super::header::RpmPackage;
use super::super::testing::ndb;
use super::*;

/// `id name` for each package, or the error.
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

fn database() -> Vec<u8> {
    ndb(&[(4, &package("bash", None, "5.1.8", "6.el9")), (2, &package("glibc", Some(1), "2.34", "100.el9"))])
}

/// The four little-endian words of slot `n`.
fn set_slot(file: &mut [u8], n: usize, words: [u32; 4]) {
    for (i, word) in words.iter().enumerate() {
        file[n * 16 + 4 * i..n * 16 + 4 * i + 4].copy_from_slice(&word.to_le_bytes());
    }
}

const SLOT: u32 = u32::from_le_bytes(*b"Slot");

#[test]
fn reads_used_slots_in_file_order() {
    assert_eq!(read(&database()).unwrap(), ["4 bash", "2 glibc"]);
    // Freeing the first slot (block offset 0) leaves the other package.
    let mut file = database();
    set_slot(&mut file, 2, [SLOT, 0, 0, 0]);
    assert_eq!(read(&file).unwrap(), ["2 glibc"]);
    // An empty database: one slot page, no blobs.
    assert_eq!(read(&ndb(&[])).unwrap(), Vec::<String>::new());
}

#[test]
fn header_errors() {
    assert_eq!(err(b""), "0 bytes, shorter than the 32-byte header");
    assert_eq!(err(&[0x41; 64]), "no RpmP magic: not an rpm ndb database");
    let mut file = database();
    file[4] = 1;
    assert_eq!(err(&file), "unsupported ndb version 1");
    let mut file = database();
    file[12..16].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(err(&file), "0 slot pages in a file of 4448 bytes");
    let mut file = database();
    file[12..16].copy_from_slice(&2u32.to_le_bytes());
    assert_eq!(err(&file), "2 slot pages in a file of 4448 bytes");
}

#[test]
fn slot_errors() {
    let mut file = database();
    file[20 * 16] = b'X';
    assert_eq!(err(&file), "slot 20 has no Slot magic");

    let mut file = database();
    set_slot(&mut file, 2, [SLOT, 4, 10, 9]);
    assert_eq!(err(&file), "slot 2 (package 4, blocks 10+9) is not a valid entry");
    set_slot(&mut file, 2, [SLOT, 0, 256, 9]);
    assert_eq!(err(&file), "slot 2 (package 0, blocks 256+9) is not a valid entry");

    let mut file = database();
    set_slot(&mut file, 3, [SLOT, 2, 256, u32::MAX]);
    assert_eq!(err(&file), "slot 3: package 2 at blocks 256+4294967295 runs past the end of the file (278 blocks)");

    // Two slots sharing blocks: no byte is read twice.
    let mut file = database();
    set_slot(&mut file, 3, [SLOT, 2, 260, 9]);
    assert_eq!(err(&file), "slot 3: package 2 overlaps another package's blocks");
}

#[test]
fn blob_errors() {
    // bash's blob: blocks 256..265.
    let blob = 256 * 16;
    let mut file = database();
    file[blob] = b'X';
    assert_eq!(err(&file), "package 4: no BlbS magic at block 256");

    let mut file = database();
    file[blob + 4] = 9;
    assert_eq!(err(&file), "package 4: the blob belongs to package 9");

    let mut file = database();
    file[blob + 12..blob + 16].copy_from_slice(&1000u32.to_le_bytes());
    assert_eq!(err(&file), "package 4: a blob of 1000 bytes needs 65 blocks, the slot has 10");

    let mut file = database();
    file[blob + 10 * 16 - 1] = b'X';
    assert_eq!(err(&file), "package 4: the blob's tail does not match its head");

    let mut file = database();
    set_slot(&mut file, 2, [SLOT, 4, 256, 1]);
    assert_eq!(err(&file), "package 4: 16 bytes, too small for a blob");
}

#[test]
fn truncations_are_errors_not_panics() {
    let file = database();
    for end in 0..file.len() {
        assert!(read(&file[..end]).is_err(), "prefix of {end} bytes");
    }
}

proptest! {
    #[test]
    fn corrupted_databases_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut file = database();
        for (at, byte) in flips {
            let at = at % file.len();
            file[at] = byte;
        }
        let _ = read(&file);
    }
}
