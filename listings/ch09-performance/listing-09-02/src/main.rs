//! Listing 3-1 without the bounds on its waits (no `TimeoutLayer`, no body
//! limit, no header-read timer), served by `axum::serve`, for the benchmark
//! only: it measures what the bounds cost. Do not serve anything real this
//! way; a client that never finishes its request would hold a connection
//! forever.

use anyhow::Context;
use axum::{Router, routing::get};
use tokio::net::TcpListener;

async fn hello() -> &'static str {
    "Hello, World!"
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let app = Router::new().route("/", get(hello));
    let listener = TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            // Without a Ctrl-C handler the server could not stop gracefully.
            tokio::signal::ctrl_c()
                .await
                .expect("install the Ctrl-C handler");
        })
        .await?;
    println!("stopped");
    Ok(())
}
