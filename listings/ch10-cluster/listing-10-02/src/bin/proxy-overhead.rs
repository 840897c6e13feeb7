//! What does the proxy itself cost? With no toxics, a request through it
//! should take about as long as a direct one; this binary measures by how
//! much it does not, on loopback, in one process:
//!
//! - latency at a fixed offered rate (open loop): request `i` is due at
//!   `t0 + i / rate`, and its latency counts from then, not from when it was
//!   sent, so a stall that delays later requests is charged to them too (no
//!   "coordinated omission");
//! - throughput: `--connections` clients in a closed loop, as fast as they can.
//!
//! Direct and proxied runs alternate for `--rounds` rounds, so a slow spell
//! of the machine does not land on one variant only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::{Router, routing::get};
use clap::Parser;
use listing_10_02::{Proxies, ProxySpec};
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};
use tokio::time::timeout;

/// Keep-alive connections the open-loop client spreads its requests over.
const POOL: usize = 16;
/// A request slower than this counts as an error, and its connection is replaced.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Parser)]
struct Args {
    /// Offered load of the latency test, requests per second.
    #[arg(long, default_value_t = 2000)]
    rate: u32,
    /// Duration of each latency and each throughput run, in seconds.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Rounds of direct-then-proxied (alternating order).
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Connections of the throughput test.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// A tiny run, to check that everything works: 200 req/s, 0.5 s, 1 round.
    #[arg(long)]
    smoke: bool,
    /// Write the JSON report here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Default, Serialize)]
struct Series {
    p50_us: Vec<u64>,
    p99_us: Vec<u64>,
    p999_us: Vec<u64>,
    rps: Vec<f64>,
}

#[derive(Serialize)]
struct Report {
    rate: u32,
    seconds: f64,
    rounds: u32,
    direct: Series,
    proxied: Series,
}

/// A keep-alive HTTP/1.1 client connection, written by hand: the request is
/// fixed and the response only needs its status line and `content-length`.
struct Conn {
    stream: BufReader<TcpStream>,
    line: String,
}

impl Conn {
    async fn open(addr: SocketAddr) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream: BufReader::new(stream),
            line: String::new(),
        })
    }

    async fn get(&mut self) -> anyhow::Result<()> {
        self.stream
            .get_mut()
            .write_all(b"GET / HTTP/1.1\r\nhost: bench\r\n\r\n")
            .await?;
        let mut length = None;
        for i in 0.. {
            self.line.clear();
            if self.stream.read_line(&mut self.line).await? == 0 {
                bail!("connection closed mid-response");
            }
            let line = self.line.trim_end().to_ascii_lowercase();
            if i == 0 && !line.starts_with("http/1.1 200") {
                bail!("unexpected status line {line:?}");
            }
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("content-length:") {
                length = Some(value.trim().parse::<usize>()?);
            }
        }
        let mut body = vec![0; length.context("response without content-length")?];
        self.stream.read_exact(&mut body).await?;
        Ok(())
    }
}

/// One request with a timeout; on failure the connection is replaced, since
/// a half-read response would garble the next one.
async fn request(conn: &mut Conn, addr: SocketAddr) -> bool {
    if let Ok(Ok(())) = timeout(REQUEST_TIMEOUT, conn.get()).await {
        return true;
    }
    if let Ok(Ok(fresh)) = timeout(REQUEST_TIMEOUT, Conn::open(addr)).await {
        *conn = fresh;
    }
    false
}

/// Open loop: returns the sorted latencies in microseconds, and the errors.
///
/// The schedule is kept by a plain thread with `std::thread::sleep`, which
/// is precise to tens of microseconds; tokio's timer ticks in milliseconds
/// and would add up to one to every request.
async fn open_loop(addr: SocketAddr, rate: u32, seconds: f64) -> anyhow::Result<(Vec<u64>, usize)> {
    let total = (f64::from(rate) * seconds).round() as u64;
    let (due_tx, due_rx) = mpsc::unbounded_channel::<Instant>();
    let due_rx = Arc::new(Mutex::new(due_rx));
    let mut workers = Vec::new();
    for _ in 0..POOL {
        let mut conn = Conn::open(addr).await?;
        let due_rx = due_rx.clone();
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0);
            loop {
                // Ends when the pacer has sent every request and hung up.
                let Some(due) = due_rx.lock().await.recv().await else {
                    break;
                };
                if request(&mut conn, addr).await {
                    latencies.push(due.elapsed().as_micros() as u64);
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let t0 = Instant::now() + Duration::from_millis(10);
    let pacer = std::thread::spawn(move || {
        for i in 0..total {
            let due = t0 + Duration::from_secs_f64(i as f64 / f64::from(rate));
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            if due_tx.send(due).is_err() {
                break; // every worker is gone
            }
        }
    });
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for worker in workers {
        let (l, e) = worker.await?;
        latencies.extend(l);
        errors += e;
    }
    // The pacer cannot panic short of a bug; say so if it did.
    pacer.join().expect("the pacer thread panicked");
    latencies.sort_unstable();
    Ok((latencies, errors))
}

/// Closed loop: requests per second over `connections` busy connections.
async fn closed_loop(addr: SocketAddr, connections: usize, seconds: f64) -> anyhow::Result<f64> {
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let mut workers = Vec::new();
    for _ in 0..connections {
        let mut conn = Conn::open(addr).await?;
        workers.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                done += u64::from(request(&mut conn, addr).await);
            }
            done
        }));
    }
    let mut done = 0;
    for worker in workers {
        done += worker.await?;
    }
    Ok(done as f64 / start.elapsed().as_secs_f64())
}

/// The `q` quantile of sorted values (nearest rank); 0 if there are none.
fn quantile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or(0)
}

async fn measure(
    name: &str,
    addr: SocketAddr,
    args: &Args,
    round: u32,
    into: &mut Series,
) -> anyhow::Result<()> {
    let (latencies, errors) = open_loop(addr, args.rate, args.seconds).await?;
    let rps = closed_loop(addr, args.connections, args.seconds).await?;
    let (p50, p99, p999) = (
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
        quantile(&latencies, 0.999),
    );
    eprintln!(
        "round {round} {name:>8}: p50 {p50:>6} us  p99 {p99:>6} us  p99.9 {p999:>6} us  \
         {rps:>8.0} req/s  ({} requests, {errors} errors)",
        latencies.len()
    );
    into.p50_us.push(p50);
    into.p99_us.push(p99);
    into.p999_us.push(p999);
    into.rps.push(rps);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.smoke {
        (args.rate, args.seconds, args.rounds) = (200, 0.5, 1);
    }
    if args.rate == 0 || !(0.01..=3600.0).contains(&args.seconds) || args.connections == 0 {
        bail!("--rate and --connections must be at least 1, --seconds between 0.01 and 3600");
    }

    let upstream = TcpListener::bind("127.0.0.1:0").await?;
    let direct = upstream.local_addr()?;
    let app = Router::new().route("/", get(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(upstream, app).await });

    let proxies = Proxies::new();
    let spec = ProxySpec {
        name: "bench".into(),
        listen: "127.0.0.1:0".into(),
        upstream: direct.to_string(),
    };
    let proxied = proxies.create(spec).await?.listen;
    eprintln!(
        "{} req/s for {} s, then {} connections for {} s; direct {direct}, proxied {proxied}",
        args.rate, args.seconds, args.connections, args.seconds
    );

    let mut report = Report {
        rate: args.rate,
        seconds: args.seconds,
        rounds: args.rounds,
        direct: Series::default(),
        proxied: Series::default(),
    };
    for round in 1..=args.rounds {
        if round % 2 == 1 {
            measure("direct", direct, &args, round, &mut report.direct).await?;
            measure("proxied", proxied, &args, round, &mut report.proxied).await?;
        } else {
            measure("proxied", proxied, &args, round, &mut report.proxied).await?;
            measure("direct", direct, &args, round, &mut report.direct).await?;
        }
    }
    proxies.shutdown().await;

    let json = serde_json::to_string_pretty(&report)?;
    match &args.out {
        Some(path) => std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => println!("{json}"),
    }
    Ok(())
}
