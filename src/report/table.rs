//! Terminal, first part: the headline and a table of drops with their verdicts
//! (comfy-table). Colors only when [`RenderOptions::color`] is set.

use super::escape::terminal;
use super::view::{FindingView, View};
use super::{RenderOptions, Report};
use crate::vocab::Category;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};
use std::io::{self, IsTerminal, Write};

/// 256-color palette entry per category, shared with the timeline.
pub(crate) fn category_ansi(category: Category) -> u8 {
    match category {
        Category::Certificate => 135,
        Category::Tls => 171,
        Category::Licensing => 208,
        Category::Service => 39,
        Category::Network => 37,
        Category::Authentication => 214,
        Category::Power => 245,
        Category::Resource => 99,
        Category::SecurityProduct => 205,
        Category::Configuration => 35,
    }
}

pub(crate) fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let view = View::new(report, opts);
    if report.analysis.findings.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if opts.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    match opts.width {
        Some(width) => {
            table.set_width(width);
        }
        None if !io::stdout().is_terminal() => {
            table.set_width(120);
        }
        None => {}
    }
    table.set_header(
        [
            "#".to_string(),
            format!("Time ({})", opts.time_zone),
            "Host".to_string(),
            "User / client".to_string(),
            "Drop".to_string(),
            "Verdict".to_string(),
            "Likely cause".to_string(),
        ]
        .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
    );
    for f in view.findings() {
        table.add_row(row(&f, opts.color));
    }
    writeln!(out, "{table}")
}

fn row(f: &FindingView, color: bool) -> Vec<Cell> {
    let session = f.session.clone();
    let who = [f.user.as_deref(), f.client.as_deref(), session.as_deref()]
        .into_iter()
        .flatten()
        .map(|s| terminal(s).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    let drop = f.kind;
    let mut verdict = Cell::new(format!("{} ({})", f.verdict, f.confidence));
    if color {
        verdict = match f.category {
            Some(c) => verdict
                .fg(Color::AnsiValue(category_ansi(c)))
                .add_attribute(Attribute::Bold),
            None => verdict.fg(Color::DarkGrey),
        };
    }
    let cause = match f.causes.first() {
        Some(c) => format!("{} ({})", terminal(&c.title), c.offset),
        // The verdict's full text follows in the timeline.
        None => match &f.said_by {
            Some(title) => format!("{} (its own record)", terminal(title)),
            None => "none found in these logs".to_string(),
        },
    };
    vec![
        Cell::new(format!("F{}\nI{}", f.number, f.incident)),
        Cell::new(format!("{}\n{}", f.date, f.clock)),
        Cell::new(terminal(&f.host)),
        Cell::new(who),
        Cell::new(drop),
        verdict,
        Cell::new(cause),
    ]
}
