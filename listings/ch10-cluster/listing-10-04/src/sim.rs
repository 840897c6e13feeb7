//! The seeded simulation: thousands of random runs of a counter core on a
//! make-believe network that loses, duplicates, delays and reorders
//! messages, splits the nodes into partitions, and crashes and restarts
//! them, all decided by one random number generator. The same seed gives
//! the same run, so a failure is replayed exactly with `SEED=...`.
//!
//! The generator is SplitMix64, written out here so that a seed means the
//! same run on every machine and every version; a program that only needs
//! random numbers would use the `rand` crate.

use crate::counter::{Counter, NodeId};

/// A tiny, fast, seedable generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// What a failed run leaves for the reader: its seed, what happened, and
/// what was wrong at the end.
#[derive(Debug)]
pub struct Failure {
    pub seed: u64,
    pub trace: Vec<String>,
    pub problem: String,
}

struct Message<G> {
    from: NodeId,
    to: NodeId,
    gossip: G,
}

// ANCHOR: run
/// One run: `steps` random events on `n` nodes, then the network heals:
/// the messages in flight are forgotten, every crashed node restarts from
/// its disk (a running one keeps its state), and gossip flows freely until
/// it has reached everyone. Every acknowledged increment must then be
/// counted by every node, exactly once.
pub fn run<C: Counter>(seed: u64, n: usize, steps: usize) -> Result<u64, Failure> {
    let mut rng = Rng::new(seed);
    // `None` is a crashed node; `disk` is what each wrote down.
    let mut nodes: Vec<Option<C>> = (1..=n as NodeId).map(|id| Some(C::new(id))).collect();
    let mut disk = vec![0u64; n];
    let mut net: Vec<Message<C::Gossip>> = Vec::new();
    // The side of a partition each node is on; all 0 when healed.
    let mut side = vec![0usize; n];
    let mut acked = 0u64;
    let mut trace = Vec::new();
    for _ in 0..steps {
        let i = rng.below(n);
        let id = i as NodeId + 1;
        match rng.below(100) {
            0..30 => {
                if let Some(node) = &mut nodes[i] {
                    node.increment();
                    disk[i] = node.durable();
                    acked += 1;
                    trace.push(format!("node {id}: increment -> {}", node.value()));
                }
            }
            30..50 => {
                if let Some(node) = &nodes[i] {
                    for to in (1..=n as NodeId).filter(|&to| to != id) {
                        net.push(Message {
                            from: id,
                            to,
                            gossip: node.gossip(),
                        });
                    }
                    trace.push(format!("node {id}: gossip {:?}", node.gossip()));
                }
            }
            50..80 if !net.is_empty() => {
                // Any message, not the oldest: the network reorders.
                let k = rng.below(net.len());
                let m = if rng.below(10) == 0 {
                    // Sometimes delivered and kept: a duplicate.
                    Message {
                        from: net[k].from,
                        to: net[k].to,
                        gossip: net[k].gossip.clone(),
                    }
                } else {
                    net.swap_remove(k)
                };
                let (from, to) = (m.from as usize - 1, m.to as usize - 1);
                match &mut nodes[to] {
                    Some(node) if side[from] == side[to] => {
                        node.merge(&m.gossip);
                        trace.push(format!(
                            "{} -> {}: {:?}, now {}",
                            m.from,
                            m.to,
                            m.gossip,
                            node.value()
                        ));
                    }
                    _ => trace.push(format!("{} -> {}: lost", m.from, m.to)),
                }
            }
            80..85 if !net.is_empty() => {
                let k = rng.below(net.len());
                let m = net.swap_remove(k);
                trace.push(format!("{} -> {}: dropped", m.from, m.to));
            }
            85..92 => {
                if nodes[i].take().is_some() {
                    trace.push(format!("node {id}: crash"));
                } else {
                    nodes[i] = Some(C::restore(id, disk[i]));
                    trace.push(format!("node {id}: restart from disk ({})", disk[i]));
                }
            }
            92..100 => {
                side = (0..n).map(|_| rng.below(2)).collect();
                trace.push(format!("partition {side:?}"));
            }
            _ => {}
        }
    }
    // ANCHOR_END: run
    // ANCHOR: heal
    trace.push("heal: reconnect, restart the crashed nodes, gossip until done".into());
    let mut nodes: Vec<C> = nodes
        .into_iter()
        .enumerate()
        .map(|(i, node)| node.unwrap_or_else(|| C::restore(i as NodeId + 1, disk[i])))
        .collect();
    // n rounds in which every node sends to every other: enough for any
    // news to travel the longest path.
    for _ in 0..n {
        let all: Vec<C::Gossip> = nodes.iter().map(C::gossip).collect();
        for node in &mut nodes {
            for gossip in &all {
                node.merge(gossip);
            }
        }
    }
    let values: Vec<u64> = nodes.iter().map(C::value).collect();
    if values.iter().any(|&v| v != acked) {
        return Err(Failure {
            seed,
            trace,
            problem: format!("{acked} increments acknowledged, but the nodes read {values:?}"),
        });
    }
    Ok(acked)
    // ANCHOR_END: heal
}

/// Runs `seeds` seeds from `first`; the first failure, if any.
pub fn search<C: Counter>(first: u64, seeds: u64, n: usize, steps: usize) -> Result<u64, Failure> {
    let mut runs = 0;
    for seed in first..first + seeds {
        run::<C>(seed, n, steps)?;
        runs += 1;
    }
    Ok(runs)
}
