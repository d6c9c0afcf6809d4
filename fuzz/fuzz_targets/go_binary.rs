#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| customs::fuzzing::go_binary(data));
