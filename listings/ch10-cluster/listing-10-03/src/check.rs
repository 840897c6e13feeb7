//! The checker for a replicated counter, reading nothing but a history.
//!
//! A counter that only grows, once the network has healed and the nodes
//! have talked, must read on every node the number of increments that
//! happened. The history does not always say how many that is: an `add`
//! that timed out (`info`) may have happened or not. So the checker
//! accepts a range: at least the acknowledged adds, at most those plus
//! the unknown ones. It also checks that no read, at any time, counts
//! more adds than had been started: a counter must not invent increments.

use std::collections::HashMap;

use crate::history::{Event, F, Type};

/// One operation: its invocation and how it ended (`None`: never heard).
struct Op<'a> {
    invoke: &'a Event,
    end: Option<&'a Event>,
}

#[derive(Debug, PartialEq)]
pub struct Report {
    pub acknowledged: u64,
    pub unknown: u64,
    pub failed: u64,
    /// The last read of each node, after every add had ended.
    pub final_reads: Vec<(u32, u64)>,
}

// ANCHOR: violation
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum Violation {
    #[error("no read after the last add ended: nothing to judge")]
    NoFinalRead,
    #[error(
        "node {node} ends at {value}, but {acknowledged} adds were acknowledged \
         and {unknown} are unknown: {}",
        lost_or_extra(*value, *acknowledged, *unknown)
    )]
    WrongTotal {
        node: u32,
        value: u64,
        acknowledged: u64,
        unknown: u64,
    },
    #[error("the nodes disagree at the end: {0:?}")]
    Diverged(Vec<(u32, u64)>),
    #[error("node {node} read {value} at {time} ns, when only {started} adds had started")]
    Invented {
        node: u32,
        value: u64,
        started: u64,
        time: u64,
    },
}
// ANCHOR_END: violation

fn lost_or_extra(value: u64, acknowledged: u64, unknown: u64) -> String {
    if value < acknowledged {
        format!("{} lost", acknowledged - value)
    } else {
        format!("{} too many", value - acknowledged - unknown)
    }
}

/// Pairs every `invoke` with the next event of the same process.
fn operations(history: &[Event]) -> Vec<Op<'_>> {
    let mut open: HashMap<u32, usize> = HashMap::new();
    let mut ops: Vec<Op> = Vec::new();
    for event in history {
        if event.kind == Type::Invoke {
            open.insert(event.process, ops.len());
            ops.push(Op {
                invoke: event,
                end: None,
            });
        } else if let Some(i) = open.remove(&event.process) {
            ops[i].end = Some(event);
        }
    }
    ops
}

// ANCHOR: check
pub fn check_counter(history: &[Event]) -> Result<Report, Vec<Violation>> {
    let ops = operations(history);
    let adds: Vec<&Op> = ops.iter().filter(|op| op.invoke.f == F::Add).collect();
    let count = |kind: Type| {
        adds.iter()
            .filter(|op| op.end.map(|e| e.kind) == Some(kind))
            .count() as u64
    };
    let acknowledged = count(Type::Ok);
    let failed = count(Type::Fail);
    // Never answered counts as unknown, like `info`.
    let unknown = adds.len() as u64 - acknowledged - failed;
    let last_add_end = adds
        .iter()
        .map(|op| op.end.map_or(u64::MAX, |e| e.time))
        .max()
        .unwrap_or(0);

    let mut violations = Vec::new();
    let mut finals: Vec<(u32, u64)> = Vec::new();
    for op in ops.iter().filter(|op| op.invoke.f == F::Read) {
        let Some(end) = op.end.filter(|e| e.kind == Type::Ok) else {
            continue;
        };
        let (node, value) = (end.node.unwrap_or(0), end.value.as_u64().unwrap_or(0));
        let started = adds.iter().filter(|a| a.invoke.time < end.time).count() as u64;
        if value > started {
            violations.push(Violation::Invented {
                node,
                value,
                started,
                time: end.time,
            });
        }
        if op.invoke.time > last_add_end {
            // Later reads of the same node replace earlier ones.
            finals.retain(|(n, _)| *n != node);
            finals.push((node, value));
        }
    }
    finals.sort();
    if finals.is_empty() {
        violations.push(Violation::NoFinalRead);
    }
    for &(node, value) in &finals {
        if value < acknowledged || value > acknowledged + unknown {
            violations.push(Violation::WrongTotal {
                node,
                value,
                acknowledged,
                unknown,
            });
        }
    }
    if finals.windows(2).any(|w| w[0].1 != w[1].1) {
        violations.push(Violation::Diverged(finals.clone()));
    }
    if violations.is_empty() {
        Ok(Report {
            acknowledged,
            unknown,
            failed,
            final_reads: finals,
        })
    } else {
        Err(violations)
    }
}
// ANCHOR_END: check

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(process: u32, kind: Type, f: F, value: u64, node: Option<u32>, time: u64) -> Event {
        Event {
            process,
            kind,
            f,
            key: None,
            value: json!(value),
            node,
            time,
        }
    }

    fn history(final_value: u64) -> Vec<Event> {
        use {F::*, Type::*};
        vec![
            ev(1, Invoke, Add, 1, None, 1),
            ev(1, Ok, Add, 1, Some(1), 2),
            ev(2, Invoke, Add, 1, None, 3),
            ev(2, Info, Add, 1, None, 9), // timed out: unknown
            ev(1, Invoke, Add, 1, None, 4),
            ev(1, Ok, Add, 1, Some(2), 5),
            ev(1, Invoke, Read, 0, None, 10),
            ev(1, Ok, Read, final_value, Some(1), 11),
            ev(1, Invoke, Read, 0, None, 12),
            ev(1, Ok, Read, final_value, Some(2), 13),
        ]
    }

    #[test]
    fn an_unknown_add_may_count_or_not() {
        assert!(check_counter(&history(2)).is_ok());
        assert!(check_counter(&history(3)).is_ok());
    }

    #[test]
    fn a_lost_add_and_an_invented_one_are_caught() {
        let lost = check_counter(&history(1)).unwrap_err();
        assert!(lost[0].to_string().ends_with("1 lost"), "{lost:?}");
        let extra = check_counter(&history(4)).unwrap_err();
        assert!(matches!(extra[0], Violation::Invented { .. }), "{extra:?}");
    }

    #[test]
    fn diverged_nodes_are_caught() {
        let mut h = history(2);
        h[9].value = json!(3);
        assert!(
            check_counter(&h)
                .unwrap_err()
                .contains(&Violation::Diverged(vec![(1, 2), (2, 3)]))
        );
    }
}
