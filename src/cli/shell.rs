//! `dropcause completions SHELL` and `dropcause man`: shell completions
//! (clap_complete) and a man page (clap_mangen), generated from the same clap
//! definitions as the command line itself, so they cannot drift from it.

use super::{Cli, EXIT_OK};
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::io::Write;
use std::process::ExitCode;

pub const COMPLETIONS_EXAMPLES: &str = "Examples:
  dropcause completions bash > /etc/bash_completion.d/dropcause
  dropcause completions zsh > \"${fpath[1]}/_dropcause\"
  dropcause completions fish > ~/.config/fish/completions/dropcause.fish
  dropcause completions powershell >> $PROFILE";

pub const MAN_EXAMPLES: &str = "Examples:
  dropcause man > /usr/local/share/man/man1/dropcause.1
  dropcause man | man -l -";

/// Arguments of `dropcause completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Writes the completion script for the shell to stdout.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "dropcause", &mut out);
    out.flush()?;
    Ok(ExitCode::from(EXIT_OK))
}

/// Writes the man page (roff) to stdout.
pub fn man() -> anyhow::Result<ExitCode> {
    let page = clap_mangen::Man::new(Cli::command());
    let mut out = std::io::stdout().lock();
    page.render(&mut out)?;
    out.flush()?;
    Ok(ExitCode::from(EXIT_OK))
}
