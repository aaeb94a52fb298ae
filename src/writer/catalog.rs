//! The schema of every event the samples use: provider identity, default
//! channel, `System` values, data shape and each field's name and type.
//!
//! Shapes, names and types were read from real records (the corpus in
//! `shared/corpus`: StolenSzechuan, velociraptor RDPAuth, the evtx and
//! python-evtx samples); `tests/samples.rs` checks them against those records
//! whenever the corpus is present. Events absent from the corpus (RCM
//! 1057/1058/1028/1128/1011/1069, Schannel 36870, SCM 7034, LSM 18) follow the
//! same provider's real events and the field lists in `rdp-events.md`.

use super::catalog_table;
pub use super::schema::{EventSchema, Provider};

/// Finds the schema of `event_id` from `provider` (name or event source,
/// ignoring ASCII case).
pub fn lookup(provider: &str, event_id: u16) -> Option<&'static EventSchema> {
    catalog_table::CATALOG.iter().find(|e| {
        e.event_id == event_id
            && (e.provider.name.eq_ignore_ascii_case(provider)
                || e.provider
                    .event_source
                    .is_some_and(|s| s.eq_ignore_ascii_case(provider)))
    })
}

/// Every event the writer knows.
pub fn all() -> &'static [EventSchema] {
    catalog_table::CATALOG
}

#[cfg(test)]
mod tests {
    use super::super::template::DataShape;
    use super::super::value::ValueType::String as STR;
    use super::*;

    #[test]
    fn lookup_matches_name_or_event_source_ignoring_case() {
        let e = lookup("service control manager", 7036).unwrap();
        assert_eq!(e.qualifiers, Some(16384));
        assert_eq!(lookup("TermService", 1058).unwrap().channel, "System");
        assert!(lookup("Schannel", 1).is_none());
    }

    #[test]
    fn every_entry_is_unique_and_well_formed() {
        for (i, a) in all().iter().enumerate() {
            assert!(
                all()[i + 1..]
                    .iter()
                    .all(|b| !(a.provider.name == b.provider.name && a.event_id == b.event_id)),
                "duplicate {} {}",
                a.provider.name,
                a.event_id
            );
            let binaries = a.fields.iter().filter(|(n, _)| *n == "Binary").count();
            assert!(binaries <= 1);
            if binaries == 1 {
                assert_eq!(a.fields.last().map(|f| f.0), Some("Binary"));
            }
            if a.shape == DataShape::Unnamed {
                assert!(a.fields.iter().all(|(n, t)| *n == "Binary" || *t == STR));
            }
        }
    }

    /// The writer spells every field correlation reads of the session events
    /// it can write: the two tables cannot drift apart.
    #[test]
    fn the_writer_writes_every_field_correlation_reads() {
        let mut checked = 0;
        for schema in all() {
            let Some(entry) = crate::correlate::catalog_entry(schema.channel, schema.event_id)
            else {
                continue;
            };
            checked += 1;
            for field in entry {
                assert!(
                    schema.fields.iter().any(|(n, _)| *n == field),
                    "{} {}: correlation reads `{field}`, the writer does not write it",
                    schema.provider.name,
                    schema.event_id
                );
            }
        }
        assert!(checked >= 20, "only {checked} session events checked");
    }
}
