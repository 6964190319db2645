#![no_main]
// See crosscheck::fuzzing::omt_and_mep for what is parsed and which contract is checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| crosscheck::fuzzing::omt_and_mep(data));
