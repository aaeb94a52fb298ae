//! The inline SVG timeline of the HTML report: one chart per host, readable at
//! any count. Sessions are bars; drops, refusals, causes and context records
//! are counted into time slices, one lane per category, so 29,000 refusals in a
//! minute are a few bars, not 29,000 marks; incidents are labelled above the
//! lanes, in rows, never overlapping. Hovering a bar shows its counts
//! (`<title>`). Every value from the logs passes [`super::escape::html`].

use super::escape::html;
use super::rows::Row;
use super::{RenderOptions, Report};
use crate::correlate::model::{
    DropKind, Finding, Incident, IncidentKind, Session, SessionKind, TimelineKind,
};
use crate::vocab::Category;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write as _;

const WIDTH: f64 = 1100.0;
const LABEL_W: f64 = 150.0;
const RIGHT_PAD: f64 = 24.0;
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

/// A lane: sessions, the findings of one verdict category (or of none), or
/// the cause and context records of one category.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Lane {
    Sessions,
    Findings(Option<Category>),
    Records(Option<Category>),
}

impl Lane {
    fn name(self) -> String {
        match self {
            Lane::Sessions => "sessions".to_string(),
            Lane::Findings(Some(c)) => format!("failures: {c}"),
            Lane::Findings(None) => "failures: no cause".to_string(),
            Lane::Records(Some(c)) => format!("{c} records"),
            Lane::Records(None) => "other alerts".to_string(),
        }
    }

    fn color(self) -> &'static str {
        match self {
            Lane::Sessions => "#9fb3c8",
            Lane::Findings(Some(c)) | Lane::Records(Some(c)) => category_hex(c),
            Lane::Findings(None) | Lane::Records(None) => "#7f8c8d",
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

    /// The bucket of `t`: [`BUCKETS`] equal slices of the plot width.
    fn bucket(&self, t: DateTime<Utc>) -> usize {
        let frac = (self.x(t) - LABEL_W) / (WIDTH - LABEL_W - RIGHT_PAD);
        ((frac * BUCKETS as f64) as usize).min(BUCKETS - 1)
    }

    fn bucket_x(&self, b: usize) -> f64 {
        LABEL_W + b as f64 * self.bucket_w()
    }

    fn bucket_w(&self) -> f64 {
        (WIDTH - LABEL_W - RIGHT_PAD) / BUCKETS as f64
    }

    fn bucket_time(&self, b: usize) -> DateTime<Utc> {
        let span = (self.t1 - self.t0) as f64;
        let ms = self.t0 + (span * b as f64 / BUCKETS as f64) as i64;
        DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
    }
}

/// Slices of the time axis that marks are counted into: however many records
/// fall in one, it is drawn once, its size and tooltip giving the count.
const BUCKETS: usize = 160;
/// Session tracks in the session lane; more sessions share the last track.
const MAX_TRACKS: usize = 6;
/// Rows of incident labels above the lanes.
const LABEL_ROWS: usize = 3;
const LABEL_ROW_H: f64 = 20.0;
/// About this many pixels per character of an 11 px label.
const CHAR_W: f64 = 6.6;

/// Counts per bucket, with what to say about them.
#[derive(Default)]
struct Buckets {
    counts: Vec<(usize, usize)>,
}

impl Buckets {
    fn add(&mut self, b: usize, refused: bool) {
        if self.counts.is_empty() {
            self.counts = vec![(0, 0); BUCKETS];
        }
        let c = &mut self.counts[b];
        if refused { c.0 += 1 } else { c.1 += 1 }
    }
}

/// One label above the lanes, for an incident: where it is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LabelBox {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl LabelBox {
    /// Whether two labels share any area.
    pub fn overlaps(&self, o: &LabelBox) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// Places labels of the given widths at the given x, each in the first row
/// where it collides with nothing; a label that fits no row is left out
/// (its incident is listed above the chart). Returns the boxes in input order.
fn place_labels(wanted: &[(f64, f64)]) -> Vec<Option<LabelBox>> {
    let mut rows: Vec<Vec<LabelBox>> = vec![Vec::new(); LABEL_ROWS];
    wanted
        .iter()
        .map(|(x, w)| {
            let x = x.min(WIDTH - RIGHT_PAD - w).max(LABEL_W);
            (0..LABEL_ROWS).find_map(|r| {
                let b = LabelBox {
                    x,
                    y: 6.0 + r as f64 * LABEL_ROW_H,
                    w: *w,
                    h: 16.0,
                };
                let free = rows[r].iter().all(|o| {
                    !LabelBox {
                        x: b.x - 4.0,
                        w: b.w + 8.0,
                        ..b
                    }
                    .overlaps(o)
                });
                free.then(|| {
                    rows[r].push(b);
                    b
                })
            })
        })
        .collect()
}

/// One `<svg>` for `host`: a session lane (bars, at most [`MAX_TRACKS`]
/// tracks), a lane per verdict category of the host's drops and refusals and
/// a lane per category of cause and context records, each drawn as counts
/// per time slice, and the host's incidents labelled above, never overlapping.
pub(crate) fn host_chart(
    report: &Report,
    host: &str,
    rows: &[&Row<'_>],
    opts: &RenderOptions,
) -> String {
    let a = &report.analysis;
    let sessions: Vec<&Session> = a
        .sessions
        .iter()
        .filter(|s| {
            *s.host == *host && !matches!(s.kind, SessionKind::Attempt | SessionKind::Client)
        })
        .collect();
    let findings: Vec<&Finding> = a
        .findings
        .iter()
        .filter(|f| *f.dropped.host == *host)
        .collect();
    let times = rows
        .iter()
        .map(|r| r.time)
        .chain(findings.iter().map(|f| f.dropped.time))
        .chain(sessions.iter().flat_map(|s| [s.start, s.end]));
    let Some(scale) = Scale::new(times) else {
        return String::new();
    };
    let lanes = lane_counts(&scale, &findings, rows);
    let incidents: Vec<&Incident> = a.incidents.iter().filter(|x| *x.host == *host).collect();
    let wanted: Vec<(f64, f64)> = incidents
        .iter()
        .map(|x| {
            (
                scale.x(x.first),
                label_text(x).chars().count() as f64 * CHAR_W + 12.0,
            )
        })
        .collect();
    let labels = place_labels(&wanted);
    let tracks = sessions.len().clamp(1, MAX_TRACKS);
    let top = 8.0 + LABEL_ROWS as f64 * LABEL_ROW_H;
    let (layout, bottom) = lane_layout(&lanes, tracks, top);
    let height = bottom + AXIS_H;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="timeline" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="Timeline of {}">"#,
        html(host)
    );
    for (i, (lane, ly, lh)) in layout.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<rect class="lane{}" x="0" y="{ly}" width="{WIDTH}" height="{lh}"/><rect x="0" y="{ly}" width="5" height="{lh}" fill="{}"/><text class="lane-label" x="12" y="{:.1}">{}</text>"#,
            if i % 2 == 0 { " even" } else { "" },
            lane.color(),
            ly + lh / 2.0 + 4.0,
            lane.name()
        );
    }
    axis(&mut svg, &scale, top, bottom, opts);
    for (k, s) in sessions.iter().enumerate() {
        let track = k.min(MAX_TRACKS - 1);
        let ty = top + 6.0 + TRACK_H * (track as f64 + 0.5);
        session_bar(&mut svg, s, &scale, ty, opts);
    }
    for (lane, ly, lh) in &layout {
        if let Some(b) = lanes.get(lane) {
            density(&mut svg, *lane, b, &scale, *ly, *lh, opts);
        }
    }
    incident_labels(&mut svg, &incidents, &labels, &scale, bottom);
    svg.push_str("</svg>");
    svg
}

/// The counts per time slice of each lane: the session lane (always, empty
/// here), the host's drops and refusals by verdict category, its cause and
/// context records by category.
fn lane_counts(scale: &Scale, findings: &[&Finding], rows: &[&Row<'_>]) -> BTreeMap<Lane, Buckets> {
    let mut lanes: BTreeMap<Lane, Buckets> = BTreeMap::new();
    lanes.insert(Lane::Sessions, Buckets::default());
    for f in findings {
        let refused = f.dropped.kind == DropKind::ConnectionRefused;
        lanes
            .entry(Lane::Findings(f.verdict.category))
            .or_default()
            .add(scale.bucket(f.dropped.time), refused);
    }
    for r in rows
        .iter()
        .filter(|r| matches!(r.kind, TimelineKind::Cause | TimelineKind::Context))
    {
        lanes
            .entry(Lane::Records(r.category))
            .or_default()
            .add(scale.bucket(r.time), false);
    }
    lanes
}

/// Where each lane goes, from `top` down (the session lane tall enough for
/// `tracks` bars): `(lane, y, height)`, and the bottom of the last.
fn lane_layout(
    lanes: &BTreeMap<Lane, Buckets>,
    tracks: usize,
    top: f64,
) -> (Vec<(Lane, f64, f64)>, f64) {
    let mut y = top;
    let mut layout = Vec::new();
    for lane in lanes.keys() {
        let h = match lane {
            Lane::Sessions => LANE_H.max(TRACK_H * tracks as f64 + 12.0),
            _ => LANE_H,
        };
        layout.push((*lane, y, h));
        y += h;
    }
    (layout, y)
}

/// The incidents' labels, placed (`labels`; `None`: no room) above the
/// lanes, each with a line down to `bottom`.
fn incident_labels(
    svg: &mut String,
    incidents: &[&Incident],
    labels: &[Option<LabelBox>],
    scale: &Scale,
    bottom: f64,
) {
    for (x, b) in incidents.iter().zip(labels) {
        let Some(b) = b else { continue };
        let color = x.category.map_or("#7f8c8d", category_hex);
        let _ = write!(
            svg,
            r#"<g class="label"><title>{}</title><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="{color}"/><rect class="pill" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="8" fill="{color}"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
            html(&x.title),
            scale.x(x.first),
            b.y + b.h,
            scale.x(x.first),
            b.x,
            b.y,
            b.w,
            b.h,
            b.x + 6.0,
            b.y + 12.0,
            html(&label_text(x))
        );
    }
}

/// `I2 · 29,198 refused · tls`.
fn label_text(x: &Incident) -> String {
    let what = match x.kind {
        IncidentKind::Refusals => "refused",
        IncidentKind::Drops => "dropped",
    };
    format!(
        "I{} · {} {what} · {}",
        x.index + 1,
        crate::correlate::thousands(x.count),
        x.category.map_or("no cause", Category::as_str)
    )
}

/// One lane's counts: a bar per non-empty slice, its height growing with the
/// log of the count, refusals lighter than drops.
// Long: draws one lane: what (lane, counts), where (scale, y, h) and how (options) are all it needs; bundled they would only be renamed.
fn density(
    svg: &mut String,
    lane: Lane,
    b: &Buckets,
    scale: &Scale,
    y: f64,
    h: f64,
    opts: &RenderOptions,
) {
    let w = scale.bucket_w();
    for (k, (refused, other)) in b.counts.iter().enumerate() {
        let n = refused + other;
        if n == 0 {
            continue;
        }
        let frac = (((n as f64).ln() + 1.0) / ((10_000f64).ln() + 1.0)).min(1.0);
        let bh = (h - 8.0) * (0.3 + 0.7 * frac);
        let from = opts.time_zone.date_and_clock(scale.bucket_time(k)).1;
        let to = opts.time_zone.date_and_clock(scale.bucket_time(k + 1)).1;
        let what = match lane {
            Lane::Findings(_) => format!("{refused} refused, {other} dropped"),
            _ => format!("{n} record(s)"),
        };
        let class = match lane {
            Lane::Findings(_) if *other > 0 => "bin drop",
            Lane::Findings(_) => "bin refused",
            _ => "bin",
        };
        let _ = write!(
            svg,
            r#"<rect class="{class}" x="{:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="{}"><title>{from} – {to}: {what} ({})</title></rect>"#,
            scale.bucket_x(k),
            y + h - 4.0 - bh,
            (w - 1.0).max(1.0),
            lane.color(),
            html(&lane.name())
        );
    }
}

/// Grid lines with clock labels (in the chosen zone) under the lanes, and the
/// first date at the left.
fn axis(svg: &mut String, scale: &Scale, top: f64, bottom: f64, opts: &RenderOptions) {
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
    let label_y = bottom + 16.0;
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
                r#"<line class="grid" x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}"/><text class="tick" x="{x:.1}" y="{label_y}">{text}</text>"#,
                bottom + 4.0
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
        "S{}{} {}\n{} – {}\nended: {}",
        s.index + 1,
        s.session_id
            .map(|i| format!(" (Windows session id {i})"))
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
