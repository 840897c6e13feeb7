//! Chapter 11's rolling restart: three replicas restarted one by one while
//! a client keeps calling them.
//!
//! - `serve`: a copy of Listing 10-1's hardened server, whose graceful
//!   drain this listing relies on;
//! - `client`: a round-robin client that may send an idempotent request
//!   to the next replica when one fails.

pub mod client;
pub mod serve;
