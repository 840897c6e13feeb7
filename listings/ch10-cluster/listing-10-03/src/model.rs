//! The counter under a model checker. Stateright explores every state a
//! small cluster can reach, every increment and every message in every
//! order, with any message lost (never delivered) or duplicated (delivered
//! again), and checks a property in each. Where the simulation samples
//! runs, this covers them all, for a cluster small enough to enumerate.

use std::collections::BTreeSet;

use stateright::{Model, Property};

use crate::counter::{Counter, NodeId};

/// A cluster of `nodes` nodes that make `increments` increments in all.
pub struct CounterModel<C> {
    pub nodes: usize,
    pub increments: u32,
    pub core: std::marker::PhantomData<C>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State<C: Counter> {
    pub nodes: Vec<C>,
    /// Increments made so far, on all nodes.
    pub made: u32,
    /// Every state each node has been in: any of them may have been sent,
    /// and may arrive at any time, any number of times, or never. That is
    /// a network that delays, reorders, duplicates and loses messages,
    /// without listing the messages themselves.
    pub sent: Vec<BTreeSet<C::Gossip>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action<G> {
    Increment(NodeId),
    /// A state that `from` was in arrives at `to`.
    Deliver {
        from: NodeId,
        to: NodeId,
        gossip: G,
    },
}

// ANCHOR: model
impl<C: Counter> Model for CounterModel<C> {
    type State = State<C>;
    type Action = Action<C::Gossip>;

    fn init_states(&self) -> Vec<State<C>> {
        let nodes: Vec<C> = (1..=self.nodes as NodeId).map(C::new).collect();
        vec![State {
            sent: nodes.iter().map(|c| BTreeSet::from([c.gossip()])).collect(),
            nodes,
            made: 0,
        }]
    }

    fn actions(&self, state: &State<C>, actions: &mut Vec<Self::Action>) {
        let ids = 1..=self.nodes as NodeId;
        if state.made < self.increments {
            actions.extend(ids.clone().map(Action::Increment));
        }
        for from in ids.clone() {
            for to in ids.clone().filter(|&to| to != from) {
                for gossip in &state.sent[from as usize - 1] {
                    actions.push(Action::Deliver {
                        from,
                        to,
                        gossip: gossip.clone(),
                    });
                }
            }
        }
    }

    fn next_state(&self, last: &State<C>, action: Self::Action) -> Option<State<C>> {
        let mut s = last.clone();
        let changed = match action {
            Action::Increment(id) => {
                s.nodes[id as usize - 1].increment();
                s.made += 1;
                id as usize - 1
            }
            Action::Deliver { to, gossip, .. } => {
                s.nodes[to as usize - 1].merge(&gossip);
                to as usize - 1
            }
        };
        let now = s.nodes[changed].gossip();
        s.sent[changed].insert(now);
        Some(s)
    }

    /// "Has heard from every other node" is checked on the state itself: a
    /// node has heard everything when the current state of every other
    /// node, merged into it, would change nothing.
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always(
            "a node that has heard from every other counts every increment",
            |_, s: &State<C>| {
                s.nodes.iter().all(|node| {
                    let mut heard_all = node.clone();
                    for other in &s.nodes {
                        heard_all.merge(&other.gossip());
                    }
                    heard_all != *node || node.value() == s.made as u64
                })
            },
        )]
    }
}
// ANCHOR_END: model

impl<C: Counter> CounterModel<C> {
    pub fn new(nodes: usize, increments: u32) -> Self {
        CounterModel {
            nodes,
            increments,
            core: std::marker::PhantomData,
        }
    }
}
