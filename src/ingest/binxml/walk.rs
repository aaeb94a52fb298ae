//! A bounded walk over one BinXML template definition of an EVTX chunk, to learn where the
//! `Event/System` header fields of its instances come from (see [`super::peek()`]).
//!
//! The walk mirrors how the `evtx` crate (0.15.1) reads a template definition: the same tokens,
//! the same name references (an entry written inline right after its reference is skipped),
//! the same loop bound (tokens start before the end of the body, and may read past it). Every
//! read is checked; the cursor only moves forward, so the walk ends within the chunk's length,
//! and element depth is capped. Anything the peek does not model makes the walk give up
//! (`None`): a caller then renders the record in full.

use super::content::Content;
use super::cursor::{Cursor, name_is, name_text};
use super::plan::{DataKind, DataPlan, DataWalk};
use super::vocab::{
    NAME_ENTRY_UNITS_AT, NO_DEPENDENCY, TEMPLATE_HEADER_SIZE, decode_utf16, known_value_type,
    split_more_flag, template_body_size, token, until_nul, value_type,
};

/// Deeper element nesting than this gives up (real templates nest a few levels).
const MAX_DEPTH: usize = 64;

/// Reads a name reference (a chunk offset), skipping the entry when it is written inline right
/// after the reference, and returns the offset.
fn name_ref(cur: &mut Cursor<'_>) -> Option<u32> {
    let offset = cur.u32()?;
    if usize::try_from(offset).ok()? == cur.pos {
        cur.take(NAME_ENTRY_UNITS_AT)?; // next entry (u32), hash (u16)
        let units = usize::from(cur.u16()?);
        // The units and the NUL unit; evtx only repositions here, so the bytes need not be
        // there, but the position must be inside the chunk.
        let end = cur.pos.checked_add(units * 2 + 2)?;
        if end > cur.data_len() {
            return None;
        }
        cur.pos = end;
    }
    Some(offset)
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
            Some(Kind::System) => self.open_header_field(data, name, dep)?,
            Some(parent) => {
                // A child element of a field makes its JSON an object we do not model.
                self.taint(parent);
                Kind::Other
            }
        };
        self.pending = Some((kind, Slot::Ignored));
        Some(())
    }

    /// A header field element opens inside `System`: its DependencyId goes to its fields.
    fn open_header_field(&mut self, data: &[u8], name: u32, dep: Option<u16>) -> Option<Kind> {
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
        Some(kind)
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
    let size = template_body_size(cur.array::<TEMPLATE_HEADER_SIZE>()?);
    let end = cur.pos.checked_add(usize::try_from(size).ok()?)?;
    if end > data.len() {
        return None;
    }
    let mut walk = Walk::new(root);
    while cur.pos < end {
        if !walk.token(data, &mut cur)? {
            break;
        }
    }
    if !walk.stack.is_empty() || walk.pending.is_some() || !walk.root_done {
        return None;
    }
    Some(walk)
}

impl Walk {
    /// A walk that has read nothing yet.
    fn new(root: Root) -> Self {
        Walk {
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
        }
    }

    /// Reads one token at `cur` (in the chunk `data`): `Some(false)` at the end of the
    /// definition, `None` when the walk gives up. A token that may carry the "more follow"
    /// flag is read alike with it or without (as `evtx` reads it); the others give up with it.
    fn token(&mut self, data: &[u8], cur: &mut Cursor<'_>) -> Option<bool> {
        use token::*;
        match split_more_flag(cur.u8()?) {
            (EOF, false) => return Some(false),
            (OPEN_START, more) => {
                let dep = cur.u16()?;
                cur.u32()?; // data size
                let name = name_ref(cur)?;
                if more {
                    cur.u32()?; // attribute list size
                }
                self.open(data, name, (dep != NO_DEPENDENCY).then_some(dep))?;
            }
            (CLOSE_START, false) => self.close_start(false)?,
            (CLOSE_EMPTY, false) => self.close_start(true)?,
            (END, false) => self.end()?,
            (VALUE, _) => {
                // Only string literals: other types (a fragment, say) are not modelled.
                if cur.u8()? != value_type::STRING {
                    return None;
                }
                let text = decode_utf16(until_nul(cur.len_prefixed_utf16()?))?;
                let piece = if text.is_empty() {
                    Content::Unsupported
                } else {
                    Content::Static(text.into())
                };
                self.content(piece)?;
            }
            (ATTRIBUTE, _) => {
                let name = name_ref(cur)?;
                self.attribute(data, name)?;
            }
            (CDATA, _) | (PI_DATA, false) => {
                cur.len_prefixed_utf16()?;
                self.content(Content::Unsupported)?;
            }
            (CHAR_REF, _) => {
                cur.u16()?;
                self.content(Content::Unsupported)?;
            }
            (ENTITY_REF, _) | (PI_TARGET, false) => {
                name_ref(cur)?;
                self.content(Content::Unsupported)?;
            }
            (subst @ (NORMAL_SUBST | OPTIONAL_SUBST), false) => {
                let index = cur.u16()?;
                if !known_value_type(cur.u8()?) {
                    return None;
                }
                self.content(Content::Subst {
                    index,
                    optional: subst == OPTIONAL_SUBST,
                })?;
            }
            (FRAGMENT_HEADER, false) => {
                cur.take(3)?; // version and flags
            }
            // A template instance inside a definition, or an unknown token.
            _ => return None,
        }
        Some(true)
    }
}
