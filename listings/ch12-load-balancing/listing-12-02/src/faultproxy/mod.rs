//! faultproxy: a copy of Listing 10-2, the TCP proxy that injects faults,
//! without its HTTP control API: this listing's programs drive the proxies
//! by calling the registry directly.
//!
//! The model is Toxiproxy (Shopify, <https://github.com/Shopify/toxiproxy>),
//! and for real work you should use Toxiproxy: it is the production tool.
//!
//! - `toxic`: what a fault ("toxic") is and how JSON becomes one;
//! - `registry`: the named proxies, what can be asked of them, and the
//!   typed errors of those requests;
//! - `proxy`: one proxy's accept loop and the byte pumps that apply the
//!   toxics.
//!
//! To embed it: create a `Proxies` and call its methods.

pub mod proxy;
pub mod registry;
pub mod toxic;

pub use registry::{Proxies, ProxyError, ProxyInfo, ProxySpec};
pub use toxic::{Kind, Stream, Toxic, ToxicError, ToxicSpec};
