//! A client behind a circuit breaker, and a backend that hangs.
//!
//! The backend (an axum server in this process) answers a few calls, then
//! hangs: its serving task is aborted, but its socket stays open, so the
//! kernel still accepts connections and nobody reads them. That is what a
//! client sees of a process stopped with SIGSTOP or stuck in a deadlock,
//! or of a machine that vanished behind a load balancer: every call waits
//! for its whole timeout. (A process that is killed is kinder: its machine
//! refuses the connections at once.) The breaker opens after a few of these
//! slow failures, then refuses calls at once; after its cool-down it
//! probes, finds the backend still hung and opens again; the backend is
//! restarted, and the next probe closes it.
//!
//! The output has counts and states only, the same on every run; the times
//! (how long a failure took before and after the breaker opened, how long
//! recovery took) go to the file named by `--json`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use clap::Parser;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use listing_11_04::breaker::{BreakerConfig, BreakerError, BreakerState, CircuitBreaker};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, sleep};
use tower::{Service, ServiceExt};

#[derive(Parser)]
struct Args {
    /// Write the measured times to this file, as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

const TIMEOUT: Duration = Duration::from_millis(300);
const CONFIG: BreakerConfig = BreakerConfig {
    consecutive_failures: 3,
    window: 0,
    failure_rate: 1.0,
    cool_down: Duration::from_secs(1),
};

/// A backend whose serving can be stopped and started on the same socket.
struct Backend {
    listener: Arc<TcpListener>,
    task: Option<JoinHandle<()>>,
}

impl Backend {
    async fn bind() -> anyhow::Result<Backend> {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await?);
        Ok(Backend {
            listener,
            task: None,
        })
    }

    fn url(&self) -> anyhow::Result<String> {
        Ok(format!("http://{}/", self.listener.local_addr()?))
    }

    fn start(&mut self) {
        let app = Router::new().route("/", get(|| async { "ok\n" }));
        self.task = Some(tokio::spawn(accept_loop(Arc::clone(&self.listener), app)));
    }

    /// Aborts the serving task and, with it, every connection it serves;
    /// the socket itself stays open (this struct holds it).
    fn hang(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Serves each connection in a task of a `JoinSet`, so that aborting this
/// task drops the set and aborts the connections too.
async fn accept_loop(listener: Arc<TcpListener>, app: Router) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait a little, go on.
            sleep(Duration::from_millis(50)).await;
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        connections.spawn(async move {
            // A client that gave up mid-request: nothing to do about it.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        while connections.try_join_next().is_some() {}
    }
}

/// What a call to the backend can end in, before the breaker sees it.
#[derive(Debug, thiserror::Error)]
enum CallError {
    #[error("timed out")]
    Timeout,
    #[error("status {0}")]
    Status(u16),
    #[error("{0}")]
    Other(reqwest::Error),
}

// ANCHOR: client
/// The client's stack: an HTTP call with a timeout, behind a breaker. The
/// counter counts the calls that reached the HTTP client.
fn client(
    url: String,
    reached: Arc<AtomicUsize>,
) -> anyhow::Result<
    CircuitBreaker<impl Service<(), Response = (), Error = CallError, Future: Send> + Clone>,
> {
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        // A new connection per call: none of them outlives the backend's
        // stop, so every call meets the backend as it is now.
        .pool_max_idle_per_host(0)
        .build()?;
    let call = tower::service_fn(move |()| {
        reached.fetch_add(1, Ordering::SeqCst);
        let request = http.get(&url);
        async move {
            let response = request.send().await.map_err(|e| {
                if e.is_timeout() {
                    CallError::Timeout
                } else {
                    CallError::Other(e)
                }
            })?;
            match response.status() {
                s if s.is_success() => Ok(()),
                s => Err(CallError::Status(s.as_u16())),
            }
        }
    });
    Ok(CircuitBreaker::new(call, CONFIG))
}
// ANCHOR_END: client

/// One call and what it ended in, as a word.
async fn call<S>(client: &mut CircuitBreaker<S>) -> (&'static str, Duration)
where
    S: Service<(), Response = (), Error = CallError>,
    S::Future: Send + 'static,
{
    let start = Instant::now();
    let outcome = match client.ready().await {
        Ok(ready) => ready.call(()).await,
        Err(e) => Err(e),
    };
    let word = match outcome {
        Ok(()) => "ok",
        Err(BreakerError::Open) => "failed fast",
        Err(BreakerError::Inner(CallError::Timeout)) => "timed out",
        Err(BreakerError::Inner(_)) => "failed",
    };
    (word, start.elapsed())
}

/// Calls every 50 ms while the breaker refuses them, and returns the first
/// call it lets through (the probe). At most 100 calls: 5 s, for a
/// cool-down of 1 s.
async fn wait_for_probe<S>(client: &mut CircuitBreaker<S>) -> anyhow::Result<&'static str>
where
    S: Service<(), Response = (), Error = CallError>,
    S::Future: Send + 'static,
{
    for _ in 0..100 {
        sleep(Duration::from_millis(50)).await;
        match call(client).await {
            ("failed fast", _) => continue,
            (word, _) => return Ok(word),
        }
    }
    anyhow::bail!("the breaker let no probe through within 100 calls")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut backend = Backend::bind().await?;
    backend.start();
    let reached = Arc::new(AtomicUsize::new(0));
    let mut client = client(backend.url()?, Arc::clone(&reached))?;
    println!(
        "breaker: opens after {} failures in a row, cool-down {:?}; call timeout {:?}",
        CONFIG.consecutive_failures, CONFIG.cool_down, TIMEOUT
    );

    println!("backend up");
    let mut ok = 0;
    for _ in 0..5 {
        ok += usize::from(call(&mut client).await.0 == "ok");
    }
    println!("  5 calls: {ok} ok (breaker {})", client.state());

    // ANCHOR: hang
    println!("backend hung: its socket accepts connections, nothing answers");
    backend.hang();
    let hung_at = Instant::now();
    let reached_before = reached.load(Ordering::SeqCst);
    let mut slow = Vec::new();
    // Calls until the breaker opens; it should take 3, 10 is the bound.
    for _ in 0..10 {
        let (word, took) = call(&mut client).await;
        slow.push(took);
        println!("  call: {word} (breaker {})", client.state());
        if client.state() == BreakerState::Open {
            break;
        }
    }
    let time_to_open = hung_at.elapsed();
    let mut fast = Vec::new();
    for _ in 0..10 {
        let (word, took) = call(&mut client).await;
        anyhow::ensure!(word == "failed fast", "an open breaker let a call through");
        fast.push(took);
    }
    println!("  10 calls: failed fast (breaker {})", client.state());
    // ANCHOR_END: hang
    println!("  ... calls fail fast until the cool-down ends");
    let probe = wait_for_probe(&mut client).await?;
    println!("  probe: {probe} (breaker {})", client.state());

    println!("backend restarted");
    backend.start();
    let restarted_at = Instant::now();
    println!("  ... calls fail fast until the cool-down ends");
    let probe = wait_for_probe(&mut client).await?;
    let time_to_recover = restarted_at.elapsed();
    println!("  probe: {probe} (breaker {})", client.state());
    let mut ok = 0;
    for _ in 0..5 {
        ok += usize::from(call(&mut client).await.0 == "ok");
    }
    println!("  5 calls: {ok} ok (breaker {})", client.state());
    let reached_hung = reached.load(Ordering::SeqCst) - reached_before - 1 - 5;
    println!(
        "calls that reached the backend while it hung: {reached_hung} ({} before the breaker opened, 1 probe)",
        slow.len()
    );
    backend.hang();

    if let Some(path) = args.json {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mean = |ds: &[Duration]| ds.iter().map(|d| ms(*d)).sum::<f64>() / ds.len() as f64;
        let results = json!({
            "timeout_ms": ms(TIMEOUT),
            "consecutive_failures": CONFIG.consecutive_failures,
            "cool_down_ms": ms(CONFIG.cool_down),
            // A call to the hung backend before the breaker opened.
            "slow_failure_ms": mean(&slow),
            // From the hang to the breaker open: what callers paid.
            "time_to_open_ms": ms(time_to_open),
            // A call refused by the open breaker.
            "fast_failure_ms": mean(&fast),
            // From the restart to the first successful call.
            "time_to_recover_ms": ms(time_to_recover),
        });
        std::fs::write(&path, serde_json::to_string_pretty(&results)? + "\n")?;
    }
    Ok(())
}
