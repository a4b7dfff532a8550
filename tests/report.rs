//! The report: every chart as PNG and SVG, a self-contained report.html whose numbers are
//! summary.json's, SVGs that parse as XML, and a page that renders in headless Chromium.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use reunify::analysis::Kind;
use reunify::metric::Metric;
use reunify::results::SummaryFile;
use reunify::results::format::{count as thousands, money, percent0};

const CHARTS: [&str; 16] = [
    "decision",
    "reentry_curve",
    "costs",
    "net_saving",
    "ce_plane",
    "outcomes",
    "tornado",
    "two_way",
    "acceptability",
    "evppi",
    "validation",
    "wtp",
    "evppi_wtp",
    "evpi_curve",
    "enb",
    "evsi",
];

/// Writes `text` to `dir/name`, runs it quietly into `dir/out` and returns that folder.
fn run_text(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    Command::cargo_bin("reunify")
        .unwrap()
        .args(["run", file.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"])
        .assert()
        .success();
    out
}

fn run_small(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml")
        .unwrap()
        .replace("children = 10080", "children = 2000")
        .replace("iterations = 1000", "iterations = 40");
    run_text(dir, "small.toml", &text)
}

#[test]
fn a_run_writes_every_chart_and_a_self_contained_report_with_summary_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path());
    for c in CHARTS {
        let png = std::fs::read(out.join(format!("{c}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{c}.png");
        let svg = std::fs::read_to_string(out.join(format!("{c}.svg"))).unwrap();
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{c}.svg is not XML: {e}"));
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // The only addresses are SVG's namespace names, which are never fetched.
    let addresses: Vec<&str> = html.match_indices("http").map(|(i, _)| &html[i..(i + 30).min(html.len())]).collect();
    assert!(addresses.iter().all(|a| a.starts_with("http://www.w3.org/")), "network addresses: {addresses:?}");
    assert!(!html.contains("<script"), "no JavaScript");
    assert!(html.contains("per breakdown averted, targeted support is the better choice"), "where the decision turns");
    assert!(html.contains("where the choice is most uncertain, perfect information would be worth"), "EVPI there");
    assert!(!html.contains("src=\"http"), "no external resources");
    assert_eq!(html.matches("<svg").count(), CHARTS.len(), "every chart inlined");

    let summary: SummaryFile =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let mean = |s: &str, kind: Kind, m: Metric| {
        summary
            .rows
            .iter()
            .find(|r| r.authority == "all" && r.strategy == s && r.kind == kind && r.metric == m)
            .and_then(|r| r.stat.mean)
            .unwrap()
    };
    for st in &summary.strategies {
        assert!(html.contains(&st.display_label()), "{}", st.display_label());
    }
    // Targeted support is `same_as` support for all: the inputs table says one draw drives both.
    let effect = summary.inputs.iter().find(|p| p.key == "strategy.support-for-all.hr_reentry").unwrap();
    assert_eq!(effect.strategies, ["support-for-all", "targeted-support"]);
    assert!(html.contains("one draw for Support for all, Targeted support"));
    // "What would it take?" comes before the summary table and quotes summary.json's break-even.
    let what = html.find("What would it take?").expect("break-even section");
    assert!(what < html.find("Summary by strategy").unwrap());
    for b in &summary.breakeven {
        assert!(
            html.contains(&format!("prevents at least {} of the", thousands(b.breakdowns_to_avert.unwrap().ceil())))
        );
        assert!(html.contains(&format!("cost-neutral at a price of up to {}", money(b.max_affordable_price.unwrap()))));
    }
    for st in summary.strategies.iter().skip(1) {
        let n = &st.name;
        let net = mean(n, Kind::Increment, Metric::NetSaving);
        let net_text = if net >= 0.0 {
            format!("It pays for itself: net saving {}", money(net))
        } else {
            format!("It does not pay for itself: net cost {}", money(-net))
        };
        for needle in [
            net_text,
            format!("costs {} in support", money(mean(n, Kind::Increment, Metric::SupportCost))),
            format!("averts {} breakdowns", thousands(mean(n, Kind::Increment, Metric::BreakdownsAverted))),
            format!("probability of saving money {}", percent0(mean(n, Kind::Increment, Metric::SavesMoney))),
        ] {
            assert!(html.contains(&needle), "headline for {n} lacks {needle:?}");
        }
    }
}

#[test]
fn the_report_can_be_redrawn_from_a_saved_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path());
    let before = std::fs::read_to_string(out.join("report.html")).unwrap();
    std::fs::remove_file(out.join("report.html")).unwrap();
    std::fs::remove_file(out.join("costs.png")).unwrap();
    Command::cargo_bin("reunify").unwrap().args(["report", out.to_str().unwrap()]).assert().success();
    assert_eq!(std::fs::read_to_string(out.join("report.html")).unwrap(), before);
    assert!(out.join("costs.png").exists());
}

/// A run's own report sums the PSA from the digests in memory; a redrawn one sums the
/// `iterations` table it wrote. Over many authorities, in flow mode and over more iterations
/// than one block of the simulation, the two pages are the same.
#[test]
fn a_many_authority_runs_report_is_the_one_redrawn_from_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string("scenarios/england-2012-13.toml")
        .unwrap()
        .replace("iterations = 1000", "iterations = 70");
    let start = text.find("[[authority]]").expect("the default scenario names its authority");
    let end = text[start..].find("\n\n").map_or(text.len(), |e| start + e);
    text.replace_range(
        start..end,
        "[[authority]]\nname = \"North\"\nchildren = 900\n\n[[authority]]\nname = \"South\"\nchildren = 650\n\n[[authority]]\nname = \"East\"\nchildren = 1200",
    );
    text.push_str("\n[budget]\nfirst_financial_year = 2025\nyears = 3\n");
    let out = run_text(dir.path(), "three.toml", &text);
    let from_run = std::fs::read_to_string(out.join("report.html")).unwrap();
    let plane = std::fs::read_to_string(out.join("ce_plane.svg")).unwrap();
    Command::cargo_bin("reunify").unwrap().args(["report", out.to_str().unwrap()]).assert().success();
    assert_eq!(std::fs::read_to_string(out.join("ce_plane.svg")).unwrap(), plane);
    assert_eq!(std::fs::read_to_string(out.join("report.html")).unwrap(), from_run);
    assert!(from_run.contains("East") && from_run.contains("Budget by financial year"));
}

/// Chromium's path. The README's test command (`deploy/test.sh`) installs it; a test that
/// skipped without it would pass without testing the report.
fn chromium() -> PathBuf {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("Chromium is not installed: run the tests with `bash deploy/test.sh`, which installs it")
}

/// Headless Chromium as this machine needs it: no sandbox (root), no GPU, and no background
/// networking (the closed network refuses it), with its own empty profile.
fn headless(profile: &Path) -> Process {
    let mut p = Process::new(chromium());
    p.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    p.arg(format!("--user-data-dir={}", profile.display()));
    p
}

#[test]
fn the_report_renders_in_headless_chromium_without_console_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path());
    let shot = dir.path().join("shot.png");
    let profile = dir.path().join("profile");
    let url = format!("file://{}", out.join("report.html").display());
    let result = headless(profile.as_path())
        .args([
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,1600",
            &format!("--screenshot={}", shot.display()),
            &url,
        ])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "chromium failed: {log}");
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE") || l.contains("Uncaught")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    // The screenshot is not blank: it has many distinct colours, not one background.
    let img = image::open(&shot).unwrap().to_rgb8();
    let mut colours = std::collections::BTreeSet::new();
    for p in img.pixels().step_by(7) {
        colours.insert(p.0);
    }
    assert!(colours.len() > 20, "screenshot looks blank ({} colours)", colours.len());
}

#[test]
fn a_flow_mode_run_adds_the_budget_chart_and_section() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string("scenarios/holmes-2014.toml").unwrap().replace("iterations = 200", "iterations = 20");
    let out = run_text(dir.path(), "h.toml", &text);
    let png = std::fs::read(out.join("budget.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let svg = std::fs::read_to_string(out.join("budget.svg")).unwrap();
    roxmltree::Document::parse(&svg).unwrap();
    assert!(svg.contains("2013-14") && svg.contains("2015-16"), "financial years label the axis");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Budget by financial year"));
    let summary: SummaryFile =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let p = &summary.budget.as_ref().unwrap().payback[0];
    // The sentence quotes the break-even per year of the cycle (306.9, rounded up).
    assert!(html.contains(&format!(
        "must avert {} breakdowns a year",
        thousands(p.breakdowns_to_avert_per_year.unwrap().ceil())
    )));
    assert!(html.contains("307"));
}

/// Runs headless Chromium on `page` with a 1280×800 window and returns the DOM after load.
fn dump_dom(page: &Path, profile: &Path) -> String {
    let out = headless(profile)
        .args(["--window-size=1280,800", "--dump-dom", &format!("file://{}", page.display())])
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn the_verdict_is_on_the_first_screen_at_1280_by_800() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // The report has no script; a copy gets one that measures the laid-out page, in a real
    // browser, and writes the bottom of the verdict and the window's height into the title.
    let probe = html.replace(
        "</body>",
        r##"<script>window.addEventListener("load", () => {
  const ps = [...document.querySelectorAll("#verdict p.headline")];
  const bottom = Math.max(...ps.map(p => p.getBoundingClientRect().bottom));
  document.title = "PROBE " + ps.length + " " + Math.ceil(bottom) + " " + window.innerHeight;
});</script></body>"##,
    );
    let page = dir.path().join("probe.html");
    std::fs::write(&page, probe).unwrap();
    let dom = dump_dom(&page, &dir.path().join("profile"));
    let title = dom.split("<title>").nth(1).and_then(|t| t.split("</title>").next()).unwrap();
    let numbers: Vec<f64> = title.strip_prefix("PROBE ").unwrap().split(' ').map(|x| x.parse().unwrap()).collect();
    let (paragraphs, bottom, height) = (numbers[0], numbers[1], numbers[2]);
    assert_eq!(paragraphs, 2.0, "one verdict per strategy");
    assert!(bottom <= height, "the verdict ends at {bottom}px, below the first screen ({height}px)");
    // And the verdict comes first: before the ranked table, the decision chart and the detail.
    let verdict = html.find("The verdict").unwrap();
    assert!(verdict < html.find("Strategies ranked").unwrap());
    assert!(html.find("Strategies ranked").unwrap() < html.find("<svg").unwrap());
}

#[test]
fn names_with_markup_are_shown_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml")
        .unwrap()
        .replace("children = 10080", "children = 500")
        .replace("iterations = 1000", "iterations = 5")
        .replace("title = \"", "title = \"<b>bold</b> & ")
        .replace("\"targeted-support\"", "\"t<script>alert(1)</script>\"");
    assert!(text.contains("t<script>"), "the scenario's strategy name moved");
    let out = run_text(dir.path(), "x.toml", &text);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("<script"), "a name became markup");
    assert!(!html.contains("<b>bold"), "the title became markup");
    assert!(html.contains("t&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;b&gt;bold&lt;/b&gt; &amp; "));
    // The browser shows the name as text.
    let dom = dump_dom(&out.join("report.html"), &dir.path().join("profile"));
    assert!(dom.contains("t&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!dom.contains("<script"));
}

/// The cost-effectiveness plane draws the first 2,000 simulations, and says so, however many
/// the run has: the report and its charts do not grow with the iterations.
#[test]
fn the_plane_draws_at_most_2000_simulations_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml")
        .unwrap()
        .replace("children = 10080", "children = 40")
        .replace("iterations = 1000", "iterations = 2100");
    let out = run_text(dir.path(), "many.toml", &text);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Each dot is one simulation (the first 2,000 of 2,100)"));
    let svg = std::fs::read_to_string(out.join("ce_plane.svg")).unwrap();
    let dots = svg.matches("<circle").count();
    // Two strategies against the comparator, 2,000 dots each, and one legend marker each.
    assert_eq!(dots, 2 * 2000 + 2, "{dots} circles");
}

/// A cohort above `SAMPLE_CHILDREN` finds its break-even effect on a sample of the children,
/// and the run says so: in `summary.json` (the sample and the ratio's Monte Carlo error, below
/// the 0.005 it is shown to) and in the report, beside the break-even sentence; the tornado's
/// and the two-way grid's captions give their own samples.
#[test]
fn a_large_cohort_reports_the_sample_its_break_even_re_simulated() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml")
        .unwrap()
        .replace("children = 10080", "children = 1000000")
        .replace("iterations = 1000", "iterations = 2");
    let out = run_text(dir.path(), "large.toml", &text);
    let summary: SummaryFile =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let r = summary.resimulated.as_ref().expect("the analyses re-simulated a sample");
    assert_eq!(r.children, 1_000_000);
    let n = r.breakeven.expect("break-even on a sample");
    assert!((reunify::sample::FIRST_SAMPLE..500_000).contains(&n), "{n} children");
    for b in &summary.breakeven {
        assert_eq!(b.resimulated_children, Some(n));
        let e = b.breakeven_hazard_ratio_mc_error.unwrap();
        assert!(e > 0.0 && e <= reunify::decision::HR_ROUNDING, "{e}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let note = format!(
        "The break-even effect re-simulates a sample of {} of the 1,000,000 children",
        reunify::results::format::count(n as f64)
    );
    assert!(html.contains(&note), "no note: {note}");
    // The tornado and the two-way grid say what shares the sampled children, and what their
    // largest error is below.
    let (t, w) = (r.tornado.expect("a sampled tornado"), r.two_way.expect("a sampled grid"));
    for (n, every, below) in [(t, "bar", "the chart's width"), (w, "square", "the range its colours span, from £0")] {
        let note = format!(
            "it re-simulates a sample of {} of the 1,000,000 children (the same children for every {every})",
            reunify::results::format::count(n as f64)
        );
        assert!(html.contains(&note), "no note: {note}");
        assert!(html.contains(&format!("less than a hundredth of {below}")), "{below}");
    }
}

/// The CHEERS 2022 appendix answers all 28 items, in order, from the scenario and run: the
/// discount rate, price year, horizon, comparators and PSA iterations are this run's own, and
/// every item it cannot answer says "Not reported" and why. A scenario without a price year
/// leaves item 15 unreported.
#[test]
fn the_cheers_appendix_answers_each_item_from_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_small(dir.path());
    let d = reunify::report::ReportData::load(&out, None).unwrap();
    let items = reunify::report::cheers::items(&d);
    assert_eq!(items.iter().map(|i| i.number).collect::<Vec<_>>(), (1..=28).collect::<Vec<u8>>());
    let answer = |n: u8| items[n as usize - 1].answer.clone();
    assert!(answer(10).contains("3.5% a year"), "{}", answer(10));
    assert!(answer(15).contains("2014 prices"), "{}", answer(15));
    assert!(answer(9).starts_with("5 years"), "{}", answer(9));
    for name in ["Usual care", "Support for all", "Targeted support"] {
        assert!(answer(7).contains(name), "{}", answer(7));
    }
    assert!(answer(20).contains("40 iterations"), "{}", answer(20));
    // The population names the risk factors by the scenario's labels, not their names.
    assert!(answer(5).contains("earlier failed return 33.0%"), "{}", answer(5));
    assert!(!answer(5).contains("previous failed return"), "{}", answer(5));
    assert!(answer(12).contains("30.0% back in care by 5 years"), "{}", answer(12));
    assert!(answer(20).contains("EVSI and ENBS of a local pilot"), "{}", answer(20));
    for i in &items {
        assert_eq!(i.answer.starts_with("Not reported"), !i.reported, "item {}: {}", i.number, i.answer);
    }
    for n in [2, 4, 19, 21, 25, 27, 28] {
        assert!(!items[n - 1].reported, "item {n}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(r#"<h2 id="cheers">Appendix: CHEERS 2022 checklist</h2>"#));
    assert_eq!(html.matches("<tr class=\"not-reported\">").count(), items.iter().filter(|i| !i.reported).count());

    let text = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap().replace("price_year = 2014\n", "");
    let out = run_text(dir.path(), "no-price-year.toml", &text.replace("iterations = 1000", "iterations = 20"));
    let d = reunify::report::ReportData::load(&out, None).unwrap();
    let items = reunify::report::cheers::items(&d);
    assert!(!items[14].reported && items[14].answer.contains("no price year"), "{}", items[14].answer);
}
