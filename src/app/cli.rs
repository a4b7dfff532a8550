//! The command line as clap reads it: the commands, their flags and their help. Nothing here
//! checks a value beyond its type; [`super::settings`] holds one rule per flag, applied the
//! same way for every command before any work.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use super::{import903, pilot, shard};

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
    pub fn threads(&self) -> Option<usize> {
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
