//! One rule file → a compiled rule: metadata ([`RuleInfo`]), logsource scope,
//! search identifiers, condition and self-tests.

use super::condition::{self, Cond};
use super::detection::{Search, compile_search};
use super::error::{Located, RuleError};
use super::extension::{Level, RuleInfo};
use super::extension_block;
use super::field::{FieldKey, Lookup};
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

/// Compiles one rule file's text.
pub(crate) fn compile(path: &Path, text: &str) -> Result<CompiledRule, Located> {
    let doc = yaml::parse(text)?;
    let top = doc.expect_map("the rule")?;
    for (k, _) in top {
        let key = k.expect_str("a top-level key")?;
        match key {
            "correlation" => {
                return Err(skip(
                    k.loc,
                    "correlation rules are not evaluated (single-event matching only)",
                ));
            }
            "filter" => return Err(skip(k.loc, "Sigma meta filters are not applied")),
            "action" => {
                return Err(skip(
                    k.loc,
                    "rule collections (`action:`) are not supported",
                ));
            }
            _ if KNOWN_KEYS.contains(&key) => {}
            _ => return Err(Located::at(k.loc, RuleError::UnknownKey(key.to_string()))),
        }
    }
    let need = |key: &str| {
        doc.get(key)
            .ok_or_else(|| Located::at(doc.loc, RuleError::Missing(key.to_string())))
    };
    let title = need("title")?.expect_str("title")?.to_string();
    let id_node = need("id")?;
    let id = id_node
        .scalar_text()
        .ok_or_else(|| id_node.wrong("id", "a string"))?;
    for key in ["status", "description", "author", "license", "name"] {
        if let Some(n) = doc.get(key)
            && !matches!(n.value, Value::Str(_) | Value::Null)
        {
            return Err(n.wrong(key, "a string"));
        }
    }
    for key in ["tags", "falsepositives", "fields"] {
        if let Some(n) = doc.get(key) {
            n.expect_strings(key)?;
        }
    }
    let description = doc
        .get("description")
        .and_then(|n| n.scalar_text())
        .unwrap_or_default();
    let references = doc
        .get("references")
        .map(|n| n.expect_strings("references"))
        .transpose()?
        .unwrap_or_default();
    let level = match doc.get("level") {
        None => Level::default(),
        Some(n) => parse_level(n)?,
    };
    let (scope, logsource_text) = compile_logsource(need("logsource")?)?;
    let detection = need("detection")?;
    let (searches, cond) = compile_detection(detection, text)?;
    let extension = doc
        .get("dropcause")
        .map(extension_block::parse)
        .transpose()?;
    let info = Arc::new(RuleInfo {
        id,
        title,
        description,
        level,
        references,
        extension,
        path: path.to_path_buf(),
    });
    let tests = match doc.get("tests") {
        Some(n) => selftest::parse(n, path)?,
        None => Vec::new(),
    };
    Ok(CompiledRule {
        info,
        scope,
        searches,
        cond,
        tests,
        id_loc: id_node.loc,
        logsource: logsource_text,
    })
}

fn skip(loc: Loc, why: &str) -> Located {
    Located::at(loc, RuleError::Unsupported(why.to_string()))
}

fn parse_level(n: &Node) -> Result<Level, Located> {
    const LEVELS: [(&str, Level); 5] = [
        ("informational", Level::Informational),
        ("low", Level::Low),
        ("medium", Level::Medium),
        ("high", Level::High),
        ("critical", Level::Critical),
    ];
    let s = n.expect_str("level")?;
    LEVELS
        .iter()
        .find(|(name, _)| *name == s)
        .map(|(_, l)| *l)
        .ok_or_else(|| n.wrong("level", "one of informational, low, medium, high, critical"))
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

fn compile_detection(node: &Node, text: &str) -> Result<(Vec<Search>, Cond), Located> {
    let entries = node.expect_map("detection")?;
    let mut names = Vec::new();
    let mut searches = Vec::new();
    let mut condition = None;
    for (k, v) in entries {
        let name = k
            .scalar_text()
            .ok_or_else(|| k.wrong("a search identifier", "a string"))?;
        match name.as_str() {
            "condition" => condition = Some(v),
            "timeframe" => {
                return Err(skip(
                    k.loc,
                    "`timeframe` needs correlation, which is not evaluated",
                ));
            }
            _ => {
                searches.push(compile_search(&name, v)?);
                names.push(name);
            }
        }
    }
    let cond_node = condition
        .ok_or_else(|| Located::at(node.loc, RuleError::Missing("detection.condition".into())))?;
    let texts: Vec<&Node> = match &cond_node.value {
        Value::Seq(items) if !items.is_empty() => items.iter().collect(),
        Value::Str(_) => vec![cond_node],
        _ => return Err(cond_node.wrong("condition", "a string or a list of strings")),
    };
    let mut conds = Vec::new();
    for n in texts {
        let s = n.expect_str("condition")?;
        let c = condition::parse(s, &names)
            .map_err(|e| Located::at(offset_loc(n, s, e.offset, text), e.error))?;
        conds.push(c);
    }
    let cond = if conds.len() == 1 {
        conds.remove(0)
    } else {
        Cond::Or(conds)
    };
    Ok((searches, cond))
}

/// The file position of character `offset` inside the scalar `node` (plain or quoted, one line).
fn offset_loc(node: &Node, value: &str, offset: usize, text: &str) -> Loc {
    let (line, col) = node.loc?;
    if value.contains('\n') {
        return node.loc;
    }
    let first = text.lines().nth(line - 1)?.chars().nth(col - 1)?;
    let quote = usize::from(first == '\'' || first == '"');
    Some((line, col + quote + offset))
}
