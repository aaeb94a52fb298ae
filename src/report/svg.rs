//! The inline SVG timeline of the HTML report: one chart per host, a lane for
//! the session life cycle and one per cause category present, drops as red
//! lines across all lanes, causes joined to their drop. Hovering any mark shows
//! its event (`<title>`). Every value from the logs passes [`super::escape::html`].

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
/// Room above the lanes for two rows of drop labels.
const TOP: f64 = 48.0;
const LANE_H: f64 = 34.0;
/// Height of one session track inside the session lane.
const TRACK_H: f64 = 18.0;
/// Room under the lanes for the time axis.
const AXIS_H: f64 = 26.0;
const STEPS: [i64; 20] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    172_800, 604_800,
];

/// The color of a category, shared with the HTML's CSS.
pub(crate) fn category_hex(category: Category) -> &'static str {
    match category {
        Category::Certificate => "#8e44ad",
        Category::Tls => "#c0392b",
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

/// Where lanes and session tracks are.
struct Layout {
    /// Each lane with its top and height.
    lanes: Vec<(Lane, f64, f64)>,
    /// Session index -> track (row inside the session lane).
    tracks: Vec<(usize, usize)>,
    /// Bottom of the last lane.
    bottom: f64,
}

impl Layout {
    fn new(rows: &[&Row<'_>], sessions: &[&Session], scale: &Scale) -> Layout {
        // Pack sessions into tracks so overlapping sessions do not hide each other.
        let mut ends: Vec<f64> = Vec::new();
        let mut tracks = Vec::new();
        for s in sessions {
            let (x1, x2) = (scale.x(s.start), scale.x(s.end).max(scale.x(s.start) + 6.0));
            let track = match ends.iter().position(|end| *end + 6.0 < x1) {
                Some(t) => t,
                None => {
                    ends.push(0.0);
                    ends.len() - 1
                }
            };
            ends[track] = x2;
            tracks.push((s.index, track));
        }
        let mut kinds = vec![Lane::Sessions];
        kinds.extend(
            Category::ALL
                .into_iter()
                .map(Lane::Category)
                .filter(|l| rows.iter().any(|r| Lane::of(r) == *l)),
        );
        if rows.iter().any(|r| Lane::of(r) == Lane::Other) {
            kinds.push(Lane::Other);
        }
        let mut top = TOP;
        let mut lanes = Vec::new();
        for lane in kinds {
            let height = match lane {
                Lane::Sessions => LANE_H.max(TRACK_H * ends.len() as f64 + 12.0),
                _ => LANE_H,
            };
            lanes.push((lane, top, height));
            top += height;
        }
        Layout {
            lanes,
            tracks,
            bottom: top,
        }
    }

    /// The y of a lane's middle, or of a session's track.
    fn y(&self, lane: Lane, session: Option<usize>) -> f64 {
        let (_, top, height) = self
            .lanes
            .iter()
            .copied()
            .find(|(l, _, _)| *l == lane)
            .unwrap_or((lane, TOP, LANE_H));
        let track = session.and_then(|s| self.tracks.iter().find(|(i, _)| *i == s));
        match (lane, track) {
            (Lane::Sessions, Some((_, t))) => top + 6.0 + TRACK_H * (*t as f64 + 0.5),
            _ => top + height / 2.0,
        }
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
    let layout = Layout::new(rows, &sessions, &scale);
    let height = layout.bottom + AXIS_H;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="timeline" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="Timeline of {}">"#,
        html(host)
    );
    lanes(&mut svg, &layout);
    axis(&mut svg, &scale, &layout, opts);
    for s in &sessions {
        session_bar(
            &mut svg,
            s,
            &scale,
            layout.y(Lane::Sessions, Some(s.index)),
            opts,
        );
    }
    links(&mut svg, rows, &scale, &layout);
    marks(&mut svg, rows, &scale, &layout, opts);
    svg.push_str("</svg>");
    svg
}

fn lanes(svg: &mut String, layout: &Layout) {
    for (i, (lane, y, h)) in layout.lanes.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<rect class="lane{}" x="0" y="{y}" width="{WIDTH}" height="{h}"/><text class="lane-label" x="12" y="{:.1}">{}</text>"#,
            if i % 2 == 0 { " even" } else { "" },
            y + h / 2.0 + 4.0,
            lane.name()
        );
        if let Lane::Category(c) = lane {
            let _ = write!(
                svg,
                r#"<rect x="0" y="{y}" width="5" height="{h}" fill="{}"/>"#,
                category_hex(*c)
            );
        }
    }
}

/// Dashed lines from each cause to its drop.
fn links(svg: &mut String, rows: &[&Row<'_>], scale: &Scale, layout: &Layout) {
    for r in rows.iter().filter(|r| r.kind == TimelineKind::Cause) {
        let drop = r.finding.and_then(|f| {
            rows.iter()
                .find(|d| d.kind == TimelineKind::Drop && d.finding == Some(f))
        });
        if let Some(drop) = drop {
            let y = layout.y(Lane::of(r), None);
            let _ = write!(
                svg,
                r#"<line class="link" x1="{:.1}" y1="{y}" x2="{:.1}" y2="{y}" stroke="{}"/>"#,
                scale.x(r.time),
                scale.x(drop.time),
                r.category.map_or("#999", category_hex)
            );
        }
    }
}

/// Drops, causes, steps and context alerts, each with hover text.
fn marks(
    svg: &mut String,
    rows: &[&Row<'_>],
    scale: &Scale,
    layout: &Layout,
    opts: &RenderOptions,
) {
    let mut drops = 0;
    for r in rows {
        let x = scale.x(r.time);
        let y = layout.y(Lane::of(r), r.session);
        let tip = tooltip(r, opts);
        match r.kind {
            TimelineKind::Drop => {
                let n = r.finding.map(|f| (f + 1).to_string()).unwrap_or_default();
                let pill = if drops % 2 == 0 { 6.0 } else { 26.0 };
                drops += 1;
                let _ = write!(
                    svg,
                    r#"<g class="drop"><title>{tip}</title><line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/><rect x="{:.1}" y="{pill}" width="60" height="17" rx="8.5"/><text x="{x:.1}" y="{:.1}">DROP {n}</text><path d="M{x:.1} {:.1} l-7 -12 h14 z"/></g>"#,
                    pill + 17.0,
                    layout.bottom,
                    x - 30.0,
                    pill + 12.5,
                    y + 6.0
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
                    r#"<circle class="step" cx="{x:.1}" cy="{y}" r="4.5"><title>{tip}</title></circle>"#
                );
            }
            TimelineKind::Context => {
                let color = r.category.map_or("#7f8c8d", category_hex);
                let _ = write!(
                    svg,
                    r#"<rect class="context" x="{:.1}" y="{:.1}" width="9" height="9" transform="rotate(45 {x:.1} {y})" fill="{color}"><title>{tip}</title></rect>"#,
                    x - 4.5,
                    y - 4.5
                );
            }
        }
    }
}

/// Grid lines with clock labels (in the chosen zone) under the lanes, and the
/// first date at the left.
fn axis(svg: &mut String, scale: &Scale, layout: &Layout, opts: &RenderOptions) {
    let span_s = (scale.t1 - scale.t0) / 1000;
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span_s / s <= 9)
        .unwrap_or(2_592_000);
    let start = DateTime::<Utc>::from_timestamp_millis(scale.t0).unwrap_or_default();
    let offset = i64::from(opts.time_zone.convert(start).offset().local_minus_utc());
    let first = ((scale.t0 / 1000 + offset).div_euclid(step) + 1) * step - offset;
    let fmt = match step {
        s if s < 60 => "%H:%M:%S",
        s if s < 86400 => "%H:%M",
        _ => "%m-%d",
    };
    let label_y = layout.bottom + 16.0;
    let (date, _) = opts.time_zone.date_and_clock(start);
    let _ = write!(
        svg,
        r#"<text class="date" x="12" y="{label_y}">{date} ({})</text>"#,
        html(&opts.time_zone.to_string())
    );
    let mut t = first;
    while t.saturating_mul(1000) <= scale.t1 {
        if let Some(at) = DateTime::<Utc>::from_timestamp(t, 0) {
            let x = scale.x(at);
            let text = opts.time_zone.convert(at).format(fmt);
            let _ = write!(
                svg,
                r#"<line class="grid" x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}"/><text class="tick" x="{x:.1}" y="{label_y}">{text}</text>"#,
                layout.bottom + 4.0
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
        r#"<rect class="session{}" x="{x1:.1}" y="{:.1}" width="{:.1}" height="12" rx="6"><title>{}</title></rect>"#,
        if dropped { " dropped" } else { "" },
        y - 6.0,
        (x2 - x1).max(6.0),
        html(&tip)
    );
    let name = s
        .user
        .as_deref()
        .or(s.client_address.as_deref())
        .unwrap_or("");
    // About 6 px per character at the label's size.
    if !name.is_empty() && x2 - x1 > 6.0 * name.chars().count() as f64 + 24.0 {
        let _ = write!(
            svg,
            r#"<text class="who" x="{:.1}" y="{:.1}">{}</text>"#,
            x1 + 12.0,
            y + 3.5,
            html(name)
        );
    }
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
