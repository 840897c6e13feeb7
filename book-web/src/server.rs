//! A static file server for the built book. `cargo xtask serve` adds live
//! reload: every HTML page gets a tiny script that listens on a
//! server-sent-events stream and reloads the page when the book is rebuilt.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::{
    Router,
    body::Body,
    http::{Response, header},
    response::sse::{Event, Sse},
    routing::get,
};
use tokio::net::TcpListener;
use tokio_stream::{Stream, StreamExt, wrappers::IntervalStream};
use tower_http::services::ServeDir;

const RELOAD_SCRIPT: &str = "<script>new EventSource('/__livereload')\
    .onmessage = () => location.reload();</script>";

/// The router that serves `dir` as it is.
pub fn static_router(dir: PathBuf) -> Router {
    Router::new().fallback_service(ServeDir::new(dir))
}

/// The router with its answers gzip-compressed for a browser that accepts
/// it (tower-http's defaults: not images, not tiny bodies), except fonts,
/// which WOFF2 already compresses. Gzip only: browsers offer Brotli and
/// zstd only over HTTPS, and the book is served on plain HTTP.
pub fn compressed(router: Router) -> Router {
    use tower_http::compression::{
        CompressionLayer, Predicate,
        predicate::{DefaultPredicate, NotForContentType},
    };
    let predicate = DefaultPredicate::new().and(NotForContentType::const_new("font/"));
    router.layer(CompressionLayer::new().compress_when(predicate))
}

pub async fn serve_with_reload(dir: PathBuf, port: u16, generation_file: PathBuf) -> Result<()> {
    let app = static_router(dir)
        .route(
            "/__livereload",
            get(move || async move { Sse::new(reload_events(generation_file)) }),
        )
        .layer(axum::middleware::map_response(inject_reload_script));
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    println!("serving the book at http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// One event each time the generation file's contents change.
fn reload_events(
    generation_file: PathBuf,
) -> impl Stream<Item = Result<Event, std::convert::Infallible>> {
    let mut last = std::fs::read_to_string(&generation_file).unwrap_or_default();
    IntervalStream::new(tokio::time::interval(Duration::from_millis(300))).filter_map(move |_| {
        let now = std::fs::read_to_string(&generation_file).unwrap_or_default();
        if now != last {
            last = now;
            Some(Ok(Event::default().data("reload")))
        } else {
            None
        }
    })
}

async fn inject_reload_script(response: Response<Body>) -> Response<Body> {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 << 20).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let html =
        String::from_utf8_lossy(&bytes).replace("</body>", &format!("{RELOAD_SCRIPT}</body>"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}
