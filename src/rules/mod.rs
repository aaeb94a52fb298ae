//! Stage 3: Sigma rules (with our `dropcause:` extension) matched against events.
//!
//! Input: [`crate::event::Event`]s. Output: [`Matched`] events, each with the
//! [`RuleInfo`] of every rule that matched it.

pub mod extension;
mod matched;

pub use extension::{Category, Extension, Level, Role, RuleInfo, Step, Window};
pub use matched::Matched;
