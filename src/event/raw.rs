//! Typed deserialization of the JSON the `evtx` crate renders for a record,
//! straight into event parts: no intermediate `serde_json::Value` tree.
//!
//! The shapes handled: attributes inline under `#attributes`, element text
//! under `#text` when an element also has attributes, `EventData` with named
//! fields or unnamed `Data` (a list under `#text`), and `UserData/<Element>/*`.

use super::{FieldValue, Fields};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// `{"Event": {...}}`.
#[derive(Deserialize)]
pub(crate) struct RawRoot {
    #[serde(rename = "Event")]
    pub event: RawEvent,
}

/// The `Event` element.
#[derive(Deserialize)]
pub(crate) struct RawEvent {
    #[serde(rename = "System")]
    pub system: Option<RawSystem>,
    #[serde(rename = "EventData", default)]
    pub event_data: Option<EventData>,
    #[serde(rename = "UserData", default)]
    pub user_data: Option<UserData>,
}

/// The `System` element, only the parts the model keeps.
#[derive(Deserialize)]
pub(crate) struct RawSystem {
    #[serde(rename = "Provider")]
    pub provider: Option<Attributes<ProviderAttrs>>,
    #[serde(rename = "EventID")]
    pub event_id: Option<Node>,
    #[serde(rename = "Level")]
    pub level: Option<Node>,
    #[serde(rename = "TimeCreated")]
    pub time_created: Option<Attributes<TimeAttrs>>,
    #[serde(rename = "EventRecordID")]
    pub record_id: Option<Node>,
    #[serde(rename = "Correlation")]
    pub correlation: Option<Attributes<CorrelationAttrs>>,
    #[serde(rename = "Channel")]
    pub channel: Option<Node>,
    #[serde(rename = "Computer")]
    pub computer: Option<Node>,
    #[serde(rename = "Security")]
    pub security: Option<Attributes<SecurityAttrs>>,
}

/// An element whose attributes we read: `{"#attributes": {...}}`.
#[derive(Deserialize)]
pub(crate) struct Attributes<T> {
    #[serde(rename = "#attributes")]
    pub attrs: Option<T>,
}

#[derive(Deserialize)]
pub(crate) struct ProviderAttrs {
    #[serde(rename = "Name")]
    pub name: Option<String>,
    #[serde(rename = "EventSourceName")]
    pub event_source: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct TimeAttrs {
    #[serde(rename = "SystemTime")]
    pub system_time: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct CorrelationAttrs {
    #[serde(rename = "ActivityID")]
    pub activity_id: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct SecurityAttrs {
    #[serde(rename = "UserID")]
    pub user_id: Option<String>,
}

/// Any JSON value, reduced to what an event field can be: a scalar, or an
/// element with optional text, attributes (kept for `EventID@Qualifiers`) and children.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// A scalar (arrays of scalars are joined with ", ").
    Scalar(FieldValue),
    /// An object.
    Element {
        text: Option<Box<Node>>,
        attributes: Vec<(String, FieldValue)>,
        children: Vec<(String, Node)>,
    },
    /// A list of nodes (unnamed `Data` elements).
    List(Vec<Node>),
}

impl Node {
    /// The node's value: a scalar, or an element's text.
    pub fn value(&self) -> Option<&FieldValue> {
        match self {
            Node::Scalar(v) => Some(v),
            Node::Element { text: Some(t), .. } => t.value(),
            _ => None,
        }
    }

    /// An attribute of an element.
    pub fn attribute(&self, name: &str) -> Option<&FieldValue> {
        match self {
            Node::Element { attributes, .. } => {
                attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// The node as one field value (lists joined with ", ").
    fn into_value(self) -> FieldValue {
        match self {
            Node::Scalar(v) => v,
            Node::List(items) => FieldValue::Str(
                items
                    .into_iter()
                    .map(|n| n.into_value().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Node::Element { text: Some(t), .. } => t.into_value(),
            Node::Element { .. } => FieldValue::Null,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a rendered EVTX element")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Scalar(FieldValue::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Scalar(FieldValue::Int(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Scalar(FieldValue::UInt(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Scalar(FieldValue::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Scalar(FieldValue::Str(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Scalar(FieldValue::Str(v)))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(FieldValue::Null))
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(FieldValue::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let (mut text, mut attributes, mut children) = (None, Vec::new(), Vec::new());
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "#text" => text = Some(Box::new(map.next_value::<Node>()?)),
                "#attributes" => attributes = map.next_value::<AttrList>()?.0,
                _ => children.push((key, map.next_value::<Node>()?)),
            }
        }
        Ok(Node::Element {
            text,
            attributes,
            children,
        })
    }
}

/// `#attributes` as a list of (name, scalar).
struct AttrList(Vec<(String, FieldValue)>);

impl<'de> Deserialize<'de> for AttrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AttrList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an attribute map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttrList, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    out.push((key, map.next_value::<Node>()?.into_value()));
                }
                Ok(AttrList(out))
            }
            fn visit_unit<E>(self) -> Result<AttrList, E> {
                Ok(AttrList(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `EventData`, flattened: named data keep their names, unnamed `Data`
/// become `param1..n`, `Binary` stays `Binary`.
pub(crate) struct EventData(pub Fields);

impl<'de> Deserialize<'de> for EventData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EventData;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("EventData")
            }
            fn visit_unit<E>(self) -> Result<EventData, E> {
                Ok(EventData(Fields::new()))
            }
            fn visit_str<E>(self, v: &str) -> Result<EventData, E> {
                let mut fields = Fields::new();
                fields.push("param1", FieldValue::Str(v.to_owned()));
                Ok(EventData(fields))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventData, A::Error> {
                let mut fields = Fields::new();
                let mut unnamed = 0;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "#attributes" => {
                            map.next_value::<IgnoredAny>()?;
                        }
                        "Data" => {
                            let node = map.next_value::<Node>()?;
                            push_unnamed(node, &mut unnamed, &mut fields);
                        }
                        _ => {
                            let node = map.next_value::<Node>()?;
                            push_node(&key, node, &mut fields);
                        }
                    }
                }
                Ok(EventData(fields))
            }
        }
        d.deserialize_any(V)
    }
}

/// `UserData/<Element>/*` flattened to the element's children.
pub(crate) struct UserData(pub Fields);

impl<'de> Deserialize<'de> for UserData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut fields = Fields::new();
        if let Node::Element { children, .. } = Node::deserialize(d)? {
            for (_, inner) in children {
                match inner {
                    Node::Element { children, .. } => {
                        for (name, node) in children {
                            push_node(&name, node, &mut fields);
                        }
                    }
                    // An empty element holds no data, as an empty `EventData` does.
                    Node::Scalar(FieldValue::Null) => {}
                    other => fields.push("param1", other.into_value()),
                }
            }
        }
        Ok(UserData(fields))
    }
}

fn push_unnamed(node: Node, counter: &mut usize, fields: &mut Fields) {
    let items = match node {
        Node::Element {
            text: Some(text), ..
        } => match *text {
            Node::List(items) => items,
            single => vec![single],
        },
        Node::Element { text: None, .. } => Vec::new(),
        Node::List(items) => items,
        Node::Scalar(FieldValue::Null) => Vec::new(),
        scalar => vec![scalar],
    };
    for item in items {
        *counter += 1;
        fields.push(format!("param{counter}"), item.into_value());
    }
}

/// A named field: its value, or for a nested element its children as `name.child`.
fn push_node(name: &str, node: Node, fields: &mut Fields) {
    match node {
        Node::Element {
            text: None,
            children,
            ..
        } => {
            for (child, inner) in children {
                push_node(&format!("{name}.{child}"), inner, fields);
            }
        }
        other => fields.push(name, other.into_value()),
    }
}

/// Reads a [`RawRoot`] from rendered JSON bytes.
pub(crate) fn parse(bytes: &[u8]) -> Result<RawRoot, serde_json::Error> {
    serde_json::from_slice(bytes)
}
