//! Reads the `dropcause:` block into an [`Extension`], each error at its key or value.

use super::error::{Located, RuleError};
use super::extension::{Category, Extension, Role, Step, Window, duration_text};
use super::found::{Found, one_of};
use super::yaml::{Node, Value};
use std::sync::Arc;
use std::time::Duration;

fn bad(n: &Node, msg: String) -> Located {
    Located::at(n.loc, RuleError::BadExtension(msg))
}

/// The keys a `dropcause:` block may have.
const KEYS: [&str; 8] = [
    "role", "category", "step", "window", "keys", "explain", "fix", "says_why",
];

const ROLES: [(&str, Role); 4] = [
    ("cause", Role::Cause),
    ("drop", Role::Drop),
    ("lifecycle", Role::Lifecycle),
    ("context", Role::Context),
];

/// Parses the block, keeping every key's error in `found`; `None` when any was wrong.
pub(crate) fn parse(node: &Node, found: &mut Found) -> Option<Extension> {
    let entries = found.keep(node.expect_map("dropcause"))?;
    let mut role = None;
    let mut ext = Extension {
        role: Role::Context,
        category: None,
        step: None,
        window: Window::default(),
        keys: Vec::new(),
        explain: None,
        fix: None,
        says_why: false,
    };
    let mut step_node = None;
    let mut says_why_node = None;
    let before = found.0.len();
    let categories = Category::ALL.map(|c| (c.as_str(), c));
    let steps = Step::ALL.map(|s| (s.as_str(), s));
    for (k, v) in entries {
        let Some(key) = found.keep(k.expect_str("a dropcause key")) else {
            continue;
        };
        match key {
            "role" => role = found.keep(named(v, "dropcause.role", &ROLES)),
            "category" => ext.category = found.keep(named(v, "dropcause.category", &categories)),
            "step" => {
                ext.step = found.keep(named(v, "dropcause.step", &steps));
                step_node = Some(v);
            }
            "window" => ext.window = found.keep(parse_window(v)).unwrap_or_default(),
            "keys" => {
                ext.keys = found
                    .keep(v.expect_strings("dropcause.keys"))
                    .unwrap_or_default()
            }
            "explain" => {
                ext.explain = found
                    .keep(v.expect_str("dropcause.explain"))
                    .map(str::to_string)
            }
            "fix" => ext.fix = found.keep(v.expect_str("dropcause.fix")).map(Arc::from),
            "says_why" => {
                ext.says_why = found
                    .keep(v.expect_bool("dropcause.says_why"))
                    .unwrap_or_default();
                says_why_node = Some(v);
            }
            other => {
                let e = bad(
                    k,
                    format!("unknown key `{other}` (known: {})", KEYS.join(", ")),
                );
                found.push(e.suggest(other, KEYS));
            }
        }
    }
    if found.0.len() > before {
        return None;
    }
    let Some(role) = role else {
        found.push(bad(
            node,
            "missing `role` (cause, drop, lifecycle or context)".into(),
        ));
        return None;
    };
    ext.role = role;
    let wrong = misplaced(node, &ext, step_node, says_why_node);
    match wrong {
        Some((n, why)) => {
            found.push(bad(n, why.into()));
            None
        }
        None => Some(ext),
    }
}

/// A key the block's role or other keys rule out, with why: a cause without a
/// category, a lifecycle rule without a step, a step or `says_why` where it has no
/// meaning.
fn misplaced<'a>(
    node: &'a Node,
    ext: &Extension,
    step_node: Option<&'a Node>,
    says_why_node: Option<&'a Node>,
) -> Option<(&'a Node, &'static str)> {
    let says_why = says_why_node.filter(|_| ext.says_why);
    if ext.role == Role::Cause && ext.category.is_none() {
        Some((node, "a cause needs a `category`"))
    } else if ext.role == Role::Lifecycle && ext.step.is_none() {
        Some((node, "a lifecycle rule needs a `step`"))
    } else if let Some(n) = says_why.filter(|_| ext.role != Role::Drop) {
        Some((n, "`says_why` is for drop rules only"))
    } else if let Some(n) = says_why.filter(|_| ext.category.is_none()) {
        Some((
            n,
            "`says_why` needs a `category`: what the record says the cause is",
        ))
    } else {
        step_node
            .filter(|_| matches!(ext.role, Role::Cause | Role::Context))
            .map(|n| (n, "`step` is for lifecycle and drop rules only"))
    }
}

/// The value a string node names among `names`.
fn named<T: Copy>(v: &Node, key: &str, names: &[(&str, T)]) -> Result<T, Located> {
    one_of(v, key, v.expect_str(key)?, names)
}

fn parse_window(v: &Node) -> Result<Window, Located> {
    let mut w = Window::default();
    for (k, d) in v.expect_map("dropcause.window")? {
        let slot = match k.expect_str("a window key")? {
            "before" => &mut w.before,
            "after" => &mut w.after,
            other => {
                let e = bad(k, format!("unknown window key `{other}` (before, after)"));
                return Err(e.suggest(other, ["before", "after"]));
            }
        };
        *slot = parse_duration(d)?;
    }
    Ok(w)
}

fn parse_duration(d: &Node) -> Result<Duration, Located> {
    match &d.value {
        Value::Int(s) if *s >= 0 => Ok(Duration::from_secs(*s as u64)),
        Value::Str(s) => duration_text::parse(s).map_err(|e| bad(d, e.to_string())),
        _ => Err(d.wrong("a window duration", "a duration like 90s, 2m or 1h30m")),
    }
}
