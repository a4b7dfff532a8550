//! Issue #15, items 1, 2 and 9: `--out` never destroys what is not a reunify result, the swap
//! into place survives a kill at any instant, stale leftovers are harmless, two runs into one
//! folder never mix, and SIGINT / SIGTERM / SIGKILL sent to the real binary keep the previous
//! result whole. Signals are real: they are sent with `kill(2)` to the spawned process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;

mod common;
use common::{SMALL, reunify, write};

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("reunify")
}

/// Runs SMALL into `out` to completion with `extra` flags.
fn run_to(dir: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let file = write(dir, "small.toml", SMALL);
    reunify()
        .args(["run", &file, "--out", out.to_str().unwrap(), "--quiet", "--no-report"])
        .args(extra)
        .output()
        .unwrap()
}

/// Starts a long run of SMALL into `out` (many iterations), without waiting.
fn spawn_long(dir: &Path, out: &Path, seed: &str) -> Child {
    let file = write(dir, "small.toml", SMALL);
    Command::new(bin())
        .args(["run", &file, "--out", out.to_str().unwrap(), "--quiet", "--iterations", "200000", "--seed", seed])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Hidden entries beside `out` that belong to it (staging, locks, set-aside folders).
fn leftovers(out: &Path) -> Vec<String> {
    let name = out.file_name().unwrap().to_string_lossy().to_string();
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(&format!(".{name}.")))
        .collect()
}

/// Waits (up to a minute, a liveness bound and not a timing) until `f` holds.
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: sends a signal to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

/// Waits for the child to exit (up to a minute) and returns its code and standard error.
fn finish(mut child: Child) -> (Option<i32>, String) {
    wait_for("the run to exit", || child.try_wait().unwrap().is_some());
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
}

/// The files that identify a result: its seed (run.json) and its summary and iteration rows.
fn fingerprint(out: &Path) -> (u64, Vec<u8>, Vec<u8>) {
    let run: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    (
        run["seed"].as_u64().unwrap(),
        std::fs::read(out.join("summary.json")).unwrap(),
        std::fs::read(out.join("iterations.parquet")).unwrap(),
    )
}

#[test]
fn defect_01_out_at_a_folder_of_the_users_files_is_refused_and_nothing_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("my-documents");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("budget.xlsx"), "precious").unwrap();
    let o = run_to(dir.path(), &mine, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty and has no .reunify file"));
    assert_eq!(std::fs::read_to_string(mine.join("budget.xlsx")).unwrap(), "precious");
    assert!(leftovers(&mine).is_empty(), "{:?}", leftovers(&mine));
}

#[test]
fn defect_01_out_at_a_file_even_the_scenario_itself_is_refused_and_the_file_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "small.toml", SMALL);
    reunify()
        .args(["run", &file, "--out", &file, "--quiet", "--no-report"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a file, not a reunify output folder"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), SMALL);
    assert!(leftovers(Path::new(&file)).is_empty());
}

#[test]
fn defect_01_out_at_an_empty_folder_or_a_previous_result_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("empty");
    std::fs::create_dir(&out).unwrap();
    assert!(run_to(dir.path(), &out, &[]).status.success());
    let o = run_to(dir.path(), &out, &["--seed", "9"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(fingerprint(&out).0, 9);
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

#[test]
fn defect_02_stale_set_aside_and_staging_folders_never_jam_later_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("res");
    // What a kill between the old two renames left: the result set aside, the path missing,
    // a half-written staging folder of a dead process, and its lock.
    std::fs::create_dir_all(dir.path().join(".res.old")).unwrap();
    std::fs::write(dir.path().join(".res.old/run.json"), "{}").unwrap();
    std::fs::create_dir_all(dir.path().join(".res.tmp-1073741808")).unwrap();
    std::fs::write(dir.path().join(".res.lock"), "pid=1073741808\nhost=".to_string() + &host() + "\n").unwrap();
    for seed in ["1", "2", "3"] {
        let o = run_to(dir.path(), &out, &["--seed", seed]);
        assert!(o.status.success(), "run {seed}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    }
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string()
}

/// Sends `sig` once the run is staging its output, and checks exit code 130, the message,
/// that the staging folder and lock are gone, and that the previous result is untouched.
fn interrupted_run_keeps_the_previous_result(sig: i32) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("res");
    assert!(run_to(dir.path(), &out, &[]).status.success());
    let before = fingerprint(&out);
    let child = spawn_long(dir.path(), &out, "7");
    wait_for("the staging folder", || leftovers(&out).iter().any(|n| n.starts_with(".res.tmp-")));
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, sig);
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains(&format!("interrupted; previous results in {} kept", out.display())), "{stderr}");
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    assert_eq!(fingerprint(&out), before);
}

#[test]
fn defect_09_sigint_stops_the_run_says_so_exits_130_and_removes_its_staging() {
    interrupted_run_keeps_the_previous_result(libc::SIGINT);
}

#[test]
fn defect_09_sigterm_from_scancel_or_a_time_limit_is_handled_like_sigint() {
    interrupted_run_keeps_the_previous_result(libc::SIGTERM);
}

#[test]
fn an_interrupted_first_run_says_nothing_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("res");
    let child = spawn_long(dir.path(), &out, "7");
    wait_for("the staging folder", || leftovers(&out).iter().any(|n| n.starts_with(".res.tmp-")));
    signal(&child, libc::SIGINT);
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(130));
    assert!(stderr.contains("interrupted; nothing was written to"), "{stderr}");
    assert!(!out.exists() && leftovers(&out).is_empty());
}

#[test]
fn sigkill_at_any_moment_leaves_one_whole_result_and_the_next_run_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("res");
    let reference = dir.path().join("reference");
    assert!(run_to(dir.path(), &out, &["--seed", "1"]).status.success());
    assert!(run_to(dir.path(), &reference, &["--seed", "2"]).status.success());
    let (old, new) = (fingerprint(&out), fingerprint(&reference));
    // Kill runs of the new seed at moments spread over their whole life: staging, writing
    // tables, drawing charts, the swap and the removal of the old result.
    let mut landed = false;
    for delay_ms in [0u64, 30, 80, 150, 250, 400, 600, 900, 1300, 1800, 2500, 3500] {
        let file = write(dir.path(), "small.toml", SMALL);
        let child = Command::new(bin())
            .args(["run", &file, "--out", out.to_str().unwrap(), "--quiet", "--seed", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        signal(&child, libc::SIGKILL);
        finish(child);
        let now = fingerprint(&out);
        assert!(now == old || now == new, "after a kill at {delay_ms} ms the result is mixed");
        landed |= now == new;
        // The next run removes what the killed one left, and succeeds.
        let o = run_to(dir.path(), &out, &["--seed", "1"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
        assert_eq!(fingerprint(&out), old);
    }
    // The latest kills come after the run has finished, so the new result did land.
    assert!(landed, "no run was killed late enough to commit; lengthen the schedule");
}

#[test]
fn two_runs_into_one_folder_never_mix_and_the_second_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("res");
    let first = spawn_long(dir.path(), &out, "7");
    wait_for("the lock", || dir.path().join(".res.lock").exists());
    let o = run_to(dir.path(), &out, &["--seed", "3"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("is being written by another reunify run (pid {}", first.id())), "{err}");
    signal(&first, libc::SIGINT);
    assert_eq!(finish(first).0, Some(130));
    let o = run_to(dir.path(), &out, &["--seed", "3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(fingerprint(&out).0, 3);
}

/// #29, one output guard: every command that writes a single file (`init`, `import-dfe`,
/// `compare --out`) goes through `staging::check_file` before any work. None writes into a
/// result folder, even with `--force`, none replaces a folder, and each replaces a file only
/// as it may (`--force`, or `compare`'s own page).
#[test]
fn single_file_writers_never_write_into_a_result_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert!(run_to(dir.path(), &out, &[]).status.success());
    let before = fingerprint(&out);
    let inside = |name: &str| out.join(name).to_str().unwrap().to_string();
    let csv = write(dir.path(), "dfe.csv", "geog_l,geog_n,CLA_ceaPar\nNATIONAL,England,20\nLA,Camden,5\n");
    let summary = inside("summary.json");
    for args in [
        vec!["init", summary.as_str(), "--force"],
        vec!["init", &inside("new.toml")],
        vec!["import-dfe", &csv, "--year", "2013", "--out", &inside("dfe.toml"), "--force"],
    ] {
        reunify().args(&args).assert().code(2).stderr(predicate::str::contains("inside a reunify result folder"));
    }
    let other = dir.path().join("other");
    assert!(run_to(dir.path(), &other, &["--seed", "5"]).status.success());
    reunify()
        .args(["compare", out.to_str().unwrap(), other.to_str().unwrap(), "--out", &inside("compare.html")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inside a reunify result folder"));
    assert_eq!(fingerprint(&out), before, "the result folder is unchanged");
    assert!(!out.join("new.toml").exists() && !out.join("dfe.toml").exists() && !out.join("compare.html").exists());
    // A folder is never replaced, whatever the flag.
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    reunify()
        .args(["init", folder.to_str().unwrap(), "--force"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a folder"));
    // Elsewhere, a file is replaced with --force, as before.
    let mine = write(dir.path(), "mine.toml", "my notes\n");
    reunify().args(["init", &mine]).assert().code(2).stderr(predicate::str::contains("exists; pass --force"));
    reunify().args(["init", &mine, "--force"]).assert().success();
    assert!(std::fs::read_to_string(&mine).unwrap().contains("[scenario]"));
}
