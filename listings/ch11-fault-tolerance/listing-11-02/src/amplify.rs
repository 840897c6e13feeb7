//! The experiment: retry amplification, measured.
//!
//! Three services in a row, A → B → C, in front of a backend in the middle
//! of an outage (it answers every request with 503). Each layer calls the
//! next through the retry loop of `retry`, 3 attempts per call. A client
//! sends requests to A, one after another, and every server counts what it
//! receives. Without a budget, each layer multiplies what it receives by
//! 3, so the backend receives `requests × 3 × 3 × 3`, 27 times what the
//! client sent; with a budget at every layer, each layer adds at most its
//! floor plus 10 % to what it receives. Everything runs in this process,
//! on 127.0.0.1, and the requests go one at a time, so the counts are the
//! same on every run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::budget::RetryBudget;
use crate::retry::{Backoff, Idempotency, Policy, Retry, Stop, classify};
use crate::serve::{Limits, serve};

/// The layers, in the order a request crosses them.
pub const LAYERS: [&str; 3] = ["A", "B", "C"];

/// The budget every layer gets in the second run.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct BudgetRule {
    pub percent: u32,
    pub floor: u32,
    pub window: u32,
}

impl BudgetRule {
    pub const CHAPTER: BudgetRule = BudgetRule {
        percent: 10,
        floor: 2,
        window: 100,
    };

    /// The most retries a layer may make after `first_attempts` requests:
    /// the rule of `RetryBudget`.
    pub fn max_retries(&self, first_attempts: u64) -> u64 {
        u64::from(self.floor) + first_attempts * u64::from(self.percent) / 100
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Setup {
    /// Requests the client sends to A, one after another.
    pub requests: u32,
    /// Attempts per call, at every layer.
    pub attempts: u32,
    pub budget: Option<BudgetRule>,
}

/// What one run counted.
#[derive(Clone, Debug, Serialize)]
pub struct Counts {
    pub budget: Option<BudgetRule>,
    pub client_sent: u64,
    /// Requests whose answer the client did not get as a success.
    pub client_failed: u64,
    pub layers: Vec<LayerCount>,
    pub backend_received: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LayerCount {
    pub name: String,
    pub received: u64,
    pub retries: u64,
    /// Calls on which the budget refused a retry.
    pub refused_by_budget: u64,
}

#[derive(Default, Debug)]
struct Meter {
    received: AtomicU64,
    retries: AtomicU64,
    refused_by_budget: AtomicU64,
}

impl Meter {
    fn count(&self, name: &str) -> LayerCount {
        LayerCount {
            name: name.to_string(),
            received: self.received.load(Ordering::SeqCst),
            retries: self.retries.load(Ordering::SeqCst),
            refused_by_budget: self.refused_by_budget.load(Ordering::SeqCst),
        }
    }
}

#[derive(Clone)]
struct Layer {
    next: String,
    http: reqwest::Client,
    retry: Arc<Retry>,
    meter: Arc<Meter>,
}

// ANCHOR: layer
/// A, B and C: call the next service, retrying as the policy and the
/// budget allow, and pass its answer on. A layer that gives up passes the
/// 503 on too, which invites its own caller to retry: that is how the
/// retries multiply from layer to layer.
async fn forward(State(layer): State<Layer>) -> StatusCode {
    layer.meter.received.fetch_add(1, Ordering::SeqCst);
    // A GET that reads: idempotent, so even an unknown outcome (a
    // timeout; the backend's 503, which does not say it did nothing) may
    // be retried.
    let retried = layer
        .retry
        .run(Idempotency::Idempotent, |_| {
            // A fresh request for every attempt.
            let request = layer.http.get(&layer.next);
            async move { classify(request.send().await) }
        })
        .await;
    let retries = u64::from(retried.attempts - 1);
    layer.meter.retries.fetch_add(retries, Ordering::SeqCst);
    if retried.stop == Stop::OutOfBudget {
        layer.meter.refused_by_budget.fetch_add(1, Ordering::SeqCst);
    }
    match retried.result {
        Ok(response) => response.status(),
        // No answer at all from the next service.
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}

/// The backend, in the middle of its outage. It sends no `Retry-After`:
/// the failure is what every layer sees, and only the layers' own rules
/// decide how often they come back.
async fn outage(State(meter): State<Arc<Meter>>) -> StatusCode {
    meter.received.fetch_add(1, Ordering::SeqCst);
    StatusCode::SERVICE_UNAVAILABLE
}
// ANCHOR_END: layer

/// The servers of one run, so that all of them are stopped at its end.
#[derive(Default)]
struct Servers(Vec<(oneshot::Sender<()>, JoinHandle<std::io::Result<()>>)>);

impl Servers {
    async fn start(&mut self, app: Router) -> anyhow::Result<String> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel();
        let limits = Limits {
            drain: Duration::from_secs(1),
            ..Limits::default()
        };
        let shutdown = async {
            // An error means the sender was dropped: stop then too.
            let _ = stopped.await;
        };
        self.0
            .push((stop, tokio::spawn(serve(listener, app, limits, shutdown))));
        Ok(url)
    }

    /// Stops the servers, the last started (the outermost) first, so that
    /// no layer is left calling one that has stopped; each drains its
    /// connections for at most `drain`, one second.
    async fn stop(self) -> anyhow::Result<()> {
        for (stop, task) in self.0.into_iter().rev() {
            // The server may have ended already; then there is no one to tell.
            let _ = stop.send(());
            task.await??;
        }
        Ok(())
    }
}

/// Each layer's policy: few attempts, a tiny backoff so the run is fast.
pub fn policy(attempts: u32) -> Policy {
    Policy {
        max_attempts: attempts,
        backoff: Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(10),
        },
        max_retry_after: Duration::from_secs(1),
    }
}

// ANCHOR: run
/// Starts the backend and the three layers, sends the client's requests,
/// stops everything, and returns what each server counted.
pub async fn run(setup: Setup) -> anyhow::Result<Counts> {
    let mut servers = Servers::default();
    let backend = Arc::new(Meter::default());
    let mut next = servers
        .start(
            Router::new()
                .route("/", get(outage))
                .with_state(backend.clone()),
        )
        .await?;
    // Built from the backend outwards: C first, A last.
    let mut meters = Vec::new();
    for (i, name) in LAYERS.iter().enumerate().rev() {
        let budget = setup
            .budget
            .map(|r| RetryBudget::new(r.percent, r.floor, r.window));
        let layer = Layer {
            next,
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(1))
                .timeout(Duration::from_secs(5))
                .build()?,
            retry: Arc::new(Retry::new(policy(setup.attempts), budget, 1102 + i as u64)),
            meter: Arc::new(Meter::default()),
        };
        meters.push((*name, layer.meter.clone()));
        next = servers
            .start(Router::new().route("/", get(forward)).with_state(layer))
            .await?;
    }
    meters.reverse();

    // The client does not retry: what reaches A is what it sent.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut failed = 0;
    for _ in 0..setup.requests {
        match client.get(&next).send().await {
            Ok(response) if response.status().is_success() => {}
            _ => failed += 1,
        }
    }
    drop(client);
    servers.stop().await?;

    Ok(Counts {
        budget: setup.budget,
        client_sent: u64::from(setup.requests),
        client_failed: failed,
        layers: meters
            .iter()
            .map(|(name, meter)| meter.count(name))
            .collect(),
        backend_received: backend.received.load(Ordering::SeqCst),
    })
}
// ANCHOR_END: run
