//! The event normalizer: rendered-record JSON bytes to an `Event`.
#![no_main]

use dropcause::event::{RecordOrigin, from_json_bytes};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let source: Arc<Path> = Arc::from(Path::new("fuzz.evtx"));
    let origin = RecordOrigin {
        record_id: 1,
        time: chrono::DateTime::UNIX_EPOCH,
        source: &source,
        recovered: false,
    };
    if let Ok(mut event) = from_json_bytes(data, &origin) {
        // Bounding is idempotent and keeps every limit.
        event.bound();
        let again = event.clone();
        assert_eq!(event.bound().count, 0);
        assert_eq!(event, again);
        assert!(event.fields.len() <= dropcause::event::FIELDS_MAX);
        // Exercise the accessors the rules and the correlator use.
        for (name, _) in event.fields.iter() {
            let _ = event.field(name);
        }
        let _ = event.field("System/EventID");
    }
});
