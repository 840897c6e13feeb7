//! The strategies, the latency estimate and the ejection rules, on made-up
//! time: no processes, no sleeping.

use std::time::Duration;

use listing_12_01::ewma::PeakEwma;
use listing_12_01::pick::{Picker, Settings, Strategy};
use listing_12_01::sim::{ReplicaModel, Scenario, run};

const MS: Duration = Duration::from_millis(1);

fn picker(strategy: Strategy) -> Picker {
    Picker::new(strategy, 3, Settings::default(), 7)
}

#[test]
fn round_robin_takes_turns() {
    let mut p = picker(Strategy::RoundRobin);
    let picks: Vec<usize> = (0..6).map(|_| p.pick(MS, &[]).unwrap()).collect();
    assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
}

#[test]
fn least_outstanding_picks_the_replica_with_the_fewest_requests_out() {
    let mut p = picker(Strategy::LeastOutstanding);
    for _ in 0..3 {
        p.pick(MS, &[]).unwrap();
    }
    // Two more on 0 and 2 (they stay out); replica 1's requests end.
    p.finished(1, MS, true, MS);
    assert_eq!(p.pick(MS, &[]), Some(1));
    assert_eq!(p.replica(0).outstanding, 1);
}

#[test]
fn random_spreads_evenly() {
    let mut p = picker(Strategy::Random);
    let mut counts = [0u32; 3];
    for _ in 0..3000 {
        let i = p.pick(MS, &[]).unwrap();
        counts[i] += 1;
        p.finished(i, MS, true, MS);
    }
    assert!(
        counts.iter().all(|&c| (900..1100).contains(&c)),
        "{counts:?}"
    );
}

#[test]
fn p2c_avoids_a_slow_replica_but_still_tries_it_now_and_then() {
    let mut p = picker(Strategy::P2c);
    let mut counts = [0u32; 3];
    let mut now = Duration::ZERO;
    for _ in 0..3000 {
        now += MS;
        let i = p.pick(now, &[]).unwrap();
        counts[i] += 1;
        let rtt = if i == 1 { 50 * MS } else { 5 * MS };
        p.finished(i, rtt, true, now);
    }
    assert!(counts[1] < 60, "the slow replica got {counts:?}");
    assert!(counts[1] > 0, "the slow replica was never tried again");
}

#[test]
fn peak_ewma_takes_a_peak_at_once_and_forgets_it_slowly() {
    let mut e = PeakEwma::new(10 * MS, Duration::from_secs(1), Duration::ZERO);
    e.observe(100 * MS, MS);
    assert_eq!(e.estimate_ns(MS), (100 * MS).as_nanos() as f64);
    // A faster answer 10 ms later moves the estimate by 1 - e^(-0.01).
    e.observe(10 * MS, 11 * MS);
    let expected = 100.0 * (-0.01f64).exp() + 10.0 * (1.0 - (-0.01f64).exp());
    assert!((e.estimate_ns(11 * MS) / 1e6 - expected).abs() < 1e-6);
    // Unheard of for 3 s, it has faded to e^-3 of itself.
    let faded = e.estimate_ns(11 * MS + Duration::from_secs(3)) / e.estimate_ns(11 * MS);
    assert!((faded - (-3.0f64).exp()).abs() < 1e-9);
}

#[test]
fn a_failing_replica_is_ejected_probed_and_restored() {
    let mut p = picker(Strategy::RoundRobin);
    let s = Duration::from_secs(1);
    for _ in 0..3 {
        p.pick(MS, &[]).unwrap();
        p.finished(1, MS, false, MS);
    }
    // Three failures in a row: out for the base time, 1 s.
    let picks: Vec<usize> = (0..4).map(|_| p.pick(2 * MS, &[]).unwrap()).collect();
    assert!(!picks.contains(&1), "{picks:?}");
    // After 1 s it is on probation; one failure ejects it for 2 s.
    assert!((0..3).any(|_| p.pick(s + 2 * MS, &[]) == Some(1)));
    p.finished(1, MS, false, s + 2 * MS);
    assert!((0..6).all(|_| p.pick(2 * s, &[]) != Some(1)));
    assert!((0..3).any(|_| p.pick(3 * s + 3 * MS, &[]) == Some(1)));
    // A success restores it for good.
    p.finished(1, MS, true, 3 * s + 3 * MS);
    assert!(!p.replica(1).health.is_ejected(3 * s + 4 * MS));
}

#[test]
fn when_all_are_ejected_one_is_tried_anyway_and_tried_ones_are_skipped() {
    let mut p = picker(Strategy::LeastOutstanding);
    for i in 0..3 {
        for _ in 0..3 {
            p.finished(i, MS, false, MS);
        }
    }
    assert!(p.pick(2 * MS, &[]).is_some());
    assert_eq!(p.pick(2 * MS, &[0, 2]), Some(1));
    assert_eq!(p.pick(2 * MS, &[0, 1, 2]), None);
    p.set_ready(1, false);
    assert_eq!(p.pick(2 * MS, &[0, 2]), None, "a replica that is not ready");
}

fn scenario(extra_on_2: Duration) -> Scenario {
    let healthy = ReplicaModel {
        workers: 2,
        service: 5 * MS,
        extra: Duration::ZERO,
    };
    let slow = ReplicaModel {
        extra: extra_on_2,
        ..healthy
    };
    Scenario {
        rate_per_s: 480.0,
        requests: 5_000,
        replicas: vec![healthy, slow, healthy],
        seed: 3,
    }
}

#[test]
fn the_simulation_is_replayable_and_ranks_the_strategies() {
    let s = scenario(20 * MS);
    let a = run(Strategy::P2c, &s, Settings::default());
    let b = run(Strategy::P2c, &s, Settings::default());
    assert_eq!(a.latencies, b.latencies, "same seed, same run");
    let rr = run(Strategy::RoundRobin, &s, Settings::default());
    assert_eq!(rr.served, [1667, 1667, 1666]);
    assert!(a.share(1) < rr.share(1) / 2.0, "p2c sent {}", a.share(1));
    assert!(a.quantile(0.5) < rr.quantile(0.5));
    let healthy = run(
        Strategy::RoundRobin,
        &scenario(Duration::ZERO),
        Settings::default(),
    );
    assert!(rr.quantile(0.99) > healthy.quantile(0.99) + 15 * MS);
}
