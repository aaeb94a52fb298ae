//! Where a template's event data fields come from (`EventData/Data[@Name]`, unnamed `Data`,
//! other `EventData` children and `UserData/*/*`), and their values in one instance, exactly
//! as rendering and [`crate::event::from_json`] would give them.
//!
//! The template walk ([`super::walk`]) feeds a [`DataWalk`] with the elements, attributes
//! and content it meets inside `EventData` and `UserData`; the result is a [`DataPlan`]. A field
//! whose shape or value the plan does not model answers "cannot tell", and so does an absent
//! name unless the plan knows every field of the template.

use super::content::Content;
use super::vocab::{decode_utf16, guid_text, is_utf16, until_nul, value_type};
use crate::event::{
    EVENT_TEXT_MAX, FIELDS_MAX, FieldValue, NAME_MAX, Needles, VALUE_MAX, fold_text, fold_utf16le,
};
use foldhash::HashMap;
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::sync::Arc;

/// One data field of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataField {
    /// The name the event model gives it (`param<n>` for unnamed `Data`).
    pub name: Arc<str>,
    /// An unnamed `Data` element (its number depends on the unnamed ones before it).
    pub unnamed: bool,
    /// A `Data` element, named by its `Name` attribute or unnamed (the rendering gives an
    /// empty one as `""`; an empty element of another name is `null`).
    pub data_element: bool,
    /// DependencyIds of the element and the elements that hold it: when one of those values
    /// is Null, the element is left out.
    pub deps: Vec<u16>,
    /// Where the value comes from.
    pub content: Content,
}

/// The data fields of a template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DataPlan {
    /// In document order.
    pub fields: Vec<DataField>,
    /// True when the event may have fields the plan does not list (nested elements, names
    /// taken from substitutions, content directly inside a container, repeated names).
    pub incomplete: bool,
    /// The substitution that brings `EventData` or `UserData` as an embedded instance (the
    /// usual shape of Windows logs): then `fields` are empty and that instance tells.
    pub fragment: Option<u16>,
    /// The fragment is the element inside `UserData` (`<UserData>%N</UserData>`), not the data
    /// part itself.
    pub fragment_in_user_data: bool,
    /// Field indexes by ASCII-lowercased name (the first of each name).
    by_name: HashMap<Box<str>, usize>,
}

/// A container or field element being walked inside the data part of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataKind {
    /// `EventData`.
    EventData,
    /// `UserData`.
    UserData,
    /// The element inside `UserData`.
    UserRoot,
}

/// Builds a [`DataPlan`] while the template walk goes through the data part.
#[derive(Debug, Default)]
pub(crate) struct DataWalk {
    plan: DataPlan,
    /// DependencyIds of the open containers.
    containers: Vec<Option<u16>>,
    /// The open field: its element's name (`None` for `Data`, named by its attribute), the
    /// `Name` attribute's text, and the field so far.
    open: Option<OpenField>,
    unnamed: usize,
    seen_event_data: bool,
    seen_user_data: bool,
    /// Substitutions directly inside `Event` after `System`.
    event_substitutions: Vec<u16>,
    /// The substitution that is all an inline `UserData` holds.
    user_data_substitution: Option<u16>,
}

#[derive(Debug)]
struct OpenField {
    /// `Some` for a field named by its element; `None` for `Data`.
    element: Option<Arc<str>>,
    /// `Data/@Name`.
    name_attr: Option<Arc<str>>,
    deps: Vec<u16>,
    content: Content,
}

impl DataWalk {
    /// A container opens: `EventData` or `UserData` under `Event`, or the root under `UserData`.
    pub fn open_container(&mut self, kind: DataKind, dep: Option<u16>) {
        if kind == DataKind::UserRoot && self.user_data_substitution.is_some() {
            self.plan.incomplete = true; // an element beside the substitution
        }
        let seen = match kind {
            DataKind::EventData => &mut self.seen_event_data,
            DataKind::UserData => &mut self.seen_user_data,
            _ => &mut false,
        };
        if std::mem::replace(seen, true) {
            self.plan.incomplete = true; // a second one: the rendering numbers the keys
        }
        self.containers.push(dep);
    }

    /// The innermost open container closes.
    pub fn close_container(&mut self) {
        self.containers.pop();
    }

    /// A field element opens inside a container: `Data` (`element` is `None`) or another.
    pub fn open_field(&mut self, element: Option<String>, dep: Option<u16>) {
        let deps = self
            .containers
            .iter()
            .chain([&dep])
            .flatten()
            .copied()
            .collect();
        self.open = Some(OpenField {
            element: element.map(Arc::from),
            name_attr: None,
            deps,
            content: Content::Absent,
        });
    }

    /// An element opens inside a field: the field becomes an object of its own.
    pub fn nested(&mut self) {
        self.spoil_open();
        self.plan.incomplete = true;
    }

    /// An attribute of the open field; `is_name` for `Data/@Name`.
    pub fn field_attribute(&mut self, is_name: bool) {
        let is_data = self.open.as_ref().is_some_and(|f| f.element.is_none());
        if !(is_name && is_data) {
            self.spoil_open(); // attributes make the field's JSON an object
        }
    }

    /// The text of `Data/@Name`.
    pub fn name(&mut self, piece: Content) {
        match (piece, self.open.as_mut()) {
            (Content::Static(text), Some(field)) if field.name_attr.is_none() => {
                field.name_attr = Some(text);
            }
            _ => {
                self.spoil_open();
                self.plan.incomplete = true;
            }
        }
    }

    /// Content of the open field.
    pub fn field_content(&mut self, piece: Content) {
        if let Some(field) = self.open.as_mut() {
            field.content.push(piece);
        }
    }

    /// Content directly inside a container: text or a fragment may add fields. A substitution
    /// that is all a `UserData` holds brings its element (the `UserData` element depends on
    /// nothing, or on that substitution: Windows writes it so).
    pub fn container_content(&mut self, kind: DataKind, piece: &Content) {
        let alone = self.plan.fields.is_empty() && self.user_data_substitution.is_none();
        match piece {
            Content::Subst { index, .. }
                if kind == DataKind::UserData
                    && alone
                    && self
                        .containers
                        .last()
                        .is_some_and(|dep| dep.is_none_or(|d| d == *index)) =>
            {
                self.user_data_substitution = Some(*index);
            }
            _ => self.plan.incomplete = true,
        }
    }

    /// Content directly inside `Event` after `System`: substitution `index`, or text.
    pub fn event_content(&mut self, index: Option<u16>) {
        self.plan.incomplete = true;
        match index {
            Some(i) => self.event_substitutions.push(i),
            None => self.event_substitutions.push(u16::MAX),
        }
    }

    /// The open field's element ends.
    pub fn close_field(&mut self) {
        let Some(open) = self.open.take() else {
            return;
        };
        let data_element = open.element.is_none();
        let (name, unnamed) = match (open.element, open.name_attr) {
            (Some(element), _) => (element, false),
            (None, Some(name)) => (name, false),
            (None, None) => {
                self.unnamed += 1;
                (Arc::from(format!("param{}", self.unnamed)), true)
            }
        };
        let mut content = open.content;
        if name.starts_with('#') || name.contains('.') || (!unnamed && &*name == "Data") {
            // Keys the normalizer reads otherwise (`Data` is taken for unnamed data).
            content = Content::Unsupported;
            self.plan.incomplete = true;
        }
        self.plan.fields.push(DataField {
            name,
            unnamed,
            data_element,
            deps: open.deps,
            content,
        });
    }

    fn spoil_open(&mut self) {
        if let Some(field) = self.open.as_mut() {
            field.content = Content::Unsupported;
        }
    }

    /// The plan; names that come twice (ignoring ASCII case) are left unread.
    pub fn finish(mut self) -> DataPlan {
        let inline = self.seen_event_data || self.seen_user_data;
        if let [only] = self.event_substitutions[..]
            && only != u16::MAX
            && !inline
        {
            self.plan.fragment = Some(only);
        }
        if let Some(index) = self.user_data_substitution {
            if self.plan.fields.is_empty()
                && !self.seen_event_data
                && self.event_substitutions.is_empty()
            {
                self.plan.fragment = Some(index);
                self.plan.fragment_in_user_data = true;
            } else {
                self.plan.incomplete = true;
            }
        }
        if inline && !self.event_substitutions.is_empty() {
            // A fragment beside the inline data part may bring another one: tell nothing.
            for f in &mut self.plan.fields {
                f.content = Content::Unsupported;
            }
        }
        if self.unnamed > 0 && self.plan.fields.iter().any(|f| f.name.starts_with("param")) {
            // Named `paramN` fields beside unnamed ones: leave the numbering alone.
            self.plan.incomplete = true;
        }
        for (i, f) in self.plan.fields.iter().enumerate() {
            self.plan
                .by_name
                .entry(f.name.to_ascii_lowercase().into())
                .or_insert(i);
        }
        let fields = &mut self.plan.fields;
        for i in 0..fields.len() {
            let twice = fields
                .iter()
                .enumerate()
                .any(|(j, f)| j != i && f.name.eq_ignore_ascii_case(&fields[i].name));
            if twice {
                fields[i].content = Content::Unsupported;
                self.plan.incomplete = true;
            }
        }
        self.plan
    }
}

/// What [`DataPlan::survey`] tells of an instance; both false when the plan cannot tell
/// every field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Survey {
    /// [`DataPlan::all`] tells every field: each value is one the event model reads
    /// ([`Value::modeled`]).
    pub builds: bool,
    /// The event built from the instance holds no data field that
    /// [`crate::event::Event::bound`] would cut or drop, judged from the most text each field
    /// can render to: a value's text takes at most three bytes for each of its bytes, and 32
    /// more (a FILETIME's 8 bytes render to 28).
    pub within_bounds: bool,
}

/// One substitution value of an instance: its type and bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Value<'a> {
    pub ty: u8,
    pub bytes: &'a [u8],
}

impl Value<'_> {
    /// Null, or an empty string or fragment: rendered as nothing, `null` or `""`.
    fn is_blank(&self) -> bool {
        match self.ty {
            value_type::NULL => true,
            // Empty up to its first NUL unit (`until_nul` is empty), told from that unit alone.
            value_type::STRING => self.bytes.len() < 2 || self.bytes[..2] == [0, 0],
            value_type::BINARY | value_type::BINXML => self.bytes.is_empty(),
            _ => false,
        }
    }

    /// A value that renders as markup (an embedded fragment) and may add elements.
    fn adds_elements(&self) -> bool {
        self.ty == value_type::BINXML && !self.bytes.is_empty()
    }

    /// True when [`Value::field_value`] gives this value a field value and it is not blank:
    /// what [`DataField::value_of`] reads, told without decoding or writing it out.
    fn modeled(&self) -> bool {
        use value_type::*;
        let n = self.bytes.len();
        !self.is_blank()
            && match self.ty {
                STRING => is_utf16(until_nul(self.bytes)),
                INT8 | UINT8 => n == 1,
                INT16 | UINT16 => n == 2,
                INT32 | UINT32 | HEX_INT32 => n == 4,
                INT64 | UINT64 | HEX_INT64 => n == 8,
                BINARY => true,
                GUID => n == 16,
                SID => n >= 8,
                _ => false,
            }
    }

    /// The field value the event model gets from this value; `None` for types whose
    /// rendering the plan does not model.
    pub fn field_value(&self) -> Option<FieldValue> {
        let b = self.bytes;
        // JSON numbers: non-negative ones read back as unsigned.
        let signed = |v: i64| match u64::try_from(v) {
            Ok(u) => FieldValue::UInt(u),
            Err(_) => FieldValue::Int(v),
        };
        use value_type::*;
        Some(match (self.ty, b.len()) {
            (STRING, _) => FieldValue::Str(decode_utf16(until_nul(b))?),
            (INT8, 1) => signed(i64::from(b[0] as i8)),
            (UINT8, 1) => FieldValue::UInt(u64::from(b[0])),
            (INT16, 2) => signed(i64::from(i16::from_le_bytes([b[0], b[1]]))),
            (UINT16, 2) => FieldValue::UInt(u64::from(u16::from_le_bytes([b[0], b[1]]))),
            (INT32, 4) => signed(i64::from(i32::from_le_bytes(b.try_into().ok()?))),
            (UINT32, 4) => FieldValue::UInt(u64::from(u32::from_le_bytes(b.try_into().ok()?))),
            (INT64, 8) => signed(i64::from_le_bytes(b.try_into().ok()?)),
            (UINT64, 8) => FieldValue::UInt(u64::from_le_bytes(b.try_into().ok()?)),
            (HEX_INT32, 4) => {
                FieldValue::Str(format!("0x{:x}", u32::from_le_bytes(b.try_into().ok()?)))
            }
            (HEX_INT64, 8) => {
                FieldValue::Str(format!("0x{:x}", u64::from_le_bytes(b.try_into().ok()?)))
            }
            (BINARY, _) => FieldValue::Str(hex(b, b"0123456789ABCDEF")),
            (GUID, 16) => FieldValue::Str(guid_text(b.try_into().ok()?)),
            (SID, _) => FieldValue::Str(sid(b)?),
            _ => return None,
        })
    }
}

/// What the rendering gives for `field` when its element holds no text: `""` for a named
/// `Data` element, `null` for any other.
fn empty_text(field: &DataField) -> FieldValue {
    if field.data_element {
        FieldValue::Str(String::new())
    } else {
        FieldValue::Null
    }
}

/// `bytes` in hexadecimal, two `digits` a byte.
fn hex(bytes: &[u8], digits: &[u8; 16]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        text.push(char::from(digits[usize::from(b >> 4)]));
        text.push(char::from(digits[usize::from(b & 0x0f)]));
    }
    text
}

/// A SID as `S-R-A-S1-..-Sn`: revision, 48-bit big-endian authority, little-endian
/// sub-authorities.
fn sid(b: &[u8]) -> Option<String> {
    let (&[revision, count], rest) = b.split_first_chunk::<2>()?;
    let (authority, subs) = rest.split_first_chunk::<6>()?;
    let mut auth = [0u8; 8];
    auth[2..].copy_from_slice(authority);
    let mut text = String::with_capacity(16 + 11 * usize::from(count));
    write!(text, "S-{revision}-{}", u64::from_be_bytes(auth)).ok()?;
    for sub in subs.chunks_exact(4).take(usize::from(count)) {
        write!(text, "-{}", u32::from_le_bytes(sub.try_into().ok()?)).ok()?;
    }
    Some(text)
}

/// What one field of an instance holds, as [`DataPlan::walk`] hands it over.
enum Held<'p, 'a> {
    /// Text of the template itself.
    Text(&'p str),
    /// A substitution value (one that adds no elements).
    Value(Value<'a>),
}

impl DataPlan {
    /// The value of field `name` in an instance whose substitution values `value(i)` gives:
    /// `Some(None)` when the event has no such field, `None` when the plan cannot tell.
    #[cfg(test)]
    pub fn get<'a>(
        &self,
        name: &str,
        value: impl Fn(u16) -> Option<Value<'a>>,
    ) -> Option<Option<FieldValue>> {
        match self.locate(name, value)? {
            None => Some(None),
            Some((at, v)) => self.value_at(at, &v).map(Some),
        }
    }

    /// Every field of an instance whose substitution values `value(i)` gives, in document
    /// order, exactly as rendering and normalization give them; `None` when the plan cannot
    /// tell them all: it is incomplete, or a field is empty, left out or of a type not
    /// modelled (whose rendering the plan does not know), or unnamed `Data` are not together.
    pub fn all<'a>(
        &self,
        value: impl Fn(u16) -> Option<Value<'a>>,
    ) -> Option<Vec<(Arc<str>, FieldValue)>> {
        let mut out = Vec::with_capacity(self.fields.len());
        // `f` never breaks: every field is read.
        let _ = self.walk(value, |field, held| {
            let v = match held {
                Held::Text(text) => FieldValue::Str(text.to_string()),
                Held::Value(v) => field.value_of(&v)?,
            };
            out.push((Arc::clone(&field.name), v));
            Some(ControlFlow::Continue(()))
        })?;
        Some(out)
    }

    /// True when the plan is sure that no field of the instance holds any of `needles`: every
    /// field is one [`DataPlan::all`] tells, and neither the template's text nor a string value
    /// holds one (a needle is never one a number, GUID or SID could hold: see
    /// [`Needles::new`]). Folds string values from their UTF-16LE bytes ([`fold_utf16le`]),
    /// decoding nothing, and searches them all at once.
    pub fn rules_out<'a>(
        &self,
        value: impl Fn(u16) -> Option<Value<'a>>,
        needles: &Needles,
        scratch: &mut Vec<u8>,
    ) -> bool {
        // The texts, folded one after another, are searched once.
        scratch.clear();
        let go_on = Some(ControlFlow::Continue(()));
        let walked = self.walk(value, |field, held| match held {
            Held::Text(text) => {
                fold_text(text, scratch);
                go_on
            }
            Held::Value(v) if field.holds_no_text(&v) => go_on,
            Held::Value(v) if v.ty == value_type::STRING && !v.is_blank() => {
                fold_utf16le(v.bytes, scratch).then_some(ControlFlow::Continue(()))
            }
            Held::Value(v) => v.modeled().then_some(ControlFlow::Continue(())),
        });
        walked.is_some() && !needles.in_folded(scratch)
    }

    /// What one walk over the fields of an instance tells, without decoding a value: see
    /// [`Survey`].
    pub fn survey<'a>(&self, value: impl Fn(u16) -> Option<Value<'a>>) -> Survey {
        let mut survey = Survey {
            builds: true,
            within_bounds: self.fields.len() <= FIELDS_MAX,
        };
        let mut total = 0usize;
        let walked = self.walk(value, |field, held| {
            let most = match held {
                Held::Text(text) => text.len(),
                Held::Value(v) => {
                    survey.builds &= field.holds_no_text(&v) || v.modeled();
                    v.bytes.len().saturating_mul(3).saturating_add(32)
                }
            };
            total = total.saturating_add(most);
            survey.within_bounds &=
                field.name.len() <= NAME_MAX && most <= VALUE_MAX && total <= EVENT_TEXT_MAX;
            Some(if survey.builds || survey.within_bounds {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            })
        });
        if walked.is_none() {
            return Survey::default();
        }
        survey
    }

    /// Calls `f` with each field of an instance and what it holds, in document order, until
    /// `f` breaks; `None` when the plan cannot tell every field (it is incomplete, a field is
    /// left out, absent or adds elements, or unnamed `Data` are not together) or `f` cannot.
    fn walk<'a>(
        &self,
        value: impl Fn(u16) -> Option<Value<'a>>,
        mut f: impl FnMut(&DataField, Held<'_, 'a>) -> Option<ControlFlow<()>>,
    ) -> Option<ControlFlow<()>> {
        if self.incomplete || self.fragment.is_some() {
            return None;
        }
        let unnamed: Vec<usize> = (0..self.fields.len())
            .filter(|&i| self.fields[i].unnamed)
            .collect();
        if unnamed.windows(2).any(|w| w[1] != w[0] + 1) {
            return None; // the rendering gathers unnamed `Data` under one key
        }
        for field in &self.fields {
            let blank = |d: &u16| value(*d).is_none_or(|v| v.is_blank());
            if field.deps.iter().any(blank) {
                return None;
            }
            let held = match &field.content {
                Content::Static(text) => Held::Text(text),
                Content::Subst { index, .. } => {
                    let v = value(*index)?;
                    if v.adds_elements() {
                        return None;
                    }
                    Held::Value(v)
                }
                Content::Absent | Content::Unsupported => return None,
            };
            if f(field, held)?.is_break() {
                return Some(ControlFlow::Break(()));
            }
        }
        Some(ControlFlow::Continue(()))
    }

    /// The index of the field called `name`, ignoring ASCII case.
    fn position(&self, name: &str) -> Option<usize> {
        if let Some(at) = self.fields.iter().position(|f| *f.name == *name) {
            return Some(at);
        }
        let mut buf = [0u8; 64];
        match buf.get_mut(..name.len()) {
            Some(lower) => {
                lower.copy_from_slice(name.as_bytes());
                lower.make_ascii_lowercase();
                // ASCII lowercasing keeps UTF-8 valid.
                let lower = std::str::from_utf8(lower).ok()?;
                self.by_name.get(lower).copied()
            }
            None => self.by_name.get(&*name.to_ascii_lowercase()).copied(),
        }
    }

    /// Where field `name` is in an instance: `Some(Some((index of the field, its value)))`,
    /// `Some(None)` when the event has no such field, `None` when the plan cannot tell. The
    /// value is blank only where the field's element then holds no text; read it with
    /// [`DataPlan::value_at`].
    pub fn locate<'a>(
        &self,
        name: &str,
        value: impl Fn(u16) -> Option<Value<'a>>,
    ) -> Option<Option<(usize, Value<'a>)>> {
        let left_out = |f: &DataField| {
            f.deps
                .iter()
                .any(|d| value(*d).is_some_and(|v| v.ty == value_type::NULL || v.is_blank()))
        };
        let Some(at) = self.position(name) else {
            // Absent, if every field is known and no value adds elements.
            let adds = self.fields.iter().any(|f| match f.content {
                Content::Subst { index, .. } => value(index).is_none_or(|v| v.adds_elements()),
                _ => false,
            });
            return (!self.incomplete && !adds).then_some(None);
        };
        let field = &self.fields[at];
        if left_out(field) {
            return None;
        }
        if field.unnamed {
            // Numbering is certain only when no unnamed `Data` before it can vanish.
            let blank = self.fields.iter().filter(|f| f.unnamed).any(|f| {
                left_out(f)
                    || match f.content {
                        Content::Subst { index, .. } => value(index).is_none_or(|v| v.is_blank()),
                        _ => true,
                    }
            });
            if blank {
                return None;
            }
        }
        match field.content {
            Content::Subst { index, .. } => {
                let v = value(index)?;
                (!v.is_blank() || field.holds_no_text(&v)).then_some(Some((at, v)))
            }
            _ => None,
        }
    }

    /// The value field `at` gets from `v` (see [`DataField::value_of`]).
    pub fn value_at(&self, at: usize, v: &Value<'_>) -> Option<FieldValue> {
        self.fields.get(at)?.value_of(v)
    }
}

impl DataField {
    /// True when `v` leaves this named field's element without text: an empty string or a
    /// null, which render alike (see [`empty_text`]).
    fn holds_no_text(&self, v: &Value<'_>) -> bool {
        !self.unnamed && v.is_blank() && (v.ty == value_type::STRING || v.ty == value_type::NULL)
    }

    /// The value the event model gets for this field from substitution `v`; `None` when the
    /// plan does not model it (another blank value, or a type [`Value::field_value`] does
    /// not read).
    fn value_of(&self, v: &Value<'_>) -> Option<FieldValue> {
        if self.holds_no_text(v) {
            Some(empty_text(self))
        } else if v.is_blank() {
            None
        } else {
            v.field_value()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(ty: u8, bytes: &[u8]) -> Option<FieldValue> {
        Value { ty, bytes }.field_value()
    }

    #[test]
    fn values_read_as_the_renderer_writes_them() {
        let s = |t: &str| Some(FieldValue::Str(t.into()));
        assert_eq!(value(value_type::INT8, &[0xff]), Some(FieldValue::Int(-1)));
        assert_eq!(
            value(value_type::INT32, &5i32.to_le_bytes()),
            Some(FieldValue::UInt(5))
        );
        assert_eq!(
            value(value_type::UINT64, &u64::MAX.to_le_bytes()),
            Some(FieldValue::UInt(u64::MAX))
        );
        assert_eq!(
            value(value_type::HEX_INT32, &0x3e7u32.to_le_bytes()),
            s("0x3e7")
        );
        assert_eq!(value(value_type::HEX_INT64, &0u64.to_le_bytes()), s("0x0"));
        assert_eq!(value(value_type::BINARY, &[0x54, 0x00, 0xff]), s("5400FF"));
        let guid = [
            0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28,
            0xc3, 0x0d,
        ];
        assert_eq!(
            value(value_type::GUID, &guid),
            s("{54849625-5478-4994-a5ba-3e3b0328c30d}")
        );
        let sid = [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0];
        assert_eq!(value(value_type::SID, &sid), s("S-1-5-32-544"));
        // Types whose rendering is not modelled: cannot tell.
        assert_eq!(value(value_type::REAL32, &1.5f32.to_le_bytes()), None);
        assert_eq!(
            value(value_type::STRING, &[0x00, 0xd8]),
            None,
            "an unpaired surrogate"
        );
    }

    fn field(name: &str, unnamed: bool, index: u16) -> DataField {
        DataField {
            name: name.into(),
            unnamed,
            data_element: true,
            deps: Vec::new(),
            content: Content::Subst {
                index,
                optional: false,
            },
        }
    }

    #[test]
    fn unnamed_data_are_numbered_only_when_none_can_vanish() {
        let plan = DataPlan {
            fields: vec![field("param1", true, 0), field("param2", true, 1)],
            ..DataPlan::default()
        };
        let text = |t: &str| {
            t.encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>()
        };
        let (a, b, empty) = (text("a"), text("b"), Vec::new());
        let both = [
            Value {
                ty: value_type::STRING,
                bytes: &a,
            },
            Value {
                ty: value_type::STRING,
                bytes: &b,
            },
        ];
        let get =
            |values: &[Value<'_>], name| plan.get(name, |i| values.get(usize::from(i)).copied());
        assert_eq!(
            get(&both, "param2"),
            Some(Some(FieldValue::Str("b".into())))
        );
        assert_eq!(get(&both, "param3"), Some(None));
        let blank = [
            Value {
                ty: value_type::STRING,
                bytes: &empty,
            },
            Value {
                ty: value_type::STRING,
                bytes: &b,
            },
        ];
        assert_eq!(
            get(&blank, "param2"),
            None,
            "param1 may vanish, and param2 with it"
        );
    }

    #[test]
    fn repeated_names_and_reserved_keys_are_left_unread() {
        let mut walk = DataWalk::default();
        walk.open_container(DataKind::EventData, None);
        for name in ["User", "user", "Data", "Ok"] {
            walk.open_field(Some(name.into()), None);
            walk.field_content(Content::Subst {
                index: 0,
                optional: false,
            });
            walk.close_field();
        }
        walk.close_container();
        let plan = walk.finish();
        assert!(plan.incomplete);
        let v = [0x31u8, 0];
        let get = |name| {
            plan.get(name, |_| {
                Some(Value {
                    ty: value_type::STRING,
                    bytes: &v,
                })
            })
        };
        assert_eq!(get("User"), None);
        assert_eq!(get("Data"), None);
        assert_eq!(get("Ok"), Some(Some(FieldValue::Str("1".into()))));
        assert_eq!(get("Missing"), None, "the plan is incomplete");
    }

    #[test]
    fn a_fragment_beside_inline_event_data_leaves_every_field_unread() {
        let mut walk = DataWalk::default();
        walk.open_container(DataKind::EventData, None);
        walk.open_field(None, None);
        walk.field_content(Content::Subst {
            index: 0,
            optional: false,
        });
        walk.close_field();
        walk.close_container();
        walk.event_content(Some(1));
        let plan = walk.finish();
        assert_eq!(plan.fragment, None);
        let v = [0x31u8, 0];
        assert_eq!(
            plan.get("param1", |_| Some(Value {
                ty: value_type::STRING,
                bytes: &v
            })),
            None
        );
    }
}

#[cfg(test)]
mod modeled_tests {
    use super::*;

    /// `Value::modeled` says yes exactly where reading the value gives a field value and the
    /// value is not blank, for every type byte and the sizes that matter.
    #[test]
    fn modeled_agrees_with_field_value() {
        let payloads: [&[u8]; 9] = [
            &[],
            &[1],
            &[1, 0],
            &[0x41, 0, 0, 0xd8],
            &[1, 2, 3, 4],
            &[1, 1, 0, 0, 0, 0, 0, 5],
            &[1, 2, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0],
            &[7; 16],
            &[0x41, 0, 0x42, 0],
        ];
        for ty in 0..=0xffu8 {
            for bytes in payloads {
                let v = Value { ty, bytes };
                let expected = !v.is_blank() && v.field_value().is_some();
                assert_eq!(v.modeled(), expected, "type {ty:#x}, bytes {bytes:?}");
            }
        }
    }
}
