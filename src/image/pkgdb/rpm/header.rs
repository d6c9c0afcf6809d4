//! rpm header blobs as the package databases store them: no lead, no magic, just
//!
//! ```text
//! il: u32 BE   number of index entries
//! dl: u32 BE   length of the data store
//! il × { tag: i32, type: u32, offset: i32, count: u32 }   (big-endian)
//! dl bytes of data
//! ```
//!
//! Installed headers start with the immutable region (tag 63): the package's original
//! header, followed by "dribble" entries rpm added at install time. A dribble entry
//! replaces a region entry with the same tag, so the last entry for a tag wins.
//!
//! Every offset and count comes from the image and is checked against the blob before
//! it is used: a hostile header gets an error, never a panic or a large allocation.

use std::fmt;

/// Tags customs reads (rpm's `rpmTag` numbers).
pub const NAME: u32 = 1000;
pub const VERSION: u32 = 1001;
pub const RELEASE: u32 = 1002;
pub const EPOCH: u32 = 1003;
pub const VENDOR: u32 = 1011;
pub const LICENSE: u32 = 1014;
pub const ARCH: u32 = 1022;
pub const SOURCERPM: u32 = 1044;

/// Region tags: the first entry of a header made from a package or stored in a
/// database points to a 16-byte trailer that describes the region.
const HEADER_IMAGE: u32 = 61;
const HEADER_SIGNATURES: u32 = 62;
const HEADER_IMMUTABLE: u32 = 63;

/// Entry data types and the size of one element of the fixed-size ones.
const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;
const ENTRY_SIZE: usize = 16;
const REGION_TRAILER_SIZE: usize = 16;

fn element_size(ty: u32) -> Option<u64> {
    match ty {
        0 => Some(0),     // NULL
        1 | 2 => Some(1), // CHAR, INT8
        3 => Some(2),     // INT16
        4 => Some(4),     // INT32
        5 => Some(8),     // INT64
        7 => Some(1),     // BIN
        _ => None,        // strings: checked when read
    }
}

/// Why a header blob could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError(pub String);

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn error<T>(message: impl Into<String>) -> Result<T, HeaderError> {
    Err(HeaderError(message.into()))
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: usize,
    count: u32,
}

/// A parsed header: its index entries and a borrowed data store.
#[derive(Debug)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

impl<'a> Header<'a> {
    /// Parses a stored header blob. Bytes after `8 + 16·il + dl` are ignored (some
    /// stores pad blobs); fewer are an error.
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, HeaderError> {
        if blob.len() < 8 {
            return error(format!("header is {} bytes, shorter than its 8-byte intro", blob.len()));
        }
        let il = be_u32(blob, 0) as u64;
        let dl = be_u32(blob, 4) as u64;
        let needed = 8 + il * ENTRY_SIZE as u64 + dl;
        if needed > blob.len() as u64 {
            return error(format!(
                "header declares {il} entries and {dl} data bytes ({needed} bytes) but the blob has {}",
                blob.len()
            ));
        }
        if il == 0 {
            return error("header has no entries");
        }
        let (il, dl) = (il as usize, dl as usize);
        let data_start = 8 + il * ENTRY_SIZE;
        let data = &blob[data_start..data_start + dl];

        let mut entries = Vec::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * ENTRY_SIZE;
            let (tag, ty, offset, count) =
                (be_u32(blob, at), be_u32(blob, at + 4), be_u32(blob, at + 8) as i32, be_u32(blob, at + 12));
            if ty > TYPE_I18NSTRING {
                return error(format!("entry {i} (tag {tag}) has unknown type {ty}"));
            }
            if offset < 0 || offset as usize > dl {
                return error(format!("entry {i} (tag {tag}) points at offset {offset}, outside the {dl} data bytes"));
            }
            let offset = offset as usize;
            if let Some(size) = element_size(ty) {
                let end = offset as u64 + size * count as u64;
                if end > dl as u64 {
                    return error(format!(
                        "entry {i} (tag {tag}) runs to byte {end}, past the end of the {dl} data bytes"
                    ));
                }
            } else if count == 0 {
                return error(format!("entry {i} (tag {tag}) is a string with no elements"));
            }
            entries.push(Entry { tag, ty, offset, count });
        }
        let header = Header { entries, data };
        header.check_region()?;
        Ok(header)
    }

    /// A region entry must be a 16-byte binary value whose trailer names a region of
    /// at most the header's entries.
    fn check_region(&self) -> Result<(), HeaderError> {
        let first = self.entries[0];
        if !matches!(first.tag, HEADER_IMAGE | HEADER_SIGNATURES | HEADER_IMMUTABLE) {
            return Ok(());
        }
        if first.ty != TYPE_BIN || first.count as usize != REGION_TRAILER_SIZE {
            return error(format!(
                "region tag {} has type {} and count {} (expected binary, 16)",
                first.tag, first.ty, first.count
            ));
        }
        let trailer = &self.data[first.offset..first.offset + REGION_TRAILER_SIZE];
        let region_offset = be_u32(trailer, 8) as i32;
        let region_entries = region_offset.unsigned_abs() as usize / ENTRY_SIZE;
        if region_offset > 0
            || !(region_offset.unsigned_abs() as usize).is_multiple_of(ENTRY_SIZE)
            || region_entries == 0
            || region_entries > self.entries.len()
        {
            return error(format!(
                "region trailer offset {region_offset} does not name between 1 and {} entries",
                self.entries.len()
            ));
        }
        Ok(())
    }

    /// The last entry with this tag (dribble entries override the region).
    fn entry(&self, tag: u32) -> Option<Entry> {
        self.entries.iter().rev().find(|e| e.tag == tag).copied()
    }

    /// A string value (for arrays, the first element), if the tag is present.
    pub fn string(&self, tag: u32) -> Result<Option<String>, HeaderError> {
        let Some(entry) = self.entry(tag) else { return Ok(None) };
        if !matches!(entry.ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return error(format!("tag {tag} has type {}, not a string", entry.ty));
        }
        let rest = &self.data[entry.offset..];
        let Some(end) = rest.iter().position(|&b| b == 0) else {
            return error(format!("tag {tag}: string at offset {} runs past the end of the data", entry.offset));
        };
        Ok(Some(String::from_utf8_lossy(&rest[..end]).into_owned()))
    }

    /// The first element of a 32-bit integer value, if the tag is present.
    pub fn int32(&self, tag: u32) -> Result<Option<u32>, HeaderError> {
        let Some(entry) = self.entry(tag) else { return Ok(None) };
        if entry.ty != TYPE_INT32 || entry.count == 0 {
            return error(format!("tag {tag} has type {} and count {}, not a 32-bit integer", entry.ty, entry.count));
        }
        // Bounds were checked at parse time for fixed-size types.
        Ok(Some(be_u32(self.data, entry.offset)))
    }

    fn required_string(&self, tag: u32, what: &str) -> Result<String, HeaderError> {
        match self.string(tag)? {
            Some(value) if !value.is_empty() => Ok(value),
            _ => error(format!("header has no {what} (tag {tag})")),
        }
    }
}

/// What customs keeps of an installed package's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmPackage {
    /// The package's name (`NAME` tag).
    pub name: String,
    /// The epoch, when the package has one.
    pub epoch: Option<u32>,
    /// The upstream version.
    pub version: String,
    /// The distribution's release of that version.
    pub release: String,
    /// The architecture (`x86_64`, `noarch`).
    pub arch: Option<String>,
    /// The source rpm's file name (`openssl-3.0.7-24.el9.src.rpm`); absent for
    /// `gpg-pubkey` entries and source packages.
    pub source_rpm: Option<String>,
    /// Who built it (`Red Hat, Inc.`).
    pub vendor: Option<String>,
    /// The license expression.
    pub license: Option<String>,
}

impl RpmPackage {
    /// Reads the package fields from a stored header blob.
    pub fn from_blob(blob: &[u8]) -> Result<RpmPackage, HeaderError> {
        let header = Header::parse(blob)?;
        let optional = |tag| header.string(tag).map(|s| s.filter(|s| !s.is_empty() && s != "(none)"));
        Ok(RpmPackage {
            name: header.required_string(NAME, "name")?,
            epoch: header.int32(EPOCH)?,
            version: header.required_string(VERSION, "version")?,
            release: header.required_string(RELEASE, "release")?,
            arch: optional(ARCH)?,
            source_rpm: optional(SOURCERPM)?,
            vendor: optional(VENDOR)?,
            license: optional(LICENSE)?,
        })
    }

    /// `EPOCH:VERSION-RELEASE`, without the epoch when there is none or it is 0, as
    /// rpm compares versions and as advisories write them.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(epoch) if epoch > 0 => format!("{epoch}:{}-{}", self.version, self.release),
            _ => format!("{}-{}", self.version, self.release),
        }
    }
}

/// Test support: builds header blobs entry by entry, the way rpm lays them out.
#[cfg(test)]
pub(crate) mod build {
    /// A value to store under a tag.
    pub enum Value<'a> {
        Str(&'a str),
        Int32(u32),
    }

    /// A header blob with an immutable region around `entries` (when `region`), in the
    /// order given; strings are NUL-terminated, integers 4-byte aligned.
    pub fn header(entries: &[(u32, Value<'_>)], region: bool) -> Vec<u8> {
        let mut index: Vec<[u32; 4]> = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        for (tag, value) in entries {
            match value {
                Value::Str(s) => {
                    index.push([*tag, super::TYPE_STRING, data.len() as u32, 1]);
                    data.extend_from_slice(s.as_bytes());
                    data.push(0);
                }
                Value::Int32(n) => {
                    while !data.len().is_multiple_of(4) {
                        data.push(0);
                    }
                    index.push([*tag, super::TYPE_INT32, data.len() as u32, 1]);
                    data.extend_from_slice(&n.to_be_bytes());
                }
            }
        }
        if region {
            let region_entries = index.len() as u32 + 1;
            index.insert(0, [super::HEADER_IMMUTABLE, super::TYPE_BIN, data.len() as u32, 16]);
            for word in [super::HEADER_IMMUTABLE, super::TYPE_BIN, (-(region_entries as i32 * 16)) as u32, 16] {
                data.extend_from_slice(&word.to_be_bytes());
            }
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(index.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        for entry in &index {
            for word in entry {
                blob.extend_from_slice(&word.to_be_bytes());
            }
        }
        blob.extend_from_slice(&data);
        blob
    }

    /// A typical package header.
    pub fn package(name: &str, epoch: Option<u32>, version: &str, release: &str) -> Vec<u8> {
        let mut entries = vec![
            (super::NAME, Value::Str(name)),
            (super::VERSION, Value::Str(version)),
            (super::RELEASE, Value::Str(release)),
        ];
        if let Some(epoch) = epoch {
            entries.push((super::EPOCH, Value::Int32(epoch)));
        }
        entries.push((super::ARCH, Value::Str("x86_64")));
        header(&entries, true)
    }
}

#[cfg(test)]
mod tests {
    use super::build::{header, package, Value};
    use super::*;

    fn err(blob: &[u8]) -> String {
        RpmPackage::from_blob(blob).unwrap_err().0
    }

    #[test]
    fn reads_the_package_fields() {
        let blob = header(
            &[
                (NAME, Value::Str("openssl-libs")),
                (VERSION, Value::Str("3.0.7")),
                (RELEASE, Value::Str("24.el9")),
                (EPOCH, Value::Int32(1)),
                (VENDOR, Value::Str("AlmaLinux")),
                (LICENSE, Value::Str("ASL 2.0")),
                (ARCH, Value::Str("x86_64")),
                (SOURCERPM, Value::Str("openssl-3.0.7-24.el9.src.rpm")),
            ],
            true,
        );
        let package = RpmPackage::from_blob(&blob).unwrap();
        assert_eq!(
            package,
            RpmPackage {
                name: "openssl-libs".into(),
                epoch: Some(1),
                version: "3.0.7".into(),
                release: "24.el9".into(),
                arch: Some("x86_64".into()),
                source_rpm: Some("openssl-3.0.7-24.el9.src.rpm".into()),
                vendor: Some("AlmaLinux".into()),
                license: Some("ASL 2.0".into()),
            }
        );
        assert_eq!(package.evr(), "1:3.0.7-24.el9");
    }

    #[test]
    fn epoch_zero_or_absent_is_no_epoch() {
        assert_eq!(RpmPackage::from_blob(&package("a", Some(0), "1", "2")).unwrap().evr(), "1-2");
        assert_eq!(RpmPackage::from_blob(&package("a", None, "1", "2")).unwrap().evr(), "1-2");
    }

    #[test]
    fn headers_without_a_region_are_read_too() {
        let blob = header(&[(NAME, Value::Str("a")), (VERSION, Value::Str("1")), (RELEASE, Value::Str("2"))], false);
        assert_eq!(RpmPackage::from_blob(&blob).unwrap().evr(), "1-2");
    }

    #[test]
    fn a_later_entry_overrides_an_earlier_one() {
        let blob = header(
            &[
                (NAME, Value::Str("a")),
                (VERSION, Value::Str("1")),
                (RELEASE, Value::Str("2")),
                (RELEASE, Value::Str("3")),
            ],
            true,
        );
        assert_eq!(RpmPackage::from_blob(&blob).unwrap().release, "3");
    }

    #[test]
    fn missing_fields_are_errors() {
        let blob = header(&[(NAME, Value::Str("a")), (VERSION, Value::Str("1"))], true);
        assert_eq!(err(&blob), "header has no release (tag 1002)");
        let blob = header(&[(NAME, Value::Str("a")), (VERSION, Value::Int32(1)), (RELEASE, Value::Str("1"))], true);
        assert_eq!(err(&blob), "tag 1001 has type 4, not a string");
    }

    #[test]
    fn every_truncation_is_an_error() {
        let blob = package("bash", Some(2), "5.1.8", "6.el9");
        for end in 0..blob.len() {
            assert!(RpmPackage::from_blob(&blob[..end]).is_err(), "prefix of {end} bytes");
        }
        assert_eq!(err(&blob[..5]), "header is 5 bytes, shorter than its 8-byte intro");
        assert_eq!(err(&blob[..100]), "header declares 6 entries and 47 data bytes (151 bytes) but the blob has 100");
    }

    #[test]
    fn hostile_counts_and_offsets_are_errors() {
        let mut huge = vec![0xff; 8];
        huge.extend_from_slice(&[0; 64]);
        assert_eq!(
            err(&huge),
            "header declares 4294967295 entries and 4294967295 data bytes (73014444023 bytes) but the blob has 72"
        );
        assert_eq!(err(&[0; 8]), "header has no entries");

        let blob = package("bash", None, "5.1.8", "6.el9");
        let entry = |i: usize, field: usize| 8 + 16 * i + 4 * field;
        let patched = |i: usize, field: usize, value: u32| {
            let mut b = blob.clone();
            b[entry(i, field)..entry(i, field) + 4].copy_from_slice(&value.to_be_bytes());
            b
        };
        assert_eq!(err(&patched(1, 2, 4000)), "entry 1 (tag 1000) points at offset 4000, outside the 40 data bytes");
        assert_eq!(
            err(&patched(1, 2, (-8i32) as u32)),
            "entry 1 (tag 1000) points at offset -8, outside the 40 data bytes"
        );
        assert_eq!(err(&patched(1, 1, 77)), "entry 1 (tag 1000) has unknown type 77");
        // A region trailer reached through a count that runs off the end.
        assert_eq!(
            err(&patched(0, 3, 0x4000_0000)),
            "entry 0 (tag 63) runs to byte 1073741848, past the end of the 40 data bytes"
        );
        assert_eq!(err(&patched(0, 3, 8)), "region tag 63 has type 7 and count 8 (expected binary, 16)");
        // A string whose terminating NUL is missing.
        let mut unterminated = header(&[(NAME, Value::Str("abc"))], false);
        unterminated.pop();
        unterminated[4..8].copy_from_slice(&3u32.to_be_bytes());
        assert_eq!(err(&unterminated), "tag 1000: string at offset 0 runs past the end of the data");
    }

    #[test]
    fn a_region_trailer_naming_too_many_entries_is_an_error() {
        let mut blob = package("bash", None, "5.1.8", "6.el9");
        let trailer_offset = blob.len() - 16 + 8;
        blob[trailer_offset..trailer_offset + 4].copy_from_slice(&(-(100 * 16i32)).to_be_bytes());
        assert_eq!(err(&blob), "region trailer offset -1600 does not name between 1 and 5 entries");
    }
}
