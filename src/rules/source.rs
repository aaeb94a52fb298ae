//! Where rule files come from: the built-in `rules/` tree embedded in the binary,
//! directories walked for `*.yml`/`*.yaml`, or text given directly.

use super::error::{Located, NotUtf8, RuleError, RuleProblem};
use super::yaml::MAX_FILE_BYTES;
use include_dir::{Dir, include_dir};
use std::path::{Path, PathBuf};

/// The repository's `rules/` tree, compiled into the binary.
static BUILT_IN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules");

/// The prefix of built-in rules' paths.
pub const EMBEDDED_PREFIX: &str = "<embedded>";

/// A place to load rules from.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleSource {
    /// The rules built into the binary (the repository's `rules/` tree).
    BuiltIn,
    /// A directory, walked recursively for `*.yml` and `*.yaml` files (or one file).
    Path(PathBuf),
    /// One rule's text, reported under `path`.
    Text {
        /// The name used in reports.
        path: PathBuf,
        /// The YAML text.
        text: String,
    },
}

/// The text of the rule file at `path`, as a loaded rule names it ([`super::RuleInfo::path`]):
/// a built-in file (`<embedded>/...`) or a file on disk. `None` when it cannot be read (any
/// more).
pub fn rule_text(path: &Path) -> Option<String> {
    match path.strip_prefix(EMBEDDED_PREFIX) {
        Ok(inside) => BUILT_IN
            .get_file(inside)
            .and_then(|f| f.contents_utf8())
            .map(str::to_string),
        Err(_) => std::fs::read_to_string(path).ok(),
    }
}

fn is_rule_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// A rule file a source names: its text (or why there is none), or a file on disk still to
/// be read, which [`Found::text`] reads on the thread that compiles it (the walk read
/// SigmaHQ's 2,400 files one after the other before any was compiled).
pub(crate) enum Found {
    /// The text, or why it could not be had.
    Text(Result<String, RuleProblem>),
    /// A file on disk, not read yet.
    File,
}

impl Found {
    /// The text of the rule file at `path`, or why it cannot be read.
    pub(crate) fn text(self, path: &Path) -> Result<String, Box<RuleProblem>> {
        match self {
            Found::Text(text) => text.map_err(Box::new),
            Found::File => read(path).map_err(|e| Box::new(unreadable(path, e))),
        }
    }
}

/// The rule files of a source, each with its text, the reason it is unreadable, or
/// [`Found::File`] to read it.
pub(crate) fn files(source: &RuleSource) -> Vec<(PathBuf, Found)> {
    match source {
        RuleSource::BuiltIn => {
            let mut out = Vec::new();
            embedded(&BUILT_IN, &mut out);
            out.sort_by(|a, b| a.0.cmp(&b.0));
            out
        }
        RuleSource::Text { path, text } => vec![(path.clone(), Found::Text(Ok(text.clone())))],
        RuleSource::Path(root) => walk(root),
    }
}

fn embedded(dir: &Dir<'static>, out: &mut Vec<(PathBuf, Found)>) {
    for f in dir.files().filter(|f| is_rule_file(f.path())) {
        let path = Path::new(EMBEDDED_PREFIX).join(f.path());
        let text = std::str::from_utf8(f.contents())
            .map(str::to_string)
            .map_err(|e| unreadable(&path, NotUtf8(e).into()));
        out.push((path, Found::Text(text)));
    }
    for d in dir.dirs() {
        embedded(d, out);
    }
}

fn unreadable(path: &Path, error: RuleError) -> RuleProblem {
    RuleProblem::new(path, Located::at(None, error))
}

fn walk(root: &Path) -> Vec<(PathBuf, Found)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .follow_links(true)
        .max_depth(32)
        .sort_by_file_name()
    {
        match entry {
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                // The walk's error stays inside the I/O error, and says the same (with the path).
                let problem = unreadable(&path, std::io::Error::from(e).into());
                out.push((path, Found::Text(Err(problem))));
            }
            Ok(e) if e.file_type().is_file() && (is_rule_file(e.path()) || e.depth() == 0) => {
                out.push((e.path().to_path_buf(), Found::File));
            }
            Ok(_) => {}
        }
    }
    out
}

fn read(path: &Path) -> Result<String, RuleError> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(RuleError::TooLarge {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            limit: MAX_FILE_BYTES,
        });
    }
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes).map_err(|e| NotUtf8(e.utf8_error()).into())
}
