//! faultproxy: a TCP proxy that injects faults, for testing how a
//! distributed system behaves when the network misbehaves.
//!
//! The model is Toxiproxy (Shopify, <https://github.com/Shopify/toxiproxy>),
//! and for real work you should use Toxiproxy: it is the production tool.
//! This crate rebuilds its core from scratch, small enough to read top to
//! bottom:
//!
//! - `toxic`: what a fault ("toxic") is and how JSON becomes one;
//! - `proxy`: the named proxies and the byte pumps that apply the toxics;
//! - `api`: the HTTP+JSON control API and its typed errors.
//!
//! To embed it: create a `Proxies`, then either call its methods directly
//! or serve the API with `serve_api`.

pub mod api;
pub mod proxy;
pub mod toxic;

pub use api::{ApiError, router, serve_api};
pub use proxy::{Proxies, ProxyInfo, ProxySpec};
pub use toxic::{Kind, Stream, Toxic, ToxicError, ToxicSpec};
