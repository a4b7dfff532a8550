//! Criterion benches of the engine, reported as children simulated per second.
//!
//! - Job P: one authority of 10,000 children, 5-year horizon, a 3-piece baseline, no risk
//!   factors, no repeat returns, 2 strategies (usual care, support with a PSA hazard ratio),
//!   1,000 PSA iterations; on 1 thread and on all threads.
//! - Job N: the default scenario (`scenarios/england-2012-13.toml`, 3 strategies) with
//!   10,000 PSA iterations.
//! - Authorities in flow mode: every English authority of 2024 (read from the DfE table in
//!   `../shared/data/dfe/` when it is there, else 153 authorities of the same total), the
//!   default model with its first two strategies, a cohort returning home in each of 5
//!   financial years, 1,000 PSA iterations.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use reunify::scenario::Scenario;
use reunify::sim::{self, RunOptions};

const JOB_P: &str = r#"
[scenario]
name = "bench-p"
horizon_years = 5.0
iterations = 1000
seed = 1

[[authority]]
name = "A"
children = 10000

[reentry]
knots_years = [0.0, 0.0383, 2.0]
rates_per_year = [0.633, 0.134, 0.0234]

[care_after_breakdown]
return_home_probability = 0.0

[[cost]]
name = "breakdown"
amount = 61614
basis = "per_breakdown"

[[strategy]]
name = "usual-care"
eligibility = "none"

[[strategy]]
name = "support"
hr_reentry = { dist = "lognormal", median = 0.75, ci95 = [0.5, 1.1] }
cost = 5627
"#;

fn run_on(sc: &Scenario, iterations: u32, threads: usize) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let opts = RunOptions { seed: sc.meta.seed, iterations, base_case_only: false };
    pool.install(|| sim::run(sc, opts, &|| {}).unwrap());
}

fn job_p(c: &mut Criterion) {
    let sc = Scenario::from_toml_str(JOB_P, "bench-p").unwrap();
    let children = sc.total_children() * 1001;
    let mut g = c.benchmark_group("job_p");
    g.sample_size(10).measurement_time(Duration::from_secs(10)).throughput(Throughput::Elements(children));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    for threads in [1, cores] {
        g.bench_function(format!("{threads}_threads"), |b| b.iter(|| run_on(&sc, 1000, threads)));
    }
    g.finish();
}

fn job_n(c: &mut Criterion) {
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap();
    let sc = Scenario::from_toml_str(&text, "england-2012-13").unwrap();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut g = c.benchmark_group("job_n");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Elements(sc.total_children() * 10_001));
    g.bench_function("default_scenario_10000_iterations", |b| b.iter(|| run_on(&sc, 10_000, cores)));
    g.finish();
}

/// The default scenario's model with two strategies and a 5-year budget, and the 2024
/// authorities.
fn authorities_2024() -> Scenario {
    let template = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap();
    let mut doc: toml::Table = toml::from_str(&template).unwrap();
    doc.get_mut("strategy").and_then(|s| s.as_array_mut()).unwrap().truncate(2);
    let budget = "first_financial_year = 2025\nyears = 5\n";
    doc.insert("budget".into(), toml::Value::Table(toml::from_str(budget).unwrap()));
    let dfe = std::path::Path::new("../shared/data/dfe/la_children_who_ceased_during_the_year_2020_2024.csv");
    let authorities: Vec<(String, u64)> = match reunify::app::import::read(dfe, 2024, 3) {
        Ok(import) => import.authorities.into_iter().collect(),
        Err(e) => {
            eprintln!("{}: {e:#}; using 153 authorities of 8,810 children in all", dfe.display());
            (0..153u64).map(|i| (format!("Authority {i}"), 8810 / 153 + u64::from(i < 8810 % 153))).collect()
        }
    };
    let list = authorities
        .into_iter()
        .map(|(name, n)| {
            let mut t = toml::Table::new();
            t.insert("name".into(), name.into());
            t.insert("children".into(), toml::Value::Integer(n as i64));
            toml::Value::Table(t)
        })
        .collect();
    doc.insert("authority".into(), toml::Value::Array(list));
    Scenario::from_toml_str(&toml::to_string(&doc).unwrap(), "authorities-2024").unwrap()
}

fn authorities_flow(c: &mut Criterion) {
    let sc = authorities_2024();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut g = c.benchmark_group("authorities_flow");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(60))
        .throughput(Throughput::Elements(sc.total_children() * 1001));
    let name = format!("{}_authorities_5_years_1000_iterations", sc.authorities.len());
    g.bench_function(name, |b| b.iter(|| run_on(&sc, 1000, cores)));
    g.finish();
}

/// Tornado on the default scenario: every uncertain parameter at 2 quantiles, base-case runs
/// under common random numbers.
fn tornado(c: &mut Criterion) {
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap();
    let sc = Scenario::from_toml_str(&text, "england-2012-13").unwrap();
    let uncertain = sc.params.iter().filter(|p| !p.param.dist.is_fixed()).count() as u64;
    let mut g = c.benchmark_group("tornado");
    g.sample_size(10).throughput(Throughput::Elements(sc.total_children() * (2 * uncertain + 1)));
    g.bench_function(format!("default_scenario_{uncertain}_parameters"), |b| {
        b.iter(|| reunify::decision::Resimulation::simulate(&sc, 1).unwrap().tornado().unwrap())
    });
    g.finish();
}

/// EVPI and EVPPI of every parameter and group from 10,000 PSA iterations of the default
/// scenario (the simulation itself is outside the timing).
fn evppi(c: &mut Criterion) {
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap();
    let sc = Scenario::from_toml_str(&text, "england-2012-13").unwrap();
    let run = sim::run(&sc, RunOptions { seed: 1, iterations: 10_000, base_case_only: false }, &|| {}).unwrap();
    let run = reunify::digest::RunDigest::of(&run);
    let mut g = c.benchmark_group("evppi");
    g.sample_size(10);
    g.bench_function("default_scenario_10000_iterations", |b| {
        b.iter(|| reunify::voi::value_of_information(&sc, &run, 3.0))
    });
    g.finish();
}

/// Decisions that value children's outcomes (#19), from the default scenario's own 1,000 PSA
/// iterations (the simulation itself outside the timing): the curves over willingness to pay
/// with the frontier (41 values), EVPI and every EVPPI at the willingness to pay where the
/// choice is most uncertain, and the local pilot's EVSI and ENBS at its five sizes.
fn values(c: &mut Criterion) {
    let text = std::fs::read_to_string("scenarios/england-2012-13.toml").unwrap();
    let sc = Scenario::from_toml_str(&text, "england-2012-13").unwrap();
    let run = sim::run(&sc, RunOptions { seed: 1, iterations: 1000, base_case_only: false }, &|| {}).unwrap();
    let run = reunify::digest::RunDigest::of(&run);
    let (points, _) = reunify::wtp::analyse(&sc, &run, 40, 3.0);
    let at = reunify::wtp::most_uncertain(&points).unwrap();
    let pilot = sc.pilot.clone().unwrap();
    let mut g = c.benchmark_group("values");
    g.sample_size(10);
    g.bench_function("wtp_curves_and_frontier_41_values", |b| b.iter(|| reunify::wtp::analyse(&sc, &run, 40, 3.0)));
    g.bench_function("evpi_and_evppi_at_the_most_uncertain_wtp", |b| {
        b.iter(|| {
            let inb = reunify::wtp::incremental_net_benefit(&sc, &run, at);
            reunify::voi::value_of_information_of(&sc, &run, 3.0, &inb)
        })
    });
    g.bench_function("pilot_evsi_enbs_5_sizes", |b| {
        b.iter(|| reunify::pilot::value(&sc, &run, 1, &pilot, (at, "bench"), 3.0).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // Criterion's own plots would need system fonts, which headless machines lack; the
    // figures that matter are the printed times and throughputs.
    config = Criterion::default().without_plots();
    targets = job_p, job_n, tornado, evppi, values, authorities_flow
}
criterion_main!(benches);
