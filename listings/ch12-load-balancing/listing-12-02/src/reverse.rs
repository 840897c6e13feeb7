//! A reverse proxy: one address for the clients, a `Picker` choosing a
//! replica for each request behind it.
//!
//! The proxy streams bodies both ways (it never holds a whole request or
//! response), tells the replica who the client was (`x-forwarded-for`),
//! drops the hop-by-hop headers that belong to one connection only (and
//! those that `Connection` names), and
//! applies the health rules of Listing 12-1 (readiness polled, failing
//! replicas ejected). What it may retry follows
//! from streaming: a request without a body (GET, HEAD) can be sent again
//! to another replica, after a refused connection or, being idempotent,
//! after a timeout; a request whose body has started to flow cannot be
//! replayed, so it gets a 502 instead. nginx buffers request bodies by
//! default for exactly this reason. In production: nginx, HAProxy, Envoy;
//! in Rust, Pingora is a proxy framework of this kind.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::pick::{Picker, Settings, Strategy};

pub struct Proxy {
    /// The replicas' addresses, `127.0.0.1:PORT`.
    replicas: Vec<String>,
    /// A std mutex: held to pick and to record, never across an `.await`.
    picker: Mutex<Picker>,
    client: Client<HttpConnector, Body>,
    /// How long a replica may take to send its response's head.
    timeout: Duration,
    start: Instant,
}

impl Proxy {
    pub fn new(replicas: Vec<String>, strategy: Strategy, timeout: Duration) -> Proxy {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_millis(200)));
        connector.set_nodelay(true);
        Proxy {
            picker: Mutex::new(Picker::new(
                strategy,
                replicas.len(),
                Settings::default(),
                1,
            )),
            replicas,
            client: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
            start: Instant::now(),
        }
    }

    fn picker(&self) -> std::sync::MutexGuard<'_, Picker> {
        // Poisoned only if a thread panicked while picking, a bug.
        self.picker
            .lock()
            .expect("the picker's lock is not poisoned")
    }

    /// Asks every replica's `/ready` every `every` until the proxy is
    /// dropped; one that does not answer 200 within 200 ms leaves the set.
    pub fn watch_readiness(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let proxy: Weak<Proxy> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(p) = proxy.upgrade() else { return };
                for (i, replica) in p.replicas.iter().enumerate() {
                    let Ok(uri) = format!("http://{replica}/ready").parse() else {
                        continue;
                    };
                    let probe = p.client.get(uri);
                    let answer = tokio::time::timeout(Duration::from_millis(200), probe).await;
                    let ready = matches!(answer, Ok(Ok(r)) if r.status().is_success());
                    p.picker().set_ready(i, ready);
                }
            }
        })
    }
}

pub fn router(proxy: Arc<Proxy>) -> Router {
    Router::new().fallback(forward).with_state(proxy)
}

/// Headers that describe one connection, not the message (RFC 9110,
/// 7.6.1); a sender may name more in `Connection`.
const HOP_BY_HOP: [HeaderName; 6] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // `Connection: close, x-hop` makes `x-hop` hop-by-hop as well.
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::try_from(name.trim()).ok())
        .collect();
    for name in named.iter().chain(&HOP_BY_HOP) {
        headers.remove(name);
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, format!("lb-proxy: {message}\n")).into_response()
}

// ANCHOR: forward
async fn forward(
    State(proxy): State<Arc<Proxy>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (mut parts, body) = request.into_parts();
    // A request has a body when it says so in its framing (RFC 9112,
    // 6.1), which is hop-by-hop: decide before stripping it. A chunked
    // body has no length and goes on chunked.
    let bodiless = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .is_none_or(|l| l == "0")
        && !parts.headers.contains_key(header::TRANSFER_ENCODING);
    strip_hop_by_hop(&mut parts.headers);
    // Whoever was in front of us, then the client we saw.
    let forwarded = match parts.headers.get("x-forwarded-for") {
        Some(before) => format!("{}, {}", before.to_str().unwrap_or("?"), peer.ip()),
        None => peer.ip().to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&forwarded) {
        parts.headers.insert("x-forwarded-for", v);
    }
    // A request with no body can be sent again as it is; only an
    // idempotent one may be sent again after an unknown outcome.
    let idempotent = matches!(parts.method, Method::GET | Method::HEAD) && bodiless;
    let mut body = Some(body);
    let mut tried = Vec::new();
    loop {
        let now = proxy.start.elapsed();
        let Some(i) = proxy.picker().pick(now, &tried) else {
            return error(StatusCode::BAD_GATEWAY, "no replica available");
        };
        tried.push(i);
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut upstream = Request::new(match (bodiless, body.take()) {
            (false, Some(b)) => b,
            _ => Body::empty(),
        });
        *upstream.method_mut() = parts.method.clone();
        *upstream.headers_mut() = parts.headers.clone();
        // The client's Host named us; hyper names the replica instead.
        upstream.headers_mut().remove(header::HOST);
        *upstream.uri_mut() = match format!("http://{}{path}", proxy.replicas[i]).parse() {
            Ok(uri) => uri,
            Err(_) => return error(StatusCode::BAD_REQUEST, "a path that is not a valid URI"),
        };
        let sent = Instant::now();
        let outcome = tokio::time::timeout(proxy.timeout, proxy.client.request(upstream)).await;
        let ok = matches!(&outcome, Ok(Ok(r)) if r.status().as_u16() < 500);
        proxy
            .picker()
            .finished(i, sent.elapsed(), ok, proxy.start.elapsed());
        match outcome {
            Ok(Ok(response)) => {
                // The head is here; the body streams through as it comes.
                let (mut parts, incoming) = response.into_parts();
                strip_hop_by_hop(&mut parts.headers);
                return Response::from_parts(parts, Body::new(incoming));
            }
            // Refused: nothing reached the replica, any request may go to
            // the next one, if it has no body that the attempt used up.
            Ok(Err(e)) if e.is_connect() && bodiless => continue,
            Ok(Err(e)) if e.is_connect() => {
                return error(
                    StatusCode::BAD_GATEWAY,
                    "replica refused; body not replayable",
                );
            }
            // Broke off or too slow: the replica may have acted on it, so
            // only a request that is harmless twice goes elsewhere.
            Ok(Err(_)) | Err(_) if idempotent => continue,
            Ok(Err(_)) => return error(StatusCode::BAD_GATEWAY, "replica failed mid-request"),
            Err(_) => return error(StatusCode::GATEWAY_TIMEOUT, "replica too slow"),
        }
    }
}
// ANCHOR_END: forward
