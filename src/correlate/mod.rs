//! Stage 4: matched events in; sessions, drops, ranked causes and verdicts out.

pub mod explain;
pub mod model;

pub use model::Analysis;
