//! Unit tests of the template walk and the peek on crafted chunk bytes, malformed ones too.

use super::super::vocab::{NO_DEPENDENCY, RECORD_MAGIC, token, value_type, with_more_flag};
use super::*;
use crate::ingest::binxml::cursor::name_is;
use crate::ingest::binxml::walk::plan_template;

const KEY: ChunkKey = ChunkKey {
    data: 1,
    len: 65536,
    numbers: [1, 2, 3, 4],
    offsets: [5, 6, 7, 8],
};

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A chunk being written: names at 0x200, templates at 0x1000, records at 0x4000.
struct Chunk {
    data: Vec<u8>,
    names: usize,
    at: usize,
}

impl Chunk {
    fn new() -> Self {
        Chunk {
            data: vec![0; 65536],
            names: 0x200,
            at: 0x4000,
        }
    }

    /// Writes a name entry and returns its offset.
    fn name(&mut self, name: &str) -> u32 {
        let at = self.names;
        let mut entry = vec![0, 0, 0, 0, 0, 0];
        entry.extend((name.encode_utf16().count() as u16).to_le_bytes());
        entry.extend(utf16(name));
        entry.extend([0, 0]);
        self.data[at..at + entry.len()].copy_from_slice(&entry);
        self.names += entry.len();
        at as u32
    }

    /// Writes a template definition (header + `body`) at `at`.
    fn template(&mut self, at: usize, body: &[u8]) {
        let mut def = vec![0; 20];
        def.extend((body.len() as u32).to_le_bytes());
        def.extend(body);
        self.data[at..at + def.len()].copy_from_slice(&def);
    }

    /// Writes a record stream (fragment header, instance of the template at `def`, values,
    /// EOF) and returns (offset, length).
    fn record(&mut self, def: u32, values: &[(u8, Vec<u8>)]) -> (u64, u32) {
        let mut s = token::FRAGMENT_HEADER_BYTES.to_vec();
        s.extend([token::TEMPLATE_INSTANCE, 1, 0, 0, 0, 0]);
        s.extend(def.to_le_bytes());
        s.extend(&instance_values(values));
        s.push(0);
        self.stream(&s)
    }

    fn stream(&mut self, s: &[u8]) -> (u64, u32) {
        let at = self.at;
        self.data[at..at + s.len()].copy_from_slice(s);
        self.at += s.len() + 8;
        (at as u64, s.len() as u32)
    }

    fn peek<'a>(&'a self, (offset, len): (u64, u32), cache: &'a mut PeekCache) -> Option<Peek<'a>> {
        peek_bytes(&self.data, KEY, offset, len, cache)
    }
}

fn instance_values(values: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut s = (values.len() as u32).to_le_bytes().to_vec();
    for (ty, v) in values {
        s.extend((v.len() as u16).to_le_bytes());
        s.extend([*ty, 0]);
    }
    for (_, v) in values {
        s.extend(v);
    }
    s
}

/// Template body tokens.
#[derive(Default)]
struct Body(Vec<u8>);

impl Body {
    fn open(mut self, name: u32, dep: u16, attrs: bool) -> Self {
        self.0.push(if attrs {
            with_more_flag(token::OPEN_START)
        } else {
            token::OPEN_START
        });
        self.0.extend(dep.to_le_bytes());
        self.0.extend(0u32.to_le_bytes());
        self.0.extend(name.to_le_bytes());
        if attrs {
            self.0.extend(0u32.to_le_bytes());
        }
        self
    }
    fn attr(mut self, name: u32) -> Self {
        self.0.push(token::ATTRIBUTE);
        self.0.extend(name.to_le_bytes());
        self
    }
    fn text(mut self, text: &str) -> Self {
        self.0.extend([token::VALUE, value_type::STRING]);
        self.0
            .extend((text.encode_utf16().count() as u16).to_le_bytes());
        self.0.extend(utf16(text));
        self
    }
    fn sub(mut self, index: u16, ty: u8) -> Self {
        self.0.push(token::OPTIONAL_SUBST);
        self.0.extend(index.to_le_bytes());
        self.0.push(ty);
        self
    }
    fn normal_sub(mut self, index: u16, ty: u8) -> Self {
        self.0.push(token::NORMAL_SUBST);
        self.0.extend(index.to_le_bytes());
        self.0.push(ty);
        self
    }
    /// `<Event><System>`, open.
    fn inside_system(event: u32, system: u32) -> Self {
        Body::default()
            .open(event, NO_DEP, false)
            .token(token::CLOSE_START)
            .open(system, NO_DEP, false)
            .token(token::CLOSE_START)
    }
    /// `<name>%index</name>`, a normal substitution of type `ty`.
    fn leaf(self, name: u32, index: u16, ty: u8) -> Self {
        self.open(name, NO_DEP, false)
            .token(token::CLOSE_START)
            .normal_sub(index, ty)
            .token(token::END)
    }
    fn token(mut self, t: u8) -> Self {
        self.0.push(t);
        self
    }
    fn done(self) -> Vec<u8> {
        let mut b = token::FRAGMENT_HEADER_BYTES.to_vec();
        b.extend(self.0);
        b.push(0);
        b
    }
}

const NO_DEP: u16 = NO_DEPENDENCY;

/// `Event/System{Provider[@Name=%0], EventID[@Qualifiers=%2]=%1 (dep 1), Channel=%3 (dep 3),
/// Computer="HOST"}` then `%4` (the event data) in `Event`.
fn standard(c: &mut Chunk) -> Vec<u8> {
    standard_then(c, |b| b.sub(4, value_type::BINXML))
}

/// The standard `System`, then what `data` writes inside `Event`.
fn standard_then(c: &mut Chunk, data: impl FnOnce(Body) -> Body) -> Vec<u8> {
    let [
        event,
        system,
        provider,
        name,
        event_id,
        qualifiers,
        channel,
        computer,
    ] = [
        "Event",
        "System",
        "Provider",
        "Name",
        "EventID",
        "Qualifiers",
        "Channel",
        "Computer",
    ]
    .map(|n| c.name(n));
    let body = Body::default()
        .open(event, NO_DEP, false)
        .token(token::CLOSE_START)
        .open(system, NO_DEP, false)
        .token(token::CLOSE_START)
        .open(provider, NO_DEP, true)
        .attr(name)
        .sub(0, value_type::STRING)
        .token(token::CLOSE_EMPTY)
        .open(event_id, 1, true)
        .attr(qualifiers)
        .sub(2, value_type::UINT16)
        .token(token::CLOSE_START)
        .sub(1, value_type::UINT16)
        .token(token::END)
        .open(channel, 3, false)
        .token(token::CLOSE_START)
        .sub(3, value_type::STRING)
        .token(token::END)
        .open(computer, NO_DEP, false)
        .token(token::CLOSE_START)
        .text("HOST")
        .token(token::END)
        .token(token::END); // System
    data(body).token(token::END).done() // Event
}

fn s(text: &str) -> (u8, Vec<u8>) {
    (value_type::STRING, utf16(text))
}
fn u16v(v: u16) -> (u8, Vec<u8>) {
    (value_type::UINT16, v.to_le_bytes().to_vec())
}
fn null() -> (u8, Vec<u8>) {
    (value_type::NULL, vec![])
}
fn fragment() -> (u8, Vec<u8>) {
    (value_type::BINXML, vec![0x0f, 1, 1, 0, 0])
}

fn standard_values() -> Vec<(u8, Vec<u8>)> {
    vec![
        s("Service Control Manager"),
        u16v(7036),
        u16v(0x4000),
        s("System"),
        fragment(),
    ]
}

/// A chunk with the standard template at 0x1000 and one record of `values`.
fn one(values: &[(u8, Vec<u8>)]) -> (Chunk, (u64, u32)) {
    let mut c = Chunk::new();
    let body = standard(&mut c);
    c.template(0x1000, &body);
    let r = c.record(0x1000, values);
    (c, r)
}

#[test]
fn the_standard_template_reads_every_field() {
    let (c, r) = one(&standard_values());
    let mut cache = PeekCache::default();
    let p = c.peek(r, &mut cache).expect("peeked");
    assert_eq!(p.provider, "Service Control Manager");
    assert!(p.is_from("service control MANAGER"));
    assert_eq!(p.event_source, None);
    assert_eq!((p.event_id, p.qualifiers), (7036, Some(0x4000)));
    assert_eq!(p.channel, "System");
    assert_eq!(p.computer, "HOST");
    assert_eq!(p.computer.to_string(), "HOST");
}

#[test]
fn a_whole_message_id_keeps_its_low_bits_and_gives_qualifiers() {
    let mut v = standard_values();
    v[1] = (value_type::UINT32, 0xC00A_0038u32.to_le_bytes().to_vec());
    v[2] = null();
    let (c, r) = one(&v);
    let mut cache = PeekCache::default();
    let p = c.peek(r, &mut cache).expect("peeked");
    assert_eq!((p.event_id, p.qualifiers), (0x0038, Some(0xC00A)));
}

#[test]
fn absent_values_follow_normalization() {
    // Optional Null provider name: no provider. Channel's dependency Null: no channel.
    let mut v = standard_values();
    v[0] = null();
    v[3] = null();
    let (c, r) = one(&v);
    let mut cache = PeekCache::default();
    let p = c.peek(r, &mut cache).expect("peeked");
    assert!(p.provider.is_empty() && p.channel.is_empty());
    // A string that is only a NUL is empty too.
    let mut v = standard_values();
    v[3] = (value_type::STRING, vec![0, 0, b'x', 0]);
    let (c, r) = one(&v);
    assert!(
        c.peek(r, &mut PeekCache::default())
            .unwrap()
            .channel
            .is_empty()
    );
}

#[test]
fn values_the_peek_does_not_model_give_none() {
    let cases: Vec<(usize, (u8, Vec<u8>))> = vec![
        (1, null()), // EventID left out: does not normalize
        (1, (value_type::INT32, 5i32.to_le_bytes().to_vec())), // EventID as Int32
        (1, (value_type::UINT16, vec![1, 0, 0, 0])), // UInt16 sized 4: evtx reads elsewhere
        (3, (value_type::STRING_ARRAY, utf16("a\0b\0"))), // an array repeats Channel
        (3, (value_type::STRING, vec![0x00, 0xD8, b'a', 0])), // unpaired surrogate
        (3, (value_type::STRING, vec![b'a', 0, b'b'])), // odd UTF-16 size
        (0, (value_type::UINT32, 1u32.to_le_bytes().to_vec())), // provider name not a string
        (3, (0x99, vec![])), // unknown type
    ];
    for (i, value) in cases {
        let mut v = standard_values();
        v[i] = value.clone();
        let (c, r) = one(&v);
        assert!(
            c.peek(r, &mut PeekCache::default()).is_none(),
            "{i} {value:?}"
        );
    }
    // Index past the values.
    let (c, r) = one(&standard_values()[..3]);
    assert!(c.peek(r, &mut PeekCache::default()).is_none());
}

#[test]
fn event_ids_as_text_parse_like_normalization() {
    let mut v = standard_values();
    v[1] = s(" 4624 ");
    let (c, r) = one(&v);
    assert_eq!(c.peek(r, &mut PeekCache::default()).unwrap().event_id, 4624);
    v[1] = s("0x10");
    let (c, r) = one(&v);
    assert!(c.peek(r, &mut PeekCache::default()).is_none());
}

#[test]
fn fragments_and_arrays_where_the_header_is_read_give_none() {
    let mut c = Chunk::new();
    let [event, system, event_id] = ["Event", "System", "EventID"].map(|n| c.name(n));
    let mk = |before_system: bool| {
        let b = Body::default()
            .open(event, NO_DEP, false)
            .token(token::CLOSE_START);
        let b = if before_system {
            b.sub(1, value_type::BINXML)
        } else {
            b
        };
        let b = b
            .open(system, NO_DEP, false)
            .token(token::CLOSE_START)
            .sub(2, value_type::STRING)
            .open(event_id, NO_DEP, false)
            .token(token::CLOSE_START)
            .sub(0, value_type::UINT16)
            .token(token::END)
            .token(token::END);
        let b = if before_system {
            b
        } else {
            b.sub(1, value_type::BINXML)
        };
        b.token(token::END).done()
    };
    c.template(0x1000, &mk(true));
    c.template(0x2000, &mk(false));
    let mut cache = PeekCache::default();
    for (def, second, third, some) in [
        (0x1000, fragment(), s("text"), false), // a fragment before System
        (0x1000, null(), s("text"), true),
        (0x2000, fragment(), s("text"), true), // event data after System
        (0x2000, fragment(), fragment(), false), // a fragment inside System
        (
            0x2000,
            fragment(),
            (value_type::STRING_ARRAY, utf16("a\0b\0")),
            false,
        ), // an array repeats System
    ] {
        let r = c.record(def, &[u16v(1), second, third]);
        assert_eq!(c.peek(r, &mut cache).is_some(), some, "{def:x}");
    }
}

/// `<Event><System>inner</System></Event>`.
fn in_system(event: u32, system: u32, inner: Body) -> Vec<u8> {
    let mut b = Body::inside_system(event, system);
    b.0.extend(inner.0);
    b.token(token::END).token(token::END).done()
}

/// `b` then `<Channel>%0</Channel>` (a string).
fn channel_of(b: Body, channel: u32) -> Body {
    b.open(channel, NO_DEP, false)
        .token(token::CLOSE_START)
        .sub(0, value_type::STRING)
        .token(token::END)
}

#[test]
fn templates_the_peek_does_not_model_give_none() {
    use token::{CLOSE_EMPTY, CLOSE_START, TEMPLATE_INSTANCE};
    let mut c = Chunk::new();
    let [event, system, channel, other] =
        ["Event", "System", "Channel", "Other"].map(|n| c.name(n));
    let wrap = |inner: Body| in_system(event, system, inner);
    let chan = |b: Body| channel_of(b, channel);
    let unmodelled = [
        wrap(chan(chan(Body::default()))),              // Channel twice
        wrap(Body::default().token(TEMPLATE_INSTANCE)), // an instance in a definition
        wrap(Body::default().token(0x55)),              // unknown token
        Body::default()
            .open(other, NO_DEP, false)
            .token(CLOSE_EMPTY)
            .done(), // root is not Event
        Body::default()
            .open(event, NO_DEP, false)
            .token(CLOSE_EMPTY)
            .done(), // no System
        wrap(
            Body::default()
                .open(other, NO_DEP, false)
                .token(CLOSE_START),
        ), // unbalanced
        {
            // Two roots.
            let mut two = wrap(chan(Body::default()));
            two.pop();
            two.extend(
                Body::default()
                    .open(event, NO_DEP, false)
                    .token(CLOSE_EMPTY)
                    .0,
            );
            two.push(0);
            two
        },
    ];
    for (i, body) in unmodelled.iter().enumerate() {
        c.template(0x1000 + i * 0x200, body);
        assert_eq!(
            plan_template(&c.data, 0x1000 + i as u32 * 0x200),
            None,
            "body {i}"
        );
    }
}

#[test]
fn pieces_the_plan_does_not_model_spoil_only_their_field() {
    use token::{CLOSE_EMPTY, CLOSE_START, END};
    let mut c = Chunk::new();
    let [event, system, channel, other] =
        ["Event", "System", "Channel", "Other"].map(|n| c.name(n));
    let wrap = |inner: Body| in_system(event, system, inner);
    // Channel in two pieces, or with a child element: the plan gives up on Channel only.
    let unsupported = [
        wrap(
            Body::default()
                .open(channel, NO_DEP, false)
                .token(CLOSE_START)
                .text("a")
                .sub(0, value_type::STRING)
                .token(END),
        ),
        wrap(
            Body::default()
                .open(channel, NO_DEP, false)
                .token(CLOSE_START)
                .open(other, NO_DEP, false)
                .token(CLOSE_EMPTY)
                .token(END),
        ),
    ];
    for (i, body) in unsupported.iter().enumerate() {
        c.template(0x2000 + i * 0x200, body);
        let plan = plan_template(&c.data, 0x2000 + i as u32 * 0x200).expect("plan");
        assert_eq!(plan.channel.content, Content::Unsupported, "body {i}");
    }
    // A template without EventID: no record of it normalizes.
    c.template(0x3400, &wrap(channel_of(Body::default(), channel)));
    let r = c.record(0x3400, &[s("Security")]);
    assert!(c.peek(r, &mut PeekCache::default()).is_none());
    let plan = plan_template(&c.data, 0x3400).expect("plan");
    assert_eq!(plan.event_id.content, Content::Absent);
}

#[test]
fn plain_trees_and_odd_streams_give_none() {
    let (mut c, (at, len)) = one(&standard_values());
    let mut cache = PeekCache::default();
    // A plain element tree.
    let event = c.name("Event");
    let plain = c.stream(
        &[0x0f, 1, 1, 0, 0x01, 0, 0, 0, 0]
            .iter()
            .copied()
            .chain(event.to_le_bytes())
            .chain([0x03, 0])
            .collect::<Vec<_>>(),
    );
    assert!(c.peek(plain, &mut cache).is_none());
    // Something other than EOF after the instance.
    c.data[at as usize + len as usize - 1] = 0x01;
    assert!(c.peek((at, len), &mut cache).is_none());
    // The stream cut before its values end.
    c.data[at as usize + len as usize - 1] = 0x00;
    assert!(c.peek((at, len - 4), &mut cache).is_none());
    assert!(c.peek((at, len), &mut cache).is_some());
}

#[test]
fn a_definition_written_in_the_record_is_skipped() {
    let mut c = Chunk::new();
    let body = standard(&mut c);
    let at = c.at;
    let def = (at + 14) as u32; // right after the definition offset field
    let mut s = token::FRAGMENT_HEADER_BYTES.to_vec();
    s.extend([token::TEMPLATE_INSTANCE, 1, 0, 0, 0, 0]);
    s.extend(def.to_le_bytes());
    s.extend([0; 20]);
    s.extend((body.len() as u32).to_le_bytes());
    s.extend(&body);
    s.extend(instance_values(&standard_values()));
    s.push(0);
    let r = c.stream(&s);
    let mut cache = PeekCache::default();
    let p = c.peek(r, &mut cache).expect("peeked");
    assert_eq!((p.event_id, p.channel.to_string()), (7036, "System".into()));
}

#[test]
fn the_cache_never_applies_a_stale_plan() {
    let (mut c, r) = one(&standard_values());
    let mut cache = PeekCache::default();
    assert_eq!(c.peek(r, &mut cache).unwrap().computer, "HOST");
    // Same chunk key, same offset, other bytes (another chunk in the same buffer).
    let at = c.data.windows(8).position(|w| w == utf16("HOST")).unwrap();
    c.data[at..at + 8].copy_from_slice(&utf16("MINE"));
    assert_eq!(c.peek(r, &mut cache).unwrap().computer, "MINE");
    // Another chunk key empties the cache.
    let other = ChunkKey { data: 2, ..KEY };
    assert!(peek_bytes(&c.data, other, r.0, r.1, &mut cache).is_some());
    assert_eq!(cache.chunk, Some(other));
    assert_eq!(cache.templates.len(), 1);
}

#[test]
fn names_and_offsets_out_of_bounds_or_in_loops_end_cleanly() {
    let mut c = Chunk::new();
    // A name entry whose next link points to itself, and one running off the chunk.
    let looped = c.name("Event");
    c.data[looped as usize..looped as usize + 4].copy_from_slice(&looped.to_le_bytes());
    assert_eq!(name_is(&c.data, looped, "Event"), Some(true));
    assert_eq!(name_is(&c.data, 65530, "Event"), None);
    assert_eq!(name_is(&c.data, u32::MAX, "Event"), None);
    // A template whose next link is itself still plans once.
    let body = standard(&mut c);
    c.template(0x1000, &body);
    c.data[0x1000..0x1004].copy_from_slice(&0x1000u32.to_le_bytes());
    assert!(plan_template(&c.data, 0x1000).is_some());
    // Definition, record and name offsets out of bounds.
    for def in [65535, 65536 - 10, u32::MAX] {
        assert_eq!(plan_template(&c.data, def), None);
        let r = c.record(def, &standard_values());
        assert!(c.peek(r, &mut PeekCache::default()).is_none());
    }
    assert!(c.peek((65530, 100), &mut PeekCache::default()).is_none());
    assert!(
        c.peek((u64::MAX, u32::MAX), &mut PeekCache::default())
            .is_none()
    );
    let bad = Body::default()
        .open(u32::MAX, NO_DEP, false)
        .token(token::CLOSE_EMPTY)
        .done();
    c.template(0x2000, &bad);
    assert_eq!(plan_template(&c.data, 0x2000), None);
    // A template body claiming to run past the chunk.
    c.data[0x1014..0x1018].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(plan_template(&c.data, 0x1000), None);
}

#[test]
fn deep_nesting_is_bounded() {
    let mut c = Chunk::new();
    let [event, system, deep] = ["Event", "System", "Deep"].map(|n| c.name(n));
    let mut b = Body::default()
        .open(event, NO_DEP, false)
        .token(token::CLOSE_START)
        .open(system, NO_DEP, false)
        .token(token::CLOSE_START);
    for _ in 0..200 {
        b = b.open(deep, NO_DEP, false).token(token::CLOSE_START);
    }
    for _ in 0..202 {
        b = b.token(token::END);
    }
    c.template(0x1000, &b.done());
    assert_eq!(plan_template(&c.data, 0x1000), None);
}

#[test]
fn truncated_and_mutated_bytes_never_panic() {
    let (c, r) = one(&standard_values());
    let end = r.0 as usize + r.1 as usize;
    // Every truncation of the chunk and of the record window.
    for cut in (0x1000..end + 1).step_by(3) {
        let data = &c.data[..cut];
        let mut cache = PeekCache::default();
        let _ = peek_bytes(data, KEY, r.0, r.1, &mut cache);
        let _ = plan_template(data, 0x1000);
    }
    for len in 0..r.1 {
        let _ = c.peek((r.0, len), &mut PeekCache::default());
    }
    // Random byte flips in the template and the record.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let template_len = 24 + standard(&mut Chunk::new()).len();
    for _ in 0..20_000 {
        let mut data = c.data.clone();
        for _ in 0..1 + next() % 4 {
            let at = if next() % 2 == 0 {
                0x1000 + next() as usize % template_len
            } else {
                r.0 as usize + next() as usize % r.1 as usize
            };
            data[at] = next() as u8;
        }
        let _ = peek_bytes(&data, KEY, r.0, r.1, &mut PeekCache::default());
    }
}

#[test]
fn substitution_texts_are_decoded_once_per_chunk() {
    let mut texts = Texts::default();
    let bytes = utf16("Microsoft-Windows-TerminalServices");
    let first = texts.get(&bytes).expect("valid UTF-16");
    let again = texts.get(&bytes).expect("valid UTF-16");
    assert!(Arc::ptr_eq(&first, &again), "the second is the same text");
    let t = PeekText(Some(first));
    assert!(t.eq_ignore_ascii_case("microsoft-windows-terminalservices"));
    assert!(!t.eq_ignore_ascii_case("microsoft-windows-terminalservice"));
    assert_eq!(t, "Microsoft-Windows-TerminalServices");
    assert_ne!(t, "Microsoft");
    assert_eq!(format!("{t:?}"), "\"Microsoft-Windows-TerminalServices\"");
    // An unpaired surrogate is left to the renderer.
    assert_eq!(texts.get(&[0x00, 0xd8]), None);
    for i in 0..2 * MAX_TEXTS {
        texts.get(&utf16(&format!("host{i}"))).expect("valid");
    }
    assert_eq!(texts.0.len(), MAX_TEXTS, "bounded");
    assert!(PeekText::default().is_empty());
    assert_eq!(PeekText::default().to_string(), "");
}

#[test]
fn a_normal_substitution_with_a_null_value_gives_none() {
    let mut c = Chunk::new();
    let [event, system, event_id, channel] =
        ["Event", "System", "EventID", "Channel"].map(|n| c.name(n));
    let body = Body::inside_system(event, system)
        .leaf(event_id, 0, value_type::UINT16)
        .leaf(channel, 1, value_type::STRING)
        .token(token::END)
        .token(token::END)
        .done();
    c.template(0x1000, &body);
    let mut cache = PeekCache::default();
    let r = c.record(0x1000, &[u16v(21), s("Security")]);
    assert_eq!(c.peek(r, &mut cache).unwrap().channel, "Security");
    let r = c.record(0x1000, &[u16v(21), null()]);
    assert!(c.peek(r, &mut cache).is_none());
    // An empty string renders as "" (or nothing): normalized, the channel is empty either way.
    let r = c.record(0x1000, &[u16v(21), s("")]);
    assert!(c.peek(r, &mut cache).unwrap().channel.is_empty());
}

/// The crafted variants, rendered by `evtx` and normalized: wherever the peek answers, it
/// agrees (this checks the rules the peek assumes, on the odd cases the corpus rarely has).
/// Provider, event source, event id, qualifiers, channel and computer.
type Header = (String, Option<String>, u16, Option<u16>, String, String);

/// What the peek, the whole-event builder and rendering make of one crafted record.
struct Crafted {
    id: u64,
    peeked: Option<Header>,
    built: Option<crate::event::Event>,
    rendered: Option<crate::event::Event>,
}

/// Writes one record per entry of `variants` (instances of the template at `def`) from offset
/// 512 of a copy of `c`, gives the chunk a header, and reads every record three ways.
fn read_crafted(c: &Chunk, def: u32, variants: &[Vec<(u8, Vec<u8>)>]) -> Vec<Crafted> {
    use evtx::{EvtxChunkData, ParserSettings};
    let mut data = c.data.clone();
    // Records from offset 512, back to back.
    let mut at = 512;
    for (n, values) in variants.iter().enumerate() {
        let mut stream = vec![0x0f, 1, 1, 0, 0x0c, 1, 0, 0, 0, 0];
        stream.extend(def.to_le_bytes());
        stream.extend(instance_values(values));
        stream.push(0);
        let size = (24 + stream.len() + 4).next_multiple_of(8);
        let mut rec = RECORD_MAGIC.to_vec();
        rec.extend((size as u32).to_le_bytes());
        rec.extend((n as u64 + 1).to_le_bytes());
        rec.extend(132_000_000_000_000_000u64.to_le_bytes());
        rec.extend(&stream);
        rec.resize(size - 4, 0);
        rec.extend((size as u32).to_le_bytes());
        data[at..at + size].copy_from_slice(&rec);
        at += size;
    }
    let last = variants.len() as u64;
    let header = &mut data[..128];
    header[..8].copy_from_slice(b"ElfChnk\0");
    for (field, value) in [(8, 1), (16, last), (24, 1), (32, last)] {
        header[field..field + 8].copy_from_slice(&value.to_le_bytes());
    }
    header[40..44].copy_from_slice(&128u32.to_le_bytes());
    header[48..52].copy_from_slice(&(at as u32).to_le_bytes());
    let mut chunk_data = EvtxChunkData::new(data, false).expect("chunk header");
    let settings = ParserSettings::new().separate_json_attributes(false);
    let mut chunk = chunk_data.parse(Arc::new(settings)).expect("chunk");
    let source: Arc<std::path::Path> = Arc::from(std::path::Path::new("crafted"));
    let mut cache = PeekCache::default();
    let mut out = Vec::new();
    for record in chunk.iter() {
        let record = record.expect("record builds");
        let id = record.event_record_id;
        let mut built = None;
        let peeked = peek(&record, &mut cache).map(|p| {
            built = super::super::event_from_peek(&p, id, &source);
            (
                p.provider.to_string(),
                p.event_source.map(|s| s.to_string()),
                p.event_id,
                p.qualifiers,
                p.channel.to_string(),
                p.computer.to_string(),
            )
        });
        let ts = record.timestamp;
        let time = chrono::DateTime::from_timestamp(ts.as_second(), 0).unwrap_or_default()
            + chrono::TimeDelta::nanoseconds(i64::from(ts.subsec_nanosecond()));
        let rendered = record
            .into_json_value()
            .ok()
            .and_then(|r| crate::event::from_json(&r.data, id, time, &source, false).ok());
        out.push(Crafted {
            id,
            peeked,
            built,
            rendered,
        });
    }
    assert_eq!(out.len(), variants.len());
    out
}

#[test]
fn crafted_records_agree_with_evtx_rendering() {
    let mut c = Chunk::new();
    c.names = 0x8000;
    let body = standard(&mut c);
    c.template(0x9000, &body);
    let variants: Vec<Vec<(u8, Vec<u8>)>> = {
        let v = standard_values;
        let with = |i: usize, x: (u8, Vec<u8>)| {
            let mut v = v();
            v[i] = x;
            v
        };
        vec![
            v(),
            with(0, null()),
            with(0, s("")),
            with(
                1,
                (value_type::UINT32, 0xC00A_0038u32.to_le_bytes().to_vec()),
            ),
            with(1, (value_type::UINT64, 70_000u64.to_le_bytes().to_vec())),
            with(1, s(" 12 ")),
            with(1, null()),
            with(2, null()),
            with(2, s("7")),
            with(3, null()),
            with(3, s("")),
            with(3, (value_type::STRING, utf16("Sys\0tem"))),
            with(4, (value_type::BINXML, vec![])),
        ]
    };
    let mut answered = 0;
    for r in read_crafted(&c, 0x9000, &variants) {
        let Some(p) = r.peeked else { continue };
        answered += 1;
        let id = r.id;
        let e = r
            .rendered
            .unwrap_or_else(|| panic!("record {id}: peek {p:?} but no event"));
        let full = (
            e.provider.to_string(),
            e.event_source,
            e.event_id,
            e.qualifiers,
            e.channel.to_string(),
            e.computer.to_string(),
        );
        assert_eq!(p, full, "record {id}");
    }
    // Only the record without an EventID is left to rendering.
    assert_eq!(answered, variants.len() - 1);
}

/// The standard record whose `%4` is an embedded instance of the data template at 0x2000,
/// `<EventData><Data Name="LogonType">%0</Data><Data Name="TargetUserName">%1</Data>
/// <Binary>%2</Binary></EventData>`, with `inner` values.
fn with_event_data(inner: &[(u8, Vec<u8>)]) -> (Chunk, (u64, u32)) {
    let mut c = Chunk::new();
    event_data_templates(&mut c);
    let r = c.record(0x1000, &event_data_values(inner));
    (c, r)
}

/// The standard template at 0x1000 and the data template at 0x2000 (see [`with_event_data`]).
fn event_data_templates(c: &mut Chunk) {
    let body = standard(c);
    c.template(0x1000, &body);
    let [event_data, data, name, binary] =
        ["EventData", "Data", "Name", "Binary"].map(|n| c.name(n));
    let field = |b: Body, label: &str, index: u16, ty: u8| {
        b.open(data, NO_DEP, true)
            .attr(name)
            .text(label)
            .token(token::CLOSE_START)
            .normal_sub(index, ty)
            .token(token::END)
    };
    let b = Body::default()
        .open(event_data, NO_DEP, false)
        .token(token::CLOSE_START);
    let b = field(b, "LogonType", 0, value_type::UINT32);
    let b = field(b, "TargetUserName", 1, value_type::STRING);
    let inner_body = b
        .leaf(binary, 2, value_type::BINARY)
        .token(token::END)
        .done();
    c.template(0x2000, &inner_body);
}

/// The standard values with `%4` an instance of the template at 0x2000 with `inner`.
fn event_data_values(inner: &[(u8, Vec<u8>)]) -> Vec<(u8, Vec<u8>)> {
    let mut nested = vec![0x0f, 1, 1, 0, 0x0c, 1, 0, 0, 0, 0];
    nested.extend(0x2000u32.to_le_bytes());
    nested.extend(instance_values(inner));
    nested.push(0);
    let mut values = standard_values();
    values[4] = (value_type::BINXML, nested);
    values
}

#[test]
fn data_fields_come_from_the_embedded_event_data_instance() {
    use crate::event::{EventSketch, FieldValue};
    let logon = (value_type::UINT32, 10u32.to_le_bytes().to_vec());
    let (c, r) = with_event_data(&[
        logon.clone(),
        s("alice"),
        (value_type::BINARY, vec![0xab, 0x01]),
    ]);
    let mut cache = PeekCache::default();
    let p = c.peek(r, &mut cache).expect("peeked");
    assert_eq!(p.data("LogonType"), Some(Some(FieldValue::UInt(10))));
    assert_eq!(
        p.data("logontype"),
        Some(Some(FieldValue::UInt(10))),
        "any case"
    );
    let alice = FieldValue::Str("alice".into());
    assert_eq!(p.data("TargetUserName"), Some(Some(alice)));
    assert_eq!(p.data("Binary"), Some(Some(FieldValue::Str("AB01".into()))));
    assert_eq!(
        p.data("IpAddress"),
        Some(None),
        "every field is known: absent"
    );
    assert_eq!(p.data_names(), ["LogonType", "TargetUserName", "Binary"]);

    // An empty string or a null leaves a named `Data` element without text: rendered as "",
    // as the event built from the peek holds it (the corpus test checks both against rendering).
    for blank in [s(""), (value_type::NULL, vec![])] {
        let (c, r) = with_event_data(&[logon.clone(), blank, (value_type::BINARY, vec![1])]);
        let mut cache = PeekCache::default();
        let p = c.peek(r, &mut cache).expect("peeked");
        let empty = FieldValue::Str(String::new());
        assert_eq!(p.data("TargetUserName"), Some(Some(empty.clone())));
        assert_eq!(p.data("LogonType"), Some(Some(FieldValue::UInt(10))));
        let all = p.all_data().expect("every field told");
        assert_eq!(all[1], (Arc::from("TargetUserName"), empty));
    }

    // A fragment as a field's value may add elements: absent names cannot be told.
    let (c, r) = with_event_data(&[
        logon,
        (value_type::BINXML, vec![0x0f, 1, 1, 0, 1]),
        (value_type::BINARY, vec![1]),
    ]);
    let mut cache = PeekCache::default();
    let p = c.peek(r, &mut cache).expect("peeked");
    assert_eq!(p.data("TargetUserName"), None);
    assert_eq!(p.data("IpAddress"), None);

    // An embedded instance that does not read: nothing can be told, and nothing panics.
    let (c, r) = with_event_data(&[(value_type::UINT32, vec![1, 2])]);
    let mut cache = PeekCache::default();
    if let Some(p) = c.peek(r, &mut cache) {
        assert_eq!(p.data("LogonType"), None);
    }
}

#[test]
fn whole_events_are_built_from_the_embedded_event_data_instance_as_rendering_gives_them() {
    let logon = (value_type::UINT32, 10u32.to_le_bytes().to_vec());
    let mut c = Chunk::new();
    c.names = 0x8000; // clear of the records
    event_data_templates(&mut c);
    let outer = event_data_values;
    let variants = [
        outer(&[
            logon.clone(),
            s("alice"),
            (value_type::BINARY, vec![0xab, 0x01]),
        ]),
        outer(&[
            (value_type::INT32, (-3i32).to_le_bytes().to_vec()),
            s("bob"),
            (value_type::BINARY, vec![]),
        ]),
        outer(&[logon.clone(), s(""), (value_type::BINARY, vec![1])]),
        outer(&[
            logon,
            (value_type::REAL32, 1.5f32.to_le_bytes().to_vec()),
            (value_type::BINARY, vec![1]),
        ]),
    ];
    let read = read_crafted(&c, 0x1000, &variants);
    for r in &read {
        if let Some(built) = &r.built {
            assert_eq!(Some(built), r.rendered.as_ref(), "record {}", r.id);
        }
    }
    let built: Vec<bool> = read.iter().map(|r| r.built.is_some()).collect();
    // The float (a rendering not modelled) and the empty binary value are left to rendering;
    // an empty string in a named `Data` renders as "".
    assert_eq!(built, [true, false, true, false]);
    let empty = read[2].built.as_ref().expect("built");
    assert_eq!(
        empty.fields.get("TargetUserName"),
        Some(&FieldValue::Str(String::new()))
    );
    let e = read[0].built.as_ref().expect("built");
    let names: Vec<&str> = e.fields.iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["LogonType", "TargetUserName", "Binary"]);
    assert_eq!(
        e.fields.get("Binary"),
        Some(&FieldValue::Str("AB01".into()))
    );
    assert_eq!(&*e.computer, "HOST");
    assert_eq!(
        e.record_id, 1,
        "no EventRecordID in the template: the header's"
    );
}

#[test]
fn user_data_brought_by_the_one_substitution_it_holds_is_read_and_built() {
    use crate::event::EventSketch;
    // `<UserData>%4</UserData>` (depending on %4), %4 an instance of
    // `<EventXML xmlns="Event_NS"><User>%0</User><SessionID>%1</SessionID><Note>%2</Note>
    // </EventXML>`: how Windows writes LSM and RCM events.
    let mut c = Chunk::new();
    c.names = 0x8000;
    let user_data = c.name("UserData");
    let body = standard_then(&mut c, |b| {
        b.open(user_data, 4, false)
            .token(token::CLOSE_START)
            .sub(4, value_type::BINXML)
            .token(token::END)
    });
    c.template(0x1000, &body);
    let [event_xml, xmlns, user, session, note] =
        ["EventXML", "xmlns", "User", "SessionID", "Note"].map(|n| c.name(n));
    let inner = Body::default()
        .open(event_xml, NO_DEP, true)
        .attr(xmlns)
        .text("Event_NS")
        .token(token::CLOSE_START)
        .leaf(user, 0, value_type::STRING)
        .leaf(session, 1, value_type::UINT32)
        .leaf(note, 2, value_type::STRING)
        .token(token::END)
        .done();
    c.template(0x2000, &inner);
    let values = event_data_values; // an instance of the template at 0x2000
    let session_2 = (value_type::UINT32, 2u32.to_le_bytes().to_vec());
    let variants = [
        values(&[s("CORP\\alice"), session_2.clone(), s("x")]),
        values(&[s("CORP\\bob"), session_2, s("")]),
    ];
    let read = read_crafted(&c, 0x1000, &variants);
    for r in &read {
        let built = r.built.as_ref().expect("built");
        assert_eq!(Some(built), r.rendered.as_ref(), "record {}", r.id);
    }
    let e = read[0].built.as_ref().expect("built");
    let names: Vec<&str> = e.fields.iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["User", "SessionID", "Note"]);
    assert_eq!(e.fields.get("SessionID"), Some(&FieldValue::UInt(2)));
    // An empty element other than `Data` renders as null.
    let e = read[1].built.as_ref().expect("built");
    assert_eq!(e.fields.get("Note"), Some(&FieldValue::Null));
    // The peek tells the fields too, for the rules judging the record.
    let v = values(&[
        s("carol"),
        (value_type::UINT32, 3u32.to_le_bytes().to_vec()),
        s("y"),
    ]);
    let r = c.record(0x1000, &v);
    let mut cache = PeekCache::default();
    let p = c.peek(r, &mut cache).expect("peeked");
    assert_eq!(p.data("User"), Some(Some(FieldValue::Str("carol".into()))));
    assert_eq!(p.data("Address"), Some(None), "every field is known");
}

#[test]
fn time_created_is_read_from_a_filetime_value() {
    let mut c = Chunk::new();
    let [event, system, event_id, time_created, system_time] =
        ["Event", "System", "EventID", "TimeCreated", "SystemTime"].map(|n| c.name(n));
    let body = Body::inside_system(event, system)
        .leaf(event_id, 0, value_type::UINT16)
        .open(time_created, NO_DEP, true)
        .attr(system_time)
        .normal_sub(1, value_type::FILETIME)
        .token(token::CLOSE_EMPTY)
        .token(token::END)
        .token(token::END)
        .done();
    c.template(0x1000, &body);
    // 2024-03-11T06:00:00.2469100Z
    let ft = 133_546_104_002_469_100u64;
    let r = c.record(
        0x1000,
        &[
            u16v(4624),
            (value_type::FILETIME, ft.to_le_bytes().to_vec()),
        ],
    );
    let mut cache = PeekCache::default();
    let p = c.peek(r, &mut cache).expect("peeked");
    let t = p.time_created.expect("a time");
    assert_eq!(t.to_rfc3339(), "2024-03-11T06:00:00.246910+00:00");
    assert_eq!(p.time(), t);
    // A time past year 9999 renders wrapped: left to rendering.
    let r = c.record(
        0x1000,
        &[u16v(4624), (0x11, u64::MAX.to_le_bytes().to_vec())],
    );
    assert!(c.peek(r, &mut PeekCache::default()).is_none());
}

#[test]
fn needles_rule_a_record_out_from_its_string_bytes_only_when_every_field_is_told() {
    use crate::event::{EventSketch, Needles};
    let needles = Needles::new(&["mimikatz", "sekurlsa::"]).expect("usable");
    let logon = (value_type::UINT32, 10u32.to_le_bytes().to_vec());
    let rules_out = |user: (u8, Vec<u8>)| {
        let (c, r) = with_event_data(&[logon.clone(), user, (value_type::BINARY, vec![1])]);
        let mut cache = PeekCache::default();
        let p = c.peek(r, &mut cache).expect("peeked");
        p.rules_out(&needles)
    };
    assert!(rules_out(s("alice")), "no value holds a needle");
    assert!(
        !rules_out(s("C:\\Tools\\MimiKatz.exe")),
        "a string holds one"
    );
    assert!(rules_out(s("")), "an empty value holds nothing");
    // An ANSI string is not modelled: its rendering could hold a needle the bytes hide.
    assert!(!rules_out((value_type::ANSI_STRING, b"mimikatz".to_vec())));
    assert!(!rules_out((value_type::ANSI_STRING, b"alice".to_vec())));
    // An unpaired surrogate does not decode: the peek cannot tell that field.
    assert!(!rules_out((value_type::STRING, vec![0x00, 0xd8])));
}

#[test]
fn a_record_is_within_bounds_only_when_no_field_can_render_past_them() {
    use crate::event::{EventSketch, VALUE_MAX};
    let logon = (value_type::UINT32, 10u32.to_le_bytes().to_vec());
    let within = |user: (u8, Vec<u8>)| {
        let (c, r) = with_event_data(&[logon.clone(), user, (value_type::BINARY, vec![1])]);
        let mut cache = PeekCache::default();
        let p = c.peek(r, &mut cache).expect("peeked");
        let built =
            crate::ingest::event_from_peek(&p, 1, &Arc::from(std::path::Path::new("t.evtx")));
        (p.within_bounds(), built.map(|mut e| e.bound().count))
    };
    assert_eq!(within(s("alice")), (true, Some(0)));
    // A third of the limit in UTF-16 bytes could render past it: not sure, so not within.
    let long = "x".repeat(VALUE_MAX / 3);
    assert!(!within(s(&long)).0);
    // A value rendered past the limit is cut: never within.
    let longer = "é".repeat(VALUE_MAX / 2 + 1);
    assert_eq!(within(s(&longer)), (false, Some(1)));
}

#[test]
fn a_header_is_built_exactly_when_the_whole_event_is() {
    use crate::ingest::binxml::{event_from_peek, header_from_peek};
    let logon = (value_type::UINT32, 10u32.to_le_bytes().to_vec());
    let source: Arc<std::path::Path> = Arc::from(std::path::Path::new("t.evtx"));
    let users = [
        s("alice"),
        s(""),
        null(),
        (value_type::STRING, vec![0x00, 0xd8]),
        (value_type::ANSI_STRING, b"alice".to_vec()),
        (value_type::UINT16, vec![1]),
    ];
    let mut built = 0;
    for user in users {
        let (c, r) = with_event_data(&[logon.clone(), user.clone(), (value_type::BINARY, vec![1])]);
        let mut cache = PeekCache::default();
        let p = c.peek(r, &mut cache).expect("peeked");
        let header = header_from_peek(&p, 1, &source);
        let whole = event_from_peek(&p, 1, &source).map(|mut e| {
            e.strip_data();
            e
        });
        assert_eq!(header, whole, "{user:?}");
        built += usize::from(whole.is_some());
    }
    assert_eq!(
        built, 3,
        "the text, empty and null values build; the others do not"
    );
}
