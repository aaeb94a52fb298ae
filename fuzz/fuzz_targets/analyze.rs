//! The whole pipeline on damaged logs: the bytes become up to eight files (a new file starts
//! at each `ElfFile\0` after the first byte, so a seed is a host's logs laid end to end),
//! then `analyze_property` reads, matches, correlates and writes them in every format. No
//! other target reaches correlation or the reports.
#![no_main]

use dropcause::ingest::discover;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

mod analyze_property;
mod scratch;

const MAGIC: &[u8] = b"ElfFile\0";
const MAX_FILES: usize = 8;

/// The input cut before each magic that does not start it, at most [`MAX_FILES`] parts.
fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = vec![0];
    let mut at = 1;
    while starts.len() < MAX_FILES {
        let Some(found) = data
            .get(at..)
            .and_then(|rest| rest.windows(MAGIC.len()).position(|w| w == MAGIC))
        else {
            break;
        };
        starts.push(at + found);
        at += found + 1;
    }
    starts.push(data.len());
    starts.windows(2).map(|w| &data[w[0]..w[1]]).collect()
}

fn write_files(data: &[u8]) -> Option<PathBuf> {
    let dir = scratch::dir("analyze").join("host");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).ok()?;
    for (i, part) in split(data).into_iter().enumerate() {
        std::fs::write(dir.join(format!("log-{i}.evtx")), part).ok()?;
    }
    Some(dir)
}

fuzz_target!(|data: &[u8]| {
    let Some(dir) = write_files(data) else {
        return;
    };
    let found = discover(std::slice::from_ref(&dir), false);
    analyze_property::check(&found.sources, "fuzz input");
});
