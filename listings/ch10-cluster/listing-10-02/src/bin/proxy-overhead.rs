//! What does a proxy cost? With no toxics, a request through the fault
//! proxy should take about as long as a direct one, and about as long as
//! through a production proxy. This binary is the client and the server of
//! that comparison, on loopback: it serves a tiny HTTP server on `--listen`
//! and sends requests to it directly and through each proxy named with
//! `--via NAME=ADDR`, which must forward to `--listen`. It starts no proxy
//! itself: `cargo xtask bench proxy` starts the fault proxy (this listing's
//! `faultproxy`, a process of its own) and HAProxy, and passes them here.
//!
//! For each target (the server directly, and each proxy) it measures:
//!
//! - latency at a fixed offered rate (open loop): request `i` is due at
//!   `t0 + i / rate`, and its latency counts from then, not from when it was
//!   sent, so a stall that delays later requests is charged to them too (no
//!   "coordinated omission");
//! - throughput: `--connections` clients in a closed loop, as fast as they can.
//!
//! The targets take turns for `--rounds` rounds, each round in another
//! order, so that a slow spell of the machine does not land on one only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::{Router, routing::get};
use clap::Parser;
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
    /// Where the upstream server listens; the proxies must forward here.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// A proxy in front of the server, e.g. faultproxy=127.0.0.1:9000.
    #[arg(long = "via", value_name = "NAME=ADDR", value_parser = parse_via)]
    via: Vec<(String, SocketAddr)>,
    /// Offered load of the latency test, requests per second.
    #[arg(long, default_value_t = 2000)]
    rate: u32,
    /// Duration of each latency and each throughput run, in seconds.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Rounds: in each, every target once (in an order that changes).
    /// Many short rounds rather than a few long ones: their median shrugs
    /// off a slow spell of the machine.
    #[arg(long, default_value_t = 6)]
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

fn parse_via(spec: &str) -> Result<(String, SocketAddr), String> {
    match spec.split_once('=') {
        Some((name, addr)) if !name.is_empty() && name != "direct" => addr
            .parse()
            .map(|addr| (name.to_string(), addr))
            .map_err(|_| format!("{addr:?} is not an IP:port address")),
        _ => Err(format!(
            "{spec:?} is not NAME=ADDR (e.g. faultproxy=127.0.0.1:9000; not \"direct\")"
        )),
    }
}

/// One target's numbers, one entry per round.
#[derive(Serialize)]
struct Target {
    name: String,
    addr: SocketAddr,
    p50_us: Vec<u64>,
    p99_us: Vec<u64>,
    p999_us: Vec<u64>,
    rps: Vec<f64>,
    errors: Vec<usize>,
}

#[derive(Serialize)]
struct Report {
    rate: u32,
    seconds: f64,
    rounds: u32,
    connections: usize,
    /// `direct` first, then the proxies in the order given.
    targets: Vec<Target>,
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

async fn measure(target: &mut Target, args: &Args, round: u32) -> anyhow::Result<()> {
    let (latencies, errors) = open_loop(target.addr, args.rate, args.seconds).await?;
    let rps = closed_loop(target.addr, args.connections, args.seconds).await?;
    let (p50, p99, p999) = (
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
        quantile(&latencies, 0.999),
    );
    eprintln!(
        "round {round} {:>10}: p50 {p50:>6} us  p99 {p99:>6} us  p99.9 {p999:>6} us  \
         {rps:>8.0} req/s  ({} requests, {errors} errors)",
        target.name,
        latencies.len()
    );
    target.p50_us.push(p50);
    target.p99_us.push(p99);
    target.p999_us.push(p999);
    target.rps.push(rps);
    target.errors.push(errors);
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

    let upstream = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let direct = upstream.local_addr()?;
    let app = Router::new().route("/", get(|| async { "ok" }));
    // The server task ends with the process, after the report is written.
    tokio::spawn(async move { axum::serve(upstream, app).await });

    let mut targets: Vec<Target> = std::iter::once(("direct".to_string(), direct))
        .chain(args.via.iter().cloned())
        .map(|(name, addr)| Target {
            name,
            addr,
            p50_us: Vec::new(),
            p99_us: Vec::new(),
            p999_us: Vec::new(),
            rps: Vec::new(),
            errors: Vec::new(),
        })
        .collect();
    let names: Vec<String> = targets
        .iter()
        .map(|p| format!("{} {}", p.name, p.addr))
        .collect();
    eprintln!(
        "{} req/s for {} s, then {} connections for {} s; {}",
        args.rate,
        args.seconds,
        args.connections,
        args.seconds,
        names.join(", ")
    );

    for round in 1..=args.rounds {
        // Round r starts with target r - 1: each goes first in turn.
        let n = targets.len();
        for k in 0..n {
            let i = (k + round as usize - 1) % n;
            measure(&mut targets[i], &args, round).await?;
        }
    }

    let report = Report {
        rate: args.rate,
        seconds: args.seconds,
        rounds: args.rounds,
        connections: args.connections,
        targets,
    };
    let json = serde_json::to_string_pretty(&report)?;
    match &args.out {
        Some(path) => std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => println!("{json}"),
    }
    Ok(())
}
