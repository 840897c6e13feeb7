//! The replicated counter as a protocol core: pure state machines with no
//! I/O, no clock and no randomness ("sans-IO"). A node's program feeds
//! them what arrives (an increment, a peer's gossip) and sends what they
//! say; the model checker and the simulation feed them the same things in
//! every order they choose. Two cores share one trait, so that each
//! harness runs either: the naive one, which loses increments, and the
//! grow-only counter (G-counter), which does not.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Nodes are numbered 1, 2, 3, ...
pub type NodeId = u32;

// ANCHOR: trait
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
// ANCHOR_END: trait

// ANCHOR: naive
/// The obvious design, and wrong: each node keeps one number and, hearing
/// another node's number, keeps the larger. Increments made on two nodes
/// between two exchanges are counted once instead of twice.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NaiveCounter {
    value: u64,
}

impl Counter for NaiveCounter {
    type Gossip = u64;
    fn new(_id: NodeId) -> Self {
        NaiveCounter { value: 0 }
    }
    fn restore(_id: NodeId, durable: u64) -> Self {
        NaiveCounter { value: durable }
    }
    fn increment(&mut self) {
        self.value += 1;
    }
    fn durable(&self) -> u64 {
        self.value
    }
    fn value(&self) -> u64 {
        self.value
    }
    fn gossip(&self) -> u64 {
        self.value
    }
    fn merge(&mut self, theirs: &u64) {
        self.value = self.value.max(*theirs);
    }
}
// ANCHOR_END: naive

// ANCHOR: gcounter
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
    fn merge(&mut self, theirs: &Self::Gossip) {
        for (&node, &count) in theirs {
            let mine = self.slots.entry(node).or_default();
            *mine = (*mine).max(count);
        }
    }
}
// ANCHOR_END: gcounter

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_is_idempotent_commutative_and_keeps_every_increment() {
        let (mut a, mut b) = (GCounter::new(1), GCounter::new(2));
        a.increment();
        a.increment();
        b.increment();
        let (ga, gb) = (a.gossip(), b.gossip());
        a.merge(&gb);
        a.merge(&gb); // a duplicate changes nothing
        b.merge(&ga);
        assert_eq!((a.value(), b.value()), (3, 3));
        assert_eq!(a.gossip(), b.gossip());
    }

    #[test]
    fn the_naive_counter_loses_concurrent_increments() {
        let (mut a, mut b) = (NaiveCounter::new(1), NaiveCounter::new(2));
        a.increment();
        b.increment();
        let ga = a.gossip();
        a.merge(&b.gossip());
        b.merge(&ga);
        assert_eq!((a.value(), b.value()), (1, 1)); // two increments made
    }
}
