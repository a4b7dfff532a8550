//! Scale-out (issue #17): a run cut into shards with `run --shard I/N` and put together with
//! `merge` writes the same files, byte for byte, as the run made whole; bad sets of shards are
//! refused with exit 2 and nothing written; a complete shard is not recomputed.

mod common;

use std::path::{Path, PathBuf};

use common::{SMALL, assert_same_outputs, reunify, write};
use predicates::prelude::*;

/// `SMALL` with 20 iterations.
fn small(dir: &Path) -> String {
    write(dir, "small.toml", &SMALL.replace("iterations = 6", "iterations = 20"))
}

/// Three authorities in flow mode over three financial years, 17 iterations.
fn many(dir: &Path) -> String {
    let text = SMALL
        .replace("iterations = 6", "iterations = 17")
        .replace(
            "[[authority]]\nname = \"Testshire\"\nchildren = 5000\n",
            "[[authority]]\nname = \"North\"\nchildren = 700\n\n[[authority]]\nname = \"South\"\nchildren = 1200\n\n[[authority]]\nname = \"East\"\nchildren = 400\n",
        )
        + "\n[budget]\nfirst_financial_year = 2025\nyears = 3\n";
    write(dir, "many.toml", &text)
}

fn run_whole(file: &str, out: &Path, extra: &[&str]) {
    reunify().args(["run", file, "--out", out.to_str().unwrap(), "--quiet"]).args(extra).assert().success();
}

/// Runs every shard of `n` (in reverse order, each on `threads` threads) and returns their
/// folders in that order.
fn run_shards(file: &str, dir: &Path, n: u32, threads: &str) -> Vec<PathBuf> {
    (0..n)
        .rev()
        .map(|i| {
            let out = dir.join(format!("shard-{i}-of-{n}"));
            reunify()
                .args(["run", file, "--shard", &format!("{i}/{n}"), "--threads", threads])
                .args(["--out", out.to_str().unwrap()])
                .assert()
                .success()
                .stdout(predicate::str::contains(format!("wrote shard {i} of {n}")));
            out
        })
        .collect()
}

fn merge(shards: &[PathBuf], out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    reunify()
        .arg("merge")
        .args(shards.iter().map(|p| p.to_str().unwrap()))
        .args(["--out", out.to_str().unwrap(), "--quiet"])
        .args(extra)
        .assert()
}

#[test]
fn merged_shards_are_byte_identical_to_the_whole_run_for_1_3_and_7_shards() {
    let dir = tempfile::tempdir().unwrap();
    let file = small(dir.path());
    let whole = dir.path().join("whole");
    run_whole(&file, &whole, &["--csv"]);
    for n in [1, 3, 7] {
        let shards = run_shards(&file, &dir.path().join(format!("n{n}")), n, "1");
        let merged = dir.path().join(format!("merged-{n}"));
        merge(&shards, &merged, &["--csv"]).success();
        assert_same_outputs(&whole, &merged);
    }
}

#[test]
fn a_many_authority_flow_run_merges_exactly_from_shards_run_on_different_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = many(dir.path());
    let whole = dir.path().join("whole");
    run_whole(&file, &whole, &[]);
    let mut shards = run_shards(&file, &dir.path().join("a"), 4, "2");
    shards.swap(0, 2);
    let merged = dir.path().join("merged");
    merge(&shards, &merged, &[]).success();
    assert_same_outputs(&whole, &merged);
    assert!(merged.join("budget.parquet").exists() && merged.join("report.html").exists());
    // Each authority's rows, asked of the run and of the merge, from the same shards.
    let whole = dir.path().join("whole-each");
    run_whole(&file, &whole, &["--by-authority"]);
    let merged = dir.path().join("merged-each");
    merge(&shards, &merged, &["--by-authority"]).success();
    assert_same_outputs(&whole, &merged);
    let size = |d: &Path| std::fs::metadata(d.join("budget.parquet")).unwrap().len();
    assert!(size(&merged) > size(&dir.path().join("merged")), "each authority's rows are more than the total's");
}

#[test]
fn bad_sets_of_shards_are_refused_with_exit_2_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = small(dir.path());
    let shards = run_shards(&file, &dir.path().join("s"), 3, "2");
    // run_shards returns them in reverse: shards[2] is shard 0.
    let out = dir.path().join("merged");
    let refused = |given: &[PathBuf], message: &str| {
        merge(given, &out, &[]).code(2).stderr(predicate::str::contains(message));
        assert!(!out.exists(), "a refused merge wrote {}", out.display());
    };
    refused(&[shards[0].clone(), shards[2].clone()], "shard 1 of 3 is missing: iterations 7–13");
    refused(
        &[shards[0].clone(), shards[1].clone(), shards[2].clone(), shards[1].clone()],
        "shard 1 of 3 is given twice",
    );

    // Another seed; another scenario; another split.
    let other_seed = reunify()
        .args(["run", &file, "--shard", "1/3", "--seed", "12", "--out"])
        .arg(dir.path().join("seed12"))
        .assert()
        .success();
    drop(other_seed);
    refused(
        &[shards[0].clone(), dir.path().join("seed12"), shards[2].clone()],
        "another seed (12 where the other is 11)",
    );
    let file2 = write(
        dir.path(),
        "other.toml",
        &std::fs::read_to_string(&file).unwrap().replace("take_up = 0.9", "take_up = 0.8"),
    );
    reunify().args(["run", &file2, "--shard", "1/3", "--out"]).arg(dir.path().join("other")).assert().success();
    refused(&[shards[0].clone(), dir.path().join("other"), shards[2].clone()], "another scenario");
    reunify().args(["run", &file, "--shard", "1/4", "--out"]).arg(dir.path().join("four")).assert().success();
    refused(
        &[shards[0].clone(), dir.path().join("four"), shards[2].clone()],
        "another split (4 shards where the other has 3)",
    );

    // A truncated data file, then a damaged one, then a folder that is no shard.
    let data = shards[1].join("iterations.bin");
    let bytes = std::fs::read(&data).unwrap();
    std::fs::write(&data, &bytes[..bytes.len() / 2]).unwrap();
    refused(&shards, "shard 1 of 3");
    refused(&shards, "iterations.bin is truncated or damaged");
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 3] ^= 0x40;
    std::fs::write(&data, &flipped).unwrap();
    refused(&shards, "iterations.bin is damaged: its SHA-256 differs");
    std::fs::write(&data, &bytes).unwrap();
    refused(&[shards[0].clone(), dir.path().to_path_buf()], "has no manifest.json");
    merge(&shards, &out, &[]).success();
}

#[test]
fn a_complete_shard_is_not_recomputed_and_a_damaged_one_is() {
    let dir = tempfile::tempdir().unwrap();
    let file = small(dir.path());
    let out = dir.path().join("shard");
    let run = || reunify().args(["run", &file, "--shard", "2/3", "--out", out.to_str().unwrap()]).assert().success();
    run().stdout(predicate::str::contains("wrote shard 2 of 3 (iterations 14–20)"));
    let manifest = std::fs::read(out.join("manifest.json")).unwrap();
    run().stdout(
        predicate::str::contains("shard 2 of 3 (iterations 14–20) is already complete")
            .and(predicate::str::contains("not recomputed")),
    );
    let data = out.join("iterations.bin");
    let bytes = std::fs::read(&data).unwrap();
    std::fs::write(&data, &bytes[..10]).unwrap();
    run().stdout(predicate::str::contains("wrote shard 2 of 3"));
    assert_eq!(std::fs::read(&data).unwrap(), bytes);
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), manifest);
}

#[test]
fn shard_specs_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let file = small(dir.path());
    for (spec, message) in
        [("3/3", "shard 3 of 3 does not exist"), ("1-3", "is not a shard: write I/N"), ("0/0", "does not exist")]
    {
        reunify().args(["run", &file, "--shard", spec]).assert().code(2).stderr(predicate::str::contains(message));
    }
}

/// `run --checkpoint`, interrupted by a real SIGINT, keeps the blocks it finished; run again,
/// it says how far it got, resumes there and writes what the whole run writes.
#[test]
fn an_interrupted_checkpointed_run_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let text = SMALL.replace("iterations = 6", "iterations = 100").replace("children = 5000", "children = 20000");
    let file = write(dir.path(), "long.toml", &text);
    let out = dir.path().join("long");
    let checkpoint = dir.path().join(".long.checkpoint");
    let exe = assert_cmd::cargo::cargo_bin("reunify");
    let mut child = std::process::Command::new(&exe)
        .args(["run", &file, "--checkpoint", "--quiet", "--threads", "1", "--out", out.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Complete blocks: folders with a manifest, not the hidden staging folder of the block
    // being written (its manifest is written just before it is put in place).
    let complete = || {
        std::fs::read_dir(&checkpoint)
            .map(|d| {
                d.map(|e| e.unwrap())
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .filter(|e| e.path().join("manifest.json").is_file())
                    .count()
            })
            .unwrap_or(0)
    };
    let start = std::time::Instant::now();
    while complete() < 3 {
        assert!(start.elapsed().as_secs() < 120, "no block finished");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be interrupted");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // SAFETY: signals our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let ended = child.wait_with_output().unwrap();
    assert_eq!(ended.status.code(), Some(130), "{}", String::from_utf8_lossy(&ended.stderr));
    assert!(!out.exists());
    let kept = complete();
    assert!((3..100).contains(&kept), "{kept} blocks kept");

    reunify()
        .args(["run", &file, "--checkpoint", "--quiet", "--threads", "1", "--out", out.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!("resuming: {kept} of 100 blocks done")));
    assert!(!checkpoint.exists(), "the checkpoint is removed once the run is whole");
    let whole = dir.path().join("whole");
    run_whole(&file, &whole, &["--threads", "1"]);
    assert_same_outputs(&whole, &out);
}

/// `deploy/k8s/indexed-job.yaml`: there is no cluster here, so the test checks what it can.
/// The manifest parses as YAML, the shard Job is Indexed with as many completions as the
/// `--shard` arguments name, and each container's arguments, with an index filled in, pass
/// reunify's own argument parser as the intended command.
#[test]
fn the_kubernetes_indexed_job_passes_reunifys_own_argument_parser() {
    use clap::Parser;
    use reunify::app::{Cli, Command};
    let text = std::fs::read_to_string("deploy/k8s/indexed-job.yaml").unwrap();
    let docs: Vec<serde_yaml::Value> =
        serde_yaml::Deserializer::from_str(&text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect();
    let job = |name: &str| {
        docs.iter()
            .find(|d| d["kind"] == "Job" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no Job {name}"))
    };
    let args = |job: &serde_yaml::Value| -> Vec<String> {
        let c = &job["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["command"][0], "reunify");
        c["args"].as_sequence().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
    };
    let shards = job("reunify-shards");
    assert_eq!(shards["spec"]["completionMode"], "Indexed");
    let n = shards["spec"]["completions"].as_u64().unwrap() as u32;
    let env = &shards["spec"]["template"]["spec"]["containers"][0]["env"][0];
    assert_eq!(env["name"], "JOB_COMPLETION_INDEX");
    assert!(env["valueFrom"]["fieldRef"]["fieldPath"].as_str().unwrap().contains("job-completion-index"));
    for i in 0..n {
        let filled = args(shards).into_iter().map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &i.to_string()));
        let cli = Cli::try_parse_from(std::iter::once("reunify".to_string()).chain(filled)).unwrap();
        let Command::Run(run) = cli.command else { panic!("the shard container does not run a scenario") };
        let shard = run.shard.expect("the shard container passes --shard");
        assert_eq!((shard.index, shard.count), (i, n));
        assert_eq!(run.output.out.unwrap(), Path::new(&format!("/shared/shard-{i}-of-{n}")));
    }
    let merge = args(job("reunify-merge"));
    let cli = Cli::try_parse_from(std::iter::once("reunify".to_string()).chain(merge)).unwrap();
    let Command::Merge(m) = cli.command else { panic!("the merge container does not merge") };
    let expected: Vec<PathBuf> = (0..n).map(|i| PathBuf::from(format!("/shared/shard-{i}-of-{n}"))).collect();
    assert_eq!(m.shards, expected);
}
