//! Headers and bodies on the server side. `GET /` sets its response header
//! itself, as the article's third program does; `POST /echo` reads a request
//! header and the request body and answers with both. The body is limited
//! to 64 bytes: a server that accepts any size can be made to run out of
//! memory by one client.

use anyhow::{Context, Result};
use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
    routing::{get, post},
};
use tokio::net::TcpListener;

/// Larger bodies are refused with `413 Payload Too Large`.
const MAX_BODY_BYTES: usize = 64;

async fn hello() -> impl IntoResponse {
    // Headers first, then the body: axum builds the response from the tuple.
    ([(header::CONTENT_TYPE, "text/plain")], "Hello, World!")
}

/// The `String` extractor reads the whole body and rejects one that is not
/// UTF-8 with `400 Bad Request`, before this function runs.
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

#[tokio::main]
async fn main() -> Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let app = Router::new()
        .route("/", get(hello))
        .route("/echo", post(echo))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));

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
