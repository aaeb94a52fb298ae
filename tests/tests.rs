//! End-to-end tests, one module per concern.

mod rule_errors;
mod rules_tree;
mod sigma_conformance;
mod sigmahq_load;
