//! Headers and bodies on the server side. `GET /` sets its response header
//! itself, as the article's third program does; `POST /echo` reads a request
//! header and the request body and answers with both. The body is limited
//! to 64 bytes, and reading it to 10 seconds: a server that accepts any
//! size, or waits forever for the rest, can be worn down by one client.
//! `serve` and `stop_signal` are those of Listing 3-1.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::{
    Router,
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
    routing::{get, post},
};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer};

/// The bounds of Listing 3-1, with a body limit of 64 bytes.
pub struct Limits {
    /// To receive a request's head; also how long a connection may idle.
    pub head: Duration,
    /// For the handler to answer, reading the body included (then 503).
    pub handler: Duration,
    /// The largest request body (then 413).
    pub body_bytes: usize,
    /// After the stop signal, for the open connections to finish.
    pub drain: Duration,
}

pub const LIMITS: Limits = Limits {
    head: Duration::from_secs(5),
    handler: Duration::from_secs(10),
    body_bytes: 64,
    drain: Duration::from_secs(5),
};

async fn hello() -> impl IntoResponse {
    // Headers first, then the body: axum builds the response from the tuple.
    ([(header::CONTENT_TYPE, "text/plain")], "Hello, World!")
}

/// The `String` extractor reads the whole body and rejects one that is not
/// UTF-8 with `400 Bad Request`, or one over the limit with `413`, before
/// this function runs.
async fn echo(headers: HeaderMap, body: String) -> impl IntoResponse {
    let client = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("an unnamed client");
    (
        StatusCode::OK,
        [("x-body-bytes", body.len().to_string())],
        format!("{client} sent: {body}"),
    )
}

pub fn app() -> Router {
    Router::new()
        .route("/", get(hello))
        .route("/echo", post(echo))
}

#[tokio::main]
async fn main() -> Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let stop = stop_signal();
    let listener = TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, app(), &LIMITS, stop).await;
    println!("stopped");
    Ok(())
}

/// Serves `app` until `stop` completes, then lets the open connections
/// finish for at most `limits.drain`. `axum::serve` cannot bound the wait
/// for a request's head (it gives hyper no timer), so this function hands
/// each connection to hyper itself.
pub async fn serve(listener: TcpListener, app: Router, limits: &Limits, stop: impl Future) {
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
pub fn stop_signal() -> impl Future<Output = ()> {
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
