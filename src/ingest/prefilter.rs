//! What a reader wants of each record, decided from its [`Peek`] before it is rendered.

use super::binxml::Peek;
use std::sync::Arc;

/// What a [`Prefilter`] wants of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// Nothing: the record is counted, not rendered.
    Nothing,
    /// The whole event.
    Event,
    /// The event's header only: its data fields, activity id and user SID are not read.
    /// The map of [`super::read_all_noted`] gets it with this note of what the prefilter
    /// decided (for analysis, the rules that match it); other readers read the whole event.
    Header(Note),
}

/// What a prefilter tells the map of a record it wants by its header alone: numbers that
/// mean something to the two of them only.
pub type Note = Box<[u32]>;

/// Decides from what [`super::peek()`] reads of a record what is worth reading of it.
#[derive(Clone)]
pub struct Prefilter(Arc<dyn Fn(&Peek) -> Want + Send + Sync>);

impl Prefilter {
    /// A prefilter that says what it wants of each record.
    pub fn new(decide: impl Fn(&Peek) -> Want + Send + Sync + 'static) -> Prefilter {
        Prefilter(Arc::new(decide))
    }

    /// A prefilter that wants the whole of the records `keep` says yes to, and nothing of
    /// the others.
    pub fn keep_if(keep: impl Fn(&Peek) -> bool + Send + Sync + 'static) -> Prefilter {
        Prefilter::new(move |p| if keep(p) { Want::Event } else { Want::Nothing })
    }

    /// What it wants of the record `peek` shows.
    pub fn want(&self, peek: &Peek) -> Want {
        (self.0)(peek)
    }
}

impl std::fmt::Debug for Prefilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prefilter")
    }
}
