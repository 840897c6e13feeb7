//! Chapter 13's quorum register: one value kept on three replicas with no
//! leader, read and written by clients that wait for a quorum of answers.
//!
//! - `register`: the protocol core (sans-IO), a replica and a client's
//!   coordinator in three modes: plain quorums, read repair, and ABD;
//! - `model` and `sim`: two of the three harnesses that run the core, the
//!   model checker and the seeded simulation, both judged by stateright's
//!   linearizability tester;
//! - `history`: the book's history format, a copy of Listing 10-3's, in
//!   which the simulation records what its clients did.

pub mod history;
pub mod model;
pub mod register;
pub mod sim;
