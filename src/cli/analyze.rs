//! `dropcause analyze`, `timeline` and `outlook`: read the logs, find the drops
//! and their causes (and what will break next), and render the story.

use super::input_args::{InputArgs, report_reading};
use super::output_args::OutputArgs;
use super::progress::Progress;
use super::rules::RuleSourceArgs;
use super::{EXIT_BAD_INPUT, EXIT_OK};
use anyhow::Context;
use clap::Args;
use dropcause::analyze::analyze;
use dropcause::correlate::CorrelateOptions;
use dropcause::diag::Diagnostics;
use dropcause::ingest::{FileStats, HostFilter};
use dropcause::report::{self, Report};
use dropcause::rules::{AlertFilter, Level, RuleSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

/// Exit code with `--exit-code`: at least one drop was found.
pub const EXIT_DROPS: u8 = 1;

pub const EXAMPLES: &str = "Examples:
  dropcause analyze samples/
  dropcause analyze ./logs --findings --timeline
  dropcause analyze ./logs --report incident.html
  dropcause analyze ./logs --format json > analysis.json
  dropcause analyze ./logs --rules ./my-rules --tz Europe/Berlin
  dropcause analyze ./logs --rules ./sigma/rules/windows --min-level medium --status stable,test";

pub const TIMELINE_EXAMPLES: &str = "Examples:
  dropcause timeline ./logs
  dropcause timeline ./logs --around '2024-03-11 09:12:00' --window 10m
  dropcause timeline ./logs --tz Europe/Berlin --format csv > timeline.csv";

pub const OUTLOOK_EXAMPLES: &str = "Examples:
  dropcause outlook ./logs
  dropcause outlook ./logs --format json > outlook.json";

/// Arguments of `dropcause analyze`, `timeline` and `outlook`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    rules: RuleSourceArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Leave out the plain Sigma rules (those without a dropcause: block) below this
    /// level; dropcause's own rules always run.
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    min_level: Option<Level>,
    /// Keep only the plain Sigma rules of these statuses (comma-separated; a rule that
    /// states none is left out); dropcause's own rules always run.
    #[arg(
        long,
        value_name = "STATUS",
        value_delimiter = ',',
        value_parser = ["stable", "test", "experimental", "deprecated", "unsupported"]
    )]
    status: Vec<String>,
    /// How many causes to list per drop.
    #[arg(long, value_name = "N", default_value_t = 5)]
    max_causes: usize,
    /// Exit with status 1 when at least one drop was found (for scripts).
    #[arg(long)]
    exit_code: bool,
}

fn parse_level(text: &str) -> Result<Level, String> {
    text.parse::<Level>().map_err(|e| {
        let names = Level::ALL.map(Level::as_str).join(", ");
        format!("{e}; use one of {names}")
    })
}

/// Fails when the report file would replace one of the logs read (or the
/// archive holding one): the evidence must survive the report.
fn refuse_overwriting_an_input(
    report: &std::path::Path,
    sources: &[dropcause::ingest::Source],
) -> anyhow::Result<()> {
    let Ok(target) = report.canonicalize() else {
        return Ok(()); // does not exist yet: it replaces nothing
    };
    for source in sources {
        // An archive entry's path goes on inside the archive file.
        let file = source.path.ancestors().find(|a| a.is_file());
        if file.and_then(|f| f.canonicalize().ok()).as_deref() == Some(target.as_path()) {
            anyhow::bail!(
                "--report {} is one of the inputs: refusing to overwrite the evidence",
                report.display()
            );
        }
    }
    Ok(())
}

/// Loads the rules `args` name, and says what is wrong with them: errors
/// always, rules skipped on purpose one by one (or with -q as a count).
fn load_rules(args: &AnalyzeArgs) -> (RuleSet, Diagnostics) {
    let filter = AlertFilter {
        min_level: args.min_level,
        statuses: args.status.clone(),
    };
    let (rules, loaded) = RuleSet::load_filtered(&args.rules.sources(), &filter);
    let rule_problems = loaded.diagnostics();
    // Rules skipped on purpose are valid Sigma this engine does not run.
    let skipped = rule_problems
        .problems
        .iter()
        .filter(|p| p.kind == dropcause::ProblemKind::Note)
        .count();
    for problem in &rule_problems.problems {
        if args.output.quiet && problem.kind == dropcause::ProblemKind::Note {
            continue;
        }
        eprintln!(
            "dropcause: {}",
            dropcause::report::escape::terminal_message(&problem.to_string())
        );
    }
    if args.output.quiet && skipped > 0 {
        eprintln!("dropcause: {skipped} rule(s) skipped (see `dropcause rules lint`)");
    }
    (rules, rule_problems)
}

/// False, with a message, when `--host` names none of the computers whose
/// records `files` hold (and they hold some).
fn hosts_found(files: &[FileStats], filter: &HostFilter) -> bool {
    if filter.is_empty() {
        return true;
    }
    let mut seen: Vec<&str> = files
        .iter()
        .flat_map(|f| f.spans.iter().map(|s| s.computer.as_str()))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    if !seen.is_empty() && !seen.iter().any(|c| filter.matches(c)) {
        let names: Vec<String> = seen
            .iter()
            .map(|c| dropcause::report::escape::terminal(c).into_owned())
            .collect();
        eprintln!(
            "dropcause: --host {} matches no computer of these logs; they hold: {}",
            filter.0.join(", "),
            names.join(", ")
        );
        return false;
    }
    true
}

pub fn run(args: AnalyzeArgs, part: report::Part) -> anyhow::Result<ExitCode> {
    let stdout_opts = args.output.stdout_options()?;
    let report_file = args.output.report_file()?;
    args.input.limit_threads();
    let (rules, rule_problems) = load_rules(&args);
    let found = args.input.discover()?;
    if let Some((path, _, _)) = &report_file {
        refuse_overwriting_an_input(path, &found.sources)?;
    }
    let mut progress = Progress::new(found.sources.len() as u64, args.output.quiet);
    let correlate = CorrelateOptions {
        max_causes: args.max_causes,
        min_alert_level: args.min_level,
        ..CorrelateOptions::default()
    };
    let analyzed = analyze(
        &found.sources,
        &rules,
        &args.input.options(),
        &correlate,
        &mut progress,
    );
    progress.finish();
    let bad_input = report_reading(&analyzed.ingest, &found);
    if !hosts_found(&analyzed.ingest.files, &args.input.options().hosts) {
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    }
    let records: u64 = analyzed.ingest.files.iter().map(|f| f.records_read).sum();
    if records == 0 {
        // An empty answer would read as "no drops": say there is none instead.
        eprintln!(
            "dropcause: no event record could be read from the input, so there is nothing to analyze"
        );
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    }
    let mut diagnostics = Diagnostics::default();
    diagnostics.extend(found.diagnostics);
    diagnostics.extend(rule_problems);
    diagnostics.extend(analyzed.ingest.diagnostics);
    let drops = analyzed.analysis.findings.len();
    let report = Report::new(
        analyzed.analysis,
        analyzed.ingest.files,
        diagnostics,
        rules.len(),
        &stdout_opts,
    );
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    report::render_part(&report, part, args.output.format, &stdout_opts, &mut out)?;
    out.flush()?;
    if let Some((path, format, opts)) = report_file {
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut file = BufWriter::new(file);
        report::render(&report, format, &opts, &mut file)
            .and_then(|()| file.flush())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("dropcause: report written to {}", path.display());
    }
    // The process ends here: freeing every finding, timeline line and event one by one
    // took a tenth of a run on a log of 29,000 refusals, for memory the exit frees at once.
    std::mem::forget(report);
    Ok(ExitCode::from(if bad_input {
        EXIT_BAD_INPUT
    } else if args.exit_code && drops > 0 {
        EXIT_DROPS
    } else {
        EXIT_OK
    }))
}
