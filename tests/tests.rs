//! End-to-end tests: one binary, one module per area.

mod util;

mod cli;
mod corpus;
mod peek_corpus;
