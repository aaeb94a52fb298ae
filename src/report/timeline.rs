//! Terminal, second part: per host, the timeline with life-cycle steps, drops
//! (highlighted), causes and context alerts, each drop followed by its verdict;
//! then the inputs/diagnostics line. Colors only when [`RenderOptions::color`].

use super::escape::terminal;
use super::rows::{Row, by_host, label, rows};
use super::table::category_ansi;
use super::view::View;
use super::{RenderOptions, Report};
use crate::correlate::model::TimelineKind;
use std::io::{self, Write};

/// Wraps text in an SGR sequence when colors are on.
struct Paint(bool);

impl Paint {
    fn sgr(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

pub(crate) fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint(opts.color);
    let view = View::new(report, opts);
    let rows = rows(report);
    for (host, host_rows) in by_host(&rows) {
        let drops = host_rows
            .iter()
            .filter(|r| r.kind == TimelineKind::Drop)
            .count();
        let title = format!("── {} ", terminal(host));
        writeln!(out)?;
        writeln!(
            out,
            "{}  {} event(s) · {} drop(s) · times in {}",
            paint.sgr("1", &title),
            host_rows.len(),
            drops,
            opts.time_zone
        )?;
        let mut last_date = String::new();
        for row in host_rows {
            let (date, clock) = opts.time_zone.date_and_clock(row.time);
            if date != last_date {
                writeln!(out, "  {}", paint.sgr("4", &date))?;
                last_date = date;
            }
            writeln!(out, "{}", line(row, &clock, &paint))?;
            if let Some(verdict) = verdict_line(row, &view, &paint) {
                writeln!(out, "{verdict}")?;
            }
        }
    }
    Ok(())
}

/// The closing line: what was read and what was not (from the totals alone:
/// no per-finding text is prepared for it).
pub(crate) fn inputs_line(
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let paint = Paint(opts.color);
    writeln!(out)?;
    let width = opts
        .width
        .map_or(super::brief::DEFAULT_WIDTH, usize::from)
        .max(40);
    for line in textwrap::wrap(&super::view::totals(report).inputs_line(), width) {
        writeln!(out, "{}", paint.sgr("2", &line))?;
    }
    Ok(())
}

fn line(row: &Row<'_>, clock: &str, paint: &Paint) -> String {
    let tag = format!("{:<17}", label(row));
    if row.kind == TimelineKind::Drop {
        // The verdict line under it says why; here only what and whose.
        let n = row
            .finding
            .map(|f| format!(" F{}", f + 1))
            .unwrap_or_default();
        let who = [row.user, row.client]
            .into_iter()
            .flatten()
            .map(|s| terminal(s).into_owned())
            .collect::<Vec<_>>()
            .join(" from ");
        let mut text = format!("▶ {}{n}", terminal(row.title).to_uppercase());
        if !who.is_empty() {
            text.push_str(&format!(": {who}"));
        }
        if let Some(session) = row.session {
            text.push_str(&format!("  [S{}]", session + 1));
        }
        if let Some(incident) = row.incident {
            text.push_str(&format!(" [I{}]", incident + 1));
        }
        return paint.sgr("1;97;41", &format!("    {clock}  {text}"));
    }
    let mut text = format!("{}: {}", terminal(row.title), terminal(row.message));
    if let Some(session) = row.session {
        text.push_str(&format!("  [S{}]", session + 1));
    }
    let tag = match (row.kind, row.category) {
        (TimelineKind::Cause, Some(c)) => paint.sgr(&format!("1;38;5;{}", category_ansi(c)), &tag),
        (TimelineKind::Context, _) => paint.sgr("2", &tag),
        _ => tag,
    };
    format!("    {clock}  {tag}{text}")
}

fn verdict_line(row: &Row<'_>, view: &View, paint: &Paint) -> Option<String> {
    if row.kind != TimelineKind::Drop {
        return None;
    }
    let f = view.finding(row.finding?)?;
    let code = match f.category {
        Some(c) => format!("1;38;5;{}", category_ansi(c)),
        None => "2".to_string(),
    };
    let verdict = paint.sgr(&code, &format!("{} ({})", f.verdict, f.confidence));
    Some(format!(
        "{:20}↳ verdict: {verdict} — {}",
        "",
        terminal(&f.summary)
    ))
}
