//! Runs the model checker on a core and prints what it found: for the
//! naive core, the shortest run that breaks the property.

use clap::Parser;
use listing_10_03::counter::{Counter, GCounter, NaiveCounter};
use listing_10_03::model::CounterModel;
use stateright::{Checker, Model};

#[derive(Parser)]
struct Args {
    /// `naive` or `gcounter`.
    #[arg(long, default_value = "gcounter")]
    core: String,
    #[arg(long, default_value_t = 2)]
    nodes: usize,
    #[arg(long, default_value_t = 2)]
    increments: u32,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match args.core.as_str() {
        "naive" => check::<NaiveCounter>(&args),
        "gcounter" => check::<GCounter>(&args),
        other => anyhow::bail!("unknown core {other:?}: naive or gcounter"),
    }
}

// ANCHOR: check
fn check<C: Counter>(args: &Args) -> anyhow::Result<()> {
    let model = CounterModel::<C>::new(args.nodes, args.increments);
    let property = model.properties()[0].name;
    let checker = model.checker().spawn_bfs().join();
    println!(
        "{} nodes, {} increments: {} states explored",
        args.nodes,
        args.increments,
        checker.unique_state_count()
    );
    match checker.discovery(property) {
        None => println!("property holds: {property}"),
        Some(path) => {
            println!("property violated: {property}");
            println!("shortest counterexample:");
            for (state, action) in path.into_vec() {
                let values: Vec<u64> = state.nodes.iter().map(C::value).collect();
                match action {
                    Some(action) => println!("  values {values:?}, then {action:?}"),
                    None => println!("  values {values:?}: end"),
                }
            }
        }
    }
    Ok(())
}
// ANCHOR_END: check
