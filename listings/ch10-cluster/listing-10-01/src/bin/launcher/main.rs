//! Starts a cluster of N nodes on this machine and lets you break it.
//!
//! Each node is a real operating-system process running the `node` binary
//! that sits beside this one, so a node can crash, hang or be killed on
//! its own, as on separate machines. The launcher waits until every node
//! is ready, then reads commands (`status`, `stop N`, `kill N`, `pause N`,
//! `resume N`, `restart N`, `quit`) from its standard input. On `quit`,
//! Ctrl-C or SIGTERM it stops every node, and no node outlives it, not
//! even when the launcher itself is killed with `kill -9`.
//!
//! This file reads the arguments and picks the addresses; `cluster.rs`
//! starts, signals and stops the nodes; `commands.rs` reads and acts on
//! the commands; `child.rs` ties each node's life to the launcher's.
//! The runtime is single-threaded on purpose: see `child.rs`.

mod child;
mod cluster;
mod commands;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

use crate::cluster::{Cluster, Member, PROBE_WITHIN};

/// Start a cluster of nodes on 127.0.0.1 and act on them.
#[derive(Parser)]
struct Args {
    /// How many nodes to start.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=64))]
    nodes: u32,
    /// Node i listens on BASE_PORT + i; 0 picks free ports.
    #[arg(long, default_value_t = 0)]
    base_port: u16,
    /// The node program (default: `node` beside this launcher).
    #[arg(long)]
    node_bin: Option<PathBuf>,
    /// Write each node's output to DIR/node-N.log instead of this terminal.
    #[arg(long)]
    logs: Option<PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let node_bin = match args.node_bin {
        Some(path) => path,
        None => child::sibling("node")?,
    };
    if let Some(dir) = &args.logs {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let addrs = addresses(args.nodes, args.base_port)?;
    let mut cluster = Cluster {
        members: Vec::new(),
        node_bin,
        logs: args.logs,
        http: reqwest::Client::builder().timeout(PROBE_WITHIN).build()?,
    };
    for (i, addr) in addrs.iter().enumerate() {
        cluster.members.push(Member {
            id: i as u32 + 1,
            addr: *addr,
            child: None,
            paused: false,
            ended: None,
        });
    }
    let result = cluster.run().await;
    // Whatever happened above, no node is left behind.
    cluster.stop_all().await;
    result
}

// ANCHOR: addresses
/// One address per node. With a base port the addresses are predictable;
/// with 0 the launcher asks the kernel for free ports, closes them, and
/// hands them to the nodes. Another program could take a port in between:
/// rare on a development machine, and the node would then say so and exit.
fn addresses(n: u32, base_port: u16) -> anyhow::Result<Vec<SocketAddr>> {
    if base_port != 0 {
        return (1..=n)
            .map(|i| {
                let port = base_port
                    .checked_add(i as u16)
                    .context("--base-port is too high for that many nodes")?;
                Ok(SocketAddr::from(([127, 0, 0, 1], port)))
            })
            .collect();
    }
    // Hold every listener until all ports are chosen, so none repeats.
    let listeners = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners.iter().map(|l| Ok(l.local_addr()?)).collect()
}
// ANCHOR_END: addresses
