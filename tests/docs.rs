//! The user docs under `docs/` (an mdBook's `SUMMARY.md` and its pages): every relative link
//! and image a page names exists, so the book never points at a page or picture that is gone.

use std::path::{Path, PathBuf};

fn pages(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            pages(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut all = Vec::new();
    pages(Path::new("docs"), &mut all);
    // The README links into the book.
    all.push(PathBuf::from("README.md"));
    assert!(all.iter().any(|p| p.ends_with("SUMMARY.md")), "docs/SUMMARY.md exists");
    let mut checked = 0;
    for page in &all {
        let text = std::fs::read_to_string(page).unwrap();
        // Markdown links and images: ](target)
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let target = &rest[..rest.find(')').unwrap()];
            if target.contains("://") || target.starts_with('#') {
                continue;
            }
            let file = target.split('#').next().unwrap();
            let path = page.parent().unwrap().join(file);
            assert!(path.exists(), "{}: {target} does not exist", page.display());
            checked += 1;
        }
    }
    assert!(checked >= 4, "the docs link to their pages and pictures ({checked} links)");
}

/// The reference pages are generated from the code (`reunify::app::docs`): the command line
/// from clap, the scenario format from the template, the outputs from the table types. A page
/// that differs from what the code makes is stale; `REUNIFY_BLESS=1 cargo test --test docs`
/// rewrites it.
#[test]
fn the_generated_reference_pages_are_up_to_date() {
    let bless = std::env::var_os("REUNIFY_BLESS").is_some();
    let mut stale = Vec::new();
    for (page, text) in reunify::app::docs::pages() {
        let path = Path::new("docs").join(page);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated pages (run `REUNIFY_BLESS=1 cargo test --test docs` and commit them): {}",
        stale.join(", ")
    );
    let summary = std::fs::read_to_string("docs/SUMMARY.md").unwrap();
    for (page, _) in reunify::app::docs::pages() {
        assert!(summary.contains(&format!("({page})")), "docs/SUMMARY.md links {page}");
    }
}
