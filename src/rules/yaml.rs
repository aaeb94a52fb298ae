//! A YAML document as a tree of nodes that remember their line and column, read
//! with `serde-saphyr` under resource limits (size, depth, aliases).

use super::error::{Located, RuleError};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;
use std::sync::Arc;

/// Rule files larger than this are refused before parsing.
pub(crate) const MAX_FILE_BYTES: usize = 1 << 20;
/// How deeply mappings and sequences may nest in a rule file.
pub(crate) const MAX_DEPTH: usize = 32;

/// A 1-based line and column in a rule file.
pub(crate) type Loc = Option<(usize, usize)>;

/// One YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// Where the node starts.
    pub loc: Loc,
    /// What it holds.
    pub value: Value,
}

/// The content of a node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The node's type in words, for error messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The text of a scalar (strings as they are, numbers and booleans as written).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The node as a string, or a located "wrong type" error naming `what`.
    pub fn expect_str(&self, what: &str) -> Result<&str, Located> {
        match &self.value {
            Value::Str(s) => Ok(s),
            _ => Err(self.wrong(what, "a string")),
        }
    }

    /// The node as a boolean, or a located "wrong type" error naming `what`.
    pub fn expect_bool(&self, what: &str) -> Result<bool, Located> {
        match &self.value {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.wrong(what, "true or false")),
        }
    }

    /// The node as a mapping, or a located "wrong type" error naming `what`.
    pub fn expect_map(&self, what: &str) -> Result<&[(Node, Node)], Located> {
        match &self.value {
            Value::Map(m) => Ok(m),
            _ => Err(self.wrong(what, "a mapping")),
        }
    }

    /// A string or a list of strings (as Sigma allows for `references`, `tags`, ...).
    pub fn expect_strings(&self, what: &str) -> Result<Vec<String>, Located> {
        match &self.value {
            Value::Str(s) => Ok(vec![s.clone()]),
            Value::Null => Ok(Vec::new()),
            Value::Seq(items) => items
                .iter()
                .map(|n| n.scalar_text().ok_or_else(|| n.wrong(what, "a string")))
                .collect(),
            _ => Err(self.wrong(what, "a list of strings")),
        }
    }

    /// The file position of character `offset` inside this scalar, whose value is
    /// `value` and whose file is `text` (plain or quoted, one line; else the node's own
    /// position).
    pub fn offset_loc(&self, value: &str, offset: usize, text: &str) -> Loc {
        let (line, col) = self.loc?;
        if value.contains('\n') {
            return self.loc;
        }
        let first = text.lines().nth(line - 1)?.chars().nth(col - 1)?;
        let quote = usize::from(first == '\'' || first == '"');
        Some((line, col + quote + offset))
    }

    /// The "`what` must be `expected`, not ..." error at this node.
    pub fn wrong(&self, what: &str, expected: &'static str) -> Located {
        Located::at(
            self.loc,
            RuleError::WrongType {
                key: what.to_string(),
                expected,
                found: self.kind(),
            },
        )
    }

    /// The value under `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Parses one YAML document into a located tree.
pub(crate) fn parse(text: &str) -> Result<Node, Located> {
    if text.len() > MAX_FILE_BYTES {
        return Err(Located::at(
            None,
            RuleError::TooLarge {
                size: text.len(),
                limit: MAX_FILE_BYTES,
            },
        ));
    }
    // YAML 1.2 booleans only (`y`, `no`, `on` stay text) and numbers spelled
    // with leading zeros or underscores stay text, as rule authors mean them.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_documents: 1,
            max_aliases: 100,
            max_anchors: 100,
        },
    };
    match serde_saphyr::from_str_with_options::<Node>(text, options) {
        Ok(node) => Ok(node),
        Err(e) => {
            let loc = e
                .location()
                .filter(|l| l.line() > 0)
                .map(|l| (l.line() as usize, l.column() as usize));
            let message = plain_message(&e);
            let error = if message.contains("depth") {
                RuleError::TooDeep(MAX_DEPTH)
            } else {
                RuleError::Yaml {
                    message,
                    source: Arc::new(e),
                }
            };
            Err(Located::at(loc, error))
        }
    }
}

/// The error's message without the source snippet and location suffix.
fn plain_message(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("").trim();
    let cut = first.find(" at line ").unwrap_or(first.len());
    first[..cut].trim_end_matches(':').trim().to_string()
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        let at = spanned.referenced;
        let loc = (at.line() > 0).then(|| (at.line() as usize, at.column() as usize));
        Ok(Node {
            loc,
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| Value::Str(v.to_string()), Value::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| Value::Str(v.to_string()), Value::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| Value::Str(v.to_string()), Value::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_carry_their_line_and_column() {
        let doc = parse("title: x\ndetection:\n  sel:\n    EventID: 4624\n").expect("parses");
        let det = doc.get("detection").expect("detection");
        let sel = det.get("sel").expect("sel");
        let (k, v) = &sel.expect_map("sel").expect("map")[0];
        assert_eq!(k.loc, Some((4, 5)));
        assert_eq!(v.loc, Some((4, 14)));
        assert_eq!(v.value, Value::Int(4624));
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = parse("title: x\ndetection: [a, b\n").expect_err("bad yaml");
        assert!(matches!(err.error, RuleError::Yaml { .. }), "{err:?}");
        assert!(err.loc.is_some());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "a: ".to_string() + &"[".repeat(100) + &"]".repeat(100);
        let err = parse(&text).expect_err("too deep");
        assert!(matches!(err.error, RuleError::TooDeep(_)), "{err:?}");
    }
}
