//! `Packages` as Berkeley DB hash databases store it (rpm ≤ 4.15: RHEL/CentOS ≤ 8,
//! Amazon Linux 2, SLES ≤ 15.2): key = header number, value = header blob.
//!
//! The file is an array of pages. Page 0 is the hash metadata page (magic `0x061561`,
//! in the byte order of the machine that wrote it: both orders are read). Each hash
//! bucket starts on a page found through the `spares` table and continues through
//! the pages' `next_pgno` chain; a page holds key/value items, and values too large for
//! a page (most headers) are `H_OFFPAGE` references to a chain of overflow pages.
//! rpm's own read-only reader (`bdb_ro`) walks the file the same way.
//!
//! Every page number is checked against the file, and no page may be reached twice
//! (buckets never share pages; a loop is hostile), so the work is bounded by the size
//! of the file and so is every reassembled value.

use super::BlobVisitor;

const HASH_MAGIC: u32 = 0x0006_1561;
const BTREE_MAGIC: u32 = 0x0005_3162;
const PAGE_HEADER: usize = 26;
const META_SIZE: usize = 512;

/// Page types (`db_page.h`).
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;

/// Hash item types.
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

/// Reads integers in the byte order the metadata page's magic revealed.
#[derive(Clone, Copy)]
struct Order {
    swapped: bool,
}

impl Order {
    fn u16(self, bytes: &[u8], at: usize) -> u16 {
        let raw = [bytes[at], bytes[at + 1]];
        if self.swapped {
            u16::from_be_bytes(raw)
        } else {
            u16::from_le_bytes(raw)
        }
    }

    fn u32(self, bytes: &[u8], at: usize) -> u32 {
        let raw = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        if self.swapped {
            u32::from_be_bytes(raw)
        } else {
            u32::from_le_bytes(raw)
        }
    }
}

struct Database<'a> {
    file: &'a [u8],
    order: Order,
    page_size: usize,
    page_count: usize,
    /// Pages already read: each may be reached once.
    visited: Vec<bool>,
}

/// Calls `visit(header number, blob)` for every package record, bucket by bucket.
/// Record 0 (rpm's counter of header numbers, not a package) is skipped.
pub fn read_blobs(file: &[u8], visit: &mut BlobVisitor<'_>) -> Result<(), String> {
    if file.len() < META_SIZE {
        return Err(format!("{} bytes, shorter than a Berkeley DB metadata page", file.len()));
    }
    let order = match u32::from_le_bytes([file[12], file[13], file[14], file[15]]) {
        HASH_MAGIC => Order { swapped: false },
        m if m.swap_bytes() == HASH_MAGIC => Order { swapped: true },
        m if m == BTREE_MAGIC || m.swap_bytes() == BTREE_MAGIC => {
            return Err("a Berkeley DB btree, not a hash database".to_string())
        }
        m => return Err(format!("not a Berkeley DB hash database (magic {m:#010x})")),
    };
    let version = order.u32(file, 16);
    if !(8..=10).contains(&version) {
        return Err(format!("unsupported Berkeley DB hash version {version}"));
    }
    let page_size = order.u32(file, 20) as usize;
    if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
        return Err(format!("invalid page size {page_size}"));
    }
    if file[24] != 0 {
        return Err("the database is encrypted".to_string());
    }
    let max_bucket = order.u32(file, 72) as usize;
    let spares: Vec<u32> = (0..32).map(|i| order.u32(file, 96 + 4 * i)).collect();
    let page_count = file.len() / page_size;
    if max_bucket >= page_count {
        return Err(format!("{} buckets but only {page_count} pages", max_bucket as u64 + 1));
    }

    let mut db = Database { file, order, page_size, page_count, visited: vec![false; page_count] };
    for bucket in 0..=max_bucket {
        // rpm's `hash_bucket_to_page`: the bucket plus the spares entry of its bit length.
        let bits = (usize::BITS - bucket.leading_zeros()) as usize;
        let Some(&spare) = spares.get(bits) else { return Err(format!("bucket {bucket} has no spares entry")) };
        let mut pgno = bucket as u64 + spare as u64;
        while pgno != 0 {
            let page = db.page(pgno, &format!("bucket {bucket}"))?;
            if !matches!(page[25], P_HASH | P_HASH_UNSORTED) {
                return Err(format!("page {pgno} of bucket {bucket} is of type {}, not a hash page", page[25]));
            }
            db.read_hash_page(pgno, page, visit)?;
            pgno = order.u32(page, 16) as u64;
        }
    }
    Ok(())
}

impl<'a> Database<'a> {
    /// Page `pgno`, which must exist, not be the metadata page, carry its own number,
    /// and not have been read before.
    fn page(&mut self, pgno: u64, reached_from: &str) -> Result<&'a [u8], String> {
        if pgno == 0 || pgno >= self.page_count as u64 {
            return Err(format!(
                "{reached_from} leads to page {pgno}, outside the file's pages 1 to {}",
                self.page_count - 1
            ));
        }
        let pgno = pgno as usize;
        if std::mem::replace(&mut self.visited[pgno], true) {
            return Err(format!("{reached_from} leads to page {pgno} a second time (a loop)"));
        }
        let page = &self.file[pgno * self.page_size..(pgno + 1) * self.page_size];
        let stored = self.order.u32(page, 8);
        if stored as usize != pgno {
            return Err(format!("page {pgno} says it is page {stored}"));
        }
        Ok(page)
    }

    fn read_hash_page(&mut self, pgno: u64, page: &'a [u8], visit: &mut BlobVisitor<'_>) -> Result<(), String> {
        let (order, page_size) = (self.order, self.page_size);
        let entries = order.u16(page, 20) as usize;
        if PAGE_HEADER + 2 * entries > page_size {
            return Err(format!("page {pgno} claims {entries} items, more than fit"));
        }
        if !entries.is_multiple_of(2) {
            return Err(format!("page {pgno} has {entries} items, not key/value pairs"));
        }
        let offset = |i: usize| order.u16(page, PAGE_HEADER + 2 * i) as usize;
        // Items are packed from the end of the page down: item i ends where item i-1 starts.
        let item = |i: usize| -> Result<&'a [u8], String> {
            let start = offset(i);
            let end = if i == 0 { page_size } else { offset(i - 1) };
            if start < PAGE_HEADER + 2 * entries || start >= end || end > page_size {
                return Err(format!("page {pgno} item {i} spans bytes {start}..{end}, outside its page"));
            }
            Ok(&page[start..end])
        };
        for pair in 0..entries / 2 {
            let (key, value) = (item(2 * pair)?, item(2 * pair + 1)?);
            let record = match key {
                [H_KEYDATA, k @ ..] if k.len() == 4 => order.u32(k, 0) as u64,
                [H_KEYDATA, ..] | [H_OFFPAGE, ..] => {
                    return Err(format!("page {pgno} item {}: a key that is not a header number", 2 * pair))
                }
                _ => return Err(format!("page {pgno} item {}: unsupported item type {}", 2 * pair, key[0])),
            };
            if record == 0 {
                continue;
            }
            match value {
                [H_KEYDATA, data @ ..] => visit(record, data)?,
                [H_OFFPAGE, ..] if value.len() == 12 => {
                    let data = self.overflow(order.u32(value, 4) as u64, order.u32(value, 8) as usize, record)?;
                    visit(record, &data)?;
                }
                _ => {
                    return Err(format!(
                        "package {record}: unsupported item type {} of {} bytes",
                        value[0],
                        value.len()
                    ))
                }
            }
        }
        Ok(())
    }

    /// Reassembles a value of `length` bytes from the overflow chain starting at `pgno`.
    fn overflow(&mut self, mut pgno: u64, length: usize, record: u64) -> Result<Vec<u8>, String> {
        if length == 0 || length > self.file.len() {
            return Err(format!("package {record}: an overflow value of {length} bytes"));
        }
        let mut data = Vec::with_capacity(length);
        while data.len() < length {
            let page = self.page(pgno, &format!("package {record}'s overflow chain"))?;
            if page[25] != P_OVERFLOW {
                return Err(format!("package {record}: page {pgno} is of type {}, not an overflow page", page[25]));
            }
            let on_page = self.order.u16(page, 22) as usize;
            if on_page == 0 || PAGE_HEADER + on_page > self.page_size || on_page > length - data.len() {
                return Err(format!(
                    "package {record}: overflow page {pgno} holds {on_page} bytes, {} expected at most",
                    (length - data.len()).min(self.page_size - PAGE_HEADER)
                ));
            }
            data.extend_from_slice(&page[PAGE_HEADER..PAGE_HEADER + on_page]);
            pgno = self.order.u32(page, 16) as u64;
        }
        Ok(data)
    }
}

#[cfg(test)]
mod tests;
