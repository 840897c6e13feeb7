//! A replica: Listing 10-1's node with one endpoint of work. `GET
//! /work?ms=N` works for N milliseconds and answers with the replica's
//! id. Stopped with SIGTERM it stops accepting, reports not ready, and
//! lets the requests in flight finish (for at most 5 s).

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use clap::Parser;
use listing_11_05::serve::{Limits, serve, stop_signal};
use serde::Deserialize;
use tokio::net::TcpListener;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    id: u32,
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// After SIGTERM, keep serving this long while reporting not ready, so
    /// that balancers polling /ready stop sending work first.
    #[arg(long, default_value_t = 0)]
    ready_grace_ms: u64,
}

struct Replica {
    id: u32,
    ready: AtomicBool,
}

#[derive(Deserialize)]
struct Work {
    /// At most a second: a bound the caller cannot raise.
    ms: u64,
}

async fn work(State(r): State<Arc<Replica>>, Query(w): Query<Work>) -> String {
    tokio::time::sleep(Duration::from_millis(w.ms.min(1000))).await;
    format!("replica {}", r.id)
}

async fn ready(State(r): State<Arc<Replica>>) -> StatusCode {
    if r.ready.load(Ordering::Relaxed) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("replica {}: cannot listen on {}", args.id, args.listen))?;
    let replica = Arc::new(Replica {
        id: args.id,
        ready: AtomicBool::new(true),
    });
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/work", get(work))
        .with_state(replica.clone());
    // ANCHOR: drain
    let grace = Duration::from_millis(args.ready_grace_ms);
    let stopping = {
        let signal = stop_signal();
        async move {
            signal.await;
            // Not ready first, while still serving: a balancer that polls
            // /ready stops sending work here. Then `serve` stops accepting
            // and lets the requests in flight finish.
            replica.ready.store(false, Ordering::Relaxed);
            tokio::time::sleep(grace).await;
        }
    };
    // ANCHOR_END: drain
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, app, Limits::default(), stopping).await?;
    Ok(())
}
