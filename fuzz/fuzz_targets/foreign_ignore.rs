#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| customs::fuzzing::foreign_ignore(data));
