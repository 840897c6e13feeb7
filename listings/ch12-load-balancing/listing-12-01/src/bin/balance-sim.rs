//! The four strategies against three modelled replicas, first all alike,
//! then with replica 2 answering 20 ms late. Virtual time and a fixed
//! seed: the same numbers on every machine (`--seed` to try others).

use std::time::Duration;

use clap::Parser;
use listing_12_01::pick::{Settings, Strategy};
use listing_12_01::sim::{ReplicaModel, Scenario, run};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 12)]
    seed: u64,
}

fn main() {
    let args = Args::parse();
    let healthy = ReplicaModel {
        workers: 2,
        service: Duration::from_millis(5),
        extra: Duration::ZERO,
    };
    let slow = ReplicaModel {
        extra: Duration::from_millis(20),
        ..healthy
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    // ANCHOR: scenarios
    for (title, replicas) in [
        ("all three alike", [healthy, healthy, healthy]),
        ("replica 2 answers 20 ms late", [healthy, slow, healthy]),
    ] {
        let scenario = Scenario {
            rate_per_s: 480.0,
            requests: 48_000,
            replicas: replicas.to_vec(),
            seed: args.seed,
        };
        // ANCHOR_END: scenarios
        println!(
            "{title}: {} requests/s (Poisson) for {:.0} s; per replica {} workers, {:.1} to {:.1} ms a request",
            scenario.rate_per_s,
            scenario.requests as f64 / scenario.rate_per_s,
            healthy.workers,
            ms(healthy.service) * 0.5,
            ms(healthy.service) * 1.5,
        );
        println!(
            "{:<18} {:>7} {:>7} {:>7}   {:>5} {:>5} {:>5}",
            "strategy", "p50 ms", "p99 ms", "p99.9", "r1 %", "r2 %", "r3 %"
        );
        for strategy in Strategy::ALL {
            let r = run(strategy, &scenario, Settings::default());
            println!(
                "{:<18} {:>7.1} {:>7.1} {:>7.1}   {:>5.1} {:>5.1} {:>5.1}",
                strategy.name(),
                ms(r.quantile(0.5)),
                ms(r.quantile(0.99)),
                ms(r.quantile(0.999)),
                100.0 * r.share(0),
                100.0 * r.share(1),
                100.0 * r.share(2),
            );
        }
        println!();
    }
}
