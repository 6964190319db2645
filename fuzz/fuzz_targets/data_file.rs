#![no_main]
// See crosscheck::fuzzing::data_file for what is parsed and which contract is checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| crosscheck::fuzzing::data_file(data));
