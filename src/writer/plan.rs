//! Turns a [`Scenario`] into per-channel streams of concrete events, sorted by
//! time: the scenario's own events plus the background noise, which is only
//! materialized as it is written (so `--scale` can produce gigabytes).

use super::WriterError;
use super::catalog::{self, EventSchema};
use super::field_input::{self, Context};
use super::generic::{self, GenericEvent};
use super::hash::stable_guid;
use super::rng::Rng;
use super::scenario::{EventSpec, FieldInput, Scenario, parse_offset};
use super::value::{Value, ValueType, parse_guid, parse_sid, to_filetime};
use serde_saphyr::Location;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One event ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedEvent {
    /// FILETIME of `TimeCreated`.
    pub time: u64,
    /// The event's schema.
    pub schema: &'static EventSchema,
    /// `System/Channel`.
    pub channel: Arc<str>,
    /// `System/Computer`.
    pub computer: Arc<str>,
    /// `System/Level`.
    pub level: u8,
    /// `EventID/@Qualifiers`.
    pub qualifiers: Option<u16>,
    /// `Correlation/@ActivityID`.
    pub activity: Option<[u8; 16]>,
    /// `Security/@UserID` (binary SID).
    pub user: Option<Vec<u8>>,
    /// `Execution/@ThreadID`.
    pub thread_id: u32,
    /// Field values in the schema's order.
    pub fields: Vec<Value>,
}

/// A scenario event resolved against the catalog, before its occurrences
/// are materialized.
#[derive(Debug)]
struct Resolved {
    schema: &'static EventSchema,
    channel: Arc<str>,
    computer: Arc<str>,
    level: u8,
    qualifiers: Option<u16>,
    activity: Option<String>,
    user: Option<Vec<u8>>,
    fields: Vec<Option<FieldInput>>,
}

/// The events of one channel (one output file).
#[derive(Debug)]
pub struct ChannelPlan {
    /// The channel, e.g. `Security`.
    pub channel: Arc<str>,
    /// Scenario events, sorted by time.
    fixed: Vec<PlannedEvent>,
    /// Background occurrences (time, kind, occurrence), sorted by time.
    noise: Vec<(u64, usize, u64)>,
    kinds: Arc<Vec<Resolved>>,
    seed: u64,
    start: u64,
}

/// Plans every channel of `scenario`, with the background `scale` times as dense.
pub fn plan(scenario: &Scenario, scale: u32) -> Result<Vec<ChannelPlan>, WriterError> {
    if scale == 0 {
        return Err(WriterError::Invalid("scale must be at least 1".into()));
    }
    let start = to_filetime(scenario.start)
        .ok_or_else(|| WriterError::Invalid("start is before 1601".into()))?;
    let mut fixed: BTreeMap<Arc<str>, Vec<PlannedEvent>> = BTreeMap::new();
    for (index, spanned) in scenario.events.iter().enumerate() {
        let spec = &spanned.value;
        let at = &spanned.referenced;
        let resolved = resolve(scenario, spec, at, start)?;
        let offset = parse_offset(&spec.at).map_err(|m| scenario.error(at, m))?;
        let (count, every) = match &spec.repeat {
            Some(r) => (
                u64::from(r.count.max(1)),
                parse_offset(&r.every).map_err(|m| scenario.error(at, m))?,
            ),
            None => (1, 0),
        };
        for k in 0..count {
            let time = start
                .checked_add(offset)
                .and_then(|t| t.checked_add(k.checked_mul(every)?))
                .ok_or_else(|| scenario.error(at, "time out of range"))?;
            let mut rng = Rng::for_item(scenario.seed, index as u64, k);
            let event = materialize(&resolved, time, start, k + 1, &mut rng)
                .map_err(|m| scenario.error(at, m))?;
            fixed.entry(event.channel.clone()).or_default().push(event);
        }
    }
    let mut kinds = Vec::new();
    let mut noise: BTreeMap<Arc<str>, Vec<(u64, usize, u64)>> = BTreeMap::new();
    if let Some(bg) = &scenario.noise {
        let span = parse_offset(&bg.span).map_err(|m| scenario.error(&Location::UNKNOWN, m))?;
        for spanned in &bg.events {
            let spec = &spanned.value;
            let at = &spanned.referenced;
            let every = spec
                .every
                .as_deref()
                .ok_or_else(|| scenario.error(at, "a background event needs `every`"))?;
            let period =
                (parse_offset(every).map_err(|m| scenario.error(at, m))? / u64::from(scale)).max(1);
            let resolved = resolve(scenario, spec, at, start)?;
            let kind = kinds.len();
            let slots = noise.entry(resolved.channel.clone()).or_default();
            for i in 0..span / period {
                let mut rng = Rng::for_item(scenario.seed, u64::MAX - kind as u64, i);
                slots.push((start + i * period + rng.below(period), kind, i + 1));
            }
            kinds.push(resolved);
        }
    }
    let kinds = Arc::new(kinds);
    let channels: Vec<Arc<str>> = {
        let mut c: Vec<Arc<str>> = fixed.keys().chain(noise.keys()).cloned().collect();
        c.sort();
        c.dedup();
        c
    };
    Ok(channels
        .into_iter()
        .map(|channel| {
            let mut events = fixed.remove(&channel).unwrap_or_default();
            events.sort_by_key(|e| e.time);
            let mut slots = noise.remove(&channel).unwrap_or_default();
            slots.sort_unstable();
            ChannelPlan {
                channel,
                fixed: events,
                noise: slots,
                kinds: Arc::clone(&kinds),
                seed: scenario.seed,
                start,
            }
        })
        .collect())
}

impl ChannelPlan {
    /// How many events the channel will hold.
    pub fn len(&self) -> usize {
        self.fixed.len() + self.noise.len()
    }

    /// True when the channel has no events.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file Windows keeps this channel in: `/` becomes `%4`.
    pub fn file_name(&self) -> String {
        format!("{}.evtx", self.channel.replace('/', "%4"))
    }

    /// Every event in time order (scenario events first at equal times).
    pub fn events(&self) -> impl Iterator<Item = Result<PlannedEvent, WriterError>> + '_ {
        let mut fixed = self.fixed.iter().peekable();
        let mut noise = self.noise.iter().peekable();
        std::iter::from_fn(move || {
            let take_fixed = match (fixed.peek(), noise.peek()) {
                (Some(f), Some(n)) => f.time <= n.0,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => return None,
            };
            if take_fixed {
                return fixed.next().cloned().map(Ok);
            }
            let &(time, kind, n) = noise.next()?;
            let Some(resolved) = self.kinds.get(kind) else {
                return Some(Err(WriterError::Invalid(format!(
                    "no background kind {kind}"
                ))));
            };
            let mut rng = Rng::for_item(self.seed, u64::MAX - kind as u64, n + (1 << 40));
            // Every alternative was validated when planning, so this does not fail.
            Some(materialize(resolved, time, self.start, n, &mut rng).map_err(WriterError::Invalid))
        })
    }
}

fn materialize(
    r: &Resolved,
    time: u64,
    start: u64,
    n: u64,
    rng: &mut Rng,
) -> Result<PlannedEvent, String> {
    let ctx = Context { n, start, time };
    let fields = r
        .schema
        .fields
        .iter()
        .zip(&r.fields)
        .map(|((name, ty), input)| {
            field_input::field_value(*ty, input.as_ref(), ctx, rng)
                .map_err(|m| format!("field {name}: {m}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let activity = r.activity.as_ref().map(|a| {
        let a = a.replace("{n}", &n.to_string());
        // A label becomes a GUID unique to the computer, stable across runs.
        parse_guid(&a).unwrap_or_else(|| stable_guid(&format!("{}:{a}", r.computer)))
    });
    Ok(PlannedEvent {
        time,
        schema: r.schema,
        channel: r.channel.clone(),
        computer: r.computer.clone(),
        level: r.level,
        qualifiers: r.qualifiers,
        activity,
        user: r.user.clone(),
        thread_id: 1000 + 4 * u32::try_from(rng.below(2000)).unwrap_or(0),
        fields,
    })
}

/// The type a generic event's field is written as, from the scenario's value: integers
/// as UInt32 (Int64 when negative, UInt64 when larger), booleans as Bool, anything
/// else, or a list that mixes kinds, as String.
fn generic_type(input: &FieldInput) -> ValueType {
    match input {
        FieldInput::Bool(_) => ValueType::Bool,
        FieldInput::Int(i) if *i < 0 => ValueType::Int64,
        FieldInput::Int(i) if u32::try_from(*i).is_ok() => ValueType::UInt32,
        FieldInput::Int(_) | FieldInput::UInt(_) => ValueType::UInt64,
        FieldInput::Text(_) => ValueType::String,
        FieldInput::Choice(items) => {
            let mut types = items.iter().map(generic_type);
            let first = types.next().unwrap_or(ValueType::String);
            let widest = types.try_fold(first, |a, b| match (a, b) {
                _ if a == b => Some(a),
                (ValueType::UInt32 | ValueType::UInt64, ValueType::UInt32 | ValueType::UInt64) => {
                    Some(ValueType::UInt64)
                }
                _ => None,
            });
            widest.unwrap_or(ValueType::String)
        }
    }
}

/// Checks a scenario event against the catalog and resolves its defaults.
fn resolve(
    scenario: &Scenario,
    spec: &EventSpec,
    at: &Location,
    start: u64,
) -> Result<Resolved, WriterError> {
    let schema = match (catalog::lookup(&spec.provider, spec.id), &spec.channel) {
        (Some(schema), _) => schema,
        (None, Some(channel)) => generic::schema(&GenericEvent {
            provider: spec.provider.clone(),
            event_id: spec.id,
            channel: channel.clone(),
            classic: spec.qualifiers.is_some(),
            fields: spec
                .fields
                .iter()
                .map(|(name, input)| (name.clone(), generic_type(input)))
                .collect(),
        })
        .map_err(|m| scenario.error(at, m))?,
        (None, None) => {
            return Err(scenario.error(
                at,
                format!(
                    "event {} of `{}` is not in the writer's catalog (src/writer/catalog.rs); \
                     give its `channel:` to write it as a generic event, with its `fields:` \
                     as named EventData",
                    spec.id, spec.provider
                ),
            ));
        }
    };
    let ctx = Context {
        n: 1,
        start,
        time: start,
    };
    let mut fields = vec![None; schema.fields.len()];
    for (name, input) in &spec.fields {
        let Some(i) = schema.fields.iter().position(|(n, _)| n == name) else {
            let known: Vec<&str> = schema.fields.iter().map(|(n, _)| *n).collect();
            return Err(scenario.error(
                at,
                format!(
                    "event {} has no field `{name}`; its fields are: {}",
                    spec.id,
                    known.join(", ")
                ),
            ));
        };
        field_input::validate(schema.fields[i].1, input, ctx)
            .map_err(|m| scenario.error(at, format!("field {name}: {m}")))?;
        fields[i] = Some(input.clone());
    }
    let user = match spec.user.as_deref().or(schema.provider.user) {
        None | Some("none") => None,
        Some(sid) => Some(
            parse_sid(sid).ok_or_else(|| scenario.error(at, format!("`{sid}` is not a SID")))?,
        ),
    };
    Ok(Resolved {
        schema,
        channel: Arc::from(spec.channel.as_deref().unwrap_or(schema.channel)),
        computer: Arc::from(spec.computer.as_deref().unwrap_or(&scenario.computer)),
        level: spec.level.unwrap_or(schema.level),
        qualifiers: spec.qualifiers.or(schema.qualifiers),
        activity: spec.activity.clone(),
        user,
        fields,
    })
}
