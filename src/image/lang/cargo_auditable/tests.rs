use std::io::Write;
use std::process::Command;

use flate2::write::ZlibEncoder;
use flate2::Compression;

use super::*;
use crate::inventory::testing::summarize;

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A copy of `/bin/true` with `section` added as `.dep-v0`, the way cargo-auditable's
/// linker step leaves it (objcopy from binutils).
fn with_section(section: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let payload = dir.path().join("payload");
    let binary = dir.path().join("binary");
    std::fs::write(&payload, section).unwrap();
    let status = crate::testing_tools::status(
        Command::new("objcopy")
            .arg("--add-section")
            .arg(format!(".dep-v0={}", payload.display()))
            .args(["--set-section-flags", ".dep-v0=noload,readonly", "/bin/true"])
            .arg(&binary),
    );
    assert!(status.success());
    std::fs::read(binary).unwrap()
}

fn analyze(content: &[u8]) -> Result<Vec<String>, String> {
    AuditableBinaries.analyze("usr/local/bin/tool", content).map(|p| summarize(&p))
}

fn list(json: &str) -> Vec<String> {
    summarize(&packages(&serde_json::from_str(json).unwrap(), "/tool"))
}

#[test]
fn wants_executables_within_the_cap() {
    assert!(AuditableBinaries.wants("usr/bin/rg", 0o755, 5_000_000));
    assert!(!AuditableBinaries.wants("usr/lib/librg.so", 0o644, 5_000_000));
    assert!(!AuditableBinaries.wants("usr/bin/rg", 0o755, MAX_BINARY_SIZE + 1));
}

#[test]
fn registry_crates_with_kinds_and_relationships() {
    let json = r#"{"packages":[
        {"name":"tool","version":"0.1.0","source":"local","dependencies":[1,2,5],"root":true},
        {"name":"serde","version":"1.0.190","source":"crates.io","dependencies":[3]},
        {"name":"helper","version":"0.2.0","source":"local","dependencies":[4]},
        {"name":"serde_derive","version":"1.0.190","source":"crates.io","kind":"build"},
        {"name":"itoa","version":"1.0.9","source":"registry"},
        {"name":"patched","version":"0.3.0","source":"git"},
        {"name":"odd","version":"1.0.0","source":"somewhere-else"},
        {"name":"memchr","version":"2.6.4","source":"crates.io","kind":"runtime","dependencies":[99]}
    ]}"#;
    assert_eq!(
        list(json),
        [
            "crates.io|serde|1.0.190|pkg:cargo/serde@1.0.190|-|direct",
            "crates.io|serde_derive|1.0.190|pkg:cargo/serde_derive@1.0.190|-|transitive,dev",
            "crates.io|itoa|1.0.9|pkg:cargo/itoa@1.0.9|-|direct",
            "crates.io|memchr|2.6.4|pkg:cargo/memchr@2.6.4|-|transitive",
        ]
    );
}

#[test]
fn a_crates_io_root_is_reported_and_its_dependencies_are_direct() {
    let json = r#"{"packages":[
        {"name":"ripgrep","version":"14.0.3","source":"crates.io","dependencies":[1],"root":true},
        {"name":"grep","version":"0.3.1","source":"crates.io","dependencies":[2]},
        {"name":"regex","version":"1.10.2","source":"crates.io"}
    ]}"#;
    assert_eq!(
        list(json),
        [
            "crates.io|ripgrep|14.0.3|pkg:cargo/ripgrep@14.0.3|-|",
            "crates.io|grep|0.3.1|pkg:cargo/grep@0.3.1|-|direct",
            "crates.io|regex|1.10.2|pkg:cargo/regex@1.10.2|-|transitive",
        ]
    );
}

#[test]
fn without_a_root_relationships_are_unknown_and_duplicates_merge() {
    let json = r#"{"packages":[
        {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},
        {"name":"libc","version":"0.2.150","source":"crates.io","kind":"build"},
        {"name":"libc","version":"0.2.150","source":"crates.io"},
        {"name":"","version":"1.0.0","source":"crates.io"}
    ]}"#;
    assert_eq!(
        list(json),
        ["crates.io|cc|1.0.83|pkg:cargo/cc@1.0.83|-|dev", "crates.io|libc|0.2.150|pkg:cargo/libc@0.2.150|-|"]
    );
}

#[test]
fn reads_the_section_of_a_real_executable() {
    let json = br#"{"packages":[{"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},{"name":"anyhow","version":"1.0.75","source":"crates.io"}]}"#;
    let binary = with_section(&zlib(json));
    assert_eq!(analyze(&binary).unwrap(), ["crates.io|anyhow|1.0.75|pkg:cargo/anyhow@1.0.75|-|direct"]);
    let packages = AuditableBinaries.analyze("usr/local/bin/tool", &binary).unwrap();
    assert_eq!(packages[0].location, Location { path: "/usr/local/bin/tool".into(), line: None, layer: None });
}

#[test]
fn executables_without_the_section_have_no_packages() {
    assert_eq!(analyze(&std::fs::read("/bin/true").unwrap()).unwrap(), Vec::<String>::new());
    assert_eq!(analyze(b"#!/bin/sh\nexit 0\n").unwrap(), Vec::<String>::new());
}

#[test]
fn an_inflation_bomb_stops_at_the_cap() {
    let bomb = zlib(&vec![b' '; (MAX_DEPENDENCY_JSON + 1) as usize]);
    assert!(bomb.len() < 64 * 1024);
    assert_eq!(
        analyze(&with_section(&bomb)),
        Err(format!(
            "/usr/local/bin/tool: cargo-auditable dependency list: the .dep-v0 section inflates to more than {MAX_DEPENDENCY_JSON} bytes"
        ))
    );
    let at_the_cap = zlib(&vec![b' '; MAX_DEPENDENCY_JSON as usize]);
    assert_eq!(
        read_section(&with_section(&at_the_cap), MAX_DEPENDENCY_JSON).unwrap().unwrap().len() as u64,
        MAX_DEPENDENCY_JSON
    );
}

#[test]
fn broken_sections_are_errors_naming_the_file() {
    assert_eq!(
        analyze(&with_section(b"not zlib")),
        Err("/usr/local/bin/tool: cargo-auditable dependency list: the .dep-v0 section is not zlib data (corrupt deflate stream)"
            .to_string())
    );
    assert_eq!(
        analyze(&with_section(&zlib(br#"{"packages":[{"name":"x"}]}"#))),
        Err("/usr/local/bin/tool: cargo-auditable dependency list: not the expected JSON (missing field `version` at line 1 column 25)"
            .to_string())
    );
    assert_eq!(
        analyze(b"\x7fELF"),
        Err(
            "/usr/local/bin/tool: cargo-auditable dependency list: not a readable ELF file (Could not read file magic)"
                .to_string()
        )
    );
}
