//! The stages import only earlier ones: `vocab`, `diag` and `error` (shared by
//! all) < `event` < `ingest` < `rules` < `correlate` and `writer` < `report` and
//! `explain` < `analyze`. Read from the `crate::` paths of every source file
//! (comments left out), so that a back edge fails here, with its file and line.
//! And inside every folder of `src/`, the modules side by side import each other
//! without a cycle ([`sibling_modules_import_without_cycles`]).

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

/// No folder of `src/` (the crate root included) has a cycle among its modules:
/// the files and subfolders side by side in it, each one node (a subfolder's
/// files all speak for it).
///
/// The edges are the paths in the code (comments, strings and character
/// literals left out; `use` trees with their `{...}` groups, and paths in
/// expressions alike) that start with `crate::`, `super::` or `self::`,
/// resolved against the module the file is (its `#[path]` attribute honoured;
/// `super` inside an inline `mod tests { ... }` is the file's own module). A
/// path from a module under node `a` into a module under its sibling `b` of the
/// same folder is the edge `a -> b`. The rule for the folder's own module
/// (`mod.rs`, or `lib.rs`/`main.rs` for the root):
///
/// - it is the parent, above its children: what it uses of them adds no edge;
/// - a child naming one of its items (`super::Item`, `crate::stage::Item`) adds
///   no edge when the parent defines `Item` itself, but when the parent only
///   re-exports it (`pub use b::Item`), the path is an edge to `b`, the file
///   that defines it: a re-export is no way around the rule. A glob of the
///   parent (`use super::*` in a file, not in its tests) is an edge to every
///   child the parent re-exports from.
///
/// The rule does not look through the parent's own items: a child using a type
/// the parent defines, whose fields are types of another child, adds no edge.
/// A cycle is reported with the files of its modules and, for each edge, the
/// first line that makes it.
#[test]
fn sibling_modules_import_without_cycles() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let crate_map = module_paths(&src, &files);
    let modules: std::collections::BTreeSet<Vec<String>> = crate_map.values().cloned().collect();
    // What each folder's own module re-exports: (folder, item) -> child.
    let mut reexports: std::collections::BTreeMap<(Vec<String>, String), String> =
        std::collections::BTreeMap::new();
    let mut uses: Vec<(PathBuf, Vec<String>, Vec<String>, usize)> = Vec::new();
    for file in &files {
        let own = &crate_map[file];
        let tokens = lex(&std::fs::read_to_string(file).unwrap());
        let parent_module = is_folder_module(&src, file);
        for found in paths(&tokens, own) {
            if found.reexport && parent_module {
                if let Some(child) = found.full.get(own.len())
                    && found.full.len() > own.len() + 1
                    && modules.contains(&found.full[..=own.len()])
                {
                    reexports.insert((own.clone(), found.name.clone()), child.clone());
                }
                continue;
            }
            uses.push((file.clone(), own.clone(), found.full, found.line));
        }
    }
    // folder -> (from, to) -> first place.
    let mut graphs: std::collections::BTreeMap<
        Vec<String>,
        std::collections::BTreeMap<(String, String), String>,
    > = std::collections::BTreeMap::new();
    for (file, own, full, line) in &uses {
        let d = own.iter().zip(full).take_while(|(a, b)| a == b).count();
        if d >= own.len() || d >= full.len() {
            continue; // the module itself, a child of it, or an ancestor
        }
        let folder = own[..d].to_vec();
        let from = own[d].clone();
        let named = &full[d];
        let mut child_of = |folder: &Vec<String>, to: &String| {
            if *to != from {
                let place = format!("{}:{line}", file.strip_prefix(&src).unwrap().display());
                graphs
                    .entry(folder.clone())
                    .or_default()
                    .entry((from.clone(), to.clone()))
                    .or_insert(place);
            }
        };
        let mut as_module = folder.clone();
        as_module.push(named.clone());
        if modules.contains(&as_module) {
            child_of(&folder, named);
        } else if named == "*" {
            let children: Vec<String> = reexports
                .iter()
                .filter(|((f, _), _)| *f == folder)
                .map(|(_, c)| c.clone())
                .collect();
            for child in children {
                child_of(&folder, &child);
            }
        } else if let Some(child) = reexports.get(&(folder.clone(), named.clone())) {
            child_of(&folder, &child.clone());
        }
    }
    let mut cycles = Vec::new();
    for (folder, edges) in &graphs {
        for cycle in find_cycles(edges) {
            let dir = if folder.is_empty() {
                "src".to_string()
            } else {
                format!("src/{}", folder.join("/"))
            };
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    let at = &edges[&(w[0].clone(), w[1].clone())];
                    format!("  {} -> {} ({at})", w[0], w[1])
                })
                .collect();
            cycles.push(format!("{dir}:\n{}", steps.join("\n")));
        }
    }
    assert!(
        graphs.contains_key(&vec!["ingest".to_string()]),
        "no edges read in src/ingest"
    );
    assert!(
        cycles.is_empty(),
        "sibling modules that import each other in a cycle:\n{}",
        cycles.join("\n")
    );
}

/// True for a folder's own module: `mod.rs`, or the crate root's `lib.rs` and `main.rs`.
fn is_folder_module(src: &Path, file: &Path) -> bool {
    let rel = file.strip_prefix(src).unwrap();
    rel.file_name().is_some_and(|n| n == "mod.rs")
        || (rel.components().count() == 1
            && rel
                .file_name()
                .is_some_and(|n| n == "lib.rs" || n == "main.rs"))
}

/// Every file's module path (`src/ingest/export/xml.rs`: `ingest::export::xml`),
/// `#[path = "..."] mod name;` followed.
fn module_paths(src: &Path, files: &[PathBuf]) -> std::collections::BTreeMap<PathBuf, Vec<String>> {
    let mut map = std::collections::BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let mut parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        if matches!(parts.last().map(String::as_str), Some("mod"))
            || (parts.len() == 1 && matches!(parts[0].as_str(), "lib" | "main"))
        {
            parts.pop();
        }
        map.insert(file.clone(), parts);
    }
    // `#[path = "x_tests.rs"] mod tests;` in `x.rs`: the file is `x::tests`.
    let mut renamed = Vec::new();
    for file in files {
        let tokens = lex(&std::fs::read_to_string(file).unwrap());
        for w in tokens.windows(8) {
            if let [
                Tok::Punct('#'),
                Tok::Punct('['),
                Tok::Ident(path, _),
                Tok::Punct('='),
                Tok::Str(target),
                Tok::Punct(']'),
                Tok::Ident(kw, _),
                Tok::Ident(name, _),
            ] = w
                && path == "path"
                && kw == "mod"
            {
                let target = file.parent().unwrap().join(target);
                let mut module = map[file].clone();
                module.push(name.clone());
                renamed.push((target, module));
            }
        }
    }
    for (target, module) in renamed {
        if let Some(m) = map.get_mut(&target) {
            *m = module;
        }
    }
    map
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An identifier or keyword, with its line.
    Ident(String, usize),
    /// `::`
    PathSep,
    /// A string literal's text (escapes left as written).
    Str(String),
    /// Any other character that is not white space.
    Punct(char),
}

/// The tokens of Rust source that matter for paths: comments dropped,
/// character literals and lifetimes dropped, strings kept whole.
fn lex(text: &str) -> Vec<Tok> {
    let c: Vec<char> = text.chars().collect();
    let (mut i, mut line, mut out) = (0, 1, Vec::new());
    let ident_start = |ch: char| ch.is_alphabetic() || ch == '_';
    let ident_char = |ch: char| ch.is_alphanumeric() || ch == '_';
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(c[i] == '\n');
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&c, i) {
            // r"..", r#".."#, br".."
            let mut j = i;
            while c[j] != '"' {
                j += 1;
            }
            let start = j + 1;
            let mut k = start;
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while k < c.len() && !c[k..].starts_with(&close) {
                line += usize::from(c[k] == '\n');
                k += 1;
            }
            out.push(Tok::Str(c[start..k.min(c.len())].iter().collect()));
            i = k + close.len();
        } else if ch == '"' || (ch == 'b' && next == Some('"')) {
            let mut k = if ch == 'b' { i + 2 } else { i + 1 };
            let start = k;
            while k < c.len() && c[k] != '"' {
                if c[k] == '\\' {
                    k += 1;
                }
                line += usize::from(c.get(k) == Some(&'\n'));
                k += 1;
            }
            out.push(Tok::Str(c[start..k.min(c.len())].iter().collect()));
            i = k + 1;
        } else if ch == '\'' || (ch == 'b' && next == Some('\'')) {
            let q = if ch == 'b' { i + 1 } else { i };
            if c.get(q + 1) == Some(&'\\') {
                // An escaped character: to the closing quote.
                let mut k = q + 2;
                while k < c.len() && c[k] != '\'' {
                    k += 1;
                }
                i = k + 1;
            } else if c.get(q + 2) == Some(&'\'') {
                i = q + 3; // 'x'
            } else {
                i = q + 1; // a lifetime: its name follows as an identifier
            }
        } else if ident_start(ch) {
            let start = i;
            while i < c.len() && ident_char(c[i]) {
                i += 1;
            }
            out.push(Tok::Ident(c[start..i].iter().collect(), line));
        } else if ch == ':' && next == Some(':') {
            out.push(Tok::PathSep);
            i += 2;
        } else {
            out.push(Tok::Punct(ch));
            i += 1;
        }
    }
    out
}

/// How many `#` a raw string starting at `i` has (`r"`, `r#"`, `br##"`...).
fn raw_string_start(c: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if c.get(j) == Some(&'b') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = c[j..].iter().take_while(|&&h| h == '#').count();
    (c.get(j + hashes) == Some(&'"')).then_some(hashes)
}

/// One path the code names.
struct Named {
    /// Resolved from the crate root (`super`, `self` and `crate` taken away).
    full: Vec<String>,
    /// The name it is known by (the last segment, or its `as` alias).
    name: String,
    line: usize,
    /// Part of a `pub use` (any `pub` visibility) outside inline modules.
    reexport: bool,
}

/// The paths that start with `crate`, `super` or `self`, and the `pub use`
/// paths that start with a plain name (a folder module's re-exports of its
/// children), resolved for a file whose module is `own`.
fn paths(tokens: &[Tok], own: &[String]) -> Vec<Named> {
    let mut out = Vec::new();
    // Inline modules (`mod tests {`) with the brace depth they close at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(kw, _)
                if kw == "mod" && matches!(tokens.get(i + 2), Some(Tok::Punct('{'))) =>
            {
                if let Some(Tok::Ident(name, _)) = tokens.get(i + 1) {
                    inline.push((name.clone(), depth));
                }
            }
            Tok::Ident(kw, _) if kw == "use" => {
                let public = i > 0
                    && (matches!(&tokens[i - 1], Tok::Ident(p, _) if p == "pub")
                        || (matches!(tokens[i - 1], Tok::Punct(')'))
                            && tokens[..i]
                                .iter()
                                .rev()
                                .take(5)
                                .any(|t| matches!(t, Tok::Ident(p, _) if p == "pub"))));
                let mut here: Vec<String> = own.to_vec();
                here.extend(inline.iter().map(|(n, _)| n.clone()));
                let mut raw = Vec::new();
                let end = tree(tokens, i + 1, Vec::new(), &mut raw);
                for (segs, name, line) in raw {
                    let reexport = public && inline.is_empty();
                    if let Some(full) = resolve(&segs, &here) {
                        out.push(Named {
                            full,
                            name,
                            line,
                            reexport,
                        });
                    } else if reexport {
                        let mut full = own.to_vec();
                        full.extend(segs.iter().cloned());
                        out.push(Named {
                            full,
                            name,
                            line,
                            reexport: true,
                        });
                    }
                }
                i = end;
                continue;
            }
            Tok::Ident(first, _)
                if matches!(first.as_str(), "crate" | "super" | "self")
                    && tokens.get(i + 1) == Some(&Tok::PathSep)
                    && (i == 0 || tokens[i - 1] != Tok::PathSep) =>
            {
                let mut here: Vec<String> = own.to_vec();
                here.extend(inline.iter().map(|(n, _)| n.clone()));
                let mut raw = Vec::new();
                let end = tree(tokens, i, Vec::new(), &mut raw);
                for (segs, name, line) in raw {
                    if let Some(full) = resolve(&segs, &here) {
                        out.push(Named {
                            full,
                            name,
                            line,
                            reexport: false,
                        });
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Reads a path or `use` tree from `i`; pushes each leaf path with its name
/// and line; returns the index after it.
fn tree(
    tokens: &[Tok],
    mut i: usize,
    mut segs: Vec<String>,
    out: &mut Vec<(Vec<String>, String, usize)>,
) -> usize {
    let mut line = 0;
    loop {
        match tokens.get(i) {
            Some(Tok::Ident(seg, at)) => {
                segs.push(seg.clone());
                line = *at;
                i += 1;
            }
            Some(Tok::Punct('*')) => {
                segs.push("*".into());
                i += 1;
                break;
            }
            Some(Tok::Punct('{')) => {
                i += 1;
                while i < tokens.len() && tokens[i] != Tok::Punct('}') {
                    i = tree(tokens, i, segs.clone(), out);
                    if tokens.get(i) == Some(&Tok::Punct(',')) {
                        i += 1;
                    }
                }
                return i + 1;
            }
            _ => break,
        }
        if tokens.get(i) == Some(&Tok::PathSep) {
            i += 1;
        } else {
            break;
        }
    }
    if segs.last().is_some_and(|s| s == "self") {
        segs.pop();
    }
    let mut name = segs.last().cloned().unwrap_or_default();
    if matches!(tokens.get(i), Some(Tok::Ident(kw, _)) if kw == "as") {
        if let Some(Tok::Ident(alias, _)) = tokens.get(i + 1) {
            name = alias.clone();
        }
        i += 2;
    }
    if !segs.is_empty() {
        out.push((segs, name, line));
    }
    i
}

/// A path from the crate root, for one that starts with `crate`, `super` or
/// `self` named in module `here`.
fn resolve(segs: &[String], here: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = match segs.first()?.as_str() {
        "crate" => Vec::new(),
        "self" | "super" => here.to_vec(),
        _ => return None,
    };
    let mut rest = &segs[1..];
    if segs[0] == "super" {
        base.pop()?;
        while rest.first().is_some_and(|s| s == "super") {
            base.pop()?;
            rest = &rest[1..];
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// One cycle of each strongly connected part of a graph (with more than one
/// node): the shortest way from one of its nodes around to itself.
fn find_cycles(edges: &std::collections::BTreeMap<(String, String), String>) -> Vec<Vec<String>> {
    let mut next: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
    }
    let reach = |from: &str| {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            for &m in next.get(n).into_iter().flatten() {
                if seen.insert(m) {
                    stack.push(m);
                }
            }
        }
        seen
    };
    let mut done = std::collections::BTreeSet::new();
    let mut cycles = Vec::new();
    for &start in next.keys() {
        if done.contains(start) || !reach(start).contains(start) {
            continue;
        }
        // The shortest way around, by breadth first search.
        let mut back: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        'search: while let Some(n) = queue.pop_front() {
            for &m in next.get(n).into_iter().flatten() {
                if m == start {
                    let mut path = vec![start.to_string(), n.to_string()];
                    let mut at = n;
                    while at != start {
                        at = back[at];
                        path.push(at.to_string());
                    }
                    path.reverse();
                    cycles.push(path);
                    break 'search;
                }
                if !back.contains_key(m) && m != start {
                    back.insert(m, n);
                    queue.push_back(m);
                }
            }
        }
        // Every node of this strongly connected part is reported by this cycle's part.
        let from_start = reach(start);
        for n in from_start.iter().filter(|n| reach(n).contains(start)) {
            done.insert(*n);
        }
    }
    cycles
}
