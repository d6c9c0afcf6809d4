//! `Packages.db`, rpm's own "ndb" format (SUSE since SLES 15 SP3 / openSUSE 15.3):
//! little-endian throughout, in 16-byte blocks.
//!
//! ```text
//! header (32 bytes)  "RpmP", version 0, generation, slot pages, next package index
//! slot pages         4096 bytes each (the header takes the first two slots of page 0);
//!                    a slot is "Slot", package index, block offset, block count —
//!                    block offset 0 is a free slot
//! blobs              at block offset × 16: "BlbS", package index, timestamp, length,
//!                    the header blob, padding, then adler32, length, "BlbE"
//! ```
//!
//! Checks follow rpm's `rpmpkgReadSlots` and `rpmpkgReadBlob`: slots must point past
//! the slot pages and inside the file, blobs must not overlap (so no byte is parsed
//! twice), and a blob's head and tail must agree with its slot. Like rpm when it reads
//! a package, the adler32 checksum is not verified.

use super::BlobVisitor;

const HEADER_SIZE: usize = 32;
const PAGE_SIZE: usize = 4096;
const SLOT_SIZE: usize = 16;
const BLOCK_SIZE: usize = 16;
const BLOB_HEAD: usize = 16;
const BLOB_TAIL: usize = 12;

const DB_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_HEAD_MAGIC: &[u8; 4] = b"BlbS";
const BLOB_TAIL_MAGIC: &[u8; 4] = b"BlbE";

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

struct Slot {
    number: usize,
    package: u32,
    block_offset: usize,
    block_count: usize,
}

/// Calls `visit(package index, blob)` for every used slot, in file order.
pub fn read_blobs(file: &[u8], visit: &mut BlobVisitor<'_>) -> Result<(), String> {
    if file.len() < HEADER_SIZE {
        return Err(format!("{} bytes, shorter than the 32-byte header", file.len()));
    }
    if &file[..4] != DB_MAGIC {
        return Err("no RpmP magic: not an rpm ndb database".to_string());
    }
    let version = le_u32(file, 4);
    if version != 0 {
        return Err(format!("unsupported ndb version {version}"));
    }
    let slot_pages = le_u32(file, 12) as usize;
    if slot_pages == 0 || slot_pages > file.len() / PAGE_SIZE {
        return Err(format!("{slot_pages} slot pages in a file of {} bytes", file.len()));
    }
    let file_blocks = file.len() / BLOCK_SIZE;
    let first_blob_block = slot_pages * (PAGE_SIZE / BLOCK_SIZE);

    let mut slots = Vec::new();
    for number in HEADER_SIZE / SLOT_SIZE..slot_pages * (PAGE_SIZE / SLOT_SIZE) {
        let slot = &file[number * SLOT_SIZE..(number + 1) * SLOT_SIZE];
        if &slot[..4] != SLOT_MAGIC {
            return Err(format!("slot {number} has no Slot magic"));
        }
        let (package, block_offset, block_count) =
            (le_u32(slot, 4), le_u32(slot, 8) as usize, le_u32(slot, 12) as usize);
        if block_offset == 0 {
            continue;
        }
        if package == 0 || block_count == 0 || block_offset < first_blob_block {
            return Err(format!(
                "slot {number} (package {package}, blocks {block_offset}+{block_count}) is not a valid entry"
            ));
        }
        if block_offset as u64 + block_count as u64 > file_blocks as u64 {
            return Err(format!(
                "slot {number}: package {package} at blocks {block_offset}+{block_count} runs past the end of the \
                 file ({file_blocks} blocks)"
            ));
        }
        slots.push(Slot { number, package, block_offset, block_count });
    }

    slots.sort_by_key(|slot| slot.block_offset);
    let mut previous_end = first_blob_block;
    for slot in &slots {
        if slot.block_offset < previous_end {
            return Err(format!("slot {}: package {} overlaps another package's blocks", slot.number, slot.package));
        }
        previous_end = slot.block_offset + slot.block_count;
        visit(slot.package as u64, blob(file, slot)?)?;
    }
    Ok(())
}

/// The header blob inside a slot's blocks, after checking its head and tail.
fn blob<'a>(file: &'a [u8], slot: &Slot) -> Result<&'a [u8], String> {
    let start = slot.block_offset * BLOCK_SIZE;
    let area = &file[start..start + slot.block_count * BLOCK_SIZE];
    let package = slot.package;
    if area.len() < BLOB_HEAD + BLOB_TAIL {
        return Err(format!("package {package}: {} bytes, too small for a blob", area.len()));
    }
    if &area[..4] != BLOB_HEAD_MAGIC {
        return Err(format!("package {package}: no BlbS magic at block {}", slot.block_offset));
    }
    let stored = le_u32(area, 4);
    if stored != package {
        return Err(format!("package {package}: the blob belongs to package {stored}"));
    }
    let length = le_u32(area, 12) as usize;
    let blocks = (BLOB_HEAD as u64 + length as u64 + BLOB_TAIL as u64).div_ceil(BLOCK_SIZE as u64);
    if blocks != slot.block_count as u64 {
        return Err(format!(
            "package {package}: a blob of {length} bytes needs {blocks} blocks, the slot has {}",
            slot.block_count
        ));
    }
    let tail = &area[area.len() - BLOB_TAIL..];
    if le_u32(tail, 4) as usize != length || &tail[8..] != BLOB_TAIL_MAGIC {
        return Err(format!("package {package}: the blob's tail does not match its head"));
    }
    Ok(&area[BLOB_HEAD..BLOB_HEAD + length])
}

#[cfg(test)]
mod tests;
