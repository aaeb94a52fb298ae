//! Where the text of a field comes from in a template: the one word the template walk
//! ([`super::walk`]), the data plan ([`super::plan`]) and the peek share.

use std::sync::Arc;

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
        /// An optional substitution token rather than a normal one.
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
