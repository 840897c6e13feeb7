//! What real answers and errors count as for retrying (`classify`), and
//! the rule they serve, end to end: a request whose handler overran is
//! sent again only when it is idempotent, because the handler may have
//! done its work before the deadline stopped it.
//!
//! Servers run in the test's runtime on 127.0.0.1 with Listing 10-1's
//! `serve`, and are stopped at the end of each test. An `unwrap` here is
//! an assertion: the call it unwraps must have succeeded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http;
use axum::routing::any;
use listing_11_02::retry::{Attempt, Backoff, Idempotency, Policy, Retry, Stop, classify};
use listing_11_02::serve::{Limits, serve};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A response as reqwest would hand it over, with `status` and, when
/// given, `Retry-After`.
fn response(status: u16, retry_after: Option<&str>) -> reqwest::Response {
    let mut builder = http::Response::builder().status(status);
    if let Some(value) = retry_after {
        builder = builder.header(http::header::RETRY_AFTER, value);
    }
    reqwest::Response::from(builder.body("").unwrap())
}

/// The outcome in a word, and the wait it asks for.
fn kind(attempt: &Attempt<reqwest::Response, reqwest::Error>) -> (&'static str, Option<Duration>) {
    match attempt {
        Attempt::Done(_) => ("done", None),
        Attempt::NotDone(_, wait) => ("not done", *wait),
        Attempt::Unknown(_) => ("unknown", None),
    }
}

#[test]
fn statuses_say_done_not_done_or_unknown() {
    let secs = |s| Some(Duration::from_secs(s));
    for (status, retry_after, expected) in [
        (200, None, ("done", None)),
        (404, None, ("done", None)),
        (409, None, ("done", None)),
        (500, None, ("done", None)),
        (502, None, ("done", None)),
        // Refused before any work, and saying so.
        (429, None, ("not done", None)),
        (429, Some("7"), ("not done", secs(7))),
        (503, Some("1"), ("not done", secs(1))),
        // A Retry-After date still says "refused"; the loop backs off.
        (
            503,
            Some("Wed, 21 Oct 2015 07:28:00 GMT"),
            ("not done", None),
        ),
        // A handler or a gateway that gave up waiting.
        (504, None, ("unknown", None)),
        // A 503 that does not say it did nothing: perhaps a timeout.
        (503, None, ("unknown", None)),
    ] {
        let attempt = classify(Ok(response(status, retry_after)));
        assert_eq!(kind(&attempt), expected, "{status} {retry_after:?}");
    }
}

#[tokio::test]
async fn a_refused_connection_is_not_done_and_a_timeout_is_unknown() {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    // A port that was just freed: nothing listens, the kernel refuses.
    let free = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = free.local_addr().unwrap();
    drop(free);
    let refused = classify(http.get(format!("http://{closed}/")).send().await);
    assert_eq!(kind(&refused).0, "not done", "{refused:?}");
    // A socket that accepts and never answers: the request went out.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let timed_out = classify(http.get(format!("http://{addr}/")).send().await);
    assert_eq!(kind(&timed_out).0, "unknown", "{timed_out:?}");
}

/// A server whose one route counts its calls and then never finishes,
/// behind `serve` with a short request deadline: every call ends in 504
/// after the handler has started.
struct Overrunning {
    url: String,
    calls: Arc<AtomicUsize>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Overrunning {
    async fn start() -> Overrunning {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let app = Router::new().route(
            "/transfer",
            any(move || async move {
                counter.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await;
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/transfer", listener.local_addr().unwrap());
        let limits = Limits {
            request: Duration::from_millis(100),
            drain: Duration::from_millis(200),
            ..Limits::default()
        };
        let (stop, stopped) = oneshot::channel();
        let shutdown = async {
            // An error means the sender was dropped: stop then too.
            let _ = stopped.await;
        };
        let task = tokio::spawn(serve(listener, app, limits, shutdown));
        Overrunning {
            url,
            calls,
            stop,
            task,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

fn retry() -> Retry {
    let policy = Policy {
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(10),
        },
        max_retry_after: Duration::from_secs(1),
    };
    Retry::new(policy, None, 11)
}

#[tokio::test]
async fn a_post_whose_handler_overran_is_sent_once() {
    let server = Overrunning::start().await;
    let http = reqwest::Client::new();
    let retried = retry()
        .run(Idempotency::NotIdempotent, |_| {
            let request = http.post(&server.url).body("alice -> bob: 10");
            async move { classify(request.send().await) }
        })
        .await;
    assert_eq!((retried.attempts, retried.stop), (1, Stop::NotIdempotent));
    assert_eq!(retried.result.unwrap().status(), 504);
    assert_eq!(server.calls.load(Ordering::SeqCst), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_get_whose_handler_overran_is_sent_again() {
    let server = Overrunning::start().await;
    let http = reqwest::Client::new();
    let retried = retry()
        .run(Idempotency::Idempotent, |_| {
            let request = http.get(&server.url);
            async move { classify(request.send().await) }
        })
        .await;
    assert_eq!((retried.attempts, retried.stop), (3, Stop::OutOfAttempts));
    assert_eq!(server.calls.load(Ordering::SeqCst), 3);
    server.stop().await;
}
