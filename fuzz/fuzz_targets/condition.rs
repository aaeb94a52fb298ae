//! The Sigma detection condition parser, against a fixed set of identifiers.
#![no_main]

use dropcause::rules::check_condition;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let names: Vec<String> = ["selection", "filter_a", "filter_b", "sel_1", "sel_2", "x"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let _ = check_condition(text, &names);
});
