//! One host, many names. A machine's logs carry the `Computer` it had when each
//! record was written, so a rename or a domain join splits one machine into
//! several names: `WIN-E0PO207ERMD`, then `WIN-E0PO207ERMD.C137.local` after the
//! join, then `CITADEL-DC01.C137.local` after a rename. Names are one host when
//! - they are the same name in another case (`IE8WIN7`, `IE8Win7`),
//! - one is the other without its DNS suffix (`X` and `X.corp.example`) and no
//!   other name of the logs has that first label (`DC1` beside both
//!   `DC1.a.example` and `DC1.b.example` links to neither), or
//! - an EventLog 6011 record says the machine was renamed from one to the
//!   other (its names are NetBIOS names, resolved the same way).
//!
//! A host is named by the name it had last, and lists the others as aliases.
//! Records keep the `Computer` they were written with.

use super::catalog::strip_port;
use super::model::Host;
use crate::ingest::ChannelSpan;
use crate::rules::Matched;
use chrono::{DateTime, Utc};
use foldhash::HashMap;

/// The names of every host, and which host each name belongs to.
#[derive(Debug, Default)]
pub(crate) struct Hosts {
    /// Name (as written) -> index in `hosts`.
    of: HashMap<String, usize>,
    /// Each host with its aliases, in name order.
    pub hosts: Vec<Host>,
}

impl Hosts {
    /// Links the names of the matched events and of the logs' spans.
    pub fn new(matched: &[Matched], spans: &[ChannelSpan]) -> Self {
        let mut names = Names::default();
        // Events come in runs of one computer: each run is counted in at once.
        let mut run: Option<(&str, DateTime<Utc>, DateTime<Utc>)> = None;
        for m in matched {
            let (name, t) = (&*m.event.computer, m.event.time);
            match &mut run {
                Some((current, first, last)) if *current == name => {
                    *first = (*first).min(t);
                    *last = (*last).max(t);
                }
                _ => {
                    if let Some((current, first, last)) = run {
                        names.seen(current, first);
                        names.seen(current, last);
                    }
                    run = Some((name, t, t));
                }
            }
        }
        if let Some((current, first, last)) = run {
            names.seen(current, first);
            names.seen(current, last);
        }
        for s in spans {
            names.seen(&s.computer, s.first);
            names.seen(&s.computer, s.last);
        }
        names.link_suffixes();
        for m in matched.iter().filter(|m| is_rename(m)) {
            let field = |n: &str| m.event.field(n).map(|v| v.as_text().trim().to_string());
            if let (Some(old), Some(new)) = (field("param1"), field("param2")) {
                names.link_short(&old, &new);
            }
        }
        names.into_hosts()
    }

    /// The index in `hosts` of the host `computer` belongs to (hosts are in
    /// name order); past the end for a name never seen.
    pub fn index_of(&self, computer: &str) -> usize {
        self.of.get(computer).copied().unwrap_or(self.hosts.len())
    }

    /// [`Hosts::index_of`] that remembers its last answer, for events that come in
    /// runs of one computer.
    pub fn remembering(&self) -> Remembering<'_> {
        Remembering {
            hosts: self,
            last: None,
        }
    }

    /// The host name `computer` belongs to (itself when it is not known).
    pub fn name_of<'a>(&'a self, computer: &'a str) -> &'a str {
        self.of
            .get(computer)
            .map_or(computer, |h| self.hosts[*h].name.as_str())
    }

    /// `spans` with every computer named by its host.
    pub fn spans(&self, spans: &[ChannelSpan]) -> Vec<ChannelSpan> {
        spans
            .iter()
            .map(|s| ChannelSpan {
                computer: self.name_of(&s.computer).to_string(),
                ..s.clone()
            })
            .collect()
    }
}

/// EventLog 6011: "The NetBIOS name and DNS host name of this machine have
/// been changed from {param1} to {param2}".
fn is_rename(m: &Matched) -> bool {
    m.event.event_id == 6011 && &*m.event.provider == "EventLog" && &*m.event.channel == "System"
}

/// A name lower-cased, without a port: the key names are compared by.
fn key(name: &str) -> String {
    strip_port(name.trim()).to_ascii_lowercase()
}

/// The first DNS label of a key: `win-x.corp.example` -> `win-x`.
fn first_label(key: &str) -> &str {
    key.split('.').next().unwrap_or(key)
}

/// A name with the first and last time it was seen.
type Seen = (String, DateTime<Utc>, DateTime<Utc>);

/// Every name with its first and last time, grouped by key, with union-find
/// links between groups.
#[derive(Default)]
struct Names {
    /// Name -> (first seen, last seen).
    times: HashMap<String, (DateTime<Utc>, DateTime<Utc>)>,
    /// Key -> group.
    group: HashMap<String, usize>,
    parent: Vec<usize>,
}

impl Names {
    fn seen(&mut self, name: &str, t: DateTime<Utc>) {
        if name.is_empty() {
            return;
        }
        // Most records repeat a name already seen: no allocation for them.
        if let Some(span) = self.times.get_mut(name) {
            span.0 = span.0.min(t);
            span.1 = span.1.max(t);
            return;
        }
        self.times.insert(name.to_string(), (t, t));
        self.group_of(&key(name));
    }

    fn group_of(&mut self, key: &str) -> usize {
        if let Some(g) = self.group.get(key) {
            return *g;
        }
        let g = self.parent.len();
        self.parent.push(g);
        self.group.insert(key.to_string(), g);
        g
    }

    /// The group a NetBIOS (or full) name stands for: the same key, else the
    /// one full name with that first label; `None` when none or several.
    fn resolve(&self, name: &str) -> Option<usize> {
        let k = key(name);
        if let Some(g) = self.group.get(&k) {
            return Some(*g);
        }
        let mut found = self
            .group
            .iter()
            .filter(|(full, _)| full.contains('.') && first_label(full) == k);
        match (found.next(), found.next()) {
            (Some((_, g)), None) => Some(*g),
            _ => None,
        }
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        if a != b {
            self.parent[a.max(b)] = a.min(b);
        }
    }

    /// Links each name without a DNS suffix to the one full name that has it
    /// as first label.
    fn link_suffixes(&mut self) {
        let bare: Vec<String> = self
            .group
            .keys()
            .filter(|k| !k.contains('.'))
            .cloned()
            .collect();
        for name in bare {
            let mut full = self
                .group
                .iter()
                .filter(|(k, _)| k.contains('.') && first_label(k) == name)
                .map(|(_, g)| *g);
            if let (Some(g), None) = (full.next(), full.next()) {
                let b = self.group[&name];
                self.union(g, b);
            }
        }
    }

    fn root(&mut self, mut g: usize) -> usize {
        while self.parent[g] != g {
            self.parent[g] = self.parent[self.parent[g]];
            g = self.parent[g];
        }
        g
    }

    /// Links two names given by a rename record. A name no record of the logs was
    /// written under still links: a machine renamed twice in a row (A to B, then B
    /// to C) may never have written a record as B.
    fn link_short(&mut self, a: &str, b: &str) {
        let mut group = |name: &str| match self.resolve(name) {
            Some(g) => Some(g),
            None if !name.trim().is_empty() => Some(self.group_of(&key(name))),
            None => None,
        };
        if let (Some(a), Some(b)) = (group(a), group(b)) {
            self.union(a, b);
        }
    }

    fn into_hosts(mut self) -> Hosts {
        let mut members: HashMap<usize, Vec<Seen>> = HashMap::default();
        let times = std::mem::take(&mut self.times);
        for (name, (first, last)) in times {
            let g = self.group[&key(&name)];
            let root = self.root(g);
            members.entry(root).or_default().push((name, first, last));
        }
        let mut hosts = Hosts::default();
        let mut groups: Vec<_> = members.into_values().collect();
        for names in &mut groups {
            // The name seen last names the host; on a tie the longer (the FQDN).
            names.sort_by(|a, b| (b.2, b.0.len(), &a.0).cmp(&(a.2, a.0.len(), &b.0)));
        }
        groups.sort_by(|a, b| a[0].0.cmp(&b[0].0));
        for names in groups {
            let h = hosts.hosts.len();
            let mut aliases: Vec<(DateTime<Utc>, String)> = names[1..]
                .iter()
                .map(|(n, first, _)| (*first, n.clone()))
                .collect();
            aliases.sort();
            for (name, _, _) in &names {
                hosts.of.insert(name.clone(), h);
            }
            hosts.hosts.push(Host {
                name: names[0].0.clone(),
                aliases: aliases.into_iter().map(|(_, n)| n).collect(),
            });
        }
        hosts
    }
}

/// See [`Hosts::remembering`].
pub(crate) struct Remembering<'a> {
    hosts: &'a Hosts,
    last: Option<(String, usize)>,
}

impl Remembering<'_> {
    /// The index of the host `computer` belongs to ([`Hosts::index_of`]).
    pub fn index_of(&mut self, computer: &str) -> usize {
        match &mut self.last {
            Some((name, index)) if name == computer => *index,
            Some((name, index)) => {
                *index = self.hosts.index_of(computer);
                name.clear();
                name.push_str(computer);
                *index
            }
            None => {
                let index = self.hosts.index_of(computer);
                self.last = Some((computer.to_string(), index));
                index
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::testkit::{ev, m};

    fn rename(host: &str, secs: i64, old: &str, new: &str) -> Matched {
        let mut e = ev(host, secs, "sys", 6011, &[("param1", old), ("param2", new)]);
        e.provider = "EventLog".into();
        m(e, &[])
    }

    fn logon(host: &str, secs: i64) -> Matched {
        m(ev(host, secs, "lsm", 21, &[]), &[])
    }

    #[test]
    fn a_rename_and_a_domain_join_make_one_host_named_by_its_last_name() {
        let items = [
            logon("WIN-A", 0),
            rename("WIN-B", 60, "WIN-A", "WIN-B"),
            logon("WIN-B.corp.example", 3_600),
            logon("win-b", 7_200),
            rename("DC01.corp.example", 9_000, "WIN-B", "DC01"),
            logon("OTHER", 9_500),
        ];
        let hosts = Hosts::new(&items, &[]);
        assert_eq!(hosts.hosts.len(), 2);
        let dc = &hosts.hosts[0];
        assert_eq!(dc.name, "DC01.corp.example");
        assert_eq!(
            dc.aliases,
            ["WIN-A", "WIN-B", "WIN-B.corp.example", "win-b"]
        );
        assert_eq!(hosts.name_of("WIN-A"), "DC01.corp.example");
        assert_eq!(hosts.name_of("OTHER"), "OTHER");
        assert!(hosts.hosts[1].aliases.is_empty());
    }

    #[test]
    fn a_bare_name_beside_two_domains_links_to_neither() {
        let items = [
            logon("DC1", 0),
            logon("DC1.insecurebank.local", 60),
            logon("DC1.internal.greendale.edu", 120),
            logon("IE8WIN7", 180),
            logon("IE8Win7", 240),
        ];
        let hosts = Hosts::new(&items, &[]);
        let names: Vec<&str> = hosts.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "DC1",
                "DC1.insecurebank.local",
                "DC1.internal.greendale.edu",
                "IE8Win7"
            ]
        );
    }

    #[test]
    fn a_rename_to_a_name_the_logs_do_not_hold_links_nothing() {
        let items = [rename("WIN-A", 0, "WIN-Z", "WIN-A"), logon("WIN-B", 60)];
        let hosts = Hosts::new(&items, &[]);
        assert_eq!(hosts.hosts.len(), 2);
    }

    #[test]
    fn renames_chain_through_a_name_no_record_was_written_under() {
        // A to B (never seen as a Computer), then B to C, then C to D.
        let items = [
            rename("DESKTOP-A", 0, "DESKTOP-A", "WIN-B"),
            rename("DESKTOP-C", 90, "WIN-B", "DESKTOP-C"),
            rename("W10-D", 900, "DESKTOP-C", "W10-D"),
            logon("W10-D", 1_000),
        ];
        let hosts = Hosts::new(&items, &[]);
        assert_eq!(hosts.hosts.len(), 1, "{:?}", hosts.hosts);
        assert_eq!(hosts.hosts[0].name, "W10-D");
        assert_eq!(hosts.hosts[0].aliases, ["DESKTOP-A", "DESKTOP-C"]);
    }
}
