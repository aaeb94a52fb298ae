//! Stage 4: matched events in; sessions, drops, ranked causes and verdicts out.
//!
//! [`correlate`] sorts the matched events once by (host, time), rebuilds the
//! connections and sessions of each host (`session`), tells refused connection
//! attempts from bare accepts and joins client-side connections to the
//! server's (`attempt`), decides how each ended
//! and which endings are drops (`drop`), looks for cause events inside each
//! cause rule's window around every drop (`window`), ranks them and draws a
//! verdict (`rank`), names the logs that were missing (`coverage`), groups the
//! findings into incidents (`incident`) and sums it all up per host, user,
//! client and cause, with a timeline (`summary`) and one line per context alert
//! rule (`alerts`). Computer names of one
//! machine are one host (`hosts`).

mod alerts;
mod assemble;
mod attempt;
mod catalog;
mod connection;
mod coverage;
mod drop;
mod hosts;
mod incident;
mod input;
mod intern;
pub mod model;
mod outlook;
mod rank;
mod security_session;
mod session;
mod summary;
#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_endings;
#[cfg(test)]
mod tests_refused;
mod unanswered;
mod window;

pub use catalog::{RuleDisagreement, catalog_entry, check_rules};
pub use coverage::absent_logs;
pub use incident::{DROP_GAP, LOGON_AFTER, REFUSAL_GAP, group as group_incidents, thousands};
pub use model::Analysis;
pub use rank::fill;

use crate::ingest::ChannelSpan;
use crate::rules::{Level, Matched};
use model::{Finding, HostCoverage, Session};
use std::time::Duration;

/// How to correlate.
#[derive(Debug, Clone)]
pub struct CorrelateOptions {
    /// How many causes to keep per drop (best first).
    pub max_causes: usize,
    /// How close to a disconnect without a reason a user action (logoff, a
    /// session disconnecting itself, the client closing) must be to explain it.
    pub user_action_window: Duration,
    /// Context alerts below this level are left out of the alert summary and the
    /// timeline (the rules still run: correlation reads some of them).
    pub min_alert_level: Option<Level>,
}

impl Default for CorrelateOptions {
    fn default() -> Self {
        CorrelateOptions {
            max_causes: 5,
            user_action_window: Duration::from_secs(5),
            min_alert_level: None,
        }
    }
}

/// Rebuilds sessions from the matched events, finds the drops, their causes and
/// verdicts, and summarizes them. `coverage` tells which logs were given for
/// which host (used to name the logs a verdict could not check).
pub fn correlate(
    matched: Vec<Matched>,
    coverage: &[ChannelSpan],
    options: &CorrelateOptions,
) -> Analysis {
    let hosts = hosts::Hosts::new(&matched, coverage);
    let spans = &hosts.spans(coverage);
    let input = input::Input::new(matched, &hosts);
    let coverage = coverage::hosts(spans);
    // The working state of sessions and drops is freed here, before the timeline and the
    // other views are built: in a burst of refusals it held a seventh of the peak.
    let (sessions, mut findings) = sessions_and_findings(&input, spans, &coverage, options);
    // The views only read the sessions and findings: they are built side by side.
    let level = options.min_alert_level;
    let (incidents, (timeline, (summaries, (outlook, alerts)))) = rayon::join(
        || incident::incidents_of(&sessions, &findings),
        || {
            rayon::join(
                || summary::timeline(&input, &sessions, &findings, level),
                || {
                    rayon::join(
                        || summary::summaries(&sessions, &findings),
                        || {
                            rayon::join(
                                || outlook::outlook(&input, &coverage),
                                || alerts::alerts(&input, level),
                            )
                        },
                    )
                },
            )
        },
    );
    incident::number(&incidents, &mut findings);
    Analysis {
        outlook,
        alerts,
        summaries,
        timeline,
        sessions,
        findings,
        coverage,
        hosts: hosts.hosts,
        incidents,
    }
}

/// Rebuilds the sessions of `input` and finds their drops, with the causes of each.
fn sessions_and_findings(
    input: &input::Input,
    spans: &[ChannelSpan],
    coverage: &[HostCoverage],
    options: &CorrelateOptions,
) -> (Vec<Session>, Vec<Finding>) {
    let index = window::CauseIndex::new(input);
    let mut built = session::build(input);
    security_session::add(input, &mut built);
    attempt::refine(input, &mut built, spans);
    let user_window =
        chrono::TimeDelta::from_std(options.user_action_window).unwrap_or(chrono::TimeDelta::MAX);
    let (outcomes, found) = drop::classify(input, &built, &index, user_window);
    let (sessions, seg_index) = assemble::sessions(input, &built, &outcomes);
    let findings = assemble::findings(
        input,
        &built,
        &index,
        &found,
        &seg_index,
        coverage,
        options.max_causes,
    );
    (sessions, findings)
}
