//! Bursts of connections the listener accepted that never got further.
//!
//! RCM logs every connection the listener accepts (261) and every user who
//! authenticates (1149), in the same log. A connection with a 261 and nothing
//! after it, and no failure of its own anywhere, says nothing by itself: mstsc
//! opens such a connection before the real one (to fetch the certificate or the
//! security settings), a user may give up at a prompt, a port scan or a
//! monitor touches the port. But many of them in a row with no authentication
//! after them is what password guessing and scanning leave on a host whose
//! failure logs (RdpCoreTS 140, Security 4625) were not collected or wrapped:
//! an analyst counts those as attempts that never became a session, with no
//! reason in the logs, and so does this pass.
//!
//! A connection counts when all its records are RCM accepts, nothing of its
//! own failed, and neither Security nor RdpCoreTS covers its moment (Security
//! would show the failed logons of password guessing, RdpCoreTS the connection
//! itself). Each authentication of the host (1149, a session logon or
//! reconnect, a Remote Desktop logon in Security, RdpCoreTS 66) answers the
//! last [`ANSWERED_PER_LOGON`] such connections within [`FOLLOWED_WITHIN`]
//! before it: mstsc's first connection is followed by the real one. The
//! connections left, at most [`BURST_GAP`] apart, form a run; a run of at least
//! [`BURST_MIN`] is a burst, unless it comes as regularly as a monitoring
//! probe ([`periodic`]).

use super::catalog::{Kind, Log};
use super::coverage::Covered;
use super::input::Input;
use crate::ingest::ChannelSpan;
use chrono::{DateTime, TimeDelta, Utc};

/// How soon after a connection an authentication shows the client came back
/// (mstsc's first connection, a certificate or credential prompt answered).
pub(super) const FOLLOWED_WITHIN: TimeDelta = TimeDelta::minutes(3);
/// How many bare connections before it one authentication answers (mstsc
/// opens one first connection per real one; a retry after a prompt, two).
pub(super) const ANSWERED_PER_LOGON: usize = 2;
/// The longest pause inside a burst.
pub(super) const BURST_GAP: TimeDelta = TimeDelta::minutes(2);
/// The fewest unanswered connections that make a burst.
pub(super) const BURST_MIN: usize = 5;
/// How close an RdpCoreTS record must be for that log to cover a moment.
const CORETS_NEAR: TimeDelta = TimeDelta::minutes(1);
/// A monitoring probe polls at a steady interval of at least this.
const PROBE_INTERVAL_MIN: TimeDelta = TimeDelta::seconds(30);

/// What the finding of such a connection says about its certainty.
pub(super) const NOTE: &str = "The listener accepted this connection (RCM 261), but it never authenticated (no RCM 1149), no record of it failed and no logon followed within three minutes: it is one of a burst of such connections, which is how password guessing or a scanner looks when the logs that name each failure (RdpCoreTS, Security) do not cover the moment. A refusal whose record is in a log not given, or a client or scanner that hung up: these logs cannot tell which.";

/// Whether every record of a connection is an RCM accept (261): the
/// connection is known only from the listener.
pub(super) fn listener_only(input: &Input, items: &[usize]) -> bool {
    !items.is_empty()
        && items.iter().all(|i| {
            let f = &input.facts[*i];
            f.log == Some(Log::Rcm) && f.kind == Some(Kind::Accepted) && !f.drop && !f.cause
        })
}

/// Which moments of host `h` the logs that would name a failed connection
/// cover: Security over its whole span, RdpCoreTS near its own records.
pub(super) struct FailureLogs {
    security: Covered,
    corets: Vec<DateTime<Utc>>,
}

impl FailureLogs {
    pub(super) fn new(input: &Input, h: usize, spans: &[ChannelSpan]) -> Self {
        let security = Covered::new(&input.hosts[h].0, spans, |c| c == "Security");
        let mut corets: Vec<DateTime<Utc>> = (input.hosts[h].1.clone())
            .filter(|i| input.facts[*i].log == Some(Log::CoreTs))
            .map(|i| input.items[i].event.time)
            .collect();
        corets.sort_unstable();
        FailureLogs { security, corets }
    }

    /// Whether Security or RdpCoreTS covers moment `t`.
    pub(super) fn cover(&self, t: DateTime<Utc>) -> bool {
        let k = self.corets.partition_point(|x| *x < t - CORETS_NEAR);
        self.security.covers(t) || self.corets.get(k).is_some_and(|x| *x <= t + CORETS_NEAR)
    }
}

/// The moments host `h` shows a user authenticated, in time order.
pub(super) fn authentications(input: &Input, h: usize) -> Vec<DateTime<Utc>> {
    let mut out: Vec<DateTime<Utc>> = input.hosts[h]
        .1
        .clone()
        .filter(|i| {
            matches!(
                input.facts[*i].kind,
                Some(
                    Kind::Authenticated
                        | Kind::Logon
                        | Kind::Reconnect
                        | Kind::SecLogon
                        | Kind::SecReconnect
                        | Kind::Assigned
                )
            )
        })
        .map(|i| input.items[i].event.time)
        .collect();
    out.sort_unstable();
    out
}

/// Which of `starts` (connection starts of one host, in time order) belong to a
/// burst, given the host's `authentications` (in time order).
pub(super) fn bursts(starts: &[DateTime<Utc>], authentications: &[DateTime<Utc>]) -> Vec<bool> {
    let answered = answered(starts, authentications);
    let mut out = vec![false; starts.len()];
    let mut run: Vec<usize> = Vec::new();
    let mut close = |run: &mut Vec<usize>| {
        let times: Vec<DateTime<Utc>> = run.iter().map(|k| starts[*k]).collect();
        if run.len() >= BURST_MIN && !periodic(&times) {
            run.iter().for_each(|k| out[*k] = true);
        }
        run.clear();
    };
    for k in (0..starts.len()).filter(|k| !answered[*k]) {
        if run
            .last()
            .is_some_and(|l| starts[k] - starts[*l] > BURST_GAP)
        {
            close(&mut run);
        }
        run.push(k);
    }
    close(&mut run);
    out
}

/// Each authentication answers the last [`ANSWERED_PER_LOGON`] connections not
/// yet answered within [`FOLLOWED_WITHIN`] before it.
fn answered(starts: &[DateTime<Utc>], authentications: &[DateTime<Utc>]) -> Vec<bool> {
    let mut out = vec![false; starts.len()];
    for a in authentications {
        let hi = starts.partition_point(|s| s <= a);
        let lo = starts.partition_point(|s| *s < *a - FOLLOWED_WITHIN);
        (lo..hi)
            .rev()
            .filter(|k| !out[*k])
            .take(ANSWERED_PER_LOGON)
            .collect::<Vec<_>>()
            .into_iter()
            .for_each(|k| out[k] = true);
    }
    out
}

/// Whether connections at `times` come as a monitor polls: at a steady
/// interval of [`PROBE_INTERVAL_MIN`] or more, four in five gaps within a tenth
/// of the median. Password guessing and scanning come faster or unevenly.
fn periodic(times: &[DateTime<Utc>]) -> bool {
    let mut gaps: Vec<TimeDelta> = times.windows(2).map(|w| w[1] - w[0]).collect();
    if gaps.is_empty() {
        return false;
    }
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    let slack = median / 10;
    let steady = gaps
        .iter()
        .filter(|g| (**g - median).abs() <= slack)
        .count();
    median >= PROBE_INTERVAL_MIN && steady * 5 >= gaps.len() * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_600_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_run_of_five_unanswered_connections_is_a_burst() {
        let starts: Vec<_> = (0..5).map(|k| at(k * 10)).collect();
        assert_eq!(bursts(&starts, &[]), vec![true; 5]);
    }

    #[test]
    fn four_are_not_a_burst() {
        let starts: Vec<_> = (0..4).map(|k| at(k * 10)).collect();
        assert_eq!(bursts(&starts, &[]), vec![false; 4]);
    }

    #[test]
    fn a_pause_longer_than_the_gap_splits_the_run() {
        let mut starts: Vec<_> = (0..3).map(|k| at(k * 10)).collect();
        starts.extend((0..3).map(|k| at(1_000 + k * 10)));
        assert_eq!(bursts(&starts, &[]), vec![false; 6]);
    }

    #[test]
    fn a_connection_followed_by_an_authentication_is_the_clients_first_connection() {
        // mstsc's pattern: a bare connection, then the real one that authenticates.
        let starts: Vec<_> = (0..6).map(|k| at(k * 60)).collect();
        let auths: Vec<_> = (0..6).map(|k| at(k * 60 + 20)).collect();
        assert_eq!(bursts(&starts, &auths), vec![false; 6]);
        // An authentication before the connections answers none of them.
        let spray: Vec<_> = (0..6).map(|k| at(k * 20)).collect();
        assert_eq!(bursts(&spray, &[at(-1)]), vec![true; 6]);
    }

    #[test]
    fn one_logon_answers_only_the_last_two_connections_before_it() {
        // A spray of eight, 5 s apart, then one logon: six stay a burst.
        let starts: Vec<_> = (0..8).map(|k| at(k * 5)).collect();
        let mut want = vec![true; 8];
        want[6] = false;
        want[7] = false;
        assert_eq!(bursts(&starts, &[at(40)]), want);
    }

    #[test]
    fn a_monitor_polling_every_minute_is_no_burst() {
        // Every 60 s, a second either way.
        let starts: Vec<_> = (0..200).map(|k| at(k * 60 + (k % 3) - 1)).collect();
        assert_eq!(bursts(&starts, &[]), vec![false; 200]);
        // Uneven gaps of about a minute are a slow tool, not a monitor.
        let uneven: Vec<_> = (0..20).map(|k| at(k * 60 + (k * 37) % 50)).collect();
        assert_eq!(bursts(&uneven, &[]), vec![true; 20]);
        // A fast steady tool is a burst too.
        let fast: Vec<_> = (0..20).map(|k| at(k * 2)).collect();
        assert_eq!(bursts(&fast, &[]), vec![true; 20]);
    }
}
