//! A harness for profiling job N outside criterion: the default scenario
//! (`scenarios/england-2012-13.toml`, 3 strategies) with N PSA iterations on T threads,
//! printing the wall time and nanoseconds per child per thread.
//!
//! Criterion (`benches/engine.rs`) is where speed is measured and reported. This exists
//! because profilers want one plain process: instruction counts with
//! `valgrind --tool=callgrind <executable> 20 1`, which are
//! repeatable on this noisy shared machine, and sampled profiles with `perf record`.
//! Comparing two builds by wall time needs alternating runs and the minimum over them.
//!
//! Usage: `cargo bench --bench profile_job_n -- [ITERATIONS=200] [THREADS=1]`; for a profiler,
//! `cargo bench --bench profile_job_n --no-run` prints the executable's path. (It lives in
//! `benches/` because the project's top level is fixed.)

use std::time::Instant;

use reunify::scenario::Scenario;
use reunify::sim::{self, RunOptions};

fn main() {
    // `cargo bench` adds `--bench`; only the numbers are ours.
    let mut args =
        std::env::args().skip(1).filter(|a| !a.starts_with("--")).map(|a| a.parse::<u64>().expect("a whole number"));
    let iterations = args.next().unwrap_or(200) as u32;
    let threads = args.next().unwrap_or(1) as usize;
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml").expect("run from the repository's root");
    let sc = Scenario::from_toml_str(&text, "england-2012-13").expect("the default scenario is valid");
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool");
    let opts = RunOptions { seed: sc.meta.seed, iterations, base_case_only: false };
    let start = Instant::now();
    let result = pool.install(|| sim::run(&sc, opts, &|| {})).expect("the run succeeds");
    let seconds = start.elapsed().as_secs_f64();
    let children = sc.total_children() as f64 * (iterations as f64 + 1.0);
    // A checksum of the results, so that two builds can be seen to compute the same thing.
    let breakdowns: u64 = result.psa.iter().map(|i| i.tallies[1][0].q.breakdowns).sum();
    println!(
        "{seconds:.3} s, {:.1} ns/child/thread, breakdowns under strategy 1: {breakdowns}",
        seconds * threads as f64 / children * 1e9
    );
}
