//! Gates: a data field whose value alone rules out many rules at once (`LogonType` is the
//! classic: a dozen SigmaHQ rules on Security 4624 each want one logon type). Judging a
//! record ([`super::Interest::judge`]) then reads that field once and asks a memo
//! which of the gate's rules its value rules out, instead of evaluating each rule.
//!
//! The memo is exact by construction: the verdicts for a value are the rules' own
//! three-valued conditions, evaluated knowing only the event id and that field. A rule
//! false with so little known is false with everything known, so the gate changes no
//! match, only the work.

use super::field::{FieldKey, Lookup, Val};
use super::rule::CompiledRule;
use crate::event::Needles;
use foldhash::HashMap;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A gate remembers at most this many (event id, value) pairs per thread; a field with
/// more values than that (an address, a user name) stops gating there: reading it for
/// every record would cost more than it saves.
const MAX_VALUES_PER_GATE: usize = 128;

/// Longer text values are not remembered (nor gated).
const MAX_VALUE_BYTES: usize = 128;

/// A field is a gate only when at least this many rules test it.
const MIN_RULES_PER_GATE: usize = 2;

/// The gates of a rule set: per rule, the gate it sits behind, if any.
#[derive(Debug)]
pub(crate) struct Gates {
    /// The rule set.
    rules: Arc<[CompiledRule]>,
    /// Per rule: its gate and its place among that gate's rules.
    of_rule: Box<[Option<(u32, u32)>]>,
    gates: Box<[Gate]>,
    /// Tells this set's memos from those of another set judged on the same thread.
    id: u64,
}

#[derive(Debug)]
struct Gate {
    /// The data field, as the rules spell it.
    key: FieldKey,
    /// The rules behind it.
    rules: Box<[u32]>,
}

/// Ruled-out flags, one per rule of a gate.
type Verdicts = Rc<[bool]>;

/// One thread's memory of verdicts, for the gates of one rule set.
#[derive(Default)]
struct Memo {
    owner: u64,
    /// By gate, event id and encoded value.
    verdicts: HashMap<Box<[u8]>, Verdicts>,
    /// Per gate: how many values it remembers; `usize::MAX` once it stopped gating.
    filled: Vec<usize>,
    /// Scratch for encoding a value.
    key: Vec<u8>,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::default();
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// What a record's gates said, asked once per record and gate.
#[derive(Default)]
pub(crate) struct Asked(Vec<(u32, Option<Verdicts>)>);

impl Gates {
    /// Chooses a gate for each rule: of the data fields the rule tests by plain equality
    /// (text, number, boolean), the one the most rules of the set test so, when at least
    /// [`MIN_RULES_PER_GATE`] do.
    pub fn build(rules: &Arc<[CompiledRule]>) -> Gates {
        let fields: Vec<Vec<&str>> = rules.iter().map(CompiledRule::equality_fields).collect();
        let mut tested: HashMap<&str, usize> = HashMap::default();
        for name in fields.iter().flatten() {
            *tested.entry(name).or_default() += 1;
        }
        let mut gates: Vec<(&str, Vec<u32>)> = Vec::new();
        let of_rule = fields
            .iter()
            .enumerate()
            .map(|(rule, names)| {
                let (_, name) = names
                    .iter()
                    .map(|n| (tested[n], *n))
                    .filter(|(count, _)| *count >= MIN_RULES_PER_GATE)
                    .max_by_key(|(count, _)| *count)?;
                let gate = match gates.iter().position(|(n, _)| *n == name) {
                    Some(gate) => gate,
                    None => {
                        gates.push((name, Vec::new()));
                        gates.len() - 1
                    }
                };
                gates[gate].1.push(rule as u32);
                Some((gate as u32, (gates[gate].1.len() - 1) as u32))
            })
            .collect();
        let gates = gates
            .into_iter()
            .map(|(name, rules)| Gate {
                key: FieldKey::Data(name.to_string()),
                rules: rules.into(),
            })
            .collect();
        Gates {
            rules: Arc::clone(rules),
            of_rule,
            gates,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// True when `rule`'s gate says the record in `src` (of event id `event_id`) cannot
    /// match it. False when the rule has no gate or the gate cannot tell.
    pub fn rules_out<L: Lookup>(
        &self,
        rule: u32,
        event_id: u16,
        src: &L,
        asked: &mut Asked,
    ) -> bool {
        let Some(&Some((gate, place))) = self.of_rule.get(rule as usize) else {
            return false;
        };
        let verdicts = match asked.0.iter().find(|(g, _)| *g == gate) {
            Some((_, v)) => v.clone(),
            None => {
                let v = self.verdicts(gate, event_id, src);
                asked.0.push((gate, v.clone()));
                v
            }
        };
        verdicts.is_some_and(|v| v[place as usize])
    }

    /// The verdicts of `gate` for the record in `src`, from this thread's memo or worked out
    /// and remembered.
    fn verdicts<L: Lookup>(&self, gate: u32, event_id: u16, src: &L) -> Option<Verdicts> {
        MEMO.with(|memo| {
            let mut memo = memo.borrow_mut();
            let memo = &mut *memo;
            if memo.owner != self.id {
                *memo = Memo {
                    owner: self.id,
                    filled: vec![0; self.gates.len()],
                    ..Memo::default()
                };
            }
            let g = gate as usize;
            if memo.filled[g] == usize::MAX {
                return None;
            }
            let Gate {
                key,
                rules: members,
            } = &self.gates[g];
            let mut verdicts = None;
            src.with_values(key, |[value, _]| {
                if !encode(gate, event_id, value, &mut memo.key) {
                    return;
                }
                if let Some(v) = memo.verdicts.get(memo.key.as_slice()) {
                    verdicts = Some(v.clone());
                    return;
                }
                if memo.filled[g] >= MAX_VALUES_PER_GATE {
                    memo.filled[g] = usize::MAX;
                    return;
                }
                let known = Known {
                    key,
                    value,
                    event_id,
                };
                let v: Verdicts = members
                    .iter()
                    .map(|r| self.rules[*r as usize].truth(&known) == Some(false))
                    .collect();
                memo.filled[g] += 1;
                memo.verdicts
                    .insert(memo.key.as_slice().into(), Rc::clone(&v));
                verdicts = Some(v);
            })?;
            verdicts
        })
    }
}

/// Writes what tells (gate, event id, value) apart into `out`; false when the value is too
/// long to remember.
fn encode(gate: u32, event_id: u16, value: Option<Val<'_>>, out: &mut Vec<u8>) -> bool {
    out.clear();
    out.extend_from_slice(&gate.to_le_bytes());
    out.extend_from_slice(&event_id.to_le_bytes());
    match value {
        None => out.push(0),
        Some(Val::Null) => out.push(1),
        Some(Val::Bool(b)) => out.extend_from_slice(&[2, u8::from(b)]),
        Some(Val::Int(i)) => {
            out.push(3);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Some(Val::UInt(u)) => {
            out.push(4);
            out.extend_from_slice(&u.to_le_bytes());
        }
        Some(Val::Float(f)) => {
            out.push(5);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Some(Val::Str(s)) => {
            if s.len() > MAX_VALUE_BYTES {
                return false;
            }
            out.push(6);
            out.extend_from_slice(s.as_bytes());
        }
    }
    true
}

/// A record known only by its event id and one data field.
struct Known<'a> {
    key: &'a FieldKey,
    value: Option<Val<'a>>,
    event_id: u16,
}

impl Lookup for Known<'_> {
    fn with_values<R>(
        &self,
        key: &FieldKey,
        f: impl FnOnce([Option<Val<'_>>; 2]) -> R,
    ) -> Option<R> {
        match key {
            FieldKey::EventId => Some(f([Some(Val::UInt(self.event_id.into())), None])),
            // Byte for byte: another spelling might be another field of a crafted record.
            key if key == self.key => Some(f([self.value, None])),
            _ => None,
        }
    }

    fn any_data_text(&self, _: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        None
    }

    fn rules_out(&self, _: &Needles) -> bool {
        false
    }

    fn is_whole(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn rule(detection: &str) -> CompiledRule {
        let text = format!(
            "title: t\nid: r\nlogsource:\n  product: windows\n  service: security\n\
             detection:\n{detection}\nlevel: low\n"
        );
        let outcome = super::super::rule::compile(Path::new("r.yml"), &text);
        let problems = format!("{:?}", outcome.problems);
        outcome.rule.expect(&problems)
    }

    /// Rules on logon records that mostly want one logon type, one that does not test it,
    /// and one whose other selection does not need it.
    fn logon_rules() -> Arc<[CompiledRule]> {
        [
            "  sel:\n    EventID: 4624\n    LogonType: 10\n  filter:\n    IpAddress: '-'\n  \
             condition: sel and not filter",
            "  sel:\n    EventID: 4624\n    LogonType: 3\n    AuthenticationPackageName: NTLM\n  \
             condition: sel",
            "  sel:\n    EventID: 4624\n    LogonType: [9, 10]\n  condition: sel",
            "  sel:\n    EventID: 4624\n    ProcessName|endswith: '\\wmiprvse.exe'\n  condition: sel",
            "  a:\n    EventID: 4776\n    Workstation: RULER\n  b:\n    EventID: 4624\n    \
             LogonType: 3\n  condition: a or b",
        ]
        .into_iter()
        .map(rule)
        .collect()
    }

    fn known<'a>(key: &'a FieldKey, value: Option<Val<'a>>, event_id: u16) -> Known<'a> {
        Known {
            key,
            value,
            event_id,
        }
    }

    #[test]
    fn rules_that_test_one_field_by_equality_share_a_gate() {
        let rules = logon_rules();
        let gates = Gates::build(&rules);
        assert_eq!(gates.gates.len(), 1);
        assert_eq!(gates.gates[0].key, FieldKey::Data("LogonType".into()));
        let gated: Vec<bool> = gates.of_rule.iter().map(Option::is_some).collect();
        assert_eq!(gated, [true, true, true, false, true]);
    }

    #[test]
    fn a_gate_rules_out_exactly_what_the_rules_say_knowing_that_field() {
        let rules = logon_rules();
        let gates = Gates::build(&rules);
        let key = FieldKey::Data("LogonType".into());
        for event_id in [4624, 4776] {
            let values = [
                Some(Val::UInt(10)),
                Some(Val::Str("3")),
                Some(Val::Int(5)),
                None,
            ];
            for value in values {
                let src = known(&key, value, event_id);
                let mut asked = Asked::default();
                for (r, compiled) in rules.iter().enumerate() {
                    let out = gates.rules_out(r as u32, event_id, &src, &mut asked);
                    let false_anyway = compiled.truth(&src) == Some(false);
                    let gated = gates.of_rule[r].is_some();
                    assert_eq!(
                        out,
                        gated && false_anyway,
                        "rule {r}, {value:?}, {event_id}"
                    );
                }
            }
        }
        // Spot checks: logon type 5 rules out every gated rule of a 4624, but not the
        // Ruler rule of a 4776, whose workstation is unknown.
        let five = known(&key, Some(Val::UInt(5)), 4624);
        let out = |r: u32, src: &Known<'_>| gates.rules_out(r, 4624, src, &mut Asked::default());
        assert!([0, 1, 2, 4].into_iter().all(|r| out(r, &five)));
        assert!(!out(3, &five));
        let ruler = known(&key, Some(Val::UInt(5)), 4776);
        assert!(!gates.rules_out(4, 4776, &ruler, &mut Asked::default()));
    }

    #[test]
    fn a_field_with_too_many_values_stops_gating() {
        let rules: Arc<[CompiledRule]> = (0..2)
            .map(|i| {
                rule(&format!(
                    "  sel:\n    WorkstationName: ws{i}\n  condition: sel"
                ))
            })
            .collect();
        let gates = Gates::build(&rules);
        let key = FieldKey::Data("WorkstationName".into());
        let names: Vec<String> = (0..=MAX_VALUES_PER_GATE)
            .map(|i| format!("host{i}"))
            .collect();
        for name in &names[..MAX_VALUES_PER_GATE] {
            let src = known(&key, Some(Val::Str(name)), 4624);
            assert!(gates.rules_out(0, 4624, &src, &mut Asked::default()));
        }
        // One value too many: the gate no longer answers, for old values too.
        let last = known(&key, Some(Val::Str(&names[MAX_VALUES_PER_GATE])), 4624);
        assert!(!gates.rules_out(0, 4624, &last, &mut Asked::default()));
        let first = known(&key, Some(Val::Str(&names[0])), 4624);
        assert!(!gates.rules_out(0, 4624, &first, &mut Asked::default()));
        // A long value is never remembered.
        let long = "x".repeat(MAX_VALUE_BYTES + 1);
        let fresh = Gates::build(&rules);
        let src = known(&key, Some(Val::Str(&long)), 4624);
        assert!(!fresh.rules_out(0, 4624, &src, &mut Asked::default()));
    }

    #[test]
    fn two_rule_sets_on_one_thread_keep_their_verdicts_apart() {
        let key = FieldKey::Data("LogonType".into());
        let ten = |n| rule(&format!("  sel:\n    LogonType: {n}\n  condition: sel"));
        let (a, b): (Arc<[CompiledRule]>, Arc<[CompiledRule]>) =
            (Arc::new([ten(10), ten(10)]), Arc::new([ten(3), ten(3)]));
        let (gates_a, gates_b) = (Gates::build(&a), Gates::build(&b));
        let src = known(&key, Some(Val::UInt(10)), 4624);
        for _ in 0..2 {
            assert!(!gates_a.rules_out(0, 4624, &src, &mut Asked::default()));
            assert!(gates_b.rules_out(0, 4624, &src, &mut Asked::default()));
        }
    }
}
