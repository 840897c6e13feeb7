//! Listing 13-1: a linearizability checker for a register. It reads a
//! history in the book's format (Chapter 10's `history` module), pairs
//! each `invoke` with what its client was told, splits the operations by
//! key (linearizability is compositional: a history is linearizable when
//! each key's is), and searches each key's operations for an order that
//! a single register could have produced (`search`). When there is none
//! it names the window (`window`) and draws the history (`svg`).

pub mod history;
pub mod search;
pub mod svg;
pub mod window;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use history::{Event, F, Type};
use serde_json::Value;

/// What an operation did to the register, once we know it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Read this value.
    Read(i64),
    Write(i64),
    /// Compare and set: `Cas(expected, new)`.
    Cas(i64, i64),
}

/// How the operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// `info`, or no answer before the history ends: it may have taken
    /// effect at any time after its invocation, or never.
    Unknown,
}

/// One operation: an `invoke` and what followed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    pub process: u32,
    pub key: String,
    pub op: Op,
    pub outcome: Outcome,
    /// Position of the `invoke` event in the history (0-based).
    pub invoke: usize,
    /// Position of the `ok` or `info`, `None` when no answer came.
    pub ret: Option<usize>,
    /// Line numbers of both events in the file, for messages.
    pub lines: (usize, Option<usize>),
    /// A read whose value is unknown: it constrains nothing and is not
    /// searched, only drawn.
    pub unknown_read: bool,
}

/// Input that is not a register history, named by its line.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}")]
    Read(#[from] history::ReadError),
    #[error("line {line}: {message}")]
    Bad { line: usize, message: String },
}

fn bad(line: usize, message: impl Into<String>) -> InputError {
    InputError::Bad {
        line,
        message: message.into(),
    }
}

fn int(value: &Value, line: usize, what: &str) -> Result<i64, InputError> {
    value
        .as_i64()
        .ok_or_else(|| bad(line, format!("{what} must be an integer, not {value}")))
}

/// Reads a history file into operations, in the order of their invocation.
pub fn read(path: &Path) -> Result<Vec<Operation>, InputError> {
    let events = history::read(path)?;
    // `history::read` skips blank lines; number the others as the file does.
    let text = std::fs::read_to_string(path).map_err(history::ReadError::Io)?;
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, _)| i + 1)
        .collect();
    operations(&events, &lines)
}

/// Pairs events into operations; `lines[i]` is the line of `events[i]`.
pub fn operations(events: &[Event], lines: &[usize]) -> Result<Vec<Operation>, InputError> {
    let mut ops: Vec<Operation> = Vec::new();
    // The operation each process has in flight.
    let mut open: HashMap<u32, usize> = HashMap::new();
    let mut drop = vec![false; 0];
    let mut last_time = 0;
    for (i, e) in events.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(i + 1);
        if e.time < last_time {
            return Err(bad(
                line,
                format!("time {} is before the line above's", e.time),
            ));
        }
        last_time = e.time;
        if !matches!(e.f, F::Read | F::Write | F::Cas) {
            return Err(bad(line, format!("{:?} is not a register operation", e.f)));
        }
        let key = e.key.clone().unwrap_or_default();
        if e.kind == Type::Invoke {
            if let Some(&o) = open.get(&e.process) {
                return Err(bad(
                    line,
                    format!(
                        "process {} invokes again before line {}'s operation ended",
                        e.process, ops[o].lines.0
                    ),
                ));
            }
            let op = match e.f {
                F::Read if e.value.is_null() => Op::Read(0),
                F::Read => return Err(bad(line, "a read's invoke must have value null")),
                F::Write => Op::Write(int(&e.value, line, "a write's value")?),
                _ => match e.value.as_array().map(Vec::as_slice) {
                    Some([a, b]) => Op::Cas(int(a, line, "cas")?, int(b, line, "cas")?),
                    _ => return Err(bad(line, "a cas's value must be [expected, new]")),
                },
            };
            open.insert(e.process, ops.len());
            drop.push(false);
            ops.push(Operation {
                process: e.process,
                key,
                op,
                outcome: Outcome::Unknown,
                invoke: i,
                ret: None,
                lines: (line, None),
                unknown_read: matches!(op, Op::Read(_)),
            });
            continue;
        }
        let Some(o) = open.remove(&e.process) else {
            return Err(bad(
                line,
                format!("process {} has no operation in flight", e.process),
            ));
        };
        let op = &mut ops[o];
        if op.key != key || !same_f(op.op, e.f) {
            return Err(bad(
                line,
                format!("this does not end line {}'s operation", op.lines.0),
            ));
        }
        op.ret = Some(i);
        op.lines.1 = Some(line);
        match e.kind {
            Type::Ok => {
                op.outcome = Outcome::Ok;
                op.unknown_read = false;
                if let Op::Read(_) = op.op {
                    op.op = Op::Read(int(&e.value, line, "a read's result")?);
                }
            }
            // It certainly did not happen: the search forgets it.
            Type::Fail => drop[o] = true,
            Type::Info => {}
            Type::Invoke => unreachable!("handled above"),
        }
    }
    Ok(ops
        .into_iter()
        .zip(drop)
        .filter_map(|(op, d)| (!d).then_some(op))
        .collect())
}

fn same_f(op: Op, f: F) -> bool {
    matches!(
        (op, f),
        (Op::Read(_), F::Read) | (Op::Write(_), F::Write) | (Op::Cas(..), F::Cas)
    )
}

/// The operations of each key, in order of invocation.
pub fn by_key(ops: &[Operation]) -> BTreeMap<&str, Vec<&Operation>> {
    let mut keys: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for op in ops {
        keys.entry(&op.key).or_default().push(op);
    }
    keys
}
