//! Which failed calls the client sends to another replica, by what the
//! failure says about the work. A replica that shed the request (`503`
//! with `Retry-After`, Listing 10-1's answer when it has no free slot) did
//! nothing, so any request may go elsewhere; a replica whose handler
//! overran (`504`) may have done the work, so only an idempotent request
//! goes elsewhere.
//!
//! The replicas are tiny axum servers in the test's runtime, on 127.0.0.1,
//! stopped at the end of each test. An `unwrap` here is an assertion: the
//! call it unwraps must have succeeded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::any;
use listing_12_01::client::{Balancer, CallError};
use listing_12_01::pick::{Settings, Strategy};
use reqwest::Method;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A replica that answers every request with `answer`, counting them.
struct Replica {
    url: String,
    calls: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Replica {
    async fn start(answer: fn() -> axum::response::Response) -> Replica {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let app = Router::new().route(
            "/work",
            any(move || async move {
                counter.fetch_add(1, Ordering::SeqCst);
                answer()
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            // Ends only when the test aborts it.
            let _ = axum::serve(listener, app).await;
        });
        Replica { url, calls, task }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn shed() -> axum::response::Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "1")],
        "overloaded, try again later\n",
    )
        .into_response()
}

fn overran() -> axum::response::Response {
    StatusCode::GATEWAY_TIMEOUT.into_response()
}

fn ok() -> axum::response::Response {
    "done\n".into_response()
}

fn balancer(replicas: &[&Replica]) -> Balancer {
    let urls = replicas.iter().map(|r| r.url.clone()).collect();
    Balancer::new(urls, Strategy::RoundRobin, Settings::default(), 12)
}

#[tokio::test]
async fn a_shed_post_goes_to_another_replica() {
    let (busy, idle) = (Replica::start(shed).await, Replica::start(ok).await);
    let balancer = balancer(&[&busy, &idle]);
    // Round robin starts calls at both replicas; every one is answered
    // by the idle one, also those that the busy one refused first.
    for _ in 0..4 {
        let answer = balancer.call(Method::POST, "/work", false).await.unwrap();
        assert_eq!((answer.replica, answer.body.as_str()), (1, "done\n"));
    }
    assert!(busy.calls() >= 1, "the busy replica was never tried");
    assert_eq!(idle.calls(), 4);
}

#[tokio::test]
async fn a_post_whose_handler_overran_is_not_sent_again() {
    let (slow, other) = (Replica::start(overran).await, Replica::start(ok).await);
    let balancer = balancer(&[&slow, &other]);
    let mut unknown = 0;
    for _ in 0..4 {
        match balancer.call(Method::POST, "/work", false).await {
            Ok(answer) => assert_eq!(answer.replica, 1),
            Err(CallError::Status { replica, status }) => {
                assert_eq!((replica, status), (0, 504));
                unknown += 1;
            }
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    // Each POST that met the overrun was reported, not sent elsewhere.
    assert!(unknown >= 1, "the slow replica was never tried");
    assert_eq!(slow.calls(), unknown);
    assert_eq!(other.calls(), 4 - unknown);
}

#[tokio::test]
async fn a_get_whose_handler_overran_goes_to_another_replica() {
    let (slow, other) = (Replica::start(overran).await, Replica::start(ok).await);
    let balancer = balancer(&[&slow, &other]);
    for _ in 0..4 {
        let answer = balancer.call(Method::GET, "/work", true).await.unwrap();
        assert_eq!(answer.replica, 1);
    }
    assert!(slow.calls() >= 1, "the slow replica was never tried");
    assert_eq!(other.calls(), 4);
}
