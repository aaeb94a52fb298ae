//! Over the whole real corpus: whenever `ingest::peek` answers for a record, its header fields
//! are exactly what full rendering plus `event::from_json` gives, and it answers for almost all;
//! whenever `ingest::event_from_peek` builds a whole event, it is the rendered one, field for
//! field, and it builds most.

use crate::util::corpus;
use dropcause::event::{self, Event, EventSketch, FieldValue};
use dropcause::ingest::{PeekCache, discover, event_from_peek, peek};
use evtx::{EvtxParser, ParserSettings};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A peek's fields, owned, to outlive the record.
#[derive(Debug, Clone, PartialEq)]
struct Owned {
    provider: String,
    event_source: Option<String>,
    event_id: u16,
    qualifiers: Option<u16>,
    channel: String,
    computer: String,
    /// The event's time: `TimeCreated`, else the record header's.
    time: chrono::DateTime<chrono::Utc>,
}

impl Owned {
    fn of_event(e: &Event) -> Self {
        Owned {
            provider: e.provider.to_string(),
            event_source: e.event_source.clone(),
            event_id: e.event_id,
            qualifiers: e.qualifiers,
            channel: e.channel.to_string(),
            computer: e.computer.to_string(),
            time: e.time,
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    records: u64,
    answered: u64,
    mismatches: Vec<String>,
    /// Peek answered, but the record does not render or normalize.
    answered_but_unreadable: Vec<String>,
    /// Peek answered for a carved record that does not render.
    recovered_unreadable: u64,
    /// Data fields asked for and answered.
    data_asked: u64,
    data_answered: u64,
    /// Whole events built from the peek (all of them equal to the rendered event, or a
    /// mismatch is noted).
    built: u64,
}

/// What the peek says of some data fields: each name with its answer.
type DataAnswers = Vec<(String, Option<Option<FieldValue>>)>;

/// Names to ask for beside the template's own: another case, and names no event has.
const OTHER_NAMES: [&str; 3] = ["logontype", "NoSuchField", "param1"];

fn check_file(path: &Path, recover: bool) -> Tally {
    let mut tally = Tally::default();
    let settings = ParserSettings::new()
        .num_threads(1)
        .recover_records(recover)
        .separate_json_attributes(false)
        .indent(false);
    let Ok(parser) = EvtxParser::from_path(path) else {
        return tally;
    };
    let mut parser = parser.with_configuration(settings);
    let source: Arc<Path> = Arc::from(path);
    let mut cache = PeekCache::default();
    let built_from = Arc::clone(&source);
    let results = parser.serialized_records(move |record| {
        let record = record?;
        let peeked = peek(&record, &mut cache).map(|p| {
            assert!(p.header_time.timestamp() == record.timestamp.as_second());
            let mut names = p.data_names();
            names.extend(OTHER_NAMES.map(String::from));
            let data: DataAnswers = names
                .into_iter()
                .map(|n| {
                    let answer = p.data(&n);
                    (n, answer)
                })
                .collect();
            let owned = Owned {
                provider: p.provider.to_string(),
                event_source: p.event_source.as_ref().map(ToString::to_string),
                event_id: p.event_id,
                qualifiers: p.qualifiers,
                channel: p.channel.to_string(),
                computer: p.computer.to_string(),
                time: p.time(),
            };
            // Carved records are always rendered.
            let built = (!record.recovered)
                .then(|| event_from_peek(&p, record.event_record_id, &built_from))
                .flatten();
            (owned, data, built)
        });
        let id = record.event_record_id;
        let recovered = record.recovered;
        Ok((id, recovered, peeked, record.into_json_value()))
    });
    for item in results {
        let Ok((id, recovered, peeked, rendered)) = item else {
            continue;
        };
        let event = rendered.map_err(|e| e.to_string()).and_then(|r| {
            let ts = r.timestamp;
            let time = chrono::DateTime::from_timestamp(
                ts.as_second(),
                ts.subsec_nanosecond().max(0) as u32,
            )
            .unwrap_or_default();
            event::from_json(&r.data, r.event_record_id, time, &source, recovered)
                .map_err(|e| e.to_string())
        });
        match (peeked, event) {
            (None, Ok(_)) => tally.records += 1,
            (None, Err(_)) => {}
            (Some((p, data, built)), Ok(e)) => {
                tally.records += 1;
                tally.answered += 1;
                if let Some(built) = built {
                    tally.built += 1;
                    if built != e {
                        tally.mismatches.push(format!(
                            "{} record {id}: built {built:?} != rendered {e:?}",
                            path.display()
                        ));
                    }
                }
                for (name, answer) in data {
                    tally.data_asked += 1;
                    let Some(answer) = answer else { continue };
                    tally.data_answered += 1;
                    let full = e.fields.get(&name).cloned();
                    if answer != full {
                        tally.mismatches.push(format!(
                            "{} record {id}: data field {name}: peek {answer:?} != full {full:?}",
                            path.display()
                        ));
                    }
                }
                let full = Owned::of_event(&e);
                if p != full {
                    tally.mismatches.push(format!(
                        "{} record {id}: peek {p:?} != full {full:?}",
                        path.display()
                    ));
                }
            }
            // A carved record that fails to render is dropped by the parser (and so skipping
            // it unrendered loses nothing).
            (Some(_), Err(_)) if recovered => tally.recovered_unreadable += 1,
            (Some((p, ..)), Err(err)) => tally.answered_but_unreadable.push(format!(
                "{} record {id}: peek {p:?} but the record does not normalize: {err}",
                path.display()
            )),
        }
    }
    tally
}

fn run(root: &Path, recover: bool) -> Tally {
    let found = discover(std::slice::from_ref(&root.to_path_buf()), false);
    let paths: Vec<PathBuf> = found.sources.iter().map(|s| s.path.clone()).collect();
    assert!(paths.len() > 100, "corpus files found: {}", paths.len());
    let tallies: Vec<(PathBuf, Tally)> = paths
        .par_iter()
        .map(|p| (p.clone(), check_file(p, recover)))
        .collect();
    let mut total = Tally::default();
    for (path, t) in tallies {
        if t.records > 0 && t.answered * 10 < t.records * 9 {
            eprintln!(
                "  low coverage: {} answered {}/{}",
                path.display(),
                t.answered,
                t.records
            );
        }
        total.records += t.records;
        total.answered += t.answered;
        total.mismatches.extend(t.mismatches);
        total
            .answered_but_unreadable
            .extend(t.answered_but_unreadable);
        total.recovered_unreadable += t.recovered_unreadable;
        total.data_asked += t.data_asked;
        total.data_answered += t.data_answered;
        total.built += t.built;
    }
    total
}

fn report(label: &str, total: &Tally) {
    eprintln!(
        "peek over the corpus ({label}): answered {} of {} records ({:.3}%), {} mismatches, \
         {} answered for records that do not normalize, {} for carved records that do not render",
        total.answered,
        total.records,
        100.0 * total.answered as f64 / total.records.max(1) as f64,
        total.mismatches.len(),
        total.answered_but_unreadable.len(),
        total.recovered_unreadable,
    );
    eprintln!(
        "  data fields: answered {} of {} asked ({:.1}%)",
        total.data_answered,
        total.data_asked,
        100.0 * total.data_answered as f64 / total.data_asked.max(1) as f64,
    );
    eprintln!(
        "  whole events built from the peek: {} of {} records ({:.1}%)",
        total.built,
        total.records,
        100.0 * total.built as f64 / total.records.max(1) as f64,
    );
    for m in total
        .mismatches
        .iter()
        .chain(&total.answered_but_unreadable)
        .take(20)
    {
        eprintln!("  {m}");
    }
}

#[test]
fn peek_agrees_with_full_rendering_on_every_corpus_record() {
    let Some(root) = corpus("peek corpus") else {
        return;
    };
    let total = run(&root, false);
    report("live records", &total);
    assert!(total.records > 100_000, "records: {}", total.records);
    assert!(total.mismatches.is_empty(), "peek disagrees with rendering");
    assert!(
        total.answered_but_unreadable.is_empty(),
        "peek answers for records that do not normalize"
    );
    assert!(
        total.answered * 100 > total.records * 99,
        "peek answers for under 99% of records"
    );
    assert!(
        total.data_answered * 10 > total.data_asked * 7,
        "peek tells under 70% of the data fields asked for"
    );
    // Whole events: every built one equals the rendered one (checked above, in `mismatches`);
    // the rest are records with an empty value, a type not modelled, or `UserData` brought by
    // a substitution inside it (RCM, LSM).
    assert!(
        total.built * 100 > total.records * 60,
        "whole events built for under 60% of records"
    );
}

#[test]
fn peek_agrees_with_full_rendering_on_recovered_records_too() {
    let Some(root) = corpus("peek corpus, recovered records") else {
        return;
    };
    let total = run(&root, true);
    report("with recovered records", &total);
    assert!(total.mismatches.is_empty(), "peek disagrees with rendering");
    assert!(
        total.answered_but_unreadable.is_empty(),
        "peek answers for records that do not normalize"
    );
}
