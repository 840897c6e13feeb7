//! Chapter 11's rolling restart: three replicas restarted one by one while
//! a client keeps calling them.
//!
//! - `serve`: a copy of Listing 10-1's hardened server, whose graceful
//!   drain this listing relies on;
//! - `client`: a round-robin client that may send an idempotent request
//!   to the next replica when one fails;
//! - `child`: a copy of Listing 10-1's module that starts the replicas, so
//!   that none outlives the rolling restart.

pub mod child;
pub mod client;
pub mod serve;
