//! The strategies on virtual time: replicas as queues, requests arriving
//! on a schedule, a seeded generator for service times.
//!
//! Before measuring real processes, whose numbers move from run to run,
//! this runs the `Picker` against a model in which everything is known:
//! each replica has a number of workers and a mean service time, and may
//! add a fixed delay to every answer (a slow link, like the fault proxy's
//! latency toxic). Requests arrive at a fixed mean rate whatever the
//! replicas do (an open loop), so a slow replica cannot slow the arrivals down and
//! hide its queue. The same seed gives the same run, so the output below
//! is stored and checked like any listing's.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

use crate::pick::{Picker, Settings, SplitMix64, Strategy};

#[derive(Clone, Copy, Debug)]
pub struct ReplicaModel {
    pub workers: usize,
    /// The mean service time; each request takes between half and one
    /// and a half times it, uniformly.
    pub service: Duration,
    /// Added to every answer on its way back.
    pub extra: Duration,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub rate_per_s: f64,
    pub requests: usize,
    pub replicas: Vec<ReplicaModel>,
    pub seed: u64,
}

pub struct Report {
    /// Every request's latency, sorted.
    pub latencies: Vec<Duration>,
    /// Requests answered by each replica.
    pub served: Vec<u64>,
}

impl Report {
    /// The q-quantile (0.99 for p99), nearest rank.
    pub fn quantile(&self, q: f64) -> Duration {
        let n = self.latencies.len();
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n.max(1));
        self.latencies.get(rank - 1).copied().unwrap_or_default()
    }

    pub fn share(&self, replica: usize) -> f64 {
        self.served[replica] as f64 / self.latencies.len().max(1) as f64
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Arrival { request: usize },
    ServiceDone { replica: usize, request: usize },
    Answer { replica: usize, request: usize },
}

// ANCHOR: run
pub fn run(strategy: Strategy, scenario: &Scenario, settings: Settings) -> Report {
    let n = scenario.replicas.len();
    let mut picker = Picker::new(strategy, n, settings, scenario.seed);
    let mut rng = SplitMix64(scenario.seed ^ 0x5eed);
    let mean_gap = Duration::from_secs_f64(1.0 / scenario.rate_per_s);
    let mut arrived = vec![Duration::ZERO; scenario.requests];
    let mut busy = vec![0usize; n];
    let mut queues: Vec<VecDeque<usize>> = vec![VecDeque::new(); n];
    let mut report = Report {
        latencies: Vec::with_capacity(scenario.requests),
        served: vec![0; n],
    };
    // The pending events by time, then by order of scheduling.
    let mut events = BinaryHeap::new();
    let mut seq = 0u64;
    let mut schedule = |events: &mut BinaryHeap<_>, at: Duration, e: Event| {
        seq += 1;
        events.push(Reverse((at, seq, e)));
    };
    // Arrivals at random (a Poisson process, as from many independent
    // users), decided in advance: nothing the replicas do can delay them.
    let mut at = Duration::ZERO;
    for request in 0..scenario.requests {
        at += mean_gap.mul_f64(-(1.0 - rng.unit()).ln());
        schedule(&mut events, at, Event::Arrival { request });
    }
    while let Some(Reverse((now, _, event))) = events.pop() {
        match event {
            Event::Arrival { request } => {
                arrived[request] = now;
                let Some(replica) = picker.pick(now, &[]) else {
                    continue;
                };
                queues[replica].push_back(request);
            }
            Event::ServiceDone { replica, request } => {
                busy[replica] -= 1;
                let back = now + scenario.replicas[replica].extra;
                schedule(&mut events, back, Event::Answer { replica, request });
            }
            Event::Answer { replica, request } => {
                let latency = now - arrived[request];
                picker.finished(replica, latency, true, now);
                report.latencies.push(latency);
                report.served[replica] += 1;
            }
        }
        // Free workers take the next request in their replica's queue.
        for replica in 0..n {
            let model = scenario.replicas[replica];
            while busy[replica] < model.workers {
                let Some(request) = queues[replica].pop_front() else {
                    break;
                };
                busy[replica] += 1;
                let service = model.service.mul_f64(0.5 + rng.unit());
                schedule(
                    &mut events,
                    now + service,
                    Event::ServiceDone { replica, request },
                );
            }
        }
    }
    report.latencies.sort();
    report
}
// ANCHOR_END: run
