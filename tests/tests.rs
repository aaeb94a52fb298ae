//! The integration tests, one binary (`autotests = false`).

mod golden;
mod render_cli;
mod render_fixture;
mod render_golden;
mod render_safety;
