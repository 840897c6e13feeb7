//! The exercise: Listing 10-3's G-counter, with one change to `merge`
//! that looks reasonable and is wrong. The simulation in `sim.rs` (a copy
//! of Listing 10-3's) finds a run that breaks it; fix `merge` until
//! `cargo run -p listing-10-04` finds none and
//! `cargo test -p listing-10-04 -- --ignored` passes.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Nodes are numbered 1, 2, 3, ...
pub type NodeId = u32;

/// A counter replicated on every node. Each node counts locally and now
/// and then sends its whole state (its gossip) to the others, which merge
/// it into theirs: anti-entropy.
pub trait Counter: Clone + Debug + Eq + Hash + Send + Sync + 'static {
    /// What one node sends another.
    type Gossip: Clone + Debug + Eq + Ord + Hash + Send + Sync + Serialize + DeserializeOwned;
    /// A new node that has counted nothing.
    fn new(id: NodeId) -> Self;
    /// A node restarted from what it wrote to disk (see `durable`).
    fn restore(id: NodeId, durable: u64) -> Self;
    /// One increment, acknowledged to the client once `durable` is on disk.
    fn increment(&mut self);
    /// What this node must write down before it acknowledges an increment.
    fn durable(&self) -> u64;
    /// The counter's value as this node sees it.
    fn value(&self) -> u64;
    fn gossip(&self) -> Self::Gossip;
    fn merge(&mut self, gossip: &Self::Gossip);
}

/// A grow-only counter (G-counter), the simplest CRDT: each node counts
/// only its own increments, in its own slot, and learns the others' slots
/// from gossip. Merging takes the larger count per slot, so it can be
/// applied in any order, any number of times, and every node that has
/// heard (directly or not) from every other ends with the same slots. The
/// value is the sum of the slots.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GCounter {
    id: NodeId,
    slots: BTreeMap<NodeId, u64>,
}

impl Counter for GCounter {
    type Gossip = BTreeMap<NodeId, u64>;
    fn new(id: NodeId) -> Self {
        GCounter::restore(id, 0)
    }
    fn restore(id: NodeId, durable: u64) -> Self {
        GCounter {
            id,
            slots: BTreeMap::from([(id, durable)]),
        }
    }
    fn increment(&mut self) {
        *self.slots.entry(self.id).or_default() += 1;
    }
    /// Only its own slot: the others' come back by gossip after a restart.
    fn durable(&self) -> u64 {
        self.slots[&self.id]
    }
    fn value(&self) -> u64 {
        self.slots.values().sum()
    }
    fn gossip(&self) -> Self::Gossip {
        self.slots.clone()
    }
    // ANCHOR: broken
    /// Merging two counters adds them up... or does it?
    fn merge(&mut self, theirs: &Self::Gossip) {
        for (&node, &count) in theirs {
            if node != self.id {
                *self.slots.entry(node).or_default() += count;
            }
        }
    }
    // ANCHOR_END: broken
}
