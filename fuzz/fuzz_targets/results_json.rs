#![no_main]
// See crosscheck::fuzzing::results_json for what is parsed and which contract is checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| crosscheck::fuzzing::results_json(data));
