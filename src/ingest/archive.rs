//! Zip archives of logs, read in place: every entry is judged by its content
//! and becomes a [`Source`](super::Source) of its own; when its turn comes it is
//! decompressed into memory (up to a size cap) and read like a file.
//!
//! Bounds, against crafted archives: the central directory is read once per
//! archive (every entry shares it); an entry whose compressed bytes overlap
//! another's (the trick of overlapping zip bombs) is refused; an entry may not
//! inflate past the size the directory gives it; and the logs of all archives
//! of a run together may inflate to at most [`INFLATE_BUDGET`] bytes.

use super::INFLATE_BUDGET;
use super::open::{
    EntryBytes, Format, SNIFF_LEN, Sniffed, not_a_log, open_shared, read_up_to, sniff,
};
use crate::diag::{Diagnostics, Problem, ProblemKind};
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An archive opened once: its parsed directory, shared by all its entries
/// (each load works on a cheap clone with its own file position).
#[derive(Clone)]
pub struct OpenArchive(Arc<zip::ZipArchive<SharedFile>>);

impl fmt::Debug for OpenArchive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpenArchive({} entries)", self.0.len())
    }
}

impl PartialEq for OpenArchive {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for OpenArchive {}

/// A file read at explicit offsets, so that clones share one handle but not a
/// position (what lets archive entries be read in parallel).
#[derive(Clone)]
struct SharedFile {
    file: Arc<File>,
    pos: u64,
    len: u64,
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(&*self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(&*self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let to = match pos {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = to.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        Ok(self.pos)
    }
}

/// A log found in an archive, for discovery to make a source of.
pub(crate) struct Listed {
    /// The archive's path joined with the entry's name.
    pub path: PathBuf,
    /// Its size, inflated, as the archive's directory gives it.
    pub size: u64,
    /// What it holds.
    pub format: Format,
    /// The entry's index in the archive.
    pub index: usize,
    /// The archive, opened once for all its entries.
    pub handle: OpenArchive,
}

/// Lists the logs in the zip archive at `path`: one [`Listed`] per entry that
/// is a log, one problem per entry that is not (nested archives included) or
/// that is refused. `inflated` is what the run's archives inflate to so far
/// (by their directories), held to [`INFLATE_BUDGET`].
pub(crate) fn list(path: &Path, diagnostics: &mut Diagnostics, inflated: &mut u64) -> Vec<Listed> {
    let mut zip = match open_zip(path) {
        Ok(zip) => zip,
        Err(err) => {
            diagnostics.push(Problem::file(
                ProblemKind::Unreadable,
                path,
                format!("cannot read the zip archive: {err}"),
            ));
            return Vec::new();
        }
    };
    let mut lister = Lister {
        path,
        handle: OpenArchive(Arc::new(zip.clone())),
        taken: BTreeMap::new(),
        diagnostics,
        inflated,
        found: Vec::new(),
    };
    for index in 0..zip.len() {
        lister.entry(&mut zip, index);
    }
    lister.found
}

/// Opens the archive at `path` and reads its directory.
fn open_zip(path: &Path) -> Result<zip::ZipArchive<SharedFile>, String> {
    let opened = open_shared(path).and_then(|file| {
        let len = file.metadata()?.len();
        Ok(SharedFile {
            file: Arc::new(file),
            pos: 0,
            len,
        })
    });
    opened
        .map_err(|e| e.to_string())
        .and_then(|f| zip::ZipArchive::new(f).map_err(|e| e.to_string()))
}

/// What [`list`] keeps while it goes through the entries of one archive.
struct Lister<'a> {
    path: &'a Path,
    handle: OpenArchive,
    /// Compressed byte ranges of the entries taken so far: start -> (end, index).
    taken: BTreeMap<u64, (u64, usize)>,
    diagnostics: &'a mut Diagnostics,
    inflated: &'a mut u64,
    found: Vec<Listed>,
}

impl Lister<'_> {
    /// Looks at entry `index`: refused when its bytes overlap an entry taken
    /// before, else judged by its first bytes.
    fn entry(&mut self, zip: &mut zip::ZipArchive<SharedFile>, index: usize) {
        let mut entry = match zip.by_index(index) {
            Ok(entry) => entry,
            Err(err) => {
                self.diagnostics.push(Problem::file(
                    ProblemKind::Unreadable,
                    self.path,
                    format!("entry {index}: {err}"),
                ));
                return;
            }
        };
        if !entry.is_file() {
            return;
        }
        let name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("entry-{index}"));
        let entry_path = self.path.join(name.trim_start_matches(['/', '\\']));
        let start = entry.header_start();
        let end = entry
            .data_start()
            .unwrap_or(start)
            .saturating_add(entry.compressed_size());
        if let Some(other) = overlap(&self.taken, start, end) {
            self.diagnostics.push(Problem::file(
                ProblemKind::Unreadable,
                entry_path,
                format!(
                    "archive entry refused: its compressed bytes overlap those of entry {other} \
                     (the trick of a zip bomb; a zip tool never writes this)"
                ),
            ));
            return;
        }
        self.taken.insert(start, (end.max(start + 1), index));
        let size = entry.size();
        let mut head = vec![0u8; SNIFF_LEN];
        match read_up_to(&mut entry, &mut head) {
            Err(err) => self.diagnostics.push(Problem::file(
                ProblemKind::Unreadable,
                entry_path,
                format!("cannot decompress the archive entry: {err}"),
            )),
            Ok(n) => self.judge(entry_path, index, size, &head[..n]),
        }
    }

    /// Keeps the entry whose first bytes are `head` when it is a log the
    /// run's budget still has room for; says why not otherwise.
    fn judge(&mut self, entry_path: PathBuf, index: usize, size: u64, head: &[u8]) {
        match sniff(head) {
            Sniffed::Log(_) if size > INFLATE_BUDGET - *self.inflated => {
                self.diagnostics.push(Problem::file(
                    ProblemKind::Unreadable,
                    entry_path,
                    format!(
                        "archive entry refused: the logs inside this run's archives would \
                         inflate to more than {} GiB; extract the archive and give the files",
                        INFLATE_BUDGET >> 30
                    ),
                ))
            }
            Sniffed::Log(format) => {
                *self.inflated += size;
                self.found.push(Listed {
                    path: entry_path,
                    size,
                    format,
                    index,
                    handle: self.handle.clone(),
                })
            }
            Sniffed::Zip => self.diagnostics.push(Problem::file(
                ProblemKind::NotEvtx,
                entry_path,
                "a zip inside the archive is not read: extract it first",
            )),
            Sniffed::Other => self.diagnostics.push(Problem::file(
                ProblemKind::NotEvtx,
                entry_path,
                format!("archive entry skipped, {}", not_a_log(head, size)),
            )),
        }
    }
}

/// The index of a taken entry whose byte range meets `start..end`.
fn overlap(taken: &BTreeMap<u64, (u64, usize)>, start: u64, end: u64) -> Option<usize> {
    let before = taken.range(..=start).next_back();
    let after = taken.range(start..).next();
    before
        .filter(|(_, (e, _))| *e > start)
        .or(after.filter(|(s, _)| **s < end))
        .map(|(_, (_, index))| *index)
}

/// Decompresses entry `index` into memory, refusing entries larger than `cap`
/// bytes or than the size the archive's directory gives them (checked on the
/// bytes actually produced).
pub(crate) fn load(handle: &OpenArchive, index: usize, cap: u64) -> Result<EntryBytes, String> {
    let mut zip = (*handle.0).clone();
    let item = zip
        .by_index(index)
        .map_err(|e| format!("cannot read the archive entry: {e}"))?;
    let claimed = item.size();
    if claimed > cap {
        return Err(format!(
            "the archive entry is larger than {} MiB, the most read into memory: extract it \
             and give the file instead",
            cap >> 20
        ));
    }
    // Reserved at once: no doubling past the entry's size (pages the entry does
    // not fill are never touched, so a lying size costs no memory).
    let mut bytes = Vec::with_capacity(usize::try_from(claimed).unwrap_or(0));
    item.take(claimed + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot decompress the archive entry: {e}"))?;
    if bytes.len() as u64 > claimed {
        return Err(format!(
            "the archive entry inflates past the {claimed} bytes its directory gives it \
             (damaged, or crafted): not read"
        ));
    }
    Ok(EntryBytes::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_ranges_are_found_on_either_side() {
        let mut taken = BTreeMap::new();
        taken.insert(100, (200, 0));
        taken.insert(300, (400, 1));
        assert_eq!(overlap(&taken, 150, 160), Some(0));
        assert_eq!(overlap(&taken, 50, 120), Some(0));
        assert_eq!(overlap(&taken, 250, 350), Some(1));
        assert_eq!(overlap(&taken, 100, 101), Some(0));
        assert_eq!(overlap(&taken, 200, 300), None);
        assert_eq!(overlap(&taken, 400, 500), None);
    }
}
