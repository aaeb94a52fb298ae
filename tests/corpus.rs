//! Over the whole real corpus: dropcause reads exactly the records evtx_dump
//! 0.15.1 read (per file), with the same (channel, provider, event id) tallies.

use crate::util::corpus;
use dropcause::ingest::{IngestOptions, Peek, Prefilter, discover, read_all};
use std::collections::BTreeMap;
use std::path::Path;

type Tally = BTreeMap<(String, String, u16), u64>;

struct Expected {
    records: u64,
    tally: Tally,
}

fn expected(index: &Path) -> BTreeMap<String, Expected> {
    let text = std::fs::read_to_string(index).expect("index.json readable");
    let json: serde_json::Value = serde_json::from_str(&text).expect("index.json is JSON");
    let mut out = BTreeMap::new();
    for file in json["files"].as_array().expect("files array") {
        let mut tally = Tally::new();
        for row in file["tally_channel_provider_eventid"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let key = (
                row[0].as_str().unwrap_or_default().to_string(),
                row[1].as_str().unwrap_or_default().to_string(),
                row[2].as_u64().expect("event id") as u16,
            );
            *tally.entry(key).or_default() += row[3].as_u64().expect("count");
        }
        let records = file["records_evtx_dump"].as_u64().expect("record count");
        out.insert(
            file["file"].as_str().expect("file").to_string(),
            Expected { records, tally },
        );
    }
    out
}

#[test]
fn every_corpus_file_reads_as_many_records_as_evtx_dump_with_the_same_tallies() {
    let Some(root) = corpus("corpus record counts") else {
        return;
    };
    let expected = expected(&root.join("index.json"));
    let found = discover(std::slice::from_ref(&root), false);
    assert_eq!(
        found.sources.len(),
        expected.len(),
        "files found vs index.json"
    );
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let relative = |p: &Path| {
        p.strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/")
    };
    // evtx_dump ignores a chunk cut short by the end of the file; compare like with like.
    let options = IngestOptions {
        skip_truncated_chunk: true,
        keep_duplicates: true,
        ..IngestOptions::default()
    };
    let report = read_all(
        &found.sources,
        &options,
        |e| {
            Some((
                relative(&e.source),
                e.channel.to_string(),
                e.provider.to_string(),
                e.event_id,
            ))
        },
        |batch| {
            for (file, channel, provider, id) in batch {
                *tallies
                    .entry(file)
                    .or_default()
                    .entry((channel, provider, id))
                    .or_default() += 1;
            }
        },
    );
    let mut mismatches = Vec::new();
    for stats in &report.files {
        let name = relative(&stats.path);
        let want = &expected[&name];
        if stats.records_read != want.records {
            mismatches.push(format!(
                "{name}: {} records, evtx_dump {}",
                stats.records_read, want.records
            ));
        }
        let got = tallies.remove(&name).unwrap_or_default();
        if got != want.tally {
            mismatches.push(format!(
                "{name}: (channel, provider, event id) tallies differ"
            ));
        }
    }
    let total: u64 = report.files.iter().map(|f| f.records_read).sum();
    eprintln!("corpus: {} files, {total} records", report.files.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn truncated_corpus_files_give_up_more_records_than_evtx_dump() {
    let Some(root) = corpus("truncated corpus files") else {
        return;
    };
    let expected = expected(&root.join("index.json"));
    for (name, extra) in [
        ("plaso/test_data/evtx/System2.evtx", 89),
        (
            "velociraptor/artifacts/testdata/files/RDPAuth_Security.evtx",
            0,
        ),
    ] {
        let found = discover(&[root.join(name)], false);
        let report = read_all(
            &found.sources,
            &IngestOptions::default(),
            |_| Some(()),
            |_| {},
        );
        let stats = &report.files[0];
        assert_eq!(stats.records_in_truncated_chunk, extra, "{name}");
        assert_eq!(stats.records_read, expected[name].records + extra, "{name}");
        let note = report
            .diagnostics
            .problems
            .iter()
            .find(|p| p.message.contains("truncated"))
            .expect("a note of the cut");
        assert_eq!(note.chunk, Some(if extra > 0 { 2 } else { 18 }), "{name}");
    }
}

#[test]
fn skipping_unwanted_records_unrendered_keeps_the_same_events_and_counts() {
    let Some(root) = corpus("prefilter equivalence") else {
        return;
    };
    const WANTED: [u16; 8] = [21, 24, 40, 131, 1149, 4624, 7036, 36888];
    let found = discover(std::slice::from_ref(&root), false);
    let run = |options: &IngestOptions| {
        let mut kept = Vec::new();
        let report = read_all(
            &found.sources,
            options,
            |e| {
                WANTED
                    .contains(&e.event_id)
                    .then(|| (e.source.clone(), e.record_id, e.event_id))
            },
            |batch| kept.extend(batch),
        );
        let counts: Vec<_> = report
            .files
            .iter()
            .map(|f| {
                let spans: Vec<_> = f
                    .spans
                    .iter()
                    .map(|s| (s.computer.clone(), s.channel.clone(), s.records))
                    .collect();
                (f.records_read, f.records_unreadable, spans)
            })
            .collect();
        (kept, counts)
    };
    let plain = run(&IngestOptions::default());
    let filtered = run(&IngestOptions {
        prefilter: Some(Prefilter::keep_if(|p: &Peek| WANTED.contains(&p.event_id))),
        ..IngestOptions::default()
    });
    assert!(plain.0.len() > 1000, "the corpus has these events");
    assert_eq!(plain.0, filtered.0, "same events kept, in the same order");
    assert_eq!(plain.1, filtered.1, "same per-file counts");
}
