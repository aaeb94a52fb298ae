//! Terminal, the answer on one screen: the headline, per host the sessions,
//! interruptions, drops, refusals and open sessions, then the incidents most
//! important first (at most [`MAX_INCIDENTS`], two to four lines each, with
//! the fix), the logs that were not given, and which flags show the detail.
//! Its length does not grow with the input: 29,000 refusals are two incidents.

use super::alert_view;
use super::escape::terminal;
use super::incident_view::{self, IncidentView};
use super::outlook_view;
use super::table::category_ansi;
use super::{RenderOptions, Report};
use crate::correlate::absent_logs;
use crate::correlate::model::{Analysis, ListenerCertificate, OutlookLevel};
use crate::correlate::thousands;
use crate::vocab::Level;
use std::io::{self, Write};

/// Incidents listed on the first screen; the rest are counted.
pub const MAX_INCIDENTS: usize = 5;
/// Outlook items listed on the first screen; the rest are counted.
pub const MAX_OUTLOOK: usize = 4;
/// Hosts listed on the first screen; the rest are counted.
pub const MAX_HOSTS: usize = 4;
/// At most this many alert rules in the summary (all with `--alerts`).
pub const MAX_ALERTS: usize = 8;
/// The width used when neither the options nor the terminal give one.
pub const DEFAULT_WIDTH: usize = 100;

/// Below these sizes the findings table and the timeline follow the summary
/// without being asked for.
pub const SMALL_FINDINGS: usize = 12;
/// See [`SMALL_FINDINGS`].
pub const SMALL_TIMELINE: usize = 150;

/// Whether `report` is small enough to show whole on the terminal.
pub(crate) fn is_small(report: &Report) -> bool {
    report.analysis.findings.len() <= SMALL_FINDINGS
        && report.analysis.timeline.len() <= SMALL_TIMELINE
}

struct Out<'a> {
    out: &'a mut dyn Write,
    width: usize,
    color: bool,
}

impl Out<'_> {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Writes `text` wrapped at the width, indented, in at most `max` lines
    /// (the last one cut with `…`).
    fn wrapped(&mut self, indent: &str, text: &str, max: usize) -> io::Result<()> {
        let opts = textwrap::Options::new(self.width.max(40))
            .initial_indent(indent)
            .subsequent_indent(indent);
        let lines = textwrap::wrap(text, opts);
        for (n, line) in lines.iter().enumerate().take(max) {
            if n + 1 == max && lines.len() > max {
                let cut: String = line
                    .chars()
                    .take(self.width.saturating_sub(1).max(1))
                    .collect();
                writeln!(self.out, "{}…", cut.trim_end())?;
            } else {
                writeln!(self.out, "{line}")?;
            }
        }
        Ok(())
    }
}

pub(crate) fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let a = &report.analysis;
    let width = opts.width.map_or(DEFAULT_WIDTH, usize::from);
    let mut o = Out {
        out,
        width,
        color: opts.color,
    };
    let hosts = incident_view::hosts(a);
    let headline = incident_view::headline(report, hosts.len());
    let bold = o.paint("1", &headline);
    o.wrapped("", &bold, 3)?;
    if !hosts.is_empty() {
        writeln!(o.out)?;
        for h in hosts.iter().take(MAX_HOSTS) {
            let name = o.paint("1", &terminal(&h.name));
            o.wrapped("  ", &format!("{name}: {}", h.counts), 2)?;
            if !h.aliases.is_empty() {
                let aliases = h
                    .aliases
                    .iter()
                    .map(|n| terminal(n).into_owned())
                    .collect::<Vec<_>>();
                o.wrapped("    ", &format!("also logged as {}", aliases.join(", ")), 1)?;
            }
        }
        if hosts.len() > MAX_HOSTS {
            writeln!(o.out, "  … and {} more host(s)", hosts.len() - MAX_HOSTS)?;
        }
    }
    let incidents = incident_view::incidents(a, opts);
    if !incidents.is_empty() {
        writeln!(o.out)?;
        writeln!(o.out, "{}", o.paint("1", "Incidents, most important first"))?;
        for x in incidents.iter().take(MAX_INCIDENTS) {
            incident(&mut o, x)?;
        }
        if incidents.len() > MAX_INCIDENTS {
            let rest: usize = incidents[MAX_INCIDENTS..].iter().map(|x| x.count).sum();
            writeln!(
                o.out,
                "  … and {} more incident(s) with {} finding(s)",
                incidents.len() - MAX_INCIDENTS,
                thousands(rest)
            )?;
        }
    }
    outlook(&mut o, a)?;
    alerts(&mut o, a, opts)?;
    let absent: Vec<String> = a.coverage.iter().filter_map(absent_logs).collect();
    if !absent.is_empty() {
        writeln!(o.out)?;
        for line in absent.iter().take(MAX_HOSTS) {
            o.wrapped("", &terminal(line), 2)?;
        }
        if absent.len() > MAX_HOSTS {
            writeln!(
                o.out,
                "… and {} more host(s) with logs missing",
                absent.len() - MAX_HOSTS
            )?;
        }
    }
    if !(is_small(report) || opts.findings && opts.timeline) {
        writeln!(o.out)?;
        let hint = format!(
            "Detail: --findings lists the {} finding(s), --timeline shows {} timeline line(s); --report FILE.html or .md writes a report.",
            thousands(a.findings.len()),
            thousands(a.timeline.len())
        );
        let dim = o.paint("2", &hint);
        o.wrapped("", &dim, 2)?;
    }
    Ok(())
}

fn incident(o: &mut Out<'_>, x: &IncidentView) -> io::Result<()> {
    let verdict = format!("{} ({})", x.verdict, x.confidence);
    let verdict = match x.category {
        Some(c) => o.paint(&format!("1;38;5;{}", category_ansi(c)), &verdict),
        None => o.paint("2", &verdict),
    };
    let head = format!(
        "{} {} · {} · {verdict}",
        o.paint("1", &x.id),
        terminal(&x.host),
        x.when
    );
    o.wrapped("  ", &head, 2)?;
    o.wrapped("     ", &terminal(&x.title), 2)?;
    if x.mixed {
        o.wrapped("     ", &terminal(&x.who), 2)?;
    }
    if let Some(c) = &x.compromise {
        // Who got in and what followed: the line that matters most gets room.
        let warn = o.paint("1;31", &terminal(c));
        o.wrapped("     ", &warn, 4)?;
    }
    if let Some(fix) = &x.fix {
        o.wrapped("     ", &format!("fix: {}", terminal(fix)), 2)?;
    }
    Ok(())
}

/// What will break next: each host's listener certificate, then the items to
/// watch or act on (with the fix of those to act on now), at most
/// [`MAX_OUTLOOK`] lines; the rest are counted.
fn outlook(o: &mut Out<'_>, a: &Analysis) -> io::Result<()> {
    if a.outlook.is_empty() {
        return Ok(());
    }
    writeln!(o.out)?;
    writeln!(o.out, "{}", o.paint("1", "Outlook, as of the last records"))?;
    let (unknown, rows): (Vec<_>, Vec<_>) = outlook_view::brief_rows(a)
        .into_iter()
        .partition(|r| r.item.level == OutlookLevel::Unknown);
    for r in rows.iter().take(MAX_OUTLOOK) {
        let level = level_painted(o, r.item.level);
        o.wrapped(
            "  ",
            &format!(
                "{level} · {} · {}",
                terminal(r.host),
                terminal(&r.item.title)
            ),
            2,
        )?;
        if r.item.level == OutlookLevel::ActNow
            && let Some(fix) = &r.item.fix
        {
            o.wrapped("     ", &format!("fix: {}", terminal(fix)), 2)?;
        }
    }
    if rows.len() > MAX_OUTLOOK {
        writeln!(
            o.out,
            "  … and {} more item(s) (`dropcause outlook` or --report FILE.html lists them)",
            rows.len() - MAX_OUTLOOK
        )?;
    }
    // Only certificate items are `unknown` among the rows: one per host.
    if !unknown.is_empty() {
        let line = format!(
            "the listener certificate cannot be told from the logs of {} (no System log, or no RCM 1052/1056 in it)",
            incident_view::plural(unknown.len(), "host", "hosts")
        );
        let dim = o.paint("2", &line);
        o.wrapped("  ", &dim, 2)?;
    }
    Ok(())
}

/// The alert summary: one line per alert rule, most severe first, at most
/// [`MAX_ALERTS`] lines (all of them with `--alerts`); informational rules are
/// folded into a count unless `opts.alerts`.
fn alerts(o: &mut Out<'_>, a: &Analysis, opts: &RenderOptions) -> io::Result<()> {
    let all = opts.alerts;
    if a.alerts.is_empty() {
        return Ok(());
    }
    let (count, rules) = alert_view::totals(a);
    let view = alert_view::rows(a, all);
    writeln!(o.out)?;
    if view.shown.is_empty() {
        let line = format!(
            "Alerts: {}",
            alert_view::folded_note(&view).unwrap_or_default()
        );
        let dim = o.paint("2", &line);
        return o.wrapped("", &dim, 2);
    }
    let head = format!(
        "Alerts: {} from {} rule(s), most severe first",
        thousands(count),
        rules
    );
    writeln!(o.out, "{}", o.paint("1", &head))?;
    let limit = if all { usize::MAX } else { MAX_ALERTS };
    for r in view.shown.iter().take(limit) {
        let level = match r.level {
            Level::Critical | Level::High => o.paint("1;31", r.level.as_str()),
            Level::Medium => o.paint("33", r.level.as_str()),
            _ => r.level.as_str().to_string(),
        };
        let c = alert_view::cells(r, opts);
        let attack = if c.attack.is_empty() {
            String::new()
        } else {
            format!(" [{}]", terminal(&c.attack))
        };
        let line = format!(
            "{level} · {} × {}{attack} · {} · {}",
            c.count,
            terminal(c.title),
            terminal(&c.hosts),
            c.when
        );
        o.wrapped("  ", &line, 2)?;
    }
    if view.shown.len() > limit {
        let rest = &view.shown[limit..];
        writeln!(
            o.out,
            "  … and {} more rule(s) with {} alert(s) (--alerts lists them)",
            rest.len(),
            thousands(rest.iter().map(|r| r.count).sum())
        )?;
    }
    if let Some(note) = alert_view::folded_note(&view) {
        let dim = o.paint("2", &note);
        o.wrapped("  ", &dim, 2)?;
    }
    Ok(())
}

/// An outlook level, coloured by urgency when colour is on.
fn level_painted(o: &Out<'_>, level: OutlookLevel) -> String {
    let code = match level {
        OutlookLevel::ActNow => "1;31",
        OutlookLevel::Watch => "1;33",
        _ => "2",
    };
    o.paint(code, level.as_str())
}

/// One listener certificate of the outlook: thumbprint, kind, subject, when
/// seen, when it expires.
fn certificate_line(c: &ListenerCertificate) -> String {
    let expires = c.expires.map(|t| {
        let how = if c.expiry_stated { "" } else { "about " };
        format!(", expires {how}{}", t.format("%Y-%m-%d"))
    });
    format!(
        "certificate {} ({}{}): first seen {}, last seen {}{}",
        c.thumbprint.as_deref().unwrap_or("(no thumbprint)"),
        if c.self_signed {
            "self-signed"
        } else {
            "configured"
        },
        c.subject
            .as_deref()
            .map(|s| format!(", {}", terminal(s)))
            .unwrap_or_default(),
        c.first_seen.format("%Y-%m-%d %H:%M:%S"),
        c.last_seen.format("%Y-%m-%d %H:%M:%S"),
        expires.unwrap_or_default()
    )
}

/// The whole outlook, host by host (`dropcause outlook`).
pub(crate) fn render_outlook(
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut o = Out {
        out,
        width: opts.width.map_or(DEFAULT_WIDTH, usize::from),
        color: opts.color,
    };
    for h in &report.analysis.outlook {
        let since = match h.system_log {
            Some([from, to]) => format!(
                "System log {} to {}",
                from.format("%Y-%m-%d"),
                to.format("%Y-%m-%d")
            ),
            None => "no System log".to_string(),
        };
        let as_of = h
            .as_of
            .map(|t| format!("as of {}", t.format("%Y-%m-%d %H:%M:%S UTC")))
            .unwrap_or_default();
        let head = o.paint("1", &terminal(&h.host));
        o.wrapped("", &format!("{head} ({as_of}; {since})"), 2)?;
        for item in &h.items {
            let r = outlook_view::OutlookRow {
                host: &h.host,
                item,
            };
            let level = level_painted(&o, item.level);
            o.wrapped("  ", &format!("{level} · {}", terminal(&item.title)), 3)?;
            o.wrapped("     ", &terminal(&r.detail()), 4)?;
            for c in &item.certificates {
                o.wrapped("     ", &certificate_line(c), 2)?;
            }
            if !item.weekly.is_empty() {
                let counts: Vec<String> = item.weekly.iter().map(|w| thousands(w.count)).collect();
                o.wrapped(
                    "     ",
                    &format!("per week, latest first: {}", counts.join(", ")),
                    2,
                )?;
            }
            if let Some(fix) = &item.fix {
                o.wrapped("     ", &format!("fix: {}", terminal(fix)), 3)?;
            }
            if !item.evidence.is_empty() {
                o.wrapped(
                    "     ",
                    &format!("evidence: {}", terminal(&r.evidence())),
                    2,
                )?;
            }
        }
        writeln!(o.out)?;
    }
    Ok(())
}
