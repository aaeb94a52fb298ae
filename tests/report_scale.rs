//! Answers that scale: on StolenSzechuan (29,293 refused connections in two
//! minutes) the terminal summary fits one screen and names the attack, the
//! HTML stays small and the Markdown fits a ticket; on the samples no two
//! incident labels of the HTML timeline overlap.

use crate::util::{corpus, dropcause, texts};
use std::path::PathBuf;

/// StolenSzechuan's logs, or `None` (SKIP) without the corpus; under `CI=true`
/// a missing corpus fails.
fn stolen_szechuan() -> Option<Vec<PathBuf>> {
    let Some(root) = corpus("report_scale") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the corpus is missing under CI=true (set DROPCAUSE_CORPUS)"
        );
        return None;
    };
    let dir = root.join("dfir-artifact-museum/StolenSzechuanEventLogs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("StolenSzechuan folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
        .collect();
    files.sort();
    assert!(files.len() > 10, "StolenSzechuan logs in {}", dir.display());
    Some(files)
}

#[test]
fn stolen_szechuan_fits_one_screen_a_small_page_and_a_ticket() {
    let Some(files) = stolen_szechuan() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("dc-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("ss.html");
    let out = dropcause()
        .env("COLUMNS", "100")
        .args(["analyze", "-q", "--color", "never", "--report"])
        .arg(&html)
        .args(&files)
        .output()
        .expect("dropcause runs");
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() <= 40, "{} lines:\n{stdout}", lines.len());
    assert!(
        lines.iter().all(|l| l.chars().count() <= 100),
        "a line wider than 100 columns:\n{stdout}"
    );
    // Wrapped lines joined: a phrase may straddle a line break.
    let flat = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "194.61.24.102",
        "29,198 connections",
        "95 connections",
        "TLS client offered no cipher suite",
        "Possible compromise: C137\\Administrator logged on from 194.61.24.102",
        "0.7 s after the last refusal",
        // The attacker's working sessions that followed, with their real ends.
        "Then 3 more session(s) from that client",
        "S29306 03:22:36–03:52:46 (user logoff)",
        "S29308 03:56:03–03:57:41 (user logoff)",
    ] {
        assert!(flat.contains(needle), "`{needle}` missing:\n{stdout}");
    }
    let size = std::fs::metadata(&html).unwrap().len();
    assert!(size < 2_000_000, "HTML report is {size} bytes");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Possible compromise") && page.contains("<details>"));

    let out = dropcause()
        .args(["analyze", "-q", "--format", "md"])
        .args(&files)
        .output()
        .expect("dropcause runs");
    let (md, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        md.len() < 64 * 1024,
        "Markdown report is {} bytes",
        md.len()
    );
    let summary = md.split("## Hosts").next().unwrap_or_default();
    assert!(
        summary.contains("Possible compromise") && summary.contains("_Fix:_"),
        "the executive summary names the compromise and the fix:\n{summary}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The `x`, `y`, `width` and `height` of every `<rect class="pill" ...>` in
/// one `<svg>`.
fn pills(svg: &str) -> Vec<[f64; 4]> {
    svg.split("<rect class=\"pill\"")
        .skip(1)
        .map(|rest| {
            let attr = |name: &str| -> f64 {
                let start = rest.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
                let end = rest[start..].find('"').unwrap() + start;
                rest[start..end].parse().expect("number")
            };
            [attr("x"), attr("y"), attr("width"), attr("height")]
        })
        .collect()
}

#[test]
fn no_two_labels_of_the_samples_timeline_overlap() {
    let out = dropcause()
        .args(["analyze", "-q", "--format", "html"])
        .arg(crate::util::samples_dir())
        .output()
        .expect("dropcause runs");
    let (page, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let charts: Vec<&str> = page
        .split("<svg class=\"timeline\"")
        .skip(1)
        .map(|s| s.split("</svg>").next().unwrap_or_default())
        .collect();
    assert!(charts.len() >= 10, "one chart per host");
    let mut labels = 0;
    for chart in charts {
        let boxes = pills(chart);
        labels += boxes.len();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                let apart = a[0] + a[2] <= b[0]
                    || b[0] + b[2] <= a[0]
                    || a[1] + a[3] <= b[1]
                    || b[1] + b[3] <= a[1];
                assert!(apart, "labels overlap: {a:?} and {b:?}");
            }
        }
    }
    // Every incident of the samples is labelled.
    let incidents = page.matches("<article class=\"finding incident").count();
    assert_eq!(labels, incidents, "labels drawn for every incident");
}
