//! What load shedding does, as behaviour rather than timing: a burst
//! beyond the limit is refused at once with `503` and `Retry-After`, and
//! the requests within the limit are served. The clock is paused, so
//! "at once" means "before any (virtual) time passes", on any machine.
//! How fast either server is under load is the benchmark's business
//! (`overload-bench`), not the tests'. An `unwrap` here is an assertion.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use listing_11_04::overload::{Capacity, app};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tower::ServiceExt;

const CAPACITY: Capacity = Capacity {
    slots: 2,
    service_time: Duration::from_secs(1),
};

fn request() -> Request<Body> {
    Request::get("/work").body(Body::empty()).unwrap()
}

/// Starts `n` requests that take the server's slots, and lets them reach
/// the handler (the test runtime has one thread: yielding runs them).
async fn occupy(app: &Router, n: usize) -> Vec<JoinHandle<StatusCode>> {
    let tasks = (0..n)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.oneshot(request()).await.unwrap().status() })
        })
        .collect();
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    tasks
}

#[tokio::test(start_paused = true)]
async fn protected_refuses_a_burst_beyond_the_limit_at_once() {
    let app = app(CAPACITY, true);
    let start = Instant::now();
    let within = occupy(&app, CAPACITY.slots).await;
    for _ in 0..5 {
        let response = app.clone().oneshot(request()).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
    assert_eq!(start.elapsed(), Duration::ZERO, "a refusal waited");
    for task in within {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(start.elapsed(), CAPACITY.service_time);
    // The slots are free again: the next request is served.
    let response = app.oneshot(request()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn unprotected_makes_the_burst_wait_in_line() {
    let app = app(CAPACITY, false);
    let start = Instant::now();
    let within = occupy(&app, CAPACITY.slots).await;
    // Nothing is refused: the extra request waits for a slot, and is
    // served a whole service time later than it would have been.
    let response = app.clone().oneshot(request()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(start.elapsed(), 2 * CAPACITY.service_time);
    for task in within {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
}
