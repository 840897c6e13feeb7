//! One node of a cluster: a process with an id, an address and a list of
//! peers. It does no useful work yet; it answers the two questions every
//! cluster asks of its members. `GET /health`: are you alive? `GET /ready`:
//! should I send you work? Later chapters add their protocols to it.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::{Router, routing::get};
use clap::Parser;
use listing_10_01::{Limits, serve, stop_signal};
use serde_json::json;
use tokio::net::TcpListener;
use tracing::{Instrument, info, info_span};

// ANCHOR: args
/// A node of the cluster.
#[derive(Parser)]
struct Args {
    /// This node's id, unique in the cluster.
    #[arg(long)]
    id: u32,
    /// The address to listen on (loopback only in this book).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// A peer, as ID=ADDRESS (repeat for each peer).
    #[arg(long = "peer", value_parser = parse_peer)]
    peers: Vec<(u32, SocketAddr)>,
}

fn parse_peer(s: &str) -> Result<(u32, SocketAddr), String> {
    let (id, addr) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not ID=ADDRESS"))?;
    let id = id.parse().map_err(|_| format!("{id:?} is not a node id"))?;
    let addr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is not an address such as 127.0.0.1:7001"))?;
    Ok((id, addr))
}
// ANCHOR_END: args

/// What the handlers share. `ready` is false until the node has started
/// and again from the moment it is told to stop. This node stops accepting
/// connections at that same moment, so a balancer that polls `/ready` has
/// no time to see the change before the port closes; Listing 11-5's
/// replicas go on serving for a while after they say they are not ready
/// (`--ready-grace-ms`), so that the balancer stops first.
struct Node {
    id: u32,
    peers: Vec<(u32, SocketAddr)>,
    ready: AtomicBool,
}

// ANCHOR: handlers
async fn health() -> &'static str {
    "ok"
}

async fn ready(State(node): State<Arc<Node>>) -> impl IntoResponse {
    let peers: Vec<u32> = node.peers.iter().map(|(id, _)| *id).collect();
    let status = if node.ready.load(Ordering::Relaxed) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(json!({ "id": node.id, "peers": peers })))
}
// ANCHOR_END: handlers

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    // Every line this node logs, in every task, carries `node{id=N}`.
    let span = info_span!("node", id = args.id);
    run(args).instrument(span).await
}

// ANCHOR: run
async fn run(args: Args) -> anyhow::Result<()> {
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("node {}: cannot listen on {}", args.id, args.listen))?;
    let addr = listener.local_addr()?;
    let node = Arc::new(Node {
        id: args.id,
        peers: args.peers,
        ready: AtomicBool::new(false),
    });
    let app = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .with_state(node.clone());
    let stopping = {
        let node = node.clone();
        let signal = stop_signal();
        async move {
            signal.await;
            node.ready.store(false, Ordering::Relaxed);
        }
    };
    // The first line on stdout is for whoever started us: where we are.
    println!("listening on http://{addr}");
    info!(%addr, peers = ?node.peers, "started");
    // Nothing to load yet; a node with state on disk reads it first.
    node.ready.store(true, Ordering::Relaxed);
    serve(listener, app, Limits::default(), stopping).await?;
    info!("stopped");
    Ok(())
}
// ANCHOR_END: run
