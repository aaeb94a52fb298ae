//! Helpers shared by the end-to-end tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `dropcause` binary built for these tests.
pub fn dropcause() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dropcause"))
}

/// Runs `dropcause` with `args`.
pub fn run(args: &[&str]) -> Output {
    dropcause().args(args).output().expect("dropcause runs")
}

/// The shared corpus of real logs: `$DROPCAUSE_CORPUS`, else `../shared/corpus`
/// from the crate root. `None` (with a SKIP line on stderr) when absent.
pub fn corpus(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os("DROPCAUSE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if path.join("index.json").is_file() {
        Some(path)
    } else {
        eprintln!(
            "SKIP {test}: corpus not found at {} (set DROPCAUSE_CORPUS)",
            path.display()
        );
        None
    }
}

/// Text of stdout and stderr.
pub fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Compares `actual` with the golden file `tests/golden/<name>`; with
/// `UPDATE_GOLDEN=1` in the environment, writes it instead.
pub fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {} (run with UPDATE_GOLDEN=1)",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(10)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .collect();
        panic!(
            "{} differs from the output ({} vs {} lines; UPDATE_GOLDEN=1 rewrites it):\n{}",
            path.display(),
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}
