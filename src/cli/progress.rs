//! Progress on stderr while reading (files, records per second): the
//! [`Observer`] that ingest tells how reading goes, drawn with indicatif and
//! hidden when stderr is not a terminal or output is quiet. The library has no
//! display of its own: `ingest::Observer` is its one progress interface.

use dropcause::ingest::Observer;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// A progress bar of files, with records and records per second.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    records: u64,
    /// Milliseconds since `start` of the last message update.
    shown_at: u64,
    start: Instant,
}

impl Progress {
    /// A bar for `files` files on stderr; hidden when `quiet` or when stderr is
    /// not a terminal.
    pub fn new(files: u64, quiet: bool) -> Progress {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Progress::with_target(files, target)
    }

    /// A bar drawn to `target` (tests use a hidden one).
    pub fn with_target(files: u64, target: ProgressDrawTarget) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(files), target);
        let style = ProgressStyle::with_template(
            "{spinner} reading {pos}/{len} files {wide_bar} {msg} [{elapsed}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress {
            bar,
            records: 0,
            shown_at: 0,
            start: Instant::now(),
        }
    }

    /// Files done so far.
    #[cfg(test)]
    pub fn files_read(&self) -> u64 {
        self.bar.position()
    }

    /// Records read so far.
    #[cfg(test)]
    pub fn records_read(&self) -> u64 {
        self.records
    }

    /// Reading is over: clear the display.
    pub fn finish(&self) {
        self.bar.set_message(self.message(self.records));
        self.bar.finish_and_clear();
    }

    fn message(&self, records: u64) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            records as f64 / secs
        } else {
            0.0
        };
        format!("{records} records ({rate:.0}/s)")
    }
}

impl Observer for Progress {
    fn file_done(&mut self) {
        self.bar.inc(1);
    }

    fn records(&mut self, n: u64) {
        self.records += n;
        // Update the text at most five times a second.
        let now = self.start.elapsed().as_millis() as u64;
        if now.saturating_sub(self.shown_at) >= 200 {
            self.shown_at = now;
            self.bar.set_message(self.message(self.records));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_files_and_records() {
        let mut progress = Progress::with_target(4, ProgressDrawTarget::hidden());
        for _ in 0..4 {
            progress.records(250);
            progress.records(250);
            progress.file_done();
        }
        progress.finish();
        assert_eq!(progress.files_read(), 4);
        assert_eq!(progress.records_read(), 2000);
        assert!(progress.message(2000).starts_with("2000 records ("));
    }
}
