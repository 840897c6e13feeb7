//! faultproxy: a TCP proxy that injects faults, for testing how a
//! distributed system behaves when the network misbehaves.
//!
//! The model is Toxiproxy (Shopify, <https://github.com/Shopify/toxiproxy>),
//! and for real work you should use Toxiproxy: it is the production tool.
//! This crate rebuilds its core from scratch, small enough to read top to
//! bottom:
//!
//! - [`toxic`]: what a fault ("toxic") is and how JSON becomes one;
//! - [`registry`]: the named proxies, what can be asked of them, and the
//!   typed errors of those requests;
//! - [`proxy`]: one proxy's accept loop and the byte pumps that apply the
//!   toxics;
//! - [`api`]: the HTTP+JSON control API over the registry.
//!
//! To embed it: create a [`Proxies`], then either call its methods directly
//! or serve the API with [`serve_api`].

pub mod api;
pub mod proxy;
pub mod registry;
pub mod toxic;

pub use api::{ApiError, router, serve_api};
pub use registry::{Proxies, ProxyError, ProxyInfo, ProxySpec};
pub use toxic::{Kind, Stream, Toxic, ToxicError, ToxicSpec};
