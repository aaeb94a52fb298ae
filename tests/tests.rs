//! Integration tests, one module per area.

mod correlate_corpus;
