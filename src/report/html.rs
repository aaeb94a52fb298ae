//! `--format html`: one self-contained file (inline CSS, no scripts, a Content
//! Security Policy that forbids loading anything): stat cards, hosts, the
//! incidents as cards with their findings folded (`<details>`, at most
//! [`MAX_FINDINGS_PER_INCIDENT`] each), an inline SVG timeline per host that
//! aggregates ([`super::svg`]), sessions, scope, inputs and a capped events
//! table. Its size follows the incidents, not the findings. Every value from
//! the logs passes [`super::escape::html`].

use super::escape::html as h;
use super::incident_view;
use super::rows::{Row, by_host, evidence, label, rows};
use super::svg::{category_hex, host_chart};
use super::view::{FindingView, View};
use super::{RenderOptions, Report};
use crate::correlate::absent_logs;
use crate::correlate::model::TimelineKind;
use crate::correlate::model::{DropKind, Session, SessionKind};
use crate::vocab::Category;
use std::io::{self, Write};

const CSS: &str = include_str!("report.css");

/// Findings shown inside one incident; the rest are counted (every format
/// made for machines lists them all).
pub const MAX_FINDINGS_PER_INCIDENT: usize = 20;
/// Sessions listed in the sessions table.
pub const MAX_SESSIONS: usize = 500;
/// Timeline events listed in the events table.
pub const MAX_EVENTS: usize = 1_000;

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
    let host_views = incident_view::hosts(&report.analysis);
    header(report, &view, host_views.len(), out)?;
    hosts(report, &host_views, out)?;
    incidents(report, &view, opts, out)?;
    outlook(report, out)?;
    alerts(report, opts, out)?;
    timeline(report, &rows, opts, out)?;
    sessions_and_scope(&view, &report.analysis.sessions, out)?;
    inputs(&view, out)?;
    event_table(&rows, opts, out)?;
    unreadable(&view, out)?;
    writeln!(
        out,
        "<footer>{}</footer>\n</body>\n</html>",
        h(&view.generated)
    )
}

fn hosts(
    report: &Report,
    hosts: &[incident_view::HostView],
    out: &mut dyn Write,
) -> io::Result<()> {
    if hosts.is_empty() {
        return Ok(());
    }
    writeln!(out, "<section><h2>Hosts</h2><ul class=\"hosts\">")?;
    for host in hosts {
        let aliases = if host.aliases.is_empty() {
            String::new()
        } else {
            format!(
                " <span class=\"muted\">also logged as {}</span>",
                h(&host.aliases.join(", "))
            )
        };
        writeln!(
            out,
            "<li><b>{}</b>: {}{aliases}</li>",
            h(&host.name),
            h(&host.counts)
        )?;
    }
    writeln!(out, "</ul>")?;
    for line in report.analysis.coverage.iter().filter_map(absent_logs) {
        writeln!(out, "<p class=\"muted\">{}</p>", h(&line))?;
    }
    writeln!(out, "</section>")
}

fn incidents(
    report: &Report,
    view: &View,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "<section><h2>Incidents</h2>")?;
    let list = incident_view::incidents(&report.analysis, opts);
    if list.is_empty() {
        writeln!(
            out,
            "<p class=\"muted\">No drops and no refused connections.</p>"
        )?;
    }
    for (x, incident) in list.iter().zip(&report.analysis.incidents) {
        card_head(
            out,
            "finding incident",
            &x.id,
            [&x.host, &x.when],
            (x.category, &x.verdict, x.confidence),
        )?;
        writeln!(out, "<p class=\"summary\">{}</p>", h(&x.title))?;
        if let Some(c) = &x.compromise {
            writeln!(out, "<p class=\"alarm\">{}</p>", h(c))?;
        }
        if !x.who.is_empty() {
            writeln!(out, "<p class=\"muted\">{}</p>", h(&x.who))?;
        }
        writeln!(
            out,
            "<p>{}: {}</p>",
            x.findings.first().map_or("", String::as_str),
            h(&x.summary)
        )?;
        if let Some(fix) = &x.fix {
            writeln!(out, "<p class=\"fix\"><b>Fix</b> {}</p>", h(fix))?;
        }
        if !x.evidence.is_empty() {
            writeln!(
                out,
                "<p class=\"muted\">Evidence, for example: <code>{}</code></p>",
                h(&x.evidence.join(" · "))
            )?;
        }
        let members = &incident.findings;
        writeln!(
            out,
            "<details><summary>{} finding(s)</summary>",
            crate::correlate::thousands(x.count)
        )?;
        for f in members.iter().take(MAX_FINDINGS_PER_INCIDENT) {
            if let Some(f) = view.finding(*f) {
                finding(&f, out)?;
            }
        }
        if members.len() > MAX_FINDINGS_PER_INCIDENT {
            writeln!(
                out,
                "<p class=\"muted\">… and {} more, alike; <code>--format csv</code> or <code>json</code> lists every one.</p>",
                crate::correlate::thousands(members.len() - MAX_FINDINGS_PER_INCIDENT)
            )?;
        }
        writeln!(out, "</details></article>")?;
    }
    writeln!(out, "</section>")
}

/// The CSS class of a category (`cat-tls`), or `none`.
fn cat_class(category: Option<Category>) -> String {
    category.map_or("none".to_string(), |c| format!("cat-{}", c.as_str()))
}

fn category_css() -> String {
    Category::ALL
        .iter()
        .map(|c| format!(".cat-{}{{--c:{}}}\n", c.as_str(), category_hex(*c)))
        .collect()
}

fn header(report: &Report, view: &View, hosts: usize, out: &mut dyn Write) -> io::Result<()> {
    let t = &view.totals;
    let a = &report.analysis;
    writeln!(
        out,
        "<header><h1>{}</h1><p class=\"sub\">{}</p><p class=\"headline\">{}</p>",
        h(&view.title),
        h(&view.generated),
        h(&incident_view::headline(report, hosts))
    )?;
    let count = |k: DropKind| a.findings.iter().filter(|f| f.dropped.kind == k).count();
    let (dropped, refused) = (
        count(DropKind::SessionDropped),
        count(DropKind::ConnectionRefused),
    );
    let cards = [
        ("dropped", dropped.to_string(), dropped > 0),
        ("refused", refused.to_string(), refused > 0),
        ("incidents", a.incidents.len().to_string(), false),
        ("explained", format!("{} / {}", t.explained, t.drops), false),
        ("hosts", hosts.to_string(), false),
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
        "<p class=\"legend\">Bars count drops, refusals and records per time slice (taller: more; \
         refusals lighter than drops); labels name the incidents. \
         <span class=\"muted\">Hover a bar for its counts and times.</span></p></section>"
    )
}

/// Opens a card: `<article class="{kind} cat-…" id="{id}">`, then its heading:
/// the id, where and when (`place`, escaped here), and a badge with the
/// verdict (category, text, confidence).
fn card_head(
    out: &mut dyn Write,
    kind: &str,
    id: &str,
    place: [&str; 2],
    (category, verdict, confidence): (Option<Category>, &str, &str),
) -> io::Result<()> {
    let class = cat_class(category);
    writeln!(out, "<article class=\"{kind} {class}\" id=\"{id}\">")?;
    writeln!(
        out,
        "<h3>{id} <span class=\"muted\">{} · {}</span> <span class=\"badge {class}\">{} · {confidence}</span></h3>",
        h(place[0]),
        h(place[1]),
        h(verdict)
    )
}

fn finding(f: &FindingView, out: &mut dyn Write) -> io::Result<()> {
    card_head(
        out,
        "finding",
        &format!("F{}", f.number),
        [&f.host, &f.time],
        (f.category, &f.verdict, f.confidence),
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

fn sessions_and_scope(view: &View, sessions: &[Session], out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<section><h2>Sessions</h2><table><thead><tr><th>#</th><th>Host</th><th>Windows id</th><th>User</th><th>Client</th><th>Start</th><th>End</th><th>Ended</th></tr></thead><tbody>"
    )?;
    let listed: Vec<&Session> = sessions
        .iter()
        .filter(|s| s.kind != SessionKind::Attempt)
        .collect();
    for s in listed.iter().take(MAX_SESSIONS) {
        let s = view.session(s);
        let class = if s.dropped { " class=\"bad\"" } else { "" };
        tr(out, class, &[], &s.cells(h))?;
    }
    writeln!(out, "</tbody></table>")?;
    let attempts = sessions.len() - listed.len();
    if attempts > 0 || listed.len() > MAX_SESSIONS {
        writeln!(
            out,
            "<p class=\"muted\">{} more session(s) not listed; {} connection attempt(s) are under their incidents.</p>",
            listed.len().saturating_sub(MAX_SESSIONS),
            attempts
        )?;
    }
    writeln!(
        out,
        "<h2>Scope</h2><table><thead><tr><th>Host</th><th>Log</th><th>From</th><th>To</th></tr></thead><tbody>"
    )?;
    for s in &view.scope {
        tr(out, "", &[], &s.cells(h))?;
    }
    writeln!(out, "</tbody></table>")?;
    for (name, lines) in &view.summaries {
        write!(out, "<h3>{name}</h3><ul>")?;
        for line in lines.iter().take(20) {
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
        h(&view.totals.inputs_line())
    )?;
    writeln!(
        out,
        "<table><thead><tr><th>File</th><th>Records</th><th>Recovered</th><th>Unreadable</th><th>Chunks skipped</th><th>Logs</th></tr></thead><tbody>"
    )?;
    const COLUMNS: [Td<'_>; 5] = [Td::Code, Td::Number, Td::Number, Td::Number, Td::Number];
    for f in &view.inputs {
        tr(out, "", &COLUMNS, &f.cells(h, |t| format!("<b>{t}</b>")))?;
    }
    writeln!(out, "</tbody></table></section>")
}

fn event_table(rows: &[Row<'_>], opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<section><details><summary><h2>All timeline events ({})</h2></summary><table class=\"events\"><thead><tr><th>Time</th><th>Host</th><th>What</th><th>Event</th><th>Details</th></tr></thead><tbody>",
        rows.len()
    )?;
    for r in rows.iter().take(MAX_EVENTS) {
        let class = match (r.kind, r.category) {
            (TimelineKind::Drop, _) => " class=\"bad\"".to_string(),
            (_, Some(c)) => format!(" class=\"cat-{}\"", c.as_str()),
            _ => String::new(),
        };
        let cells = [
            h(&opts.time_zone.format(r.time)).into_owned(),
            h(r.host).into_owned(),
            format!("<span class=\"tag\">{}</span>", label(r)),
            h(&evidence(r.channel, r.event_id, r.record_id)).into_owned(),
            format!("<b>{}</b> {}", h(r.title), h(r.message)),
        ];
        tr(
            out,
            &class,
            &[Td::Text, Td::Text, Td::Text, Td::Code],
            &cells,
        )?;
    }
    writeln!(out, "</tbody></table>")?;
    if rows.len() > MAX_EVENTS {
        writeln!(
            out,
            "<p class=\"muted\">The first {MAX_EVENTS} of {}; <code>--format csv</code> or <code>jsonl</code> has them all.</p>",
            rows.len()
        )?;
    }
    writeln!(out, "</details></section>")
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
        tr(out, "", &[Td::Text, Td::Code], &p.cells(h))?;
    }
    writeln!(out, "</tbody></table></section>")
}

/// The alert summary: every alert rule, most severe first (informational ones folded
/// unless `--alerts`).
fn alerts(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let a = &report.analysis;
    if a.alerts.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section><h2>Alerts</h2><p class=\"muted\">{}</p>",
        h(&super::alert_view::intro(a))
    )?;
    let view = super::alert_view::rows(a, opts.alerts);
    if !view.shown.is_empty() {
        writeln!(
            out,
            "<table><thead><tr><th>Level</th><th>Rule</th><th>Alerts</th><th>When</th>\
             <th>Hosts</th><th>ATT&amp;CK</th><th>Status</th></tr></thead><tbody>"
        )?;
        for r in &view.shown {
            let c = super::alert_view::cells(r, opts);
            let class = format!(" class=\"level-{}\"", c.level);
            let rule = h(&r.rule_id);
            tr(out, &class, &[Td::Text, Td::Titled(&rule)], &c.escaped(h))?;
        }
        writeln!(out, "</tbody></table>")?;
    }
    if let Some(note) = super::alert_view::folded_note(&view) {
        writeln!(out, "<p class=\"muted\">{}</p>", h(&note))?;
    }
    writeln!(out, "</section>")
}

/// What will break next, per host: every item, most urgent first.
fn outlook(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let a = &report.analysis;
    if a.outlook.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section><h2>Outlook</h2><p class=\"muted\">As of each host's last record.</p>\
         <table><thead><tr><th>Level</th><th>Host</th><th>What</th><th>How it was read</th>\
         <th>Fix</th><th>Evidence</th></tr></thead><tbody>"
    )?;
    for r in super::outlook_view::rows(a, crate::correlate::model::OutlookLevel::Ok) {
        let class = format!(" class=\"outlook-{}\"", r.level().replace(' ', "-"));
        tr(out, &class, &[], &r.cells(h))?;
    }
    writeln!(out, "</tbody></table></section>")
}

/// How a column's cells are marked up in [`tr`].
#[derive(Debug, Clone, Copy)]
enum Td<'a> {
    /// `<td>text</td>`.
    Text,
    /// `<td class="n">text</td>`: a number, set right.
    Number,
    /// `<td><code>text</code></td>`.
    Code,
    /// `<td title="…">text</td>`: the title is already escaped.
    Titled(&'a str),
}

/// One table row: `<tr{attrs}>`, each cell marked up as its column in
/// `columns` says ([`Td::Text`] past its end), then `</tr>`. Cells are
/// already escaped.
fn tr(out: &mut dyn Write, attrs: &str, columns: &[Td<'_>], cells: &[String]) -> io::Result<()> {
    write!(out, "<tr{attrs}>")?;
    for (i, cell) in cells.iter().enumerate() {
        match columns.get(i).copied().unwrap_or(Td::Text) {
            Td::Text => write!(out, "<td>{cell}</td>")?,
            Td::Number => write!(out, "<td class=\"n\">{cell}</td>")?,
            Td::Code => write!(out, "<td><code>{cell}</code></td>")?,
            Td::Titled(title) => write!(out, "<td title=\"{title}\">{cell}</td>")?,
        }
    }
    writeln!(out, "</tr>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_marks_up_each_cell_as_its_column_says() {
        let mut out = Vec::new();
        let cells = ["a", "1", "x", "t", "z"].map(String::from);
        let columns = [Td::Code, Td::Number, Td::Titled("r&amp;d"), Td::Text];
        tr(&mut out, " class=\"bad\"", &columns, &cells).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<tr class=\"bad\"><td><code>a</code></td><td class=\"n\">1</td>\
             <td title=\"r&amp;d\">x</td><td>t</td><td>z</td></tr>\n"
        );
    }
}
