//! The search identifiers of a rule's `detection`: maps (AND), lists (OR),
//! keywords, each compiled into matchers once.

use super::condition;
use super::error::{Located, RuleError};
use super::field::{FieldKey, Lookup, Val};
use super::matcher::{self, Matcher};
use super::modifier::{Mods, NAMES, parse_key};
use super::pattern;
use super::yaml::{Node, Value};
use crate::event::Needles;

/// At most this many values per field item, and items per rule.
const MAX_VALUES: usize = 10_000;

/// One `Field|mods: values` test (or a keyword list when `field` is `None`).
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub field: Option<FieldKey>,
    pub matchers: Vec<Matcher>,
    /// Every value must match (`|all`, `|neq`), instead of any.
    pub all: bool,
    /// Some matcher reads another field (`fieldref`).
    pub refers: bool,
    /// For a keyword list: texts of which some data value must hold one for any keyword to
    /// be found, when every keyword is a literal (see [`Needles`]).
    pub needles: Option<Needles>,
}

impl Item {
    fn new(field: Option<FieldKey>, matchers: Vec<Matcher>, all: bool) -> Item {
        let refers = matchers.iter().any(Matcher::refers_to_fields);
        Item {
            field,
            matchers,
            all,
            refers,
            needles: None,
        }
    }
}

/// A search identifier's body.
#[derive(Debug, Clone)]
pub(crate) enum Search {
    /// A mapping: every item matches.
    Map(Vec<Item>),
    /// A list of mappings or keywords: any matches.
    Any(Vec<Search>),
    /// Keywords searched in every field value.
    Keywords(Item),
}

impl Item {
    /// Whether the event passes this item; `None` when `src` cannot tell.
    pub fn truth<L: Lookup>(&self, src: &L) -> Option<bool> {
        if self.refers && !src.is_whole() {
            return None;
        }
        let test = |m: &Matcher, v: Option<Val<'_>>| m.test(v, src);
        match &self.field {
            Some(key) => src.with_values(key, |vals| {
                let passes = |v| {
                    if self.all {
                        self.matchers.iter().all(|m| test(m, v))
                    } else {
                        self.matchers.iter().any(|m| test(m, v))
                    }
                };
                if vals.iter().all(Option::is_none) {
                    passes(None)
                } else {
                    vals.iter().flatten().any(|v| passes(Some(*v)))
                }
            }),
            None => {
                if self.needles.as_ref().is_some_and(|n| src.rules_out(n)) {
                    return Some(false);
                }
                let found = |m: &Matcher| src.any_data_text(&mut |t| test(m, Some(Val::Str(t))));
                if self.all {
                    condition::all(self.matchers.iter().map(found))
                } else {
                    condition::any(self.matchers.iter().map(found))
                }
            }
        }
    }
}

impl Search {
    /// True when no record sketch can tell this search: it has a field reference or a header
    /// field that sketches do not read. A keyword list can be told by a sketch that reads
    /// every data field ([`crate::event::EventSketch::any_data`]), so it is judged like a
    /// field test (a sketch that cannot read them all leaves it unknown, and the record is
    /// taken).
    pub fn blind_to_sketches(&self) -> bool {
        match self {
            Search::Map(items) => items.iter().any(|i| {
                i.refers
                    || matches!(
                        i.field,
                        Some(
                            FieldKey::Level
                                | FieldKey::RecordId
                                | FieldKey::ActivityId
                                | FieldKey::UserId
                        )
                    )
            }),
            Search::Any(parts) => parts.iter().any(Search::blind_to_sketches),
            Search::Keywords(_) => false,
        }
    }

    /// Adds to `out` the data fields this search tests by plain equality only.
    pub fn equality_fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Search::Map(items) => {
                for item in items {
                    if let Some(FieldKey::Data(name)) = &item.field
                        && !item.matchers.is_empty()
                        && item.matchers.iter().all(Matcher::is_equality)
                        && !out.contains(&name.as_str())
                    {
                        out.push(name);
                    }
                }
            }
            Search::Any(parts) => parts.iter().for_each(|p| p.equality_fields(out)),
            Search::Keywords(_) => {}
        }
    }

    /// Whether the event matches this search identifier; `None` when `src` cannot tell.
    pub fn truth<L: Lookup>(&self, src: &L) -> Option<bool> {
        match self {
            Search::Map(items) => condition::all(items.iter().map(|i| i.truth(src))),
            Search::Any(parts) => condition::any(parts.iter().map(|s| s.truth(src))),
            Search::Keywords(item) => item.truth(src),
        }
    }
}

/// Compiles one search identifier's body, with every error of its items.
pub(crate) fn compile_search(name: &str, node: &Node, text: &str) -> Result<Search, Vec<Located>> {
    match &node.value {
        Value::Map(entries) => compile_map(entries, node, text).map(Search::Map),
        Value::Seq(items) if items.is_empty() => Err(vec![Located::at(
            node.loc,
            RuleError::BadValue(format!("search identifier `{name}` is an empty list")),
        )]),
        Value::Seq(items) => {
            if items
                .iter()
                .all(|n| !matches!(n.value, Value::Map(_) | Value::Seq(_)))
            {
                return keyword_item(&Mods::default(), items)
                    .map(Search::Keywords)
                    .map_err(|e| vec![e]);
            }
            gather(items.iter().map(|n| {
                match &n.value {
                    Value::Map(entries) => compile_map(entries, n, text).map(Search::Map),
                    Value::Seq(_) => Err(vec![n.wrong(name, "a mapping or a keyword")]),
                    _ => keyword_item(&Mods::default(), std::slice::from_ref(n))
                        .map(Search::Keywords)
                        .map_err(|e| vec![e]),
                }
            }))
            .map(Search::Any)
        }
        Value::Str(_) | Value::Int(_) => keyword_item(&Mods::default(), std::slice::from_ref(node))
            .map(Search::Keywords)
            .map_err(|e| vec![e]),
        _ => Err(vec![node.wrong(name, "a mapping, a list or a keyword")]),
    }
}

/// Every value, or every error of every part.
fn gather<T>(parts: impl Iterator<Item = Result<T, Vec<Located>>>) -> Result<Vec<T>, Vec<Located>> {
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    for part in parts {
        match part {
            Ok(v) => ok.push(v),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}

fn compile_map(
    entries: &[(Node, Node)],
    node: &Node,
    text: &str,
) -> Result<Vec<Item>, Vec<Located>> {
    if entries.is_empty() {
        return Err(vec![Located::at(
            node.loc,
            RuleError::BadValue("empty mapping in detection".into()),
        )]);
    }
    gather(
        entries
            .iter()
            .map(|(k, v)| compile_item(k, v, text).map_err(|e| vec![e])),
    )
}

fn compile_item(k: &Node, v: &Node, text: &str) -> Result<Item, Located> {
    let key = k.expect_str("a detection field name")?;
    let (field, mods) = parse_key(key).map_err(|e| modifier_error(k, key, e, text))?;
    let values: &[Node] = match &v.value {
        Value::Seq(items) => items,
        _ => std::slice::from_ref(v),
    };
    if values.is_empty() {
        return Err(Located::at(
            v.loc,
            RuleError::BadValue(format!("`{key}` has an empty list of values")),
        ));
    }
    if values.len() > MAX_VALUES {
        return Err(Located::at(
            v.loc,
            RuleError::BadValue(format!("`{key}` has more than {MAX_VALUES} values")),
        ));
    }
    if field.is_empty() {
        return keyword_item(&mods, values);
    }
    let matchers = values
        .iter()
        .map(|n| value_matcher(key, &mods, n))
        .collect::<Result<Vec<_>, _>>()?;
    let all = mods.all || mods.neq;
    let matchers = if all {
        matchers
    } else {
        matcher::merge_contains(matchers)
    };
    Ok(Item::new(Some(FieldKey::new(field)), matchers, all))
}

/// A modifier error of `key` (at `k`), placed on the unknown modifier itself with the
/// closest known one as a suggestion.
fn modifier_error(k: &Node, key: &str, e: RuleError, text: &str) -> Located {
    let RuleError::UnknownModifier(name) = &e else {
        return Located::at(k.loc, e);
    };
    let name = name.clone();
    let offset = key
        .split('|')
        .scan(0, |start, part| {
            let here = *start;
            *start += part.chars().count() + 1;
            Some((here, part))
        })
        .skip(1)
        .find(|(_, part)| *part == name)
        .map_or(0, |(at, _)| at);
    Located::at(k.offset_loc(key, offset, text), e).suggest(&name, NAMES.iter().copied())
}

fn keyword_item(mods: &Mods, values: &[Node]) -> Result<Item, Located> {
    let mut kw = mods.clone();
    if kw.place == super::modifier::Place::Exact {
        kw.place = super::modifier::Place::Contains;
    }
    let matchers = values
        .iter()
        .map(|n| value_matcher("keywords", &kw, n))
        .collect::<Result<Vec<_>, _>>()?;
    // Whether any or every keyword must be found, a record none of whose values holds any
    // keyword's literal passes none of them.
    let literals: Option<Vec<&str>> = matchers.iter().try_fold(Vec::new(), |mut all, m| {
        all.extend(m.literals()?);
        Some(all)
    });
    let needles = literals.and_then(|l| Needles::new(&l));
    let matchers = if kw.all {
        matchers
    } else {
        matcher::merge_contains(matchers)
    };
    let mut item = Item::new(None, matchers, kw.all);
    item.needles = needles;
    Ok(item)
}

/// The matcher for one value under the key's modifiers.
fn value_matcher(key: &str, m: &Mods, node: &Node) -> Result<Matcher, Located> {
    let inner = plain_matcher(key, m, node)?;
    let inner = match m.time {
        Some(part) => Matcher::Time(part, Box::new(inner)),
        None => inner,
    };
    Ok(if m.neq {
        Matcher::Not(Box::new(inner))
    } else {
        inner
    })
}

fn plain_matcher(key: &str, m: &Mods, node: &Node) -> Result<Matcher, Located> {
    let at = |e| Located::at(node.loc, e);
    if m.exists {
        return match node.value {
            Value::Bool(b) => Ok(Matcher::Exists(b)),
            _ => Err(node.wrong(key, "true or false")),
        };
    }
    if let Some(op) = m.cmp {
        let n = match &node.value {
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            Value::Str(s) => s.trim().parse().map_err(|_| node.wrong(key, "a number"))?,
            _ => return Err(node.wrong(key, "a number")),
        };
        return Ok(Matcher::Compare(op, n));
    }
    if m.time.is_some() {
        return match node.value {
            Value::Int(i) => Ok(Matcher::Int(i)),
            _ => Err(node.wrong(key, "an integer")),
        };
    }
    let text = match &node.value {
        Value::Null if !m.re && !m.cidr && !m.fieldref => return Ok(Matcher::Null),
        Value::Null => return Err(node.wrong(key, "a string")),
        Value::Seq(_) | Value::Map(_) => return Err(node.wrong(key, "a scalar value")),
        Value::Bool(b) if !stringy(m) => return Ok(Matcher::Bool(*b)),
        Value::Int(i) if !stringy(m) && !m.cased && !m.fieldref => return Ok(Matcher::Int(*i)),
        Value::Float(f) if !stringy(m) && !m.cased && !m.fieldref => return Ok(Matcher::Float(*f)),
        _ => node.scalar_text().unwrap_or_default(),
    };
    if m.re {
        return matcher::regex(&text, m.re_i, m.re_m, m.re_s)
            .map(Matcher::Regex)
            .map_err(at);
    }
    if m.cidr {
        return matcher::cidr(&text).map_err(at);
    }
    if m.fieldref {
        return Ok(Matcher::FieldRef(FieldKey::new(&text), m.cased));
    }
    let variants = pattern::expand(&text, m).map_err(at)?;
    let mut ms = variants
        .iter()
        .map(|v| matcher::from_tokens(v, m.cased))
        .collect::<Result<Vec<_>, _>>()
        .map_err(at)?;
    Ok(if ms.len() == 1 {
        ms.remove(0)
    } else {
        Matcher::AnyOf(ms)
    })
}

fn stringy(m: &Mods) -> bool {
    m.place != super::modifier::Place::Exact || m.windash || m.base64.is_some()
}
