//! Chapter 12's balancers in the middle, and the experiment.
//!
//! - `client`: a copy of Listing 12-1's client balancer;
//! - `reverse`: the book's reverse proxy, balancing with the `Picker` of
//!   Listing 12-1 (`pick`, `ewma`, `health` are copies of its modules);
//! - `nginx`: the real one, configured and started on 127.0.0.1;
//! - `load`: an open-loop load generator that records every request;
//! - `faultproxy`: a copy of Listing 10-2's fault proxy, which slows a
//!   replica down during the experiment;
//! - `cluster`: the replica and proxy processes, started through `child`,
//!   a copy of Listing 10-1's module;
//! - `serve`: a copy of Listing 10-1's hardened server.

pub mod child;
pub mod client;
pub mod cluster;
pub mod ewma;
pub mod faultproxy;
pub mod health;
pub mod load;
pub mod nginx;
pub mod pick;
pub mod reverse;
pub mod serve;
