//! A server that can do only so much, with and without load shedding.
//!
//! The work behind `/work` holds one of `capacity` slots for `service_time`
//! (think of a pool of database connections, or of worker threads), so the
//! server serves at most `capacity / service_time` requests per second.
//! Offered more, the unprotected server lets the rest wait in line for a
//! slot: the line grows as long as the overload lasts, every request waits
//! longer than the one before, and once the wait passes the clients'
//! timeout, the server spends its capacity on answers nobody waits for.
//!
//! The protected server admits `capacity` requests at a time (tower's
//! `ConcurrencyLimit`) and refuses the rest at once (`LoadShed`, outside
//! the limit: it asks the limit whether a slot is free, and rather than
//! wait, fails the request with `Overloaded`); axum's `HandleErrorLayer`
//! turns that error into `503 Service Unavailable` with `Retry-After: 1`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower::load_shed::error::Overloaded;

/// How much the server can do.
#[derive(Clone, Copy, Debug)]
pub struct Capacity {
    /// Requests worked on at once.
    pub slots: usize,
    /// How long each one takes.
    pub service_time: Duration,
}

impl Capacity {
    /// Requests per second the server can serve.
    pub fn per_second(&self) -> f64 {
        self.slots as f64 / self.service_time.as_secs_f64()
    }
}

// ANCHOR: work
/// The handler: wait for a slot, hold it for the service time.
async fn work(slots: Arc<Semaphore>, service_time: Duration) -> &'static str {
    // The semaphore is never closed, so acquiring cannot fail.
    let _slot = slots
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::time::sleep(service_time).await;
    "done\n"
}
// ANCHOR_END: work

/// The server's routes; `protected` adds the limit and the load shedder.
pub fn app(capacity: Capacity, protected: bool) -> Router {
    let slots = Arc::new(Semaphore::new(capacity.slots));
    let router = Router::new().route(
        "/work",
        get(move || work(Arc::clone(&slots), capacity.service_time)),
    );
    if !protected {
        return router;
    }
    // ANCHOR: protected
    // Outermost first: errors to responses, then shedding, then the limit.
    // `GlobalConcurrencyLimitLayer` builds tower's `ConcurrencyLimit` with
    // one semaphore for every route it wraps.
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(overloaded))
            .layer(LoadShedLayer::new())
            .layer(GlobalConcurrencyLimitLayer::new(capacity.slots)),
    )
    // ANCHOR_END: protected
}

// ANCHOR: refuse
/// A refusal the client can act on: not now, try again in a second.
async fn overloaded(err: tower::BoxError) -> Response {
    if err.is::<Overloaded>() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "overloaded, try again later\n",
        )
            .into_response()
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, format!("{err}\n")).into_response()
    }
}
// ANCHOR_END: refuse
