#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| customs::fuzzing::advisory_modified_ids(data));
