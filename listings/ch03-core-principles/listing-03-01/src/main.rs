//! A node that answers HTTP requests: the smallest piece of a distributed
//! system. It greets whoever asks, stops accepting work when told to, and
//! lets the requests already in flight finish before it exits.

use std::time::Duration;

use anyhow::Context;
use axum::{Router, http::StatusCode, routing::get};
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;

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

    let app = Router::new()
        .route("/", get(hello))
        // A slow or stuck request is answered with 408 after 10 seconds
        // instead of holding a connection forever.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(10),
        ));

    let listener = TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    println!("listening on http://{}", listener.local_addr()?);

    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    println!("stopped");
    Ok(())
}

/// Completes when the process receives Ctrl-C (SIGINT). `axum::serve` then
/// stops accepting connections and waits for the open ones to finish.
async fn shutdown_signal() {
    // If the signal handler cannot be installed the server could never be
    // stopped gracefully, so failing loudly at that point is the right call.
    tokio::signal::ctrl_c()
        .await
        .expect("failed to install the Ctrl-C handler");
    println!("shutting down");
}
