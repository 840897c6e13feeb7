//! Choosing a replica for each request, with no I/O: the balancer's
//! decision as a plain data structure.
//!
//! A balancer knows, per replica, how many of its requests are still out,
//! how long answers took lately and whether the replica is healthy. The
//! four strategies of the chapter differ only in which of these they read:
//! round robin and random read nothing, least outstanding reads the
//! counts, power of two choices reads counts and latency of two replicas
//! drawn at random. Because nothing here waits or reads a clock, the same
//! `Picker` runs in the simulation (virtual time), in the client of
//! `client.rs` and in the proxy of Listing 12-2. tower's
//! `balance::p2c::Balance` is the production version of the last strategy
//! (see `tower_balance.rs`).

use std::str::FromStr;
use std::time::Duration;

use crate::ewma::PeakEwma;
use crate::health::{EjectionPolicy, Health};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    RoundRobin,
    Random,
    LeastOutstanding,
    /// Power of two choices, comparing peak-EWMA latency × (outstanding + 1).
    P2c,
}

impl Strategy {
    pub const ALL: [Strategy; 4] = [
        Strategy::RoundRobin,
        Strategy::Random,
        Strategy::LeastOutstanding,
        Strategy::P2c,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round-robin",
            Strategy::Random => "random",
            Strategy::LeastOutstanding => "least-outstanding",
            Strategy::P2c => "p2c-peak-ewma",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown strategy {0:?} (round-robin, random, least-outstanding, p2c-peak-ewma)")]
pub struct UnknownStrategy(String);

impl FromStr for Strategy {
    type Err = UnknownStrategy;
    fn from_str(s: &str) -> Result<Strategy, UnknownStrategy> {
        Strategy::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownStrategy(s.to_string()))
    }
}

/// What the balancer knows about one replica.
#[derive(Clone, Debug)]
pub struct Replica {
    pub outstanding: u32,
    pub latency: PeakEwma,
    pub health: Health,
}

/// The settings every strategy shares.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// What a replica not yet heard from is assumed to take.
    pub initial_latency: Duration,
    /// How fast the latency estimate forgets: the time constant of its
    /// decay (10 s, as in Finagle's and Linkerd's defaults).
    pub decay: Duration,
    pub ejection: EjectionPolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            initial_latency: Duration::from_millis(10),
            decay: Duration::from_secs(10),
            ejection: EjectionPolicy::default(),
        }
    }
}

pub struct Picker {
    strategy: Strategy,
    settings: Settings,
    replicas: Vec<Replica>,
    /// Round robin's position, and least outstanding's tie breaker.
    next: usize,
    rng: SplitMix64,
}

// ANCHOR: pick
impl Picker {
    /// Picks a replica for a request, skipping those in `tried` (the
    /// replicas this request already failed on), and counts the request
    /// as outstanding there. `None` when no replica may take it.
    pub fn pick(&mut self, now: Duration, tried: &[usize]) -> Option<usize> {
        let mut candidates: Vec<usize> = (0..self.replicas.len())
            .filter(|i| !tried.contains(i))
            .filter(|&i| self.replicas[i].health.available(now))
            .collect();
        if candidates.is_empty() {
            // Every ready replica is ejected: trying one beats failing the
            // request outright. Envoy's panic threshold is the same idea,
            // applied sooner: by default, once fewer than 50 % of its hosts
            // are healthy, it balances over all of them.
            candidates = (0..self.replicas.len())
                .filter(|i| !tried.contains(i) && self.replicas[*i].health.ready)
                .collect();
        }
        let chosen = match (self.strategy, candidates.len()) {
            (_, 0) => return None,
            (_, 1) => candidates[0],
            (Strategy::RoundRobin, _) => self.round_robin(&candidates),
            (Strategy::Random, _) => candidates[self.rng.below(candidates.len())],
            (Strategy::LeastOutstanding, _) => self.least_outstanding(&candidates),
            (Strategy::P2c, n) => {
                // Two different candidates, each pair equally likely.
                let i = self.rng.below(n);
                let mut j = self.rng.below(n - 1);
                if j >= i {
                    j += 1;
                }
                let (a, b) = (candidates[i], candidates[j]);
                if self.cost(b, now) < self.cost(a, now) {
                    b
                } else {
                    a
                }
            }
        };
        self.replicas[chosen].outstanding += 1;
        Some(chosen)
    }

    /// The first candidate at or after the position, which then moves on.
    fn round_robin(&mut self, candidates: &[usize]) -> usize {
        let n = self.replicas.len();
        let chosen = (0..n)
            .map(|k| (self.next + k) % n)
            .find(|i| candidates.contains(i))
            .unwrap_or(candidates[0]);
        self.next = chosen + 1;
        chosen
    }

    /// The fewest requests out; among equals, the first after the last
    /// choice, so that an idle cluster is still served in turn.
    fn least_outstanding(&mut self, candidates: &[usize]) -> usize {
        let n = self.replicas.len();
        let chosen = (0..n)
            .map(|k| (self.next + k) % n)
            .filter(|i| candidates.contains(i))
            .min_by_key(|&i| self.replicas[i].outstanding)
            .unwrap_or(candidates[0]);
        self.next = chosen + 1;
        chosen
    }

    /// Expected wait at replica `i`: its latency × the requests ahead.
    fn cost(&self, i: usize, now: Duration) -> f64 {
        let r = &self.replicas[i];
        r.latency.estimate_ns(now) * f64::from(r.outstanding + 1)
    }

    /// The request picked on `i` ended after `rtt`; `ok` is false when it
    /// failed for a reason that says something about the replica (refused,
    /// cut off, timed out, 5xx).
    pub fn finished(&mut self, i: usize, rtt: Duration, ok: bool, now: Duration) {
        let r = &mut self.replicas[i];
        r.outstanding = r.outstanding.saturating_sub(1);
        if ok {
            r.latency.observe(rtt, now);
            r.health.success();
        } else {
            r.health.failure(now, &self.settings.ejection);
        }
    }
}
// ANCHOR_END: pick

impl Picker {
    pub fn new(strategy: Strategy, replicas: usize, settings: Settings, seed: u64) -> Picker {
        let replica = Replica {
            outstanding: 0,
            latency: PeakEwma::new(settings.initial_latency, settings.decay, Duration::ZERO),
            health: Health::new(),
        };
        Picker {
            strategy,
            settings,
            replicas: vec![replica; replicas],
            next: 0,
            rng: SplitMix64(seed),
        }
    }

    pub fn replica(&self, i: usize) -> &Replica {
        &self.replicas[i]
    }

    /// What the replica's `/ready` answered.
    pub fn set_ready(&mut self, i: usize, ready: bool) {
        self.replicas[i].health.ready = ready;
    }
}

/// A small seeded generator, so that runs can be replayed (the `rand`
/// crate is what a program would use).
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
