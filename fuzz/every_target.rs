//! Every fuzz target in one binary: `CUSTOMS_FUZZ_TARGET=<target>` names the one to
//! run. `fuzz/run.sh` builds and runs this binary, so one instrumented link (about
//! 60 MB, not 66 of them) serves all targets; the one-line files in `fuzz_targets/`
//! stay for `cargo fuzz run <target>`.
#![no_main]

use std::sync::OnceLock;

static TARGET: OnceLock<customs::fuzzing::Target> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let target = TARGET.get_or_init(|| {
        let name = std::env::var("CUSTOMS_FUZZ_TARGET").unwrap_or_default();
        customs::fuzzing::target(&name).unwrap_or_else(|| {
            let names: Vec<&str> = customs::fuzzing::TARGETS.iter().map(|(n, _)| *n).collect();
            eprintln!("CUSTOMS_FUZZ_TARGET={name:?} names no target; the targets are: {}", names.join(" "));
            std::process::exit(2)
        })
    });
    target(data)
});
