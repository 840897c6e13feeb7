//! When a key's history is not linearizable, which operations are to
//! blame? Not all of them: the history is cut after each return in turn,
//! and the **window** is found at the first cut that is not linearizable
//! (a longer history cannot repair a shorter one, so a binary search over
//! the cuts finds it). Everything before that return can be ordered (the
//! operations still running at the cut count as unknown); the operation
//! that returns there cannot be placed. The window is that operation and
//! every operation concurrent with it (invoked before it returned, and not
//! returned before it was invoked): the smallest set of operations among
//! which the order broke.

use crate::Operation;
use crate::search::{Budget, Verdict, check};

#[derive(Debug, PartialEq)]
pub struct Window<'a> {
    /// The operation that cannot be placed.
    pub culprit: &'a Operation,
    /// The operations concurrent with it, in order of invocation.
    pub concurrent: Vec<&'a Operation>,
    /// How many operations returned before it (the linearizable prefix).
    pub prefix: usize,
}

/// The window of a key whose history is not linearizable, or `None` if the
/// budget runs out first.
pub fn find<'a>(ops: &[&'a Operation], budget: &Budget) -> Option<Window<'a>> {
    let mut returns: Vec<&Operation> = ops
        .iter()
        .copied()
        .filter(|o| o.ret.is_some() && o.outcome == crate::Outcome::Ok)
        .collect();
    returns.sort_by_key(|o| o.ret);
    // The smallest cut that is not linearizable: `lo` can be ordered,
    // `hi` cannot (the whole history, already judged).
    let (mut lo, mut hi) = (0, returns.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        let upto = returns[mid].ret.map(|r| r + 1);
        match check(ops, upto, budget) {
            Verdict::NotLinearizable => hi = mid,
            Verdict::Linearizable => lo = mid + 1,
            Verdict::Unknown => return None,
        }
    }
    let culprit = *returns.get(lo)?;
    let end = culprit.ret?;
    let concurrent = ops
        .iter()
        .copied()
        .filter(|o| !std::ptr::eq(*o, culprit))
        .filter(|o| o.invoke < end && o.ret.is_none_or(|r| r > culprit.invoke))
        .collect();
    Some(Window {
        culprit,
        concurrent,
        prefix: lo,
    })
}
