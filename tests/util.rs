//! Helpers shared by the end-to-end tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `dropcause` binary built for these tests.
pub fn dropcause() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dropcause"))
}

/// `dropcause` run as a user whom file permissions bind. `permissions_hold`
/// says whether they already bind this process (a mode 000 path it could not
/// open); when they do not (root, as in CI), the command runs under `setpriv`
/// without the two capabilities that bypass them (CAP_DAC_OVERRIDE,
/// CAP_DAC_READ_SEARCH). `None`, with a SKIP line, when setpriv is missing;
/// under `CI=true` that fails the test instead.
#[cfg(unix)]
pub fn dropcause_bound_by_permissions(test: &str, permissions_hold: bool) -> Option<Command> {
    if permissions_hold {
        return Some(dropcause());
    }
    let setpriv = Command::new("setpriv").arg("--version").output();
    if setpriv.is_ok_and(|o| o.status.success()) {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-dac_override,-dac_read_search",
            "--",
            env!("CARGO_BIN_EXE_dropcause"),
        ]);
        return Some(cmd);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: running as root and setpriv (util-linux) is missing under CI=true"
    );
    eprintln!("SKIP {test}: running as root, and setpriv is missing to drop the capabilities");
    None
}

/// Runs `dropcause` with `args`.
pub fn run(args: &[&str]) -> Output {
    dropcause().args(args).output().expect("dropcause runs")
}

/// A folder of shared data beside the project (never copied into it): `$env`,
/// else `../shared/<default>` from the crate root, present when `marker` is in
/// it. `None` (with a SKIP line on stderr naming `test`) when absent; under
/// `CI=true` an absent folder fails the test instead.
pub fn shared(test: &str, env: &str, default: &str, marker: &str) -> Option<PathBuf> {
    let path = std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared")
            .join(default)
    });
    if path.join(marker).exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: {default} is missing at {} under CI=true (set {env})",
        path.display()
    );
    eprintln!(
        "SKIP {test}: {default} not found at {} (set {env})",
        path.display()
    );
    None
}

/// The shared corpus of real logs (`$DROPCAUSE_CORPUS`, else `../shared/corpus`).
pub fn corpus(test: &str) -> Option<PathBuf> {
    shared(test, "DROPCAUSE_CORPUS", "corpus", "index.json")
}

/// The reproducers of hostile-input failures (`$DROPCAUSE_RELIABILITY`, else
/// `../shared/reliability`).
pub fn reliability(test: &str) -> Option<PathBuf> {
    shared(test, "DROPCAUSE_RELIABILITY", "reliability", "README.md")
}

/// The sum of one count over the `inputs` of a JSON report.
pub fn input_total(report: &serde_json::Value, field: &str) -> u64 {
    report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|f| f[field].as_u64().expect("a count"))
        .sum()
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
        panic!(
            "{} differs from the output (- expected, + actual; UPDATE_GOLDEN=1 rewrites it):\n{}",
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

/// The built-in rule set, loaded once for all tests; it must load cleanly.
pub fn builtin_rules() -> &'static dropcause::rules::RuleSet {
    use dropcause::rules::{RuleSet, RuleSource};
    static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        let (rules, diagnostics) = RuleSet::load(&[RuleSource::BuiltIn]);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        rules
    })
}

/// The bundled `samples/` folder.
pub fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Every scenario of `samples/scenarios/`, in file name order.
pub fn scenarios() -> Vec<dropcause::writer::Scenario> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples_dir().join("scenarios"))
        .expect("samples/scenarios exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| dropcause::writer::Scenario::load(f).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// Finds the logs under `paths` and runs the whole pipeline on them with the
/// built-in rules and default options; returns what was found and the analysis.
pub fn analyze_logs(
    paths: &[PathBuf],
) -> (dropcause::ingest::Discovery, dropcause::analyze::Analyzed) {
    let found = dropcause::ingest::discover(paths, false);
    let analyzed = dropcause::analyze::analyze(
        &found.sources,
        builtin_rules(),
        &dropcause::ingest::IngestOptions::default(),
        &dropcause::correlate::CorrelateOptions::default(),
        &mut (),
    );
    (found, analyzed)
}
