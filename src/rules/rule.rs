//! One rule file → a compiled rule: metadata ([`RuleInfo`]), logsource scope,
//! search identifiers, condition and self-tests.

use super::condition::{self, Cond};
use super::detection::{Search, compile_search};
use super::error::{Located, RuleError};
use super::extension::{Level, RuleInfo};
use super::extension_block;
use super::field::{FieldKey, Lookup};
use super::found::{Found, one_of};
use super::logsource::{self, Scope};
use super::selftest::{self, SelfTest};
use super::yaml::{self, Loc, Node, Value};
use crate::event::Event;
use std::path::Path;
use std::sync::Arc;

/// Top-level keys a rule may have: Sigma's, SigmaHQ's, and ours.
const KNOWN_KEYS: &[&str] = &[
    "title",
    "id",
    "name",
    "related",
    "taxonomy",
    "status",
    "description",
    "license",
    "author",
    "references",
    "date",
    "modified",
    "logsource",
    "detection",
    "fields",
    "falsepositives",
    "level",
    "tags",
    "scope",
    "regression_tests_path",
    "simulation",
    "dropcause",
    "tests",
];

/// A rule ready to match.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub info: Arc<RuleInfo>,
    pub scope: Scope,
    pub searches: Vec<Search>,
    pub cond: Cond,
    pub tests: Vec<SelfTest>,
    /// Where the `id` value is (for duplicate-id reports).
    pub id_loc: Loc,
    /// `service: x` / `category: y` as written, for listings.
    pub logsource: String,
}

impl CompiledRule {
    /// True when the event is in the rule's logsource and satisfies its condition.
    pub fn matches(&self, event: &Event) -> bool {
        self.truth(event) == Some(true)
    }

    /// Whether the event is in the rule's logsource and satisfies its condition; `None`
    /// when `src` cannot tell.
    pub fn truth<L: Lookup>(&self, src: &L) -> Option<bool> {
        match self.in_scope(src) {
            Some(false) => Some(false),
            scope => {
                let cond = self.cond.truth(&|i| self.searches[i].truth(src));
                condition::all([scope, cond].into_iter())
            }
        }
    }

    /// True when a record sketch cannot decide this rule: its condition stays unknown with
    /// the searches no sketch can tell unknown, whether the others are all true or all false.
    pub fn blind_to_sketches(&self) -> bool {
        let undecided = |others: bool| {
            self.cond
                .truth(&|i| (!self.searches[i].blind_to_sketches()).then_some(others))
                .is_none()
        };
        undecided(true) && undecided(false)
    }

    /// The data fields the rule's searches test by plain equality only (candidates for a
    /// [`super::gate::Gates`] gate).
    pub fn equality_fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.searches
            .iter()
            .for_each(|s| s.equality_fields(&mut out));
        out
    }

    fn in_scope<L: Lookup>(&self, src: &L) -> Option<bool> {
        let channel = || {
            src.with_values(&FieldKey::Channel, |[channel, _]| {
                let channel = channel.map(|c| c.text()).unwrap_or_default();
                self.scope
                    .channels
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&channel))
            })
        };
        let event_id = |ids: &Vec<u16>| {
            src.with_values(&FieldKey::EventId, |[id, _]| {
                id.and_then(|v| v.int())
                    .is_some_and(|id| ids.iter().any(|i| i64::from(*i) == id))
            })
        };
        condition::all(
            [
                (!self.scope.channels.is_empty()).then(channel),
                self.scope.event_ids.as_ref().map(event_id),
            ]
            .into_iter()
            .flatten(),
        )
    }
}

/// What compiling one rule file gave: the rule, unless a problem keeps it from
/// loading, and every problem found, in file order.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub rule: Option<CompiledRule>,
    pub problems: Vec<Located>,
}

/// Compiles one rule file's text, finding every problem it can in one pass: each
/// top-level key, the level, the logsource, each detection item, each condition,
/// each `dropcause:` key and the tests are checked even after an earlier one failed.
pub(crate) fn compile(path: &Path, text: &str) -> Outcome {
    let mut found = Found::default();
    let rule = compile_into(path, text, &mut found);
    let rule = rule.filter(|_| !found.blocking());
    let mut problems = found.0;
    problems.sort_by_key(|p| p.loc.unwrap_or((usize::MAX, 0)));
    Outcome { rule, problems }
}

fn compile_into(path: &Path, text: &str, found: &mut Found) -> Option<CompiledRule> {
    let doc = found.keep(yaml::parse(text))?;
    let top = found.keep(doc.expect_map("the rule"))?;
    if !top_keys(top, found) {
        return None;
    }
    let mut need = |key: &str| {
        let node = doc.get(key);
        if node.is_none() {
            found.push(Located::at(doc.loc, RuleError::Missing(key.to_string())));
        }
        node
    };
    let (title, id_node, logsource, detection) = (
        need("title"),
        need("id"),
        need("logsource"),
        need("detection"),
    );
    let title = title.and_then(|n| found.keep(n.expect_str("title")));
    let id = id_node.and_then(|n| {
        let id = n.scalar_text();
        if id.is_none() {
            found.push(n.wrong("id", "a string"));
        }
        id
    });
    let (status, tags) = check_text_keys(&doc, found);
    let description = doc
        .get("description")
        .and_then(|n| n.scalar_text())
        .unwrap_or_default();
    let references = match doc.get("references") {
        Some(n) => found.keep(n.expect_strings("references")),
        None => Some(Vec::new()),
    };
    let level = match doc.get("level") {
        None => Some(Level::default()),
        Some(n) => found.keep(parse_level(n)),
    };
    let logsource = logsource.and_then(|n| found.keep(compile_logsource(n)));
    let detection = detection.and_then(|n| compile_detection(n, text, found));
    let extension = match doc.get("dropcause") {
        Some(n) => extension_block::parse(n, found).map(Some),
        None => Some(None),
    };
    let tests = match doc.get("tests") {
        Some(n) => found.keep(selftest::parse(n, path)),
        None => Some(Vec::new()),
    };
    if let (Some(_), Some(tests)) = (doc.get("dropcause"), &tests) {
        check_tested(top, tests, found);
    }
    if found.blocking() {
        return None;
    }
    let ((scope, logsource), (searches, cond)) = (logsource?, detection?);
    let info = Arc::new(RuleInfo {
        id: id?.into(),
        title: title?.into(),
        description,
        level: level?,
        references: references?,
        status,
        tags,
        extension: extension?,
        path: path.to_path_buf(),
    });
    Some(CompiledRule {
        info,
        scope,
        searches,
        cond,
        tests: tests?,
        id_loc: id_node?.loc,
        logsource,
    })
}

/// The descriptive keys hold text, or lists of it; returns the status and the tags.
fn check_text_keys(doc: &Node, found: &mut Found) -> (Option<String>, Vec<String>) {
    for key in ["status", "description", "author", "license", "name"] {
        if let Some(n) = doc.get(key)
            && !matches!(n.value, Value::Str(_) | Value::Null)
        {
            found.push(n.wrong(key, "a string"));
        }
    }
    for key in ["tags", "falsepositives", "fields"] {
        if let Some(n) = doc.get(key) {
            found.keep(n.expect_strings(key));
        }
    }
    let status = doc.get("status").and_then(|n| n.scalar_text());
    let tags = doc.get("tags").and_then(|n| n.expect_strings("tags").ok());
    (status, tags.unwrap_or_default())
}

/// Checks every top-level key; false (with only that skip kept) for a kind of rule
/// this engine does not run, whatever else is wrong with it.
fn top_keys(top: &[(Node, Node)], found: &mut Found) -> bool {
    for (k, _) in top {
        let Some(key) = found.keep(k.expect_str("a top-level key")) else {
            continue;
        };
        let why = match key {
            "correlation" => "correlation rules are not evaluated (single-event matching only)",
            "filter" => "Sigma meta filters are not applied",
            "action" => "rule collections (`action:`) are not supported",
            _ if KNOWN_KEYS.contains(&key) => continue,
            _ => {
                let e = Located::at(k.loc, RuleError::UnknownKey(key.to_string()));
                found.push(e.suggest(key, KNOWN_KEYS.iter().copied()));
                continue;
            }
        };
        found.0 = vec![skip(k.loc, why)];
        return false;
    }
    true
}

/// A rule with a `dropcause:` block needs a `match` and a `no_match` self-test: the
/// problem is placed at its `tests:` key, or its `dropcause:` key when it has none.
fn check_tested(top: &[(Node, Node)], tests: &[SelfTest], found: &mut Found) {
    if tests.iter().any(|t| t.expect_match) && tests.iter().any(|t| !t.expect_match) {
        return;
    }
    let at = ["tests", "dropcause"]
        .iter()
        .find_map(|name| {
            top.iter()
                .find(|(k, _)| k.value == Value::Str(name.to_string()))
        })
        .and_then(|(k, _)| k.loc);
    found.push(Located::at(at, RuleError::Untested));
}

fn skip(loc: Loc, why: &str) -> Located {
    Located::at(loc, RuleError::Unsupported(why.to_string()))
}

fn parse_level(n: &Node) -> Result<Level, Located> {
    let s = n.expect_str("level")?;
    one_of(n, "level", s, &Level::ALL.map(|l| (l.as_str(), l)))
}

fn compile_logsource(node: &Node) -> Result<(Scope, String), Located> {
    let entries = node.expect_map("logsource")?;
    let mut parts = [None, None, None];
    let mut shown = Vec::new();
    for (k, v) in entries {
        let key = k.expect_str("a logsource key")?;
        let slot = match key {
            "product" => Some(0),
            "service" => Some(1),
            "category" => Some(2),
            _ => None, // `definition` and custom keys describe, they do not select
        };
        let text = v.expect_str(&format!("logsource.{key}"))?;
        if let Some(i) = slot {
            parts[i] = Some(text);
            if i > 0 {
                shown.push(format!("{key}: {text}"));
            }
        }
    }
    let scope =
        logsource::resolve(parts[0], parts[1], parts[2]).map_err(|e| Located::at(node.loc, e))?;
    Ok((scope, shown.join(", ")))
}

/// The searches and the condition of `detection`, every search and condition checked.
fn compile_detection(node: &Node, text: &str, found: &mut Found) -> Option<(Vec<Search>, Cond)> {
    let entries = found.keep(node.expect_map("detection"))?;
    let mut names = Vec::new();
    let mut searches = Vec::new();
    let mut condition = None;
    for (k, v) in entries {
        let Some(name) = k.scalar_text() else {
            found.push(k.wrong("a search identifier", "a string"));
            continue;
        };
        match name.as_str() {
            "condition" => condition = Some(v),
            "timeframe" => {
                found.push(skip(
                    k.loc,
                    "`timeframe` needs correlation, which is not evaluated",
                ));
            }
            _ => {
                let search = compile_search(&name, v, text);
                searches.push(search.map_err(|e| found.0.extend(e)).ok());
                names.push(name);
            }
        }
    }
    let Some(cond_node) = condition else {
        found.push(Located::at(
            node.loc,
            RuleError::Missing("detection.condition".into()),
        ));
        return None;
    };
    let texts: Vec<&Node> = match &cond_node.value {
        Value::Seq(items) if !items.is_empty() => items.iter().collect(),
        Value::Str(_) => vec![cond_node],
        _ => {
            found.push(cond_node.wrong("condition", "a string or a list of strings"));
            return None;
        }
    };
    let mut conds = Vec::new();
    for n in texts {
        let Some(s) = found.keep(n.expect_str("condition")) else {
            continue;
        };
        match condition::parse(s, &names) {
            Ok(c) => conds.push(c),
            Err(e) => {
                let mut located = Located::at(n.offset_loc(s, e.offset, text), e.error);
                if let RuleError::UnknownIdentifier(w) = &located.error {
                    let w = w.clone();
                    located = located.suggest(&w, names.iter().map(String::as_str));
                }
                found.push(located);
            }
        }
    }
    let searches = searches.into_iter().collect::<Option<Vec<_>>>()?;
    let cond = match conds.len() {
        0 => return None,
        1 => conds.remove(0),
        _ => Cond::Or(conds),
    };
    Some((searches, cond))
}
