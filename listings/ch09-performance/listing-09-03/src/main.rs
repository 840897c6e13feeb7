//! Listing 3-1 with one change: mimalloc, not the C library's malloc, is
//! the global allocator, the allocator behind every `Box`, `Vec` and
//! `String` of the program, axum's and hyper's included. Everything else is
//! Listing 3-1, bounds and graceful shutdown too.

// ANCHOR: allocator
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;
// ANCHOR_END: allocator

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use axum::{Router, http::StatusCode, routing::get};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer};

/// Every wait a client can impose on the server, each with its bound.
struct Limits {
    /// To receive a request's head, counted from the connection's start or
    /// from the end of the previous response: it also closes a keep-alive
    /// connection that stays idle.
    head: Duration,
    /// For the handler to answer; after that the client gets 503.
    handler: Duration,
    /// The largest request body; a larger one gets 413.
    body_bytes: usize,
    /// After the stop signal, for the open connections to finish.
    drain: Duration,
}

const LIMITS: Limits = Limits {
    head: Duration::from_secs(5),
    handler: Duration::from_secs(10),
    body_bytes: 64 * 1024,
    drain: Duration::from_secs(5),
};

/// The handler: axum turns the returned `&str` into a `200 OK` response
/// with `content-type: text/plain; charset=utf-8`.
async fn hello() -> &'static str {
    "Hello, World!"
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Loopback by default: a listing never exposes itself to the network.
    // Pass another address (`127.0.0.1:0` picks a free port) as the argument.
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    // Installed before the server says it is up, so no signal is missed.
    let stop = stop_signal();

    let listener = TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    println!("listening on http://{}", listener.local_addr()?);

    let app = Router::new().route("/", get(hello));
    serve(listener, app, &LIMITS, stop).await;
    println!("stopped");
    Ok(())
}

/// Serves `app` until `stop` completes, then lets the open connections
/// finish for at most `limits.drain`. `axum::serve` cannot bound the wait
/// for a request's head (it gives hyper no timer), so this function hands
/// each connection to hyper itself.
async fn serve(listener: TcpListener, app: Router, limits: &Limits, stop: impl Future) {
    let app = app
        // 413 for a body declared too large; a body that turns out too
        // large fails to read, and axum's extractors answer 413 then.
        .layer(RequestBodyLimitLayer::new(limits.body_bytes))
        // 503, not 408: the server overran, not the client.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limits.handler,
        ));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.head);
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                // Out of file descriptors, say: the server itself is fine.
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        // An error here (a timeout, a client gone) ends this connection only.
        tokio::spawn(async move { conn.await.ok() });
    }
    drop(listener);
    println!("shutting down");
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        println!(
            "connections still open after {:?}: leaving them",
            limits.drain
        );
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM, which is what orchestrators
/// send. The handlers are installed when this is called, not when the
/// future is first polled.
fn stop_signal() -> impl Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    // A server that cannot install them could never stop gracefully, so
    // failing loudly at startup is the right call.
    let mut int = signal(SignalKind::interrupt()).expect("cannot install the SIGINT handler");
    let mut term = signal(SignalKind::terminate()).expect("cannot install the SIGTERM handler");
    async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    }
}
