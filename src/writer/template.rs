//! Template definitions as element trees, and the two kinds the writer uses:
//! Windows' `<System>` template and the per-event data templates.

use super::hash::stable_guid;
use super::value_type::ValueType;
use std::fmt::Write as _;

/// The XML namespace of every event's root element.
pub const EVENT_NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

/// Positions of the `System` values in the outer template instance (the layout
/// Windows uses for manifest events; [`sys::EVENT_SOURCE`] is ours, for classic events).
pub mod sys {
    /// `Level` (UInt8).
    pub const LEVEL: usize = 0;
    /// `Opcode` (UInt8).
    pub const OPCODE: usize = 1;
    /// `Task` (UInt16).
    pub const TASK: usize = 2;
    /// `EventID` (UInt16).
    pub const EVENT_ID: usize = 3;
    /// `EventID/@Qualifiers` (UInt16).
    pub const QUALIFIERS: usize = 4;
    /// `Keywords` (HexInt64).
    pub const KEYWORDS: usize = 5;
    /// `TimeCreated/@SystemTime` (FILETIME).
    pub const TIME: usize = 6;
    /// `Correlation/@ActivityID` (GUID).
    pub const ACTIVITY: usize = 7;
    /// `Execution/@ProcessID` (UInt32).
    pub const PROCESS: usize = 8;
    /// `Execution/@ThreadID` (UInt32).
    pub const THREAD: usize = 9;
    /// `EventRecordID` (UInt64).
    pub const RECORD_ID: usize = 10;
    /// `Version` (UInt8).
    pub const VERSION: usize = 11;
    /// `Security/@UserID` (SID).
    pub const USER: usize = 12;
    /// `Correlation/@RelatedActivityID` (GUID).
    pub const RELATED: usize = 13;
    /// `Provider/@Name` (String).
    pub const PROVIDER: usize = 14;
    /// `Provider/@Guid` (GUID).
    pub const PROVIDER_GUID: usize = 15;
    /// `Channel` (String).
    pub const CHANNEL: usize = 16;
    /// The event's data part (BinXml).
    pub const DATA: usize = 17;
    /// `Provider/@EventSourceName` (String), only in the classic variant.
    pub const EVENT_SOURCE: usize = 18;
}

/// A substitution: "insert value `index` here".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subst {
    /// Which value of the instance.
    pub index: u16,
    /// The type announced in the token.
    pub ty: ValueType,
    /// Optional substitutions vanish when their value is Null.
    pub optional: bool,
}

/// A node of a template body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Literal text.
    Text(String),
    /// A substituted value.
    Subst(Subst),
}

/// The value of an attribute: literal text or a substitution.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AttrValue {
    /// Literal text.
    Text(String),
    /// A substituted value.
    Subst(Subst),
}

/// An element of a template body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Element {
    /// The element name.
    pub name: String,
    /// Attributes in order.
    pub attrs: Vec<(String, AttrValue)>,
    /// Child nodes in order.
    pub children: Vec<Node>,
    /// The value whose absence removes this element (MS-EVEN6 dependency id).
    pub dependency: Option<u16>,
}

impl Element {
    /// An element with no attributes or children.
    pub fn new(name: &str) -> Self {
        Element {
            name: name.to_string(),
            attrs: Vec::new(),
            children: Vec::new(),
            dependency: None,
        }
    }

    /// Adds a literal attribute.
    pub fn attr(mut self, name: &str, text: &str) -> Self {
        self.attrs
            .push((name.to_string(), AttrValue::Text(text.to_string())));
        self
    }

    /// Adds an optional substituted attribute.
    pub fn attr_subst(mut self, name: &str, index: usize, ty: ValueType) -> Self {
        self.attrs
            .push((name.to_string(), AttrValue::Subst(subst(index, ty, true))));
        self
    }

    /// Adds a child node.
    pub fn child(mut self, node: Node) -> Self {
        self.children.push(node);
        self
    }

    /// Makes the element's content value `index`, removing the element when
    /// an optional value is Null.
    pub fn content(mut self, index: usize, ty: ValueType, optional: bool) -> Self {
        self.children.push(Node::Subst(subst(index, ty, optional)));
        if optional {
            self.dependency = u16::try_from(index).ok();
        }
        self
    }
}

/// The highest substitution index used in `e` and below.
fn max_index(e: &Element) -> Option<u16> {
    let attrs = e.attrs.iter().filter_map(|(_, v)| match v {
        AttrValue::Subst(s) => Some(s.index),
        AttrValue::Text(_) => None,
    });
    let children = e.children.iter().filter_map(|c| match c {
        Node::Element(c) => max_index(c),
        Node::Subst(s) => Some(s.index),
        Node::Text(_) => None,
    });
    attrs.chain(children).max()
}

fn subst(index: usize, ty: ValueType, optional: bool) -> Subst {
    Subst {
        index: u16::try_from(index).unwrap_or(u16::MAX),
        ty,
        optional,
    }
}

/// A template definition: its GUID and its single root element.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Template {
    /// Identity of the template shape (derived from the shape itself).
    pub guid: [u8; 16],
    /// The root element.
    pub root: Element,
    /// How many values an instance must give (highest substitution index + 1).
    pub values_needed: usize,
}

impl Template {
    /// A template whose GUID is derived from `root`, so equal shapes share it.
    pub fn new(root: Element) -> Self {
        let mut key = String::new();
        let _ = write!(key, "{root:?}");
        Template {
            guid: stable_guid(&key),
            values_needed: max_index(&root).map_or(0, |i| usize::from(i) + 1),
            root,
        }
    }

    /// The template id written in instances: the GUID's first four bytes.
    pub fn id(&self) -> u32 {
        u32::from_le_bytes([self.guid[0], self.guid[1], self.guid[2], self.guid[3]])
    }
}

/// Windows' standard `<Event>` template: `System` fully substituted (all values
/// optional) except `Computer`, which is literal; the data part is value 17,
/// wrapped in `<UserData>` when `user_data`. `classic` adds
/// `Provider/@EventSourceName` as value 18.
pub fn system_template(computer: &str, classic: bool, user_data: bool) -> Template {
    use ValueType as T;
    let mut provider = Element::new("Provider")
        .attr_subst("Name", sys::PROVIDER, T::String)
        .attr_subst("Guid", sys::PROVIDER_GUID, T::Guid);
    if classic {
        provider = provider.attr_subst("EventSourceName", sys::EVENT_SOURCE, T::String);
    }
    let system = Element::new("System")
        .child(Node::Element(provider))
        .child(Node::Element(
            Element::new("EventID")
                .attr_subst("Qualifiers", sys::QUALIFIERS, T::UInt16)
                .content(sys::EVENT_ID, T::UInt16, true),
        ))
        .child(leaf("Version", sys::VERSION, T::UInt8))
        .child(leaf("Level", sys::LEVEL, T::UInt8))
        .child(leaf("Task", sys::TASK, T::UInt16))
        .child(leaf("Opcode", sys::OPCODE, T::UInt8))
        .child(leaf("Keywords", sys::KEYWORDS, T::HexInt64))
        .child(Node::Element(Element::new("TimeCreated").attr_subst(
            "SystemTime",
            sys::TIME,
            T::FileTime,
        )))
        .child(leaf("EventRecordID", sys::RECORD_ID, T::UInt64))
        .child(Node::Element(
            Element::new("Correlation")
                .attr_subst("ActivityID", sys::ACTIVITY, T::Guid)
                .attr_subst("RelatedActivityID", sys::RELATED, T::Guid),
        ))
        .child(Node::Element(
            Element::new("Execution")
                .attr_subst("ProcessID", sys::PROCESS, T::UInt32)
                .attr_subst("ThreadID", sys::THREAD, T::UInt32),
        ))
        .child(leaf("Channel", sys::CHANNEL, T::String))
        .child(Node::Element(
            Element::new("Computer").child(Node::Text(computer.to_string())),
        ))
        .child(Node::Element(Element::new("Security").attr_subst(
            "UserID",
            sys::USER,
            T::Sid,
        )));
    let data = if user_data {
        Node::Element(Element::new("UserData").content(sys::DATA, T::BinXml, true))
    } else {
        Node::Subst(subst(sys::DATA, T::BinXml, true))
    };
    Template::new(
        Element::new("Event")
            .attr("xmlns", EVENT_NS)
            .child(Node::Element(system))
            .child(data),
    )
}

fn leaf(name: &str, index: usize, ty: ValueType) -> Node {
    Node::Element(Element::new(name).content(index, ty, true))
}

/// How the data part of an event is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataShape {
    /// `EventData/Data[@Name]` (a field named `Binary` becomes `<Binary>`).
    Named,
    /// Classic `EventData`: unnamed `<Data>` elements (one string-array value)
    /// and an optional `<Binary>`.
    Unnamed,
    /// `UserData/<element xmlns=...>/<field>`.
    UserData {
        /// The wrapper element, e.g. `EventXML`.
        element: &'static str,
        /// Its namespace, e.g. `Event_NS`.
        xmlns: &'static str,
    },
}

/// The data template of an event with the given shape and `(name, type)`
/// fields. For [`DataShape::Unnamed`], value 0 is the string array of all
/// non-`Binary` fields (omitted when there are none) and `Binary` follows.
pub fn data_template(shape: DataShape, fields: &[(&str, ValueType)]) -> Template {
    let mut root = match shape {
        DataShape::Named | DataShape::Unnamed => Element::new("EventData"),
        DataShape::UserData { element, xmlns } => Element::new(element).attr("xmlns", xmlns),
    };
    let mut next = 0usize;
    let has_params = fields.iter().any(|(n, _)| *n != "Binary");
    if shape == DataShape::Unnamed && has_params {
        root = root.child(Node::Element(Element::new("Data").content(
            0,
            ValueType::StringArray,
            false,
        )));
        next = 1;
    }
    for (name, ty) in fields {
        let element = match shape {
            _ if *name == "Binary" && !matches!(shape, DataShape::UserData { .. }) => {
                Element::new("Binary")
            }
            DataShape::Unnamed => continue,
            DataShape::Named => Element::new("Data").attr("Name", name),
            DataShape::UserData { .. } => Element::new(name),
        };
        root = root.child(Node::Element(element.content(next, *ty, false)));
        next += 1;
    }
    Template::new(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_shapes_share_a_guid_and_different_ones_do_not() {
        let a = system_template("RDS01", false, true);
        let b = system_template("RDS01", false, true);
        let c = system_template("RDS02", false, true);
        assert_eq!(a.guid, b.guid);
        assert_ne!(a.guid, c.guid);
        assert_eq!(a.id(), u32::from_le_bytes(a.guid[..4].try_into().unwrap()));
    }

    #[test]
    fn unnamed_shape_packs_parameters_into_one_array_before_binary() {
        let t = data_template(
            DataShape::Unnamed,
            &[
                ("param1", ValueType::String),
                ("param2", ValueType::String),
                ("Binary", ValueType::Binary),
            ],
        );
        let names: Vec<_> = t
            .root
            .children
            .iter()
            .filter_map(|n| match n {
                Node::Element(e) => Some(e.name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["Data", "Binary"]);
    }
}
