//! Chapter 11's retries: a retry loop with backoff, jitter and a budget,
//! and the experiment that shows why the budget is needed.
//!
//! - `retry`: the retry loop and its backoff, and what each attempt's
//!   outcome allows (teaching code; production code uses tower's `retry`
//!   module);
//! - `budget`: the retry budget that every call to one service shares;
//! - `amplify`: three layers of services in front of a failing backend,
//!   counting how retries multiply the load;
//! - `serve`: a copy of Listing 10-1's, so that this folder builds on its
//!   own.

pub mod amplify;
pub mod budget;
pub mod retry;
pub mod serve;
