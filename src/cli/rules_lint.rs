//! `dropcause rules lint`: every problem of every rule file in one run, each at its
//! line and column with the line quoted, a caret under the spot and, where a known
//! name is close, what was probably meant.

use super::{EXIT_OK, EXIT_RULE_PROBLEMS};
use dropcause::report::escape::terminal;
use dropcause::rules::{RuleSet, RuleSource, rule_text};
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One problem, ready to print.
struct Report<'a> {
    path: &'a Path,
    line_col: Option<(usize, usize)>,
    label: &'static str,
    message: String,
    suggestion: Option<&'a str>,
    hint: &'static str,
}

/// Lints the rules of `sources`; returns the exit code (1 when a file has an error).
pub fn lint(sources: &[RuleSource], out: &mut impl Write) -> anyhow::Result<u8> {
    let (set, report) = RuleSet::load_with_report(sources);
    let disagreements = dropcause::correlate::check_rules(&set);
    let mut texts = Texts::default();
    let mut with_errors = BTreeSet::new();
    for p in &report.problems {
        let label = if p.error.is_skip() { "note" } else { "error" };
        if !p.error.is_skip() {
            with_errors.insert(p.path.clone());
        }
        let problem = Report {
            path: &p.path,
            line_col: p.line_col,
            label,
            message: p.error.to_string(),
            suggestion: p.suggestion.as_deref(),
            hint: p.error.hint(),
        };
        write_report(out, &problem, &mut texts)?;
    }
    for d in &disagreements {
        with_errors.insert(d.path.clone());
        let problem = Report {
            path: &d.path,
            line_col: None,
            label: "error",
            message: format!("rule `{}`: {}", d.rule_id, d.message),
            suggestion: None,
            hint: "correlation's catalog of session events decides what these events mean; \
                   drop the step or key, or give a step of the same phase (rules/README.md)",
        };
        write_report(out, &problem, &mut texts)?;
    }
    writeln!(
        out,
        "{} rule files: {} loaded, {} skipped, {} with errors",
        report.files,
        report.loaded,
        report.skipped().count(),
        with_errors.len()
    )?;
    Ok(if with_errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_RULE_PROBLEMS
    })
}

fn write_report(out: &mut impl Write, p: &Report<'_>, texts: &mut Texts) -> std::io::Result<()> {
    let place = match p.line_col {
        Some((l, c)) => format!("{}:{l}:{c}", p.path.display()),
        None => p.path.display().to_string(),
    };
    writeln!(
        out,
        "{}: {}: {}",
        terminal(&place),
        p.label,
        terminal(&p.message)
    )?;
    let quoted = p
        .line_col
        .and_then(|(line, col)| Some((line, col, texts.line(p.path, line)?)));
    let gutter = quoted
        .as_ref()
        .map_or(1, |(line, _, _)| line.to_string().len());
    let pad = " ".repeat(gutter);
    match quoted {
        Some((line, col, text)) => {
            let (before, width) = caret(&text, col);
            writeln!(out, "{pad} |")?;
            writeln!(out, "{line} | {}", terminal(&text))?;
            let marks = format!("{}{}", " ".repeat(before), "^".repeat(width));
            match p.suggestion {
                Some(s) => writeln!(out, "{pad} | {marks} did you mean `{}`?", terminal(s))?,
                None => writeln!(out, "{pad} | {marks}")?,
            }
        }
        None => {
            if let Some(s) = p.suggestion {
                writeln!(out, "{pad} = did you mean `{}`?", terminal(s))?;
            }
        }
    }
    writeln!(out, "{pad} = hint: {}", p.hint)
}

/// Where the caret goes under `text` for 1-based column `col`: the characters before
/// it and the width of the word that starts there (at least one).
fn caret(text: &str, col: usize) -> (usize, usize) {
    let before = col.saturating_sub(1).min(text.chars().count());
    let ends_word = |c: char| c.is_whitespace() || ":,|()[]{}'\"#".contains(c);
    let width = text
        .chars()
        .skip(before)
        .take_while(|c| !ends_word(*c))
        .count();
    (before, width.max(1))
}

/// The rule files' texts, read once each (built-in ones from the binary).
#[derive(Default)]
struct Texts(HashMap<PathBuf, Option<Vec<String>>>);

impl Texts {
    /// Line `line` (1-based) of `path`, tabs shown as one space so the caret lines up.
    fn line(&mut self, path: &Path, line: usize) -> Option<String> {
        let lines = self.0.entry(path.to_path_buf()).or_insert_with(|| {
            rule_text(path).map(|t| t.lines().map(|l| l.replace('\t', " ")).collect())
        });
        lines.as_ref()?.get(line.checked_sub(1)?).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::caret;

    #[test]
    fn caret_covers_the_word_at_the_column() {
        assert_eq!(caret("levle: high", 1), (0, 5));
        assert_eq!(caret("    EventID|contans: 5719", 13), (12, 7));
        assert_eq!(caret("  condition: selction and x", 14), (13, 8));
        assert_eq!(
            caret("short", 40),
            (5, 1),
            "past the end: one caret after the text"
        );
        assert_eq!(caret("", 1), (0, 1));
    }
}
