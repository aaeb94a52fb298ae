//! The whole analysis in one call: read the logs, match the rules on the worker
//! threads (keeping only matched events), then correlate.

use crate::correlate::{self, Analysis, CorrelateOptions};
use crate::ingest::{
    self, ChannelSpan, IngestOptions, IngestReport, Observer, Peek, Prefilter, Source,
};
use crate::rules::RuleSet;
use std::sync::Arc;

/// What [`analyze`] produced.
#[derive(Debug)]
pub struct Analyzed {
    /// Sessions, drops, causes, verdicts, summaries, timeline.
    pub analysis: Analysis,
    /// What was read from each file, and what could not be.
    pub ingest: IngestReport,
}

/// Reads `sources`, keeps the events `rules` match and correlates them. Records
/// that no rule can match, judged from the fields that can be read without rendering
/// them ([`crate::rules::Interest::may_match`]), are counted but never rendered.
pub fn analyze(
    sources: &[Source],
    rules: &RuleSet,
    ingest_options: &IngestOptions,
    correlate_options: &CorrelateOptions,
    observer: &mut dyn Observer,
) -> Analyzed {
    let interest = rules.interest();
    let mut options = ingest_options.clone();
    let hosts = options.hosts.clone();
    options.prefilter = Some(Prefilter(Arc::new(move |p: &Peek| {
        (hosts.is_empty() || hosts.matches(p.computer.as_str())) && interest.may_match(p)
    })));
    let mut matched = Vec::new();
    let report = ingest::read_all_observed(
        sources,
        &options,
        |event| {
            let mut kept = rules.match_event(event)?;
            if kept.alert_only() {
                // An alert is counted and placed on the timeline by its header alone:
                // with thousands of them, their fields would be most of the run's memory.
                kept.event.strip_data();
            } else {
                kept.event.fields.shrink_to_fit();
            }
            Some(kept)
        },
        |batch| matched.extend(batch),
        observer,
    );
    // Coverage: the selected hosts only, and a file that copies another once.
    let spans: Vec<ChannelSpan> = report
        .files
        .iter()
        .filter(|f| f.duplicate_of.is_none())
        .flat_map(|f| f.spans.iter())
        .filter(|s| ingest_options.hosts.matches(&s.computer))
        .cloned()
        .collect();
    Analyzed {
        analysis: correlate::correlate(matched, &spans, correlate_options),
        ingest: report,
    }
}
