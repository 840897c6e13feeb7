//! The quorum register as a protocol core: a replica and a client's
//! coordinator, pure state machines with no I/O, no clock and no
//! randomness ("sans-IO"). Each takes a message (or, for the coordinator,
//! a tick) and says what to send; the model checker, the simulation and a
//! real program feed them the same inputs in whatever order they choose.
//!
//! There is no leader: a client sends every request to all `n` replicas
//! and waits for `r` answers to a read, `w` to a write. Values carry a
//! version, a counter with the writer's id as the tie-break, and the
//! newest version wins. Three modes, each a step further:
//!
//! - `Plain`: return as soon as the quorum has answered;
//! - `ReadRepair`: a read also sends the newest value it saw to the
//!   replicas that answered with an older one, without waiting;
//! - `Abd` (Attiya, Bar-Noy and Dolev): a read writes the value it is about
//!   to return to a write quorum and waits for it, and a write first asks a
//!   read quorum for the newest version, so that its own is newer.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Replicas are numbered 0, 1, 2, ...
pub type ReplicaId = usize;
/// Clients are numbered 1, 2, ...; 0 is nobody (the initial value).
pub type ClientId = u32;
/// The register holds a number; one never written reads 0.
pub type Value = u64;

// ANCHOR: version
/// Which of two values is newer: the larger counter, then the larger
/// writer id. Two writes by different clients never have the same version.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Version {
    pub counter: u64,
    pub writer: ClientId,
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Versioned {
    pub version: Version,
    pub value: Value,
}
// ANCHOR_END: version

/// What a coordinator sends a replica. `op` numbers the coordinator's
/// operations, so that a late answer to an earlier one is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Request {
    /// "What do you hold?"
    Get { op: u64 },
    /// "Keep this if it is newer than what you hold."
    Put { op: u64, versioned: Versioned },
}

/// What a replica answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Reply {
    Got { op: u64, versioned: Versioned },
    Stored { op: u64 },
}

// ANCHOR: replica
/// A replica keeps one versioned value and never goes back to an older
/// one. A real replica writes `stored()` to disk before it answers, and
/// restarts from it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Replica {
    stored: Versioned,
}

impl Replica {
    pub fn restore(stored: Versioned) -> Replica {
        Replica { stored }
    }

    pub fn stored(&self) -> Versioned {
        self.stored
    }

    pub fn handle(&mut self, request: Request) -> Reply {
        match request {
            Request::Get { op } => Reply::Got {
                op,
                versioned: self.stored,
            },
            Request::Put { op, versioned } => {
                if versioned.version > self.stored.version {
                    self.stored = versioned;
                }
                Reply::Stored { op }
            }
        }
    }
}
// ANCHOR_END: replica

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Mode {
    Plain,
    ReadRepair,
    Abd,
}

/// `n` replicas; a read waits for `r` of them, a write for `w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    pub n: usize,
    pub r: usize,
    pub w: usize,
    pub mode: Mode,
    /// Ticks without a quorum before an operation is given up.
    pub give_up_after: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Op {
    Read,
    Write(Value),
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Outcome {
    Read(Value),
    Written,
    /// No quorum answered in time. Nobody knows whether a write given up
    /// took effect: some replicas may hold it.
    GaveUp,
}

/// What the harness must do after a step: send these requests, report
/// `done` to the application if it is set, and call `on_tick(op)` after a
/// while if `tick` names an operation (to resend what got no answer).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub send: Vec<(ReplicaId, Request)>,
    pub done: Option<Outcome>,
    pub tick: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Phase {
    /// Asking every replica what it holds: a read, or an ABD write's first
    /// round.
    Query {
        answers: BTreeMap<ReplicaId, Versioned>,
    },
    /// Asking every replica to keep `versioned`: a write, or an ABD read's
    /// write-back of the value it will return.
    Store {
        versioned: Versioned,
        acks: BTreeSet<ReplicaId>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct InFlight {
    op: u64,
    what: Op,
    phase: Phase,
    ticks: u32,
}

// ANCHOR: coordinator
/// A client's side of the protocol: one operation at a time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Coordinator {
    id: ClientId,
    config: Config,
    /// The largest version counter this client has seen or used: its next
    /// write uses a larger one, so its own writes never share a version.
    highest: u64,
    ops: u64,
    current: Option<InFlight>,
}

impl Coordinator {
    pub fn new(id: ClientId, config: Config) -> Coordinator {
        Coordinator {
            id,
            config,
            highest: 0,
            ops: 0,
            current: None,
        }
    }

    pub fn is_busy(&self) -> bool {
        self.current.is_some()
    }

    /// Starts an operation: every replica gets the first request.
    pub fn start(&mut self, what: Op) -> Step {
        assert!(self.current.is_none(), "one operation at a time");
        self.ops += 1;
        let op = self.ops;
        let phase = match (what, self.config.mode) {
            (Op::Write(value), Mode::Plain | Mode::ReadRepair) => self.store(value),
            _ => Phase::Query {
                answers: BTreeMap::new(),
            },
        };
        let flight = InFlight {
            op,
            what,
            phase,
            ticks: 0,
        };
        let send = self.requests(&flight, |_| true);
        self.current = Some(flight);
        Step {
            send,
            done: None,
            tick: Some(op),
        }
    }

    /// A replica's answer. Answers to an earlier operation, and second
    /// answers from the same replica, change nothing.
    pub fn on_reply(&mut self, from: ReplicaId, reply: Reply) -> Step {
        let Some(flight) = &mut self.current else {
            return Step::default();
        };
        match (&mut flight.phase, reply) {
            (Phase::Query { answers }, Reply::Got { op, versioned }) if op == flight.op => {
                answers.insert(from, versioned);
                if answers.len() < self.config.r {
                    return Step::default();
                }
                // `answers` is not empty: r >= 1 of them are in.
                let newest = *answers.values().max().expect("a quorum answered");
                self.highest = self.highest.max(newest.version.counter);
                self.after_query(newest)
            }
            (Phase::Store { versioned, acks }, Reply::Stored { op }) if op == flight.op => {
                acks.insert(from);
                if acks.len() < self.config.w {
                    return Step::default();
                }
                let outcome = match flight.what {
                    Op::Read => Outcome::Read(versioned.value),
                    Op::Write(_) => Outcome::Written,
                };
                self.current = None;
                Step {
                    done: Some(outcome),
                    ..Step::default()
                }
            }
            _ => Step::default(),
        }
    }
    // ANCHOR_END: coordinator

    // ANCHOR: after_query
    /// A read quorum has answered and `newest` is the newest value it holds.
    fn after_query(&mut self, newest: Versioned) -> Step {
        // Only called while an operation is in flight.
        let flight = self.current.as_mut().expect("an operation in flight");
        match (flight.what, self.config.mode) {
            (Op::Read, Mode::Plain) => self.finish(Outcome::Read(newest.value), Vec::new()),
            (Op::Read, Mode::ReadRepair) => {
                let Phase::Query { answers } = &flight.phase else {
                    unreachable!("after_query is called in the query phase")
                };
                // The replicas that answered with something older get the
                // newest value; nobody waits for their answers.
                let op = flight.op;
                let repairs = answers
                    .iter()
                    .filter(|(_, v)| v.version < newest.version)
                    .map(|(&id, _)| {
                        (
                            id,
                            Request::Put {
                                op,
                                versioned: newest,
                            },
                        )
                    })
                    .collect();
                self.finish(Outcome::Read(newest.value), repairs)
            }
            (Op::Read, Mode::Abd) => {
                // Write back what will be returned, and wait for a quorum.
                flight.phase = Phase::Store {
                    versioned: newest,
                    acks: BTreeSet::new(),
                };
                self.resend_all()
            }
            (Op::Write(value), _) => {
                // ABD's second round: a version newer than any in the quorum.
                let phase = self.store(value);
                self.current.as_mut().expect("in flight").phase = phase;
                self.resend_all()
            }
        }
    }
    // ANCHOR_END: after_query

    /// The first round of a write: the value under a version newer than
    /// any this client has seen.
    fn store(&mut self, value: Value) -> Phase {
        self.highest += 1;
        Phase::Store {
            versioned: Versioned {
                version: Version {
                    counter: self.highest,
                    writer: self.id,
                },
                value,
            },
            acks: BTreeSet::new(),
        }
    }

    fn finish(&mut self, outcome: Outcome, send: Vec<(ReplicaId, Request)>) -> Step {
        self.current = None;
        Step {
            send,
            done: Some(outcome),
            tick: None,
        }
    }

    /// A new round: every replica gets its request.
    fn resend_all(&mut self) -> Step {
        // Only called while an operation is in flight.
        let flight = self.current.as_mut().expect("an operation in flight");
        flight.ticks = 0;
        let flight = flight.clone();
        Step {
            send: self.requests(&flight, |_| true),
            done: None,
            tick: None,
        }
    }

    /// Time has passed: the replicas that have not answered this round get
    /// its request again, until `give_up_after` ticks.
    pub fn on_tick(&mut self, op: u64) -> Step {
        let Some(flight) = &mut self.current else {
            return Step::default();
        };
        if flight.op != op {
            return Step::default();
        }
        flight.ticks += 1;
        if flight.ticks > self.config.give_up_after {
            return self.finish(Outcome::GaveUp, Vec::new());
        }
        let flight = flight.clone();
        let send = self.requests(&flight, |id| match &flight.phase {
            Phase::Query { answers } => !answers.contains_key(&id),
            Phase::Store { acks, .. } => !acks.contains(&id),
        });
        Step {
            send,
            done: None,
            tick: Some(op),
        }
    }

    /// This round's request, for each replica that `to` selects.
    fn requests(
        &self,
        flight: &InFlight,
        to: impl Fn(ReplicaId) -> bool,
    ) -> Vec<(ReplicaId, Request)> {
        let op = flight.op;
        let request = match flight.phase {
            Phase::Query { .. } => Request::Get { op },
            Phase::Store { versioned, .. } => Request::Put { op, versioned },
        };
        (0..self.config.n)
            .filter(|&id| to(id))
            .map(|id| (id, request))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(r: usize, w: usize, mode: Mode) -> Config {
        Config {
            n: 3,
            r,
            w,
            mode,
            give_up_after: 2,
        }
    }

    /// Delivers `step`'s requests to the replicas it names in `to`.
    fn deliver(
        c: &mut Coordinator,
        replicas: &mut [Replica],
        step: &Step,
        to: &[ReplicaId],
    ) -> Step {
        let mut last = Step::default();
        for &(id, request) in step.send.iter().filter(|(id, _)| to.contains(id)) {
            let reply = replicas[id].handle(request);
            last = c.on_reply(id, reply);
            if last.done.is_some() || !last.send.is_empty() {
                break;
            }
        }
        last
    }

    #[test]
    fn a_plain_write_returns_after_w_acks_and_a_read_after_r_answers() {
        let mut replicas = vec![Replica::default(); 3];
        let mut c = Coordinator::new(1, config(2, 2, Mode::Plain));
        let step = c.start(Op::Write(7));
        assert_eq!(step.send.len(), 3);
        let done = deliver(&mut c, &mut replicas, &step, &[0, 1]);
        assert_eq!(done.done, Some(Outcome::Written));
        let step = c.start(Op::Read);
        let done = deliver(&mut c, &mut replicas, &step, &[1, 2]);
        assert_eq!(done.done, Some(Outcome::Read(7)));
    }

    #[test]
    fn read_repair_sends_the_newest_value_to_the_stale_replicas_it_heard() {
        let mut replicas = vec![Replica::default(); 3];
        let mut writer = Coordinator::new(1, config(1, 1, Mode::ReadRepair));
        let step = writer.start(Op::Write(7));
        deliver(&mut writer, &mut replicas, &step, &[0]);
        let mut reader = Coordinator::new(2, config(2, 2, Mode::ReadRepair));
        let step = reader.start(Op::Read);
        let done = deliver(&mut reader, &mut replicas, &step, &[0, 1]);
        assert_eq!(done.done, Some(Outcome::Read(7)));
        let repaired: Vec<ReplicaId> = done.send.iter().map(|(id, _)| *id).collect();
        assert_eq!(repaired, [1]);
    }

    #[test]
    fn an_abd_read_returns_only_after_writing_back() {
        let mut replicas = vec![Replica::default(); 3];
        let mut writer = Coordinator::new(1, config(2, 2, Mode::Abd));
        let step = writer.start(Op::Write(7));
        let step = deliver(&mut writer, &mut replicas, &step, &[0, 1]);
        assert_eq!(step.done, None, "a write asks for versions first");
        // Its second round reaches replica 0 only: the write is in progress.
        deliver(&mut writer, &mut replicas, &step, &[0]);
        let mut reader = Coordinator::new(2, config(2, 2, Mode::Abd));
        let step = reader.start(Op::Read);
        let back = deliver(&mut reader, &mut replicas, &step, &[0, 1]);
        assert_eq!(back.done, None, "the read writes back before returning");
        let done = deliver(&mut reader, &mut replicas, &back, &[1, 2]);
        assert_eq!(done.done, Some(Outcome::Read(7)));
        assert_eq!(replicas[2].stored().value, 7);
    }

    #[test]
    fn an_abd_write_is_newer_than_any_it_was_told_of() {
        let mut replicas = vec![
            Replica::restore(Versioned {
                version: Version {
                    counter: 5,
                    writer: 9,
                },
                value: 3,
            });
            3
        ];
        let mut c = Coordinator::new(1, config(2, 2, Mode::Abd));
        let step = c.start(Op::Write(7));
        let step = deliver(&mut c, &mut replicas, &step, &[0, 1]);
        let put = step.send[0].1;
        let Request::Put { versioned, .. } = put else {
            panic!("{put:?}")
        };
        assert_eq!(
            versioned.version,
            Version {
                counter: 6,
                writer: 1
            }
        );
    }

    #[test]
    fn late_and_repeated_answers_change_nothing_and_ticks_give_up() {
        let mut replicas = vec![Replica::default(); 3];
        let mut c = Coordinator::new(1, config(2, 2, Mode::Plain));
        let step = c.start(Op::Write(7));
        let (id, request) = step.send[0];
        let reply = replicas[id].handle(request);
        assert_eq!(c.on_reply(id, reply), Step::default());
        assert_eq!(c.on_reply(id, reply), Step::default(), "a duplicate");
        let resend = c.on_tick(1);
        assert_eq!(resend.send.len(), 2, "only to those that did not answer");
        c.on_tick(1);
        assert_eq!(c.on_tick(1).done, Some(Outcome::GaveUp));
        assert!(!c.is_busy());
        c.start(Op::Read);
        assert_eq!(c.on_reply(id, reply), Step::default(), "an earlier op's");
    }
}
