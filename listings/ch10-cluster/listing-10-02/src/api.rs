//! The control API: HTTP+JSON in Toxiproxy's shape over the registry, and
//! the status of each refusal.
//!
//! Every refusal is an [`ApiError`] (most are the registry's
//! [`ProxyError`]s), turned into a 4xx (or 5xx) response
//! with a JSON body `{"error": "..."}` whose message names the problem. Even
//! a body that is not JSON at all goes through [`JsonBody`], our own
//! extractor, so it gets the same treatment instead of axum's plain text.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::registry::{Proxies, ProxyError, ProxyInfo, ProxySpec};
use crate::toxic::{Toxic, ToxicError, ToxicSpec};

/// Everything the API can refuse: what the registry refuses, and what only
/// HTTP can get wrong. Each maps to a status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("cannot read the request body: {}", .0.body_text())]
    Body(#[from] BytesRejection),
    #[error("malformed JSON body: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed on this path")]
    MethodNotAllowed,
}

impl From<ToxicError> for ApiError {
    fn from(e: ToxicError) -> Self {
        ApiError::Proxy(ProxyError::Toxic(e))
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Body(rejection) => rejection.status(),
            ApiError::Json(_) => StatusCode::BAD_REQUEST,
            ApiError::Proxy(e) => match e {
                ProxyError::Toxic(_) | ProxyError::Invalid(_) => StatusCode::BAD_REQUEST,
                ProxyError::NoSuchProxy(_) | ProxyError::NoSuchToxic { .. } => {
                    StatusCode::NOT_FOUND
                }
                ProxyError::ProxyExists(_) | ProxyError::ToxicExists { .. } => StatusCode::CONFLICT,
                ProxyError::Bind { cause, .. } if cause.kind() == io::ErrorKind::AddrInUse => {
                    StatusCode::CONFLICT
                }
                ProxyError::Bind { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        tracing::info!(status = %self.status(), error = %self, "request refused");
        let body = serde_json::json!({ "error": self.to_string() });
        (self.status(), Json(body)).into_response()
    }
}

/// Like `axum::Json`, but a bad body becomes an [`ApiError`] whose message
/// says where the JSON broke ("at line 1 column 14"). It also does not
/// insist on a `content-type` header, so a bare `curl -d '{...}'` works.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await?;
        Ok(JsonBody(serde_json::from_slice(&bytes)?))
    }
}

/// The body of `POST /proxies/{name}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProxyUpdate {
    enabled: bool,
}

async fn create_proxy(
    State(proxies): State<Proxies>,
    JsonBody(spec): JsonBody<ProxySpec>,
) -> Result<(StatusCode, Json<ProxyInfo>), ApiError> {
    Ok((StatusCode::CREATED, Json(proxies.create(spec).await?)))
}

async fn list_proxies(State(proxies): State<Proxies>) -> Json<Vec<ProxyInfo>> {
    Json(proxies.list().await)
}

async fn get_proxy(
    State(proxies): State<Proxies>,
    Path(name): Path<String>,
) -> Result<Json<ProxyInfo>, ApiError> {
    Ok(Json(proxies.get(&name).await?))
}

async fn update_proxy(
    State(proxies): State<Proxies>,
    Path(name): Path<String>,
    JsonBody(update): JsonBody<ProxyUpdate>,
) -> Result<Json<ProxyInfo>, ApiError> {
    Ok(Json(proxies.set_enabled(&name, update.enabled).await?))
}

async fn delete_proxy(
    State(proxies): State<Proxies>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    proxies.delete(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_toxics(
    State(proxies): State<Proxies>,
    Path(name): Path<String>,
) -> Result<Json<Vec<Toxic>>, ApiError> {
    Ok(Json(proxies.toxics(&name).await?))
}

async fn add_toxic(
    State(proxies): State<Proxies>,
    Path(name): Path<String>,
    JsonBody(spec): JsonBody<ToxicSpec>,
) -> Result<(StatusCode, Json<Toxic>), ApiError> {
    let toxic = spec.into_toxic()?;
    Ok((
        StatusCode::CREATED,
        Json(proxies.add_toxic(&name, toxic).await?),
    ))
}

async fn remove_toxic(
    State(proxies): State<Proxies>,
    Path((name, toxic)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    proxies.remove_toxic(&name, &toxic).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The API's routes, with a request timeout and a body size limit.
pub fn router(proxies: Proxies) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/proxies", get(list_proxies).post(create_proxy))
        .route(
            "/proxies/{name}",
            get(get_proxy).post(update_proxy).delete(delete_proxy),
        )
        .route("/proxies/{name}/toxics", get(list_toxics).post(add_toxic))
        .route(
            "/proxies/{name}/toxics/{toxic}",
            axum::routing::delete(remove_toxic),
        )
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(proxies)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(10),
        ))
        .layer(RequestBodyLimitLayer::new(64 * 1024))
}

/// Serves the API on `listener` until `shutdown` completes, then lets the
/// requests in flight finish. Put a deadline on the returned future if the
/// drain must be bounded (the binary does).
pub async fn serve_api<F>(listener: TcpListener, proxies: Proxies, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    axum::serve(listener, router(proxies))
        .with_graceful_shutdown(shutdown)
        .await
}
