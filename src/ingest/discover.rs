//! Finds the logs to read among the paths the user gave.

use super::EVTX_MAGIC;
use crate::diag::{Diagnostics, Problem, ProblemKind};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One input file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Where the file is.
    pub path: PathBuf,
    /// Its size in bytes when it was found.
    pub size: u64,
}

/// What [`discover`] found: the logs to read, and why others were passed over.
#[derive(Debug, Default)]
pub struct Discovery {
    /// The EVTX logs, sorted by path, each once.
    pub sources: Vec<Source>,
    /// Files and folders that could not be used, with the reason.
    pub diagnostics: Diagnostics,
}

impl Discovery {
    /// How many files were passed over (unreadable or not EVTX).
    pub fn skipped(&self) -> usize {
        self.diagnostics.problems.len()
    }
}

/// Walks `paths` (files and folders, recursively, following links but not
/// looping) and keeps the files that start with the EVTX magic. In folders only
/// `*.evtx` files are looked at unless `all_files` is set; a file named
/// directly is always looked at. A file that is not EVTX gets one problem.
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
            if !entry.file_type().is_file() {
                continue;
            }
            let named = entry.depth() == 0;
            if named || all_files || has_evtx_extension(entry.path()) {
                consider(entry.path(), named || !all_files, &mut found);
            }
        }
    }
    found.sources.sort_by(|a, b| a.path.cmp(&b.path));
    found.sources.dedup_by(|a, b| a.path == b.path);
    found
}

fn has_evtx_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
}

/// Checks the magic; `complain` says whether a non-EVTX file is worth a problem
/// (it is when the user named it or it is called `.evtx`, not when `--all-files`
/// merely swept it up).
fn consider(path: &Path, complain: bool, found: &mut Discovery) {
    let mut magic = [0u8; 8];
    let read = File::open(path).and_then(|mut f| {
        let size = f.metadata()?.len();
        let n = read_up_to(&mut f, &mut magic)?;
        Ok((size, n))
    });
    match read {
        Err(err) => found.diagnostics.push(Problem::file(
            ProblemKind::Unreadable,
            path,
            err.to_string(),
        )),
        Ok((size, n)) if n == magic.len() && &magic == EVTX_MAGIC => {
            found.sources.push(Source {
                path: path.to_path_buf(),
                size,
            });
        }
        Ok((size, _)) if complain => {
            let why = if size == 0 {
                "not an EVTX log: the file is empty".to_string()
            } else if size < 8 {
                format!("not an EVTX log: only {size} bytes")
            } else {
                "not an EVTX log: it does not start with \"ElfFile\\0\"".to_string()
            };
            found
                .diagnostics
                .push(Problem::file(ProblemKind::NotEvtx, path, why));
        }
        Ok(_) => {}
    }
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
