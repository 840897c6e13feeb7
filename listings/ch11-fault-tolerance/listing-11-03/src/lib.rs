//! Chapter 11's bank: transfers that a client may safely send again.
//!
//! - `bank`: the accounts and the idempotency-key table (no I/O);
//! - `history` and `check`: what clients record, and the exactly-once
//!   checker;
//! - `serve`, `faultproxy`, `child`: copies of Listings 10-1 and 10-2, so
//!   that this folder builds on its own.

pub mod bank;
pub mod check;
pub mod child;
pub mod faultproxy;
pub mod history;
pub mod serve;
