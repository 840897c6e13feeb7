//! The overload benchmark: offered 0.5×, 1× and 2× what it can serve, how
//! does a server do without protection and with load shedding?
//!
//! The load is open-loop: request `i` is started at `start + i / rate`,
//! whether or not the ones before it were answered, and its latency is
//! measured from that scheduled time. (A client that waits for each answer
//! before sending the next slows down with the server and hides its
//! queue.) Each client call has a 1 s timeout and is never retried.
//!
//! For each run, a fresh server in a runtime of its own (one thread, like
//! a small container), dropped at the end with whatever it was still
//! doing, so that no run inherits the queue of the one before.
//!
//! Timing-dependent by nature: its output is not stored with the listing.
//! Run it in release: `cargo run --release -p listing-11-04 --bin
//! overload-bench -- --json results.json`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use listing_11_04::overload::{Capacity, app};
use listing_11_04::serve::{Limits, serve};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};

#[derive(Parser)]
struct Args {
    /// A tiny run (0.3 s per load) to check that everything works.
    #[arg(long)]
    smoke: bool,
    /// Write the results to this file, as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Seconds of load at each level.
    #[arg(long, default_value_t = 4.0)]
    seconds: f64,
    /// Requests the server works on at once.
    #[arg(long, default_value_t = 4)]
    slots: usize,
    /// Milliseconds each request takes.
    #[arg(long, default_value_t = 20)]
    service_ms: u64,
    /// The client's timeout, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
}

/// What one request ended in.
enum Outcome {
    /// Served: the latency, and when the answer came (from the start).
    Ok(Duration, Duration),
    Refused,
    Timeout,
    Error,
}

/// One (variant, load) run, as reported.
#[derive(Serialize)]
struct Run {
    variant: &'static str,
    load: f64,
    offered_per_s: f64,
    sent: usize,
    ok: usize,
    goodput_per_s: f64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    refused: usize,
    timeouts: usize,
    errors: usize,
}

/// A server of `capacity` on 127.0.0.1, in a one-thread runtime of its own.
struct Server {
    runtime: tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    stop: oneshot::Sender<()>,
}

impl Server {
    fn start(capacity: Capacity, protected: bool) -> anyhow::Result<Server> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let limits = Limits {
            // The hardened server's own limit, far above `capacity`: the
            // protection measured here is the one in `overload::app`.
            concurrency: 10_000,
            drain: Duration::from_millis(100),
            ..Limits::default()
        };
        runtime.spawn(serve(listener, app(capacity, protected), limits, async {
            let _ = stopped.await;
        }));
        Ok(Server {
            runtime,
            addr,
            stop,
        })
    }

    /// Stops accepting, then drops the runtime and every task still in it
    /// (requests queued for a slot, answers nobody waits for).
    fn stop(self) {
        // The server may have stopped already: nothing to tell it then.
        let _ = self.stop.send(());
        // Time for `serve` to close its socket and run its 100 ms drain.
        std::thread::sleep(Duration::from_millis(200));
        self.runtime.shutdown_background();
    }
}

// ANCHOR: open_loop
/// Offers `rate` requests per second for `seconds`, on a schedule.
async fn offer(http: &reqwest::Client, url: &str, rate: f64, seconds: f64) -> Vec<Outcome> {
    let count = (rate * seconds).round() as usize;
    let start = Instant::now();
    let mut requests = JoinSet::new();
    for i in 0..count {
        let scheduled = start + Duration::from_secs_f64(i as f64 / rate);
        sleep_until(scheduled).await;
        let request = http.get(url);
        requests.spawn(async move {
            match request.send().await {
                // Latency from the scheduled start, not from the send: a
                // client that fell behind must not hide the delay.
                Ok(r) if r.status().is_success() => match r.bytes().await {
                    Ok(_) => Outcome::Ok(scheduled.elapsed(), start.elapsed()),
                    Err(e) if e.is_timeout() => Outcome::Timeout,
                    Err(_) => Outcome::Error,
                },
                Ok(r) if r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE => Outcome::Refused,
                Ok(_) => Outcome::Error,
                Err(e) if e.is_timeout() => Outcome::Timeout,
                Err(_) => Outcome::Error,
            }
        });
    }
    // Every request ends within the client's timeout.
    requests.join_all().await
}
// ANCHOR_END: open_loop

fn summarise(
    variant: &'static str,
    load: f64,
    rate: f64,
    seconds: f64,
    outcomes: &[Outcome],
) -> Run {
    let mut latencies: Vec<f64> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Ok(d, _) => Some(d.as_secs_f64() * 1000.0),
            _ => None,
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        (!latencies.is_empty()).then(|| {
            let i = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len());
            latencies[i - 1]
        })
    };
    let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    // Goodput: answers that came while the load lasted, per second. (The
    // line a server still has when the load stops is served afterwards, at
    // no one's expense; counting it would flatter the unprotected server.)
    let window = Duration::from_secs_f64(seconds);
    let in_window = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Ok(_, at) if *at <= window))
        .count();
    Run {
        variant,
        load,
        offered_per_s: rate,
        sent: outcomes.len(),
        ok: latencies.len(),
        goodput_per_s: in_window as f64 / seconds,
        p50_ms: quantile(0.5),
        p99_ms: quantile(0.99),
        refused: count(|o| matches!(o, Outcome::Refused)),
        timeouts: count(|o| matches!(o, Outcome::Timeout)),
        errors: count(|o| matches!(o, Outcome::Error)),
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let seconds = if args.smoke { 0.3 } else { args.seconds };
    let capacity = Capacity {
        slots: args.slots,
        service_time: Duration::from_millis(args.service_ms),
    };
    let timeout = Duration::from_millis(args.timeout_ms);
    // The client's runtime; each server gets its own (see `Server`).
    let client_rt = tokio::runtime::Runtime::new()?;
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .context("cannot build the HTTP client")?;
    println!(
        "capacity: {} slots × {} ms = {:.0} requests/s; {seconds} s per load; client timeout {} ms",
        capacity.slots,
        args.service_ms,
        capacity.per_second(),
        args.timeout_ms
    );
    println!(
        "{:<12} {:>5} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6}",
        "variant",
        "load",
        "offered/s",
        "goodput/s",
        "p50 ms",
        "p99 ms",
        "refused",
        "timeouts",
        "errors"
    );
    let mut runs = Vec::new();
    for (variant, protected) in [("unprotected", false), ("protected", true)] {
        for load in [0.5, 1.0, 2.0] {
            let rate = load * capacity.per_second();
            let server = Server::start(capacity, protected)?;
            let url = format!("http://{}/work", server.addr);
            let outcomes = client_rt.block_on(offer(&http, &url, rate, seconds));
            server.stop();
            let run = summarise(variant, load, rate, seconds, &outcomes);
            let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
            println!(
                "{:<12} {:>4}× {:>9.0} {:>9.1} {:>8} {:>8} {:>8} {:>8} {:>6}",
                run.variant,
                run.load,
                run.offered_per_s,
                run.goodput_per_s,
                ms(run.p50_ms),
                ms(run.p99_ms),
                run.refused,
                run.timeouts,
                run.errors
            );
            runs.push(run);
        }
    }
    if let Some(path) = args.json {
        let results = serde_json::json!({
            "slots": capacity.slots,
            "service_ms": args.service_ms,
            "capacity_per_s": capacity.per_second(),
            "seconds_per_load": seconds,
            "timeout_ms": args.timeout_ms,
            "runs": runs,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&results)? + "\n")?;
    }
    Ok(())
}
