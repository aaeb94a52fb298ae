//! The compact event builder against the renderer: the bytes become a file, read once with
//! the events the peek can read whole built from their template values, once with every
//! record rendered through the `evtx` crate. Both must give the same events, field for field,
//! but for records whose rendering is not JSON, which only the builder reads
//! (`compact_property`).
#![no_main]

use dropcause::ingest::discover;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

mod compact_property;
mod scratch;

fn scratch() -> PathBuf {
    scratch::dir("compact").join("input.evtx")
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let found = discover(std::slice::from_ref(&path), false);
    compact_property::check(&found.sources, "fuzz input");
});
