//! [`RuleSet`]: every loaded rule, indexed by (channel, event id), immutable after load.

use super::error::{Located, RuleError, RuleProblem};
use super::extension::{AlertFilter, RuleInfo};
use super::index::Index;
use super::interest::Interest;
use super::matched::Matched;
use super::pins;
use super::rule::{self, CompiledRule};
use super::source::{self, RuleSource};
use crate::diag::Diagnostics;
use crate::event::Event;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What loading found: how many rules loaded, and every problem (errors and skips).
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Rule files read.
    pub files: usize,
    /// Rules loaded.
    pub loaded: usize,
    /// Plain Sigma rules that loaded but that the [`AlertFilter`] left out.
    pub filtered: usize,
    /// Problems, in file order: errors (the rule is not loaded) and skips
    /// ([`RuleError::Unsupported`]: valid Sigma this engine does not run).
    pub problems: Vec<RuleProblem>,
}

impl LoadReport {
    /// The problems that kept a rule from loading (not deliberate skips, not
    /// [`RuleError::Untested`]).
    pub fn errors(&self) -> impl Iterator<Item = &RuleProblem> {
        self.problems
            .iter()
            .filter(|p| !p.error.is_skip() && !p.error.is_lint_only())
    }

    /// The rules with a `dropcause:` block that lack a `match` or a `no_match`
    /// self-test ([`RuleError::Untested`]); they load all the same.
    pub fn untested(&self) -> impl Iterator<Item = &RuleProblem> {
        self.problems.iter().filter(|p| p.error.is_lint_only())
    }

    /// How many distinct files have an error (the rule did not load).
    pub fn files_with_errors(&self) -> usize {
        let mut files: Vec<&PathBuf> = self.errors().map(|p| &p.path).collect();
        files.dedup();
        files.len()
    }

    /// The rules skipped on purpose, with why.
    pub fn skipped(&self) -> impl Iterator<Item = &RuleProblem> {
        self.problems.iter().filter(|p| p.error.is_skip())
    }

    /// As diagnostics: errors as `BadRule`, skips as `Note`, each with line and column
    /// (the lint-only problems are left to `rules lint`).
    pub fn diagnostics(&self) -> Diagnostics {
        let mut d = Diagnostics::default();
        self.problems
            .iter()
            .filter(|p| !p.error.is_lint_only())
            .for_each(|p| d.push(p.to_problem()));
        d
    }
}

/// A self-test whose event the rule matched when it should not, or missed.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfTestFailure {
    /// The rule's id.
    pub rule_id: String,
    /// The rule file.
    pub path: PathBuf,
    /// Line and column of the test event.
    pub line_col: Option<(usize, usize)>,
    /// True when the test expected a match.
    pub expected_match: bool,
}

impl std::fmt::Display for SelfTestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((l, c)) = self.line_col {
            write!(f, ":{l}:{c}")?;
        }
        let what = if self.expected_match {
            "should match but does not"
        } else {
            "should not match but does"
        };
        write!(f, ": rule `{}`: test event {what}", self.rule_id)
    }
}

/// One rule as listings show it.
#[derive(Debug, Clone)]
pub struct RuleSummary<'a> {
    /// The rule's metadata.
    pub info: &'a Arc<RuleInfo>,
    /// The logsource as written (`service: system`).
    pub logsource: &'a str,
    /// The channels it applies to (empty: any).
    pub channels: &'a [&'static str],
    /// Its self-tests that expect a match.
    pub match_tests: usize,
    /// Its self-tests that expect no match.
    pub no_match_tests: usize,
}

/// One rule with the events it can match at all (see [`RuleSet::pinned`]).
#[derive(Debug, Clone)]
pub struct RulePins<'a> {
    /// The rule's metadata.
    pub info: &'a Arc<RuleInfo>,
    /// The event ids it can match; `None`: any.
    pub event_ids: Option<Vec<u16>>,
    /// The channels it can match, lower-cased; `None`: any.
    pub channels: Option<Vec<String>>,
}

/// The loaded rules. Build with [`RuleSet::load`]; immutable afterwards.
#[derive(Debug)]
pub struct RuleSet {
    rules: Arc<[CompiledRule]>,
    index: Arc<Index>,
}

impl RuleSet {
    /// Loads rules from `sources` in order. Malformed rules are reported and
    /// skipped; all others load. Returns the rules and the problems as diagnostics.
    pub fn load(sources: &[RuleSource]) -> (RuleSet, Diagnostics) {
        let (set, report) = RuleSet::load_with_report(sources);
        (set, report.diagnostics())
    }

    /// Like [`RuleSet::load`], with the typed problems and counts.
    pub fn load_with_report(sources: &[RuleSource]) -> (RuleSet, LoadReport) {
        RuleSet::load_filtered(sources, &AlertFilter::default())
    }

    /// Like [`RuleSet::load_with_report`], leaving out the plain Sigma rules that
    /// `filter` does not keep (counted in [`LoadReport::filtered`]).
    pub fn load_filtered(sources: &[RuleSource], filter: &AlertFilter) -> (RuleSet, LoadReport) {
        let files: Vec<_> = sources.iter().flat_map(source::files).collect();
        let count = files.len();
        let compiled: Vec<(Option<CompiledRule>, Vec<RuleProblem>)> = files
            .into_par_iter()
            .map(|(path, found)| match found.text(&path) {
                Ok(text) => {
                    let outcome = rule::compile(&path, &text);
                    let problems = outcome.problems.into_iter();
                    let problems = problems.map(|e| RuleProblem::new(&path, e)).collect();
                    (outcome.rule, problems)
                }
                Err(p) => (None, vec![*p]),
            })
            .collect();
        let mut report = LoadReport {
            files: count,
            ..LoadReport::default()
        };
        let mut rules = Vec::new();
        let mut seen: HashMap<Arc<str>, PathBuf> = HashMap::new();
        for (rule, problems) in compiled {
            report.problems.extend(problems);
            let Some(r) = rule else { continue };
            if !filter.keeps(&r.info) {
                report.filtered += 1;
                continue;
            }
            match seen.get(&*r.info.id) {
                Some(first) => {
                    let error = RuleError::DuplicateId {
                        id: r.info.id.to_string(),
                        first: first.display().to_string(),
                    };
                    report
                        .problems
                        .push(RuleProblem::new(&r.info.path, Located::at(r.id_loc, error)));
                }
                None => {
                    seen.insert(r.info.id.clone(), r.info.path.clone());
                    rules.push(r);
                }
            }
        }
        report.loaded = rules.len();
        let pins: Vec<_> = rules.iter().map(pins::of).collect();
        let index = Arc::new(Index::build(&pins));
        let rules = rules.into();
        (RuleSet { rules, index }, report)
    }

    /// The built-in rules only.
    pub fn built_in() -> (RuleSet, Diagnostics) {
        RuleSet::load(&[RuleSource::BuiltIn])
    }

    /// How many rules are loaded.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Every rule's metadata, in rule-set order.
    pub fn infos(&self) -> impl Iterator<Item = &Arc<RuleInfo>> {
        self.rules.iter().map(|r| &r.info)
    }

    /// Every rule with the event ids and channels (lower-cased) its logsource
    /// and condition force; `None` means any. For checking rules against what
    /// later stages know of those events.
    pub fn pinned(&self) -> impl Iterator<Item = RulePins<'_>> {
        self.rules.iter().map(|r| {
            let p = pins::of(r);
            RulePins {
                info: &r.info,
                event_ids: p.event_ids.map(|s| s.into_iter().collect()),
                channels: p.channels.map(|s| s.into_iter().collect()),
            }
        })
    }

    /// Every rule with its logsource, for listings.
    pub fn summaries(&self) -> impl Iterator<Item = RuleSummary<'_>> {
        self.rules.iter().map(|r| {
            let matching = r.tests.iter().filter(|t| t.expect_match).count();
            RuleSummary {
                info: &r.info,
                logsource: &r.logsource,
                channels: &r.scope.channels,
                match_tests: matching,
                no_match_tests: r.tests.len() - matching,
            }
        })
    }

    /// The rules that match `event`, in rule-set order (only the indexed candidates are tried).
    pub fn matches<'a>(&'a self, event: &'a Event) -> impl Iterator<Item = &'a Arc<RuleInfo>> + 'a {
        let mut candidates = Vec::new();
        self.index
            .candidates(&event.channel, event.event_id, &mut candidates);
        candidates.into_iter().filter_map(move |i| {
            let rule = &self.rules[i as usize];
            rule.matches(event).then_some(&rule.info)
        })
    }

    /// The rules that match `event`, trying every rule (no index): for measuring
    /// the index and checking it agrees.
    pub fn matches_unindexed<'a>(
        &'a self,
        event: &'a Event,
    ) -> impl Iterator<Item = &'a Arc<RuleInfo>> + 'a {
        self.rules
            .iter()
            .filter(move |r| r.matches(event))
            .map(|r| &r.info)
    }

    /// The event with the rules it matches, or `None` when no rule matches.
    pub fn match_event(&self, event: Event) -> Option<Matched> {
        let rules: Vec<_> = self.matches(&event).cloned().collect();
        (!rules.is_empty()).then_some(Matched { event, rules })
    }

    /// The event with the rules at `places` (their places in the rule set, as
    /// [`super::Judgement::AlertOnly`] gives them), already decided without the whole event;
    /// `None` when there are none.
    pub fn matched_by(&self, event: Event, places: &[u32]) -> Option<Matched> {
        let rules: Vec<_> = places
            .iter()
            .filter_map(|&i| self.rules.get(i as usize))
            .map(|r| Arc::clone(&r.info))
            .collect();
        (!rules.is_empty()).then_some(Matched { event, rules })
    }

    /// Which events any rule can match, as a predicate on what is known of a record before
    /// it is rendered.
    pub fn interest(&self) -> Interest {
        Interest::new(self.index.clone(), self.rules.clone())
    }

    /// How many self-tests the rules carry.
    pub fn self_test_count(&self) -> usize {
        self.rules.iter().map(|r| r.tests.len()).sum()
    }

    /// Runs every rule's self-tests (through the index, as real matching does);
    /// returns the failures.
    pub fn run_self_tests(&self) -> Vec<SelfTestFailure> {
        let mut failures = Vec::new();
        for rule in self.rules.iter() {
            for t in &rule.tests {
                let matched = self.matches(&t.event).any(|i| Arc::ptr_eq(i, &rule.info));
                if matched != t.expect_match {
                    failures.push(SelfTestFailure {
                        rule_id: rule.info.id.to_string(),
                        path: rule.info.path.clone(),
                        line_col: t.loc,
                        expected_match: t.expect_match,
                    });
                }
            }
        }
        failures
    }
}

/// [`Interest`] as ingest meets it: built from loaded rules.
#[cfg(test)]
mod interest_tests {
    use super::super::interest::{JUDGED_ENOUGH, Judgement};
    use super::{RuleSet, RuleSource};
    use crate::event::FieldValue;
    use crate::event::{EventSketch, HeaderField};
    use std::borrow::Cow;
    use std::collections::HashMap;

    /// A record known in part: its header, and some data fields (`None`: cannot tell).
    struct Sketch {
        event_id: u16,
        channel: &'static str,
        provider: &'static str,
        data: HashMap<&'static str, Option<FieldValue>>,
        /// Whether names not in `data` are known to be absent.
        complete: bool,
        /// Whether nothing of the event would be cut to its bounds.
        bounded: bool,
    }

    impl EventSketch for Sketch {
        fn event_id(&self) -> u16 {
            self.event_id
        }
        fn qualifiers(&self) -> Option<u16> {
            None
        }
        fn header(&self, field: HeaderField) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(match field {
                HeaderField::Channel => self.channel,
                HeaderField::Provider => self.provider,
                _ => "",
            }))
        }
        fn with_data(&self, name: &str, f: &mut dyn FnMut(Option<&FieldValue>)) -> Option<()> {
            match self.data.get(name) {
                Some(known) => f(Some(known.as_ref()?)),
                None if self.complete => f(None),
                None => return None,
            }
            Some(())
        }
        fn within_bounds(&self) -> bool {
            self.bounded
        }
    }

    fn rules(detections: &[&str]) -> RuleSet {
        let sources: Vec<RuleSource> = detections
            .iter()
            .enumerate()
            .map(|(i, d)| RuleSource::Text {
                path: format!("r{i}.yml").into(),
                text: format!(
                    "title: t{i}\nid: r{i}\nlogsource:\n  product: windows\n  service: security\n\
                     detection:\n{d}\nlevel: low\n"
                ),
            })
            .collect();
        let (set, diagnostics) = RuleSet::load(&sources);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        set
    }

    /// A remote interactive logon with a known address.
    const REMOTE_LOGON: &str = "  sel:\n    EventID: 4624\n    LogonType: 10\n  filter:\n    \
                                IpAddress: '-'\n  condition: sel and not filter";

    fn logon(data: &[(&'static str, Option<FieldValue>)], complete: bool) -> Sketch {
        Sketch {
            event_id: 4624,
            channel: "Security",
            provider: "Microsoft-Windows-Security-Auditing",
            data: data.iter().cloned().collect(),
            complete,
            bounded: true,
        }
    }

    #[test]
    fn a_record_is_rendered_only_when_some_rule_may_match_it() {
        let set = rules(&[REMOTE_LOGON, "  sel:\n    EventID: 4625\n  condition: sel"]);
        let interest = set.interest();
        let known = |v: u64| Some(FieldValue::UInt(v));
        // LogonType 5: false whatever the filter says.
        assert!(!interest.may_match(&logon(&[("LogonType", known(5))], false)));
        // LogonType 10 and an unknown address: it may match.
        assert!(interest.may_match(&logon(&[("LogonType", known(10))], false)));
        // LogonType 10 and the filtered address: it cannot.
        let dash = Some(FieldValue::Str("-".into()));
        assert!(!interest.may_match(&logon(
            &[("LogonType", known(10)), ("IpAddress", dash)],
            false
        )));
        // LogonType 10 and no address at all (known absent): `not filter` holds.
        assert!(interest.may_match(&logon(&[("LogonType", known(10))], true)));
        // LogonType unknown: it may match.
        assert!(interest.may_match(&logon(&[], false)));
        // No candidate rule for the channel and event id at all.
        let mut other = logon(&[], false);
        other.event_id = 4634;
        assert!(!interest.may_match(&other));
        other.event_id = 4625;
        assert!(interest.may_match(&other));
    }

    #[test]
    fn keywords_field_references_and_unknown_header_fields_may_match() {
        let everything = logon(
            &[
                ("TargetUserName", Some(FieldValue::Str("a".into()))),
                ("SubjectUserName", Some(FieldValue::Str("b".into()))),
            ],
            true,
        );
        for detection in [
            "  keywords:\n    - 'mimikatz'\n  condition: keywords",
            "  sel:\n    EventID: 4624\n    TargetUserName|fieldref: SubjectUserName\n  condition: sel",
            "  sel:\n    EventID: 4624\n    Level: 2\n  condition: sel",
        ] {
            let set = rules(&[detection]);
            assert!(set.interest().may_match(&everything), "{detection}");
        }
    }

    #[test]
    fn one_of_counts_unknown_searches_as_maybe() {
        let set = rules(&[
            "  sel_a:\n    LogonType: 10\n  sel_b:\n    LogonType: 7\n  \
                           sel_c:\n    ElevatedToken: '%%1842'\n  condition: 2 of sel_*",
        ]);
        let interest = set.interest();
        let lt = |v: u64| ("LogonType", Some(FieldValue::UInt(v)));
        // One known true (10), one false (7), one unknown: 2 may still hold.
        assert!(interest.may_match(&logon(&[lt(10)], false)));
        // None true, one unknown: 2 cannot hold.
        assert!(!interest.may_match(&logon(&[lt(5)], false)));
    }

    #[test]
    fn gated_judging_agrees_with_every_rule_judged_alone() {
        use super::super::field::Sketched;
        let set = rules(&[
            REMOTE_LOGON,
            "  sel:\n    EventID: 4624\n    LogonType: 3\n    WorkstationName: kali\n  condition: sel",
            "  sel:\n    EventID: [4624, 4625]\n    LogonType: [2, 11]\n  condition: sel",
            "  a:\n    EventID: 4625\n    WorkstationName: kali\n  b:\n    LogonType: 7\n  \
             condition: a or b",
        ]);
        let interest = set.interest();
        let text = |s: &str| Some(FieldValue::Str(s.into()));
        for event_id in [4624, 4625] {
            for logon_type in [None, Some(FieldValue::UInt(3)), text("10"), text("7")] {
                for workstation in [None, text("kali"), text("KALI"), text("desk")] {
                    for complete in [false, true] {
                        let mut data = vec![("IpAddress", text("10.1.1.1"))];
                        data.extend(logon_type.clone().map(|v| ("LogonType", Some(v))));
                        data.extend(workstation.clone().map(|v| ("WorkstationName", Some(v))));
                        let mut sketch = logon(&data, complete);
                        sketch.event_id = event_id;
                        let alone = set
                            .rules
                            .iter()
                            .any(|r| r.truth(&Sketched(&sketch)) != Some(false));
                        assert_eq!(interest.may_match(&sketch), alone, "{event_id} {data:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn an_event_id_whose_records_are_mostly_taken_is_no_longer_judged() {
        // The address is unknown to the sketches below: a logon type 10 may match.
        let set = rules(
            &["  sel:\n    EventID: [4624, 4634]\n    LogonType: 10\n    \
                           IpAddress|startswith: '10.'\n  condition: sel"],
        );
        let interest = set.interest();
        let lt = |v: u64| ("LogonType", Some(FieldValue::UInt(v)));
        for _ in 0..JUDGED_ENOUGH {
            assert_eq!(
                interest.judge(&logon(&[lt(10)], false)),
                Judgement::MayMatch
            );
        }
        // 4624 records are always taken now, even one the rules would refuse...
        assert!(interest.may_match(&logon(&[lt(5)], false)));
        // ...while 4634 records are still judged.
        let mut logoff = logon(&[lt(5)], false);
        logoff.event_id = 4634;
        assert!(!interest.may_match(&logoff));
    }

    #[test]
    fn records_only_plain_alert_rules_match_for_certain_are_alerts() {
        let set = rules(&[
            "  sel:\n    EventID: 4624\n    LogonType: 10\n  condition: sel",
            "  sel:\n    EventID: 4624\n  condition: sel",
            "  sel:\n    EventID: 4624\n    LogonType: 2\n  condition: sel\n\
             dropcause:\n  role: context",
            "  sel:\n    EventID: 4624\n    LogonType: 10\n    IpAddress: '-'\n  \
             condition: sel",
        ]);
        let interest = set.interest();
        let lt = |v: u64| ("LogonType", Some(FieldValue::UInt(v)));
        let dash = ("IpAddress", Some(FieldValue::Str("10.0.0.9".into())));
        // Every rule decided; the two that hold are plain: an alert, by its rules' places.
        assert_eq!(
            interest.judge(&logon(&[lt(10), dash.clone()], true)),
            Judgement::AlertOnly(Box::new([0, 1]))
        );
        // The address unknown: rule 3 may hold, so the event is read whole.
        assert_eq!(
            interest.judge(&logon(&[lt(10)], false)),
            Judgement::MayMatch
        );
        // The same record with a value the kept event would cut: read whole, matched again.
        let mut long = logon(&[lt(10), dash.clone()], true);
        long.bounded = false;
        assert_eq!(interest.judge(&long), Judgement::MayMatch);
        // A rule with a `dropcause:` block holds: the event is read whole.
        assert_eq!(interest.judge(&logon(&[lt(2)], true)), Judgement::MayMatch);
        // Alerts do not count as taken: however many there are, 4624 records are still
        // judged (taken records would stop that after JUDGED_ENOUGH).
        for _ in 0..2 * JUDGED_ENOUGH {
            let judged = interest.judge(&logon(&[lt(10), dash.clone()], true));
            assert!(matches!(judged, Judgement::AlertOnly(_)));
        }
        // The alert's rules, from their places, are those matching gives.
        let event = crate::rules::selftest::blank_event();
        let matched = set.matched_by(event, &[0, 1]).expect("two rules");
        let ids: Vec<&str> = matched.rules.iter().map(|r| &*r.id).collect();
        assert_eq!(ids, ["r0", "r1"]);
        assert!(matched.alert_only());
    }
}
