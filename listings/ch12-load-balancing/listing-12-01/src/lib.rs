//! Chapter 12's balancers in the client.
//!
//! - `pick`: the four strategies as one sans-IO `Picker`, with
//! - `ewma`: the peak-EWMA latency estimate, and
//! - `health`: readiness and passive ejection;
//! - `sim`: the strategies on virtual time, against modelled replicas;
//! - `client`: the `Picker` inside an HTTP client, with failover;
//! - `tower_balance`: the same job done by tower's `p2c::Balance`;
//! - `serve`: a copy of Listing 10-1's hardened server, for the replica.

pub mod client;
pub mod ewma;
pub mod health;
pub mod pick;
pub mod serve;
pub mod sim;
pub mod tower_balance;
