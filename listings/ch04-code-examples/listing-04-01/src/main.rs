//! The article's server and client as one program that runs by itself: it
//! starts the server on a free loopback port, sends it requests with a
//! client that has timeouts, and shuts the server down gracefully. Each
//! part is the same as in Listings 3-1 and 3-2; here they meet.

use std::time::Duration;

use anyhow::{Context, Result};
use axum::{Router, http::StatusCode, routing::get};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_http::timeout::TimeoutLayer;

async fn hello() -> &'static str {
    "Hello, World!"
}

/// The server: the same router as Listing 3-1.
fn app() -> Router {
    Router::new()
        .route("/", get(hello))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(10),
        ))
}

/// The client side: one GET, its status and its body.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<(reqwest::StatusCode, String)> {
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    Ok((status, response.text().await?))
}

#[tokio::main]
async fn main() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("server listening on {base}");

    // The shutdown signal is a oneshot channel here, where a real server
    // would wait for Ctrl-C: whoever holds `stop` decides when to stop.
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app())
            .with_graceful_shutdown(async {
                // An Err means the sender was dropped: stop in that case too.
                let _ = stopped.await;
            })
            .await
    });

    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .build()?;
    for path in ["/", "/missing"] {
        let (status, body) = fetch(&client, &format!("{base}{path}")).await?;
        println!("GET {path} -> {status} {body:?}");
    }

    // Ask the server to stop, then wait until it has: the first `?` is the
    // task (did it panic?), the second the server (did it fail?).
    let _ = stop.send(());
    server.await??;
    println!("server stopped");
    Ok(())
}
