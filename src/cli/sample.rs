//! `dropcause sample`: writes the EVTX logs a scenario describes.

use super::EXIT_OK;
use anyhow::{Context, bail};
use clap::Args;
use dropcause::writer::{self, Scenario};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

pub const EXAMPLES: &str = "Examples:
  dropcause sample samples/scenarios/network-drop.yaml -o /tmp/network-drop
  dropcause sample samples/scenarios -o samples              (one folder per scenario)
  dropcause sample samples/scenarios/reboot.yaml --scale 5000 -o /tmp/big";

/// Arguments of `dropcause sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Scenario files (.yaml) or folders of them.
    #[arg(required = true, value_name = "SCENARIO")]
    scenarios: Vec<PathBuf>,
    /// Output folder. With several scenarios, each is written to its own
    /// subfolder named after the scenario.
    #[arg(long, short = 'o', value_name = "DIR")]
    output: PathBuf,
    /// Make the background noise N times as dense (for large logs).
    #[arg(long, value_name = "N", default_value_t = 1)]
    scale: u32,
}

pub fn run(args: SampleArgs) -> anyhow::Result<ExitCode> {
    let files = scenario_files(&args.scenarios)?;
    let nested = files.len() > 1 || args.scenarios.iter().any(|p| p.is_dir());
    for file in &files {
        let scenario = Scenario::load(file)?;
        let dir = if nested {
            args.output.join(&scenario.name)
        } else {
            args.output.clone()
        };
        let started = Instant::now();
        let written = writer::generate(&scenario, &dir, args.scale)
            .with_context(|| format!("writing scenario {}", file.display()))?;
        let bytes: u64 = written
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "{}: {} files, {:.1} MB in {secs:.2} s ({:.0} MB/s) -> {}",
            scenario.name,
            written.len(),
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / secs.max(1e-9),
            dir.display()
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// The scenario files named, folders expanded to their `*.yaml`/`*.yml`, sorted.
fn scenario_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .with_context(|| format!("reading folder {}", path.display()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| is_yaml(p))
                .collect();
            found.sort();
            if found.is_empty() {
                bail!("{}: no .yaml scenario in this folder", path.display());
            }
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            bail!("{}: no such file or folder", path.display());
        }
    }
    Ok(files)
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}
