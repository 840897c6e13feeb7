//! A counter node: Listing 10-1's node plus a replicated counter. Clients
//! `POST /increment` and `GET /value`; every `--gossip-ms` the node sends
//! its state to each peer's `POST /gossip`. The protocol itself is the
//! core chosen with `--core`; this file only moves its messages and writes
//! its durable part to disk before acknowledging an increment.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::{get, post};
use clap::{Parser, ValueEnum};
use listing_10_03::counter::{Counter, GCounter, NaiveCounter, NodeId};
use listing_10_03::serve::{Limits, serve, stop_signal};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;
use tracing::{Instrument, debug, info, info_span};

#[derive(Clone, Copy, ValueEnum)]
enum Core {
    Naive,
    Gcounter,
}

/// A node of the replicated counter.
#[derive(Parser)]
struct Args {
    #[arg(long)]
    id: NodeId,
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// A peer, as ID=ADDRESS (repeat for each peer).
    #[arg(long = "peer", value_parser = parse_peer)]
    peers: Vec<(NodeId, SocketAddr)>,
    /// The protocol core.
    #[arg(long, value_enum, default_value = "gcounter")]
    core: Core,
    /// Where this node keeps its durable count (`node-ID.count`).
    #[arg(long, default_value = ".")]
    data: PathBuf,
    /// How often to send the state to every peer.
    #[arg(long, default_value_t = 100)]
    gossip_ms: u64,
}

fn parse_peer(s: &str) -> Result<(NodeId, SocketAddr), String> {
    let (id, addr) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not ID=ADDRESS"))?;
    let id = id.parse().map_err(|_| format!("{id:?} is not a node id"))?;
    let addr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is not an address such as 127.0.0.1:7001"))?;
    Ok((id, addr))
}

struct Node<C: Counter> {
    id: NodeId,
    /// Held only between awaits, never across one.
    core: Mutex<C>,
    /// One disk write at a time, in the order of the increments.
    disk: tokio::sync::Mutex<PathBuf>,
    ready: AtomicBool,
}

/// What one node sends another.
#[derive(Serialize, Deserialize)]
struct GossipMessage<G> {
    from: NodeId,
    gossip: G,
}

// ANCHOR: increment
/// The increment is acknowledged only once the node's durable count is on
/// disk, so that a node killed right after answering still has it when it
/// restarts. If the write fails the client gets 500, and must take the
/// outcome as unknown: the increment is already in memory and may spread.
async fn increment<C: Counter>(State(node): State<Arc<Node<C>>>) -> impl IntoResponse {
    let path = node.disk.lock().await;
    let (durable, value) = {
        // The lock is only poisoned if a thread panicked holding it.
        let mut core = node.core.lock().expect("core lock poisoned");
        core.increment();
        (core.durable(), core.value())
    };
    match save(&path, durable).await {
        Ok(()) => (StatusCode::OK, Json(json!({ "value": value }))),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": format!("cannot write {}: {e}", path.display()) })),
        ),
    }
}

/// Write to a new file, flush it to the disk, then rename it over the old
/// one: a crash at any point leaves either the old count or the new one.
async fn save(path: &std::path::Path, durable: u64) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let file = tokio::fs::File::create(&tmp).await?;
    let mut file = tokio::io::BufWriter::new(file);
    tokio::io::AsyncWriteExt::write_all(&mut file, durable.to_string().as_bytes()).await?;
    tokio::io::AsyncWriteExt::flush(&mut file).await?;
    file.get_ref().sync_all().await?;
    tokio::fs::rename(&tmp, path).await?;
    // The rename itself lives in the directory: flush that too.
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    tokio::fs::File::open(dir).await?.sync_all().await
}
// ANCHOR_END: increment

async fn value<C: Counter>(State(node): State<Arc<Node<C>>>) -> Json<serde_json::Value> {
    let core = node.core.lock().expect("core lock poisoned");
    Json(json!({ "node": node.id, "value": core.value(), "state": core.gossip() }))
}

async fn gossip<C: Counter>(
    State(node): State<Arc<Node<C>>>,
    Json(message): Json<GossipMessage<C::Gossip>>,
) -> StatusCode {
    node.core
        .lock()
        .expect("core lock poisoned")
        .merge(&message.gossip);
    debug!(from = message.from, "merged gossip");
    StatusCode::NO_CONTENT
}

async fn ready<C: Counter>(State(node): State<Arc<Node<C>>>) -> StatusCode {
    if node.ready.load(Ordering::Relaxed) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

// ANCHOR: gossip
/// Anti-entropy: every tick, send the whole state to every peer. A peer
/// that is down or cut off just misses this round; a later one carries
/// everything it missed, because the state is all there is to send.
async fn gossip_forever<C: Counter>(
    node: Arc<Node<C>>,
    peers: Vec<(NodeId, SocketAddr)>,
    every: Duration,
) {
    // Bounded waits: a stalled link must not hold up the next round.
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(200))
        .timeout(Duration::from_millis(500))
        .build()
        .expect("a client with timeouts builds");
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let message = GossipMessage {
            from: node.id,
            gossip: node.core.lock().expect("core lock poisoned").gossip(),
        };
        let mut sends = tokio::task::JoinSet::new();
        for &(peer, addr) in &peers {
            let request = http
                .post(format!("http://{addr}/gossip"))
                .json(&message)
                .send();
            sends.spawn(
                async move {
                    if let Err(e) = request.await {
                        debug!(peer, error = %e, "gossip not delivered");
                    }
                }
                .in_current_span(),
            );
        }
        while sends.join_next().await.is_some() {}
    }
}
// ANCHOR_END: gossip

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let span = info_span!("node", id = args.id);
    match args.core {
        Core::Naive => run::<NaiveCounter>(args).instrument(span).await,
        Core::Gcounter => run::<GCounter>(args).instrument(span).await,
    }
}

async fn run<C: Counter>(args: Args) -> anyhow::Result<()> {
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("node {}: cannot listen on {}", args.id, args.listen))?;
    let addr = listener.local_addr()?;
    // ANCHOR: restore
    let path = args.data.join(format!("node-{}.count", args.id));
    let durable = match tokio::fs::read_to_string(&path).await {
        Ok(text) => text
            .trim()
            .parse()
            .with_context(|| format!("{} does not hold a count", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let node = Arc::new(Node {
        id: args.id,
        core: Mutex::new(C::restore(args.id, durable)),
        disk: tokio::sync::Mutex::new(path),
        ready: AtomicBool::new(false),
    });
    // ANCHOR_END: restore
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready::<C>))
        .route("/increment", post(increment::<C>))
        .route("/value", get(value::<C>))
        .route("/gossip", post(gossip::<C>))
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
    info!(%addr, durable, peers = ?args.peers, "started");
    tokio::spawn(
        gossip_forever(
            node.clone(),
            args.peers,
            Duration::from_millis(args.gossip_ms),
        )
        .in_current_span(),
    );
    node.ready.store(true, Ordering::Relaxed);
    serve(listener, app, Limits::default(), stopping).await?;
    info!("stopped");
    Ok(())
}
