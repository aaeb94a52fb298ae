//! The stages import only earlier ones: `vocab`, `diag` and `error` (shared by
//! all) < `event` < `ingest` < `rules` < `correlate` and `writer` < `report` and
//! `explain` < `analyze`. Read from the `crate::` paths of every source file
//! (comments left out), so that a back edge fails here, with its file and line.

use std::path::{Path, PathBuf};

/// Each module of the crate root with its rank.
const RANKS: &[(&str, u8)] = &[
    ("vocab", 0),
    ("diag", 0),
    ("error", 0),
    ("event", 1),
    ("ingest", 2),
    ("rules", 3),
    ("correlate", 4),
    ("writer", 4),
    ("report", 5),
    ("explain", 5),
    ("analyze", 6),
];

fn rank(module: &str) -> Option<u8> {
    RANKS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_stage_imports_a_later_one() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut back = Vec::new();
    let mut checked = 0;
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let own = top.trim_end_matches(".rs");
        let Some(own_rank) = rank(own) else {
            continue; // lib.rs, main.rs, cli/: the edges, which may use everything
        };
        checked += 1;
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                let module: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some(r) = rank(&module)
                    && r > own_rank
                {
                    back.push(format!(
                        "src/{}:{}: {own} uses {module}",
                        rel.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} files checked");
    assert!(
        back.is_empty(),
        "imports of later stages:\n{}",
        back.join("\n")
    );
}
