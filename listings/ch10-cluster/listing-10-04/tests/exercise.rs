//! The test that proves the fix. It is ignored while the exercise is
//! unsolved, so that the book's own suite stays green; run it with
//! `cargo test -p listing-10-04 -- --ignored`.

use listing_10_04::counter::GCounter;
use listing_10_04::sim;

#[test]
#[ignore = "the exercise: fix `merge` in src/counter.rs, then run with --ignored"]
fn every_acknowledged_increment_is_counted_once() {
    if let Err(f) = sim::search::<GCounter>(1, 3000, 3, 200) {
        panic!(
            "seed {} failed: {}\n{}",
            f.seed,
            f.problem,
            f.trace.join("\n")
        );
    }
}
