//! The command line: clap definitions, and one module per subcommand that turns
//! its arguments into library options and calls the library. Only this module
//! knows clap; only this module prints.

mod events;
mod explain;
mod input_args;
// The output flags of `analyze` and `timeline`, flattened into them when they land.
#[cfg_attr(not(test), allow(dead_code))]
mod output_args;
mod sample;
mod rules;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code: success, and (for `analyze`) no drop found.
pub const EXIT_OK: u8 = 0;
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
    /// Print the normalized events of .evtx files, filtered.
    #[command(after_help = events::EXAMPLES)]
    Events(events::EventsArgs),
    /// Explain an RDP error code (decimal or 0x hex), e.g. `explain 0x904 0x7`.
    Explain(explain::Args),
    /// Write the .evtx logs a scenario file describes (the bundled samples).
    #[command(after_help = sample::EXAMPLES)]
    Sample(sample::SampleArgs),
    /// List, check and self-test the detection rules.
    #[command(after_help = rules::EXAMPLES)]
    Rules(rules::RulesArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Events(args) => events::run(args),
        Command::Explain(args) => explain::command(&args),
        Command::Sample(args) => sample::run(args),
        Command::Rules(args) => rules::run(args),
    }
}
