//! The chain, run as the page runs it: without a propagated budget C works
//! on long after the client gave up; with one, it stops in time.

use std::process::Command;

/// Milliseconds in a `Duration`'s debug form: `2.01s`, `890ms`, `0ns`.
fn millis(text: &str) -> f64 {
    let (number, unit) = text.split_at(text.find(|c: char| c.is_alphabetic()).unwrap());
    let n: f64 = number.parse().unwrap();
    match unit {
        "s" => n * 1000.0,
        "ms" => n,
        "µs" => n / 1000.0,
        _ => 0.0,
    }
}

#[test]
fn a_propagated_budget_stops_the_work_nobody_waits_for() {
    let out = Command::new(env!("CARGO_BIN_EXE_deadline-chain"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let wasted: Vec<f64> = text
        .lines()
        .filter_map(|l| l.split("of which ").nth(1))
        .map(|rest| millis(rest.split_whitespace().next().unwrap()))
        .collect();
    assert_eq!(wasted.len(), 2, "{text}");
    assert!(
        wasted[0] > 1000.0,
        "without a budget C wastes its work: {text}"
    );
    assert!(wasted[1] < 50.0, "with a budget C stops in time: {text}");
    assert!(text.contains("C stopped early on 10 requests"), "{text}");
}
