//! The book's reverse proxy as a program: `lb-proxy --replica ADDR ...`
//! balances across the replicas with `--strategy` and serves on `--listen`
//! with the hardening of Listing 10-1.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use listing_12_02::pick::Strategy;
use listing_12_02::reverse::{Proxy, router};
use listing_12_02::serve::{Limits, serve, stop_signal};
use tokio::net::TcpListener;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// round-robin, random, least-outstanding or p2c-peak-ewma.
    #[arg(long, default_value = "p2c-peak-ewma")]
    strategy: Strategy,
    /// A replica's address, 127.0.0.1:PORT; once per replica.
    #[arg(long = "replica", required = true)]
    replicas: Vec<String>,
    /// How long a replica may take to start its answer.
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
    /// How often to ask each replica's /ready.
    #[arg(long, default_value_t = 500)]
    ready_every_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let stop = stop_signal();
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("lb-proxy: cannot listen on {}", args.listen))?;
    let timeout = Duration::from_millis(args.timeout_ms);
    let proxy = Arc::new(Proxy::new(args.replicas, args.strategy, timeout));
    let _poller = proxy.watch_readiness(Duration::from_millis(args.ready_every_ms));
    println!("listening on http://{}", listener.local_addr()?);
    let limits = Limits {
        // Bodies stream through; the replicas bound their own size.
        body_bytes: 16 * 1024 * 1024,
        ..Limits::default()
    };
    serve(listener, router(proxy), limits, stop).await?;
    Ok(())
}
