//! The register under a model checker. Stateright runs the core as actors,
//! three replicas and a few clients, and tries every order in which their
//! messages can arrive (and, on a lossy network, every message lost). It
//! records each client's operations in its linearizability tester, which
//! says in each state whether what the clients saw so far could have come
//! from one register changing at one instant per operation. Where the
//! simulation samples runs, this covers them all, for a few operations.
//!
//! A client is one actor holding a coordinator and a script of operations.
//! It calls its coordinator by a message to itself, so that the checker
//! chooses when each operation starts (the tester records the invocation
//! when that message arrives), and the coordinator answers the same way
//! (the tester records the return when that message is sent).

use std::borrow::Cow;

use stateright::Expectation;
use stateright::actor::{Actor, ActorModel, Envelope, Id, LossyNetwork, Network, Out};
use stateright::semantics::register::{Register, RegisterOp, RegisterRet};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester};

use crate::register::{Config, Coordinator, Op, Outcome, Replica, Reply, Request, Step, Value};

/// What the checker judges: the operations as the clients saw them.
pub type History = LinearizabilityTester<Id, Register<Value>>;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Msg {
    Request(Request),
    Reply(Reply),
    /// A client's application calls its coordinator.
    Call(Op),
    /// The coordinator answers it.
    Return(Outcome),
}

#[derive(Clone, Debug)]
pub enum Node {
    Replica,
    Client { config: Config, script: Vec<Op> },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeState {
    Replica(Replica),
    Client {
        coordinator: Coordinator,
        /// Operations of the script called so far.
        called: usize,
        /// Their outcomes, in order.
        outcomes: Vec<Outcome>,
    },
}

// ANCHOR: actor
impl Actor for Node {
    type Msg = Msg;
    type State = NodeState;
    type Timer = ();
    type Random = ();
    type Storage = ();

    fn on_start(&self, id: Id, _: &Option<()>, o: &mut Out<Self>) -> NodeState {
        match self {
            Node::Replica => NodeState::Replica(Replica::default()),
            Node::Client { config, script } => {
                if let Some(&first) = script.first() {
                    o.send(id, Msg::Call(first));
                }
                let client = usize::from(id) - config.n + 1;
                NodeState::Client {
                    coordinator: Coordinator::new(client as u32, *config),
                    called: 0,
                    outcomes: Vec::new(),
                }
            }
        }
    }

    fn on_msg(&self, id: Id, state: &mut Cow<NodeState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        match (state.to_mut(), msg) {
            (NodeState::Replica(replica), Msg::Request(request)) => {
                o.send(src, Msg::Reply(replica.handle(request)));
            }
            (
                NodeState::Client {
                    coordinator,
                    called,
                    ..
                },
                Msg::Call(op),
            ) => {
                *called += 1;
                let step = coordinator.start(op);
                self.send(id, step, o);
            }
            (
                NodeState::Client {
                    coordinator,
                    outcomes,
                    ..
                },
                Msg::Reply(reply),
            ) => {
                let step = coordinator.on_reply(usize::from(src), reply);
                outcomes.extend(step.done);
                self.send(id, step, o);
            }
            (NodeState::Client { called, .. }, Msg::Return(_)) => {
                let Node::Client { script, .. } = self else {
                    unreachable!("only clients hold client states")
                };
                if let Some(&next) = script.get(*called) {
                    o.send(id, Msg::Call(next));
                }
            }
            _ => {}
        }
    }
}

impl Node {
    /// Sends a step's requests; the model has no timers, so its ticks are
    /// ignored (a lost request is never resent: the operation just never
    /// returns, which the tester allows).
    fn send(&self, id: Id, step: Step, o: &mut Out<Self>) {
        for (replica, request) in step.send {
            o.send(Id::from(replica), Msg::Request(request));
        }
        if let Some(outcome) = step.done {
            o.send(id, Msg::Return(outcome));
        }
    }
}
// ANCHOR_END: actor

/// A cluster to check: the core's configuration, one script per client,
/// and whether the network may lose messages.
#[derive(Clone, Debug)]
pub struct Cluster {
    pub config: Config,
    pub scripts: Vec<Vec<Op>>,
    pub lossy: bool,
}

pub const LINEARIZABLE: &str = "linearizable";
pub const ALL_RETURNED: &str = "every operation returned";

// ANCHOR: model
impl Cluster {
    pub fn into_model(self) -> ActorModel<Node, Cluster, History> {
        let replicas = (0..self.config.n).map(|_| Node::Replica);
        let clients = self.scripts.iter().map(|script| Node::Client {
            config: self.config,
            script: script.clone(),
        });
        let lossy = if self.lossy {
            LossyNetwork::Yes
        } else {
            LossyNetwork::No
        };
        ActorModel::new(self.clone(), History::new(Register(0)))
            .actors(replicas)
            .actors(clients)
            .init_network(Network::new_unordered_nonduplicating([]))
            .lossy_network(lossy)
            .record_msg_in(record_invoke)
            .record_msg_out(record_return)
            .property(Expectation::Always, LINEARIZABLE, |_, state| {
                state.history.serialized_history().is_some()
            })
            .property(Expectation::Sometimes, ALL_RETURNED, |model, state| {
                let scripts = &model.cfg.scripts;
                let n = model.cfg.config.n;
                state.actor_states[n..].iter().zip(scripts).all(|(s, script)| {
                    matches!(&**s, NodeState::Client { outcomes, .. } if outcomes.len() == script.len())
                })
            })
    }
}

/// An operation starts when its call reaches the coordinator.
fn record_invoke(_: &Cluster, history: &History, env: Envelope<&Msg>) -> Option<History> {
    let Msg::Call(op) = env.msg else { return None };
    let op = match *op {
        Op::Read => RegisterOp::Read,
        Op::Write(value) => RegisterOp::Write(value),
    };
    let mut history = history.clone();
    // An error marks the history invalid, which the property reports.
    let _ = history.on_invoke(env.dst, op);
    Some(history)
}

/// It ends when the coordinator sends the answer.
fn record_return(_: &Cluster, history: &History, env: Envelope<&Msg>) -> Option<History> {
    let ret = match env.msg {
        Msg::Return(Outcome::Read(value)) => RegisterRet::ReadOk(*value),
        Msg::Return(Outcome::Written) => RegisterRet::WriteOk,
        _ => return None,
    };
    let mut history = history.clone();
    let _ = history.on_return(env.src, ret);
    Some(history)
}
// ANCHOR_END: model

/// How a trace names an actor: replicas from 0, clients from 1.
pub fn name(n: usize, id: Id) -> String {
    let i = usize::from(id);
    if i < n {
        format!("replica {i}")
    } else {
        format!("client {}", i - n + 1)
    }
}

pub fn describe_op(op: Op) -> String {
    match op {
        Op::Read => "read".into(),
        Op::Write(v) => format!("write {v}"),
    }
}
