//! Arguments shared by every command that reads logs.

use anyhow::Context;
use clap::Args;
use dropcause::ingest::{Discovery, HostFilter, IngestOptions, IngestReport, discover, windows};
use std::path::PathBuf;

/// Where the logs are and how to read them.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Logs, archives and folders (searched recursively): .evtx files, XML
    /// exports (wevtutil qe /f:xml, Event Viewer "Save as XML"), JSON exports
    /// (evtx_dump -o jsonl/json, Chainsaw --json) and .zip archives of them,
    /// all recognised by their content.
    #[arg(value_name = "PATH", required_unless_present_any = ["windows_root", "live"])]
    pub paths: Vec<PathBuf>,
    /// Also read the relevant logs of the Windows installation whose system
    /// drive is mounted or copied at DIR (DIR/Windows/System32/winevt/Logs,
    /// found ignoring case).
    #[arg(long, value_name = "DIR")]
    pub windows_root: Vec<PathBuf>,
    /// Also read the relevant logs of this running Windows
    /// (%SystemRoot%\System32\winevt\Logs; Windows only).
    #[arg(long)]
    pub live: bool,
    /// Only events of this computer (repeat or comma-separate for several; a
    /// short name also matches its fully qualified name).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub host: Vec<String>,
    /// In folders, look at every file, not only *.evtx, *.xml, *.json,
    /// *.jsonl, *.ndjson and *.zip (logs are recognised by their content).
    #[arg(long)]
    pub all_files: bool,
    /// Worker threads for reading, rule loading, correlation and report writing
    /// (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Also carve records from chunk slack and cleared chunks.
    #[arg(long)]
    pub recover: bool,
    /// Read byte copies of files given earlier and keep records an earlier file
    /// already held (by default they are counted once).
    #[arg(long)]
    pub keep_duplicates: bool,
    /// The largest zip entry read into memory, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub max_entry_mib: u64,
    /// Render every record through the evtx crate, as evtx_dump does, instead
    /// of building the events it can straight from their template values
    /// (slower; both give the same events).
    #[arg(long)]
    pub render_all: bool,
}

impl InputArgs {
    /// The ingest options these arguments ask for.
    pub fn options(&self) -> IngestOptions {
        IngestOptions {
            threads: self.threads,
            all_files: self.all_files,
            recover_records: self.recover,
            skip_truncated_chunk: false,
            keep_duplicates: self.keep_duplicates,
            prefilter: None,
            hosts: HostFilter(self.host.clone()),
            max_entry_size: self.max_entry_mib.saturating_mul(1 << 20),
            render_all: self.render_all,
        }
    }

    /// Holds the threads of rule loading, correlation and report writing (rayon's pool)
    /// to `--threads` too; reading takes its own from [`InputArgs::options`].
    pub fn limit_threads(&self) {
        if self.threads > 0 {
            // Only the first call of a run sets the pool; there is no other.
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(self.threads)
                .build_global();
        }
    }

    /// Finds the logs, printing one line per path that could not be used.
    /// Fails when a `--windows-root` has no logs folder, or `--live` is asked
    /// for off Windows.
    pub fn discover(&self) -> anyhow::Result<Discovery> {
        let mut paths = self.paths.clone();
        for root in &self.windows_root {
            // The error names the folder itself.
            let logs = windows::logs_under_root(root).context("--windows-root")?;
            eprintln!(
                "dropcause: {} relevant logs under {}",
                logs.len(),
                root.display()
            );
            paths.extend(logs);
        }
        if self.live {
            paths.extend(windows::live_logs()?);
        }
        let found = discover(&paths, self.all_files);
        for problem in &found.diagnostics.problems {
            eprintln!(
                "dropcause: {}",
                dropcause::report::escape::terminal_message(&problem.to_string())
            );
        }
        Ok(found)
    }
}

/// Prints every problem of reading, then one summary line, on stderr, and
/// says whether the input was bad: a path given was unusable or no file could
/// be read at all (exit code 2).
pub fn report_reading(report: &IngestReport, found: &Discovery) -> bool {
    let skipped = found.skipped();
    for problem in &report.diagnostics.problems {
        eprintln!(
            "dropcause: {}",
            dropcause::report::escape::terminal_message(&problem.to_string())
        );
    }
    let files_read = report.files.iter().filter(|f| f.failed.is_none()).count();
    let failed = report.files.len() - files_read;
    let records: u64 = report.files.iter().map(|f| f.records_read).sum();
    let unreadable: u64 = report.files.iter().map(|f| f.records_unreadable).sum();
    let chunks: u64 = report.files.iter().map(|f| f.chunks_skipped).sum();
    let mut line = format!(
        "dropcause: {files_read} files read, {records} records read, {unreadable} records unreadable"
    );
    let lost: u64 = report.files.iter().map(|f| f.records_lost).sum();
    if lost > 0 {
        line.push_str(&format!(", {lost} records lost"));
    }
    if chunks > 0 {
        line.push_str(&format!(", {chunks} chunks unreadable"));
    }
    let bad_crc: u64 = report.files.iter().map(|f| f.chunks_bad_checksum).sum();
    if bad_crc > 0 {
        line.push_str(&format!(
            ", {bad_crc} chunks with a bad CRC32 (read anyway)"
        ));
    }
    let cut: u64 = report.files.iter().map(|f| f.values_cut).sum();
    if cut > 0 {
        line.push_str(&format!(", {cut} values cut to dropcause's size limits"));
    }
    let duplicates: u64 = report.files.iter().map(|f| f.duplicate_records).sum();
    if duplicates > 0 {
        let copies = report
            .files
            .iter()
            .filter(|f| f.duplicate_of.is_some())
            .count();
        line.push_str(&format!(
            ", {duplicates} duplicate records dropped ({copies} files copy another)"
        ));
    }
    line.push_str(&format!(", {} files skipped", skipped + failed));
    if skipped + failed > 0 {
        line.push_str(" (see the messages above)");
    }
    eprintln!("{line}");
    skipped > 0 || report.files.iter().all(|f| f.failed.is_some())
}
