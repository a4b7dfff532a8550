//! The command-line application: the only layer that reads files, prints and exits.
//!
//! Sub-commands: `run`, `validate`, `init`, `report`, `breakeven`, `tornado`, `import-dfe`,
//! `reproduce`. Every flag is checked before work starts. Errors carry a category so the
//! process exits with 0 (ok), 1 (the run failed), 2 (bad input: a missing file, a scenario
//! that does not validate, a bad flag, an `--out` that is not a result folder) or 130
//! (interrupted by SIGINT or SIGTERM, see [`interrupt`]); nothing is written on failure.

pub mod import;
pub mod import903;
pub mod init;
pub mod interrupt;
pub mod output;
pub mod pilot;
pub mod reproduce;
pub mod serve;
pub mod settings;
pub mod shard;
pub mod staging;
pub mod stdout;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::analyses::{self, Analyses};
use crate::budget;
use crate::decision::Resimulation;
use crate::digest::{IterationDigest, RunDigest};
use crate::results::format::{count, money};
use crate::results::{self, SummaryFile};
use crate::scenario::Scenario;
use crate::sim::{self, RunOptions};

/// Exit code for bad input.
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for a run that failed.
pub const EXIT_RUN_FAILED: i32 = 1;

/// An error with the exit code it should produce.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub error: anyhow::Error,
}

fn bad_input(e: impl Into<anyhow::Error>) -> Failure {
    Failure { code: EXIT_BAD_INPUT, error: e.into() }
}

fn run_failed(e: impl Into<anyhow::Error>) -> Failure {
    Failure { code: EXIT_RUN_FAILED, error: e.into() }
}

/// A staging failure with its own exit code (2 for a destination that is not a result).
fn stage_failed(e: staging::StageError) -> Failure {
    Failure { code: e.exit_code(), error: e.into() }
}

#[derive(Parser, Debug)]
#[command(
    name = "reunify",
    version,
    about = "Simulates children returning home from care, and what post-return support costs and averts."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario: base case and PSA, tables, summary and report in output/<name>/.
    Run(RunArgs),
    /// Check scenario files without running them.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write a fully commented scenario to start from.
    Init {
        /// Where to write it (prints to standard output when omitted).
        file: Option<PathBuf>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Redraw the charts and report.html of a saved output folder, without re-running.
    Report {
        /// An output folder written by `reunify run`.
        dir: PathBuf,
    },
    /// Compare two saved runs: headline figures, Monte Carlo error, inputs that differ.
    Compare {
        /// The first output folder (A).
        a: PathBuf,
        /// The second output folder (B).
        b: PathBuf,
        /// Where to write the HTML page (default: compare.html in B's folder's parent, named
        /// after both runs).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Break-even analysis: what support must achieve to pay for itself.
    Breakeven {
        file: PathBuf,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// One-way sensitivity analysis: each uncertain parameter at its 2.5% and 97.5% quantiles.
    Tornado {
        file: PathBuf,
        /// Parameters to show per strategy.
        #[arg(long, default_value_t = 15)]
        top: usize,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Build a many-authority scenario from a DfE table of children who ceased to be looked after.
    ImportDfe {
        /// The DfE CSV (the SFR wide table or the EES long table).
        file: PathBuf,
        /// Reporting year (selects rows of the long table; names the scenario).
        #[arg(long)]
        year: i32,
        /// Scenario to take every other setting from.
        #[arg(long, default_value = "scenarios/england-2012-13.toml")]
        template: PathBuf,
        /// Where to write the scenario.
        #[arg(long)]
        out: PathBuf,
        /// Value imputed for each suppressed count.
        #[arg(long, default_value_t = 3)]
        suppressed: u64,
        /// Overwrite OUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Fit an authority's own baseline from its SSDA903 returns (Header and Episodes files of
    /// one or more collection years): a scenario, fit.json, the Kaplan–Meier table and a
    /// cleaning log, safe to share (no child ID or date of birth; counts from 1 to 4 as c).
    #[command(name = "import-903")]
    Import903(import903::Import903Args),
    /// Merge the shard folders of a run (`run FILE --shard I/N`) into its outputs, exactly as
    /// the whole run would have written them.
    Merge(shard::MergeArgs),
    /// What a local pilot trial of a strategy's support is worth at each size (EVSI, ENBS).
    Pilot(pilot::PilotArgs),
    /// A local what-if page: change price, effect, take-up or cohort and see the decision
    /// re-simulated at once.
    Serve {
        /// Scenario file.
        file: PathBuf,
        /// Port to listen on (0: any free port).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on; loopback by default, so only this machine can connect.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
    },
    /// Re-run the shipped reproduction scenarios and compare with the published figures.
    Reproduce {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// External validation instead: predictions set against independent national series
        /// that no scenario is calibrated to.
        #[arg(long)]
        external: bool,
        /// With --external: also write validation.csv and the validation chart into this folder.
        #[arg(long, requires = "external")]
        out: Option<PathBuf>,
        /// Replications per scenario (default: each scenario's own `iterations`).
        #[arg(long)]
        iterations: Option<u32>,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
}

impl Command {
    /// The `--threads` flag of the commands that simulate.
    fn threads(&self) -> Option<usize> {
        match self {
            Command::Run(a) => a.output.threads,
            Command::Merge(a) => a.output.threads,
            Command::Pilot(a) => a.threads,
            Command::Reproduce { threads, .. } => *threads,
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// The options of everything that writes a run's outputs: `run` and `merge`.
#[derive(clap::Args, Clone, Debug)]
pub struct OutputArgs {
    /// Output folder (default: output/<scenario name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Do not print the summary table.
    #[arg(long)]
    pub quiet: bool,
    /// Skip the charts and report.html.
    #[arg(long)]
    pub no_report: bool,
    /// Years of cohorts a decision affects, for population value of information.
    #[arg(long, default_value_t = 3.0)]
    pub decision_years: f64,
    /// Also write the per-iteration tables (iterations, parameters, budget) as CSV; they are
    /// always written as Parquet.
    #[arg(long)]
    pub csv: bool,
    /// With several authorities, write each authority's rows in the per-iteration tables
    /// (iterations, budget); by default they hold the total over authorities (`all`), and
    /// each authority's figures are summarised in summary.csv and authorities.csv.
    #[arg(long)]
    pub by_authority: bool,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The scenario file.
    pub file: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
    /// PSA iterations (overrides the scenario).
    #[arg(long)]
    pub iterations: Option<u32>,
    /// Random seed (overrides the scenario).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only the base case (every parameter at its point value).
    #[arg(long)]
    pub base_case_only: bool,
    /// Run even beyond 10^12 child-paths (children × iterations × strategies).
    #[arg(long)]
    pub force: bool,
    /// Run only shard I (from 0) of N: a fixed block of the iterations, into a shard folder
    /// (default output/<name>.shards/I-of-N) that `reunify merge` puts together. A shard
    /// already complete in its folder is not recomputed.
    #[arg(long, value_name = "I/N", conflicts_with = "checkpoint")]
    pub shard: Option<shard::ShardSpec>,
    /// Run block by block into a checkpoint folder beside the output, so that a run that is
    /// interrupted resumes where it stopped when it is run again.
    #[arg(long)]
    pub checkpoint: bool,
}

pub use settings::MAX_CHILD_PATHS;

/// Parses arguments, runs, and returns the process exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            e.print().ok();
            return code;
        }
    };
    match dispatch(cli) {
        Ok(()) => 0,
        Err(f) => {
            // A signal's handler removes the staging folder under a running writer, whose
            // error is then only a symptom: let the handler report and exit with 130.
            if interrupt::requested() {
                loop {
                    std::thread::park();
                }
            }
            eprintln!("error: {:#}", f.error);
            f.code
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    // Flags are checked once, before any work, and the worker pool is built once.
    let threads = settings::install_pool(settings::threads(cli.command.threads())?);
    match cli.command {
        Command::Run(args) => match args.shard {
            Some(spec) => shard::run_shard_command(&args, spec, threads),
            None if args.checkpoint => shard::run_checkpointed(&args, threads).map(|_| ()),
            None => run_command(&args, threads).map(|_| ()),
        },
        Command::Merge(args) => shard::merge_command(&args, threads),
        Command::Pilot(args) => pilot::pilot_command(&args),
        Command::Import903(args) => import903::command(&args),
        Command::Validate { files } => {
            // Every file is checked and reported, good or bad; the exit code is the worst.
            let mut worst: Option<Failure> = None;
            let mut failed = 0;
            for f in &files {
                let sc = match load_scenario(f) {
                    Ok(sc) => sc,
                    Err(e) => {
                        failed += 1;
                        if files.len() > 1 {
                            eprintln!("error: {:#}", e.error);
                        }
                        worst.get_or_insert(e);
                        continue;
                    }
                };
                let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
                println!(
                    "{}: ok ({}, {}, {}, {} of which {} uncertain)",
                    f.display(),
                    plural(sc.authorities.len(), "authority", "authorities"),
                    children_phrase(&sc),
                    plural(sc.model.strategies.len(), "strategy", "strategies"),
                    plural(sc.params.len(), "parameter", "parameters"),
                    sc.params.iter().filter(|p| !p.param.dist.is_fixed()).count()
                );
            }
            match worst {
                None => Ok(()),
                Some(f) if files.len() == 1 => Err(f),
                Some(f) => {
                    Err(Failure { code: f.code, error: anyhow!("{failed} of {} files did not validate", files.len()) })
                }
            }
        }
        Command::Init { file, force } => init::write(file.as_deref(), force),
        Command::Report { dir } => redraw_report(&dir),
        Command::Compare { a, b, out } => compare_command(&a, &b, out.as_deref()),
        Command::ImportDfe { file, year, template, out, suppressed, force } => {
            if !force && std::fs::symlink_metadata(&out).is_ok() {
                return Err(bad_input(anyhow!("{} exists; pass --force to overwrite it", out.display())));
            }
            let imported = import::read(&file, year, suppressed).map_err(bad_input)?;
            let template_text = std::fs::read_to_string(&template)
                .map_err(|e| bad_input(anyhow!("cannot read {}: {e}", template.display())))?;
            let text = import::scenario_text(&template_text, &imported, year, &file.display().to_string(), suppressed)
                .map_err(bad_input)?;
            // The generated file must validate before it is written.
            Scenario::from_toml_str(&text, &out.display().to_string()).map_err(run_failed)?;
            write_atomically(&out, &text).map_err(run_failed)?;
            let total = imported.total();
            println!(
                "{}: {} authorities, {} children returned home ({} suppressed counts imputed as {suppressed})",
                out.display(),
                imported.authorities.len(),
                count(total as f64),
                imported.imputed
            );
            if let Some(national) = imported.national {
                let diff = total as f64 - national as f64;
                println!(
                    "national figure {}: authorities sum to {} ({:+.2}%)",
                    count(national as f64),
                    count(total as f64),
                    100.0 * diff / national.max(1) as f64
                );
            }
            Ok(())
        }
        Command::Breakeven { file, seed } => {
            let sc = load_scenario(&file)?;
            let rows = Resimulation::simulate(&sc, seed.unwrap_or(sc.meta.seed))
                .and_then(|r| r.breakeven())
                .map_err(run_failed)?;
            for b in &rows {
                println!("{}", results::verdict::breakeven_sentence(b, sc.horizon()));
            }
            Ok(())
        }
        Command::Tornado { file, top, seed } => {
            let sc = load_scenario(&file)?;
            let t = Resimulation::simulate(&sc, seed.unwrap_or(sc.meta.seed))
                .and_then(|r| r.tornado())
                .map_err(run_failed)?;
            for (name, net, averted) in &t.base {
                println!("{name}: base case net saving {}, breakdowns averted {}", money(*net), count(*averted));
                println!(
                    "  {:<52} {:>12} {:>12} {:>14} {:>14}",
                    "parameter", "low", "high", "net at low", "net at high"
                );
                for r in t.rows.iter().filter(|r| &r.strategy == name).take(top) {
                    println!(
                        "  {:<52} {:>12} {:>12} {:>14} {:>14}",
                        r.parameter,
                        crate::dist::fmt_num(r.low_value),
                        crate::dist::fmt_num(r.high_value),
                        money(r.low_net_saving),
                        money(r.high_net_saving)
                    );
                }
            }
            Ok(())
        }
        Command::Serve { file, port, host } => {
            let (sc, text) = load_scenario_text(&file)?;
            let state = serve::State::new(sc, text, file.display().to_string());
            serve::serve(state, &host, port, |url| {
                println!("What-if page for {}: open {url} (Ctrl-C stops)", file.display());
            })
            .map_err(run_failed)
        }
        Command::Reproduce { format, external, out, iterations, threads: _ } => {
            let iterations = settings::iterations(iterations, 1)?;
            if let Some(dir) = &out {
                staging::check_side_folder(dir).map_err(stage_failed)?;
            }
            if external {
                let ext = reproduce::external(iterations).map_err(run_failed)?;
                if let Some(dir) = &out {
                    write_validation(dir, &ext).map_err(run_failed)?;
                }
                match format {
                    Format::Json => println!("{}", serde_json::to_string_pretty(&ext.rows).map_err(run_failed)?),
                    Format::Table => print!("{}", reproduce::external_table(&ext.rows)),
                }
                // The table reports agreement; it is not a test the model must pass.
                return Ok(());
            }
            let rows = reproduce::reproduce(iterations).map_err(run_failed)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&rows).map_err(run_failed)?),
                Format::Table => print!("{}", reproduce::table(&rows)),
            }
            if rows.iter().all(|r| r.within_tolerance) {
                Ok(())
            } else {
                Err(run_failed(anyhow!("some figures were not recovered within tolerance")))
            }
        }
    }
}

/// `reproduce --external --out DIR`: the validation table and chart, each written whole
/// into a staging file in `DIR` and renamed into place.
fn write_validation(dir: &Path, ext: &reproduce::External) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let staged = tempfile::Builder::new()
        .prefix(".validation-")
        .tempdir_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    crate::results::table::write(staged.path(), &ext.rows, crate::results::table::Formats::CSV)?;
    let drawn = crate::report::charts::Drawn::new(staged.path());
    drawn.draw(&crate::report::charts::ValidationChart::new(&ext.curves, &ext.rows))?;
    drawn.finish()?;
    for f in ["validation.csv", "validation.svg", "validation.png"] {
        std::fs::rename(staged.path().join(f), dir.join(f))
            .with_context(|| format!("cannot write {}", dir.join(f).display()))?;
    }
    Ok(())
}

/// `reunify report DIR`: draws into a temporary folder inside `DIR`, then moves each file
/// into place, so a failure leaves the previous report intact.
fn redraw_report(dir: &Path) -> Result<(), Failure> {
    if !dir.join("summary.json").exists() {
        return Err(bad_input(anyhow!("{} is not a reunify output folder (no summary.json)", dir.display())));
    }
    let started = Instant::now();
    let staged = staging::StagedDir::new(&dir.join("report-staging")).map_err(stage_failed)?;
    crate::report::write_report_into(dir, staged.path(), None).map_err(run_failed)?;
    for entry in std::fs::read_dir(staged.path()).map_err(run_failed)? {
        let entry = entry.map_err(run_failed)?;
        std::fs::rename(entry.path(), dir.join(entry.file_name())).map_err(run_failed)?;
    }
    drop(staged);
    println!("wrote {} in {:.2} s", dir.join("report.html").display(), started.elapsed().as_secs_f64());
    Ok(())
}

/// Reads and validates a scenario file; every failure is bad input.
pub fn load_scenario(path: &Path) -> Result<Scenario, Failure> {
    load_scenario_text(path).map(|(sc, _)| sc)
}

/// Reads and validates a scenario file, returning its text too (run.json hashes it).
fn load_scenario_text(path: &Path) -> Result<(Scenario, String), Failure> {
    let text = read_text(path).map_err(bad_input)?;
    let sc = Scenario::from_toml_str(&text, &path.display().to_string()).map_err(bad_input)?;
    for w in &sc.warnings {
        eprintln!("warning: {w}");
    }
    Ok((sc, text))
}

/// Writes `text` to `path` through a temporary file beside it, renamed into place; the
/// temporary file is removed on any failure.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    // A temporary file is private (0600); the file it becomes gets what the user's umask
    // gives any new file, as `>` in a shell would.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = 0o666 & !umask();
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    tmp.persist(path).map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// The process's umask, read from `/proc/self/status` (reading it with `umask(2)` would
/// change it for a moment under other threads); 022 where that is not there.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("Umask:").and_then(|v| u32::from_str_radix(v.trim(), 8).ok()))
        })
        .unwrap_or(0o022)
}

/// Reads a text file, naming the file and, for text that is not UTF-8, the encoding.
pub fn read_text(path: &Path) -> Result<String> {
    let shown = path.display();
    if path.is_dir() {
        return Err(anyhow!("cannot read {shown}: it is a folder, not a file"));
    }
    let bytes = std::fs::read(path).map_err(|e| anyhow!("cannot read {shown}: {e}"))?;
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(anyhow!(
            "{shown} is UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8; in Notepad: Save as, Encoding UTF-8)"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        anyhow!(
            "{shown}: line {line}: byte {at} is not UTF-8; save the file as UTF-8 (Windows-1252 and other encodings are not read)"
        )
    })
}

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

fn read_summary(dir: &Path) -> Result<SummaryFile, Failure> {
    let path = dir.join("summary.json");
    let text = read_text(&path).map_err(bad_input)?;
    serde_json::from_str(&text)
        .with_context(|| {
            format!("{} is not a reunify summary (is {} a run's output folder?)", path.display(), dir.display())
        })
        .map_err(bad_input)
}

fn compare_command(a: &Path, b: &Path, out: Option<&Path>) -> Result<(), Failure> {
    let (sa, sb) = (read_summary(a)?, read_summary(b)?);
    let (na, nb) = (a.display().to_string(), b.display().to_string());
    print!("{}", crate::report::compare::text(&na, &sa, &nb, &sb));
    let html = crate::report::compare::page(&na, &sa, &nb, &sb).map_err(run_failed)?;
    // Named after both folders, so that two runs of one scenario do not share a name.
    let folder = |p: &Path, s: &SummaryFile| {
        std::fs::canonicalize(p)
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| s.scenario.clone())
    };
    let default =
        b.parent().unwrap_or(Path::new(".")).join(format!("compare-{}-vs-{}.html", folder(a, &sa), folder(b, &sb)));
    let path = out.map(Path::to_path_buf).unwrap_or(default);
    staging::check_page(&path).map_err(stage_failed)?;
    write_atomically(&path, &html).map_err(run_failed)?;
    println!("Comparison: {}", path.display());
    Ok(())
}

/// What a finished `run` leaves behind, for callers such as tests.
pub struct RunOutcome {
    pub dir: PathBuf,
    pub summary: SummaryFile,
}

/// Checks the options that every way of finishing a run shares (`run`, `merge`), by the rules
/// every command shares ([`settings`]).
pub(crate) fn check_finish_options(output: &OutputArgs) -> Result<(), Failure> {
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
pub(crate) fn prepare_run(args: &RunArgs, threads: usize) -> Result<Prepared, Failure> {
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
pub(crate) fn reduce(r: sim::IterationResult, flow: bool, rows: bool) -> Item {
    let spend = if flow { crate::spend::every_authority_spend(&r) } else { Vec::new() };
    let digest = Arc::new(IterationDigest::with_spend(&r, &spend));
    let rows = if rows { budget::iteration_rows(r.iteration, &spend) } else { Vec::new() };
    (digest, rows)
}

/// Runs a scenario file and writes its outputs.
pub fn run_command(args: &RunArgs, threads: usize) -> Result<RunOutcome, Failure> {
    let p = prepare_run(args, threads)?;
    let dest = args.output.out.clone().unwrap_or_else(|| Path::new("output").join(&p.sc.meta.name));
    let bar = Arc::new(progress_bar(p.total));
    let flow = p.sc.budget.is_some();
    let rows = output::by_authority(&p.sc, &args.output);
    let finish = Finish::of_run(&p, args, dest);
    finish.run(&p.sc, &p.text, |sink| {
        let produced = sim::run_map(&p.sc, p.opts, &|| bar.tick_one(), |r| reduce(r, flow, rows), &mut *sink);
        bar.finish();
        produced.map_err(run_failed)
    })
}

/// What a run does once its iterations exist, whether simulated here ([`run_command`]) or
/// read back from shards ([`shard::merge_command`]): the same code, so a merged run writes
/// what a whole run writes.
pub(crate) struct Finish {
    pub started: Instant,
    pub dest: PathBuf,
    pub scenario_file: String,
    pub seed: u64,
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
            seed: p.opts.seed,
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
        produce: impl FnOnce(&mut (dyn FnMut(Item) -> anyhow::Result<()> + Send)) -> Result<(), Failure>,
    ) -> Result<RunOutcome, Failure> {
        let staged = staging::StagedDir::new(&self.dest).map_err(stage_failed)?;
        let sim_start = Instant::now();
        // The per-iteration tables are written as iterations arrive, on a thread of their own;
        // only the digests are kept for the analyses.
        let streams =
            output::Streams::start(staged.path(), sc, self.output.csv, output::by_authority(sc, &self.output))
                .map_err(run_failed)?;
        let mut digests: Vec<Arc<IterationDigest>> = Vec::new();
        let produced = produce(&mut |(digest, rows)| {
            digests.push(digest.clone());
            streams.send(output::IterationOut { digest, budget: rows })
        });
        // The writer's own error, if it stopped, says more than the run's "writer stopped".
        if let Err(f) = produced {
            return Err(match streams.finish() {
                Err(writer) => run_failed(writer),
                Ok(_) => f,
            });
        }
        // The writer may still be writing queued iterations; it finishes while the analyses run.
        let simulate_seconds = sim_start.elapsed().as_secs_f64();
        let run = RunDigest::assemble(sc, digests)
            .map_err(run_failed)?
            .ok_or_else(|| run_failed(anyhow!("the run has no base case")))?;
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
        let settings = analyses::Settings {
            seed: self.seed,
            decision_years: self.output.decision_years,
            scope: analyses::Scope::Run,
        };
        let analyses = Analyses::compute(sc, &run, &settings, sc.pilot.as_ref()).map_err(run_failed)?;
        let analyses_seconds = analyses_start.elapsed().as_secs_f64();
        let mut summary = SummaryFile::new(
            sc,
            self.seed,
            &run,
            results::summary_rows(sc, &run, &names),
            analyses.breakeven.clone(),
            self.output.decision_years,
        );
        summary.resimulated = analyses.resimulated(sc);
        summary.pilot = analyses.pilot.as_ref().map(|v| v.summary.clone());
        let streamed = streams.finish().map_err(run_failed)?;
        output::write_all(staged.path(), &summary, &analyses, &streamed).map_err(run_failed)?;
        let info = RunInfo {
            crate_version: env!("CARGO_PKG_VERSION"),
            scenario: &sc.meta.name,
            scenario_file: self.scenario_file.clone(),
            scenario_sha256: sha256_hex(text.as_bytes()),
            seed: self.seed,
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
        output::write_json(staged.path(), "run.json", &info).map_err(run_failed)?;
        if !self.output.no_report {
            let psa = output::psa_rows(&names, sc.authorities.len(), output::by_authority(sc, &self.output), &run);
            crate::report::write_report(staged.path(), Some(psa)).map_err(run_failed)?;
        }
        let dir = staged.commit().map_err(stage_failed)?;
        if !self.output.quiet {
            print!("{}", terminal_summary(&summary));
            println!("wrote {} in {:.2} s", dir.display(), self.started.elapsed().as_secs_f64());
            if !self.output.no_report {
                println!("Report: {}", dir.join("report.html").display());
            }
        }
        Ok(RunOutcome { dir, summary })
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

/// The children a scenario follows, showing how the total is made: "180 children", or in
/// flow mode "60 children a cohort × 3 cohorts = 180 children" (with growth, the cohorts
/// are listed: "3 cohorts of 60, 63 and 66 = 189 children").
fn children_phrase(sc: &Scenario) -> String {
    let total = count(sc.total_children() as f64);
    let Some(_) = &sc.budget else { return format!("{total} children") };
    let mut by_cohort: Vec<u64> = Vec::new();
    for a in &sc.authorities {
        for (i, n) in sc.cohorts(a.children).into_iter().enumerate() {
            if by_cohort.len() <= i {
                by_cohort.push(0);
            }
            by_cohort[i] += n;
        }
    }
    match by_cohort.as_slice() {
        [] | [_] => format!("{total} children"),
        [first, rest @ ..] if rest.iter().all(|n| n == first) => {
            format!("{} children a cohort × {} cohorts = {total} children", count(*first as f64), by_cohort.len())
        }
        all => {
            let sizes: Vec<String> = all.iter().map(|n| count(*n as f64)).collect();
            let (last, init) = sizes.split_last().expect("at least two cohorts");
            format!("{} cohorts of {} and {last} = {total} children", all.len(), init.join(", "))
        }
    }
}

/// "about 3 minutes", "about 2.5 hours", "about 40 days": an estimate in the unit a reader
/// would use.
fn duration(seconds: f64) -> String {
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
struct Progress {
    bar: ProgressBar,
    start: Instant,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    fn tick_one(&self) {
        self.bar.inc(1);
        if self.start.elapsed() > Duration::from_secs(1)
            && std::io::stderr().is_terminal()
            && !self.shown.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn progress_bar(total: u64) -> Progress {
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
