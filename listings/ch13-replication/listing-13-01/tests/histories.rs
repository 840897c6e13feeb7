//! Hand-made histories whose verdicts are known, each explained where it
//! is built; the page walks through the same ones.

mod common;

use std::time::Duration;

use common::{file, history, keyed};
use listing_13_01::search::{Budget, Verdict, check};
use listing_13_01::{by_key, read, window};

fn verdict(text: &str) -> Verdict {
    let path = file(text);
    let ops = read(&path).expect("a valid history");
    std::fs::remove_file(&path).expect("remove the temporary history");
    let budget = Budget::new(Duration::from_secs(5), 64 << 20);
    let mut all = Verdict::Linearizable;
    for (_, key_ops) in by_key(&ops) {
        match check(&key_ops, None, &budget) {
            Verdict::Linearizable => {}
            v => all = v,
        }
    }
    all
}

use Verdict::{Linearizable, NotLinearizable};

#[test]
fn a_stale_read_is_not_linearizable() {
    // The write returned before the read began: the read must see 1.
    let h = history(&[
        (1, "invoke", "write", "1"),
        (1, "ok", "write", "1"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "0"),
    ]);
    assert_eq!(verdict(&h), NotLinearizable);
}

#[test]
fn a_read_concurrent_with_the_write_may_see_either_value() {
    for seen in ["0", "1"] {
        let h = history(&[
            (1, "invoke", "write", "1"),
            (2, "invoke", "read", "null"),
            (2, "ok", "read", seen),
            (1, "ok", "write", "1"),
        ]);
        assert_eq!(verdict(&h), Linearizable, "read {seen}");
    }
}

#[test]
fn a_new_old_inversion_between_two_readers_is_not_linearizable() {
    // Both reads overlap the write, but the second began after the first
    // returned the new value: it cannot see the old one.
    let h = history(&[
        (1, "invoke", "write", "1"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "1"),
        (3, "invoke", "read", "null"),
        (3, "ok", "read", "0"),
        (1, "ok", "write", "1"),
    ]);
    assert_eq!(verdict(&h), NotLinearizable);
    // In the other order (old, then new) it is fine.
    let h = history(&[
        (1, "invoke", "write", "1"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "0"),
        (3, "invoke", "read", "null"),
        (3, "ok", "read", "1"),
        (1, "ok", "write", "1"),
    ]);
    assert_eq!(verdict(&h), Linearizable);
}

#[test]
fn a_write_that_timed_out_may_be_seen_later_or_never() {
    let seen = history(&[
        (1, "invoke", "write", "1"),
        (1, "info", "write", "1"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "0"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "1"),
    ]);
    assert_eq!(verdict(&seen), Linearizable);
    let never = history(&[
        (1, "invoke", "write", "1"),
        (1, "info", "write", "1"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "0"),
    ]);
    assert_eq!(verdict(&never), Linearizable);
    // But once seen, it cannot be unseen.
    let unseen = history(&[
        (1, "invoke", "write", "1"),
        (1, "info", "write", "1"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "1"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "0"),
    ]);
    assert_eq!(verdict(&unseen), NotLinearizable);
}

#[test]
fn a_write_that_failed_never_happened() {
    let h = history(&[
        (1, "invoke", "write", "1"),
        (1, "fail", "write", "1"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "1"),
    ]);
    assert_eq!(verdict(&h), NotLinearizable);
}

#[test]
fn overlapping_writes_may_be_read_in_either_order() {
    for (first, second) in [("1", "2"), ("2", "1")] {
        let h = history(&[
            (1, "invoke", "write", "1"),
            (2, "invoke", "write", "2"),
            (1, "ok", "write", "1"),
            (2, "ok", "write", "2"),
            (3, "invoke", "read", "null"),
            (3, "ok", "read", second),
        ]);
        assert_eq!(verdict(&h), Linearizable, "{first} then {second}");
    }
    // But two later reads cannot disagree about which came last.
    let h = history(&[
        (1, "invoke", "write", "1"),
        (2, "invoke", "write", "2"),
        (1, "ok", "write", "1"),
        (2, "ok", "write", "2"),
        (3, "invoke", "read", "null"),
        (3, "ok", "read", "1"),
        (3, "invoke", "read", "null"),
        (3, "ok", "read", "2"),
    ]);
    assert_eq!(verdict(&h), NotLinearizable);
}

#[test]
fn a_cas_that_failed_did_not_swap() {
    let h = history(&[
        (1, "invoke", "cas", "[0, 5]"),
        (1, "fail", "cas", "[0, 5]"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "0"),
    ]);
    assert_eq!(verdict(&h), Linearizable);
    let h = history(&[
        (1, "invoke", "cas", "[0, 5]"),
        (1, "fail", "cas", "[0, 5]"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "5"),
    ]);
    assert_eq!(verdict(&h), NotLinearizable);
    // A cas that succeeded found its expected value.
    let h = history(&[(1, "invoke", "cas", "[3, 5]"), (1, "ok", "cas", "[3, 5]")]);
    assert_eq!(verdict(&h), NotLinearizable);
    let h = history(&[
        (1, "invoke", "cas", "[0, 5]"),
        (1, "ok", "cas", "[0, 5]"),
        (2, "invoke", "read", "null"),
        (2, "ok", "read", "5"),
    ]);
    assert_eq!(verdict(&h), Linearizable);
}

#[test]
fn a_key_never_written_reads_0() {
    let zero = history(&[(1, "invoke", "read", "null"), (1, "ok", "read", "0")]);
    assert_eq!(verdict(&zero), Linearizable);
    let seven = history(&[(1, "invoke", "read", "null"), (1, "ok", "read", "7")]);
    assert_eq!(verdict(&seven), NotLinearizable);
}

#[test]
fn keys_are_judged_apart() {
    // Each key alone is fine; a single register could not give both.
    let h = keyed(&[
        (1, "invoke", "write", "a", "1"),
        (1, "ok", "write", "a", "1"),
        (2, "invoke", "read", "b", "null"),
        (2, "ok", "read", "b", "0"),
    ]);
    assert_eq!(verdict(&h), Linearizable);
    let h = keyed(&[
        (1, "invoke", "write", "a", "1"),
        (1, "ok", "write", "a", "1"),
        (2, "invoke", "read", "b", "null"),
        (2, "ok", "read", "b", "0"),
        (2, "invoke", "read", "a", "null"),
        (2, "ok", "read", "a", "0"),
    ]);
    assert_eq!(verdict(&h), NotLinearizable);
}

#[test]
fn the_window_is_the_operation_that_cannot_be_placed_and_its_concurrent_ones() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/stale-read.jsonl");
    let ops = read(&path).expect("the example reads");
    let keys = by_key(&ops);
    let budget = Budget::new(Duration::from_secs(5), 64 << 20);
    let w = window::find(&keys["x"], &budget).expect("a window");
    // Process 2's read of 0 returned last; process 3's read of 1 ran
    // beside it; the write had returned before either began.
    assert_eq!((w.culprit.process, w.culprit.lines), (2, (3, Some(6))));
    let concurrent: Vec<u32> = w.concurrent.iter().map(|o| o.process).collect();
    assert_eq!(concurrent, [3]);
    assert_eq!(w.prefix, 2);
}

#[test]
fn the_budget_ends_a_hopeless_search_with_unknown() {
    // Many concurrent writes of distinct values, then a read of a value
    // nobody wrote: every order must be tried, more than a tiny budget.
    let mut events = Vec::new();
    let n = 18;
    let values: Vec<String> = (1..=n).map(|v| v.to_string()).collect();
    for (p, v) in values.iter().enumerate() {
        events.push((p as u32, "invoke", "write", v.as_str()));
    }
    for (p, v) in values.iter().enumerate() {
        events.push((p as u32, "ok", "write", v.as_str()));
    }
    events.push((99, "invoke", "read", "null"));
    events.push((99, "ok", "read", "0"));
    let path = file(&history(&events));
    let ops = read(&path).expect("a valid history");
    std::fs::remove_file(&path).expect("remove the temporary history");
    let keys = by_key(&ops);
    let tiny = Budget::new(Duration::from_secs(5), 1 << 16);
    assert_eq!(check(&keys["x"], None, &tiny), Verdict::Unknown);
}
