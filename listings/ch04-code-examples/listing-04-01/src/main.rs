//! The article's server and client as one program that runs by itself: it
//! starts the server on a free loopback port, sends it requests with a
//! client that has timeouts and reads at most 1 MiB of a body, and shuts
//! the server down gracefully. Each part is the same as in Listings 3-1 and
//! 3-2; here they meet. (The `pub` items are the ones its tests call.)

use std::future::Future;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::{Router, http::StatusCode, routing::get};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer};

/// The server's bounds, as in Listing 3-1.
pub struct Limits {
    /// To receive a request's head; also how long a connection may idle.
    pub head: Duration,
    /// For the handler to answer (then 503).
    pub handler: Duration,
    /// The largest request body (then 413).
    pub body_bytes: usize,
    /// After the stop signal, for the open connections to finish.
    pub drain: Duration,
}

pub const LIMITS: Limits = Limits {
    head: Duration::from_secs(5),
    handler: Duration::from_secs(10),
    body_bytes: 64 * 1024,
    drain: Duration::from_secs(5),
};

/// The most the client reads of a response body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

async fn hello() -> &'static str {
    "Hello, World!"
}

/// The server: the same router as Listing 3-1.
pub fn app() -> Router {
    Router::new().route("/", get(hello))
}

/// The client side: one GET, its status and its body, read chunk by chunk
/// and abandoned past `MAX_BODY_BYTES`, so that a server that sends too
/// much cannot fill the client's memory.
pub async fn fetch(client: &reqwest::Client, url: &str) -> Result<(reqwest::StatusCode, String)> {
    let mut response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            bail!("GET {url}: the body is larger than {MAX_BODY_BYTES} bytes");
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

#[tokio::main]
async fn main() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("server listening on {base}");

    // The stop signal is a oneshot channel here, where a real server
    // would wait for Ctrl-C: whoever holds `stop` decides when to stop.
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app(), &LIMITS, stopped));

    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .build()?;
    for path in ["/", "/missing"] {
        let (status, body) = fetch(&client, &format!("{base}{path}")).await?;
        println!("GET {path} -> {status} {body:?}");
    }

    // Ask the server to stop, then wait until its task has ended: `serve`
    // returns once the open connections have finished or the drain
    // deadline has passed; the `?` reports a panic in the task.
    let _ = stop.send(());
    server.await?;
    println!("server stopped");
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
