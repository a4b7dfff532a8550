//! Scale-out on a real Slurm (issue #17): the test starts a single-node cluster of its own
//! (munged, slurmctld and slurmd from Debian's packages, which `deploy/test.sh` installs),
//! submits `deploy/slurm/reunify-array.sbatch` as a 4-task array and
//! `deploy/slurm/reunify-merge.sbatch` after it with `--dependency=afterok`, waits, and compares
//! the merged outputs byte for byte with a whole run. It stops every daemon it started, by PID.
//! Without Slurm it fails: it never skips.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{SMALL, assert_same_outputs, reunify, write};

/// Daemons this test started; each is stopped by its PID when the cluster is dropped.
struct Cluster {
    daemons: Vec<(&'static str, Child)>,
    conf: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // The reverse of the order they started in: slurmd, slurmctld, then munged.
        for (name, child) in self.daemons.iter_mut().rev() {
            // SAFETY: signals a child process this test started and has not yet reaped.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let start = Instant::now();
            while child.try_wait().ok().flatten().is_none() {
                if start.elapsed() > Duration::from_secs(10) {
                    eprintln!("{name} (pid {}) did not stop on SIGTERM; killing it", child.id());
                    child.kill().ok();
                    child.wait().ok();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn tool(name: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} is not installed: deploy/test.sh installs Slurm and munge (slurmctld, slurmd, slurm-client, munge)")
}

/// A free TCP port on loopback.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn munge_works() -> bool {
    Command::new(tool("munge"))
        .arg("-n")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn wait_for(what: &str, seconds: u64, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < Duration::from_secs(seconds), "{what} did not come up in {seconds} s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Starts munged (unless one already answers), slurmctld and slurmd, configured in `dir`.
fn start_cluster(dir: &Path) -> Cluster {
    use std::os::unix::process::CommandExt;
    std::fs::create_dir_all(dir).unwrap();
    let mut cluster = Cluster { daemons: Vec::new(), conf: dir.join("slurm.conf") };
    if !munge_works() {
        // munged runs as the munge user, with a key only it can read.
        let id = |flag: &str| -> u32 {
            let out = Command::new("id").args([flag, "munge"]).output().expect("id runs");
            String::from_utf8_lossy(&out.stdout).trim().parse().expect("a munge user exists (the munge package)")
        };
        let (uid, gid) = (id("-u"), id("-g"));
        let key = Path::new("/etc/munge/munge.key");
        if !key.exists() {
            let status = Command::new(tool("mungekey")).args(["--create", "--keyfile"]).arg(key).status().unwrap();
            assert!(status.success(), "mungekey could not create {}", key.display());
        }
        for (path, _) in [(key, 0o400), (Path::new("/etc/munge"), 0o700)] {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
        }
        for run in ["/run/munge", "/var/lib/munge", "/var/log/munge"] {
            std::fs::create_dir_all(run).unwrap();
            std::os::unix::fs::chown(run, Some(uid), Some(gid)).unwrap();
        }
        let munged = Command::new(tool("munged"))
            .arg("--foreground")
            .uid(uid)
            .gid(gid)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("munged.log")).unwrap())
            .spawn()
            .expect("munged starts");
        cluster.daemons.push(("munged", munged));
        wait_for("munged", 30, munge_works);
    }
    let host =
        String::from_utf8(Command::new("hostname").arg("-s").output().unwrap().stdout).unwrap().trim().to_string();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    for sub in ["state", "spool"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let d = dir.display();
    let conf = format!(
        "ClusterName=reunify-test\nSlurmctldHost={host}(127.0.0.1)\nSlurmUser=root\nAuthType=auth/munge\n\
         ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nSelectType=select/cons_tres\n\
         SchedulerType=sched/builtin\nMpiDefault=none\nReturnToService=2\n\
         SlurmctldPort={}\nSlurmdPort={}\nStateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool\n\
         SlurmctldPidFile={d}/slurmctld.pid\nSlurmdPidFile={d}/slurmd.pid\n\
         SlurmctldLogFile={d}/slurmctld.log\nSlurmdLogFile={d}/slurmd.log\n\
         NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=1000 State=UNKNOWN\n\
         PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
        free_port(),
        free_port()
    );
    std::fs::write(&cluster.conf, conf).unwrap();
    for daemon in ["slurmctld", "slurmd"] {
        let child = Command::new(tool(daemon))
            .arg("-D")
            .arg("-f")
            .arg(&cluster.conf)
            .env("SLURM_CONF", &cluster.conf)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join(format!("{daemon}.out"))).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("{daemon} does not start: {e}"));
        cluster.daemons.push((daemon, child));
    }
    let conf = cluster.conf.clone();
    wait_for("the Slurm node", 60, || {
        Command::new(tool("sinfo"))
            .args(["-h", "-o", "%T"])
            .env("SLURM_CONF", &conf)
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
    });
    cluster
}

fn sbatch(cluster: &Cluster, args: &[&str]) -> String {
    let out = Command::new(tool("sbatch")).args(args).env("SLURM_CONF", &cluster.conf).output().unwrap();
    assert!(
        out.status.success(),
        "sbatch {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_slurm_array_of_4_shards_and_its_merge_job_write_the_whole_runs_files() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = start_cluster(&dir.path().join("slurm"));
    let text = SMALL
        .replace("iterations = 6", "iterations = 23")
        .replace(
            "[[authority]]\nname = \"Testshire\"\nchildren = 5000\n",
            "[[authority]]\nname = \"North\"\nchildren = 900\n\n[[authority]]\nname = \"South\"\nchildren = 1300\n\n[[authority]]\nname = \"East\"\nchildren = 500\n",
        )
        + "\n[budget]\nfirst_financial_year = 2025\nyears = 3\n";
    let scenario = write(dir.path(), "flow.toml", &text);
    let whole = dir.path().join("whole");
    reunify().args(["run", &scenario, "--quiet", "--out", whole.to_str().unwrap()]).assert().success();

    let exe = assert_cmd::cargo::cargo_bin("reunify");
    let shared = dir.path().join("shared");
    let merged = dir.path().join("merged");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let log = |name: &str| format!("--output={}/{name}", logs.display());
    let array = sbatch(
        &cluster,
        &[
            "--parsable",
            "--array=0-3",
            &log("shard-%A_%a.out"),
            "deploy/slurm/reunify-array.sbatch",
            &scenario,
            "4",
            shared.to_str().unwrap(),
            exe.to_str().unwrap(),
        ],
    );
    let array_id = array.split(';').next().unwrap().to_string();
    sbatch(
        &cluster,
        &[
            "--parsable",
            "--wait",
            &format!("--dependency=afterok:{array_id}"),
            &log("merge-%j.out"),
            "deploy/slurm/reunify-merge.sbatch",
            shared.to_str().unwrap(),
            merged.to_str().unwrap(),
            exe.to_str().unwrap(),
        ],
    );
    let shards: Vec<_> = (0..4).map(|i| shared.join(format!("shard-{i}-of-4"))).collect();
    for s in &shards {
        assert!(s.join("manifest.json").is_file(), "{} was not written", s.display());
    }
    assert_same_outputs(&whole, &merged);
    drop(cluster);
}
