//! Scale-out: a run cut into shards by iterations, each simulated anywhere (a Slurm array
//! task, a Kubernetes indexed pod), and merged bit-exactly.
//!
//! **Shards.** Shard `I` of `N` holds the PSA iterations `⌊I·n/N⌋ + 1 ..= ⌊(I+1)·n/N⌋` of a run
//! of `n` iterations, and shard 0 also holds the base case. Every random stream is keyed by
//! `(seed, iteration, authority, child, purpose)`, so a shard simulates exactly the iterations
//! the whole run would, on any machine and any number of threads. A shard's folder holds
//! `scenario.toml` (the scenario's text), `iterations.bin` (each iteration's digest and flow
//! spend rows, in iteration order: the mergeable per-iteration results, not the final tables)
//! and `manifest.json`, written last, which names the scenario by its SHA-256, the seed, the
//! run's iterations, the shard's range and the engine version, and holds the data file's size
//! and SHA-256. A shard folder whose manifest matches and whose data is whole is complete and
//! is not recomputed.
//!
//! **Merge** checks the manifests (one scenario, seed, engine and set of shards; none missing,
//! none twice; every file whole by its SHA-256) before it writes anything, then hands the
//! iterations, in order, to the code that finishes a run (`Finish` in `app`), so its files are
//! byte-identical to `reunify run`'s whatever the number and order of the shards.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, anyhow};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::run::{Finish, Item, Prepared, prepare_run, progress_bar, reduce, sha256_hex};
use super::{AppError, RunArgs, staging};
use crate::budget::BudgetRow;
use crate::digest::IterationDigest;
use crate::scenario::Scenario;
use crate::sim::{self, Part};

/// The file a complete shard folder is recognised by, written last.
pub const MANIFEST: &str = "manifest.json";
const DATA: &str = "iterations.bin";
const SCENARIO: &str = "scenario.toml";
/// The layout of a shard folder; a merge refuses any other.
const FORMAT: u32 = 1;

/// `--shard I/N`: shard `I` (0-based) of `N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl FromStr for ShardSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a shard: write I/N, shard I (from 0) of N, as in 3/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        ShardSpec::new(index, count)
    }
}

impl ShardSpec {
    /// Shard `index` of `count`, which must exist.
    pub fn new(index: u32, count: u32) -> Result<ShardSpec, String> {
        if count == 0 || index >= count {
            return Err(format!("shard {index} of {count} does not exist: shards are numbered from 0 to N − 1"));
        }
        Ok(ShardSpec { index, count })
    }
}

/// The PSA iterations of shard `index` of `count` in a run of `iterations` (empty when there
/// are more shards than iterations).
pub fn psa_range(index: u32, count: u32, iterations: u32) -> std::ops::RangeInclusive<u32> {
    let at = |i: u32| (i as u64 * iterations as u64 / count as u64) as u32;
    at(index) + 1..=at(index + 1)
}

/// A shard's range in words: "iterations 3750–4999", with the base case where it has it.
fn range_words(index: u32, range: &std::ops::RangeInclusive<u32>) -> String {
    let psa = if range.is_empty() {
        "no PSA iterations".to_string()
    } else {
        format!("iterations {}–{}", range.start(), range.end())
    };
    if index == 0 { format!("the base case and {psa}") } else { psa }
}

/// `manifest.json` of a shard folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub engine_version: String,
    pub scenario: String,
    /// The scenario file as the shard's run was given it (`run.json` repeats it).
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub seed: u64,
    /// PSA iterations of the whole run.
    pub iterations: u32,
    pub base_case_only: bool,
    pub shard: u32,
    pub shards: u32,
    /// PSA iterations of this shard (`first > last` when it has none).
    pub first_iteration: u32,
    pub last_iteration: u32,
    /// Iterations in `iterations.bin`, with the base case in shard 0.
    pub records: u64,
    pub data_bytes: u64,
    pub data_sha256: String,
}

impl Manifest {
    /// What the shard is of, without its data: two manifests of the same shard of the same
    /// run agree on all of it.
    fn identity(&self) -> (u32, &str, &str, u64, u32, bool, u32, u32) {
        (
            self.format,
            &self.engine_version,
            &self.scenario_sha256,
            self.seed,
            self.iterations,
            self.base_case_only,
            self.shard,
            self.shards,
        )
    }

    fn range(&self) -> std::ops::RangeInclusive<u32> {
        self.first_iteration..=self.last_iteration
    }

    fn expected_records(&self) -> u64 {
        let r = self.range();
        let psa = if r.is_empty() { 0 } else { (r.end() - r.start()) as u64 + 1 };
        psa + (self.shard == 0) as u64
    }
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing { inner, hash: Sha256::new(), bytes: 0 }
    }

    /// The hex SHA-256 and the number of the bytes written.
    fn finish(self) -> (String, u64) {
        (super::run::hex(&self.hash.finalize()), self.bytes)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// bincode's layout for shard records, with a bound on what one record may claim to hold, so
/// that a damaged file cannot ask for unbounded memory.
fn codec() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<{ 1 << 30 }>()
}

/// A manifest from its bytes.
pub fn parse_manifest(bytes: &[u8]) -> anyhow::Result<Manifest> {
    let m: Manifest = serde_json::from_slice(bytes)?;
    // The same rules as `--shard I/N` and `--iterations`, so nothing after this divides by
    // zero shards or plans for more iterations than a run may have.
    ShardSpec::new(m.shard, m.shards).map_err(|e| anyhow!("{e}"))?;
    if m.iterations > crate::scenario::MAX_ITERATIONS {
        anyhow::bail!("{} iterations is more than a run may have ({})", m.iterations, crate::scenario::MAX_ITERATIONS);
    }
    Ok(m)
}

/// One iteration's record from a shard's data: its digest and its `budget` rows.
pub fn decode_record(input: &mut impl Read) -> Result<(IterationDigest, Vec<BudgetRow>), bincode::error::DecodeError> {
    bincode::serde::decode_from_std_read(input, codec())
}

/// Checks a record read back against the scenario it belongs to, so that nothing after it
/// can index out of bounds.
pub fn check_record(sc: &Scenario, digest: &IterationDigest, rows: &[BudgetRow]) -> Result<(), String> {
    let (strategies, authorities) = (sc.model.strategies.len(), sc.authorities.len());
    let years = sc.budget.as_ref().map_or(0, |b| b.years as usize);
    digest.check_shape(strategies, authorities, sc.params.len(), years)?;
    if rows.len() != strategies * authorities * years
        || rows.iter().any(|r| r.strategy >= strategies || r.authority >= authorities || r.year >= years)
    {
        return Err(format!(
            "its budget rows are not {strategies} strategies × {authorities} authorities × {years} years"
        ));
    }
    Ok(())
}

fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST);
    if !dir.is_dir() {
        anyhow::bail!("{} is not a folder", dir.display());
    }
    if !path.is_file() {
        anyhow::bail!("{} is not a complete reunify shard: it has no {MANIFEST}", dir.display());
    }
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_manifest(&bytes).with_context(|| format!("{} is not a reunify shard manifest", path.display()))
}

/// The SHA-256 and size of a file.
fn hash_file(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut f = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hashing = Hashing::new(std::io::sink());
    std::io::copy(&mut f, &mut hashing).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hashing.finish())
}

/// Checks that a shard's files are whole: its scenario and its data match the manifest.
fn verify(dir: &Path, m: &Manifest) -> anyhow::Result<()> {
    let name = format!("shard {} of {} ({})", m.shard, m.shards, dir.display());
    let scenario = std::fs::read(dir.join(SCENARIO)).with_context(|| format!("{name}: cannot read {SCENARIO}"))?;
    if sha256_hex(&scenario) != m.scenario_sha256 {
        anyhow::bail!("{name}: {SCENARIO} is not the scenario its manifest names (its SHA-256 differs)");
    }
    let (sha, bytes) = hash_file(&dir.join(DATA)).with_context(|| name.clone())?;
    if bytes != m.data_bytes {
        anyhow::bail!("{name}: {DATA} is truncated or damaged: {bytes} bytes where the manifest says {}", m.data_bytes);
    }
    if sha != m.data_sha256 {
        anyhow::bail!("{name}: {DATA} is damaged: its SHA-256 differs from the manifest's");
    }
    if m.records != m.expected_records() {
        anyhow::bail!(
            "{name}: its manifest counts {} iterations where its range holds {}",
            m.records,
            m.expected_records()
        );
    }
    Ok(())
}

/// The default folder of a shard: `output/<name>.shards/<I>-of-<N>`.
pub fn default_dir(name: &str, spec: ShardSpec) -> PathBuf {
    Path::new("output").join(format!("{name}.shards")).join(format!("{}-of-{}", spec.index, spec.count))
}

/// The manifest a shard of this run will have, before its data is written.
fn planned(p: &Prepared, scenario_file: &str, spec: ShardSpec) -> Manifest {
    let iterations = if p.opts.base_case_only { 0 } else { p.opts.iterations };
    let range = psa_range(spec.index, spec.count, iterations);
    Manifest {
        format: FORMAT,
        engine_version: env!("CARGO_PKG_VERSION").into(),
        scenario: p.sc.meta.name.clone(),
        scenario_file: scenario_file.into(),
        scenario_sha256: sha256_hex(p.text.as_bytes()),
        seed: p.opts.seed,
        iterations,
        base_case_only: p.opts.base_case_only,
        shard: spec.index,
        shards: spec.count,
        first_iteration: *range.start(),
        last_iteration: *range.end(),
        records: 0,
        data_bytes: 0,
        data_sha256: String::new(),
    }
}

/// The manifest of the shard `planned` when `dir` already holds it whole.
fn complete(dir: &Path, planned: &Manifest) -> Option<Manifest> {
    read_manifest(dir).ok().filter(|done| done.identity() == planned.identity() && verify(dir, done).is_ok())
}

/// Simulates the shard `manifest` plans into `dest` (staged, then put in place), ticking `tick`
/// once per iteration, and returns its manifest as written.
fn write_shard(
    p: &Prepared,
    mut manifest: Manifest,
    dest: &Path,
    tick: &(dyn Fn() + Sync),
) -> Result<Manifest, AppError> {
    let staged = staging::StagedDir::new(dest, staging::Kind::Shard, &[])?;
    let write_err = |what: &str| format!("cannot write {what} in {}", staged.path().display());
    std::fs::write(staged.path().join(SCENARIO), &p.text).with_context(|| write_err(SCENARIO))?;
    let file = File::create(staged.path().join(DATA)).with_context(|| write_err(DATA))?;
    let mut out = Hashing::new(BufWriter::new(file));
    let part = Part { base: manifest.shard == 0, psa: manifest.range() };
    let flow = p.sc.budget.is_some();
    let mut written = 0u64;
    sim::run_part(
        &p.sc,
        p.opts.seed,
        &part,
        tick,
        &sim::never,
        |r| reduce(&r, flow, true),
        |(digest, rows): Item| -> anyhow::Result<()> {
            bincode::serde::encode_into_std_write((&*digest, &rows), &mut out, codec())
                .with_context(|| write_err(DATA))?;
            written += 1;
            Ok(())
        },
    )?;
    out.flush().with_context(|| write_err(DATA))?;
    manifest.records = written;
    (manifest.data_sha256, manifest.data_bytes) = out.finish();
    crate::results::write_json(staged.path(), MANIFEST, &manifest)?;
    staged.commit()?;
    Ok(manifest)
}

/// `reunify run FILE --shard I/N`: simulates one shard into its folder, unless that folder
/// already holds it whole.
pub fn run_shard_command(args: &RunArgs, spec: ShardSpec, threads: usize) -> Result<(), AppError> {
    let p = prepare_run(args, threads)?;
    let dest = args.output.out.clone().unwrap_or_else(|| default_dir(&p.sc.meta.name, spec));
    let manifest = planned(&p, &args.file.display().to_string(), spec);
    let words = range_words(spec.index, &manifest.range());
    if complete(&dest, &manifest).is_some() {
        if !args.output.quiet {
            println!(
                "shard {} of {} ({words}) is already complete in {}; not recomputed",
                spec.index,
                spec.count,
                dest.display()
            );
        }
        return Ok(());
    }
    let bar = Arc::new(progress_bar(manifest.expected_records()));
    let tick = bar.clone();
    let written = write_shard(&p, manifest, &dest, &move || tick.tick_one());
    bar.finish();
    written?;
    if !args.output.quiet {
        println!(
            "wrote shard {} of {} ({words}) to {} in {:.2} s",
            spec.index,
            spec.count,
            dest.display(),
            p.started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Blocks of a checkpointed run: at most this many, so that an interrupted run loses at most
/// a hundredth of its work.
pub const CHECKPOINT_BLOCKS: u32 = 100;

/// `reunify run FILE --checkpoint`: runs block by block (shards) into a checkpoint folder
/// beside the output (`.<name>.checkpoint`), resuming from the blocks already there, then
/// merges them into the output and removes the checkpoint.
pub fn run_checkpointed(args: &RunArgs, threads: usize) -> Result<super::RunOutcome, AppError> {
    let p = prepare_run(args, threads)?;
    let dest = args.output.out.clone().unwrap_or_else(|| Path::new("output").join(&p.sc.meta.name));
    // The output folder is checked before any block is simulated, not after all of them.
    staging::check_destination_for(&dest, &[&args.file])?;
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| p.sc.meta.name.clone());
    let checkpoint = dest.with_file_name(format!(".{name}.checkpoint"));
    std::fs::create_dir_all(&checkpoint).with_context(|| format!("cannot create {}", checkpoint.display()))?;
    let iterations = if p.opts.base_case_only { 0 } else { p.opts.iterations };
    let count = iterations.clamp(1, CHECKPOINT_BLOCKS);
    let file = args.file.display().to_string();
    let blocks: Vec<(PathBuf, Manifest)> = (0..count)
        .map(|index| {
            let spec = ShardSpec { index, count };
            (checkpoint.join(format!("{index}-of-{count}")), planned(&p, &file, spec))
        })
        .collect();
    // Each block's files are checked once: those whole are kept, the others run.
    let found: Vec<Option<Manifest>> = blocks.iter().map(|(dir, m)| complete(dir, m)).collect();
    let done = found.iter().flatten().count();
    if done > 0 {
        eprintln!("resuming: {done} of {count} blocks done (in {})", checkpoint.display());
    }
    let bar = Arc::new(progress_bar(p.total));
    let mut shards = Vec::with_capacity(blocks.len());
    for ((dir, planned), found) in blocks.into_iter().zip(found) {
        let manifest = match found {
            Some(m) => {
                for _ in 0..m.expected_records() {
                    bar.tick_one();
                }
                m
            }
            None => {
                let tick = bar.clone();
                write_shard(&p, planned, &dir, &move || tick.tick_one())?
            }
        };
        shards.push((dir, manifest));
    }
    bar.finish();
    let finish = Finish::of_run(&p, args, dest);
    let outcome = finish.run(&p.sc, &p.text, |sink| feed(&p.sc, &shards, sink, &|| {}))?;
    std::fs::remove_dir_all(&checkpoint).with_context(|| format!("cannot remove {}", checkpoint.display()))?;
    Ok(outcome)
}

/// Reads the iterations of whole shards, in shard order, into a run's sink.
fn feed(
    sc: &Scenario,
    shards: &[(PathBuf, Manifest)],
    sink: &mut (dyn FnMut(Item) -> anyhow::Result<()> + Send),
    tick: &dyn Fn(),
) -> Result<(), AppError> {
    let mut months: Option<usize> = None;
    for (dir, m) in shards {
        let path = dir.join(DATA);
        let mut input = BufReader::new(
            File::open(&path).map_err(|e| AppError::bad(anyhow!("cannot read {}: {e}", path.display())))?,
        );
        let expected = (m.shard == 0).then_some(0).into_iter().chain(m.range());
        for iteration in expected {
            let which = || format!("shard {} of {} ({})", m.shard, m.shards, dir.display());
            let (digest, rows) = decode_record(&mut input)
                .map_err(|e| AppError::bad(anyhow!("{}: {DATA} cannot be read: {e}", which())))?;
            let months_differ = |n: usize| {
                format!("its re-entry curve has {} months where the base case's has {n}", digest.curve_months())
            };
            check_record(sc, &digest, &rows)
                .and_then(|()| match *months.get_or_insert(digest.curve_months()) {
                    n if n == digest.curve_months() => Ok(()),
                    n => Err(months_differ(n)),
                })
                .map_err(|e| {
                    AppError::bad(anyhow!(
                        "{}: iteration {} in {DATA} does not fit the scenario: {e}",
                        which(),
                        digest.iteration
                    ))
                })?;
            if digest.iteration != iteration {
                return Err(AppError::bad(anyhow!(
                    "shard {} of {} ({}): {DATA} holds iteration {} where iteration {iteration} belongs",
                    m.shard,
                    m.shards,
                    dir.display(),
                    digest.iteration
                )));
            }
            sink((Arc::new(digest), rows))?;
            tick();
        }
    }
    Ok(())
}

/// `reunify merge`'s options.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Shard folders written by `reunify run FILE --shard I/N`, in any order.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    #[command(flatten)]
    pub output: super::OutputArgs,
}

/// Checks that the shards given make one whole run, and returns them in shard order.
fn check_set(given: Vec<(PathBuf, Manifest)>) -> anyhow::Result<Vec<(PathBuf, Manifest)>> {
    let (first_dir, first) = given.first().cloned().ok_or_else(|| anyhow!("no shard folders given"))?;
    let who = |dir: &Path, m: &Manifest| format!("shard {} of {} ({})", m.shard, m.shards, dir.display());
    for (dir, m) in &given {
        let differs = |what: &str| {
            anyhow!(
                "{} is of {what} than {}; shards of different runs do not merge",
                who(dir, m),
                who(&first_dir, &first)
            )
        };
        if m.format != FORMAT {
            anyhow::bail!("{} was written in shard format {} where this reunify reads {FORMAT}", who(dir, m), m.format);
        }
        if m.engine_version != first.engine_version {
            return Err(differs(&format!(
                "another engine version ({} where the other is {})",
                m.engine_version, first.engine_version
            )));
        }
        if m.scenario_sha256 != first.scenario_sha256 {
            return Err(differs("another scenario (its scenario file's SHA-256 differs)"));
        }
        if m.seed != first.seed {
            return Err(differs(&format!("another seed ({} where the other is {})", m.seed, first.seed)));
        }
        if (m.iterations, m.base_case_only) != (first.iterations, first.base_case_only) {
            return Err(differs(&format!(
                "another number of iterations ({} where the other is {})",
                m.iterations, first.iterations
            )));
        }
        if m.shards != first.shards {
            return Err(differs(&format!("another split ({} shards where the other has {})", m.shards, first.shards)));
        }
        if m.range() != psa_range(m.shard, m.shards, m.iterations) {
            anyhow::bail!("{}: its iteration range is not shard {}'s of {}", who(dir, m), m.shard, m.shards);
        }
    }
    let mut by_index: BTreeMap<u32, (PathBuf, Manifest)> = BTreeMap::new();
    for (dir, m) in given {
        if let Some((other, _)) = by_index.get(&m.shard) {
            anyhow::bail!(
                "shard {} of {} is given twice: {} and {}; each shard must be given once",
                m.shard,
                m.shards,
                other.display(),
                dir.display()
            );
        }
        by_index.insert(m.shard, (dir, m));
    }
    // The missing shards, the first few by name: a set of a million shards missing all but
    // one must not build a million lines.
    const NAMED: usize = 5;
    let absent = first.shards as usize - by_index.len();
    if absent > 0 {
        let named: Vec<String> = (0..first.shards)
            .filter(|i| !by_index.contains_key(i))
            .take(NAMED)
            .map(|i| {
                format!(
                    "shard {i} of {} is missing: {}",
                    first.shards,
                    range_words(i, &psa_range(i, first.shards, first.iterations))
                )
            })
            .collect();
        let more =
            if absent > NAMED { format!("; and {} more shards are missing", absent - NAMED) } else { String::new() };
        anyhow::bail!("{}{more}", named.join("; "));
    }
    Ok(by_index.into_values().collect())
}

/// `reunify merge SHARD_DIR... --out DIR`: checks the shards and writes everything a whole run
/// writes. Nothing is written when a shard is missing, doubled, of another run or damaged.
pub fn merge_command(args: &MergeArgs, threads: usize) -> Result<(), AppError> {
    let started = Instant::now();
    super::run::check_finish_options(&args.output)?;
    let given = args
        .shards
        .iter()
        .map(|d| read_manifest(d).map(|m| (d.clone(), m)))
        .collect::<anyhow::Result<Vec<_>>>()
        .map_err(AppError::bad)?;
    let shards = check_set(given).map_err(AppError::bad)?;
    if let Some(out) = &args.output.out {
        let same = |d: &Path| std::fs::canonicalize(d).ok().is_some_and(|d| std::fs::canonicalize(out).ok() == Some(d));
        if let Some((d, _)) = shards.iter().find(|(d, _)| same(d)) {
            return Err(AppError::bad(anyhow!(
                "--out {} is one of the shards being merged; choose another folder",
                d.display()
            )));
        }
    }
    for (dir, m) in &shards {
        verify(dir, m).map_err(AppError::bad)?;
    }
    let (dir0, m0) = &shards[0];
    let text = std::fs::read_to_string(dir0.join(SCENARIO))
        .with_context(|| format!("cannot read {}", dir0.join(SCENARIO).display()))
        .map_err(AppError::bad)?;
    let mut sc = Scenario::from_toml_str(&text, &m0.scenario_file).map_err(AppError::bad)?;
    // The seed and iterations the shards were run with (`--seed`, `--iterations`), onto the
    // scenario, as `run` does: `sc.meta` is what the merged run reports.
    super::settings::apply(&mut sc, Some(m0.seed), Some(m0.iterations));
    let finish = Finish {
        started,
        dest: args.output.out.clone().unwrap_or_else(|| Path::new("output").join(&sc.meta.name)),
        scenario_file: m0.scenario_file.clone(),
        inputs: shards.iter().map(|(d, _)| d.clone()).collect(),
        base_case_only: m0.base_case_only,
        threads,
        output: args.output.clone(),
    };
    let total: u64 = shards.iter().map(|(_, m)| m.records).sum();
    let bar = progress_bar(total);
    let merged = finish.run(&sc, &text, |sink| feed(&sc, &shards, sink, &|| bar.tick_one()));
    bar.finish();
    merged.map(|_| ())
}
