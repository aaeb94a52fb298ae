//! `--format html`: one self-contained file (inline CSS, no scripts, a Content
//! Security Policy that forbids loading anything) with the Markdown report's
//! content, stat cards, finding cards and an inline SVG timeline per host
//! ([`super::svg`]). Every value from the logs passes [`super::escape::html`].

use super::escape::html as h;
use super::rows::{Row, by_host, evidence, label, rows};
use super::svg::{category_hex, host_chart};
use super::view::{FindingView, View};
use super::{RenderOptions, Report};
use crate::correlate::model::TimelineKind;
use crate::rules::extension::Category;
use std::io::{self, Write};

const CSS: &str = include_str!("report.css");

pub(crate) fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let view = View::new(report, opts);
    let rows = rows(report);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>\n{CSS}{}</style>\n</head>\n<body>\n",
        h(&view.title),
        category_css()
    )?;
    header(&view, out)?;
    timeline(report, &rows, opts, out)?;
    writeln!(out, "<section><h2>Findings</h2>")?;
    if view.findings.is_empty() {
        writeln!(out, "<p class=\"muted\">No drops.</p>")?;
    }
    for f in &view.findings {
        finding(f, out)?;
    }
    writeln!(out, "</section>")?;
    sessions_and_scope(&view, out)?;
    inputs(&view, out)?;
    event_table(&rows, opts, out)?;
    unreadable(&view, out)?;
    writeln!(
        out,
        "<footer>{}</footer>\n</body>\n</html>",
        h(&view.generated)
    )
}

fn category_css() -> String {
    Category::ALL
        .iter()
        .map(|c| format!(".cat-{}{{--c:{}}}\n", c.as_str(), category_hex(*c)))
        .collect()
}

fn header(view: &View, out: &mut dyn Write) -> io::Result<()> {
    let t = &view.totals;
    writeln!(
        out,
        "<header><h1>{}</h1><p class=\"sub\">{}</p><p class=\"headline\">{}</p>",
        h(&view.title),
        h(&view.generated),
        h(&view.headline())
    )?;
    let cards = [
        ("drops", t.drops.to_string(), t.drops > 0),
        ("explained", format!("{} / {}", t.explained, t.drops), false),
        ("sessions", t.sessions.to_string(), false),
        ("hosts", t.hosts.to_string(), false),
        ("files", t.files.to_string(), false),
        ("records", t.records.to_string(), false),
        (
            "unreadable",
            (t.unreadable + t.chunks_skipped).to_string(),
            t.unreadable + t.chunks_skipped > 0,
        ),
        ("rules", t.rules.to_string(), false),
    ];
    write!(out, "<div class=\"cards\">")?;
    for (name, value, alert) in cards {
        write!(
            out,
            "<div class=\"card{}\"><b>{value}</b><span>{name}</span></div>",
            if alert { " alert" } else { "" }
        )?;
    }
    writeln!(out, "</div></header>")
}

fn timeline(
    report: &Report,
    rows: &[Row<'_>],
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "<section><h2>Timeline</h2>")?;
    if rows.is_empty() {
        writeln!(out, "<p class=\"muted\">No events on the timeline.</p>")?;
    }
    for (host, host_rows) in by_host(rows) {
        writeln!(out, "<h3>{}</h3>", h(host))?;
        writeln!(
            out,
            "<div class=\"chart\">{}</div>",
            host_chart(report, host, &host_rows, opts)
        )?;
    }
    writeln!(
        out,
        "<p class=\"legend\"><span class=\"k drop\"></span>drop <span class=\"k step\"></span>life-cycle step \
         <span class=\"k cause\"></span>cause (joined to its drop) <span class=\"k ctx\"></span>context alert \
         <span class=\"muted\">— hover a mark for its event</span></p></section>"
    )
}

fn badge(f: &FindingView) -> String {
    let class = f
        .category
        .map_or("none".to_string(), |c| format!("cat-{}", c.as_str()));
    format!(
        "<span class=\"badge {class}\">{} · {}</span>",
        h(&f.verdict),
        f.confidence
    )
}

fn finding(f: &FindingView, out: &mut dyn Write) -> io::Result<()> {
    let class = f
        .category
        .map_or("none".to_string(), |c| format!("cat-{}", c.as_str()));
    writeln!(
        out,
        "<article class=\"finding {class}\" id=\"drop-{}\">",
        f.number
    )?;
    writeln!(
        out,
        "<h3>Drop {} <span class=\"muted\">{} · {}</span> {}</h3>",
        f.number,
        h(&f.host),
        h(&f.time),
        badge(f)
    )?;
    writeln!(out, "<p class=\"summary\">{}</p>", h(&f.summary))?;
    if let Some(fix) = &f.fix {
        writeln!(out, "<p class=\"fix\"><b>Fix</b> {}</p>", h(fix))?;
    }
    let mut facts = vec![("What", f.kind.to_string())];
    facts.extend(f.session.clone().map(|s| ("Session", s)));
    facts.extend(f.user.clone().map(|s| ("User", s)));
    facts.extend(f.client.clone().map(|s| ("Client", s)));
    facts.extend(f.reason.clone().map(|s| ("Reason logged", s)));
    facts.push(("Rule", f.rule.clone()));
    if !f.missing_logs.is_empty() {
        facts.push(("Logs that could tell more", f.missing_logs.join(", ")));
    }
    write!(out, "<dl>")?;
    for (k, v) in facts {
        write!(out, "<dt>{k}</dt><dd>{}</dd>", h(&v))?;
    }
    writeln!(out, "</dl>")?;
    if !f.causes.is_empty() {
        writeln!(
            out,
            "<table><thead><tr><th>#</th><th>Score</th><th>Cause</th><th>Offset</th><th>Evidence</th></tr></thead><tbody>"
        )?;
        for c in &f.causes {
            writeln!(
                out,
                "<tr><td>{}</td><td><meter min=\"0\" max=\"1\" value=\"{}\"></meter> {}</td><td><span class=\"dot cat-{}\"></span><b>{}</b> <span class=\"muted\">{} · {} · ×{} · {}</span><br>{}{}</td><td>{}</td><td><code>{}</code><br><span class=\"muted\">{}</span></td></tr>",
                c.rank,
                c.score,
                c.score,
                c.category.as_str(),
                h(&c.title),
                c.category,
                c.level,
                c.occurrences,
                h(&c.rule),
                h(&c.explanation),
                c.fix
                    .as_deref()
                    .map(|x| format!("<br><i>Fix:</i> {}", h(x)))
                    .unwrap_or_default(),
                c.offset,
                h(&c.evidence.event),
                h(&c.evidence.file)
            )?;
        }
        writeln!(out, "</tbody></table>")?;
    }
    write!(
        out,
        "<details><summary>Evidence of the drop ({})</summary><ul>",
        f.evidence.len()
    )?;
    for e in &f.evidence {
        write!(
            out,
            "<li>{} <code>{}</code> in {}</li>",
            h(&e.time),
            h(&e.event),
            h(&e.file)
        )?;
    }
    writeln!(out, "</ul></details></article>")
}

fn sessions_and_scope(view: &View, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<section><h2>Sessions</h2><table><thead><tr><th>#</th><th>Host</th><th>Id</th><th>User</th><th>Client</th><th>Start</th><th>End</th><th>Ended</th></tr></thead><tbody>"
    )?;
    for s in &view.sessions {
        writeln!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if s.dropped { " class=\"bad\"" } else { "" },
            s.number,
            h(&s.host),
            s.id.map(|i| i.to_string()).unwrap_or_default(),
            h(s.user.as_deref().unwrap_or("")),
            h(s.client.as_deref().unwrap_or("")),
            h(&s.start),
            h(&s.end),
            s.ending
        )?;
    }
    writeln!(out, "</tbody></table>")?;
    writeln!(
        out,
        "<h2>Scope</h2><table><thead><tr><th>Host</th><th>Log</th><th>From</th><th>To</th></tr></thead><tbody>"
    )?;
    for s in &view.scope {
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            h(&s.computer),
            h(&s.channel),
            h(&s.first),
            h(&s.last)
        )?;
    }
    writeln!(out, "</tbody></table>")?;
    for (name, lines) in &view.summaries {
        write!(out, "<h3>{name}</h3><ul>")?;
        for line in lines {
            write!(out, "<li>{}</li>", h(line))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</section>")
}

fn inputs(view: &View, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<section><h2>Inputs</h2><p>{}</p>",
        h(&view.inputs_line())
    )?;
    writeln!(
        out,
        "<table><thead><tr><th>File</th><th>Records</th><th>Recovered</th><th>Unreadable</th><th>Chunks skipped</th><th>Logs</th></tr></thead><tbody>"
    )?;
    for f in &view.inputs {
        let logs = f.logs_cell(h, |t: &str| format!("<b>{t}</b>"), "<br>");
        writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            h(&f.path),
            f.records,
            f.recovered,
            f.unreadable,
            f.chunks_skipped,
            logs
        )?;
    }
    writeln!(out, "</tbody></table></section>")
}

fn event_table(rows: &[Row<'_>], opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<section><details><summary><h2>All timeline events ({})</h2></summary><table class=\"events\"><thead><tr><th>Time</th><th>Host</th><th>What</th><th>Event</th><th>Details</th></tr></thead><tbody>",
        rows.len()
    )?;
    for r in rows {
        let class = match (r.kind, r.category) {
            (TimelineKind::Drop, _) => " class=\"bad\"".to_string(),
            (_, Some(c)) => format!(" class=\"cat-{}\"", c.as_str()),
            _ => String::new(),
        };
        writeln!(
            out,
            "<tr{class}><td>{}</td><td>{}</td><td><span class=\"tag\">{}</span></td><td><code>{}</code></td><td><b>{}</b> {}</td></tr>",
            h(&opts.time_zone.format(r.time)),
            h(r.host),
            label(r),
            h(&evidence(r.channel, r.event_id, r.record_id)),
            h(r.title),
            h(r.message)
        )?;
    }
    writeln!(out, "</tbody></table></details></section>")
}

fn unreadable(view: &View, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<section><h2>What could not be read</h2>")?;
    if view.problems.is_empty()
        && view.totals.unreadable + view.totals.chunks_skipped + view.totals.files_failed as u64
            == 0
    {
        return writeln!(
            out,
            "<p class=\"muted\">Everything given was read.</p></section>"
        );
    }
    writeln!(
        out,
        "<table><thead><tr><th>Problem</th><th>Where</th><th>Message</th></tr></thead><tbody>"
    )?;
    for p in &view.problems {
        writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            p.kind,
            h(&p.place),
            h(&p.message)
        )?;
    }
    writeln!(out, "</tbody></table></section>")
}
