//! The what-if page in a real browser (issue #18): headless Chromium driven through WebDriver
//! (ChromeDriver, with the fantoccini crate). The test changes the price from the keyboard,
//! waits for the page to update, and checks the net saving shown against
//! `POST /api/whatif` for the same values and against `reunify run` on the saved scenario.
//! It takes a screenshot into the test's output folder, and runs axe-core: no serious or
//! critical WCAG 2.1 A/AA violations. deploy/test.sh installs Chromium, ChromeDriver and
//! axe-core; nothing here skips when one is missing.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use serde_json::{Value, json};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn chromedriver() -> (Killed, String) {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver runs (deploy/test.sh installs chromium-driver)");
    let url = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Killed(child), url)
}

/// A headless Chromium session through `webdriver`, 1280 × 1000.
async fn session(webdriver: &str) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": "/usr/bin/chromium", "args": ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"] }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(webdriver)
        .await
        .expect("a Chromium session")
}

fn post(url: &str, body: &Value) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut r = agent.post(url).header("Content-Type", "application/json").send(body.to_string()).unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.body_mut().read_to_string().unwrap()
}

/// Waits until the page shows an answer with `iterations` simulations to a request at least
/// `seq`, and returns the net saving it shows for `strategy`.
async fn shown(c: &fantoccini::Client, seq: u64, iterations: u64, strategy: &str) -> f64 {
    let start = Instant::now();
    loop {
        let state = c
            .execute(
                "return [document.body.dataset.shownSeq || '0', document.body.dataset.iterations || '-1',
                         Array.from(document.querySelectorAll('td[data-net-saving]')).filter(td => td.dataset.strategy === arguments[0]).map(td => td.dataset.netSaving)[0] || ''];",
                vec![json!(strategy)],
            )
            .await
            .unwrap();
        let s: u64 = state[0].as_str().unwrap().parse().unwrap();
        let k: i64 = state[1].as_str().unwrap().parse().unwrap();
        if s >= seq && k == iterations as i64 {
            return state[2].as_str().unwrap().parse().unwrap();
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the page did not update: {state:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_what_if_page_updates_from_the_keyboard_matches_the_api_and_the_run_and_passes_axe() {
    let server = common::serve("scenarios/england-2012-13.toml");
    let url = server.url.clone();
    let (_driver, webdriver) = chromedriver();
    let c = session(&webdriver).await;
    c.goto(&url).await.unwrap();
    // The first update: the base case, then 200 simulations.
    let before = shown(&c, 1, 200, "support-for-all").await;

    // The price, from the keyboard: select the field, type, and Tab away (a change event).
    let price = c.find(Locator::Css(r#"input[data-key="strategy.support-for-all.cost"]"#)).await.unwrap();
    price.clear().await.unwrap();
    price.send_keys("3000").await.unwrap();
    price.send_keys("\u{E004}").await.unwrap();
    let after = shown(&c, 2, 200, "support-for-all").await;
    assert_ne!(before, after, "the net saving moved with the price");

    // The same figure from the API and from reunify run on the saved scenario.
    let overrides = json!({ "strategy.support-for-all.cost": 3000.0 });
    let api: Value =
        serde_json::from_str(&post(&format!("{url}api/whatif"), &json!({ "overrides": overrides, "iterations": 200 })))
            .unwrap();
    let from_api = api["strategies"].as_array().unwrap().iter().find(|s| s["strategy"] == "support-for-all").unwrap()
        ["net_saving"]
        .as_f64()
        .unwrap();
    assert_eq!(after, from_api);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.toml");
    std::fs::write(&saved, post(&format!("{url}api/scenario.toml"), &json!({ "overrides": overrides }))).unwrap();
    let out = dir.path().join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_reunify"))
        .arg("run")
        .arg(&saved)
        .args(["--iterations", "200", "--quiet", "--no-report", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let row = summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["strategy"] == "support-for-all"
                && r["authority"] == "all"
                && r["kind"] == "increment"
                && r["metric"] == "net_saving"
        })
        .unwrap();
    assert_eq!(row["mean"].as_f64().unwrap(), after);

    // A value out of range: the validation message beside the control.
    let take_up = c.find(Locator::Css(r#"input[data-key="strategy.support-for-all.take_up"]"#)).await.unwrap();
    take_up.clear().await.unwrap();
    take_up.send_keys("1.3").await.unwrap();
    take_up.send_keys("\u{E004}").await.unwrap();
    let id = take_up.attr("id").await.unwrap().unwrap();
    let start = Instant::now();
    let message = loop {
        let m = c.find(Locator::Id(&format!("{id}-e"))).await.unwrap().text().await.unwrap();
        if !m.is_empty() {
            break m;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no message beside the control");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(message.contains("1.3 is not a probability (0 to 1)"), "{message}");
    take_up.clear().await.unwrap();
    take_up.send_keys("0.85\u{E004}").await.unwrap();
    shown(&c, 4, 200, "support-for-all").await;

    // The page from its top, as a reader first sees it.
    c.execute("document.activeElement.blur(); window.scrollTo(0, 0);", vec![]).await.unwrap();
    let png = c.screenshot().await.unwrap();
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("what-if.png"), &png).unwrap();
    assert_eq!(&png[1..4], b"PNG");

    // #30: what a person reads on the page names strategies, risk factors and cost lines by
    // their labels; the identifiers stay in the controls' keys and the API.
    let text = c.execute("return document.body.innerText;", vec![]).await.unwrap();
    let text = text.as_str().unwrap();
    assert!(text.contains("Support for all"), "{text}");
    for id in ["support-for-all", "targeted-support", "usual-care", "aged_over_10", "previous_failed_return"] {
        assert!(!text.contains(id), "the page shows the identifier {id}:\n{text}");
    }

    assert_eq!(axe_violations(&c).await, json!([]), "axe-core violations");
    c.close().await.unwrap();
}

/// axe-core on the page `c` shows, WCAG 2.1 A and AA rules: the serious and critical
/// violations, each with where it is.
async fn axe_violations(c: &fantoccini::Client) -> Value {
    let axe = std::fs::read_to_string("deploy/browser/node_modules/axe-core/axe.min.js")
        .expect("axe-core is installed (deploy/test.sh runs npm ci in deploy/browser)");
    c.execute(&axe, vec![]).await.unwrap();
    c.execute_async(
        "const done = arguments[arguments.length - 1];
         axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
           .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
           .catch(e => done(['axe failed: ' + e]));",
        vec![],
    )
    .await
    .unwrap()
}

/// #30: the report passes the same axe-core check as the what-if page, and every chart in it
/// has a text alternative that states its message (not only its title).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_passes_axe_and_every_chart_has_a_text_alternative() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let run = Command::new(env!("CARGO_BIN_EXE_reunify"))
        .args(["run", "scenarios/england-2012-13.toml", "--iterations", "40", "--quiet", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(run.success());
    let (_driver, webdriver) = chromedriver();
    let c = session(&webdriver).await;
    c.goto(&format!("file://{}", out.join("report.html").display())).await.unwrap();
    let charts: Value = c
        .execute(
            "return Array.from(document.querySelectorAll('figure')).map(f => {
               const svg = f.querySelector('svg');
               const img = f.querySelector('img');
               // A text diagram (<pre>) is its own text.
               const alt = svg ? (svg.getAttribute('aria-label') || '') : (img ? img.alt : f.textContent);
               return alt;
             });",
            vec![],
        )
        .await
        .unwrap();
    let charts = charts.as_array().unwrap();
    assert!(charts.len() >= 10, "{} charts", charts.len());
    for alt in charts {
        let alt = alt.as_str().unwrap();
        // A message has figures in it or says what the chart shows at length, not a bare title.
        assert!(alt.split_whitespace().count() >= 8, "a chart's text alternative is only {alt:?}");
    }
    assert_eq!(axe_violations(&c).await, json!([]), "axe-core violations in the report");
    c.close().await.unwrap();
}
