//! `reunify run`: simulates a scenario's base case and PSA and writes its outputs, and
//! [`Finish`], what every way of making a run's iterations (here, from shards, from
//! checkpointed blocks) does once they exist: the per-iteration tables as iterations arrive,
//! then [`Analyses::compute`], the summaries, workbook and report, all into one staging
//! folder put in place at the end.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{AppError, OutputArgs, RunArgs, load_scenario_text, output, settings, staging};
use crate::analyses::{self, Analyses};
use crate::budget;
use crate::digest::{IterationDigest, RunDigest};
use crate::results::format::count;
use crate::results::{self, RunResults, SummaryFile};
use crate::scenario::Scenario;
use crate::sim::{self, RunOptions};

#[derive(Serialize)]
struct RunInfo<'a> {
    crate_version: &'a str,
    scenario: &'a str,
    scenario_file: String,
    scenario_sha256: String,
    seed: u64,
    iterations: usize,
    base_case_only: bool,
    threads: usize,
    children_per_iteration: u64,
    strategies: usize,
    /// Child paths (over every iteration and strategy) stopped at the cap on returns home.
    paths_capped_at_max_returns: u64,
    wall_seconds: f64,
    /// Until the last iteration is simulated: the simulation, with each iteration's digest
    /// and the per-iteration tables written while it runs.
    simulate_seconds: f64,
    analyses_seconds: f64,
}

/// What a finished `run` leaves behind, for callers such as tests.
pub struct RunOutcome {
    pub dir: PathBuf,
    pub summary: SummaryFile,
}

/// Checks the options that every way of finishing a run shares (`run`, `merge`), by the rules
/// every command shares ([`settings`]).
pub(crate) fn check_finish_options(output: &OutputArgs) -> Result<(), AppError> {
    settings::decision_years(output.decision_years).map(|_| ())
}

/// A scenario loaded for a run, with the run's options checked and `--seed` and
/// `--iterations` written onto it.
pub(crate) struct Prepared {
    pub started: Instant,
    pub sc: Scenario,
    pub text: String,
    pub opts: RunOptions,
    /// The threads the run uses.
    pub threads: usize,
    /// Iterations including the base case.
    pub total: u64,
}

/// Loads a run's scenario and checks its options and size.
pub(crate) fn prepare_run(args: &RunArgs, threads: usize) -> Result<Prepared, AppError> {
    let started = Instant::now();
    let iterations = settings::iterations(args.iterations, 1)?;
    check_finish_options(&args.output)?;
    let (mut sc, text) = load_scenario_text(&args.file)?;
    settings::apply(&mut sc, args.seed, iterations);
    let opts = RunOptions { seed: sc.meta.seed, iterations: sc.meta.iterations, base_case_only: args.base_case_only };
    // Iterations including the base case.
    let total = if opts.base_case_only { 1 } else { opts.iterations as u64 + 1 };
    let estimate = settings::check_size(&sc, total, threads, Some(args.force))?;
    if estimate > 60.0 {
        eprintln!(
            "note: {} child-paths; this run will take about {} (progress is shown as it goes; Ctrl-C stops it and keeps any previous result)",
            crate::dist::fmt_num(settings::child_paths(&sc, total)),
            duration(estimate)
        );
    }
    Ok(Prepared { started, sc, text, opts, threads, total })
}

/// One iteration as a run keeps it: its digest, and its rows of `budget` (flow mode).
pub(crate) type Item = (Arc<IterationDigest>, Vec<budget::BudgetRow>);

/// Reduces one simulated iteration to what a run keeps of it ([`Item`]), on the thread that
/// simulated it. Each authority's `budget` rows are made only when `rows` (a run that writes
/// them, or a shard, whose merge may).
pub(crate) fn reduce(r: &sim::IterationResult, flow: bool, rows: bool) -> Item {
    let spend = if flow { crate::spend::every_authority_spend(r) } else { Vec::new() };
    let digest = Arc::new(IterationDigest::with_spend(r, &spend));
    let rows = if rows { budget::iteration_rows(r.iteration, &spend) } else { Vec::new() };
    (digest, rows)
}

/// Runs a scenario file and writes its outputs.
pub fn run_command(args: &RunArgs, threads: usize) -> Result<RunOutcome, AppError> {
    let p = prepare_run(args, threads)?;
    let dest = args.output.out.clone().unwrap_or_else(|| Path::new("output").join(&p.sc.meta.name));
    let bar = Arc::new(progress_bar(p.total));
    let flow = p.sc.budget.is_some();
    let rows = output::by_authority(&p.sc, &args.output);
    let finish = Finish::of_run(&p, args, dest);
    finish.run(&p.sc, &p.text, |sink| {
        let produced = sim::run_map(&p.sc, p.opts, &|| bar.tick_one(), |r| reduce(&r, flow, rows), &mut *sink);
        bar.finish();
        produced.map_err(AppError::failed)
    })
}

/// What a run does once its iterations exist, whether simulated here ([`run_command`]) or
/// read back from shards ([`shard::merge_command`]): the same code, so a merged run writes
/// what a whole run writes.
pub(crate) struct Finish {
    pub started: Instant,
    pub dest: PathBuf,
    pub scenario_file: String,
    /// The files the run reads (its scenario, the shards it merges): never inside `dest`.
    pub inputs: Vec<PathBuf>,
    pub base_case_only: bool,
    pub threads: usize,
    /// `csv`, `quiet`, `no_report` and `decision_years` are read from here.
    pub output: OutputArgs,
}

impl Finish {
    pub(crate) fn of_run(p: &Prepared, args: &RunArgs, dest: PathBuf) -> Finish {
        Finish {
            started: p.started,
            dest,
            scenario_file: args.file.display().to_string(),
            inputs: vec![args.file.clone()],
            base_case_only: p.opts.base_case_only,
            threads: p.threads,
            output: args.output.clone(),
        }
    }

    /// Stages the output folder, takes every iteration from `produce` (which hands each, in
    /// iteration order and the base case first, to the sink it is given), writes the
    /// per-iteration tables as they come, then the analyses, summaries, workbook and report,
    /// and puts the folder in place.
    pub fn run(
        &self,
        sc: &Scenario,
        text: &str,
        produce: impl FnOnce(&mut (dyn FnMut(Item) -> anyhow::Result<()> + Send)) -> Result<(), AppError>,
    ) -> Result<RunOutcome, AppError> {
        let inputs: Vec<&Path> = self.inputs.iter().map(PathBuf::as_path).collect();
        let staged = staging::StagedDir::new(&self.dest, staging::Kind::Run, &inputs)?;
        let sim_start = Instant::now();
        // The per-iteration tables are written as iterations arrive, on a thread of their own;
        // only the digests are kept for the analyses.
        let streams =
            output::Streams::start(staged.path(), sc, self.output.csv, output::by_authority(sc, &self.output))?;
        let mut digests: Vec<Arc<IterationDigest>> = Vec::new();
        let produced = produce(&mut |(digest, rows)| {
            digests.push(digest.clone());
            streams.send(output::IterationOut { digest, budget: rows })
        });
        // The writer's own error, if it stopped, says more than the run's "writer stopped".
        if let Err(f) = produced {
            return Err(match streams.finish() {
                Err(writer) => AppError::failed(writer),
                Ok(_) => f,
            });
        }
        // The writer may still be writing queued iterations; it finishes while the analyses run.
        let simulate_seconds = sim_start.elapsed().as_secs_f64();
        let run =
            RunDigest::assemble(sc, digests)?.ok_or_else(|| AppError::failed(anyhow!("the run has no base case")))?;
        let capped = run.capped();
        if capped > 0 {
            eprintln!(
                "warning: {} child paths reached the cap of {} returns home and were stopped there; with return_home_probability near 1, a high re-entry rate and short care episodes children go home again almost without end",
                count(capped as f64),
                count(sim::MAX_RETURNS_HOME as f64)
            );
        }

        let names: Vec<String> = sc.model.strategies.iter().map(|s| s.name.clone()).collect();
        let analyses_start = Instant::now();
        let settings = analyses::Settings { decision_years: self.output.decision_years, scope: analyses::Scope::Run };
        let analyses = Analyses::compute(sc, &run, &settings, sc.pilot.as_ref())?;
        let analyses_seconds = analyses_start.elapsed().as_secs_f64();
        let results = RunResults::new(sc, &run, analyses, self.output.decision_years)?;
        let streamed = streams.finish()?;
        results.write(staged.path(), &streamed)?;
        let info = RunInfo {
            crate_version: env!("CARGO_PKG_VERSION"),
            scenario: &sc.meta.name,
            scenario_file: self.scenario_file.clone(),
            scenario_sha256: sha256_hex(text.as_bytes()),
            seed: sc.meta.seed,
            iterations: run.psa.len(),
            base_case_only: self.base_case_only,
            threads: self.threads,
            children_per_iteration: sc.total_children(),
            strategies: sc.model.strategies.len(),
            paths_capped_at_max_returns: capped,
            wall_seconds: self.started.elapsed().as_secs_f64(),
            simulate_seconds,
            analyses_seconds,
        };
        results::write_json(staged.path(), "run.json", &info)?;
        if !self.output.no_report {
            let psa = output::psa_rows(&names, sc.authorities.len(), output::by_authority(sc, &self.output), &run);
            crate::report::write_report(staged.path(), Some(psa))?;
        }
        let dir = staged.commit()?;
        if !self.output.quiet {
            let mut text = terminal_summary(&results.summary);
            text += &format!("wrote {} in {:.2} s\n", dir.display(), self.started.elapsed().as_secs_f64());
            if !self.output.no_report {
                text += &format!("Report: {}\n", dir.join("report.html").display());
            }
            super::stdout::after_commit(&dir, &text)?;
        }
        Ok(RunOutcome { dir, summary: results.summary })
    }
}

/// Lower-case hex SHA-256 of some bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes as lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// "about 3 minutes", "about 2.5 hours", "about 40 days": an estimate in the unit a reader
/// would use.
pub(crate) fn duration(seconds: f64) -> String {
    let (v, unit) = if seconds < 120.0 {
        (seconds, "seconds")
    } else if seconds < 7200.0 {
        (seconds / 60.0, "minutes")
    } else if seconds < 2.0 * 86400.0 {
        (seconds / 3600.0, "hours")
    } else {
        (seconds / 86400.0, "days")
    };
    format!("{} {unit}", crate::dist::fmt_num((v * 10.0).round() / 10.0))
}

/// A progress bar on standard error that appears only once a run has taken a second, and
/// never when standard error is not a terminal.
pub(crate) struct Progress {
    bar: ProgressBar,
    start: Instant,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    pub(crate) fn tick_one(&self) {
        self.bar.inc(1);
        if self.start.elapsed() > Duration::from_secs(1)
            && std::io::stderr().is_terminal()
            && !self.shown.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

pub(crate) fn progress_bar(total: u64) -> Progress {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} iterations {pos}/{len} [{bar:30}] {elapsed} (about {eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    Progress { bar, start: Instant::now(), shown: false.into() }
}

/// What `run` prints at the end: one verdict paragraph per strategy (the same as the
/// report's), the note on which figure is the headline, and where the report is.
fn terminal_summary(summary: &SummaryFile) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}
",
        summary.title
    );
    for st in results::verdict::standings(summary).iter().filter(|s| !s.is_comparator) {
        let _ = writeln!(
            out,
            "{}
",
            wrap(&st.verdict, 96)
        );
    }
    let _ = writeln!(out, "{}", wrap(&results::verdict::headline_note(summary), 96));
    out
}

/// Wraps prose at `width` columns for the terminal.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if line > 0 && line + 1 + w > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += w;
    }
    out
}
