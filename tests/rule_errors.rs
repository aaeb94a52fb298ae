//! Malformed rules: each broken file gives exactly one clear error at the right
//! file:line:column, and every other rule still loads.

use dropcause::ProblemKind;
use dropcause::rules::{RuleSet, RuleSource};
use std::fs;

const GOOD: &str = "title: good
id: good
logsource:
  product: windows
  service: system
detection:
  sel:
    EventID: 7036
  condition: sel
level: low
";

/// A valid rule with `detection` body lines replaced (lines 7.. of the file).
fn with_detection(body: &str) -> String {
    format!(
        "title: t\nid: ID\nlogsource:\n  product: windows\n  service: system\ndetection:\n{body}level: low\n"
    )
}

/// A valid rule followed by a `dropcause:` block starting at line 11.
fn with_dropcause(block: &str) -> String {
    format!(
        "title: t\nid: ID\nlogsource:\n  product: windows\n  service: system\ndetection:\n  sel:\n    EventID: 7036\n  condition: sel\nlevel: low\ndropcause:\n{block}"
    )
}

/// A valid rule followed by a `tests:` block starting at line 11.
fn with_tests(block: &str) -> String {
    format!(
        "title: t\nid: ID\nlogsource:\n  product: windows\n  service: system\ndetection:\n  sel:\n    EventID: 7036\n  condition: sel\nlevel: low\ntests:\n{block}"
    )
}

struct Broken {
    name: &'static str,
    text: String,
    /// Expected line and column (None: the file as a whole).
    at: Option<(usize, usize)>,
    /// Text the message must contain.
    says: &'static str,
}

fn b(
    name: &'static str,
    text: impl Into<String>,
    at: Option<(usize, usize)>,
    says: &'static str,
) -> Broken {
    Broken {
        name,
        text: text.into(),
        at,
        says,
    }
}

fn cases() -> Vec<Broken> {
    let deep = format!(
        "title: t\nid: ID\nx: {}{}\n",
        "[".repeat(100),
        "]".repeat(100)
    );
    let huge = format!("{GOOD}# {}\n", "x".repeat(1 << 20)).replace("id: good", "id: huge");
    let deep_cond = format!(
        "  sel:\n    EventID: 1\n  condition: {}sel{}\n",
        "(".repeat(100),
        ")".repeat(100)
    );
    vec![
        b(
            "yaml-unclosed-flow",
            "title: t\nid: ID\ndetection: [a, b\n",
            Some((3, 12)),
            "YAML syntax error",
        ),
        b(
            "yaml-tab-indent",
            "title: t\nid: ID\ndetection:\n\tsel: 1\n",
            Some((4, 2)),
            "YAML syntax error",
        ),
        b(
            "yaml-duplicate-key",
            "title: t\ntitle: u\nid: ID\n",
            Some((2, 1)),
            "YAML syntax error",
        ),
        b(
            "yaml-bad-indent",
            "title: t\nid: ID\n  logsource: x\n",
            Some((3, 12)),
            "YAML syntax error",
        ),
        b(
            "yaml-unclosed-quote",
            "title: 't\nid: ID\n",
            Some((1, 8)),
            "YAML syntax error",
        ),
        b(
            "not-a-mapping",
            "- a\n- b\n",
            Some((1, 1)),
            "must be a mapping",
        ),
        b(
            "title-list",
            GOOD.replace("title: good", "title: [a, b]")
                .replace("id: good", "id: ID"),
            Some((1, 8)),
            "`title` must be a string, not a list",
        ),
        b(
            "missing-title",
            GOOD.replace("title: good\n", "")
                .replace("id: good", "id: ID"),
            Some((1, 1)),
            "missing required key `title`",
        ),
        b(
            "missing-logsource",
            "title: t\nid: ID\ndetection:\n  sel: {A: 1}\n  condition: sel\n",
            Some((1, 1)),
            "missing required key `logsource`",
        ),
        b(
            "missing-detection",
            "title: t\nid: ID\nlogsource: {product: windows}\n",
            Some((1, 1)),
            "missing required key `detection`",
        ),
        b(
            "missing-condition",
            with_detection("  sel:\n    EventID: 1\n"),
            Some((7, 3)),
            "missing required key `detection.condition`",
        ),
        b(
            "unknown-top-key",
            GOOD.replace("level: low", "levle: low")
                .replace("id: good", "id: ID"),
            Some((10, 1)),
            "unknown top-level key `levle`",
        ),
        b(
            "unknown-modifier",
            with_detection("  sel:\n    Image|contians: x\n  condition: sel\n"),
            Some((8, 11)),
            "unknown value modifier `contians`",
        ),
        b(
            "two-placements",
            with_detection("  sel:\n    Image|contains|startswith: x\n  condition: sel\n"),
            Some((8, 5)),
            "cannot follow",
        ),
        b(
            "re-with-contains",
            with_detection("  sel:\n    Image|contains|re: x\n  condition: sel\n"),
            Some((8, 5)),
            "`re` cannot be combined",
        ),
        b(
            "re-flag-without-re",
            with_detection("  sel:\n    Image|i: x\n  condition: sel\n"),
            Some((8, 5)),
            "only apply to `re`",
        ),
        b(
            "empty-modifier",
            with_detection("  sel:\n    Image|: x\n  condition: sel\n"),
            Some((8, 5)),
            "empty modifier",
        ),
        b(
            "bad-regex",
            with_detection("  sel:\n    Image|re: 'a(b'\n  condition: sel\n"),
            Some((8, 15)),
            "bad regular expression",
        ),
        b(
            "huge-regex",
            with_detection("  sel:\n    Image|re: '(a{1000}){1000}'\n  condition: sel\n"),
            Some((8, 15)),
            "size limit",
        ),
        b(
            "lookahead-regex",
            with_detection("  sel:\n    Image|re: '(?=x)y'\n  condition: sel\n"),
            Some((8, 15)),
            "look-around",
        ),
        b(
            "bad-cidr",
            with_detection("  sel:\n    Ip|cidr: 10.0.0.0/33\n  condition: sel\n"),
            Some((8, 14)),
            "not a CIDR",
        ),
        b(
            "exists-not-bool",
            with_detection("  sel:\n    Ip|exists: maybe\n  condition: sel\n"),
            Some((8, 16)),
            "must be true or false",
        ),
        b(
            "gt-not-number",
            with_detection("  sel:\n    N|gt: lots\n  condition: sel\n"),
            Some((8, 11)),
            "must be a number",
        ),
        b(
            "value-is-map",
            with_detection("  sel:\n    EventID: {a: 1}\n  condition: sel\n"),
            Some((8, 14)),
            "must be a scalar value",
        ),
        b(
            "empty-value-list",
            with_detection("  sel:\n    EventID: []\n  condition: sel\n"),
            Some((8, 14)),
            "empty list of values",
        ),
        b(
            "base64-wildcard",
            with_detection("  sel:\n    C|base64: 'a*'\n  condition: sel\n"),
            Some((8, 15)),
            "wildcards cannot be Base64-encoded",
        ),
        b(
            "wide-without-base64",
            with_detection("  sel:\n    C|wide: x\n  condition: sel\n"),
            Some((8, 5)),
            "must be followed by `base64`",
        ),
        b(
            "windash-too-many",
            with_detection("  sel:\n    C|windash: ' -a -b -c -d -e'\n  condition: sel\n"),
            Some((8, 16)),
            "too many variants",
        ),
        b(
            "search-is-null",
            with_detection("  sel:\n  condition: sel\n"),
            Some((7, 6)),
            "must be a mapping, a list or a keyword",
        ),
        b(
            "detection-is-text",
            "title: t\nid: ID\nlogsource: {product: windows}\ndetection: sel\n",
            Some((4, 12)),
            "`detection` must be a mapping",
        ),
        b(
            "condition-unknown-id",
            with_detection("  sel:\n    EventID: 1\n  condition: sel and not filter\n"),
            Some((9, 26)),
            "refers to `filter`",
        ),
        b(
            "condition-dangling-and",
            with_detection("  sel:\n    EventID: 1\n  condition: sel and\n"),
            Some((9, 21)),
            "ends where an identifier",
        ),
        b(
            "condition-unclosed-paren",
            with_detection("  sel:\n    EventID: 1\n  condition: '(sel'\n"),
            Some((9, 19)),
            "missing `)`",
        ),
        b(
            "condition-empty-pattern",
            with_detection("  sel:\n    EventID: 1\n  condition: sel and not 1 of filter_*\n"),
            Some((9, 31)),
            "matches no search identifier",
        ),
        b(
            "condition-bad-char",
            with_detection("  sel:\n    EventID: 1\n  condition: sel & sel\n"),
            Some((9, 18)),
            "unexpected character `&`",
        ),
        b(
            "condition-is-map",
            with_detection("  sel:\n    EventID: 1\n  condition: {a: b}\n"),
            Some((9, 14)),
            "`condition` must be a string",
        ),
        b(
            "condition-too-deep",
            with_detection(&deep_cond),
            Some((9, 78)),
            "nested more than 64 levels",
        ),
        b(
            "level-unknown",
            GOOD.replace("level: low", "level: severe")
                .replace("id: good", "id: ID"),
            Some((10, 8)),
            "`level` is `severe`, which is not one of: informational, low,",
        ),
        b(
            "logsource-not-map",
            "title: t\nid: ID\nlogsource: windows\ndetection:\n  sel: {A: 1}\n  condition: sel\n",
            Some((3, 12)),
            "`logsource` must be a mapping",
        ),
        b(
            "references-map",
            GOOD.replace("level: low", "references: {a: b}")
                .replace("id: good", "id: ID"),
            Some((10, 13)),
            "`references` must be a list of strings",
        ),
        b(
            "tags-nested",
            GOOD.replace("level: low", "tags: [[a]]")
                .replace("id: good", "id: ID"),
            Some((10, 8)),
            "`tags` must be a string",
        ),
        b(
            "dropcause-unknown-key",
            with_dropcause("  role: cause\n  cateogry: network\n"),
            Some((13, 3)),
            "unknown key `cateogry`",
        ),
        b(
            "dropcause-unknown-role",
            with_dropcause("  role: culprit\n"),
            Some((12, 9)),
            "`dropcause.role` is `culprit`, which is not one of: cause,",
        ),
        b(
            "dropcause-unknown-category",
            with_dropcause("  role: cause\n  category: gremlins\n"),
            Some((13, 13)),
            "`dropcause.category` is `gremlins`, which is not one of: certificate,",
        ),
        b(
            "dropcause-unknown-step",
            with_dropcause("  role: lifecycle\n  step: teleport\n"),
            Some((13, 9)),
            "`dropcause.step` is `teleport`, which is not one of: connect,",
        ),
        b(
            "dropcause-bad-window",
            with_dropcause("  role: cause\n  category: network\n  window: { before: 5 minutes }\n"),
            Some((14, 21)),
            "unknown unit ` minutes`",
        ),
        b(
            "dropcause-cause-without-category",
            with_dropcause("  role: cause\n"),
            Some((12, 3)),
            "a cause needs a `category`",
        ),
        b(
            "dropcause-missing-role",
            with_dropcause("  category: network\n"),
            Some((12, 3)),
            "missing `role`",
        ),
        b(
            "dropcause-step-on-cause",
            with_dropcause("  role: cause\n  category: network\n  step: logon\n"),
            Some((14, 9)),
            "`step` is for lifecycle and drop rules only",
        ),
        b(
            "dropcause-says-why-on-cause",
            with_dropcause("  role: cause\n  category: network\n  says_why: true\n"),
            Some((14, 13)),
            "`says_why` is for drop rules only",
        ),
        b(
            "dropcause-says-why-without-category",
            with_dropcause("  role: drop\n  step: refused\n  says_why: true\n"),
            Some((14, 13)),
            "`says_why` needs a `category`",
        ),
        b(
            "dropcause-says-why-not-a-flag",
            with_dropcause("  role: drop\n  category: network\n  says_why: yes please\n"),
            Some((14, 13)),
            "true or false",
        ),
        b(
            "tests-unknown-key",
            with_tests("  matches: []\n"),
            Some((12, 3)),
            "unknown key `matches`",
        ),
        b(
            "tests-event-not-map",
            with_tests("  match:\n    - EventID 7036\n"),
            Some((13, 7)),
            "`a test event` must be a mapping",
        ),
        b(
            "tests-eventid-too-big",
            with_tests("  match:\n    - { EventID: 70000 }\n"),
            Some((13, 7)),
            "must be a number up to 65535",
        ),
        b(
            "deep-nesting",
            deep,
            Some((3, 35)),
            "nested more than 32 levels",
        ),
        b("huge-file", huge, None, "more than the 1048576-byte limit"),
    ]
}

#[test]
fn each_broken_rule_gives_its_located_error_and_the_rest_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = cases();
    assert!(cases.len() >= 40);
    for (i, c) in cases.iter().enumerate() {
        let text = c.text.replace("id: ID", &format!("id: broken-{i}"));
        fs::write(dir.path().join(format!("{}.yml", c.name)), text).expect("write");
    }
    fs::write(dir.path().join("a-good.yml"), GOOD).expect("write");
    fs::write(
        dir.path().join("zz-duplicate-id.yml"),
        GOOD.replace("title: good", "title: again"),
    )
    .expect("write");
    fs::write(dir.path().join("not-utf8.yml"), b"title: \xff\xfe\n").expect("write");
    fs::write(dir.path().join("notes.txt"), "not a rule").expect("write");

    let (set, report) = RuleSet::load_with_report(&[RuleSource::Path(dir.path().to_path_buf())]);
    let mut failures = Vec::new();
    for c in &cases {
        let file = dir.path().join(format!("{}.yml", c.name));
        // The one error the case is about; a dropcause block without tests is also
        // reported, as lint-only, and does not count.
        let mine: Vec<_> = report.errors().filter(|p| p.path == file).collect();
        match mine.as_slice() {
            [p] if p.line_col == c.at
                && p.error.to_string().contains(c.says)
                && !p.error.is_skip() => {}
            _ => failures.push(format!(
                "{}: want {:?} `{}`, got {:?}",
                c.name,
                c.at,
                c.says,
                mine.iter()
                    .map(|p| format!("{:?} {}", p.line_col, p.error))
                    .collect::<Vec<_>>()
            )),
        }
    }
    let dup: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.path.ends_with("zz-duplicate-id.yml"))
        .collect();
    match dup.as_slice() {
        [p] if p.line_col == Some((2, 5))
            && p.to_string().contains("a-good.yml")
            && p.to_string().contains("duplicate rule id `good`") => {}
        other => failures.push(format!("duplicate id: got {other:?}")),
    }
    let bad_utf8: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.path.ends_with("not-utf8.yml"))
        .collect();
    if !matches!(bad_utf8.as_slice(), [p] if p.to_string().contains("not UTF-8")) {
        failures.push(format!("not-utf8: got {bad_utf8:?}"));
    }
    assert!(
        failures.is_empty(),
        "{} cases wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        report.errors().count(),
        cases.len() + 2,
        "one error per broken file"
    );
    assert_eq!(set.len(), 1, "the good rule loads");
    assert_eq!(
        report.diagnostics().count(ProblemKind::BadRule),
        cases.len() + 2
    );
    for p in &report.problems {
        assert!(!p.error.hint().is_empty());
    }
}

#[test]
fn valid_sigma_the_engine_does_not_run_is_skipped_not_an_error() {
    let skips = [
        (
            "correlation",
            "title: c\nid: c\ncorrelation:\n  type: event_count\n",
            "correlation rules",
        ),
        (
            "linux",
            "title: l\nid: l\nlogsource: {product: linux}\ndetection:\n  sel: {A: 1}\n  condition: sel\n",
            "not Windows",
        ),
        (
            "etw",
            "title: e\nid: e\nlogsource: {product: windows, category: file_access}\ndetection:\n  sel: {A: 1}\n  condition: sel\n",
            "ETW",
        ),
        (
            "expand",
            "title: x\nid: x\nlogsource: {product: windows}\ndetection:\n  sel: {A|expand: '%Servers%'}\n  condition: sel\n",
            "placeholder",
        ),
        (
            "aggregation",
            "title: g\nid: g\nlogsource: {product: windows}\ndetection:\n  sel: {A: 1}\n  condition: sel | count() > 5\n",
            "aggregation",
        ),
    ];
    for (name, text, why) in skips {
        let (set, report) = RuleSet::load_with_report(&[RuleSource::Text {
            path: name.into(),
            text: text.into(),
        }]);
        assert!(set.is_empty(), "{name}");
        let problems: Vec<_> = report.problems.iter().collect();
        assert!(
            matches!(problems.as_slice(), [p] if p.error.is_skip() && p.error.to_string().contains(why)),
            "{name}: {problems:?}"
        );
        assert_eq!(report.diagnostics().count(ProblemKind::Note), 1, "{name}");
    }
}

#[test]
fn truncated_and_garbled_rules_never_panic() {
    let full = format!(
        "{GOOD}dropcause:\n  role: cause\n  category: service\n  window: {{ before: 2h }}\ntests:\n  match:\n    - {{ EventID: 7036 }}\n"
    );
    let mut loaded = 0;
    let mut rejected = 0;
    let cuts = full.char_indices().map(|(i, _)| i);
    let variants = cuts.flat_map(|i| {
        let (head, tail) = full.split_at(i);
        [
            head.to_string(),
            format!("{head}\u{0}{tail}"),
            format!("{head}: [{{'\"*|{tail}"),
        ]
    });
    for (n, text) in variants.enumerate() {
        let source = RuleSource::Text {
            path: format!("v{n}.yml").into(),
            text,
        };
        let (set, report) = RuleSet::load_with_report(&[source]);
        let blocking = report.problems.iter().filter(|p| !p.error.is_lint_only());
        let rejects = usize::from(blocking.count() > 0);
        loaded += set.len();
        rejected += rejects;
        assert_eq!(
            set.len() + rejects,
            1,
            "each text either loads or is reported: {:?}",
            report.problems
        );
    }
    assert!(
        loaded > 0 && rejected > 0,
        "{loaded} loaded, {rejected} rejected"
    );
}
