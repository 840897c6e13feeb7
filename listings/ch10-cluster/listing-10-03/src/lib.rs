//! Chapter 10's replicated counter: the article's atomic counter, spread
//! over several processes that count on their own and converge when they
//! talk.
//!
//! - `counter`: the protocol cores, a naive one and a G-counter (sans-IO);
//! - `model` and `sim`: two of the three harnesses that run the cores (the
//!   third is the real nodes, `src/bin/node.rs`);
//! - `history` and `check`: what the clients record and how it is judged;
//! - `cluster`: the real nodes as processes, through proxies;
//! - `serve`, `faultproxy` and `child`: copies of Listings 10-1 and 10-2,
//!   so that this folder builds on its own.

pub mod check;
pub mod child;
pub mod cluster;
pub mod counter;
pub mod faultproxy;
pub mod history;
pub mod model;
pub mod serve;
pub mod sim;
