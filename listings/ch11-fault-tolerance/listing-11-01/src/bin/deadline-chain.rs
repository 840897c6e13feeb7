//! A chain of three services, A → B → C, where C is slow: it computes in
//! 10 ms steps, 30 of them, on a blocking thread. A client calls A and gives up after 100 ms.
//! Run twice: once with every hop using only its own timeout, once with
//! the client's budget passed along the chain. The program measures how
//! much of C's work was done after the client had already given up.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use listing_11_01::{BUDGET_HEADER, Deadline};
use tokio::net::TcpListener;
use tokio::time::{Instant, sleep, timeout_at};

/// Each hop's own limit, when no budget comes with the request.
const OWN_LIMIT: Duration = Duration::from_secs(2);
const STEP: Duration = Duration::from_millis(10);
const STEPS: u32 = 30;
/// The client waits this long...
const CLIENT_TIMEOUT: Duration = Duration::from_millis(100);
/// ...and sends a little less as the budget, for the time the request
/// spends getting to A.
const CLIENT_BUDGET_MS: u64 = 80;
const REQUESTS: u32 = 10;

/// What the experiment measures, shared by the client and C (one process,
/// so one clock).
#[derive(Default)]
struct Meter {
    /// When the client of the current request gives up.
    gives_up: Option<Instant>,
    worked: Duration,
    wasted: Duration,
    stopped_early: u32,
}

#[derive(Clone)]
struct Hop {
    next: Option<String>,
    propagate: bool,
    http: reqwest::Client,
    meter: Arc<Mutex<Meter>>,
}

// ANCHOR: hop
/// A and B: pass the request on, with what is left of the budget.
async fn forward(State(hop): State<Hop>, headers: HeaderMap) -> StatusCode {
    let deadline = if hop.propagate {
        Deadline::from_headers(&headers, OWN_LIMIT)
    } else {
        Deadline::from_headers(&HeaderMap::new(), OWN_LIMIT)
    };
    if deadline.expired() {
        return StatusCode::GATEWAY_TIMEOUT;
    }
    let next = hop.next.as_deref().expect("A and B have a next hop");
    let mut request = hop.http.get(next);
    if hop.propagate {
        request = request.header(BUDGET_HEADER, deadline.header_value());
    }
    match timeout_at(deadline.instant(), request.send()).await {
        Ok(Ok(response)) => response.status(),
        Ok(Err(_)) => StatusCode::BAD_GATEWAY,
        // Waiting on another server ran out of time: 504, not 503.
        Err(_) => StatusCode::GATEWAY_TIMEOUT,
    }
}

/// C: the slow one. Its work runs on a blocking thread, as CPU-heavy work
/// must; dropping the handler (which hyper does when the caller hangs up)
/// does not stop a thread. Only the deadline, checked before every step,
/// does.
async fn work(State(hop): State<Hop>, headers: HeaderMap) -> StatusCode {
    let deadline = if hop.propagate {
        Deadline::from_headers(&headers, OWN_LIMIT)
    } else {
        Deadline::from_headers(&HeaderMap::new(), OWN_LIMIT)
    };
    let meter = hop.meter.clone();
    // The measurement's bookkeeping: when this request's client gives up.
    let gives_up = meter.lock().expect("meter lock").gives_up;
    let done = tokio::task::spawn_blocking(move || {
        for _ in 0..STEPS {
            if deadline.expired() {
                meter.lock().expect("meter lock").stopped_early += 1;
                return false;
            }
            let started = Instant::now();
            std::thread::sleep(STEP); // stands for 10 ms of computing
            let mut m = meter.lock().expect("meter lock");
            m.worked += started.elapsed();
            if gives_up.is_some_and(|t| started >= t) {
                m.wasted += started.elapsed();
            }
        }
        true
    });
    match done.await {
        Ok(true) => StatusCode::OK,
        _ => StatusCode::GATEWAY_TIMEOUT,
    }
}
// ANCHOR_END: hop

async fn start(app: Router) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

async fn run(propagate: bool) -> anyhow::Result<()> {
    let meter = Arc::new(Mutex::new(Meter::default()));
    let http = reqwest::Client::new();
    let hop = |next: Option<String>| Hop {
        next,
        propagate,
        http: http.clone(),
        meter: meter.clone(),
    };
    let c = start(Router::new().route("/", get(work)).with_state(hop(None))).await?;
    let b = start(
        Router::new()
            .route("/", get(forward))
            .with_state(hop(Some(c))),
    )
    .await?;
    let a = start(
        Router::new()
            .route("/", get(forward))
            .with_state(hop(Some(b))),
    )
    .await?;

    let client = reqwest::Client::builder().timeout(CLIENT_TIMEOUT).build()?;
    let mut gave_up = 0;
    for _ in 0..REQUESTS {
        meter.lock().expect("meter lock").gives_up = Some(Instant::now() + CLIENT_TIMEOUT);
        let mut request = client.get(&a);
        if propagate {
            request = request.header(BUDGET_HEADER, CLIENT_BUDGET_MS.to_string());
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => {}
            _ => gave_up += 1,
        }
    }
    // Let C finish whatever it is still doing before reading the meter.
    sleep(STEP * (STEPS + 5)).await;
    let m = meter.lock().expect("meter lock");
    println!(
        "== {} ==",
        if propagate {
            "budget passed along the chain"
        } else {
            "each hop with its own timeout"
        }
    );
    println!("client: {REQUESTS} requests, gave up on {gave_up} after {CLIENT_TIMEOUT:?}");
    println!("C stopped early on {} requests", m.stopped_early);
    println!(
        "C worked {:?}, of which {:?} after the client had given up",
        round(m.worked),
        round(m.wasted)
    );
    Ok(())
}

/// Whole milliseconds are enough to read.
fn round(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run(false).await?;
    run(true).await?;
    Ok(())
}
