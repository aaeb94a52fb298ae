//! The whole pipeline on damaged logs: the bytes become up to eight files, which
//! `analyze_property` reads, matches, correlates and writes in every format. No other target
//! reaches correlation or the reports.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod analyze_property;
// Only its rules are used here.
#[allow(dead_code)]
mod judged_property;
mod scratch;

fuzz_target!(|data: &[u8]| {
    let dir = scratch::dir("analyze").join("host");
    analyze_property::check_bytes(data, &dir, "fuzz input");
});
