//! Zip archives of logs, read in place: every entry is judged by its content
//! and becomes a [`Source`] of its own; when its turn comes it is
//! decompressed into memory (up to a size cap) and read like a file.

use super::discover::{ArchiveEntry, Source, not_a_log};
use super::open::{SNIFF_LEN, Sniffed, open_shared, read_up_to, sniff};
use crate::diag::{Diagnostics, Problem, ProblemKind};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// How large an archive entry may be when it is read into memory, unless the
/// options say otherwise: 1 GiB.
pub const DEFAULT_ENTRY_CAP: u64 = 1 << 30;

/// Lists the logs in the zip archive at `path`: one source per entry that is a
/// log, one problem per entry that is not (nested archives included).
pub(crate) fn list(path: &Path, sources: &mut Vec<Source>, diagnostics: &mut Diagnostics) {
    let mut zip = match open_shared(path)
        .map_err(|e| e.to_string())
        .and_then(|f| zip::ZipArchive::new(f).map_err(|e| e.to_string()))
    {
        Ok(zip) => zip,
        Err(err) => {
            diagnostics.push(Problem::file(
                ProblemKind::Unreadable,
                path,
                format!("cannot read the zip archive: {err}"),
            ));
            return;
        }
    };
    for index in 0..zip.len() {
        let mut entry = match zip.by_index(index) {
            Ok(entry) => entry,
            Err(err) => {
                diagnostics.push(Problem::file(
                    ProblemKind::Unreadable,
                    path,
                    format!("entry {index}: {err}"),
                ));
                continue;
            }
        };
        if !entry.is_file() {
            continue;
        }
        let name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("entry-{index}"));
        let entry_path = path.join(name.trim_start_matches(['/', '\\']));
        let size = entry.size();
        let mut head = vec![0u8; SNIFF_LEN];
        match read_up_to(&mut entry, &mut head) {
            Err(err) => diagnostics.push(Problem::file(
                ProblemKind::Unreadable,
                entry_path,
                format!("cannot decompress the archive entry: {err}"),
            )),
            Ok(n) => match sniff(&head[..n]) {
                Sniffed::Log(format) => sources.push(Source {
                    path: entry_path,
                    size,
                    format,
                    entry: Some(ArchiveEntry {
                        archive: path.to_path_buf(),
                        index,
                    }),
                }),
                Sniffed::Zip => diagnostics.push(Problem::file(
                    ProblemKind::NotEvtx,
                    entry_path,
                    "a zip inside the archive is not read: extract it first",
                )),
                Sniffed::Other => diagnostics.push(Problem::file(
                    ProblemKind::NotEvtx,
                    entry_path,
                    format!("archive entry skipped, {}", not_a_log(&head[..n], size)),
                )),
            },
        }
    }
}

/// Decompresses one entry into memory, refusing entries larger than `cap`
/// bytes (checked on the bytes actually produced, not the size the archive
/// claims).
pub(crate) fn load(entry: &ArchiveEntry, cap: u64) -> Result<Arc<[u8]>, String> {
    let file = open_shared(&entry.archive).map_err(|e| e.to_string())?;
    let mut zip =
        zip::ZipArchive::new(file).map_err(|e| format!("cannot read the archive: {e}"))?;
    let item = zip
        .by_index(entry.index)
        .map_err(|e| format!("cannot read the archive entry: {e}"))?;
    if item.size() > cap {
        return Err(too_large(cap));
    }
    // The claimed size may lie: reserve at most 64 MiB ahead of the bytes.
    let claimed = usize::try_from(item.size().min(64 << 20)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(claimed);
    item.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot decompress the archive entry: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(too_large(cap));
    }
    Ok(Arc::from(bytes))
}

fn too_large(cap: u64) -> String {
    format!(
        "the archive entry is larger than {} MiB, the most read into memory: extract it and \
         give the file instead",
        cap >> 20
    )
}
