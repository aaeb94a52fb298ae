//! Finds the logs to read among the paths the user gave: EVTX files, XML and
//! JSON exports, and the logs inside zip archives, all told by their content.

use super::IngestOptions;
#[cfg(feature = "zip")]
use super::archive;
use super::open::{Data, Format, SNIFF_LEN, Sniffed, not_a_log, open_shared, read_up_to, sniff};
use crate::diag::{Diagnostics, Problem, ProblemKind};
#[cfg(feature = "zip")]
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Where the log is; for an archive entry, the archive's path joined with
    /// the entry's name (`logs.zip/host1/System.evtx`).
    pub path: PathBuf,
    /// Its size in bytes when it was found (uncompressed, for an archive entry).
    pub size: u64,
    /// What it holds.
    pub format: Format,
    /// Set when the log is an entry of a zip archive.
    pub entry: Option<ArchiveEntry>,
}

impl Source {
    /// A log file on disk.
    pub fn file(path: impl Into<PathBuf>, size: u64, format: Format) -> Self {
        Source {
            path: path.into(),
            size,
            format,
            entry: None,
        }
    }

    /// Opens the log: its file, or its archive entry read into memory (at
    /// most `options.max_entry_size` bytes).
    // Without zip support the options (the entry size cap) have nothing to bound.
    #[cfg_attr(not(feature = "zip"), allow(unused_variables))]
    pub(crate) fn open(&self, options: &IngestOptions) -> Result<Data, String> {
        match &self.entry {
            None => open_shared(&self.path)
                .map(Data::File)
                .map_err(|e| e.to_string()),
            #[cfg(feature = "zip")]
            Some(entry) => archive::load(&entry.handle, entry.index, options.entry_cap())
                .map(|bytes| Data::Mem(Cursor::new(bytes))),
            // Discovery makes no archive entries without zip support.
            #[cfg(not(feature = "zip"))]
            Some(entry) => Err(format!(
                "{}: this build of dropcause reads no zip archives (feature `zip`)",
                entry.archive.display()
            )),
        }
    }
}

/// Where an archive entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// The zip file.
    pub archive: PathBuf,
    /// The entry's index in the archive.
    pub index: usize,
    /// The archive, opened once for all its entries.
    #[cfg(feature = "zip")]
    pub(crate) handle: archive::OpenArchive,
}

/// What [`discover`] found: the logs to read, and why others were passed over.
#[derive(Debug, Default)]
pub struct Discovery {
    /// The logs, sorted by path, each once.
    pub sources: Vec<Source>,
    /// Files and folders that could not be used, with the reason.
    pub diagnostics: Diagnostics,
    /// What the archives met inflate to (held to [`super::INFLATE_BUDGET`]).
    #[cfg(feature = "zip")]
    inflated: u64,
}

impl Discovery {
    /// How many files were passed over (unreadable or not a log).
    pub fn skipped(&self) -> usize {
        self.diagnostics.problems.len()
    }
}

/// The file name endings looked at in folders (without `--all-files`).
pub const LOG_EXTENSIONS: &[&str] = &["evtx", "xml", "json", "jsonl", "ndjson", "zip"];

/// Walks `paths` (files and folders, recursively, following links but not
/// looping) and keeps the logs, told by their content: EVTX, XML and JSON
/// exports, and the logs inside zip archives. In folders only files named
/// with one of [`LOG_EXTENSIONS`] are looked at unless `all_files` is set; a
/// file named directly is always looked at. A file that is not a log gets one
/// problem, and so does every archive entry that is not a log.
pub fn discover(paths: &[PathBuf], all_files: bool) -> Discovery {
    let mut found = Discovery::default();
    for root in paths {
        for entry in walkdir::WalkDir::new(root).follow_links(true) {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    let path = err.path().unwrap_or(root).to_path_buf();
                    let message = match err.loop_ancestor() {
                        Some(a) => format!("link loop back to {}", a.display()),
                        None => err
                            .io_error()
                            .map_or_else(|| err.to_string(), |e| e.to_string()),
                    };
                    found
                        .diagnostics
                        .push(Problem::file(ProblemKind::Unreadable, path, message));
                    continue;
                }
            };
            let named = entry.depth() == 0;
            if !entry.file_type().is_file() {
                // Reading a FIFO or a device would block or never end: say why it is passed over.
                if let Some(what) = special_kind(entry.file_type())
                    && (named || has_log_extension(entry.path()))
                {
                    found.diagnostics.push(Problem::file(
                        ProblemKind::Unreadable,
                        entry.path(),
                        format!(
                            "skipped: this is {what}, not a regular file (reading it could \
                             block or never end); copy the log into a file and give that"
                        ),
                    ));
                }
                continue;
            }
            if named || all_files || has_log_extension(entry.path()) {
                // A swept `.xml` or `.json` may well be no log (settings,
                // metadata); any other name that promises a log is worth a word.
                let complain = named || (!all_files && promises_a_log(entry.path()));
                consider(entry.path(), complain, &mut found);
            }
        }
    }
    found.sources.sort_by(|a, b| a.path.cmp(&b.path));
    found.sources.dedup_by(|a, b| a.path == b.path);
    found
}

/// What a file that is neither a regular file nor a folder is, in words.
fn special_kind(kind: std::fs::FileType) -> Option<&'static str> {
    if kind.is_dir() || kind.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

fn has_log_extension(path: &Path) -> bool {
    path.extension().is_some_and(|e| {
        LOG_EXTENSIONS
            .iter()
            .any(|known| e.eq_ignore_ascii_case(known))
    })
}

fn promises_a_log(path: &Path) -> bool {
    path.extension().is_some_and(|e| {
        ["evtx", "jsonl", "ndjson", "zip"]
            .iter()
            .any(|known| e.eq_ignore_ascii_case(known))
    })
}

/// Looks at the first bytes; `complain` says whether a file that is not a log
/// is worth a problem (it is when the user named it or its name says it is a
/// log, not when `--all-files` merely swept it up).
fn consider(path: &Path, complain: bool, found: &mut Discovery) {
    let mut head = vec![0u8; SNIFF_LEN];
    let read = open_shared(path).and_then(|mut f| {
        let size = f.metadata()?.len();
        let n = read_up_to(&mut f, &mut head)?;
        Ok((size, n))
    });
    match read {
        Err(err) => found.diagnostics.push(Problem::file(
            ProblemKind::Unreadable,
            path,
            err.to_string(),
        )),
        Ok((size, n)) => match sniff(&head[..n]) {
            Sniffed::Log(format) => found.sources.push(Source::file(path, size, format)),
            #[cfg(feature = "zip")]
            Sniffed::Zip => {
                let listed = archive::list(path, &mut found.diagnostics, &mut found.inflated);
                found.sources.extend(listed.into_iter().map(|log| Source {
                    path: log.path,
                    size: log.size,
                    format: log.format,
                    entry: Some(ArchiveEntry {
                        archive: path.to_path_buf(),
                        index: log.index,
                        handle: log.handle,
                    }),
                }));
            }
            #[cfg(not(feature = "zip"))]
            Sniffed::Zip => found.diagnostics.push(Problem::file(
                ProblemKind::NotEvtx,
                path,
                "a zip archive: this build of dropcause reads no zip archives (feature `zip`)"
                    .to_string(),
            )),
            Sniffed::Other if complain => {
                found.diagnostics.push(Problem::file(
                    ProblemKind::NotEvtx,
                    path,
                    not_a_log(&head[..n], size),
                ));
            }
            Sniffed::Other => {}
        },
    }
}
