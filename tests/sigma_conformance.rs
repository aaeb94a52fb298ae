//! Sigma conformance, table-driven from the Sigma specification (rules spec and
//! modifiers appendix): every modifier and condition form, positive and negative.

use dropcause::event::FieldValue;
use dropcause::rules::{RuleSet, RuleSource, event_from_fields};

/// One case: a `detection` body (indented under `detection:`), an event and the verdict.
struct Case {
    name: &'static str,
    detection: &'static str,
    /// Field → value; a value starting with `#` is an unsigned number.
    event: &'static [(&'static str, &'static str)],
    want: bool,
}

const fn case(
    name: &'static str,
    detection: &'static str,
    event: &'static [(&'static str, &'static str)],
    want: bool,
) -> Case {
    Case {
        name,
        detection,
        event,
        want,
    }
}

const CASES: &[Case] = &[
    // Plain values: whole-field, case-insensitive.
    case(
        "equal ignores case",
        "sel: {Image: 'C:\\Windows\\cmd.exe'}\ncondition: sel",
        &[("Image", "c:\\windows\\CMD.EXE")],
        true,
    ),
    case(
        "equal is whole field",
        "sel: {Image: 'C:\\Windows\\cmd.exe'}\ncondition: sel",
        &[("Image", "C:\\Windows\\cmd.exe2")],
        false,
    ),
    case(
        "absent field fails",
        "sel: {Image: 'x'}\ncondition: sel",
        &[("Other", "x")],
        false,
    ),
    case(
        "list is OR",
        "sel: {Image: [a, b]}\ncondition: sel",
        &[("Image", "B")],
        true,
    ),
    case(
        "list is OR (none)",
        "sel: {Image: [a, b]}\ncondition: sel",
        &[("Image", "c")],
        false,
    ),
    case(
        "map is AND",
        "sel: {A: x, B: y}\ncondition: sel",
        &[("A", "x"), ("B", "y")],
        true,
    ),
    case(
        "map is AND (one fails)",
        "sel: {A: x, B: y}\ncondition: sel",
        &[("A", "x"), ("B", "z")],
        false,
    ),
    case(
        "list of maps is OR",
        "sel:\n  - {A: x}\n  - {B: y}\ncondition: sel",
        &[("B", "y")],
        true,
    ),
    case(
        "list of maps is OR (none)",
        "sel:\n  - {A: x}\n  - {B: y}\ncondition: sel",
        &[("A", "y")],
        false,
    ),
    // Numbers.
    case(
        "int equals number field",
        "sel: {EventID: 4624}\ncondition: sel",
        &[("EventID", "#4624")],
        true,
    ),
    case(
        "int differs",
        "sel: {EventID: 4624}\ncondition: sel",
        &[("EventID", "#4625")],
        false,
    ),
    case(
        "int equals text field",
        "sel: {LogonType: 10}\ncondition: sel",
        &[("LogonType", "10")],
        true,
    ),
    case(
        "text equals number field",
        "sel: {EventID: '4624'}\ncondition: sel",
        &[("EventID", "#4624")],
        true,
    ),
    // Wildcards and escapes.
    case(
        "leading star",
        "sel: {Image: '*\\cmd.exe'}\ncondition: sel",
        &[("Image", "C:\\x\\CMD.exe")],
        true,
    ),
    case(
        "trailing star",
        "sel: {Image: 'C:\\Win*'}\ncondition: sel",
        &[("Image", "c:\\windows")],
        true,
    ),
    case(
        "inner star",
        "sel: {Image: 'a*c'}\ncondition: sel",
        &[("Image", "aXYZc")],
        true,
    ),
    case(
        "inner star anchored",
        "sel: {Image: 'a*c'}\ncondition: sel",
        &[("Image", "aXYZcd")],
        false,
    ),
    case(
        "question mark is one char",
        "sel: {Image: 'c?d'}\ncondition: sel",
        &[("Image", "CMD")],
        true,
    ),
    case(
        "question mark not two",
        "sel: {Image: 'c?d'}\ncondition: sel",
        &[("Image", "cmmd")],
        false,
    ),
    case(
        "escaped star is literal",
        "sel: {A: 'a\\*b'}\ncondition: sel",
        &[("A", "a*b")],
        true,
    ),
    case(
        "escaped star not wildcard",
        "sel: {A: 'a\\*b'}\ncondition: sel",
        &[("A", "axb")],
        false,
    ),
    case(
        "escaped question is literal",
        "sel: {A: 'a\\?'}\ncondition: sel",
        &[("A", "ab")],
        false,
    ),
    case(
        "double backslash then star",
        "sel: {A: 'a\\\\*'}\ncondition: sel",
        &[("A", "a\\xyz")],
        true,
    ),
    case(
        "double backslash then star (no backslash)",
        "sel: {A: 'a\\\\*'}\ncondition: sel",
        &[("A", "axyz")],
        false,
    ),
    case(
        "lone star matches any value",
        "sel: {A: '*'}\ncondition: sel",
        &[("A", "")],
        true,
    ),
    case(
        "lone star needs the field",
        "sel: {A: '*'}\ncondition: sel",
        &[("B", "x")],
        false,
    ),
    // contains / startswith / endswith / all.
    case(
        "contains",
        "sel: {CommandLine|contains: 'FoO'}\ncondition: sel",
        &[("CommandLine", "xxfooxx")],
        true,
    ),
    case(
        "contains (no)",
        "sel: {CommandLine|contains: 'FoO'}\ncondition: sel",
        &[("CommandLine", "xxfoxx")],
        false,
    ),
    case(
        "contains list",
        "sel: {C|contains: [aa, bb, cc]}\ncondition: sel",
        &[("C", "xxBBxx")],
        true,
    ),
    case(
        "contains list (no)",
        "sel: {C|contains: [aa, bb, cc]}\ncondition: sel",
        &[("C", "xxbxx")],
        false,
    ),
    case(
        "startswith",
        "sel: {C|startswith: 'ab'}\ncondition: sel",
        &[("C", "ABc")],
        true,
    ),
    case(
        "startswith (no)",
        "sel: {C|startswith: 'ab'}\ncondition: sel",
        &[("C", "cab")],
        false,
    ),
    case(
        "endswith",
        "sel: {C|endswith: '\\svchost.exe'}\ncondition: sel",
        &[("C", "C:\\x\\SVCHOST.EXE")],
        true,
    ),
    case(
        "endswith (no)",
        "sel: {C|endswith: '\\svchost.exe'}\ncondition: sel",
        &[("C", "svchost.exe.bak")],
        false,
    ),
    case(
        "endswith non-ASCII",
        "sel: {C|endswith: 'ÄÖ'}\ncondition: sel",
        &[("C", "xäö")],
        true,
    ),
    case(
        "contains|all",
        "sel: {C|contains|all: [a1, b2]}\ncondition: sel",
        &[("C", "b2 a1")],
        true,
    ),
    case(
        "contains|all (one missing)",
        "sel: {C|contains|all: [a1, b2]}\ncondition: sel",
        &[("C", "a1")],
        false,
    ),
    case(
        "contains wildcard inside",
        "sel: {C|contains: 'a*z'}\ncondition: sel",
        &[("C", "xxAbcZxx")],
        true,
    ),
    case(
        "cased",
        "sel: {C|cased: 'Abc'}\ncondition: sel",
        &[("C", "Abc")],
        true,
    ),
    case(
        "cased (no)",
        "sel: {C|cased: 'Abc'}\ncondition: sel",
        &[("C", "abc")],
        false,
    ),
    case(
        "contains|cased",
        "sel: {C|contains|cased: 'Bc'}\ncondition: sel",
        &[("C", "abcd")],
        false,
    ),
    // Regular expressions: case-sensitive unless i; m and s flags.
    case(
        "re",
        "sel: {C|re: '^AB.d$'}\ncondition: sel",
        &[("C", "ABcd")],
        true,
    ),
    case(
        "re is case-sensitive",
        "sel: {C|re: '^AB'}\ncondition: sel",
        &[("C", "abc")],
        false,
    ),
    case(
        "re|i",
        "sel: {C|re|i: '^AB'}\ncondition: sel",
        &[("C", "abc")],
        true,
    ),
    case(
        "re unanchored finds",
        "sel: {C|re: 'b+c'}\ncondition: sel",
        &[("C", "abbbcd")],
        true,
    ),
    case(
        "re|m line anchors",
        "sel: {C|re|m: '^b$'}\ncondition: sel",
        &[("C", "a\nb\nc")],
        true,
    ),
    case(
        "re without m",
        "sel: {C|re: '^b$'}\ncondition: sel",
        &[("C", "a\nb\nc")],
        false,
    ),
    case(
        "re|s dot matches newline",
        "sel: {C|re|s: 'a.b'}\ncondition: sel",
        &[("C", "a\nb")],
        true,
    ),
    case(
        "re without s",
        "sel: {C|re: 'a.b'}\ncondition: sel",
        &[("C", "a\nb")],
        false,
    ),
    // cidr.
    case(
        "cidr v4",
        "sel: {IP|cidr: '10.0.0.0/8'}\ncondition: sel",
        &[("IP", "10.20.30.40")],
        true,
    ),
    case(
        "cidr v4 (no)",
        "sel: {IP|cidr: '10.0.0.0/8'}\ncondition: sel",
        &[("IP", "11.0.0.1")],
        false,
    ),
    case(
        "cidr list",
        "sel: {IP|cidr: ['10.0.0.0/8', '192.168.0.0/16']}\ncondition: sel",
        &[("IP", "192.168.1.1")],
        true,
    ),
    case(
        "cidr v6",
        "sel: {IP|cidr: 'fe80::/10'}\ncondition: sel",
        &[("IP", "fe80::1:2")],
        true,
    ),
    case(
        "cidr v6 (no)",
        "sel: {IP|cidr: 'fe80::/10'}\ncondition: sel",
        &[("IP", "2001:db8::1")],
        false,
    ),
    case(
        "cidr not an address",
        "sel: {IP|cidr: '10.0.0.0/8'}\ncondition: sel",
        &[("IP", "-")],
        false,
    ),
    // exists.
    case(
        "exists true",
        "sel: {A|exists: true}\ncondition: sel",
        &[("A", "")],
        true,
    ),
    case(
        "exists true (absent)",
        "sel: {A|exists: true}\ncondition: sel",
        &[("B", "x")],
        false,
    ),
    case(
        "exists false",
        "sel: {A|exists: false}\ncondition: sel",
        &[("B", "x")],
        true,
    ),
    case(
        "exists false (present)",
        "sel: {A|exists: false}\ncondition: sel",
        &[("A", "x")],
        false,
    ),
    // Numeric comparisons.
    case("gt", "sel: {N|gt: 5}\ncondition: sel", &[("N", "#6")], true),
    case(
        "gt (equal)",
        "sel: {N|gt: 5}\ncondition: sel",
        &[("N", "#5")],
        false,
    ),
    case(
        "gte",
        "sel: {N|gte: 5}\ncondition: sel",
        &[("N", "5")],
        true,
    ),
    case(
        "lt",
        "sel: {N|lt: 5}\ncondition: sel",
        &[("N", "4.5")],
        true,
    ),
    case(
        "lt (no)",
        "sel: {N|lt: 5}\ncondition: sel",
        &[("N", "#7")],
        false,
    ),
    case(
        "lte",
        "sel: {N|lte: 5}\ncondition: sel",
        &[("N", "#5")],
        true,
    ),
    case(
        "gt on text",
        "sel: {N|gt: 5}\ncondition: sel",
        &[("N", "many")],
        false,
    ),
    // windash.
    case(
        "windash slash",
        "sel: {C|windash|contains: ' -exec'}\ncondition: sel",
        &[("C", "x /exec y")],
        true,
    ),
    case(
        "windash en dash",
        "sel: {C|windash|contains: ' -exec'}\ncondition: sel",
        &[("C", "x \u{2013}exec y")],
        true,
    ),
    case(
        "windash em dash",
        "sel: {C|contains|windash: ' -exec'}\ncondition: sel",
        &[("C", "x \u{2014}exec")],
        true,
    ),
    case(
        "windash horizontal bar",
        "sel: {C|windash|contains: ' -exec'}\ncondition: sel",
        &[("C", "x \u{2015}exec")],
        true,
    ),
    case(
        "windash other char",
        "sel: {C|windash|contains: ' -exec'}\ncondition: sel",
        &[("C", "x +exec")],
        false,
    ),
    // Base64 and UTF-16.
    case(
        "base64",
        "sel: {C|base64: 'hello'}\ncondition: sel",
        &[("C", "aGVsbG8=")],
        true,
    ),
    case(
        "base64 (no)",
        "sel: {C|base64: 'hello'}\ncondition: sel",
        &[("C", "aGVsbG8")],
        false,
    ),
    case(
        "base64|contains",
        "sel: {C|base64|contains: 'hello'}\ncondition: sel",
        &[("C", "x aGVsbG8= y")],
        true,
    ),
    case(
        "base64offset shift 0",
        "sel: {C|base64offset|contains: 'http'}\ncondition: sel",
        &[("C", "aHR0cHM6Ly9h")],
        true,
    ),
    case(
        "base64offset shift 1",
        "sel: {C|base64offset|contains: 'http'}\ncondition: sel",
        &[("C", "eGh0dHBzOi8vYQ==")],
        true,
    ),
    case(
        "base64offset shift 2",
        "sel: {C|base64offset|contains: 'http'}\ncondition: sel",
        &[("C", "eHhodHRwczovL2E=")],
        true,
    ),
    case(
        "base64offset (no)",
        "sel: {C|base64offset|contains: 'http'}\ncondition: sel",
        &[("C", "aGVsbG8=")],
        false,
    ),
    case(
        "wide|base64offset",
        "sel: {C|wide|base64offset|contains: 'ping'}\ncondition: sel",
        &[("C", "eAAgAHAAaQBuAGcA")],
        true,
    ),
    case(
        "utf16le|base64",
        "sel: {C|utf16le|base64: 'cmd'}\ncondition: sel",
        &[("C", "YwBtAGQA")],
        true,
    ),
    case(
        "utf16be|base64",
        "sel: {C|utf16be|base64: 'cmd'}\ncondition: sel",
        &[("C", "AGMAbQBk")],
        true,
    ),
    case(
        "utf16|base64 has BOM",
        "sel: {C|utf16|base64: 'cmd'}\ncondition: sel",
        &[("C", "//5jAG0AZAA=")],
        true,
    ),
    case(
        "utf16le|base64 (no)",
        "sel: {C|utf16le|base64: 'cmd'}\ncondition: sel",
        &[("C", "Y21k")],
        false,
    ),
    // fieldref, neq, null, empty.
    case(
        "fieldref equal",
        "sel: {Target|fieldref: Subject}\ncondition: sel",
        &[("Target", "Bob"), ("Subject", "bob")],
        true,
    ),
    case(
        "fieldref differ",
        "sel: {Target|fieldref: Subject}\ncondition: sel",
        &[("Target", "Bob"), ("Subject", "Ann")],
        false,
    ),
    case(
        "fieldref|neq",
        "sel: {Target|fieldref|neq: Subject}\ncondition: sel",
        &[("Target", "Bob"), ("Subject", "Ann")],
        true,
    ),
    case(
        "neq",
        "sel: {Status|neq: '0x0'}\ncondition: sel",
        &[("Status", "0xc000006d")],
        true,
    ),
    case(
        "neq (equal)",
        "sel: {Status|neq: '0x0'}\ncondition: sel",
        &[("Status", "0x0")],
        false,
    ),
    case(
        "neq list is none of",
        "sel: {S|neq: [a, b]}\ncondition: sel",
        &[("S", "b")],
        false,
    ),
    case(
        "null matches absent",
        "sel: {A: null}\ncondition: sel",
        &[("B", "x")],
        true,
    ),
    case(
        "null not present",
        "sel: {A: null}\ncondition: sel",
        &[("A", "x")],
        false,
    ),
    case(
        "empty string",
        "sel: {A: ''}\ncondition: sel",
        &[("A", "")],
        true,
    ),
    case(
        "empty string (no)",
        "sel: {A: ''}\ncondition: sel",
        &[("A", "x")],
        false,
    ),
    // Time modifiers.
    case(
        "hour",
        "sel: {UtcTime|hour: 13}\ncondition: sel",
        &[("UtcTime", "2024-01-02 13:05:00.000")],
        true,
    ),
    case(
        "hour (no)",
        "sel: {UtcTime|hour: 14}\ncondition: sel",
        &[("UtcTime", "2024-01-02 13:05:00.000")],
        false,
    ),
    case(
        "month|gte",
        "sel: {T|month|gte: 6}\ncondition: sel",
        &[("T", "2024-07-01T00:00:00Z")],
        true,
    ),
    // Keywords.
    case(
        "keywords any field",
        "keywords: ['event::clear', 'event::drop']\ncondition: keywords",
        &[("A", "x"), ("B", "run EVENT::drop now")],
        true,
    ),
    case(
        "keywords none",
        "keywords: ['event::clear']\ncondition: keywords",
        &[("A", "event::x")],
        false,
    ),
    case(
        "keywords |all",
        "kw:\n  '|all': [Oab, ' -ExternalUrl ']\ncondition: kw",
        &[("A", "Set-OabVirtualDirectory -ExternalUrl x")],
        true,
    ),
    case(
        "keywords |all (one missing)",
        "kw:\n  '|all': [Oab, ' -ExternalUrl ']\ncondition: kw",
        &[("A", "Set-OabVirtualDirectory")],
        false,
    ),
    // System names.
    case(
        "Provider_Name also matches EventSourceName",
        "sel: {Provider_Name: Schannel}\ncondition: sel",
        &[
            ("Provider_Name", "Microsoft-Windows-Schannel"),
            ("EventSourceName", "Schannel"),
        ],
        true,
    ),
    case(
        "Channel",
        "sel: {Channel: system}\ncondition: sel",
        &[("Channel", "System")],
        true,
    ),
    // Conditions.
    case(
        "and",
        "a: {A: x}\nb: {B: y}\ncondition: a and b",
        &[("A", "x"), ("B", "y")],
        true,
    ),
    case(
        "and (one)",
        "a: {A: x}\nb: {B: y}\ncondition: a and b",
        &[("A", "x")],
        false,
    ),
    case(
        "or",
        "a: {A: x}\nb: {B: y}\ncondition: a or b",
        &[("B", "y")],
        true,
    ),
    case(
        "not",
        "a: {A: x}\nf: {B: y}\ncondition: a and not f",
        &[("A", "x"), ("B", "y")],
        false,
    ),
    case(
        "not (filter absent)",
        "a: {A: x}\nf: {B: y}\ncondition: a and not f",
        &[("A", "x")],
        true,
    ),
    case(
        "precedence: and binds tighter",
        "a: {A: 1}\nb: {B: 1}\nc: {C: 1}\ncondition: a or b and c",
        &[("A", "1")],
        true,
    ),
    case(
        "parentheses",
        "a: {A: 1}\nb: {B: 1}\nc: {C: 1}\ncondition: (a or b) and c",
        &[("A", "1")],
        false,
    ),
    case(
        "not binds tighter than and",
        "a: {A: 1}\nb: {B: 1}\ncondition: not a and b",
        &[("B", "1")],
        true,
    ),
    case(
        "1 of pattern",
        "sel_a: {A: 1}\nsel_b: {B: 1}\ncondition: 1 of sel_*",
        &[("B", "1")],
        true,
    ),
    case(
        "1 of pattern (none)",
        "sel_a: {A: 1}\nsel_b: {B: 1}\ncondition: 1 of sel_*",
        &[("C", "1")],
        false,
    ),
    case(
        "all of pattern",
        "sel_a: {A: 1}\nsel_b: {B: 1}\ncondition: all of sel_*",
        &[("A", "1"), ("B", "1")],
        true,
    ),
    case(
        "all of pattern (one)",
        "sel_a: {A: 1}\nsel_b: {B: 1}\ncondition: all of sel_*",
        &[("A", "1")],
        false,
    ),
    case(
        "1 of them",
        "a: {A: 1}\nb: {B: 1}\ncondition: 1 of them",
        &[("B", "1")],
        true,
    ),
    case(
        "all of them",
        "a: {A: 1}\nb: {B: 1}\ncondition: all of them",
        &[("B", "1")],
        false,
    ),
    case(
        "them skips _names",
        "a: {A: 1}\n_b: {B: 1}\ncondition: all of them",
        &[("A", "1")],
        true,
    ),
    case(
        "not 1 of filters",
        "sel: {A: 1}\nfilter_x: {B: 1}\nfilter_y: {C: 1}\ncondition: sel and not 1 of filter_*",
        &[("A", "1"), ("C", "1")],
        false,
    ),
    case(
        "condition list is OR",
        "a: {A: 1}\nb: {B: 1}\ncondition: [a, b]",
        &[("B", "1")],
        true,
    ),
    case(
        "uppercase operators",
        "a: {A: 1}\nb: {B: 1}\ncondition: a AND NOT b",
        &[("A", "1")],
        true,
    ),
];

fn event(fields: &[(&str, &str)]) -> dropcause::Event {
    event_from_fields(fields.iter().map(|(k, v)| {
        let value = match v.strip_prefix('#') {
            Some(n) => FieldValue::UInt(n.parse().expect("number in table")),
            None => FieldValue::Str((*v).to_string()),
        };
        ((*k).to_string(), value)
    }))
    .expect("valid event")
}

fn rule_text(detection: &str) -> String {
    let body: String = detection.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "title: conformance\nid: conformance\nlogsource: {{product: windows}}\ndetection:\n{body}"
    )
}

#[test]
fn sigma_modifiers_and_conditions_behave_as_the_spec_says() {
    let mut failures = Vec::new();
    for c in CASES {
        let source = RuleSource::Text {
            path: c.name.into(),
            text: rule_text(c.detection),
        };
        let (set, report) = RuleSet::load_with_report(&[source]);
        if let Some(p) = report.problems.first() {
            failures.push(format!("{}: rule did not load: {p}", c.name));
            continue;
        }
        let ev = event(c.event);
        let got = set.matches(&ev).count() == 1;
        let unindexed = set.matches_unindexed(&ev).count() == 1;
        if got != c.want || unindexed != c.want {
            failures.push(format!(
                "{}: want {}, got {got} (unindexed {unindexed})",
                c.name, c.want
            ));
        }
    }
    println!("{} conformance cases", CASES.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_covers_both_verdicts() {
    let positive = CASES.iter().filter(|c| c.want).count();
    assert!(
        positive >= 50 && CASES.len() - positive >= 40,
        "{positive} positive of {}",
        CASES.len()
    );
}
