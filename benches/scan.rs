//! Advisory benchmark: compiling the whole OSV mirror, and matching a 5,000-package
//! Cargo.lock against it (what a warm `customs scan` does after reading the lockfile).
//!
//! `cargo bench --bench scan` prints the timings.
//! `cargo bench --bench scan -- --lockfile FILE` only writes the generated Cargo.lock
//! (used by `benches/compare-scan.sh` to time customs against cargo-audit).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use customs::advisory::{db, source};
use customs::inventory::walk::{scan, WalkOptions};
use customs::matching::{match_packages, Advisories};

const PACKAGES: usize = 5000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let mirror = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/osv");
    if args.first().map(String::as_str) == Some("--lockfile") {
        let out = args.get(1).expect("--lockfile FILE");
        std::fs::write(out, cargo_lock(&mirror)).expect("write lockfile");
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let db_path = work.path().join("customs.db");

    let started = Instant::now();
    let header = db::compile(std::slice::from_ref(&mirror), &db_path).expect("compile");
    let compiled = started.elapsed();
    println!(
        "db/compile: {} records from {} in {:.2} s (read, parse, index and write, streamed); file {:.1} MiB",
        header.records,
        mirror.display(),
        compiled.as_secs_f64(),
        std::fs::metadata(&db_path).unwrap().len() as f64 / 1048576.0
    );

    std::fs::write(work.path().join("Cargo.lock"), cargo_lock(&mirror)).unwrap();
    let mut times = Vec::new();
    let mut findings = 0;
    for _ in 0..20 {
        let started = Instant::now();
        let database = db::Database::open(&db_path).expect("open");
        let inventory = scan(&work.path().join("Cargo.lock"), &WalkOptions::default()).expect("scan");
        let advisories = Advisories { db: Some(database), local: Default::default() };
        let report = match_packages(&inventory.packages, &advisories).expect("match");
        times.push(started.elapsed());
        findings = report.findings.len();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "scan/warm: open + parse + match {PACKAGES} crates ({findings} findings): min {:.1} ms, median {:.1} ms",
        ms(times[0]),
        ms(times[times.len() / 2])
    );
}

/// A Cargo.lock of 5,000 crates: every crate that has a RustSec advisory, at an old
/// version (so many match), then synthetic crates that match nothing.
fn cargo_lock(mirror: &Path) -> String {
    let (records, _) = source::read(&mirror.join("crates.io/all.zip")).expect("crates.io zip");
    let mut names: Vec<String> = records
        .iter()
        .filter_map(|r| serde_json::from_slice::<serde_json::Value>(&r.bytes).ok())
        .flat_map(|v| {
            v["affected"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["package"]["name"].as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect();
    names.sort();
    names.dedup();
    let mut out = String::from("version = 3\n");
    for i in 0..PACKAGES {
        let (name, version) = match names.get(i) {
            Some(n) => (n.clone(), "0.1.0".to_string()),
            None => (format!("bench-crate-{i}"), format!("1.{}.0", i % 50)),
        };
        write!(out, "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n").unwrap();
    }
    out
}
