//! Golden files: compare output with `tests/golden/<name>`, or rewrite them with
//! `UPDATE_GOLDEN=1`. A mismatch panics with a line diff of the changed hunks.

use std::path::PathBuf;

/// Where golden file `name` lives.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Asserts `actual` equals golden file `name` (or rewrites it).
#[track_caller]
pub fn assert_golden(name: &str, actual: &str) {
    let path = path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        ),
    };
    if expected != actual {
        panic!(
            "output differs from {} (- expected, + actual); run with UPDATE_GOLDEN=1 to accept:\n{}",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// A line diff (longest common subsequence) showing changed lines with two
/// lines of context, at most 80 lines.
pub fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // lcs[i][j]: common lines of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, usize, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', i + 1, a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] > lcs[i + 1][j]) {
            ops.push(('+', j + 1, b[j]));
            j += 1;
        } else {
            ops.push(('-', i + 1, a[i]));
            i += 1;
        }
    }
    let near_change = |k: usize| {
        ops[k.saturating_sub(2)..(k + 3).min(ops.len())]
            .iter()
            .any(|(op, _, _)| *op != ' ')
    };
    let mut out = Vec::new();
    let mut last = None;
    for k in (0..ops.len()).filter(|&k| near_change(k)) {
        if last.is_some_and(|l: usize| l + 1 != k) {
            out.push("   ...".to_string());
        }
        let (op, line, text) = ops[k];
        out.push(format!("{op}{line:>5}| {text}"));
        last = Some(k);
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push("(trailing newline differs)".to_string());
    }
    if out.len() > 80 {
        let more = out.len() - 80;
        out.truncate(80);
        out.push(format!("... {more} more diff lines"));
    }
    out.join("\n")
}

#[test]
fn diff_shows_changed_lines_with_context() {
    let d = diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nD\ne\nf\ng\n");
    assert_eq!(
        d,
        "     2| b\n     3| c\n-    4| d\n+    4| D\n     5| e\n     6| f"
    );
}
