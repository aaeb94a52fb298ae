//! Bursts of connections the listener accepted that never got further.
//!
//! RCM logs every connection the listener accepts (261) and every user who
//! authenticates (1149), in the same log. A connection with a 261 and nothing
//! after it, and no failure of its own anywhere, says nothing by itself: mstsc
//! opens such a connection before the real one (to fetch the certificate or the
//! security settings), a user may give up at a prompt, a port scan touches the
//! port. But many of them in a row with no authentication after any of them is
//! what password guessing and scanning leave on a host whose failure logs
//! (RdpCoreTS 140, Security 4625, Schannel in System) were not collected or
//! wrapped: an analyst counts those as refused attempts whose reason is not in
//! the logs, and so does this pass.
//!
//! A connection counts when all its records are RCM accepts, nothing of its
//! own failed, and no authentication of the host (1149, a session logon or
//! reconnect, a Remote Desktop logon in Security, RdpCoreTS 66) follows it
//! within [`FOLLOWED_WITHIN`]: mstsc's first connection is followed by the
//! real one. Such connections at most [`BURST_GAP`] apart form a run, and a
//! run of at least [`BURST_MIN`] is a burst.

use super::catalog::{Kind, Log};
use super::input::Input;
use chrono::{DateTime, TimeDelta, Utc};

/// How soon after a connection an authentication shows the client came back
/// (mstsc's first connection, a certificate or credential prompt answered).
pub(super) const FOLLOWED_WITHIN: TimeDelta = TimeDelta::minutes(3);
/// The longest pause inside a burst.
pub(super) const BURST_GAP: TimeDelta = TimeDelta::minutes(2);
/// The fewest unanswered connections that make a burst.
pub(super) const BURST_MIN: usize = 5;

/// What the finding of such a connection says about its certainty.
pub(super) const NOTE: &str = "The listener accepted this connection (RCM 261), but it never authenticated (no RCM 1149), no record of it failed and no successful logon followed: it is one of a burst of such connections, which is how password guessing or a scanner looks when the logs that name the failure do not cover the moment.";

/// Whether every record of a connection is an RCM accept (261): the
/// connection is known only from the listener.
pub(super) fn listener_only(input: &Input, items: &[usize]) -> bool {
    !items.is_empty()
        && items.iter().all(|i| {
            let f = &input.facts[*i];
            f.log == Some(Log::Rcm) && f.kind == Some(Kind::Accepted) && !f.drop && !f.cause
        })
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
    let answered = |t: DateTime<Utc>| {
        let k = authentications.partition_point(|a| *a < t);
        authentications
            .get(k)
            .is_some_and(|a| *a - t <= FOLLOWED_WITHIN)
    };
    let unanswered: Vec<usize> = (0..starts.len())
        .filter(|k| !answered(starts[*k]))
        .collect();
    let mut out = vec![false; starts.len()];
    let mut run: Vec<usize> = Vec::new();
    let mut close = |run: &mut Vec<usize>| {
        if run.len() >= BURST_MIN {
            run.iter().for_each(|k| out[*k] = true);
        }
        run.clear();
    };
    for k in unanswered {
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
        let starts: Vec<_> = (0..6).map(|k| at(k * 10)).collect();
        let auths = vec![at(55), at(100)];
        // Every connection is followed within three minutes by an authentication.
        assert_eq!(bursts(&starts, &auths), vec![false; 6]);
        // An authentication before the connections answers none of them.
        assert_eq!(bursts(&starts, &[at(-1)]), vec![true; 6]);
    }
}
