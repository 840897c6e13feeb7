//! A replica for the balancers: Listing 11-5's, with work that really
//! uses the processor. `/work?ms=N` (GET, or POST to stand for a call
//! that is not idempotent) computes for about N milliseconds, calibrated
//! at start, on a blocking thread, and answers with the replica's id. Two
//! requests on a busy machine then really compete for the processor, as
//! they would in production, where a sleep would not.

use std::hint::black_box;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use clap::Parser;
use listing_12_01::serve::{Limits, serve, stop_signal};
use serde::Deserialize;
use tokio::net::TcpListener;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    id: u32,
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Wait this long before each answer: a stand-in for a slow disk, for
    /// the tests (the experiment slows a replica with the fault proxy).
    #[arg(long, default_value_t = 0)]
    extra_ms: u64,
    /// After SIGTERM, keep serving this long while reporting not ready.
    #[arg(long, default_value_t = 0)]
    ready_grace_ms: u64,
}

struct Replica {
    id: u32,
    ready: AtomicBool,
    extra: Duration,
    /// Rounds of `spin` per millisecond on this machine.
    rounds_per_ms: u64,
}

#[derive(Deserialize)]
struct Work {
    /// At most 100 ms: a bound the caller cannot raise.
    ms: u64,
}

/// Work that the optimiser cannot remove: a hash chain.
fn spin(rounds: u64) -> u64 {
    (0..rounds).fold(0xcbf2_9ce4_8422_2325u64, |h, i| {
        (h ^ black_box(i)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn calibrate() -> u64 {
    let start = Instant::now();
    let mut rounds = 0u64;
    while start.elapsed() < Duration::from_millis(20) {
        black_box(spin(10_000));
        rounds += 10_000;
    }
    (rounds as f64 / start.elapsed().as_secs_f64() / 1000.0) as u64
}

async fn work(State(r): State<Arc<Replica>>, Query(w): Query<Work>) -> String {
    let rounds = r.rounds_per_ms * w.ms.min(100);
    // The handler's timeout drops this future; the thread then finishes
    // its few milliseconds and its result is thrown away.
    let _ = tokio::task::spawn_blocking(move || black_box(spin(rounds))).await;
    tokio::time::sleep(r.extra).await;
    format!("replica {}", r.id)
}

/// Who sent the request, as a proxy in front says (`x-forwarded-for`).
async fn forwarded(headers: HeaderMap) -> String {
    let value = headers.get("x-forwarded-for").map(|v| v.to_str());
    value.and_then(Result::ok).unwrap_or("none").to_string()
}

#[derive(Deserialize)]
struct Lines {
    n: u32,
    ms: u64,
}

/// `n` lines, one every `ms` milliseconds (at most 100 and 100 ms): a
/// response that is produced over time, to see whether a proxy streams it.
async fn lines(Query(l): Query<Lines>) -> Body {
    let every = Duration::from_millis(l.ms.min(100));
    let n = l.n.min(100);
    let lines = futures_util::stream::unfold(0, move |i| async move {
        if i == n {
            return None;
        }
        if i > 0 {
            tokio::time::sleep(every).await;
        }
        Some((Ok::<_, std::io::Error>(format!("line {i}\n")), i + 1))
    });
    Body::from_stream(lines)
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
        extra: Duration::from_millis(args.extra_ms),
        rounds_per_ms: calibrate(),
    });
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/work", get(work).post(work))
        .route("/forwarded", get(forwarded))
        .route("/lines", get(lines))
        .with_state(replica.clone());
    let grace = Duration::from_millis(args.ready_grace_ms);
    let stopping = {
        let signal = stop_signal();
        async move {
            signal.await;
            // Not ready first, while still serving; then drain.
            replica.ready.store(false, Ordering::Relaxed);
            tokio::time::sleep(grace).await;
        }
    };
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, app, Limits::default(), stopping).await?;
    Ok(())
}
