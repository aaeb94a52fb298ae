//! Reads the `dropcause:` block into an [`Extension`], each error at its key or value.

use super::error::{Located, RuleError};
use super::extension::{Category, Extension, Role, Step, Window, duration_text};
use super::yaml::{Node, Value};
use std::time::Duration;

fn bad(n: &Node, msg: String) -> Located {
    Located::at(n.loc, RuleError::BadExtension(msg))
}

/// Parses the block.
pub(crate) fn parse(node: &Node) -> Result<Extension, Located> {
    let entries = node.expect_map("dropcause")?;
    let mut role = None;
    let mut ext = Extension {
        role: Role::Context,
        category: None,
        step: None,
        window: Window::default(),
        keys: Vec::new(),
        explain: None,
        fix: None,
    };
    let mut step_node = None;
    for (k, v) in entries {
        let key = k.expect_str("a dropcause key")?;
        match key {
            "role" => role = Some(parse_role(v)?),
            "category" => {
                let s = v.expect_str("dropcause.category")?;
                ext.category = Some(s.parse::<Category>().map_err(|e| bad(v, e))?);
            }
            "step" => {
                ext.step = Some(parse_step(v)?);
                step_node = Some(v);
            }
            "window" => ext.window = parse_window(v)?,
            "keys" => ext.keys = v.expect_strings("dropcause.keys")?,
            "explain" => ext.explain = Some(v.expect_str("dropcause.explain")?.to_string()),
            "fix" => ext.fix = Some(v.expect_str("dropcause.fix")?.to_string()),
            other => {
                return Err(bad(
                    k,
                    format!(
                        "unknown key `{other}` (known: role, category, step, window, keys, explain, fix)"
                    ),
                ));
            }
        }
    }
    ext.role = role.ok_or_else(|| {
        bad(
            node,
            "missing `role` (cause, drop, lifecycle or context)".into(),
        )
    })?;
    if ext.role == Role::Cause && ext.category.is_none() {
        return Err(bad(node, "a cause needs a `category`".into()));
    }
    if ext.role == Role::Lifecycle && ext.step.is_none() {
        return Err(bad(node, "a lifecycle rule needs a `step`".into()));
    }
    if let Some(n) = step_node.filter(|_| matches!(ext.role, Role::Cause | Role::Context)) {
        return Err(bad(n, "`step` is for lifecycle and drop rules only".into()));
    }
    Ok(ext)
}

fn parse_role(v: &Node) -> Result<Role, Located> {
    match v.expect_str("dropcause.role")? {
        "cause" => Ok(Role::Cause),
        "drop" => Ok(Role::Drop),
        "lifecycle" => Ok(Role::Lifecycle),
        "context" => Ok(Role::Context),
        other => Err(bad(
            v,
            format!("unknown role `{other}` (cause, drop, lifecycle, context)"),
        )),
    }
}

fn parse_step(v: &Node) -> Result<Step, Located> {
    const STEPS: [(&str, Step); 7] = [
        ("connect", Step::Connect),
        ("auth", Step::Auth),
        ("logon", Step::Logon),
        ("reconnect", Step::Reconnect),
        ("disconnect", Step::Disconnect),
        ("logoff", Step::Logoff),
        ("refused", Step::Refused),
    ];
    let s = v.expect_str("dropcause.step")?;
    STEPS.iter().find(|(n, _)| *n == s).map(|(_, st)| *st).ok_or_else(|| {
        bad(v, format!("unknown step `{s}` (connect, auth, logon, reconnect, disconnect, logoff, refused)"))
    })
}

fn parse_window(v: &Node) -> Result<Window, Located> {
    let mut w = Window::default();
    for (k, d) in v.expect_map("dropcause.window")? {
        let slot = match k.expect_str("a window key")? {
            "before" => &mut w.before,
            "after" => &mut w.after,
            other => {
                return Err(bad(
                    k,
                    format!("unknown window key `{other}` (before, after)"),
                ));
            }
        };
        *slot = parse_duration(d)?;
    }
    Ok(w)
}

fn parse_duration(d: &Node) -> Result<Duration, Located> {
    match &d.value {
        Value::Int(s) if *s >= 0 => Ok(Duration::from_secs(*s as u64)),
        Value::Str(s) => duration_text::parse(s).map_err(|e| bad(d, e)),
        _ => Err(d.wrong("a window duration", "a duration like 90s, 2m or 1h30m")),
    }
}
