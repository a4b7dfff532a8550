//! End-to-end cost of big runs (issue #16): the whole `reunify run`, as a user runs it,
//! against the simulation alone, and its peak memory.
//!
//! - Authorities: the 155 authorities of the 2024 DfE table (`../shared/data/dfe/`), imported
//!   with `--template scenarios/holmes-2014.toml` (flow mode, 3 years), at 1,000 iterations.
//! - Five cohorts: the same 155 authorities imported with the default model
//!   (`scenarios/england-2012-13.toml`, 3 strategies), in flow mode over 5 financial years with
//!   a cohort returning home in each, at its 1,000 iterations (the engine bench's flow job, end
//!   to end).
//!
//! For each it prints the wall time of the process, the `simulate_seconds` that `run.json`
//! reports, the peak resident memory of the process (target: at most 300 MB) and the bytes
//! written. `reunify run` writes the per-iteration tables while it simulates, so
//! `simulate_seconds` (until the last iteration is simulated) includes that overlapped writing;
//! the bench therefore also times the simulation alone, in this process, on the same threads
//! (`sim::run_map` dropping each iteration's results), and gives the ratio of the end-to-end
//! time to both (the target is at most 2). Machines differ, so the ratios are the figures to
//! compare.
//!
//! - `districts`: the default scenario split into 1,000 and 5,000 districts of 10 children
//!   (#29, item 13): end to end, which must grow linearly with the districts.
//!
//! Issue #17's benches follow:
//! - `merge`: the authorities' run cut into 64 shards, each its own process, then merged: the
//!   merge's time and peak memory;
//! - `ten-million`: the default scenario's base case with every analysis at 10⁷ children
//!   (3 strategies): end to end against `run.json`'s `simulate_seconds` (target at most 5×),
//!   peak memory (target under 200 MB), and the samples the analyses settled on;
//! - `iterations`: the default scenario at 10⁴ and 10⁵ iterations: time per iteration (no worse
//!   at 10⁵) and peak memory (target under 300 MB at 10⁵).
//!
//! Run with `cargo bench --bench big_runs`, or `cargo bench --bench big_runs -- ten-million`
//! for the benches whose names contain a word given; `BIG_RUNS_REPEATS` (default 3) sets the
//! repeats.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const EXE: &str = env!("CARGO_BIN_EXE_reunify");

/// Runs a command to its end and returns its wall seconds and peak RSS in MB.
fn measure(cmd: &mut Command) -> (f64, f64) {
    let start = Instant::now();
    // wait4, not Child::wait: it also returns the child's peak memory.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("reunify starts");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child and fills `usage` with its resource use.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "reunify failed: status {status}");
    (start.elapsed().as_secs_f64(), usage.ru_maxrss as f64 / 1024.0)
}

fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum()
}

/// Seconds to simulate every iteration of a scenario and nothing else.
fn simulate_alone(scenario: &Path) -> f64 {
    let sc = reunify::app::load_scenario(scenario).unwrap_or_else(|_| panic!("{} loads", scenario.display()));
    let opts = reunify::sim::RunOptions { seed: sc.meta.seed, iterations: sc.meta.iterations, base_case_only: false };
    let start = Instant::now();
    reunify::sim::run_map(&sc, opts, &|| {}, drop, |()| Ok::<_, reunify::model::ModelError>(())).unwrap();
    start.elapsed().as_secs_f64()
}

fn bench(name: &str, scenario: &Path, dir: &Path, repeats: usize) {
    for i in 0..repeats {
        let alone = simulate_alone(scenario);
        let out = dir.join(format!("{name}-{i}"));
        let (wall, rss) = measure(Command::new(EXE).args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]));
        let run: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
        let simulate = run["simulate_seconds"].as_f64().unwrap();
        println!(
            "{name:<12} run {i}: end to end {wall:5.2} s; simulation alone {alone:5.2} s (ratio {:4.2}); run.json simulate_seconds {simulate:5.2} s (ratio {:4.2}); peak RSS {rss:4.0} MB; written {:4.0} MB",
            wall / alone,
            wall / simulate,
            folder_bytes(&out) as f64 / 1e6
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter on the benches' names.
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let repeats: usize = std::env::var("BIG_RUNS_REPEATS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    if wanted("ten-million") {
        ten_million(dir.path(), repeats);
    }
    if wanted("iterations") {
        iterations(dir.path());
    }
    if wanted("districts") {
        for n in [1_000, 5_000] {
            bench(&format!("districts-{n}"), &districts(dir.path(), n), dir.path(), repeats);
        }
    }
    if !(wanted("authorities") || wanted("five-cohorts") || wanted("merge")) {
        return;
    }
    let la = dir.path().join("la2024.toml");
    let status = Command::new(EXE)
        .args(["import-dfe", "../shared/data/dfe/la_children_who_ceased_during_the_year_2020_2024.csv"])
        .args(["--year", "2024", "--template", "scenarios/holmes-2014.toml", "--out", la.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success(), "import-dfe failed (is ../shared/data/dfe beside the project?)");
    let text = std::fs::read_to_string(&la).unwrap();
    std::fs::write(&la, text.replace("iterations = 200", "iterations = 1000")).unwrap();
    let five = dir.path().join("five.toml");
    let status = Command::new(EXE)
        .args(["import-dfe", "../shared/data/dfe/la_children_who_ceased_during_the_year_2020_2024.csv"])
        .args(["--year", "2024", "--out", five.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&five).unwrap();
    std::fs::write(&five, text + "\n[budget]\nfirst_financial_year = 2025\nyears = 5\n").unwrap();
    if wanted("authorities") {
        bench("authorities", &la, dir.path(), repeats);
    }
    if wanted("five-cohorts") {
        bench("five-cohorts", &five, dir.path(), repeats);
    }
    if wanted("merge") {
        merge_bench(&la, dir.path(), 64);
    }
}

/// The default scenario with `children` children.
fn default_with(dir: &Path, children: u64) -> std::path::PathBuf {
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap();
    assert!(text.contains("children = 10080"));
    let path = dir.join(format!("default-{children}.toml"));
    std::fs::write(&path, text.replace("children = 10080", &format!("children = {children}"))).unwrap();
    path
}

/// Issue #29, item 13: the default scenario's cohort split into `n` districts of 10 children
/// each (a user who splits authorities into districts or years), at 100 iterations: the end of
/// the run was quadratic in the authorities (5,000 took over 120 s).
fn districts(dir: &Path, n: usize) -> std::path::PathBuf {
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap();
    let start = text.find("[[authority]]").unwrap();
    let end = start + text[start..].find("\n[reentry]").unwrap();
    let blocks: String =
        (1..=n).map(|i| format!("[[authority]]\nname = \"District {i}\"\nchildren = 10\n\n")).collect();
    let text =
        format!("{}{blocks}{}", &text[..start], &text[end + 1..]).replace("iterations = 1000", "iterations = 100");
    let path = dir.join(format!("districts-{n}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Issue #17: the base case of 10⁷ children with break-even, tornado, two-way and the report.
fn ten_million(dir: &Path, repeats: usize) {
    let scenario = default_with(dir, 10_000_000);
    for i in 0..repeats {
        let out = dir.join(format!("ten-million-{i}"));
        let (wall, rss) = measure(
            Command::new(EXE).arg("run").arg(&scenario).args(["--base-case-only", "--quiet", "--out"]).arg(&out),
        );
        let read = |file: &str| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(out.join(file)).unwrap()).unwrap()
        };
        let (run, summary) = (read("run.json"), read("summary.json"));
        let simulate = run["simulate_seconds"].as_f64().unwrap();
        let sampled = &summary["resimulated"];
        println!(
            "ten-million  run {i}: end to end {wall:5.2} s; run.json simulate_seconds {simulate:5.2} s (ratio {:4.2}, target ≤ 5); analyses {:5.2} s; peak RSS {rss:4.0} MB (target < 200); samples: break-even {}, tornado {}, two-way {}",
            wall / simulate,
            run["analyses_seconds"].as_f64().unwrap(),
            sampled["breakeven"],
            sampled["tornado"],
            sampled["two_way"]
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
}

/// Issue #17: the default scenario at 10⁴ and 10⁵ iterations, each once.
fn iterations(dir: &Path) {
    let scenario = Path::new("scenarios/england-2012-13.toml");
    for n in [10_000u64, 100_000] {
        let out = dir.join(format!("iterations-{n}"));
        let (wall, rss) = measure(
            Command::new(EXE)
                .arg("run")
                .arg(scenario)
                .args(["--iterations", &n.to_string(), "--quiet", "--out"])
                .arg(&out),
        );
        println!(
            "iterations   {n:>6}: end to end {wall:6.2} s, {:5.3} ms an iteration; peak RSS {rss:4.0} MB (target < 300 at 10⁵)",
            wall * 1e3 / n as f64
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
}

/// Issue #17: the 155-authority flow run cut into `n` shards, each run as its own process, then
/// merged; prints the shards' total time and the merge's time and peak memory.
fn merge_bench(scenario: &Path, dir: &Path, n: u32) {
    let shards: Vec<_> = (0..n).map(|i| dir.join(format!("shard-{i}-of-{n}"))).collect();
    let start = Instant::now();
    for (i, out) in shards.iter().enumerate() {
        let status = Command::new(EXE)
            .args(["run", scenario.to_str().unwrap(), "--shard", &format!("{i}/{n}"), "--quiet", "--out"])
            .arg(out)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let shard_seconds = start.elapsed().as_secs_f64();
    let out = dir.join("merged");
    let (wall, rss) =
        measure(Command::new(EXE).arg("merge").args(&shards).args(["--quiet", "--out", out.to_str().unwrap()]));
    let bytes: u64 = shards.iter().map(|s| folder_bytes(s)).sum();
    println!(
        "merge of {n} shards (authorities): shards {shard_seconds:5.2} s in all ({:4.0} MB); merge {wall:5.2} s, peak RSS {rss:4.0} MB",
        bytes as f64 / 1e6
    );
}
