//! `dropcause rules list|lint|test`: the loaded rules, their problems, their self-tests.

use super::{EXIT_BAD_INPUT, EXIT_OK, EXIT_RULE_PROBLEMS};
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use dropcause::report::escape::terminal;
use dropcause::rules::{
    Category, EMBEDDED_PREFIX, Level, LoadReport, Role, RuleInfo, RuleSet, RuleSource, RuleSummary,
    rule_text,
};
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

pub const EXAMPLES: &str = "Examples:
  dropcause rules list
  dropcause rules list --role cause --category certificate
  dropcause rules list --format jsonl | jq -r .id
  dropcause rules show dc-tls-schannel-36874
  dropcause rules lint --rules ./my-rules
  dropcause rules test --rules ./my-rules --no-builtin-rules";

/// Which rules to load: the built-in ones and/or folders.
#[derive(Debug, Clone, Args)]
pub struct RuleSourceArgs {
    /// Also load the rules (*.yml, *.yaml) in this folder, recursively; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Leave out the rules built into dropcause (use only those of --rules).
    #[arg(long)]
    pub no_builtin_rules: bool,
}

impl RuleSourceArgs {
    /// The sources these arguments name, built-in rules first.
    pub fn sources(&self) -> Vec<RuleSource> {
        let builtin = (!self.no_builtin_rules).then_some(RuleSource::BuiltIn);
        builtin
            .into_iter()
            .chain(self.rules.iter().cloned().map(RuleSource::Path))
            .collect()
    }
}

/// Arguments of `dropcause rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

/// Arguments of `dropcause rules list`.
#[derive(Debug, Args)]
struct ListArgs {
    #[command(flatten)]
    src: RuleSourceArgs,
    /// Only rules of this role (drop, lifecycle, cause, context).
    #[arg(long, value_parser = parse_role)]
    role: Option<Role>,
    /// Only rules of this category (certificate, tls, licensing, service, ...).
    #[arg(long, value_parser = parse_category)]
    category: Option<Category>,
    /// Only rules of this level or above (informational, low, medium, high, critical).
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    min_level: Option<Level>,
    /// Only the rules built into dropcause, or only those of --rules folders.
    #[arg(long, value_enum)]
    origin: Option<Origin>,
    /// Output format: a table, or one JSON object per rule (JSON Lines).
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
}

/// `rules show`: one rule.
#[derive(Debug, Args)]
struct ShowArgs {
    /// The rule's id (as `rules list` shows it; ignoring case).
    id: String,
    #[command(flatten)]
    src: RuleSourceArgs,
    /// Output format: the rule's facts and its file's text, or one JSON object.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    format: ShowFormat,
}

/// How `rules show` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ShowFormat {
    /// What the rule is, as loaded, then the text of its file.
    Text,
    /// One JSON object: what `rules list --format jsonl` gives, with the self-test counts, the
    /// event ids the rule can match and the file's text.
    Json,
}

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Origin {
    /// Built into dropcause.
    Builtin,
    /// A --rules folder.
    Files,
}

/// How `rules list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    /// A table.
    Table,
    /// One JSON object per rule: its metadata, `dropcause:` block, logsource and channels.
    Jsonl,
}

fn parse_role(text: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .map_err(|_| format!("`{text}` is not a role: drop, lifecycle, cause or context"))
}

fn parse_level(text: &str) -> Result<Level, String> {
    text.parse::<Level>()
}

fn parse_category(text: &str) -> Result<Category, String> {
    text.parse::<Category>()
}

/// One rule as `rules list --format jsonl` writes it.
#[derive(Serialize)]
struct ListedRule<'a> {
    #[serde(flatten)]
    info: &'a RuleInfo,
    logsource: &'a str,
    channels: &'a [&'static str],
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// List the loaded rules: id, title, level, role, category, logsource, file
    /// (filtered by --role, --category, --min-level and --origin; --format jsonl for scripts).
    List(ListArgs),
    /// Check rule files; print each problem as file:line:col: message, with a hint.
    /// Exits 1 when any rule has an error.
    Lint(#[command(flatten)] RuleSourceArgs),
    /// Run the rules' self-tests (their `tests:` blocks). Exits 1 on any failure.
    Test(#[command(flatten)] RuleSourceArgs),
    /// Show one rule as loaded: its metadata, `dropcause:` block, logsource, the event ids it
    /// can match, its self-tests, where it comes from, and its file's text.
    Show(ShowArgs),
}

pub fn run(args: RulesArgs) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let code = match args.command {
        RulesCommand::List(args) => {
            let (set, report) = RuleSet::load_with_report(&args.src.sources());
            let picked: Vec<RuleSummary<'_>> = set
                .summaries()
                .filter(|r| args.role.is_none_or(|role| r.info.role() == role))
                .filter(|r| args.category.is_none_or(|c| r.info.category() == Some(c)))
                .filter(|r| args.min_level.is_none_or(|l| r.info.level >= l))
                .filter(|r| {
                    let built_in = r.info.path.starts_with(EMBEDDED_PREFIX);
                    args.origin
                        .is_none_or(|o| (o == Origin::Builtin) == built_in)
                })
                .collect();
            match args.format {
                ListFormat::Table => {
                    writeln!(out, "{}", table(&picked))?;
                    writeln!(out, "{} of {} rules loaded", picked.len(), set.len())?;
                }
                ListFormat::Jsonl => {
                    for r in &picked {
                        let line = ListedRule {
                            info: r.info,
                            logsource: r.logsource,
                            channels: r.channels,
                        };
                        serde_json::to_writer(&mut out, &line).map_err(std::io::Error::from)?;
                        writeln!(out)?;
                    }
                }
            }
            brief_problems(&report);
            EXIT_OK
        }
        RulesCommand::Lint(src) => super::rules_lint::lint(&src.sources(), &mut out)?,
        RulesCommand::Test(src) => self_test(&src, &mut out)?,
        RulesCommand::Show(args) => show(&args, &mut out)?,
    };
    out.flush()?;
    Ok(ExitCode::from(code))
}

fn table(rules: &[RuleSummary<'_>]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header([
            "id",
            "title",
            "level",
            "role",
            "category",
            "logsource / channel",
            "file",
        ]);
    if table.width().is_none() {
        table.set_width(160);
    }
    for r in rules {
        let info = r.info;
        let channels = if r.channels.is_empty() {
            "any channel".to_string()
        } else {
            r.channels.join(", ")
        };
        let source = if r.logsource.is_empty() {
            channels
        } else {
            format!("{}\n{channels}", r.logsource)
        };
        table.add_row([
            terminal(&info.id).into_owned(),
            terminal(&info.title).into_owned(),
            info.level.as_str().to_string(),
            format!("{:?}", info.role()).to_lowercase(),
            info.category().map(|c| c.to_string()).unwrap_or_default(),
            terminal(&source).into_owned(),
            terminal(&info.path.display().to_string()).into_owned(),
        ]);
    }
    table
}

/// `rules show` as JSON.
#[derive(Serialize)]
struct ShownRule<'a> {
    #[serde(flatten)]
    listed: ListedRule<'a>,
    match_tests: usize,
    no_match_tests: usize,
    /// `None`: any event id.
    event_ids: Option<Vec<u16>>,
    text: Option<String>,
}

fn show(args: &ShowArgs, out: &mut impl Write) -> anyhow::Result<u8> {
    let (set, report) = RuleSet::load_with_report(&args.src.sources());
    brief_problems(&report);
    let wanted = |info: &RuleInfo| info.id.eq_ignore_ascii_case(&args.id);
    let Some(rule) = set.summaries().find(|r| wanted(r.info)) else {
        no_such_rule(&set, &args.id);
        return Ok(EXIT_BAD_INPUT);
    };
    let event_ids = set
        .pinned()
        .find(|p| wanted(p.info))
        .and_then(|p| p.event_ids);
    let text = rule_text(&rule.info.path);
    if args.format == ShowFormat::Json {
        let shown = ShownRule {
            listed: ListedRule {
                info: rule.info,
                logsource: rule.logsource,
                channels: rule.channels,
            },
            match_tests: rule.match_tests,
            no_match_tests: rule.no_match_tests,
            event_ids,
            text,
        };
        serde_json::to_writer_pretty(&mut *out, &shown).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(EXIT_OK);
    }
    let info = rule.info;
    let mut facts: Vec<(&str, String)> = vec![
        ("title", info.title.to_string()),
        ("level", info.level.as_str().to_string()),
        ("role", format!("{:?}", info.role()).to_lowercase()),
    ];
    if let Some(category) = info.category() {
        facts.push(("category", category.to_string()));
    }
    let channels = if rule.channels.is_empty() {
        "any channel".to_string()
    } else {
        rule.channels.join(", ")
    };
    facts.push(("logsource", format!("{} ({channels})", rule.logsource)));
    let ids = match &event_ids {
        None => "any".to_string(),
        Some(ids) => ids
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    facts.push(("event ids", ids));
    extension_facts(info, &mut facts);
    facts.push((
        "self-tests",
        format!(
            "{} match, {} no_match",
            rule.match_tests, rule.no_match_tests
        ),
    ));
    facts.push(("file", info.path.display().to_string()));
    writeln!(out, "{}", terminal(&info.id))?;
    for (name, value) in &facts {
        writeln!(out, "  {name:<10} {}", terminal(value))?;
    }
    match text {
        Some(text) => {
            writeln!(out)?;
            for line in text.lines() {
                writeln!(out, "  {}", terminal(line))?;
            }
        }
        None => writeln!(out, "  (the file can no longer be read)")?,
    }
    Ok(EXIT_OK)
}

/// On stderr: no rule of `set` has `id`; the ids that contain it, if any.
fn no_such_rule(set: &RuleSet, id: &str) {
    let needle = id.to_ascii_lowercase();
    let mut near: Vec<&str> = set
        .summaries()
        .map(|r| &*r.info.id)
        .filter(|known| known.to_ascii_lowercase().contains(&needle))
        .collect();
    near.truncate(8);
    let hint = if near.is_empty() {
        "see `dropcause rules list` for the ids".to_string()
    } else {
        format!("did you mean: {}", near.join(", "))
    };
    eprintln!(
        "dropcause: no rule has the id `{}` ({} rules loaded); {}",
        terminal(id),
        set.len(),
        terminal(&hint)
    );
}

/// The facts `show` gives of a rule's extension block: step, keys, window
/// (of a cause), explanation, fix.
fn extension_facts(info: &RuleInfo, facts: &mut Vec<(&'static str, String)>) {
    if let Some(ext) = &info.extension {
        if let Some(step) = ext.step {
            facts.push(("step", format!("{step:?}").to_lowercase()));
        }
        if !ext.keys.is_empty() {
            facts.push(("keys", ext.keys.join(", ")));
        }
        if info.role() == Role::Cause {
            let secs = |d: std::time::Duration| d.as_secs();
            facts.push((
                "window",
                format!(
                    "{} s before to {} s after the drop",
                    secs(ext.window.before),
                    secs(ext.window.after)
                ),
            ));
        }
        if let Some(explain) = &ext.explain {
            facts.push(("explain", explain.clone()));
        }
        if let Some(fix) = &ext.fix {
            facts.push(("fix", fix.to_string()));
        }
    }
}

/// On stderr: how many rules failed to load or were skipped (details: `rules lint`).
fn brief_problems(report: &LoadReport) {
    let (errors, skipped) = (report.files_with_errors(), report.skipped().count());
    if errors + skipped > 0 {
        eprintln!(
            "dropcause: {errors} rule files with errors, {skipped} skipped (see `dropcause rules lint`)"
        );
    }
}

fn self_test(src: &RuleSourceArgs, out: &mut impl Write) -> anyhow::Result<u8> {
    let (set, report) = RuleSet::load_with_report(&src.sources());
    let failures = set.run_self_tests();
    for f in &failures {
        writeln!(out, "FAIL {}", terminal(&f.to_string()))?;
    }
    writeln!(
        out,
        "{} rules, {} self-tests: {} passed, {} failed",
        set.len(),
        set.self_test_count(),
        set.self_test_count() - failures.len(),
        failures.len()
    )?;
    brief_problems(&report);
    let load_errors = report.errors().count();
    Ok(if failures.is_empty() && load_errors == 0 {
        EXIT_OK
    } else {
        EXIT_RULE_PROBLEMS
    })
}
