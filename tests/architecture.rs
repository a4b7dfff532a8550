//! The code's shape, checked from its source text so that anyone can run it with
//! `cargo test --test architecture`:
//! - the core's modules import one another without cycles (each `crate::x` path, in `use`
//!   lines or written out, is an edge from the file's top-level module to `x`; comments do
//!   not count);
//! - the core never imports the outer layers (`app`, `report`, `results`);
//! - the core never prints, reads files, reads the environment or sees clap.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers around the core: they read files, print and exit. Everything else is core.
const OUTER: [&str; 3] = ["app", "report", "results"];
/// The crate's roots, which declare modules rather than use them.
const ROOTS: [&str; 2] = ["lib", "main"];

/// Every `.rs` file under `src`, with the top-level module it belongs to.
fn sources() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).unwrap();
                let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
                let module = first.trim_end_matches(".rs").to_string();
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((module, rel.display().to_string(), code_of(&text)));
            }
        }
    }
    out.sort();
    out
}

/// The code of a file without its comments and without its unit tests (which may reach
/// anywhere in the crate without making the modules depend on one another).
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let code = match line.find("//") {
            // A `//` inside a string literal ("https://...") is not a comment; such lines
            // hold no paths worth seeing, so cutting them there loses nothing.
            Some(at) => &line[..at],
            None => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The top-level modules a file's code names through `crate::`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::{c, d}}`: the first segment of each top-level item.
            let mut depth = 0;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                    _ if depth == 0 => item.push(c),
                    _ => {}
                }
            }
            items.push(item);
            for it in items {
                let first: String = it.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !first.is_empty() && first != "self" {
                    out.insert(first);
                }
            }
        } else {
            let first: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !first.is_empty() {
                out.insert(first);
            }
        }
    }
    out
}

/// Module → the modules it imports.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, _, code) in sources() {
        if ROOTS.contains(&module.as_str()) {
            continue;
        }
        let deps: Vec<String> = imports(&code).into_iter().filter(|d| *d != module).collect();
        g.entry(module).or_default().extend(deps);
    }
    g
}

fn is_core(m: &str) -> bool {
    !OUTER.contains(&m) && !ROOTS.contains(&m)
}

/// A shortest path of imports from `from` to `to`, if there is one.
fn path(g: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> Option<Vec<String>> {
    let mut previous: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from.to_string()]);
    while let Some(m) = queue.pop_front() {
        for d in g.get(&m).into_iter().flatten() {
            if d == to {
                let mut out = vec![to.to_string(), m.clone()];
                let mut at = m.clone();
                while let Some(p) = previous.get(&at) {
                    out.push(p.clone());
                    at = p.clone();
                }
                out.reverse();
                return Some(out);
            }
            if d != from && !previous.contains_key(d) && is_core(d) {
                previous.insert(d.clone(), m.clone());
                queue.push_back(d.clone());
            }
        }
    }
    None
}

#[test]
fn the_parser_reads_use_lines_and_written_out_paths() {
    let code = code_of(
        "use crate::{analysis::{self, View}, digest::RunDigest, self};\n\
         let x = crate::sim::run(); // crate::report is only mentioned\n\
         #[cfg(test)]\nmod tests { use crate::app; }\n",
    );
    let got: Vec<String> = imports(&code).into_iter().collect();
    assert_eq!(got, ["analysis", "digest", "sim"]);
}

#[test]
fn the_core_has_no_import_cycles() {
    let g = graph();
    assert!(g.len() > 15, "too few modules found: {:?}", g.keys());
    let mut cycles = Vec::new();
    for (m, deps) in &g {
        if !is_core(m) {
            continue;
        }
        for d in deps.iter().filter(|d| is_core(d)) {
            if let Some(back) = path(&g, d, m) {
                cycles.push(format!("{m} → {}", back.join(" → ")));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles among the core's modules:\n{}", cycles.join("\n"));
}

#[test]
fn the_core_never_imports_the_outer_layers() {
    let mut wrong = Vec::new();
    for (module, file, code) in sources() {
        if !is_core(&module) {
            continue;
        }
        for d in imports(&code) {
            if OUTER.contains(&d.as_str()) {
                wrong.push(format!("{file} imports {d}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_core_never_prints_reads_files_or_the_environment() {
    let forbidden = [
        "println!",
        "print!(",
        "eprintln!",
        "eprint!(",
        "dbg!",
        "std::fs",
        "std::env",
        "std::io::stdin",
        "std::process",
        "clap::",
        "File::open",
        "thread_rng",
    ];
    let mut wrong = Vec::new();
    for (module, file, code) in sources() {
        if !is_core(&module) {
            continue;
        }
        for f in forbidden {
            if code.contains(f) {
                wrong.push(format!("{file} uses {f}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
