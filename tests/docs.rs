//! The user docs under `docs/` (an mdBook's `SUMMARY.md` and its pages): every relative link
//! and image a page names exists, so the book never points at a page or picture that is gone;
//! mdBook builds the book without a warning, and every link of the built website stays inside
//! it; the generated reference pages are what the code makes today.

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

/// Every `href` and `src` of the built website's pages that is not a web address.
fn local_links(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            let target = &rest[..rest.find('"').unwrap()];
            let target = target.split(['#', '?']).next().unwrap();
            if !target.is_empty() && !target.contains(':') {
                out.push(target);
            }
        }
    }
    out
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { files(&p, out) } else { out.push(p) }
    }
}

/// mdBook (installed by deploy/test.sh from deploy/mdbook.txt) builds the book with no
/// warning, makes a page of every chapter in `SUMMARY.md`, and every link and picture of the
/// website resolves inside it: a page that links into the repository outside `docs/` (a
/// source file, a test's screenshot) would work on GitHub and break in the book.
#[test]
fn mdbook_builds_the_book_and_its_links_stay_inside_it() {
    let dest = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("mdbook")
        .args(["build", "docs", "--dest-dir"])
        .arg(dest.path())
        .output()
        .expect("mdbook is installed (deploy/test.sh installs it into target/tools/bin)");
    let log = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "mdbook build failed: {log}");
    assert!(!log.contains("WARN") && !log.contains("ERROR"), "mdbook warned: {log}");
    let summary = std::fs::read_to_string("docs/SUMMARY.md").unwrap();
    let chapters: Vec<&str> = summary
        .match_indices("](")
        .map(|(i, _)| &summary[i + 2..i + 2 + summary[i + 2..].find(')').unwrap()])
        .collect();
    assert!(chapters.len() >= 20, "{chapters:?}");
    for c in &chapters {
        let page = dest.path().join(c.replace(".md", ".html"));
        assert!(page.is_file(), "the book has no page for {c}");
    }
    let mut all = Vec::new();
    files(dest.path(), &mut all);
    let mut checked = 0;
    for page in all.iter().filter(|p| p.extension().is_some_and(|x| x == "html")) {
        // print.html holds every chapter at once, its links written for the chapters' places.
        if page.file_name().is_some_and(|n| n == "print.html") {
            continue;
        }
        let html = std::fs::read_to_string(page).unwrap();
        for target in local_links(&html) {
            let file = page.parent().unwrap().join(target);
            assert!(file.exists(), "{} links {target}, which is not in the book", page.display());
            checked += 1;
        }
    }
    assert!(checked > 500, "the book's pages link each other and their pictures ({checked} links)");
}
