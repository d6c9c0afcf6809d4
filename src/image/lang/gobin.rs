//! Go executables in an image: the modules they were built from, read from the build
//! information the Go linker embeds (what `go version -m` prints).
//!
//! Where: the `.go.buildinfo` section of an ELF executable, or, when section headers are
//! gone, a 16-byte-aligned `\xff Go buildinf:` header in a writable loadable segment (where
//! Go's `debug/buildinfo` looks too). Two layouts exist: since Go 1.18 (flag bit 2) the
//! Go version and the module information follow the header as varint-length-prefixed
//! strings; before, the header holds two pointers to Go string headers, read here through
//! the program headers (pointer size and byte order from the header).
//!
//! The module information is `go version -m`'s text between two 16-byte sentinels:
//! `path`, `mod <path> <version> <sum>`, `dep <path> <version> <sum>`, and `=> <path>
//! <version> <sum>` after a module that was replaced. Packages:
//! - the main module (`mod`), unless its version is `(devel)` (built from a checkout
//!   without a tag, which is what `go build` in a work tree stamps);
//! - every `dep`, with its replacement applied. A module replaced by a local directory
//!   (`=> ../lib` with no version) is skipped: its code is whatever the directory held, and
//!   the required version is often a placeholder (Kubernetes requires its staging modules at
//!   `v0.0.0`), so advisories for that version would be false alarms;
//! - `stdlib` at the toolchain's version (`go1.21.3` → `1.21.3`), except development
//!   toolchains (`devel …`), which have no release to match.
//!
//! Versions are written without the leading `v`, as OSV writes Go versions (the purl gets it
//! back). Duplicates are reported once. Files that are not ELF, or carry no build info, are
//! not Go programs: no packages and no error. Build info that is there but unreadable is an
//! error naming the file.

use std::collections::BTreeSet;

use object::{Object, ObjectSection, ObjectSegment, SegmentFlags};

use super::super::fs::InlineAnalyzer;
use crate::model::{EcosystemKind, Location, Package};

/// Reads Go build info (module and dependencies) from executables.
pub struct GoBinaries;

/// Executables larger than this are not read.
pub const MAX_BINARY_SIZE: u64 = 512 * 1024 * 1024;

const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
const HEADER_SIZE: usize = 32;
/// Go 1.18+: the strings follow the header.
const FLAG_INLINE: u8 = 2;
/// Before Go 1.18: the pointers are big-endian.
const FLAG_BIG_ENDIAN: u8 = 1;
/// The longest string read through a pointer (real module lists are kilobytes).
const MAX_POINTED_STRING: u64 = 16 * 1024 * 1024;
const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
const PF_W: u32 = 2;

impl InlineAnalyzer for GoBinaries {
    fn id(&self) -> &'static str {
        "go/binary"
    }

    fn wants(&self, _path: &str, mode: u32, size: u64) -> bool {
        mode & 0o111 != 0 && size >= ELF_MAGIC.len() as u64 && size <= MAX_BINARY_SIZE
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Package>, String> {
        if !content.starts_with(ELF_MAGIC) {
            return Ok(Vec::new());
        }
        let location = format!("/{path}");
        let Some(info) = read_build_info(content).map_err(|e| format!("{location}: Go build info: {e}"))? else {
            return Ok(Vec::new());
        };
        Ok(packages(&info, &location))
    }
}

/// The two strings of the build info.
#[derive(Debug, PartialEq, Eq)]
struct BuildInfo {
    /// `go1.21.3`.
    go_version: String,
    /// The module lines, sentinels removed; empty when the binary was built outside module mode.
    modules: String,
}

/// Finds and decodes the build info; `None` when the ELF file has none.
fn read_build_info(content: &[u8]) -> Result<Option<BuildInfo>, String> {
    let file = object::File::parse(content).map_err(|e| format!("not a readable ELF file ({e})"))?;
    let Some(header) = find_header(&file) else {
        return Ok(None);
    };
    let ptr_size = usize::from(header[14]);
    let flags = header[15];
    let (go_version, modules) = if flags & FLAG_INLINE != 0 {
        let (go_version, rest) = varint_string(&header[HEADER_SIZE..]).ok_or("the Go version runs past its section")?;
        let (modules, _) = varint_string(rest).ok_or("the module list runs past its section")?;
        (go_version, modules)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!("pointer size {ptr_size} is neither 4 nor 8"));
        }
        let big_endian = flags & FLAG_BIG_ENDIAN != 0;
        let pointer = |at: usize| read_pointer(header, at, ptr_size, big_endian).ok_or("the header is truncated");
        let go_version = pointed_string(&file, content, pointer(16)?, ptr_size, big_endian)?;
        let modules = pointed_string(&file, content, pointer(16 + ptr_size)?, ptr_size, big_endian)?;
        (go_version, modules)
    };
    let text =
        |bytes: &[u8], what: &str| String::from_utf8(bytes.to_vec()).map_err(|_| format!("the {what} is not UTF-8"));
    Ok(Some(BuildInfo {
        go_version: text(go_version, "Go version")?,
        modules: text(strip_sentinels(modules), "module list")?,
    }))
}

/// The build info header and what follows it, to the end of its section or segment.
fn find_header<'d>(file: &object::File<'d>) -> Option<&'d [u8]> {
    if let Some(section) = file.section_by_name(".go.buildinfo") {
        let data = section.data().ok()?;
        return (data.len() >= HEADER_SIZE && data.starts_with(MAGIC)).then_some(data);
    }
    for segment in file.segments() {
        let writable = matches!(segment.flags(), SegmentFlags::Elf { p_flags, .. } if p_flags.0 & PF_W != 0);
        let (Ok(data), true) = (segment.data(), writable) else {
            continue;
        };
        // Go aligns the header to 16 bytes in memory; a loadable segment's file offset and
        // address agree modulo the page size, so the address gives the alignment.
        let base = segment.address();
        let mut from = 0;
        while let Some(found) = find(&data[from..], MAGIC) {
            let at = from + found;
            if (base.wrapping_add(at as u64)) % 16 == 0 && data.len() - at >= HEADER_SIZE {
                return Some(&data[at..]);
            }
            from = at + 1;
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// An unsigned LEB128 varint (Go's `binary.Uvarint`) and the bytes after it.
fn uvarint(data: &[u8]) -> Option<(u64, &[u8])> {
    let mut value: u64 = 0;
    for (i, &byte) in data.iter().enumerate().take(10) {
        let bits = u64::from(byte & 0x7f);
        if i == 9 && byte > 1 {
            return None; // overflows 64 bits
        }
        value |= bits << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &data[i + 1..]));
        }
    }
    None
}

/// A varint-length-prefixed string and the bytes after it.
fn varint_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = uvarint(data)?;
    let len = usize::try_from(len).ok().filter(|&len| len <= rest.len())?;
    Some(rest.split_at(len))
}

fn read_pointer(data: &[u8], at: usize, ptr_size: usize, big_endian: bool) -> Option<u64> {
    let bytes = data.get(at..at.checked_add(ptr_size)?)?;
    let mut value: u64 = 0;
    for i in 0..ptr_size {
        let byte = if big_endian { bytes[i] } else { bytes[ptr_size - 1 - i] };
        value = (value << 8) | u64::from(byte);
    }
    Some(value)
}

/// The bytes at a virtual address, from the file data of the segment that maps it.
fn bytes_at<'d>(file: &object::File<'d>, content: &'d [u8], address: u64, len: u64) -> Option<&'d [u8]> {
    file.segments().find_map(|segment| {
        let (offset, size) = segment.file_range();
        let start = address.checked_sub(segment.address()).filter(|&delta| delta < size)?;
        let end = start.checked_add(len).filter(|&end| end <= size)?;
        let absolute = |x: u64| usize::try_from(offset.checked_add(x)?).ok();
        content.get(absolute(start)?..absolute(end)?)
    })
}

/// A Go string whose header (data pointer, length) is at `address`.
fn pointed_string<'d>(
    file: &object::File<'d>,
    content: &'d [u8],
    address: u64,
    ptr_size: usize,
    big_endian: bool,
) -> Result<&'d [u8], String> {
    let header = bytes_at(file, content, address, 2 * ptr_size as u64)
        .ok_or_else(|| format!("no string header at address {address:#x}"))?;
    let data = read_pointer(header, 0, ptr_size, big_endian).unwrap_or_default();
    let len = read_pointer(header, ptr_size, ptr_size, big_endian).unwrap_or_default();
    if len > MAX_POINTED_STRING {
        return Err(format!("a string of {len} bytes at address {data:#x} is too long"));
    }
    bytes_at(file, content, data, len).ok_or_else(|| format!("no {len}-byte string at address {data:#x}"))
}

/// The module list without the 16-byte sentinels around it (Go's own test: at least 33
/// bytes, and a newline just before the closing sentinel); empty otherwise.
fn strip_sentinels(modules: &[u8]) -> &[u8] {
    if modules.len() >= 33 && modules[modules.len() - 17] == b'\n' {
        &modules[16..modules.len() - 16]
    } else {
        &[]
    }
}

/// A module as the list names it.
#[derive(Clone)]
struct Module<'a> {
    path: &'a str,
    version: &'a str,
}

fn packages(info: &BuildInfo, location: &str) -> Vec<Package> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut main: Option<Module> = None;
    // Each dependency with its replacement, if any.
    let mut deps: Vec<(Module, Option<Module>)> = Vec::new();
    for line in info.modules.lines() {
        let mut fields = line.split('\t');
        let kind = fields.next().unwrap_or_default();
        let module = Module { path: fields.next().unwrap_or_default(), version: fields.next().unwrap_or_default() };
        match kind {
            "mod" => main = Some(module),
            "dep" => deps.push((module, None)),
            "=>" => {
                if let Some((_, replacement)) = deps.last_mut() {
                    *replacement = Some(module);
                }
            }
            _ => {}
        }
    }
    let released = |version: &str| !version.is_empty() && version != "(devel)";
    if let Some(main) = main.filter(|m| !m.path.is_empty() && released(m.version)) {
        found.push((main.path.to_string(), main.version.to_string()));
    }
    for (dep, replacement) in deps {
        let module = replacement.unwrap_or(dep);
        if !module.path.is_empty() && released(module.version) {
            found.push((module.path.to_string(), module.version.to_string()));
        }
    }
    if let Some(version) = stdlib_version(&info.go_version) {
        found.push(("stdlib".to_string(), version));
    }
    let mut seen = BTreeSet::new();
    found
        .into_iter()
        .map(|(path, version)| (path, version.strip_prefix('v').map(str::to_string).unwrap_or(version)))
        .filter(|key| seen.insert(key.clone()))
        .map(|(path, version)| {
            let location = Location { path: location.to_string(), line: None, layer: None };
            Package::new(EcosystemKind::Go, path, version, location)
        })
        .collect()
}

/// `go1.21.3` (possibly followed by ` X:experiments`) → `1.21.3`; `None` for development
/// toolchains and anything else.
fn stdlib_version(go_version: &str) -> Option<String> {
    let version = go_version.split_whitespace().next()?.strip_prefix("go")?;
    version.starts_with(|c: char| c.is_ascii_digit()).then(|| version.to_string())
}

#[cfg(test)]
mod tests;
