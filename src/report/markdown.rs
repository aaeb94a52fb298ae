//! `--format md`: a post-incident report. Scope, hosts and sessions, inputs with
//! their time ranges, findings with verdicts, causes, fixes and evidence
//! records, summaries, the timeline, and what could not be read. Every value
//! from the logs passes [`super::escape::markdown`].

use super::escape::markdown as md;
use super::rows::{Row, label, rows};
use super::view::{FindingView, View};
use super::{RenderOptions, Report};
use std::io::{self, Write};

pub(crate) fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let view = View::new(report, opts);
    writeln!(out, "# {}\n", view.title)?;
    writeln!(out, "_{}_\n", md(&view.generated))?;
    writeln!(out, "**{}**\n", view.headline())?;
    scope(&view, out)?;
    inputs(&view, out)?;
    writeln!(out, "## Findings\n")?;
    if view.findings.is_empty() {
        writeln!(out, "No drops.\n")?;
    }
    for f in &view.findings {
        finding(f, out)?;
    }
    summaries(&view, out)?;
    timeline(&rows(report), opts, out)?;
    unreadable(&view, out)
}

fn scope(view: &View, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Scope\n")?;
    if !view.scope.is_empty() {
        writeln!(out, "| Host | Log | From | To |\n|---|---|---|---|")?;
        for s in &view.scope {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                md(&s.computer),
                md(&s.channel),
                s.first,
                s.last
            )?;
        }
        writeln!(out)?;
    }
    if !view.sessions.is_empty() {
        writeln!(out, "### Sessions\n")?;
        writeln!(
            out,
            "| # | Host | Id | User | Client | Start | End | Ended |\n|---|---|---|---|---|---|---|---|"
        )?;
        for s in &view.sessions {
            let ending = if s.dropped {
                format!("**{}**", s.ending)
            } else {
                s.ending.to_string()
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                s.number,
                md(&s.host),
                s.id.map(|i| i.to_string()).unwrap_or_default(),
                md(s.user.as_deref().unwrap_or("")),
                md(s.client.as_deref().unwrap_or("")),
                s.start,
                s.end,
                ending
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn inputs(view: &View, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Inputs\n")?;
    writeln!(out, "{}\n", view.inputs_line())?;
    writeln!(
        out,
        "| File | Records | Recovered | Unreadable | Chunks skipped | Logs (computer · channel: records, from – to) |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---|")?;
    for f in &view.inputs {
        let logs = f.logs_cell(md, |t: &str| format!("**{t}**"), "<br>");
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            md(&f.path),
            f.records,
            f.recovered,
            f.unreadable,
            f.chunks_skipped,
            logs
        )?;
    }
    writeln!(out)
}

fn finding(f: &FindingView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### Drop {} — {}, {}\n", f.number, md(&f.host), f.time)?;
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
    writeln!(out, "## Summaries\n")?;
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
    writeln!(out, "## Timeline\n")?;
    writeln!(
        out,
        "| Time | Host | What | Event | Details |\n|---|---|---|---|---|"
    )?;
    for r in rows {
        let what = match r.finding {
            Some(n) if r.kind == crate::correlate::model::TimelineKind::Drop => {
                format!("**DROP #{}**", n + 1)
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
    writeln!(out, "## What could not be read\n")?;
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
            writeln!(
                out,
                "| {} | {} | {} |",
                p.kind,
                md(&p.place),
                md(&p.message)
            )?;
        }
    }
    Ok(())
}
