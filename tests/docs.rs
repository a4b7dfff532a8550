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
