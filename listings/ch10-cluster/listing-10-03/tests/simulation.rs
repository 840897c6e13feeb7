//! The seeded simulation on both cores. A failure names its seed; replay it
//! with `SEED=<seed> cargo test -p listing-10-03 --test simulation`. More
//! seeds (a soak, not part of the book's suite): `SEEDS=100000`.

use listing_10_03::counter::{GCounter, NaiveCounter};
use listing_10_03::sim;

fn seeds() -> (u64, u64) {
    let var = |name| {
        std::env::var(name)
            .ok()
            .and_then(|v: String| v.parse().ok())
    };
    match var("SEED") {
        Some(seed) => (seed, 1),
        None => (1, var("SEEDS").unwrap_or(3000)),
    }
}

#[test]
fn the_gcounter_survives_every_schedule() {
    let (first, count) = seeds();
    if let Err(f) = sim::search::<GCounter>(first, count, 3, 200) {
        panic!(
            "seed {} failed: {}\nreplay: SEED={} cargo test -p listing-10-03 --test simulation\n{}",
            f.seed,
            f.problem,
            f.seed,
            f.trace.join("\n")
        );
    }
}

#[test]
fn the_naive_core_fails_within_a_few_seeds() {
    let failure = sim::search::<NaiveCounter>(1, 100, 3, 200).expect_err("the naive core fails");
    assert!(
        failure.problem.contains("increments acknowledged"),
        "{}",
        failure.problem
    );
}
