//! `serve`'s two refusals, told apart. A request beyond the concurrency
//! limit is refused before its handler runs: `503` with `Retry-After`, and
//! the handler never sees it, so a client may send it again whatever it
//! does. A handler that overruns its deadline answers `504`, without
//! `Retry-After`: the handler did start, and may have done its work.
//!
//! The servers run in the test's own runtime, on 127.0.0.1, and are
//! stopped at the end of each test. An `unwrap` here is an assertion: the
//! call it unwraps must have succeeded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use listing_10_01::{Limits, serve};
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// A server started by a test, and how to stop it.
struct Server {
    url: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(app: Router, limits: Limits) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel();
        let shutdown = async {
            // An error means the sender was dropped: stop then too.
            let _ = stopped.await;
        };
        let task = tokio::spawn(serve(listener, app, limits, shutdown));
        Server { url, stop, task }
    }

    /// Stops accepting, and waits for the drain (at most `limits.drain`).
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

fn limits(request: Duration, concurrency: usize) -> Limits {
    Limits {
        request,
        concurrency,
        drain: Duration::from_millis(200),
        ..Limits::default()
    }
}

/// A client that cannot wait forever, whatever the server does.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_handler_that_overruns_its_deadline_gets_504_without_retry_after() {
    let entered = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&entered);
    let app = Router::new().route(
        "/slow",
        get(move || async move {
            counter.fetch_add(1, Ordering::SeqCst);
            // Never finishes: only the request timeout ends it.
            std::future::pending::<()>().await;
        }),
    );
    let server = Server::start(app, limits(Duration::from_millis(200), 4)).await;
    let response = client()
        .get(format!("{}/slow", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(response.headers().get(RETRY_AFTER).is_none());
    // The handler ran: whatever it did before the deadline stays done.
    assert_eq!(entered.load(Ordering::SeqCst), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_request_beyond_the_limit_is_shed_with_retry_after_before_its_handler_runs() {
    let entered = Arc::new(AtomicUsize::new(0));
    let inside = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let app = {
        let (entered, inside, release) = (entered.clone(), inside.clone(), release.clone());
        Router::new().route(
            "/hold",
            get(move || async move {
                entered.fetch_add(1, Ordering::SeqCst);
                inside.notify_one();
                release.notified().await;
                "done\n"
            }),
        )
    };
    // One slot, and a deadline far beyond the test's: only the limit acts.
    let server = Server::start(app, limits(Duration::from_secs(30), 1)).await;
    let http = client();
    let first = tokio::spawn(http.get(format!("{}/hold", server.url)).send());
    inside.notified().await;

    // The only slot is taken: the second request is refused at once.
    let second = http
        .get(format!("{}/hold", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second.headers().get(RETRY_AFTER).unwrap(), "1");
    assert_eq!(entered.load(Ordering::SeqCst), 1, "the shed request ran");

    // The first one was not disturbed.
    release.notify_one();
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.text().await.unwrap(), "done\n");
    server.stop().await;
}
