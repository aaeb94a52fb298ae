//! The command line: clap definitions, and one module per subcommand that turns
//! its arguments into library options and calls the library. Only this module
//! knows clap; only this module prints.

mod analyze;
mod events;
mod explain;
mod input_args;
mod output_args;
mod progress;
mod rules;
mod rules_lint;
mod sample;
mod shell;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code: success, and (for `analyze`) no drop found.
pub const EXIT_OK: u8 = 0;
/// Exit code of `rules`: a rule has an error, or a self-test failed.
pub const EXIT_RULE_PROBLEMS: u8 = 1;
/// Exit code: bad input or usage: nothing could be read, a path does not exist,
/// an option's value is invalid.
pub const EXIT_BAD_INPUT: u8 = 2;

/// Why did my Remote Desktop session drop? Reads Windows event logs (.evtx) and
/// finds the certificate, licensing, service, network, authentication or power
/// failures that coincide with each dropped session or refused connection.
#[derive(Debug, Parser)]
#[command(name = "dropcause", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find the dropped sessions and refused connections, and what caused them.
    #[command(after_help = analyze::EXAMPLES)]
    Analyze(analyze::AnalyzeArgs),
    /// The timeline of sessions, drops and causes, per host: every life-cycle
    /// step, drop, cause and context alert in time order (narrow it with
    /// --around and --window).
    #[command(after_help = analyze::TIMELINE_EXAMPLES)]
    Timeline(analyze::AnalyzeArgs),
    /// What will break next, per host: the RDP listener certificate and its
    /// expiry, RD licensing, failures that keep coming back.
    #[command(after_help = analyze::OUTLOOK_EXAMPLES)]
    Outlook(analyze::AnalyzeArgs),
    /// Print the normalized events of .evtx files, filtered.
    #[command(after_help = events::EXAMPLES)]
    Events(events::EventsArgs),
    /// Explain an RDP error code (decimal or 0x hex), e.g. `explain 0x904 0x7`.
    #[command(after_help = explain::EXAMPLES)]
    Explain(explain::Args),
    /// Write the .evtx logs a scenario file describes (the bundled samples).
    #[command(after_help = sample::EXAMPLES)]
    Sample(sample::SampleArgs),
    /// List, check and self-test the detection rules.
    #[command(after_help = rules::EXAMPLES)]
    Rules(rules::RulesArgs),
    /// Write shell completions (bash, zsh, fish, elvish, powershell) to stdout.
    #[command(after_help = shell::COMPLETIONS_EXAMPLES)]
    Completions(shell::CompletionsArgs),
    /// Write the man page (roff) to stdout.
    #[command(after_help = shell::MAN_EXAMPLES)]
    Man,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Analyze(args) => analyze::run(args, dropcause::report::Part::Whole),
        Command::Timeline(args) => analyze::run(args, dropcause::report::Part::Timeline),
        Command::Outlook(args) => analyze::run(args, dropcause::report::Part::Outlook),
        Command::Events(args) => events::run(args),
        Command::Explain(args) => explain::command(&args),
        Command::Sample(args) => sample::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Completions(args) => shell::completions(&args),
        Command::Man => shell::man(),
    }
}
