//! The search: is there an order of one key's operations, each placed at
//! a point between its invocation and its return, in which a single
//! register gives every answer the clients saw? This is Wing and Gong's
//! backtracking search, with Lowe's memo: two partial orders that have
//! placed the same set of operations and left the register holding the
//! same value can be continued in exactly the same ways, so the second
//! is never explored. The set is a bitset, the state one integer.
//!
//! The search is exponential in the worst case (many operations
//! concurrent with each other can be ordered in factorially many ways,
//! and the memo only bounds that by 2^n sets), so it has a budget of time
//! and memory and answers `Unknown` when it runs out, never hangs.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::{Op, Operation, Outcome};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    NotLinearizable,
    /// The budget ran out first.
    Unknown,
}

/// How long and how much memory one search may take.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub deadline: Instant,
    /// Bytes the memo may hold, roughly.
    pub memory: usize,
}

impl Budget {
    pub fn new(timeout: Duration, memory: usize) -> Budget {
        Budget {
            deadline: Instant::now() + timeout,
            memory,
        }
    }
}

/// The register's next value if `op` can take effect on `state` and give
/// its answer, `None` if it cannot. A cas of unknown outcome that finds
/// another value changes nothing (it failed, or never ran).
fn step(state: i64, op: Op, outcome: Outcome) -> Option<i64> {
    match op {
        Op::Read(v) => (v == state).then_some(state),
        Op::Write(v) => Some(v),
        Op::Cas(expected, new) if state == expected => Some(new),
        Op::Cas(..) if outcome == Outcome::Unknown => Some(state),
        Op::Cas(..) => None,
    }
}

/// One end of an operation in the search's list: its call or its return.
#[derive(Clone, Copy)]
struct Entry {
    op: usize,
    call: bool,
}

/// Checks one key's operations (in any order) from a register holding 0.
/// Operations that cut a history short (`upto`: only events before that
/// position) are taken as unknown; reads of unknown value are skipped.
pub fn check(ops: &[&Operation], upto: Option<usize>, budget: &Budget) -> Verdict {
    // (op, returned at) for the operations the search places.
    let mut searched: Vec<(Op, Outcome, usize, usize)> = Vec::new();
    for o in ops {
        if upto.is_some_and(|u| o.invoke >= u) {
            continue;
        }
        let ret = o.ret.filter(|&r| upto.is_none_or(|u| r < u));
        let outcome = if ret.is_some() {
            o.outcome
        } else {
            Outcome::Unknown
        };
        if o.unknown_read || (matches!(o.op, Op::Read(_)) && outcome == Outcome::Unknown) {
            continue;
        }
        // Unknown outcomes return after everything: never seen returning,
        // they may be placed anywhere after their call, or last (= never).
        let ret = match (outcome, ret) {
            (Outcome::Ok, Some(r)) => r,
            _ => usize::MAX,
        };
        searched.push((o.op, outcome, o.invoke, ret));
    }
    let n = searched.len();
    // Both ends of every operation, by time; unknown returns last.
    let mut ends: Vec<(usize, usize, bool)> = Vec::with_capacity(2 * n);
    for (i, &(_, _, call, ret)) in searched.iter().enumerate() {
        ends.push((call, i, true));
        ends.push((ret, i, false));
    }
    ends.sort_by_key(|&(t, i, call)| (t, i, !call));
    let entries: Vec<Entry> = ends
        .iter()
        .map(|&(_, op, call)| Entry { op, call })
        .collect();
    let mut call_at = vec![0; n];
    let mut ret_at = vec![0; n];
    for (e, entry) in entries.iter().enumerate() {
        if entry.call {
            call_at[entry.op] = e;
        } else {
            ret_at[entry.op] = e;
        }
    }
    // A doubly linked list over the entries, with a head at index len.
    let head = entries.len();
    let none = usize::MAX;
    let mut next: Vec<usize> = (1..=head)
        .map(|i| if i == head { none } else { i })
        .collect();
    next.push(if head == 0 { none } else { 0 });
    let mut prev: Vec<usize> = (0..head)
        .map(|i| if i == 0 { head } else { i - 1 })
        .collect();
    prev.push(none);
    let unlink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, e: usize| {
        let (p, q) = (prev[e], next[e]);
        next[p] = q;
        if q != none {
            prev[q] = p;
        }
    };
    let relink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, e: usize| {
        let (p, q) = (prev[e], next[e]);
        next[p] = e;
        if q != none {
            prev[q] = e;
        }
    };

    let words = n.div_ceil(64).max(1);
    let entry_bytes = words * 8 + 8 + 48;
    let mut memo: HashSet<(Vec<u64>, i64)> = HashSet::new();
    let mut placed = vec![0u64; words];
    let mut stack: Vec<(usize, i64)> = Vec::new();
    let mut state = 0;
    let mut cur = next[head];
    let mut steps: u64 = 0;
    while next[head] != none {
        steps += 1;
        if steps.is_multiple_of(4096)
            && (Instant::now() >= budget.deadline || memo.len() * entry_bytes > budget.memory)
        {
            return Verdict::Unknown;
        }
        let entry = entries[cur];
        if entry.call {
            let (op, outcome, ..) = searched[entry.op];
            if let Some(new) = step(state, op, outcome) {
                placed[entry.op / 64] |= 1 << (entry.op % 64);
                if memo.insert((placed.clone(), new)) {
                    stack.push((entry.op, state));
                    state = new;
                    unlink(&mut next, &mut prev, call_at[entry.op]);
                    unlink(&mut next, &mut prev, ret_at[entry.op]);
                    cur = next[head];
                    continue;
                }
                placed[entry.op / 64] &= !(1 << (entry.op % 64));
            }
            cur = next[cur];
        } else {
            // An operation returned before it could be placed: take back
            // the last placement and try the next candidate after it.
            let Some((op, old)) = stack.pop() else {
                return Verdict::NotLinearizable;
            };
            state = old;
            placed[op / 64] &= !(1 << (op % 64));
            relink(&mut next, &mut prev, ret_at[op]);
            relink(&mut next, &mut prev, call_at[op]);
            cur = next[call_at[op]];
        }
    }
    Verdict::Linearizable
}
