//! Compiled value tests: one Sigma value (after its modifiers) against one field value.

use super::error::RuleError;
use super::field::{FieldKey, Lookup, Val};
use super::modifier::{Cmp, TimePart};
use super::pattern::Tok;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};
use regex::{Regex, RegexBuilder};
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

/// Compiled regexes may use at most this much memory (10 MiB, enough for `\\w{1,64}`) (the `regex` crate matches
/// in linear time, so size is the only thing to bound).
const REGEX_SIZE_LIMIT: usize = 10 << 20;

/// How a literal compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    /// Byte for byte (`cased`).
    Exact,
    /// ASCII letters ignore case (the literal is ASCII).
    Ascii,
    /// Full Unicode lowercase (the literal is lowercased; the field is lowercased when compared).
    Unicode,
}

/// A literal to compare.
#[derive(Debug, Clone)]
pub(crate) struct Lit {
    text: String,
    fold: Fold,
}

impl Lit {
    fn new(text: String, cased: bool) -> Lit {
        if cased {
            Lit {
                text,
                fold: Fold::Exact,
            }
        } else if text.is_ascii() {
            Lit {
                text,
                fold: Fold::Ascii,
            }
        } else {
            Lit {
                text: text.to_lowercase(),
                fold: Fold::Unicode,
            }
        }
    }

    fn eq(&self, hay: &str) -> bool {
        match self.fold {
            Fold::Exact => hay == self.text,
            Fold::Ascii => hay.eq_ignore_ascii_case(&self.text),
            Fold::Unicode => hay.to_lowercase() == self.text,
        }
    }

    fn prefix_of(&self, hay: &str) -> bool {
        let n = self.text.len();
        match self.fold {
            Fold::Exact => hay.starts_with(&self.text),
            Fold::Ascii => {
                hay.len() >= n && hay.as_bytes()[..n].eq_ignore_ascii_case(self.text.as_bytes())
            }
            Fold::Unicode => hay.to_lowercase().starts_with(&self.text),
        }
    }

    fn suffix_of(&self, hay: &str) -> bool {
        let n = self.text.len();
        match self.fold {
            Fold::Exact => hay.ends_with(&self.text),
            Fold::Ascii => {
                hay.len() >= n
                    && hay.as_bytes()[hay.len() - n..].eq_ignore_ascii_case(self.text.as_bytes())
            }
            Fold::Unicode => hay.to_lowercase().ends_with(&self.text),
        }
    }

    fn within(&self, hay: &str) -> bool {
        match self.fold {
            Fold::Exact => memchr::memmem::find(hay.as_bytes(), self.text.as_bytes()).is_some(),
            Fold::Ascii => {
                let (n, h) = (self.text.as_bytes(), hay.as_bytes());
                let Some(&first) = n.first() else { return true };
                let Some(last_start) = h.len().checked_sub(n.len()) else {
                    return false;
                };
                memchr::memchr2_iter(
                    first.to_ascii_lowercase(),
                    first.to_ascii_uppercase(),
                    &h[..=last_start],
                )
                .any(|i| h[i..i + n.len()].eq_ignore_ascii_case(n))
            }
            Fold::Unicode => hay.to_lowercase().contains(&self.text),
        }
    }
}

/// A test of a field value.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    Equals(Lit),
    StartsWith(Lit),
    EndsWith(Lit),
    Contains(Lit),
    /// Any of several ASCII case-insensitive substrings.
    ContainsAny(Box<AnyOfTexts>),
    /// Any value at all (`*`).
    AnyValue,
    Regex(Regex),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `null`: the field is absent or null.
    Null,
    Exists(bool),
    Compare(Cmp, f64),
    Cidr(IpAddr, u8),
    Time(TimePart, Box<Matcher>),
    /// Equal to another field of the same event.
    FieldRef(FieldKey, bool),
    /// `neq`: present and not matching.
    Not(Box<Matcher>),
    /// Any of the forms one value expanded into (windash, base64offset).
    AnyOf(Vec<Matcher>),
}

impl Matcher {
    /// The texts of which a value must hold one to pass this test (a value passes an
    /// `equals`, `startswith`, `endswith` or `contains` test only if it holds the literal);
    /// `None` when the test passes values holding none of them, or is not a literal test.
    pub fn literals(&self) -> Option<Vec<&str>> {
        match self {
            Matcher::Equals(l)
            | Matcher::StartsWith(l)
            | Matcher::EndsWith(l)
            | Matcher::Contains(l)
                if l.fold != Fold::Unicode && !l.text.is_empty() =>
            {
                Some(vec![l.text.as_str()])
            }
            Matcher::AnyOf(forms) => {
                let mut all = Vec::new();
                for m in forms {
                    all.extend(m.literals()?);
                }
                Some(all)
            }
            _ => None,
        }
    }

    /// True when `value` (None: the field is absent) passes the test. Fields that the test
    /// refers to ([`Matcher::refers_to_fields`]) are read from `event`.
    pub fn test<L: Lookup>(&self, value: Option<Val<'_>>, event: &L) -> bool {
        let Some(v) = value else {
            return match self {
                Matcher::Exists(want) => !want,
                Matcher::Null => true,
                Matcher::AnyOf(ms) => ms.iter().any(|m| m.test(None, event)),
                _ => false,
            };
        };
        match self {
            Matcher::Equals(l) => l.eq(&v.text()),
            Matcher::StartsWith(l) => l.prefix_of(&v.text()),
            Matcher::EndsWith(l) => l.suffix_of(&v.text()),
            Matcher::Contains(l) => l.within(&v.text()),
            Matcher::ContainsAny(any) => any.found_in(v.text().as_ref()),
            Matcher::AnyValue => true,
            Matcher::Regex(r) => r.is_match(&v.text()),
            Matcher::Int(n) => v.int() == Some(*n),
            Matcher::Float(f) => v.float() == Some(*f),
            Matcher::Bool(b) => match v {
                Val::Bool(x) => x == *b,
                other => other
                    .text()
                    .eq_ignore_ascii_case(if *b { "true" } else { "false" }),
            },
            Matcher::Null => matches!(v, Val::Null),
            Matcher::Exists(want) => *want,
            Matcher::Compare(op, n) => v.float().is_some_and(|x| compare(*op, x, *n)),
            Matcher::Cidr(net, bits) => v
                .text()
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| in_cidr(ip, *net, *bits)),
            Matcher::Time(part, m) => {
                time_part(&v.text(), *part).is_some_and(|n| m.test(Some(Val::Int(n)), event))
            }
            Matcher::FieldRef(other, cased) => {
                let mine = v.text();
                event
                    .with_values(other, |values| {
                        values.iter().flatten().any(|o| {
                            let theirs = o.text();
                            if *cased {
                                mine == theirs
                            } else {
                                Lit::new(theirs.into_owned(), false).eq(&mine)
                            }
                        })
                    })
                    .unwrap_or(false)
            }
            Matcher::Not(m) => !m.test(Some(v), event),
            Matcher::AnyOf(ms) => ms.iter().any(|m| m.test(Some(v), event)),
        }
    }

    /// True when the test reads another field of the event (`fieldref`).
    pub fn refers_to_fields(&self) -> bool {
        match self {
            Matcher::FieldRef(..) => true,
            Matcher::Not(m) | Matcher::Time(_, m) => m.refers_to_fields(),
            Matcher::AnyOf(ms) => ms.iter().any(Matcher::refers_to_fields),
            _ => false,
        }
    }

    /// True when the test is plain equality to a text, number or boolean: a value that
    /// few fields take many of.
    pub fn is_equality(&self) -> bool {
        matches!(
            self,
            Matcher::Equals(_) | Matcher::Int(_) | Matcher::Bool(_)
        )
    }

    /// The integer this matcher requires by plain equality, if that is all it does.
    pub fn pinned_int(&self) -> Option<i64> {
        match self {
            Matcher::Int(n) => Some(*n),
            Matcher::Equals(l) => l.text.trim().parse().ok(),
            _ => None,
        }
    }

    /// The text this matcher requires by plain (case-insensitive) equality.
    pub fn pinned_text(&self) -> Option<&str> {
        match self {
            Matcher::Equals(l) if l.fold != Fold::Unicode => Some(&l.text),
            _ => None,
        }
    }
}

fn compare(op: Cmp, x: f64, n: f64) -> bool {
    match op {
        Cmp::Gt => x > n,
        Cmp::Gte => x >= n,
        Cmp::Lt => x < n,
        Cmp::Lte => x <= n,
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V4(_)) => a
            .to_ipv4_mapped()
            .is_some_and(|v4| in_cidr(IpAddr::V4(v4), net, bits)),
        _ => false,
    }
}

/// The requested part of a date written as RFC 3339 or `YYYY-MM-DD HH:MM:SS[.f]`.
fn time_part(text: &str, part: TimePart) -> Option<i64> {
    let t = text.trim();
    let dt = DateTime::parse_from_rfc3339(t)
        .map(|d| d.naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f"))
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?;
    Some(match part {
        TimePart::Minute => dt.minute().into(),
        TimePart::Hour => dt.hour().into(),
        TimePart::Day => dt.day().into(),
        TimePart::Week => dt.iso_week().week().into(),
        TimePart::Month => dt.month().into(),
        TimePart::Year => dt.year().into(),
    })
}

/// The matcher for one pattern (wildcards resolved to the cheapest test).
pub(crate) fn from_tokens(toks: &[Tok], cased: bool) -> Result<Matcher, RuleError> {
    let lit = |ts: &[Tok]| super::pattern::plain(ts).map(|t| Lit::new(t, cased));
    let n = toks.len();
    if toks.iter().all(|t| *t == Tok::Star) && n > 0 {
        return Ok(Matcher::AnyValue);
    }
    if let Some(l) = lit(toks) {
        return Ok(Matcher::Equals(l));
    }
    if n >= 2
        && toks[0] == Tok::Star
        && toks[n - 1] == Tok::Star
        && let Some(l) = lit(&toks[1..n - 1])
    {
        return Ok(Matcher::Contains(l));
    }
    if toks[n - 1] == Tok::Star
        && let Some(l) = lit(&toks[..n - 1])
    {
        return Ok(Matcher::StartsWith(l));
    }
    if toks[0] == Tok::Star
        && let Some(l) = lit(&toks[1..])
    {
        return Ok(Matcher::EndsWith(l));
    }
    let mut re = String::from("^");
    for t in toks {
        match t {
            Tok::Ch(c) => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            Tok::Star => re.push_str(".*"),
            Tok::One => re.push('.'),
        }
    }
    re.push('$');
    regex(&re, !cased, false, true).map(Matcher::Regex)
}

/// Builds a regex under the size limit.
pub(crate) fn regex(pattern: &str, i: bool, m: bool, s: bool) -> Result<Regex, RuleError> {
    RegexBuilder::new(pattern)
        .case_insensitive(i)
        .multi_line(m)
        .dot_matches_new_line(s)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(2 << 20)
        .nest_limit(64)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(&text);
            RuleError::BadRegex {
                message: last.trim().trim_start_matches("error: ").to_string(),
                source: Arc::new(e),
            }
        })
}

/// Parses `10.0.0.0/8` or `fe80::/10` (a bare address is a /32 or /128).
pub(crate) fn cidr(text: &str) -> Result<Matcher, RuleError> {
    let bad = || RuleError::BadValue(format!("`{text}` is not a CIDR network like 10.0.0.0/8"));
    let (addr, bits) = match text.trim().split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u8>().map_err(|_| bad())?)),
        None => (text.trim(), None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    if bits > max {
        return Err(bad());
    }
    Ok(Matcher::Cidr(ip, bits))
}

/// Merges plain ASCII case-insensitive `contains` tests of an OR list into one automaton.
pub(crate) fn merge_contains(ms: Vec<Matcher>) -> Vec<Matcher> {
    let mut flat = Vec::with_capacity(ms.len());
    for m in ms {
        match m {
            Matcher::AnyOf(inner) => flat.extend(inner),
            other => flat.push(other),
        }
    }
    let (subs, mut rest): (Vec<_>, Vec<_>) = flat.into_iter().partition(
        |m| matches!(m, Matcher::Contains(l) if l.fold == Fold::Ascii && !l.text.is_empty()),
    );
    if subs.len() < 2 {
        rest.extend(subs);
        return rest;
    }
    rest.insert(
        0,
        Matcher::ContainsAny(Box::new(AnyOfTexts {
            needles: subs
                .into_iter()
                .filter_map(|m| match m {
                    Matcher::Contains(l) => Some(l),
                    _ => None,
                })
                .collect(),
            automaton: OnceLock::new(),
        })),
    );
    rest
}

/// Several ASCII case-insensitive substrings, searched with one automaton built when first
/// used: of the thousands of SigmaHQ lists most belong to rules no record of a run reaches,
/// and building them all was half the time it took to load those rules.
#[derive(Debug)]
pub(crate) struct AnyOfTexts {
    /// ASCII literals, compared ignoring ASCII case.
    needles: Vec<Lit>,
    /// `None` when the automaton could not be built (the needles are then tried one by one).
    automaton: OnceLock<Option<AhoCorasick>>,
}

impl Clone for AnyOfTexts {
    fn clone(&self) -> Self {
        AnyOfTexts {
            needles: self.needles.clone(),
            automaton: OnceLock::new(),
        }
    }
}

impl AnyOfTexts {
    /// True when `hay` holds one of the needles, ignoring ASCII case.
    fn found_in(&self, hay: &str) -> bool {
        // A contiguous NFA rather than the DFA the builder picks for short lists:
        // with the SigmaHQ rules loaded the DFAs held 33 MB, a quarter of a
        // 100 MB log's peak, where the NFA holds a small fraction of that and
        // tests the short field values of an event about as fast.
        let automaton = self.automaton.get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(self.needles.iter().map(|l| &l.text))
                .ok()
        });
        match automaton {
            Some(ac) => ac.is_match(hay),
            None => self.needles.iter().any(|l| l.within(hay)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::pattern::tokens;
    use super::*;

    fn check(pattern: &str, cased: bool, hay: &str) -> bool {
        let m = from_tokens(&tokens(pattern), cased).expect("compiles");
        let ev = crate::rules::selftest::blank_event();
        m.test(Some(Val::Str(hay)), &ev)
    }

    #[test]
    fn wildcards_choose_the_cheapest_test() {
        assert!(matches!(
            from_tokens(&tokens("*abc*"), false),
            Ok(Matcher::Contains(_))
        ));
        assert!(matches!(
            from_tokens(&tokens("abc*"), false),
            Ok(Matcher::StartsWith(_))
        ));
        assert!(matches!(
            from_tokens(&tokens("*abc"), false),
            Ok(Matcher::EndsWith(_))
        ));
        assert!(matches!(
            from_tokens(&tokens("a*c"), false),
            Ok(Matcher::Regex(_))
        ));
        assert!(check("a*c", false, "ABxC"));
        assert!(!check("a?c", false, "abbc"));
        assert!(check("ÄB*", false, "äbc"));
        assert!(!check("Abc", true, "abc"));
    }

    #[test]
    fn cidr_contains_addresses() {
        let ev = crate::rules::selftest::blank_event();
        let m = cidr("10.0.0.0/8").expect("valid");
        assert!(m.test(Some(Val::Str("10.200.1.1")), &ev));
        assert!(!m.test(Some(Val::Str("11.0.0.1")), &ev));
        assert!(cidr("10.0.0.0/33").is_err());
        let v6 = cidr("fe80::/10").expect("valid");
        assert!(v6.test(Some(Val::Str("fe80::1")), &ev));
    }

    #[test]
    fn oversized_regexes_are_refused() {
        assert!(matches!(
            regex("(a{1000}){1000}", false, false, false),
            Err(RuleError::BadRegex { .. })
        ));
        assert!(matches!(
            regex("(?=a)", false, false, false),
            Err(RuleError::BadRegex { .. })
        ));
    }
}
