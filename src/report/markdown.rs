//! `--format md`: a post-incident report sized for a ticket. An executive
//! summary first (what broke, when, for whom, the fix), then the hosts, the
//! incidents (at most [`MAX_INCIDENTS`]) and a short evidence section: the
//! logs each host had, what was read and what could not be. The per-finding
//! appendix (every finding with its causes, the sessions and the timeline)
//! comes with [`RenderOptions::findings`]. Every value from the logs passes
//! [`super::escape::markdown`].

use super::escape::markdown as md;
use super::incident_view::{self, HostView, IncidentView};
use super::rows::{Row, label, rows};
use super::view::{FindingView, View};
use super::{RenderOptions, Report};
use crate::correlate::{Analysis, absent_logs};
use std::io::{self, Write};

/// Incidents in the executive summary.
pub const SUMMARY_INCIDENTS: usize = 5;
/// Incidents described in full; the rest are counted.
pub const MAX_INCIDENTS: usize = 50;

pub(crate) fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let view = View::new(report, opts);
    let a = &report.analysis;
    let hosts = incident_view::hosts(a);
    let incidents = incident_view::incidents(a, opts);
    writeln!(out, "# {}\n", view.title)?;
    writeln!(out, "_{}_\n", md(&view.generated))?;
    summary(report, &incidents, hosts.len(), out)?;
    hosts_section(&hosts, out)?;
    writeln!(out, "## Incidents\n")?;
    if incidents.is_empty() {
        writeln!(out, "No drops and no refused connections.\n")?;
    }
    for (x, incident) in incidents.iter().zip(&a.incidents).take(MAX_INCIDENTS) {
        incident_section(x, &incident.findings, out)?;
    }
    if incidents.len() > MAX_INCIDENTS {
        writeln!(
            out,
            "… and {} more incident(s); `--format json` lists them all.\n",
            incidents.len() - MAX_INCIDENTS
        )?;
    }
    outlook(a, out)?;
    alerts(a, opts, out)?;
    writeln!(out, "## Evidence\n")?;
    scope(&view, out)?;
    writeln!(out, "{}\n", view.totals.inputs_line())?;
    unreadable(&view, out)?;
    if opts.findings {
        writeln!(out, "\n## Appendix: every finding\n")?;
        for f in view.findings() {
            finding(&f, out)?;
        }
        sessions(&view, a, out)?;
        inputs(&view, out)?;
        summaries(&view, out)?;
        timeline(&rows(report), opts, out)?;
    } else {
        writeln!(
            out,
            "\n_Each finding, the sessions and the timeline: `--findings`._"
        )?;
    }
    Ok(())
}

/// The executive summary: the headline, the first incidents, the logs missing.
fn summary(
    report: &Report,
    incidents: &[IncidentView],
    hosts: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "## Summary\n")?;
    writeln!(out, "**{}**\n", md(&incident_view::headline(report, hosts)))?;
    for x in incidents.iter().take(SUMMARY_INCIDENTS) {
        let mut line = format!(
            "- **{}** {}, {}: {}.",
            x.id,
            md(&x.host),
            x.when,
            md(&x.title)
        );
        if let Some(c) = &x.compromise {
            line.push_str(&format!(" **{}**", md(c)));
        }
        if let Some(fix) = &x.fix {
            line.push_str(&format!(" _Fix:_ {}", md(fix)));
        }
        writeln!(out, "{line}")?;
    }
    if incidents.len() > SUMMARY_INCIDENTS {
        writeln!(
            out,
            "- … and {} more incident(s), below.",
            incidents.len() - SUMMARY_INCIDENTS
        )?;
    }
    for line in report.analysis.coverage.iter().filter_map(absent_logs) {
        writeln!(out, "- {}", md(&line))?;
    }
    writeln!(out)?;
    Ok(())
}

/// The hosts, with the other names they were logged under.
fn hosts_section(hosts: &[HostView], out: &mut dyn Write) -> io::Result<()> {
    if !hosts.is_empty() {
        writeln!(out, "## Hosts\n")?;
        for host in hosts {
            let aliases = if host.aliases.is_empty() {
                String::new()
            } else {
                let names: Vec<_> = host.aliases.iter().map(|n| md(n).into_owned()).collect();
                format!(" (also logged as {})", names.join(", "))
            };
            writeln!(out, "- **{}**{aliases}: {}", md(&host.name), host.counts)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn incident_section(x: &IncidentView, members: &[usize], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### {} — {}\n", x.id, md(&x.title))?;
    let mut facts = vec![
        format!("- **When:** {} on {}", x.when, md(&x.host)),
        format!("- **Verdict:** {} ({} confidence)", x.verdict, x.confidence),
    ];
    if !x.who.is_empty() {
        facts.push(format!("- **Who:** {}", md(&x.who)));
    }
    if let Some(c) = &x.compromise {
        facts.push(format!("- **{}**", md(c)));
    }
    if let Some(first) = x.findings.first() {
        facts.push(format!("- **For example, {first}:** {}", md(&x.summary)));
    }
    if let Some(fix) = &x.fix {
        facts.push(format!("- **Fix:** {}", md(fix)));
    }
    if !x.evidence.is_empty() {
        let ev: Vec<_> = x.evidence.iter().map(|e| format!("`{}`", md(e))).collect();
        facts.push(format!("- **Evidence, for example:** {}", ev.join(", ")));
    }
    facts.push(format!("- **Findings:** {}", id_ranges(members)));
    writeln!(out, "{}\n", facts.join("\n"))
}

/// `F1–F28951, F29000` for the findings of an incident (at most eight runs).
fn id_ranges(members: &[usize]) -> String {
    let mut sorted = members.to_vec();
    sorted.sort_unstable();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for i in sorted {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == i => *end = i,
            _ => runs.push((i, i)),
        }
    }
    let mut parts: Vec<String> = runs
        .iter()
        .take(8)
        .map(|(a, z)| {
            if a == z {
                incident_view::finding_id(*a)
            } else {
                format!(
                    "{}–{}",
                    incident_view::finding_id(*a),
                    incident_view::finding_id(*z)
                )
            }
        })
        .collect();
    if runs.len() > 8 {
        parts.push(format!("and {} more", runs.len() - 8));
    }
    format!(
        "{} ({})",
        parts.join(", "),
        crate::correlate::thousands(members.len())
    )
}

fn scope(view: &View, out: &mut dyn Write) -> io::Result<()> {
    if !view.scope.is_empty() {
        writeln!(out, "| Host | Log | From | To |\n|---|---|---|---|")?;
        for s in &view.scope {
            row(out, &s.cells(md))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn sessions(view: &View, a: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    if a.sessions.is_empty() {
        return Ok(());
    }
    writeln!(out, "### Sessions\n")?;
    writeln!(
        out,
        "| # | Host | Windows id | User | Client | Start | End | Ended |\n|---|---|---|---|---|---|---|---|"
    )?;
    for s in a.sessions.iter().map(|s| view.session(s)) {
        let mut cells = s.cells(md);
        if s.dropped {
            cells[7] = format!("**{}**", s.ending);
        }
        row(out, &cells)?;
    }
    writeln!(out)
}

fn inputs(view: &View, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### Inputs\n")?;
    writeln!(
        out,
        "| File | Records | Recovered | Unreadable | Chunks skipped | Logs (computer · channel: records, from – to) |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---|")?;
    for f in &view.inputs {
        row(out, &f.cells(md, |t| format!("**{t}**")))?;
    }
    writeln!(out)
}

fn finding(f: &FindingView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### F{} — {}, {}\n", f.number, md(&f.host), f.time)?;
    let mut facts = vec![format!("- **What:** {}", f.kind)];
    if let Some(s) = &f.session {
        facts.push(format!("- **Session:** {s}"));
    }
    if let Some(u) = &f.user {
        facts.push(format!("- **User:** {}", md(u)));
    }
    if let Some(c) = &f.client {
        facts.push(format!("- **Client:** {}", md(c)));
    }
    if let Some(r) = &f.reason {
        facts.push(format!("- **Reason logged:** {}", md(r)));
    }
    facts.push(format!(
        "- **Verdict:** {} ({} confidence) — {}",
        f.verdict,
        f.confidence,
        md(&f.summary)
    ));
    if let Some(fix) = &f.fix {
        facts.push(format!("- **Fix:** {}", md(fix)));
    }
    if !f.missing_logs.is_empty() {
        let logs: Vec<_> = f.missing_logs.iter().map(|l| md(l).into_owned()).collect();
        facts.push(format!(
            "- **Logs that could tell more:** {}",
            logs.join(", ")
        ));
    }
    writeln!(out, "{}\n", facts.join("\n"))?;
    if !f.causes.is_empty() {
        writeln!(
            out,
            "| Rank | Score | Category | Level | Offset | Cause | Evidence |\n|---:|---:|---|---|---:|---|---|"
        )?;
        for c in &f.causes {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} (×{}, {}) | {} in {} |",
                c.rank,
                c.score,
                c.category,
                c.level,
                c.offset,
                md(&c.title),
                c.occurrences,
                md(&c.rule),
                md(&c.evidence.event),
                md(&c.evidence.file)
            )?;
        }
        writeln!(out)?;
        for c in &f.causes {
            write!(
                out,
                "{}. **{}** — {}",
                c.rank,
                md(&c.title),
                md(&c.explanation)
            )?;
            match &c.fix {
                Some(fix) => writeln!(out, " _Fix:_ {}", md(fix))?,
                None => writeln!(out)?,
            }
        }
        writeln!(out)?;
    }
    writeln!(out, "Evidence of the drop:\n")?;
    for e in &f.evidence {
        writeln!(out, "- {} {} in {}", e.time, md(&e.event), md(&e.file))?;
    }
    writeln!(out)
}

fn summaries(view: &View, out: &mut dyn Write) -> io::Result<()> {
    if view.summaries.is_empty() {
        return Ok(());
    }
    writeln!(out, "### Summaries\n")?;
    for (name, lines) in &view.summaries {
        writeln!(out, "**{name}**\n")?;
        for line in lines {
            writeln!(out, "- {}", md(line))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn timeline(rows: &[Row<'_>], opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### Timeline\n")?;
    writeln!(
        out,
        "| Time | Host | What | Event | Details |\n|---|---|---|---|---|"
    )?;
    for r in rows {
        let what = match r.finding {
            Some(n) if r.kind == crate::correlate::model::TimelineKind::Drop => {
                format!("**DROP F{}**", n + 1)
            }
            _ => label(r).to_string(),
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | **{}** {} |",
            opts.time_zone.format(r.time),
            md(r.host),
            what,
            md(&super::rows::evidence(r.channel, r.event_id, r.record_id)),
            md(r.title),
            md(r.message)
        )?;
    }
    writeln!(out)
}

fn unreadable(view: &View, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### What could not be read\n")?;
    let failed: Vec<_> = view
        .inputs
        .iter()
        .filter(|f| f.failed.is_some() || f.unreadable > 0 || f.chunks_skipped > 0)
        .collect();
    if failed.is_empty() && view.problems.is_empty() {
        return writeln!(out, "Everything given was read.");
    }
    for f in failed {
        writeln!(
            out,
            "- {}: {} unreadable record(s), {} chunk(s) skipped{}",
            md(&f.path),
            f.unreadable,
            f.chunks_skipped,
            f.failed
                .as_deref()
                .map(|e| format!("; not read: {}", md(e)))
                .unwrap_or_default()
        )?;
    }
    if !view.problems.is_empty() {
        writeln!(out, "\n| Problem | Where | Message |\n|---|---|---|")?;
        for p in &view.problems {
            row(out, &p.cells(md))?;
        }
    }
    Ok(())
}

/// The alert summary: every alert rule, most severe first (informational ones folded
/// unless `--alerts`).
fn alerts(
    a: &crate::correlate::Analysis,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    if a.alerts.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Alerts\n")?;
    writeln!(out, "{}\n", super::alert_view::intro(a))?;
    let view = super::alert_view::rows(a, opts.alerts);
    if !view.shown.is_empty() {
        writeln!(
            out,
            "| Level | Rule | Alerts | When | Hosts | ATT&CK | Status |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|")?;
    }
    for r in &view.shown {
        row(out, &super::alert_view::cells(r, opts).escaped(md))?;
    }
    if let Some(note) = super::alert_view::folded_note(&view) {
        writeln!(out, "\n{}", md(&note))?;
    }
    writeln!(out)
}

/// What will break next, per host: every item, most urgent first.
fn outlook(a: &crate::correlate::Analysis, out: &mut dyn Write) -> io::Result<()> {
    if a.outlook.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Outlook\n")?;
    writeln!(out, "As of each host's last record.\n")?;
    writeln!(
        out,
        "| Level | Host | What | How it was read | Fix | Evidence |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    let rows = super::outlook_view::rows(a, crate::correlate::model::OutlookLevel::Ok);
    for r in &rows {
        row(out, &r.cells(md))?;
    }
    writeln!(out)
}

/// One table row: each cell between `|`s.
fn row(out: &mut dyn Write, cells: &[String]) -> io::Result<()> {
    write!(out, "|")?;
    for cell in cells {
        write!(out, " {cell} |")?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_puts_each_cell_between_bars() {
        let mut out = Vec::new();
        row(&mut out, &["a".to_string(), md("b|c").into_owned()]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "| a | b\\|c |\n");
    }
}
