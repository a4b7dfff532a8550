//! The national evidence synthesis (issue #36): NUTS on every published re-entry figure, 4
//! chains of 1,000 draws after 1,000 of warm-up, with the diagnostics. Criterion measures
//! one whole fit, chains one after another and on the machine's threads.
//!
//! Run with `cargo bench --bench synthesis`.

use criterion::{Criterion, criterion_group, criterion_main};
use reunify::synthesis::{self, Evidence, Model};

fn bench(c: &mut Criterion) {
    let model = Model::new(&Evidence::shipped(), synthesis::shipped_mix());
    let plan = synthesis::default_plan(1);
    let post = synthesis::fit(model.clone(), &plan, true).unwrap();
    println!("synthesis: converged {}, {} divergences", post.converged(), post.draws.divergences);
    let mut g = c.benchmark_group("synthesis");
    g.sample_size(10);
    g.bench_function("national_4_chains_1000_draws_parallel", |b| {
        b.iter(|| synthesis::fit(model.clone(), &plan, true).unwrap())
    });
    g.bench_function("national_4_chains_1000_draws_one_thread", |b| {
        b.iter(|| synthesis::fit(model.clone(), &plan, false).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotting needs a system font, which a headless machine may lack.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
