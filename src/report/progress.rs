//! Progress on stderr while reading (files, records per second), decoupled from
//! ingest: the loop ticks a [`ProgressSink`]; [`Progress`] draws with indicatif,
//! and is hidden when stderr is not a terminal or output is quiet.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What the ingest loop ticks. Shared across worker threads.
pub trait ProgressSink: Sync {
    /// One more file done.
    fn inc_file(&self);
    /// `n` more records read.
    fn inc_records(&self, n: u64);
    /// Reading is over: clear the display.
    fn finish(&self);
}

/// A sink that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn inc_file(&self) {}
    fn inc_records(&self, _: u64) {}
    fn finish(&self) {}
}

/// A progress bar of files, with records and records per second.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    records: AtomicU64,
    /// Milliseconds since `start` of the last message update.
    shown_at: AtomicU64,
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
            records: AtomicU64::new(0),
            shown_at: AtomicU64::new(0),
            start: Instant::now(),
        }
    }

    /// Files done so far.
    pub fn files(&self) -> u64 {
        self.bar.position()
    }

    /// Records read so far.
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
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

impl ProgressSink for Progress {
    fn inc_file(&self) {
        self.bar.inc(1);
    }

    fn inc_records(&self, n: u64) {
        let total = self.records.fetch_add(n, Ordering::Relaxed) + n;
        // Update the text at most five times a second.
        let now = self.start.elapsed().as_millis() as u64;
        let last = self.shown_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= 200
            && self
                .shown_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.bar.set_message(self.message(total));
        }
    }

    fn finish(&self) {
        self.bar.set_message(self.message(self.records()));
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_files_and_records_across_threads() {
        let progress = Progress::with_target(4, ProgressDrawTarget::hidden());
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    progress.inc_records(250);
                    progress.inc_records(250);
                    progress.inc_file();
                });
            }
        });
        progress.finish();
        assert_eq!(progress.files(), 4);
        assert_eq!(progress.records(), 2000);
        assert!(progress.message(2000).starts_with("2000 records ("));
    }
}
