//! Chapter 10's exercise: a G-counter with a bug, and the simulation that
//! finds it. Both files are copies of Listing 10-3's, but for `merge`.

pub mod counter;
pub mod sim;
