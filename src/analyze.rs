//! The whole analysis in one call: read the logs, match the rules on the worker
//! threads (keeping only matched events), then correlate.

use crate::correlate::{self, Analysis, CorrelateOptions};
use crate::event::Event;
use crate::ingest::{
    self, ChannelSpan, HostFilter, IngestOptions, IngestReport, Note, Observer, Peek, Prefilter,
    Source, Want,
};
use crate::rules::{Judgement, Matched, RuleSet};

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
/// them ([`crate::rules::Interest::judge`]), are counted but never rendered; those only
/// plain alert rules match, when that much is certain, are read no further than their
/// header.
pub fn analyze(
    sources: &[Source],
    rules: &RuleSet,
    ingest_options: &IngestOptions,
    correlate_options: &CorrelateOptions,
    observer: &mut dyn Observer,
) -> Analyzed {
    let mut options = ingest_options.clone();
    options.prefilter = Some(prefilter(rules, options.hosts.clone()));
    let mut matched = Vec::new();
    let report = ingest::read_all_noted(
        sources,
        &options,
        |event, decided| keep(rules, event, decided),
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

/// What analysis wants of each record ([`crate::rules::Interest::judge`]): nothing when no
/// rule can match it or its computer is not among `hosts`, its header alone when only plain
/// alert rules match it for certain (noting those rules), else the whole event.
pub fn prefilter(rules: &RuleSet, hosts: HostFilter) -> Prefilter {
    let interest = rules.interest();
    Prefilter::new(move |p: &Peek| {
        if !hosts.matches(p.computer.as_str()) {
            return Want::Nothing;
        }
        match interest.judge(p) {
            Judgement::NoRule => Want::Nothing,
            Judgement::MayMatch => Want::Event,
            Judgement::AlertOnly(rules) => Want::Header(rules),
        }
    })
}

/// What analysis keeps of an event that ingest read under [`prefilter`]: the event with the
/// rules that match it (those the prefilter `decided`, for a header), or `None`. An event
/// only plain alert rules match keeps its header alone: it is counted and placed on the
/// timeline, and with thousands of them their fields would be most of the run's memory.
pub fn keep(rules: &RuleSet, event: Event, decided: Option<Note>) -> Option<Matched> {
    let mut kept = match decided {
        Some(places) => rules.matched_by(event, &places)?,
        None => rules.match_event(event)?,
    };
    if kept.alert_only() {
        kept.event.strip_data();
    } else {
        kept.event.fields.shrink_to_fit();
    }
    Some(kept)
}
