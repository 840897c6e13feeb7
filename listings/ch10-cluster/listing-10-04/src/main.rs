//! Runs the simulation on the exercise's counter and prints the first run
//! that loses or invents increments.

use listing_10_04::counter::GCounter;
use listing_10_04::sim;

fn main() -> std::process::ExitCode {
    match sim::search::<GCounter>(1, 1000, 3, 12) {
        Ok(runs) => {
            println!("{runs} runs: every acknowledged increment counted once");
            std::process::ExitCode::SUCCESS
        }
        Err(failure) => {
            println!("seed {} failed: {}", failure.seed, failure.problem);
            for line in &failure.trace {
                println!("  {line}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
