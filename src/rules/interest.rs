//! [`Interest`]: which records any rule can match, judged from what ingest can tell of a
//! record before rendering it, and when the answer is certain, which rules.

use super::field::Sketched;
use super::gate::{Asked, Gates};
use super::index::Index;
use super::rule::CompiledRule;
use crate::event::{EventSketch, HeaderField};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// Which events any rule can match at all, so that ingest can skip rendering the rest.
/// Cheap to clone and to share between threads.
#[derive(Debug, Clone)]
pub struct Interest {
    index: Arc<Index>,
    rules: Arc<[CompiledRule]>,
    /// Per rule: no sketch can decide it ([`CompiledRule::blind_to_sketches`]).
    blind: Arc<[bool]>,
    /// Some rule is blind: only then are the candidates looked over for one first.
    any_blind: bool,
    /// Fields that rule out many rules at once.
    gates: Arc<Gates>,
    /// How judging has gone, per event id.
    record: Arc<Record>,
}

/// Per event id: how many records were judged, and how many of them may match (alerts
/// decided from the sketch are not counted: judging them spared their rendering).
struct Record {
    judged: Box<[AtomicU32]>,
    taken: Box<[AtomicU32]>,
}

/// Judging an event id stops paying once this many of its records were judged...
pub(super) const JUDGED_ENOUGH: u32 = 256;
/// ...and at least this many tenths of them may match: they are rendered anyway, and the
/// rules would be evaluated twice.
const MOSTLY_TAKEN_TENTHS: u32 = 9;
/// After this many records of an event id the counts stand still, and so does the choice:
/// every worker thread adding to the same two counters for every record cost a tenth of
/// a large run's time, the cache line going back and forth between the cores.
const JUDGED_MOST: u32 = 4096;

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Record { .. }")
    }
}

impl Record {
    fn new() -> Self {
        let counters = || (0..=u16::MAX).map(|_| AtomicU32::new(0)).collect();
        Record {
            judged: counters(),
            taken: counters(),
        }
    }

    /// True when records of `id` are mostly taken: judging them is not worth it.
    fn not_worth_it(&self, id: u16) -> bool {
        let judged = self.judged[usize::from(id)].load(Ordering::Relaxed);
        let taken = self.taken[usize::from(id)].load(Ordering::Relaxed);
        judged >= JUDGED_ENOUGH && taken * 10 >= judged * MOSTLY_TAKEN_TENTHS
    }

    fn note(&self, id: u16, taken: bool) {
        let judged = &self.judged[usize::from(id)];
        if judged.load(Ordering::Relaxed) < JUDGED_MOST {
            judged.fetch_add(1, Ordering::Relaxed);
            self.taken[usize::from(id)].fetch_add(u32::from(taken), Ordering::Relaxed);
        }
    }
}

impl Interest {
    pub(crate) fn new(index: Arc<Index>, rules: Arc<[CompiledRule]>) -> Self {
        let blind: Arc<[bool]> = rules.iter().map(CompiledRule::blind_to_sketches).collect();
        let gates = Arc::new(Gates::build(&rules));
        Interest {
            index,
            rules,
            any_blind: blind.contains(&true),
            blind,
            gates,
            record: Arc::new(Record::new()),
        }
    }

    /// What can be told of the event from what `sketch` knows: its channel and event id choose
    /// the candidate rules (as matching does), those whose condition requires another provider
    /// drop out, and each remaining candidate's logsource and condition are evaluated on the
    /// fields the sketch knows, in three-valued logic (each behind its gate first: a data
    /// field many rules test by equality, read once per record, whose value alone may rule
    /// them out).
    ///
    /// - A rule that needs a field the sketch cannot tell may match: [`Judgement::MayMatch`],
    ///   and the rules are matched again on the whole event. A record with a candidate no
    ///   sketch can decide (a field reference, say) is taken so at once.
    /// - When every candidate is decided and those that hold are all plain alert rules (no
    ///   `dropcause:` block), the answer is [`Judgement::AlertOnly`] with those rules: the
    ///   whole event would be matched to the same rules and then stripped to its header. Only
    ///   when the sketch is sure nothing of the event would be cut to its bounds
    ///   ([`EventSketch::within_bounds`]): a value cut short can lose a match.
    /// - Once most records of an event id turn out to be [`Judgement::MayMatch`] (9 in 10,
    ///   after 256), the rest of that id are taken so without judging: they would be rendered
    ///   anyway, and judging them first only evaluates the rules twice.
    pub fn judge(&self, sketch: &dyn EventSketch) -> Judgement {
        let Some(channel) = sketch.header(HeaderField::Channel) else {
            return Judgement::MayMatch;
        };
        let (Some(provider), Some(source)) = (
            sketch.header(HeaderField::Provider),
            sketch.header(HeaderField::EventSource),
        ) else {
            return Judgement::MayMatch;
        };
        let event_id = sketch.event_id();
        let buckets = self.index.channel(&channel);
        let candidates = || {
            self.index
                .each_candidate(buckets, event_id)
                .filter(|r| self.index.takes_provider(*r, &provider, &source))
        };
        // A candidate no sketch can decide: render at once, without judging the others.
        if self.any_blind && candidates().any(|r| self.blind[r as usize]) {
            return Judgement::MayMatch;
        }
        let mut candidates = candidates().peekable();
        if candidates.peek().is_none() {
            return Judgement::NoRule;
        }
        if self.record.not_worth_it(event_id) {
            return Judgement::MayMatch;
        }
        let src = Sketched(sketch);
        let mut asked = Asked::default();
        let mut alerts = Vec::new();
        let mut judgement = Judgement::NoRule;
        for r in candidates {
            if self.gates.rules_out(r, event_id, &src, &mut asked) {
                continue;
            }
            let rule = &self.rules[r as usize];
            match rule.truth(&src) {
                Some(false) => {}
                Some(true) if rule.info.extension.is_none() => alerts.push(r),
                _ => {
                    judgement = Judgement::MayMatch;
                    break;
                }
            }
        }
        // Decided on the record as written; the kept event is bounded (`Event::bound`), and a
        // value cut short could lose a match: then the event is read whole and matched again.
        if judgement == Judgement::NoRule && !alerts.is_empty() && !sketch.within_bounds() {
            judgement = Judgement::MayMatch;
        }
        if judgement == Judgement::NoRule && !alerts.is_empty() {
            // In rule-set order, once each, as matching gives them.
            alerts.sort_unstable();
            alerts.dedup();
            judgement = Judgement::AlertOnly(alerts.into());
        }
        self.record.note(event_id, judgement == Judgement::MayMatch);
        judgement
    }

    /// False only when no rule can match the event ([`Interest::judge`] says
    /// [`Judgement::NoRule`]).
    pub fn may_match(&self, sketch: &dyn EventSketch) -> bool {
        self.judge(sketch) != Judgement::NoRule
    }
}

/// What [`Interest::judge`] tells of a record from its sketch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// No rule can match it.
    NoRule,
    /// Some rule may match it: the rules are matched on the whole event.
    MayMatch,
    /// Every candidate rule is decided, and the ones that match it (by their places in the
    /// rule set, ascending) are all plain alert rules: the event is an alert, and its header
    /// is all anyone reads of it ([`super::RuleSet::matched_by`]).
    AlertOnly(Box<[u32]>),
}
