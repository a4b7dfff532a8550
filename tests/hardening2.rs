//! Issue #29, the second hardening round: one regression test per defect, named after the
//! item (`defect_NN_...`), each run against the real binary (or the real server over HTTP on
//! loopback). Each failed on the main branch before the fix that closes its class.

mod common;

use predicates::prelude::*;
use serde_json::{Value, json};

use common::{SMALL, refused, reunify, serve, write};

/// Item 8: `--threads`, `--iterations` and `--decision-years` obey one rule in every command
/// that takes them, and a value refused is refused before any work, with the flag named.
#[test]
fn defect_08_every_command_checks_its_flags_by_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", SMALL);
    let out = dir.path().join("o");
    let out = out.to_str().unwrap();
    let sc = "scenarios/england-2012-13.toml";
    for cmd in
        [vec!["run", f.as_str(), "--out", out], vec!["pilot", sc], vec!["reproduce"], vec!["reproduce", "--external"]]
    {
        let with = |extra: &[&'static str]| [cmd.clone(), extra.to_vec()].concat();
        refused(&with(&["--iterations", "4294967295"]), "--iterations 4294967295 is more than 1,000,000");
        refused(&with(&["--threads", "0"]), "--threads 0: give a number of worker threads from 1");
    }
    for cmd in [vec!["run", f.as_str(), "--out", out], vec!["pilot", sc]] {
        for years in ["1e308", "inf", "NaN", "0", "-1", "101"] {
            let arg = format!("--decision-years={years}");
            refused(&[cmd.clone(), vec![arg.as_str()]].concat(), "--decision-years");
        }
    }
    refused(&["pilot", sc, "--iterations", "9"], "--iterations must be at least 10, not 9");
    refused(&["reproduce", "--iterations", "0"], "--iterations must be at least 1, not 0");
    // A merge checks its flags before it reads a shard.
    refused(&["merge", "no-such-shard", "--threads", "0"], "--threads 0");
    refused(&["merge", "no-such-shard", "--decision-years", "1e308"], "--decision-years");
    assert!(!std::path::Path::new(out).exists(), "nothing is written when a flag is refused");
}

/// Item 8: `--threads` beyond the cores is capped with a warning by every command, not only
/// `run`.
#[test]
fn defect_08_threads_beyond_the_cores_are_capped_by_pilot_too() {
    reunify()
        .args(["pilot", "scenarios/england-2012-13.toml", "--iterations", "20", "--threads", "3000", "--sizes", "50"])
        .assert()
        .success()
        .stderr(predicate::str::contains("--threads 3000 is more than the"));
}

/// Item 1: the what-if server bounds a request's work (issue #35: by its own bound, below
/// `run`'s): a cohort of 2⁴⁰ children is refused with the reason, at once.
#[test]
fn defect_01_the_what_if_server_refuses_work_beyond_the_run_limit() {
    let s = serve("scenarios/england-2012-13.toml");
    let (code, body) = s.post(
        "/api/whatif",
        &json!({ "overrides": { "authority.England.children": 1_099_511_627_775u64 }, "iterations": 0 }),
    );
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("too large for the what-if page") && body.contains("reunify run"), "{body}");
    assert!(!body.contains("--force"), "a page cannot pass --force: {body}");
    assert_eq!(s.post("/api/whatif", &json!({})).0, 200, "the server still answers");
}

/// A raw HTTP/1.1 request on loopback, so that `Host`, `Origin` and `Content-Type` are exactly
/// what a hostile page's browser would send; returns the status and the whole response.
fn raw(url: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let code = out.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, out)
}

/// Item 3: another site's page cannot use the server: a `text/plain` POST (which browsers
/// send cross-site without asking) is refused, so is a foreign `Origin`, and a foreign `Host`
/// (a rebound DNS name) gets nothing, not even the scenario's text.
#[test]
fn defect_03_the_what_if_server_refuses_other_sites_and_foreign_hosts() {
    let s = serve("scenarios/england-2012-13.toml");
    let own = s.url.trim_start_matches("http://").trim_end_matches('/').to_string();
    let body = r#"{"overrides": {}, "iterations": 0}"#;
    let json = ("Content-Type", "application/json");
    let host = ("Host", own.as_str());
    let (code, out) = raw(
        &s.url,
        "POST",
        "/api/whatif",
        &[host, ("Content-Type", "text/plain"), ("Origin", "http://evil.example")],
        body,
    );
    assert!(code == 403 || code == 415, "{out}");
    let (code, out) = raw(&s.url, "POST", "/api/whatif", &[host, ("Content-Type", "text/plain")], body);
    assert_eq!(code, 415, "{out}");
    let (code, out) = raw(&s.url, "POST", "/api/whatif", &[host, json, ("Origin", "http://evil.example")], body);
    assert_eq!(code, 403, "{out}");
    let (code, out) = raw(&s.url, "GET", "/api/scenario", &[("Host", "evil.example:80")], "");
    assert_eq!(code, 421, "{out}");
    assert!(!out.contains("england-2012-13"), "{out}");
    let (code, _) = raw(&s.url, "GET", "/", &[("Host", "attacker.example")], "");
    assert_eq!(code, 421);
    // The page's own requests still work: its own origin, JSON, and `localhost` as the host.
    let origin = format!("http://{own}");
    let (code, out) = raw(&s.url, "POST", "/api/whatif", &[host, json, ("Origin", origin.as_str())], body);
    assert_eq!(code, 200, "{out}");
    let port = own.rsplit(':').next().unwrap();
    let local = format!("localhost:{port}");
    assert_eq!(raw(&s.url, "GET", "/api/scenario", &[("Host", local.as_str())], "").0, 200);
}

/// Item 2: "Save as scenario" works for a name that is not ASCII: the download gets an ASCII
/// fallback name and the exact name in UTF-8 (RFC 8187), never an HTTP 500.
#[test]
fn defect_02_save_as_scenario_works_for_a_name_that_is_not_ascii() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap().replacen(
        "name = \"england-2012-13\"",
        "name = \"ynys-môn–2024\"",
        1,
    );
    let f = write(dir.path(), "ynys.toml", &text);
    let s = serve(&f);
    let own = s.url.trim_start_matches("http://").trim_end_matches('/').to_string();
    let (code, out) = raw(
        &s.url,
        "POST",
        "/api/scenario.toml",
        &[("Host", own.as_str()), ("Content-Type", "application/json")],
        r#"{"overrides": {"strategy.support-for-all.cost": 4000}}"#,
    );
    assert_eq!(code, 200, "{out}");
    assert!(out.contains("filename=\"ynys-m_n_2024-what-if.toml\""), "{out}");
    assert!(out.contains("filename*=UTF-8''ynys-m%C3%B4n%E2%80%932024-what-if.toml"), "{out}");
}

/// Item 12: the header of a saved scenario gives each changed value's value before, for every
/// kind of key the page sends (it gave the horizon for a strategy's years and rule).
#[test]
fn defect_12_a_saved_scenario_names_the_values_it_replaced() {
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap();
    let sc = reunify::scenario::Scenario::from_toml_str(&text, "england-2012-13.toml").unwrap();
    let state = reunify::app::serve::State::new(sc, text, "england-2012-13.toml".into());
    let overrides = [
        ("strategy.support-for-all.cost", 4000.0),
        ("strategy.support-for-all.effect_years", 2.0),
        ("strategy.support-for-all.support_years", 1.5),
        ("strategy.targeted-support.min_risk_score", 3.0),
        ("authority.England.children", 500.0),
        ("scenario.horizon_years", 4.0),
    ];
    let saved = reunify::app::serve::saved_toml(&state, &overrides.iter().map(|(k, v)| (k.to_string(), *v)).collect())
        .unwrap_or_else(|_| panic!("refused"));
    for line in [
        "#   strategy.support-for-all.cost: 5627 -> 4000",
        "#   strategy.support-for-all.effect_years: 1 -> 2",
        "#   strategy.support-for-all.support_years: 1 -> 1.5",
        "#   strategy.targeted-support.min_risk_score: 2 -> 3",
        "#   authority.England.children: 10080 -> 500",
        "#   scenario.horizon_years: 5 -> 4",
    ] {
        assert!(saved.contains(line), "{line} not in\n{}", &saved[..800.min(saved.len())]);
    }
}

/// Item 6: a shard manifest is checked by the rules `--shard I/N` obeys: `"shards": 0` is
/// refused (it divided by zero), and one shard of a split into a million names the first few
/// missing shards and counts the rest (it built a line for each).
#[test]
fn defect_06_merge_refuses_zero_shards_and_counts_a_million_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", SMALL);
    let shard = dir.path().join("s0");
    reunify().args(["run", &f, "--shard", "0/2", "--quiet", "--out"]).arg(&shard).assert().success();
    let manifest = shard.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let out = dir.path().join("merged");
    for (shards, expect) in [("0", "shard 0 of 0 does not exist"), ("1000000", "and 999994 more shards are missing")] {
        // The split's own numbers, as a run with --shard 0/N would have written them.
        let mut m: Value = serde_json::from_str(&text).unwrap();
        let n: u64 = shards.parse().unwrap();
        let iterations = m["iterations"].as_u64().unwrap();
        m["shards"] = json!(n);
        m["last_iteration"] = json!(iterations.checked_div(n).unwrap_or(0));
        std::fs::write(&manifest, m.to_string()).unwrap();
        let o = reunify().arg("merge").arg(&shard).arg("--out").arg(&out).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(expect), "{err}");
        assert!(err.len() < 2000, "{} bytes of error", err.len());
    }
    assert!(!out.exists());
}

/// Item 10: a reader that stops reading ends the process quietly, and a full disk is a clear
/// error, never a panic.
#[test]
fn defect_10_broken_pipes_end_quietly_and_a_full_disk_is_a_clear_error() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_reunify"))
        .args(["tornado", "scenarios/holmes-2014.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the analysis prints anything, as `| head -0` would: every
    // write then meets a closed pipe.
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
    use std::os::unix::process::ExitStatusExt;
    assert!(o.status.success() || o.status.signal() == Some(13), "{:?}", o.status);
    for args in [vec!["init"], vec!["validate", "scenarios/holmes-2014.toml"]] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_reunify")).args(&args).stdout(full).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("cannot write to standard output: No space left on device"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Item 7: every command that writes checks where before any work, and never writes over
/// what is not its own: `run --checkpoint` refuses a foreign `--out` at once, `compare --out`
/// refuses a file it did not write and names its default after both folders, `pilot --out` and
/// `reproduce --external --out` refuse a run's folder, and `merge --out` refuses its own shard.
#[test]
fn defect_07_output_folders_are_checked_first_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", SMALL);
    let user = dir.path().join("notes");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("mine.txt"), "mine").unwrap();
    reunify()
        .args(["run", &f, "--checkpoint", "--quiet", "--out"])
        .arg(&user)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a reunify result"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!leftovers.iter().any(|n| n.to_string_lossy().contains("checkpoint")), "{leftovers:?}");
    // Two runs of one scenario, compared: the default page is named after both folders.
    let (a, b) = (dir.path().join("run-a"), dir.path().join("run-b"));
    for (out, seed) in [(&a, "1"), (&b, "2")] {
        reunify()
            .args(["run", &f, "--quiet", "--no-report", "--iterations", "20", "--seed", seed, "--out"])
            .arg(out)
            .assert()
            .success();
    }
    reunify().arg("compare").arg(&a).arg(&b).assert().success();
    assert!(dir.path().join("compare-run-a-vs-run-b.html").exists());
    let toml = dir.path().join("keep.toml");
    std::fs::write(&toml, SMALL).unwrap();
    reunify()
        .arg("compare")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&toml)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a comparison page"));
    assert_eq!(std::fs::read_to_string(&toml).unwrap(), SMALL, "the file is untouched");
    // A page it wrote itself may be replaced.
    reunify()
        .arg("compare")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(dir.path().join("compare-run-a-vs-run-b.html"))
        .assert()
        .success();
    // pilot and reproduce --external do not write into a run's folder.
    reunify()
        .args(["pilot", "scenarios/england-2012-13.toml", "--iterations", "20", "--sizes", "50", "--out"])
        .arg(&a)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a reunify result folder (a run)"));
    reunify()
        .args(["reproduce", "--external", "--iterations", "2", "--out"])
        .arg(&a)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a reunify result folder"));
    assert!(!a.join("evsi.csv").exists() && !a.join("validation.csv").exists());
    // merge --out cannot name one of its own shards.
    let shard = dir.path().join("s");
    reunify().args(["run", &f, "--shard", "0/1", "--quiet", "--out"]).arg(&shard).assert().success();
    reunify()
        .arg("merge")
        .arg(&shard)
        .arg("--out")
        .arg(&shard)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is one of the shards being merged"));
    assert!(shard.join("manifest.json").exists());
}

/// Runs the binary with `args`, killing it if it has not ended within two minutes (a hang,
/// not a slow run: each of these ends in about a second).
fn ends(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reunify"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..1200 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("{args:?} did not end: a chart loops on a value that is not finite");
}

/// Item 5: charts never loop on an infinite or NaN value: a damaged tornado.csv or wtp.csv
/// is redrawn (axes fall back to a finite range), and so is a huge decision-years pilot chart.
#[test]
fn defect_05_charts_end_on_infinite_and_nan_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    reunify()
        .args(["run", "scenarios/england-2012-13.toml", "--iterations", "40", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    for (table, column, value) in [
        ("tornado.csv", "high_net_saving", "inf"),
        ("wtp.csv", "evpi", "NaN"),
        ("tornado.csv", "low_net_saving", "-inf"),
    ] {
        let path = out.join(table);
        let mut rows: Vec<Vec<String>> = csv::Reader::from_path(&path)
            .unwrap()
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        let header: Vec<String> =
            csv::Reader::from_path(&path).unwrap().headers().unwrap().iter().map(str::to_string).collect();
        let i = header.iter().position(|h| h == column).unwrap();
        rows[0][i] = value.to_string();
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_record(&header).unwrap();
        for r in &rows {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
        // It ends, and (issue #35, item 23) refuses the tampered table instead of printing
        // "NaN to NaN".
        let o = ends(&["report".as_ref(), out.as_os_str()]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && e.contains("not a finite number") && e.contains(table), "{table} {value}: {e}");
        reunify()
            .args(["run", "scenarios/england-2012-13.toml", "--iterations", "40", "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
    }
}

/// Items 9 and 11: what cannot run, or would reach the terminal raw, is refused by `validate`:
/// a text longer than a workbook cell (it failed at the very end of a run), a title with an
/// escape sequence, and a name with invisible characters (a look-alike), in a scenario or
/// from a DfE table.
#[test]
fn defect_09_11_validate_refuses_long_texts_escapes_and_look_alike_names() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(32_768);
    let f = write(
        dir.path(),
        "long.toml",
        &SMALL.replacen("name = \"support\"", &format!("name = \"support\"\nsource = \"{long}\""), 1),
    );
    refused(&["validate", &f], "strategy[1].source: is 32768 characters; a text may hold at most 32767");
    let f =
        write(dir.path(), "esc.toml", &SMALL.replacen("[scenario]", "[scenario]\ntitle = \"Anyshire\\u001b[2J\"", 1));
    refused(&["validate", &f], "scenario.title: must not contain control or invisible characters");
    let f = write(dir.path(), "bidi.toml", &SMALL.replacen("name = \"support\"", "name = \"sup\u{200B}port\"", 1));
    refused(&["validate", &f], "must not contain invisible characters");
    let csv = dir.path().join("dfe.csv");
    std::fs::write(&csv, "geog_l,geog_n,CLA_ceaPar\nNATIONAL,England,20\nLA,Any\u{202E}shire,10\nLA,Anyshire,10\n")
        .unwrap();
    let out = dir.path().join("x.toml");
    reunify()
        .args(["import-dfe"])
        .arg(&csv)
        .args(["--year", "2013", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invisible characters"));
}

/// Item 9: a `[what_if]` table is held to the rules that tie values together, as the values
/// it replaces were: calibration shares that rise, and a last cohort a cohort can hold.
/// `validate` refuses both with the file and the `what_if` key, where a run failed at once.
#[test]
fn defect_09_validate_holds_what_if_values_to_the_joint_rules() {
    let dir = tempfile::tempdir().unwrap();
    let default = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap();
    let f = write(dir.path(), "shares.toml", &format!("{default}\n[what_if]\n\"reentry.target[1].share\" = 0.01\n"));
    refused(
        &["validate", &f],
        "shares.toml: what_if.reentry.target[1].share: 0.01 does not increase on the previous target 0.024",
    );
    let flow = default.replace("children = 10080", "children = 1000")
        + "\n[budget]\nfirst_financial_year = 2025\nyears = 5\ngrowth_per_year = 0.5\n";
    let ok = write(dir.path(), "flow.toml", &flow);
    reunify().args(["validate", &ok]).assert().success();
    let f = write(dir.path(), "cohort.toml", &format!("{flow}\n[what_if]\n\"authority.England.children\" = 1e12\n"));
    refused(
        &["validate", &f],
        "cohort.toml: what_if.authority.England.children: 0.5 a year makes the last cohort of England",
    );
}

/// Item 12: a DfE table that would make a scenario that does not validate is refused with the
/// table's line (an authority named like the total) or the table itself (no child at all),
/// as bad input, rather than with the scenario file that was never written.
#[test]
fn defect_12_a_bad_dfe_table_is_named_not_the_scenario_it_would_make() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.toml");
    for (body, message) in [
        (
            "LA,Anyshire,10\nLA,All,10\n",
            "dfe.csv (SFR table): line 4: authority name \"All\": \"All\" is the name of the total",
        ),
        ("LA,Anyshire,0\nLA,Barset,0\n", "dfe.csv: every local authority's count is 0"),
        ("", "dfe.csv: no local authority's row was found"),
    ] {
        let csv = dir.path().join("dfe.csv");
        std::fs::write(&csv, format!("geog_l,geog_n,CLA_ceaPar\nNATIONAL,England,20\n{body}")).unwrap();
        reunify()
            .args(["import-dfe"])
            .arg(&csv)
            .args(["--year", "2013", "--out"])
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message).and(predicate::str::contains("x.toml").not()));
        assert!(!out.exists());
    }
}

/// Item 12: files written whole (`init`, `compare`, `import-dfe`) get the user's umask, as a
/// shell's `>` would, not a temporary file's 0600.
#[test]
fn defect_12_written_files_get_the_user_s_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("new.toml");
    reunify().arg("init").arg(&f).assert().success();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let umask = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())
        .unwrap();
    assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o666 & !umask);
}

/// A number from /proc/PID/status, such as `VmRSS` (in kB) or `Threads`.
fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn rss_kb(pid: u32) -> u64 {
    status_field(pid, "VmRSS")
}

/// Item 4: the server remembers a bounded set of clients: over 2,000 requests with distinct
/// ids its memory stays flat (it grew by 235 MB), and an id longer than a page's is refused.
#[test]
fn defect_04_memory_stays_flat_over_2000_distinct_clients() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", SMALL);
    let s = serve(&f);
    let pid = s.child.id();
    let ask = |client: &str| {
        s.post("/api/whatif", &json!({ "overrides": {}, "iterations": 0, "client": client, "seq": 1 })).0
    };
    for i in 0..200 {
        assert_eq!(ask(&format!("{i:064}")), 200);
    }
    let before = rss_kb(pid);
    for i in 200..2200 {
        assert_eq!(ask(&format!("{i:064}")), 200);
    }
    let after = rss_kb(pid);
    assert!(after < before + 20_000, "RSS grew from {before} kB to {after} kB over 2,000 clients");
    assert_eq!(ask(&"x".repeat(65)), 400, "an id longer than 64 characters is refused");
}

/// Item 5: a shard record whose figures are not finite (infinite costs) is refused when it is
/// read back for a merge, so nothing after it sums or draws an infinity.
#[test]
fn defect_05_a_shard_record_with_an_infinite_figure_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", SMALL);
    let shard = dir.path().join("s");
    reunify().args(["run", &f, "--shard", "0/1", "--quiet", "--out"]).arg(&shard).assert().success();
    let sc = reunify::scenario::Scenario::from_toml_str(SMALL, "x.toml").unwrap();
    let bytes = std::fs::read(shard.join("iterations.bin")).unwrap();
    let (mut digest, rows) = reunify::app::shard::decode_record(&mut bytes.as_slice()).unwrap();
    assert_eq!(reunify::app::shard::check_record(&sc, &digest, &rows), Ok(()));
    digest.priced_support[0].0 = f64::INFINITY;
    let err = reunify::app::shard::check_record(&sc, &digest, &rows).unwrap_err();
    assert!(err.contains("infinite"), "{err}");
}

/// Item 12: comparing a base case with a PSA run does not call their difference exact.
#[test]
fn defect_12_a_base_case_against_a_psa_mean_is_not_called_exact() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", SMALL);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    reunify().args(["run", &f, "--quiet", "--no-report", "--base-case-only", "--out"]).arg(&a).assert().success();
    reunify().args(["run", &f, "--quiet", "--no-report", "--iterations", "20", "--out"]).arg(&b).assert().success();
    let o = reunify().arg("compare").arg(&a).arg(&b).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains("exact"), "{text}");
    assert!(text.contains("a base case against a PSA mean"), "{text}");
}

/// Item 12: when nothing costs anything, the break-even hazard ratio is undefined, with the
/// reason, not 50 (the top of the search).
#[test]
fn defect_12_break_even_is_undefined_when_nothing_costs_anything() {
    let dir = tempfile::tempdir().unwrap();
    let free =
        SMALL.replacen("amount = 61614", "amount = 0", 1).replacen("take_up = 0.9", "take_up = 0.9\ncost = 0", 1);
    let f = write(dir.path(), "free.toml", &free);
    let out = dir.path().join("o");
    reunify().args(["run", &f, "--quiet", "--no-report", "--base-case-only", "--out"]).arg(&out).assert().success();
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let b = &summary["breakeven"][0];
    assert!(b["breakeven_hazard_ratio"].is_null(), "{b}");
    assert!(b["undefined"].to_string().contains("nothing costs anything"), "{b}");
}

/// The server process's CPU time so far, in clock ticks (`utime + stime`, /proc/PID/stat).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name may hold spaces; the fields after it are space-separated.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn threads(pid: u32) -> u64 {
    status_field(pid, "Threads")
}

/// A what-if request for 6.6 × 10⁷ children (2 × 10⁸ child-paths, just within the page's
/// bound, seconds of work), sent on a socket of its own.
fn huge_request(url: &str, client: &str, seq: u64) -> std::net::TcpStream {
    use std::io::Write;
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let body = json!({ "overrides": { "authority.England.children": 66_000_000u64 }, "iterations": 0, "client": client, "seq": seq }).to_string();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let req = format!(
        "POST /api/whatif HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    s
}

/// Item 1: a huge base case stops when its client goes away (it kept computing for a minute),
/// and when a newer request of the same client replaces it (the newer one waited behind it).
/// Both are seen in the server's CPU time, which stops growing.
#[test]
fn defect_01_a_huge_base_case_stops_when_its_client_goes_or_is_superseded() {
    use std::io::Read;
    let s = serve("scenarios/england-2012-13.toml");
    let pid = s.child.id();
    // The client goes away.
    let gone = huge_request(&s.url, "", 0);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let busy = cpu_ticks(pid);
    drop(gone);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let (a, b) = (cpu_ticks(pid), {
        std::thread::sleep(std::time::Duration::from_secs(2));
        cpu_ticks(pid)
    });
    assert!(busy > 20, "the base case was computing ({busy} ticks)");
    assert!(b - a < 30, "still computing after its client went: {} ticks in 2 s", b - a);
    // A newer request of the same client stops the older one's base case.
    let mut older = huge_request(&s.url, "page-1", 1);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let (code, body) = s.post("/api/whatif", &json!({ "iterations": 0, "client": "page-1", "seq": 2 }));
    assert_eq!(code, 200, "{body}");
    older.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    let mut out = String::new();
    older.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 409"), "{out}");
}

/// Item 4: connections are bounded and time out. An idle connection is closed after
/// `HEADER_TIMEOUT`; beyond `MAX_CONNECTIONS` a connection is closed at once; the threads do
/// not grow with the connections; and once the idle ones are gone the server answers.
#[test]
fn defect_04_idle_connections_are_closed_and_bounded() {
    use reunify::app::serve::{HEADER_TIMEOUT, MAX_CONNECTIONS};
    use std::io::Read;
    let s = serve("scenarios/england-2012-13.toml");
    let addr = s.url.trim_start_matches("http://").trim_end_matches('/').to_string();
    let idle: Vec<std::net::TcpStream> =
        (0..MAX_CONNECTIONS).map(|_| std::net::TcpStream::connect(&addr).unwrap()).collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut extra = std::net::TcpStream::connect(&addr).unwrap();
    extra.set_read_timeout(Some(HEADER_TIMEOUT / 2)).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(extra.read(&mut buf).unwrap(), 0, "a connection beyond the bound is closed at once");
    assert!(threads(s.child.id()) < 16, "{} threads for {MAX_CONNECTIONS} connections", threads(s.child.id()));
    for mut c in idle {
        c.set_read_timeout(Some(HEADER_TIMEOUT * 3)).unwrap();
        // Closed by the server: end of stream (or a reset), not a read timeout.
        match c.read(&mut buf) {
            Ok(n) => assert_eq!(n, 0),
            Err(e) => {
                assert!(e.kind() != std::io::ErrorKind::WouldBlock && e.kind() != std::io::ErrorKind::TimedOut, "{e}")
            }
        }
    }
    assert_eq!(s.post("/api/whatif", &json!({})).0, 200, "the server answers once the idle connections are closed");
}

/// What a flag value should do by the one rule each flag has, whatever the command: `None`
/// when it is accepted, else words the refusal must contain (clap's own for a value that is
/// not of the flag's type). `min_iterations` is 10 for `pilot`, 1 elsewhere.
fn flag_rule(flag: &str, value: &str, min_iterations: u64) -> Option<String> {
    let named = format!("--{flag}");
    match flag {
        "threads" => match value.parse::<u64>() {
            Ok(0) => Some("--threads 0".into()),
            Ok(n) if n <= usize::MAX as u64 => None,
            _ => Some(named),
        },
        "iterations" => match value.parse::<u64>() {
            Ok(n) if n > u32::MAX as u64 => Some(named),
            Ok(n) if n < min_iterations => Some(format!("--iterations must be at least {min_iterations}")),
            Ok(n) if n > 1_000_000 => Some(format!("--iterations {n} is more than 1,000,000")),
            Ok(_) => None,
            Err(_) => Some(named),
        },
        "seed" => value.parse::<u64>().is_err().then_some(named),
        "decision-years" => match value.parse::<f64>() {
            Ok(y) if y.is_finite() && y > 0.0 && y <= 100.0 => None,
            _ => Some(named),
        },
        _ => unreachable!(),
    }
}

/// Values a user might type for a number: in and out of range, huge, negative, not numbers.
fn flag_value() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        (0u64..20).prop_map(|n| n.to_string()),
        (0u64..2_000_000).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        Just("4294967295".to_string()),
        Just("18446744073709551616".to_string()),
        (-1e6f64..1e6).prop_map(|x| format!("{x}")),
        prop::sample::select(vec![
            "inf", "-inf", "NaN", "1e308", "-0", "0.5", "100", "100.0001", "abc", "", "3 ", "0x10"
        ])
        .prop_map(str::to_string),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..proptest::prelude::ProptestConfig::default() })]

    /// Item 8, as a property: for every command that simulates and any value of each of its
    /// flags, the command either goes on to its work or exits 2 before any work, naming the
    /// flag. The command is pointed at input it cannot use (a scenario file that does not
    /// exist, or a result folder as `--out`), so going on to its work shows as the error about
    /// that input, which every command meets only after checking its flags; nothing is written.
    #[test]
    fn every_flag_of_every_command_runs_or_is_refused_first_naming_it(
        command in 0usize..5,
        flag in proptest::sample::select(vec!["threads", "iterations", "seed", "decision-years"]),
        value in flag_value(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let result = dir.path().join("result");
        std::fs::create_dir(&result).unwrap();
        std::fs::write(result.join(".reunify"), "reunify result folder: run\n").unwrap();
        let missing = dir.path().join("missing.toml");
        let out = dir.path().join("out");
        let (m, r, o) = (missing.to_str().unwrap(), result.to_str().unwrap(), out.to_str().unwrap());
        let (args, flags, min, later): (Vec<&str>, &[&str], u64, String) = match command {
            0 => (vec!["run", m, "--out", o], &["threads", "iterations", "seed", "decision-years"], 1, format!("cannot read {m}")),
            1 => (vec!["pilot", m], &["threads", "iterations", "seed", "decision-years"], 10, format!("cannot read {m}")),
            2 => (vec!["merge", m], &["threads", "decision-years"], 1, m.to_string()),
            3 => (vec!["reproduce", "--external", "--out", r], &["threads", "iterations"], 1, "is a reunify result folder".into()),
            _ => (vec!["run", m, "--out", o, "--checkpoint"], &["threads", "iterations", "seed", "decision-years"], 1, format!("cannot read {m}")),
        };
        proptest::prop_assume!(flags.contains(&flag));
        let arg = format!("--{flag}={value}");
        let output = reunify().args(&args).arg(&arg).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        proptest::prop_assert_eq!(output.status.code(), Some(2), "{:?} {}: {}", args, arg, stderr);
        match flag_rule(flag, &value, min) {
            Some(words) => proptest::prop_assert!(stderr.contains(&words), "{:?} {}: expected {:?} in {}", args, arg, words, stderr),
            None => proptest::prop_assert!(stderr.contains(&later), "{:?} {}: expected to go on to {:?}: {}", args, arg, later, stderr),
        }
        proptest::prop_assert!(!out.exists(), "nothing is written");
    }
}
