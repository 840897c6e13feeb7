//! What every node of the book's clusters shares: how it serves HTTP.
//!
//! A node of a cluster is a long-lived server that other programs, not
//! people, talk to, so every wait in it must be bounded: a peer that
//! stalls or a client that trickles its bytes must not pin a connection
//! forever. `axum::serve` cannot bound the wait for a request's head (it
//! gives hyper no timer), so `serve` below drives hyper's connection
//! builder itself, with a timer, and puts the other bounds on the router.
//! Its two refusals are told apart, because a client's next move depends
//! on which it got: a request refused for want of a slot was never worked
//! on (`503` with `Retry-After`), a handler that overran may have done its
//! work (`504`).
//! A copy of Listing 10-1's, so that this folder builds on its own.

use std::future::Future;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::ConnectInfo;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower::load_shed::error::Overloaded;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::{Instrument, info, warn};

// ANCHOR: limits
/// Every bound a node puts on the work others can make it do.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// From accepting a connection (or finishing the previous request on
    /// it) to having read the whole head of the next request. This is also
    /// how long an idle keep-alive connection may stay open.
    pub header_read: Duration,
    /// How long a handler may run before the client gets 504.
    pub request: Duration,
    /// The largest request body accepted; larger ones get 413.
    pub body_bytes: usize,
    /// Requests handled at once; the rest are refused at once with 503.
    pub concurrency: usize,
    /// After a stop signal: how long open connections may take to finish.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(5),
            request: Duration::from_secs(10),
            body_bytes: 64 * 1024,
            concurrency: 256,
            drain: Duration::from_secs(5),
        }
    }
}
// ANCHOR_END: limits

// ANCHOR: serve
/// Serves `app` on `listener` with `limits` until `shutdown` completes,
/// then lets open connections finish for at most `limits.drain`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = app
        // A request that finds every slot taken is refused, not queued:
        // `LoadShed` asks the limit for a slot and, rather than wait,
        // fails the request, which `shed` turns into a 503.
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(shed))
                .layer(LoadShedLayer::new())
                .layer(GlobalConcurrencyLimitLayer::new(limits.concurrency)),
        )
        .layer(RequestBodyLimitLayer::new(limits.body_bytes))
        // 504 Gateway Timeout, which HTTP defines for a gateway that gave
        // up waiting for the server behind it; the timeout stands to the
        // handler as a gateway to that server. Not 503, which says "not
        // done, come back later" when the handler may have done its work;
        // not 408, which tells the client it was too slow to send.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            limits.request,
        ));
    // HTTP/1.1 with keep-alive: what the nodes and their clients speak.
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                // Out of file descriptors, say: wait a little, go on.
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Handlers that want the peer's address extract `ConnectInfo`.
        let conn_app = app.clone().layer(Extension(ConnectInfo(peer)));
        let service = TowerToHyperService::new(conn_app);
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(
            async move {
                if let Err(e) = conn.await {
                    // A peer that vanished or timed out: worth a line, no more.
                    info!(%peer, error = %e, "connection ended");
                }
            }
            .in_current_span(),
        );
    }
    drop(listener);
    info!("stop signal: draining open connections");
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        warn!(deadline = ?limits.drain, "connections still open after the drain deadline; leaving them");
    }
    Ok(())
}

/// The refusal of a request that found no free slot. Its handler never
/// ran, so the client may send it again, whatever it does: `Retry-After`
/// says so, and when.
async fn shed(err: tower::BoxError) -> Response {
    if err.is::<Overloaded>() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "overloaded, try again later\n",
        )
            .into_response()
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, format!("{err}\n")).into_response()
    }
}
// ANCHOR_END: serve

/// Completes on Ctrl-C (SIGINT) or SIGTERM, the signal that orchestrators
/// and this book's launcher send. The handlers are installed when this is
/// called, not when the future is first polled: call it before telling
/// anyone that the process is up, or an early signal kills it outright.
pub fn stop_signal() -> impl Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    // A process that cannot install its handlers could not be stopped
    // gracefully at all: failing at startup is the honest thing to do.
    let mut int = signal(SignalKind::interrupt()).expect("cannot install the SIGINT handler");
    let mut term = signal(SignalKind::terminate()).expect("cannot install the SIGTERM handler");
    async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    }
}
