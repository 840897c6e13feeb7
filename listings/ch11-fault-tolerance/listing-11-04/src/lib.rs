//! Chapter 11's last two defences: a client that stops calling a backend
//! that is down, and a server that refuses what it cannot serve.
//!
//! - `breaker`: a circuit breaker as a tower layer (no I/O of its own);
//! - `overload`: a server of limited capacity, with and without load
//!   shedding;
//! - `serve`: a copy of Listing 10-1's, so that this folder builds on its
//!   own.

pub mod breaker;
pub mod overload;
pub mod serve;
