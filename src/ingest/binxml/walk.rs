//! A bounded walk over one BinXML template definition of an EVTX chunk, to learn where the
//! `Event/System` header fields of its instances come from (see [`super::peek()`]).
//!
//! The walk mirrors how the `evtx` crate (0.15.1) reads a template definition: the same tokens,
//! the same name references (an entry written inline right after its reference is skipped),
//! the same loop bound (tokens start before the end of the body, and may read past it). Every
//! read is checked; the cursor only moves forward, so the walk ends within the chunk's length,
//! and element depth is capped. Anything the peek does not model makes the walk give up
//! (`None`): a caller then renders the record in full.

use super::plan::{DataKind, DataPlan, DataWalk};
use std::sync::Arc;

/// Size of a template definition header: next offset (u32), GUID (16 bytes), body size (u32).
pub(crate) const TEMPLATE_HEADER_SIZE: usize = 24;

/// Deeper element nesting than this gives up (real templates nest a few levels).
const MAX_DEPTH: usize = 64;

/// A little-endian reader over a chunk's bytes whose every read is checked.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at `pos` of `data`.
    pub(crate) fn new(data: &'a [u8], pos: usize) -> Self {
        Cursor { data, pos }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A UTF-16 string prefixed with its length in code units.
    fn len_prefixed_utf16(&mut self) -> Option<&'a [u8]> {
        let units = usize::from(self.u16()?);
        self.take(units * 2)
    }
}

/// The UTF-16LE code units of `bytes` before the first NUL unit (how `evtx` reads strings).
pub(crate) fn until_nul(bytes: &[u8]) -> &[u8] {
    let units = bytes.len() / 2;
    let end = (0..units)
        .find(|&i| bytes[2 * i] == 0 && bytes[2 * i + 1] == 0)
        .unwrap_or(units);
    &bytes[..end * 2]
}

/// Strictly decodes UTF-16LE (an unpaired surrogate is `None`, as `evtx` fails on it).
pub(crate) fn decode_utf16(bytes: &[u8]) -> Option<String> {
    let bytes = &bytes[..bytes.len() & !1]; // whole units only
    if bytes.chunks_exact(2).all(|u| u[1] == 0 && u[0] < 0x80) {
        // ASCII, the common case: one byte a unit.
        return String::from_utf8(bytes.iter().step_by(2).copied().collect()).ok();
    }
    let units = bytes
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

/// The text of the name entry at chunk offset `offset`; `None` when it does not lie inside the
/// chunk or is not valid UTF-16.
pub(crate) fn name_text(data: &[u8], offset: u32) -> Option<String> {
    let mut cur = Cursor::new(data, usize::try_from(offset).ok()?.checked_add(6)?);
    decode_utf16(until_nul(cur.len_prefixed_utf16()?))
}

/// Whether the name entry at chunk offset `offset` reads as `expected` (ASCII). `None` when the
/// entry does not lie inside the chunk.
pub(crate) fn name_is(data: &[u8], offset: u32, expected: &str) -> Option<bool> {
    // Entry: next (u32), hash (u16), unit count (u16), units, NUL unit.
    let mut cur = Cursor::new(data, usize::try_from(offset).ok()?.checked_add(6)?);
    let units = until_nul(cur.len_prefixed_utf16()?);
    cur.u16()?;
    Some(
        units.len() == expected.len() * 2
            && units
                .chunks_exact(2)
                .zip(expected.bytes())
                .all(|(u, b)| u[0] == b && u[1] == 0),
    )
}

/// Reads a name reference (a chunk offset), skipping the entry when it is written inline right
/// after the reference, and returns the offset.
fn name_ref(cur: &mut Cursor<'_>) -> Option<u32> {
    let offset = cur.u32()?;
    if usize::try_from(offset).ok()? == cur.pos {
        cur.take(6)?;
        let units = usize::from(cur.u16()?);
        // The units and the NUL unit; evtx only repositions here, so the bytes need not be
        // there, but the position must be inside the chunk.
        let end = cur.pos.checked_add(units * 2 + 2)?;
        if end > cur.data.len() {
            return None;
        }
        cur.pos = end;
    }
    Some(offset)
}

/// Whether `ty` is a value type `evtx` accepts in a substitution token or descriptor.
pub(crate) fn known_value_type(ty: u8) -> bool {
    matches!(ty, 0x00..=0x15 | 0x20 | 0x21 | 0x23 | 0x81..=0x95)
}

/// Where the text of a field comes from in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    /// Nothing: the element or attribute is absent or empty.
    Absent,
    /// Literal text in the template.
    Static(Arc<str>),
    /// Substitution value `index` of the instance; `optional` ones vanish when empty.
    Subst {
        /// Index into the instance's values.
        index: u16,
        /// Token 0x0E rather than 0x0D.
        optional: bool,
    },
    /// Something the peek does not model (several pieces, CDATA, child elements, …).
    Unsupported,
}

impl Content {
    /// Adds a piece of content: a second one makes the whole unsupported.
    pub(crate) fn push(&mut self, piece: Content) {
        *self = match self {
            Content::Absent => piece,
            _ => Content::Unsupported,
        };
    }
}

/// One field of the plan: the dependency of the element that holds it, and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The holding element's DependencyId: when that value is Null the element is left out.
    pub(crate) dep: Option<u16>,
    /// Where the text comes from.
    pub(crate) content: Content,
}

impl Field {
    const ABSENT: Field = Field {
        dep: None,
        content: Content::Absent,
    };
}

/// A substitution whose value could add or repeat elements where the header fields are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Guard {
    /// Index into the instance's values.
    pub(crate) index: u16,
    /// Whether an embedded BinXML fragment is harmless here (after `System`).
    pub(crate) allow_fragment: bool,
}

/// Where a template's `Event/System` header fields come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// `System`'s DependencyId.
    pub(crate) system_dep: Option<u16>,
    /// `Provider/@Name`.
    pub(crate) provider: Field,
    /// `Provider/@EventSourceName`.
    pub(crate) event_source: Field,
    /// `EventID` text.
    pub(crate) event_id: Field,
    /// `EventID/@Qualifiers`.
    pub(crate) qualifiers: Field,
    /// `Channel` text.
    pub(crate) channel: Field,
    /// `Computer` text.
    pub(crate) computer: Field,
    /// `TimeCreated/@SystemTime`.
    pub(crate) time_created: Field,
    /// `EventRecordID` text.
    pub(crate) record_id: Field,
    /// `Level` text.
    pub(crate) level: Field,
    /// `Correlation/@ActivityID`.
    pub(crate) activity_id: Field,
    /// `Security/@UserID`.
    pub(crate) user_id: Field,
    /// Substitutions to check in every instance.
    pub(crate) guards: Vec<Guard>,
    /// Where the event's data fields come from.
    pub(crate) data: DataPlan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Event,
    System,
    Provider,
    EventId,
    TimeCreated,
    Channel,
    Computer,
    RecordId,
    Level,
    Correlation,
    Security,
    Other,
    /// `EventData`, `UserData`, the element inside `UserData`.
    Container(DataKind),
    /// A data field's element.
    DataField,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Content goes nowhere we track (or is dropped, as evtx drops it).
    Ignored,
    Provider,
    EventSource,
    Qualifiers,
    SystemTime,
    ActivityId,
    UserId,
    /// An attribute of `Event` or `System`: arrays there repeat the element.
    Guarded,
    /// `Data/@Name`.
    DataName,
}

struct Walk {
    plan: Plan,
    system_seen: bool,
    system_done: bool,
    /// Open elements.
    stack: Vec<Kind>,
    /// The element whose start tag is being read, and where its attribute content goes.
    pending: Option<(Kind, Slot)>,
    root_done: bool,
    /// Which header field elements were opened (indexed by `Kind::seen_index`).
    seen: [bool; 9],
    /// The data part.
    data: DataWalk,
    /// What the template's root is.
    root: Root,
}

/// The root of a template definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    /// `Event`: a whole record.
    Event,
    /// `EventData` or `UserData`: an embedded data part.
    DataPart,
    /// The element inside `UserData`, embedded where `UserData` holds one substitution (as
    /// Windows writes most `UserData` events: LSM, RCM).
    InsideUserData,
}

impl Walk {
    fn field(&mut self, slot: Slot) -> Option<&mut Field> {
        match slot {
            Slot::Provider => Some(&mut self.plan.provider),
            Slot::EventSource => Some(&mut self.plan.event_source),
            Slot::Qualifiers => Some(&mut self.plan.qualifiers),
            Slot::SystemTime => Some(&mut self.plan.time_created),
            Slot::ActivityId => Some(&mut self.plan.activity_id),
            Slot::UserId => Some(&mut self.plan.user_id),
            Slot::Ignored | Slot::Guarded | Slot::DataName => None,
        }
    }

    fn text_field(&mut self, kind: Kind) -> Option<&mut Field> {
        match kind {
            Kind::EventId => Some(&mut self.plan.event_id),
            Kind::Channel => Some(&mut self.plan.channel),
            Kind::Computer => Some(&mut self.plan.computer),
            Kind::RecordId => Some(&mut self.plan.record_id),
            Kind::Level => Some(&mut self.plan.level),
            _ => None,
        }
    }

    /// Content (`piece`; `subst` when a substitution) at the current place.
    fn content(&mut self, piece: Content) -> Option<()> {
        if let Some((_, slot)) = self.pending {
            if slot == Slot::DataName {
                self.data.name(piece);
            } else if let Some(field) = self.field(slot) {
                field.content.push(piece);
            } else if let (Slot::Guarded, Content::Subst { index, .. }) = (slot, &piece) {
                let index = *index;
                self.plan.guards.push(Guard {
                    index,
                    allow_fragment: true,
                });
            }
            return Some(());
        }
        // Outside any element evtx fails the template.
        let top = *self.stack.last()?;
        match top {
            Kind::DataField => {
                self.data.field_content(piece);
                return Some(());
            }
            Kind::Container(kind) => {
                self.data.container_content(kind, &piece);
                return Some(());
            }
            _ => {}
        }
        if let Some(field) = self.text_field(top) {
            field.content.push(piece);
        } else if let Content::Subst { index, .. } = piece {
            if top == Kind::Event {
                // A fragment here may bring `EventData` or `UserData`.
                self.data.event_content(Some(index));
            }
            let allow_fragment = match top {
                Kind::Event => self.system_seen,
                Kind::System => false,
                _ => return Some(()),
            };
            self.plan.guards.push(Guard {
                index,
                allow_fragment,
            });
        }
        Some(())
    }

    fn open(&mut self, data: &[u8], name: u32, dep: Option<u16>) -> Option<()> {
        if self.pending.is_some() || self.stack.len() >= MAX_DEPTH {
            return None;
        }
        // `EventData`/`UserData`: under `Event`, or the root of an embedded data part.
        let container = |walk: &mut Self| {
            let kind = if name_is(data, name, "EventData")? {
                DataKind::EventData
            } else if name_is(data, name, "UserData")? {
                DataKind::UserData
            } else {
                return Some(None);
            };
            walk.data.open_container(kind, dep);
            Some(Some(Kind::Container(kind)))
        };
        let kind = match self.stack.last().copied() {
            None if self.root_done => return None, // several roots: evtx fails
            None if self.root == Root::DataPart => container(self)??,
            None if self.root == Root::InsideUserData => {
                self.data.open_container(DataKind::UserRoot, dep);
                Kind::Container(DataKind::UserRoot)
            }
            None if name_is(data, name, "Event")? => Kind::Event,
            None => return None, // `from_json` wants `Event`
            Some(Kind::Event) if name_is(data, name, "System")? => {
                if self.system_seen {
                    return None;
                }
                self.system_seen = true;
                self.plan.system_dep = dep;
                Kind::System
            }
            Some(Kind::Event) if let Some(kind) = container(self)? => kind,
            Some(Kind::Container(DataKind::UserData)) => {
                self.data.open_container(DataKind::UserRoot, dep);
                Kind::Container(DataKind::UserRoot)
            }
            Some(Kind::Container(container)) => {
                let element = match container {
                    DataKind::EventData if name_is(data, name, "Data")? => None,
                    _ => Some(name_text(data, name)?),
                };
                self.data.open_field(element, dep);
                Kind::DataField
            }
            Some(Kind::DataField) => {
                self.data.nested();
                Kind::Other
            }
            Some(Kind::System) => {
                let kind = field_kind(data, name)?;
                if let Some(i) = kind.seen_index() {
                    let seen = &mut self.seen[i];
                    if *seen {
                        return None; // a second one: JSON numbers the keys
                    }
                    *seen = true;
                }
                match kind {
                    Kind::Provider => {
                        self.plan.provider.dep = dep;
                        self.plan.event_source.dep = dep;
                    }
                    Kind::EventId => {
                        self.plan.event_id.dep = dep;
                        self.plan.qualifiers.dep = dep;
                    }
                    Kind::TimeCreated => self.plan.time_created.dep = dep,
                    Kind::Channel => self.plan.channel.dep = dep,
                    Kind::Computer => self.plan.computer.dep = dep,
                    Kind::RecordId => self.plan.record_id.dep = dep,
                    Kind::Level => self.plan.level.dep = dep,
                    Kind::Correlation => self.plan.activity_id.dep = dep,
                    Kind::Security => self.plan.user_id.dep = dep,
                    _ => {}
                }
                kind
            }
            Some(parent) => {
                // A child element of a field makes its JSON an object we do not model.
                self.taint(parent);
                Kind::Other
            }
        };
        self.pending = Some((kind, Slot::Ignored));
        Some(())
    }

    fn taint(&mut self, kind: Kind) {
        let fields: &mut [&mut Field] = match kind {
            Kind::Provider => &mut [&mut self.plan.provider, &mut self.plan.event_source],
            Kind::EventId => &mut [&mut self.plan.event_id, &mut self.plan.qualifiers],
            Kind::TimeCreated => &mut [&mut self.plan.time_created],
            Kind::Channel => &mut [&mut self.plan.channel],
            Kind::Computer => &mut [&mut self.plan.computer],
            Kind::RecordId => &mut [&mut self.plan.record_id],
            Kind::Level => &mut [&mut self.plan.level],
            Kind::Correlation => &mut [&mut self.plan.activity_id],
            Kind::Security => &mut [&mut self.plan.user_id],
            _ => &mut [],
        };
        for field in fields {
            field.content = Content::Unsupported;
        }
    }

    fn attribute(&mut self, data: &[u8], name: u32) -> Option<()> {
        let (kind, _) = self.pending?;
        let slot = match kind {
            Kind::Provider if name_is(data, name, "Name")? => Slot::Provider,
            Kind::Provider if name_is(data, name, "EventSourceName")? => Slot::EventSource,
            Kind::EventId if name_is(data, name, "Qualifiers")? => Slot::Qualifiers,
            Kind::TimeCreated if name_is(data, name, "SystemTime")? => Slot::SystemTime,
            Kind::Correlation if name_is(data, name, "ActivityID")? => Slot::ActivityId,
            Kind::Security if name_is(data, name, "UserID")? => Slot::UserId,
            Kind::Event | Kind::System => Slot::Guarded,
            Kind::DataField => {
                let is_name = name_is(data, name, "Name")?;
                self.data.field_attribute(is_name);
                if is_name {
                    Slot::DataName
                } else {
                    Slot::Ignored
                }
            }
            _ => Slot::Ignored,
        };
        if let Some(field) = self.field(slot)
            && field.content != Content::Absent
        {
            field.content = Content::Unsupported; // the attribute twice
        }
        self.pending = Some((kind, slot));
        Some(())
    }

    /// The start tag ends; `empty` when the element has no content.
    fn close_start(&mut self, empty: bool) -> Option<()> {
        let (kind, _) = self.pending.take()?;
        if empty {
            self.closed(kind);
        } else {
            self.stack.push(kind);
        }
        Some(())
    }

    fn end(&mut self) -> Option<()> {
        if self.pending.is_some() {
            return None;
        }
        let kind = self.stack.pop()?;
        self.closed(kind);
        Some(())
    }

    fn closed(&mut self, kind: Kind) {
        match kind {
            Kind::DataField => self.data.close_field(),
            Kind::Container(_) => self.data.close_container(),
            _ => {}
        }
        match kind {
            Kind::System => self.system_done = true,
            _ if self.stack.is_empty() => self.root_done = true,
            _ => {}
        }
    }
}

impl Kind {
    /// The slot of a header field element in `Walk::seen`.
    fn seen_index(self) -> Option<usize> {
        match self {
            Kind::Provider => Some(0),
            Kind::EventId => Some(1),
            Kind::Channel => Some(2),
            Kind::Computer => Some(3),
            Kind::TimeCreated => Some(4),
            Kind::RecordId => Some(5),
            Kind::Level => Some(6),
            Kind::Correlation => Some(7),
            Kind::Security => Some(8),
            _ => None,
        }
    }
}

/// Which header field element the name at `name` names (`Other` for none).
fn field_kind(data: &[u8], name: u32) -> Option<Kind> {
    for (text, kind) in [
        ("Provider", Kind::Provider),
        ("EventID", Kind::EventId),
        ("TimeCreated", Kind::TimeCreated),
        ("Channel", Kind::Channel),
        ("Computer", Kind::Computer),
        ("EventRecordID", Kind::RecordId),
        ("Level", Kind::Level),
        ("Correlation", Kind::Correlation),
        ("Security", Kind::Security),
    ] {
        if name_is(data, name, text)? {
            return Some(kind);
        }
    }
    Some(Kind::Other)
}

/// Walks the template definition at chunk offset `offset` of `data` and returns its plan, or
/// `None` when the template is not one the peek can read (or is malformed).
pub(crate) fn plan_template(data: &[u8], offset: u32) -> Option<Plan> {
    let Walk {
        mut plan,
        system_done,
        data: data_walk,
        ..
    } = walk(data, offset, Root::Event)?;
    if !system_done {
        return None;
    }
    plan.data = data_walk.finish();
    Some(plan)
}

/// Walks the definition at chunk offset `offset` of a template whose root is `EventData` or
/// `UserData` (an embedded data part) and returns where its fields come from.
pub(crate) fn plan_data_template(data: &[u8], offset: u32) -> Option<DataPlan> {
    Some(walk(data, offset, Root::DataPart)?.data.finish())
}

/// Walks the definition at chunk offset `offset` of a template whose root is the element inside
/// `UserData` (embedded where `UserData` holds one substitution) and returns where its fields
/// come from.
pub(crate) fn plan_user_root_template(data: &[u8], offset: u32) -> Option<DataPlan> {
    Some(walk(data, offset, Root::InsideUserData)?.data.finish())
}

/// Walks a template definition to its end; `None` when it is malformed or holds what the walk
/// does not model.
fn walk(data: &[u8], offset: u32, root: Root) -> Option<Walk> {
    let mut cur = Cursor::new(data, usize::try_from(offset).ok()?);
    let header = cur.take(TEMPLATE_HEADER_SIZE)?;
    let size = u32::from_le_bytes([header[20], header[21], header[22], header[23]]);
    let end = cur.pos.checked_add(usize::try_from(size).ok()?)?;
    if end > data.len() {
        return None;
    }
    let mut walk = Walk {
        plan: Plan {
            system_dep: None,
            provider: Field::ABSENT,
            event_source: Field::ABSENT,
            event_id: Field::ABSENT,
            qualifiers: Field::ABSENT,
            channel: Field::ABSENT,
            computer: Field::ABSENT,
            time_created: Field::ABSENT,
            record_id: Field::ABSENT,
            level: Field::ABSENT,
            activity_id: Field::ABSENT,
            user_id: Field::ABSENT,
            guards: Vec::new(),
            data: DataPlan::default(),
        },
        system_seen: false,
        system_done: false,
        stack: Vec::new(),
        pending: None,
        root_done: false,
        seen: [false; 9],
        data: DataWalk::default(),
        root,
    };
    while cur.pos < end {
        match cur.u8()? {
            0x00 => break,
            token @ (0x01 | 0x41) => {
                let dep = cur.u16()?;
                cur.u32()?; // data size
                let name = name_ref(&mut cur)?;
                if token == 0x41 {
                    cur.u32()?; // attribute list size
                }
                walk.open(data, name, (dep != 0xFFFF).then_some(dep))?;
            }
            0x02 => walk.close_start(false)?,
            0x03 => walk.close_start(true)?,
            0x04 => walk.end()?,
            0x05 | 0x45 => {
                // Only string literals: other types (a fragment, say) are not modelled.
                if cur.u8()? != 0x01 {
                    return None;
                }
                let text = decode_utf16(until_nul(cur.len_prefixed_utf16()?))?;
                let piece = if text.is_empty() {
                    Content::Unsupported
                } else {
                    Content::Static(text.into())
                };
                walk.content(piece)?;
            }
            0x06 | 0x46 => {
                let name = name_ref(&mut cur)?;
                walk.attribute(data, name)?;
            }
            0x07 | 0x47 | 0x0b => {
                cur.len_prefixed_utf16()?;
                walk.content(Content::Unsupported)?;
            }
            0x08 | 0x48 => {
                cur.u16()?;
                walk.content(Content::Unsupported)?;
            }
            0x09 | 0x49 | 0x0a => {
                name_ref(&mut cur)?;
                walk.content(Content::Unsupported)?;
            }
            token @ (0x0d | 0x0e) => {
                let index = cur.u16()?;
                if !known_value_type(cur.u8()?) {
                    return None;
                }
                walk.content(Content::Subst {
                    index,
                    optional: token == 0x0e,
                })?;
            }
            0x0f => {
                cur.take(3)?;
            }
            _ => return None, // 0x0C (an instance inside a definition) or an unknown token
        }
    }
    if !walk.stack.is_empty() || walk.pending.is_some() || !walk.root_done {
        return None;
    }
    Some(walk)
}
