//! The page's experiment, run for real: three counter nodes, a partition
//! that cuts node 1 off from nodes 2 and 3, increments on both sides, then
//! the partition healed. Run once with the naive core and once with the
//! G-counter, each judged by the checker from the clients' history.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use listing_10_03::check::check_counter;
use listing_10_03::cluster::Cluster;
use listing_10_03::history::Type;

#[derive(Parser)]
struct Args {
    /// Where the nodes keep their counts and the clients their history.
    #[arg(long, default_value = "target/counter-scenario")]
    data: PathBuf,
    /// The node program (default: `counter-node` beside this one).
    #[arg(long)]
    node_bin: Option<PathBuf>,
}

// One thread: the nodes die with the thread that started them (see
// Listing 10-1), and this one lives until the end.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let node_bin = match args.node_bin {
        Some(p) => p,
        None => listing_10_03::child::sibling("counter-node")?,
    };
    for core in ["naive", "gcounter"] {
        let data = args.data.join(core);
        // A fresh start: no counts left over from an earlier run.
        let _ = std::fs::remove_dir_all(&data);
        run(&node_bin, core, &data)
            .await
            .with_context(|| format!("the {core} run"))?;
    }
    Ok(())
}

// ANCHOR: run
/// One run on `core`; the verdict is printed, not returned: a core that
/// fails the check is what the page wants to show.
async fn run(node_bin: &std::path::Path, core: &str, data: &std::path::Path) -> anyhow::Result<()> {
    println!("== core: {core} ==");
    let cluster = Cluster::start(node_bin, 3, core, data).await?;
    cluster.partition(&[1]).await?;
    println!("partition: {{1}} | {{2, 3}}");
    // Client 1 increments at node 1, client 2 at node 2, at the same time.
    let (a, b) = tokio::join!(adds(&cluster, 1, 1, 5), adds(&cluster, 2, 2, 4));
    println!("acknowledged: {a} at node 1, {b} at node 2");
    // Nodes 2 and 3 still talk: wait until they agree.
    let side = cluster.settle(3, &[2, 3], Duration::from_secs(5)).await;
    let n1 = cluster.read(3, 1).await;
    println!(
        "while partitioned: node 1 reads {}, nodes 2 and 3 read {} and {}",
        show(n1),
        show(side[0]),
        show(side[1])
    );
    cluster.heal().await?;
    println!("healed");
    let values = cluster
        .settle(3, &cluster.ids(), Duration::from_secs(5))
        .await;
    let shown: Vec<String> = values.iter().map(|v| show(*v)).collect();
    println!("after healing: nodes read {}", shown.join(", "));
    let history = cluster.history.events();
    cluster.stop().await;
    match check_counter(&history) {
        Ok(report) => {
            println!(
                "check: ok ({} acknowledged, {} unknown, every node reads {})",
                report.acknowledged, report.unknown, report.final_reads[0].1
            );
        }
        Err(violations) => {
            for v in violations {
                println!("check: FAILED: {v}");
            }
        }
    }
    println!("history: {}", data.join("history.jsonl").display());
    Ok(())
}
// ANCHOR_END: run

/// `count` increments by client `process` at `node`, one after the other;
/// returns how many were acknowledged.
async fn adds(cluster: &Cluster, process: u32, node: u32, count: u32) -> u32 {
    let mut ok = 0;
    for _ in 0..count {
        if cluster.add(process, node).await == Type::Ok {
            ok += 1;
        }
    }
    ok
}

fn show(v: Option<u64>) -> String {
    v.map_or("nothing".into(), |v| v.to_string())
}
