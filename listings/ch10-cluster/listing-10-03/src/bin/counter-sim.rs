//! Runs the seeded simulation on a core from the command line, and prints
//! the first failing run in full: its seed, every event, and what was
//! wrong at the end. `--seed N` replays one run.

use clap::Parser;
use listing_10_03::counter::{Counter, GCounter, NaiveCounter};
use listing_10_03::sim;

#[derive(Parser)]
struct Args {
    /// `naive` or `gcounter`.
    #[arg(long, default_value = "gcounter")]
    core: String,
    /// The first seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many seeds, from the first.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
    /// Random events per run.
    #[arg(long, default_value_t = 200)]
    steps: usize,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let result = match args.core.as_str() {
        "naive" => search::<NaiveCounter>(&args),
        "gcounter" => search::<GCounter>(&args),
        other => {
            eprintln!("error: unknown core {other:?}: naive or gcounter");
            return std::process::ExitCode::from(2);
        }
    };
    if result {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

fn search<C: Counter>(args: &Args) -> bool {
    match sim::search::<C>(args.seed, args.seeds, 3, args.steps) {
        Ok(runs) => {
            println!(
                "{runs} runs of {} events on 3 nodes: every acknowledged increment counted",
                args.steps
            );
            true
        }
        Err(failure) => {
            println!("seed {} failed: {}", failure.seed, failure.problem);
            println!("replay it with: --seed {} --seeds 1", failure.seed);
            for line in &failure.trace {
                println!("  {line}");
            }
            false
        }
    }
}
