//! Selects events by channel, provider, event id, computer and time range.

use super::Event;
use chrono::{DateTime, Utc};

/// Which events to keep. Empty lists keep everything; text comparisons ignore
/// ASCII case, and a provider matches its name or its classic `EventSourceName`.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Keep events of these channels.
    pub channels: Vec<String>,
    /// Keep events of these providers.
    pub providers: Vec<String>,
    /// Keep events with these event ids.
    pub event_ids: Vec<u16>,
    /// Keep events of these computers.
    pub computers: Vec<String>,
    /// Keep events at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Keep events at or before this time.
    pub to: Option<DateTime<Utc>>,
}

impl EventFilter {
    /// True when `event` passes every condition.
    pub fn accepts(&self, event: &Event) -> bool {
        let any = |list: &[String], value: &str| {
            list.is_empty() || list.iter().any(|x| x.eq_ignore_ascii_case(value))
        };
        any(&self.channels, &event.channel)
            && (self.providers.is_empty() || self.providers.iter().any(|p| event.is_from(p)))
            && (self.event_ids.is_empty() || self.event_ids.contains(&event.event_id))
            && any(&self.computers, &event.computer)
            && self.from.is_none_or(|from| event.time >= from)
            && self.to.is_none_or(|to| event.time <= to)
    }
}
