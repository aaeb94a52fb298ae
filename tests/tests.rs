//! End-to-end tests: one binary, one module per area.

mod util;

mod analyze_cli;
mod cli;
mod corpus;
mod correlate_corpus;
mod fault_matrix;
mod fuzz_regressions;
mod inputs;
mod normalize_golden;
mod peek_corpus;
mod prejudge_corpus;
mod reliability;
mod render_fixture;
mod render_golden;
mod render_safety;
mod report_scale;
mod rule_author;
mod rule_coverage;
mod rule_errors;
mod rules_cli;
mod rules_tree;
mod samples;
mod scenario_golden;
mod scenarios;
mod sigma_conformance;
mod sigmahq_load;
mod stage_order;
mod truth;
mod untrusted;
