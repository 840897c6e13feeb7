//! The registry: the named proxies of this process, what can be asked of
//! them (create, list, enable or disable, add and remove toxics, delete),
//! and the typed errors of those requests.
//!
//! A copy of Listing 10-2's, which also serves an HTTP API over it; this
//! listing's programs call the registry directly, so the copy leaves the
//! API out. The bytes themselves flow in `proxy.rs`.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, watch};
use tracing::info;

use crate::faultproxy::proxy::Running;
use crate::faultproxy::toxic::{Toxic, ToxicError, check_name};

/// Every request the registry can refuse. Each message names the proxy,
/// the toxic or the address at fault.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error(transparent)]
    Toxic(#[from] ToxicError),
    #[error("{0}")]
    Invalid(String),
    #[error("no proxy named {0:?}")]
    NoSuchProxy(String),
    #[error("proxy {proxy:?} has no toxic named {toxic:?}")]
    NoSuchToxic { proxy: String, toxic: String },
    #[error("a proxy named {0:?} already exists")]
    ProxyExists(String),
    #[error("proxy {proxy:?} already has a toxic named {toxic:?}")]
    ToxicExists { proxy: String, toxic: String },
    /// `cause` is in the message (the API shows only the message), so it is
    /// not also a `source`: anyhow would print it twice.
    #[error("cannot listen on {addr}: {cause}")]
    Bind { addr: SocketAddr, cause: io::Error },
}

/// The body of `POST /proxies`. Addresses are strings so that a bad one gets
/// a message naming the field rather than serde's generic one.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxySpec {
    pub name: String,
    /// Defaults to `127.0.0.1:0`: any free port, shown in the reply.
    #[serde(default = "any_loopback_port")]
    pub listen: String,
    pub upstream: String,
}

fn any_loopback_port() -> String {
    "127.0.0.1:0".into()
}

/// What the API shows of a proxy. `listen` is the address really bound.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProxyInfo {
    pub name: String,
    pub listen: SocketAddr,
    pub upstream: SocketAddr,
    pub enabled: bool,
    pub toxics: Vec<Toxic>,
}

/// All the proxies of this process. Cheap to clone: clones share the map.
///
/// The map sits behind a `tokio` mutex because enabling a proxy binds a
/// socket and disabling one waits for its listener to close, both `await`s
/// made while holding the lock. Changes are rare, so the lock is no
/// bottleneck; the data path never touches it.
#[derive(Clone, Default)]
pub struct Proxies {
    map: Arc<Mutex<BTreeMap<String, Proxy>>>,
}

struct Proxy {
    name: String,
    listen: SocketAddr,
    upstream: SocketAddr,
    toxics: watch::Sender<Vec<Toxic>>,
    /// `Some` while enabled.
    running: Option<Running>,
}

impl Proxy {
    fn info(&self) -> ProxyInfo {
        ProxyInfo {
            name: self.name.clone(),
            listen: self.listen,
            upstream: self.upstream,
            enabled: self.running.is_some(),
            toxics: self.toxics.borrow().clone(),
        }
    }
}

fn parse_addr(field: &str, value: &str) -> Result<SocketAddr, ProxyError> {
    value
        .parse()
        .map_err(|_| ProxyError::Invalid(format!("{field} {value:?} is not an IP:port address")))
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ProxyError> {
    TcpListener::bind(addr)
        .await
        .map_err(|cause| ProxyError::Bind { addr, cause })
}

impl Proxies {
    pub fn new() -> Self {
        Self::default()
    }

    /// Binds the listen address and starts forwarding to the upstream.
    pub async fn create(&self, spec: ProxySpec) -> Result<ProxyInfo, ProxyError> {
        check_name(&spec.name)?;
        let listen = parse_addr("listen", &spec.listen)?;
        if !listen.ip().is_loopback() {
            // A fault injector reachable from the network is a remote "break
            // this system" button; keep it on the machine.
            return Err(ProxyError::Invalid(format!(
                "listen address {listen} is not a loopback address; use 127.0.0.1"
            )));
        }
        let upstream = parse_addr("upstream", &spec.upstream)?;
        let mut map = self.map.lock().await;
        if map.contains_key(&spec.name) {
            return Err(ProxyError::ProxyExists(spec.name));
        }
        let listener = bind(listen).await?;
        let listen = listener.local_addr().map_err(|cause| ProxyError::Bind {
            addr: listen,
            cause,
        })?;
        let (toxics, _) = watch::channel(Vec::new());
        let running = Some(Running::start(listener, upstream, &toxics));
        let proxy = Proxy {
            name: spec.name.clone(),
            listen,
            upstream,
            toxics,
            running,
        };
        let info = proxy.info();
        map.insert(spec.name, proxy);
        info!(name = %info.name, %listen, %upstream, "proxy created");
        Ok(info)
    }

    pub async fn list(&self) -> Vec<ProxyInfo> {
        self.map.lock().await.values().map(Proxy::info).collect()
    }

    pub async fn get(&self, name: &str) -> Result<ProxyInfo, ProxyError> {
        let map = self.map.lock().await;
        map.get(name).map(Proxy::info).ok_or_else(|| no_proxy(name))
    }

    /// Closes the listener and every connection, and forgets the proxy.
    pub async fn delete(&self, name: &str) -> Result<(), ProxyError> {
        let proxy = self
            .map
            .lock()
            .await
            .remove(name)
            .ok_or_else(|| no_proxy(name))?;
        if let Some(running) = proxy.running {
            running.stop().await;
        }
        info!(name, "proxy deleted");
        Ok(())
    }

    /// Disabling closes the listening socket (new connections are refused)
    /// and the open connections; enabling binds the same address again.
    pub async fn set_enabled(&self, name: &str, enabled: bool) -> Result<ProxyInfo, ProxyError> {
        let mut map = self.map.lock().await;
        let proxy = map.get_mut(name).ok_or_else(|| no_proxy(name))?;
        match (enabled, proxy.running.take()) {
            (true, None) => {
                let listener = bind(proxy.listen).await?;
                proxy.running = Some(Running::start(listener, proxy.upstream, &proxy.toxics));
            }
            (false, Some(running)) => running.stop().await,
            (true, running @ Some(_)) => proxy.running = running,
            (false, None) => {}
        }
        info!(name, enabled, "proxy updated");
        Ok(proxy.info())
    }

    pub async fn add_toxic(&self, proxy: &str, toxic: Toxic) -> Result<Toxic, ProxyError> {
        let map = self.map.lock().await;
        let proxy_ref = map.get(proxy).ok_or_else(|| no_proxy(proxy))?;
        if proxy_ref
            .toxics
            .borrow()
            .iter()
            .any(|t| t.name == toxic.name)
        {
            return Err(ProxyError::ToxicExists {
                proxy: proxy.into(),
                toxic: toxic.name,
            });
        }
        // `send_modify` works even when no connection holds a receiver.
        proxy_ref
            .toxics
            .send_modify(|list| list.push(toxic.clone()));
        info!(proxy, toxic = ?toxic, "toxic added");
        Ok(toxic)
    }

    pub async fn remove_toxic(&self, proxy: &str, toxic: &str) -> Result<(), ProxyError> {
        let map = self.map.lock().await;
        let proxy_ref = map.get(proxy).ok_or_else(|| no_proxy(proxy))?;
        let removed = proxy_ref.toxics.send_if_modified(|list| {
            let before = list.len();
            list.retain(|t| t.name != toxic);
            list.len() != before
        });
        if !removed {
            return Err(ProxyError::NoSuchToxic {
                proxy: proxy.into(),
                toxic: toxic.into(),
            });
        }
        info!(proxy, toxic, "toxic removed");
        Ok(())
    }

    pub async fn toxics(&self, proxy: &str) -> Result<Vec<Toxic>, ProxyError> {
        Ok(self.get(proxy).await?.toxics)
    }

    /// Closes every proxy; used when the process stops.
    pub async fn shutdown(&self) {
        let map = std::mem::take(&mut *self.map.lock().await);
        for proxy in map.into_values() {
            if let Some(running) = proxy.running {
                running.stop().await;
            }
        }
    }
}

fn no_proxy(name: &str) -> ProxyError {
    ProxyError::NoSuchProxy(name.to_string())
}
