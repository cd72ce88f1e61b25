//! The top-level modules of `confab-core` form layers: no import circle between them, so each
//! can be read, tested and changed knowing only what is below it. This test reads the sources,
//! builds the graph of `crate::<module>` references between top-level modules, and fails with
//! the circle when there is one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to: `src/chat/engine.rs` → `chat`.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" => None,
        name => Some(name.trim_end_matches(".rs").to_string()),
    }
}

/// Every `crate::name` in the text, and every name of a `use crate::{a, b::c}` group.
fn references(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Nested groups hold paths below a first-level name, so only first-level names count;
            // the group ends at its matching brace.
            let mut depth = 0;
            let mut start = 0;
            let mut end = group.len();
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        end = j;
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(ident(group[start..j].trim()));
                        start = j + 1;
                    }
                    _ => {}
                }
            }
            found.insert(ident(group[start..end].trim()));
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(&src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for file in &files {
        let Some(from) = top_module(&src, file) else { continue };
        let text = std::fs::read_to_string(file).unwrap();
        for to in references(&text) {
            if to != from && modules.contains(&to) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    edges
}

/// A circle in the graph, if there is one (depth-first search with an explicit path).
fn find_circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit<'a>(
        node: &'a str,
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        marks.insert(node, Mark::OnPath);
        path.push(node);
        for next in edges.get(node).into_iter().flatten() {
            match marks.get(next.as_str()).copied().unwrap_or(Mark::New) {
                Mark::OnPath => {
                    let start = path.iter().position(|n| *n == next).unwrap();
                    let mut circle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                    circle.push(next.clone());
                    return Some(circle);
                }
                Mark::New => {
                    if let Some(circle) = visit(next, edges, marks, path) {
                        return Some(circle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in edges.keys() {
        if marks.get(node.as_str()).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(circle) = visit(node, edges, &mut marks, &mut Vec::new())
        {
            return Some(circle);
        }
    }
    None
}

#[test]
fn top_level_modules_have_no_import_circle() {
    let edges = graph();
    assert!(edges.len() > 10, "expected the core's modules, found {:?}", edges.keys());
    if let Some(circle) = find_circle(&edges) {
        panic!("import circle between top-level modules of confab-core: {}", circle.join(" → "));
    }
}

#[test]
fn the_checker_finds_circles_and_group_imports() {
    assert_eq!(
        references("use crate::{audit::{self, Actor}, domain::TenantId, store};\nlet x = crate::error::AppError::X;"),
        ["audit", "domain", "error", "store"].into_iter().map(String::from).collect()
    );
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    edges.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    edges.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(find_circle(&edges).unwrap(), ["a", "b", "c", "a"]);
    edges.insert("c".to_string(), BTreeSet::new());
    assert_eq!(find_circle(&edges), None);
}

/// Prints the layers (each module after everything it uses), for the README and reviews:
/// `cargo test -p confab-core --test module_graph -- --nocapture print_layers`.
#[test]
fn print_layers() {
    let edges = graph();
    let mut placed: BTreeMap<String, usize> = BTreeMap::new();
    while placed.len() < edges.len() {
        let before = placed.len();
        for (module, uses) in &edges {
            if !placed.contains_key(module) && uses.iter().all(|u| placed.contains_key(u)) {
                let layer = uses.iter().map(|u| placed[u] + 1).max().unwrap_or(0);
                placed.insert(module.clone(), layer);
            }
        }
        if placed.len() == before {
            return; // a circle: the test above names it
        }
    }
    let mut layers: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (module, layer) in &placed {
        layers.entry(*layer).or_default().push(module);
    }
    for (layer, modules) in layers {
        println!("layer {layer}: {}", modules.join(", "));
    }
}
