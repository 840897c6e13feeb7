//! Retry amplification, measured: the same outage behind three layers of
//! retrying services, once without a retry budget and once with one at
//! every layer. Prints what each server received; `--json FILE` also
//! writes the counts for the page's table.

use std::path::PathBuf;

use clap::Parser;
use listing_11_02::amplify::{self, BudgetRule, Counts, LAYERS, Setup};
use serde::Serialize;

#[derive(Parser)]
struct Args {
    /// Requests the client sends to A, one after another.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    requests: u32,
    /// Also write the counts to this file, as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Attempts per call at every layer.
const ATTEMPTS: u32 = 3;

#[derive(Serialize)]
struct Results {
    requests: u32,
    attempts_per_layer: u32,
    runs: Vec<Counts>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut runs = Vec::new();
    for budget in [None, Some(BudgetRule::CHAPTER)] {
        runs.push(
            amplify::run(Setup {
                requests: args.requests,
                attempts: ATTEMPTS,
                budget,
            })
            .await?,
        );
    }
    print(args.requests, &runs);
    if let Some(path) = args.json {
        let results = Results {
            requests: args.requests,
            attempts_per_layer: ATTEMPTS,
            runs,
        };
        std::fs::write(&path, serde_json::to_string_pretty(&results)? + "\n")?;
    }
    Ok(())
}

// ANCHOR: table
fn print(requests: u32, runs: &[Counts]) {
    let [without, with] = runs else {
        unreachable!("two runs: without and with a budget")
    };
    let rule = BudgetRule::CHAPTER;
    println!(
        "client: {requests} requests to A, one at a time; A calls B, B calls C, C the backend"
    );
    println!("backend: answers every request with 503 (an outage)");
    println!("every layer: {ATTEMPTS} attempts per call, exponential backoff with full jitter");
    println!(
        "budget: at every layer, retries <= {} + {} % of first attempts",
        rule.floor, rule.percent
    );
    println!();
    println!(
        "{:<26}{:>12}{:>14}",
        "requests received", "no budget", "with budget"
    );
    for (i, name) in LAYERS.iter().enumerate() {
        row(name, without.layers[i].received, with.layers[i].received);
    }
    row("backend", without.backend_received, with.backend_received);
    let ratio = |c: &Counts| format!("{:.1}x", c.backend_received as f64 / c.client_sent as f64);
    println!(
        "{:<26}{:>12}{:>14}",
        "backend / client",
        ratio(without),
        ratio(with)
    );
    println!();
    println!("{:<26}{:>12}{:>14}", "retries", "no budget", "with budget");
    for (i, name) in LAYERS.iter().enumerate() {
        row(
            &format!("{name}, made"),
            without.layers[i].retries,
            with.layers[i].retries,
        );
        row(
            &format!("{name}, refused by budget"),
            without.layers[i].refused_by_budget,
            with.layers[i].refused_by_budget,
        );
    }
    row(
        "client requests failed",
        without.client_failed,
        with.client_failed,
    );
}

fn row(label: &str, without: u64, with: u64) {
    println!("{label:<26}{without:>12}{with:>14}");
}
// ANCHOR_END: table
