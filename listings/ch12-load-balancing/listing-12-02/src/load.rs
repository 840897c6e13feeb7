//! An open-loop load generator: requests start on a schedule, not when
//! the previous one returns, and each one's latency counts from the time
//! it was due.
//!
//! A closed loop (send, wait, send) slows down with the server it
//! measures, so a stalled server is asked less and looks fine; counting
//! from when a request was due rather than when it was sent keeps the
//! generator's own delays in the figures too (Gil Tene's "coordinated
//! omission"). wrk2 and oha work this way; this one is small enough to
//! read and records each request for the experiment's phases.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// One request in flight: its answer's body, or `None` if it failed.
pub type Call = Pin<Box<dyn Future<Output = Option<String>> + Send>>;

/// One request: when it was due (since the start), how long until it was
/// answered, and by which replica, if the answer says.
#[derive(Clone, Debug)]
pub struct Record {
    pub due: Duration,
    pub latency: Duration,
    pub ok: bool,
    pub replica: Option<u32>,
}

// ANCHOR: run
/// `rate` requests a second for `duration`, each made by `call` and given
/// at most `limit`; returns one record per request, in order.
pub async fn run<F, Fut>(rate: f64, duration: Duration, limit: Duration, call: F) -> Vec<Record>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<String>> + Send + 'static,
{
    let count = (rate * duration.as_secs_f64()) as u32;
    let gap = Duration::from_secs_f64(1.0 / rate);
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(count as usize);
    for i in 0..count {
        let due = gap * i;
        tokio::time::sleep_until(start + due).await;
        let request = tokio::time::timeout(limit, call());
        tasks.push(tokio::spawn(async move {
            let answer = request.await.ok().flatten();
            let latency = start.elapsed().saturating_sub(due);
            let replica = answer
                .as_deref()
                .and_then(|body| body.strip_prefix("replica "))
                .and_then(|id| id.trim().parse().ok());
            Record {
                due,
                latency,
                ok: answer.is_some(),
                replica,
            }
        }));
    }
    let mut records = Vec::with_capacity(tasks.len());
    for task in tasks {
        // A task panics only if the code above has a bug.
        records.push(task.await.expect("a request task does not panic"));
    }
    records
}
// ANCHOR_END: run

/// The q-quantile of the latencies of `records` (nearest rank), in ms.
pub fn quantile_ms(records: &[&Record], q: f64) -> Option<f64> {
    let mut l: Vec<Duration> = records.iter().map(|r| r.latency).collect();
    l.sort();
    let rank = ((q * l.len() as f64).ceil() as usize).clamp(1, l.len().max(1));
    l.get(rank - 1).map(|d| d.as_secs_f64() * 1000.0)
}
