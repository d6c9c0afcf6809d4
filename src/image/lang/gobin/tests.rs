use super::*;
use crate::inventory::testing::summarize;

const BASE: u64 = 0x40_0000;
/// Where the data starts in the hand-made ELF file (after the ELF and program headers).
const DATA_OFFSET: usize = 128;

/// A minimal ELF64 executable: one writable PT_LOAD segment mapping the whole file at
/// `BASE`, no section headers, `data` at `DATA_OFFSET`.
fn elf(data: &[u8]) -> Vec<u8> {
    let total = (DATA_OFFSET + data.len()) as u64;
    let mut file = Vec::new();
    file.extend(b"\x7fELF\x02\x01\x01\x00");
    file.extend([0u8; 8]);
    file.extend(2u16.to_le_bytes()); // ET_EXEC
    file.extend(0x3eu16.to_le_bytes()); // x86-64
    file.extend(1u32.to_le_bytes());
    file.extend(BASE.to_le_bytes()); // entry
    file.extend(64u64.to_le_bytes()); // program headers
    file.extend(0u64.to_le_bytes()); // no section headers
    file.extend(0u32.to_le_bytes());
    for half in [64u16, 56, 1, 64, 0, 0] {
        file.extend(half.to_le_bytes());
    }
    file.extend(1u32.to_le_bytes()); // PT_LOAD
    file.extend(6u32.to_le_bytes()); // read, write
    for word in [0, BASE, BASE, total, total, 0x1000] {
        file.extend(word.to_le_bytes());
    }
    file.resize(DATA_OFFSET, 0);
    file.extend(data);
    file
}

/// The module list as the linker writes it, between its sentinels.
fn with_sentinels(modules: &str) -> Vec<u8> {
    let mut bytes = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6".to_vec();
    bytes.extend(modules.as_bytes());
    bytes.extend(b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2");
    bytes
}

fn varint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Go 1.18+ build info: header, then the two strings inline.
fn inline_info(go_version: &str, modules: &[u8]) -> Vec<u8> {
    let mut data = MAGIC.to_vec();
    data.extend([8, FLAG_INLINE]);
    data.resize(HEADER_SIZE, 0);
    varint(go_version.len(), &mut data);
    data.extend(go_version.as_bytes());
    varint(modules.len(), &mut data);
    data.extend(modules);
    data
}

/// Pre-1.18 build info: header with two pointers to string headers, laid out after it.
fn pointer_info(go_version: &str, modules: &[u8], ptr_size: usize, big_endian: bool) -> Vec<u8> {
    let word = |value: u64| {
        let bytes = value.to_be_bytes()[8 - ptr_size..].to_vec();
        if big_endian {
            bytes
        } else {
            bytes.into_iter().rev().collect()
        }
    };
    let address = |offset: usize| BASE + (DATA_OFFSET + offset) as u64;
    let headers_at = HEADER_SIZE;
    let strings_at = headers_at + 4 * ptr_size;
    let mut data = MAGIC.to_vec();
    data.extend([ptr_size as u8, if big_endian { FLAG_BIG_ENDIAN } else { 0 }]);
    data.extend(word(address(headers_at)));
    data.extend(word(address(headers_at + 2 * ptr_size)));
    data.resize(HEADER_SIZE, 0);
    data.extend(word(address(strings_at)));
    data.extend(word(go_version.len() as u64));
    data.extend(word(address(strings_at + go_version.len())));
    data.extend(word(modules.len() as u64));
    data.extend(go_version.as_bytes());
    data.extend(modules);
    data
}

const MODULES: &str = "path\texample.com/app/cmd/app\nmod\texample.com/app\tv1.4.0\th1:abc=\ndep\tgithub.com/google/uuid\tv1.3.0\th1:def=\ndep\tgolang.org/x/text\tv0.3.7\th1:ghi=\n=>\tgolang.org/x/text\tv0.3.8\th1:jkl=\ndep\texample.com/internal\tv0.0.0\n=>\t../internal\t(devel)\t\ndep\texample.com/staging\tv0.0.0-00010101000000-000000000000\n=>\t./staging\t\t\ndep\tgithub.com/gogo/protobuf\tv1.3.2+incompatible\th1:x=\ndep\tgithub.com/google/uuid\tv1.3.0\th1:def=\nbuild\t-compiler=gc\nbuild\tGOOS=linux\n";

const EXPECTED: [&str; 5] = [
    "Go|example.com/app|1.4.0|pkg:golang/example.com/app@v1.4.0|-|",
    "Go|github.com/google/uuid|1.3.0|pkg:golang/github.com/google/uuid@v1.3.0|-|",
    "Go|golang.org/x/text|0.3.8|pkg:golang/golang.org/x/text@v0.3.8|-|",
    "Go|github.com/gogo/protobuf|1.3.2+incompatible|pkg:golang/github.com/gogo/protobuf@v1.3.2%2Bincompatible|-|",
    "Go|stdlib|1.21.3|pkg:golang/stdlib@v1.21.3|-|",
];

fn analyze(content: &[u8]) -> Result<Vec<String>, String> {
    GoBinaries.analyze("usr/local/bin/app", content).map(|p| summarize(&p))
}

#[test]
fn wants_executables_within_the_cap() {
    assert!(GoBinaries.wants("usr/bin/app", 0o755, 2_000_000));
    assert!(GoBinaries.wants("app", 0o100, 4));
    assert!(!GoBinaries.wants("usr/bin/app", 0o644, 2_000_000));
    assert!(!GoBinaries.wants("usr/bin/app", 0o755, MAX_BINARY_SIZE + 1));
    assert!(!GoBinaries.wants("usr/bin/app", 0o755, 3));
}

#[test]
fn go_1_18_inline_build_info() {
    let binary = elf(&inline_info("go1.21.3 X:boringcrypto", &with_sentinels(MODULES)));
    assert_eq!(analyze(&binary).unwrap(), EXPECTED);
    let packages = GoBinaries.analyze("usr/local/bin/app", &binary).unwrap();
    assert!(packages
        .iter()
        .all(|p| p.location == Location { path: "/usr/local/bin/app".into(), line: None, layer: None }));
}

#[test]
fn pre_1_18_pointer_build_info() {
    for (ptr_size, big_endian) in [(8, false), (4, false), (8, true), (4, true)] {
        let binary = elf(&pointer_info("go1.21.3", &with_sentinels(MODULES), ptr_size, big_endian));
        assert_eq!(analyze(&binary).unwrap(), EXPECTED, "{ptr_size}-byte pointers, big-endian {big_endian}");
    }
}

#[test]
fn the_header_is_found_only_16_byte_aligned() {
    // A string constant holding the magic (debug/buildinfo has one) before the real header.
    let mut data = b"...".to_vec();
    data.extend(MAGIC);
    data.extend([8, FLAG_INLINE]);
    data.resize(48, 0);
    data.extend(inline_info("go1.20", &with_sentinels("mod\tx.io/m\tv1.0.0\t\n")));
    assert_eq!(
        analyze(&elf(&data)).unwrap(),
        ["Go|x.io/m|1.0.0|pkg:golang/x.io/m@v1.0.0|-|", "Go|stdlib|1.20|pkg:golang/stdlib@v1.20|-|"]
    );
}

#[test]
fn development_builds_have_no_main_module_or_stdlib() {
    let modules = "path\tcmd\nmod\texample.com/app\t(devel)\t\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:x=\n";
    let binary = elf(&inline_info("devel go1.23-abcdef Tue", &with_sentinels(modules)));
    assert_eq!(
        analyze(&binary).unwrap(),
        ["Go|github.com/pkg/errors|0.9.1|pkg:golang/github.com/pkg/errors@v0.9.1|-|"]
    );
}

#[test]
fn a_module_list_without_sentinels_is_empty() {
    let binary = elf(&inline_info("go1.21.0", b"mod\texample.com/app\tv1.0.0\t\n"));
    assert_eq!(analyze(&binary).unwrap(), ["Go|stdlib|1.21.0|pkg:golang/stdlib@v1.21.0|-|"]);
}

#[test]
fn programs_that_are_not_go_have_no_packages() {
    assert_eq!(analyze(b"#!/bin/sh\necho hi\n").unwrap(), Vec::<String>::new());
    assert_eq!(analyze(&elf(b"just some data")).unwrap(), Vec::<String>::new());
    let true_binary = std::fs::read("/bin/true").unwrap();
    assert_eq!(analyze(&true_binary).unwrap(), Vec::<String>::new());
}

#[test]
fn broken_build_info_is_an_error_naming_the_file() {
    let mut truncated = inline_info("go1.21.3", &with_sentinels(MODULES));
    truncated.truncate(truncated.len() - 40);
    assert_eq!(
        analyze(&elf(&truncated)),
        Err("/usr/local/bin/app: Go build info: the module list runs past its section".to_string())
    );
    let mut dangling = pointer_info("go1.21.3", b"", 8, false);
    dangling[16..24].copy_from_slice(&0xdead_0000u64.to_le_bytes());
    assert_eq!(
        analyze(&elf(&dangling)),
        Err("/usr/local/bin/app: Go build info: no string header at address 0xdead0000".to_string())
    );
    let mut huge = pointer_info("go1.21.3", b"", 8, false);
    huge[HEADER_SIZE + 8..HEADER_SIZE + 16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(
        analyze(&elf(&huge)),
        Err(
            "/usr/local/bin/app: Go build info: a string of 18446744073709551615 bytes at address 0x4000c0 is too long"
                .to_string()
        )
    );
    let mut bad_pointer_size = pointer_info("go1.21.3", b"", 8, false);
    bad_pointer_size[14] = 3;
    assert_eq!(
        analyze(&elf(&bad_pointer_size)),
        Err("/usr/local/bin/app: Go build info: pointer size 3 is neither 4 nor 8".to_string())
    );
    assert_eq!(
        analyze(b"\x7fELF\x02\x01"),
        Err("/usr/local/bin/app: Go build info: not a readable ELF file (Could not read file magic)".to_string())
    );
}

#[test]
fn varints() {
    assert_eq!(uvarint(&[0x05, 0xaa]), Some((5, &[0xaa][..])));
    assert_eq!(uvarint(&[0xac, 0x02]), Some((300, &[][..])));
    assert_eq!(uvarint(&[0xff; 9].iter().chain(&[0x01]).copied().collect::<Vec<_>>()), Some((u64::MAX, &[][..])));
    assert_eq!(uvarint(&[0xff; 9].iter().chain(&[0x02]).copied().collect::<Vec<_>>()), None, "overflow");
    assert_eq!(uvarint(&[0x80, 0x80]), None, "unterminated");
    assert_eq!(varint_string(&[0x03, b'a', b'b']), None, "longer than the data");
}

#[test]
fn every_prefix_and_corruption_is_safe() {
    for binary in [
        elf(&inline_info("go1.21.3", &with_sentinels(MODULES))),
        elf(&pointer_info("go1.21.3", &with_sentinels(MODULES), 8, false)),
    ] {
        for end in 0..binary.len() {
            let _ = GoBinaries.analyze("app", &binary[..end]);
        }
        for at in 0..binary.len() {
            let mut corrupt = binary.clone();
            corrupt[at] ^= 0xa5;
            let _ = GoBinaries.analyze("app", &corrupt);
        }
    }
}
