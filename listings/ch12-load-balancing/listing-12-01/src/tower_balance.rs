//! The same job with tower: power of two choices over peak-EWMA services.
//!
//! `tower::balance::p2c::Balance` is the production form of the `P2c`
//! strategy of `pick.rs`: it takes its replicas from a `Discover` (here a
//! fixed `ServiceList`; a real one is a stream of inserts and removals fed
//! by DNS or a registry), asks each for its `Load` (here `PeakEwma`, cost =
//! latency estimate × (requests in flight + 1)) and sends the request to
//! the cheaper of two drawn at random. Two things to know when using it:
//! `Balance` is not `Clone`, so it is put behind a `Buffer` (a task that
//! owns it and a channel to it) before many tasks share it; and its errors
//! are boxed (`BoxError`), so the caller converts them at its edge, for
//! example into a 502 in an axum handler. Health and retries are not its
//! job: removing a replica is the `Discover`'s, retrying is a `Retry`
//! layer's.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use tower::balance::p2c::Balance;
use tower::buffer::Buffer;
use tower::discover::ServiceList;
use tower::load::{CompleteOnResponse, PeakEwma};
use tower::util::BoxCloneSyncService;
use tower::{BoxError, ServiceExt, service_fn};

/// A shared client that sends a path (`/work?ms=2`) to one of the
/// replicas at `urls` and returns the body; `Clone` and `Sync`, so that
/// it can be axum's state.
pub type Shared = BoxCloneSyncService<String, String, BoxError>;

// ANCHOR: tower
pub fn balancer(urls: &[String]) -> Shared {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(200))
        .timeout(Duration::from_secs(1))
        .build()
        .expect("a client with timeouts builds");
    let replicas: Vec<_> = urls
        .iter()
        .map(|url| {
            let (http, url) = (http.clone(), url.clone());
            let replica = service_fn(move |path: String| {
                let request = http.get(format!("{url}{path}"));
                async move { request.send().await?.error_for_status()?.text().await }
            });
            // The estimate starts at 10 ms and forgets with a 1 s constant.
            let decay_ns = Duration::from_secs(1).as_nanos() as f64;
            let initial = Duration::from_millis(10);
            PeakEwma::new(replica, initial, decay_ns, CompleteOnResponse::default())
        })
        .collect();
    let balance = Balance::new(ServiceList::new(replicas));
    // 64 requests may wait for the balancer's task; more wait for room.
    BoxCloneSyncService::new(Buffer::new(balance, 64))
}
// ANCHOR_END: tower

// ANCHOR: edge
/// An axum handler that forwards its path through the balancer: at this
/// edge the boxed error becomes a 502 that says what went wrong.
pub async fn via_balancer(
    State(balancer): State<Shared>,
    uri: Uri,
) -> Result<String, (StatusCode, String)> {
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    balancer.oneshot(path).await.map_err(|e| {
        (
            StatusCode::BAD_GATEWAY,
            format!("no replica answered: {e}\n"),
        )
    })
}
// ANCHOR_END: edge
