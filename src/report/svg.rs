//! The inline SVG timeline of the HTML report: one chart per host, a lane for
//! the session life cycle and one per cause category present, drops as red
//! lines across all lanes, causes joined to their drop. Hovering any mark shows
//! its event (`<title>`). Every value from the logs passes [`escape::html`].

use super::escape::html;
use super::rows::{Row, evidence, label};
use super::{RenderOptions, Report};
use crate::correlate::model::{Session, TimelineKind};
use crate::rules::extension::Category;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

const WIDTH: f64 = 1100.0;
const LABEL_W: f64 = 150.0;
const RIGHT_PAD: f64 = 24.0;
const TOP: f64 = 54.0;
const LANE_H: f64 = 34.0;
const STEPS: [i64; 20] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    172_800, 604_800,
];

/// The color of a category, shared with the HTML's CSS.
pub(crate) fn category_hex(category: Category) -> &'static str {
    match category {
        Category::Certificate => "#8e44ad",
        Category::Licensing => "#e67e22",
        Category::Service => "#2e86de",
        Category::Network => "#16a085",
        Category::Authentication => "#d4a017",
        Category::Power => "#5d6d7e",
        Category::Resource => "#6c5ce7",
        Category::SecurityProduct => "#e84393",
        Category::Configuration => "#27ae60",
    }
}

/// A lane: the session life cycle, a category, or other context alerts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lane {
    Sessions,
    Category(Category),
    Other,
}

impl Lane {
    fn of(row: &Row<'_>) -> Lane {
        match (row.kind, row.category) {
            (TimelineKind::Lifecycle | TimelineKind::Drop, _) => Lane::Sessions,
            (_, Some(c)) => Lane::Category(c),
            (_, None) => Lane::Other,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Lane::Sessions => "session life cycle",
            Lane::Category(c) => c.as_str(),
            Lane::Other => "other alerts",
        }
    }
}

/// Maps times to x.
struct Scale {
    t0: i64,
    t1: i64,
}

impl Scale {
    fn new(times: impl Iterator<Item = DateTime<Utc>>) -> Option<Scale> {
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for t in times {
            let ms = t.timestamp_millis();
            lo = lo.min(ms);
            hi = hi.max(ms);
        }
        if lo > hi {
            return None;
        }
        let pad = ((hi - lo) / 25).max(30_000);
        Some(Scale {
            t0: lo.saturating_sub(pad),
            t1: hi.saturating_add(pad),
        })
    }

    fn x(&self, t: DateTime<Utc>) -> f64 {
        let ms = t.timestamp_millis().clamp(self.t0, self.t1);
        let span = (self.t1 - self.t0).max(1) as f64;
        LABEL_W + (ms - self.t0) as f64 / span * (WIDTH - LABEL_W - RIGHT_PAD)
    }
}

/// One `<svg>` for `host`'s rows.
pub(crate) fn host_chart(
    report: &Report,
    host: &str,
    rows: &[&Row<'_>],
    opts: &RenderOptions,
) -> String {
    let sessions: Vec<&Session> = report
        .analysis
        .sessions
        .iter()
        .filter(|s| s.host == host)
        .collect();
    let Some(scale) = Scale::new(rows.iter().map(|r| r.time)) else {
        return String::new();
    };
    let mut lanes = vec![Lane::Sessions];
    for c in Category::ALL {
        if rows.iter().any(|r| Lane::of(r) == Lane::Category(c)) {
            lanes.push(Lane::Category(c));
        }
    }
    if rows.iter().any(|r| Lane::of(r) == Lane::Other) {
        lanes.push(Lane::Other);
    }
    let height = TOP + LANE_H * lanes.len() as f64 + 10.0;
    let lane_y = |lane: Lane| {
        let i = lanes.iter().position(|l| *l == lane).unwrap_or(0);
        TOP + LANE_H * i as f64 + LANE_H / 2.0
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="timeline" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="Timeline of {}">"#,
        html(host)
    );
    for (i, lane) in lanes.iter().enumerate() {
        let y = TOP + LANE_H * i as f64;
        let _ = write!(
            svg,
            r#"<rect class="lane{}" x="0" y="{y}" width="{WIDTH}" height="{LANE_H}"/><text class="lane-label" x="10" y="{:.1}">{}</text>"#,
            if i % 2 == 0 { " even" } else { "" },
            y + LANE_H / 2.0 + 4.0,
            lane.name()
        );
        if let Lane::Category(c) = lane {
            let _ = write!(
                svg,
                r#"<rect x="0" y="{y}" width="4" height="{LANE_H}" fill="{}"/>"#,
                category_hex(*c)
            );
        }
    }
    axis(&mut svg, &scale, height, opts);
    for s in &sessions {
        session_bar(&mut svg, s, &scale, lane_y(Lane::Sessions), opts);
    }
    for r in rows.iter().filter(|r| r.kind == TimelineKind::Cause) {
        if let Some(drop) = r.finding.and_then(|f| {
            rows.iter()
                .find(|d| d.kind == TimelineKind::Drop && d.finding == Some(f))
        }) {
            let y = lane_y(Lane::of(r));
            let _ = write!(
                svg,
                r#"<line class="link" x1="{:.1}" y1="{y}" x2="{:.1}" y2="{y}" stroke="{}"/>"#,
                scale.x(r.time),
                scale.x(drop.time),
                r.category.map_or("#999", category_hex)
            );
        }
    }
    let mut drop_count = 0;
    for r in rows {
        let x = scale.x(r.time);
        let y = lane_y(Lane::of(r));
        let tip = tooltip(r, opts);
        match r.kind {
            TimelineKind::Drop => {
                let n = r.finding.map(|f| (f + 1).to_string()).unwrap_or_default();
                let label_y = if drop_count % 2 == 0 { 14.0 } else { 30.0 };
                drop_count += 1;
                let _ = write!(
                    svg,
                    r#"<g class="drop"><title>{tip}</title><line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/><rect x="{:.1}" y="{:.1}" width="58" height="16" rx="8"/><text x="{x:.1}" y="{:.1}">DROP {n}</text><path d="M{x:.1} {:.1} l-7 -11 h14 z"/></g>"#,
                    label_y + 8.0,
                    height - 6.0,
                    x - 29.0,
                    label_y - 4.0,
                    label_y + 8.0,
                    y + 5.0
                );
            }
            TimelineKind::Cause => {
                let color = r.category.map_or("#999", category_hex);
                let _ = write!(
                    svg,
                    r#"<circle class="cause" cx="{x:.1}" cy="{y}" r="7" fill="{color}"><title>{tip}</title></circle>"#
                );
            }
            TimelineKind::Lifecycle => {
                let _ = write!(
                    svg,
                    r#"<circle class="step" cx="{x:.1}" cy="{y}" r="4"><title>{tip}</title></circle>"#
                );
            }
            TimelineKind::Context => {
                let color = r.category.map_or("#7f8c8d", category_hex);
                let _ = write!(
                    svg,
                    r#"<rect class="context" x="{:.1}" y="{:.1}" width="8" height="8" transform="rotate(45 {x:.1} {y})" fill="{color}"><title>{tip}</title></rect>"#,
                    x - 4.0,
                    y - 4.0
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Grid lines with clock labels in the chosen zone, and the first date.
fn axis(svg: &mut String, scale: &Scale, height: f64, opts: &RenderOptions) {
    let span_s = (scale.t1 - scale.t0) / 1000;
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span_s / s <= 8)
        .unwrap_or(2_592_000);
    let start = DateTime::<Utc>::from_timestamp_millis(scale.t0).unwrap_or_default();
    let offset = i64::from(opts.time_zone.convert(start).offset().local_minus_utc());
    let first = ((scale.t0 / 1000 + offset).div_euclid(step) + 1) * step - offset;
    let fmt = match step {
        s if s < 60 => "%H:%M:%S",
        s if s < 86400 => "%H:%M",
        _ => "%m-%d",
    };
    let (date, _) = opts.time_zone.date_and_clock(start);
    let _ = write!(
        svg,
        r#"<text class="date" x="10" y="{:.1}">{date}</text>"#,
        TOP - 8.0
    );
    let mut t = first;
    while t * 1000 <= scale.t1 {
        if let Some(at) = DateTime::<Utc>::from_timestamp(t, 0) {
            let x = scale.x(at);
            let text = opts.time_zone.convert(at).format(fmt).to_string();
            let _ = write!(
                svg,
                r#"<line class="grid" x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}"/><text class="tick" x="{x:.1}" y="{:.1}">{text}</text>"#,
                height - 10.0,
                TOP - 8.0
            );
        }
        t += step;
    }
}

fn session_bar(svg: &mut String, s: &Session, scale: &Scale, y: f64, opts: &RenderOptions) {
    let (x1, x2) = (scale.x(s.start), scale.x(s.end));
    let dropped = matches!(
        s.ending,
        crate::correlate::model::Ending::Dropped | crate::correlate::model::Ending::Refused
    );
    let who = [s.user.as_deref(), s.client_address.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" from ");
    let tip = format!(
        "Session #{}{} {}\n{} – {}\nended: {}",
        s.index + 1,
        s.session_id
            .map(|i| format!(" (id {i})"))
            .unwrap_or_default(),
        who,
        opts.time_zone.format(s.start),
        opts.time_zone.format(s.end),
        super::rows::ending_name(s.ending)
    );
    let _ = write!(
        svg,
        r#"<rect class="session{}" x="{x1:.1}" y="{:.1}" width="{:.1}" height="14" rx="7"><title>{}</title></rect>"#,
        if dropped { " dropped" } else { "" },
        y - 7.0,
        (x2 - x1).max(6.0),
        html(&tip)
    );
}

/// Hover text: time, what, details, where the record is.
fn tooltip(r: &Row<'_>, opts: &RenderOptions) -> String {
    let mut text = format!(
        "{}  [{}]\n{}\n{}\n{} ({})\n{}",
        opts.time_zone.format(r.time),
        label(r),
        r.title,
        r.message,
        evidence(r.channel, r.event_id, r.record_id),
        r.rule,
        r.source
    );
    if let Some(u) = r.user {
        text.push_str(&format!("\nuser: {u}"));
    }
    if let Some(c) = r.client {
        text.push_str(&format!("\nclient: {c}"));
    }
    html(&text).into_owned()
}
